/*  sla_policy.h — the SLA policy (deploy/sla/policy.conf) and the calendars
 *  it counts on (deploy/calendars/NAME.conf), loaded and validated together.
 *
 *  The policy says, for each stage of a case (acknowledge, first_response,
 *  solution, resolution, review, referral_reply), how long the bank has (a span on a calendar), which
 *  rule applies to which case (first matching `clock` line), when to remind
 *  (percent of the allowed time), how to escalate after a breach (tiers, each
 *  AFTER a span past the deadline, to whom), and which extensions may be
 *  approved (stage, step, the span counted from the round's start, approver),
 *  and what pauses each stage's clock (waiting for the customer, a recorded
 *  appraisal period). The format is documented in the
 *  file's header and in docs/watchdog.md.
 *
 *  sla_policy_load reads the policy and every calendar of the calendars
 *  folder, and returns a policy only when both are valid and every calendar
 *  the policy names exists; otherwise the error names the file, the line and
 *  the reason. The watchdog swaps a policy in as a whole (on SIGHUP), so a
 *  bad edit never leaves it with a mixture.
 *
 *  sla_policy_choose picks the rule of one stage for one case (its
 *  attributes, sla_case_attrs_t), and the calendar of its department.
 *
 *  Interface: sla_stage_name, sla_stage_parse, sla_policy_load,
 *  sla_policy_parse (policy text, calendars given: for tests),
 *  sla_policy_destroy, sla_policy_choose, sla_policy_calendar_for,
 *  sla_policy_reminders, sla_policy_tiers, sla_policy_extension, sla_policy_pauses,
 *  sla_policy_summary, sla_selector, sla_policy_test
 */
#ifndef SLA_POLICY_H_INCLUDED
#define SLA_POLICY_H_INCLUDED

#include "calendar.h"       /* and conf.h: conf_error_t */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SLA_ACKNOWLEDGE = 0,
    SLA_FIRST_RESPONSE,
    SLA_SERVICE,                    /* the bank's internal decision clock (CLOCKS-A) */
    SLA_RESOLUTION,
    SLA_REVIEW,
    SLA_SOLUTION,                   /* a complex case's solution (clocks-b) */
    SLA_REFERRAL_REPLY,             /* the reply back to a referring body (clocks-b) */
    SLA_CALLBACK,                   /* issue 16 (i16-followup): the call-back after a decision */
    SLA_STAGES
} sla_stage_t;

#define SLA_MAX_PERCENTS   8
#define SLA_MAX_TIERS      8
#define SLA_MAX_TO         4
#define SLA_MAX_EXTENSIONS 8
#define SLA_MAX_TERMS      8
#define SLA_MAX_VALUES     8
#define SLA_MAX_NAME       64
#define SLA_RULE_SIZE      96       /* "policy.conf:31" */
#define SLA_SPAN_SIZE      16


/* The attributes of a case a rule is chosen by. Strings may be NULL. */
typedef struct {
    int priority;                   /* 1..4, 0 = not classified yet */
    const char *business_line;
    const char *channel;
    bool major;
    const char *level;              /* branch | head_office | regulator */
    const char *const *flags;
    size_t nflags;
    const char *department;
    const char *department_path;    /* "/head_office/card_center/" */
    const char *referral;           /* complaint.referral_source; NULL = came directly */
} sla_case_attrs_t;

typedef struct {
    sla_stage_t stage;
    span_t span;
    char allowance [SLA_SPAN_SIZE];         /* as written: "24h" */
    char rule [SLA_RULE_SIZE];              /* "policy.conf:31" */
} sla_choice_t;

typedef struct {
    int tier;                               /* 1, 2, 3 ... */
    span_t after;
    char after_text [SLA_SPAN_SIZE];
    const char *to [SLA_MAX_TO];
    int nto;
} sla_tier_t;

