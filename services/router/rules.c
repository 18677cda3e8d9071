/*  rules.c — load, validate and apply the routing rules (see rules.h).
 *
 *  The file is line-based so that a bank's operators can edit it, review the
 *  diff and be told exactly which line is wrong:
 *
 *      # comment
 *      department card_center        信用卡中心 (credit card centre)
 *      route card_center  product ~ "credit card" | "prepaid card"
 *      route ebanking     channel = app   text ~ 登录 | login
 *      default complaint_office
 *
 *  A `route` line holds one or more conditions, all of which must hold (AND);
 *  a condition lists alternatives separated by `|`, any of which may match
 *  (OR). `=` compares the whole field, `~` looks for a substring; both ignore
 *  ASCII case. Fields: product, category, channel, subject, body, and text
 *  (subject or body).
 *
 *  Why byte-wise matching is UTF-8 safe: patterns and complaint text are both
 *  valid UTF-8 (the loader checks the file; PostgreSQL checks the text), and in
 *  UTF-8 no character's encoding occurs inside another's, so a byte-level
 *  substring hit of a whole pattern is always a hit on character boundaries.
 *  Case folding touches only bytes below 0x80, which never occur inside a
 *  multi-byte character, so folding cannot corrupt Chinese text. Chinese has
 *  no case; full-width Latin letters (ＡＰＰ) are not folded — write both forms
 *  in the file when they matter.
 *
 *  Cost: each route call folds the complaint's fields once into scratch
 *  copies, then runs memmem (glibc's two-way search, linear) per pattern, so
 *  a 64 KiB body against a few hundred patterns stays well under a
 *  millisecond. The rules_t is never written after loading, so it could be
 *  shared between threads.
 */
#include "rules.h"
#include "request.h"      /* channel_valid: channel values are checked at load */
#include "proto.h"        /* proto_utf8_valid */

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RULES_MAX_LINE     8192      /* bytes in one line, a sanity bound */
#define RULES_MAX_RULES    10000
#define RULES_MAX_VALUES   256       /* alternatives in one condition */
#define RULES_MAX_CONDS    8         /* conditions in one rule */
#define RULES_MAX_ID       63

typedef enum {
    FIELD_PRODUCT, FIELD_CATEGORY, FIELD_CHANNEL, FIELD_SUBJECT, FIELD_BODY, FIELD_TEXT,
    FIELD_COUNT
} field_t;

static const char *const s_field_names [FIELD_COUNT] = {
    "product", "category", "channel", "subject", "body", "text"
};

typedef struct {
    field_t field;
    bool    exact;               /* '=' whole field, else '~' substring */
    size_t  nvalues;
    char  **values;              /* ASCII-lowercased, NUL-terminated */
    size_t *lens;
} cond_t;

typedef struct {
    char   *department;          /* points into the department table */
    char    label [96];          /* "rules.conf:12" */
    size_t  nconds;
    cond_t  conds [RULES_MAX_CONDS];
} rule_t;

typedef struct {
    char *id;
    char *name;
    int   line;
} dept_t;

struct _rules_t {
    dept_t *depts;
    size_t  ndepts;
    rule_t *rules;
    size_t  nrules;
    char   *default_dept;
    char    default_label [96];
};

//  --------------------------------------------------------------------------
//  Loading

/* The parser's cursor over one line. */
typedef struct {
    const char *p;
    const char *end;
    int line;
    rules_error_t *err;
} s_cursor_t;

