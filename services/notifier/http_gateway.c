/*  http_gateway.c — SMS and app push through a provider's HTTP gateway,
 *  with libcurl (see http_gateway.h for the contract).
 *
 *  Bodies are built with jansson, never by hand: json_pack then json_dumps
 *  (JSON_COMPACT, UTF-8 kept as it is), so a quote, a backslash or a line
 *  break in a message is escaped and cannot change the document's shape.
 *  Text that is not UTF-8 (upstream validates it, but a gateway must not
 *  be the place where a bad byte becomes a crash or a lost message) has
 *  each bad byte replaced by U+FFFD first, so a body is always produced.
 *
 *  A POST is one fresh libcurl easy handle, like smtp_mail.c: the notifier
 *  sends at the pace of its store, and a fresh handle carries no state
 *  from one notification to the next. The handle gets a total and a
 *  connect time-out, CURLOPT_NOSIGNAL (threads, no SIGALRM), no redirects
 *  (a 3xx is a refusal: following one would post a customer's text to a
 *  place nobody configured), http/https only, and no "Expect:
 *  100-continue" (an extra round trip for nothing). Values that become
 *  header lines (the key, the Authorization) are refused when they hold a
 *  control character, before any network use: a CR/LF there would let
 *  data add headers of its own.
 *
 *  The answer: at most HTTP_GATEWAY_ANSWER_MAX bytes of its body are kept
 *  (the write callback keeps reading past the cap, so the connection ends
 *  cleanly, but stores nothing more); Retry-After, integer seconds only
 *  (an HTTP date is ignored), capped at an hour, comes from a header
 *  callback that forgets what an interim (1xx) answer said. s_classify
 *  maps the status to OK / RETRY / REFUSED. An error text is always valid
 *  UTF-8 on one line, because it is stored in PostgreSQL as the
 *  notification's last error.
 *
 *  Interface: http_gateway_sms_json, http_gateway_push_json,
 *  http_gateway_post, http_gateway_phone, http_gateway_test.
 */
#include "http_gateway.h"
#include "proto.h"

#include <arpa/inet.h>
#include <assert.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_GATEWAY_ANSWER_MAX   4096      /* bytes of an answer kept */
#define HTTP_GATEWAY_ERR_BODY     200       /* bytes of it put in err */
#define HTTP_GATEWAY_RETRY_MAX_S  3600      /* a Retry-After is capped here */
#define HTTP_GATEWAY_TIMEOUT_MS   10000     /* when cfg->timeout_ms <= 0 */

//  A valid UTF-8 copy of text: every byte that does not start a valid
//  sequence becomes U+FFFD. NULL reads as "".
static char *
s_utf8_clean (const char *text)
{
    if (!text)
        text = "";
    size_t len = strlen (text);
    if (proto_utf8_valid (text, len)) {
        char *copy = strdup (text);
        assert (copy);
        return copy;
    }
    char *out = malloc (len * 3 + 1);
    assert (out);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char) text [i];
        size_t seq = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        if (seq && i + seq <= len && proto_utf8_valid (text + i, seq)) {
            memcpy (out + n, text + i, seq);
            n += seq;
            i += seq;
        }
        else {
            memcpy (out + n, "\xEF\xBF\xBD", 3);
            n += 3;
            i++;
        }
    }
    out [n] = 0;
    return out;
}

//  Adds "reference" to body unless it is NULL or "", then dumps it.
static char *
s_finish (json_t *body, const char *reference)
{
    assert (body);
    if (reference && *reference) {
        char *clean = s_utf8_clean (reference);
        json_object_set_new (body, "reference", json_string (clean));
        free (clean);
    }
    char *json = json_dumps (body, JSON_COMPACT);
    assert (json);
    json_decref (body);
    return json;
}

char *
http_gateway_sms_json (const char *to, const char *text, const char *key,
                       const char *reference)
{
    char *c_to = s_utf8_clean (to);
    char *c_text = s_utf8_clean (text);
    char *c_key = s_utf8_clean (key);
    json_t *body = json_pack ("{s:s, s:s, s:s}", "to", c_to, "text", c_text,
                              "idempotency_key", c_key);
    free (c_to);
    free (c_text);
    free (c_key);
    return s_finish (body, reference);
}

