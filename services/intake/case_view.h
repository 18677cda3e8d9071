/*  case_view.h — what intake shows of cases: `get` and `queue`.
 *
 *  get, with a token whose holder may see the case (the scope rule of
 *  staff_auth.h, cooperating departments included): the staff view — the
 *  complaint with the customer's identity, the case fields, the published
 *  events, the audit trail with each action's details (notes included),
 *  and the SLA clocks with their firings (PROTOCOL.md).
 *  get without a token: the status view for channel adapters — the case
 *  fields and state, the published events (already pseudonymised and
 *  masked), the audit trail without details, and neither the customer's
 *  identity nor the complaint's free text (subject, body, demand).
 *
 *  queue: a member of staff's work list, open cases by priority, due time,
 *  receipt (NULLs last).
 *
 *  Both read on a batch writer's store session, outside any transaction.
 *
 *  Interface:
 *      case_view_get     {"ok":true,"complaint":{...}} or an error
 *      case_view_queue   {"ok":true,"cases":[...]} or an error
 *      case_view_test    self-test: complaint_is_open (the store's "open")
 *                        agrees with lifecycle_state_open, state by state,
 *                        and the queue lists exactly the open cases
 */
#ifndef CASE_VIEW_H_INCLUDED
#define CASE_VIEW_H_INCLUDED

#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

/* Each packs its reply, success or error, into reply; returns 0 on
 * success, -1 on an error reply (a store failure: "unavailable", and the
 * session's pg_statement_failed line). */
int case_view_get (pg_session_t *pg, const get_t *get, msgpack_sbuffer *reply);
int case_view_queue (pg_session_t *pg, const queue_t *queue, msgpack_sbuffer *reply);

/* Against the self-test organisation (test_org.h); adds its passed checks
 * to *passed, returns the number failed. */
int case_view_test (bool verbose, pg_session_t *pg, int *passed);

#endif
