/*  mail_message.c — one RFC 5322 message read for the e-mail adapter:
 *  headers, body text, attachments as evidence, and a verdict.
 *
 *  What it is for. The mail daemon (next change: Maildir, LMTP, spool,
 *  Lazy Pirate submit) hands every message it accepts to
 *  mail_message_parse() and acts on the verdict: submit a complaint, record
 *  a reply on its case, drop an automatic message, quarantine an
 *  unparsable one with the reason. `mail --parse FILE` prints the same
 *  result as JSON, which is how the corpus in tests/data/mail/ is checked.
 *
 *  How it works, in the order the code runs:
 *   1. Raw checks before GMime sees anything: the size limit, then the
 *      header section line by line — it must end in an empty line (else
 *      the message was cut: truncated_headers) and each line must be a
 *      field ("Name:") or a fold (else the body started without the blank
 *      line, or the file is no mail: malformed_header). GMime would accept
 *      both quietly and guess; a bank's record must not be a guess.
 *   2. GMime builds the MIME tree (loose RFC 2047, raw 8-bit headers read
 *      as UTF-8, else GB18030 — what Chinese mailers send undeclared).
 *   3. The headers that matter are copied out, decoded to UTF-8.
 *   4. Automatic mail is recognised from headers alone (Auto-Submitted,
 *      Precedence, List-*, null / MAILER-DAEMON / postmaster sender, a
 *      multipart/report), BEFORE anything else: an out-of-office answer to
 *      our receipt quotes the complaint number and our Message-ID, and must
 *      still never count as the customer's reply — nor be quarantined for
 *      a strange charset: it is dropped either way.
 *   5. The tree is walked, bounded by parts, depth and attachment limits.
 *      multipart/alternative: text/plain wins, else text/html (converted),
 *      else its first multipart. Inline text parts are the body (in
 *      order); everything else is an attachment: decoded, measured,
 *      hashed (SHA-256, libsodium) — evidence metadata, the bytes stay in
 *      the spooled message. One over max_attachment is listed as
 *      over_limit (the case records it as not kept), never a refusal.
 *      A multipart whose closing boundary is missing means the message
 *      was cut (truncated).
 *   6. Body text: transfer encoding undone by GMime (base64 checked for
 *      stray characters first: GMime's decoder skips them silently), then
 *      the declared charset converted to UTF-8 with iconv, strictly — one
 *      invalid byte and the message is quarantined rather than stored with
 *      replacement characters nobody can undo. GB2312 and GBK are read as
 *      GB18030 (their superset: mailers label GBK text "gb2312" all the
 *      time), Big5 as CP950 then Big5-HKSCS. Undeclared 8-bit text is
 *      accepted only when it is valid UTF-8.
 *   7. Reply or complaint: a valid complaint number (Damm check, proto/
 *      complaint_no.h) in the Subject, else In-Reply-To / References
 *      naming a notifier Message-ID (<nID.SEQ.NO.HEX@complaints.local>,
 *      migration 025: NO is the case; <nID.SEQ@complaints.local> before
 *      it) makes a reply; anything else that got
 *      this far is a new complaint.
 *
 *  The parser never logs: a message is the customer's identity and words
 *  (common/privacy.h); the caller logs the verdict's code and field only.
 */
#include "mail_message.h"
#include "complaint_no.h"

#include <ctype.h>
#include <errno.h>
#include <gmime/gmime.h>
#include <iconv.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAIL_MAX_REFERENCES 64      /* ids kept from References: */
#define NOTIFIER_DOMAIN     "@complaints.local"

mail_limits_t
mail_limits_default (void)
{
    return (mail_limits_t) {
        .max_message     = 10 * 1024 * 1024,
        .max_body        = PROTO_MAX_BODY,
        .max_attachment  = 8 * 1024 * 1024,
        .max_parts       = 64,
        .max_depth       = 8,
        .max_attachments = 20,
    };
}

const char *
mail_message_kind_name (mail_kind_t kind)
{
    switch (kind) {
        case MAIL_COMPLAINT:  return "complaint";
        case MAIL_REPLY:      return "reply";
        case MAIL_AUTOMATIC:  return "automatic";
        case MAIL_UNPARSABLE: return "unparsable";
    }
    return "unknown";
}

//  --------------------------------------------------------------------------
//  Small helpers

static void *
s_alloc (size_t size)
{
    void *p = calloc (1, size ? size : 1);
    if (!p)
        abort ();                   /* out of memory: as czmq's zmalloc */
    return p;
}

static char *
s_strdup (const char *s)
{
    if (!s)
        return NULL;
    char *copy = strdup (s);
    if (!copy)
        abort ();
    return copy;
}

//  A copy that is valid UTF-8 with no NUL or other C0 control but tab and
//  newline: header values end up in JSON, the store and a reply subject.
static char *
s_clean_dup (const char *s)
{
    if (!s)
        return NULL;
    char *valid = g_utf8_make_valid (s, -1);
    char *out = s_alloc (strlen (valid) + 1);
    size_t n = 0;
    for (const char *p = valid; *p; p++) {
        unsigned char c = (unsigned char) *p;
        if (c < 0x20 && c != '\t' && c != '\n')
            continue;
        out [n++] = (char) c;
    }
    out [n] = 0;
    g_free (valid);
    //  Trim the white space folding and decoding leave at either end.
    char *start = out;
    while (*start == ' ' || *start == '\t' || *start == '\n')
        start++;
    size_t len = strlen (start);
    while (len > 0 && (start [len - 1] == ' ' || start [len - 1] == '\t'
                       || start [len - 1] == '\n'))
        len--;
    memmove (out, start, len);
    out [len] = 0;
    return out;
}

static int
s_refuse (mail_message_t *self, const char *code, const char *field, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Mark the message unparsable. The first refusal wins: it is the cause,
//  whatever follows from it.
static int
s_refuse (mail_message_t *self, const char *code, const char *field, const char *fmt, ...)
{
    if (self->kind == MAIL_UNPARSABLE)
        return -1;
    self->kind = MAIL_UNPARSABLE;
    self->code = code;
    snprintf (self->field, sizeof self->field, "%s", field);
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->reason, sizeof self->reason, fmt, args);
    va_end (args);
    return -1;
}

static void
s_verdict (mail_message_t *self, mail_kind_t kind, const char *code, const char *field,
           const char *reason)
{
    self->kind = kind;
    self->code = code;
    snprintf (self->field, sizeof self->field, "%s", field);
    snprintf (self->reason, sizeof self->reason, "%s", reason);
}

//  --------------------------------------------------------------------------
//  1. The header section, before GMime

static bool
s_field_line (const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && line [i] > 32 && line [i] < 127 && line [i] != ':')
        i++;
    return i > 0 && i < len && line [i] == ':';
}

//  Returns the offset where GMime should start (past an mbox "From " line),
//  or -1 with self refused.
static long
s_check_header_section (mail_message_t *self, const char *data, size_t size)
{
    size_t pos = 0, start = 0;
    int line_no = 0;
    while (pos < size) {
        const char *nl = memchr (data + pos, '\n', size - pos);
        size_t end = nl ? (size_t) (nl - data) : size;
        size_t len = end - pos;
        if (len > 0 && data [pos + len - 1] == '\r')
            len--;
        line_no++;
        if (len == 0) {
            if (line_no == 1)
                return s_refuse (self, MAIL_E_MALFORMED_HEADER, "headers",
                                 "the message starts with an empty line: it has no header section");
            if (!nl || end + 1 >= size)
                break;                          /* headers, then nothing: no body */
            return (long) start;
        }
        if (line_no == 1 && len >= 5 && memcmp (data + pos, "From ", 5) == 0)
            start = end + 1;                    /* an mbox separator line */
        else if (data [pos] == ' ' || data [pos] == '\t') {
            if (line_no == 1 || (line_no == 2 && start > 0))
                return s_refuse (self, MAIL_E_MALFORMED_HEADER, "headers",
                                 "line 1 is a continuation with no header field before it");
        }
        else if (!s_field_line (data + pos, len)) {
            if (!nl)
                break;                          /* the last line, cut mid-name */
            char field [32];
            snprintf (field, sizeof field, "line %d", line_no);
            return s_refuse (self, MAIL_E_MALFORMED_HEADER, field,
                             "line %d is neither a header field nor a continuation: "
                             "the body must follow an empty line", line_no);
        }
        if (!nl)
            break;
        pos = end + 1;
    }
    //  Ran out of input inside the header section, or right after it.
    bool ends_blank = size >= 2 && data [size - 1] == '\n'
                      && (data [size - 2] == '\n'
                          || (size >= 3 && data [size - 2] == '\r' && data [size - 3] == '\n'));
    if (ends_blank)
        return s_refuse (self, MAIL_E_NO_BODY, "body", "the message has headers and no body");
    return s_refuse (self, MAIL_E_TRUNCATED_HEADERS, "headers",
                     "the message ends inside its header section, without the empty line "
                     "before the body: it was cut short");
}

