/*  template.c — message templates with {{placeholders}} (see template.h).
 *
 *  Parsing checks everything a render could trip on, once: the text is
 *  valid UTF-8 without NUL bytes (PostgreSQL refuses invalid UTF-8, and a
 *  row it refuses would stop the notifier's consumer at that event for
 *  good), the first line is the subject, every "{{" is closed and names an
 *  allowed field. Rendering therefore never fails: it copies text and
 *  values into a memory stream. A template is not a config file (no
 *  comments, every line is text), so only its bounded read (conf_slurp)
 *  and its error (conf_error_t) are common/conf.c's.
 */
#include "template.h"
#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _template_t {
    char *subject, *body;
};

static template_t *
s_error (conf_error_t *err, const char *file, int line, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* conf_error_set, returning the NULL a parse returns. */
static template_t *
s_error (conf_error_t *err, const char *file, int line, const char *fmt, ...)
{
    char reason [sizeof err->reason];
    va_list args;
    va_start (args, fmt);
    vsnprintf (reason, sizeof reason, fmt, args);
    va_end (args);
    conf_error_set (err, file, line, "%s", reason);
    return NULL;
}

static bool
s_known_field (const char *const *fields, const char *name, size_t len)
{
    for (int i = 0; fields [i]; i++)
        if (strlen (fields [i]) == len && memcmp (fields [i], name, len) == 0)
            return true;
    return false;
}

//  Check the placeholders of one line. true when they are all good.
static bool
s_check_line (const char *name, int line, const char *text, size_t len,
              const char *const *fields, conf_error_t *err)
{
    const char *end = text + len;
    const char *p = text;
    while ((p = memmem (p, (size_t) (end - p), "{{", 2))) {
        const char *close = memmem (p + 2, (size_t) (end - p - 2), "}}", 2);
        if (!close) {
            s_error (err, name, line, "unclosed {{");
            return false;
        }
        int nlen = (int) (close - p - 2);
        if (!s_known_field (fields, p + 2, (size_t) nlen)) {
            //  The name is printed only up to its first byte that could
            //  garble a log line or cut a UTF-8 character in two.
            int shown = 0;
            while (shown < nlen && shown < 40 && p [2 + shown] > 0x20 && p [2 + shown] < 0x7f)
                shown++;
            s_error (err, name, line, "unknown placeholder {{%.*s%s}}", shown, p + 2,
                     shown < nlen ? "..." : "");
            return false;
        }
        p = close + 2;
    }
    return true;
}

template_t *
template_parse (const char *name, const char *text, size_t size, const char *const *fields,
                conf_error_t *err)
{
    assert (name && text && fields && err);
    if (size > TEMPLATE_MAX_SIZE)
        return s_error (err, name, 0, "larger than %d bytes", TEMPLATE_MAX_SIZE);
    if (memchr (text, 0, size))
        return s_error (err, name, 0, "contains a NUL byte");
    if (!proto_utf8_valid (text, size))
        return s_error (err, name, 0, "not valid UTF-8");
    if (size < 9 || memcmp (text, "Subject: ", 9) != 0)
        return s_error (err, name, 1, "the first line must be \"Subject: ...\"");
    int line = 1;
    for (size_t at = 0; at < size; line++) {
        const char *nl = memchr (text + at, '\n', size - at);
        size_t len = nl ? (size_t) (nl - text) - at : size - at;
        if (!s_check_line (name, line, text + at, len, fields, err))
            return NULL;
        at += len + (nl != NULL);
    }
    size_t subject_len = 0;
    while (9 + subject_len < size && text [9 + subject_len] != '\r'
           && text [9 + subject_len] != '\n')
        subject_len++;
    if (subject_len == 0)
        return s_error (err, name, 1, "empty subject");
    size_t body = 9 + subject_len;
    if (body < size && text [body] == '\r')
        body++;
    if (body < size && text [body] == '\n')
        body++;
    template_t *self = calloc (1, sizeof *self);
    assert (self);
    self->subject = strndup (text + 9, subject_len);
    self->body = strndup (text + body, size - body);
    assert (self->subject && self->body);
    return self;
}

template_t *
template_load (const char *path, const char *const *fields, conf_error_t *err)
{
    size_t size = 0;
    char *text = conf_slurp (path, TEMPLATE_MAX_SIZE, &size, err);
    if (!text)
        return NULL;
    template_t *self = template_parse (path, text, size, fields, err);
    free (text);
    return self;
}

void
template_destroy (template_t **self_p)
{
    assert (self_p);
    template_t *self = *self_p;
    if (self) {
        free (self->subject);
        free (self->body);
        free (self);
        *self_p = NULL;
    }
}

//  Copy text to the stream; in a header, control characters become spaces.
static void
s_put (FILE *stream, const char *text, size_t len, bool header)
{
    if (!header) {
        fwrite (text, 1, len, stream);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        fputc (c < 0x20 || c == 0x7f ? ' ' : c, stream);
    }
}

static char *
s_render (const char *tpl, zhash_t *values, bool header)
{
    char *out = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&out, &size);
    assert (stream);
    const char *p = tpl;
    const char *open;
    while ((open = strstr (p, "{{"))) {
        s_put (stream, p, (size_t) (open - p), header);
        const char *close = strstr (open + 2, "}}");
        assert (close);             /* checked when parsed */
        char name [128];
        snprintf (name, sizeof name, "%.*s", (int) (close - open - 2), open + 2);
        const char *value = values ? zhash_lookup (values, name) : NULL;
        if (!value || !*value)
            value = "-";
        s_put (stream, value, strlen (value), header);
        p = close + 2;
    }
    s_put (stream, p, strlen (p), header);
    fclose (stream);
    return out;
}

