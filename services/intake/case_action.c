/*  case_action.c — one staff action on a case, as one transaction
 *  (see case_action.h for the sequence and why).
 *
 *  Column changes, by action (every action: state, version + 1, updated_at):
 *      accept     accepted_at; handler = the actor when the actor is a
 *                 handler (a colleague of the department taking the case
 *                 over takes it), or when the case has no handler yet;
 *                 a supervisor or the complaint office accepting a case
 *                 that has a handler leaves the handler alone
 *      resolve    resolution_outcome, resolution_amount, resolved_at; the
 *                 satisfied flag is cleared: a new decision waits for new
 *                 feedback (so a reopened case can close as no_answer)
 *      feedback   satisfied
 *      close      closed_at
 *      transfer   department, handler = pick_handler (new department)
 *                 (NULL: the department's queue), state assigned;
 *                 cooperating departments unchanged
 *      escalate   level; department = the head office's complaint office,
 *                 handler = a supervisor of it (s_move_owner)
 *      review     decided_by, decided_handler = the department and handler
 *                 that decided; department = the reviewing body, handler =
 *                 a supervisor of it (s_move_owner); closed_at cleared (a
 *                 review after closure)
 *      reopen     department, handler = decided_by, decided_handler (back to
 *                 whoever decided, for the new investigation)
 *      reject     reject_reason, duplicate_of
 *      merge      reject_reason 'merged', duplicate_of = the open case it is
 *                 merged into (issue 16): another case, open, the same
 *                 customer's (customer_pseudonym), else invalid_field naming
 *                 duplicate_of; its state is rejected (lifecycle.c's notes)
 *      extend     nothing but state and version: the watchdog reads the
 *                 approved extension from the audit row (details: stage,
 *                 step, adds, approver) and moves the deadline
 *      mark_complex  flags + 'complex' (refused when already there)
 *      contact, appraisal_start, appraisal_end, new_material
 *                 nothing but state and version (new_material: investigating
 *                 when it was awaiting_customer): the watchdog reads the
 *                 audit row's action and at; contact's and appraisal_start's
 *                 reason (via, kind) are in its details. Whether an
 *                 appraisal is open is read from the trail (the last
 *                 appraisal_start with no appraisal_end after it)
 *      reply_referrer  nothing but version: the audit row keeps what was
 *                 reported back (text); only a referred case (its
 *                 referral_source set, migration 026), else invalid_field
 *                 naming referral; the event says the source and the
 *                 referrer's ticket (the watchdog's referral_reply clock
 *                 is met by it)
 *
 *      callback   issue 16 (i16-followup): satisfied, when the call-back
 *                 reached the customer (their answer, as feedback); a
 *                 score answers the survey (case_followup.c, once per case)
 *      determine  nothing but version; a second one is refused
 *                 (case_followup.c). Any decision (complaint.resolved)
 *                 also makes the case's survey (case_survey.c)
 *
 *  Times. accepted_at, resolved_at, closed_at, case_action.at and outbox.at
 *  come from the store's clock, app_now () (migration 003): the SLA clocks
 *  are computed from them, and a test database may shift that clock. Only
 *  updated_at, a row's bookkeeping, stays on now ().
 *
 *  Extensions (issue 4; docs/lifecycle.md). `extend` moves the deadline of
 *  the stage the case is in (lifecycle_extend_stage: resolution, or review
 *  while under review). The SLA clocks and their rules are the watchdog's
 *  (invariant 9), so intake asks its store function, sla_extension_next
 *  (migration 007), under the case's row lock, and decides:
 *      step     = 1 + the extends of that stage in the current round
 *                 (resolution: since the last reopen; review: since the
 *                 last review), as the SLA side counts it
 *      rule     = the SLA policy's rule for that step; none ->
 *                 invalid_transition
 *      approver : the actor's rank must be at least the rule's approver's
 *                 (supervisor < complaint_office < manager) -> forbidden
 *      deadline : the current round's clock must not have passed its due
 *                 time (an extension is approved before the deadline, not
 *                 after) -> invalid_transition; what "passed" means for a
 *                 paused clock is the SLA side's answer too. No clock row
 *                 yet: allowed.
 */
#include "case_action.h"
#include "case_vetting.h"               /* issue 16 (i16-vetting) */
#include "case_task.h"
#include "case_task_end.h"                 /* issue 16 (i16-integrate) */
#include "case_followup.h"
#include "event.h"
#include "events.h"
#include "local_time.h"
#include "log.h"
#include "staff_auth.h"
#include "review_window.h"                 /* issue 16 follow-up (watchdog2) */

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_SIZE (REQUEST_MAX_ID + 1)

typedef struct {
    const act_t *act;
    pg_session_t *pg;
    staff_t staff;
    bool have_staff;
    /* the case as read under its row lock */
    char id [24];
    case_state_t state;
    int64_t version;
    char level [16];
    int recorded_satisfied;
    char department [ID_SIZE];
    char handler [ID_SIZE];             /* "" when none */
    bool complex;                       /* 'complex' in the case's flags */
    char appraisal [16];                /* the open appraisal's kind; "" none */
    char path [PROTO_MAX_SHORT + 1];    /* the case's department's path */
    char staff_kind [24];               /* the actor's department's kind */
    char decided_by [ID_SIZE];          /* whose decision a review is about */
    char decided_path [PROTO_MAX_SHORT + 1];
    char decided_handler [ID_SIZE];
    bool window_passed;                 /* the review window after the decision */
    char resolved_at [LOCAL_TIME_SIZE], window_end [LOCAL_TIME_SIZE];
    long review_window_days;
    const char *zone;                   /* the bank's zone: the window's days */
    bool have_case;
    /* the result */
    case_state_t to;
    int64_t new_version;
    bool set_handler;
    char new_handler [ID_SIZE];         /* when set_handler; "" = NULL */
    char new_department [ID_SIZE];      /* review, reopen, escalate: "" unchanged */
    /* extend */
    const char *ext_stage;              /* "resolution" | "review"; NULL otherwise */
    char ext_step [8];
    char ext_adds [32];
    char ext_approver [24];
    /* reply_referrer: the case's referral (migration 026) */
    char referral_source [24];
    char referrer_ticket [72];          /* "" when none */
    case_vetting_t vet;                 /* issue 16 (i16-vetting): case_vetting.h */
    /* issue 16 (i16-tasks): the actor's scope, the task acted on */
    staff_scope_t scope;
    case_task_t task;
    proto_error_t err;
} s_act_t;

/* After the scope columns: whether the case is marked complex, and the
 * kind of the appraisal open on it (the last appraisal_start with no
 * appraisal_end after it; NULL: none open), from the audit trail; the
 * case's department path and the actor's department kind (who is
 * `superior`, who may decide a review); the department whose decision a
 * review is about (decided_by, else the case's own), its path and handler;
 * for the review window (issue 16 follow-up, watchdog2): the case's
 * calendar (the watchdog's sla_case_calendar, as the queue shows; asked
 * for a review only, $5 the action), the decision and the store's clock — common/review_window.c counts the
 * window on that calendar, as the notifier does for the notice. */
static const char *s_case_sql =
    "SELECT c.id, c.state, c.version, c.level, c.satisfied, c.department, c.handler,"
    STAFF_AUTH_SCOPE_SQL ","
    "       'complex' = ANY (c.flags),"
    "       (SELECT CASE WHEN a.action = 'appraisal_start' THEN a.details ->> 'reason' END"
    "          FROM case_action a WHERE a.complaint_id = c.id"
    "           AND a.action IN ('appraisal_start', 'appraisal_end')"
    "         ORDER BY a.id DESC LIMIT 1),"
    "       cd.path, (SELECT sd.kind FROM department sd WHERE sd.id = $2),"
    "       coalesce (c.decided_by, c.department),"
    "       (SELECT dd.path FROM department dd"
    "         WHERE dd.id = coalesce (c.decided_by, c.department)), c.decided_handler,"
    "       CASE WHEN $5 = 'review' THEN sla_case_calendar (c.id) END,"
    "       (extract (epoch FROM c.resolved_at) * 1000)::bigint,"
    "       (extract (epoch FROM app_now ()) * 1000)::bigint"
    "  FROM complaint c LEFT JOIN department cd ON cd.id = c.department"
    " WHERE c.complaint_no = $1"
    "   FOR NO KEY UPDATE OF c";
