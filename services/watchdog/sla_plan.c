/*  sla_plan.c — a case's clocks from its audit trail (see sla_plan.h).
 *
 *  The walk. Each stage has a current round (an index into the output, or
 *  none). The case's receipt starts acknowledge, first_response, service
 *  and resolution round 0, solution round 0 (a clock only where the policy
 *  has a line for the case: `flag=complex`) and referral_reply round 0
 *  (only for a referred case); then each action of the trail, in order:
 *
 *      accept            acknowledge met (never first_response: accepting
 *                        is internal, the customer hears nothing)
 *      contact           first_response met (staff reached the customer)
 *      transfer          acknowledge's round ends (cancelled unless met);
 *                        a new acknowledge round starts at the transfer
 *      request_info      first_response met
 *      resolve           first_response, service, solution and resolution met
 *      reject, close     every running clock met, except referral_reply
 *                        (reject: cancelled, see below; close: runs on)
 *      withdraw, merge   every running clock cancelled (a merge, issue 16,
 *                        hands the matter to another case: no decision)
 *      reply_referrer    referral_reply met
 *      review            a new review round starts
 *      reopen            the review round met; new resolution and service
 *                        rounds start
 *      new_material      the resolution round ends cancelled (superseded);
 *                        a new one starts (the regulatory period restarts)
 *      extend            details.stage's round is extended: "to 30d" from
 *                        its start (a row without "to ": adds, as before
 *                        issue 15)
 *
 *  Pauses are the policy's per stage (sla_policy_pauses): awaiting_customer
 *  follows the state, not the action name, so no path into or out of
 *  awaiting_customer is missed; appraisal runs from appraisal_start to
 *  appraisal_end. What ends a pause is applied before the action's effects,
 *  what opens one after them (request_info meets first_response first);
 *  s_sync_pauses then opens or closes each running clock's pause. A round
 *  that starts during a pause of its kind starts paused. A clock that ends
 *  while paused closes its pause where it ends.
 *
 *  The rule of a round is chosen when the walk starts it: the stored row's
 *  rule is kept when the case's selector is unchanged (a policy reload never
 *  moves a running deadline) or when the row has already ended (history is
 *  not rewritten); otherwise the policy chooses again. Pause credit is
 *  counted in the clock's own unit (calendar_pause_credit), so its calendar
 *  and unit must be known when the pause closes: another reason to choose
 *  at the start.
 *
 *  Deadline (s_deadline): calendar_add (start, allowance), or after an
 *  extension "to SPAN" calendar_add (start, SPAN), each rolled only at its
 *  own end; the credit of every pause (an open one counted up to now) moves
 *  the start of an elapsed (h, d) clock and the deadline of a working-time
 *  (wh, wd) one. An extension's previous and new deadlines are computed
 *  with the credit as it stood when it was approved.
 *
 *  referral_reply (clocks-b) is the bank's duty to the referring body, not
 *  to the customer: nothing pauses it unless a `pause referral_reply` line
 *  says so (sla_policy_pauses), and closing the case does not answer the
 *  referrer, so only reply_referrer meets it; a rejected or withdrawn case
 *  can take no reply_referrer, so there it ends cancelled. Its deadline is
 *  complaint.referrer_due_at when the referrer gave one (the policy's span
 *  otherwise).
 *
 *  Provisional and moved (clocks-b). A clock counted on its calendar (any
 *  unit but elapsed hours) is provisional when a day from its start to its
 *  deadline lies in a year known only by computed statutory days: the
 *  State Council's notice may add a make-up workday or lengthen a holiday
 *  anywhere in that year, not only on the computed days. A running clock
 *  whose stored figures (start, allowance, calendar, rule, extensions,
 *  paused time) are all unchanged but whose deadline is not was moved by its
 *  calendar — a reload of the calendars folder — and carries moved_from.
 *
 *  Restarted (told). A round > 0 that new_material or reopen started
 *  carries its cause; while it is open and has no row in the store yet it
 *  is `restarted`, and the store records sla.restarted with the row (the
 *  customer is given the new date). Rounds of transfer (acknowledge) and
 *  review (review) are not restarts of a period the customer was given:
 *  complaint.transferred and complaint.review_requested tell about them. A
 *  round already ended when first stored (new material and a decision
 *  before the watchdog's recompute) is not told: the decision is.
 */
#include "sla_plan.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_AWAITING "awaiting_customer"

typedef struct {
    const calendar_t *cal;
    int64_t credit;                     /* closed pauses, in the clock's unit */
    int64_t pause_from;                 /* 0 = not paused */
    bool ended;
    span_t ext_span [SLA_MAX_EXTENSIONS];
    bool ext_to [SLA_MAX_EXTENSIONS];   /* "to 30d": from the start; else legacy "adds" */
    int64_t ext_credit [SLA_MAX_EXTENSIONS];
} s_state_t;

typedef struct {
    const sla_policy_t *policy;
    const sla_case_input_t *in;
    sla_case_plan_t *out;
    s_state_t st [SLA_PLAN_MAX_CLOCKS];
    int cur [SLA_STAGES];
    int rounds [SLA_STAGES];
    bool awaiting;                      /* the case is in awaiting_customer */
    bool appraisal;                     /* an appraisal period is open */
    char selector [SLA_SELECTOR_SIZE];
    //  issue 16 (i16-followup): the current call-back round's unanswered
    //  attempts, by local day, and when the last needed one came
    int32_t cb_days [32];
    int cb_ndays;
    int64_t cb_exhausted [SLA_PLAN_MAX_CLOCKS];
} s_walk_t;

/* Does what is going on now pause this stage's clock (its policy's pause
 * line: sla_policy_pauses)? */
static bool
s_wants_pause (const s_walk_t *w, sla_stage_t stage)
{
    unsigned mask = sla_policy_pauses (w->policy, stage);
    return (w->awaiting && (mask & SLA_PAUSE_AWAITING))
        || (w->appraisal && (mask & SLA_PAUSE_APPRAISAL));
}

static const sla_existing_t *
s_existing (const sla_case_input_t *in, sla_stage_t stage, int round)
{
    for (size_t i = 0; i < in->nexisting; i++)
        if (in->existing [i].stage == stage && in->existing [i].round == round)
            return &in->existing [i];
    return NULL;
}

static bool
s_was_fired (const sla_case_input_t *in, sla_stage_t stage, int round, int phase,
             const char *step)
{
    for (size_t i = 0; i < in->nfired; i++) {
        const sla_fired_t *f = &in->fired [i];
        if (f->stage == stage && f->round == round && f->phase == phase && f->step
        &&  strcmp (f->step, step) == 0)
            return true;
    }
    return false;
}

/* Stages the customer's case ends: all but the reply to a referring body,
 * which only reply_referrer meets. */
static bool
s_ends_with_case (sla_stage_t stage)
{
    return stage != SLA_REFERRAL_REPLY;
}

static void
s_start (s_walk_t *w, sla_stage_t stage, int64_t at)
{
    int round = w->rounds [stage]++;
    w->cur [stage] = -1;
    const sla_existing_t *old = s_existing (w->in, stage, round);
    sla_choice_t choice;
    bool kept = false, chosen = false;
    const calendar_t *cal = NULL;
    span_t span = { 0, SPAN_HOURS };
    if (old && old->selector && old->allowance && old->calendar
    &&  (old->ended || strcmp (old->selector, w->selector) == 0)) {
        char why [CALENDAR_ERR_SIZE];
        cal = sla_policy_calendar (w->policy, old->calendar);
        kept = cal && span_parse (old->allowance, &span, why, sizeof why) == 0;
    }
    if (!kept && sla_policy_choose (w->policy, stage, w->in->attrs, &choice) == 0) {
        cal = sla_policy_calendar (w->policy, sla_policy_calendar_for (
                                       w->policy, w->in->attrs->department_path));
        chosen = cal != NULL;
        span = choice.span;
    }
    if (!kept && !chosen && !old)
        return;                         /* no rule, no row: no clock */
    if (w->out->nclocks == SLA_PLAN_MAX_CLOCKS) {
        w->out->truncated = true;
        return;
    }
    int i = w->out->nclocks++;
    sla_clock_plan_t *c = &w->out->clocks [i];
    s_state_t *s = &w->st [i];
    memset (c, 0, sizeof *c);
    memset (s, 0, sizeof *s);
    c->stage = stage;
    c->round = round;
    c->started_at = at;
    c->span = span;
    c->has_rule = kept || chosen;
    if (kept) {
        snprintf (c->selector, sizeof c->selector, "%s", old->selector);
        snprintf (c->rule, sizeof c->rule, "%s", old->rule ? old->rule : "");
        snprintf (c->calendar, sizeof c->calendar, "%s", old->calendar);
        snprintf (c->allowance, sizeof c->allowance, "%s", old->allowance);
    }
    else
    if (chosen) {
        snprintf (c->selector, sizeof c->selector, "%s", w->selector);
        snprintf (c->rule, sizeof c->rule, "%s", choice.rule);
        snprintf (c->calendar, sizeof c->calendar, "%s", calendar_name (cal));
        snprintf (c->allowance, sizeof c->allowance, "%s", choice.allowance);
    }
    else {
        //  A row whose rule is gone: it is cancelled, its figures kept.
        snprintf (c->selector, sizeof c->selector, "%s", old->selector ? old->selector : "");
        snprintf (c->rule, sizeof c->rule, "%s", old->rule ? old->rule : "");
        snprintf (c->calendar, sizeof c->calendar, "%s", old->calendar ? old->calendar : "");
        snprintf (c->allowance, sizeof c->allowance, "%s",
                  old->allowance ? old->allowance : "0");
    }
    s->cal = cal;
    if (c->has_rule && s_wants_pause (w, stage))
        s->pause_from = at;
    w->cur [stage] = i;
}

/* A new round started by an action that restarts a period (told). */
static void
s_restart (s_walk_t *w, sla_stage_t stage, int64_t at, const char *cause)
{
    s_start (w, stage, at);
    if (w->cur [stage] >= 0)
        w->out->clocks [w->cur [stage]].cause = cause;
}

static void
s_close_pause (s_walk_t *w, int i, int64_t at)
{
    s_state_t *s = &w->st [i];
    sla_clock_plan_t *c = &w->out->clocks [i];
    if (!s->pause_from)
        return;
    if (at > s->pause_from) {
        s->credit += calendar_pause_credit (s->cal, c->span.unit, s->pause_from, at);
        c->paused_ms += at - s->pause_from;
    }
    s->pause_from = 0;
}

/* Open or close each running clock's pause as its stage's pause line and
 * what is going on now (awaiting the customer, an appraisal) say. */
static void
s_sync_pauses (s_walk_t *w, int64_t at)
{
    for (int i = 0; i < w->out->nclocks; i++) {
        s_state_t *s = &w->st [i];
        if (s->ended || !w->out->clocks [i].has_rule)
            continue;
        bool want = s_wants_pause (w, w->out->clocks [i].stage);
        if (want && !s->pause_from)
            s->pause_from = at;
        else
        if (!want && s->pause_from)
            s_close_pause (w, i, at);
    }
}

static void
s_end (s_walk_t *w, int i, int64_t at, bool met)
{
    if (i < 0 || w->st [i].ended)
        return;
    s_close_pause (w, i, at);
    sla_clock_plan_t *c = &w->out->clocks [i];
    w->st [i].ended = true;
    c->ended_at = at;
    if (met && c->has_rule)
        c->met_at = at;
    else
        c->met_at = 0;
    c->state = met && c->has_rule ? "met" : "cancelled";
}

static void
s_end_stage (s_walk_t *w, sla_stage_t stage, int64_t at, bool met)
{
    s_end (w, w->cur [stage], at, met);
}

static void
s_end_all (s_walk_t *w, int64_t at, bool met)
{
    for (int s = 0; s < SLA_STAGES; s++)
        if (s_ends_with_case ((sla_stage_t) s))
            s_end_stage (w, (sla_stage_t) s, at, met);
}

/* Actions that reach the customer and so meet first_response (seed 000:
 * "24小时内对客户进行回复"): a logged call or message, a request for
 * information, a decision. `accept` is not one of them. */
static bool
s_reaches_customer (const char *action)
{
    static const char *const reach [] = {
        "contact", "request_info", "resolve", "reject", "close",
        "approve",          /* issue 16 (i16-vetting): the decision sent */
        NULL
    };
    for (int i = 0; reach [i]; i++)
        if (strcmp (action, reach [i]) == 0)
            return true;
    return false;
}

