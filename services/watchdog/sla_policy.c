/*  sla_policy.c — parse, validate and query the SLA policy (see sla_policy.h).
 *
 *  The file is read by the common reader (common/conf.c, the lexical rules
 *  of every policy file: `#` comments, blank lines, UTF-8, a BOM at the
 *  start, CRLF), with this format's bounds: lines at most S_MAX_LINE bytes,
 *  the file at most S_MAX_FILE. Words are blank-separated tokens (no
 *  quoting: no value holds a space). Each line starts with a keyword:
 *
 *      calendar NAME [department=ID]
 *      clock STAGE SPAN [TERM ...]
 *      remind STAGE|* PERCENT [PERCENT ...]
 *      escalate TIER AFTER TO [TO ...]
 *      extend STAGE STEP to SPAN APPROVER
 *      pause STAGE none | WHAT [WHAT]     WHAT: awaiting_customer, appraisal
 *
 *  Parsing is bounded: fixed maxima for terms, values, percents, tiers and
 *  extensions (each refused with its line when exceeded), names at most
 *  SLA_MAX_NAME bytes. Whole-file checks follow the lines: a default
 *  calendar must exist, every calendar named must be one of the calendars
 *  folder's files, tiers are numbered 1, 2, 3 ... in order, and the
 *  extension steps of a stage are 1, 2, 3 ... in order. The first problem
 *  stops the parse and is reported as file:line: reason.
 */
#include "sla_policy.h"
#include "conf.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_LINE   4096
#define S_MAX_WORDS  32
#define S_MAX_RULES  256
#define S_MAX_CALS   64
#define S_MAX_FILE   (1024 * 1024)

typedef enum {
    TERM_MAJOR, TERM_PRIORITY, TERM_LINE, TERM_CHANNEL, TERM_FLAG, TERM_LEVEL, TERM_REFERRAL
} s_term_kind_t;

typedef struct {
    s_term_kind_t kind;
    char values [SLA_MAX_VALUES][SLA_MAX_NAME];
    int nvalues;
} s_term_t;

typedef struct {
    sla_stage_t stage;
    span_t span;
    char allowance [SLA_SPAN_SIZE];
    char rule [SLA_RULE_SIZE];
    s_term_t terms [SLA_MAX_TERMS];
    int nterms;
} s_clock_rule_t;

typedef struct {
    char name [SLA_MAX_NAME];
    char department [SLA_MAX_NAME];      /* "" = the default */
    int line;
} s_calendar_rule_t;

typedef struct {
    bool set;
    int percents [SLA_MAX_PERCENTS];
    int n;
} s_reminders_t;

struct _sla_policy_t {
    s_clock_rule_t *clocks;
    int nclocks;
    s_calendar_rule_t calendars_by [S_MAX_CALS];
    int ncalendars_by;
    s_reminders_t reminders [SLA_STAGES + 1];    /* [SLA_STAGES] = '*' */
    unsigned pauses [SLA_STAGES];               /* SLA_PAUSE_* */
    int pause_line [SLA_STAGES];                /* 0: no pause line, the default */
    sla_tier_t tiers [SLA_MAX_TIERS];
    char tier_to [SLA_MAX_TIERS][SLA_MAX_TO][24];
    int ntiers;
    sla_extension_t extensions [SLA_MAX_EXTENSIONS * SLA_STAGES];
    int nextensions;
    calendars_t *calendars;
    bool own_calendars;
    char summary [160];
    int callback_attempts;          /* issue 16 (i16-followup); 0: none */
    int callback_attempts_line;
};

static const char *s_stage_names [SLA_STAGES] = {
    "acknowledge", "first_response", "service", "resolution", "review", "solution",
    "referral_reply", "callback"
};
static const char *s_escalation_targets [] = {
    "supervisor", "department_head", "complaint_office", "management", NULL
};
static const char *s_approvers [] = { "supervisor", "complaint_office", "manager", "superior",
                                      NULL };

const char *
sla_stage_name (sla_stage_t stage)
{
    return stage < SLA_STAGES ? s_stage_names [stage] : "?";
}

int
sla_stage_parse (const char *name)
{
    for (int i = 0; i < SLA_STAGES; i++)
        if (name && strcmp (name, s_stage_names [i]) == 0)
            return i;
    return -1;
}

static int
s_in_list (const char *word, const char *const *list)
{
    for (int i = 0; list [i]; i++)
        if (strcmp (word, list [i]) == 0)
            return i;
    return -1;
}

//  --------------------------------------------------------------------------
//  One statement: its words and where it is

typedef struct {
    const char *path;                   /* as given: errors name it, rules cite its base */
    int line;
    conf_error_t *err;
    char *words [S_MAX_WORDS];
    int nwords;
} s_line_t;