static int
s_fail (s_cursor_t *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
s_fail (s_cursor_t *c, const char *fmt, ...)
{
    c->err->line = c->line;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (c->err->reason, sizeof c->err->reason, fmt, ap);
    va_end (ap);
    return -1;
}

static void
s_skip_space (s_cursor_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static bool
s_at_end (s_cursor_t *c)
{
    s_skip_space (c);
    return c->p >= c->end || *c->p == '#';
}

/* A bare word: up to whitespace, '|', '"', '#', '=' or '~'. */
static size_t
s_word (s_cursor_t *c, const char **start)
{
    s_skip_space (c);
    *start = c->p;
    while (c->p < c->end && !strchr (" \t|\"#=~", *c->p))
        c->p++;
    return (size_t) (c->p - *start);
}

static bool
s_valid_id (const char *s, size_t len)
{
    if (len == 0 || len > RULES_MAX_ID)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(islower ((unsigned char) s [i]) || isdigit ((unsigned char) s [i]) || s [i] == '_'))
            return false;
    return true;
}

static void
s_fold (char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s [i] < 0x80)
            s [i] = (char) tolower ((unsigned char) s [i]);
}

/* One value, bare or "quoted" (with \" and \\ escapes). Returns a folded
 * heap copy, or NULL with the error set. */
static char *
s_value (s_cursor_t *c, size_t *len_p)
{
    s_skip_space (c);
    char *out = malloc ((size_t) (c->end - c->p) + 1);
    assert (out);
    size_t n = 0;
    if (c->p < c->end && *c->p == '"') {
        c->p++;
        bool closed = false;
        while (c->p < c->end) {
            char ch = *c->p++;
            if (ch == '"') {
                closed = true;
                break;
            }
            if (ch == '\\' && c->p < c->end && (*c->p == '"' || *c->p == '\\'))
                ch = *c->p++;
            out [n++] = ch;
        }
        if (!closed) {
            free (out);
            s_fail (c, "unterminated quoted string");
            return NULL;
        }
    }
    else {
        const char *start;
        n = s_word (c, &start);
        memcpy (out, start, n);
    }
    out [n] = 0;
    if (n == 0) {
        free (out);
        s_fail (c, "empty value (a condition needs at least one non-empty word or \"string\")");
        return NULL;
    }
    s_fold (out, n);
    *len_p = n;
    return out;
}

static dept_t *
s_dept_find (rules_t *self, const char *id, size_t len)
{
    for (size_t i = 0; i < self->ndepts; i++)
        if (strlen (self->depts [i].id) == len && memcmp (self->depts [i].id, id, len) == 0)
            return &self->depts [i];
    return NULL;
}

/* The department id after `route` or `default`: declared, well-formed. */
static dept_t *
s_dept_ref (rules_t *self, s_cursor_t *c, const char *keyword)
{
    const char *id;
    size_t len = s_word (c, &id);
    if (len == 0) {
        s_fail (c, "'%s' needs a department id", keyword);
        return NULL;
    }
    dept_t *dept = s_dept_find (self, id, len);
    if (!dept)
        s_fail (c, "unknown department '%.*s' (declare it with a 'department' line first)",
                (int) len, id);
    return dept;
}

static void
s_cond_free (cond_t *cond)
{
    for (size_t i = 0; i < cond->nvalues; i++)
        free (cond->values [i]);
    free (cond->values);
    free (cond->lens);
    memset (cond, 0, sizeof *cond);
}

