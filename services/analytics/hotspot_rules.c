/*  hotspot_rules.c — hotspots.conf, read and validated (see hotspot_rules.h).
 *
 *  The file is read by the reader every config file shares (common/conf.c:
 *  UTF-8, `#` comments, blank lines, bounded lines), one rule a line:
 *
 *      KIND  BY  PARAMETER VALUE  [PARAMETER VALUE ...]
 *
 *      outlet           branch_cause | branch_line
 *                       count N  window SPAN  [clear N]  [samples N]  [name NAME]
 *      repeat_customer  customer
 *                       count N  window SPAN  [clear N]  [samples N]  [name NAME]
 *      surge            cause | business_line
 *                       [baseline Nd] [p P] [min N] [keep P] [cool SPAN]
 *                       [history Nd] [samples N] [name NAME]
 *
 *  SPAN is a whole number of days (`30d`), hours (`12h`) or minutes (`90m`):
 *  a sliding window is elapsed time, not calendar days (a complaint counts
 *  for exactly `window` after it arrived, whatever the holidays). Only the
 *  surge's "today" and its baseline days are calendar days, in the bank's
 *  zone — the caller's business (hotspot.h).
 *
 *  The parameters are a table (s_params): name, the kinds it belongs to,
 *  its type and bounds, where it is stored. So "a parameter of another
 *  kind", "given twice", "out of range" and "unknown" are each checked once,
 *  and every refusal says which field: "hotspots.conf:7: clear: 3 is not
 *  below count 3 (the hysteresis needs clear < count)".
 *
 *  Defaults and why: clear = count / 2 (a hot spot is cleared when half or
 *  more of what made it hot has aged out of the window, not when the first
 *  complaint has: see hotspot.c on flapping); samples = 10; surge baseline
 *  28d (four whole weeks, so each weekday weighs the same), p = 0.001, min
 *  = 5, keep = min (10 p, 0.05), cool = 1d, history = 7d.
 */
#include "hotspot_rules.h"
#include "events.h"             /* EVENTS_MAX_LIST */

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_LINE   1024
#define S_MAX_WORDS  32
#define S_DAY_MS     (24LL * 3600 * 1000)

struct _hotspot_rules_t {
    hotspot_rule_t rules [HOTSPOT_MAX_RULES];
    size_t count;
    char summary [128];
};

static const char *s_kinds [HOTSPOT_KINDS] = { "outlet", "repeat_customer", "surge" };

//  Each BY and the kind it belongs to.
static const struct {
    const char *name;
    hotspot_kind_t kind;
} s_bys [HOTSPOT_BYS] = {
    { "branch_cause", HOTSPOT_OUTLET }, { "branch_line", HOTSPOT_OUTLET },
    { "customer", HOTSPOT_REPEAT_CUSTOMER },
    { "cause", HOTSPOT_SURGE }, { "business_line", HOTSPOT_SURGE },
};

const char *
hotspot_kind_name (hotspot_kind_t kind)
{
    assert (kind < HOTSPOT_KINDS);
    return s_kinds [kind];
}

const char *
hotspot_by_name (hotspot_by_t by)
{
    assert (by < HOTSPOT_BYS);
    return s_bys [by].name;
}

void
hotspot_span_format (int64_t ms, char *out, size_t size)
{
    if (ms > 0 && ms % S_DAY_MS == 0)
        snprintf (out, size, "%lldd", (long long) (ms / S_DAY_MS));
    else
    if (ms > 0 && ms % 3600000 == 0)
        snprintf (out, size, "%lldh", (long long) (ms / 3600000));
    else
        snprintf (out, size, "%lldm", (long long) (ms / 60000));
}

//  --------------------------------------------------------------------------
//  The parameters

typedef enum { P_INT, P_SPAN, P_DAYS, P_PROB, P_NAME } s_ptype_t;

#define K_WINDOW  ((1u << HOTSPOT_OUTLET) | (1u << HOTSPOT_REPEAT_CUSTOMER))
#define K_SURGE   (1u << HOTSPOT_SURGE)
#define K_ALL     (K_WINDOW | K_SURGE)

