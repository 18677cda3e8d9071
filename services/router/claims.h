/*  claims.h — the router's work queue in PostgreSQL: claim received
 *  complaints under a lease, then assign them — department, handler
 *  (pick_handler), classification, due date — each with its
 *  complaint.assigned outbox row (plus complaint.major and
 *  complaint.cooperation_requested where they apply) and its case_action
 *  audit row, in one transaction (invariants 3 and 5).
 *
 *  A claim is one short autocommit statement: it leases up to N waiting
 *  complaints (FOR NO KEY UPDATE SKIP LOCKED, so routers never wait on each other)
 *  and returns what routing needs. No transaction stays open while the
 *  router thinks. The finish is one transaction over arrays: every assignment
 *  is conditional on the complaint still being 'received' and still leased to
 *  this instance, and only an assignment that happened writes its events and
 *  its audit row.
 *  So a duplicate wake-up, a second router, or a router that comes back
 *  after its lease expired can never assign a complaint twice.
 *
 *  Interface:
 *      claims_new        connect (with retry), prepare statements
 *      claims_take       lease up to `limit` complaints -> claim_batch_t
 *      claims_finish     assign a routed batch; returns how many were assigned
 *      claims_release    give back every lease this instance holds
 *      claims_recover    reconnect after a failure
 *      claims_session    the store session (for the directory sync)
 *      claims_batch_destroy
 *      claims_destroy
 */
#ifndef CLAIMS_H_INCLUDED
#define CLAIMS_H_INCLUDED

#include "policy.h"
#include "pg_session.h"
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _claims_t claims_t;

/* One claimed complaint. Strings point into the batch's PGresult; NULL when
 * the column is NULL. `repeat`: the store holds another complaint of the
 * same customer pseudonym received within repeat_days before this one. The
 * router fills `decision` and sets `routed`. */
typedef struct {
    int64_t id;
    const char *complaint_no, *channel, *product, *category, *subject, *body, *branch;
    const char *amount;
    bool repeat;
    bool routed;
    policy_decision_t decision;
} claim_t;

typedef struct {
    PGresult *res;
    int count;
    claim_t *items;
} claim_batch_t;

/* owner: this instance's unique lease owner; name: the instance name put in
 * the events. Blocks until PostgreSQL answers; NULL only when interrupted. */
claims_t *claims_new (const char *conninfo, const char *owner, const char *name,
                      long lease_ms);
void claims_destroy (claims_t **self_p);

/* Lease up to `limit` waiting complaints. Returns 0 with *batch set (possibly
 * empty), or -1 when the store failed (the caller calls claims_recover). */
int claims_take (claims_t *self, int limit, int repeat_days, claim_batch_t **batch);

/* Assign every routed claim of the batch (no deadline: the SLA watchdog
 * sets due_at). Returns the number assigned (claims lost to an expired
 * lease are skipped), or -1 (nothing written). */
int claims_finish (claims_t *self, claim_batch_t *batch);

/* The store session, for the directory sync (orgsync.c). */
pg_session_t *claims_session (claims_t *self);

/* Clear this instance's leases on complaints still waiting. Returns how
 * many were released, or -1. */
int claims_release (claims_t *self);

/* After a failure: reconnect if the connection is gone (blocking, with
 * back-off). Returns 0 when usable again, -1 when interrupted. */
int claims_recover (claims_t *self);

void claims_batch_destroy (claim_batch_t **batch_p);

#endif