static int
s_parse_cond (s_cursor_t *c, cond_t *cond)
{
    const char *word;
    size_t len = s_word (c, &word);
    if (len == 0)
        return s_fail (c, "expected a field name (product, category, channel, subject, body, text)");
    int field = -1;
    for (int i = 0; i < FIELD_COUNT; i++)
        if (strlen (s_field_names [i]) == len && memcmp (s_field_names [i], word, len) == 0)
            field = i;
    if (field < 0)
        return s_fail (c, "unknown field '%.*s' (expected product, category, channel, "
                       "subject, body or text)", (int) len, word);
    cond->field = (field_t) field;
    s_skip_space (c);
    if (c->p >= c->end || (*c->p != '=' && *c->p != '~'))
        return s_fail (c, "expected '=' (equals) or '~' (contains) after '%s'",
                       s_field_names [field]);
    cond->exact = *c->p++ == '=';
    cond->values = calloc (RULES_MAX_VALUES, sizeof (char *));
    cond->lens = calloc (RULES_MAX_VALUES, sizeof (size_t));
    assert (cond->values && cond->lens);
    while (true) {
        if (cond->nvalues == RULES_MAX_VALUES)
            return s_fail (c, "more than %d alternatives in one condition", RULES_MAX_VALUES);
        size_t vlen;
        char *value = s_value (c, &vlen);
        if (!value)
            return -1;
        cond->values [cond->nvalues] = value;
        cond->lens [cond->nvalues] = vlen;
        cond->nvalues++;
        if (cond->field == FIELD_CHANNEL
        && !channel_valid ((proto_str_t) { value, vlen }))
            return s_fail (c, "'%s' is not a channel (hotline, email, web, sms, letter, "
                           "counter, app, wechat, regulator)", value);
        s_skip_space (c);
        if (c->p < c->end && *c->p == '|') {
            c->p++;
            continue;
        }
        break;
    }
    return 0;
}

static void
s_label (char *out, size_t size, const char *path, int line)
{
    const char *base = strrchr (path, '/');
    snprintf (out, size, "%s:%d", base ? base + 1 : path, line);
}

/* One line, already stripped of its newline. */
static int
s_parse_line (rules_t *self, s_cursor_t *c, const char *path)
{
    if (!proto_utf8_valid (c->p, (size_t) (c->end - c->p)))
        return s_fail (c, "not valid UTF-8");
    if (s_at_end (c))
        return 0;
    const char *kw;
    size_t kwlen = s_word (c, &kw);
    if (kwlen == 10 && memcmp (kw, "department", 10) == 0) {
        const char *id;
        size_t len = s_word (c, &id);
        if (!s_valid_id (id, len))
            return s_fail (c, "department id '%.*s' must be 1-%d characters of a-z, 0-9, _",
                           (int) len, id, RULES_MAX_ID);
        dept_t *old = s_dept_find (self, id, len);
        if (old)
            return s_fail (c, "department '%s' declared twice (first on line %d)",
                           old->id, old->line);
        //  The rest of the line (before a comment) is the display name.
        s_skip_space (c);
        const char *name = c->p;
        const char *name_end = name;
        while (name_end < c->end && *name_end != '#')
            name_end++;
        while (name_end > name && (name_end [-1] == ' ' || name_end [-1] == '\t'))
            name_end--;
        self->depts = realloc (self->depts, (self->ndepts + 1) * sizeof (dept_t));
        assert (self->depts);
        dept_t *dept = &self->depts [self->ndepts++];
        dept->id = strndup (id, len);
        dept->name = strndup (name, (size_t) (name_end - name));
        dept->line = c->line;
        assert (dept->id && dept->name);
        return 0;
    }
    if (kwlen == 7 && memcmp (kw, "default", 7) == 0) {
        if (self->default_dept)
            return s_fail (c, "'default' given twice (first at %s)", self->default_label);
        dept_t *dept = s_dept_ref (self, c, "default");
        if (!dept)
            return -1;
        if (!s_at_end (c))
            return s_fail (c, "unexpected text after the default department");
        self->default_dept = dept->id;
        s_label (self->default_label, sizeof self->default_label, path, c->line);
        return 0;
    }
    if (kwlen == 5 && memcmp (kw, "route", 5) == 0) {
        if (self->nrules == RULES_MAX_RULES)
            return s_fail (c, "more than %d rules", RULES_MAX_RULES);
        dept_t *dept = s_dept_ref (self, c, "route");
        if (!dept)
            return -1;
        rule_t rule = { .department = dept->id };
        s_label (rule.label, sizeof rule.label, path, c->line);
        int rc = 0;
        while (rc == 0 && !s_at_end (c)) {
            if (rule.nconds == RULES_MAX_CONDS) {
                rc = s_fail (c, "more than %d conditions in one rule", RULES_MAX_CONDS);
                break;
            }
            rc = s_parse_cond (c, &rule.conds [rule.nconds++]);
        }
        if (rc == 0 && rule.nconds == 0)
            rc = s_fail (c, "a route needs at least one condition, e.g. product ~ mortgage");
        if (rc) {
            for (size_t i = 0; i < rule.nconds; i++)
                s_cond_free (&rule.conds [i]);
            return -1;
        }
        self->rules = realloc (self->rules, (self->nrules + 1) * sizeof (rule_t));
        assert (self->rules);
        self->rules [self->nrules++] = rule;
        return 0;
    }
    return s_fail (c, "unknown keyword '%.*s' (expected department, route or default)",
                   (int) kwlen, kw);
}