enum {
    PARAM_COUNT, PARAM_WINDOW, PARAM_CLEAR, PARAM_SAMPLES, PARAM_NAME, PARAM_BASELINE,
    PARAM_P, PARAM_MIN, PARAM_KEEP, PARAM_COOL, PARAM_HISTORY, PARAMS
};

static const struct {
    const char *name;
    unsigned kinds;
    s_ptype_t type;
    double lo, hi;                      /* bounds (P_SPAN, P_DAYS: in days) */
} s_params [PARAMS] = {
    [PARAM_COUNT]    = { "count", K_WINDOW, P_INT, 2, 1000000 },
    [PARAM_WINDOW]   = { "window", K_WINDOW, P_SPAN, 1.0 / 1440, 3660 },
    [PARAM_CLEAR]    = { "clear", K_WINDOW, P_INT, 0, 999999 },
    [PARAM_SAMPLES]  = { "samples", K_ALL, P_INT, 1, EVENTS_MAX_LIST },
    [PARAM_NAME]     = { "name", K_ALL, P_NAME, 0, 0 },
    [PARAM_BASELINE] = { "baseline", K_SURGE, P_DAYS, 7, 366 },
    [PARAM_P]        = { "p", K_SURGE, P_PROB, 1e-12, 0.1 },
    [PARAM_MIN]      = { "min", K_SURGE, P_INT, 1, 1000000 },
    [PARAM_KEEP]     = { "keep", K_SURGE, P_PROB, 1e-12, 0.5 },
    [PARAM_COOL]     = { "cool", K_SURGE, P_SPAN, 0, 366 },
    [PARAM_HISTORY]  = { "history", K_SURGE, P_DAYS, 1, 366 },
};

//  A whole number, all digits (no sign, no spaces, no "1e3"). -1: not one.
static int64_t
s_integer (const char *text)
{
    if (!*text || strlen (text) > 12)
        return -1;
    for (const char *p = text; *p; p++)
        if (!isdigit ((unsigned char) *p))
            return -1;
    return strtoll (text, NULL, 10);
}

//  "30d" / "12h" / "90m" -> ms; -1 when not a span.
static int64_t
s_span (const char *text)
{
    size_t len = strlen (text);
    if (len < 2 || len > 10)
        return -1;
    char unit = text [len - 1];
    char digits [12];
    snprintf (digits, sizeof digits, "%.*s", (int) (len - 1), text);
    int64_t n = s_integer (digits);
    if (n < 0)
        return -1;
    switch (unit) {
        case 'd': return n * S_DAY_MS;
        case 'h': return n * 3600000;
        case 'm': return n * 60000;
        default: return -1;
    }
}

static bool
s_name_ok (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len >= HOTSPOT_NAME_SIZE)
        return false;
    for (const char *p = name; *p; p++)
        if (!(islower ((unsigned char) *p) || isdigit ((unsigned char) *p) || *p == '_'
              || *p == '.' || *p == '-'))
            return false;
    return true;
}

