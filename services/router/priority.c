/*  priority.c — the priority and major-complaint policy (see priority.h).
 *
 *  Terms are blank-separated tokens (conf_token: no quoting is needed, every
 *  value is a number or a taxonomy id), read with the common reader
 *  (common/conf.c). Numbers are compared as doubles: amounts
 *  are money with two decimals and the thresholds are whole numbers, so
 *  rounding never decides a comparison that matters.
 */
#include "priority.h"
#include "conf.h"
#include "request.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRIO_MAX_TERMS 8

typedef enum { TERM_MAJOR, TERM_FLAG, TERM_AMOUNT, TERM_CHANNEL, TERM_LINE, TERM_CAUSE,
               TERM_ALWAYS, TERM_REFERRAL } term_kind_t;

typedef struct {
    term_kind_t kind;
    char *value;                  /* flag name, or "a|b" list for channel/line/cause/referral */
    char op [3];
    double number;
} term_t;

typedef struct {
    int priority;                 /* 0 for a major line */
    char label [96];
    size_t nterms;
    term_t terms [PRIO_MAX_TERMS];
} prio_rule_t;

struct _priority_t {
    double large_amount;
    long repeat_days, default_priority;
    bool set_seen [3];
    prio_rule_t *rules;
    size_t nrules;
    const char *path;
};

static int
s_number (conf_cursor_t *c, const char *tok, double min, double max, double *out)
{
    char *end = NULL;
    double n = tok ? strtod (tok, &end) : 0;
    if (!tok || !*tok || !end || *end || !isfinite (n) || n < min || n > max)
        return conf_fail (c, "'%s' is not a number from %.0f to %.0f", tok ? tok : "", min, max);
    *out = n;
    return 0;
}

/* "a|b|c" where every item is in `list` (or a channel when list is NULL). */
static int
s_check_list (conf_cursor_t *c, const char *what, const char *value, const char *const *list)
{
    char *copy = strdup (value);
    assert (copy);
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r (copy, "|", &save); item && rc == 0;
         item = strtok_r (NULL, "|", &save)) {
        bool ok = list ? rules_word_in (list, item)
                       : channel_valid ((proto_str_t) { item, strlen (item) });
        if (!ok)
            rc = conf_fail (c, "'%s' is not a %s", item, what);
    }
    if (rc == 0 && (!*value || value [0] == '|' || value [strlen (value) - 1] == '|'
                    || strstr (value, "||")))
        rc = conf_fail (c, "empty alternative in '%s'", value);
    free (copy);
    return rc;
}

static void
s_rule_free (prio_rule_t *rule)
{
    for (size_t i = 0; i < rule->nterms; i++)
        free (rule->terms [i].value);
}

static int
s_parse_term (conf_cursor_t *c, char *word, term_t *t, bool in_priority)
{
    int rc = 0;
    char *arg = NULL, *op = NULL;
    if (strcmp (word, "major") == 0) {
        t->kind = TERM_MAJOR;
        if (!in_priority)
            rc = conf_fail (c, "'major' as a term belongs on priority lines");
    }
    else if (strcmp (word, "always") == 0)
        t->kind = TERM_ALWAYS;
    else if (strcmp (word, "flag") == 0) {
        t->kind = TERM_FLAG;
        arg = conf_token (c);
        if (!arg || !rules_word_in (rules_all_flags, arg))
            rc = conf_fail (c, "'flag' needs a flag (media, regulator, large_amount, fraud, "
                            "vulnerable, repeat), not '%s'", arg ? arg : "");
        else {
            t->value = arg;
            arg = NULL;
        }
    }
    else if (strcmp (word, "amount") == 0) {
        t->kind = TERM_AMOUNT;
        op = conf_token (c);
        if (!op || (strcmp (op, ">=") && strcmp (op, ">") && strcmp (op, "<=")
                    && strcmp (op, "<")))
            rc = conf_fail (c, "'amount' needs an operator (>=, >, <=, <), not '%s'",
                            op ? op : "");
        else {
            snprintf (t->op, sizeof t->op, "%s", op);
            arg = conf_token (c);
            rc = s_number (c, arg, 0, 1e15, &t->number);
        }
    }
    else if (strcmp (word, "channel") == 0 || strcmp (word, "line") == 0
         ||  strcmp (word, "cause") == 0 || strcmp (word, "referral") == 0) {
        t->kind = word [0] == 'r' ? TERM_REFERRAL : word [1] == 'h' ? TERM_CHANNEL
                : word [0] == 'l' ? TERM_LINE : TERM_CAUSE;
        op = conf_token (c);
        if (!op || strcmp (op, "=") != 0)
            rc = conf_fail (c, "'%s' needs '= VALUE|VALUE'", word);
        else {
            arg = conf_token (c);
            if (!arg)
                rc = conf_fail (c, "'%s =' needs a value", word);
            else
                rc = s_check_list (c, t->kind == TERM_CHANNEL ? "channel"
                                      : t->kind == TERM_LINE ? "business line"
                                      : t->kind == TERM_REFERRAL ? "referral source" : "cause",
                                   arg, t->kind == TERM_CHANNEL ? NULL
                                      : t->kind == TERM_LINE ? rules_business_lines
                                      : t->kind == TERM_REFERRAL ? referral_sources
                                      : rules_causes);
            if (rc == 0) {
                t->value = arg;
                arg = NULL;
            }
        }
    }
    else
        rc = conf_fail (c, "unknown term '%s' (major, flag, amount, channel, line, cause, "
                        "referral, always)", word);
    free (arg);
    free (op);
    return rc;
}

