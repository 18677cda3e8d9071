/*  lifecycle.c — the case lifecycle table and its rules (see lifecycle.h).
 *
 *  The table below IS the state machine: DOMAIN.md's lifecycle (receive,
 *  classify, route, investigate, resolve, follow up, close) as the actions a
 *  member of staff can take. The router's own transition, received ->
 *  assigned, is not a staff action and is drawn separately in the diagram.
 *
 *  Design notes:
 *  - Transfer and escalation are actions, not resting states: a transfer
 *    sends the case back to `assigned` in the new department (and a new
 *    handler), an escalation raises the case's level (branch -> head office
 *    -> regulator referral) and leaves its state alone.
 *  - Follow-up is three actions: `feedback` records what the customer said
 *    at the call-back (回访); `close` ends the case (satisfied, no answer in
 *    time, or a review that upheld the answer); `review` opens 复核 when the
 *    customer is not satisfied; `reopen` is the reviewer sending it back.
 *  - Rejection (不予受理) is only possible before a handler accepted the case.
 *  - Review (复核, issue 15) is independent: it may be asked from resolved
 *    and, within a window after the decision (intake's
 *    --review-window-days), from closed — the one edge out of a final
 *    state. Its decision (reopen, close as review_upheld) is taken by the
 *    complaint office or a supervisor or manager of a department above the
 *    one that decided, never by that department
 *    (lifecycle_independent_reviewer). A manager may take it (reopen,
 *    close) — the superior institution's management deciding a review is
 *    what the rules ask, and the only way to review the complaint office's
 *    own decision — but closes nothing else (intake). Escalation moves the
 *    case too (intake), and may come after a resolution.
 *  - What the deadlines are measured by (issue 15) is recorded as actions
 *    that keep the state: `contact` (the customer was reached: the
 *    customer-facing first reply, seeds 000/002 "24小时内…回复"),
 *    `mark_complex` (the complex class and its solution clock, seed 002),
 *    `appraisal_start` / `appraisal_end` (a period of external appraisal,
 *    testing or valuation left out of the regulatory time limit) and
 *    `new_material` (new facts and reasons restart the period; taken while
 *    the bank waits for the customer, it also resumes the investigation).
 *    The watchdog reads them by name from the audit trail.
 *  - Who may leave time out: appraisal_start and appraisal_end are a
 *    supervisor's or the complaint office's (SV|C), never a handler's
 *    alone. Opening an appraisal stops the regulatory clock the handler is
 *    measured by; the one measured must not be the one who stops the
 *    measure, so the decision is taken (and answered for) one level up,
 *    like an extension's. A manager may not: a manager approves, and
 *    approving an appraisal is not a thing the rules ask of management.
 *  - Merging (合并处理, issue 16): a duplicate found after acceptance is
 *    merged into the open case it repeats (`merge`, duplicate_of naming
 *    it; intake checks it exists, is open, is another case and is the same
 *    customer's). The merged case ends in `rejected` with reject_reason
 *    `merged`, not in a new state: `rejected` already is the final state
 *    "not handled on its own" (a duplicate rejected before acceptance is
 *    the same fact found earlier), allows no review or reopening, and every
 *    reader of states (the store's complaint_is_open and CHECK, analytics'
 *    ended counts, the status view, the diagram) already knows it; a state
 *    `merged` would change all of them for no new behaviour. What tells the
 *    two apart is the action (`merge`, its event complaint.merged) and the
 *    reason, which `reject` cannot give (`merged` is not in
 *    lifecycle_reject_reasons). SV|C, not a handler: ending a case after
 *    acceptance stops its clocks (the watchdog cancels them, as for a
 *    withdrawal: a merge is not a decision), so one level up answers for it.
 *  - Vetting (审核, issue 16; seed 003_2e13b8f96210a22c.txt: the complaint
 *    office checks the department's answer, "如不符合要求那么退回…重新
 *    处理"). A handler `propose`s a decision (outcomes, amounts, the
 *    internal text and the customer_text the customer will read); the
 *    case rests in a new state, `proposed`, until the vetting office
 *    `approve`s it (it becomes the decision: resolved, complaint.resolved
 *    as a direct resolve emits, so every reader of that event keeps
 *    working) or `return`s it with a reason (back to investigating, the
 *    handler told). Why a state, not a mark on `investigating`: while the
 *    answer is being checked the handler must not resolve, transfer or
 *    ask the customer on top of it, the vetting office needs a queue of
 *    what waits for it (state = proposed), and the customer's status view
 *    says honestly that a decision is written and being checked. It is an
 *    open state (the store's complaint_is_open needs no change: it lists
 *    the final ones) and on the handler's desk. Which cases must be vetted,
 *    who vets (the complaint office, or a supervisor), and each role's
 *    amount limit (seed 004_2f51cd16205a384a.txt "超出…處理權限") are the
 *    bank's policy (deploy/vetting/policy.conf), decided by intake
 *    (services/intake/case_vetting.c): a vetted case's `resolve` is
 *    refused, the proposer never approves, and an approval is within the
 *    approver's limit. The table lets SV|C|M approve and return; the
 *    policy narrows it. A manager is in so that an amount beyond the
 *    complaint office's limit can be approved at all.
 */
#include "lifecycle.h"

#include <assert.h>
#include <string.h>

static const char *const s_state_names [STATE_COUNT] = {
    "received", "assigned", "accepted", "investigating", "awaiting_customer",
    "resolved", "under_review", "reopened", "closed", "rejected", "withdrawn",
    "proposed",                 /* issue 16 (i16-vetting) */
};

/*  What the customer waits for next, in each state: the status view's
 *  next_step (PROTOCOL.md, "get"). `due` says whether the case's due_at is
 *  the date of that step (the watchdog's current deadline), so the view
 *  can say "by <date>". Indexed by state, like the names. */
static const lifecycle_next_step_t s_next_steps [STATE_COUNT] = {
    { "routing", "your complaint is being passed to the department responsible", false },
    { "waiting_for_handler", "assigned; the handler will take it up and contact you;"
      " a decision is due", true },
    { "investigation", "under investigation; a decision is due", true },
    { "investigation", "under investigation; a decision is due", true },
    { "waiting_for_customer", "waiting for information from you; please answer the bank's"
      " request", false },
    { "waiting_for_feedback", "resolved; the bank will ask whether you are satisfied", false },
    { "review", "under review; a decision is due", true },
    { "investigation", "reopened and under investigation; a decision is due", true },
    { "none", "closed; nothing more will happen", false },
    { "none", "not taken up as a complaint; nothing more will happen", false },
    { "none", "withdrawn; nothing more will happen", false },
    /* issue 16 (i16-vetting): the decision is written and being checked */
    { "vetting", "a decision has been proposed and is being checked by the complaint office;"
      " a decision is due", true },
};

#define B(s) STATE_BIT (STATE_##s)
#define S_OPEN (B(RECEIVED) | B(ASSIGNED) | B(ACCEPTED) | B(INVESTIGATING) \
                | B(AWAITING_CUSTOMER) | B(RESOLVED) | B(UNDER_REVIEW) | B(REOPENED) \
                | B(PROPOSED))
#define H ROLE_HANDLER
#define SV ROLE_SUPERVISOR
#define C ROLE_COMPLAINT_OFFICE
#define M ROLE_MANAGER

