/*  jrt.c — the JR/T 0169-2018 code table (see jrt.h). */
#include "jrt.h"
#include "conf.h"
#include "request.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *code, *name;
    int line;
} jrt_code_t;

typedef struct {
    char axis;                    /* 'A' channel, 'B' business, 'C' cause */
    char *id, *code;
    int line;
} jrt_map_t;

struct _jrt_t {
    jrt_code_t *codes;
    size_t ncodes;
    jrt_map_t *maps;
    size_t nmaps;
};

static const jrt_code_t *
s_code (const jrt_t *self, const char *code)
{
    for (size_t i = 0; i < self->ncodes; i++)
        if (strcmp (self->codes [i].code, code) == 0)
            return &self->codes [i];
    return NULL;
}

static const jrt_map_t *
s_map (const jrt_t *self, char axis, const char *id)
{
    for (size_t i = 0; id && i < self->nmaps; i++)
        if (self->maps [i].axis == axis && strcmp (self->maps [i].id, id) == 0)
            return &self->maps [i];
    return NULL;
}

/* A01, A0302, B99: an axis letter and two or four digits. */
static bool
s_code_valid (const char *code)
{
    size_t len = strlen (code);
    if ((len != 3 && len != 5) || (code [0] != 'A' && code [0] != 'B' && code [0] != 'C'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!isdigit ((unsigned char) code [i]))
            return false;
    return true;
}

static int
s_parse_line (void *arg, conf_cursor_t *c)
{
    jrt_t *self = (jrt_t *) arg;
    char *kw = conf_word (c);
    char *a = kw ? conf_word (c) : NULL;
    char *b = a ? conf_word (c) : NULL;
    int rc = 0;
    if (!kw || !a || !b)
        rc = c->err->reason [0] ? -1 : conf_fail (c, "expected 'code CODE \"name\"' or "
                                                  "'channel|business|cause ID CODE'");
    else if (!conf_at_end (c))
        rc = conf_fail (c, "unexpected text after '%s %s %s'", kw, a, b);
    else if (strcmp (kw, "code") == 0) {
        const jrt_code_t *old = s_code (self, a);
        if (!s_code_valid (a))
            rc = conf_fail (c, "'%s' is not a code (A, B or C and 2 or 4 digits)", a);
        else if (old)
            rc = conf_fail (c, "code %s declared twice (first on line %d)", a, old->line);
        else {
            self->codes = realloc (self->codes, (self->ncodes + 1) * sizeof (jrt_code_t));
            assert (self->codes);
            self->codes [self->ncodes++] = (jrt_code_t) { a, b, c->line };
            a = b = NULL;
        }
    }
    else if (strcmp (kw, "channel") == 0 || strcmp (kw, "business") == 0
         ||  strcmp (kw, "cause") == 0) {
        char axis = kw [0] == 'c' && kw [1] == 'h' ? 'A' : kw [0] == 'b' ? 'B' : 'C';
        bool known = axis == 'A' ? channel_valid ((proto_str_t) { a, strlen (a) })
                   : axis == 'B' ? rules_word_in (rules_business_lines, a)
                   : rules_word_in (rules_causes, a);
        const jrt_map_t *old = s_map (self, axis, a);
        if (!known)
            rc = conf_fail (c, "'%s' is not a %s", a, axis == 'A' ? "channel"
                            : axis == 'B' ? "business line" : "cause");
        else if (old)
            rc = conf_fail (c, "%s '%s' mapped twice (first on line %d)", kw, a, old->line);
        else if (!s_code (self, b))
            rc = conf_fail (c, "code %s is not declared (declare it with a 'code' line first)", b);
        else if (b [0] != axis)
            rc = conf_fail (c, "code %s is not on the %c axis (%s codes start with %c)", b,
                            axis, kw, axis);
        else {
            self->maps = realloc (self->maps, (self->nmaps + 1) * sizeof (jrt_map_t));
            assert (self->maps);
            self->maps [self->nmaps++] = (jrt_map_t) { axis, a, b, c->line };
            a = b = NULL;
        }
    }
    else
        rc = conf_fail (c, "unknown keyword '%s' (code, channel, business, cause)", kw);
    free (kw);
    free (a);
    free (b);
    return rc;
}

jrt_t *
jrt_load (const char *path, conf_error_t *err)
{
    jrt_t *self = calloc (1, sizeof *self);
    assert (self);
    int rc = conf_read (path, NULL, err, s_parse_line, self);
    //  Completeness: every id of the three axes has its code.
    for (int i = 0; rc == 0 && channel_names [i]; i++)
        if (!s_map (self, 'A', channel_names [i]))
            rc = conf_error_set (err, path, 0, "channel '%s' has no code", channel_names [i]);
    for (int i = 0; rc == 0 && rules_business_lines [i]; i++)
        if (!s_map (self, 'B', rules_business_lines [i]))
            rc = conf_error_set (err, path, 0, "business line '%s' has no code",
                               rules_business_lines [i]);
    for (int i = 0; rc == 0 && rules_causes [i]; i++)
        if (!s_map (self, 'C', rules_causes [i]))
            rc = conf_error_set (err, path, 0, "cause '%s' has no code", rules_causes [i]);
    if (rc)
        jrt_destroy (&self);
    return self;
}

void
jrt_destroy (jrt_t **self_p)
{
    assert (self_p);
    jrt_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->ncodes; i++) {
        free (self->codes [i].code);
        free (self->codes [i].name);
    }
    for (size_t i = 0; i < self->nmaps; i++) {
        free (self->maps [i].id);
        free (self->maps [i].code);
    }
    free (self->codes);
    free (self->maps);
    free (self);
    *self_p = NULL;
}