//  --------------------------------------------------------------------------
//  Charsets

//  The iconv names to try for a declared charset, most likely first.
static void
s_charset_candidates (const char *declared, const char *out [3])
{
    out [0] = out [1] = out [2] = NULL;
    if (!strcasecmp (declared, "gb2312") || !strcasecmp (declared, "gbk")
    ||  !strcasecmp (declared, "x-gbk") || !strcasecmp (declared, "cp936")
    ||  !strcasecmp (declared, "euc-cn") || !strcasecmp (declared, "csgb2312")
    ||  !strcasecmp (declared, "gb18030") || !strcasecmp (declared, "windows-936"))
        out [0] = "GB18030";
    else
    if (!strcasecmp (declared, "big5") || !strcasecmp (declared, "x-big5")
    ||  !strcasecmp (declared, "cp950") || !strcasecmp (declared, "big5-hkscs")
    ||  !strcasecmp (declared, "cn-big5")) {
        out [0] = "CP950";
        out [1] = "BIG5-HKSCS";
    }
    else
        out [0] = declared;
}

//  Strict conversion to UTF-8: 0 and a new NUL-terminated buffer, -1 on an
//  unknown charset (*unknown true) or a byte sequence invalid in it.
static int
s_iconv_strict (const char *charset, const char *in, size_t in_len, char **out, size_t *out_len,
                bool *unknown)
{
    iconv_t cd = iconv_open ("UTF-8", charset);
    if (cd == (iconv_t) -1) {
        *unknown = true;
        return -1;
    }
    size_t cap = in_len * 4 + 16;       /* any charset to UTF-8: at most 4 bytes a byte */
    char *buf = s_alloc (cap);
    char *src = (char *) in, *dst = buf;
    size_t src_left = in_len, dst_left = cap - 1;
    size_t rc = iconv (cd, &src, &src_left, &dst, &dst_left);
    int result = 0;
    if (rc == (size_t) -1)
        result = -1;                    /* EILSEQ, EINVAL (cut sequence), E2BIG cannot happen */
    else if (iconv (cd, NULL, NULL, &dst, &dst_left) == (size_t) -1)
        result = -1;
    iconv_close (cd);
    if (result) {
        free (buf);
        return -1;
    }
    *dst = 0;
    *out = buf;
    *out_len = (size_t) (dst - buf);
    return 0;
}

static bool
s_all_ascii (const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s [i] >= 0x80)
            return false;
    return true;
}

//  Bytes of a text part -> UTF-8 text (new buffer), or NULL with self refused.
//  `what` names the part in the reason.
static char *
s_text_to_utf8 (mail_message_t *self, const char *charset, const char *bytes, size_t len,
                const char *what)
{
    char *text = NULL;
    if (!bytes)
        bytes = "";                     /* an empty part: GLib gives no buffer */
    bool ascii_label = !charset || !*charset || !strcasecmp (charset, "us-ascii")
                       || !strcasecmp (charset, "ascii");
    if (ascii_label || !strcasecmp (charset, "utf-8") || !strcasecmp (charset, "utf8")) {
        if (!g_utf8_validate (bytes, (gssize) len, NULL) || memchr (bytes, 0, len)) {
            //  NUL bytes aside, invalid UTF-8 it is.
            bool has_nul_only = false;
            if (memchr (bytes, 0, len)) {
                //  Text with NULs: drop them and look again.
                char *copy = s_alloc (len + 1);
                size_t n = 0;
                for (size_t i = 0; i < len; i++)
                    if (bytes [i])
                        copy [n++] = bytes [i];
                if (g_utf8_validate (copy, (gssize) n, NULL)) {
                    copy [n] = 0;
                    text = copy;
                    has_nul_only = true;
                }
                else
                    free (copy);
            }
            if (!has_nul_only) {
                if (ascii_label)
                    s_refuse (self, MAIL_E_UNDECLARED_8BIT, what,
                              "the %s has 8-bit bytes that are not UTF-8 and declares no charset",
                              what);
                else
                    s_refuse (self, MAIL_E_UNDECODABLE, what,
                              "the %s is declared UTF-8 but holds bytes that are not UTF-8", what);
                return NULL;
            }
        }
        else {
            text = s_alloc (len + 1);
            memcpy (text, bytes, len);
        }
        return text;
    }
    if (s_all_ascii (bytes, len) && strncasecmp (charset, "utf-", 4) != 0) {
        //  Plain ASCII under any ASCII-compatible label: nothing to convert.
        text = s_alloc (len + 1);
        memcpy (text, bytes, len);
        return text;
    }
    const char *candidates [3];
    s_charset_candidates (charset, candidates);
    bool unknown = false;
    size_t text_len = 0;
    for (int i = 0; i < 3 && candidates [i]; i++) {
        bool this_unknown = false;
        if (s_iconv_strict (candidates [i], bytes, len, &text, &text_len, &this_unknown) == 0)
            break;
        unknown = this_unknown;
        text = NULL;
    }
    if (!text) {
        if (unknown)
            s_refuse (self, MAIL_E_UNDECODABLE, what, "the %s's charset \"%.40s\" is not one we can read",
                      what, charset);
        else
            s_refuse (self, MAIL_E_UNDECODABLE, what,
                      "the %s holds bytes that are not valid %.40s", what, charset);
        return NULL;
    }
    //  iconv turns a NUL into a NUL: take them out, the store refuses them.
    size_t n = 0;
    for (size_t i = 0; i < text_len; i++)
        if (text [i])
            text [n++] = text [i];
    text [n] = 0;
    return text;
}

//  --------------------------------------------------------------------------
//  HTML to text

typedef struct {
    const char *name;
    const char *utf8;
} s_entity_t;