//  One parameter's value into the rule. 0, or -1 with the error set.
static int
s_param (conf_cursor_t *c, hotspot_rule_t *rule, int param, const char *value)
{
    const char *pname = s_params [param].name;
    double lo = s_params [param].lo, hi = s_params [param].hi;
    if (s_params [param].type == P_NAME) {
        if (!s_name_ok (value))
            return conf_fail (c, "name: '%.40s' is not a rule name (1-63 of a-z 0-9 _ . -)",
                              value);
        snprintf (rule->name, sizeof rule->name, "%s", value);
        return 0;
    }
    if (s_params [param].type == P_INT) {
        int64_t n = s_integer (value);
        if (n < 0 || n < lo || n > hi)
            return conf_fail (c, "%s: want a whole number %.0f-%.0f, not '%.40s'", pname, lo,
                              hi, value);
        switch (param) {
            case PARAM_COUNT: rule->count = n; break;
            case PARAM_CLEAR: rule->clear = n; break;
            case PARAM_SAMPLES: rule->samples = (int) n; break;
            case PARAM_MIN: rule->min = n; break;
            default: abort ();
        }
        return 0;
    }
    if (s_params [param].type == P_SPAN || s_params [param].type == P_DAYS) {
        int64_t ms = s_span (value);
        bool days = s_params [param].type == P_DAYS;
        if (ms < 0 || (days && ms % S_DAY_MS))
            return conf_fail (c, days ? "%s: want whole days (28d), not '%.40s'"
                                      : "%s: want a span (30d, 12h, 90m), not '%.40s'",
                              pname, value);
        if (ms < lo * S_DAY_MS || ms > hi * S_DAY_MS)
            return conf_fail (c, "%s: %s is out of range (%g to %g days)", pname, value, lo, hi);
        switch (param) {
            case PARAM_WINDOW:
                rule->window_ms = ms;
                hotspot_span_format (ms, rule->window, sizeof rule->window);
                break;
            case PARAM_COOL: rule->cool_ms = ms; break;
            case PARAM_BASELINE: rule->baseline_days = (int) (ms / S_DAY_MS); break;
            case PARAM_HISTORY: rule->min_days = (int) (ms / S_DAY_MS); break;
            default: abort ();
        }
        return 0;
    }
    //  P_PROB
    char *end = NULL;
    errno = 0;
    double p = strtod (value, &end);
    if (errno || end == value || *end || !isfinite (p) || p < lo || p > hi)
        return conf_fail (c, "%s: want a probability %g-%g, not '%.40s'", pname, lo, hi,
                          value);
    if (param == PARAM_P)
        rule->p = p;
    else
        rule->keep = p;
    return 0;
}

//  The checks between parameters, and the defaults of those not given.
static int
s_complete (conf_cursor_t *c, hotspot_rule_t *rule, const bool *given)
{
    if (rule->kind != HOTSPOT_SURGE) {
        if (!given [PARAM_COUNT])
            return conf_fail (c, "count: missing (%s wants count N window SPAN)",
                              s_kinds [rule->kind]);
        if (!given [PARAM_WINDOW])
            return conf_fail (c, "window: missing (%s wants count N window SPAN)",
                              s_kinds [rule->kind]);
        if (!given [PARAM_CLEAR])
            rule->clear = rule->count / 2;
        if (rule->clear >= rule->count)
            return conf_fail (c, "clear: %lld is not below count %lld (the hysteresis needs "
                              "clear < count)", (long long) rule->clear,
                              (long long) rule->count);
    }
    else {
        if (!given [PARAM_BASELINE])
            rule->baseline_days = 28;
        if (!given [PARAM_P])
            rule->p = 0.001;
        if (!given [PARAM_MIN])
            rule->min = 5;
        if (!given [PARAM_KEEP])
            rule->keep = fmax (rule->p, fmin (10 * rule->p, 0.05));
        if (!given [PARAM_COOL])
            rule->cool_ms = S_DAY_MS;
        if (!given [PARAM_HISTORY])
            rule->min_days = rule->baseline_days < 7 ? rule->baseline_days : 7;
        if (rule->keep < rule->p)
            return conf_fail (c, "keep: %g is below p %g (keeping a surge open must be easier "
                              "than opening one)", rule->keep, rule->p);
        if (rule->min_days > rule->baseline_days)
            return conf_fail (c, "history: %dd is longer than the baseline %dd",
                              rule->min_days, rule->baseline_days);
        snprintf (rule->window, sizeof rule->window, "1d");
    }
    if (!given [PARAM_SAMPLES])
        rule->samples = 10;
    if (!given [PARAM_NAME])
        snprintf (rule->name, sizeof rule->name, "%s.%s", s_kinds [rule->kind],
                  s_bys [rule->by].name);
    return 0;
}