#define CASE_SCOPE_COL 7
#define CASE_COMPLEX_COL (CASE_SCOPE_COL + STAFF_AUTH_SCOPE_COLUMNS)
#define CASE_APPRAISAL_COL (CASE_COMPLEX_COL + 1)
#define CASE_PATH_COL (CASE_APPRAISAL_COL + 1)
#define CASE_STAFF_KIND_COL (CASE_PATH_COL + 1)
#define CASE_DECIDED_COL (CASE_STAFF_KIND_COL + 1)         /* by, path, handler */
#define CASE_WINDOW_COL (CASE_DECIDED_COL + 3)             /* calendar, resolved, now */

static const char *s_update_sql =
    "UPDATE complaint SET state = $2, version = version + 1, updated_at = now (),"
    "  handler = CASE WHEN $3::boolean THEN $4 ELSE handler END,"
    "  department = coalesce ($5, department),"
    "  accepted_at = CASE WHEN $6 = 'accept' THEN app_now () ELSE accepted_at END,"
    "  resolved_at = CASE WHEN $6 = 'resolve' THEN app_now () ELSE resolved_at END,"
    "  closed_at = CASE WHEN $6 = 'close' THEN app_now () WHEN $6 = 'review' THEN NULL"
    "                   ELSE closed_at END,"
    "  resolution_outcome = CASE WHEN $6 = 'resolve' THEN $7 ELSE resolution_outcome END,"
    "  resolution_amount = CASE WHEN $6 = 'resolve' THEN $8::numeric ELSE resolution_amount END,"
    "  satisfied = CASE WHEN $6 = 'feedback' THEN $9::boolean"
    "                   WHEN $6 = 'callback' AND $9::boolean IS NOT NULL THEN $9::boolean"
    "                   WHEN $6 = 'resolve' THEN NULL ELSE satisfied END,"
    "  level = coalesce ($10, level),"
    "  reject_reason = CASE WHEN $6 = 'reject' THEN $11 WHEN $6 = 'merge' THEN 'merged'"
    "                       ELSE reject_reason END,"
    "  duplicate_of = coalesce ($12, duplicate_of),"
    "  flags = CASE WHEN $6 = 'mark_complex' THEN array_append (flags, 'complex')"
    "               ELSE flags END,"
    "  decided_by = CASE WHEN $6 = 'review' THEN department ELSE decided_by END,"
    "  decided_handler = CASE WHEN $6 = 'review' THEN handler ELSE decided_handler END"
    " WHERE id = $1"
    " RETURNING version";

/* The audit row: details are exactly the fields the request gave (JSON
 * nulls stripped), plus where a transfer came from and who got the case,
 * and for an extension its stage, step, span and approver (what the
 * watchdog reads to move the deadline). */
static const char *s_audit_sql =
    "INSERT INTO case_action (complaint_id, actor, actor_role, action, state_before,"
    "  state_after, version_after, at, details)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, app_now (), jsonb_strip_nulls (jsonb_build_object ("
    "  'text', $8::text, 'outcome', $9::text, 'amount', $10::numeric,"
    "  'satisfied', $11::boolean, 'department', $12::text, 'level', $13::text,"
    "  'reason', $14::text, 'duplicate_of', $15::text, 'from_department', $16::text,"
    "  'handler', $17::text, 'stage', $18::text, 'step', $19::int, 'adds', $20::text,"
    "  'approver', $21::text,"
    /* issue 16 (i16-vetting): the answer for the customer, the outcomes written */
    "  'customer_text', $22::text,"
    "  'outcomes', CASE WHEN $4 IN ('propose', 'resolve') THEN"
    "    (SELECT jsonb_agg (jsonb_strip_nulls (jsonb_build_object ('kind', o.kind,"
    "            'amount', o.amount, 'text', o.text)) ORDER BY o.seq)"
    "       FROM complaint_outcome o WHERE o.complaint_id = $1) END,"
    /* issue 16 (i16-followup): a call-back's survey score */
    "  'score', $23::int,"
    /* issue 16 follow-up (vetting2): the task or rectification item acted on */
    "  'task', $24::bigint)))";
#define AUDIT_NPARAMS 24


/*  Where the next extension stands: the SLA side's answer (migration 007,
 *  sla_extension_next: the step, the policy's rule for it, whether the
 *  current round's deadline passed and when it falls). How rounds and steps
 *  are counted is the watchdog's rule, so intake asks rather than recounts. */
static const char *s_extend_sql =
    "SELECT step, adds, approver, deadline_passed,"
    "       to_char (due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"')"
    "  FROM sla_extension_next ($1, $2)";

/* A referred case's source and the referrer's ticket (reply_referrer). */
static const char *s_referral_sql =
    "SELECT referral_source, coalesce (referrer_ticket, '') FROM complaint WHERE id = $1";

/* NULL for "" (absent), so SQL sees NULL. */
static const char *
s_opt (const char *s)
{
    return s && *s ? s : NULL;
}

PGresult *
case_action_exec (pg_session_t *pg, const char *kind, const char *complaint_no,
                  const char *step, const char *sql, int n, const char *const *values,
                  const int *lengths, const int *formats, proto_error_t *err)
{
    char what [32], event [32];
    snprintf (what, sizeof what, "%s_%s", kind, step);
    PGresult *res = pg_session_exec (pg, what, sql, n, values, lengths, formats, 0);
    if (res)
        return res;
    const char *state = pg_session_last_sqlstate (pg);
    snprintf (event, sizeof event, "%s_store_failed", kind);
    log_error (event, "complaint_no=%s step=%s sqlstate=%s", complaint_no, step, state);
    /* The store going away (08, or no answer at all), refusing to
     * serialise (40) or cutting the statement off (57: a timeout, a
     * shutdown) is worth a retry; anything else is a bug in this
     * statement or the schema. */
    if (pg_session_retryable (pg))
        proto_error_set (err, PROTO_E_UNAVAILABLE, "",
                         "the store failed; nothing was written; read the case again and retry");
    else
        proto_error_set (err, PROTO_E_INTERNAL, "",
                         "the store refused the action; nothing was written");
    return NULL;
}

/* One statement of the transaction (case_action_exec: the session logs the
 * failure as pg_statement_failed statement=act_STEP, this adds which case
 * it was, never the request's text). */
static PGresult *
s_exec (s_act_t *self, const char *step, const char *sql, int n, const char *const *values,
        const int *lengths, const int *formats)
{
    return case_action_exec (self->pg, "act", self->act->complaint_no, step, sql, n, values,
                             lengths, formats, &self->err);
}

PGresult *
case_action_read (pg_session_t *pg, const char *kind, const char *complaint_no, const char *sql,
                  int n, const char *const *values, proto_error_t *err)
{
    PGresult *res = case_action_exec (pg, kind, complaint_no, "read", sql, n, values, NULL, NULL,
                                      err);
    if (res && PQntuples (res) != 1) {
        PQclear (res);
        proto_error_set (err, PROTO_E_NOT_FOUND, "complaint_no", "no complaint has number %s",
                         complaint_no);
        return NULL;
    }
    return res;
}

int
case_action_update (pg_session_t *pg, const char *kind, const char *complaint_no,
                    const char *sql, int n, const char *const *values, int64_t version,
                    int64_t *new_version, proto_error_t *err)
{
    PGresult *res = case_action_exec (pg, kind, complaint_no, "update", sql, n, values, NULL,
                                      NULL, err);
    if (!res)
        return -1;
    *new_version = PQntuples (res) == 1 ? strtoll (PQgetvalue (res, 0, 0), NULL, 10) : 0;
    PQclear (res);
    if (*new_version != version + 1) {
        proto_error_set (err, PROTO_E_INTERNAL, "", "the case row changed under its lock");
        return -1;
    }
    return 0;
}