static const s_entity_t s_entities [] = {
    { "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
    { "nbsp", " " }, { "ldquo", "\u201c" }, { "rdquo", "\u201d" }, { "lsquo", "\u2018" },
    { "rsquo", "\u2019" }, { "mdash", "\u2014" }, { "ndash", "\u2013" },
    { "hellip", "\u2026" }, { "yen", "\u00a5" }, { "copy", "\u00a9" }, { "middot", "\u00b7" },
    { "times", "\u00d7" }, { "emsp", " " }, { "ensp", " " }, { "reg", "\u00ae" },
    { NULL, NULL }
};

//  Decode one entity at s (after '&'); appends to out and returns the bytes
//  consumed after '&', or 0 when it is no entity (the '&' stays as text).
static size_t
s_html_entity (const char *s, size_t left, GString *out)
{
    const char *semi = memchr (s, ';', left < 12 ? left : 12);
    if (!semi)
        return 0;
    size_t len = (size_t) (semi - s);
    if (len >= 2 && s [0] == '#') {
        char digits [12];
        memcpy (digits, s + 1, len - 1);
        digits [len - 1] = 0;
        char *end;
        unsigned long cp = (digits [0] == 'x' || digits [0] == 'X')
                           ? strtoul (digits + 1, &end, 16) : strtoul (digits, &end, 10);
        if (*end || end == digits || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        if (cp == 0xA0)
            cp = ' ';
        if (cp < 0x20 && cp != '\t' && cp != '\n')
            return len + 1;             /* a control character: dropped */
        g_string_append_unichar (out, (gunichar) cp);
        return len + 1;
    }
    for (const s_entity_t *e = s_entities; e->name; e++)
        if (strlen (e->name) == len && memcmp (e->name, s, len) == 0) {
            g_string_append (out, e->utf8);
            return len + 1;
        }
    return 0;
}

//  Does the tag at s (after '<', optional '/') have this name?
static bool
s_tag_is (const char *s, size_t left, const char *name)
{
    size_t n = strlen (name);
    return left > n && strncasecmp (s, name, n) == 0
        && (s [n] == '>' || s [n] == '/' || isspace ((unsigned char) s [n]));
}

//  Case-insensitive search for `needle` in s[0..left).
static const char *
s_find_ci (const char *s, size_t left, const char *needle)
{
    size_t n = strlen (needle);
    for (size_t i = 0; i + n <= left; i++)
        if (strncasecmp (s + i, needle, n) == 0)
            return s + i;
    return NULL;
}

//  Add a line break, at most `max` in a row (1: line, 2: paragraph).
static void
s_break (GString *out, int max)
{
    //  Trailing spaces before a break mean nothing.
    while (out->len > 0 && out->str [out->len - 1] == ' ')
        g_string_truncate (out, out->len - 1);
    if (out->len == 0)
        return;
    int have = 0;
    for (size_t i = out->len; i > 0 && out->str [i - 1] == '\n'; i--)
        have++;
    while (have < max) {
        g_string_append_c (out, '\n');
        have++;
    }
}

//  Readable text from HTML (UTF-8 in, UTF-8 out): scripts, styles, the
//  head and comments dropped; block tags as line or paragraph breaks,
//  list items as "- "; white space collapsed as a browser does; entities
//  decoded. Not a renderer — enough that a handler reads what the customer
//  wrote. Linear in the input.
static char *
s_html_to_text (const char *html, size_t len)
{
    static const char *paragraph [] = { "p", "div", "h1", "h2", "h3", "h4", "h5", "h6",
                                        "table", "ul", "ol", "blockquote", "pre", "section",
                                        "article", "header", "footer", "hr", NULL };
    static const char *line [] = { "br", "tr", "dt", "dd", NULL };
    static const char *skip [] = { "script", "style", "head", "title", "noscript", NULL };
    GString *out = g_string_sized_new (len / 2 + 16);
    size_t i = 0;
    while (i < len) {
        char c = html [i];
        if (c == '<') {
            const char *s = html + i + 1;
            size_t left = len - i - 1;
            if (left >= 3 && memcmp (s, "!--", 3) == 0) {
                const char *end = s_find_ci (s + 3, left - 3, "-->");
                i = end ? (size_t) (end - html) + 3 : len;
                continue;
            }
            bool closing = left > 0 && *s == '/';
            const char *name = closing ? s + 1 : s;
            size_t name_left = closing ? left - 1 : left;
            const char *gt = memchr (s, '>', left);
            if (!gt) {
                i = len;                /* a tag cut short: the rest is markup */
                break;
            }
            bool skipped = false;
            for (int k = 0; !closing && skip [k]; k++)
                if (s_tag_is (name, name_left, skip [k])) {
                    char end_tag [16];
                    snprintf (end_tag, sizeof end_tag, "</%s", skip [k]);
                    const char *end = s_find_ci (gt, (size_t) (html + len - gt), end_tag);
                    const char *end_gt = end ? memchr (end, '>', (size_t) (html + len - end)) : NULL;
                    i = end_gt ? (size_t) (end_gt - html) + 1 : len;
                    skipped = true;
                    break;
                }
            if (skipped)
                continue;
            for (int k = 0; paragraph [k]; k++)
                if (s_tag_is (name, name_left, paragraph [k]))
                    s_break (out, 2);
            for (int k = 0; line [k]; k++)
                if (s_tag_is (name, name_left, line [k]))
                    s_break (out, 1);
            if (!closing && s_tag_is (name, name_left, "li")) {
                s_break (out, 1);
                g_string_append (out, "- ");
            }
            if (s_tag_is (name, name_left, "td") || s_tag_is (name, name_left, "th"))
                if (out->len && out->str [out->len - 1] != '\n' && out->str [out->len - 1] != ' ')
                    g_string_append_c (out, ' ');
            i = (size_t) (gt - html) + 1;
            continue;
        }
        if (c == '&') {
            size_t used = s_html_entity (html + i + 1, len - i - 1, out);
            if (used) {
                i += used + 1;
                continue;
            }
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            if (out->len && out->str [out->len - 1] != ' ' && out->str [out->len - 1] != '\n')
                g_string_append_c (out, ' ');
            i++;
            continue;
        }
        g_string_append_c (out, c);
        i++;
    }
    s_break (out, 0);
    while (out->len && (out->str [out->len - 1] == '\n' || out->str [out->len - 1] == ' '))
        g_string_truncate (out, out->len - 1);
    char *text = s_strdup (out->str);
    g_string_free (out, TRUE);
    return text;
}

//  --------------------------------------------------------------------------
//  5. The MIME tree

typedef struct {
    mail_message_t *msg;
    const mail_limits_t *limits;
    const char *raw;                /* the whole message, for boundary checks */
    size_t raw_size;
    GString *plain;                 /* inline text/plain parts, in order */
    GString *html;                  /* the first inline text/html, converted */
    char *plain_charset, *html_charset;
    GPtrArray *attachments;         /* mail_attachment_t * */
} s_walk_t;

//  The bytes of a part's content: transfer encoding undone (decode) or as
//  they are in the message. New GByteArray, never NULL.
static GByteArray *
s_part_bytes (GMimePart *part, bool decode)
{
    GMimeStream *mem = g_mime_stream_mem_new ();
    GMimeDataWrapper *content = g_mime_part_get_content (part);
    if (content) {
        if (decode)
            g_mime_data_wrapper_write_to_stream (content, mem);
        else {
            GMimeStream *raw = g_mime_data_wrapper_get_stream (content);
            if (raw) {
                g_mime_stream_reset (raw);
                g_mime_stream_write_to_stream (raw, mem);
                g_mime_stream_reset (raw);
            }
        }
    }
    GByteArray *src = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
    GByteArray *copy = g_byte_array_sized_new (src->len);
    g_byte_array_append (copy, src->data, src->len);
    g_object_unref (mem);
    return copy;
}

//  Base64 as RFC 2045 allows it: the alphabet, line breaks, and '=' only
//  as padding at the end. GMime's decoder drops anything else without a
//  word, so a corrupted body would come out shorter and wrong.
static bool
s_base64_sane (const guint8 *data, size_t len)
{
    size_t symbols = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        guint8 c = data [i];
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            return false;               /* data after padding */
        if (!(isalnum (c) || c == '+' || c == '/'))
            return false;
        symbols++;
    }
    return pad <= 2 && (symbols + pad) % 4 == 0;
}

static char *
s_content_type_text (GMimeObject *object)
{
    GMimeContentType *ct = g_mime_object_get_content_type (object);
    if (!ct)
        return s_strdup ("application/octet-stream");
    char *mime = g_mime_content_type_get_mime_type (ct);
    char *lower = g_ascii_strdown (mime, -1);
    char *out = s_clean_dup (lower);
    g_free (mime);
    g_free (lower);
    return out;
}

static int
s_add_attachment (s_walk_t *w, const char *filename, const char *content_type,
                  const guint8 *data, size_t size)
{
    if ((int) w->attachments->len >= w->limits->max_attachments)
        return s_refuse (w->msg, MAIL_E_TOO_MANY_ATTACHMENTS, "attachments",
                         "the message has more than %d attachments", w->limits->max_attachments);
    mail_attachment_t *a = s_alloc (sizeof *a);
    /* issue 16 (i16-mailev): an attachment over the limit no longer makes
     * the message unparsable: the complaint goes in, and the attachment is
     * recorded on the case as not kept, with the reason (mail_evidence.h). */
    a->over_limit = size > w->limits->max_attachment;
    a->filename = s_clean_dup (filename ? filename : "");
    a->content_type = s_strdup (content_type);
    a->size = size;
    unsigned char hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, data, size);
    sodium_bin2hex (a->sha256, sizeof a->sha256, hash, sizeof hash);
    if (w->limits->keep_attachments && !a->over_limit) {
        a->data = s_alloc (size ? size : 1);
        memcpy (a->data, data, size);
    }
    g_ptr_array_add (w->attachments, a);
    return 0;
}

static int s_walk (s_walk_t *w, GMimeObject *object, int depth);

static int
s_walk_leaf (s_walk_t *w, GMimePart *part)
{
    GMimeObject *object = GMIME_OBJECT (part);
    GMimeContentType *ct = g_mime_object_get_content_type (object);
    GMimeContentDisposition *cd = g_mime_object_get_content_disposition (object);
    bool attachment = cd && g_mime_content_disposition_is_attachment (cd);
    bool plain = ct && g_mime_content_type_is_type (ct, "text", "plain");
    bool html = ct && g_mime_content_type_is_type (ct, "text", "html");
    GMimeDataWrapper *content = g_mime_part_get_content (part);
    if (content && g_mime_data_wrapper_get_encoding (content) == GMIME_CONTENT_ENCODING_BASE64) {
        GByteArray *raw = s_part_bytes (part, false);
        bool sane = s_base64_sane (raw->data, raw->len);
        g_byte_array_unref (raw);
        if (!sane)
            return s_refuse (w->msg, MAIL_E_BAD_ENCODING, (plain || html) && !attachment ? "body" : "attachment",
                             "a base64 part holds characters outside base64 or is cut "
                             "mid-group: its content cannot be decoded faithfully");
    }
    GByteArray *bytes = s_part_bytes (part, true);
    int rc = 0;
    if (!attachment && (plain || (html && !w->html))) {
        const char *charset = ct ? g_mime_content_type_get_parameter (ct, "charset") : NULL;
        char meta_charset [41] = "";
        if (html && (!charset || !*charset)) {
            //  An HTML part may say its charset only in a <meta> tag.
            size_t look = bytes->len < 2048 ? bytes->len : 2048;
            const char *at = s_find_ci ((const char *) bytes->data, look, "charset=");
            if (at) {
                at += 8;
                while (*at == '"' || *at == '\'')
                    at++;
                size_t n = 0;
                while (n < 40 && (size_t) (at - (const char *) bytes->data) + n < look
                       && (isalnum ((unsigned char) at [n]) || at [n] == '-' || at [n] == '_'))
                    n++;
                memcpy (meta_charset, at, n);
                meta_charset [n] = 0;
                if (n)
                    charset = meta_charset;
            }
        }
        char *text = s_text_to_utf8 (w->msg, charset, (const char *) bytes->data, bytes->len,
                                     "body");
        if (!text)
            rc = -1;
        else if (plain) {
            if (w->plain->len)
                g_string_append (w->plain, "\n\n");
            g_string_append (w->plain, text);
            if (!w->plain_charset)
                w->plain_charset = g_ascii_strdown (charset && *charset ? charset : "us-ascii", -1);
        }
        else {
            char *converted = s_html_to_text (text, strlen (text));
            w->html = g_string_new (converted);
            w->html_charset = g_ascii_strdown (charset && *charset ? charset : "us-ascii", -1);
            free (converted);
        }
        free (text);
    }
    else {
        char *type = s_content_type_text (object);
        rc = s_add_attachment (w, g_mime_part_get_filename (part), type, bytes->data, bytes->len);
        free (type);
    }
    g_byte_array_unref (bytes);
    return rc;
}

