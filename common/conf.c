/*  conf.c — the configuration files' reader and their error (see conf.h).
 *
 *  A file is read whole into memory (bounded by the format's max_size) and
 *  then cut into lines, so that a file on disk and text in a test or a
 *  fuzzer go through exactly the same code (conf_parse). Each line is
 *  checked before the format sees it: its length, NUL bytes, strict UTF-8
 *  (proto_utf8_valid, the same check the wire decoders use). Only then is
 *  the format's function called, with a cursor that the word functions
 *  below advance; none of them reads past the cursor's end, and none
 *  writes to the text, so a format cannot corrupt the next line.
 *
 *  Why the whole line must be UTF-8, comments included: every value a file
 *  gives ends up in PostgreSQL (text columns refuse invalid UTF-8), in a
 *  log line or in a message to a customer; refusing the file at load, with
 *  its line, is cheaper than finding the byte at three in the morning. A
 *  comment in another encoding is almost always a file saved by an editor
 *  in the wrong encoding, whose values are wrong too.
 */
#include "conf.h"
#include "proto.h"        /* proto_utf8_valid */

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_BLANKS      " \t"
#define S_WORD_STOPS  " \t#\"=|~"       /* what ends a bare word */
#define S_VALUE_STOPS " \t#\""          /* what ends a bare value after '=' */

//  --------------------------------------------------------------------------
//  The error