/* An extension rule: step N of a stage extends its deadline TO `to`
 * counted from the round's start (`extend resolution 1 to 30d supervisor`).
 * adds_text is what sla_extension_rule.adds and the audit row carry:
 * "to 30d" (a trail row without "to " is an extension approved under the
 * old additive rule: sla_plan still reads it as "adds"). */
typedef struct {
    sla_stage_t stage;
    int step;                               /* 1, 2 ... */
    span_t to;
    char to_text [SLA_SPAN_SIZE];           /* "30d" */
    char adds_text [SLA_SPAN_SIZE + 4];     /* "to 30d" */
    char approver [32];
    char rule [SLA_RULE_SIZE];
} sla_extension_t;

/* What pauses a stage's clock (`pause STAGE WHAT ...`): a mask. */
#define SLA_PAUSE_AWAITING  1u          /* the case waits for the customer */
#define SLA_PAUSE_APPRAISAL 2u          /* appraisal_start .. appraisal_end */

typedef struct _sla_policy_t sla_policy_t;

const char *sla_stage_name (sla_stage_t stage);
/* -1 when not a stage name. */
int sla_stage_parse (const char *name);

/* Load the policy and every calendar in calendars_dir. NULL with err set. */
sla_policy_t *sla_policy_load (const char *policy_path, const char *calendars_dir,
                               conf_error_t *err);
/* Parse policy text (label = the file name errors carry) against calendars
 * already loaded, which the policy borrows (the caller keeps them alive and
 * destroys them after the policy): for tests. */
sla_policy_t *sla_policy_parse (const char *text, const char *label, calendars_t *calendars,
                                conf_error_t *err);
void sla_policy_destroy (sla_policy_t **self_p);

/* The rule of a stage for a case: 0 with *out filled, -1 when no clock line
 * applies (the stage has no clock for this case). */
int sla_policy_choose (const sla_policy_t *self, sla_stage_t stage,
                       const sla_case_attrs_t *attrs, sla_choice_t *out);
/* The calendar of a department (its subtree's, else the default). */
const char *sla_policy_calendar_for (const sla_policy_t *self, const char *department_path);
const calendar_t *sla_policy_calendar (const sla_policy_t *self, const char *name);
/* issue 16 follow-up (watchdog2): every calendar loaded (calendar_sync.c). */
const calendars_t *sla_policy_calendars (const sla_policy_t *self);

/* Reminder percents of a stage (its own line, else `*`), ascending. */
int sla_policy_reminders (const sla_policy_t *self, sla_stage_t stage, const int **percents);
/* Escalation tiers, in order. */
int sla_policy_tiers (const sla_policy_t *self, const sla_tier_t **tiers);
/* What pauses a stage (SLA_PAUSE_* mask): its `pause` line, else the
 * default: SLA_PAUSE_APPRAISAL for resolution (the regulatory clock),
 * SLA_PAUSE_AWAITING for every other stage (the behaviour before issue 15). */
unsigned sla_policy_pauses (const sla_policy_t *self, sla_stage_t stage);
/* Extension rules, every stage, in file order. */
int sla_policy_extensions (const sla_policy_t *self, const sla_extension_t **rules);
/* issue 16 (i16-followup): `attempts callback N` — unanswered call-back
 * attempts, on N different days of the calendar, that end the call-back
 * period early (0: only the period ends it; the default). */
int sla_policy_callback_attempts (const sla_policy_t *self);

/* "clocks=N reminders=N tiers=N extensions=N calendars=N" for the log. */
const char *sla_policy_summary (const sla_policy_t *self);

/* The selector of a case: the attributes rules are chosen by, as one string
 * ("p=2 line=cards channel=hotline major=0 level=branch flags=fraud dept=x";
 * " ref=association" appended only for a referred case, so the selectors of
 * every other case stay what they were before referrals existed). */
void sla_selector (const sla_case_attrs_t *attrs, char *buf, size_t size);

/* Self-test; the shipped files when the paths are given. Returns failures. */
int sla_policy_test (bool verbose, const char *policy_path, const char *calendars_dir,
                     int *passed);

#endif