static const lifecycle_action_t s_actions [] = {
    { "accept", B(ASSIGNED), STATE_ACCEPTED, H | SV | C,
      0, FIELD_TEXT, "complaint.accepted",
      "a handler takes the case (受理)" },
    { "investigate", B(ACCEPTED) | B(REOPENED), STATE_INVESTIGATING, H | SV | C,
      0, FIELD_TEXT, "complaint.investigating",
      "investigation starts, or starts again after a reopening (调查核实)" },
    { "note", S_OPEN, LIFECYCLE_SAME, H | SV | C | M,
      FIELD_TEXT, 0, "complaint.noted",
      "a note on the case; the text stays in the audit trail, off the stream" },
    { "request_info", B(ACCEPTED) | B(INVESTIGATING), STATE_AWAITING_CUSTOMER, H | SV | C,
      FIELD_TEXT, 0, "complaint.info_requested",
      "ask the customer for information; the deadline clock pauses" },
    { "customer_replied", B(AWAITING_CUSTOMER), STATE_INVESTIGATING, H | SV | C,
      0, FIELD_TEXT, "complaint.customer_replied",
      "the customer answered; the clock runs again" },
    { "resolve", B(ACCEPTED) | B(INVESTIGATING), STATE_RESOLVED, H | SV | C,
      FIELD_TEXT, FIELD_OUTCOME | FIELD_AMOUNT | FIELD_OUTCOMES | FIELD_CUSTOMER_TEXT,
      "complaint.resolved",
      "a decision, with its outcome, was communicated to the customer (处理/反馈)" },
    { "feedback", B(RESOLVED), LIFECYCLE_SAME, H | SV | C,
      FIELD_SATISFIED, FIELD_TEXT, "complaint.feedback",
      "the customer's answer at the call-back: satisfied or not (回访)" },
    { "review", B(RESOLVED) | B(CLOSED), STATE_UNDER_REVIEW, H | SV | C,
      FIELD_TEXT, 0, "complaint.review_requested",
      "the customer is not satisfied, also after closure: the superior branch or the"
      " complaint office reviews (复核)" },
    { "reopen", B(UNDER_REVIEW), STATE_REOPENED, SV | C | M,
      FIELD_TEXT, 0, "complaint.reopened",
      "the review sends the case back for a new investigation" },
    { "close", B(RESOLVED) | B(UNDER_REVIEW), STATE_CLOSED, H | SV | C | M,
      FIELD_REASON, FIELD_TEXT, "complaint.closed",
      "closed: satisfied, no answer in time, or the review upheld the answer (闭环)" },
    { "transfer", B(ASSIGNED) | B(ACCEPTED) | B(INVESTIGATING), STATE_ASSIGNED, H | SV | C,
      FIELD_DEPARTMENT | FIELD_TEXT, 0, "complaint.transferred",
      "to another department, which gets a new handler (转办)" },
    { "escalate", S_OPEN & ~B(RECEIVED), LIFECYCLE_SAME, H | SV | C | M,
      FIELD_LEVEL | FIELD_TEXT, 0, "complaint.escalated",
      "to a higher level: head office, or a regulator referral (升级); the head office's"
      " complaint office and a supervisor of it take the case over" },
    { "extend", B(ASSIGNED) | B(ACCEPTED) | B(INVESTIGATING) | B(AWAITING_CUSTOMER)
                | B(REOPENED) | B(UNDER_REVIEW) | B(PROPOSED), LIFECYCLE_SAME, SV | C | M,
      FIELD_TEXT, 0, "complaint.extended",
      "an approved extension of the resolution (or review) deadline (延期)" },
    { "reject", B(RECEIVED) | B(ASSIGNED), STATE_REJECTED, H | SV | C,
      FIELD_REASON, FIELD_DUPLICATE_OF | FIELD_TEXT, "complaint.rejected",
      "not accepted (不予受理), with a reason from a fixed list" },
    { "withdraw", S_OPEN, STATE_WITHDRAWN, H | SV | C,
      0, FIELD_TEXT, "complaint.withdrawn",
      "the customer withdrew the complaint" },
    /* issue 15 (ACTIONS): what the deadlines are measured by */
    /* issue 16 (i16-integrate): also while a proposal is vetted: the
     * customer may be called in that time like in any other open one */
    { "contact", B(ASSIGNED) | B(ACCEPTED) | B(INVESTIGATING) | B(AWAITING_CUSTOMER)
                 | B(RESOLVED) | B(UNDER_REVIEW) | B(REOPENED) | B(PROPOSED), LIFECYCLE_SAME,
      H | SV | C,
      FIELD_REASON | FIELD_TEXT, 0, "complaint.contacted",
      "staff reached the customer (a call, a message, a letter, a visit); the text stays in"
      " the audit trail" },
    { "mark_complex", B(ASSIGNED) | B(ACCEPTED) | B(INVESTIGATING) | B(AWAITING_CUSTOMER)
                      | B(REOPENED), LIFECYCLE_SAME, H | SV | C,
      FIELD_TEXT, 0, "complaint.marked_complex",
      "the case is complex (复杂投诉): a solution is due sooner than the decision" },
    { "appraisal_start", B(ACCEPTED) | B(INVESTIGATING) | B(AWAITING_CUSTOMER) | B(REOPENED),
      LIFECYCLE_SAME, SV | C,
      FIELD_REASON | FIELD_TEXT, 0, "complaint.appraisal_started",
      "an external appraisal, testing or valuation (鉴定/检测/评估) starts: its period is"
      " left out of the time limit; the customer is told" },
    { "appraisal_end", B(ACCEPTED) | B(INVESTIGATING) | B(AWAITING_CUSTOMER) | B(REOPENED),
      LIFECYCLE_SAME, SV | C,
      0, FIELD_TEXT, "complaint.appraisal_ended",
      "the appraisal ended: the time limit runs again; the customer is told" },
    { "new_material", B(ACCEPTED) | B(INVESTIGATING) | B(AWAITING_CUSTOMER) | B(REOPENED),
      LIFECYCLE_SAME, H | SV | C,
      FIELD_TEXT, 0, "complaint.new_material",
      "the customer brought new facts and reasons: the period starts again from today" },
    /* The reply back to the body that referred the complaint (对口回复,
     * seed 003_2e13b8f96210a22c.txt; issue 15 §1): the text says what was
     * reported and stays in the trail. Also from closed: the reply back
     * often reports the result. Only a referred case (intake checks
     * complaint.referral_source, error field referral). */
    { "reply_referrer", S_OPEN | B(CLOSED), LIFECYCLE_SAME, H | SV | C,
      FIELD_TEXT, 0, "complaint.referrer_replied",
      "the reply back to the referring body (regulator, association, media) (对口回复)" },
    /* issue 16: a duplicate found after acceptance (design notes) */
    { "merge", B(ASSIGNED) | B(ACCEPTED) | B(INVESTIGATING) | B(AWAITING_CUSTOMER) | B(REOPENED),
      STATE_REJECTED, SV | C,
      FIELD_DUPLICATE_OF, FIELD_TEXT, "complaint.merged",
      "merged into the customer's open case it duplicates (合并处理); the customer is told"
      " to quote that case; the clocks are cancelled" },
    /* issue 16 (i16-vetting): vetting (审核), design notes */
    { "propose", B(ACCEPTED) | B(INVESTIGATING), STATE_PROPOSED, H | SV | C,
      FIELD_TEXT | FIELD_CUSTOMER_TEXT, FIELD_OUTCOME | FIELD_AMOUNT | FIELD_OUTCOMES,
      "complaint.proposed",
      "a proposed resolution, with the answer for the customer, goes to vetting (审核)" },
    { "approve", B(PROPOSED), STATE_RESOLVED, SV | C | M,
      0, FIELD_TEXT, "complaint.resolved",
      "the vetting office approves the proposal: it becomes the decision and goes to the"
      " customer; never the proposer's own" },
    { "return", B(PROPOSED), STATE_INVESTIGATING, SV | C | M,
      FIELD_REASON | FIELD_TEXT, 0, "complaint.proposal_returned",
      "the vetting office sends the proposal back, with the reason (退回重新处理)" },
    /* issue 16 (i16-tasks): cooperating departments' tasks (协办) and
     * rectification (整改); design notes in docs/tasks.md. The lead gives,
     * chases and closes; the cooperating department's staff reply (intake
     * lets SCOPE_COOPERATING take task_reply, and checks the actor belongs
     * to the task's department). None changes the state. */
    { "task_give", S_OPEN & ~B(RECEIVED), LIFECYCLE_SAME, H | SV | C,
      FIELD_DEPARTMENT | FIELD_TEXT | FIELD_DUE, 0, "complaint.task_given",
      "ask a cooperating department for something by a deadline of its own (协办)" },
    { "task_reply", S_OPEN & ~B(RECEIVED), LIFECYCLE_SAME, H | SV | C,
      FIELD_TASK | FIELD_TEXT, 0, "complaint.task_replied",
      "the cooperating department answers its task; the lead department sees the answer" },
    { "task_chase", S_OPEN & ~B(RECEIVED), LIFECYCLE_SAME, H | SV | C,
      FIELD_TASK, FIELD_TEXT, "complaint.task_chased",
      "the lead or the complaint office chases an open task (催办)" },
    { "task_close", S_OPEN & ~B(RECEIVED), LIFECYCLE_SAME, H | SV | C,
      FIELD_TASK, FIELD_TEXT, "complaint.task_closed",
      "the lead closes an open task without waiting for its answer" },
    { "rectify", B(UNDER_REVIEW) | B(CLOSED), LIFECYCLE_SAME, SV | C | M,
      FIELD_DEPARTMENT | FIELD_TEXT | FIELD_DUE, FIELD_OWNER, "complaint.rectification_opened",
      "after a closed case or in a review: a rectification item for a department, tracked to"
      " done (整改)" },
    /* issue 16 (i16-followup): after the answer (docs/followup.md). A
     * call-back attempt is logged whatever its result; `reached` carries
     * the customer's answer as feedback would (satisfied, and a survey
     * score). The determination (有效投诉认定) is the complaint office's,
     * once, after the case ended (intake refuses a second one). */
    { "callback", B(RESOLVED), LIFECYCLE_SAME, H | SV | C,
      FIELD_REASON, FIELD_TEXT | FIELD_SATISFIED | FIELD_SCORE, "complaint.callback_attempted",
      "a call-back attempt (回访): reached (with the customer's answer), no_answer, busy or"
      " wrong_number; the watchdog closes the case as no_answer when the attempts or the"
      " period run out" },
    { "determine", B(CLOSED) | B(REJECTED), LIFECYCLE_SAME, C,
      FIELD_REASON | FIELD_TEXT, 0, "complaint.determined",
      "the valid-complaint determination (有效投诉认定): valid or invalid, with the reason;"
      " once per case" },
};
#define S_NACTIONS (sizeof s_actions / sizeof s_actions [0])

