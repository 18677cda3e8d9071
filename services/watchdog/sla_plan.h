/*  sla_plan.h — the SLA clocks of one case, computed: PURE (no store, no
 *  clock of its own, no I/O), so every rule is tested as a table.
 *
 *  sla_plan_case walks a case's audit trail (case_action, in id order) and
 *  derives every clock the case has — stage, round, the rule chosen for it,
 *  start, deadline (calendar arithmetic, extensions, paused time), state,
 *  and the next step to fire — given the policy, the clock rows already in
 *  the store (to keep a running round's rule), the firings already recorded
 *  and "now" (the store's app_now ()). It also lists the `met` and
 *  `extended` firings the case calls for; the store inserts them (ON
 *  CONFLICT DO NOTHING), so each is told once. docs/watchdog.md has the
 *  rules in prose.
 *
 *  sla_plan_steps lists the steps of one open clock in order (reminders,
 *  breach, escalation tiers) with their times; sla_plan_fire chooses, for a
 *  clock that is due, every step to fire now (pending, due, not superseded)
 *  and the next one after them. Both the recompute and the fire path use
 *  them, so "what is next" has one definition.
 *
 *  Interface: sla_plan_case, sla_plan_steps, sla_plan_fire, sla_plan_test
 */
#ifndef SLA_PLAN_H_INCLUDED
#define SLA_PLAN_H_INCLUDED

#include "sla_policy.h"

#define SLA_PLAN_MAX_CLOCKS 64
#define SLA_PLAN_MAX_STEPS  (SLA_MAX_PERCENTS + 1 + SLA_MAX_TIERS)
#define SLA_STEP_SIZE       24
#define SLA_SELECTOR_SIZE   320

/* One row of the audit trail. Strings may be NULL. */
typedef struct {
    const char *action;
    int64_t at;                         /* ms since the epoch */
    const char *state_before, *state_after;
    const char *stage, *adds, *approver;        /* extend: details */
} sla_action_t;

/* A clock row already in the store. */
typedef struct {
    int64_t id;
    sla_stage_t stage;
    int round;
    const char *selector, *rule, *calendar, *allowance;
    bool ended;                         /* met or cancelled */
    //  What the deadline was computed from last time (clocks-b): a running
    //  clock whose figures are all unchanged but whose due_at is not was
    //  moved by its calendar (sla.deadline_moved). 0 / false when unknown.
    int64_t started_at, due_at, paused_ms;
    int extensions;
    bool paused;
} sla_existing_t;

/* A firing already recorded, by its clock's stage and round. */
typedef struct {
    sla_stage_t stage;
    int round;
    int phase;
    const char *step;
} sla_fired_t;

typedef struct {
    const sla_case_attrs_t *attrs;
    int64_t received_at;
    const sla_action_t *actions;
    size_t nactions;
    const sla_existing_t *existing;
    size_t nexisting;
    const sla_fired_t *fired;
    size_t nfired;
    int64_t now;
    int64_t referrer_due_at;            /* complaint.referrer_due_at, 0 = none (clocks-b) */
} sla_case_input_t;

typedef struct {
    sla_stage_t stage;
    int round;
    char selector [SLA_SELECTOR_SIZE];
    char rule [SLA_RULE_SIZE];
    char calendar [SLA_MAX_NAME];
    char allowance [SLA_SPAN_SIZE];
    span_t span;
    int extensions;
    char extended_by [SLA_MAX_EXTENSIONS][SLA_SPAN_SIZE];
    char approver [SLA_MAX_EXTENSIONS][32];
    int64_t ext_previous_due [SLA_MAX_EXTENSIONS];
    int64_t ext_due [SLA_MAX_EXTENSIONS];
    int64_t started_at, base_due_at, due_at;
    int64_t paused_ms;                  /* closed pauses, elapsed */
    int64_t paused_since;               /* 0: not paused */
    const char *state;                  /* running paused breached met cancelled */
    int64_t met_at, ended_at;           /* 0: none */
    bool late;                          /* met after due_at */
    char next_step [SLA_STEP_SIZE];     /* "" = none */
    int64_t next_fire_at;               /* 0 = none */
    bool has_rule;                      /* false: the row, if any, becomes cancelled */
    //  clocks-b: provisional = counted on a calendar day that is only
    //  computed (a `provisional` year, common/calendar.h); moved_from = the
    //  stored due_at when the calendar alone moved a running deadline (0:
    //  not moved); by_referrer = due at complaint.referrer_due_at.
    bool provisional;
    int64_t moved_from;
    bool by_referrer;
    //  told (issue 15): the action that started this round ("new_material",
    //  "reopen"; NULL: receipt, transfer, review); restarted = a round > 0
    //  so started, still open, and not yet in the store: sla.restarted is
    //  recorded with the row that first stores it, so once per round.
    const char *cause;
    bool restarted;
} sla_clock_plan_t;

typedef struct {
    sla_clock_plan_t clocks [SLA_PLAN_MAX_CLOCKS];
    int nclocks;
    bool truncated;                     /* more rounds than SLA_PLAN_MAX_CLOCKS */
    int64_t resolution_due;             /* the current resolution round's due, 0 = none */
} sla_case_plan_t;

/* Plan one case into out (which need not be zeroed: only out->nclocks
 * clocks are written, and meaningful). */
void sla_plan_case (const sla_policy_t *policy, const sla_case_input_t *in,
                    sla_case_plan_t *out);

typedef struct {
    char step [SLA_STEP_SIZE];          /* remind:50 | breach | escalate:2 */
    int64_t at;
    int percent;                        /* remind */
    int tier;                           /* escalate */
} sla_step_t;

/* The steps of an open clock, in order; returns how many. */
int sla_plan_steps (const sla_policy_t *policy, const calendar_t *cal, sla_stage_t stage,
                    int64_t started, int64_t due, sla_step_t *steps, int max);

/* Is (phase, step) among the fired steps of this stage and round? */
typedef bool (sla_fired_fn) (void *arg, int phase, const char *step);

/* For a clock (phase = its extensions): the steps to fire now, in order
 * (into fire, returns how many), and the next step after them (next->step
 * "" when none). */
int sla_plan_fire (const sla_policy_t *policy, const calendar_t *cal, sla_stage_t stage,
                   int64_t started, int64_t due, int phase, sla_fired_fn *fired, void *arg,
                   int64_t now, sla_step_t *fire, int max, sla_step_t *next);

int sla_plan_test (bool verbose, const char *calendars_dir, int *passed);

#endif
