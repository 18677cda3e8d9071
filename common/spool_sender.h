/*  spool_sender.h — drains a channel adapter's spool (spool.h) into intake
 *  through an intake_client (intake_client.h): oldest first, up to a window
 *  in flight, until intake has answered every entry.
 *
 *  Each entry is a request intake takes (a submit, or a case action an
 *  adapter may send); its answer decides where the entry goes:
 *
 *      {"ok":true, ...}                 spool_done, intake's reply beside it
 *                                       ("duplicate":true too: the same ref
 *                                       was stored before, invariant 6)
 *      a permanent refusal              spool_reject, the error reply beside
 *        (a field intake will never      it: kept for an operator, never
 *        take: malformed, too_large,     dropped
 *        missing_field, invalid_field,
 *        unknown_channel, not_found,
 *        invalid_transition, ...)
 *      a transient one                  sent again after a back-off
 *        (unavailable, internal,         (backoff_min_ms doubling up to
 *        rate_limited, conflict,         backoff_max_ms), for ever: the
 *        unauthenticated, forbidden,     entry stays in new/ meanwhile
 *        an unreadable reply)
 *      no reply                         intake_client resends it (timeouts,
 *                                       reconnection), for ever
 *
 *  `forbidden` and `unauthenticated` count as transient on purpose: they
 *  say the adapter's certificate is wrong (revoked, or not given this
 *  channel), which the operator fixes; the entries must still arrive after.
 *  Two exceptions are refusals for good, kept in rejected/ with intake's
 *  answer, because no certificate fix makes them pass: a refusal naming a
 *  member of staff's token (field `first_contact.token`: the agent a first
 *  contact is resolved under, proto/request.h), and `forbidden` naming the
 *  field "from" — a reply whose sender is not the case's customer
 *  (intake's case_reply).
 *
 *  The adapter is told each entry's outcome through its function (the web
 *  adapter answers the customer with the complaint number and query code).
 *  Killed at any moment, nothing is lost: an entry leaves new/ only after
 *  its answer, and one sent twice is a duplicate at intake.
 *
 *  Use inside a daemon's loop: call spool_sender_kick after spool_put (or
 *  whenever new entries may be in new/), poll intake_client_sock with a
 *  timeout of at most intake_client_timeout / spool_sender_timeout, then
 *  intake_client_handle (which runs the answers) and spool_sender_tick.
 *
 *  Metrics (metrics.h), when a registry is given:
 *      complaints_spool_depth                    gauge: entries in new/
 *      complaints_spool_oldest_pending_seconds   gauge: age of the oldest
 *      complaints_spool_submitted_total{result}  accepted | duplicate
 *      complaints_spool_rejected_total{code}     permanent refusals
 *      complaints_spool_retried_total{reason}    timeout | the error code
 *      complaints_spool_reconnects_total         new sockets to intake
 *
 *  Interface:
 *      spool_sender_new / spool_sender_destroy
 *      spool_sender_kick        look at new/ and fill the window
 *      spool_sender_tick        metrics (once a second), kick
 *      spool_sender_timeout     ms until the next tick
 *      spool_sender_in_flight
 *      spool_sender_permanent   is this error code a refusal for good
 *      spool_sender_test
 */
#ifndef SPOOL_SENDER_H_INCLUDED
#define SPOOL_SENDER_H_INCLUDED

#include "intake_client.h"
#include "metrics.h"
#include "spool.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _spool_sender_t spool_sender_t;

typedef enum {
    SPOOL_SENDER_ACCEPTED = 1,  /* intake took it (new or duplicate): in done/ */
    SPOOL_SENDER_REJECTED       /* refused for good: in rejected/ */
} spool_sender_outcome_t;

/* An entry's outcome: id (spool_put's), reply: intake's decoded answer (a
 * map: "complaint_no", "query_code", "duplicate" or "error"), valid only
 * during the call. */
typedef void (spool_sender_fn) (void *arg, const char *id, spool_sender_outcome_t outcome,
                                const msgpack_object *reply);

typedef struct {
    int window;                 /* entries in flight (default 32; at most the client's) */
    int backoff_min_ms;         /* first retry after a transient refusal (default 500) */
    int backoff_max_ms;         /* longest (default 30000) */
} spool_sender_opts_t;

/* Takes neither the spool nor the client: both outlive the sender.
 * metrics may be NULL; fn may be NULL (nothing to tell). */
spool_sender_t *spool_sender_new (spool_t *spool, intake_client_t *client, metrics_t *metrics,
                                  const spool_sender_opts_t *opts, spool_sender_fn *fn,
                                  void *arg);
/* Entries in flight are left in new/ (sent again by the next sender). */
void spool_sender_destroy (spool_sender_t **self_p);

/* Fill the window from new/, oldest first. */
void spool_sender_kick (spool_sender_t *self);
/* Once a second: metrics, and a kick (entries put by another path). */
void spool_sender_tick (spool_sender_t *self);
/* ms until the next tick is due (>= 0). */
long spool_sender_timeout (spool_sender_t *self);

size_t spool_sender_in_flight (spool_sender_t *self);
/* Entries answered since start: accepted (new or duplicate), rejected. */
size_t spool_sender_accepted (spool_sender_t *self);
size_t spool_sender_rejected (spool_sender_t *self);

/* true when intake's error code is a refusal for good (see above). */
bool spool_sender_permanent (const char *code, size_t len);

void spool_sender_test (bool verbose);

#endif