//  multipart/alternative: the part to read, by preference.
static GMimeObject *
s_pick_alternative (GMimeMultipart *multipart)
{
    int count = g_mime_multipart_get_count (multipart);
    GMimeObject *html = NULL, *nested = NULL;
    for (int i = 0; i < count; i++) {
        GMimeObject *child = g_mime_multipart_get_part (multipart, i);
        GMimeContentType *ct = g_mime_object_get_content_type (child);
        if (GMIME_IS_PART (child) && ct && g_mime_content_type_is_type (ct, "text", "plain"))
            return child;
        if (!html && GMIME_IS_PART (child) && ct && g_mime_content_type_is_type (ct, "text", "html"))
            html = child;
        if (!nested && GMIME_IS_MULTIPART (child))
            nested = child;
    }
    return html ? html : nested;
}

static int
s_walk (s_walk_t *w, GMimeObject *object, int depth)
{
    if (++w->msg->n_parts > w->limits->max_parts)
        return s_refuse (w->msg, MAIL_E_TOO_MANY_PARTS, "parts",
                         "the message has more than %d MIME parts", w->limits->max_parts);
    if (depth > w->limits->max_depth)
        return s_refuse (w->msg, MAIL_E_TOO_DEEP, "depth",
                         "MIME parts are nested more than %d deep", w->limits->max_depth);
    if (GMIME_IS_MULTIPART (object)) {
        GMimeMultipart *multipart = GMIME_MULTIPART (object);
        const char *boundary = g_mime_multipart_get_boundary (multipart);
        if (boundary && *boundary) {
            //  The closing delimiter "--boundary--" must be in the message:
            //  without it the message was cut inside this multipart.
            size_t n = strlen (boundary);
            char *closing = s_alloc (n + 5);
            snprintf (closing, n + 5, "--%s--", boundary);
            bool found = memmem (w->raw, w->raw_size, closing, n + 4) != NULL;
            free (closing);
            if (!found)
                return s_refuse (w->msg, MAIL_E_TRUNCATED, "body",
                                 "a multipart has no closing boundary: the message was cut short");
        }
        GMimeContentType *ct = g_mime_object_get_content_type (object);
        if (ct && g_mime_content_type_is_type (ct, "multipart", "alternative")) {
            GMimeObject *pick = s_pick_alternative (multipart);
            //  The other alternatives are the same words again: not evidence.
            return pick ? s_walk (w, pick, depth + 1) : 0;
        }
        int count = g_mime_multipart_get_count (multipart);
        for (int i = 0; i < count; i++)
            if (s_walk (w, g_mime_multipart_get_part (multipart, i), depth + 1))
                return -1;
        return 0;
    }
    if (GMIME_IS_MESSAGE_PART (object)) {
        //  A forwarded message is evidence as a whole, kept as bytes.
        GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));
        GMimeStream *mem = g_mime_stream_mem_new ();
        if (inner)
            g_mime_object_write_to_stream (GMIME_OBJECT (inner), NULL, mem);
        GByteArray *bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
        char *type = s_content_type_text (object);
        const char *name = g_mime_object_get_content_disposition_parameter (object, "filename");
        int rc = s_add_attachment (w, name, type, bytes->data, bytes->len);
        free (type);
        g_object_unref (mem);
        return rc;
    }
    if (GMIME_IS_PART (object))
        return s_walk_leaf (w, GMIME_PART (object));
    return 0;
}

//  --------------------------------------------------------------------------
//  3, 4, 7. Headers and verdicts

static const char *
s_header (GMimeMessage *message, const char *name)
{
    return g_mime_object_get_header (GMIME_OBJECT (message), name);
}

//  Is this Message-ID one the notifier sent? "nDIGITS.DIGITS@complaints.local"
//  (before migration 025), or "nDIGITS.DIGITS.NO.HEX@complaints.local": then
//  `no` (may be NULL) gets the case's number when its check digit is right,
//  else stays "".
static bool
s_notifier_id_no (const char *id, char no [COMPLAINT_NO_SIZE])
{
    if (no)
        no [0] = 0;
    if (!id || id [0] != 'n' || !isdigit ((unsigned char) id [1]))
        return false;
    const char *p = id + 1;
    while (isdigit ((unsigned char) *p))
        p++;
    if (*p++ != '.' || !isdigit ((unsigned char) *p))
        return false;
    while (isdigit ((unsigned char) *p))
        p++;
    if (*p == '.') {
        const char *start = ++p;
        while (isdigit ((unsigned char) *p))
            p++;
        size_t len = (size_t) (p - start);
        if (*p++ != '.' || !isxdigit ((unsigned char) *p))
            return false;
        while (isxdigit ((unsigned char) *p))
            p++;
        proto_error_t err = { 0 };
        if (len >= 15 && len < COMPLAINT_NO_SIZE && no
        &&  complaint_no_check (start, len, "In-Reply-To", &err) == 0) {
            memcpy (no, start, len);
            no [len] = 0;
        }
    }
    if (strcasecmp (p, NOTIFIER_DOMAIN) != 0) {
        if (no)
            no [0] = 0;
        return false;
    }
    return true;
}

//  The first run of 15..28 digits in `s` that is a valid complaint number
//  (a run longer than a number is someone's account: not a match).
//  Full-width digits (０-９, what a Chinese input method types) count as
//  digits: the subject is first copied with those as ASCII and every other
//  non-ASCII character as a space.
static bool
s_subject_number (const char *subject, char out [COMPLAINT_NO_SIZE])
{
    if (!subject)
        return false;
    char *s = s_alloc (strlen (subject) + 1);
    size_t n = 0;
    for (const char *q = subject; *q; q = g_utf8_next_char (q)) {
        gunichar c = g_utf8_get_char (q);
        s [n++] = c < 0x80 ? (char) c : c >= 0xFF10 && c <= 0xFF19 ? (char) ('0' + (c - 0xFF10)) : ' ';
    }
    s [n] = 0;
    bool found = false;
    const char *p = s;
    while (*p) {
        if (!isdigit ((unsigned char) *p)) {
            p++;
            continue;
        }
        const char *start = p;
        while (isdigit ((unsigned char) *p))
            p++;
        size_t len = (size_t) (p - start);
        proto_error_t err;
        if (len >= COMPLAINT_NO_MIN_LEN && len <= COMPLAINT_NO_MAX_LEN
            && complaint_no_check (start, len, "subject", &err) == 0) {
            memcpy (out, start, len);
            out [len] = 0;
            found = true;
            break;
        }
    }
    free (s);
    return found;
}

static bool
s_local_part_is (const char *addr, const char *local)
{
    size_t n = strlen (local);
    return addr && strncasecmp (addr, local, n) == 0 && (addr [n] == '@' || addr [n] == 0);
}

static void
s_read_addresses (mail_message_t *self, GMimeMessage *message)
{
    InternetAddressList *from = g_mime_message_get_from (message);
    int n = from ? internet_address_list_length (from) : 0;
    for (int i = 0; i < n && !self->from_addr; i++) {
        InternetAddress *ia = internet_address_list_get_address (from, i);
        if (!INTERNET_ADDRESS_IS_MAILBOX (ia))
            continue;
        const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
        if (!addr || !strchr (addr, '@'))
            continue;                   /* no domain: nowhere to answer */
        self->from_addr = s_clean_dup (addr);
        const char *name = internet_address_get_name (ia);
        if (name && *name)
            self->from_name = s_clean_dup (name);
    }
    InternetAddressList *to = g_mime_message_get_to (message);
    n = to ? internet_address_list_length (to) : 0;
    GString *joined = g_string_new ("");
    for (int i = 0; i < n && joined->len < 1024; i++) {
        InternetAddress *ia = internet_address_list_get_address (to, i);
        if (!INTERNET_ADDRESS_IS_MAILBOX (ia))
            continue;
        const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
        if (!addr || !*addr)
            continue;
        if (joined->len)
            g_string_append (joined, ", ");
        g_string_append (joined, addr);
    }
    if (joined->len)
        self->to = s_clean_dup (joined->str);
    g_string_free (joined, TRUE);
}

