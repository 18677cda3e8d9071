/*  confline.c — the policy files' lexer (see confline.h).
 *
 *  The same rules as rules.c applies to its own file: the line must be valid
 *  UTF-8 and at most CONF_MAX_LINE bytes; a BOM is skipped on line 1 only.
 */
#include "confline.h"
#include "proto.h"        /* proto_utf8_valid */

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_MAX_LINE 8192

static void
s_set_file (rules_error_t *err, const char *path)
{
    snprintf (err->file, sizeof err->file, "%s", path ? path : "");
}

int
conf_fail_at (rules_error_t *err, const char *path, int line, const char *fmt, ...)
{
    s_set_file (err, path);
    err->line = line;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err->reason, sizeof err->reason, fmt, ap);
    va_end (ap);
    return -1;
}

int
conf_fail (conf_cursor_t *c, const char *fmt, ...)
{
    s_set_file (c->err, c->path);
    c->err->line = c->line;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (c->err->reason, sizeof c->err->reason, fmt, ap);
    va_end (ap);
    return -1;
}

static void
s_skip_space (conf_cursor_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

bool
conf_at_end (conf_cursor_t *c)
{
    s_skip_space (c);
    return c->p >= c->end || *c->p == '#';
}

/* A quoted string starting at c->p (on the quote). */
static char *
s_quoted (conf_cursor_t *c)
{
    char *out = malloc ((size_t) (c->end - c->p) + 1);
    assert (out);
    size_t n = 0;
    c->p++;
    while (c->p < c->end) {
        char ch = *c->p++;
        if (ch == '"') {
            out [n] = 0;
            return out;
        }
        if (ch == '\\' && c->p < c->end && (*c->p == '"' || *c->p == '\\'))
            ch = *c->p++;
        out [n++] = ch;
    }
    free (out);
    conf_fail (c, "unterminated quoted string");
    return NULL;
}

char *
conf_word (conf_cursor_t *c)
{
    if (conf_at_end (c))
        return NULL;
    if (*c->p == '"')
        return s_quoted (c);
    const char *start = c->p;
    while (c->p < c->end && !strchr (" \t=#\"", *c->p))
        c->p++;
    if (c->p == start) {
        conf_fail (c, "unexpected '%c'", *c->p);
        return NULL;
    }
    char *word = strndup (start, (size_t) (c->p - start));
    assert (word);
    return word;
}

int
conf_keyvalue (conf_cursor_t *c, char **key, char **value)
{
    *key = *value = NULL;
    if (conf_at_end (c))
        return 1;
    const char *start = c->p;
    while (c->p < c->end && !strchr (" \t=#\"", *c->p))
        c->p++;
    if (c->p == start || c->p >= c->end || *c->p != '=')
        return conf_fail (c, "expected key=value, found '%.*s'",
                          (int) (c->p > start ? c->p - start : 1), start);
    *key = strndup (start, (size_t) (c->p - start));
    assert (*key);
    c->p++;                             /* '=' */
    if (c->p < c->end && *c->p == '"')
        *value = s_quoted (c);
    else {
        const char *vstart = c->p;
        while (c->p < c->end && !strchr (" \t#\"", *c->p))
            c->p++;
        *value = strndup (vstart, (size_t) (c->p - vstart));
        assert (*value);
    }
    if (!*value) {
        free (*key);
        *key = NULL;
        return -1;
    }
    return 0;
}

void
conf_label (char *out, size_t size, const char *path, int line)
{
    const char *base = strrchr (path, '/');
    snprintf (out, size, "%s:%d", base ? base + 1 : path, line);
}

int
conf_read (const char *path, rules_error_t *err, conf_line_fn *fn, void *arg)
{
    assert (path && err && fn);
    memset (err, 0, sizeof *err);
    FILE *file = fopen (path, "r");
    if (!file)
        return conf_fail_at (err, path, 0, "cannot open %s: %s", path, strerror (errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline (&line, &cap, file)) >= 0) {
        lineno++;
        conf_cursor_t c = { line, line + len, lineno, path, err };
        if (len > CONF_MAX_LINE) {
            rc = conf_fail (&c, "line longer than %d bytes", CONF_MAX_LINE);
            break;
        }
        if (lineno == 1 && len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0)
            c.p += 3;
        while (c.end > c.p && (c.end [-1] == '\n' || c.end [-1] == '\r'))
            c.end--;
        if (!proto_utf8_valid (c.p, (size_t) (c.end - c.p)))
            rc = conf_fail (&c, "not valid UTF-8");
        else if (!conf_at_end (&c))
            rc = fn (arg, &c);
    }
    if (rc == 0 && ferror (file))
        rc = conf_fail_at (err, path, lineno, "read error: %s", strerror (errno));
    free (line);
    fclose (file);
    return rc;
}
