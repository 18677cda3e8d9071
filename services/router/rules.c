/*  rules.c — load, validate and apply the routing rules (see rules.h).
 *
 *  The file is line-based so that a bank's operators can edit it, review the
 *  diff and be told exactly which line is wrong. Its lexical rules (comments,
 *  "quoted strings", UTF-8, bounds) are those of every policy file, applied by
 *  common/conf.c; this file holds the grammar of a statement:
 *
 *      # comment
 *      line  cards            product ~ "credit card" | 信用卡
 *      cause fraud_security   text ~ 盗刷 | fraud
 *      flag  media            text ~ 媒体 | 记者 | journalist
 *      route @branch          cause = service_attitude | staff_misconduct
 *      route card_center      line = cards
 *      route ebanking         channel = app   text ~ 登录 | login
 *      cooperate ebanking     line = payments_transfers  channel = app
 *      default complaint_office
 *
 *  A rule holds one or more conditions, all of which must hold (AND); a
 *  condition lists alternatives separated by `|`, any of which may match
 *  (OR). `=` compares the whole field, `~` looks for a substring; both ignore
 *  ASCII case. Raw fields: product, category, channel, subject, body, branch,
 *  referral (who referred the complaint: complaint.referral_source, empty
 *  when nobody did), and text (subject or body). Derived fields: line and cause, the business
 *  line and cause already classified.
 *
 *  Classification runs in a fixed order, each step seeing the ones before:
 *  business line (first `line` rule, else "other"), cause (first `cause`
 *  rule, else "other"), flags (every `flag` rule), department (first
 *  `route`, else the default), cooperating departments.
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
 *  Cost: each classify call folds the complaint's fields once into scratch
 *  copies, then runs memmem (glibc's two-way search, linear) per pattern, so
 *  a 64 KiB body against a few hundred patterns stays well under a
 *  millisecond. The rules_t is never written after loading, so it could be
 *  shared between threads.
 */
#include "rules.h"
#include "directory.h"
#include "request.h"      /* channel_valid: channel values are checked at load */
#include "proto.h"        /* proto_str_t */

#include <assert.h>
#include <ctype.h>
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
#define RULES_BRANCH       "@branch"

const char *const rules_business_lines [] = {
    "accounts_deposits", "cards", "loans", "payments_transfers", "wealth_insurance",
    "ebanking_app", "fees_charges", "other", NULL
};
const char *const rules_causes [] = {
    "service_attitude", "efficiency_process", "product_terms_pricing", "system_fault",
    "staff_misconduct", "fraud_security", "information_disclosure", "other", NULL
};
const char *const rules_all_flags [] = {
    "media", "regulator", "large_amount", "fraud", "vulnerable", "repeat", NULL
};
//  large_amount comes from the amount (priority.conf), repeat from the store.
const char *const rules_text_flags [] = {
    "media", "regulator", "fraud", "vulnerable", NULL
};

bool
rules_word_in (const char *const *list, const char *word)
{
    for (int i = 0; word && list [i]; i++)
        if (strcmp (list [i], word) == 0)
            return true;
    return false;
}

typedef enum {
    RFIELD_PRODUCT, RFIELD_CATEGORY, RFIELD_CHANNEL, RFIELD_SUBJECT, RFIELD_BODY, RFIELD_BRANCH,
    RFIELD_REFERRAL,
    RFIELD_RAW,                   /* the count of fields taken from the complaint */
    RFIELD_TEXT = RFIELD_RAW, RFIELD_LINE, RFIELD_CAUSE,
    RFIELD_COUNT
} field_t;

static const char *const s_field_names [RFIELD_COUNT] = {
    "product", "category", "channel", "subject", "body", "branch", "referral", "text", "line",
    "cause"
};

typedef enum {
    RULE_LINE, RULE_CAUSE, RULE_FLAG, RULE_ROUTE, RULE_COOPERATE, RULE_KINDS
} rule_kind_t;

static const char *const s_kind_names [RULE_KINDS] = {
    "line", "cause", "flag", "route", "cooperate"
};