static int
s_parse_words (hotspot_rules_t *self, conf_cursor_t *c, char **words, int nwords)
{
    int kind = -1;
    for (int k = 0; k < HOTSPOT_KINDS; k++)
        if (strcmp (words [0], s_kinds [k]) == 0)
            kind = k;
    if (kind < 0)
        return conf_fail (c, "kind: unknown '%.40s' (outlet, repeat_customer, surge)",
                          words [0]);
    if (nwords < 2)
        return conf_fail (c, "by: missing (want KIND BY PARAMETER VALUE ...)");
    int by = -1;
    for (int b = 0; b < HOTSPOT_BYS; b++)
        if (strcmp (words [1], s_bys [b].name) == 0 && (int) s_bys [b].kind == kind)
            by = b;
    if (by < 0) {
        char allowed [96] = "";
        for (int b = 0; b < HOTSPOT_BYS; b++)
            if ((int) s_bys [b].kind == kind)
                snprintf (allowed + strlen (allowed), sizeof allowed - strlen (allowed),
                          "%s%s", *allowed ? ", " : "", s_bys [b].name);
        return conf_fail (c, "by: %s cannot group by '%.40s' (%s)", s_kinds [kind], words [1],
                          allowed);
    }
    if (self->count == HOTSPOT_MAX_RULES)
        return conf_fail (c, "more than %d rules", HOTSPOT_MAX_RULES);
    hotspot_rule_t rule;
    memset (&rule, 0, sizeof rule);
    rule.kind = (hotspot_kind_t) kind;
    rule.by = (hotspot_by_t) by;
    conf_label (rule.label, sizeof rule.label, c->file, c->line);
    bool given [PARAMS] = { false };
    for (int w = 2; w < nwords; w += 2) {
        int param = -1;
        for (int p = 0; p < PARAMS; p++)
            if (strcmp (words [w], s_params [p].name) == 0)
                param = p;
        if (param < 0)
            return conf_fail (c, "'%.40s': not a parameter (count, window, clear, samples, "
                              "name; surge: baseline, p, min, keep, cool, history)", words [w]);
        if (!(s_params [param].kinds & (1u << kind)))
            return conf_fail (c, "%s: not a parameter of %s", words [w], s_kinds [kind]);
        if (given [param])
            return conf_fail (c, "%s: given twice", words [w]);
        if (w + 1 >= nwords)
            return conf_fail (c, "%s: no value", words [w]);
        given [param] = true;
        if (s_param (c, &rule, param, words [w + 1]))
            return -1;
    }
    if (s_complete (c, &rule, given))
        return -1;
    if (hotspot_rules_find (self, rule.name))
        return conf_fail (c, "name: a second rule named %s (give one of them `name NAME`)",
                          rule.name);
    self->rules [self->count++] = rule;
    return 0;
}

static int
s_parse_line (void *arg, conf_cursor_t *c)
{
    char *words [S_MAX_WORDS];
    int nwords = conf_split (c, words, S_MAX_WORDS);
    if (nwords < 0)
        return -1;
    int rc = s_parse_words ((hotspot_rules_t *) arg, c, words, nwords);
    conf_words_free (words, nwords);
    return rc;
}

static hotspot_rules_t *
s_finish (hotspot_rules_t *self, int rc, const char *file, conf_error_t *err)
{
    if (rc == 0 && self->count == 0)
        rc = conf_error_set (err, file, 0, "no rules (a file with none is a mistake: stop "
                             "the hot-spot detection instead)");
    if (rc) {
        free (self);
        return NULL;
    }
    int kinds [HOTSPOT_KINDS] = { 0 };
    for (size_t i = 0; i < self->count; i++)
        kinds [self->rules [i].kind]++;
    snprintf (self->summary, sizeof self->summary, "rules=%zu outlet=%d repeat_customer=%d "
              "surge=%d", self->count, kinds [0], kinds [1], kinds [2]);
    return self;
}

hotspot_rules_t *
hotspot_rules_parse (const char *file, const char *text, size_t size, conf_error_t *err)
{
    assert (file && err);
    hotspot_rules_t *self = calloc (1, sizeof *self);
    assert (self);
    conf_limits_t limits = { .max_line = S_MAX_LINE, .max_size = 1024 * 1024 };
    int rc = conf_parse (file, text, size, &limits, err, s_parse_line, self);
    return s_finish (self, rc, file, err);
}