rules_t *
rules_load (const char *path, rules_error_t *err)
{
    assert (path);
    assert (err);
    memset (err, 0, sizeof *err);
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (err->reason, sizeof err->reason, "cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    rules_t *self = calloc (1, sizeof *self);
    assert (self);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline (&line, &cap, file)) >= 0) {
        lineno++;
        s_cursor_t c = { line, line + len, lineno, err };
        if (len > RULES_MAX_LINE) {
            rc = s_fail (&c, "line longer than %d bytes", RULES_MAX_LINE);
            break;
        }
        //  A UTF-8 byte order mark, which some editors write, is not content.
        if (lineno == 1 && len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0)
            c.p += 3;
        while (c.end > c.p && (c.end [-1] == '\n' || c.end [-1] == '\r'))
            c.end--;
        rc = s_parse_line (self, &c, path);
    }
    if (rc == 0 && ferror (file)) {
        err->line = lineno;
        snprintf (err->reason, sizeof err->reason, "read error: %s", strerror (errno));
        rc = -1;
    }
    free (line);
    fclose (file);
    if (rc == 0 && !self->default_dept) {
        err->line = 0;
        snprintf (err->reason, sizeof err->reason,
                  "no 'default' line: complaints no rule matches need a department");
        rc = -1;
    }
    if (rc) {
        rules_destroy (&self);
        return NULL;
    }
    return self;
}

void
rules_destroy (rules_t **self_p)
{
    assert (self_p);
    rules_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nrules; i++)
        for (size_t j = 0; j < self->rules [i].nconds; j++)
            s_cond_free (&self->rules [i].conds [j]);
    free (self->rules);
    for (size_t i = 0; i < self->ndepts; i++) {
        free (self->depts [i].id);
        free (self->depts [i].name);
    }
    free (self->depts);
    free (self);
    *self_p = NULL;
}

size_t
rules_count (rules_t *self)
{
    assert (self);
    return self->nrules;
}

const char *
rules_department_name (rules_t *self, const char *department)
{
    assert (self);
    dept_t *dept = department ? s_dept_find (self, department, strlen (department)) : NULL;
    return dept ? dept->name : NULL;
}

//  --------------------------------------------------------------------------
//  Matching

static char *
s_folded_copy (const char *s, size_t *len_p)
{
    size_t len = s ? strlen (s) : 0;
    char *copy = malloc (len + 1);
    assert (copy);
    if (len)
        memcpy (copy, s, len);
    copy [len] = 0;
    s_fold (copy, len);
    *len_p = len;
    return copy;
}

static bool
s_value_match (const cond_t *cond, size_t i, const char *hay, size_t hay_len)
{
    if (cond->exact)
        return hay_len == cond->lens [i] && memcmp (hay, cond->values [i], hay_len) == 0;
    return memmem (hay, hay_len, cond->values [i], cond->lens [i]) != NULL;
}