static void
s_read_ids (mail_message_t *self, GMimeMessage *message, GMimeParserOptions *options)
{
    const char *id = g_mime_message_get_message_id (message);
    if (id && *id)
        self->message_id = s_clean_dup (id);
    const char *irt = s_header (message, "In-Reply-To");
    if (irt) {
        GMimeReferences *refs = g_mime_references_parse (options, irt);
        if (refs && g_mime_references_length (refs) > 0)
            self->in_reply_to = s_clean_dup (g_mime_references_get_message_id (refs, 0));
        if (refs)
            g_mime_references_free (refs);
    }
    const char *references = s_header (message, "References");
    if (references) {
        GMimeReferences *refs = g_mime_references_parse (options, references);
        int n = refs ? g_mime_references_length (refs) : 0;
        //  The newest ids are last; keep those when there are too many.
        int first = n > MAIL_MAX_REFERENCES ? n - MAIL_MAX_REFERENCES : 0;
        if (n > first) {
            self->references = s_alloc (sizeof (char *) * (size_t) (n - first));
            for (int i = first; i < n; i++)
                self->references [self->n_references++] =
                    s_clean_dup (g_mime_references_get_message_id (refs, i));
        }
        if (refs)
            g_mime_references_free (refs);
    }
}

//  4. Automatic mail, from the headers. True with the verdict set.
static bool
s_automatic (mail_message_t *self, GMimeMessage *message)
{
    const char *auto_submitted = s_header (message, "Auto-Submitted");
    if (auto_submitted) {
        char value [32];
        snprintf (value, sizeof value, "%.*s", (int) strcspn (auto_submitted, " \t;("),
                  auto_submitted + strspn (auto_submitted, " \t"));
        if (*value && strcasecmp (value, "no") != 0) {
            s_verdict (self, MAIL_AUTOMATIC, MAIL_WHY_AUTO_SUBMITTED, "Auto-Submitted",
                       "Auto-Submitted says a program sent it (RFC 3834): not a complaint");
            return true;
        }
    }
    const char *precedence = s_header (message, "Precedence");
    if (precedence) {
        const char *p = precedence + strspn (precedence, " \t");
        if (!strncasecmp (p, "bulk", 4) || !strncasecmp (p, "list", 4) || !strncasecmp (p, "junk", 4)) {
            s_verdict (self, MAIL_AUTOMATIC, MAIL_WHY_PRECEDENCE, "Precedence",
                       "Precedence bulk, list or junk: mass mail, not a complaint");
            return true;
        }
    }
    const char *return_path = s_header (message, "Return-Path");
    if (return_path) {
        const char *p = return_path + strspn (return_path, " \t");
        if (strncmp (p, "<>", 2) == 0 || *p == 0) {
            s_verdict (self, MAIL_AUTOMATIC, MAIL_WHY_NULL_SENDER, "Return-Path",
                       "a null sender (Return-Path: <>): a bounce or notification");
            return true;
        }
    }
    if (s_local_part_is (self->from_addr, "mailer-daemon") || s_local_part_is (self->from_addr, "postmaster")) {
        s_verdict (self, MAIL_AUTOMATIC, MAIL_WHY_SYSTEM_SENDER, "From",
                   "sent by MAILER-DAEMON or postmaster: a delivery report");
        return true;
    }
    if (s_header (message, "List-Id") || s_header (message, "List-Unsubscribe")) {
        s_verdict (self, MAIL_AUTOMATIC, MAIL_WHY_MAILING_LIST,
                   s_header (message, "List-Id") ? "List-Id" : "List-Unsubscribe",
                   "mailing-list traffic: not a complaint");
        return true;
    }
    GMimeObject *top = g_mime_message_get_mime_part (message);
    GMimeContentType *ct = top ? g_mime_object_get_content_type (top) : NULL;
    if (ct && g_mime_content_type_is_type (ct, "multipart", "report")) {
        s_verdict (self, MAIL_AUTOMATIC, MAIL_WHY_DELIVERY_REPORT, "Content-Type",
                   "a delivery or disposition report (multipart/report)");
        return true;
    }
    return false;
}

static void
s_classify_person (mail_message_t *self)
{
    if (s_subject_number (self->subject, self->complaint_no)) {
        s_verdict (self, MAIL_REPLY, MAIL_WHY_SUBJECT_NUMBER, "Subject",
                   "the subject names one of our complaint numbers: a reply on that case");
        return;
    }
    if (s_notifier_id_no (self->in_reply_to, self->complaint_no)) {
        self->replied_id = s_strdup (self->in_reply_to);
        s_verdict (self, MAIL_REPLY, MAIL_WHY_IN_REPLY_TO, "In-Reply-To",
                   "In-Reply-To names a message the notifier sent: a reply on that case");
        return;
    }
    //  The newest reference first: the message being answered.
    for (size_t i = self->n_references; i > 0; i--)
        if (s_notifier_id_no (self->references [i - 1], self->complaint_no)) {
            self->replied_id = s_strdup (self->references [i - 1]);
            s_verdict (self, MAIL_REPLY, MAIL_WHY_REFERENCES, "References",
                       "References names a message the notifier sent: a reply on that case");
            return;
        }
    s_verdict (self, MAIL_COMPLAINT, MAIL_WHY_NEW, "", "a new complaint");
}

//  The parser's complaints about the input, kept for the verdict: only the
//  ones that mean the message cannot be trusted as read.
typedef struct {
    bool nesting_overflow;
} s_warnings_t;

static void
s_on_warning (gint64 offset, GMimeParserWarning code, const gchar *item, gpointer arg)
{
    (void) offset;
    (void) item;
    s_warnings_t *warnings = arg;
    if (code == GMIME_CRIT_NESTING_OVERFLOW)
        warnings->nesting_overflow = true;
}

//  The ref when there is no usable Message-ID: the same bytes give the same
//  ref, so a retry of the same file is still one complaint.
static char *
s_hash_ref (const void *data, size_t size)
{
    unsigned char hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, data, size);
    char hex [2 * crypto_hash_sha256_BYTES + 1];
    sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
    char *ref = s_alloc (8 + sizeof hex);
    snprintf (ref, 8 + sizeof hex, "sha256:%s", hex);
    return ref;
}

mail_message_t *
mail_message_parse (const void *data, size_t size, const mail_limits_t *limits)
{
    mail_limits_t defaults = mail_limits_default ();
    if (!limits)
        limits = &defaults;
    mail_message_t *self = s_alloc (sizeof *self);
    if (sodium_init () < 0)
        abort ();
    //  Until a Message-ID is read, the ref is the bytes' hash: even a
    //  quarantined message has a stable name.
    self->ref = s_hash_ref (data, size);
    if (size == 0) {
        s_refuse (self, MAIL_E_EMPTY, "message", "the message is empty");
        return self;
    }
    if (size > limits->max_message) {
        s_refuse (self, MAIL_E_TOO_LARGE, "message",
                  "the message is %zu bytes, over the limit of %zu bytes", size, limits->max_message);
        return self;
    }
    long start = s_check_header_section (self, data, size);
    if (start < 0)
        return self;
    const char *bytes = (const char *) data + start;
    size_t len = size - (size_t) start;

    GMimeParserOptions *options = g_mime_parser_options_new ();
    g_mime_parser_options_set_rfc2047_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
    const char *fallback [] = { "UTF-8", "GB18030", NULL };
    g_mime_parser_options_set_fallback_charsets (options, fallback);
    s_warnings_t warnings = { false };
    g_mime_parser_options_set_warning_callback (options, s_on_warning, &warnings);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer (bytes, len);
    GMimeParser *parser = g_mime_parser_new_with_stream (stream);
    g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *message = g_mime_parser_construct_message (parser, options);
    g_object_unref (parser);
    g_object_unref (stream);
    if (!message) {
        s_refuse (self, MAIL_E_MALFORMED_HEADER, "headers", "GMime could not read the message");
        g_mime_parser_options_free (options);
        return self;
    }
    s_read_ids (self, message, options);
    if (self->message_id && *self->message_id && strlen (self->message_id) <= PROTO_MAX_REF) {
        free (self->ref);
        self->ref = s_strdup (self->message_id);
    }
    s_read_addresses (self, message);
    const char *subject = g_mime_message_get_subject (message);
    if (subject)
        self->subject = s_clean_dup (subject);
    GDateTime *date = g_mime_message_get_date (message);
    if (date) {
        self->has_date = true;
        self->date_ms = (int64_t) g_date_time_to_unix (date) * 1000;
    }

    if (warnings.nesting_overflow)
        s_refuse (self, MAIL_E_TOO_DEEP, "depth", "MIME parts are nested deeper than GMime reads");
    else
    if (!s_automatic (self, message)) {
        s_walk_t w = {
            .msg = self, .limits = limits, .raw = data, .raw_size = size,
            .plain = g_string_new (""), .attachments = g_ptr_array_new (),
        };
        GMimeObject *top = g_mime_message_get_mime_part (message);
        int rc = top ? s_walk (&w, top, 0) : 0;
        if (rc == 0 && !self->from_addr)
            s_refuse (self, MAIL_E_NO_FROM, "From", "the message has no sender address to answer");
        else if (rc == 0 && strlen (self->from_addr) > PROTO_MAX_SHORT)
            s_refuse (self, MAIL_E_NO_FROM, "From", "the sender address is longer than %d bytes",
                      PROTO_MAX_SHORT);
        if (rc == 0 && self->kind != MAIL_UNPARSABLE) {
            char *text = NULL;
            if (w.plain->len) {
                text = s_clean_dup (w.plain->str);
                self->body_charset = s_strdup (w.plain_charset);
            }
            else if (w.html && w.html->len) {
                text = s_clean_dup (w.html->str);
                self->body_from_html = true;
                self->body_charset = s_strdup (w.html_charset);
            }
            if (!text || !*text)
                s_refuse (self, MAIL_E_NO_BODY, "body", "the message has no text the customer wrote");
            else if (strlen (text) > limits->max_body)
                s_refuse (self, MAIL_E_TOO_LARGE, "body",
                          "the text is %zu bytes, over the limit of %zu bytes",
                          strlen (text), limits->max_body);
            if (text && *text)
                self->body = text;
            else
                free (text);
        }
        g_free (w.plain_charset);
        g_free (w.html_charset);
        g_string_free (w.plain, TRUE);
        if (w.html)
            g_string_free (w.html, TRUE);
        self->n_attachments = w.attachments->len;
        if (self->n_attachments) {
            self->attachments = s_alloc (sizeof (mail_attachment_t) * self->n_attachments);
            for (size_t i = 0; i < self->n_attachments; i++) {
                mail_attachment_t *a = g_ptr_array_index (w.attachments, i);
                self->attachments [i] = *a;
                free (a);
            }
        }
        g_ptr_array_free (w.attachments, TRUE);
        if (self->kind != MAIL_UNPARSABLE)
            s_classify_person (self);
    }
    g_object_unref (message);
    g_mime_parser_options_free (options);
    return self;
}

