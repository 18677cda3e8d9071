/*  lifecycle.h — the case lifecycle: states, staff actions, who may take
 *  them, what each needs and which event it emits. Declared once.
 *
 *  Every service that changes or shows a case reads this table: intake
 *  validates an action against it (state, role, fields) before writing,
 *  complaintctl lists its actions from it, and the diagram in
 *  docs/lifecycle.md is printed from it (`complaintctl lifecycle --dot`),
 *  with a test that the checked-in diagram still matches. So the drawing, the
 *  documentation and the code cannot drift apart.
 *
 *  A transition names its source states as a set, one target state (or
 *  LIFECYCLE_SAME: the action records something and leaves the state), the
 *  roles allowed, the fields it requires and accepts, and its event type.
 *  Conditions that depend on field values (a refund needs an amount, closing
 *  as "satisfied" needs a satisfied feedback on record, an escalation only
 *  goes up) are in lifecycle_check, also here. What only the store knows
 *  (which extension step a case is at, the SLA policy's rule for it, whether
 *  the deadline already passed) is the SLA side's answer (sla_extension_next,
 *  migration 007), checked by intake in the act transaction
 *  (services/intake/case_action.c).
 *
 *  Interface:
 *      lifecycle_state_name / _parse / _open     states
 *      lifecycle_next_step                       what the customer waits for next
 *      lifecycle_role_name / _parse              staff roles
 *      lifecycle_action / lifecycle_actions      the transition table
 *      lifecycle_allows                          may this action start here?
 *      lifecycle_target                          the state it ends in
 *      lifecycle_check                           value conditions -> error
 *      lifecycle_outcome_* / _reject_reason_* / _close_reason_* / _level_*
 *      lifecycle_extend_stage / lifecycle_role_rank   extensions (issue 4)
 *      lifecycle_independent_reviewer / _superior / _is_ancestor
 *                                                who decides a review, who
 *                                                approves as `superior` (issue 15)
 *      lifecycle_first_contact / _roles          solved on the call (issue 14)
 *      lifecycle_print_dot                       the diagram (Graphviz)
 *      lifecycle_test                            self-test
 */
#ifndef LIFECYCLE_H_INCLUDED
#define LIFECYCLE_H_INCLUDED

#include "proto.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    STATE_RECEIVED = 0,
    STATE_ASSIGNED,
    STATE_ACCEPTED,
    STATE_INVESTIGATING,
    STATE_AWAITING_CUSTOMER,
    STATE_RESOLVED,
    STATE_UNDER_REVIEW,
    STATE_REOPENED,
    STATE_CLOSED,
    STATE_REJECTED,
    STATE_WITHDRAWN,
    STATE_PROPOSED,             /* issue 16 (i16-vetting): a proposal awaits vetting */
    STATE_COUNT
} case_state_t;

#define LIFECYCLE_SAME STATE_COUNT      /* target: the state does not change */
#define STATE_BIT(s)   (1u << (s))

typedef enum {
    ROLE_HANDLER          = 1u << 0,
    ROLE_SUPERVISOR       = 1u << 1,
    ROLE_COMPLAINT_OFFICE = 1u << 2,
    ROLE_MANAGER          = 1u << 3,
} staff_role_t;

/* The fields an action can carry (bits of lifecycle_action_t.required and
 * .optional); the wire names are in PROTOCOL.md and lifecycle_field_name. */
typedef enum {
    FIELD_TEXT         = 1u << 0,
    FIELD_OUTCOME      = 1u << 1,
    FIELD_AMOUNT       = 1u << 2,
    FIELD_SATISFIED    = 1u << 3,
    FIELD_DEPARTMENT   = 1u << 4,
    FIELD_LEVEL        = 1u << 5,
    FIELD_REASON       = 1u << 6,
    FIELD_DUPLICATE_OF = 1u << 7,
    /* bits 8..15: issue 16's fields; a bit not yet given has no name
     * (lifecycle_field_name "?") and no request carries it */
    /* issue 16 (i16-vetting): the customer-facing text, several outcomes */
    FIELD_CUSTOMER_TEXT = 1u << 8,
    FIELD_OUTCOMES     = 1u << 9,
    /* issue 16 (i16-tasks): a task's or rectification item's deadline
     * (a span on the case's calendar, or a local time), the task it
     * answers, and a rectification item's owner (a staff id) */
    FIELD_DUE          = 1u << 13,
    FIELD_TASK         = 1u << 14,
    FIELD_OWNER        = 1u << 15,
    /* issue 16 (i16-followup): the satisfaction score (1-5) the customer
     * gave at the call-back (callback, reached) */
    FIELD_SCORE        = 1u << 11,
    FIELD_COUNT_BITS   = 16
} action_field_t;

