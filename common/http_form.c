/*  http_form.c — a urlencoded form read with limits (see http_form.h).
 *
 *  One pass over the bytes, each pair decoded into a buffer of at most
 *  max_value bytes, so the memory a form costs is bounded by the limits
 *  and not by what the client sent.
 */
#include "http_form.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

struct _http_form_t {
    zhashx_t *fields;                   /* name -> value (owned strings) */
};

static int
s_hex (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode [p, end) into out (at most max bytes); the length, or -1 with
 * err (too long, a bad %XX). */
static long
s_decode (const char *p, const char *end, char *out, size_t max, const char *field,
          proto_error_t *err)
{
    size_t n = 0;
    while (p < end) {
        int c = (unsigned char) *p++;
        if (c == '+')
            c = ' ';
        else
        if (c == '%') {
            int hi = p < end ? s_hex ((unsigned char) p [0]) : -1;
            int lo = p + 1 < end ? s_hex ((unsigned char) p [1]) : -1;
            if (hi < 0 || lo < 0) {
                proto_error_set (err, PROTO_E_MALFORMED, field,
                                 "%s has a %% not followed by two hex digits", field);
                return -1;
            }
            c = hi * 16 + lo;
            p += 2;
        }
        if (n >= max) {
            proto_error_set (err, PROTO_E_TOO_LARGE, field,
                             "%s is over its limit of %zu bytes", field, max);
            return -1;
        }
        out [n++] = (char) c;
    }
    out [n] = 0;
    return (long) n;
}

static bool
s_name_ok (const char *name, size_t len)
{
    if (len == 0 || len > HTTP_FORM_MAX_NAME)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* CR LF -> LF; refuse other controls. */
static int
s_clean (char *value, size_t *len, const char *field, proto_error_t *err)
{
    if (!proto_utf8_valid (value, *len)) {
        proto_error_set (err, PROTO_E_INVALID_UTF8, field, "%s is not valid UTF-8", field);
        return -1;
    }
    size_t w = 0;
    for (size_t r = 0; r < *len; r++) {
        unsigned char c = (unsigned char) value [r];
        if (c == '\r' && r + 1 < *len && value [r + 1] == '\n')
            continue;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                             "%s holds a control character", field);
            return -1;
        }
        value [w++] = (char) c;
    }
    value [w] = 0;
    *len = w;
    return 0;
}

http_form_t *
http_form_parse (const char *data, size_t size, size_t max_fields, size_t max_value,
                 proto_error_t *err)
{
    assert (err);
    http_form_t *self = calloc (1, sizeof *self);
    assert (self);
    self->fields = zhashx_new ();
    zhashx_set_destructor (self->fields, (zhashx_destructor_fn *) zstr_free);
    char *value = malloc (max_value + 1);
    assert (value);
    const char *p = data, *end = data + size;
    while (p < end) {
        const char *amp = memchr (p, '&', (size_t) (end - p));
        const char *stop = amp ? amp : end;
        if (stop > p) {
            const char *eq = memchr (p, '=', (size_t) (stop - p));
            const char *name_end = eq ? eq : stop;
            char name [HTTP_FORM_MAX_NAME + 1];
            if (!s_name_ok (p, (size_t) (name_end - p))) {
                proto_error_set (err, PROTO_E_MALFORMED, "",
                                 "a field name is not 1-%d letters, digits or _ . -",
                                 HTTP_FORM_MAX_NAME);
                goto fail;
            }
            memcpy (name, p, (size_t) (name_end - p));
            name [name_end - p] = 0;
            if (zhashx_size (self->fields) >= max_fields) {
                proto_error_set (err, PROTO_E_TOO_LARGE, name,
                                 "the form has more than %zu fields", max_fields);
                goto fail;
            }
            if (zhashx_lookup (self->fields, name)) {
                proto_error_set (err, PROTO_E_INVALID_FIELD, name, "%s is given twice", name);
                goto fail;
            }
            long len = s_decode (eq ? eq + 1 : stop, stop, value, max_value, name, err);
            if (len < 0)
                goto fail;
            size_t n = (size_t) len;
            if (s_clean (value, &n, name, err))
                goto fail;
            char *copy = strdup (value);
            assert (copy);
            zhashx_insert (self->fields, name, copy);
        }
        p = stop + 1;
    }
    free (value);
    return self;
fail:
    free (value);
    http_form_destroy (&self);
    return NULL;
}