static int
s_parse_line (void *arg, conf_cursor_t *c)
{
    priority_t *self = (priority_t *) arg;
    char *kw = conf_token (c);
    int rc = 0;
    if (strcmp (kw, "set") == 0) {
        char *name = conf_token (c);
        char *value = conf_token (c);
        static const char *const names [] = { "large_amount", "repeat_days",
                                              "default_priority", NULL };
        int which = -1;
        for (int i = 0; name && names [i]; i++)
            if (strcmp (names [i], name) == 0)
                which = i;
        double n = 0;
        /* Deadlines moved to the SLA policy (issue 4). Refused rather than
         * ignored: an operator who edits it here must learn it does nothing. */
        if (name && strcmp (name, "resolution_days") == 0)
            rc = conf_fail (c, "'resolution_days' is no longer a routing setting: deadlines "
                            "are set by the SLA policy (deploy/sla/policy.conf, `clock "
                            "resolution ...`); remove this line");
        else if (which < 0)
            rc = conf_fail (c, "unknown setting '%s' (large_amount, repeat_days, "
                            "default_priority)", name ? name : "");
        else if (self->set_seen [which])
            rc = conf_fail (c, "'%s' set twice", name);
        else if (which == 0)
            rc = s_number (c, value, 0, 1e15, &n);
        else if (which == 2)
            rc = s_number (c, value, 1, 4, &n);
        else
            rc = s_number (c, value, 1, 3650, &n);
        if (rc == 0 && !conf_at_end (c))
            rc = conf_fail (c, "unexpected text after '%s %s'", name, value);
        if (rc == 0) {
            self->set_seen [which] = true;
            if (which == 0) self->large_amount = n;
            if (which == 1) self->repeat_days = (long) n;
            if (which == 2) self->default_priority = (long) n;
        }
        free (name);
        free (value);
    }
    else if (strcmp (kw, "major") == 0 || strcmp (kw, "priority") == 0) {
        prio_rule_t rule;
        memset (&rule, 0, sizeof rule);
        conf_label (rule.label, sizeof rule.label, c->file, c->line);
        if (kw [0] == 'p') {
            char *n = conf_token (c);
            double p = 0;
            rc = s_number (c, n, 1, 4, &p);
            rule.priority = (int) p;
            free (n);
        }
        char *word;
        while (rc == 0 && (word = conf_token (c))) {
            if (rule.nterms == PRIO_MAX_TERMS)
                rc = conf_fail (c, "more than %d terms", PRIO_MAX_TERMS);
            else
                rc = s_parse_term (c, word, &rule.terms [rule.nterms++], kw [0] == 'p');
            free (word);
        }
        if (rc == 0 && rule.nterms == 0)
            rc = conf_fail (c, "'%s' needs at least one term (e.g. flag media, or always)", kw);
        if (rc == 0) {
            self->rules = realloc (self->rules, (self->nrules + 1) * sizeof (prio_rule_t));
            assert (self->rules);
            self->rules [self->nrules++] = rule;
        }
        else
            s_rule_free (&rule);
    }
    else
        rc = conf_fail (c, "unknown keyword '%s' (set, major, priority)", kw);
    free (kw);
    return rc;
}