typedef struct {
    const char *name;           /* "resolve": the wire's "action" */
    uint32_t    from;           /* STATE_BIT set */
    case_state_t to;            /* or LIFECYCLE_SAME */
    unsigned    roles;          /* staff_role_t bits */
    unsigned    required;       /* action_field_t bits */
    unsigned    optional;
    const char *event;          /* outbox type, "complaint.resolved" */
    const char *summary;        /* one line for people (docs, --help) */
} lifecycle_action_t;

/* States */
const char *lifecycle_state_name (case_state_t state);
/* Returns 0 and sets *state, or -1 for an unknown name. */
int  lifecycle_state_parse (const char *name, size_t len, case_state_t *state);
/* Not closed, rejected or withdrawn. The store's mirror is the SQL function
 * complaint_is_open (migration 007); intake --selftest checks they agree. */
bool lifecycle_state_open (case_state_t state);
/* The next step the customer can expect in a state (the public status
 * view): a stable code, a sentence, and whether the case's due_at is its
 * date. NULL for a state out of range. */
typedef struct {
    const char *code;           /* routing, waiting_for_handler, investigation, ... none */
    const char *text;
    bool due;
} lifecycle_next_step_t;
const lifecycle_next_step_t *lifecycle_next_step (case_state_t state);

/* Roles: "handler", "supervisor", "complaint_office", "manager". */
const char *lifecycle_role_name (staff_role_t role);
int  lifecycle_role_parse (const char *name, size_t len, staff_role_t *role);

/* The table. lifecycle_action returns NULL for an unknown action name. */
const lifecycle_action_t *lifecycle_action (const char *name, size_t len);
const lifecycle_action_t *lifecycle_actions (size_t *count);
const char *lifecycle_field_name (action_field_t field);

/* May `action` start from `state`? */
bool lifecycle_allows (const lifecycle_action_t *action, case_state_t state);
/* The state after `action` taken in `state`. One action keeps the state
 * except while the case waits for the customer, where it resumes the
 * investigation: new_material (awaiting_customer -> investigating). */
case_state_t lifecycle_target (const lifecycle_action_t *action, case_state_t state);

/* What an action's fields say, as far as the value rules care. Strings are
 * NULL when absent; satisfied/recorded_satisfied: -1 absent, 0 no, 1 yes. */
typedef struct {
    unsigned    present;            /* action_field_t bits the request carried */
    const char *outcome;
    const char *reason;
    const char *level;
    bool        has_amount;
    int         satisfied;
} lifecycle_fields_t;

/* The case as the value rules need it. */
typedef struct {
    case_state_t state;
    const char  *level;             /* "branch" | "head_office" | "regulator" */
    int          recorded_satisfied;/* feedback on record: -1 none, 0, 1 */
    bool         complex;           /* 'complex' is among the case's flags */
    bool         appraisal_open;    /* an appraisal_start with no appraisal_end after it */
} lifecycle_case_t;

/* Check an action against the table's field lists and the value rules
 * (not the state or role: lifecycle_allows and the caller do those).
 * Returns 0, or -1 with err filled: missing_field / invalid_field naming
 * the field, or invalid_transition. */
int lifecycle_check (const lifecycle_action_t *action, const lifecycle_fields_t *fields,
                     const lifecycle_case_t *kase, proto_error_t *err);

/* Vocabularies. Each _valid takes a (ptr, len) string. */
bool lifecycle_outcome_valid (const char *s, size_t len);
bool lifecycle_outcome_needs_amount (const char *outcome);
/* The US consumer bureau's company response for an outcome:
 * "Closed with explanation" / "... monetary relief" / "... non-monetary relief". */
const char *lifecycle_outcome_cfpb (const char *outcome);
/* issue 16 (i16-vetting): a decision's response, several outcomes or one:
 * "Closed with monetary relief" when any outcome granted an amount (the
 * bureau: objective, measurable monetary value to the consumer; a goodwill
 * credit too), else the principal outcome's (lifecycle_outcome_cfpb). */