void
http_form_destroy (http_form_t **self_p)
{
    assert (self_p);
    http_form_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->fields);
    free (self);
    *self_p = NULL;
}

const char *
http_form_get (http_form_t *self, const char *name)
{
    assert (self && name);
    return (const char *) zhashx_lookup (self->fields, name);
}

size_t
http_form_size (http_form_t *self)
{
    assert (self);
    return zhashx_size (self->fields);
}

zlist_t *
http_form_names (http_form_t *self)
{
    assert (self);
    zlist_t *names = zlist_new ();
    zlist_autofree (names);
    for (void *v = zhashx_first (self->fields); v; v = zhashx_next (self->fields))
        zlist_append (names, (void *) zhashx_cursor (self->fields));
    return names;
}

#include "selftest.h"

void
http_form_test (bool verbose)
{
    (void) verbose;
    printf (" * http_form: ");
    proto_error_t err;
    const char *good = "name=%E7%8E%8B+%E5%B0%8F%E6%98%8E&text=a%0D%0Ab&empty=&flag&x.y-z_1=%2B";
    http_form_t *form = http_form_parse (good, strlen (good), 8, 64, &err);
    assert (form);
    assert (http_form_size (form) == 5);
    assert (streq (http_form_get (form, "name"), "王 小明"));
    assert (streq (http_form_get (form, "text"), "a\nb"));
    assert (streq (http_form_get (form, "empty"), ""));
    assert (streq (http_form_get (form, "flag"), ""));
    assert (streq (http_form_get (form, "x.y-z_1"), "+"));
    assert (!http_form_get (form, "other"));
    zlist_t *names = http_form_names (form);
    assert (zlist_size (names) == 5);
    zlist_destroy (&names);
    http_form_destroy (&form);
    http_form_destroy (&form);
    assert (!form);
    //  Empty input, stray '&'s: an empty form.
    form = http_form_parse ("&&", 2, 8, 64, &err);
    assert (form && http_form_size (form) == 0);
    http_form_destroy (&form);

    static const struct { const char *in; const char *code, *field; } bad [] = {
        { "a=1&a=2", PROTO_E_INVALID_FIELD, "a" },
        { "a=%ZZ", PROTO_E_MALFORMED, "a" },
        { "a=%4", PROTO_E_MALFORMED, "a" },
        { "a=%FF", PROTO_E_INVALID_UTF8, "a" },
        { "a=%00", PROTO_E_INVALID_UTF8, "a" },      /* proto_utf8_valid refuses NUL */
        { "a=x%07", PROTO_E_INVALID_FIELD, "a" },
        { "a=0123456789", PROTO_E_TOO_LARGE, "a" },
        { "b%20c=1", PROTO_E_MALFORMED, "" },
        { "=1", PROTO_E_MALFORMED, "" },
        { "a=1&b=2&c=3&d=4", PROTO_E_TOO_LARGE, "d" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        memset (&err, 0, sizeof err);
        form = http_form_parse (bad [i].in, strlen (bad [i].in), 3, 8, &err);
        if (form || !streq (err.code, bad [i].code) || !streq (err.field, bad [i].field))
            fprintf (stderr, "\n   %s: got %s %s (%s)\n", bad [i].in, err.code, err.field, err.message);
        assert (!form && streq (err.code, bad [i].code) && streq (err.field, bad [i].field));
    }
    printf ("OK\n");
}
