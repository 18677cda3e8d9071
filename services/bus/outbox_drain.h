/*  outbox_drain.h — the bus's sequencer: outbox rows -> event_log -> PUB.
 *
 *  One drain is one transaction on the elected bus's own connection (the one
 *  that holds the advisory lock):
 *
 *      BEGIN
 *      WITH taken AS (DELETE FROM outbox WHERE id = ANY (ARRAY
 *                       (SELECT id FROM outbox ORDER BY id LIMIT batch))
 *                     RETURNING ...) SELECT ... FROM taken ORDER BY id
 *      seq = last_seq + 1, + 2, ... in id order; event_pack each
 *      INSERT INTO event_log SELECT * FROM unnest ($seqs, $types, ...)
 *      COMMIT
 *      publish [type][seq BE][event] for each, then last_seq += n
 *
 *  Nothing is published before COMMIT, so a subscriber never sees an event
 *  the log does not hold; last_seq only moves after COMMIT, so a seq is never
 *  handed out twice. An event committed but not published (kill -9 between
 *  COMMIT and send) is found by subscribers through the heartbeat and replay.
 *
 *  Interface:
 *      outbox_drain_new        prepare statements, read last_seq from event_log
 *      outbox_drain_destroy
 *      outbox_drain_once       one batch; returns rows drained, or -1
 *      outbox_drain_last_seq   the last committed seq
 *      outbox_drain_lag_ms     how long the last batch's oldest row waited
 *      outbox_drain_test       self-test of the pure helpers
 */
#ifndef OUTBOX_DRAIN_H_INCLUDED
#define OUTBOX_DRAIN_H_INCLUDED

#include "pg_session.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _outbox_drain_t outbox_drain_t;

/* pg: the bus's session, whose connection holds the bus lock for the
 * drain's whole life (one term: destroy the drain before the session may
 * reconnect); pub is the bound PUB socket. NULL on SQL failure. */
outbox_drain_t *outbox_drain_new (pg_session_t *pg, zsock_t *pub, int batch);
void outbox_drain_destroy (outbox_drain_t **self_p);

/* Drain at most `batch` rows in one transaction and publish them after
 * COMMIT. Returns the number of rows drained (0 when the outbox is empty),
 * or -1 when a statement failed (rolled back; the caller checks pg_session_healthy). */
int outbox_drain_once (outbox_drain_t *self);

uint64_t outbox_drain_last_seq (outbox_drain_t *self);

/* How long the oldest row of the last batch waited in the outbox, in ms
 * (commit to publish, by the two hosts' clocks); 0 after an empty drain. */
int64_t outbox_drain_lag_ms (outbox_drain_t *self);

void outbox_drain_test (bool verbose);

#endif