const char *
rules_route (rules_t *self, const char *product, const char *category,
             const char *channel, const char *subject, const char *body,
             const char **rule_p)
{
    assert (self);
    const char *raw [FIELD_TEXT] = { product, category, channel, subject, body };
    char *field [FIELD_TEXT];
    size_t len [FIELD_TEXT];
    for (int i = 0; i < FIELD_TEXT; i++)
        field [i] = s_folded_copy (raw [i], &len [i]);

    const char *department = self->default_dept;
    const char *label = self->default_label;
    for (size_t r = 0; r < self->nrules; r++) {
        const rule_t *rule = &self->rules [r];
        bool all = true;
        for (size_t k = 0; all && k < rule->nconds; k++) {
            const cond_t *cond = &rule->conds [k];
            bool any = false;
            for (size_t i = 0; !any && i < cond->nvalues; i++) {
                if (cond->field == FIELD_TEXT)
                    any = s_value_match (cond, i, field [FIELD_SUBJECT], len [FIELD_SUBJECT])
                       || s_value_match (cond, i, field [FIELD_BODY], len [FIELD_BODY]);
                else
                    any = s_value_match (cond, i, field [cond->field], len [cond->field]);
            }
            all = any;
        }
        if (all) {
            department = rule->department;
            label = rule->label;
            break;
        }
    }
    for (int i = 0; i < FIELD_TEXT; i++)
        free (field [i]);
    if (rule_p)
        *rule_p = label;
    return department;
}

//  --------------------------------------------------------------------------
//  Self-test

#define S_CHECK(cond, ...) do { \
    if (cond) \
        (*passed)++; \
    else { \
        failed++; \
        fprintf (stderr, "rules_test: FAIL (%s:%d) ", __FILE__, __LINE__); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
    } \
} while (0)

/* Write `text` to a temporary file and load it. */
static rules_t *
s_load_text (const char *text, rules_error_t *err)
{
    char path [] = "/tmp/rules_test_XXXXXX";
    int fd = mkstemp (path);
    assert (fd >= 0);
    size_t len = strlen (text);
    ssize_t n = write (fd, text, len);
    assert (n == (ssize_t) len);
    close (fd);
    rules_t *rules = rules_load (path, err);
    unlink (path);
    return rules;
}

static const char *s_departments =
    "department card_center   信用卡中心\n"
    "department lending       个人信贷部  # trailing comment\n"
    "department office        消费者权益保护部\n";

/* A bad file, the line it must be refused at, and a word of the reason. */
typedef struct {
    const char *body;
    int line;
    const char *reason;
} s_bad_t;

static const s_bad_t s_bad_files [] = {
    { "route card_center product ~ card\n", 1, "unknown department" },
    { "%sroute nowhere text ~ x\ndefault office\n", 4, "unknown department 'nowhere'" },
    { "%sroute lending\ndefault office\n", 4, "at least one condition" },
    { "%sroute lending colour ~ red\ndefault office\n", 4, "unknown field 'colour'" },
    { "%sroute lending product mortgage\ndefault office\n", 4, "expected '='" },
    { "%sroute lending product ~ \"mortgage\ndefault office\n", 4, "unterminated" },
    { "%sroute lending product ~ mortgage |\ndefault office\n", 4, "empty value" },
    { "%sroute lending product ~ \"\"\ndefault office\n", 4, "empty value" },
    { "%sroute lending channel = fax\ndefault office\n", 4, "not a channel" },
    { "%sroute lending text ~ \xE8\xB4\n", 4, "UTF-8" },
    { "%sfrobnicate\n", 4, "unknown keyword 'frobnicate'" },
    { "%sdepartment office again\n", 4, "declared twice (first on line 3)" },
    { "%sdepartment Bad-Id x\n", 4, "must be 1-" },
    { "%sdefault office\ndefault lending\n", 5, "given twice" },
    { "%sdefault office extra\n", 4, "unexpected text" },
    { "%sroute lending product ~ loan\n", 0, "no 'default'" },
};