char *
http_gateway_push_json (const char *to, const char *title, const char *text,
                        const char *key, const char *reference)
{
    char *c_to = s_utf8_clean (to);
    char *c_title = s_utf8_clean (title);
    char *c_text = s_utf8_clean (text);
    char *c_key = s_utf8_clean (key);
    json_t *body = json_pack ("{s:s, s:s, s:s, s:s}", "to", c_to, "title", c_title,
                              "body", c_text, "idempotency_key", c_key);
    free (c_to);
    free (c_title);
    free (c_text);
    free (c_key);
    return s_finish (body, reference);
}

//  What an answer's status means for the notification. 408 (request
//  time-out), 425 (too early), 429 (too many requests) and 5xx are the
//  gateway's own trouble and pass; every other status is about this
//  request (a bad number, a bad key, a redirect we will not follow) and
//  would be answered the same way again. 0: no status at all.
static http_gateway_result_t
s_classify (long status)
{
    if (status >= 200 && status <= 299)
        return HTTP_GATEWAY_OK;
    if (status == 0 || status == 408 || status == 425 || status == 429
    || (status >= 500 && status <= 599))
        return HTTP_GATEWAY_RETRY;
    return HTTP_GATEWAY_REFUSED;
}

//  true when text would be safe as a header value: no control characters.
static bool
s_header_safe (const char *text)
{
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

//  Copy at most max bytes of data to out as one line of valid UTF-8:
//  control characters become spaces, broken sequences '?', and a
//  character that would pass max is left out whole.
static void
s_one_line (char *out, size_t out_size, const char *data, size_t size, size_t max)
{
    if (!out_size)
        return;
    size_t n = 0;
    for (size_t i = 0; i < size && n < max && n + 1 < out_size;) {
        unsigned char c = (unsigned char) data [i];
        if (c < 0x80) {
            out [n++] = c < 0x20 || c == 0x7f ? ' ' : (char) c;
            i++;
            continue;
        }
        size_t seq = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        if (seq && i + seq <= size && proto_utf8_valid (data + i, seq)) {
            if (n + seq > max || n + seq + 1 > out_size)
                break;
            memcpy (out + n, data + i, seq);
            n += seq;
            i += seq;
        }
        else {
            out [n++] = '?';
            i++;
        }
    }
    //  Trailing spaces (a final newline) say nothing.
    while (n && out [n - 1] == ' ')
        n--;
    out [n] = 0;
}

typedef struct {
    char data [HTTP_GATEWAY_ANSWER_MAX];
    size_t size;
    long retry_after_s;             /* -1: none */
} s_answer_t;

static size_t
s_write (char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_answer_t *answer = (s_answer_t *) arg;
    size_t len = size * nmemb;
    size_t room = sizeof answer->data - answer->size;
    size_t take = len < room ? len : room;
    memcpy (answer->data + answer->size, ptr, take);
    answer->size += take;
    return len;                     /* all of it: keep reading past the cap */
}

static size_t
s_header (char *buffer, size_t size, size_t nitems, void *arg)
{
    s_answer_t *answer = (s_answer_t *) arg;
    size_t len = size * nitems;
    //  A status line starts a new answer (after a 1xx, or in one with
    //  several): only the last answer's Retry-After counts.
    if (len >= 5 && memcmp (buffer, "HTTP/", 5) == 0)
        answer->retry_after_s = -1;
    else
    if (len > 12 && strncasecmp (buffer, "Retry-After:", 12) == 0) {
        size_t i = 12;
        while (i < len && (buffer [i] == ' ' || buffer [i] == '\t'))
            i++;
        long seconds = 0;
        size_t digits = 0;
        while (i < len && buffer [i] >= '0' && buffer [i] <= '9') {
            if (seconds < HTTP_GATEWAY_RETRY_MAX_S)
                seconds = seconds * 10 + (buffer [i] - '0');
            i++;
            digits++;
        }
        while (i < len && (buffer [i] == ' ' || buffer [i] == '\t'
                           || buffer [i] == '\r' || buffer [i] == '\n'))
            i++;
        if (digits && i == len)     /* an HTTP date, or junk: ignored */
            answer->retry_after_s = seconds < HTTP_GATEWAY_RETRY_MAX_S
                                  ? seconds : HTTP_GATEWAY_RETRY_MAX_S;
    }
    return len;
}

struct _http_gateway_call_t {
    CURL *curl;
    struct curl_slist *headers;
    s_answer_t answer;
    char curl_error [CURL_ERROR_SIZE];
};

http_gateway_call_t *
http_gateway_call_new (const http_gateway_cfg_t *cfg, const char *key, const char *json,
                       http_gateway_result_t *result, char *err, size_t err_size)
{
    assert (cfg && json && result && err);
    if (err_size)
        *err = 0;
    if (!cfg->url || !*cfg->url) {
        snprintf (err, err_size, "no gateway URL configured");
        *result = HTTP_GATEWAY_REFUSED;
        return NULL;
    }
    if (!key || !*key || !s_header_safe (key)) {
        snprintf (err, err_size, "the idempotency key is empty or holds a control character"
                                 " (CR/LF would inject headers)");
        *result = HTTP_GATEWAY_REFUSED;
        return NULL;
    }
    const char *auth = cfg->auth ? cfg->auth : "";
    if (!s_header_safe (auth)) {
        snprintf (err, err_size, "the Authorization value holds a control character"
                                 " (CR/LF would inject headers)");
        *result = HTTP_GATEWAY_REFUSED;
        return NULL;
    }
    http_gateway_call_t *self = calloc (1, sizeof *self);
    assert (self);
    self->curl = curl_easy_init ();
    if (!self->curl) {
        snprintf (err, err_size, "curl: curl_easy_init failed");
        *result = HTTP_GATEWAY_RETRY;
        free (self);
        return NULL;
    }
    struct curl_slist *headers = NULL;
    headers = curl_slist_append (headers, "Content-Type: application/json; charset=utf-8");
    headers = curl_slist_append (headers, "Accept: application/json");
    headers = curl_slist_append (headers, "Expect:");
    char *line = NULL;
    if (*auth) {
        if (asprintf (&line, "Authorization: %s", auth) < 0)
            line = NULL;
        assert (line);
        headers = curl_slist_append (headers, line);
        free (line);
    }
    if (asprintf (&line, "Idempotency-Key: %s", key) < 0)
        line = NULL;
    assert (line);
    headers = curl_slist_append (headers, line);
    free (line);
    assert (headers);
    self->headers = headers;
    self->answer.retry_after_s = -1;

    long timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : HTTP_GATEWAY_TIMEOUT_MS;
    CURL *curl = self->curl;
    curl_easy_setopt (curl, CURLOPT_URL, cfg->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt (curl, CURLOPT_POST, 1L);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (json));
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_USERAGENT, "complaints-notifier");
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &self->answer);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, &self->answer);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, self->curl_error);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    if (cfg->ca_file && *cfg->ca_file)
        curl_easy_setopt (curl, CURLOPT_CAINFO, cfg->ca_file);
    return self;
}