/* Actions that meet a complex case's solution clock. Issue 16 adds a
 * proposal action (a solution offered before the decision): add its name
 * here. reject and close meet it through s_end_all. */
static bool
s_meets_solution (const char *action)
{
    /* issue 16 (i16-vetting): a proposal is the solution seed 002 asks
     * for within 48 hours ("48小时内提出解决方案"), vetted or not */
    return strcmp (action, "resolve") == 0 || strcmp (action, "propose") == 0;
}

static bool
s_is (const char *a, const char *b)
{
    return a && strcmp (a, b) == 0;
}

static void
s_extend (s_walk_t *w, const sla_action_t *a)
{
    int stage = sla_stage_parse (a->stage);
    if (stage < 0 || !a->adds)
        return;
    int i = w->cur [stage];
    if (i < 0 || w->st [i].ended || !w->out->clocks [i].has_rule)
        return;
    sla_clock_plan_t *c = &w->out->clocks [i];
    s_state_t *s = &w->st [i];
    span_t span;
    char why [CALENDAR_ERR_SIZE];
    //  "to 30d": the deadline becomes 30d from the round's start; a row
    //  without "to " was approved under the additive rule before issue 15
    //  and keeps that meaning (history is not rewritten).
    bool to = strncmp (a->adds, "to ", 3) == 0;
    const char *text = to ? a->adds + 3 : a->adds;
    if (c->extensions == SLA_MAX_EXTENSIONS || span_parse (text, &span, why, sizeof why))
        return;
    int k = c->extensions++;
    s->ext_to [k] = to;
    //  extended_by (and sla.extended's adds): the total from the round's
    //  start ("30d"), or "+15d" for a legacy additive extension.
    snprintf (c->extended_by [k], sizeof c->extended_by [k], "%s%s", to ? "" : "+",
              *text == '+' ? text + 1 : text);
    snprintf (c->approver [k], sizeof c->approver [k], "%s", a->approver ? a->approver : "");
    s->ext_span [k] = span;
    s->ext_credit [k] = s->credit;
    if (s->pause_from && a->at > s->pause_from)
        s->ext_credit [k] += calendar_pause_credit (s->cal, c->span.unit, s->pause_from, a->at);
}

/*  issue 16 (i16-followup): the call-back clock (docs/followup.md). A
 *  decision (any action into resolved) starts it (a new decision supersedes a running round:
 *  cancelled); the customer's answer meets it — feedback, a call-back that
 *  reached them, a review (their "not satisfied"), the close. A call-back
 *  attempt comes from the store as "callback:RESULT" (sla_store.c's trail
 *  query: the result is in the row's details). Unanswered attempts
 *  (no_answer, busy, wrong_number) are counted by the local day of the
 *  clock's calendar; on the policy's `attempts callback N`th day the
 *  period ends there (s_finish: the deadline is that attempt), so the
 *  breach fires and the watchdog asks intake to close as no_answer. */
static void
s_callback (s_walk_t *w, const sla_action_t *a, const char *x)
{
    //  Keyed on the transition, not the action's name: whatever action
    //  brings the decision to the customer (resolve; a vetted proposal's
    //  approval) moves the case into resolved.
    if (s_is (a->state_after, "resolved") && !s_is (a->state_before, "resolved")) {
        s_end_stage (w, SLA_CALLBACK, a->at, false);
        s_start (w, SLA_CALLBACK, a->at);
        w->cb_ndays = 0;
        return;
    }
    if (s_is (x, "feedback") || s_is (x, "review") || s_is (x, "callback:reached")) {
        s_end_stage (w, SLA_CALLBACK, a->at, true);
        return;
    }
    int i = w->cur [SLA_CALLBACK];
    int need = sla_policy_callback_attempts (w->policy);
    if (strncmp (x, "callback:", 9) != 0 || i < 0 || w->st [i].ended || !w->st [i].cal
    ||  need <= 0)
        return;
    int32_t day = calendar_local_days (w->st [i].cal, a->at);
    for (int k = 0; k < w->cb_ndays; k++)
        if (w->cb_days [k] == day)
            return;
    if (w->cb_ndays < (int) (sizeof w->cb_days / sizeof w->cb_days [0]))
        w->cb_days [w->cb_ndays++] = day;
    if (w->cb_ndays == need && !w->cb_exhausted [i])
        w->cb_exhausted [i] = a->at;
}

static void
s_action (s_walk_t *w, const sla_action_t *a)
{
    bool was_waiting = s_is (a->state_before, S_AWAITING);
    bool now_waiting = s_is (a->state_after, S_AWAITING);
    const char *x = a->action ? a->action : "";
    //  What ends a pause ends it before the action's effects, what starts
    //  one starts it after them (request_info meets first_response first).
    if (was_waiting && !now_waiting)
        w->awaiting = false;
    if (s_is (x, "appraisal_end"))
        w->appraisal = false;
    s_sync_pauses (w, a->at);
    if (s_reaches_customer (x))
        s_end_stage (w, SLA_FIRST_RESPONSE, a->at, true);
    if (s_meets_solution (x))
        s_end_stage (w, SLA_SOLUTION, a->at, true);
    if (s_is (x, "reply_referrer"))
        s_end_stage (w, SLA_REFERRAL_REPLY, a->at, true);
    if (s_is (x, "accept"))
        s_end_stage (w, SLA_ACKNOWLEDGE, a->at, true);
    else
    if (s_is (x, "transfer")) {
        s_end_stage (w, SLA_ACKNOWLEDGE, a->at, false);
        s_start (w, SLA_ACKNOWLEDGE, a->at);
    }
    else
    /* issue 16 (i16-vetting): an approved proposal is the decision: the
     * regulatory clock is met when the answer reaches the customer */
    if (s_is (x, "resolve") || s_is (x, "approve")) {
        s_end_stage (w, SLA_SERVICE, a->at, true);
        s_end_stage (w, SLA_RESOLUTION, a->at, true);
    }
    else
    if (s_is (x, "reject") || s_is (x, "close"))
        s_end_all (w, a->at, true);
    else
    if (s_is (x, "withdraw") || s_is (x, "merge"))      /* not a decision: cancelled */
        s_end_all (w, a->at, false);
    else
    if (s_is (x, "review")) {
        s_end_stage (w, SLA_REVIEW, a->at, true);      /* a round still open: superseded */
        s_start (w, SLA_REVIEW, a->at);
    }
    else
    if (s_is (x, "reopen")) {
        s_end_stage (w, SLA_REVIEW, a->at, true);
        s_end_stage (w, SLA_RESOLUTION, a->at, true);
        s_restart (w, SLA_RESOLUTION, a->at, "reopen");
        s_end_stage (w, SLA_SERVICE, a->at, true);
        s_restart (w, SLA_SERVICE, a->at, "reopen");
    }
    else
    if (s_is (x, "extend"))
        s_extend (w, a);
    else
    if (s_is (x, "new_material")) {
        //  New facts and reasons from the customer restart the regulatory
        //  period from that day: the round ends `cancelled` (superseded, not
        //  met: no decision was given in it) and a new round starts now,
        //  its extensions counted again from step 1.
        s_end_stage (w, SLA_RESOLUTION, a->at, false);
        s_restart (w, SLA_RESOLUTION, a->at, "new_material");
    }
    //  A rejected or withdrawn case can take no reply_referrer (the
    //  lifecycle allows it in the open states and closed): its reply clock
    //  ends cancelled rather than breach for ever. A closed case's runs on.
    if (s_is (x, "reject") || s_is (x, "withdraw") || s_is (x, "merge"))
        s_end_stage (w, SLA_REFERRAL_REPLY, a->at, false);
    s_callback (w, a, x);           /* issue 16 (i16-followup) */
    if (now_waiting && !was_waiting)
        w->awaiting = true;
    if (s_is (x, "appraisal_start"))
        w->appraisal = true;
    s_sync_pauses (w, a->at);
}

static int64_t
s_shifted (const s_state_t *s, span_unit_t unit, int64_t base, int64_t credit)
{
    return credit > 0 ? calendar_shift (s->cal, unit, base, credit) : base;
}

/* A clock's deadline after its first `nexts` extensions, `credit` of pause
 * (calendar_pause_credit, the clock's unit) counted. An extension "to 30d"
 * is calendar_add (start, 30d): rolled to a working day only at its own
 * end, never stacked on an earlier roll-over. A clock counted in elapsed
 * time (h, d) has its START moved by the pause, exactly — so the deadline,
 * too, rolls only at its own end; a wh/wd clock's deadline is moved by
 * calendar_shift.
 * issue 16 follow-up (watchdog2): a d clock's start moves by what was
 * paused, not by whole days rounded up (a 2-second appraisal gave the bank
 * a day). The period's days are then counted from the moved start as the
 * Civil Code counts them (its day not counted, the end at 24:00, rolled past
 * a day off), so the time counted is never less than N whole days; the
 * regulation leaves the appraisal's time out of the period and no more
 * (docs/watchdog.md "The deadline"). */
static int64_t
s_deadline (const s_state_t *s, const sla_clock_plan_t *c, int nexts, int64_t credit)
{
    bool elapsed = c->span.unit == SPAN_HOURS || c->span.unit == SPAN_DAYS;
    int64_t from = c->started_at;
    if (elapsed && credit > 0)
        from += credit;
    int64_t due = calendar_add (s->cal, from, c->span);
    for (int k = 0; k < nexts; k++)
        due = s->ext_to [k] ? calendar_add (s->cal, from, s->ext_span [k])
                            : calendar_add (s->cal, due, s->ext_span [k]);
    return elapsed ? due : s_shifted (s, c->span.unit, due, credit);
}

typedef struct {
    const sla_case_input_t *in;
    sla_stage_t stage;
    int round;
} s_fired_arg_t;

static bool
s_fired_cb (void *arg, int phase, const char *step)
{
    s_fired_arg_t *f = (s_fired_arg_t *) arg;
    return s_was_fired (f->in, f->stage, f->round, phase, step);
}

/* clocks-b: is the clock counted across or to a day of a provisional year,
 * and did its calendar alone move it since it was stored? */
static void
s_provisional_and_moved (s_walk_t *w, int i)
{
    sla_clock_plan_t *c = &w->out->clocks [i];
    const s_state_t *s = &w->st [i];
    c->provisional = false;
    c->moved_from = 0;
    //  Elapsed hours never look at the calendar; a referrer's date is a
    //  date, not a count.
    if (c->span.unit == SPAN_HOURS || c->by_referrer || !s->cal)
        return;
    int32_t covers_from, covers_to;
    calendar_covers_days (s->cal, &covers_from, &covers_to);
    int32_t prov_to = calendar_provisional_to (s->cal);
    int32_t first = calendar_local_days (s->cal, c->started_at);
    int32_t last = calendar_local_days (s->cal, c->due_at - 1);
    c->provisional = prov_to > covers_to && last > covers_to && first <= prov_to;
    const sla_existing_t *old = s_existing (w->in, c->stage, c->round);
    if (!old || old->ended || old->paused || s->ended || s->pause_from || !old->due_at
    ||  old->due_at == c->due_at || old->started_at != c->started_at
    ||  old->extensions != c->extensions || old->paused_ms != c->paused_ms
    ||  !old->rule || strcmp (old->rule, c->rule) != 0
    ||  !old->allowance || strcmp (old->allowance, c->allowance) != 0
    ||  !old->calendar || strcmp (old->calendar, c->calendar) != 0)
        return;
    c->moved_from = old->due_at;
}