static const char *s_bom_inside =
    "# a test rule set\n"
    "\xEF\xBB\xBF\n"         /* line 2: a BOM here is not whitespace */
    "department card_center   信用卡中心\n";

static int
s_test_parser (bool verbose, int *passed)
{
    int failed = 0;
    rules_error_t err;
    for (size_t i = 0; i < sizeof s_bad_files / sizeof s_bad_files [0]; i++) {
        char text [1024];
        snprintf (text, sizeof text, s_bad_files [i].body, s_departments);
        rules_t *rules = s_load_text (text, &err);
        S_CHECK (rules == NULL, "bad file %zu was accepted", i);
        rules_destroy (&rules);
        S_CHECK (err.line == s_bad_files [i].line, "bad file %zu: line %d, expected %d (%s)",
                 i, err.line, s_bad_files [i].line, err.reason);
        S_CHECK (strstr (err.reason, s_bad_files [i].reason) != NULL,
                 "bad file %zu: reason '%s' lacks '%s'", i, err.reason, s_bad_files [i].reason);
        if (verbose)
            printf ("  refused as expected: line %d: %s\n", err.line, err.reason);
    }
    //  A BOM anywhere but the start of the file is not whitespace: refused.
    rules_t *rules = s_load_text (s_bom_inside, &err);
    S_CHECK (rules == NULL && err.line == 2, "BOM inside the file: line %d %s", err.line, err.reason);
    rules_destroy (&rules);

    rules = rules_load ("/nonexistent/rules.conf", &err);
    S_CHECK (rules == NULL && err.line == 0 && strstr (err.reason, "cannot open"),
             "missing file: %s", err.reason);
    rules_destroy (&rules);
    rules_destroy (&rules);       /* safe twice */
    return failed;
}

