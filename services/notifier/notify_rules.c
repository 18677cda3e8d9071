/*  notify_rules.c — the rules (which event goes to whom, over which
 *  channels) and the templates (what they are told), loaded together.
 *
 *  rules.conf, read by the common reader (common/conf.c: `#` comments,
 *  blank lines, UTF-8, lines at most S_MAX_LINE bytes), one statement a
 *  line of blank-separated words:
 *
 *      EVENT_TYPE  RECIPIENTS  CHANNELS  [stage=STAGE[,STAGE]] [urgent]
 *      quiet       HH:MM-HH:MM CHANNELS
 *
 *  RECIPIENTS is a comma-separated list of kinds (or `escalation`: the roles
 *  an sla.escalated event names). CHANNELS is a comma-separated list of
 *  groups, each sent; a group is one channel or alternatives joined by '|'
 *  ("email|sms": e-mail when the recipient has an address and has not opted
 *  out, else SMS). `urgent` lets the event through quiet hours. The `quiet`
 *  line (at most one) holds back messages to customers on the channels it
 *  names from HH:MM to HH:MM local time (the case's calendar zone; a window
 *  may span midnight).
 *
 *  stage= (told, issue 15) takes only the events whose data.stage is one of
 *  those named (an SLA event of the regulatory clock: `stage=resolution`),
 *  refused for a type without a `stage` key. A type may have several rules
 *  (the handler of every stage, the customer of one), each to other
 *  recipients: a kind twice for one type is refused, so no one is told
 *  twice. The words after CHANNELS come in any order, each at most once.
 *
 *  Templates, per rule: TEMPLATES/EVENT_TYPE.zh.txt and .en.txt (e-mail and
 *  the staff inbox), and when the rule uses sms or push also
 *  EVENT_TYPE.zh.short.txt and .en.short.txt (the SMS text; the push title is
 *  its subject); for a type with more than one rule, each rule's own set
 *  EVENT_TYPE.RECIPIENTS.zh.txt ... (RECIPIENTS as written: the customer's
 *  words are not the handler's). Their placeholders come from a fixed list (s_fields),
 *  checked at load by common/template.c, so a typo is refused with
 *  file:line and not found in a customer's inbox. Rendering happens when a
 *  notification row is created, so a retry sends exactly the same bytes.
 */
#include "notify_rules.h"
#include "pg_array.h"
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_MAX_RULES  64
#define S_MAX_LINE        1024
#define S_MAX_WORDS       8

//  Every placeholder a template may use. The store fills them from the case
//  row and the event's data (notify_store.c, s_event), or for an event about
//  no case (analytics.hotspot) from its data alone (s_event_caseless).
static const char *s_fields [] = {
    "complaint_no", "received_at", "due_at", "product", "department", "department_name",
    "handler", "handler_name", "state", "level", "customer_name", "query_code", "outcome",
    "survey_url", "survey_until",       /* issue 16 (i16-followup) */
    "amount", "stage", "stage_zh", "percent", "tier", "step", "adds", "adds_zh", "adds_en", "event_due_at",
    //  sla.deadline_moved (clocks-b): the deadline before the calendar moved it
    "event_previous_due_at",
    //  hot spots (analytics.hotspot, analytics.hotspot_cleared)
    "kind", "kind_zh", "kind_en", "about", "rule", "branch", "branch_name", "cause",
    "business_line", "customer", "count", "window", "threshold", "first_at", "last_at",
    "samples", "baseline", "baseline_days", "p_value", "opened_at", "cleared_at", "reason",
    "reason_zh", "reason_en",
    //  complaint.rejected (a duplicate's first complaint), complaint.merged
    "duplicate_of", "merged_into",
    //  issue 16 (i16-vetting): the decision for the customer (complaint.resolved)
    "customer_text", "outcome_list", "outcomes_zh", "outcomes_en", "reasons_zh", "reasons_en",
    "review_days", "review_until", "routes_zh", "routes_en",
    //  issue 16 (i16-records): complaint.assigned, the knowledge base's entries
    "kb_suggestions",
    //  issue 16 (i16-tasks): a task's number and the department asked
    "task", "task_department", NULL
};

static const char *s_kinds [NOTIFY_KINDS] = {
    "customer", "handler", "supervisor", "department_head", "complaint_office", "management",
    "task_department",              /* issue 16 (i16-tasks) */
    "clock_owner",                  /* issue 16 follow-up (watchdog2) */
    "proposer",                     /* issue 16 follow-up (vetting2) */
};

static const char *s_channels [NOTIFY_CHANNELS] = { "email", "inbox", "sms", "push" };

//  The SLA stages (services/watchdog/sla_policy.c's list; the notifier does
//  not link the watchdog), for `stage=`.
static const char *s_stages [] = {
    "acknowledge", "first_response", "solution", "service", "resolution", "review",
    "referral_reply", "callback", NULL          /* callback: issue 16 (i16-followup) */
};

//  [language zh, en][form full, short]
typedef template_t *rule_templates_t [2][2];

