/*  pg_array.c — PostgreSQL array literals (see pg_array.h).
 *
 *  Every element is written in double quotes with " and \ escaped, the one
 *  form PostgreSQL's array input never misreads (an unquoted element would
 *  trip over commas, braces, spaces and the word NULL).
 */
#include "pg_array.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_append (pg_array_t *self, const char *s, size_t len)
{
    if (self->len + len + 1 > self->cap) {
        self->cap = (self->len + len + 1) * 2;
        self->data = realloc (self->data, self->cap);
        assert (self->data);
    }
    memcpy (self->data + self->len, s, len);
    self->len += len;
    self->data [self->len] = 0;
}

/* The separator, then the opening quote. */
static void
s_open_element (pg_array_t *self)
{
    if (self->count++)
        s_append (self, ",", 1);
    s_append (self, "\"", 1);
}

void
pg_array_begin (pg_array_t *self)
{
    assert (self);
    self->len = 0;
    self->count = 0;
    s_append (self, "{", 1);
}

void
pg_array_add (pg_array_t *self, const char *value)
{
    assert (self && self->len);
    s_open_element (self);
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            s_append (self, "\\", 1);
        s_append (self, p, 1);
    }
    s_append (self, "\"", 1);
}

void
pg_array_add_hex (pg_array_t *self, const void *data, size_t size)
{
    static const char digits [] = "0123456789abcdef";
    assert (self && self->len);
    s_open_element (self);
    const unsigned char *bytes = data;
    for (size_t i = 0; i < size; i++) {
        char hex [2] = { digits [bytes [i] >> 4], digits [bytes [i] & 0x0F] };
        s_append (self, hex, 2);
    }
    s_append (self, "\"", 1);
}

const char *
pg_array_end (pg_array_t *self)
{
    assert (self && self->len);
    s_append (self, "}", 1);
    return self->data;
}

void
pg_array_destroy (pg_array_t *self)
{
    if (!self)
        return;
    free (self->data);
    memset (self, 0, sizeof *self);
}

#include "selftest.h"

void
pg_array_test (bool verbose)
{
    if (verbose)
        printf (" * pg_array: ");
    pg_array_t a = { 0 };
    pg_array_begin (&a);
    assert (strcmp (pg_array_end (&a), "{}") == 0);
    pg_array_begin (&a);
    pg_array_add (&a, "card_center");
    pg_array_add (&a, "信用卡 \"中心\", {x} \\ NULL");
    pg_array_add (&a, NULL);
    assert (strcmp (pg_array_end (&a),
                    "{\"card_center\",\"信用卡 \\\"中心\\\", {x} \\\\ NULL\",\"\"}") == 0);
    assert (a.count == 3);
    pg_array_begin (&a);
    pg_array_add_hex (&a, "\x00\xff\x10", 3);
    pg_array_add (&a, "b");
    assert (strcmp (pg_array_end (&a), "{\"00ff10\",\"b\"}") == 0);
    pg_array_destroy (&a);
    pg_array_destroy (&a);
    assert (a.data == NULL);
    if (verbose)
        printf ("OK\n");
}