#undef H
#undef SV
#undef C
#undef M

const char *const lifecycle_outcomes [] = {
    "explanation", "error_corrected", "refund", "compensation", "apology",
    "process_change",
    "goodwill",             /* issue 16 (i16-vetting): an extra service, a gesture */
    NULL
};
/* issue 16 (i16-vetting): why the vetting office returns a proposal */
const char *const lifecycle_return_reasons [] = {
    "facts_unverified",     /* the investigation does not support the decision */
    "outcome_inadequate",   /* the remedy does not answer the customer's demand */
    "amount_unjustified",   /* the amount is not explained, or wrong */
    "answer_unclear",       /* the customer_text does not explain the reasons */
    "rules_not_followed",   /* a procedure or regulation was not applied */
    NULL
};
const char *const lifecycle_reject_reasons [] = {
    "duplicate",            /* of an open complaint: duplicate_of names it */
    "in_litigation",        /* already before a court or arbitration */
    "already_decided",      /* answered before, nothing new */
    "not_a_complaint",      /* a question or a suggestion */
    "outside_scope",        /* not this bank's business */
    "unverifiable",         /* no way to identify or reach the customer */
    NULL
};
const char *const lifecycle_close_reasons [] = {
    "satisfied", "no_answer", "review_upheld",
    /* issue 16 (i16-followup): not satisfied, not forced into review */
    "informed_of_routes",       /* told of the other routes (mediation, arbitration, court, the regulator) */
    "referred_mediation", "referred_arbitration", "referred_court",
    NULL
};
/* issue 16 (i16-followup) */
const char *const lifecycle_callback_results [] = {
    "reached", "no_answer", "busy", "wrong_number", NULL
};
const char *const lifecycle_determinations [] = { "valid", "invalid", NULL };
const char *const lifecycle_levels [] = { "branch", "head_office", "regulator", NULL };
const char *const lifecycle_contact_vias [] = {
    "phone", "sms", "email", "letter", "visit", "online", NULL
};
const char *const lifecycle_appraisal_kinds [] = {
    "appraisal",            /* 鉴定 */
    "testing",              /* 检测 */
    "valuation",            /* 评估 */
    NULL
};

/*  Indexed by bit number; a bit without a name is not in use. */
static const char *const s_field_names [FIELD_COUNT_BITS] = {
    [0] = "text", [1] = "outcome", [2] = "amount", [3] = "satisfied", [4] = "department",
    [5] = "level", [6] = "reason", [7] = "duplicate_of",
    [8] = "customer_text", [9] = "outcomes",        /* issue 16 (i16-vetting) */
    /* issue 16 (i16-tasks) */
    [13] = "due", [14] = "task", [15] = "owner",
    [11] = "score",             /* issue 16 (i16-followup) */
};

static const struct {
    staff_role_t role;
    const char *name;
    char letter;                /* in the diagram */
} s_roles [] = {
    { ROLE_HANDLER, "handler", 'H' },
    { ROLE_SUPERVISOR, "supervisor", 'S' },
    { ROLE_COMPLAINT_OFFICE, "complaint_office", 'O' },
    { ROLE_MANAGER, "manager", 'M' },
};

/* Equal, and NULL equals nothing. */
static bool
s_streq (const char *a, const char *b)
{
    return a && b && strcmp (a, b) == 0;
}

static bool
s_equal (const char *name, const char *s, size_t len)
{
    return strlen (name) == len && memcmp (name, s, len) == 0;
}

static int
s_index_of (const char *const *list, const char *s, size_t len)
{
    if (!s)
        return -1;
    for (int i = 0; list [i]; i++)
        if (s_equal (list [i], s, len))
            return i;
    return -1;
}

const char *
lifecycle_state_name (case_state_t state)
{
    return state < STATE_COUNT ? s_state_names [state] : "?";
}

int
lifecycle_state_parse (const char *name, size_t len, case_state_t *state)
{
    for (int i = 0; i < STATE_COUNT; i++)
        if (name && s_equal (s_state_names [i], name, len)) {
            *state = (case_state_t) i;
            return 0;
        }
    return -1;
}

bool
lifecycle_state_open (case_state_t state)
{
    return (S_OPEN & STATE_BIT (state)) != 0;
}

const lifecycle_next_step_t *
lifecycle_next_step (case_state_t state)
{
    return state < STATE_COUNT ? &s_next_steps [state] : NULL;
}

const char *
lifecycle_role_name (staff_role_t role)
{
    for (size_t i = 0; i < sizeof s_roles / sizeof s_roles [0]; i++)
        if (s_roles [i].role == role)
            return s_roles [i].name;
    return "?";
}

int
lifecycle_role_parse (const char *name, size_t len, staff_role_t *role)
{
    for (size_t i = 0; i < sizeof s_roles / sizeof s_roles [0]; i++)
        if (name && s_equal (s_roles [i].name, name, len)) {
            *role = s_roles [i].role;
            return 0;
        }
    return -1;
}

const lifecycle_action_t *
lifecycle_action (const char *name, size_t len)
{
    for (size_t i = 0; i < S_NACTIONS; i++)
        if (name && s_equal (s_actions [i].name, name, len))
            return &s_actions [i];
    return NULL;
}

const lifecycle_action_t *
lifecycle_actions (size_t *count)
{
    *count = S_NACTIONS;
    return s_actions;
}

const char *
lifecycle_field_name (action_field_t field)
{
    for (int i = 0; i < FIELD_COUNT_BITS; i++)
        if (field == (action_field_t) (1u << i))
            return s_field_names [i] ? s_field_names [i] : "?";
    return "?";
}

/* The one action whose target depends on the state it starts from (see
 * lifecycle_target): kept out of the table's columns, which every row
 * would otherwise have to fill. */
static bool
s_resumes (const lifecycle_action_t *action)
{
    return s_streq (action->name, "new_material");
}

bool
lifecycle_allows (const lifecycle_action_t *action, case_state_t state)
{
    assert (action);
    return state < STATE_COUNT && (action->from & STATE_BIT (state)) != 0;
}

case_state_t
lifecycle_target (const lifecycle_action_t *action, case_state_t state)
{
    assert (action);
    if (s_resumes (action) && state == STATE_AWAITING_CUSTOMER)
        return STATE_INVESTIGATING;
    return action->to == LIFECYCLE_SAME ? state : action->to;
}

bool
lifecycle_outcome_valid (const char *s, size_t len)
{
    return s_index_of (lifecycle_outcomes, s, len) >= 0;
}

bool
lifecycle_outcome_needs_amount (const char *outcome)
{
    return outcome && (s_streq (outcome, "refund") || s_streq (outcome, "compensation"));
}

const char *
lifecycle_outcome_cfpb (const char *outcome)
{
    if (!outcome)
        return NULL;
    if (s_streq (outcome, "explanation"))
        return "Closed with explanation";
    if (lifecycle_outcome_needs_amount (outcome))
        return "Closed with monetary relief";
    return "Closed with non-monetary relief";
}

bool
lifecycle_reject_reason_valid (const char *s, size_t len)
{
    return s_index_of (lifecycle_reject_reasons, s, len) >= 0;
}

const char *
lifecycle_decision_cfpb (const char *outcome, bool amount_granted)
{
    if (outcome && amount_granted)
        return "Closed with monetary relief";
    return lifecycle_outcome_cfpb (outcome);
}

bool
lifecycle_return_reason_valid (const char *s, size_t len)
{
    return s_index_of (lifecycle_return_reasons, s, len) >= 0;
}

bool
lifecycle_close_reason_valid (const char *s, size_t len)
{
    return s_index_of (lifecycle_close_reasons, s, len) >= 0;
}

bool
lifecycle_contact_via_valid (const char *s, size_t len)
{
    return s_index_of (lifecycle_contact_vias, s, len) >= 0;
}

bool
lifecycle_appraisal_kind_valid (const char *s, size_t len)
{
    return s_index_of (lifecycle_appraisal_kinds, s, len) >= 0;
}

