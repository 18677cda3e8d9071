/*  case_view.h — what intake shows of cases: `get` and `queue`.
 *
 *  get, with a token whose holder may see the case (the scope rule of
 *  staff_auth.h, cooperating departments included): the staff view — the
 *  complaint with the customer's identity, the case fields, the published
 *  events, the audit trail with each action's details (notes included),
 *  and the SLA clocks with their firings (PROTOCOL.md).
 *  get without a token: the public status view, and only for whoever holds
 *  the customer's query code (issued at submit, kept as a keyed hash:
 *  identity_seal.h) — the number, the state, the dates and the next step
 *  the customer can expect, nothing else (no free text, no events, no ids).
 *  A missing or wrong code is answered exactly as an unknown number
 *  (not_found), and counts against the number in status_guess: past
 *  case_failures in the hour, every query for that number is refused
 *  (rate_limited), known number or not, so the refusal tells nothing. The
 *  per-peer limit is the request loop's (peer_limit.h): *status_miss says
 *  this get failed on the code. adapter_status: the sender's CURVE
 *  certificate may see status without a code (`complaintctl keys new NAME
 *  --status`: an agent desk looking up a caller's case) — the same status
 *  view, never more.

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

#include "identity_seal.h"
#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

/* Each packs its reply, success or error, into reply; returns 0 on
 * success, -1 on an error reply (a store failure: "unavailable", and the
 * session's pg_statement_failed line). */
typedef struct {
    const identity_seal_t *seal;    /* opens the identity, hashes query codes */
    long case_failures;             /* failed status queries per number and hour */
    long review_window_days;        /* act (case_action.c): a review may be asked this many
                                       days after the decision */
    const char *timezone;           /* the bank's calendar zone (intake --timezone): the
                                       window's days, and times in messages */
    long retention_years;           /* issue 16 (i16-records): a closed case's identity is
                                       erased this many years after closure
                                       (intake --retention-years; case_retention.h) */
    long evidence_part_hours;       /* issue 16 follow-up (adapters2): an attachment's parts
                                       untouched this long are swept as incomplete
                                       (case_evidence_sweep.h) */
    long evidence_sweep_s;          /* ... looked for this often, by the first writer */
} case_view_cfg_t;

int case_view_get (pg_session_t *pg, const case_view_cfg_t *cfg, const get_t *get,
                   bool adapter_status, msgpack_sbuffer *reply, bool *status_miss);
int case_view_queue (pg_session_t *pg, const queue_t *queue, msgpack_sbuffer *reply);

/* issue 16 (i16-records): the staff view with more keys in the complaint
 * map — the case file (case_file.c) adds the messages and who exported it.
 * extra->count pairs, packed by extra->pack after the view's own keys,
 * given the case's id (as text). extra NULL: the plain staff get. */
typedef struct {
    int count;
    void (*pack) (msgpack_packer *pk, pg_session_t *pg, const char *complaint_id, void *arg);
    void *arg;
} case_view_extra_t;
int case_view_staff (pg_session_t *pg, const case_view_cfg_t *cfg, const get_t *get,
                     const case_view_extra_t *extra, msgpack_sbuffer *reply);

/* Against the self-test organisation (test_org.h); adds its passed checks
 * to *passed, returns the number failed. */
int case_view_test (bool verbose, pg_session_t *pg, int *passed);

#endif