static void
s_finish (s_walk_t *w, int i)
{
    sla_clock_plan_t *c = &w->out->clocks [i];
    s_state_t *s = &w->st [i];
    const sla_case_input_t *in = w->in;
    if (!c->has_rule) {
        if (!s->ended) {
            c->state = "cancelled";
            c->ended_at = in->now;
        }
        c->base_due_at = c->due_at = c->started_at;
        return;
    }
    int64_t credit = s->credit;
    if (s->pause_from) {
        if (in->now > s->pause_from)
            credit += calendar_pause_credit (s->cal, c->span.unit, s->pause_from, in->now);
        c->paused_since = s->pause_from;
    }
    for (int k = 0; k < c->extensions; k++) {
        c->ext_previous_due [k] = s_deadline (s, c, k, s->ext_credit [k]);
        c->ext_due [k] = s_deadline (s, c, k + 1, s->ext_credit [k]);
    }
    c->base_due_at = s_deadline (s, c, c->extensions, 0);
    c->due_at = s_deadline (s, c, c->extensions, credit);
    if (c->stage == SLA_REFERRAL_REPLY && in->referrer_due_at > 0) {
        //  The referrer's own date, as given: not counted on a calendar.
        c->base_due_at = c->due_at = in->referrer_due_at;
        c->by_referrer = true;
    }
    //  issue 16 (i16-followup): the attempts ran out before the period
    if (c->stage == SLA_CALLBACK && w->cb_exhausted [i] && w->cb_exhausted [i] < c->due_at)
        c->base_due_at = c->due_at = w->cb_exhausted [i];
    s_provisional_and_moved (w, i);
    if (s->ended) {
        c->late = c->met_at > c->due_at;
        return;
    }
    c->restarted = c->cause && c->round > 0 && !s_existing (in, c->stage, c->round);
    if (s->pause_from)
        c->state = "paused";
    else
    if (s_was_fired (in, c->stage, c->round, c->extensions, "breach"))
        c->state = "breached";
    else
        c->state = "running";
    if (s->pause_from)
        return;                         /* nothing fires while the bank waits */
    s_fired_arg_t arg = { in, c->stage, c->round };
    sla_step_t next;
    sla_plan_fire (w->policy, s->cal, c->stage, c->started_at, c->due_at, c->extensions,
                   s_fired_cb, &arg, in->now, NULL, 0, &next);
    if (*next.step) {
        snprintf (c->next_step, sizeof c->next_step, "%s", next.step);
        c->next_fire_at = next.at;
    }
}

void
sla_plan_case (const sla_policy_t *policy, const sla_case_input_t *in, sla_case_plan_t *out)
{
    assert (policy && in && out && in->attrs);
    s_walk_t *w = calloc (1, sizeof *w);
    assert (w);
    w->policy = policy;
    w->in = in;
    w->out = out;
    //  Only the header: a plan is ~73 KB (SLA_PLAN_MAX_CLOCKS clocks) and
    //  a case has a handful; s_start clears each clock it begins. Zeroing
    //  whole plans, a batch at a time, was most of the watchdog's CPU.
    out->nclocks = 0;
    out->truncated = false;
    out->resolution_due = 0;
    for (int s = 0; s < SLA_STAGES; s++)
        w->cur [s] = -1;
    sla_selector (in->attrs, w->selector, sizeof w->selector);
    s_start (w, SLA_ACKNOWLEDGE, in->received_at);
    s_start (w, SLA_FIRST_RESPONSE, in->received_at);
    s_start (w, SLA_SERVICE, in->received_at);
    s_start (w, SLA_RESOLUTION, in->received_at);
    s_start (w, SLA_SOLUTION, in->received_at);
    if (in->attrs->referral)
        s_start (w, SLA_REFERRAL_REPLY, in->received_at);
    for (size_t i = 0; i < in->nactions; i++)
        s_action (w, &in->actions [i]);
    for (int i = 0; i < out->nclocks; i++)
        s_finish (w, i);
    int r = w->cur [SLA_RESOLUTION];
    out->resolution_due = r >= 0 && out->clocks [r].has_rule ? out->clocks [r].due_at : 0;
    free (w);
}

int
sla_plan_steps (const sla_policy_t *policy, const calendar_t *cal, sla_stage_t stage,
                int64_t started, int64_t due, sla_step_t *steps, int max)
{
    int n = 0;
    const int *percents;
    int np = sla_policy_reminders (policy, stage, &percents);
    for (int i = 0; i < np && n < max; i++) {
        sla_step_t *s = &steps [n++];
        memset (s, 0, sizeof *s);
        snprintf (s->step, sizeof s->step, "remind:%d", percents [i]);
        s->percent = percents [i];
        s->at = started + (due - started) * percents [i] / 100;
    }
    if (n < max) {
        sla_step_t *s = &steps [n++];
        memset (s, 0, sizeof *s);
        snprintf (s->step, sizeof s->step, "breach");
        s->at = due;
    }
    const sla_tier_t *tiers;
    int nt = sla_policy_tiers (policy, &tiers);
    for (int i = 0; i < nt && n < max; i++) {
        sla_step_t *s = &steps [n++];
        memset (s, 0, sizeof *s);
        snprintf (s->step, sizeof s->step, "escalate:%d", tiers [i].tier);
        s->tier = tiers [i].tier;
        s->at = cal ? calendar_add (cal, due, tiers [i].after) : due;
    }
    return n;
}

int
sla_plan_fire (const sla_policy_t *policy, const calendar_t *cal, sla_stage_t stage,
               int64_t started, int64_t due, int phase, sla_fired_fn *fired, void *arg,
               int64_t now, sla_step_t *fire, int max, sla_step_t *next)
{
    assert (next);
    memset (next, 0, sizeof *next);
    sla_step_t steps [SLA_PLAN_MAX_STEPS];
    int n = sla_plan_steps (policy, cal, stage, started, due, steps, SLA_PLAN_MAX_STEPS);
    int nfire = 0;
    for (int i = 0; i < n; i++) {
        if (fired && fired (arg, phase, steps [i].step))
            continue;
        //  A reminder of a deadline already past is superseded: the breach
        //  says more, and a late "80 % gone" would only confuse.
        if (steps [i].percent && due <= now)
            continue;
        if (steps [i].at <= now && nfire < max) {
            fire [nfire++] = steps [i];
            continue;
        }
        *next = steps [i];
        break;
    }
    return nfire;
}

//  --------------------------------------------------------------------------
#include "selftest.h"

//  Self-test: a table of trails

static int s_passed, s_failed;
static bool s_verbose;

static void
s_check (bool ok, const char *what, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

#include <stdarg.h>
static void
s_check (bool ok, const char *what, const char *fmt, ...)
{
    if (ok) {
        s_passed++;
        if (s_verbose)
            printf ("  ok   %s\n", what);
        return;
    }
    s_failed++;
    char detail [400] = "";
    if (fmt) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (detail, sizeof detail, fmt, ap);
        va_end (ap);
    }
    printf ("  FAIL %s: %s\n", what, detail);
}

#define H (3600 * 1000LL)
#define MIN (60 * 1000LL)
//  2026-03-02 10:00 +08:00 (a Monday) = 02:00 UTC.
#define T0 1772416800000LL

static const char *s_policy_text =
    "calendar cn\n"
    "clock acknowledge     24h\n"
    "clock first_response  48h\n"
    "clock resolution      5wd channel=regulator\n"
    "clock resolution      100h\n"
    "clock review          30d\n"
    "remind * 50 80\n"
    "escalate 1 0 supervisor\n"
    "escalate 2 10h department_head\n"
    "escalate 3 20h complaint_office management\n"
    "extend resolution 1 to 150h supervisor\n"
    //  The tables below were written when resolution paused while awaiting
    //  the customer; the policy says so now (the default is appraisal only).
    "pause resolution awaiting_customer\n";

static const sla_clock_plan_t *
s_find (const sla_case_plan_t *p, sla_stage_t stage, int round)
{
    for (int i = 0; i < p->nclocks; i++)
        if (p->clocks [i].stage == stage && p->clocks [i].round == round)
            return &p->clocks [i];
    return NULL;
}

static void
s_plan (const sla_policy_t *policy, const sla_case_attrs_t *attrs, const sla_action_t *actions,
        size_t n, const sla_fired_t *fired, size_t nfired, int64_t now, sla_case_plan_t *out)
{
    sla_case_input_t in = { .attrs = attrs, .received_at = T0, .actions = actions,
                            .nactions = n, .fired = fired, .nfired = nfired, .now = now };
    sla_plan_case (policy, &in, out);
}

//  clocks-b: the customer's first reply, complex cases, referrals and
//  provisional calendar years, on a policy of their own (so the line
//  numbers the table above cites stay put).
static const char *s_policy_b =
    "calendar cn\n"
    "clock acknowledge     24h\n"                                   /* 2 */
    "clock first_response  2wd  referral=association\n"             /* 3 */
    "clock first_response  24h\n"                                   /* 4 */
    "clock solution        3wd  referral=association\n"             /* 5 */
    "clock solution        48h  flag=complex\n"                     /* 6 */
    "clock resolution      15d  line=natural\n"                     /* 7 */
    "clock resolution      5wd  line=working\n"                     /* 8 */
    "clock resolution      15d\n"                                   /* 9 */
    "clock referral_reply  5wd  referral=association\n"             /* 10 */
    "clock referral_reply  15d  referral=regulator,media\n"         /* 11 */
    "remind * 50 80\n"
    "escalate 1 0 supervisor\n";

//  Local 10:00 (+08:00) of a day, and the end of a day (24:00 +08:00), in
//  ms since the epoch: figures printed by python's datetime and checked
//  against the weekday names in the comments.
#define D_2027_01_22 1800583200000LL    /* Fri */
#define D_2027_02_03 1801620000000LL    /* Wed */
#define D_2027_03_21 1805594400000LL    /* Sun */
#define D_2027_04_29 1808964000000LL    /* Thu */
#define D_2027_09_16 1821060000000LL    /* Thu */
#define D_2027_12_29 1830045600000LL    /* Wed */
#define D_2028_09_29 1853805600000LL    /* Fri */
#define D_2026_12_20 1797732000000LL    /* Sun */
#define END_2027_02_09 1802188800000LL  /* Tue */
#define END_2027_02_12 1802448000000LL  /* Fri */
#define END_2027_04_06 1807027200000LL  /* Tue */
#define END_2027_05_06 1809619200000LL  /* Thu */
#define END_2027_10_04 1822665600000LL  /* Mon */
#define END_2028_01_05 1830700800000LL  /* Wed */
#define END_2028_10_10 1854806400000LL  /* Tue */
#define END_2027_01_04 1799078400000LL  /* Mon */

static const sla_clock_plan_t *
s_plan_b (const sla_policy_t *policy, const sla_case_attrs_t *attrs, int64_t received,
          const sla_action_t *actions, size_t n, int64_t now, sla_case_plan_t *out,
          sla_stage_t stage)
{
    sla_case_input_t in = { .attrs = attrs, .received_at = received, .actions = actions,
                            .nactions = n, .now = now };
    sla_plan_case (policy, &in, out);
    return s_find (out, stage, 0);
}

/*  issue 16 (i16-followup): the call-back clock. T0 is 10:00 in Beijing;
 *  attempts at +2h and +3h fall on one local day, +26h and +50h on the
 *  next two. */
static void
s_test_callback (calendars_t *cals, sla_case_plan_t *p)
{
    conf_error_t err;
    sla_policy_t *policy = sla_policy_parse ("calendar cn\nclock callback 72h\n"
                                             "attempts callback 3\n", "cb.conf", cals, &err);
    s_check (policy != NULL && sla_policy_callback_attempts (policy) == 3,
             "callback: the policy parses, attempts 3", NULL);
    if (!policy)
        return;
    sla_case_attrs_t web = { .channel = "web", .level = "branch" };
    sla_action_t tries [] = {
        { "resolve", T0 + H, "investigating", "resolved", NULL, NULL, NULL },
        { "callback:no_answer", T0 + 2 * H, "resolved", "resolved", NULL, NULL, NULL },
        { "callback:busy", T0 + 3 * H, "resolved", "resolved", NULL, NULL, NULL },
        { "callback:wrong_number", T0 + 26 * H, "resolved", "resolved", NULL, NULL, NULL },
        { "callback:no_answer", T0 + 50 * H, "resolved", "resolved", NULL, NULL, NULL },
    };
    const sla_clock_plan_t *cb = s_plan_b (policy, &web, T0, tries, 1, T0 + 2 * H, p,
                                           SLA_CALLBACK);
    s_check (cb && cb->started_at == T0 + H && cb->due_at == T0 + 73 * H
             && strcmp (cb->state, "running") == 0,
             "callback: a decision starts it, due 72h later", NULL);
    cb = s_plan_b (policy, &web, T0, tries, 4, T0 + 27 * H, p, SLA_CALLBACK);
    s_check (cb && cb->due_at == T0 + 73 * H,
             "callback: three attempts on two days leave the period as it was", NULL);
    cb = s_plan_b (policy, &web, T0, tries, 5, T0 + 51 * H, p, SLA_CALLBACK);
    s_check (cb && cb->due_at == T0 + 50 * H && strcmp (cb->next_step, "breach") == 0,
             "callback: the third day's unanswered attempt ends the period (breach next)",
             "due=%lld next=%s", cb ? (long long) (cb->due_at - T0) / H : -1,
             cb ? cb->next_step : "");
    sla_action_t reached [] = {
        { "resolve", T0 + H, "investigating", "resolved", NULL, NULL, NULL },
        { "callback:no_answer", T0 + 2 * H, "resolved", "resolved", NULL, NULL, NULL },
        { "callback:reached", T0 + 26 * H, "resolved", "resolved", NULL, NULL, NULL },
    };
    cb = s_plan_b (policy, &web, T0, reached, 3, T0 + 27 * H, p, SLA_CALLBACK);
    s_check (cb && strcmp (cb->state, "met") == 0 && cb->met_at == T0 + 26 * H,
             "callback: reaching the customer meets it", NULL);
    sla_action_t again [] = {
        { "resolve", T0 + H, "investigating", "resolved", NULL, NULL, NULL },
        { "review", T0 + 5 * H, "resolved", "under_review", NULL, NULL, NULL },
        { "reopen", T0 + 6 * H, "under_review", "reopened", NULL, NULL, NULL },
        { "resolve", T0 + 30 * H, "investigating", "resolved", NULL, NULL, NULL },
        { "close", T0 + 40 * H, "resolved", "closed", NULL, NULL, NULL },
    };
    cb = s_plan_b (policy, &web, T0, again, 5, T0 + 41 * H, p, SLA_CALLBACK);
    const sla_clock_plan_t *cb1 = s_find (p, SLA_CALLBACK, 1);
    s_check (cb && strcmp (cb->state, "met") == 0 && cb->met_at == T0 + 5 * H
             && cb1 && cb1->started_at == T0 + 30 * H && strcmp (cb1->state, "met") == 0,
             "callback: a review meets it, the next decision starts round 1, the close "
             "meets that", NULL);
    sla_policy_destroy (&policy);
}