char *
template_render_subject (const template_t *self, zhash_t *values)
{
    assert (self);
    return s_render (self->subject, values, true);
}

char *
template_render_body (const template_t *self, zhash_t *values)
{
    assert (self);
    return s_render (self->body, values, false);
}

//  --------------------------------------------------------------------------
#include "selftest.h"

//  Self-test

void
template_test (bool verbose)
{
    if (verbose)
        printf (" * template: ");
    const char *fields [] = { "complaint_no", "name", NULL };
    conf_error_t err;
    const char *good = "Subject: 投诉 {{complaint_no}} 已受理\r\nDear {{name}},\n{{complaint_no}} ok\n";
    template_t *tpl = template_parse ("good.txt", good, strlen (good), fields, &err);
    assert (tpl);
    zhash_t *values = zhash_new ();
    zhash_insert (values, "complaint_no", "C1");
    zhash_insert (values, "name", "Ann\r\nBcc: evil@example.com");
    char *subject = template_render_subject (tpl, values);
    char *body = template_render_body (tpl, values);
    assert (streq (subject, "投诉 C1 已受理"));
    assert (streq (body, "Dear Ann\r\nBcc: evil@example.com,\nC1 ok\n"));
    free (subject);
    free (body);
    //  A value cannot add a header line: CR and LF become spaces there.
    const char *hdr = "Subject: to {{name}}\n";
    template_t *tpl2 = template_parse ("hdr.txt", hdr, strlen (hdr), fields, &err);
    assert (tpl2);
    subject = template_render_subject (tpl2, values);
    assert (streq (subject, "to Ann  Bcc: evil@example.com"));
    free (subject);
    template_destroy (&tpl2);
    //  Missing and empty values render as "-".
    zhash_delete (values, "name");
    zhash_insert (values, "name", "");
    body = template_render_body (tpl, values);
    assert (streq (body, "Dear -,\nC1 ok\n"));
    free (body);
    body = template_render_body (tpl, NULL);
    assert (streq (body, "Dear -,\n- ok\n"));
    free (body);
    zhash_destroy (&values);
    template_destroy (&tpl);
    template_destroy (&tpl);            /* safe twice */

    struct { const char *text; int line; const char *reason; } bad [] = {
        { "Subject: a\nb {{nme}}\n", 2, "unknown placeholder {{nme}}" },
        { "Subject: a {{name\n", 1, "unclosed {{" },
        { "Subject: a\n\nc {{name}} {{\n", 3, "unclosed {{" },
        { "Subject: a\nx \xff\n", 0, "not valid UTF-8" },
        { "Hello\n", 1, "the first line must be" },
        { "Subject: \nbody\n", 1, "empty subject" },
        { "Subject: a\n{{bad\x01name}}\n", 2, "unknown placeholder {{bad...}}" },
        { "", 1, "the first line must be" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        tpl = template_parse ("bad.txt", bad [i].text, strlen (bad [i].text), fields, &err);
        assert (tpl == NULL);
        assert (err.line == bad [i].line);
        assert (strstr (err.reason, bad [i].reason));
        assert (streq (err.file, "bad.txt"));
    }
    tpl = template_parse ("nul.txt", "Subject: a\0b", 12, fields, &err);
    assert (tpl == NULL && strstr (err.reason, "NUL"));
    tpl = template_load ("/nonexistent/t.txt", fields, &err);
    assert (tpl == NULL && err.line == 0 && strstr (err.reason, "cannot open"));
    if (verbose)
        printf ("OK\n");
}