int
lifecycle_level_rank (const char *s, size_t len)
{
    return s_index_of (lifecycle_levels, s, len);
}

const char *
lifecycle_extend_stage (case_state_t state)
{
    return state == STATE_UNDER_REVIEW ? "review" : "resolution";
}

int
lifecycle_role_rank (staff_role_t role)
{
    switch (role) {
        case ROLE_SUPERVISOR:       return 1;
        case ROLE_COMPLAINT_OFFICE: return 2;
        case ROLE_MANAGER:          return 3;
        default:                    return 0;
    }
}

bool
lifecycle_is_ancestor (const char *ancestor_path, const char *path)
{
    if (!ancestor_path || !path || !*ancestor_path)
        return false;
    size_t n = strlen (ancestor_path);
    return strlen (path) > n && strncmp (path, ancestor_path, n) == 0
        && ancestor_path [n - 1] == '/';
}

bool
lifecycle_independent_reviewer (const lifecycle_actor_t *actor, const char *decided,
                                const char *decided_path)
{
    assert (actor);
    if (!actor->department || (decided && strcmp (actor->department, decided) == 0))
        return false;           /* never the deciding department */
    if (actor->role == ROLE_COMPLAINT_OFFICE || s_streq (actor->kind, "complaint_office"))
        return true;
    return (actor->role == ROLE_SUPERVISOR || actor->role == ROLE_MANAGER)
        && lifecycle_is_ancestor (actor->path, decided_path);
}

bool
lifecycle_superior (const lifecycle_actor_t *actor, const char *case_path)
{
    assert (actor);
    return actor->role == ROLE_MANAGER
        && (s_streq (actor->kind, "head_office") || lifecycle_is_ancestor (actor->path, case_path));
}

/* issue 16 (i16-vetting): the actions that carry a decision's outcomes */
static bool
s_decides (const lifecycle_action_t *action)
{
    return s_streq (action->name, "resolve") || s_streq (action->name, "propose");
}

/* issue 16 (i16-followup) */
bool
lifecycle_close_not_satisfied (const char *reason)
{
    return s_streq (reason, "informed_of_routes") || (reason && strncmp (reason, "referred_", 9) == 0
                                                      && lifecycle_close_reason_valid (reason, strlen (reason)));
}

/*  issue 16 (i16-followup): callback and determine. A call-back that
 *  reached the customer records their answer (satisfied required, a score
 *  allowed); any other result has no answer to record. 0: go on. */
static int
s_check_followup (const lifecycle_action_t *action, const lifecycle_fields_t *f,
                  proto_error_t *err)
{
    if (s_streq (action->name, "callback")) {
        if (s_index_of (lifecycle_callback_results, f->reason,
                        f->reason ? strlen (f->reason) : 0) < 0) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "reason",
                             "reason must be one of reached, no_answer, busy, wrong_number "
                             "(the call-back attempt's result)");
            return -1;
        }
        bool reached = s_streq (f->reason, "reached");
        if (reached && !(f->present & FIELD_SATISFIED)) {
            proto_error_set (err, PROTO_E_MISSING_FIELD, "satisfied",
                             "a call-back that reached the customer records their answer: "
                             "satisfied yes or no");
            return -1;
        }
        if (!reached && (f->present & (FIELD_SATISFIED | FIELD_SCORE))) {
            proto_error_set (err, PROTO_E_INVALID_FIELD,
                             f->present & FIELD_SATISFIED ? "satisfied" : "score",
                             "only a call-back that reached the customer has their answer");
            return -1;
        }
    }
    if (s_streq (action->name, "determine")
    &&  s_index_of (lifecycle_determinations, f->reason, f->reason ? strlen (f->reason) : 0) < 0) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "reason",
                         "reason must be valid or invalid (有效投诉认定)");
        return -1;
    }
    return 0;
}

/*  The value rules: what the table's field lists cannot say. Each refusal
 *  names the field, so the person at the desk knows what to fix. */
int
lifecycle_check (const lifecycle_action_t *action, const lifecycle_fields_t *f,
                 const lifecycle_case_t *kase, proto_error_t *err)
{
    assert (action && f && kase && err);
    for (int i = 0; i < FIELD_COUNT_BITS; i++) {
        unsigned bit = 1u << i;
        if ((action->required & bit) && !(f->present & bit)) {
            proto_error_set (err, PROTO_E_MISSING_FIELD, s_field_names [i],
                             "%s is required to %s a case", s_field_names [i], action->name);
            return -1;
        }
        if ((f->present & bit) && !((action->required | action->optional) & bit)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, s_field_names [i],
                             "%s does not apply to the action %s", s_field_names [i], action->name);
            return -1;
        }
    }
    if (f->outcome && !lifecycle_outcome_valid (f->outcome, strlen (f->outcome))) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "outcome",
                         "outcome must be one of explanation, error_corrected, refund, "
                         "compensation, apology, process_change, goodwill");
        return -1;
    }
    /* issue 16 (i16-vetting): a decision has one outcome or several */
    if (s_decides (action)) {
        if (!(f->present & (FIELD_OUTCOME | FIELD_OUTCOMES))) {
            proto_error_set (err, PROTO_E_MISSING_FIELD, "outcome",
                             "outcome (or outcomes) is required to %s a case", action->name);
            return -1;
        }
        if ((f->present & FIELD_OUTCOMES) && (f->present & (FIELD_OUTCOME | FIELD_AMOUNT))) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "outcomes",
                             "give outcome and amount, or outcomes (each with its amount), "
                             "not both");
            return -1;
        }
    }
    if (s_streq (action->name, "return")
    &&  !lifecycle_return_reason_valid (f->reason, f->reason ? strlen (f->reason) : 0)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "reason",
                         "reason must be one of facts_unverified, outcome_inadequate, "
                         "amount_unjustified, answer_unclear, rules_not_followed");
        return -1;
    }
    if (lifecycle_outcome_needs_amount (f->outcome) && !f->has_amount) {
        proto_error_set (err, PROTO_E_MISSING_FIELD, "amount",
                         "a %s needs the amount paid to the customer", f->outcome);
        return -1;
    }
    if (s_streq (action->name, "reject")) {
        if (!lifecycle_reject_reason_valid (f->reason, f->reason ? strlen (f->reason) : 0)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "reason",
                             "reason must be one of duplicate, in_litigation, already_decided, "
                             "not_a_complaint, outside_scope, unverifiable");
            return -1;
        }
        bool duplicate = s_streq (f->reason, "duplicate");
        if (duplicate && !(f->present & FIELD_DUPLICATE_OF)) {
            proto_error_set (err, PROTO_E_MISSING_FIELD, "duplicate_of",
                             "a duplicate must name the complaint it duplicates");
            return -1;
        }
        if (!duplicate && (f->present & FIELD_DUPLICATE_OF)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "duplicate_of",
                             "duplicate_of applies only to the reason duplicate");
            return -1;
        }
    }
    if (s_streq (action->name, "close")) {
        if (!lifecycle_close_reason_valid (f->reason, f->reason ? strlen (f->reason) : 0)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "reason",
                             "reason must be one of satisfied, no_answer, review_upheld, "
                             "informed_of_routes, referred_mediation, referred_arbitration, "
                             "referred_court");
            return -1;
        }
        bool under_review = kase->state == STATE_UNDER_REVIEW;
        if (s_streq (f->reason, "review_upheld") != under_review) {
            proto_error_set (err, PROTO_E_INVALID_TRANSITION, "reason",
                             under_review ? "a case under review closes only as review_upheld"
                                          : "review_upheld applies only to a case under review");
            return -1;
        }
        if (s_streq (f->reason, "satisfied") && kase->recorded_satisfied != 1) {
            proto_error_set (err, PROTO_E_INVALID_TRANSITION, "reason",
                             "closing as satisfied needs a satisfied feedback on record");
            return -1;
        }
        /* issue 16 (i16-followup): the other routes are for a customer
         * who said they are not satisfied */
        if (lifecycle_close_not_satisfied (f->reason) && kase->recorded_satisfied != 0) {
            proto_error_set (err, PROTO_E_INVALID_TRANSITION, "reason",
                             "closing as %s needs a not-satisfied answer on record "
                             "(feedback or callback)", f->reason);
            return -1;
        }
        if (s_streq (f->reason, "no_answer") && kase->recorded_satisfied != -1) {
            proto_error_set (err, PROTO_E_INVALID_TRANSITION, "reason",
                             "the customer answered the call-back: close as satisfied, "
                             "or open a review");
            return -1;
        }
    }
    if (s_streq (action->name, "contact")
    &&  !lifecycle_contact_via_valid (f->reason, f->reason ? strlen (f->reason) : 0)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "reason",
                         "reason must be one of phone, sms, email, letter, visit, online "
                         "(how the customer was reached)");
        return -1;
    }
    if (s_streq (action->name, "mark_complex") && kase->complex) {
        proto_error_set (err, PROTO_E_INVALID_TRANSITION, "action",
                         "the case is already marked complex");
        return -1;
    }
    if (s_streq (action->name, "appraisal_start")) {
        if (!lifecycle_appraisal_kind_valid (f->reason, f->reason ? strlen (f->reason) : 0)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "reason",
                             "reason must be one of appraisal, testing, valuation "
                             "(鉴定/检测/评估)");
            return -1;
        }
        if (kase->appraisal_open) {
            proto_error_set (err, PROTO_E_INVALID_TRANSITION, "action",
                             "an appraisal is already open: end it first (appraisal_end)");
            return -1;
        }
    }
    if (s_check_followup (action, f, err))          /* issue 16 (i16-followup) */
        return -1;
    if (s_streq (action->name, "appraisal_end") && !kase->appraisal_open) {
        proto_error_set (err, PROTO_E_INVALID_TRANSITION, "action",
                         "no appraisal is open: start one first (appraisal_start)");
        return -1;
    }
    /* after closure the review request is itself the customer's word */
    if (s_streq (action->name, "review") && kase->state == STATE_RESOLVED
    &&  kase->recorded_satisfied == 1) {
        proto_error_set (err, PROTO_E_INVALID_TRANSITION, "action",
                         "the customer said they were satisfied; record new feedback first");
        return -1;
    }
    if (s_streq (action->name, "escalate")) {
        int to = lifecycle_level_rank (f->level, f->level ? strlen (f->level) : 0);
        int now = lifecycle_level_rank (kase->level, kase->level ? strlen (kase->level) : 0);
        if (to < 1) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "level",
                             "level must be head_office or regulator");
            return -1;
        }
        if (to <= now) {
            proto_error_set (err, PROTO_E_INVALID_TRANSITION, "level",
                             "the case is already at level %s", kase->level);
            return -1;
        }
    }
    return 0;
}