struct _notify_rules_t {
    notify_rule_t rules [NOTIFY_MAX_RULES];
    rule_templates_t templates [NOTIFY_MAX_RULES];
    int count;
    bool quiet;
    char quiet_from [8], quiet_to [8];
    unsigned quiet_channels;
    char summary [160];
    char *types;                    /* notify_rules_types, built on first use */
};

const char *
notify_kind_name (notify_kind_t kind)
{
    assert (kind < NOTIFY_KINDS);
    return s_kinds [kind];
}

int
notify_kind_parse (const char *name)
{
    for (int i = 0; i < NOTIFY_KINDS; i++)
        if (streq (name, s_kinds [i]))
            return i;
    return -1;
}

const char *
notify_channel_name (notify_channel_t channel)
{
    assert (channel < NOTIFY_CHANNELS);
    return s_channels [channel];
}

int
notify_channel_parse (const char *name)
{
    for (int i = 0; i < NOTIFY_CHANNELS; i++)
        if (streq (name, s_channels [i]))
            return i;
    return -1;
}

static void
s_free (notify_rules_t *self)
{
    for (int i = 0; i < self->count; i++)
        for (int l = 0; l < 2; l++)
            for (int f = 0; f < 2; f++)
                template_destroy (&self->templates [i][l][f]);
    free (self->types);
    free (self);
}

//  "HH:MM" -> true when it is a time of day.
static bool
s_time_ok (const char *text)
{
    int h, m;
    char tail;
    return strlen (text) == 5 && sscanf (text, "%2d:%2d%c", &h, &m, &tail) == 2
           && h >= 0 && h < 24 && m >= 0 && m < 60;
}

static int
s_parse_quiet (notify_rules_t *self, const char *path, int line, char **words, int nwords,
               conf_error_t *err)
{
    if (nwords != 3)
        return conf_error_set (err, path, line, "want: quiet HH:MM-HH:MM CHANNELS");
    char *window = words [1];
    char *channels = words [2];
    if (self->quiet)
        return conf_error_set (err, path, line, "a second quiet line");
    char *dash = strchr (window, '-');
    if (!dash)
        return conf_error_set (err, path, line, "quiet hours want HH:MM-HH:MM, not %.20s", window);
    *dash = 0;
    if (!s_time_ok (window) || !s_time_ok (dash + 1) || streq (window, dash + 1))
        return conf_error_set (err, path, line, "quiet hours want two different times HH:MM-HH:MM");
    snprintf (self->quiet_from, sizeof self->quiet_from, "%s", window);
    snprintf (self->quiet_to, sizeof self->quiet_to, "%s", dash + 1);
    char *csave = NULL;
    for (char *c = strtok_r (channels, ",", &csave); c; c = strtok_r (NULL, ",", &csave)) {
        int channel = notify_channel_parse (c);
        if (channel != NOTIFY_EMAIL && channel != NOTIFY_SMS && channel != NOTIFY_PUSH)
            return conf_error_set (err, path, line, "quiet hours apply to email, sms or push, not %.40s",
                            c);
        self->quiet_channels |= 1u << channel;
    }
    self->quiet = true;
    return 0;
}

//  CHANNELS: groups separated by ',', alternatives within one by '|'.
static int
s_parse_channels (notify_rule_t *rule, const char *path, int line, char *channels,
                  conf_error_t *err)
{
    char *gsave = NULL;
    for (char *g = strtok_r (channels, ",", &gsave); g; g = strtok_r (NULL, ",", &gsave)) {
        if (rule->groups == NOTIFY_MAX_GROUPS)
            return conf_error_set (err, path, line, "more than %d channel groups", NOTIFY_MAX_GROUPS);
        int group = rule->groups++;
        char *asave = NULL;
        for (char *c = strtok_r (g, "|", &asave); c; c = strtok_r (NULL, "|", &asave)) {
            int channel = notify_channel_parse (c);
            if (channel < 0)
                return conf_error_set (err, path, line, "unknown channel %.40s (email, inbox, sms, push)",
                                c);
            if (rule->channels & (1u << channel))
                return conf_error_set (err, path, line, "channel %s named twice", c);
            rule->channels |= 1u << channel;
            rule->group [group][rule->alternatives [group]++] = (notify_channel_t) channel;
        }
        if (rule->alternatives [group] == 0)
            return conf_error_set (err, path, line, "an empty channel group");
    }
    return 0;
}

typedef struct {
    notify_rules_t *self;
    const char *templates_dir;
} s_load_t;

/* Does the event declare a key `name` (its head's or its own)? */
static bool
s_declares (const events_decl_t *decl, const char *name)
{
    for (size_t i = 0; decl->head && i < decl->head->nfields; i++)
        if (streq (decl->head->fields [i].name, name))
            return true;
    for (size_t i = 0; i < decl->nfields; i++)
        if (streq (decl->fields [i].name, name))
            return true;
    return false;
}