static void
s_test_clocks_b (calendars_t *cals, sla_case_plan_t *p)
{
    conf_error_t err;
    char why [600];
    sla_policy_t *policy = sla_policy_parse (s_policy_b, "b.conf", cals, &err);
    s_check (policy != NULL, "clocks-b: the test policy parses", "%s",
             policy ? "" : conf_error_format (&err, why, sizeof why));
    if (!policy)
        return;
    sla_case_attrs_t web = { .channel = "web", .level = "branch" };

    //  B1. first_response is the customer's: accept (internal) does not meet
    //  it, a logged contact does. Accepted at +1h, contacted at +20h.
    sla_action_t accepted [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "contact", T0 + 20 * H, "accepted", "accepted", NULL, NULL, NULL },
    };
    s_plan (policy, &web, accepted, 1, NULL, 0, T0 + 2 * H, p);
    const sla_clock_plan_t *ack = s_find (p, SLA_ACKNOWLEDGE, 0);
    const sla_clock_plan_t *first = s_find (p, SLA_FIRST_RESPONSE, 0);
    s_check (ack && strcmp (ack->state, "met") == 0 && first
             && strcmp (first->state, "running") == 0 && first->due_at == T0 + 24 * H,
             "accept meets acknowledge, not first_response (24h, still running)",
             "first=%s", first ? first->state : "-");
    s_plan (policy, &web, accepted, 2, NULL, 0, T0 + 21 * H, p);
    first = s_find (p, SLA_FIRST_RESPONSE, 0);
    s_check (first && strcmp (first->state, "met") == 0 && first->met_at == T0 + 20 * H
             && !first->late, "contact at +20h meets first_response (24h) on time", "state=%s",
             first ? first->state : "-");
    //  Each of the other customer-facing actions meets it too.
    const char *reach [] = { "request_info", "resolve", "reject", "close" };
    for (size_t i = 0; i < sizeof reach / sizeof reach [0]; i++) {
        sla_action_t one [] = { { reach [i], T0 + 30 * H, "accepted", "x", NULL, NULL, NULL } };
        s_plan (policy, &web, one, 1, NULL, 0, T0 + 31 * H, p);
        first = s_find (p, SLA_FIRST_RESPONSE, 0);
        s_check (first && first->met_at == T0 + 30 * H && first->late,
                 "a customer-facing action meets first_response (late at +30h of 24h)", "%s",
                 reach [i]);
    }

    //  B2. solution: only for a complex case (flag=complex), 48h from
    //  receipt, met by resolve; a plain case has no solution clock.
    const sla_clock_plan_t *sol = s_plan_b (policy, &web, T0, NULL, 0, T0 + H, p, SLA_SOLUTION);
    s_check (sol == NULL && p->nclocks == 3, "no solution clock for a case not complex",
             "n=%d", p->nclocks);
    const char *complex_flags [] = { "fraud", "complex" };
    sla_case_attrs_t complex = web;
    complex.flags = complex_flags;
    complex.nflags = 2;
    sla_action_t solved [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "contact", T0 + 2 * H, "accepted", "accepted", NULL, NULL, NULL },
        { "resolve", T0 + 40 * H, "accepted", "resolved", NULL, NULL, NULL },
    };
    sol = s_plan_b (policy, &complex, T0, solved, 2, T0 + 3 * H, p, SLA_SOLUTION);
    s_check (sol && sol->due_at == T0 + 48 * H && strcmp (sol->state, "running") == 0
             && strcmp (sol->rule, "b.conf:6") == 0,
             "complex: solution 48h from receipt by b.conf:6, a contact does not meet it",
             "rule=%s", sol ? sol->rule : "-");
    sol = s_plan_b (policy, &complex, T0, solved, 3, T0 + 41 * H, p, SLA_SOLUTION);
    s_check (sol && strcmp (sol->state, "met") == 0 && sol->met_at == T0 + 40 * H && !sol->late,
             "complex: resolve at +40h meets solution on time", NULL);
    //  issue 16 (i16-vetting): vetting. A proposal meets the solution clock
    //  (48h); the resolution clock runs on until the approval sends the
    //  answer to the customer; a returned proposal leaves solution met.
    sla_action_t vetted [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "propose", T0 + 30 * H, "accepted", "proposed", NULL, NULL, NULL },
        { "return", T0 + 35 * H, "proposed", "investigating", NULL, NULL, NULL },
        { "propose", T0 + 50 * H, "investigating", "proposed", NULL, NULL, NULL },
        { "approve", T0 + 60 * H, "proposed", "resolved", NULL, NULL, NULL },
    };
    static const struct {
        int nactions;
        int64_t now;
        const char *solution, *resolution;
        int64_t sol_met, res_met;
        const char *what;
    } vet_rows [] = {
        { 2, T0 + 31 * H, "met", "running", T0 + 30 * H, 0,
          "propose at +30h meets solution (48h) on time; resolution runs on" },
        { 3, T0 + 36 * H, "met", "running", T0 + 30 * H, 0,
          "a return leaves solution met by the first proposal; resolution runs on" },
        { 4, T0 + 51 * H, "met", "running", T0 + 30 * H, 0,
          "a second proposal changes nothing: resolution still runs" },
        { 5, T0 + 61 * H, "met", "met", T0 + 30 * H, T0 + 60 * H,
          "approve at +60h meets resolution (the answer reaches the customer)" },
    };
    for (size_t i = 0; i < sizeof vet_rows / sizeof vet_rows [0]; i++) {
        sol = s_plan_b (policy, &complex, T0, vetted, vet_rows [i].nactions, vet_rows [i].now, p,
                        SLA_SOLUTION);
        const sla_clock_plan_t *rc = s_find (p, SLA_RESOLUTION, 0);
        s_check (sol && strcmp (sol->state, vet_rows [i].solution) == 0
                 && sol->met_at == vet_rows [i].sol_met && rc
                 && strcmp (rc->state, vet_rows [i].resolution) == 0
                 && (!vet_rows [i].res_met || rc->met_at == vet_rows [i].res_met),
                 vet_rows [i].what, "solution=%s resolution=%s", sol ? sol->state : "-",
                 rc ? rc->state : "-");
    }

    //  B3. Referrals. A regulator's referral with the regulator's date: due
    //  then, whatever the span; not met by close; met by reply_referrer.
    sla_case_attrs_t reg = web;
    reg.referral = "regulator";
    sla_case_input_t in = { .attrs = &reg, .received_at = T0, .now = T0 + H,
                            .referrer_due_at = T0 + 100 * H };
    sla_plan_case (policy, &in, p);
    const sla_clock_plan_t *rr = s_find (p, SLA_REFERRAL_REPLY, 0);
    const sla_clock_plan_t *res = s_find (p, SLA_RESOLUTION, 0);
    first = s_find (p, SLA_FIRST_RESPONSE, 0);
    s_check (rr && rr->due_at == T0 + 100 * H && rr->by_referrer && !rr->provisional
             && strcmp (rr->rule, "b.conf:11") == 0 && res && strcmp (res->allowance, "15d") == 0
             && first && strcmp (first->allowance, "24h") == 0,
             "regulator referral: referral_reply at the regulator's date; resolution 15d, "
             "first_response 24h as for everyone", "rr due=%lld",
             rr ? (long long) (rr->due_at - T0) : 0);
    //  Without the regulator's date: the policy's 15d. T0 is Mon 2026-03-02
    //  10:00; 03-02 + 15 = Tue 03-17, a working day: due at its end,
    //  2026-03-18 00:00 +08:00 = 2026-03-17T16:00Z.
    in.referrer_due_at = 0;
    sla_plan_case (policy, &in, p);
    rr = s_find (p, SLA_REFERRAL_REPLY, 0);
    s_check (rr && rr->due_at == 1773763200000LL && !rr->by_referrer,
             "regulator referral without a date: referral_reply 15d (end of 2026-03-17)",
             "due=%lld", rr ? (long long) rr->due_at : 0);
    sla_action_t closed [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "request_info", T0 + 2 * H, "accepted", S_AWAITING, NULL, NULL, NULL },
        { "customer_replied", T0 + 50 * H, S_AWAITING, "investigating", NULL, NULL, NULL },
        { "close", T0 + 60 * H, "investigating", "closed", NULL, NULL, NULL },
        { "reply_referrer", T0 + 70 * H, "closed", "closed", NULL, NULL, NULL },
    };
    in.actions = closed;
    in.nactions = 4;
    in.now = T0 + 61 * H;
    in.referrer_due_at = T0 + 100 * H;
    sla_plan_case (policy, &in, p);
    rr = s_find (p, SLA_REFERRAL_REPLY, 0);
    s_check (rr && strcmp (rr->state, "running") == 0 && rr->paused_ms == 0
             && rr->due_at == T0 + 100 * H,
             "closing the case does not answer the referrer; awaiting the customer does not "
             "pause it", "state=%s paused=%lld", rr ? rr->state : "-",
             rr ? (long long) rr->paused_ms : 0);
    in.nactions = 5;
    in.now = T0 + 71 * H;
    sla_plan_case (policy, &in, p);
    rr = s_find (p, SLA_REFERRAL_REPLY, 0);
    s_check (rr && strcmp (rr->state, "met") == 0 && rr->met_at == T0 + 70 * H && !rr->late,
             "reply_referrer meets referral_reply", NULL);
    sla_action_t rejected [] = {
        { "reject", T0 + 5 * H, "assigned", "rejected", NULL, NULL, NULL },
    };
    in.actions = rejected;
    in.nactions = 1;
    in.now = T0 + 6 * H;
    sla_plan_case (policy, &in, p);
    rr = s_find (p, SLA_REFERRAL_REPLY, 0);
    s_check (rr && strcmp (rr->state, "cancelled") == 0 && rr->next_fire_at == 0,
             "a rejected case can take no reply_referrer: referral_reply cancelled", "state=%s",
             rr ? rr->state : "-");
    //  The association's referral: verify in 2wd (first_response), report
    //  back in 5wd (referral_reply), the outlet's final answer in 3wd
    //  (solution). T0 Mon 2026-03-02: 2wd -> end of Wed 03-04 (Tue 3, Wed 4);
    //  3wd -> end of Thu 03-05; 5wd -> end of Mon 03-09 (Tue, Wed, Thu, Fri,
    //  Mon). Ends of day +08:00 in UTC: 03-04T16:00Z = 1772640000000,
    //  03-05T16:00Z = 1772726400000, 03-09T16:00Z = 1773072000000.
    sla_case_attrs_t assoc = web;
    assoc.referral = "association";
    sla_case_input_t ina = { .attrs = &assoc, .received_at = T0, .now = T0 + H };
    sla_plan_case (policy, &ina, p);
    rr = s_find (p, SLA_REFERRAL_REPLY, 0);
    first = s_find (p, SLA_FIRST_RESPONSE, 0);
    sol = s_find (p, SLA_SOLUTION, 0);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (rr && rr->due_at == 1773072000000LL && strcmp (rr->rule, "b.conf:10") == 0
             && first && first->due_at == 1772640000000LL && sol
             && sol->due_at == 1772726400000LL && res && strcmp (res->allowance, "15d") == 0,
             "association referral: 2wd verify, 3wd final answer, 5wd report back, 15d legal "
             "bound", "rr=%lld first=%lld sol=%lld", rr ? (long long) rr->due_at : 0,
             first ? (long long) first->due_at : 0, sol ? (long long) sol->due_at : 0);
    char sel [SLA_SELECTOR_SIZE];
    sla_selector (&assoc, sel, sizeof sel);
    s_check (strstr (sel, " ref=association") != NULL, "a referral is in the selector", "%s", sel);
    //  A direct case has no referral_reply clock even where a policy line
    //  without a referral= term would match.
    sla_policy_t *loose = sla_policy_parse ("calendar cn\nclock referral_reply 5wd\n", "l.conf",
                                            cals, &err);
    if (loose) {
        rr = s_plan_b (loose, &web, T0, NULL, 0, T0 + H, p, SLA_REFERRAL_REPLY);
        s_check (rr == NULL && p->nclocks == 0, "no referral: no referral_reply clock", NULL);
    }
    sla_policy_destroy (&loose);

    //  B4. Provisional years: deploy/calendars/cn.conf covers 2026; 2027 and
    //  2028 are known by their computed statutory days (`provisional`
    //  lines) only. Worked by hand against those lines (mon-fri week, no
    //  make-up days known; day-unit deadlines end at 24:00 +08:00):
    struct {
        const char *what, *line;
        int64_t received, due;
    } prov [] = {
        //  Fri 2027-01-22 + 15 = Sat 02-06 (weekend), Sun 02-07, Mon 02-08
        //  (春节 02-05..02-08) -> Tue 02-09.
        { "15d across the 2027 Spring Festival: end of Tue 02-09", "natural",
          D_2027_01_22, END_2027_02_09 },
        //  Wed 2027-02-03: Thu 02-04 (1), Fri 02-05..Mon 02-08 off (春节 and
        //  the weekend), Tue 09 (2), Wed 10 (3), Thu 11 (4), Fri 12 (5).
        { "5wd across the 2027 Spring Festival: end of Fri 02-12", "working",
          D_2027_02_03, END_2027_02_12 },
        //  Sun 2027-03-21 + 15 = Mon 04-05 (清明节) -> Tue 04-06.
        { "15d onto 2027 Qingming (Mon 04-05): end of Tue 04-06", "natural",
          D_2027_03_21, END_2027_04_06 },
        //  Thu 2027-04-29: Fri 04-30 (1), Sat 05-01 and Sun 05-02 (劳动节, a
        //  weekend: the notice will add days off, not known yet), Mon 03 (2),
        //  Tue 04 (3), Wed 05 (4), Thu 06 (5).
        { "5wd across 2027 Labour Day: end of Thu 05-06", "working",
          D_2027_04_29, END_2027_05_06 },
        //  Thu 2027-09-16 + 15 = Fri 10-01 (国庆节 10-01..10-03) -> Mon 10-04.
        { "15d onto 2027 National Day: end of Mon 10-04", "natural",
          D_2027_09_16, END_2027_10_04 },
        //  Wed 2027-12-29: Thu 12-30 (1), Fri 12-31 (2), Sat 2028-01-01
        //  (元旦) and Sun 01-02 off, Mon 01-03 (3), Tue 01-04 (4), Wed 01-05 (5).
        { "5wd across New Year 2028: end of Wed 2028-01-05", "working",
          D_2027_12_29, END_2028_01_05 },
        //  Fri 2028-09-29: Sat 09-30, Sun 10-01, Mon 10-02 and Tue 10-03
        //  (国庆节 with 中秋节, 10-01..10-03) off, Wed 04 (1), Thu 05 (2),
        //  Fri 06 (3), Mon 09 (4), Tue 10 (5).
        { "5wd across National Day + Mid-Autumn 2028: end of Tue 10-10", "working",
          D_2028_09_29, END_2028_10_10 },
        //  Sun 2026-12-20 (covered) + 15 = Mon 2027-01-04, a working day:
        //  counted into 2027, so provisional too.
        { "15d from covered 2026 into 2027: end of Mon 2027-01-04, provisional", "natural",
          D_2026_12_20, END_2027_01_04 },
    };
    for (size_t i = 0; i < sizeof prov / sizeof prov [0]; i++) {
        sla_case_attrs_t a = web;
        a.business_line = prov [i].line;
        res = s_plan_b (policy, &a, prov [i].received, NULL, 0, prov [i].received + H, p,
                        SLA_RESOLUTION);
        ack = s_find (p, SLA_ACKNOWLEDGE, 0);
        s_check (res && res->due_at == prov [i].due && res->provisional
                 && ack && !ack->provisional, prov [i].what,
                 "due=%lld want=%lld provisional=%d ack(24h)=%d",
                 res ? (long long) res->due_at : 0, (long long) prov [i].due,
                 res ? res->provisional : -1, ack ? ack->provisional : -1);
    }
    //  A working-day clock wholly in the covered year is not provisional
    //  (T0 Mon 2026-03-02, 5wd: end of Mon 03-09).
    sla_case_attrs_t w5 = web;
    w5.business_line = "working";
    res = s_plan_b (policy, &w5, T0, NULL, 0, T0 + H, p, SLA_RESOLUTION);
    s_check (res && res->due_at == 1773072000000LL && !res->provisional,
             "5wd inside the covered year: not provisional", NULL);

    //  B5. Moved by the calendar: the stored row has the same start, rule,
    //  allowance, calendar, extensions and paused time, but another due_at
    //  (what a different calendar gave): moved_from is the stored due.
    sla_case_attrs_t n15 = web;
    n15.business_line = "natural";
    char sel15 [SLA_SELECTOR_SIZE];
    sla_selector (&n15, sel15, sizeof sel15);
    sla_existing_t was [] = { { 1, SLA_RESOLUTION, 0, sel15, "b.conf:7", "cn", "15d", false,
                                D_2027_01_22, END_2027_02_09 + 24 * H, 0, 0, false } };
    sla_case_input_t inm = { .attrs = &n15, .received_at = D_2027_01_22, .existing = was,
                             .nexisting = 1, .now = D_2027_01_22 + H };
    sla_plan_case (policy, &inm, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->due_at == END_2027_02_09 && res->moved_from == END_2027_02_09 + 24 * H,
             "calendar alone moved a running deadline: moved_from = the stored due", NULL);
    was [0].due_at = END_2027_02_09;
    sla_plan_case (policy, &inm, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->moved_from == 0, "unchanged deadline: not moved", NULL);
    was [0].due_at = END_2027_02_09 + 24 * H;
    was [0].extensions = 1;
    sla_plan_case (policy, &inm, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->moved_from == 0, "a changed figure (extensions): not the calendar", NULL);
    was [0].extensions = 0;
    was [0].ended = true;
    sla_plan_case (policy, &inm, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->moved_from == 0, "an ended clock is never moved", NULL);
    sla_policy_destroy (&policy);
}