int
case_action_bump (pg_session_t *pg, const char *kind, const char *complaint_no,
                  const char *case_id, int64_t version, int64_t *new_version,
                  proto_error_t *err)
{
    static const char *sql =
        "UPDATE complaint SET version = version + 1, updated_at = now ()"
        " WHERE id = $1 RETURNING version";
    const char *values [] = { case_id };
    return case_action_update (pg, kind, complaint_no, sql, 1, values, version, new_version,
                               err);
}

int
case_action_outbox (pg_session_t *pg, const char *kind, const char *type,
                    const char *complaint_no, const msgpack_sbuffer *data, proto_error_t *err)
{
    static const char *sql =
        "INSERT INTO outbox (type, complaint_no, data, at) VALUES ($1, $2, $3, app_now ())";
    const char *values [] = { type, complaint_no, data->data };
    int lengths [] = { 0, 0, (int) data->size };
    int formats [] = { 0, 0, 1 };
    PGresult *res = case_action_exec (pg, kind, complaint_no, "outbox", sql, 3, values, lengths,
                                      formats, err);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

int
case_action_transaction (pg_session_t *pg, const char *kind, const char *complaint_no,
                         int (*read) (void *arg), int (*write) (void *arg), void *arg,
                         const bool *duplicate, proto_error_t *err)
{
    PGresult *res = case_action_exec (pg, kind, complaint_no, "begin", "BEGIN", 0, NULL, NULL,
                                      NULL, err);
    if (!res)
        return -1;
    PQclear (res);
    int rc = read (arg);
    if (rc == 0 && !*duplicate) {
        rc = write (arg);
        if (rc == 0) {
            res = case_action_exec (pg, kind, complaint_no, "commit", "COMMIT", 0, NULL, NULL,
                                    NULL, err);
            rc = res ? 0 : -1;
            PQclear (res);
        }
    }
    if (rc != 0 || *duplicate)
        pg_session_rollback (pg);
    return rc;
}

/*  Review (issue 15; docs/lifecycle.md "Review"). Asking: within the
 *  window after the decision (resolved_at + --review-window-days), from
 *  resolved or closed. Deciding (reopen; close while under review): only
 *  someone independent of the department that decided
 *  (lifecycle_independent_reviewer). 0: go on. */
static int
s_check_review (s_act_t *self)
{
    const char *name = self->act->action->name;
    if (strcmp (name, "review") == 0 && self->window_passed) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "action",
                         "a review may be asked within %ld days of the decision (resolved at "
                         "%s): the window closed at %s", self->review_window_days,
                         self->resolved_at, self->window_end);
        return -1;
    }
    bool decides = strcmp (name, "reopen") == 0
                || (strcmp (name, "close") == 0 && self->state == STATE_UNDER_REVIEW);
    if (strcmp (name, "close") == 0 && !decides && self->staff.role == ROLE_MANAGER) {
        /* the table lets a manager close for the review's sake only */
        proto_error_set (&self->err, PROTO_E_FORBIDDEN, "action",
                         "a manager closes a case only as the review's decision "
                         "(review_upheld, under review)");
        return -1;
    }
    if (!decides)
        return 0;
    lifecycle_actor_t actor = { self->staff.role, self->staff.department, self->staff.path,
                                self->staff_kind };
    if (!lifecycle_independent_reviewer (&actor, s_opt (self->decided_by),
                                         s_opt (self->decided_path))) {
        proto_error_set (&self->err, PROTO_E_FORBIDDEN, "action",
                         "the review of %s's decision is decided by the complaint office or a "
                         "supervisor or manager of a department above it, never by %s; you "
                         "are a %s of %s", self->decided_by, self->decided_by,
                         lifecycle_role_name (self->staff.role), self->staff.department);
        return -1;
    }
    return 0;
}

/* Read the case under its row lock and decide who may do what. 0: go on. */
static int
s_read_case (s_act_t *self)
{
    const act_t *act = self->act;
    const char *values [] = { act->complaint_no, self->staff.department, self->staff.path,
                              self->staff.id, act->action->name };
    PGresult *res = case_action_read (self->pg, "act", act->complaint_no, s_case_sql, 5,
                                      values, &self->err);
    if (!res)
        return -1;
    snprintf (self->id, sizeof self->id, "%s", PQgetvalue (res, 0, 0));
    const char *state = PQgetvalue (res, 0, 1);
    if (lifecycle_state_parse (state, strlen (state), &self->state)) {
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the case is in an unknown state");
        PQclear (res);
        return -1;
    }
    self->version = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
    snprintf (self->level, sizeof self->level, "%s", PQgetvalue (res, 0, 3));
    self->recorded_satisfied = PQgetisnull (res, 0, 4) ? -1
                             : PQgetvalue (res, 0, 4) [0] == 't' ? 1 : 0;
    snprintf (self->department, sizeof self->department, "%s", PQgetvalue (res, 0, 5));
    snprintf (self->handler, sizeof self->handler, "%s", PQgetvalue (res, 0, 6));
    case_scope_t scope;
    staff_auth_scope_read (res, 0, CASE_SCOPE_COL, &scope);
    self->complex = PQgetvalue (res, 0, CASE_COMPLEX_COL) [0] == 't';
    snprintf (self->appraisal, sizeof self->appraisal, "%s",
              PQgetvalue (res, 0, CASE_APPRAISAL_COL));
    snprintf (self->path, sizeof self->path, "%s", PQgetvalue (res, 0, CASE_PATH_COL));
    snprintf (self->staff_kind, sizeof self->staff_kind, "%s",
              PQgetvalue (res, 0, CASE_STAFF_KIND_COL));
    snprintf (self->decided_by, sizeof self->decided_by, "%s",
              PQgetvalue (res, 0, CASE_DECIDED_COL));
    snprintf (self->decided_path, sizeof self->decided_path, "%s",
              PQgetvalue (res, 0, CASE_DECIDED_COL + 1));
    snprintf (self->decided_handler, sizeof self->decided_handler, "%s",
              PQgetvalue (res, 0, CASE_DECIDED_COL + 2));
    //  issue 16 follow-up (watchdog2): the review window on the case's
    //  calendar (common/review_window.c, the notice's count too).
    int64_t resolved = PQgetisnull (res, 0, CASE_WINDOW_COL + 1) ? 0
                     : strtoll (PQgetvalue (res, 0, CASE_WINDOW_COL + 1), NULL, 10);
    int64_t window_end = review_window_end (
        case_task_calendar_named (PQgetvalue (res, 0, CASE_WINDOW_COL)), resolved,
        self->review_window_days);
    self->window_passed = window_end > 0
                       && strtoll (PQgetvalue (res, 0, CASE_WINDOW_COL + 2), NULL, 10)
                          >= window_end;
    //  Shown to people in the bank's zone (intake's TZ), the offset written.
    local_time_format (resolved, self->resolved_at, sizeof self->resolved_at);
    local_time_format_deadline (window_end, self->window_end, sizeof self->window_end);
    PQclear (res);
    self->have_case = true;

    staff_scope_t may = staff_auth_scope (&self->staff, &scope);
    if (may == SCOPE_NONE) {
        proto_error_set (&self->err, PROTO_E_FORBIDDEN, "token",
                         "complaint %s is not in your scope (%s of %s)", act->complaint_no,
                         lifecycle_role_name (self->staff.role), self->staff.department);
        self->have_case = false;            /* tell nothing about the case */
        return -1;
    }
    self->scope = may;
    if (may == SCOPE_COOPERATING && strcmp (act->action->name, "note") != 0
    &&  strcmp (act->action->name, "task_reply") != 0) {       /* issue 16 (i16-tasks) */
        proto_error_set (&self->err, PROTO_E_FORBIDDEN, "action",
                         "your department cooperates on complaint %s: it may only note and "
                         "reply to its tasks", act->complaint_no);
        self->have_case = false;
        return -1;
    }
    if (act->version != self->version) {
        proto_error_set (&self->err, PROTO_E_CONFLICT, "version",
                         "the case changed since you read it: it is at version %lld, "
                         "state %s; read it again", (long long) self->version,
                         lifecycle_state_name (self->state));
        return -1;
    }
    if (!lifecycle_allows (act->action, self->state)) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "action",
                         "cannot %s a case in state %s", act->action->name,
                         lifecycle_state_name (self->state));
        return -1;
    }
    lifecycle_fields_t fields = {
        act->present, s_opt (act->outcome), s_opt (act->reason), s_opt (act->level),
        (act->present & FIELD_AMOUNT) != 0, act->satisfied
    };
    lifecycle_case_t kase = { self->state, self->level, self->recorded_satisfied,
                              self->complex, self->appraisal [0] != 0 };
    if (lifecycle_check (act->action, &fields, &kase, &self->err))
        return -1;
    self->to = lifecycle_target (act->action, self->state);
    return s_check_review (self);
}