hotspot_rules_t *
hotspot_rules_load (const char *path, conf_error_t *err)
{
    assert (path && err);
    hotspot_rules_t *self = calloc (1, sizeof *self);
    assert (self);
    conf_limits_t limits = { .max_line = S_MAX_LINE, .max_size = 1024 * 1024 };
    int rc = conf_read (path, &limits, err, s_parse_line, self);
    return s_finish (self, rc, path, err);
}

void
hotspot_rules_destroy (hotspot_rules_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

size_t
hotspot_rules_count (const hotspot_rules_t *self)
{
    assert (self);
    return self->count;
}

const hotspot_rule_t *
hotspot_rules_get (const hotspot_rules_t *self, size_t index)
{
    assert (self);
    return index < self->count ? &self->rules [index] : NULL;
}

const hotspot_rule_t *
hotspot_rules_find (const hotspot_rules_t *self, const char *name)
{
    assert (self && name);
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->rules [i].name, name) == 0)
            return &self->rules [i];
    return NULL;
}

const char *
hotspot_rules_summary (const hotspot_rules_t *self)
{
    assert (self);
    return self->summary;
}

//  --------------------------------------------------------------------------
//  Self-test: the shipped file, then a table of files and what becomes of
//  each. Checks hold whatever NDEBUG says.

#define S_CHECK(cond, ...) do { \
    if (!(cond)) { \
        fprintf (stderr, "hotspot_rules_test: FAIL (%s:%d) ", __FILE__, __LINE__); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
        abort (); \
    } \
} while (0)