const char *lifecycle_decision_cfpb (const char *outcome, bool amount_granted);
bool lifecycle_reject_reason_valid (const char *s, size_t len);
bool lifecycle_close_reason_valid (const char *s, size_t len);
/* contact's reason (how the customer was reached) and appraisal_start's
 * (what is appraised: 鉴定 appraisal, 检测 testing, 评估 valuation). */
bool lifecycle_contact_via_valid (const char *s, size_t len);
bool lifecycle_appraisal_kind_valid (const char *s, size_t len);
/* 0 branch, 1 head_office, 2 regulator; -1 unknown. */
int  lifecycle_level_rank (const char *s, size_t len);

/* The SLA stage an `extend` in `state` moves: "review" under review, else
 * "resolution". */
const char *lifecycle_extend_stage (case_state_t state);
/* Approval rank: handler 0 < supervisor 1 < complaint_office 2 < manager 3.
 * An extension step's approver (sla_extension_rule) or any higher role may
 * approve it. */
int  lifecycle_role_rank (staff_role_t role);

/*  Issue 15: who may decide a review, who approves as `superior`. A
 *  department's path is department.path ('/head_office/branch_bj/'); its
 *  kind is the directory's (head_office, complaint_office, branch, ...). */
typedef struct {
    staff_role_t role;
    const char  *department;        /* the actor's department id */
    const char  *path;              /* its path */
    const char  *kind;              /* its kind */
} lifecycle_actor_t;

/* Is the department at ancestor_path strictly above the one at path? */
bool lifecycle_is_ancestor (const char *ancestor_path, const char *path);
/* May the actor decide the review (reopen, close as review_upheld) of a
 * decision taken by department `decided` (at decided_path)? Never someone
 * of that department; the complaint office (its role, or its department);
 * a supervisor or manager of a department above it. */
bool lifecycle_independent_reviewer (const lifecycle_actor_t *actor, const char *decided,
                                     const char *decided_path);
/* May the actor approve as `superior` (an extension rule's approver; the
 * 2020 rules' second extension): a manager of a department above the
 * case's (case_path), or of the head office. */
bool lifecycle_superior (const lifecycle_actor_t *actor, const char *case_path);

extern const char *const lifecycle_outcomes [];        /* NULL-terminated */
extern const char *const lifecycle_reject_reasons [];
extern const char *const lifecycle_close_reasons [];
extern const char *const lifecycle_levels [];
extern const char *const lifecycle_contact_vias [];
extern const char *const lifecycle_appraisal_kinds [];
/* issue 16 (i16-vetting): why a proposal is returned (`return`'s reason) */
extern const char *const lifecycle_return_reasons [];
bool lifecycle_return_reason_valid (const char *s, size_t len);
/* issue 16 (i16-followup): a call-back attempt's outcome (callback's
 * reason) and the valid-complaint determination (determine's reason). */
extern const char *const lifecycle_callback_results [];
extern const char *const lifecycle_determinations [];
/* Is `reason` a close reason that needs a not-satisfied answer on record
 * (informed_of_routes, referred_*)? */
bool lifecycle_close_not_satisfied (const char *reason);

/*  First-contact resolution (一次解决): the front-line agent solved the
 *  complaint on the call (DOMAIN.md; seed 003: the 客服代表 "在其职权范围内
 *  帮助客户解决问题", and only what they cannot solve becomes a work order).
 *  The case is registered, then the table's own accept and resolve are
 *  taken from `received` by the agent, in the submit's transaction: the
 *  router never sees it (it claims `received` cases only), the audit trail
 *  and the stream show the same accept and resolve rows and events as the
 *  separate steps would. Returns the steps in order (accept, resolve) and
 *  their count in *count (may be NULL); the roles that may take it are
 *  those both steps allow (lifecycle_first_contact_roles). */
const lifecycle_action_t *const *lifecycle_first_contact (size_t *count);
unsigned lifecycle_first_contact_roles (void);

/* Print the machine as a Graphviz digraph (docs/lifecycle.dot). */
void lifecycle_print_dot (FILE *out);

void lifecycle_test (bool verbose);

#endif