/*  Who takes a case under review or escalated (issue 15): the reviewing or
 *  higher level's department, and a supervisor of it as the handler.
 *      review    the deciding department's parent when that is a branch
 *                (an outlet's decision: its branch, the superior
 *                institution), else the head office's complaint office
 *      escalate  the head office's complaint office (消费者权益保护部), for
 *                head_office and regulator alike: it answers the regulator
 *  "The head office's complaint office" is the active department of kind
 *  complaint_office nearest the root of the directory. The supervisor is
 *  the one on duty with the fewest cases on their desk (complaint_on_desk,
 *  as pick_handler counts them), then by id; none: the department's queue. */
static const char *s_owner_sql =
    "SELECT coalesce ((SELECT p.id FROM department d JOIN department p ON p.id = d.parent"
    "                   WHERE d.id = $1 AND p.kind = 'branch' AND p.active),"
    "                 (SELECT o.id FROM department o"
    "                   WHERE o.kind = 'complaint_office' AND o.active"
    "                   ORDER BY length (o.path), o.id LIMIT 1))";
static const char *s_supervisor_sql =
    "SELECT s.id FROM staff s"
    " WHERE s.department = $1 AND s.active AND s.role = 'supervisor'"
    " ORDER BY s.on_duty DESC,"
    "          (SELECT count (*) FROM complaint c"
    "            WHERE c.handler = s.id AND complaint_on_desk (c.state)), s.id"
    " LIMIT 1";

static int
s_move_owner (s_act_t *self)
{
    bool review = strcmp (self->act->action->name, "review") == 0;
    const char *values [] = { review ? s_opt (self->department) : NULL };
    PGresult *res = s_exec (self, "owner", s_owner_sql, 1, values, NULL, NULL);
    if (!res)
        return -1;
    bool found = PQntuples (res) == 1 && !PQgetisnull (res, 0, 0);
    if (found)
        snprintf (self->new_department, sizeof self->new_department, "%s",
                  PQgetvalue (res, 0, 0));
    PQclear (res);
    if (!found) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "action",
                         "the directory has no active complaint office to take the case");
        return -1;
    }
    values [0] = self->new_department;
    res = s_exec (self, "supervisor", s_supervisor_sql, 1, values, NULL, NULL);
    if (!res)
        return -1;
    self->set_handler = true;
    snprintf (self->new_handler, sizeof self->new_handler, "%s",
              PQntuples (res) == 1 ? PQgetvalue (res, 0, 0) : "");
    PQclear (res);
    return 0;
}

/* The case duplicate_of names: open (the one definition, migration 007), and
 * the same customer's as the case acted on ($2). */
static const char *s_duplicate_sql =
    "SELECT complaint_is_open (d.state),"
    "       d.customer_pseudonym = (SELECT c.customer_pseudonym FROM complaint c"
    "                                WHERE c.complaint_no = $2)"
    "  FROM complaint d WHERE d.complaint_no = $1";

/* What only the store can say: does the duplicate exist, can the case go
 * to that department, and who gets it there. */
static int
s_check_references (s_act_t *self)
{
    const act_t *act = self->act;
    if (act->duplicate_of [0]) {
        if (strcmp (act->duplicate_of, act->complaint_no) == 0) {
            proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "duplicate_of",
                             "a complaint cannot duplicate itself");
            return -1;
        }
        const char *values [] = { act->duplicate_of, act->complaint_no };
        PGresult *res = s_exec (self, "duplicate_of", s_duplicate_sql, 2, values, NULL, NULL);
        if (!res)
            return -1;
        int found = PQntuples (res);
        bool open = found && strcmp (PQgetvalue (res, 0, 0), "t") == 0;
        bool same = found && strcmp (PQgetvalue (res, 0, 1), "t") == 0;
        PQclear (res);
        if (!found) {
            proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "duplicate_of",
                             "no complaint has number %s", act->duplicate_of);
            return -1;
        }
        //  A merge hands the customer's matter to the other case: it must
        //  still be handled, and be theirs (the customer is told to quote it).
        if (strcmp (act->action->name, "merge") == 0 && (!open || !same)) {
            proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "duplicate_of",
                             !open ? "complaint %s is not open: a case is merged only into "
                                     "an open one"
                                   : "complaint %s is another customer's: a case is merged "
                                     "only into the same customer's", act->duplicate_of);
            return -1;
        }
    }
    if (strcmp (act->action->name, "accept") == 0) {
        if (self->staff.role == ROLE_HANDLER || !self->handler [0]) {
            self->set_handler = true;
            snprintf (self->new_handler, sizeof self->new_handler, "%s", self->staff.id);
        }
    }
    if (strcmp (act->action->name, "review") == 0
    ||  strcmp (act->action->name, "escalate") == 0)
        return s_move_owner (self);
    if (strcmp (act->action->name, "reopen") == 0 && self->decided_by [0]
    &&  strcmp (self->decided_by, self->department) != 0) {
        /* back to the department that decided, and its handler */
        snprintf (self->new_department, sizeof self->new_department, "%s", self->decided_by);
        self->set_handler = true;
        snprintf (self->new_handler, sizeof self->new_handler, "%s", self->decided_handler);
    }
    if (strcmp (act->action->name, "transfer") == 0) {
        if (strcmp (act->department, self->department) == 0) {
            proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "department",
                             "the case is already in department %s", act->department);
            return -1;
        }
        const char *values [] = { act->department };
        PGresult *res = s_exec (self, "department",
                                "SELECT 1 FROM department WHERE id = $1 AND active",
                                1, values, NULL, NULL);
        if (!res)
            return -1;
        int found = PQntuples (res);
        PQclear (res);
        if (!found) {
            proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "department",
                             "no active department has id %s", act->department);
            return -1;
        }
        /* the one definition of "who gets it" (migration 002) */
        res = s_exec (self, "pick_handler", "SELECT pick_handler ($1)", 1, values, NULL, NULL);
        if (!res)
            return -1;
        self->set_handler = true;
        snprintf (self->new_handler, sizeof self->new_handler, "%s",
                  PQntuples (res) == 1 && !PQgetisnull (res, 0, 0) ? PQgetvalue (res, 0, 0) : "");
        PQclear (res);
    }
    return 0;
}