priority_t *
priority_load (const char *path, conf_error_t *err)
{
    priority_t *self = calloc (1, sizeof *self);
    assert (self);
    self->large_amount = 50000;
    self->repeat_days = 30;
    self->default_priority = 4;
    if (conf_read (path, NULL, err, s_parse_line, self))
        priority_destroy (&self);
    return self;
}

void
priority_destroy (priority_t **self_p)
{
    assert (self_p);
    priority_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nrules; i++)
        s_rule_free (&self->rules [i]);
    free (self->rules);
    free (self);
    *self_p = NULL;
}

double priority_large_amount (const priority_t *self) { return self->large_amount; }
int priority_repeat_days (const priority_t *self) { return (int) self->repeat_days; }

static bool
s_in_list (const char *list, const char *word)
{
    if (!word)
        return false;
    size_t len = strlen (word);
    for (const char *p = list; p; p = strchr (p, '|')) {
        if (*p == '|')
            p++;
        if (strncmp (p, word, len) == 0 && (p [len] == '|' || p [len] == 0))
            return true;
    }
    return false;
}

static bool
s_holds (const prio_rule_t *rule, const priority_input_t *in, bool major)
{
    for (size_t i = 0; i < rule->nterms; i++) {
        const term_t *t = &rule->terms [i];
        bool ok = false;
        switch (t->kind) {
            case TERM_MAJOR:   ok = major; break;
            case TERM_ALWAYS:  ok = true; break;
            case TERM_CHANNEL: ok = s_in_list (t->value, in->channel); break;
            case TERM_LINE:    ok = s_in_list (t->value, in->business_line); break;
            case TERM_CAUSE:   ok = s_in_list (t->value, in->cause); break;
            case TERM_REFERRAL: ok = s_in_list (t->value, in->referral); break;
            case TERM_FLAG:
                for (size_t f = 0; !ok && f < in->nflags; f++)
                    ok = strcmp (in->flags [f], t->value) == 0;
                break;
            case TERM_AMOUNT:
                if (in->has_amount) {
                    if (strcmp (t->op, ">=") == 0) ok = in->amount >= t->number;
                    else if (strcmp (t->op, ">") == 0) ok = in->amount > t->number;
                    else if (strcmp (t->op, "<=") == 0) ok = in->amount <= t->number;
                    else ok = in->amount < t->number;
                }
                break;
        }
        if (!ok)
            return false;
    }
    return true;
}

void
priority_decide (const priority_t *self, const priority_input_t *in, priority_result_t *out)
{
    assert (self && in && out);
    memset (out, 0, sizeof *out);
    for (size_t i = 0; i < self->nrules && !out->major; i++)
        if (self->rules [i].priority == 0 && s_holds (&self->rules [i], in, false)) {
            out->major = true;
            out->major_rule = self->rules [i].label;
        }
    out->priority = (int) self->default_priority;
    out->priority_rule = "default";
    for (size_t i = 0; i < self->nrules; i++)
        if (self->rules [i].priority > 0 && s_holds (&self->rules [i], in, out->major)) {
            out->priority = self->rules [i].priority;
            out->priority_rule = self->rules [i].label;
            break;
        }
}

//  --------------------------------------------------------------------------
#include "selftest.h"

//  Self-test

#define S_CHECK(cond, ...) do { \
    if (cond) \
        (*passed)++; \
    else { \
        failed++; \
        fprintf (stderr, "priority_test: FAIL (%s:%d) ", __FILE__, __LINE__); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
    } \
} while (0)

static priority_t *
s_load_text (const char *text, conf_error_t *err)
{
    char path [] = "/tmp/priority_test_XXXXXX";
    int fd = mkstemp (path);
    assert (fd >= 0);
    ssize_t n = write (fd, text, strlen (text));
    if (!(n == (ssize_t) strlen (text)))          /* checked under NDEBUG too */
        abort ();
    close (fd);
    priority_t *self = priority_load (path, err);
    unlink (path);
    return self;
}

