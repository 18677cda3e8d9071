/*  smtp_mail.c — build an e-mail and hand it to an SMTP server with libcurl.
 *
 *  The message is plain text in UTF-8, which is what a Chinese receipt needs:
 *  the Subject is RFC 2047 encoded (=?UTF-8?B?...?=, split between
 *  characters so no word passes 75 characters), the body is base64 in lines
 *  of 76 (Content-Transfer-Encoding: base64), so no server or relay can
 *  mangle 8-bit bytes. The Message-ID is the notification row's own, so a
 *  re-send after a crash carries the same one and the receiver can drop it.
 *
 *  Delivery is one libcurl easy handle per message (smtp_send_t):
 *  CURLOPT_MAIL_FROM, one CURLOPT_MAIL_RCPT, the message through a read
 *  callback, TLS (CURLOPT_USE_SSL: try = STARTTLS if offered, required =
 *  STARTTLS or smtps:// or no conversation; required is the default
 *  wherever the URL names a host other than loopback, so a password or a
 *  customer's mail never crosses a network in plaintext unless the operator
 *  says --smtp-tls off), AUTH when a user is given, a total time-out. The caller
 *  runs the handle — the notifier several at once in a curl multi handle
 *  (main.c) — and asks smtp_send_result what became of it: any error
 *  (refused connection, 4xx, 5xx, time-out) is returned as text; the caller
 *  decides between retry and dead.
 */
#include "smtp_mail.h"