/* An extension's checks (see the top of this file). 0: go on. */
static int
s_check_extend (s_act_t *self)
{
    self->ext_stage = lifecycle_extend_stage (self->state);
    const char *values [] = { self->id, self->ext_stage };
    PGresult *res = s_exec (self, "extend", s_extend_sql, 2, values, NULL, NULL);
    if (!res)
        return -1;
    if (PQntuples (res) != 1) {
        PQclear (res);
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the extension could not be counted");
        return -1;
    }
    snprintf (self->ext_step, sizeof self->ext_step, "%s", PQgetvalue (res, 0, 0));
    bool has_rule = !PQgetisnull (res, 0, 1);
    snprintf (self->ext_adds, sizeof self->ext_adds, "%s", PQgetvalue (res, 0, 1));
    snprintf (self->ext_approver, sizeof self->ext_approver, "%s", PQgetvalue (res, 0, 2));
    bool passed = PQgetvalue (res, 0, 3) [0] == 't';
    char due [40];
    snprintf (due, sizeof due, "%s", PQgetvalue (res, 0, 4));
    PQclear (res);

    if (!has_rule) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "action",
                         "the SLA policy allows no extension %s of %s", self->ext_step,
                         self->ext_stage);
        return -1;
    }
    if (strcmp (self->ext_approver, "superior") == 0) {
        /* the 2020 rules' second extension: the superior institution or
         * head-office senior management (lifecycle_superior) */
        lifecycle_actor_t actor = { self->staff.role, self->staff.department, self->staff.path,
                                    self->staff_kind };
        if (!lifecycle_superior (&actor, self->path)) {
            proto_error_set (&self->err, PROTO_E_FORBIDDEN, "action",
                             "extension %s of %s (%s) needs the approval of the superior "
                             "institution: a manager of a department above %s, or of the head "
                             "office; you are a %s of %s", self->ext_step, self->ext_stage,
                             self->ext_adds, self->department [0] ? self->department : "the case",
                             lifecycle_role_name (self->staff.role), self->staff.department);
            return -1;
        }
    }
    else {
        staff_role_t approver;
        if (lifecycle_role_parse (self->ext_approver, strlen (self->ext_approver), &approver)) {
            proto_error_set (&self->err, PROTO_E_INTERNAL, "",
                             "the SLA policy names an unknown approver");
            return -1;
        }
        if (lifecycle_role_rank (self->staff.role) < lifecycle_role_rank (approver)) {
            proto_error_set (&self->err, PROTO_E_FORBIDDEN, "action",
                             "extension %s of %s (%s) needs the approval of a %s or higher; "
                             "you are a %s", self->ext_step, self->ext_stage, self->ext_adds,
                             self->ext_approver, lifecycle_role_name (self->staff.role));
            return -1;
        }
    }
    if (passed) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "action",
                         "the %s deadline passed at %s: an extension is approved before it",
                         self->ext_stage, due);
        return -1;
    }
    return 0;
}

/* reply_referrer: only a case that was referred to the bank has a body to
 * reply back to. 0: go on. */
static int
s_check_referral (s_act_t *self)
{
    const char *values [] = { self->id };
    PGresult *res = s_exec (self, "referral", s_referral_sql, 1, values, NULL, NULL);
    if (!res)
        return -1;
    bool referred = PQntuples (res) == 1 && !PQgetisnull (res, 0, 0);
    if (referred) {
        snprintf (self->referral_source, sizeof self->referral_source, "%s",
                  PQgetvalue (res, 0, 0));
        snprintf (self->referrer_ticket, sizeof self->referrer_ticket, "%s",
                  PQgetvalue (res, 0, 1));
    }
    PQclear (res);
    if (!referred) {
        proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "referral",
                         "complaint %s was not referred by a regulator, an association or the "
                         "media: there is no referring body to reply to",
                         self->act->complaint_no);
        return -1;
    }
    return 0;
}

/*  The event's data: who did what, where the case is now, and the action's
 *  structured fields, packed by the event's one packer (proto/events.c).
 *  Never the free text (a note can hold anything) and never the customer
 *  (invariant 8): no packer takes them. The lifecycle table names the
 *  event of each action; events_test checks every one has a packer here. */
static bool
s_is (const char *a, const char *b)
{
    return strcmp (a, b) == 0;
}

static void
s_pack_event_data (s_act_t *self, msgpack_sbuffer *buf)
{
    const act_t *act = self->act;
    const events_action_t a = {
        .actor = self->staff.id, .actor_role = case_followup_actor_role (act, &self->staff),
        .from = lifecycle_state_name (self->state), .state = lifecycle_state_name (self->to),
        .version = self->new_version,
    };
    const char *handler = s_opt (self->set_handler ? self->new_handler : self->handler);
    const char *event = act->action->event;
    if (s_is (event, "complaint.accepted"))
        events_complaint_accepted (buf, &a, handler);
    else if (s_is (event, "complaint.investigating"))
        events_complaint_investigating (buf, &a);
    else if (s_is (event, "complaint.noted"))
        events_complaint_noted (buf, &a);
    else if (s_is (event, "complaint.info_requested"))
        events_complaint_info_requested (buf, &a);
    else if (s_is (event, "complaint.customer_replied"))
        events_complaint_customer_replied (buf, &a);
    else if (s_is (event, "complaint.resolved") && act->noutcomes == 0
             && s_is (act->action->name, "resolve"))
        events_complaint_resolved (buf, &a, NULL, act->outcome,
                                   act->present & FIELD_AMOUNT ? act->amount : NULL, NULL, 0);
    /* issue 16 (i16-vetting): several outcomes, an approved proposal */
    else if (s_is (event, "complaint.resolved"))
        events_complaint_resolved (buf, &a, act->action->name, self->vet.principal,
                                   s_opt (self->vet.total), self->vet.kind_ptrs,
                                   (size_t) (self->vet.nkinds > 1 ? self->vet.nkinds : 0));
    else if (s_is (event, "complaint.proposed"))
        events_complaint_proposed (buf, &a, self->vet.kind_ptrs, (size_t) self->vet.nkinds,
                                   s_opt (self->vet.total), self->vet.vetted);
    else if (s_is (event, "complaint.proposal_returned"))
        events_complaint_proposal_returned (buf, &a, act->reason, handler);
    else if (s_is (event, "complaint.feedback"))
        events_complaint_feedback (buf, &a, act->satisfied == 1);
    else if (s_is (event, "complaint.review_requested"))
        events_complaint_review_requested (buf, &a, self->new_department,
                                           s_opt (self->department), handler);
    else if (s_is (event, "complaint.reopened"))
        events_complaint_reopened (buf, &a, s_opt (self->new_department), handler);
    else if (s_is (event, "complaint.closed"))
        events_complaint_closed (buf, &a, act->reason);
    else if (s_is (event, "complaint.transferred"))
        events_complaint_transferred (buf, &a, act->department, s_opt (self->department),
                                      handler);
    else if (s_is (event, "complaint.escalated"))
        events_complaint_escalated (buf, &a, act->level, self->new_department,
                                    s_opt (self->department), handler);
    else if (s_is (event, "complaint.rejected"))
        events_complaint_rejected (buf, &a, act->reason,
                                   act->present & FIELD_DUPLICATE_OF ? act->duplicate_of : NULL);
    else if (s_is (event, "complaint.withdrawn"))
        events_complaint_withdrawn (buf, &a);
    else if (s_is (event, "complaint.merged"))
        events_complaint_merged (buf, &a, act->duplicate_of);
    else if (s_is (event, "complaint.contacted"))
        events_complaint_contacted (buf, &a, act->reason);
    else if (s_is (event, "complaint.marked_complex"))
        events_complaint_marked_complex (buf, &a);
    else if (s_is (event, "complaint.appraisal_started"))
        events_complaint_appraisal_started (buf, &a, act->reason);
    else if (s_is (event, "complaint.appraisal_ended"))
        events_complaint_appraisal_ended (buf, &a, self->appraisal);
    else if (s_is (event, "complaint.new_material"))
        events_complaint_new_material (buf, &a);
    else if (s_is (event, "complaint.extended"))
        events_complaint_extended (buf, &a, self->ext_stage, strtoll (self->ext_step, NULL, 10),
                                   self->ext_adds, self->ext_approver);
    else if (s_is (event, "complaint.callback_attempted"))      /* issue 16 (i16-followup) */
        events_complaint_callback_attempted (buf, &a, act->reason, act->satisfied,
                                             act->present & FIELD_SCORE ? act->score : 0);
    else if (s_is (event, "complaint.determined"))
        events_complaint_determined (buf, &a, act->reason);
    else if (s_is (event, "complaint.referrer_replied"))
        events_complaint_referrer_replied (buf, &a, self->referral_source,
                                           s_opt (self->referrer_ticket));
    else if (case_task_pack_event (act, &a, &self->task, buf))      /* issue 16 (i16-tasks) */
        ;
    else
        abort ();       /* a lifecycle event without a packer: events_test catches it */
}