void
mail_message_destroy (mail_message_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mail_message_t *self = *self_p;
    free (self->message_id);
    free (self->ref);
    free (self->from_name);
    free (self->from_addr);
    free (self->to);
    free (self->subject);
    free (self->in_reply_to);
    for (size_t i = 0; i < self->n_references; i++)
        free (self->references [i]);
    free (self->references);
    free (self->body);
    free (self->body_charset);
    for (size_t i = 0; i < self->n_attachments; i++) {
        free (self->attachments [i].filename);
        free (self->attachments [i].content_type);
        free (self->attachments [i].data);
    }
    free (self->attachments);
    free (self->replied_id);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  The submit

//  The longest prefix of s within max bytes that ends on a character.
static size_t
s_utf8_prefix (const char *s, size_t max)
{
    size_t len = strlen (s);
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char) s [max] & 0xC0) == 0x80)
        max--;
    return max;
}

//  Chinese text anywhere in it (CJK ideographs, CJK punctuation, full-width forms)?
static bool
s_has_cjk (const char *s)
{
    if (!s)
        return false;
    for (const char *p = s; *p; p = g_utf8_next_char (p)) {
        gunichar c = g_utf8_get_char (p);
        if ((c >= 0x3000 && c <= 0x303F) || (c >= 0x3400 && c <= 0x9FFF)
        ||  (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFFEF))
            return true;
    }
    return false;
}

#define MAIL_DATE_PAST_MS   (7LL * 24 * 3600 * 1000)
#define MAIL_DATE_MIN_MS    946684800000LL      /* 2000-01-01: intake's range (PROTOCOL.md) */
#define MAIL_DATE_MAX_MS    4102444800000LL     /* 2100-01-01 */
#define MAIL_DATE_FUTURE_MS (15LL * 60 * 1000)

int
mail_message_submit_pack (const mail_message_t *self, int64_t now_ms, msgpack_sbuffer *buf)
{
    if (!self || self->kind != MAIL_COMPLAINT || !self->body || !self->from_addr)
        return -1;
    submit_t s;
    memset (&s, 0, sizeof s);
    s.channel = (proto_str_t) { "email", 5 };
    s.ref = (proto_str_t) { self->ref, strlen (self->ref) };
    s.body = (proto_str_t) { self->body, strlen (self->body) };
    //  A subject or name over intake's 256 bytes is cut on a character:
    //  the whole subject is still in the spooled message.
    if (self->subject && *self->subject)
        s.subject = (proto_str_t) { self->subject, s_utf8_prefix (self->subject, PROTO_MAX_SHORT) };
    if (self->from_name && *self->from_name)
        s.customer.name = (proto_str_t) { self->from_name,
                                          s_utf8_prefix (self->from_name, PROTO_MAX_SHORT) };
    s.customer.email = (proto_str_t) { self->from_addr, strlen (self->from_addr) };
    const char *lang = s_has_cjk (self->subject) || s_has_cjk (self->body) ? "zh" : "en";
    s.lang = (proto_str_t) { lang, 2 };
    if (self->has_date && now_ms > 0 && self->date_ms >= now_ms - MAIL_DATE_PAST_MS
        && self->date_ms <= now_ms + MAIL_DATE_FUTURE_MS
        && self->date_ms >= MAIL_DATE_MIN_MS && self->date_ms < MAIL_DATE_MAX_MS)
        s.received_at = self->date_ms;
    request_submit_pack (buf, &s);
    return 0;
}

int
mail_message_reply_pack (const mail_message_t *self, msgpack_sbuffer *buf)
{
    assert (self && buf);
    if (self->kind != MAIL_REPLY || !self->complaint_no [0] || !self->from_addr || !self->body)
        return -1;
    reply_t r = { .channel = { "email", 5 },
                  .ref = { self->ref, strlen (self->ref) },
                  .from = { self->from_addr, strlen (self->from_addr) },
                  .text = { self->body, strlen (self->body) } };
    snprintf (r.complaint_no, sizeof r.complaint_no, "%s", self->complaint_no);
    request_reply_pack (buf, &r);
    return 0;
}

//  --------------------------------------------------------------------------
//  Self-test: the rules as a table

#include "selftest.h"

typedef struct {
    const char *name;
    const char *text;           /* the message; "\n" line ends (CRLF is tested apart) */
    mail_kind_t kind;
    const char *code;
    const char *field;          /* NULL: not checked */
    const char *body_has;       /* NULL: not checked */
    const char *subject;        /* NULL: not checked */
} s_case_t;

#define HDR "From: =?UTF-8?B?5byg5LiJ?= <zhang.san@example.com>\n" \
            "To: complaints@bank.example\nMessage-ID: <m1@example.com>\n" \
            "Date: Thu, 03 Dec 2026 09:15:00 +0800\n"