void
hotspot_rules_test (bool verbose)
{
    printf (" * hotspot_rules: ");
    int checks = 0;
    //  The shipped file (the self-test runs from the project's root).
    conf_error_t err;
    hotspot_rules_t *rules = hotspot_rules_load ("deploy/analytics/hotspots.conf", &err);
    char text [600];
    S_CHECK (rules, "the shipped hotspots.conf: %s", conf_error_format (&err, text, sizeof text));
    size_t kinds [HOTSPOT_KINDS] = { 0 };
    for (size_t i = 0; i < hotspot_rules_count (rules); i++)
        kinds [hotspot_rules_get (rules, i)->kind]++;
    S_CHECK (kinds [HOTSPOT_OUTLET] && kinds [HOTSPOT_REPEAT_CUSTOMER] && kinds [HOTSPOT_SURGE],
             "the shipped file has every kind: %s", hotspot_rules_summary (rules));
    checks += 2;
    hotspot_rules_destroy (&rules);
    hotspot_rules_destroy (&rules);                 /* safe twice */

    //  Good files: what each rule becomes.
    struct {
        const char *text;
        const char *name, *window;
        hotspot_kind_t kind;
        hotspot_by_t by;
        int64_t count, clear, window_ms;
        int samples;
    } good [] = {
        { "outlet branch_cause count 3 window 30d\n", "outlet.branch_cause", "30d",
          HOTSPOT_OUTLET, HOTSPOT_BY_BRANCH_CAUSE, 3, 1, 30 * S_DAY_MS, 10 },
        { "\xEF\xBB\xBF# c\r\n  outlet\tbranch_line  window 12h count 10 clear 7 samples 64 "
          "name outlet_line_12h # why\r\n", "outlet_line_12h", "12h", HOTSPOT_OUTLET,
          HOTSPOT_BY_BRANCH_LINE, 10, 7, 12 * 3600000LL, 64 },
        { "repeat_customer customer count 2 window 90m clear 0\n", "repeat_customer.customer",
          "90m", HOTSPOT_REPEAT_CUSTOMER, HOTSPOT_BY_CUSTOMER, 2, 0, 90 * 60000LL, 10 },
        { "repeat_customer customer count 3 window 24h\n", "repeat_customer.customer", "1d",
          HOTSPOT_REPEAT_CUSTOMER, HOTSPOT_BY_CUSTOMER, 3, 1, S_DAY_MS, 10 },
        { "surge cause\n", "surge.cause", "1d", HOTSPOT_SURGE, HOTSPOT_BY_CAUSE, 0, 0, 0, 10 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        rules = hotspot_rules_parse ("t.conf", good [i].text, strlen (good [i].text), &err);
        S_CHECK (rules, "good %zu refused: %s", i, conf_error_format (&err, text, sizeof text));
        const hotspot_rule_t *r = hotspot_rules_get (rules, 0);
        S_CHECK (hotspot_rules_count (rules) == 1 && strcmp (r->name, good [i].name) == 0
                 && strcmp (r->window, good [i].window) == 0 && r->kind == good [i].kind
                 && r->by == good [i].by && r->count == good [i].count
                 && r->clear == good [i].clear && r->window_ms == good [i].window_ms
                 && r->samples == good [i].samples,
                 "good %zu: %s %s count=%lld clear=%lld window=%s samples=%d", i, r->name,
                 hotspot_by_name (r->by), (long long) r->count, (long long) r->clear, r->window,
                 r->samples);
        S_CHECK (hotspot_rules_find (rules, good [i].name) == r, "find %s", good [i].name);
        hotspot_rules_destroy (&rules);
        checks++;
    }
    //  The surge's defaults, and every parameter given.
    const char *surge = "surge business_line\n"
                        "surge cause baseline 14d p 1e-4 min 8 keep 0.002 cool 2d history 10d "
                        "samples 5 name s2\n";
    rules = hotspot_rules_parse ("t.conf", surge, strlen (surge), &err);
    S_CHECK (rules && hotspot_rules_count (rules) == 2, "surges refused: %s", err.reason);
    const hotspot_rule_t *s1 = hotspot_rules_get (rules, 0), *s2 = hotspot_rules_get (rules, 1);
    S_CHECK (s1->baseline_days == 28 && s1->p == 0.001 && s1->min == 5
             && fabs (s1->keep - 0.01) < 1e-12 && s1->cool_ms == S_DAY_MS && s1->min_days == 7
             && strcmp (s1->name, "surge.business_line") == 0
             && strcmp (s1->label, "t.conf:1") == 0,
             "surge defaults: %d %g %lld %g", s1->baseline_days, s1->p, (long long) s1->min,
             s1->keep);
    S_CHECK (s2->baseline_days == 14 && s2->p == 1e-4 && s2->min == 8 && s2->keep == 0.002
             && s2->cool_ms == 2 * S_DAY_MS && s2->min_days == 10 && s2->samples == 5
             && strcmp (s2->name, "s2") == 0 && hotspot_rules_get (rules, 2) == NULL
             && strcmp (hotspot_rules_summary (rules),
                        "rules=2 outlet=0 repeat_customer=0 surge=2") == 0,
             "surge given: %s", hotspot_rules_summary (rules));
    hotspot_rules_destroy (&rules);
    checks += 2;

    //  Refusals: the line and the field at fault. The file is refused whole:
    //  a good rule before the mistake is not kept.
    struct {
        const char *text;
        int line;
        const char *reason;
    } bad [] = {
        { "", 0, "no rules" },
        { "# only comments\n\n", 0, "no rules" },
        { "outlet branch_cause count 3 window 30d\nhotspot x\n", 2, "kind: unknown 'hotspot'" },
        { "outlet\n", 1, "by: missing" },
        { "outlet customer count 3 window 30d\n", 1,
          "by: outlet cannot group by 'customer' (branch_cause, branch_line)" },
        { "surge branch_cause\n", 1, "by: surge cannot group by 'branch_cause'" },
        { "outlet branch_cause window 30d\n", 1, "count: missing" },
        { "outlet branch_cause count 3\n", 1, "window: missing" },
        { "outlet branch_cause count three window 30d\n", 1,
          "count: want a whole number 2-1000000, not 'three'" },
        { "outlet branch_cause count 1 window 30d\n", 1, "count: want a whole number" },
        { "outlet branch_cause count -3 window 30d\n", 1, "count: want a whole number" },
        { "outlet branch_cause count 3 window 30\n", 1, "window: want a span" },
        { "outlet branch_cause count 3 window 30w\n", 1, "window: want a span" },
        { "outlet branch_cause count 3 window 0d\n", 1, "window: 0d is out of range" },
        { "outlet branch_cause count 3 window 4000d\n", 1, "window: 4000d is out of range" },
        { "outlet branch_cause count 3 window 30d clear 3\n", 1,
          "clear: 3 is not below count 3" },
        { "outlet branch_cause count 3 window 30d count 4\n", 1, "count: given twice" },
        { "outlet branch_cause count 3 window 30d p 0.01\n", 1, "p: not a parameter of outlet" },
        { "outlet branch_cause count 3 window 30d colour red\n", 1,
          "'colour': not a parameter" },
        { "outlet branch_cause count 3 window 30d samples\n", 1, "samples: no value" },
        { "outlet branch_cause count 3 window 30d samples 65\n", 1,
          "samples: want a whole number 1-64" },
        { "outlet branch_cause count 3 window 30d name Big\n", 1, "name: 'Big' is not a rule" },
        { "surge cause count 3\n", 1, "count: not a parameter of surge" },
        { "surge cause p 0\n", 1, "p: want a probability" },
        { "surge cause p 0.5\n", 1, "p: want a probability" },
        { "surge cause p nan\n", 1, "p: want a probability" },
        { "surge cause p 0.01x\n", 1, "p: want a probability" },
        { "surge cause p 0.01 keep 0.001\n", 1, "keep: 0.001 is below p 0.01" },
        { "surge cause baseline 30h\n", 1, "baseline: want whole days" },
        { "surge cause baseline 3d\n", 1, "baseline: 3d is out of range" },
        { "surge cause baseline 7d history 8d\n", 1, "history: 8d is longer than the baseline" },
        { "surge cause min 0\n", 1, "min: want a whole number 1-" },
        { "surge cause\nsurge cause p 0.01\n", 2, "name: a second rule named surge.cause" },
        { "surge cause name a\nsurge business_line name a\n", 2, "name: a second rule named a" },
        { "surge cause \"quoted\n", 1, "" },
        { "surge cause # \xff\n", 1, "not valid UTF-8" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        rules = hotspot_rules_parse ("t.conf", bad [i].text, strlen (bad [i].text), &err);
        S_CHECK (!rules && err.line == bad [i].line && strstr (err.reason, bad [i].reason)
                 && strcmp (err.file, "t.conf") == 0,
                 "bad %zu: %s, expected line %d '%s'", i,
                 rules ? "accepted" : conf_error_format (&err, text, sizeof text), bad [i].line,
                 bad [i].reason);
        hotspot_rules_destroy (&rules);
        checks++;
    }
    //  Sixty-five rules: refused at the 65th line.
    char *many = malloc (65 * 64);
    assert (many);
    size_t used = 0;
    for (int i = 0; i < 65; i++)
        used += (size_t) sprintf (many + used, "surge cause name r%d\n", i);
    rules = hotspot_rules_parse ("t.conf", many, used, &err);
    S_CHECK (!rules && err.line == 65 && strstr (err.reason, "more than 64 rules"),
             "65 rules: %s", err.reason);
    free (many);
    checks++;
    //  A missing file names the file.
    rules = hotspot_rules_load ("/nonexistent/hotspots.conf", &err);
    S_CHECK (!rules && err.line == 0 && strstr (err.reason, "cannot open"), "missing: %s",
             err.reason);
    checks++;
    //  Spans as the events print them.
    char span [HOTSPOT_SPAN_SIZE];
    hotspot_span_format (30 * S_DAY_MS, span, sizeof span);
    S_CHECK (strcmp (span, "30d") == 0, "%s", span);
    hotspot_span_format (36 * 3600000LL, span, sizeof span);
    S_CHECK (strcmp (span, "36h") == 0, "%s", span);
    hotspot_span_format (90 * 60000LL, span, sizeof span);
    S_CHECK (strcmp (span, "90m") == 0, "%s", span);
    checks += 3;
    if (verbose)
        printf ("%d checks ", checks);
    printf ("OK\n");
}