/* UPDATE, audit row, outbox row. */
static int
s_write (s_act_t *self)
{
    const act_t *act = self->act;
    const char *name = act->action->name;
    char satisfied [8];
    snprintf (satisfied, sizeof satisfied, "%s", act->satisfied == 1 ? "true" : "false");
    const char *update [] = {
        self->id, lifecycle_state_name (self->to), self->set_handler ? "true" : "false",
        s_opt (self->new_handler), s_opt (self->new_department [0] ? self->new_department
                                          : act->present & FIELD_DEPARTMENT
                                            /* issue 16 (i16-tasks): a task's department is
                                             * the one asked, not the case's new one */
                                            && !case_task_action (act->action)
                                          ? act->department : NULL),
        name, s_opt (act->outcome), act->present & FIELD_AMOUNT ? act->amount : NULL,
        act->satisfied >= 0 ? satisfied : NULL, s_opt (act->level), s_opt (act->reason),
        s_opt (act->duplicate_of),
    };
    if (case_action_update (self->pg, "act", act->complaint_no, s_update_sql, 12, update,
                            self->version, &self->new_version, &self->err)
    ||  case_vetting_write (self->pg, act, &self->staff, self->id, &self->vet, &self->err))
        return -1;
    /* issue 16 (i16-tasks); before the audit row since the follow-up
     * (vetting2), which then carries the new task's number */
    if (case_task_action (act->action)
    &&  case_task_write (self->pg, act, &self->staff, self->id, s_opt (self->department),
                         &self->task, &self->err))
        return -1;
    char task [24];
    snprintf (task, sizeof task, "%lld", (long long) self->task.id);
    char version [24], score [8];
    snprintf (version, sizeof version, "%lld", (long long) self->new_version);
    snprintf (score, sizeof score, "%lld", (long long) act->score);
    bool transfer = strcmp (name, "transfer") == 0 || self->new_department [0];
    const char *audit [] = {
        self->id, self->staff.id, case_followup_actor_role (act, &self->staff), name,
        lifecycle_state_name (self->state), lifecycle_state_name (self->to), version,
        act->text.ptr, s_opt (act->outcome), act->present & FIELD_AMOUNT ? act->amount : NULL,
        act->satisfied >= 0 ? satisfied : NULL,
        s_opt (self->new_department [0] ? self->new_department
               : act->present & FIELD_DEPARTMENT ? act->department : NULL),
        s_opt (act->level), s_opt (act->reason), s_opt (act->duplicate_of),
        transfer ? s_opt (self->department) : NULL,
        self->set_handler ? s_opt (self->new_handler) : NULL,
        self->ext_stage, self->ext_stage ? self->ext_step : NULL,
        self->ext_stage ? self->ext_adds : NULL, self->ext_stage ? self->ext_approver : NULL,
        act->customer_text.ptr,
        act->present & FIELD_SCORE ? score : NULL,
        case_task_action (act->action) ? task : NULL,      /* issue 16 follow-up (vetting2) */
    };
    /* the text goes as its bytes (it is not NUL-terminated) */
    int lengths [AUDIT_NPARAMS] = { 0 };
    int formats [AUDIT_NPARAMS] = { 0 };
    lengths [7] = (int) act->text.len;
    formats [7] = 1;
    lengths [21] = act->customer_text.ptr ? (int) act->customer_text.len : 0;
    formats [21] = 1;
    PGresult *res = s_exec (self, "audit", s_audit_sql, AUDIT_NPARAMS, audit, lengths, formats);
    if (!res)
        return -1;
    PQclear (res);
    int tasks_ended;                          /* issue 16 (i16-integrate): case_task_end.h */
    if (case_task_end_with_case (self->pg, act->complaint_no, self->id, self->to, &tasks_ended,
                                 &self->err))
        return -1;

    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    s_pack_event_data (self, &data);
    int rc = case_action_outbox (self->pg, "act", act->action->event, act->complaint_no, &data,
                                 &self->err);
    msgpack_sbuffer_destroy (&data);
    if (rc)
        return -1;
    return case_followup_outbox (self->pg, act, self->id, &self->err);  /* issue 16 (i16-followup) */
}

static void
s_pack_reply (s_act_t *self, msgpack_sbuffer *reply)
{
    const char *handler = s_opt (self->set_handler ? self->new_handler : self->handler);
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, handler ? 6 : 5);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_kv_cstr (&pk, "complaint_no", self->act->complaint_no);
    proto_pack_kv_cstr (&pk, "action", self->act->action->name);
    proto_pack_kv_cstr (&pk, "state", lifecycle_state_name (self->to));
    proto_pack_kv_int (&pk, "version", self->new_version);
    if (handler)
        proto_pack_kv_cstr (&pk, "handler", handler);
}

/*  An error reply. A refusal decided on the case's current state (conflict,
 *  invalid_transition) also says where the case is now, beside "error", so
 *  the client can show it and retry from there without another get. */
static void
s_pack_error (s_act_t *self, msgpack_sbuffer *reply)
{
    const proto_error_t *err = &self->err;
    bool where = self->have_case && err->code
              && (strcmp (err->code, PROTO_E_CONFLICT) == 0
               || strcmp (err->code, PROTO_E_INVALID_TRANSITION) == 0);
    if (!where) {
        proto_pack_error (reply, err);
        return;
    }
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 4);
    proto_pack_kv_bool (&pk, "ok", false);
    proto_pack_cstr (&pk, "error");
    bool has_field = err->field [0] != 0;
    msgpack_pack_map (&pk, has_field ? 3 : 2);
    proto_pack_kv_cstr (&pk, "code", err->code);
    if (has_field)
        proto_pack_kv_cstr (&pk, "field", err->field);
    proto_pack_kv_cstr (&pk, "message", err->message);
    proto_pack_kv_cstr (&pk, "state", lifecycle_state_name (self->state));
    proto_pack_kv_int (&pk, "version", self->version);
}