#include <assert.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *
s_base64 (const unsigned char *data, size_t size)
{
    size_t max = sodium_base64_ENCODED_LEN (size, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc (max);
    assert (out);
    sodium_bin2base64 (out, max, data, size, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

bool
smtp_url_loopback (const char *url)
{
    const char *host = strstr (url, "://");
    host = host ? host + 3 : url;
    //  Skip user:password@ (an '@' before the first '/').
    const char *at = strchr (host, '@');
    if (at && (!strchr (host, '/') || at < strchr (host, '/')))
        host = at + 1;
    char name [256];
    size_t len;
    if (*host == '[') {
        host++;
        len = strcspn (host, "]");
    }
    else
        len = strcspn (host, ":/?#");
    if (len == 0 || len >= sizeof name)
        return false;
    memcpy (name, host, len);
    name [len] = 0;
    return strcasecmp (name, "localhost") == 0 || strcmp (name, "::1") == 0
        || (strncmp (name, "127.", 4) == 0 && strspn (name, "0123456789.") == len);
}

const char *
smtp_tls_resolve (const char *setting, const char *url)
{
    if (!setting || !*setting || strcmp (setting, "auto") == 0)
        return smtp_url_loopback (url) ? "off" : "required";
    if (strcmp (setting, "off") == 0 || strcmp (setting, "none") == 0)
        return "off";
    if (strcmp (setting, "required") == 0 || strcmp (setting, "all") == 0)
        return "required";
    if (strcmp (setting, "try") == 0)
        return "try";
    return NULL;
}

bool
smtp_mail_address_ok (const char *address)
{
    if (!address || !*address || strlen (address) > 254 || !strchr (address, '@'))
        return false;
    for (const unsigned char *p = (const unsigned char *) address; *p; p++)
        if (*p <= ' ' || *p >= 127 || strchr ("<>()[]\\,;:\"", *p))
            return false;
    return true;
}

char *
smtp_mail_encode_header (const char *text)
{
    bool ascii = true;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        if (*p >= 127 || *p < ' ')
            ascii = false;
    if (ascii)
        return strdup (text);
    char *out = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&out, &size);
    assert (stream);
    const unsigned char *p = (const unsigned char *) text;
    size_t left = strlen (text);
    bool first = true;
    while (left) {
        //  45 bytes make 60 base64 characters: with "=?UTF-8?B?" and "?="
        //  a word is 72. Back off to the start of a UTF-8 character.
        size_t take = left < 45 ? left : 45;
        while (take < left && take > 0 && (p [take] & 0xC0) == 0x80)
            take--;
        if (take == 0)
            take = left < 45 ? left : 45;
        char *b64 = s_base64 (p, take);
        fprintf (stream, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
        free (b64);
        first = false;
        p += take;
        left -= take;
    }
    fclose (stream);
    return out;
}

char *
smtp_mail_build (const char *from, const char *to, const char *subject,
                 const char *body, const char *message_id, time_t date)
{
    //  The canonical form of text/plain has CRLF line ends: convert first,
    //  then encode, so the decoded body is what a mail client expects.
    char *crlf = NULL;
    size_t crlf_size = 0;
    FILE *stream = open_memstream (&crlf, &crlf_size);
    assert (stream);
    for (const char *p = body; *p; p++) {
        if (*p == '\n' && (p == body || p [-1] != '\r'))
            fputc ('\r', stream);
        fputc (*p, stream);
    }
    fclose (stream);
    char *b64 = s_base64 ((const unsigned char *) crlf, crlf_size);
    free (crlf);
    char *encoded_subject = smtp_mail_encode_header (subject);
    char when [64];
    struct tm tm;
    gmtime_r (&date, &tm);
    static const char *days [] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *months [] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    snprintf (when, sizeof when, "%s, %02d %s %04d %02d:%02d:%02d +0000", days [tm.tm_wday],
              tm.tm_mday, months [tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
              tm.tm_sec);
    char *out = NULL;
    size_t size = 0;
    stream = open_memstream (&out, &size);
    assert (stream);
    fprintf (stream,
             "From: %s\r\n"
             "To: %s\r\n"
             "Subject: %s\r\n"
             "Date: %s\r\n"
             "Message-ID: %s\r\n"
             "MIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=UTF-8\r\n"
             "Content-Transfer-Encoding: base64\r\n"
             "\r\n", from, to, encoded_subject, when, message_id);
    size_t len = strlen (b64);
    for (size_t i = 0; i < len; i += 76)
        fprintf (stream, "%.*s\r\n", (int) (len - i < 76 ? len - i : 76), b64 + i);
    fclose (stream);
    free (b64);
    free (encoded_subject);
    return out;
}

typedef struct {
    const char *data;
    size_t left;
} s_reader_t;

static size_t
s_read (char *buffer, size_t size, size_t nitems, void *arg)
{
    s_reader_t *reader = (s_reader_t *) arg;
    size_t room = size * nitems;
    size_t take = reader->left < room ? reader->left : room;
    memcpy (buffer, reader->data, take);
    reader->data += take;
    reader->left -= take;
    return take;
}

struct _smtp_send_t {
    CURL *curl;
    struct curl_slist *rcpt;
    s_reader_t reader;
    char from [300];
    char curl_error [CURL_ERROR_SIZE];
};

smtp_send_t *
smtp_send_new (const smtp_cfg_t *cfg, const char *to, const char *message,
               char *err, size_t err_size)
{
    assert (cfg && to && message);
    smtp_send_t *self = calloc (1, sizeof *self);
    assert (self);
    self->curl = curl_easy_init ();
    if (!self->curl) {
        snprintf (err, err_size, "curl_easy_init failed");
        free (self);
        return NULL;
    }
    char rcpt_text [300];
    snprintf (rcpt_text, sizeof rcpt_text, "<%s>", to);
    self->rcpt = curl_slist_append (NULL, rcpt_text);
    assert (self->rcpt);
    snprintf (self->from, sizeof self->from, "<%s>", cfg->from);
    self->reader = (s_reader_t) { message, strlen (message) };
    CURL *curl = self->curl;
    curl_easy_setopt (curl, CURLOPT_URL, cfg->url);
    curl_easy_setopt (curl, CURLOPT_MAIL_FROM, self->from);
    curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, self->rcpt);
    curl_easy_setopt (curl, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt (curl, CURLOPT_READDATA, &self->reader);
    curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, self->curl_error);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, cfg->timeout_ms);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    if (cfg->tls && strcmp (cfg->tls, "required") == 0)
        curl_easy_setopt (curl, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
    else
    if (cfg->tls && strcmp (cfg->tls, "try") == 0)
        curl_easy_setopt (curl, CURLOPT_USE_SSL, (long) CURLUSESSL_TRY);
    //  The server's certificate is always verified (libcurl's default,
    //  never turned off here); a bank's own CA is named, not bypassed.
    if (cfg->ca_file && *cfg->ca_file)
        curl_easy_setopt (curl, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->user && *cfg->user) {
        curl_easy_setopt (curl, CURLOPT_USERNAME, cfg->user);
        curl_easy_setopt (curl, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
    return self;
}

CURL *
smtp_send_handle (smtp_send_t *self)
{
    assert (self);
    return self->curl;
}

int
smtp_send_result (smtp_send_t *self, CURLcode rc, char *err, size_t err_size)
{
    assert (self);
    if (rc == CURLE_OK)
        return 0;
    long response = 0;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &response);
    snprintf (err, err_size, "%s (smtp %ld)%s%s", curl_easy_strerror (rc), response,
              *self->curl_error ? ": " : "", self->curl_error);
    return -1;
}

void
smtp_send_destroy (smtp_send_t **self_p)
{
    assert (self_p);
    smtp_send_t *self = *self_p;
    if (!self)
        return;
    curl_easy_cleanup (self->curl);
    curl_slist_free_all (self->rcpt);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

//  Decode every =?UTF-8?B?..?= word of a header value back to text.
static char *
s_decode_header (const char *value)
{
    char *out = calloc (1, strlen (value) + 1);
    assert (out);
    size_t n = 0;
    const char *p = value;
    const char *word;
    while ((word = strstr (p, "=?UTF-8?B?"))) {
        const char *end = strstr (word + 10, "?=");
        if (!end)
            break;
        size_t bin_len = 0;
        sodium_base642bin ((unsigned char *) out + n, strlen (value) - n, word + 10,
                           (size_t) (end - word - 10), NULL, &bin_len, NULL,
                           sodium_base64_VARIANT_ORIGINAL);
        n += bin_len;
        p = end + 2;
    }
    out [n] = 0;
    return out;
}

#include "selftest.h"

int
smtp_mail_test (bool verbose, int *passed)
{
    s_tally = (selftest_tally_t) { 0 };
    char *h = smtp_mail_encode_header ("plain ascii");
    s_check (verbose, strcmp (h, "plain ascii") == 0, "an ASCII header stays as it is");
    free (h);
    const char *zh = "您的投诉已受理（编号 C20260302000001）请保存此编号以便查询进度和补充材料";
    h = smtp_mail_encode_header (zh);
    char *back = s_decode_header (h);
    bool words_ok = true;
    for (char *line = h; line; line = strstr (line, "\r\n ")) {
        if (line != h)
            line += 3;
        if (strcspn (line, "\r") > 75)
            words_ok = false;
        if (!strstr (line, "\r\n "))
            break;
    }
    s_check (verbose, strncmp (h, "=?UTF-8?B?", 10) == 0 && strcmp (back, zh) == 0,
             "a Chinese subject is RFC 2047 encoded and decodes back, split between characters");
    s_check (verbose, words_ok && strstr (h, "\r\n "), "encoded words are <= 75 characters, folded");
    free (back);
    free (h);
    char body [400];
    memset (body, 0, sizeof body);
    for (int i = 0; i < 20; i++)
        strcat (body, "投诉编号\n");
    char *msg = smtp_mail_build ("noreply@bank.example", "a@b.example", "主题", body,
                                 "<n1.7@complaints.local>", 1795438798);
    s_check (verbose, strstr (msg, "Message-ID: <n1.7@complaints.local>\r\n")
                      && strstr (msg, "MIME-Version: 1.0\r\n")
                      && strstr (msg, "Content-Type: text/plain; charset=UTF-8\r\n")
                      && strstr (msg, "Content-Transfer-Encoding: base64\r\n")
                      && strstr (msg, "Subject: =?UTF-8?B?5Li76aKY?=\r\n")
                      && strstr (msg, "Date: Mon, 23 Nov 2026 12:59:58 +0000\r\n"),
             "the headers: Message-ID, MIME, charset, transfer encoding, Subject, Date");
    const char *b = strstr (msg, "\r\n\r\n") + 4;
    bool lines_ok = true;
    int lines = 0;
    for (const char *p = b; *p; lines++) {
        size_t len = strcspn (p, "\r");
        if (len > 76 || p [len] != '\r' || p [len + 1] != '\n')
            lines_ok = false;
        if (!p [len])
            break;
        p += len + 2;
    }
    s_check (verbose, lines_ok && lines > 1, "the body is base64 lines of at most 76, CRLF");
    free (msg);
    s_check (verbose, smtp_mail_address_ok ("li.na@bank.example")
                      && !smtp_mail_address_ok ("a@b>\r\nRCPT TO:<x@y")
                      && !smtp_mail_address_ok ("nobody"),
             "addresses that could inject commands are refused");
    s_check (verbose, smtp_url_loopback ("smtp://127.0.0.1:2525")
                      && smtp_url_loopback ("smtp://localhost")
                      && smtp_url_loopback ("smtp://[::1]:25")
                      && smtp_url_loopback ("smtp://u:p@127.0.0.2:25/x")
                      && !smtp_url_loopback ("smtp://mail.bank.example:587")
                      && !smtp_url_loopback ("smtp://127.0.0.1@mail.bank.example")
                      && !smtp_url_loopback ("smtp://192.0.2.2:25")
                      && !smtp_url_loopback ("smtp://127.0.0.1.evil.example"),
             "loopback hosts are told from real servers");
    s_check (verbose, strcmp (smtp_tls_resolve ("auto", "smtp://mail.bank.example:587"),
                              "required") == 0
                      && strcmp (smtp_tls_resolve ("auto", "smtp://127.0.0.1:2525"), "off") == 0
                      && strcmp (smtp_tls_resolve ("off", "smtp://mail.bank.example"), "off") == 0
                      && strcmp (smtp_tls_resolve ("all", "smtp://127.0.0.1"), "required") == 0
                      && smtp_tls_resolve ("yes", "smtp://x") == NULL,
             "--smtp-tls auto: required for a real server, off on loopback");
    //  What the option does to a server without STARTTLS is the
    //  integration test's (notify_secrets.sh): here only that it is set.
    smtp_cfg_t cfg = { .url = "smtp://mail.bank.example:587", .from = "a@b.example", .user = "",
                       .password = "", .timeout_ms = 1000 };
    cfg.tls = smtp_tls_resolve ("auto", cfg.url);
    char err [200] = "";
    smtp_send_t *send = smtp_send_new (&cfg, "c@d.example", "x", err, sizeof err);
    s_check (verbose, send != NULL, "an SMTP handle with TLS required can be made");
    smtp_send_destroy (&send);
    return selftest_tally_end (&s_tally, verbose, NULL, passed);
}