static const char *
s_lookup (const jrt_t *self, char axis, const char *id)
{
    const jrt_map_t *map = s_map (self, axis, id);
    return map ? map->code : NULL;
}

const char *jrt_channel (const jrt_t *self, const char *id) { return s_lookup (self, 'A', id); }
const char *jrt_business (const jrt_t *self, const char *id) { return s_lookup (self, 'B', id); }
const char *jrt_cause (const jrt_t *self, const char *id) { return s_lookup (self, 'C', id); }

//  --------------------------------------------------------------------------

#define S_CHECK(cond, ...) do { \
    if (cond) \
        (*passed)++; \
    else { \
        failed++; \
        fprintf (stderr, "jrt_test: FAIL (%s:%d) ", __FILE__, __LINE__); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
    } \
} while (0)

#include "selftest.h"

int
jrt_test (bool verbose, const char *shipped, int *passed)
{
    int failed = 0;
    conf_error_t err;
    struct { const char *text; int line; const char *reason; } bad [] = {
        { "code A1 x\n", 1, "is not a code" },
        { "code A01 x\ncode A01 y\n", 2, "declared twice (first on line 1)" },
        { "code A01 x\nchannel fax A01\n", 2, "'fax' is not a channel" },
        { "code A01 x\nchannel web A02\n", 2, "A02 is not declared" },
        { "code B01 x\nchannel web B01\n", 2, "not on the A axis" },
        { "code A01 x\nchannel web A01\nchannel web A01\n", 3, "mapped twice" },
        { "code A01 x\nchannel web A01\n", 0, "channel 'hotline' has no code" },
        { "code A01\n", 1, "expected" },
        { "colour A01 x\n", 1, "unknown keyword" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char path [] = "/tmp/jrt_test_XXXXXX";
        int fd = mkstemp (path);
        assert (fd >= 0);
        ssize_t n = write (fd, bad [i].text, strlen (bad [i].text));
        if (!(n == (ssize_t) strlen (bad [i].text)))          /* checked under NDEBUG too */
            abort ();
        close (fd);
        jrt_t *j = jrt_load (path, &err);
        unlink (path);
        S_CHECK (!j && err.line == bad [i].line && strstr (err.reason, bad [i].reason),
                 "bad %zu: line %d '%s'", i, err.line, err.reason);
        if (verbose)
            printf ("  refused as expected: line %d: %s\n", err.line, err.reason);
        jrt_destroy (&j);
    }
    if (shipped) {
        jrt_t *j = jrt_load (shipped, &err);
        S_CHECK (j != NULL, "shipped %s refused: line %d: %s", shipped, err.line, err.reason);
        if (j) {
            S_CHECK (strcmp (jrt_channel (j, "counter"), "A01") == 0, "counter -> A01");
            S_CHECK (strcmp (jrt_business (j, "cards"), "B03") == 0, "cards -> B03");
            S_CHECK (strcmp (jrt_cause (j, "service_attitude"), "C01") == 0, "attitude -> C01");
            S_CHECK (strcmp (jrt_cause (j, "other"), "C99") == 0, "other -> C99");
            jrt_destroy (&j);
        }
    }
    return failed;
}