int
case_action_apply (pg_session_t *pg, const act_t *act, long review_window_days,
                   const char *zone, msgpack_sbuffer *reply)
{
    assert (pg && act && act->action && zone && reply);
    s_act_t self = { .act = act, .pg = pg, .recorded_satisfied = -1,
                     .review_window_days = review_window_days, .zone = zone };
    int rc = -1;
    PGresult *res = s_exec (&self, "begin", "BEGIN", 0, NULL, NULL, NULL);
    if (res) {
        PQclear (res);
        /* issue 16 (i16-followup): a service's act carries no token */
        int who = -1;
        if (act->token.ptr)
            who = staff_auth_lookup (pg, act->token, &self.staff, &self.err);
        else
        if (act->service [0])
            who = case_followup_service (act, &self.staff, &self.err);
        else
            proto_error_set (&self.err, PROTO_E_MISSING_FIELD, "token",
                             "token is required to act on a case");
        if (who == 0) {
            self.have_staff = true;
            if (act->actor.ptr && !proto_str_eq (act->actor, self.staff.id))
                proto_error_set (&self.err, PROTO_E_FORBIDDEN, "actor",
                                 "the token belongs to %s, not to \"%.*s\"", self.staff.id,
                                 (int) act->actor.len, act->actor.ptr);
            else
            if (!(act->action->roles & self.staff.role))
                proto_error_set (&self.err, PROTO_E_FORBIDDEN, "action",
                                 "a %s may not %s a case", lifecycle_role_name (self.staff.role),
                                 act->action->name);
            else
            if (s_read_case (&self) == 0 && s_check_references (&self) == 0
            &&  case_vetting_check (pg, act, &self.staff, self.id, &self.vet, &self.err) == 0
            &&  (strcmp (act->action->name, "extend") != 0 || s_check_extend (&self) == 0)
            &&  (strcmp (act->action->name, "reply_referrer") != 0
                 || s_check_referral (&self) == 0)
            &&  (!case_task_action (act->action)                    /* issue 16 (i16-tasks) */
                 || case_task_check (pg, act, &self.staff, self.scope, self.id,
                                     s_opt (self.department), &self.task, &self.err) == 0)
            &&  case_followup_check (pg, act, self.id, &self.err) == 0   /* issue 16 (i16-followup) */
            &&  s_write (&self) == 0) {
                res = s_exec (&self, "commit", "COMMIT", 0, NULL, NULL, NULL);
                if (res) {
                    PQclear (res);
                    rc = 0;
                }
            }
        }
        if (rc != 0)
            pg_session_rollback (pg);
    }
    const char *actor = self.have_staff ? self.staff.id : "-";
    if (rc == 0) {
        s_pack_reply (&self, reply);
        log_info ("case_action", "complaint_no=%s action=%s actor=%s role=%s from=%s to=%s "
                  "version=%lld", act->complaint_no, act->action->name, actor,
                  lifecycle_role_name (self.staff.role), lifecycle_state_name (self.state),
                  lifecycle_state_name (self.to), (long long) self.new_version);
    }
    else {
        if (!self.err.code)
            proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "",
                             "the store did not confirm the action; read the case again");
        s_pack_error (&self, reply);
        log_info ("act_refused", "complaint_no=%s action=%s actor=%s code=%s field=%s",
                  act->complaint_no, act->action->name, actor, self.err.code,
                  self.err.field [0] ? self.err.field : "-");
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Self-test (intake --selftest): authorisation through the real path —
//  a request frame decoded by request_decode, applied by case_action_apply
//  on a case placed in the store — for staff inside and outside the case's
//  scope. Every refusal must leave the case and its audit trail untouched.
//  Then the retry rule: which store failures the client is told to retry.

#include "test_org.h"

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

/* Act as `staff` (a test_org id, or a raw token when no such id) and return
 * the reply's error code ("ok" when it committed) and field. */
static void
s_test_act (pg_session_t *pg, const char *staff, const char *actor, const char *no,
            const char *action, int64_t version, char code [32], char field [32])
{
    const char *token = test_org_token (staff);
    if (!token [0])
        token = staff;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, actor ? 7 : 6);
    proto_pack_kv_cstr (&pk, "op", "act");
    proto_pack_kv_cstr (&pk, "complaint_no", no);
    proto_pack_kv_cstr (&pk, "action", action);
    proto_pack_kv_cstr (&pk, "token", token);
    msgpack_pack_str_with_body (&pk, "version", 7);
    msgpack_pack_int64 (&pk, version);
    proto_pack_kv_cstr (&pk, "text", "self-test note");
    if (actor)
        proto_pack_kv_cstr (&pk, "actor", actor);
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    request_t req;
    proto_error_t err = { 0 };
    snprintf (code, 32, "?");
    field [0] = 0;
    if (request_decode (buf.data, buf.size, &unpacked, &req, &err) == 0) {
        msgpack_sbuffer reply;
        msgpack_sbuffer_init (&reply);
        int rc = case_action_apply (pg, &req.u.act, 30, "Asia/Shanghai", &reply);
        msgpack_unpacked out;
        msgpack_unpacked_init (&out);
        if (msgpack_unpack_next (&out, reply.data, reply.size, NULL) == MSGPACK_UNPACK_SUCCESS
        &&  out.data.type == MSGPACK_OBJECT_MAP) {
            const msgpack_object *error = proto_map_get (&out.data, "error");
            if (rc == 0 && !error)
                snprintf (code, 32, "ok");
            else
            if (error && error->type == MSGPACK_OBJECT_MAP) {
                const msgpack_object *c = proto_map_get (error, "code");
                const msgpack_object *f = proto_map_get (error, "field");
                if (c && c->type == MSGPACK_OBJECT_STR)
                    snprintf (code, 32, "%.*s", (int) c->via.str.size, c->via.str.ptr);
                if (f && f->type == MSGPACK_OBJECT_STR)
                    snprintf (field, 32, "%.*s", (int) f->via.str.size, f->via.str.ptr);
            }
        }
        msgpack_unpacked_destroy (&out);
        msgpack_sbuffer_destroy (&reply);
    }
    else
        snprintf (code, 32, "decode:%s", err.code);
    msgpack_unpacked_destroy (&unpacked);
    msgpack_sbuffer_destroy (&buf);
}

/* "state version audit_rows" of a case, for the nothing-written checks. */
static void
s_case_shape (PGconn *conn, const char *no, char *out, size_t size)
{
    const char *values [] = { no };
    PGresult *res = PQexecParams (conn,
        "SELECT c.state || ' ' || c.version || ' '"
        "       || (SELECT count (*) FROM case_action a WHERE a.complaint_id = c.id)"
        "  FROM complaint c WHERE c.complaint_no = $1", 1, NULL, values, NULL, NULL, 0);
    snprintf (out, size, "%s", PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1
                               ? PQgetvalue (res, 0, 0) : "?");
    PQclear (res);
}

/* A statement failing with `sqlstate` (raised by a DO block: the store
 * itself stays up): the error code the act's client would get. */
static const char *
s_test_failure (pg_session_t *pg, const char *sqlstate, char *seen, size_t seen_size)
{
    char sql [160];
    snprintf (sql, sizeof sql, "DO $$ BEGIN RAISE EXCEPTION 'self-test failure'"
              " USING ERRCODE = '%s'; END $$", sqlstate);
    act_t act = { .complaint_no = "SELFTEST" };
    s_act_t self = { .act = &act, .pg = pg };
    PGresult *res = s_exec (&self, "selftest", sql, 0, NULL, NULL, NULL);
    bool failed = res == NULL;
    PQclear (res);
    snprintf (seen, seen_size, "%s", pg_session_last_sqlstate (pg));
    return !failed ? "ok" : self.err.code ? self.err.code : "?";
}