//  The regulatory clock and the internal service clock (issue 15 §1). Every
//  figure was checked with `complaintctl calendar add --from ... --span ...`
//  against deploy/calendars/cn.conf; the working is written beside it.
static const char *s_two_clocks_text =
    "calendar cn\n"
    "clock acknowledge     24h\n"
    "clock first_response  48h\n"
    "clock service         10wd\n"
    "clock resolution      15d\n"
    "remind * 50 80\n"
    "escalate 1 0 supervisor\n"
    "extend resolution 1 to 30d supervisor\n"
    "extend resolution 2 to 60d superior\n"
    "pause service awaiting_customer appraisal\n";

#define DAY (24 * H)

static void
s_two_clocks_tests (calendars_t *cals, sla_case_plan_t *p)
{
    conf_error_t err;
    sla_policy_t *policy = sla_policy_parse (s_two_clocks_text, "two.conf", cals, &err);
    s_check (policy != NULL, "the two-clocks policy parses", "%s", policy ? "" : err.reason);
    if (!policy)
        return;
    sla_case_attrs_t web = { .channel = "web", .level = "branch" };
    const sla_clock_plan_t *res, *r1, *svc;

    //  21. Extensions across the Spring Festival. Received Sat 2026-01-31
    //  10:00 +08:00. 15d: day 15 after Jan 31 is Feb 15, a holiday (春节
    //  Feb 15-23) -> the end of Tue Feb 24. Extension 1 TO 30d: day 30 is
    //  Mar 2 (Feb has 28 days), a Monday -> the end of Mar 2 (the
    //  additive rule gave Feb 24 + 15d = Mar 11). Extension 2 TO 60d: day 60
    //  is Wed Apr 1 -> the end of Apr 1. Each rolls only at its own end.
    const int64_t jan31 = 1769824800000LL;          /* 2026-01-31T02:00Z */
    const int64_t feb24_end = 1771948800000LL;      /* 2026-02-24T16:00Z */
    const int64_t mar02_end = 1772467200000LL;      /* 2026-03-02T16:00Z */
    const int64_t apr01_end = 1775059200000LL;      /* 2026-04-01T16:00Z */
    sla_action_t spring [] = {
        { "accept", jan31 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "extend", jan31 + 10 * DAY, "accepted", "accepted", "resolution", "to 30d",
          "supervisor" },
        { "extend", jan31 + 25 * DAY, "accepted", "accepted", "resolution", "to 60d",
          "superior" },
    };
    sla_case_input_t in = { .attrs = &web, .received_at = jan31, .actions = spring,
                            .nactions = 1, .now = jan31 + 2 * H };
    sla_plan_case (policy, &in, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->due_at == feb24_end && p->resolution_due == feb24_end,
             "received 2026-01-31: 15d -> end of 2026-02-24 (Spring Festival roll)", "due=%lld",
             res ? (long long) res->due_at : 0);
    in.nactions = 2;
    in.now = jan31 + 10 * DAY + H;
    sla_plan_case (policy, &in, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->extensions == 1 && res->ext_previous_due [0] == feb24_end
             && res->ext_due [0] == mar02_end && res->due_at == mar02_end
             && strcmp (res->extended_by [0], "30d") == 0,
             "extension 1 to 30d from receipt: end of 2026-03-02, not 03-11",
             "due=%lld by=%s", res ? (long long) res->due_at : 0,
             res ? res->extended_by [0] : "");
    in.nactions = 3;
    in.now = jan31 + 25 * DAY + H;
    sla_plan_case (policy, &in, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->extensions == 2 && res->ext_previous_due [1] == mar02_end
             && res->ext_due [1] == apr01_end && res->due_at == apr01_end
             && p->resolution_due == apr01_end && strcmp (res->extended_by [1], "60d") == 0
             && strcmp (res->approver [1], "superior") == 0,
             "extension 2 to 60d from receipt (superior): end of 2026-04-01", "due=%lld",
             res ? (long long) res->due_at : 0);

    //  22. Across National Day. Received Sun 2026-09-20 10:00 +08:00 (a
    //  make-up working day). 15d: day 15 is Oct 5, inside 国庆节 Oct 1-7 ->
    //  the end of Thu Oct 8. To 30d: Oct 20, a Tuesday -> its end (the
    //  additive rule: Oct 8 + 15d = Oct 23). To 60d: Nov 19, a Thursday.
    const int64_t sep20 = 1789869600000LL;
    sla_action_t national [] = {
        { "extend", sep20 + 5 * DAY, "accepted", "accepted", "resolution", "to 30d",
          "supervisor" },
        { "extend", sep20 + 20 * DAY, "accepted", "accepted", "resolution", "to 60d",
          "superior" },
    };
    sla_case_input_t in2 = { .attrs = &web, .received_at = sep20, .actions = national,
                             .nactions = 2, .now = sep20 + 20 * DAY + H };
    sla_plan_case (policy, &in2, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->ext_previous_due [0] == 1791475200000LL      /* 10-08T16:00Z */
             && res->ext_due [0] == 1792512000000LL                     /* 10-20T16:00Z */
             && res->ext_due [1] == 1795104000000LL                     /* 11-19T16:00Z */
             && res->due_at == 1795104000000LL,
             "received 2026-09-20: 15d end of 10-08, to 30d end of 10-20, to 60d end of 11-19",
             "prev=%lld e1=%lld e2=%lld", res ? (long long) res->ext_previous_due [0] : 0,
             res ? (long long) res->ext_due [0] : 0, res ? (long long) res->ext_due [1] : 0);

    //  23. An appraisal pauses the regulatory clock; awaiting the customer
    //  does not. Received Tue 2026-03-03 10:00 +08:00: 15d -> end of Wed
    //  Mar 18. Awaiting the customer Mar 4 10:00 .. Mar 5 09:00: resolution
    //  runs on. Appraisal Mar 5 10:00 .. Mar 10 10:00 (5 days): the period
    //  starts 5 days later (Mar 8 10:00), 15d -> end of Mon Mar 23.
    const int64_t mar03 = 1772503200000LL;
    const int64_t mar18_end = 1773849600000LL, mar23_end = 1774281600000LL;
    sla_action_t appraisal [] = {
        { "accept", mar03 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "request_info", mar03 + DAY, "accepted", S_AWAITING, NULL, NULL, NULL },
        { "customer_replied", mar03 + 2 * DAY - H, S_AWAITING, "investigating", NULL, NULL,
          NULL },
        { "appraisal_start", mar03 + 2 * DAY, "investigating", "investigating", NULL, NULL,
          NULL },
        { "appraisal_end", mar03 + 7 * DAY, "investigating", "investigating", NULL, NULL,
          NULL },
    };
    sla_case_input_t in3 = { .attrs = &web, .received_at = mar03, .actions = appraisal,
                             .nactions = 3, .now = mar03 + 2 * DAY - H };
    sla_plan_case (policy, &in3, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->due_at == mar18_end && res->paused_ms == 0
             && strcmp (res->state, "running") == 0,
             "awaiting the customer does not pause the regulatory clock", "due=%lld paused=%lld",
             res ? (long long) res->due_at : 0, res ? (long long) res->paused_ms : 0);
    in3.nactions = 4;
    in3.now = mar03 + 3 * DAY;
    sla_plan_case (policy, &in3, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    svc = s_find (p, SLA_SERVICE, 0);
    s_check (res && strcmp (res->state, "paused") == 0 && res->paused_since == mar03 + 2 * DAY
             && !*res->next_step && svc && strcmp (svc->state, "paused") == 0,
             "during an appraisal: resolution and service paused", "state=%s",
             res ? res->state : "");
    in3.nactions = 5;
    in3.now = mar03 + 8 * DAY;
    sla_plan_case (policy, &in3, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && strcmp (res->state, "running") == 0 && res->paused_ms == 5 * DAY
             && res->base_due_at == mar18_end && res->due_at == mar23_end,
             "appraisal of 5 days: due 5 days later (end of 2026-03-23)", "due=%lld paused=%lld",
             res ? (long long) res->due_at : 0, res ? (long long) res->paused_ms : 0);

    //  24. The service clock pauses while awaiting the customer. 10wd from
    //  Tue Mar 3 -> end of Tue Mar 17 (Mar 4-6, 9-13, 16-17). Awaiting Thu
    //  Mar 5 10:00 .. Mon Mar 9 10:00: 14 h of Thursday, all of Friday and
    //  10 h of Monday = 2 working days -> end of Thu Mar 19 (= 12wd).
    sla_action_t waiting [] = {
        { "accept", mar03 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "request_info", mar03 + 2 * DAY, "accepted", S_AWAITING, NULL, NULL, NULL },
        { "customer_replied", mar03 + 6 * DAY, S_AWAITING, "investigating", NULL, NULL, NULL },
        { "resolve", mar03 + 8 * DAY, "investigating", "resolved", NULL, NULL, NULL },
    };
    sla_case_input_t in4 = { .attrs = &web, .received_at = mar03, .actions = waiting,
                             .nactions = 2, .now = mar03 + 3 * DAY };
    sla_plan_case (policy, &in4, p);
    svc = s_find (p, SLA_SERVICE, 0);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (svc && strcmp (svc->state, "paused") == 0 && res
             && strcmp (res->state, "running") == 0 && svc->base_due_at == 1773763200000LL,
             "awaiting: service paused (base end of 03-17), resolution running", "svc=%s res=%s",
             svc ? svc->state : "-", res ? res->state : "-");
    in4.nactions = 4;
    in4.now = mar03 + 9 * DAY;
    sla_plan_case (policy, &in4, p);
    svc = s_find (p, SLA_SERVICE, 0);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (svc && svc->due_at == 1773936000000LL && svc->paused_ms == 4 * DAY
             && strcmp (svc->state, "met") == 0 && svc->met_at == mar03 + 8 * DAY && res
             && strcmp (res->state, "met") == 0 && res->due_at == mar18_end,
             "service: 2 working days of waiting -> end of 03-19; resolve meets both",
             "svc due=%lld paused=%lld", svc ? (long long) svc->due_at : 0,
             svc ? (long long) svc->paused_ms : 0);

    //  25. New material restarts the regulatory period from that day. Round
    //  0 (extended once) ends `cancelled` (superseded: not met, no decision
    //  in it); round 1 starts Thu Mar 12 10:00: 15d -> end of Fri Mar 27;
    //  its extensions count from 1 again: to 30d -> day 30 is Sat Apr 11 ->
    //  the end of Mon Apr 13. The service clock runs on from receipt.
    sla_action_t material [] = {
        { "accept", mar03 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "extend", mar03 + 7 * DAY, "accepted", "accepted", "resolution", "to 30d",
          "supervisor" },
        { "new_material", mar03 + 9 * DAY, "accepted", "accepted", NULL, NULL, NULL },
        { "extend", mar03 + 10 * DAY, "accepted", "accepted", "resolution", "to 30d",
          "supervisor" },
    };
    sla_case_input_t in5 = { .attrs = &web, .received_at = mar03, .actions = material,
                             .nactions = 3, .now = mar03 + 9 * DAY + H };
    sla_plan_case (policy, &in5, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    r1 = s_find (p, SLA_RESOLUTION, 1);
    svc = s_find (p, SLA_SERVICE, 0);
    s_check (res && r1 && strcmp (res->state, "cancelled") == 0 && res->met_at == 0
             && res->ended_at == mar03 + 9 * DAY && res->extensions == 1
             && r1->started_at == mar03 + 9 * DAY && r1->due_at == 1774627200000LL
             && r1->extensions == 0 && p->resolution_due == 1774627200000LL && svc
             && svc->round == 0 && svc->started_at == mar03,
             "new material: round 0 cancelled (superseded), round 1 from that day, end of 03-27",
             "r0=%s r1 due=%lld", res ? res->state : "-", r1 ? (long long) r1->due_at : 0);
    in5.nactions = 4;
    in5.now = mar03 + 10 * DAY + H;
    sla_plan_case (policy, &in5, p);
    r1 = s_find (p, SLA_RESOLUTION, 1);
    s_check (r1 && r1->extensions == 1 && r1->due_at == 1776096000000LL
             && r1->ext_previous_due [0] == 1774627200000LL,
             "round 1's extension 1 to 30d from the new material: end of 2026-04-13",
             "due=%lld", r1 ? (long long) r1->due_at : 0);

    //  26. Reopen starts a service round beside the resolution round.
    sla_action_t reopen [] = {
        { "resolve", mar03 + DAY, "accepted", "resolved", NULL, NULL, NULL },
        { "review", mar03 + 2 * DAY, "resolved", "under_review", NULL, NULL, NULL },
        { "reopen", mar03 + 3 * DAY, "under_review", "reopened", NULL, NULL, NULL },
    };
    sla_case_input_t in6 = { .attrs = &web, .received_at = mar03, .actions = reopen,
                             .nactions = 3, .now = mar03 + 3 * DAY + H };
    sla_plan_case (policy, &in6, p);
    svc = s_find (p, SLA_SERVICE, 0);
    const sla_clock_plan_t *s1 = s_find (p, SLA_SERVICE, 1);
    s_check (svc && s1 && strcmp (svc->state, "met") == 0 && s1->started_at == mar03 + 3 * DAY
             && strcmp (s1->state, "running") == 0,
             "reopen: service round 0 met, round 1 from the reopening", NULL);
    //  27. (told) The reopening's new rounds are restarts the customer is
    //  told of: resolution and service round 1, cause reopen; round 0 is
    //  not (this policy has no review clock for the case).
    const sla_clock_plan_t *rr1 = s_find (p, SLA_RESOLUTION, 1);
    const sla_clock_plan_t *rv0 = s_find (p, SLA_REVIEW, 0);
    s_check (rr1 && rr1->restarted && strcmp (rr1->cause, "reopen") == 0 && s1 && s1->restarted
             && strcmp (s1->cause, "reopen") == 0 && !s_find (p, SLA_RESOLUTION, 0)->restarted
             && (!rv0 || (!rv0->restarted && !rv0->cause)),
             "reopen: resolution and service round 1 restarted (cause reopen), nothing else",
             "rr1=%d s1=%d rv0=%d", rr1 ? rr1->restarted : -1, s1 ? s1->restarted : -1,
             rv0 ? rv0->restarted : -1);
    //  28. (told) New material: round 1 restarted while it has no row; once
    //  stored (the recompute that told it), not again; an ended round never.
    in5.nactions = 3;
    in5.now = mar03 + 9 * DAY + H;
    sla_plan_case (policy, &in5, p);
    r1 = s_find (p, SLA_RESOLUTION, 1);
    s_check (r1 && r1->restarted && strcmp (r1->cause, "new_material") == 0
             && !s_find (p, SLA_RESOLUTION, 0)->restarted && !s_find (p, SLA_SERVICE, 0)->restarted,
             "new material: resolution round 1 restarted (cause new_material), only it", NULL);
    //  Copies: the plan p is written again below.
    char k_sel [SLA_SELECTOR_SIZE], k_rule [SLA_RULE_SIZE], k_cal [SLA_MAX_NAME],
         k_allow [SLA_SPAN_SIZE];
    snprintf (k_sel, sizeof k_sel, "%s", r1 ? r1->selector : "");
    snprintf (k_rule, sizeof k_rule, "%s", r1 ? r1->rule : "");
    snprintf (k_cal, sizeof k_cal, "%s", r1 ? r1->calendar : "");
    snprintf (k_allow, sizeof k_allow, "%s", r1 ? r1->allowance : "");
    sla_existing_t stored [] = { { 9, SLA_RESOLUTION, 1, k_sel, k_rule, k_cal, k_allow, false,
                                   r1 ? r1->started_at : 0, r1 ? r1->due_at : 0, 0, 0,
                                   false } };
    in5.existing = stored;
    in5.nexisting = 1;
    sla_plan_case (policy, &in5, p);
    r1 = s_find (p, SLA_RESOLUTION, 1);
    s_check (r1 && !r1->restarted && strcmp (r1->cause, "new_material") == 0,
             "new material: once stored, round 1 is not restarted again", NULL);
    sla_action_t material_resolved [] = {
        { "new_material", mar03 + 9 * DAY, "accepted", "accepted", NULL, NULL, NULL },
        { "resolve", mar03 + 9 * DAY + H, "accepted", "resolved", NULL, NULL, NULL },
    };
    sla_case_input_t in7 = { .attrs = &web, .received_at = mar03, .actions = material_resolved,
                             .nactions = 2, .now = mar03 + 9 * DAY + 2 * H };
    sla_plan_case (policy, &in7, p);
    r1 = s_find (p, SLA_RESOLUTION, 1);
    s_check (r1 && strcmp (r1->state, "met") == 0 && !r1->restarted,
             "new material then a decision before the recompute: not told (the decision is)",
             NULL);
    sla_policy_destroy (&policy);
}

/*  issue 16 follow-up (watchdog2): a pause of a day-unit (d) clock counts
 *  what was paused, not whole days rounded up. Received Tue 2026-03-03
 *  10:00 +08:00, 15d -> end of Wed Mar 18 (case 23). An appraisal from
 *  Thu Mar 5 10:00:
 *    2 s              -> start Mar 3 10:00:02, day 15 still Mar 18 (the
 *                        rounding gave Mar 19);
 *    36 h (Mar 6 22:00) -> start Mar 4 22:00 -> end of Thu Mar 19 (the
 *                        rounding gave 2 days: Mar 20);
 *    14 h 1 min (Mar 6 00:01) -> start Mar 4 00:01: its day is Mar 4 ->
 *                        end of Mar 19 (the Civil Code's count from the
 *                        moved start: the day of the start is not counted);
 *    14 h (Mar 6 00:00) -> start Mar 4 00:00, which belongs to Mar 3 (the
 *                        day of from is the date of from - 1 ms) -> Mar 18. */
static void
s_test_day_pause (calendars_t *cals, sla_case_plan_t *p)
{
    conf_error_t err;
    sla_policy_t *policy = sla_policy_parse (s_two_clocks_text, "two.conf", cals, &err);
    s_check (policy != NULL, "day pause: the two-clocks policy parses", NULL);
    if (!policy)
        return;
    sla_case_attrs_t web = { .channel = "web", .level = "branch" };
    const int64_t mar03 = 1772503200000LL;                  /* 2026-03-03T02:00Z */
    const int64_t mar18_end = 1773849600000LL;              /* 2026-03-18T16:00Z */
    const int64_t mar05 = mar03 + 2 * DAY;
    const struct { int64_t paused, due; const char *what; } cases [] = {
        { 2000, mar18_end, "day pause: a 2-second appraisal leaves 15d at the end of Mar 18" },
        { 36 * H, mar18_end + DAY, "day pause: 36 h moves the start 36 h: end of Mar 19 "
                                   "(rounding up gave Mar 20)" },
        { 14 * H + 60000, mar18_end + DAY, "day pause: 14 h 1 min moves the start into Mar 4: "
                                           "end of Mar 19" },
        { 14 * H, mar18_end, "day pause: 14 h moves the start to Mar 4 00:00, Mar 3's end: "
                             "end of Mar 18" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        sla_action_t acts [] = {
            { "accept", mar03 + H, "assigned", "accepted", NULL, NULL, NULL },
            { "appraisal_start", mar05, "accepted", "accepted", NULL, NULL, NULL },
            { "appraisal_end", mar05 + cases [i].paused, "accepted", "accepted", NULL, NULL,
              NULL },
        };
        sla_case_input_t in = { .attrs = &web, .received_at = mar03, .actions = acts,
                                .nactions = 3, .now = mar05 + cases [i].paused + H };
        sla_plan_case (policy, &in, p);
        const sla_clock_plan_t *res = s_find (p, SLA_RESOLUTION, 0);
        s_check (res && res->due_at == cases [i].due && res->paused_ms == cases [i].paused
                 && res->base_due_at == mar18_end, cases [i].what, "due=%lld paused=%lld",
                 res ? (long long) res->due_at : 0, res ? (long long) res->paused_ms : 0);
    }
    sla_policy_destroy (&policy);
}

int
sla_plan_test (bool verbose, const char *calendars_dir, int *passed)
{
    s_verbose = verbose;
    s_passed = s_failed = 0;
    printf (" * sla_plan: ");
    if (verbose)
        printf ("\n");
    conf_error_t err;
    calendars_t *cals = calendars_load_dir (calendars_dir ? calendars_dir : "deploy/calendars",
                                            &err);
    sla_policy_t *policy = cals ? sla_policy_parse (s_policy_text, "t.conf", cals, &err) : NULL;
    char why [600];
    s_check (policy != NULL, "the test policy parses", "%s",
             policy ? "" : conf_error_format (&err, why, sizeof why));
    if (!policy) {
        calendars_destroy (&cals);
        printf ("%d passed, %d failed\n", s_passed, s_failed);
        *passed += s_passed;
        return s_failed;
    }
    sla_case_attrs_t web = { .channel = "web", .level = "branch" };
    sla_case_plan_t *p = calloc (1, sizeof *p);
    assert (p);

    //  1. Untouched case: three clocks, first reminder next.
    s_plan (policy, &web, NULL, 0, NULL, 0, T0 + MIN, p);
    const sla_clock_plan_t *ack = s_find (p, SLA_ACKNOWLEDGE, 0);
    const sla_clock_plan_t *res = s_find (p, SLA_RESOLUTION, 0);
    s_check (p->nclocks == 3 && ack && res, "untouched: three clocks", "n=%d", p->nclocks);
    s_check (ack && ack->due_at == T0 + 24 * H && strcmp (ack->state, "running") == 0
             && strcmp (ack->next_step, "remind:50") == 0 && ack->next_fire_at == T0 + 12 * H,
             "untouched: acknowledge due +24h, remind:50 at +12h", "due=%lld next=%s",
             ack ? (long long) (ack->due_at - T0) : 0, ack ? ack->next_step : "");
    s_check (res && res->due_at == T0 + 100 * H && strcmp (res->rule, "t.conf:5") == 0,
             "untouched: resolution 100h by t.conf:5", "rule=%s", res ? res->rule : "");
    s_check (p->resolution_due == T0 + 100 * H, "resolution_due for complaint.due_at", NULL);

    //  2. Fired steps move next along; the breach makes the state breached.
    sla_fired_t fired [] = {
        { SLA_ACKNOWLEDGE, 0, 0, "remind:50" }, { SLA_ACKNOWLEDGE, 0, 0, "remind:80" },
        { SLA_ACKNOWLEDGE, 0, 0, "breach" }, { SLA_ACKNOWLEDGE, 0, 0, "escalate:1" },
    };
    s_plan (policy, &web, NULL, 0, fired, 4, T0 + 25 * H, p);
    ack = s_find (p, SLA_ACKNOWLEDGE, 0);
    s_check (ack && strcmp (ack->state, "breached") == 0
             && strcmp (ack->next_step, "escalate:2") == 0 && ack->next_fire_at == T0 + 34 * H,
             "after breach and tier 1: breached, escalate:2 at due+10h", "state=%s next=%s",
             ack ? ack->state : "", ack ? ack->next_step : "");

    //  3. Reminders superseded when the deadline is already past.
    s_plan (policy, &web, NULL, 0, NULL, 0, T0 + 30 * H, p);
    ack = s_find (p, SLA_ACKNOWLEDGE, 0);
    s_check (ack && strcmp (ack->next_step, "breach") == 0 && ack->next_fire_at == T0 + 24 * H,
             "past the deadline: next is breach (reminders superseded)", "next=%s",
             ack ? ack->next_step : "");

    //  4. Accept meets acknowledge; met on time, not late.
    sla_action_t accept [] = {
        { "assign", T0 + MIN, "received", "assigned", NULL, NULL, NULL },
        { "accept", T0 + 2 * H, "assigned", "accepted", NULL, NULL, NULL },
    };
    s_plan (policy, &web, accept, 2, NULL, 0, T0 + 3 * H, p);
    ack = s_find (p, SLA_ACKNOWLEDGE, 0);
    s_check (ack && strcmp (ack->state, "met") == 0 && ack->met_at == T0 + 2 * H && !ack->late
             && !*ack->next_step && ack->next_fire_at == 0, "accept: acknowledge met on time",
             "state=%s", ack ? ack->state : "");

    //  5. Late acceptance records late = true.
    sla_action_t late_accept [] = {
        { "accept", T0 + 30 * H, "assigned", "accepted", NULL, NULL, NULL },
    };
    s_plan (policy, &web, late_accept, 1, NULL, 0, T0 + 31 * H, p);
    ack = s_find (p, SLA_ACKNOWLEDGE, 0);
    s_check (ack && ack->late, "accept after 30h of 24h: late", NULL);

    //  6. Pause: request_info at +10h, reply at +30h: resolution due moves 20h.
    sla_action_t pause [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "request_info", T0 + 10 * H, "accepted", S_AWAITING, NULL, NULL, NULL },
        { "customer_replied", T0 + 30 * H, S_AWAITING, "investigating", NULL, NULL, NULL },
    };
    s_plan (policy, &web, pause, 2, NULL, 0, T0 + 20 * H, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    const sla_clock_plan_t *first = s_find (p, SLA_FIRST_RESPONSE, 0);
    s_check (res && strcmp (res->state, "paused") == 0 && res->paused_since == T0 + 10 * H
             && res->due_at == T0 + 110 * H && !*res->next_step,
             "paused: state paused, due grows with the open pause, nothing next",
             "state=%s due=+%lldh", res ? res->state : "",
             res ? (long long) ((res->due_at - T0) / H) : 0);
    s_check (first && strcmp (first->state, "met") == 0, "request_info meets first_response",
             NULL);
    s_plan (policy, &web, pause, 3, NULL, 0, T0 + 31 * H, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && strcmp (res->state, "running") == 0 && res->paused_ms == 20 * H
             && res->due_at == T0 + 120 * H && res->base_due_at == T0 + 100 * H
             && res->paused_since == 0, "resumed: due = base + 20h paused", "due=+%lldh",
             res ? (long long) ((res->due_at - T0) / H) : 0);

    //  7. Transfer: acknowledge round 0 cancelled, round 1 from the transfer.
    sla_action_t transfer [] = {
        { "transfer", T0 + 5 * H, "assigned", "assigned", NULL, NULL, NULL },
    };
    s_plan (policy, &web, transfer, 1, NULL, 0, T0 + 6 * H, p);
    const sla_clock_plan_t *a0 = s_find (p, SLA_ACKNOWLEDGE, 0);
    const sla_clock_plan_t *a1 = s_find (p, SLA_ACKNOWLEDGE, 1);
    s_check (a0 && a1 && strcmp (a0->state, "cancelled") == 0 && a0->ended_at == T0 + 5 * H
             && a1->started_at == T0 + 5 * H && a1->due_at == T0 + 29 * H
             && strcmp (a1->state, "running") == 0,
             "transfer restarts acknowledge", "a0=%s a1=%s", a0 ? a0->state : "-",
             a1 ? a1->state : "-");

    //  8. Accepted, then transferred: round 0 stays met.
    sla_action_t acc_transfer [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "transfer", T0 + 5 * H, "accepted", "assigned", NULL, NULL, NULL },
    };
    s_plan (policy, &web, acc_transfer, 2, NULL, 0, T0 + 6 * H, p);
    a0 = s_find (p, SLA_ACKNOWLEDGE, 0);
    s_check (a0 && strcmp (a0->state, "met") == 0, "a met round stays met after a transfer",
             NULL);

    //  9. Extension: resolution + 50h; extended event figures.
    sla_action_t extend [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "extend", T0 + 40 * H, "accepted", "accepted", "resolution", "to 150h", "supervisor" },
    };
    s_plan (policy, &web, extend, 2, NULL, 0, T0 + 41 * H, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->extensions == 1 && strcmp (res->extended_by [0], "150h") == 0
             && res->ext_previous_due [0] == T0 + 100 * H && res->ext_due [0] == T0 + 150 * H
             && res->due_at == T0 + 150 * H && strcmp (res->approver [0], "supervisor") == 0
             && strcmp (res->next_step, "remind:50") == 0 && res->next_fire_at == T0 + 75 * H,
             "extend to 150h from the start: phase 1 reminders of the new deadline", "due=+%lldh next=%s",
             res ? (long long) ((res->due_at - T0) / H) : 0, res ? res->next_step : "");

    //  10. The breach of phase 0 does not make phase 1 breached.
    sla_fired_t fired0 [] = { { SLA_RESOLUTION, 0, 0, "breach" } };
    s_plan (policy, &web, extend, 2, fired0, 1, T0 + 41 * H, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && strcmp (res->state, "running") == 0, "a new phase is not breached", NULL);

    //  11. Resolve meets first_response and resolution; close meets all.
    sla_action_t resolve [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "resolve", T0 + 99 * H, "accepted", "resolved", NULL, NULL, NULL },
    };
    s_plan (policy, &web, resolve, 2, NULL, 0, T0 + 100 * H, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    first = s_find (p, SLA_FIRST_RESPONSE, 0);
    s_check (res && strcmp (res->state, "met") == 0 && !res->late && first && first->late,
             "resolved at 99h of 100h: met, not late; first response (48h) late", NULL);

    //  12. Review and reopen: review round 0 met, resolution round 1.
    sla_action_t reopen [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "resolve", T0 + 10 * H, "accepted", "resolved", NULL, NULL, NULL },
        { "review", T0 + 20 * H, "resolved", "under_review", NULL, NULL, NULL },
        { "reopen", T0 + 30 * H, "under_review", "reopened", NULL, NULL, NULL },
    };
    s_plan (policy, &web, reopen, 4, NULL, 0, T0 + 31 * H, p);
    const sla_clock_plan_t *rv = s_find (p, SLA_REVIEW, 0);
    const sla_clock_plan_t *r1 = s_find (p, SLA_RESOLUTION, 1);
    s_check (rv && strcmp (rv->state, "met") == 0 && r1 && r1->started_at == T0 + 30 * H
             && r1->due_at == T0 + 130 * H && p->resolution_due == T0 + 130 * H,
             "reopen: review met, resolution round 1 from the reopening", NULL);

    //  12b. A review after closure (issue 15: the customer may ask within
    //  the window, intake checks it): `close` ended every clock, the review
    //  starts a round of its own at the request, and a review_upheld close
    //  meets it; nothing else starts again.
    sla_action_t after_close [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "resolve", T0 + 10 * H, "accepted", "resolved", NULL, NULL, NULL },
        { "close", T0 + 20 * H, "resolved", "closed", NULL, NULL, NULL },
        { "review", T0 + 200 * H, "closed", "under_review", NULL, NULL, NULL },
    };
    s_plan (policy, &web, after_close, 4, NULL, 0, T0 + 201 * H, p);
    rv = s_find (p, SLA_REVIEW, 0);
    r1 = s_find (p, SLA_RESOLUTION, 1);
    s_check (rv && strcmp (rv->state, "running") == 0 && rv->started_at == T0 + 200 * H
             && rv->next_fire_at > T0 + 200 * H && !r1,
             "review after closure: a review round from the request, running", NULL);
    sla_action_t upheld [5];
    memcpy (upheld, after_close, sizeof after_close);
    upheld [4] = (sla_action_t) { "close", T0 + 210 * H, "under_review", "closed",
                                  NULL, NULL, NULL };
    s_plan (policy, &web, upheld, 5, NULL, 0, T0 + 211 * H, p);
    rv = s_find (p, SLA_REVIEW, 0);
    s_check (rv && strcmp (rv->state, "met") == 0 && rv->met_at == T0 + 210 * H
             && !s_find (p, SLA_REVIEW, 1) && !s_find (p, SLA_RESOLUTION, 1),
             "review after closure upheld: the review round met, nothing restarts", NULL);

    //  13. Withdraw cancels what runs.
    sla_action_t withdraw [] = {
        { "withdraw", T0 + H, "assigned", "withdrawn", NULL, NULL, NULL },
    };
    s_plan (policy, &web, withdraw, 1, NULL, 0, T0 + 2 * H, p);
    bool all_cancelled = p->nclocks == 3;
    for (int i = 0; i < p->nclocks; i++)
        all_cancelled = all_cancelled && strcmp (p->clocks [i].state, "cancelled") == 0
                        && p->clocks [i].next_fire_at == 0;
    s_check (all_cancelled, "withdraw cancels every clock", NULL);
    //  13b. A merge after acceptance (issue 16) cancels what runs, too.
    sla_action_t merge [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "merge", T0 + 2 * H, "accepted", "rejected", NULL, NULL, NULL },
    };
    s_plan (policy, &web, merge, 2, NULL, 0, T0 + 3 * H, p);
    bool merge_cancelled = p->nclocks == 3;
    for (int i = 0; i < p->nclocks; i++)
        merge_cancelled = merge_cancelled && p->clocks [i].next_fire_at == 0
                          && strcmp (p->clocks [i].state,
                                     p->clocks [i].stage == SLA_ACKNOWLEDGE ? "met"
                                                                             : "cancelled") == 0;
    s_check (merge_cancelled, "merge cancels every running clock (acknowledge was met)", NULL);

    //  14. A stored row keeps its rule while the selector is unchanged, and
    //  is chosen again when it changed.
    char sel [SLA_SELECTOR_SIZE];
    sla_selector (&web, sel, sizeof sel);
    sla_existing_t old [] = { { 7, SLA_RESOLUTION, 0, sel, "old.conf:9", "cn", "200h", false,
                                0, 0, 0, 0, false } };
    sla_case_input_t in = { .attrs = &web, .received_at = T0, .existing = old, .nexisting = 1,
                            .now = T0 + H };
    sla_plan_case (policy, &in, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->due_at == T0 + 200 * H && strcmp (res->rule, "old.conf:9") == 0,
             "same selector: the stored rule is kept (reload does not move it)", "rule=%s",
             res ? res->rule : "");
    sla_case_attrs_t classified = web;
    classified.priority = 2;
    in.attrs = &classified;
    sla_plan_case (policy, &in, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->due_at == T0 + 100 * H && strcmp (res->rule, "t.conf:5") == 0,
             "selector changed: the rule is chosen again", "rule=%s", res ? res->rule : "");

    //  15. A row with no rule any more is cancelled.
    sla_existing_t old_review [] = { { 8, SLA_FIRST_RESPONSE, 0, "x", "old.conf:3", "cn", "1h",
                                       false, 0, 0, 0, 0, false } };
    sla_policy_t *no_first = sla_policy_parse ("calendar cn\nclock resolution 100h\n", "u.conf",
                                               cals, &err);
    sla_case_input_t in2 = { .attrs = &web, .received_at = T0, .existing = old_review,
                             .nexisting = 1, .now = T0 + H };
    if (no_first) {
        sla_plan_case (no_first, &in2, p);
        first = s_find (p, SLA_FIRST_RESPONSE, 0);
        s_check (p->nclocks == 2 && first && !first->has_rule
                 && strcmp (first->state, "cancelled") == 0,
                 "a stored clock without a rule now: cancelled; no row for acknowledge",
                 "n=%d", p->nclocks);
    }
    sla_policy_destroy (&no_first);

    //  16. sla_plan_fire: everything due by now, in order; tier times.
    sla_step_t fire [SLA_PLAN_MAX_STEPS], next;
    const calendar_t *cn = sla_policy_calendar (policy, "cn");
    int n = sla_plan_fire (policy, cn, SLA_ACKNOWLEDGE, T0, T0 + 24 * H, 0, NULL, NULL,
                           T0 + 20 * H, fire, SLA_PLAN_MAX_STEPS, &next);
    s_check (n == 2 && strcmp (fire [0].step, "remind:50") == 0
             && strcmp (fire [1].step, "remind:80") == 0 && strcmp (next.step, "breach") == 0,
             "fire at 20h of 24h: both reminders, next breach", "n=%d", n);
    n = sla_plan_fire (policy, cn, SLA_ACKNOWLEDGE, T0, T0 + 24 * H, 0, NULL, NULL,
                       T0 + 60 * H, fire, SLA_PLAN_MAX_STEPS, &next);
    s_check (n == 4 && strcmp (fire [0].step, "breach") == 0
             && strcmp (fire [3].step, "escalate:3") == 0 && fire [3].at == T0 + 44 * H
             && !*next.step, "fire long after: breach and three tiers in order, nothing left",
             "n=%d", n);

    //  17. Working days on the cn calendar: a regulator referral received on
    //  Thu 2026-02-12 10:00 is due at the end of the 5th working day after
    //  it, skipping the Spring Festival (Feb 15-23) and counting the make-up
    //  Saturday Feb 14: Fri 13, Sat 14, Tue 24, Wed 25, Thu 26 -> 2026-02-27
    //  00:00 +08:00 = 2026-02-26T16:00Z.
    sla_case_attrs_t reg = { .channel = "regulator", .level = "branch" };
    sla_case_input_t in3 = { .attrs = &reg, .received_at = 1770861600000LL,  /* 02-12 02:00Z */
                             .now = 1770861600000LL + H };
    sla_plan_case (policy, &in3, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->due_at == 1772121600000LL,
             "regulator 5wd across the Spring Festival: end of Thu 2026-02-26",
             "due=%lld", res ? (long long) res->due_at : 0);
    //  Tier 2 (+10h) on an elapsed span; tier times on working days come
    //  from calendar_add (tested in calendar_test).

    //  18. A pause on a working-day clock counts working time only: a
    //  regulator referral received Mon 2026-03-02 10:00 (5wd: end of Mon
    //  03-09), paused from Fri 03-06 10:00 to Mon 03-09 10:00 — 14 h of
    //  Friday and 10 h of Monday are working time, the weekend is not — is
    //  due one working day later: the end of Tue 03-10.
    sla_action_t wd_pause [] = {
        { "accept", T0, "assigned", "accepted", NULL, NULL, NULL },
        { "request_info", 1772762400000LL, "accepted", S_AWAITING, NULL, NULL, NULL },
        { "customer_replied", 1773021600000LL, S_AWAITING, "investigating", NULL, NULL, NULL },
    };
    sla_case_input_t in4 = { .attrs = &reg, .received_at = T0, .actions = wd_pause,
                             .nactions = 3, .now = 1773021600000LL + H };
    sla_plan_case (policy, &in4, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->base_due_at == 1773072000000LL && res->due_at == 1773158400000LL
             && res->paused_ms == 72 * H,
             "5wd paused over a weekend: due moves one working day (end of Tue 03-10)",
             "base=%lld due=%lld paused=%lldh", res ? (long long) res->base_due_at : 0,
             res ? (long long) res->due_at : 0, res ? (long long) (res->paused_ms / H) : 0);

    //  19. Two reviews: review rounds 0 and 1; a reject meets what runs.
    sla_action_t reviews [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "resolve", T0 + 2 * H, "accepted", "resolved", NULL, NULL, NULL },
        { "review", T0 + 3 * H, "resolved", "under_review", NULL, NULL, NULL },
        { "reopen", T0 + 4 * H, "under_review", "reopened", NULL, NULL, NULL },
        { "resolve", T0 + 5 * H, "reopened", "resolved", NULL, NULL, NULL },
        { "review", T0 + 6 * H, "resolved", "under_review", NULL, NULL, NULL },
        { "close", T0 + 7 * H, "under_review", "closed", NULL, NULL, NULL },
    };
    s_plan (policy, &web, reviews, 7, NULL, 0, T0 + 8 * H, p);
    const sla_clock_plan_t *rv1 = s_find (p, SLA_REVIEW, 1);
    r1 = s_find (p, SLA_RESOLUTION, 1);
    bool none_open = true;
    for (int i = 0; i < p->nclocks; i++)
        none_open = none_open && p->clocks [i].next_fire_at == 0
                    && strcmp (p->clocks [i].state, "met") == 0;
    s_check (p->nclocks == 6 && rv1 && rv1->started_at == T0 + 6 * H
             && rv1->met_at == T0 + 7 * H && r1 && r1->met_at == T0 + 5 * H && none_open,
             "two reviews: rounds 0 and 1; close meets everything", "n=%d", p->nclocks);
    sla_action_t reject [] = {
        { "reject", T0 + H, "assigned", "rejected", NULL, NULL, NULL },
    };
    s_plan (policy, &web, reject, 1, NULL, 0, T0 + 2 * H, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    ack = s_find (p, SLA_ACKNOWLEDGE, 0);
    s_check (res && ack && strcmp (res->state, "met") == 0 && strcmp (ack->state, "met") == 0
             && res->met_at == T0 + H, "reject meets every running clock", NULL);

    //  20. An extension of a clock that has ended is ignored; an extension
    //  while paused keeps the pause. "50h" without "to ": an audit row from
    //  before issue 15, read with its additive meaning.
    sla_action_t ext_paused [] = {
        { "accept", T0 + H, "assigned", "accepted", NULL, NULL, NULL },
        { "request_info", T0 + 10 * H, "accepted", S_AWAITING, NULL, NULL, NULL },
        { "extend", T0 + 20 * H, S_AWAITING, S_AWAITING, "resolution", "50h", "manager" },
        { "customer_replied", T0 + 30 * H, S_AWAITING, "investigating", NULL, NULL, NULL },
        { "resolve", T0 + 40 * H, "investigating", "resolved", NULL, NULL, NULL },
        { "extend", T0 + 41 * H, "resolved", "resolved", "resolution", "50h", "manager" },
    };
    s_plan (policy, &web, ext_paused, 6, NULL, 0, T0 + 42 * H, p);
    res = s_find (p, SLA_RESOLUTION, 0);
    s_check (res && res->extensions == 1 && res->ext_previous_due [0] == T0 + 110 * H
             && res->ext_due [0] == T0 + 160 * H && res->due_at == T0 + 170 * H
             && strcmp (res->state, "met") == 0 && !res->late,
             "extension during a pause: previous due counts the pause so far; after the "
             "resolution none", "ext=%d prev=+%lldh due=+%lldh", res ? res->extensions : -1,
             res ? (long long) ((res->ext_previous_due [0] - T0) / H) : 0,
             res ? (long long) ((res->due_at - T0) / H) : 0);

    //  21-26 (issue 15, CLOCKS-A): the two clocks and extensions counted from
    //  receipt, on the shipped policy's shape (resolution 15d regulatory,
    //  paused only by an appraisal; service 10wd, paused while awaiting).
    s_two_clocks_tests (cals, p);
    s_test_clocks_b (cals, p);
    s_test_callback (cals, p);          /* issue 16 (i16-followup) */
    s_test_day_pause (cals, p);         /* issue 16 follow-up (watchdog2) */

    free (p);
    sla_policy_destroy (&policy);
    calendars_destroy (&cals);
    printf ("%d passed, %d failed\n", s_passed, s_failed);
    *passed += s_passed;
    return s_failed;
}
