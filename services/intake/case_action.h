/*  case_action.h — one staff action on a case, as one transaction.
 *
 *  An act has already been decoded and checked against the lifecycle
 *  table's field lists (request.c). Here, on a batch writer's store session:
 *
 *      BEGIN
 *      the token -> an active member of staff           else unauthenticated
 *      the actor field, if given, is that person          else forbidden
 *      their role is one the action allows                else forbidden
 *      SELECT the case ... FOR NO KEY UPDATE               else not_found
 *      the case is in their scope (staff_auth.h)           else forbidden
 *      the version is the one the client saw               else conflict
 *      lifecycle_allows (action, state)                    else invalid_transition
 *      lifecycle_check on the real case (level, feedback, complex flag,
 *      an appraisal open)                                  else its error
 *      review: within the window after the decision        else invalid_transition
 *      reopen / close under review: independent of the
 *      deciding department (lifecycle_independent_reviewer) else forbidden
 *      the action's own checks (duplicate_of exists, the transfer's
 *      department exists, is active and is another one; its handler is
 *      pick_handler's choice; a review's or escalation's new department
 *      and supervisor; an extension's step, policy rule, approver rank
 *      (or `superior`: lifecycle_superior) and deadline — case_action.c)
 *      UPDATE complaint (state, version + 1, the action's columns)
 *      INSERT case_action (the audit row; details hold every field given,
 *                          the free text included)
 *      INSERT outbox (the action's event: structured fields only, never
 *                     the text, never the customer)
 *      COMMIT, and only then the reply.
 *
 *  Why a row lock (FOR NO KEY UPDATE: it does not block the foreign-key
 *  checks of rows that reference the case, as FOR UPDATE would) rather
 *  than a blind conditional UPDATE: the row lock
 *  makes a concurrent act on the same case wait for this one, then read the
 *  committed result, so the loser is told exactly why (conflict: the
 *  version moved) with the case's current state and version, and the
 *  value rules run on the row that will be written. Any refusal rolls the
 *  transaction back: nothing is written on any error.
 *
 *  Interface:
 *      case_action_apply   run one act; the reply (ok or error) is packed
 *      case_action_exec    one statement, and which failures are worth a retry
 *      case_action_read / _update / _outbox   the steps every action shares
 *      case_action_transaction   BEGIN, read, write, COMMIT (reply, evidence)
 *                          (the intake `reply` too, case_reply.c)
 *      case_action_test    self-test: authorisation scope through the real
 *                          decode and apply, and which store failures are
 *                          worth a retry (intake --selftest)
 */
#ifndef CASE_ACTION_H_INCLUDED
#define CASE_ACTION_H_INCLUDED

#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

/* Apply `act` on the session (a healthy connection outside any transaction).
 * review_window_days: how long after the decision a review may be asked
 * (intake --review-window-days), in days of the bank's zone (intake
 * --timezone): the window ends at the end of the Nth day after the decision.
 * Packs {"ok":true,"complaint_no","action","state","version","handler"?}
 * or an error reply (conflict and invalid_transition with top-level
 * "state" and "version") into reply. Returns 0 when the act committed,
 * -1 when it was refused or failed (nothing written). */
int case_action_apply (pg_session_t *pg, const act_t *act, long review_window_days,
                       const char *zone, msgpack_sbuffer *reply);

/* One statement of an action's transaction (kind "act", "reply": the
 * statement is named KIND_STEP in the session's log). NULL when it failed:
 * logged as KIND_store_failed with the case and the SQLSTATE, and err set
 * to unavailable when a retry may succeed (the store went away, a
 * serialisation failure, a cancelled statement), else internal. The intake
 * `reply` (case_reply.c) runs its statements through it too. */
PGresult *case_action_exec (pg_session_t *pg, const char *kind, const char *complaint_no,
                            const char *step, const char *sql, int n,
                            const char *const *values, const int *lengths, const int *formats,
                            proto_error_t *err);

/* The case row (sql's one row for complaint_no; step "read"), or NULL:
 * not_found (field complaint_no) when there is none, or the store failed. */
PGresult *case_action_read (pg_session_t *pg, const char *kind, const char *complaint_no,
                            const char *sql, int n, const char *const *values,
                            proto_error_t *err);
/* The UPDATE of the case (step "update"; sql RETURNING version): 0 with
 * *new_version when it is version + 1, else -1 (internal, or the store). */
int case_action_update (pg_session_t *pg, const char *kind, const char *complaint_no,
                        const char *sql, int n, const char *const *values, int64_t version,
                        int64_t *new_version, proto_error_t *err);
/* The case's version + 1 and nothing else of its row, for an action that
 * writes elsewhere (evidence, a survey answer): case_action_update of the
 * one statement. */
int case_action_bump (pg_session_t *pg, const char *kind, const char *complaint_no,
                      const char *case_id, int64_t version, int64_t *new_version,
                      proto_error_t *err);
/* One transaction of the shape reply and evidence share: BEGIN, read (the
 * case locked, the checks), and unless *duplicate (set by read: answered
 * before, nothing to write) write and COMMIT; anything else is rolled
 * back. 0 when committed or a duplicate; -1 (err set by the step) else. */
int case_action_transaction (pg_session_t *pg, const char *kind, const char *complaint_no,
                             int (*read) (void *arg), int (*write) (void *arg), void *arg,
                             const bool *duplicate, proto_error_t *err);
/* The action's event into the outbox (step "outbox"): 0, -1. */
int case_action_outbox (pg_session_t *pg, const char *kind, const char *type,
                        const char *complaint_no, const msgpack_sbuffer *data,
                        proto_error_t *err);

/* Needs test_org_create () done on the store. Returns the failures; adds
 * the passed checks to *passed. */
int case_action_test (bool verbose, pg_session_t *pg, int *passed);

#endif