int
case_action_test (bool verbose, pg_session_t *pg, int *passed)
{
    s_tally = (selftest_tally_t) { 0 };
    PGconn *conn = pg_session_conn (pg);        /* the test's own reads and rows */
    char no [COMPLAINT_NO_SIZE], loose [COMPLAINT_NO_SIZE];
    if (test_org_case (conn, "assigned", "st_bj_hd", "st_card", no)
    ||  test_org_case (conn, "assigned", NULL, NULL, loose)) {
        s_check (verbose, false, "cases placed for the authorisation checks");
        return selftest_tally_end (&s_tally, verbose, NULL, passed);
    }
    /* Each refusal on the outlet's case (version 1): code, field, and the
     * case unchanged (assigned, version 1, no audit row). */
    static const struct {
        const char *staff, *actor, *action;
        int64_t version;
        const char *code, *field, *what;
    } refused [] = {
        { "st_sup_sh", NULL, "note", 1, PROTO_E_FORBIDDEN, "token",
          "another branch's supervisor may not note: forbidden" },
        { "st_h_card", NULL, "accept", 1, PROTO_E_FORBIDDEN, NULL,
          "the cooperating department's handler may not accept: forbidden" },
        { "st_mgr_bj", NULL, "accept", 1, PROTO_E_FORBIDDEN, "action",
          "a manager may not accept (role), even in scope: forbidden, field action" },
        { "st_h_hd", "st_h_card", "note", 1, PROTO_E_FORBIDDEN, "actor",
          "an actor field naming someone else: forbidden, field actor" },
        { "st_gone", NULL, "note", 1, PROTO_E_UNAUTHENTICATED, "token",
          "an inactive handler's token: unauthenticated" },
        { "0000000000000000000000000000000000000000000000000000000000000000", NULL,
          "note", 1, PROTO_E_UNAUTHENTICATED, "token", "a token nobody holds: unauthenticated" },
        { "st_h_hd", NULL, "accept", 7, PROTO_E_CONFLICT, NULL,
          "the outlet's handler with a stale version: conflict" },
        { "st_h_hd", NULL, "reopen", 1, PROTO_E_FORBIDDEN, "action",
          "a handler may not reopen: forbidden, field action" },
    };
    char code [32], field [32], shape [64], what [200];
    for (size_t i = 0; i < sizeof refused / sizeof refused [0]; i++) {
        s_test_act (pg, refused [i].staff, refused [i].actor, no, refused [i].action,
                    refused [i].version, code, field);
        s_case_shape (conn, no, shape, sizeof shape);
        snprintf (what, sizeof what, "%s (got %s%s%s; case %s)", refused [i].what, code,
                  field [0] ? " field " : "", field, shape);
        s_check (verbose, strcmp (code, refused [i].code) == 0
                          && (!refused [i].field || strcmp (field, refused [i].field) == 0)
                          && strcmp (shape, "assigned 1 0") == 0, what);
    }
    /* In scope: the cooperating handler may note (the case stays assigned),
     * the outlet's handler accepts, the branch supervisor notes. */
    s_test_act (pg, "st_h_card", NULL, no, "note", 1, code, field);
    s_case_shape (conn, no, shape, sizeof shape);
    snprintf (what, sizeof what, "the cooperating handler notes (got %s; case %s)", code, shape);
    s_check (verbose, strcmp (code, "ok") == 0 && strcmp (shape, "assigned 2 1") == 0, what);
    s_test_act (pg, "st_h_hd", NULL, no, "accept", 2, code, field);
    s_case_shape (conn, no, shape, sizeof shape);
    snprintf (what, sizeof what, "the outlet's handler accepts (got %s; case %s)", code, shape);
    s_check (verbose, strcmp (code, "ok") == 0 && strcmp (shape, "accepted 3 2") == 0, what);
    s_test_act (pg, "st_sup_bj", "st_sup_bj", no, "note", 3, code, field);
    s_case_shape (conn, no, shape, sizeof shape);
    snprintf (what, sizeof what, "the branch supervisor notes, naming himself (got %s; case %s)",
              code, shape);
    s_check (verbose, strcmp (code, "ok") == 0 && strcmp (shape, "accepted 4 3") == 0, what);

    /* A case with no department yet: the complaint office's alone. */
    s_test_act (pg, "st_sup_bj", NULL, loose, "note", 1, code, field);
    s_case_shape (conn, loose, shape, sizeof shape);
    snprintf (what, sizeof what, "a case with no department: a supervisor is forbidden "
              "(got %s; case %s)", code, shape);
    s_check (verbose, strcmp (code, PROTO_E_FORBIDDEN) == 0
                      && strcmp (shape, "assigned 1 0") == 0, what);
    s_test_act (pg, "st_co", NULL, loose, "note", 1, code, field);
    s_case_shape (conn, loose, shape, sizeof shape);
    snprintf (what, sizeof what, "a case with no department: the complaint office notes "
              "(got %s; case %s)", code, shape);
    s_check (verbose, strcmp (code, "ok") == 0 && strcmp (shape, "assigned 2 1") == 0, what);

    /* The retry rule reads the SQLSTATE the session kept for the failed
     * statement; a success clears it. */
    static const struct {
        const char *sqlstate, *code, *what;
    } failures [] = {
        { "40001", PROTO_E_UNAVAILABLE, "a serialization failure (40001): retry" },
        { "40P01", PROTO_E_UNAVAILABLE, "a deadlock (40P01): retry" },
        { "57014", PROTO_E_UNAVAILABLE, "a statement cancelled by its timeout (57014): retry" },
        { "08006", PROTO_E_UNAVAILABLE, "a connection failure (08006): retry" },
        { "23505", PROTO_E_INTERNAL, "a unique violation (23505): internal, no retry" },
        { "22012", PROTO_E_INTERNAL, "a division by zero (22012): internal, no retry" },
    };
    for (size_t i = 0; i < sizeof failures / sizeof failures [0]; i++) {
        char seen [8];
        const char *got = s_test_failure (pg, failures [i].sqlstate, seen, sizeof seen);
        snprintf (what, sizeof what, "%s (got %s, sqlstate %s)", failures [i].what, got, seen);
        s_check (verbose, strcmp (got, failures [i].code) == 0
                          && strcmp (seen, failures [i].sqlstate) == 0, what);
    }
    PGresult *res = pg_session_exec (pg, "selftest", "SELECT 1", 0, NULL, NULL, NULL, 0);
    bool succeeded = res != NULL;
    PQclear (res);
    s_check (verbose, succeeded && strcmp (pg_session_last_sqlstate (pg), "") == 0,
             "a statement that succeeds clears the session's last SQLSTATE");

    /* The session prepares a statement with parameters on its first use,
     * runs it by name after that, and prepares it again when the server
     * forgot it (DISCARD ALL). */
    static const char *const plus_sql = "SELECT $1::int + 1 AS selftest_plus";
    const char *forty_one [1] = { "41" };
    int answers = 0, kept = 0;
    for (int round = 0; round < 3; round++) {
        if (round == 2)
            pg_session_command (pg, "selftest_discard", "DISCARD ALL", 0, NULL);
        res = pg_session_exec (pg, "selftest_plus", plus_sql, 1, forty_one, NULL, NULL, 0);
        answers += res && strcmp (PQgetvalue (res, 0, 0), "42") == 0;
        PQclear (res);
        res = pg_session_exec (pg, "selftest_prepared",
                               "SELECT count (*) FROM pg_prepared_statements"
                               " WHERE statement = $1", 1, &plus_sql, NULL, NULL, 0);
        kept += res && strcmp (PQgetvalue (res, 0, 0), "1") == 0;
        PQclear (res);
    }
    snprintf (what, sizeof what, "a statement with parameters is prepared once and kept, and"
              " prepared again after DISCARD ALL (answers %d/3, prepared %d/3)", answers, kept);
    s_check (verbose, answers == 3 && kept == 3, what);

    /* A table changed under a kept plan (a migration while the daemon
     * runs): the statement fails once with 0A000, then is prepared afresh. */
    static const char *const shape_sql = "SELECT * FROM selftest_shape WHERE a = $1::int";
    const char *one [1] = { "1" };
    pg_session_command (pg, "selftest_shape", "CREATE TEMP TABLE selftest_shape AS SELECT 1 AS a",
                        0, NULL);
    res = pg_session_exec (pg, "selftest_shape", shape_sql, 1, one, NULL, NULL, 0);
    int before = res ? PQnfields (res) : -1;
    PQclear (res);
    pg_session_command (pg, "selftest_shape", "ALTER TABLE selftest_shape ADD COLUMN b int", 0,
                        NULL);
    res = pg_session_exec (pg, "selftest_shape", shape_sql, 1, one, NULL, NULL, 0);
    char changed [8];
    snprintf (changed, sizeof changed, "%s", res ? "ok" : pg_session_last_sqlstate (pg));
    PQclear (res);
    res = pg_session_exec (pg, "selftest_shape", shape_sql, 1, one, NULL, NULL, 0);
    int after = res ? PQnfields (res) : -1;
    PQclear (res);
    pg_session_command (pg, "selftest_shape", "DROP TABLE selftest_shape", 0, NULL);
    snprintf (what, sizeof what, "a prepared statement whose table changed shape fails once"
              " (0A000) and is prepared afresh (columns %d, then %s, then %d columns)",
              before, changed, after);
    s_check (verbose, before == 1 && strcmp (changed, "0A000") == 0 && after == 2, what);
    return selftest_tally_end (&s_tally, verbose, "case_action", passed);
}