static const s_case_t s_cases [] = {
    { "plain utf-8", HDR "Subject: =?UTF-8?B?5L+h55So5Y2h5bm06LS5?=\n"
      "Content-Type: text/plain; charset=utf-8\n\n信用卡年费被重复扣收。\n",
      MAIL_COMPLAINT, MAIL_WHY_NEW, "", "信用卡年费被重复扣收。", "信用卡年费" },
    { "gbk body, gb2312 label", HDR "Subject: test\nContent-Type: text/plain; charset=gb2312\n"
      "Content-Transfer-Encoding: base64\n\n16rVy8qnsNw=\n",           /* 转账失败 in GBK */
      MAIL_COMPLAINT, MAIL_WHY_NEW, "", "转账失败", NULL },
    { "big5 body", HDR "Subject: t\nContent-Type: text/plain; charset=big5\n"
      "Content-Transfer-Encoding: base64\n\nwuCxYqWisdE=\n",            /* 轉帳失敗 in Big5 */
      MAIL_COMPLAINT, MAIL_WHY_NEW, "", "轉帳失敗", NULL },
    { "quoted-printable", HDR "Subject: qp\nContent-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: quoted-printable\n\n=E7=BD=91=E7=82=B9 service=\n is slow\n",
      MAIL_COMPLAINT, MAIL_WHY_NEW, "", "网点 service is slow", NULL },
    { "html only", HDR "Subject: h\nContent-Type: text/html; charset=utf-8\n\n"
      "<html><head><style>p{}</style></head><body><script>x()</script>"
      "<p>A &amp; B</p><p>&#20013;&#x6587;</p></body></html>\n",
      MAIL_COMPLAINT, MAIL_WHY_NEW, "", "A & B\n\n中文", NULL },
    { "alternative prefers plain", HDR "Subject: a\nMIME-Version: 1.0\n"
      "Content-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\n"
      "Content-Type: text/html; charset=utf-8\n\n<p>HTML words</p>\n--b1\n"
      "Content-Type: text/plain; charset=utf-8\n\nplain words\n--b1--\n",
      MAIL_COMPLAINT, MAIL_WHY_NEW, "", "plain words", NULL },
    { "reply by subject number", HDR "Subject: Re: =?UTF-8?B?5oqV6K+J?= 202611230000427 more\n\nthanks\n",
      MAIL_REPLY, MAIL_WHY_SUBJECT_NUMBER, "Subject", NULL, NULL },
    { "reply by a full-width number", HDR "Subject: =?UTF-8?B?"
      "6KGl5YWF77ya77yS77yQ77yS77yW77yR77yR77yS77yT77yQ77yQ77yQ77yQ77yU77yS77yX?=\n\nmore\n",
      MAIL_REPLY, MAIL_WHY_SUBJECT_NUMBER, "Subject", NULL, NULL },
    { "a wrong check digit is no number", HDR "Subject: Re: 202611230000428\n\nthanks\n",
      MAIL_COMPLAINT, MAIL_WHY_NEW, "", NULL, NULL },
    { "reply by in-reply-to", HDR "Subject: Re: receipt\nIn-Reply-To: <n42.3@complaints.local>\n\nok\n",
      MAIL_REPLY, MAIL_WHY_IN_REPLY_TO, "In-Reply-To", NULL, NULL },
    { "reply by references", HDR "Subject: Re: receipt\n"
      "References: <n42.3@complaints.local> <abc@example.com>\n\nok\n",
      MAIL_REPLY, MAIL_WHY_REFERENCES, "References", NULL, NULL },
    { "foreign in-reply-to", HDR "Subject: Re: x\nIn-Reply-To: <n42.3@example.com>\n\nok\n",
      MAIL_COMPLAINT, MAIL_WHY_NEW, "", NULL, NULL },
    { "auto-reply beats the number", HDR "Subject: Auto: 202611230000427\n"
      "Auto-Submitted: auto-replied\nIn-Reply-To: <n42.3@complaints.local>\n\naway\n",
      MAIL_AUTOMATIC, MAIL_WHY_AUTO_SUBMITTED, "Auto-Submitted", NULL, NULL },
    { "auto-submitted no is a person", HDR "Subject: x\nAuto-Submitted: no\n\nhello\n",
      MAIL_COMPLAINT, MAIL_WHY_NEW, "", NULL, NULL },
    { "precedence bulk", HDR "Subject: x\nPrecedence: bulk\n\nnews\n",
      MAIL_AUTOMATIC, MAIL_WHY_PRECEDENCE, "Precedence", NULL, NULL },
    { "precedence list", HDR "Subject: x\nPrecedence: list\n\nnews\n",
      MAIL_AUTOMATIC, MAIL_WHY_PRECEDENCE, "Precedence", NULL, NULL },
    { "list-id", HDR "Subject: x\nList-Id: <news.bank.example>\n\nnews\n",
      MAIL_AUTOMATIC, MAIL_WHY_MAILING_LIST, "List-Id", NULL, NULL },
    { "null sender", "Return-Path: <>\n" HDR "Subject: x\n\nbounce\n",
      MAIL_AUTOMATIC, MAIL_WHY_NULL_SENDER, "Return-Path", NULL, NULL },
    { "mailer-daemon", "From: MAILER-DAEMON@mx.example.com\nSubject: failure\n\nbounce\n",
      MAIL_AUTOMATIC, MAIL_WHY_SYSTEM_SENDER, "From", NULL, NULL },
    { "postmaster", "From: Postmaster <postmaster@mx.example.com>\nSubject: failure\n\nbounce\n",
      MAIL_AUTOMATIC, MAIL_WHY_SYSTEM_SENDER, "From", NULL, NULL },
    { "multipart/report", HDR "Subject: x\nContent-Type: multipart/report; report-type=delivery-status;"
      " boundary=r\n\n--r\nContent-Type: text/plain\n\nfailed\n--r--\n",
      MAIL_AUTOMATIC, MAIL_WHY_DELIVERY_REPORT, "Content-Type", NULL, NULL },
    { "empty", "", MAIL_UNPARSABLE, MAIL_E_EMPTY, "message", NULL, NULL },
    { "cut in the headers", HDR "Subject: x\nContent-Ty", MAIL_UNPARSABLE,
      MAIL_E_TRUNCATED_HEADERS, "headers", NULL, NULL },
    { "headers and no body", HDR "Subject: x\n\n", MAIL_UNPARSABLE, MAIL_E_NO_BODY, "body", NULL, NULL },
    { "no blank line", HDR "Subject: x\n您好，我要投诉。\n", MAIL_UNPARSABLE,
      MAIL_E_MALFORMED_HEADER, "line 6", NULL, NULL },
    { "starts with a fold", " folded\n" HDR "\nx\n", MAIL_UNPARSABLE, MAIL_E_MALFORMED_HEADER,
      "headers", NULL, NULL },
    { "broken base64", HDR "Subject: x\nContent-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: base64\n\n5L+h55So*#5Y2h\n", MAIL_UNPARSABLE,
      MAIL_E_BAD_ENCODING, "body", NULL, NULL },
    { "undeclared 8-bit", HDR "Subject: x\n\n\xd7\xaa\xd5\xcb\xca\xa7\xb0\xdc\n", MAIL_UNPARSABLE,
      MAIL_E_UNDECLARED_8BIT, "body", NULL, NULL },
    { "declared utf-8, is not", HDR "Subject: x\nContent-Type: text/plain; charset=utf-8\n\n\xb0\xdc\n",
      MAIL_UNPARSABLE, MAIL_E_UNDECODABLE, "body", NULL, NULL },
    { "unknown charset", HDR "Subject: x\nContent-Type: text/plain; charset=x-klingon\n\n\xd7\xaa\n",
      MAIL_UNPARSABLE, MAIL_E_UNDECODABLE, "body", NULL, NULL },
    { "truncated multipart", HDR "Subject: x\nContent-Type: multipart/mixed; boundary=m\n\n--m\n"
      "Content-Type: text/plain\n\nhello\n--m\nContent-Type: application/pdf\n"
      "Content-Transfer-Encoding: base64\n\nJVBERi0x", MAIL_UNPARSABLE, MAIL_E_TRUNCATED, "body", NULL, NULL },
    { "no sender", "To: a@b.example\nSubject: x\n\nhello\n", MAIL_UNPARSABLE, MAIL_E_NO_FROM,
      "From", NULL, NULL },
    { "attachment only", HDR "Subject: x\nContent-Type: multipart/mixed; boundary=m\n\n--m\n"
      "Content-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n\n%PDF-1.4\n--m--\n",
      MAIL_UNPARSABLE, MAIL_E_NO_BODY, "body", NULL, NULL },
    { NULL, NULL, 0, NULL, NULL, NULL, NULL }
};

static void
s_check (bool verbose, int *passed, int *failed, bool ok, const char *what)
{
    if (ok)
        (*passed)++;
    else
        (*failed)++;
    if (verbose || !ok)
        printf (" * mail_message: %s: %s\n", what, ok ? "ok" : "FAILED");
}