static int
s_test_matcher (bool verbose, int *passed)
{
    int failed = 0;
    char text [2048];
    snprintf (text, sizeof text,
              "\xEF\xBB\xBF# matcher test (BOM at the start is allowed)\r\n"
              "%s"
              "route card_center product = \"Credit card\" | \"credit card or prepaid card\"\n" /* 5 */
              "route lending     product ~ mortgage | 房贷   # comment after a rule\n"           /* 6 */
              "route card_center channel = app  text ~ 年费 | \"annual fee\"\n"               /* 7 */
              "route lending     text~征信|\"say \\\"loan\\\"\"\n"                             /* 8 */
              "route card_center subject ~ CARD\n"                                            /* 9 */
              "route lending     body ~ 贷款\n"                                                /* 10 */
              "route lending     category = loans\n"                                          /* 11 */
              "\n"
              "default office\n",                                                             /* 13 */
              s_departments);
    rules_error_t err;
    rules_t *rules = s_load_text (text, &err);
    S_CHECK (rules != NULL, "matcher file refused: line %d %s", err.line, err.reason);
    if (!rules)
        return failed;
    S_CHECK (rules_count (rules) == 7, "rule count %zu", rules_count (rules));
    const char *name = rules_department_name (rules, "lending");
    S_CHECK (name && strcmp (name, "个人信贷部") == 0, "display name '%s'", name);

    struct {
        const char *product, *category, *channel, *subject, *body, *dept, *rule;
    } cases [] = {
        { "CREDIT CARD", NULL, "web", NULL, NULL, "card_center", ":5" },
        { "Credit card or prepaid card", NULL, NULL, NULL, NULL, "card_center", ":5" },
        { "Credit card debt", NULL, NULL, NULL, NULL, "office", ":13" },  /* '=' is whole */
        { "Conventional MORTGAGE", NULL, NULL, NULL, NULL, "lending", ":6" },
        { "个人房贷", NULL, NULL, NULL, NULL, "lending", ":6" },
        { NULL, NULL, "app", NULL, "为什么收我年费", "card_center", ":7" },
        { NULL, NULL, "web", NULL, "为什么收我年费", "office", ":13" },   /* AND fails */
        { NULL, NULL, "app", "Annual Fee charged", NULL, "card_center", ":7" },
        { NULL, NULL, NULL, "我的征信有误", NULL, "lending", ":8" },
        { NULL, NULL, NULL, NULL, "they say \"LOAN\" twice", "lending", ":8" },
        { NULL, NULL, NULL, "my card", NULL, "card_center", ":9" },
        { NULL, NULL, NULL, NULL, "my card", "office", ":13" },            /* subject only */
        { NULL, NULL, NULL, "贷款", NULL, "office", ":13" },               /* body only */
        { NULL, NULL, NULL, NULL, "申请贷款被拒", "lending", ":10" },
        { NULL, "Loans", NULL, NULL, NULL, "lending", ":11" },
        { NULL, "loans and more", NULL, NULL, NULL, "office", ":13" },
        { NULL, NULL, NULL, NULL, NULL, "office", ":13" },
        { "", "", "", "", "", "office", ":13" },
        //  A pattern never matches across a UTF-8 character: 费 is E8 B4 B9,
        //  and 贷 is E8 B4 B7; "房贷" must not match "房费".
        { "房费", NULL, NULL, NULL, NULL, "office", ":13" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        const char *rule = NULL;
        const char *dept = rules_route (rules, cases [i].product, cases [i].category,
                                        cases [i].channel, cases [i].subject, cases [i].body,
                                        &rule);
        char want_rule [64];
        snprintf (want_rule, sizeof want_rule, "%s", cases [i].rule);
        S_CHECK (dept && strcmp (dept, cases [i].dept) == 0,
                 "case %zu: department %s, expected %s", i, dept, cases [i].dept);
        size_t rl = rule ? strlen (rule) : 0, wl = strlen (want_rule);
        S_CHECK (rule && rl > wl && strcmp (rule + rl - wl, want_rule) == 0
                 && strncmp (rule, "rules_test_", 11) == 0,
                 "case %zu: rule %s, expected ...%s", i, rule, want_rule);
        if (verbose)
            printf ("  case %zu -> %s (%s)\n", i, dept, rule);
    }
    rules_destroy (&rules);
    S_CHECK (rules == NULL, "destroy nulls the pointer");
    return failed;
}

/* The production file: every US consumer bureau product and the common
 * Chinese complaint words land in a sensible department. */
static int
s_test_shipped (bool verbose, const char *path, int *passed)
{
    int failed = 0;
    rules_error_t err;
    rules_t *rules = rules_load (path, &err);
    S_CHECK (rules != NULL, "shipped rules %s refused: line %d: %s", path, err.line, err.reason);
    if (!rules)
        return failed;
    struct {
        const char *product, *category, *channel, *subject, *body, *dept;
    } cases [] = {
        //  Every "Product" of the US consumer bureau's export.
        { "Credit reporting, credit repair services, or other personal consumer reports",
          "Credit reporting", "regulator", "Incorrect information on your report", NULL,
          "retail_lending" },
        { "Debt collection", "Medical debt", "regulator", NULL, NULL, "retail_lending" },
        { "Credit card or prepaid card", "Store credit card", "regulator", NULL, NULL,
          "card_center" },
        { "Checking or savings account", "Checking account", "regulator", NULL, NULL,
          "deposits_accounts" },
        { "Mortgage", "Conventional home mortgage", "regulator", NULL, NULL, "retail_lending" },
        { "Student loan", "Federal student loan servicing", "regulator", NULL, NULL,
          "retail_lending" },
        { "Vehicle loan or lease", "Lease", "regulator", NULL, NULL, "retail_lending" },
        { "Money transfer, virtual currency, or money service", "Domestic (US) money transfer",
          "regulator", NULL, NULL, "payments" },
        { "Payday loan, title loan, or personal loan", "Installment loan", "regulator", NULL,
          NULL, "retail_lending" },
        { "Credit card", NULL, "regulator", NULL, NULL, "card_center" },
        //  Other US products the bureau has used.
        { "Bank account or service", NULL, "regulator", NULL, NULL, "deposits_accounts" },
        { "Prepaid card", NULL, "regulator", NULL, NULL, "card_center" },
        { "Consumer Loan", NULL, "regulator", NULL, NULL, "retail_lending" },
        //  Chinese complaints by keyword.
        { NULL, NULL, "hotline", NULL, "我的信用卡被盗刷了", "card_center" },
        { NULL, NULL, "hotline", "年费", "没开卡就扣年费", "card_center" },
        { NULL, NULL, "web", NULL, "贷款审批太慢", "retail_lending" },
        { NULL, NULL, "web", NULL, "房贷提前还款违约金不合理", "retail_lending" },
        { NULL, NULL, "letter", NULL, "征信报告上有不属于我的逾期记录", "retail_lending" },
        { NULL, NULL, "hotline", NULL, "催收人员天天打电话骚扰我家人", "retail_lending" },
        { NULL, NULL, "counter", NULL, "跨行转账三天没到账", "payments" },
        { NULL, NULL, "counter", NULL, "境外汇款被退回还扣了手续费", "payments" },
        { NULL, NULL, "wechat", NULL, "理财产品亏损，销售时没说有风险", "wealth_insurance" },
        { NULL, NULL, "hotline", NULL, "基金赎回迟迟不到账", "wealth_insurance" },
        { NULL, NULL, "hotline", NULL, "柜员搭售保险", "wealth_insurance" },
        { NULL, NULL, "app", NULL, "手机银行登录不了", "ebanking" },
        { NULL, NULL, "web", NULL, "网银U盾无法使用", "ebanking" },
        { NULL, NULL, "counter", NULL, "定期存款提前支取利息算错", "deposits_accounts" },
        { NULL, NULL, "counter", NULL, "账户被冻结了", "deposits_accounts" },
        { NULL, NULL, "hotline", NULL, "大堂经理态度恶劣", "complaint_office" },
        //  English keywords, any case.
        { NULL, NULL, "email", "My CREDIT CARD was charged twice", NULL, "card_center" },
        { NULL, NULL, "email", NULL, "The Wire Transfer never arrived", "payments" },
        { NULL, NULL, "email", NULL, "I cannot log in to online banking", "ebanking" },
        { NULL, NULL, "email", NULL, "the branch manager was rude", "complaint_office" },
        //  Category hints.
        { NULL, "信用卡", "hotline", NULL, "态度差", "card_center" },
        { NULL, "loan", "hotline", NULL, "态度差", "retail_lending" },
        { NULL, "e-banking", "hotline", NULL, NULL, "ebanking" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        const char *rule = NULL;
        const char *dept = rules_route (rules, cases [i].product, cases [i].category,
                                        cases [i].channel, cases [i].subject, cases [i].body,
                                        &rule);
        S_CHECK (strcmp (dept, cases [i].dept) == 0,
                 "shipped case %zu (%s%s): %s by %s, expected %s", i,
                 cases [i].product ? cases [i].product : "",
                 cases [i].body ? cases [i].body : (cases [i].subject ? cases [i].subject : ""),
                 dept, rule, cases [i].dept);
        if (verbose)
            printf ("  shipped case %zu -> %s (%s)\n", i, dept, rule);
    }
    rules_destroy (&rules);
    return failed;
}

int
rules_test (bool verbose, const char *shipped, int *passed)
{
    assert (passed);
    if (verbose)
        printf (" * rules: parser\n");
    int failed = s_test_parser (verbose, passed);
    if (verbose)
        printf (" * rules: matcher\n");
    failed += s_test_matcher (verbose, passed);
    if (shipped) {
        if (verbose)
            printf (" * rules: shipped file %s\n", shipped);
        failed += s_test_shipped (verbose, shipped, passed);
    }
    return failed;
}