CURL *
http_gateway_call_handle (http_gateway_call_t *self)
{
    assert (self);
    return self->curl;
}

http_gateway_result_t
http_gateway_call_result (http_gateway_call_t *self, CURLcode rc, long *retry_after_ms,
                          char *err, size_t err_size)
{
    assert (self && retry_after_ms && err);
    *retry_after_ms = 0;
    if (err_size)
        *err = 0;
    http_gateway_result_t result;
    if (rc != CURLE_OK) {
        //  No whole answer (refused, reset, timed out, a broken TLS...):
        //  whatever the gateway did, asking again is the only way on.
        const char *why = *self->curl_error ? self->curl_error : curl_easy_strerror (rc);
        char text [CURL_ERROR_SIZE];
        s_one_line (text, sizeof text, why, strlen (why), sizeof text - 1);
        snprintf (err, err_size, "curl: %s", text);
        result = HTTP_GATEWAY_RETRY;
    }
    else {
        long status = 0;
        curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &status);
        result = s_classify (status);
        if (result != HTTP_GATEWAY_OK) {
            char text [HTTP_GATEWAY_ERR_BODY + 1];
            s_one_line (text, sizeof text, self->answer.data, self->answer.size,
                        HTTP_GATEWAY_ERR_BODY);
            snprintf (err, err_size, "HTTP %ld%s%s", status, *text ? ": " : "", text);
        }
    }
    if (result != HTTP_GATEWAY_OK && self->answer.retry_after_s >= 0)
        *retry_after_ms = self->answer.retry_after_s * 1000;
    return result;
}