/* stage=STAGE[,STAGE]: the filter's mask. */
static int
s_parse_stages (notify_rule_t *rule, const char *path, int line, char *list, conf_error_t *err)
{
    if (!s_declares (events_find (rule->type), "stage"))
        return conf_error_set (err, path, line, "stage= on %s, which has no stage", rule->type);
    char *save = NULL;
    for (char *st = strtok_r (list, ",", &save); st; st = strtok_r (NULL, ",", &save)) {
        int i = 0;
        while (s_stages [i] && !streq (s_stages [i], st))
            i++;
        if (!s_stages [i])
            return conf_error_set (err, path, line, "unknown stage %.40s (acknowledge, "
                                   "first_response, solution, service, resolution, review, "
                                   "referral_reply, callback)", st);
        rule->stages |= 1u << i;
    }
    if (!rule->stages)
        return conf_error_set (err, path, line, "stage= names no stage");
    return 0;
}

/* The templates of one rule (after the whole file is read: whether a type has
 * one rule or several decides their names). 0 or -1 with err set. */
static int
s_load_templates (notify_rules_t *self, int index, const char *templates_dir,
                  conf_error_t *err)
{
    const notify_rule_t *rule = &self->rules [index];
    bool shared = notify_rules_next (self, notify_rules_find (self, rule->type)) != NULL;
    bool short_form = rule->channels & ((1u << NOTIFY_SMS) | (1u << NOTIFY_PUSH));
    const char *langs [2] = { "zh", "en" };
    for (int l = 0; l < 2; l++)
        for (int f = 0; f < (short_form ? 2 : 1); f++) {
            char tpath [512];
            snprintf (tpath, sizeof tpath, "%s/%s%s%s.%s%s.txt", templates_dir, rule->type,
                      shared ? "." : "", shared ? rule->recipients : "", langs [l],
                      f ? ".short" : "");
            template_t *tpl = template_load (tpath, s_fields, err);
            if (!tpl)
                return -1;
            self->templates [index][l][f] = tpl;
        }
    return 0;
}

//  One rule or quiet line (conf_line_fn). 0 or -1 with the error set.
static int
s_parse_words (notify_rules_t *self, const char *path, int line, char **words, int nwords,
               const char *templates_dir, conf_error_t *err)
{
    char *type = words [0];
    if (streq (type, "quiet"))
        return s_parse_quiet (self, path, line, words, nwords, err);
    if (nwords < 3 || nwords > 5)
        return conf_error_set (err, path, line,
                               "want: EVENT_TYPE RECIPIENTS CHANNELS [stage=STAGE,..] [urgent]");
    char *kinds = words [1];
    char *channels = words [2];
    char *stages = NULL;
    bool urgent = false;
    for (int w = 3; w < nwords; w++) {
        if (streq (words [w], "urgent") && !urgent)
            urgent = true;
        else
        if (strncmp (words [w], "stage=", 6) == 0 && !stages)
            stages = words [w] + 6;
        else
            return conf_error_set (err, path, line, "unknown or repeated flag %.40s "
                                   "(stage=STAGE,.., urgent)", words [w]);
    }
    if (strlen (type) >= sizeof self->rules [0].type)
        return conf_error_set (err, path, line, "event type too long");
    if (!events_find (type))
        return conf_error_set (err, path, line, "unknown event type %.60s (proto/events.c declares "
                               "them: complaintctl events)", type);
    if (self->count == NOTIFY_MAX_RULES)
        return conf_error_set (err, path, line, "more than %d rules", NOTIFY_MAX_RULES);
    notify_rule_t *rule = &self->rules [self->count];
    memset (rule, 0, sizeof *rule);
    snprintf (rule->type, sizeof rule->type, "%s", type);
    if (strlen (kinds) >= sizeof rule->recipients)
        return conf_error_set (err, path, line, "recipients too long");
    snprintf (rule->recipients, sizeof rule->recipients, "%s", kinds);
    rule->urgent = urgent;
    if (stages && s_parse_stages (rule, path, line, stages, err))
        return -1;
    char *ksave = NULL;
    for (char *k = strtok_r (kinds, ",", &ksave); k; k = strtok_r (NULL, ",", &ksave)) {
        int kind = notify_kind_parse (k);
        if (streq (k, "escalation"))
            rule->escalation = true;
        else
        if (kind < 0)
            return conf_error_set (err, path, line, "unknown recipient kind %.40s", k);
        else
            rule->kinds |= 1u << kind;
    }
    //  An event about no case has no customer and no handler to find; a
    //  rule naming them would never send anything, so it is refused.
    const unsigned case_only = (1u << NOTIFY_CUSTOMER) | (1u << NOTIFY_HANDLER)
                             | (1u << NOTIFY_TASK_DEPARTMENT) | (1u << NOTIFY_CLOCK_OWNER)
                             | (1u << NOTIFY_PROPOSER);
    if (events_find (type)->caseless && ((rule->kinds & case_only) || rule->escalation))
        return conf_error_set (err, path, line, "%s is about no single case: it has no "
                               "customer, handler or escalation roles (department_head is "
                               "the head of the event's branch)", type);
    if (s_parse_channels (rule, path, line, channels, err))
        return -1;
    if (!rule->groups || (!rule->kinds && !rule->escalation))
        return conf_error_set (err, path, line, "no recipients or no channels");
    //  Several rules for one type, never one person twice.
    for (const notify_rule_t *r = notify_rules_find (self, type); r;
         r = notify_rules_next (self, r))
        if ((r->kinds & rule->kinds) || (r->escalation && rule->escalation))
            return conf_error_set (err, path, line, "a second rule for %s to the same "
                                   "recipients (one rule per kind and type)", type);
    (void) templates_dir;           /* loaded once the whole file is read */
    self->count++;
    return 0;
}