int
priority_test (bool verbose, const char *shipped, int *passed)
{
    int failed = 0;
    conf_error_t err;
    priority_t *p = s_load_text (
        "set large_amount 10000\n"                                  /* 1 */
        "major flag media\n"                                        /* 2 */
        "major flag fraud amount >= 5000\n"                         /* 3 */
        "priority 1 major\n"                                        /* 4 */
        "priority 2 flag regulator | \n", &err);                    /* 5: bad */
    S_CHECK (!p && err.line == 5 && strstr (err.reason, "unknown term '|'"),
             "bad term: %d %s", err.line, err.reason);
    p = s_load_text (
        "set large_amount 10000   # comment\n"                      /* 1 */
        "major flag media\n"                                        /* 2 */
        "major flag fraud amount >= 5000\n"                         /* 3 */
        "priority 1 major\n"                                        /* 4 */
        "priority 2 flag regulator\n"                               /* 5 */
        "priority 2 channel = regulator|counter line = loans\n"     /* 6 */
        "priority 3 cause = staff_misconduct\n"                     /* 7 */
        "priority 2 referral = association|consumer_association\n", &err);   /* 8 */
    S_CHECK (p != NULL, "good file refused: %d %s", err.line, err.reason);
    if (p) {
        S_CHECK (priority_large_amount (p) == 10000 && priority_repeat_days (p) == 30,
                 "settings");
        const char *fraud [] = { "fraud" }, *media [] = { "media" }, *reg [] = { "regulator" };
        struct {
            const char *channel, *line, *cause;
            const char *const *flags;
            size_t nflags;
            bool has_amount;
            double amount;
            int priority;
            bool major;
            const char *rule;
            const char *referral;
        } cases [] = {
            { "web", "cards", "other", media, 1, false, 0, 1, true, ":4", NULL },
            { "web", "cards", "other", fraud, 1, true, 4999.99, 4, false, "default", NULL },
            { "web", "cards", "other", fraud, 1, true, 5000, 1, true, ":4", NULL },
            { "web", "cards", "other", reg, 1, false, 0, 2, false, ":5", NULL },
            { "counter", "loans", "other", NULL, 0, false, 0, 2, false, ":6", NULL },
            { "counter", "cards", "other", NULL, 0, false, 0, 4, false, "default", NULL },
            { "app", "cards", "staff_misconduct", NULL, 0, false, 0, 3, false, ":7", NULL },
            { "web", "cards", "other", NULL, 0, false, 0, 2, false, ":8", "association" },
            { "web", "cards", "other", NULL, 0, false, 0, 4, false, "default", "media" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
            priority_input_t in = { cases [i].channel, cases [i].line, cases [i].cause,
                                    cases [i].flags, cases [i].nflags, cases [i].has_amount,
                                    cases [i].amount, cases [i].referral };
            priority_result_t out;
            priority_decide (p, &in, &out);
            S_CHECK (out.priority == cases [i].priority && out.major == cases [i].major
                     && strstr (out.priority_rule, cases [i].rule),
                     "case %zu: P%d major=%d by %s", i, out.priority, out.major,
                     out.priority_rule);
        }
        priority_destroy (&p);
    }
    struct { const char *text; int line; const char *reason; } bad [] = {
        { "set large_amount lots\n", 1, "not a number" },
        { "set repeat_days 0\n", 1, "not a number from 1" },
        { "set colour 3\n", 1, "unknown setting" },
        { "set repeat_days 30\nset resolution_days 15\n", 2, "deploy/sla/policy.conf" },
        { "set repeat_days 3\nset repeat_days 4\n", 2, "set twice" },
        { "major flag loud\n", 1, "needs a flag" },
        { "major amount = 5\n", 1, "needs an operator" },
        { "major major\n", 1, "belongs on priority lines" },
        { "priority 5 always\n", 1, "from 1 to 4" },
        { "priority 1\n", 1, "at least one term" },
        { "priority 2 line = cards|nope\n", 1, "'nope' is not a business line" },
        { "priority 2 channel = fax\n", 1, "not a channel" },
        { "priority 2 referral = newspaper\n", 1, "not a referral source" },
        { "urgent always\n", 1, "unknown keyword" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        p = s_load_text (bad [i].text, &err);
        S_CHECK (!p && err.line == bad [i].line && strstr (err.reason, bad [i].reason),
                 "bad %zu: line %d '%s'", i, err.line, err.reason);
        if (verbose)
            printf ("  refused as expected: line %d: %s\n", err.line, err.reason);
        priority_destroy (&p);
    }
    if (shipped) {
        p = priority_load (shipped, &err);
        S_CHECK (p != NULL, "shipped %s refused: line %d: %s", shipped, err.line, err.reason);
        priority_destroy (&p);
    }
    return failed;
}