static int
s_fail (s_line_t *l, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
s_fail (s_line_t *l, const char *fmt, ...)
{
    char reason [sizeof l->err->reason];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (reason, sizeof reason, fmt, ap);
    va_end (ap);
    return conf_error_set (l->err, l->path, l->line, "%s", reason);
}

static int
s_name (s_line_t *l, const char *what, const char *word, char *out)
{
    size_t len = strlen (word);
    if (len == 0 || len >= SLA_MAX_NAME)
        return s_fail (l, "%s '%.40s' must be 1 to %d bytes", what, word, SLA_MAX_NAME - 1);
    memcpy (out, word, len + 1);
    return 0;
}

static int
s_int (s_line_t *l, const char *what, const char *word, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol (word, &end, 10);
    if (errno || end == word || *end || !isdigit ((unsigned char) *word) || v < lo || v > hi)
        return s_fail (l, "%s '%.40s' is not a whole number from %d to %d", what, word, lo, hi);
    *out = (int) v;
    return 0;
}

static int
s_span (s_line_t *l, const char *word, span_t *span, char *text)
{
    char why [CALENDAR_ERR_SIZE];
    if (span_parse (word, span, why, sizeof why))
        return s_fail (l, "bad span '%.40s': %s", word, why);
    //  As written, without a leading '+': what sla_clock.allowance stores.
    snprintf (text, SLA_SPAN_SIZE, "%s", *word == '+' ? word + 1 : word);
    return 0;
}

static int
s_stage (s_line_t *l, const char *word, sla_stage_t *stage)
{
    int s = sla_stage_parse (word);
    if (s < 0)
        return s_fail (l, "unknown stage '%.40s' (acknowledge, first_response, service, "
                          "solution, resolution, review, referral_reply, callback)", word);
    *stage = (sla_stage_t) s;
    return 0;
}

//  --------------------------------------------------------------------------
//  One keyword each

static int
s_parse_calendar (sla_policy_t *self, s_line_t *l)
{
    if (l->nwords < 2 || l->nwords > 3)
        return s_fail (l, "expected: calendar NAME [department=ID]");
    if (self->ncalendars_by == S_MAX_CALS)
        return s_fail (l, "more than %d calendar lines", S_MAX_CALS);
    s_calendar_rule_t *c = &self->calendars_by [self->ncalendars_by];
    memset (c, 0, sizeof *c);
    c->line = l->line;
    if (s_name (l, "calendar name", l->words [1], c->name))
        return -1;
    if (l->nwords == 3) {
        if (strncmp (l->words [2], "department=", 11) != 0)
            return s_fail (l, "expected department=ID, not '%.40s'", l->words [2]);
        if (s_name (l, "department", l->words [2] + 11, c->department))
            return -1;
    }
    for (int i = 0; i < self->ncalendars_by; i++)
        if (strcmp (self->calendars_by [i].department, c->department) == 0)
            return *c->department
                ? s_fail (l, "department '%s' already has a calendar (line %d)", c->department,
                          self->calendars_by [i].line)
                : s_fail (l, "a second default calendar (the first is on line %d)",
                          self->calendars_by [i].line);
    if (self->calendars && !calendars_find (self->calendars, c->name))
        return s_fail (l, "no calendar '%s' in the calendars folder", c->name);
    self->ncalendars_by++;
    return 0;
}

static int
s_parse_term (s_line_t *l, const char *word, s_term_t *term)
{
    memset (term, 0, sizeof *term);
    if (strcmp (word, "major") == 0) {
        term->kind = TERM_MAJOR;
        return 0;
    }
    static const struct { const char *key; s_term_kind_t kind; } keys [] = {
        { "priority", TERM_PRIORITY }, { "line", TERM_LINE }, { "channel", TERM_CHANNEL },
        { "flag", TERM_FLAG }, { "level", TERM_LEVEL }, { "referral", TERM_REFERRAL },
    };
    const char *eq = strchr (word, '=');
    int k = -1;
    for (size_t i = 0; eq && i < sizeof keys / sizeof keys [0]; i++)
        if (strlen (keys [i].key) == (size_t) (eq - word)
        &&  strncmp (word, keys [i].key, (size_t) (eq - word)) == 0)
            k = (int) i;
    if (k < 0)
        return s_fail (l, "unknown term '%.40s' (major, priority=, line=, channel=, flag=, "
                          "level=, referral=)", word);
    term->kind = keys [k].kind;
    const char *p = eq + 1;
    while (true) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t) (comma - p) : strlen (p);
        if (len == 0 || len >= SLA_MAX_NAME)
            return s_fail (l, "empty or too long value in '%.40s'", word);
        if (term->nvalues == SLA_MAX_VALUES)
            return s_fail (l, "more than %d values in '%.40s'", SLA_MAX_VALUES, word);
        memcpy (term->values [term->nvalues], p, len);
        term->values [term->nvalues][len] = 0;
        if (term->kind == TERM_PRIORITY) {
            int v;
            if (s_int (l, "priority", term->values [term->nvalues], 1, 4, &v))
                return -1;
        }
        if (term->kind == TERM_LEVEL) {
            static const char *levels [] = { "branch", "head_office", "regulator", NULL };
            if (s_in_list (term->values [term->nvalues], levels) < 0)
                return s_fail (l, "unknown level '%s' (branch, head_office, regulator)",
                               term->values [term->nvalues]);
        }
        //  The values of complaint.referral_source (migration 026): a typo
        //  would silently never match.
        if (term->kind == TERM_REFERRAL) {
            static const char *sources [] = { "regulator", "association",
                                              "consumer_association", "media", NULL };
            if (s_in_list (term->values [term->nvalues], sources) < 0)
                return s_fail (l, "unknown referral '%s' (regulator, association, "
                                  "consumer_association, media)", term->values [term->nvalues]);
        }
        term->nvalues++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

static int
s_parse_clock (sla_policy_t *self, s_line_t *l)
{
    if (l->nwords < 3)
        return s_fail (l, "expected: clock STAGE SPAN [TERM ...]");
    if (l->nwords - 3 > SLA_MAX_TERMS)
        return s_fail (l, "more than %d terms", SLA_MAX_TERMS);
    if (self->nclocks == S_MAX_RULES)
        return s_fail (l, "more than %d clock lines", S_MAX_RULES);
    s_clock_rule_t *r = &self->clocks [self->nclocks];
    memset (r, 0, sizeof *r);
    if (s_stage (l, l->words [1], &r->stage)
    ||  s_span (l, l->words [2], &r->span, r->allowance))
        return -1;
    if (r->span.amount == 0)
        return s_fail (l, "a clock of 0 is breached at once: give a span > 0");
    for (int i = 3; i < l->nwords; i++)
        if (s_parse_term (l, l->words [i], &r->terms [r->nterms++]))
            return -1;
    conf_label (r->rule, sizeof r->rule, l->path, l->line);
    self->nclocks++;
    return 0;
}

static int
s_parse_remind (sla_policy_t *self, s_line_t *l)
{
    if (l->nwords < 3)
        return s_fail (l, "expected: remind STAGE|* PERCENT [PERCENT ...]");
    int slot = SLA_STAGES;
    if (strcmp (l->words [1], "*") != 0) {
        sla_stage_t stage = SLA_ACKNOWLEDGE;
        if (s_stage (l, l->words [1], &stage))
            return -1;
        slot = (int) stage;
    }
    s_reminders_t *r = &self->reminders [slot];
    if (r->set)
        return s_fail (l, "a second remind line for '%s'", l->words [1]);
    if (l->nwords - 2 > SLA_MAX_PERCENTS)
        return s_fail (l, "more than %d reminders", SLA_MAX_PERCENTS);
    r->set = true;
    for (int i = 2; i < l->nwords; i++) {
        int p;
        if (s_int (l, "percent", l->words [i], 1, 99, &p))
            return -1;
        if (r->n > 0 && p <= r->percents [r->n - 1])
            return s_fail (l, "percents must go up: %d after %d", p, r->percents [r->n - 1]);
        r->percents [r->n++] = p;
    }
    return 0;
}

static int
s_parse_escalate (sla_policy_t *self, s_line_t *l)
{
    if (l->nwords < 4)
        return s_fail (l, "expected: escalate TIER AFTER TO [TO ...]");
    if (self->ntiers == SLA_MAX_TIERS)
        return s_fail (l, "more than %d escalation tiers", SLA_MAX_TIERS);
    if (l->nwords - 3 > SLA_MAX_TO)
        return s_fail (l, "more than %d recipients", SLA_MAX_TO);
    int n = self->ntiers;
    sla_tier_t *t = &self->tiers [n];
    memset (t, 0, sizeof *t);
    if (s_int (l, "tier", l->words [1], 1, SLA_MAX_TIERS, &t->tier))
        return -1;
    if (t->tier != n + 1)
        return s_fail (l, "tier %d out of order: expected tier %d", t->tier, n + 1);
    if (s_span (l, l->words [2], &t->after, t->after_text))
        return -1;
    for (int i = 3; i < l->nwords; i++) {
        int k = s_in_list (l->words [i], s_escalation_targets);
        if (k < 0)
            return s_fail (l, "unknown recipient '%.40s' (supervisor, department_head, "
                              "complaint_office, management)", l->words [i]);
        snprintf (self->tier_to [n][t->nto], sizeof self->tier_to [n][t->nto], "%s",
                  s_escalation_targets [k]);
        t->to [t->nto] = self->tier_to [n][t->nto];
        t->nto++;
    }
    self->ntiers++;
    return 0;
}

//  An extension is counted from the round's start (DOMAIN.md "Deadlines and
//  supervision": extended TO 30 days from receipt, then TO 60): `extend
//  resolution 1 to 30d supervisor`. The form before issue 15 (`extend
//  resolution 1 15d supervisor`, which ADDED 15d to a deadline already
//  rolled past a holiday) is refused with the new form in the message, so a
//  policy written for it cannot silently change meaning.
static int
s_parse_extend (sla_policy_t *self, s_line_t *l)
{
    if (l->nwords == 5)
        return s_fail (l, "'extend %.20s %.8s %.16s %.20s': an extension is counted from the "
                          "round's start now; write 'extend STAGE STEP to SPAN APPROVER' with "
                          "the total span (e.g. to 30d)", l->words [1], l->words [2],
                       l->words [3], l->words [4]);
    if (l->nwords != 6 || strcmp (l->words [3], "to") != 0)
        return s_fail (l, "expected: extend STAGE STEP to SPAN APPROVER");
    if (self->nextensions == (int) (sizeof self->extensions / sizeof self->extensions [0]))
        return s_fail (l, "too many extend lines");
    sla_extension_t *e = &self->extensions [self->nextensions];
    memset (e, 0, sizeof *e);
    if (s_stage (l, l->words [1], &e->stage)
    ||  s_int (l, "step", l->words [2], 1, SLA_MAX_EXTENSIONS, &e->step))
        return -1;
    if (*l->words [4] == '+')
        return s_fail (l, "'to %.20s': the span is the total from the round's start, "
                          "without '+'", l->words [4]);
    if (s_span (l, l->words [4], &e->to, e->to_text))
        return -1;
    snprintf (e->adds_text, sizeof e->adds_text, "to %s", l->words [4]);
    if (e->stage != SLA_RESOLUTION && e->stage != SLA_REVIEW)
        return s_fail (l, "only resolution and review may be extended, not %s",
                       sla_stage_name (e->stage));
    if (e->to.amount == 0)
        return s_fail (l, "an extension to 0 ends nothing later: give a span > 0");
    int k = s_in_list (l->words [5], s_approvers);
    if (k < 0)
        return s_fail (l, "unknown approver '%.40s' (supervisor, complaint_office, manager, "
                          "superior)", l->words [5]);
    snprintf (e->approver, sizeof e->approver, "%s", s_approvers [k]);
    int last = 0;
    const sla_extension_t *prev = NULL;
    for (int i = 0; i < self->nextensions; i++)
        if (self->extensions [i].stage == e->stage) {
            last = self->extensions [i].step;
            prev = &self->extensions [i];
        }
    if (e->step != last + 1)
        return s_fail (l, "extension step %d of %s out of order: expected step %d", e->step,
                       sla_stage_name (e->stage), last + 1);
    //  Each step must reach further than the one before, in the same unit
    //  (two units cannot be compared without a start date).
    if (prev && prev->to.unit == e->to.unit && e->to.amount <= prev->to.amount)
        return s_fail (l, "extension step %d of %s to %s does not reach past step %d (to %s)",
                       e->step, sla_stage_name (e->stage), e->to_text, prev->step,
                       prev->to_text);
    conf_label (e->rule, sizeof e->rule, l->path, l->line);
    self->nextensions++;
    return 0;
}

//  What pauses a stage's clock: `pause STAGE none` or one or more of
//  awaiting_customer (the case is in awaiting_customer) and appraisal (a
//  recorded appraisal, testing or valuation period). One line per stage.
static int
s_parse_pause (sla_policy_t *self, s_line_t *l)
{
    static const char *whats [] = { "none", "awaiting_customer", "appraisal", NULL };
    if (l->nwords < 3 || l->nwords > 4)
        return s_fail (l, "expected: pause STAGE none | pause STAGE WHAT [WHAT] "
                          "(awaiting_customer, appraisal)");
    sla_stage_t stage;
    if (s_stage (l, l->words [1], &stage))
        return -1;
    if (self->pause_line [stage])
        return s_fail (l, "a second pause line for %s (the first is on line %d)",
                       sla_stage_name (stage), self->pause_line [stage]);
    unsigned mask = 0;
    for (int i = 2; i < l->nwords; i++) {
        int k = s_in_list (l->words [i], whats);
        if (k < 0)
            return s_fail (l, "unknown pause '%.40s' (none, awaiting_customer, appraisal)",
                           l->words [i]);
        if (k == 0 && l->nwords > 3)
            return s_fail (l, "'none' stands alone on a pause line");
        unsigned bit = k == 1 ? SLA_PAUSE_AWAITING : k == 2 ? SLA_PAUSE_APPRAISAL : 0;
        if (mask & bit)
            return s_fail (l, "'%s' twice", l->words [i]);
        mask |= bit;
    }
    self->pauses [stage] = mask;
    self->pause_line [stage] = l->line;
    return 0;
}

/* issue 16 (i16-followup): `attempts callback N`. */
static int
s_parse_attempts (sla_policy_t *self, s_line_t *l)
{
    if (l->nwords != 3 || strcmp (l->words [1], "callback") != 0)
        return s_fail (l, "expected: attempts callback N (unanswered call-backs on N days)");
    if (self->callback_attempts_line)
        return s_fail (l, "a second attempts line (the first is on line %d)",
                       self->callback_attempts_line);
    if (s_int (l, "attempts", l->words [2], 1, 30, &self->callback_attempts))
        return -1;
    self->callback_attempts_line = l->line;
    return 0;
}

int
sla_policy_callback_attempts (const sla_policy_t *self)
{
    assert (self);
    return self->callback_attempts;
}

static int
s_parse_keyword (sla_policy_t *self, s_line_t *l)
{
    const char *kw = l->words [0];
    if (strcmp (kw, "calendar") == 0) return s_parse_calendar (self, l);
    if (strcmp (kw, "clock") == 0)    return s_parse_clock (self, l);
    if (strcmp (kw, "remind") == 0)   return s_parse_remind (self, l);
    if (strcmp (kw, "escalate") == 0) return s_parse_escalate (self, l);
    if (strcmp (kw, "extend") == 0)   return s_parse_extend (self, l);
    if (strcmp (kw, "pause") == 0)    return s_parse_pause (self, l);
    if (strcmp (kw, "attempts") == 0) return s_parse_attempts (self, l);
    return s_fail (l, "unknown keyword '%.40s' (calendar, clock, remind, escalate, extend, "
                      "pause, attempts)", kw);
}

//  --------------------------------------------------------------------------

/* One statement (conf_line_fn): its words, then its keyword's parser. */
static int
s_parse_line (void *arg, conf_cursor_t *c)
{
    sla_policy_t *self = (sla_policy_t *) arg;
    s_line_t l = { .path = c->file, .line = c->line, .err = c->err };
    l.nwords = conf_split (c, l.words, S_MAX_WORDS);
    if (l.nwords < 0)
        return -1;
    int rc = s_parse_keyword (self, &l);
    conf_words_free (l.words, l.nwords);
    return rc;
}

/* `size` bytes of policy text (a NUL byte in them is refused with its line). */
static sla_policy_t *
s_parse (const char *text, size_t size, const char *label, calendars_t *calendars,
         conf_error_t *err)
{
    assert (text && label && err);
    sla_policy_t *self = calloc (1, sizeof *self);
    assert (self);
    self->clocks = calloc (S_MAX_RULES, sizeof *self->clocks);
    assert (self->clocks);
    self->calendars = calendars;
    conf_limits_t limits = { .max_line = S_MAX_LINE, .max_size = S_MAX_FILE };
    int rc = conf_parse (label, text, size, &limits, err, s_parse_line, self);
    //  Whole-file checks.
    if (rc == 0) {
        bool has_default = false;
        for (int i = 0; i < self->ncalendars_by; i++)
            if (!*self->calendars_by [i].department)
                has_default = true;
        if (!has_default)
            rc = conf_error_set (err, label, 0, "no default calendar (a line `calendar NAME`)");
        else
        if (self->nclocks == 0)
            rc = conf_error_set (err, label, 0, "no clock line: nothing would be timed");
    }
    if (rc) {
        self->calendars = NULL;
        sla_policy_destroy (&self);
        return NULL;
    }
    int nrem = 0;
    for (int i = 0; i <= SLA_STAGES; i++)
        nrem += self->reminders [i].n;
    snprintf (self->summary, sizeof self->summary,
              "clocks=%d reminders=%d tiers=%d extensions=%d calendars=%zu", self->nclocks,
              nrem, self->ntiers, self->nextensions,
              self->calendars ? calendars_count (self->calendars) : (size_t) 0);
    return self;
}

sla_policy_t *
sla_policy_parse (const char *text, const char *label, calendars_t *calendars, conf_error_t *err)
{
    assert (text);
    return s_parse (text, strlen (text), label, calendars, err);
}

sla_policy_t *
sla_policy_load (const char *policy_path, const char *calendars_dir, conf_error_t *err)
{
    assert (policy_path && calendars_dir && err);
    memset (err, 0, sizeof *err);
    calendars_t *calendars = calendars_load_dir (calendars_dir, err);
    if (!calendars)
        return NULL;
    size_t size = 0;
    char *text = conf_slurp (policy_path, S_MAX_FILE, &size, err);
    if (!text) {
        calendars_destroy (&calendars);
        return NULL;
    }
    sla_policy_t *self = s_parse (text, size, policy_path, calendars, err);
    free (text);
    if (!self) {
        calendars_destroy (&calendars);
        return NULL;
    }
    self->own_calendars = true;
    return self;
}

void
sla_policy_destroy (sla_policy_t **self_p)
{
    assert (self_p);
    sla_policy_t *self = *self_p;
    if (!self)
        return;
    if (self->own_calendars)
        calendars_destroy (&self->calendars);
    free (self->clocks);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Queries

static bool
s_value_in (const s_term_t *t, const char *value)
{
    if (!value)
        return false;
    for (int i = 0; i < t->nvalues; i++)
        if (strcmp (t->values [i], value) == 0)
            return true;
    return false;
}

static bool
s_term_holds (const s_term_t *t, const sla_case_attrs_t *a)
{
    switch (t->kind) {
        case TERM_MAJOR:
            return a->major;
        case TERM_PRIORITY: {
            char p [8];
            snprintf (p, sizeof p, "%d", a->priority);
            return a->priority > 0 && s_value_in (t, p);
        }
        case TERM_LINE:
            return s_value_in (t, a->business_line);
        case TERM_CHANNEL:
            return s_value_in (t, a->channel);
        case TERM_LEVEL:
            return s_value_in (t, a->level);
        case TERM_REFERRAL:
            return s_value_in (t, a->referral);
        case TERM_FLAG:
            for (size_t i = 0; i < a->nflags; i++)
                if (s_value_in (t, a->flags [i]))
                    return true;
            return false;
    }
    return false;
}

int
sla_policy_choose (const sla_policy_t *self, sla_stage_t stage, const sla_case_attrs_t *attrs,
                   sla_choice_t *out)
{
    assert (self && attrs && out);
    for (int i = 0; i < self->nclocks; i++) {
        const s_clock_rule_t *r = &self->clocks [i];
        if (r->stage != stage)
            continue;
        bool all = true;
        for (int j = 0; j < r->nterms && all; j++)
            all = s_term_holds (&r->terms [j], attrs);
        if (!all)
            continue;
        out->stage = stage;
        out->span = r->span;
        snprintf (out->allowance, sizeof out->allowance, "%s", r->allowance);
        snprintf (out->rule, sizeof out->rule, "%s", r->rule);
        return 0;
    }
    return -1;
}

const char *
sla_policy_calendar_for (const sla_policy_t *self, const char *department_path)
{
    assert (self);
    //  The deepest department of the path that has a calendar wins: a
    //  branch's own calendar beats its region's.
    const char *best = NULL;
    const char *fallback = NULL;
    size_t best_at = 0;
    for (int i = 0; i < self->ncalendars_by; i++) {
        const s_calendar_rule_t *c = &self->calendars_by [i];
        if (!*c->department) {
            fallback = c->name;
            continue;
        }
        if (!department_path)
            continue;
        char needle [SLA_MAX_NAME + 2];
        snprintf (needle, sizeof needle, "/%s/", c->department);
        const char *at = strstr (department_path, needle);
        if (at && (!best || (size_t) (at - department_path) >= best_at)) {
            best = c->name;
            best_at = (size_t) (at - department_path);
        }
    }
    return best ? best : fallback;
}

const calendar_t *
sla_policy_calendar (const sla_policy_t *self, const char *name)
{
    assert (self);
    return self->calendars && name ? calendars_find (self->calendars, name) : NULL;
}

/* issue 16 follow-up (watchdog2) */
const calendars_t *
sla_policy_calendars (const sla_policy_t *self)
{
    assert (self);
    return self->calendars;
}

int
sla_policy_reminders (const sla_policy_t *self, sla_stage_t stage, const int **percents)
{
    assert (self && percents && stage < SLA_STAGES);
    const s_reminders_t *r = self->reminders [stage].set ? &self->reminders [stage]
                                                          : &self->reminders [SLA_STAGES];
    *percents = r->percents;
    return r->n;
}

int
sla_policy_tiers (const sla_policy_t *self, const sla_tier_t **tiers)
{
    assert (self && tiers);
    *tiers = self->tiers;
    return self->ntiers;
}

unsigned
sla_policy_pauses (const sla_policy_t *self, sla_stage_t stage)
{
    assert (self && stage < SLA_STAGES);
    if (self->pause_line [stage])
        return self->pauses [stage];
    //  The reply to a referring body is owed to it, not to the customer:
    //  the customer's silence does not move the referrer's date (clocks-b).
    if (stage == SLA_REFERRAL_REPLY)
        return 0;
    return stage == SLA_RESOLUTION ? SLA_PAUSE_APPRAISAL : SLA_PAUSE_AWAITING;
}

int
sla_policy_extensions (const sla_policy_t *self, const sla_extension_t **rules)
{
    assert (self && rules);
    *rules = self->extensions;
    return self->nextensions;
}

const char *
sla_policy_summary (const sla_policy_t *self)
{
    assert (self);
    return self->summary;
}

void
sla_selector (const sla_case_attrs_t *a, char *buf, size_t size)
{
    assert (a && buf && size > 0);
    char flags [256] = "";
    size_t n = 0;
    for (size_t i = 0; i < a->nflags && n < sizeof flags - 1; i++) {
        int w = snprintf (flags + n, sizeof flags - n, "%s%s", i ? "," : "", a->flags [i]);
        if (w < 0)
            break;
        n += (size_t) w;
        if (n >= sizeof flags)
            n = sizeof flags - 1;
    }
    snprintf (buf, size, "p=%d line=%s channel=%s major=%d level=%s flags=%s dept=%s%s%s",
              a->priority, a->business_line ? a->business_line : "-",
              a->channel ? a->channel : "-", a->major ? 1 : 0, a->level ? a->level : "-",
              *flags ? flags : "-", a->department ? a->department : "-",
              a->referral ? " ref=" : "", a->referral ? a->referral : "");
}

//  --------------------------------------------------------------------------
#include "selftest.h"

//  Self-test

static int s_passed, s_failed;
static bool s_verbose;

static void
s_check (bool ok, const char *what, const char *detail)
{
    if (ok) {
        s_passed++;
        if (s_verbose)
            printf ("  ok   %s\n", what);
    }
    else {
        s_failed++;
        printf ("  FAIL %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    }
}

/* A bad policy must be refused at `line` with a reason containing `reason`. */
static void
s_expect_bad (calendars_t *cals, const char *text, int line, const char *reason)
{
    conf_error_t err;
    sla_policy_t *p = sla_policy_parse (text, "deploy/sla/t.conf", cals, &err);
    char what [200], detail [600];
    snprintf (what, sizeof what, "refused at line %d: %s", line, reason);
    snprintf (detail, sizeof detail, "got %s %s:%d: %s", p ? "a policy" : "an error",
              err.file, err.line, err.reason);
    s_check (!p && err.line == line && strstr (err.reason, reason) != NULL
             && strcmp (err.file, "deploy/sla/t.conf") == 0, what, detail);
    sla_policy_destroy (&p);
}

static const char *s_small =
    "\xEF\xBB\xBF# a test policy\r\n"
    "calendar cn\n"
    "calendar cn department=branch_hk   # a department's own\n"
    "clock acknowledge 4h major\n"
    "clock first_response 2wd channel=regulator\n"
    "clock resolution 5wd channel=regulator\n"
    "clock resolution 10d priority=1,2 line=cards\n"
    "clock resolution 15d\n"
    "clock acknowledge 24h\n"
    "clock review 30d flag=fraud,media level=head_office\n"
    "remind * 50 80\n"
    "remind acknowledge 75\n"
    "escalate 1 0 supervisor\n"
    "escalate 2 +1wd department_head\n"
    "escalate 3 2wd complaint_office management\n"
    "extend resolution 1 to 30d supervisor\n"
    "extend resolution 2 to 60d superior\n"
    "pause service awaiting_customer appraisal\n"
    "pause acknowledge none\n";

//  clocks-b: the shipped clocks of referrals, complex cases and the
//  customer's first reply (deploy/sla/policy.conf says where each comes from).
static void
s_test_shipped_referrals (const sla_policy_t *shipped)
{
    static const char *complex [] = { "complex" };
    static const struct {
        const char *channel, *referral;
        bool complex;
        sla_stage_t stage;
        const char *want;                   /* NULL: no clock */
        const char *what;
    } table [] = {
        { "web", "regulator", false, SLA_RESOLUTION, "15d",
          "shipped: a regulator referral is resolved in 15d (the national rule)" },
        { "web", "regulator", false, SLA_FIRST_RESPONSE, "24h",
          "shipped: regulator first_response 24h" },
        { "web", "regulator", false, SLA_REFERRAL_REPLY, "15d",
          "shipped: regulator referral_reply 15d when no date given" },
        { "regulator", NULL, false, SLA_RESOLUTION, "15d",
          "shipped: channel=regulator no longer gets the association's 5wd" },
        { "web", "association", false, SLA_FIRST_RESPONSE, "2wd",
          "shipped: association verifies in 2wd" },
        { "web", "association", false, SLA_REFERRAL_REPLY, "5wd",
          "shipped: association reported back in 5wd" },
        { "web", "association", false, SLA_SOLUTION, "3wd",
          "shipped: association final answer 3wd" },
        { "web", "association", false, SLA_RESOLUTION, "15d",
          "shipped: association resolution 15d" },
        { "web", "media", false, SLA_REFERRAL_REPLY, "15d", "shipped: media referral_reply 15d" },
        { "web", NULL, false, SLA_REFERRAL_REPLY, NULL,
          "shipped: a direct case has no referral_reply clock" },
        { "web", NULL, false, SLA_SOLUTION, NULL, "shipped: a plain case has no solution clock" },
        { "web", NULL, false, SLA_FIRST_RESPONSE, "24h", "shipped: first_response 24h" },
        { "web", NULL, true, SLA_SOLUTION, "48h", "shipped: complex solution 48h" },
    };
    for (size_t i = 0; i < sizeof table / sizeof table [0]; i++) {
        sla_case_attrs_t a = { .channel = table [i].channel, .level = "branch",
                               .referral = table [i].referral,
                               .flags = table [i].complex ? complex : NULL,
                               .nflags = table [i].complex ? 1 : 0 };
        sla_choice_t c = { .allowance = "-" };
        int rc = sla_policy_choose (shipped, table [i].stage, &a, &c);
        s_check (table [i].want ? rc == 0 && strcmp (c.allowance, table [i].want) == 0
                                : rc == -1, table [i].what, c.allowance);
    }
}

//  clocks-b: the referral= term and the new stages.
static void
s_test_referral_term (calendars_t *cals)
{
    conf_error_t err;
    sla_policy_t *p = sla_policy_parse (
        "calendar cn\n"
        "clock referral_reply 5wd referral=association\n"
        "clock referral_reply 15d referral=regulator,media\n"
        "clock solution 48h flag=complex\n"
        "remind referral_reply 50\n", "r.conf", cals, &err);
    s_check (p != NULL, "referral= and the stages solution, referral_reply parse", err.reason);
    if (p) {
        sla_choice_t c;
        sla_case_attrs_t a = { .referral = "association" };
        sla_case_attrs_t m = { .referral = "media" };
        sla_case_attrs_t ca = { .referral = "consumer_association" };
        sla_case_attrs_t none = { .channel = "web" };
        s_check (sla_policy_choose (p, SLA_REFERRAL_REPLY, &a, &c) == 0
                 && strcmp (c.rule, "r.conf:2") == 0, "referral=association", c.rule);
        s_check (sla_policy_choose (p, SLA_REFERRAL_REPLY, &m, &c) == 0
                 && strcmp (c.rule, "r.conf:3") == 0, "referral=regulator,media: any of them",
                 c.rule);
        s_check (sla_policy_choose (p, SLA_REFERRAL_REPLY, &ca, &c) == -1
                 && sla_policy_choose (p, SLA_REFERRAL_REPLY, &none, &c) == -1,
                 "referral= does not hold for another source or none", NULL);
        const int *pc;
        s_check (sla_policy_reminders (p, SLA_REFERRAL_REPLY, &pc) == 1 && pc [0] == 50,
                 "remind referral_reply", NULL);
        s_check (sla_stage_parse ("solution") == SLA_SOLUTION
                 && strcmp (sla_stage_name (SLA_REFERRAL_REPLY), "referral_reply") == 0,
                 "stage names", NULL);
    }
    sla_policy_destroy (&p);
    s_expect_bad (cals, "calendar cn\nclock referral_reply 5wd referral=press\n", 2,
                  "unknown referral 'press'");
    s_expect_bad (cals, "calendar cn\nclock referral_reply 5wd referral=\n", 2, "empty");
    s_expect_bad (cals, "calendar cn\nclock solutoin 48h\n", 2, "referral_reply");
}

int
sla_policy_test (bool verbose, const char *policy_path, const char *calendars_dir, int *passed)
{
    s_verbose = verbose;
    s_passed = s_failed = 0;
    printf (" * sla_policy: ");
    if (verbose)
        printf ("\n");
    conf_error_t err;
    char why [600];
    calendars_t *cals = calendars_load_dir (calendars_dir ? calendars_dir : "deploy/calendars",
                                            &err);
    s_check (cals != NULL, "the calendars folder loads",
             cals ? NULL : conf_error_format (&err, why, sizeof why));
    if (!cals) {
        printf ("%d passed, %d failed\n", s_passed, s_failed);
        *passed += s_passed;
        return s_failed;
    }

    //  A good policy: every keyword, CRLF, BOM, comments.
    sla_policy_t *p = sla_policy_parse (s_small, "t.conf", cals, &err);
    s_check (p != NULL, "a good policy parses", err.reason);
    if (p) {
        const char *fl [] = { "fraud" };
        sla_case_attrs_t plain = { .channel = "web", .level = "branch" };
        sla_case_attrs_t major = { .channel = "web", .major = true, .level = "branch" };
        sla_case_attrs_t reg = { .channel = "regulator", .level = "regulator" };
        sla_case_attrs_t cards = { .priority = 2, .business_line = "cards", .channel = "web",
                                   .level = "head_office", .flags = fl, .nflags = 1 };
        sla_choice_t c;
        s_check (sla_policy_choose (p, SLA_ACKNOWLEDGE, &plain, &c) == 0
                 && strcmp (c.allowance, "24h") == 0 && strcmp (c.rule, "t.conf:9") == 0,
                 "plain case: acknowledge 24h by t.conf:9", c.rule);
        s_check (sla_policy_choose (p, SLA_ACKNOWLEDGE, &major, &c) == 0
                 && strcmp (c.allowance, "4h") == 0 && c.span.unit == SPAN_HOURS,
                 "major case: acknowledge 4h (first matching line)", c.allowance);
        s_check (sla_policy_choose (p, SLA_RESOLUTION, &reg, &c) == 0
                 && strcmp (c.allowance, "5wd") == 0 && c.span.unit == SPAN_WORKING_DAYS,
                 "regulator referral: resolution 5wd", c.allowance);
        s_check (sla_policy_choose (p, SLA_FIRST_RESPONSE, &plain, &c) == -1,
                 "no first_response line for a plain case: no clock", NULL);
        s_check (sla_policy_choose (p, SLA_RESOLUTION, &cards, &c) == 0
                 && strcmp (c.allowance, "10d") == 0, "priority=1,2 line=cards: 10d", c.allowance);
        cards.priority = 3;
        s_check (sla_policy_choose (p, SLA_RESOLUTION, &cards, &c) == 0
                 && strcmp (c.allowance, "15d") == 0, "priority 3 falls through to 15d",
                 c.allowance);
        s_check (sla_policy_choose (p, SLA_REVIEW, &cards, &c) == 0
                 && strcmp (c.allowance, "30d") == 0, "flag=fraud,media level=head_office",
                 c.allowance);
        s_check (sla_policy_choose (p, SLA_REVIEW, &plain, &c) == -1,
                 "review rule needs the flag and the level", NULL);
        const int *pc;
        int n = sla_policy_reminders (p, SLA_RESOLUTION, &pc);
        s_check (n == 2 && pc [0] == 50 && pc [1] == 80, "remind * 50 80", NULL);
        n = sla_policy_reminders (p, SLA_ACKNOWLEDGE, &pc);
        s_check (n == 1 && pc [0] == 75, "a stage's own remind line wins over *", NULL);
        const sla_tier_t *t;
        n = sla_policy_tiers (p, &t);
        s_check (n == 3 && t [0].after.amount == 0 && t [1].after.unit == SPAN_WORKING_DAYS
                 && strcmp (t [1].after_text, "1wd") == 0 && t [2].nto == 2
                 && strcmp (t [2].to [1], "management") == 0, "three tiers", NULL);
        const sla_extension_t *e;
        n = sla_policy_extensions (p, &e);
        s_check (n == 2 && e [1].step == 2 && strcmp (e [1].approver, "superior") == 0
                 && strcmp (e [1].adds_text, "to 60d") == 0 && strcmp (e [1].to_text, "60d") == 0
                 && e [1].to.amount == 60 && e [1].to.unit == SPAN_DAYS
                 && strcmp (e [1].rule, "t.conf:17") == 0 && strcmp (e [0].adds_text, "to 30d") == 0,
                 "two resolution extensions, to 30d and to 60d (superior)", e [1].rule);
        s_check (sla_policy_pauses (p, SLA_SERVICE) == (SLA_PAUSE_AWAITING | SLA_PAUSE_APPRAISAL)
                 && sla_policy_pauses (p, SLA_ACKNOWLEDGE) == 0,
                 "pause lines: service by both, acknowledge by nothing", NULL);
        s_check (sla_policy_pauses (p, SLA_RESOLUTION) == SLA_PAUSE_APPRAISAL
                 && sla_policy_pauses (p, SLA_FIRST_RESPONSE) == SLA_PAUSE_AWAITING
                 && sla_policy_pauses (p, SLA_REVIEW) == SLA_PAUSE_AWAITING,
                 "no pause line: resolution by appraisal, the others while awaiting", NULL);
        s_check (strcmp (sla_policy_calendar_for (p, "/head_office/branch_hk/outlet_1/"), "cn")
                 == 0 && strcmp (sla_policy_calendar_for (p, NULL), "cn") == 0,
                 "calendar by department path, default otherwise", NULL);
        char sel [300];
        sla_selector (&cards, sel, sizeof sel);
        s_check (strcmp (sel, "p=3 line=cards channel=web major=0 level=head_office "
                              "flags=fraud dept=-") == 0, "selector string", sel);
        sla_selector (&plain, sel, sizeof sel);
        s_check (strcmp (sel, "p=0 line=- channel=web major=0 level=branch flags=- dept=-") == 0,
                 "selector of an unclassified case", sel);
    }
    sla_policy_destroy (&p);

    //  Bad policies: each refused with its line and reason.
    s_expect_bad (cals, "calendar cn\nclock resolution 15d\nfoo bar\n", 3, "unknown keyword");
    s_expect_bad (cals, "calendar cn\nclock resolutoin 15d\n", 2, "unknown stage");
    s_expect_bad (cals, "calendar cn\nclock resolution 15w\n", 2, "bad span");
    s_expect_bad (cals, "calendar cn\nclock resolution\n", 2, "expected: clock");
    s_expect_bad (cals, "calendar cn\nclock resolution 0\n", 2, "span > 0");
    s_expect_bad (cals, "calendar cn\nclock resolution 15d prio=1\n", 2, "unknown term");
    s_expect_bad (cals, "calendar cn\nclock resolution 15d priority=5\n", 2, "from 1 to 4");
    s_expect_bad (cals, "calendar cn\nclock resolution 15d level=moon\n", 2, "unknown level");
    s_expect_bad (cals, "calendar cn\nclock resolution 15d line=,\n", 2, "empty");
    s_expect_bad (cals, "calendar mars\nclock resolution 15d\n", 1, "no calendar 'mars'");
    s_expect_bad (cals, "calendar cn\ncalendar cn\nclock resolution 15d\n", 2,
                  "second default");
    s_expect_bad (cals, "calendar cn department=a\nclock resolution 15d\n", 0,
                  "no default calendar");
    s_expect_bad (cals, "calendar cn\n# nothing\n", 0, "no clock line");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nremind * 80 50\n", 3, "must go up");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nremind * 0\n", 3, "from 1 to 99");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nremind * 50\nremind * 60\n", 4,
                  "a second remind");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nescalate 2 0 supervisor\n", 3,
                  "out of order");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nescalate 1 0 boss\n", 3,
                  "unknown recipient");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nescalate 1 0\n", 3, "expected: escalate");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nextend resolution 2 to 15d supervisor\n", 3,
                  "out of order");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nextend resolution 1 to 15d ceo\n", 3,
                  "unknown approver");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nextend acknowledge 1 to 1h supervisor\n",
                  3, "only resolution and review");
    //  Extensions counted from the round's start, and what pauses a clock.
    s_expect_bad (cals, "calendar cn\nclock review 30d\nextend resolution 1 15d supervisor\n", 3,
                  "counted from the round's start now; write 'extend STAGE STEP to SPAN");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nextend resolution 1 by 15d supervisor\n",
                  3, "expected: extend STAGE STEP to SPAN APPROVER");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nextend resolution 1 to +15d supervisor\n",
                  3, "without '+'");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nextend resolution 1 to 0 supervisor\n", 3,
                  "span > 0");
    s_expect_bad (cals, "calendar cn\nclock review 30d\nextend resolution 1 to 30d supervisor\n"
                        "extend resolution 2 to 30d superior\n", 4, "does not reach past step 1");
    s_expect_bad (cals, "calendar cn\nclock review 30d\npause resolution sometimes\n", 3,
                  "unknown pause 'sometimes'");
    s_expect_bad (cals, "calendar cn\nclock review 30d\npause resolution none appraisal\n", 3,
                  "'none' stands alone");
    s_expect_bad (cals, "calendar cn\nclock review 30d\npause service appraisal appraisal\n", 3,
                  "'appraisal' twice");
    s_expect_bad (cals, "calendar cn\nclock review 30d\npause service appraisal\n"
                        "pause service none\n", 4, "a second pause line for service");
    s_expect_bad (cals, "calendar cn\nclock review 30d\npause resolution\n", 3,
                  "expected: pause STAGE");
    s_expect_bad (cals, "calendar cn\nclock review 30d\npause servcie appraisal\n", 3,
                  "unknown stage");
    s_expect_bad (cals, "calendar cn\nclock review 30d\n\xff\xfe\n", 3, "UTF-8");
    s_expect_bad (cals, "calendar cn\nclock review 30d extra=1 major major major major major "
                        "major major major\n", 2, "more than 8 terms");

    s_test_referral_term (cals);

    //  The shipped files.
    if (policy_path && calendars_dir) {
        sla_policy_t *shipped = sla_policy_load (policy_path, calendars_dir, &err);
        char detail [600];
        snprintf (detail, sizeof detail, "%s:%d: %s", err.file, err.line, err.reason);
        s_check (shipped != NULL, "the shipped policy and calendars load", detail);
        if (shipped) {
            sla_choice_t c;
            s_test_shipped_referrals (shipped);
            sla_case_attrs_t web = { .channel = "web", .level = "branch" };
            s_check (sla_policy_choose (shipped, SLA_RESOLUTION, &web, &c) == 0
                     && strcmp (c.allowance, "15d") == 0, "shipped: others in 15d", c.allowance);
            s_check (sla_policy_choose (shipped, SLA_ACKNOWLEDGE, &web, &c) == 0
                     && strcmp (c.allowance, "24h") == 0, "shipped: acknowledge 24h",
                     c.allowance);
            const sla_tier_t *t;
            s_check (sla_policy_tiers (shipped, &t) == 3, "shipped: three tiers", NULL);
            s_check (sla_policy_choose (shipped, SLA_SERVICE, &web, &c) == 0,
                     "shipped: an internal service clock", NULL);
            s_check (sla_policy_pauses (shipped, SLA_RESOLUTION) == SLA_PAUSE_APPRAISAL
                     && sla_policy_pauses (shipped, SLA_SERVICE)
                        == (SLA_PAUSE_AWAITING | SLA_PAUSE_APPRAISAL),
                     "shipped: resolution pauses only for appraisal, service also while "
                     "awaiting the customer", NULL);
            const sla_extension_t *e;
            int ne = sla_policy_extensions (shipped, &e);
            s_check (ne >= 2 && e [0].stage == SLA_RESOLUTION
                     && strcmp (e [0].adds_text, "to 30d") == 0
                     && strcmp (e [1].adds_text, "to 60d") == 0
                     && strcmp (e [1].approver, "superior") == 0,
                     "shipped: resolution extended to 30d, then to 60d by a superior", NULL);
        }
        sla_policy_destroy (&shipped);
        shipped = sla_policy_load ("/nonexistent/policy.conf", calendars_dir, &err);
        s_check (!shipped && err.line == 0 && strstr (err.reason, "cannot open"),
                 "a missing policy file is refused", err.reason);
    }
    calendars_destroy (&cals);
    printf ("%d passed, %d failed\n", s_passed, s_failed);
    *passed += s_passed;
    return s_failed;
}