static int
s_parse_line (void *arg, conf_cursor_t *c)
{
    s_load_t *load = (s_load_t *) arg;
    char *words [S_MAX_WORDS];
    int nwords = conf_split (c, words, S_MAX_WORDS);
    if (nwords < 0)
        return -1;
    int rc = s_parse_words (load->self, c->file, c->line, words, nwords, load->templates_dir,
                            c->err);
    conf_words_free (words, nwords);
    return rc;
}

notify_rules_t *
notify_rules_load (const char *rules_path, const char *templates_dir, conf_error_t *err)
{
    notify_rules_t *self = calloc (1, sizeof *self);
    assert (self);
    s_load_t load = { self, templates_dir };
    conf_limits_t limits = { .max_line = S_MAX_LINE };
    int rc = conf_read (rules_path, &limits, err, s_parse_line, &load);
    if (rc == 0 && self->count == 0)
        rc = conf_error_set (err, rules_path, 0, "no rules");
    for (int i = 0; rc == 0 && i < self->count; i++)
        rc = s_load_templates (self, i, templates_dir, err);
    if (rc < 0) {
        s_free (self);
        return NULL;
    }
    int templates = 0;
    for (int i = 0; i < self->count; i++)
        for (int l = 0; l < 2; l++)
            for (int f = 0; f < 2; f++)
                templates += self->templates [i][l][f] != NULL;
    snprintf (self->summary, sizeof self->summary, "rules=%d templates=%d quiet=%s%s%s",
              self->count, templates, self->quiet ? self->quiet_from : "none",
              self->quiet ? "-" : "", self->quiet ? self->quiet_to : "");
    return self;
}

void
notify_rules_destroy (notify_rules_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        s_free (*self_p);
        *self_p = NULL;
    }
}

const char *
notify_rules_summary (notify_rules_t *self)
{
    return self->summary;
}

const notify_rule_t *
notify_rules_find (notify_rules_t *self, const char *type)
{
    for (int i = 0; i < self->count; i++)
        if (streq (self->rules [i].type, type))
            return &self->rules [i];
    return NULL;
}

const notify_rule_t *
notify_rules_next (notify_rules_t *self, const notify_rule_t *rule)
{
    if (!rule)
        return NULL;
    for (int i = (int) (rule - self->rules) + 1; i < self->count; i++)
        if (streq (self->rules [i].type, rule->type))
            return &self->rules [i];
    return NULL;
}

bool
notify_rule_takes_stage (const notify_rule_t *rule, const char *stage)
{
    if (!rule->stages)
        return true;
    for (int i = 0; stage && s_stages [i]; i++)
        if (streq (s_stages [i], stage))
            return (rule->stages & (1u << i)) != 0;
    return false;
}

const char *
notify_rules_types (notify_rules_t *self)
{
    if (!self->types) {
        pg_array_t types = { 0 };
        pg_array_begin (&types);
        for (int i = 0; i < self->count; i++)
            if (notify_rules_find (self, self->rules [i].type) == &self->rules [i])
                pg_array_add (&types, self->rules [i].type);
        self->types = strdup (pg_array_end (&types));
        pg_array_destroy (&types);
    }
    return self->types;
}

bool
notify_rules_quiet (notify_rules_t *self, const char **from, const char **to,
                    unsigned *channels)
{
    *from = self->quiet_from;
    *to = self->quiet_to;
    *channels = self->quiet ? self->quiet_channels : 0;
    return self->quiet;
}

int
notify_rules_render (notify_rules_t *self, const char *type, const char *lang,
                     notify_channel_t channel, zhash_t *fields, char **subject, char **body)
{
    const notify_rule_t *rule = notify_rules_find (self, type);
    if (!rule)
        return -1;
    return notify_rules_render_rule (self, rule, lang, channel, fields, subject, body);
}

int
notify_rules_render_rule (notify_rules_t *self, const notify_rule_t *rule, const char *lang,
                          notify_channel_t channel, zhash_t *fields, char **subject,
                          char **body)
{
    int l = lang && streq (lang, "en") ? 1 : 0;
    int f = channel == NOTIFY_SMS || channel == NOTIFY_PUSH ? 1 : 0;
    template_t *tpl = self->templates [rule - self->rules][l][f];
    if (!tpl)
        return -1;                  /* a channel the rule does not use */
    *subject = template_render_subject (tpl, fields);
    *body = template_render_body (tpl, fields);
    return 0;
}