void
http_gateway_call_destroy (http_gateway_call_t **self_p)
{
    assert (self_p);
    http_gateway_call_t *self = *self_p;
    if (!self)
        return;
    curl_easy_cleanup (self->curl);
    curl_slist_free_all (self->headers);
    free (self);
    *self_p = NULL;
}

http_gateway_result_t
http_gateway_post (const http_gateway_cfg_t *cfg, const char *key, const char *json,
                   long *retry_after_ms, char *err, size_t err_size)
{
    assert (retry_after_ms);
    *retry_after_ms = 0;
    http_gateway_result_t result;
    http_gateway_call_t *call = http_gateway_call_new (cfg, key, json, &result, err, err_size);
    if (!call)
        return result;
    result = http_gateway_call_result (call, curl_easy_perform (http_gateway_call_handle (call)),
                                       retry_after_ms, err, err_size);
    http_gateway_call_destroy (&call);
    return result;
}

bool
http_gateway_phone (const char *text, char *out, size_t size)
{
    if (!text || !out)
        return false;
    char number [24];
    size_t n = 0, digits = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ' ' || *p == '-' || *p == '(' || *p == ')')
            continue;
        if (*p == '+' && n == 0)
            number [n++] = '+';
        else
        if (*p >= '0' && *p <= '9' && digits < 20) {
            number [n++] = *p;
            digits++;
        }
        else
            return false;           /* a letter, a second '+', a 21st digit */
    }
    if (digits < 5 || n + 1 > size)
        return false;
    memcpy (out, number, n);
    out [n] = 0;
    return true;
}

//  --------------------------------------------------------------------------
#include "selftest.h"

//  Self-test

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

//  A one-shot HTTP server on a loopback port the kernel picks: it reads
//  one request (headers and Content-Length bytes), keeps it, and answers
//  with a canned response. Enough to see what the client sends and how it
//  reads an answer, with no fixed port to collide on.
typedef struct {
    int listener;
    const char *response;
    char request [8192];
    size_t request_size;
} s_server_t;

static void *
s_serve_one (void *arg)
{
    s_server_t *server = (s_server_t *) arg;
    int fd = accept (server->listener, NULL, NULL);
    if (fd < 0)
        return NULL;
    size_t want = 0;
    while (server->request_size < sizeof server->request - 1) {
        ssize_t got = recv (fd, server->request + server->request_size,
                            sizeof server->request - 1 - server->request_size, 0);
        if (got <= 0)
            break;
        server->request_size += (size_t) got;
        server->request [server->request_size] = 0;
        char *end = strstr (server->request, "\r\n\r\n");
        if (end && !want) {
            char *length = strcasestr (server->request, "\r\nContent-Length:");
            want = (size_t) (end + 4 - server->request)
                 + (length && length < end ? strtoul (length + 17, NULL, 10) : 0);
        }
        if (want && server->request_size >= want)
            break;
    }
    size_t left = strlen (server->response);
    const char *p = server->response;
    while (left) {
        ssize_t sent = send (fd, p, left, MSG_NOSIGNAL);
        if (sent <= 0)
            break;
        p += sent;
        left -= (size_t) sent;
    }
    close (fd);
    return NULL;
}