typedef struct {
    field_t field;
    bool    exact;               /* '=' whole field, else '~' substring */
    size_t  nvalues;
    char  **values;              /* ASCII-lowercased, NUL-terminated */
    size_t *lens;
} cond_t;

typedef struct {
    rule_kind_t kind;
    char   *target;              /* owned: department id, @branch, line, cause or flag */
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
    size_t  nroutes;
    char   *default_dept;
    char    default_label [96];
    const directory_t *dir;      /* not owned; NULL: local departments only */
};

//  --------------------------------------------------------------------------
//  Loading
//
//  The lexical rules (comments, quoting, UTF-8, bounds) are common/conf.c's;
//  what follows is the grammar of one statement.

static bool
s_valid_id (const char *s)
{
    size_t len = strlen (s);
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

/* One value, bare or "quoted". Returns a folded heap copy, or NULL with the
 * error set. */
static char *
s_value (conf_cursor_t *c, size_t *len_p)
{
    if (conf_at_end (c) || strchr ("|=~", *c->p)) {
        conf_fail (c, "empty value (a condition needs at least one non-empty word or \"string\")");
        return NULL;
    }
    char *out = conf_word (c);
    if (!out)
        return NULL;
    size_t n = strlen (out);
    if (n == 0) {
        free (out);
        conf_fail (c, "empty value (a condition needs at least one non-empty word or \"string\")");
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

/* The department id after `route`, `cooperate` or `default`: declared
 * locally or in the directory, and routable. Returns a heap copy. */
static char *
s_dept_ref (rules_t *self, conf_cursor_t *c, const char *keyword, bool branch_ok)
{
    char *copy = conf_word (c);
    if (!copy) {
        if (!c->err->reason [0])
            conf_fail (c, "'%s' needs a department id%s", keyword, branch_ok ? " or @branch" : "");
        return NULL;
    }
    if (branch_ok && strncmp (copy, RULES_BRANCH, 7) == 0 && copy [7]) {
        conf_fail (c, "'%s' must be followed by a space", RULES_BRANCH);
        free (copy);
        return NULL;
    }
    if (branch_ok && strcmp (copy, RULES_BRANCH) == 0)
        return copy;
    dept_t *local = s_dept_find (self, copy, strlen (copy));
    if (self->dir) {
        if (!directory_dept (self->dir, copy)) {
            conf_fail (c, "unknown department '%s' (not in the directory)", copy);
            free (copy);
            return NULL;
        }
        if (!directory_routable (self->dir, copy)) {
            conf_fail (c, "department '%s' cannot be routed to: the directory gives it no "
                       "A-role and B-role handler and supervisor", copy);
            free (copy);
            return NULL;
        }
    }
    else if (!local) {
        conf_fail (c, "unknown department '%s' (declare it with a 'department' line first)", copy);
        free (copy);
        return NULL;
    }
    return copy;
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
s_parse_cond (conf_cursor_t *c, rule_kind_t kind, cond_t *cond)
{
    char *word = conf_word (c);
    if (!word)
        return c->err->reason [0] ? -1
             : conf_fail (c, "expected a field name (product, category, channel, subject, "
                          "body, text, branch, referral, line, cause)");
    int field = -1;
    for (int i = 0; i < RFIELD_COUNT; i++)
        if (strcmp (s_field_names [i], word) == 0)
            field = i;
    if (field < 0) {
        conf_fail (c, "unknown field '%s' (expected product, category, channel, "
                   "subject, body, text, branch, referral, line or cause)", word);
        free (word);
        return -1;
    }
    free (word);
    if ((field == RFIELD_LINE && kind == RULE_LINE)
    ||  (field == RFIELD_CAUSE && (kind == RULE_LINE || kind == RULE_CAUSE)))
        return conf_fail (c, "a %s rule cannot test '%s': it is classified later",
                          s_kind_names [kind], s_field_names [field]);
    cond->field = (field_t) field;
    char op = conf_punct (c, "=~");
    if (!op)
        return conf_fail (c, "expected '=' (equals) or '~' (contains) after '%s'",
                          s_field_names [field]);
    cond->exact = op == '=';
    cond->values = calloc (RULES_MAX_VALUES, sizeof (char *));
    cond->lens = calloc (RULES_MAX_VALUES, sizeof (size_t));
    assert (cond->values && cond->lens);
    do {
        if (cond->nvalues == RULES_MAX_VALUES)
            return conf_fail (c, "more than %d alternatives in one condition", RULES_MAX_VALUES);
        size_t vlen;
        char *value = s_value (c, &vlen);
        if (!value)
            return -1;
        cond->values [cond->nvalues] = value;
        cond->lens [cond->nvalues] = vlen;
        cond->nvalues++;
        if (cond->field == RFIELD_CHANNEL
        && !channel_valid ((proto_str_t) { value, vlen }))
            return conf_fail (c, "'%s' is not a channel (hotline, email, web, sms, letter, "
                              "counter, app, wechat, regulator)", value);
        if (cond->field == RFIELD_REFERRAL && !rules_word_in (referral_sources, value))
            return conf_fail (c, "'%s' is not a referral source (regulator, association, "
                              "consumer_association, media)", value);
        if (cond->field == RFIELD_LINE && !rules_word_in (rules_business_lines, value))
            return conf_fail (c, "'%s' is not a business line", value);
        if (cond->field == RFIELD_CAUSE && !rules_word_in (rules_causes, value))
            return conf_fail (c, "'%s' is not a cause", value);
    } while (conf_punct (c, "|"));
    if ((cond->field == RFIELD_LINE || cond->field == RFIELD_CAUSE) && !cond->exact)
        return conf_fail (c, "'%s' takes '=' with taxonomy ids", s_field_names [cond->field]);
    return 0;
}

static void
s_rule_free (rule_t *rule)
{
    for (size_t i = 0; i < rule->nconds; i++)
        s_cond_free (&rule->conds [i]);
    free (rule->target);
    rule->target = NULL;
}

/* The target after `line`, `cause` or `flag`: a taxonomy id. */
static char *
s_taxonomy_ref (conf_cursor_t *c, rule_kind_t kind)
{
    char *copy = conf_word (c);
    if (!copy && c->err->reason [0])
        return NULL;
    const char *const *list = kind == RULE_LINE ? rules_business_lines
                            : kind == RULE_CAUSE ? rules_causes : rules_text_flags;
    if (!copy || !rules_word_in (list, copy)) {
        char known [400] = "";
        for (int i = 0; list [i]; i++) {
            strncat (known, i ? ", " : "", sizeof known - strlen (known) - 1);
            strncat (known, list [i], sizeof known - strlen (known) - 1);
        }
        conf_fail (c, "'%s' is not a %s (%s)", copy ? copy : "", kind == RULE_LINE
                   ? "business line" : kind == RULE_CAUSE ? "cause" : "flag a rule can set",
                   known);
        free (copy);
        return NULL;
    }
    return copy;
}

/* `department ID display name...` */
static int
s_parse_department (rules_t *self, conf_cursor_t *c)
{
    char *id = conf_word (c);
    if (!id && c->err->reason [0])
        return -1;
    if (!id || !s_valid_id (id)) {
        conf_fail (c, "department id '%s' must be 1-%d characters of a-z, 0-9, _",
                   id ? id : "", RULES_MAX_ID);
        free (id);
        return -1;
    }
    dept_t *old = s_dept_find (self, id, strlen (id));
    if (old) {
        conf_fail (c, "department '%s' declared twice (first on line %d)", old->id, old->line);
        free (id);
        return -1;
    }
    //  The rest of the line (before a comment) is the display name.
    self->depts = realloc (self->depts, (self->ndepts + 1) * sizeof (dept_t));
    assert (self->depts);
    dept_t *dept = &self->depts [self->ndepts++];
    dept->id = id;
    dept->name = conf_rest (c);
    dept->line = c->line;
    if (self->dir && !directory_dept (self->dir, dept->id))
        return conf_fail (c, "department '%s' is not in the directory", dept->id);
    return 0;
}

/* One statement (conf_line_fn). */
static int
s_parse_line (void *arg, conf_cursor_t *c)
{
    rules_t *self = (rules_t *) arg;
    char *kw = conf_word (c);
    if (!kw)
        return -1;
    int kind = -1;
    for (int k = 0; k < RULE_KINDS; k++)
        if (strcmp (kw, s_kind_names [k]) == 0)
            kind = k;
    bool department = strcmp (kw, "department") == 0;
    bool fallback = strcmp (kw, "default") == 0;
    if (kind < 0 && !department && !fallback)
        conf_fail (c, "unknown keyword '%s' (expected line, cause, flag, route, "
                   "cooperate, default or department)", kw);
    free (kw);
    if (department)
        return s_parse_department (self, c);
    if (fallback) {
        if (self->default_dept)
            return conf_fail (c, "'default' given twice (first at %s)", self->default_label);
        char *dept = s_dept_ref (self, c, "default", false);
        if (!dept)
            return -1;
        self->default_dept = dept;
        if (!conf_at_end (c))
            return conf_fail (c, "unexpected text after the default department");
        conf_label (self->default_label, sizeof self->default_label, c->file, c->line);
        return 0;
    }
    if (kind < 0)
        return -1;
    if (self->nrules == RULES_MAX_RULES)
        return conf_fail (c, "more than %d rules", RULES_MAX_RULES);
    rule_t rule = { .kind = (rule_kind_t) kind };
    if (kind == RULE_ROUTE || kind == RULE_COOPERATE)
        rule.target = s_dept_ref (self, c, s_kind_names [kind], true);
    else
        rule.target = s_taxonomy_ref (c, (rule_kind_t) kind);
    if (!rule.target)
        return -1;
    conf_label (rule.label, sizeof rule.label, c->file, c->line);
    int rc = 0;
    while (rc == 0 && !conf_at_end (c)) {
        if (rule.nconds == RULES_MAX_CONDS) {
            rc = conf_fail (c, "more than %d conditions in one rule", RULES_MAX_CONDS);
            break;
        }
        rc = s_parse_cond (c, (rule_kind_t) kind, &rule.conds [rule.nconds++]);
    }
    if (rc == 0 && rule.nconds == 0)
        rc = conf_fail (c, "a rule needs at least one condition, e.g. product ~ mortgage");
    if (rc) {
        s_rule_free (&rule);
        return -1;
    }
    self->rules = realloc (self->rules, (self->nrules + 1) * sizeof (rule_t));
    assert (self->rules);
    self->rules [self->nrules++] = rule;
    if (kind == RULE_ROUTE)
        self->nroutes++;
    return 0;
}

rules_t *
rules_load_with (const char *path, const directory_t *dir, conf_error_t *err)
{
    assert (path);
    assert (err);
    rules_t *self = calloc (1, sizeof *self);
    assert (self);
    self->dir = dir;
    conf_limits_t limits = { .max_line = RULES_MAX_LINE };
    int rc = conf_read (path, &limits, err, s_parse_line, self);
    if (rc == 0 && !self->default_dept)
        rc = conf_error_set (err, path, 0,
                             "no 'default' line: complaints no rule matches need a department");
    if (rc) {
        rules_destroy (&self);
        return NULL;
    }
    return self;
}

rules_t *
rules_load (const char *path, conf_error_t *err)
{
    return rules_load_with (path, NULL, err);
}

void
rules_destroy (rules_t **self_p)
{
    assert (self_p);
    rules_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nrules; i++)
        s_rule_free (&self->rules [i]);
    free (self->rules);
    for (size_t i = 0; i < self->ndepts; i++) {
        free (self->depts [i].id);
        free (self->depts [i].name);
    }
    free (self->depts);
    free (self->default_dept);
    free (self);
    *self_p = NULL;
}

size_t
rules_count (rules_t *self)
{
    assert (self);
    return self->nroutes;
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
    if (!hay)
        return false;
    if (cond->exact)
        return hay_len == cond->lens [i] && memcmp (hay, cond->values [i], hay_len) == 0;
    return memmem (hay, hay_len, cond->values [i], cond->lens [i]) != NULL;
}

/* The complaint as the matcher sees it: folded raw fields plus what has
 * been classified so far. */
typedef struct {
    char  *field [RFIELD_RAW];
    size_t len [RFIELD_RAW];
    const char *line, *cause, *branch;
} s_subject_t;

static bool
s_rule_holds (const rule_t *rule, const s_subject_t *s)
{
    for (size_t k = 0; k < rule->nconds; k++) {
        const cond_t *cond = &rule->conds [k];
        bool any = false;
        for (size_t i = 0; !any && i < cond->nvalues; i++) {
            if (cond->field == RFIELD_TEXT)
                any = s_value_match (cond, i, s->field [RFIELD_SUBJECT], s->len [RFIELD_SUBJECT])
                   || s_value_match (cond, i, s->field [RFIELD_BODY], s->len [RFIELD_BODY]);
            else if (cond->field == RFIELD_LINE)
                any = s_value_match (cond, i, s->line, s->line ? strlen (s->line) : 0);
            else if (cond->field == RFIELD_CAUSE)
                any = s_value_match (cond, i, s->cause, s->cause ? strlen (s->cause) : 0);
            else
                any = s_value_match (cond, i, s->field [cond->field], s->len [cond->field]);
        }
        if (!any)
            return false;
    }
    //  An @branch rule needs a branch to name.
    return strcmp (rule->target, RULES_BRANCH) != 0 || s->branch != NULL;
}

static void
s_add_cooperating (rules_result_t *out, const char *dept, const char *label)
{
    if (!dept || strcmp (dept, out->department) == 0
    ||  out->ncooperating == RULES_MAX_COOP)
        return;
    for (size_t i = 0; i < out->ncooperating; i++)
        if (strcmp (out->cooperating [i], dept) == 0)
            return;
    out->cooperating_rules [out->ncooperating] = label;
    out->cooperating [out->ncooperating++] = dept;
}

static bool
s_has_flag (const rules_result_t *out, const char *flag)
{
    for (size_t i = 0; i < out->nflags; i++)
        if (strcmp (out->flags [i], flag) == 0)
            return true;
    return false;
}

void
rules_classify (rules_t *self, const rules_input_t *in, rules_result_t *out)
{
    assert (self && in && out);
    memset (out, 0, sizeof *out);
    const char *raw [RFIELD_RAW] = { in->product, in->category, in->channel, in->subject,
                                    in->body, in->branch, in->referral };
    s_subject_t s;
    memset (&s, 0, sizeof s);
    for (int i = 0; i < RFIELD_RAW; i++)
        s.field [i] = s_folded_copy (raw [i], &s.len [i]);
    //  The branch or outlet: the branch field first, else the text.
    if (self->dir) {
        s.branch = directory_match_branch (self->dir, in->branch);
        if (!s.branch)
            s.branch = directory_match_branch (self->dir, in->subject);
        if (!s.branch)
            s.branch = directory_match_branch (self->dir, in->body);
    }
    out->branch = s.branch;

    for (int kind = 0; kind < RULE_KINDS; kind++) {
        for (size_t r = 0; r < self->nrules; r++) {
            const rule_t *rule = &self->rules [r];
            if ((int) rule->kind != kind || !s_rule_holds (rule, &s))
                continue;
            if (kind == RULE_LINE && !out->line_rule) {
                out->business_line = rule->target;
                out->line_rule = rule->label;
            }
            else if (kind == RULE_CAUSE && !out->cause_rule) {
                out->cause = rule->target;
                out->cause_rule = rule->label;
            }
            else if (kind == RULE_FLAG && out->nflags < RULES_MAX_FLAGS
                 && !s_has_flag (out, rule->target)) {
                out->flag_rules [out->nflags] = rule->label;
                out->flags [out->nflags++] = rule->target;
            }
            else if (kind == RULE_ROUTE && !out->rule) {
                bool branch = strcmp (rule->target, RULES_BRANCH) == 0;
                out->department = branch ? s.branch : rule->target;
                out->rule = rule->label;
                if (branch) {
                    //  The branch leads; the business department the other
                    //  route rules choose cooperates.
                    for (size_t q = 0; q < self->nrules; q++) {
                        const rule_t *other = &self->rules [q];
                        if (other->kind == RULE_ROUTE && strcmp (other->target, RULES_BRANCH) != 0
                        &&  s_rule_holds (other, &s)) {
                            s_add_cooperating (out, other->target, other->label);
                            break;
                        }
                    }
                }
            }
            else if (kind == RULE_COOPERATE && out->department) {
                bool branch = strcmp (rule->target, RULES_BRANCH) == 0;
                s_add_cooperating (out, branch ? s.branch : rule->target, rule->label);
            }
        }
        if (kind == RULE_LINE) {
            if (!out->business_line)
                out->business_line = "other";
            s.line = out->business_line;
        }
        else if (kind == RULE_CAUSE) {
            if (!out->cause)
                out->cause = "other";
            s.cause = out->cause;
        }
        else if (kind == RULE_ROUTE && !out->department) {
            out->department = self->default_dept;
            out->rule = self->default_label;
            out->unroutable = true;
        }
    }
    for (int i = 0; i < RFIELD_RAW; i++)
        free (s.field [i]);
}

const char *
rules_route (rules_t *self, const char *product, const char *category,
             const char *channel, const char *subject, const char *body,
             const char **rule_p)
{
    rules_input_t in = { product, category, channel, subject, body, NULL, NULL };
    rules_result_t out;
    rules_classify (self, &in, &out);
    if (rule_p)
        *rule_p = out.rule;
    return out.department;
}

#include "selftest.h"

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
s_load_text (const char *text, conf_error_t *err)
{
    char path [] = "/tmp/rules_test_XXXXXX";
    int fd = mkstemp (path);
    assert (fd >= 0);
    size_t len = strlen (text);
    ssize_t n = write (fd, text, len);
    if (!(n == (ssize_t) len))          /* checked under NDEBUG too */
        abort ();
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
    { "%sflag media referral = newspaper\ndefault office\n", 4, "not a referral source" },
    { "%sroute lending text ~ \xE8\xB4\n", 4, "UTF-8" },
    { "%sfrobnicate\n", 4, "unknown keyword 'frobnicate'" },
    { "%sdepartment office again\n", 4, "declared twice (first on line 3)" },
    { "%sdepartment Bad-Id x\n", 4, "must be 1-" },
    { "%sdefault office\ndefault lending\n", 5, "given twice" },
    { "%sdefault office extra\n", 4, "unexpected text" },
    { "%sroute lending product ~ loan\n", 0, "no 'default'" },
    { "%sline bogus text ~ x\ndefault office\n", 4, "'bogus' is not a business line" },
    { "%scause rude text ~ x\ndefault office\n", 4, "'rude' is not a cause" },
    { "%sflag repeat text ~ x\ndefault office\n", 4, "not a flag a rule can set" },
    { "%sline cards cause = other\ndefault office\n", 4, "cannot test 'cause'" },
    { "%scause other line = cards cause = other\ndefault office\n", 4, "cannot test 'cause'" },
    { "%sroute lending line = nope\ndefault office\n", 4, "'nope' is not a business line" },
    { "%sroute lending line ~ cards\ndefault office\n", 4, "takes '='" },
    { "%sroute @branchx text ~ x\ndefault office\n", 4, "'@branch' must be followed by a space" },
    { "%scooperate nowhere text ~ x\ndefault office\n", 4, "unknown department 'nowhere'" },
};

static const char *s_bom_inside =
    "# a test rule set\n"
    "\xEF\xBB\xBF\n"         /* line 2: a BOM here is not whitespace */
    "department card_center   信用卡中心\n";

static int
s_test_parser (bool verbose, int *passed)
{
    int failed = 0;
    conf_error_t err;
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
              "line cards        text ~ 年费\n"                                               /* 12 */
              "default office\n",                                                             /* 13 */
              s_departments);
    conf_error_t err;
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

/* The shipped rules on both axes, flags, and cross-department cases. */
static int
s_test_classify (bool verbose, rules_t *rules, int *passed)
{
    int failed = 0;
    struct {
        const char *channel, *branch, *subject, *body;
        const char *line, *cause, *flags, *dept, *coop;
    } cases [] = {
#include "rules_cases.inc"
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        rules_input_t in = { NULL, NULL, cases [i].channel, cases [i].subject, cases [i].body,
                             cases [i].branch, NULL };
        rules_result_t out;
        rules_classify (rules, &in, &out);
        char flags [128] = "", coop [256] = "";
        for (size_t k = 0; k < out.nflags; k++)
            snprintf (flags + strlen (flags), sizeof flags - strlen (flags), "%s%s",
                      k ? " " : "", out.flags [k]);
        for (size_t k = 0; k < out.ncooperating; k++)
            snprintf (coop + strlen (coop), sizeof coop - strlen (coop), "%s%s",
                      k ? " " : "", out.cooperating [k]);
        bool ok = strcmp (out.business_line, cases [i].line) == 0
               && strcmp (out.cause, cases [i].cause) == 0
               && strcmp (flags, cases [i].flags) == 0
               && strcmp (out.department, cases [i].dept) == 0
               && strcmp (coop, cases [i].coop) == 0;
        S_CHECK (ok, "classify %zu (%s): line %s (%s) cause %s (%s) flags '%s' dept %s (%s) "
                 "coop '%s'; expected %s %s '%s' %s '%s'", i, cases [i].body,
                 out.business_line, out.line_rule, out.cause, out.cause_rule, flags,
                 out.department, out.rule, coop, cases [i].line, cases [i].cause,
                 cases [i].flags, cases [i].dept, cases [i].coop);
        if (verbose && ok)
            printf ("  classify %zu -> %s %s [%s] %s +[%s]\n", i, out.business_line, out.cause,
                    flags, out.department, coop);
    }
    return failed;
}

/* The production file: every US consumer bureau product and the common
 * Chinese complaint words land in a sensible department. */
static int
s_test_shipped (bool verbose, const char *path, const char *dir_path, int *passed)
{
    int failed = 0;
    conf_error_t err;
    directory_t *dir = dir_path ? directory_load (dir_path, &err) : NULL;
    S_CHECK (!dir_path || dir, "shipped directory %s refused: line %d: %s", dir_path, err.line,
             err.reason);
    rules_t *rules = rules_load_with (path, dir, &err);
    S_CHECK (rules != NULL, "shipped rules %s refused: line %d: %s", path, err.line, err.reason);
    if (!rules) {
        directory_destroy (&dir);
        return failed;
    }
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
    failed += s_test_classify (verbose, rules, passed);
    //  Who referred it (issue 15 §1): the regulator's referral is flagged
    //  regulator and the media's media, whatever the text says; an
    //  association's sets neither flag (priority.conf ranks it).
    struct { const char *referral, *flags; } referrals [] = {
        { "regulator", "regulator" }, { "media", "media" }, { "association", "" },
        { "consumer_association", "" }, { NULL, "" },
    };
    for (size_t i = 0; i < sizeof referrals / sizeof referrals [0]; i++) {
        rules_input_t in = { NULL, NULL, "letter", "年费", "信用卡年费重复扣收", NULL,
                             referrals [i].referral };
        rules_result_t out;
        rules_classify (rules, &in, &out);
        char flags [128] = "";
        for (size_t k = 0; k < out.nflags; k++)
            snprintf (flags + strlen (flags), sizeof flags - strlen (flags), "%s%s",
                      k ? " " : "", out.flags [k]);
        S_CHECK (strcmp (flags, referrals [i].flags) == 0, "referral %s: flags '%s', expected '%s'",
                 referrals [i].referral ? referrals [i].referral : "(none)", flags,
                 referrals [i].flags);
    }
    rules_destroy (&rules);
    directory_destroy (&dir);
    return failed;
}

int
rules_test (bool verbose, const char *shipped, const char *shipped_dir, int *passed)
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
        failed += s_test_shipped (verbose, shipped, shipped_dir, passed);
    }
    return failed;
}