//  --------------------------------------------------------------------------
#include "selftest.h"

//  Self-test: the shipped rules and templates load and render; mistakes are
//  refused with file:line.

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert (file);
    fputs (text, file);
    fclose (file);
}

/* Does the rule render (lang, channel) with every one of words in its body
 * and no placeholder left? */
static bool
s_renders (notify_rules_t *rules, const notify_rule_t *rule, const char *lang,
           notify_channel_t channel, zhash_t *fields, const char **words)
{
    char *subject = NULL, *body = NULL;
    bool ok = rule && notify_rules_render_rule (rules, rule, lang, channel, fields, &subject,
                                                &body) == 0 && !strstr (body, "{{");
    for (int i = 0; ok && words [i]; i++)
        ok = strstr (body, words [i]) != NULL;
    free (subject);
    free (body);
    return ok;
}

int
notify_rules_test (bool verbose, const char *rules_path, const char *templates_dir, int *passed)
{
    s_tally = (selftest_tally_t) { 0 };
    conf_error_t err;
    notify_rules_t *rules = notify_rules_load (rules_path, templates_dir, &err);
    if (!rules)
        printf ("  shipped rules refused: %s:%d: %s\n", err.file, err.line, err.reason);
    s_check (verbose, rules != NULL, "the shipped rules and templates load");
    if (rules) {
        const notify_rule_t *rule = notify_rules_find (rules, "complaint.received");
        s_check (verbose, rule && rule->kinds == (1u << NOTIFY_CUSTOMER) && rule->groups == 1
                          && rule->alternatives [0] == 2 && rule->group [0][0] == NOTIFY_EMAIL
                          && rule->group [0][1] == NOTIFY_SMS && !rule->urgent,
                 "complaint.received -> customer, e-mail else SMS");
        rule = notify_rules_find (rules, "sla.escalated");
        s_check (verbose, rule && rule->escalation && rule->groups == 2
                          && rule->channels == ((1u << NOTIFY_EMAIL) | (1u << NOTIFY_INBOX)),
                 "sla.escalated -> the tier's roles, inbox and email");
        s_check (verbose, notify_rules_find (rules, "complaint.noted") == NULL,
                 "an event without a rule is not found");
        const char *from, *to;
        unsigned quiet;
        s_check (verbose, notify_rules_quiet (rules, &from, &to, &quiet) && streq (from, "21:00")
                          && streq (to, "08:00")
                          && quiet == ((1u << NOTIFY_SMS) | (1u << NOTIFY_PUSH)),
                 "quiet hours 21:00-08:00 hold back sms and push");
        zhash_t *fields = zhash_new ();
        zhash_insert (fields, "complaint_no", "C20260302000001");
        zhash_insert (fields, "received_at", "2026-03-02 09:00");
        char *subject, *body;
        int rc = notify_rules_render (rules, "complaint.received", "zh", NOTIFY_EMAIL, fields,
                                      &subject, &body);
        s_check (verbose, rc == 0 && strstr (subject, "C20260302000001")
                          && strstr (subject, "受理") && strstr (body, "15日内")
                          && strstr (body, "2026-03-02 09:00") && !strstr (body, "{{"),
                 "the zh receipt renders with the number, the time and the deadline");
        if (rc == 0) {
            free (subject);
            free (body);
        }
        rc = notify_rules_render (rules, "complaint.received", "zh", NOTIFY_SMS, fields,
                                  &subject, &body);
        s_check (verbose, rc == 0 && strstr (body, "C20260302000001") && strstr (body, "15日")
                          && strlen (body) < 300,
                 "the zh SMS receipt is short, with the number and the deadline");
        if (rc == 0) {
            free (subject);
            free (body);
        }
        rc = notify_rules_render (rules, "complaint.resolved", "en", NOTIFY_EMAIL, fields,
                                  &subject, &body);
        s_check (verbose, rc == 0 && strstr (subject, "resolved")
                          && strstr (body, "Our decision: -") && strstr (body, "review")
                          && strstr (body, "You may also -"),
                 "the en result renders; a missing field is \"-\"; it says how to ask for "
                 "review, and then the other routes (issue 16: routes_en, one wording the "
                 "store fills for every decision's notice)");
        if (rc == 0) {
            free (subject);
            free (body);
        }
        zhash_insert (fields, "event_due_at", "2026-04-01 24:00");
        zhash_insert (fields, "adds", "60d");
        zhash_insert (fields, "adds_en", "60 days");
        zhash_insert (fields, "adds_zh", "60日");
        zhash_insert (fields, "stage_zh", "办结");
        rc = notify_rules_render (rules, "sla.extended", "zh", NOTIFY_SMS, fields, &subject,
                                  &body);
        s_check (verbose, rc == 0 && strstr (body, "C20260302000001")
                          && strstr (body, "2026-04-01 24:00"),
                 "the customer is told of an extension with the new deadline (SMS)");
        if (rc == 0) {
            free (subject);
            free (body);
        }
        rc = notify_rules_render (rules, "sla.extended", "en", NOTIFY_EMAIL, fields, &subject,
                                  &body);
        s_check (verbose, rc == 0 && strstr (body, "extended with approval, to 60 days")
                          && strstr (body, "2026-04-01 24:00") && strstr (body, "What happens next"),
                 "... and by e-mail, with how long and what happens next");
        if (rc == 0) {
            free (subject);
            free (body);
        }
        rc = notify_rules_render (rules, "sla.reminder", "zh", NOTIFY_SMS, fields, &subject,
                                  &body);
        s_check (verbose, rc == -1, "no short form for a rule without sms or push");
        //  told: the customer is given the regulatory deadline set anew.
        rule = notify_rules_find (rules, "sla.restarted");
        s_check (verbose, rule && rule->kinds == (1u << NOTIFY_CUSTOMER)
                          && notify_rule_takes_stage (rule, "resolution")
                          && !notify_rule_takes_stage (rule, "service")
                          && !notify_rule_takes_stage (rule, NULL)
                          && !notify_rules_next (rules, rule),
                 "sla.restarted -> the customer, for resolution only");
        const notify_rule_t *moved = notify_rules_find (rules, "sla.deadline_moved");
        const notify_rule_t *moved2 = notify_rules_next (rules, moved);
        s_check (verbose, moved && moved->kinds == (1u << NOTIFY_HANDLER)
                          && notify_rule_takes_stage (moved, "service") && moved2
                          && moved2->kinds == (1u << NOTIFY_CUSTOMER)
                          && notify_rule_takes_stage (moved2, "resolution")
                          && !notify_rule_takes_stage (moved2, "service")
                          && !notify_rules_next (rules, moved2),
                 "sla.deadline_moved -> the handler (every stage) and the customer (resolution)");
        //  issue 16 follow-up (vetting2): an approval tells the proposal's
        //  author, in words of their own; the customer's rule comes first
        const notify_rule_t *res1 = notify_rules_find (rules, "complaint.resolved");
        const notify_rule_t *res2 = notify_rules_next (rules, res1);
        zhash_insert (fields, "outcomes_zh", "退还款项 300.00 元");
        s_check (verbose, res1 && res1->kinds == (1u << NOTIFY_CUSTOMER) && res2
                          && res2->kinds == (1u << NOTIFY_PROPOSER)
                          && !notify_rules_next (rules, res2)
                          && s_renders (rules, res2, "zh", NOTIFY_EMAIL, fields,
                                        (const char *[]) { "审核通过", "退还款项 300.00 元",
                                                           NULL }),
                 "complaint.resolved -> the customer, and the proposer (approved, with the "
                 "outcomes)");
        zhash_insert (fields, "event_previous_due_at", "2027-02-10 24:00 +08:00");
        zhash_update (fields, "event_due_at", "2027-02-12 24:00 +08:00");
        s_check (verbose, s_renders (rules, moved2, "zh", NOTIFY_SMS, fields,
                                     (const char *[]) { "2027-02-10 24:00 +08:00",
                                                        "2027-02-12 24:00 +08:00", "节假日",
                                                        NULL }),
                 "the customer's moved deadline (SMS): before, after, and why");
        s_check (verbose, s_renders (rules, moved, "zh", NOTIFY_EMAIL, fields,
                                     (const char *[]) { "请按新的截止时间办理", NULL }),
                 "... and the handler's own words from the handler's templates");
        s_check (verbose, s_renders (rules, rule, "en", NOTIFY_EMAIL, fields,
                                     (const char *[]) { "2027-02-12 24:00 +08:00", "started",
                                                        NULL }),
                 "sla.restarted (en e-mail): the new deadline with its zone");
        //  issue 16 follow-up (watchdog2): reminders go to whose clock it is.
        rule = notify_rules_find (rules, "sla.reminder");
        s_check (verbose, rule && rule->kinds == (1u << NOTIFY_CLOCK_OWNER)
                          && !notify_rules_next (rules, rule)
                          && streq (notify_clock_owner ("callback"), "complaint_office")
                          && streq (notify_clock_owner ("resolution"), "handler")
                          && streq (notify_clock_owner (NULL), "handler"),
                 "sla.reminder -> clock_owner: the office for a call-back, else the handler");
        //  A hot spot: about no case, the office and the branch's head.
        rule = notify_rules_find (rules, "analytics.hotspot");
        s_check (verbose, rule && rule->kinds == ((1u << NOTIFY_COMPLAINT_OFFICE)
                                                  | (1u << NOTIFY_DEPARTMENT_HEAD))
                          && rule->channels == ((1u << NOTIFY_EMAIL) | (1u << NOTIFY_INBOX)),
                 "analytics.hotspot -> complaint office and the branch's head, inbox and email");
        rule = notify_rules_find (rules, "analytics.hotspot_cleared");
        s_check (verbose, rule && rule->kinds == (1u << NOTIFY_COMPLAINT_OFFICE),
                 "analytics.hotspot_cleared -> the complaint office");
        zhash_t *hot = zhash_new ();
        zhash_insert (hot, "kind_zh", "同一网点同类投诉");
        zhash_insert (hot, "kind_en", "repeated complaints of one kind at one outlet");
        zhash_insert (hot, "branch_name", "北京分行海淀支行");
        zhash_insert (hot, "branch", "outlet_bj_haidian");
        zhash_insert (hot, "about", "北京分行海淀支行 / service_attitude");
        zhash_insert (hot, "cause", "service_attitude");
        zhash_insert (hot, "count", "3");
        zhash_insert (hot, "window", "30d");
        zhash_insert (hot, "rule", "outlet_cause_30d");
        zhash_insert (hot, "first_at", "2026-03-02 09:00 +08:00");
        zhash_insert (hot, "samples", "202603020000017, 202603010000013");
        zhash_insert (hot, "reason_en", "its rule was removed from hotspots.conf");
        rc = notify_rules_render (rules, "analytics.hotspot", "zh", NOTIFY_EMAIL, hot,
                                  &subject, &body);
        s_check (verbose, rc == 0 && strstr (subject, "北京分行海淀支行")
                          && strstr (body, "30d") && strstr (body, "outlet_cause_30d")
                          && strstr (body, "2026-03-02 09:00 +08:00")
                          && strstr (body, "202603010000013") && !strstr (body, "{{"),
                 "the zh hot spot: branch, window, rule, time with its zone, samples");
        if (rc == 0) {
            free (subject);
            free (body);
        }
        rc = notify_rules_render (rules, "analytics.hotspot_cleared", "en", NOTIFY_EMAIL, hot,
                                  &subject, &body);
        s_check (verbose, rc == 0 && strstr (body, "outlet_cause_30d") && strstr (body, "30d")
                          && strstr (body, "removed from hotspots.conf"),
                 "the en hot spot cleared renders, with why");
        if (rc == 0) {
            free (subject);
            free (body);
        }
        zhash_destroy (&hot);
        zhash_destroy (&fields);
        notify_rules_destroy (&rules);
    }
    //  Mistakes, in a scratch folder.
    char dir [] = "/tmp/notifier-selftest-XXXXXX";
    if (mkdtemp (dir)) {
        char rpath [300], tpath [300], tpath2 [300], spath [300], spath2 [300];
        snprintf (rpath, sizeof rpath, "%s/rules.conf", dir);
        snprintf (tpath, sizeof tpath, "%s/complaint.noted.zh.txt", dir);
        snprintf (tpath2, sizeof tpath2, "%s/complaint.noted.en.txt", dir);
        snprintf (spath, sizeof spath, "%s/complaint.noted.zh.short.txt", dir);
        snprintf (spath2, sizeof spath2, "%s/complaint.noted.en.short.txt", dir);
        s_write (rpath, "# test\ncomplaint.noted customer email\n");
        s_write (tpath, "Subject: {{complaint_no}}\nline two\nhello {{complaint_nr}}\n");
        s_write (tpath2, "Subject: ok\nbody\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && err.line == 3 && streq (err.file, tpath)
                          && strstr (err.reason, "unknown placeholder {{complaint_nr}}"),
                 "an unknown placeholder is refused with file:line");
        notify_rules_destroy (&rules);
        s_write (tpath, "Subject: fine\nunclosed {{tier\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && err.line == 2 && strstr (err.reason, "unclosed"),
                 "an unclosed {{ is refused with its line");
        notify_rules_destroy (&rules);
        s_write (tpath, "Subject: fine {{tier}}\nbody\n");
        s_write (rpath, "complaint.noted customer email\ncomplaint.accepted boss email\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && err.line == 2 && streq (err.file, rpath)
                          && strstr (err.reason, "unknown recipient kind boss"),
                 "an unknown recipient kind is refused with rules file:line");
        notify_rules_destroy (&rules);
        s_write (rpath, "complaint.noted customer email\ncomplaint.notted customer email\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && err.line == 2 && streq (err.file, rpath)
                          && strstr (err.reason, "unknown event type complaint.notted"),
                 "an event type proto/events.c does not declare is refused with file:line");
        notify_rules_destroy (&rules);
        s_write (tpath, "Subject: fine\nbad \xff byte\n");
        s_write (rpath, "complaint.noted customer email\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && strstr (err.reason, "UTF-8"),
                 "a template that is not UTF-8 is refused");
        notify_rules_destroy (&rules);
        s_write (tpath, "Subject: fine {{tier}}\nbody\n");
        s_write (rpath, "complaint.noted customer email|fax\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && err.line == 1 && strstr (err.reason, "unknown channel fax"),
                 "an unknown channel is refused");
        notify_rules_destroy (&rules);
        s_write (rpath, "complaint.noted customer email|sms\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && streq (err.file, spath) && strstr (err.reason, "cannot open"),
                 "sms without its short template is refused, naming the file");
        notify_rules_destroy (&rules);
        s_write (spath, "Subject: t\n{{complaint_no}}\n");
        s_write (spath2, "Subject: t\n{{complaint_no}}\n");
        s_write (rpath, "complaint.noted customer email|sms,push urgent\nquiet 22:30-07:00 sms\n");
        rules = notify_rules_load (rpath, dir, &err);
        const char *from = NULL, *to = NULL;
        unsigned quiet = 0;
        s_check (verbose, rules && notify_rules_find (rules, "complaint.noted")->urgent
                          && notify_rules_find (rules, "complaint.noted")->groups == 2
                          && notify_rules_quiet (rules, &from, &to, &quiet)
                          && streq (from, "22:30") && quiet == (1u << NOTIFY_SMS),
                 "alternatives, groups, urgent and a quiet line load");
        notify_rules_destroy (&rules);
        const char *bad [][2] = {
            { "complaint.noted customer email,email\n", "named twice" },
            { "complaint.noted customer email loud\n", "flag loud" },
            { "complaint.noted customer email\nquiet 21:00 sms\n", "want HH:MM-HH:MM" },
            { "complaint.noted customer email\nquiet 25:00-08:00 sms\n", "two different times" },
            { "complaint.noted customer email\nquiet 21:00-21:00 sms\n", "two different times" },
            { "complaint.noted customer email\nquiet 21:00-08:00 inbox\n", "not inbox" },
            { "complaint.noted customer email\nquiet 21:00-08:00 sms\nquiet 22:00-07:00 sms\n",
              "a second quiet" },
            { "complaint.noted customer ,\n", "no recipients or no channels" },
            { "analytics.hotspot complaint_office,handler inbox\n", "about no single case" },
            { "analytics.hotspot customer email\n", "about no single case" },
            { "analytics.hotspot escalation inbox\n", "about no single case" },
            /* issue 16 follow-up (vetting2) */
            { "analytics.hotspot proposer inbox\n", "about no single case" },
            { "complaint.noted customer email stage=resolution\n", "which has no stage" },
            { "sla.met customer email stage=resolutoin\n", "unknown stage resolutoin" },
            { "sla.met customer email stage=\n", "names no stage" },
            { "sla.met customer email urgent urgent\n", "repeated flag urgent" },
            { "sla.met customer email stage=review stage=resolution\n", "repeated flag" },
            { "sla.met handler,customer email\nsla.met customer email stage=review\n",
              "to the same recipients" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
            s_write (rpath, bad [i][0]);
            rules = notify_rules_load (rpath, dir, &err);
            char what [160];
            snprintf (what, sizeof what, "refused: %s", bad [i][1]);
            s_check (verbose, !rules && streq (err.file, rpath) && err.line >= 1
                              && strstr (err.reason, bad [i][1]), what);
            if (rules || !strstr (err.reason, bad [i][1]))
                printf ("    got: %s:%d: %s\n", err.file, err.line, err.reason);
            notify_rules_destroy (&rules);
        }
        s_write (rpath, "complaint.noted customer,escalation inbox\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, rules != NULL, "a good scratch rule loads");
        notify_rules_destroy (&rules);
        //  told: a type with two rules has a set of templates per rule.
        char hpath [300];
        snprintf (hpath, sizeof hpath, "%s/complaint.noted.handler.zh.txt", dir);
        s_write (rpath, "complaint.noted handler inbox\ncomplaint.noted customer email\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && streq (err.file, hpath) && strstr (err.reason, "cannot open"),
                 "two rules for a type: each its own templates (EVENT_TYPE.RECIPIENTS), named");
        notify_rules_destroy (&rules);
        char names [4][300];
        const char *forms [4] = { "handler.zh", "handler.en", "customer.zh", "customer.en" };
        for (int i = 0; i < 4; i++) {
            snprintf (names [i], sizeof names [i], "%s/complaint.noted.%s.txt", dir, forms [i]);
            s_write (names [i], i < 2 ? "Subject: staff\nfor staff\n"
                                      : "Subject: you\nfor the customer\n");
        }
        rules = notify_rules_load (rpath, dir, &err);
        const notify_rule_t *r2 = rules ? notify_rules_next (rules,
                                            notify_rules_find (rules, "complaint.noted")) : NULL;
        char *subj = NULL, *text = NULL;
        s_check (verbose, r2 && notify_rules_render_rule (rules, r2, "en", NOTIFY_EMAIL, NULL,
                                                          &subj, &text) == 0
                          && strstr (text, "for the customer"),
                 "... and the customer's rule renders the customer's");
        free (subj);
        free (text);
        notify_rules_destroy (&rules);
        for (int i = 0; i < 4; i++)
            unlink (names [i]);
        unlink (tpath);
        unlink (tpath2);
        unlink (spath);
        unlink (spath2);
        unlink (rpath);
        rmdir (dir);
    }
    return selftest_tally_end (&s_tally, verbose, NULL, passed);
}