static void
s_print_roles (FILE *out, unsigned roles)
{
    for (size_t i = 0; i < sizeof s_roles / sizeof s_roles [0]; i++)
        if (roles & s_roles [i].role)
            fputc (s_roles [i].letter, out);
}

/*  One edge per (action, source state), grouped by the target; an action
 *  that leaves the state alone is drawn as a loop. Labels carry the roles
 *  (H handler, S supervisor, O complaint office, M manager) so the drawing
 *  alone says who may do what. */
/* accept and resolve, by their place in the table (the self-test checks
 * the names): constant, so every writer thread may read it. */
static const lifecycle_action_t *const s_first_contact [] = { &s_actions [0], &s_actions [5] };

const lifecycle_action_t *const *
lifecycle_first_contact (size_t *count)
{
    if (count)
        *count = sizeof s_first_contact / sizeof s_first_contact [0];
    return s_first_contact;
}

unsigned
lifecycle_first_contact_roles (void)
{
    const lifecycle_action_t *const *steps = lifecycle_first_contact (NULL);
    return steps [0]->roles & steps [1]->roles;
}

void
lifecycle_print_dot (FILE *out)
{
    fprintf (out,
        "// docs/lifecycle.dot: printed by `complaintctl lifecycle --dot` from\n"
        "// proto/lifecycle.c; do not edit by hand (tests/run.sh checks it).\n"
        "digraph lifecycle {\n"
        "    rankdir=LR;\n"
        "    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
        "    edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (int s = 0; s < STATE_COUNT; s++)
        fprintf (out, "    %s%s;\n", s_state_names [s],
                 lifecycle_state_open ((case_state_t) s) ? "" : " [peripheries=2]");
    fprintf (out, "    any_open [shape=plaintext, label=\"any open state\"];\n");
    fprintf (out, "    received -> assigned [label=\"router\", style=dashed];\n");
    fprintf (out, "    received -> resolved [label=\"first contact: accept + resolve (");
    s_print_roles (out, lifecycle_first_contact_roles ());
    fprintf (out, ")\", style=dashed];\n");
    for (size_t a = 0; a < S_NACTIONS; a++) {
        const lifecycle_action_t *act = &s_actions [a];
        for (int s = 0; s < STATE_COUNT; s++) {
            if (!(act->from & STATE_BIT (s)))
                continue;
            /* a loop on every open state would drown the picture: loops
             * for note, escalate and feedback are listed in the legend */
            if (act->to == LIFECYCLE_SAME) {
                if (s_resumes (act) && s == STATE_AWAITING_CUSTOMER) {
                    fprintf (out, "    %s -> %s [label=\"%s (", s_state_names [s],
                             s_state_names [STATE_INVESTIGATING], act->name);
                    s_print_roles (out, act->roles);
                    fprintf (out, ")\"];\n");
                }
                continue;
            }
            /* an action open to every open state is one edge from "any" */
            bool from_any = act->from == S_OPEN;
            if (from_any && s != STATE_RECEIVED)
                continue;
            fprintf (out, "    %s -> %s [label=\"%s (", from_any ? "any_open" : s_state_names [s],
                     s_state_names [act->to], act->name);
            s_print_roles (out, act->roles);
            fprintf (out, ")\"];\n");
        }
    }
    fprintf (out, "    legend [shape=note, label=\"");
    const char *sep = "";
    for (size_t a = 0; a < S_NACTIONS; a++) {
        const lifecycle_action_t *act = &s_actions [a];
        if (act->to != LIFECYCLE_SAME)
            continue;
        fprintf (out, "%s%s (", sep, act->name);
        s_print_roles (out, act->roles);
        fprintf (out, s_resumes (act) ? "): keeps the state, but resumes awaiting_customer"
                                   : "): keeps the state");
        sep = "\\l";
    }
    fprintf (out, "\\lH handler, S supervisor, O complaint office, M manager\\l"
                  "double border: final state\\l\"];\n}\n");
}

#include "selftest.h"

void
lifecycle_test (bool verbose)
{
    if (verbose)
        printf (" * lifecycle: ");
    /* every state says what comes next; only a final state says "none" */
    for (int s = 0; s < STATE_COUNT; s++) {
        const lifecycle_next_step_t *next = lifecycle_next_step ((case_state_t) s);
        assert (next && next->code && next->text && *next->text);
        assert (lifecycle_state_open ((case_state_t) s) == (strcmp (next->code, "none") != 0));
    }
    assert (!lifecycle_next_step (STATE_COUNT));
    /* first contact: accept then resolve, which a handler may both take,
     * ending resolved; accept does not start from received in the table
     * (only the first-contact path takes it there) */
    {
        size_t n = 0;
        const lifecycle_action_t *const *fc = lifecycle_first_contact (&n);
        assert (n == 2 && strcmp (fc [0]->name, "accept") == 0
                && strcmp (fc [1]->name, "resolve") == 0);
        assert (lifecycle_target (fc [0], STATE_RECEIVED) == STATE_ACCEPTED);
        assert (lifecycle_allows (fc [1], STATE_ACCEPTED)
                && lifecycle_target (fc [1], STATE_ACCEPTED) == STATE_RESOLVED);
        assert (!lifecycle_allows (fc [0], STATE_RECEIVED));
        assert (lifecycle_first_contact_roles () & ROLE_HANDLER);
        assert (!(lifecycle_first_contact_roles () & ROLE_MANAGER));
    }
    /* names round-trip */
    for (int s = 0; s < STATE_COUNT; s++) {
        case_state_t back;
        const char *name = lifecycle_state_name ((case_state_t) s);
        assert (lifecycle_state_parse (name, strlen (name), &back) == 0 && (int) back == s);
    }
    case_state_t st;
    assert (lifecycle_state_parse ("resolvedx", 9, &st) == -1);
    assert (lifecycle_state_parse ("resolvedx", 8, &st) == 0 && st == STATE_RESOLVED);
    staff_role_t role;
    assert (lifecycle_role_parse ("complaint_office", 16, &role) == 0
            && role == ROLE_COMPLAINT_OFFICE);
    assert (lifecycle_role_parse ("boss", 4, &role) == -1);

    /* the table is well formed: unique names, a source, an event, no
     * field both required and optional, no action out of a final state */
    for (size_t a = 0; a < S_NACTIONS; a++) {
        const lifecycle_action_t *act = &s_actions [a];
        assert (lifecycle_action (act->name, strlen (act->name)) == act);
        assert (act->from && act->roles && act->event && act->summary);
        assert ((act->required & act->optional) == 0);
        /* out of a final state only to closed's follow-ups: review (a
         * closed case's customer may still ask for one, within the window:
         * intake) and those that keep it closed (reply_referrer) */
        assert ((act->from & ~S_OPEN) == 0
                || ((act->from & ~(S_OPEN | B(CLOSED))) == 0
                    && (act->to == LIFECYCLE_SAME || s_streq (act->name, "review")))
                /* issue 16 (i16-followup): the determination records a
                 * fact about an ended case and keeps its state */
                || (s_streq (act->name, "determine") && act->to == LIFECYCLE_SAME
                    && (act->from & ~(B(CLOSED) | B(REJECTED))) == 0));
        assert (strncmp (act->event, "complaint.", 10) == 0);
    }
    assert (lifecycle_action ("fly", 3) == NULL);

    /* every state is reachable from received, and every open state has a
     * way out to a final state */
    uint32_t reached = B(RECEIVED) | B(ASSIGNED);   /* the router's step */
    for (int round = 0; round < STATE_COUNT; round++)
        for (size_t a = 0; a < S_NACTIONS; a++)
            if ((s_actions [a].from & reached) && s_actions [a].to != LIFECYCLE_SAME)
                reached |= STATE_BIT (s_actions [a].to);
    assert (reached == (1u << STATE_COUNT) - 1);
    for (int s = 0; s < STATE_COUNT; s++) {
        if (!lifecycle_state_open ((case_state_t) s))
            continue;
        bool exits = false;
        for (size_t a = 0; a < S_NACTIONS; a++)
            exits |= (s_actions [a].from & STATE_BIT (s)) && s_actions [a].to != LIFECYCLE_SAME;
        assert (exits);
    }

    /* the rules */
    const lifecycle_action_t *reject = lifecycle_action ("reject", 6);
    assert (lifecycle_allows (reject, STATE_ASSIGNED));
    assert (!lifecycle_allows (reject, STATE_ACCEPTED));     /* only before acceptance */
    const lifecycle_action_t *resolve = lifecycle_action ("resolve", 7);
    assert (!lifecycle_allows (resolve, STATE_ASSIGNED));
    assert (lifecycle_target (resolve, STATE_INVESTIGATING) == STATE_RESOLVED);
    const lifecycle_action_t *note = lifecycle_action ("note", 4);
    assert (lifecycle_target (note, STATE_AWAITING_CUSTOMER) == STATE_AWAITING_CUSTOMER);
    assert (!lifecycle_allows (note, STATE_CLOSED));
    assert (!(lifecycle_action ("reopen", 6)->roles & ROLE_HANDLER));

    lifecycle_case_t kase = { .state = STATE_INVESTIGATING,
                              .level = "branch", .recorded_satisfied = -1 };
    proto_error_t err = { 0 };
    lifecycle_fields_t f = { FIELD_TEXT | FIELD_OUTCOME, "refund", NULL, NULL, false, -1 };
    assert (lifecycle_check (resolve, &f, &kase, &err) == -1);
    assert (s_streq (err.code, PROTO_E_MISSING_FIELD) && s_streq (err.field, "amount"));
    f.present |= FIELD_AMOUNT;
    f.has_amount = true;
    assert (lifecycle_check (resolve, &f, &kase, &err) == 0);
    f.outcome = "bribe";
    assert (lifecycle_check (resolve, &f, &kase, &err) == -1 && s_streq (err.field, "outcome"));
    f = (lifecycle_fields_t) { FIELD_OUTCOME, "apology", NULL, NULL, false, -1 };
    assert (lifecycle_check (resolve, &f, &kase, &err) == -1 && s_streq (err.field, "text"));
    f = (lifecycle_fields_t) { FIELD_TEXT | FIELD_REASON, NULL, "duplicate", NULL, false, -1 };
    assert (lifecycle_check (reject, &f, &kase, &err) == -1 && s_streq (err.field, "duplicate_of"));
    f.present |= FIELD_DUPLICATE_OF;
    assert (lifecycle_check (reject, &f, &kase, &err) == 0);
    f.present |= FIELD_LEVEL;
    assert (lifecycle_check (reject, &f, &kase, &err) == -1 && s_streq (err.field, "level"));
    /* issue 16: merge after acceptance, never from a final state or by a
     * handler; duplicate_of required, a reason refused */
    const lifecycle_action_t *merge = lifecycle_action ("merge", 5);
    assert (lifecycle_target (merge, STATE_INVESTIGATING) == STATE_REJECTED);
    assert (lifecycle_allows (merge, STATE_ACCEPTED) && lifecycle_allows (merge, STATE_REOPENED));
    assert (!lifecycle_allows (merge, STATE_RECEIVED) && !lifecycle_allows (merge, STATE_CLOSED)
            && !lifecycle_allows (merge, STATE_RESOLVED));
    assert (!(merge->roles & ROLE_HANDLER) && (merge->roles & ROLE_SUPERVISOR));
    f = (lifecycle_fields_t) { FIELD_TEXT, NULL, NULL, NULL, false, -1 };
    assert (lifecycle_check (merge, &f, &kase, &err) == -1 && s_streq (err.field, "duplicate_of"));
    f.present |= FIELD_DUPLICATE_OF;
    assert (lifecycle_check (merge, &f, &kase, &err) == 0);
    f.present |= FIELD_REASON;
    f.reason = "merged";
    assert (lifecycle_check (merge, &f, &kase, &err) == -1 && s_streq (err.field, "reason"));
    assert (!lifecycle_reject_reason_valid ("merged", 6));     /* `reject` cannot give it */

    const lifecycle_action_t *close_ = lifecycle_action ("close", 5);
    kase = (lifecycle_case_t) { .state = STATE_RESOLVED,
                                .level = "branch", .recorded_satisfied = -1 };
    f = (lifecycle_fields_t) { FIELD_REASON, NULL, "satisfied", NULL, false, -1 };
    assert (lifecycle_check (close_, &f, &kase, &err) == -1
            && s_streq (err.code, PROTO_E_INVALID_TRANSITION));
    kase.recorded_satisfied = 1;
    assert (lifecycle_check (close_, &f, &kase, &err) == 0);
    f.reason = "review_upheld";
    assert (lifecycle_check (close_, &f, &kase, &err) == -1);
    kase.state = STATE_UNDER_REVIEW;
    assert (lifecycle_check (close_, &f, &kase, &err) == 0);

    const lifecycle_action_t *escalate = lifecycle_action ("escalate", 8);
    kase = (lifecycle_case_t) { .state = STATE_INVESTIGATING,
                                .level = "head_office", .recorded_satisfied = -1 };
    f = (lifecycle_fields_t) { FIELD_LEVEL | FIELD_TEXT, NULL, NULL, "head_office", false, -1 };
    assert (lifecycle_check (escalate, &f, &kase, &err) == -1
            && s_streq (err.code, PROTO_E_INVALID_TRANSITION));
    f.level = "regulator";
    assert (lifecycle_check (escalate, &f, &kase, &err) == 0);
    f.level = "branch";
    assert (lifecycle_check (escalate, &f, &kase, &err) == -1 && s_streq (err.field, "level"));

    /* extend: the deadline of the stage the case is in, approved by a
     * supervisor or above, with a reason; the state stays */
    const lifecycle_action_t *extend = lifecycle_action ("extend", 6);
    assert (extend && s_streq (extend->event, "complaint.extended"));
    assert (!(extend->roles & ROLE_HANDLER)
            && (extend->roles & (ROLE_SUPERVISOR | ROLE_COMPLAINT_OFFICE | ROLE_MANAGER))
               == (ROLE_SUPERVISOR | ROLE_COMPLAINT_OFFICE | ROLE_MANAGER));
    assert (lifecycle_allows (extend, STATE_AWAITING_CUSTOMER));
    assert (lifecycle_allows (extend, STATE_UNDER_REVIEW));
    assert (!lifecycle_allows (extend, STATE_RECEIVED) && !lifecycle_allows (extend, STATE_RESOLVED)
            && !lifecycle_allows (extend, STATE_CLOSED));
    assert (lifecycle_target (extend, STATE_REOPENED) == STATE_REOPENED);
    assert (s_streq (lifecycle_extend_stage (STATE_INVESTIGATING), "resolution"));
    assert (s_streq (lifecycle_extend_stage (STATE_UNDER_REVIEW), "review"));
    kase = (lifecycle_case_t) { .state = STATE_INVESTIGATING,
                                .level = "branch", .recorded_satisfied = -1 };
    f = (lifecycle_fields_t) { 0, NULL, NULL, NULL, false, -1 };
    assert (lifecycle_check (extend, &f, &kase, &err) == -1 && s_streq (err.field, "text")
            && s_streq (err.code, PROTO_E_MISSING_FIELD));
    f.present = FIELD_TEXT;
    assert (lifecycle_check (extend, &f, &kase, &err) == 0);
    f.present |= FIELD_LEVEL;
    assert (lifecycle_check (extend, &f, &kase, &err) == -1 && s_streq (err.field, "level"));
    assert (lifecycle_role_rank (ROLE_HANDLER) < lifecycle_role_rank (ROLE_SUPERVISOR)
            && lifecycle_role_rank (ROLE_SUPERVISOR) < lifecycle_role_rank (ROLE_COMPLAINT_OFFICE)
            && lifecycle_role_rank (ROLE_COMPLAINT_OFFICE) < lifecycle_role_rank (ROLE_MANAGER));

    /* issue 15: the actions the deadlines are measured by */
    const lifecycle_action_t *contact = lifecycle_action ("contact", 7);
    assert (contact && s_streq (contact->event, "complaint.contacted"));
    assert (lifecycle_allows (contact, STATE_RESOLVED) && lifecycle_allows (contact, STATE_ASSIGNED)
            && !lifecycle_allows (contact, STATE_RECEIVED)
            && !lifecycle_allows (contact, STATE_CLOSED));
    assert (lifecycle_target (contact, STATE_AWAITING_CUSTOMER) == STATE_AWAITING_CUSTOMER);
    kase = (lifecycle_case_t) { .state = STATE_ASSIGNED,
                                .level = "branch", .recorded_satisfied = -1 };
    f = (lifecycle_fields_t) { FIELD_REASON, NULL, "phone", NULL, false, -1 };
    assert (lifecycle_check (contact, &f, &kase, &err) == -1 && s_streq (err.field, "text"));
    f.present |= FIELD_TEXT;
    assert (lifecycle_check (contact, &f, &kase, &err) == 0);
    f.reason = "pigeon";
    assert (lifecycle_check (contact, &f, &kase, &err) == -1 && s_streq (err.field, "reason")
            && s_streq (err.code, PROTO_E_INVALID_FIELD));
    const lifecycle_action_t *complex = lifecycle_action ("mark_complex", 12);
    f = (lifecycle_fields_t) { FIELD_TEXT, NULL, NULL, NULL, false, -1 };
    assert (lifecycle_check (complex, &f, &kase, &err) == 0);
    kase.complex = true;
    assert (lifecycle_check (complex, &f, &kase, &err) == -1
            && s_streq (err.code, PROTO_E_INVALID_TRANSITION));
    const lifecycle_action_t *astart = lifecycle_action ("appraisal_start", 15);
    const lifecycle_action_t *aend = lifecycle_action ("appraisal_end", 13);
    assert (!(astart->roles & ROLE_HANDLER) && !(aend->roles & ROLE_HANDLER));
    kase = (lifecycle_case_t) { .state = STATE_INVESTIGATING,
                                .level = "branch", .recorded_satisfied = -1 };
    f = (lifecycle_fields_t) { FIELD_REASON | FIELD_TEXT, NULL, "testing", NULL, false, -1 };
    assert (lifecycle_check (astart, &f, &kase, &err) == 0);
    f.reason = "guess";
    assert (lifecycle_check (astart, &f, &kase, &err) == -1 && s_streq (err.field, "reason"));
    f.reason = "valuation";
    kase.appraisal_open = true;
    assert (lifecycle_check (astart, &f, &kase, &err) == -1
            && s_streq (err.code, PROTO_E_INVALID_TRANSITION));
    f = (lifecycle_fields_t) { 0, NULL, NULL, NULL, false, -1 };
    assert (lifecycle_check (aend, &f, &kase, &err) == 0);
    kase.appraisal_open = false;
    assert (lifecycle_check (aend, &f, &kase, &err) == -1
            && s_streq (err.code, PROTO_E_INVALID_TRANSITION));
    const lifecycle_action_t *material = lifecycle_action ("new_material", 12);
    assert (lifecycle_target (material, STATE_AWAITING_CUSTOMER) == STATE_INVESTIGATING);
    assert (lifecycle_target (material, STATE_REOPENED) == STATE_REOPENED);
    assert (lifecycle_target (material, STATE_INVESTIGATING) == STATE_INVESTIGATING);
    assert (!lifecycle_allows (material, STATE_RESOLVED));

    /* issue 15: review from closed, escalation after a resolution, who
     * decides a review and who approves as `superior` */
    const lifecycle_action_t *review = lifecycle_action ("review", 6);
    assert (lifecycle_allows (review, STATE_CLOSED) && lifecycle_allows (review, STATE_RESOLVED)
            && !lifecycle_allows (review, STATE_REJECTED));
    assert (lifecycle_target (review, STATE_CLOSED) == STATE_UNDER_REVIEW);
    kase = (lifecycle_case_t) { .state = STATE_CLOSED, .level = "branch",
                                .recorded_satisfied = 1 };
    f = (lifecycle_fields_t) { FIELD_TEXT, NULL, NULL, NULL, false, -1 };
    assert (lifecycle_check (review, &f, &kase, &err) == 0);
    kase.state = STATE_RESOLVED;
    assert (lifecycle_check (review, &f, &kase, &err) == -1);
    assert (lifecycle_allows (escalate, STATE_RESOLVED)
            && !lifecycle_allows (escalate, STATE_RECEIVED));
    assert (lifecycle_is_ancestor ("/h/", "/h/b/") && !lifecycle_is_ancestor ("/h/b/", "/h/b/")
            && !lifecycle_is_ancestor ("/h/b/", "/h/bx/o/")
            && lifecycle_is_ancestor ("/h/b/", "/h/b/o/")
            && !lifecycle_is_ancestor (NULL, "/h/") && !lifecycle_is_ancestor ("", "/h/"));
    static const struct {
        staff_role_t role;
        const char *department, *path, *kind;
        bool reviews, superior;
    } people [] = {     /* the decision: outlet o of branch b of head office h */
        { ROLE_HANDLER, "o", "/h/b/o/", "outlet", false, false },
        { ROLE_SUPERVISOR, "o", "/h/b/o/", "outlet", false, false },
        { ROLE_MANAGER, "o", "/h/b/o/", "outlet", false, false },
        { ROLE_HANDLER, "b", "/h/b/", "branch", false, false },
        { ROLE_SUPERVISOR, "b", "/h/b/", "branch", true, false },
        { ROLE_MANAGER, "b", "/h/b/", "branch", true, true },
        { ROLE_SUPERVISOR, "b2", "/h/b2/", "branch", false, false },
        { ROLE_MANAGER, "b2", "/h/b2/", "branch", false, false },
        { ROLE_COMPLAINT_OFFICE, "co", "/h/co/", "complaint_office", true, false },
        { ROLE_SUPERVISOR, "co", "/h/co/", "complaint_office", true, false },
        { ROLE_MANAGER, "h", "/h/", "head_office", true, true },
    };
    for (size_t i = 0; i < sizeof people / sizeof people [0]; i++) {
        lifecycle_actor_t who = { people [i].role, people [i].department, people [i].path,
                                  people [i].kind };
        assert (lifecycle_independent_reviewer (&who, "o", "/h/b/o/") == people [i].reviews);
        assert (lifecycle_superior (&who, "/h/b/o/") == people [i].superior);
    }
    /* the complaint office may not review its own decision */
    lifecycle_actor_t officer = { ROLE_COMPLAINT_OFFICE, "co", "/h/co/", "complaint_office" };
    assert (!lifecycle_independent_reviewer (&officer, "co", "/h/co/"));

    /* reply_referrer: text required, any open state and closed, the state
     * stays; never from rejected or withdrawn */
    const lifecycle_action_t *reply_referrer = lifecycle_action ("reply_referrer", 14);
    assert (reply_referrer && s_streq (reply_referrer->event, "complaint.referrer_replied"));
    assert (lifecycle_allows (reply_referrer, STATE_CLOSED)
            && lifecycle_allows (reply_referrer, STATE_RESOLVED)
            && lifecycle_allows (reply_referrer, STATE_RECEIVED)
            && !lifecycle_allows (reply_referrer, STATE_REJECTED)
            && !lifecycle_allows (reply_referrer, STATE_WITHDRAWN));
    assert (lifecycle_target (reply_referrer, STATE_CLOSED) == STATE_CLOSED);
    assert (!(reply_referrer->roles & ROLE_MANAGER));
    kase = (lifecycle_case_t) { .state = STATE_CLOSED, .level = "branch",
                                .recorded_satisfied = 1 };
    f = (lifecycle_fields_t) { 0, NULL, NULL, NULL, false, -1 };
    assert (lifecycle_check (reply_referrer, &f, &kase, &err) == -1
            && s_streq (err.field, "text") && s_streq (err.code, PROTO_E_MISSING_FIELD));
    f.present = FIELD_TEXT;
    assert (lifecycle_check (reply_referrer, &f, &kase, &err) == 0);

    /* issue 16 (i16-vetting): propose -> approve | return */
    {
        const lifecycle_action_t *propose = lifecycle_action ("propose", 7);
        const lifecycle_action_t *approve = lifecycle_action ("approve", 7);
        const lifecycle_action_t *ret = lifecycle_action ("return", 6);
        assert (propose && approve && ret);
        assert (lifecycle_target (propose, STATE_INVESTIGATING) == STATE_PROPOSED);
        assert (lifecycle_allows (propose, STATE_ACCEPTED) && !lifecycle_allows (propose, STATE_PROPOSED)
                && !lifecycle_allows (propose, STATE_AWAITING_CUSTOMER));
        assert (lifecycle_target (approve, STATE_PROPOSED) == STATE_RESOLVED);
        assert (lifecycle_target (ret, STATE_PROPOSED) == STATE_INVESTIGATING);
        assert (!lifecycle_allows (approve, STATE_INVESTIGATING) && !lifecycle_allows (resolve, STATE_PROPOSED));
        assert (s_streq (approve->event, "complaint.resolved")
                && s_streq (ret->event, "complaint.proposal_returned")
                && s_streq (propose->event, "complaint.proposed"));
        assert (!(approve->roles & ROLE_HANDLER) && !(ret->roles & ROLE_HANDLER)
                && (approve->roles & ROLE_COMPLAINT_OFFICE) && (propose->roles & ROLE_HANDLER));
        assert (lifecycle_state_open (STATE_PROPOSED));
        assert (s_streq (lifecycle_state_name (STATE_PROPOSED), "proposed"));
        assert (s_streq (lifecycle_field_name (FIELD_CUSTOMER_TEXT), "customer_text")
                && s_streq (lifecycle_field_name (FIELD_OUTCOMES), "outcomes"));
        assert (lifecycle_outcome_valid ("goodwill", 8));
        kase = (lifecycle_case_t) { .state = STATE_INVESTIGATING, .level = "branch",
                                    .recorded_satisfied = -1 };
        static const struct {
            const char *action;
            unsigned present;
            const char *outcome, *reason;
            bool has_amount;
            const char *code, *field;           /* NULL code: accepted */
        } rows [] = {
            { "propose", FIELD_TEXT | FIELD_CUSTOMER_TEXT | FIELD_OUTCOME, "apology", NULL,
              false, NULL, NULL },
            { "propose", FIELD_TEXT | FIELD_OUTCOME, "apology", NULL, false,
              PROTO_E_MISSING_FIELD, "customer_text" },
            { "propose", FIELD_TEXT | FIELD_CUSTOMER_TEXT, NULL, NULL, false,
              PROTO_E_MISSING_FIELD, "outcome" },
            { "propose", FIELD_TEXT | FIELD_CUSTOMER_TEXT | FIELD_OUTCOMES, NULL, NULL, false,
              NULL, NULL },
            { "propose", FIELD_TEXT | FIELD_CUSTOMER_TEXT | FIELD_OUTCOMES | FIELD_OUTCOME,
              "apology", NULL, false, PROTO_E_INVALID_FIELD, "outcomes" },
            { "propose", FIELD_TEXT | FIELD_CUSTOMER_TEXT | FIELD_OUTCOMES | FIELD_AMOUNT, NULL,
              NULL, true, PROTO_E_INVALID_FIELD, "outcomes" },
            { "propose", FIELD_TEXT | FIELD_CUSTOMER_TEXT | FIELD_OUTCOME, "refund", NULL,
              false, PROTO_E_MISSING_FIELD, "amount" },
            { "resolve", FIELD_TEXT | FIELD_OUTCOMES | FIELD_CUSTOMER_TEXT, NULL, NULL, false,
              NULL, NULL },
            { "resolve", FIELD_TEXT | FIELD_OUTCOME, "goodwill", NULL, false, NULL, NULL },
            { "resolve", FIELD_TEXT, NULL, NULL, false, PROTO_E_MISSING_FIELD, "outcome" },
            { "approve", 0, NULL, NULL, false, NULL, NULL },
            { "approve", FIELD_TEXT | FIELD_OUTCOME, "apology", NULL, false,
              PROTO_E_INVALID_FIELD, "outcome" },
            { "return", FIELD_TEXT | FIELD_REASON, NULL, "answer_unclear", false, NULL, NULL },
            { "return", FIELD_TEXT | FIELD_REASON, NULL, "bored", false,
              PROTO_E_INVALID_FIELD, "reason" },
            { "return", FIELD_REASON, NULL, "answer_unclear", false,
              PROTO_E_MISSING_FIELD, "text" },
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
            const lifecycle_action_t *act = lifecycle_action (rows [i].action,
                                                              strlen (rows [i].action));
            lifecycle_fields_t row = { rows [i].present, rows [i].outcome, rows [i].reason, NULL,
                                       rows [i].has_amount, -1 };
            proto_error_t e = { 0 };
            int rc = lifecycle_check (act, &row, &kase, &e);
            if (!rows [i].code)
                assert (rc == 0);
            else
                assert (rc == -1 && s_streq (e.code, rows [i].code)
                        && s_streq (e.field, rows [i].field));
        }
    }
    /* issue 16 (i16-followup): callback, the not-satisfied closes, determine */
    const lifecycle_action_t *callback = lifecycle_action ("callback", 8);
    assert (callback && lifecycle_allows (callback, STATE_RESOLVED)
            && !lifecycle_allows (callback, STATE_CLOSED)
            && lifecycle_target (callback, STATE_RESOLVED) == STATE_RESOLVED);
    kase = (lifecycle_case_t) { .state = STATE_RESOLVED, .level = "branch",
                                .recorded_satisfied = -1 };
    f = (lifecycle_fields_t) { FIELD_REASON, NULL, "no_answer", NULL, false, -1 };
    assert (lifecycle_check (callback, &f, &kase, &err) == 0);
    f.reason = "reached";
    assert (lifecycle_check (callback, &f, &kase, &err) == -1 && s_streq (err.field, "satisfied"));
    f.present |= FIELD_SATISFIED | FIELD_SCORE;
    f.satisfied = 0;
    assert (lifecycle_check (callback, &f, &kase, &err) == 0);
    f.reason = "busy";
    assert (lifecycle_check (callback, &f, &kase, &err) == -1 && s_streq (err.field, "satisfied"));
    f.reason = "carrier_pigeon";
    assert (lifecycle_check (callback, &f, &kase, &err) == -1 && s_streq (err.field, "reason"));
    assert (s_streq (lifecycle_field_name (FIELD_SCORE), "score"));
    f = (lifecycle_fields_t) { FIELD_REASON, NULL, "referred_mediation", NULL, false, -1 };
    assert (lifecycle_check (close_, &f, &kase, &err) == -1
            && s_streq (err.code, PROTO_E_INVALID_TRANSITION));
    kase.recorded_satisfied = 0;
    assert (lifecycle_check (close_, &f, &kase, &err) == 0);
    f.reason = "informed_of_routes";
    assert (lifecycle_check (close_, &f, &kase, &err) == 0);
    kase.recorded_satisfied = 1;
    assert (lifecycle_check (close_, &f, &kase, &err) == -1);
    assert (!lifecycle_close_not_satisfied ("referred_moon") && !lifecycle_close_not_satisfied (NULL));
    const lifecycle_action_t *determine = lifecycle_action ("determine", 9);
    assert (determine && lifecycle_allows (determine, STATE_CLOSED)
            && lifecycle_allows (determine, STATE_REJECTED)
            && !lifecycle_allows (determine, STATE_RESOLVED)
            && determine->roles == ROLE_COMPLAINT_OFFICE);
    f = (lifecycle_fields_t) { FIELD_REASON | FIELD_TEXT, NULL, "valid", NULL, false, -1 };
    assert (lifecycle_check (determine, &f, &kase, &err) == 0);
    f.reason = "maybe";
    assert (lifecycle_check (determine, &f, &kase, &err) == -1 && s_streq (err.field, "reason"));

    assert (s_streq (lifecycle_outcome_cfpb ("compensation"), "Closed with monetary relief"));
    /* issue 16 (i16-vetting): an amount granted makes a decision monetary */
    assert (s_streq (lifecycle_decision_cfpb ("goodwill", true), "Closed with monetary relief"));
    assert (s_streq (lifecycle_decision_cfpb ("goodwill", false),
                     "Closed with non-monetary relief"));
    assert (s_streq (lifecycle_decision_cfpb ("explanation", false), "Closed with explanation"));
    assert (!lifecycle_decision_cfpb (NULL, true));
    assert (s_streq (lifecycle_outcome_cfpb ("apology"), "Closed with non-monetary relief"));
    assert (s_streq (lifecycle_outcome_cfpb ("explanation"), "Closed with explanation"));
    if (verbose)
        printf ("OK\n");
}