void
mail_message_test (bool verbose, int *passed, int *failed)
{
    printf (" * mail_message: ");
    if (verbose)
        printf ("\n");
    int failed_before = *failed;
    for (const s_case_t *c = s_cases; c->name; c++) {
        mail_message_t *m = mail_message_parse (c->text, strlen (c->text), NULL);
        bool ok = m && m->kind == c->kind && m->code && strcmp (m->code, c->code) == 0
                  && (!c->field || strcmp (m->field, c->field) == 0)
                  && (!c->body_has || (m->body && strstr (m->body, c->body_has)))
                  && (!c->subject || (m->subject && strcmp (m->subject, c->subject) == 0))
                  && *m->reason && m->ref;
        if (!ok)
            printf ("   %s: got %s %s field=%s reason=%s body=%s\n", c->name,
                    mail_message_kind_name (m->kind), m->code, m->field, m->reason,
                    m->body ? m->body : "(none)");
        s_check (verbose, passed, failed, ok, c->name);
        mail_message_destroy (&m);
        s_check (verbose, passed, failed, m == NULL, "destroy nulls the pointer");
    }

    //  The same message with CRLF line ends reads the same.
    const char *crlf = "From: a@example.com\r\nSubject: =?GB2312?B?0MXTw7+ozsrM4g==?=\r\n"
                       "Message-ID: <c@example.com>\r\n\r\nhello\r\nworld\r\n";
    mail_message_t *m = mail_message_parse (crlf, strlen (crlf), NULL);
    s_check (verbose, passed, failed, m->kind == MAIL_COMPLAINT && m->subject
             && strcmp (m->subject, "信用卡问题") == 0 && strcmp (m->body, "hello\nworld") == 0
             && strcmp (m->ref, "c@example.com") == 0, "CRLF and a GB2312 encoded-word subject");
    mail_message_destroy (&m);

    //  Limits: each refusal names its limit.
    mail_limits_t small = mail_limits_default ();
    small.max_message = 64;
    const char *text = s_cases [0].text;
    m = mail_message_parse (text, strlen (text), &small);
    s_check (verbose, passed, failed, m->kind == MAIL_UNPARSABLE && !strcmp (m->code, MAIL_E_TOO_LARGE)
             && !strcmp (m->field, "message") && strstr (m->reason, "64"), "max_message");
    mail_message_destroy (&m);
    small = mail_limits_default ();
    small.max_body = 10;
    m = mail_message_parse (text, strlen (text), &small);
    s_check (verbose, passed, failed, m->kind == MAIL_UNPARSABLE && !strcmp (m->code, MAIL_E_TOO_LARGE)
             && !strcmp (m->field, "body"), "max_body");
    mail_message_destroy (&m);

    GString *many = g_string_new (HDR "Subject: x\nContent-Type: multipart/mixed; boundary=m\n\n"
                                  "--m\nContent-Type: text/plain\n\nhello\n");
    for (int i = 0; i < 5; i++)
        g_string_append_printf (many, "--m\nContent-Type: image/png\n"
                                "Content-Disposition: attachment; filename=\"p%d.png\"\n\nPNG%d\n", i, i);
    g_string_append (many, "--m--\n");
    m = mail_message_parse (many->str, many->len, NULL);
    s_check (verbose, passed, failed, m->kind == MAIL_COMPLAINT && m->n_attachments == 5
             && !strcmp (m->attachments [2].filename, "p2.png")
             && !strcmp (m->attachments [2].content_type, "image/png")
             && m->attachments [2].size == 4 && strlen (m->attachments [2].sha256) == 64,
             "attachments listed with name, type, size, hash");
    mail_message_destroy (&m);
    small = mail_limits_default ();
    small.max_attachments = 4;
    m = mail_message_parse (many->str, many->len, &small);
    s_check (verbose, passed, failed, m->kind == MAIL_UNPARSABLE
             && !strcmp (m->code, MAIL_E_TOO_MANY_ATTACHMENTS), "max_attachments");
    mail_message_destroy (&m);
    small = mail_limits_default ();
    small.max_attachment = 3;
    small.keep_attachments = true;
    m = mail_message_parse (many->str, many->len, &small);
    s_check (verbose, passed, failed, m->kind == MAIL_COMPLAINT && m->n_attachments == 5
             && m->attachments [2].over_limit && !m->attachments [2].data
             && m->attachments [2].size == 4 && strlen (m->attachments [2].sha256) == 64,
             "max_attachment: the complaint stands, the attachment is over_limit, not kept");
    mail_message_destroy (&m);
    small = mail_limits_default ();
    small.max_parts = 3;
    m = mail_message_parse (many->str, many->len, &small);
    s_check (verbose, passed, failed, m->kind == MAIL_UNPARSABLE && !strcmp (m->code, MAIL_E_TOO_MANY_PARTS)
             && !strcmp (m->field, "parts"), "max_parts");
    mail_message_destroy (&m);
    g_string_free (many, TRUE);

    GString *deep = g_string_new (HDR "Subject: x\n");
    for (int i = 0; i < 12; i++)
        g_string_append_printf (deep, "Content-Type: multipart/mixed; boundary=d%d\n\n--d%d\n", i, i);
    g_string_append (deep, "Content-Type: text/plain\n\nhi\n");
    for (int i = 11; i >= 0; i--)
        g_string_append_printf (deep, "--d%d--\n", i);
    m = mail_message_parse (deep->str, deep->len, NULL);
    s_check (verbose, passed, failed, m->kind == MAIL_UNPARSABLE && !strcmp (m->code, MAIL_E_TOO_DEEP),
             "max_depth");
    mail_message_destroy (&m);
    g_string_free (deep, TRUE);

    //  The submit: decodes as intake would, with what came from the mail.
    const char *mail = s_cases [0].text;
    m = mail_message_parse (mail, strlen (mail), NULL);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    int64_t date_ms = m->date_ms;
    s_check (verbose, passed, failed, mail_message_submit_pack (m, date_ms + 3600 * 1000, &buf) == 0,
             "submit packed");
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    request_t req;
    proto_error_t err;
    int rc = request_decode (buf.data, buf.size, &up, &req, &err);
    s_check (verbose, passed, failed, rc == 0 && req.op == REQUEST_SUBMIT
             && req.u.submit.channel.len == 5 && !memcmp (req.u.submit.channel.ptr, "email", 5)
             && req.u.submit.ref.len == 14 && !memcmp (req.u.submit.ref.ptr, "m1@example.com", 14)
             && req.u.submit.customer.name.len == 6
             && !memcmp (req.u.submit.customer.name.ptr, "张三", 6)
             && req.u.submit.received_at == date_ms
             && req.u.submit.lang.len == 2 && !memcmp (req.u.submit.lang.ptr, "zh", 2),
             "the submit decodes: channel, ref, name, received_at, lang");
    msgpack_unpacked_destroy (&up);
    msgpack_sbuffer_clear (&buf);
    //  A Date a month off is not the time of receipt.
    mail_message_submit_pack (m, date_ms + 30LL * 24 * 3600 * 1000, &buf);
    msgpack_unpacked_init (&up);
    rc = request_decode (buf.data, buf.size, &up, &req, &err);
    s_check (verbose, passed, failed, rc == 0 && req.u.submit.received_at == 0,
             "a Date far from now is left out");
    msgpack_unpacked_destroy (&up);
    msgpack_sbuffer_destroy (&buf);
    mail_message_destroy (&m);

    m = mail_message_parse (s_cases [6].text, strlen (s_cases [6].text), NULL);
    msgpack_sbuffer_init (&buf);
    s_check (verbose, passed, failed, mail_message_submit_pack (m, 0, &buf) == -1 && buf.size == 0
             && !strcmp (m->complaint_no, "202611230000427"), "a reply is not submitted");
    msgpack_sbuffer_destroy (&buf);
    mail_message_destroy (&m);

    //  The notifier's Message-ID since migration 025 names the case; the
    //  reply request carries it, the sender and the text.
    const char *irt = "From: Li <li@example.com>\nMessage-ID: <r1@example.com>\n"
        "Subject: Re: receipt\nIn-Reply-To: <n42.3.202611230000427.0badf00d@complaints.local>"
        "\n\nthe statement is attached\n";
    m = mail_message_parse (irt, strlen (irt), NULL);
    msgpack_sbuffer_init (&buf);
    rc = mail_message_reply_pack (m, &buf);
    msgpack_unpacked_init (&up);
    bool decoded = rc == 0 && request_decode (buf.data, buf.size, &up, &req, &err) == 0;
    s_check (verbose, passed, failed, m->kind == MAIL_REPLY && decoded
             && req.op == REQUEST_REPLY && !strcmp (req.u.reply.complaint_no, "202611230000427")
             && proto_str_eq (req.u.reply.from, "li@example.com")
             && proto_str_eq (req.u.reply.ref, "r1@example.com")
             && proto_str_eq (req.u.reply.channel, "email"),
             "In-Reply-To with the case: a reply request intake decodes");
    msgpack_unpacked_destroy (&up);
    msgpack_sbuffer_destroy (&buf);
    mail_message_destroy (&m);
    const char *bad_no = "From: li@example.com\nSubject: Re\n"
        "In-Reply-To: <n42.3.202611230000428.0badf00d@complaints.local>\n\nx\n";
    m = mail_message_parse (bad_no, strlen (bad_no), NULL);
    msgpack_sbuffer_init (&buf);
    s_check (verbose, passed, failed, m->kind == MAIL_REPLY && !m->complaint_no [0]
             && mail_message_reply_pack (m, &buf) == -1 && buf.size == 0,
             "a wrong check digit in the Message-ID: a reply with no case");
    msgpack_sbuffer_destroy (&buf);
    mail_message_destroy (&m);

    //  No Message-ID: the ref is the bytes' hash, the same every time.
    const char *anon = "From: a@example.com\nSubject: x\n\nhello\n";
    mail_message_t *a = mail_message_parse (anon, strlen (anon), NULL);
    mail_message_t *b = mail_message_parse (anon, strlen (anon), NULL);
    s_check (verbose, passed, failed, !strncmp (a->ref, "sha256:", 7) && strlen (a->ref) == 71
             && !strcmp (a->ref, b->ref), "no Message-ID: a stable hash ref");
    mail_message_destroy (&a);
    mail_message_destroy (&b);
    mail_message_destroy (&a);      /* twice is safe */
    if (!verbose)
        printf ("%s\n", *failed == failed_before ? "OK" : "FAILED");
}