//  POST json through a one-shot server answering response; the request the
//  server saw is left in server->request.
static http_gateway_result_t
s_post_to (s_server_t *server, const char *response, const char *auth, const char *key,
           const char *json, long *retry_after_ms, char *err, size_t err_size)
{
    memset (server, 0, sizeof *server);
    server->response = response;
    server->listener = socket (AF_INET, SOCK_STREAM, 0);
    assert (server->listener >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    int rc = bind (server->listener, (struct sockaddr *) &addr, sizeof addr);
    assert (rc == 0);
    socklen_t addr_len = sizeof addr;
    rc = getsockname (server->listener, (struct sockaddr *) &addr, &addr_len);
    assert (rc == 0);
    rc = listen (server->listener, 4);
    assert (rc == 0);
    pthread_t thread;
    rc = pthread_create (&thread, NULL, s_serve_one, server);
    assert (rc == 0);
    char url [64];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/sms", ntohs (addr.sin_port));
    http_gateway_cfg_t cfg = { .url = url, .auth = auth, .timeout_ms = 5000 };
    http_gateway_result_t result = http_gateway_post (&cfg, key, json, retry_after_ms,
                                                      err, err_size);
    //  A client refused before connecting leaves the server waiting: wake it.
    shutdown (server->listener, SHUT_RDWR);
    pthread_join (thread, NULL);
    close (server->listener);
    return result;
}

int
http_gateway_test (bool verbose, int *passed)
{
    s_tally = (selftest_tally_t) { 0 };

    //  The bodies.
    const char *text = "您的投诉 C20260302000001 已受理。\n\"引号\" \\ 反斜杠\t";
    char *json = http_gateway_sms_json ("+8613812345678", text, "n42.sms", "C20260302000001");
    json_error_t jerr;
    json_t *doc = json_loads (json, 0, &jerr);
    const char *to = NULL, *got_text = NULL, *key = NULL, *reference = NULL;
    int unpacked = doc ? json_unpack (doc, "{s:s, s:s, s:s, s:s}", "to", &to, "text",
                                      &got_text, "idempotency_key", &key, "reference",
                                      &reference) : -1;
    s_check (verbose, unpacked == 0 && json_object_size (doc) == 4
                      && strcmp (to, "+8613812345678") == 0 && strcmp (got_text, text) == 0
                      && strcmp (key, "n42.sms") == 0
                      && strcmp (reference, "C20260302000001") == 0,
             "an SMS body parses back with to, text (Chinese intact), key, reference");
    s_check (verbose, !strchr (json, '\n') && !strchr (json, '\t')
                      && strstr (json, "\\\"引号\\\"") && strstr (json, "\\\\ 反斜杠")
                      && strstr (json, "\\n") && strstr (json, "受理") && !strstr (json, ": "),
             "quotes, backslashes and line breaks are escaped; UTF-8 kept; compact");
    json_decref (doc);
    free (json);

    json = http_gateway_sms_json ("+8613812345678", "hi", "k", "");
    doc = json_loads (json, 0, &jerr);
    s_check (verbose, doc && json_object_size (doc) == 3 && !json_object_get (doc, "reference"),
             "an empty reference is left out");
    json_decref (doc);
    free (json);

    json = http_gateway_push_json ("device-7", "投诉进度", "已分派给处理人", "n43.push", NULL);
    doc = json_loads (json, 0, &jerr);
    const char *title = NULL, *body = NULL;
    unpacked = doc ? json_unpack (doc, "{s:s, s:s, s:s, s:s}", "to", &to, "title", &title,
                                  "body", &body, "idempotency_key", &key) : -1;
    s_check (verbose, unpacked == 0 && json_object_size (doc) == 4
                      && strcmp (to, "device-7") == 0 && strcmp (title, "投诉进度") == 0
                      && strcmp (body, "已分派给处理人") == 0 && strcmp (key, "n43.push") == 0,
             "a push body parses back with to, title, body, key; a NULL reference left out");
    json_decref (doc);
    free (json);

    json = http_gateway_sms_json ("1", "bad \xff byte \xe6\x8a", "k", NULL);
    doc = json_loads (json, 0, &jerr);
    s_check (verbose, doc && strcmp (json_string_value (json_object_get (doc, "text")),
                                     "bad \xEF\xBF\xBD byte \xEF\xBF\xBD\xEF\xBF\xBD") == 0,
             "bytes that are not UTF-8 become U+FFFD: a body is always made");
    json_decref (doc);
    free (json);

    //  Phone numbers.
    char phone [24];
    bool ok = http_gateway_phone ("+86 138-1234-5678", phone, sizeof phone);
    s_check (verbose, ok && strcmp (phone, "+8613812345678") == 0,
             "+86 138-1234-5678 -> +8613812345678");
    ok = http_gateway_phone ("(010) 6512 3456", phone, sizeof phone);
    s_check (verbose, ok && strcmp (phone, "01065123456") == 0, "(010) 6512 3456 -> 01065123456");
    s_check (verbose, !http_gateway_phone ("12", phone, sizeof phone)
                      && !http_gateway_phone ("", phone, sizeof phone)
                      && !http_gateway_phone ("138abc12345", phone, sizeof phone)
                      && !http_gateway_phone ("++1234567", phone, sizeof phone)
                      && !http_gateway_phone ("12+34567", phone, sizeof phone)
                      && !http_gateway_phone ("123456789012345678901", phone, sizeof phone)
                      && !http_gateway_phone ("13812345678\n", phone, sizeof phone)
                      && !http_gateway_phone ("１３８１２３４５６７８", phone, sizeof phone),
             "too short, empty, letters, ++, a '+' inside, 21 digits, LF, full-width refused");
    s_check (verbose, http_gateway_phone ("12345678901234567890", phone, sizeof phone)
                      && !http_gateway_phone ("13812345678", phone, 8),
             "20 digits taken; an output too small refused");

    //  The status table.
    const long ok_codes [] = { 200, 201, 202, 204 };
    const long retry_codes [] = { 0, 408, 425, 429, 500, 502, 503, 504 };
    const long refused_codes [] = { 100, 301, 302, 304, 400, 401, 403, 404, 410, 413, 422 };
    bool table = true;
    for (size_t i = 0; i < sizeof ok_codes / sizeof ok_codes [0]; i++)
        table &= s_classify (ok_codes [i]) == HTTP_GATEWAY_OK;
    for (size_t i = 0; i < sizeof retry_codes / sizeof retry_codes [0]; i++)
        table &= s_classify (retry_codes [i]) == HTTP_GATEWAY_RETRY;
    for (size_t i = 0; i < sizeof refused_codes / sizeof refused_codes [0]; i++)
        table &= s_classify (refused_codes [i]) == HTTP_GATEWAY_REFUSED;
    s_check (verbose, table,
             "2xx OK; 408, 425, 429, 5xx RETRY; 1xx, 3xx, other 4xx REFUSED");

    //  Header injection is refused before the network: the port is closed,
    //  so reaching it would say RETRY.
    http_gateway_cfg_t closed = { .url = "http://127.0.0.1:1/sms", .auth = "Bearer t", .timeout_ms = 2000 };
    long retry_after = -1;
    char err [300];
    http_gateway_result_t result = http_gateway_post (&closed, "n1\r\nX-Evil: 1", "{}",
                                                      &retry_after, err, sizeof err);
    s_check (verbose, result == HTTP_GATEWAY_REFUSED && strstr (err, "key")
                      && retry_after == 0,
             "CR/LF in the idempotency key: REFUSED before any network use");
    http_gateway_cfg_t evil = { .url = "http://127.0.0.1:1/sms", .auth = "Bearer t\nX-Evil: 1", .timeout_ms = 2000 };
    result = http_gateway_post (&evil, "n1", "{}", &retry_after, err, sizeof err);
    s_check (verbose, result == HTTP_GATEWAY_REFUSED && strstr (err, "Authorization"),
             "a LF in the Authorization value: REFUSED");
    result = http_gateway_post (&closed, "n1", "{}", &retry_after, err, sizeof err);
    s_check (verbose, result == HTTP_GATEWAY_RETRY && strncmp (err, "curl: ", 6) == 0,
             "a closed port (127.0.0.1:1): RETRY with a curl: error");
    if (verbose)
        printf ("       (%s)\n", err);

    //  Against a real socket: what goes out, and how the answer is read.
    s_server_t *server = calloc (1, sizeof *server);
    assert (server);
    json = http_gateway_sms_json ("+8613812345678", "已受理", "n7.sms", "C1");
    result = s_post_to (server, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: 22\r\nConnection: close\r\n\r\n"
                        "{\"ok\":true,\"id\":\"m1\"}\n", "Bearer s3cret", "n7.sms", json,
                        &retry_after, err, sizeof err);
    const char *req = server->request;
    const char *req_body = strstr (req, "\r\n\r\n");
    s_check (verbose, result == HTTP_GATEWAY_OK && *err == 0 && retry_after == 0
                      && strncmp (req, "POST /sms HTTP/1.1\r\n", 20) == 0
                      && strcasestr (req, "\r\nIdempotency-Key: n7.sms\r\n")
                      && strcasestr (req, "\r\nAuthorization: Bearer s3cret\r\n")
                      && strcasestr (req, "\r\nContent-Type: application/json; charset=utf-8\r\n")
                      && strcasestr (req, "\r\nAccept: application/json\r\n")
                      && !strcasestr (req, "\r\nExpect:")
                      && req_body && strcmp (req_body + 4, json) == 0,
             "200: OK; the request carries the headers and the JSON body as made");
    free (json);

    result = s_post_to (server, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\n"
                        "Content-Length: 17\r\nConnection: close\r\n\r\n"
                        "busy\r\nnow \xe5\xbf\x99  \r\n", "", "n8", "{}",
                        &retry_after, err, sizeof err);
    s_check (verbose, result == HTTP_GATEWAY_RETRY && retry_after == 7000
                      && strcmp (err, "HTTP 503: busy  now 忙") == 0
                      && !strcasestr (server->request, "\r\nAuthorization:"),
             "503 + Retry-After: 7: RETRY, 7000 ms, the answer on one line; no empty auth");
    if (verbose)
        printf ("       (%s)\n", err);

    result = s_post_to (server, "HTTP/1.1 429 Too Many\r\nRetry-After: 999999999999\r\n"
                        "Content-Length: 0\r\nConnection: close\r\n\r\n", "", "n9", "{}",
                        &retry_after, err, sizeof err);
    s_check (verbose, result == HTTP_GATEWAY_RETRY && retry_after == 3600 * 1000
                      && strcmp (err, "HTTP 429") == 0,
             "429 with a huge Retry-After: RETRY, capped at an hour");

    result = s_post_to (server, "HTTP/1.1 503 No\r\n"
                        "Retry-After: Wed, 21 Oct 2037 07:28:00 GMT\r\n"
                        "Content-Length: 0\r\nConnection: close\r\n\r\n", "", "n10", "{}",
                        &retry_after, err, sizeof err);
    s_check (verbose, result == HTTP_GATEWAY_RETRY && retry_after == 0,
             "a Retry-After date is ignored");

    //  A long refusal: the error keeps 200 bytes, cut between characters.
    char *big = NULL;
    size_t big_size = 0;
    FILE *stream = open_memstream (&big, &big_size);
    assert (stream);
    fprintf (stream, "HTTP/1.1 422 Unprocessable\r\nContent-Length: %d\r\n"
                     "Connection: close\r\n\r\nx", 1 + 3 * 2000);
    for (int i = 0; i < 2000; i++)
        fputs ("号", stream);
    fclose (stream);
    result = s_post_to (server, big, "", "n11", "{}", &retry_after, err, sizeof err);
    const char *reason = strstr (err, ": ");
    s_check (verbose, result == HTTP_GATEWAY_REFUSED && strncmp (err, "HTTP 422: x号", 14) == 0
                      && reason && strlen (reason + 2) == 199
                      && proto_utf8_valid (err, strlen (err)),
             "422 with a 6 KB answer: REFUSED, 200 bytes kept, valid UTF-8");
    free (big);

    result = s_post_to (server, "HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:1/\r\n"
                        "Content-Length: 0\r\nConnection: close\r\n\r\n", "", "n12", "{}",
                        &retry_after, err, sizeof err);
    s_check (verbose, result == HTTP_GATEWAY_REFUSED && strcmp (err, "HTTP 301") == 0,
             "301: REFUSED, the redirect not followed");

    result = s_post_to (server, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
                        "", "n13", "{}", &retry_after, err, sizeof err);
    s_check (verbose, result == HTTP_GATEWAY_RETRY && strncmp (err, "curl: ", 6) == 0,
             "an answer cut short: RETRY (curl error), even after a 200");
    free (server);

    return selftest_tally_end (&s_tally, verbose, NULL, passed);
}
