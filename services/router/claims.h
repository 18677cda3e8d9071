/*  claims.h — the router's work queue in PostgreSQL: claim received
 *  complaints, then assign them — department, handler (pick_handler),
 *  classification — each with its complaint.assigned outbox row (plus
 *  complaint.major and complaint.cooperation_requested where they apply)
 *  and its case_action audit row, in one transaction (invariants 3 and 5).
 *
 *  A claim opens the transaction: it locks up to N waiting complaints
 *  (FOR NO KEY UPDATE SKIP LOCKED, so routers never wait on each other) and
 *  returns what routing needs; the finish assigns them and commits. The
 *  row locks are the claim: a router that dies releases them with its
 *  connection, one that hangs is cut off by the server after --lease-ms.
 *  So a duplicate wake-up, a second router, or a dead one can never get a
 *  complaint assigned twice, or left behind.
 *
 *  Interface:
 *      claims_new        connect (with retry), prepare statements
 *      claims_take       claim up to `limit` complaints -> claim_batch_t
 *      claims_finish     assign a routed batch and commit; how many were assigned
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
    const char *referral;        /* complaint.referral_source; NULL: came directly */
    bool routed;
    policy_decision_t decision;
} claim_t;

typedef struct {
    PGresult *res;
    int count;
    claim_t *items;
} claim_batch_t;

/* name: the instance name put in the events; lease_ms: the longest a claim
 * may stay open (the server ends it after). Blocks until PostgreSQL
 * answers; NULL only when interrupted. */
claims_t *claims_new (const char *conninfo, const char *name, long lease_ms);
void claims_destroy (claims_t **self_p);

/* Claim up to `limit` waiting complaints. Returns 0 with *batch set: empty
 * (no transaction left open), or claimed (open until claims_finish, which
 * every non-empty batch must get); -1 when the store failed (the caller
 * calls claims_recover). */
int claims_take (claims_t *self, int limit, int repeat_days, claim_batch_t **batch);

/* Assign every routed claim of the batch (no deadline: the SLA watchdog
 * sets due_at) and commit. Returns the number assigned, or -1 (nothing
 * written: the claim is rolled back, or the server ended it). */
int claims_finish (claims_t *self, claim_batch_t *batch);

/* The store session, for the directory sync (orgsync.c). */
pg_session_t *claims_session (claims_t *self);

/* After a failure: reconnect if the connection is gone (blocking, with
 * back-off). Returns 0 when usable again, -1 when interrupted. */
int claims_recover (claims_t *self);

void claims_batch_destroy (claim_batch_t **batch_p);

#endif