static int
s_error_vset (conf_error_t *err, const char *file, int line, const char *fmt, va_list ap)
{
    snprintf (err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    vsnprintf (err->reason, sizeof err->reason, fmt, ap);
    return -1;
}

int
conf_error_set (conf_error_t *err, const char *file, int line, const char *fmt, ...)
{
    assert (err);
    va_list ap;
    va_start (ap, fmt);
    s_error_vset (err, file, line, fmt, ap);
    va_end (ap);
    return -1;
}

const char *
conf_error_format (const conf_error_t *err, char *buf, size_t size)
{
    assert (err && buf && size > 0);
    if (err->line > 0)
        snprintf (buf, size, "%s:%d: %s", err->file, err->line, err->reason);
    else
        snprintf (buf, size, "%s: %s", err->file, err->reason);
    return buf;
}

int
conf_fail (conf_cursor_t *c, const char *fmt, ...)
{
    assert (c && c->err);
    va_list ap;
    va_start (ap, fmt);
    s_error_vset (c->err, c->file, c->line, fmt, ap);
    va_end (ap);
    return -1;
}

//  --------------------------------------------------------------------------
//  Files and lines

char *
conf_slurp (const char *path, size_t max_size, size_t *size_p, conf_error_t *err)
{
    assert (path && size_p && err);
    if (max_size == 0)
        max_size = CONF_MAX_SIZE;
    FILE *file = fopen (path, "rb");
    if (!file) {
        conf_error_set (err, path, 0, "cannot open: %s", strerror (errno));
        return NULL;
    }
    //  Grown as the file is read, so a small file costs little and a file
    //  past the bound is refused after reading one byte more than allowed.
    size_t cap = 64 * 1024, size = 0;
    char *text = malloc (cap + 1);
    assert (text);
    while (true) {
        if (size == cap) {
            if (cap > max_size)
                break;
            cap *= 2;
            text = realloc (text, cap + 1);
            assert (text);
        }
        size_t want = cap - size;
        if (want > max_size + 1 - size)
            want = max_size + 1 - size;
        size_t n = fread (text + size, 1, want, file);
        size += n;
        if (n < want || size > max_size)
            break;
    }
    int read_errno = ferror (file) ? errno : 0;
    fclose (file);
    if (read_errno) {
        free (text);
        conf_error_set (err, path, 0, "read error: %s", strerror (read_errno));
        return NULL;
    }
    if (size > max_size) {
        free (text);
        conf_error_set (err, path, 0, "larger than %zu bytes", max_size);
        return NULL;
    }
    text [size] = 0;
    *size_p = size;
    return text;
}

int
conf_parse (const char *file, const char *text, size_t size, const conf_limits_t *limits,
            conf_error_t *err, conf_line_fn *fn, void *arg)
{
    assert (file && (text || size == 0) && err && fn);
    memset (err, 0, sizeof *err);
    size_t max_line = limits && limits->max_line ? limits->max_line : CONF_MAX_LINE;
    size_t max_size = limits && limits->max_size ? limits->max_size : CONF_MAX_SIZE;
    if (size > max_size)
        return conf_error_set (err, file, 0, "larger than %zu bytes", max_size);
    const char *p = text, *end = text + size;
    //  A UTF-8 byte order mark, which some editors write, is not content;
    //  anywhere else it is a character like any other (and no blank).
    if (size >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    int line = 0;
    while (p < end) {
        line++;
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        const char *stop = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        while (stop > p && stop [-1] == '\r')
            stop--;
        conf_cursor_t c = { p, stop, line, file, err };
        size_t len = (size_t) (stop - p);
        p = next;
        if (len > max_line)
            return conf_fail (&c, "line longer than %zu bytes", max_line);
        if (memchr (c.p, 0, len))
            return conf_fail (&c, "a NUL byte: not a text file");
        if (!proto_utf8_valid (c.p, len))
            return conf_fail (&c, "not valid UTF-8");
        if (conf_at_end (&c))
            continue;
        if (fn (arg, &c)) {
            //  A format that failed without saying why still names its line.
            if (!err->reason [0])
                conf_fail (&c, "refused");
            return -1;
        }
    }
    return 0;
}

int
conf_read (const char *path, const conf_limits_t *limits, conf_error_t *err,
           conf_line_fn *fn, void *arg)
{
    assert (path && err && fn);
    memset (err, 0, sizeof *err);
    size_t size = 0;
    char *text = conf_slurp (path, limits ? limits->max_size : 0, &size, err);
    if (!text)
        return -1;
    int rc = conf_parse (path, text, size, limits, err, fn, arg);
    free (text);
    return rc;
}

//  --------------------------------------------------------------------------
//  Words

static void
s_skip_blanks (conf_cursor_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static bool
s_stops (char ch, const char *set)
{
    return ch == 0 || strchr (set, ch) != NULL;
}

bool
conf_at_end (conf_cursor_t *c)
{
    assert (c);
    s_skip_blanks (c);
    return c->p >= c->end || *c->p == '#';
}

static char *
s_copy (const char *start, const char *stop)
{
    char *copy = strndup (start, (size_t) (stop - start));
    assert (copy);
    return copy;
}

char *
conf_token (conf_cursor_t *c)
{
    if (conf_at_end (c))
        return NULL;
    const char *start = c->p;
    while (c->p < c->end && !s_stops (*c->p, " \t#"))
        c->p++;
    return s_copy (start, c->p);
}

int
conf_split (conf_cursor_t *c, char **words, int max)
{
    assert (words && max > 0);
    int count = 0;
    char *word;
    while ((word = conf_token (c))) {
        if (count == max) {
            free (word);
            conf_words_free (words, count);
            return conf_fail (c, "more than %d words on a line", max);
        }
        words [count++] = word;
    }
    return count;
}

void
conf_words_free (char **words, int count)
{
    for (int i = 0; i < count; i++) {
        free (words [i]);
        words [i] = NULL;
    }
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
    while (c->p < c->end && !s_stops (*c->p, S_WORD_STOPS))
        c->p++;
    if (c->p == start) {
        conf_fail (c, "unexpected '%c'", *c->p);
        return NULL;
    }
    return s_copy (start, c->p);
}

int
conf_keyvalue (conf_cursor_t *c, char **key, char **value)
{
    assert (key && value);
    *key = *value = NULL;
    if (conf_at_end (c))
        return 1;
    const char *start = c->p;
    while (c->p < c->end && !s_stops (*c->p, S_WORD_STOPS))
        c->p++;
    if (c->p == start || c->p >= c->end || *c->p != '=')
        return conf_fail (c, "expected key=value, found '%.*s'",
                          (int) (c->p > start ? c->p - start : 1), start);
    *key = s_copy (start, c->p);
    c->p++;                             /* '=' */
    if (c->p < c->end && *c->p == '"')
        *value = s_quoted (c);
    else {
        const char *vstart = c->p;
        while (c->p < c->end && !s_stops (*c->p, S_VALUE_STOPS))
            c->p++;
        *value = s_copy (vstart, c->p);
    }
    if (!*value) {
        free (*key);
        *key = NULL;
        return -1;
    }
    return 0;
}

char
conf_punct (conf_cursor_t *c, const char *set)
{
    assert (set);
    s_skip_blanks (c);
    if (c->p < c->end && *c->p && strchr (set, *c->p))
        return *c->p++;
    return 0;
}

char *
conf_rest (conf_cursor_t *c)
{
    s_skip_blanks (c);
    const char *start = c->p;
    const char *stop = start;
    while (stop < c->end && *stop != '#')
        stop++;
    c->p = c->end;
    while (stop > start && (stop [-1] == ' ' || stop [-1] == '\t'))
        stop--;
    return s_copy (start, stop);
}

void
conf_label (char *out, size_t size, const char *file, int line)
{
    assert (out && file);
    const char *base = strrchr (file, '/');
    snprintf (out, size, "%s:%d", base ? base + 1 : file, line);
}

//  --------------------------------------------------------------------------
//  Self-test. Checks abort on failure whatever NDEBUG says.

#define S_CHECK(cond, ...) do { \
    if (!(cond)) { \
        fprintf (stderr, "conf_test: FAIL (%s:%d) ", __FILE__, __LINE__); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
        abort (); \
    } \
} while (0)

/* The test's format: every word of every line, as "line:kind:text" joined
 * by '|'. A line starting with `kv` is read as key=value pairs, with
 * `rest` as a rest of line, with `tok` as tokens, else as words; a word
 * `fail` makes the format refuse the line. */
typedef struct {
    char out [1024];
} s_seen_t;

static void
s_seen_add (s_seen_t *seen, int line, const char *kind, const char *text)
{
    size_t used = strlen (seen->out);
    snprintf (seen->out + used, sizeof seen->out - used, "%s%d:%s:%s", used ? "|" : "", line,
              kind, text);
}

static int
s_test_line (void *arg, conf_cursor_t *c)
{
    s_seen_t *seen = (s_seen_t *) arg;
    char *first = conf_word (c);
    if (!first)
        return -1;
    int rc = 0;
    if (strcmp (first, "kv") == 0) {
        char *key, *value;
        while ((rc = conf_keyvalue (c, &key, &value)) == 0) {
            char pair [300];
            snprintf (pair, sizeof pair, "%s=%s", key, value);
            s_seen_add (seen, c->line, "kv", pair);
            free (key);
            free (value);
        }
        rc = rc == 1 ? 0 : -1;
    }
    else
    if (strcmp (first, "rest") == 0) {
        char *rest = conf_rest (c);
        s_seen_add (seen, c->line, "rest", rest);
        free (rest);
    }
    else
    if (strcmp (first, "tok") == 0) {
        char *words [3];
        int n = conf_split (c, words, 3);
        for (int i = 0; i < n; i++)
            s_seen_add (seen, c->line, "tok", words [i]);
        conf_words_free (words, n < 0 ? 0 : n);
        rc = n < 0 ? -1 : 0;
    }
    else {
        s_seen_add (seen, c->line, "w", first);
        char *word;
        while (rc == 0 && !conf_at_end (c)) {
            char punct = conf_punct (c, "=|~");
            if (punct) {
                char text [2] = { punct, 0 };
                s_seen_add (seen, c->line, "p", text);
                continue;
            }
            word = conf_word (c);
            if (!word)
                rc = -1;
            else
            if (strcmp (word, "fail") == 0)
                rc = conf_fail (c, "the format refused '%s'", word);
            else
                s_seen_add (seen, c->line, "w", word);
            free (word);
        }
    }
    free (first);
    return rc;
}

void
conf_test (bool verbose)
{
    if (verbose)
        printf (" * conf: ");
    struct {
        const char *text;
        const char *seen;            /* NULL: refused */
        int line;                    /* the refusal's line */
        const char *reason;
    } cases [] = {
        //  BOM at the start, CRLF, comments, blank lines, quoting.
        { "\xEF\xBB\xBF" "a b   # comment\r\n\r\n   # only a comment\n\tc \"d e # f\" g\n",
          "1:w:a|1:w:b|4:w:c|4:w:d e # f|4:w:g", 0, NULL },
        { "x \"say \\\"hi\\\" \\\\ \\n\"\n", "1:w:x|1:w:say \"hi\" \\ \\n", 0, NULL },
        { "x a=b|c~d\n", "1:w:x|1:w:a|1:p:=|1:w:b|1:p:||1:w:c|1:p:~|1:w:d", 0, NULL },
        { "kv k=v name=\"王 芳\" mail=a@b.example x=a=b|c empty=\n",
          "1:kv:k=v|1:kv:name=王 芳|1:kv:mail=a@b.example|1:kv:x=a=b|c|1:kv:empty=", 0, NULL },
        { "rest   信用卡中心  部  # note\n", "1:rest:信用卡中心  部", 0, NULL },
        { "rest\n", "1:rest:", 0, NULL },
        { "tok a=1 b,c#d\n", "1:tok:a=1|1:tok:b,c", 0, NULL },
        { "last line without an end", "1:w:last|1:w:line|1:w:without|1:w:an|1:w:end", 0, NULL },
        { "", "", 0, NULL },
        { "\xEF\xBB\xBF", "", 0, NULL },
        //  Refusals, each with its line.
        { "a\n\xEF\xBB\xBF b\n", "1:w:a|2:w:\xEF\xBB\xBF|2:w:b", 0, NULL },   /* a BOM inside is a word */
        { "a\nb \"open\n", NULL, 2, "unterminated quoted string" },
        { "a\n\nb \xE8\xB4\n", NULL, 3, "not valid UTF-8" },
        { "# \xff in a comment\n", NULL, 1, "not valid UTF-8" },
        { "kv k=v oops\n", NULL, 1, "expected key=value, found 'oops'" },
        { "kv k=\"v\n", NULL, 1, "unterminated" },
        { "tok 1 2 3 4\n", NULL, 1, "more than 3 words on a line" },
        { "a b\nc fail\n", NULL, 2, "the format refused 'fail'" },
        { "\"\" x\n", "1:w:|1:w:x", 0, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_seen_t seen = { "" };
        conf_error_t err;
        int rc = conf_parse ("t.conf", cases [i].text, strlen (cases [i].text), NULL, &err,
                             s_test_line, &seen);
        if (cases [i].seen) {
            S_CHECK (rc == 0, "case %zu refused: %d %s", i, err.line, err.reason);
            S_CHECK (strcmp (seen.out, cases [i].seen) == 0, "case %zu: seen '%s', expected '%s'",
                     i, seen.out, cases [i].seen);
        }
        else {
            S_CHECK (rc == -1 && err.line == cases [i].line
                     && strstr (err.reason, cases [i].reason) && strcmp (err.file, "t.conf") == 0,
                     "case %zu: %s:%d '%s', expected line %d '%s'", i, err.file, err.line,
                     err.reason, cases [i].line, cases [i].reason);
        }
    }
    //  A NUL byte, and the bounds.
    conf_error_t err;
    s_seen_t seen = { "" };
    S_CHECK (conf_parse ("t.conf", "a\nb\0c\n", 6, NULL, &err, s_test_line, &seen) == -1
             && err.line == 2 && strstr (err.reason, "NUL"), "NUL: %d %s", err.line, err.reason);
    conf_limits_t small = { .max_line = 4, .max_size = 16 };
    S_CHECK (conf_parse ("t.conf", "abcd\r\nabcde\n", 12, &small, &err, s_test_line, &seen) == -1
             && err.line == 2 && strcmp (err.reason, "line longer than 4 bytes") == 0,
             "long line: %d %s", err.line, err.reason);
    S_CHECK (conf_parse ("t.conf", "a\nb\nc\nd\ne\nf\ng\nh\ni\n", 18, &small, &err, s_test_line,
                         &seen) == -1 && err.line == 0 && strstr (err.reason, "larger than 16"),
             "large file: %d %s", err.line, err.reason);

    //  The formatted error.
    char text [600];
    conf_error_set (&err, "deploy/x.conf", 7, "bad %s", "thing");
    S_CHECK (strcmp (conf_error_format (&err, text, sizeof text),
                     "deploy/x.conf:7: bad thing") == 0, "format: %s", text);
    conf_error_set (&err, "deploy/x.conf", 0, "no default");
    S_CHECK (strcmp (conf_error_format (&err, text, sizeof text),
                     "deploy/x.conf: no default") == 0, "format 0: %s", text);
    conf_label (text, sizeof text, "deploy/routing/rules.conf", 12);
    S_CHECK (strcmp (text, "rules.conf:12") == 0, "label: %s", text);

    //  Files: a missing one, a good one, one past its bound.
    S_CHECK (conf_read ("/nonexistent/x.conf", NULL, &err, s_test_line, &seen) == -1
             && err.line == 0 && strstr (err.reason, "cannot open")
             && strcmp (err.file, "/nonexistent/x.conf") == 0, "missing: %s", err.reason);
    char path [] = "/tmp/conf_test_XXXXXX";
    int fd = mkstemp (path);
    S_CHECK (fd >= 0, "mkstemp");
    const char *body = "a b\n# c\nd \"e f\"\n";
    ssize_t written = write (fd, body, strlen (body));
    close (fd);
    S_CHECK (written == (ssize_t) strlen (body), "write");
    memset (&seen, 0, sizeof seen);
    S_CHECK (conf_read (path, NULL, &err, s_test_line, &seen) == 0
             && strcmp (seen.out, "1:w:a|1:w:b|3:w:d|3:w:e f") == 0, "file: %s %s",
             err.reason, seen.out);
    conf_limits_t tiny = { .max_size = 8 };
    S_CHECK (conf_read (path, &tiny, &err, s_test_line, &seen) == -1 && err.line == 0
             && strcmp (err.reason, "larger than 8 bytes") == 0, "bound: %s", err.reason);
    size_t size = 0;
    char *whole = conf_slurp (path, 0, &size, &err);
    S_CHECK (whole && size == strlen (body) && strcmp (whole, body) == 0, "slurp");
    free (whole);
    unlink (path);
    S_CHECK (conf_read ("/tmp", NULL, &err, s_test_line, &seen) == -1 && err.line == 0,
             "a folder is refused: %s", err.reason);
    if (verbose)
        printf ("OK\n");
}
