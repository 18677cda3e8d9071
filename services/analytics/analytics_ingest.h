/*  analytics_ingest.h — a batch of events from the stream, applied to the
 *  facts and the rollups in one transaction with the cursor's move.
 *
 *  The event client hands out events one by one, each valid until the next
 *  (common/event_stream.h); a batch keeps a copy of the ones that change a
 *  fact (complaint.*, sla.breached, sla.extended with a complaint number)
 *  and the seq of the last event of any type. analytics_ingest_commit then
 *  loads the touched facts, applies the events in seq order
 *  (analytics_fact.c), and writes facts, rollup deltas and cursor together
 *  (analytics_store.h), then lets the caller judge the batch's complaints
 *  whose hot-spot keys may have moved (a complaint.received or
 *  complaint.assigned in the batch) in the same transaction before it
 *  commits: what a reader sees as applied (as_of_seq) has been judged too.
 *  Whatever the outcome, the batch is empty after.
 *
 *  Interface:
 *      analytics_ingest_new / _destroy
 *      analytics_ingest_add       take one event (copied when it matters)
 *      analytics_ingest_count     events taken since the last commit
 *      analytics_ingest_last_seq  the seq of the last taken; its commit time
 *      analytics_ingest_commit    the transaction
 *      analytics_ingest_clear     drop the batch (after a failure)
 */
#ifndef ANALYTICS_INGEST_H_INCLUDED
#define ANALYTICS_INGEST_H_INCLUDED

#include "analytics_store.h"
#include "calendar.h"
#include "event_stream.h"

typedef struct _analytics_ingest_t analytics_ingest_t;

analytics_ingest_t *analytics_ingest_new (void);
void analytics_ingest_destroy (analytics_ingest_t **self_p);

void analytics_ingest_add (analytics_ingest_t *self, const event_stream_event_t *event);
size_t analytics_ingest_count (analytics_ingest_t *self);
uint64_t analytics_ingest_last_seq (analytics_ingest_t *self);
int64_t analytics_ingest_last_at (analytics_ingest_t *self);

/* Called inside the batch's transaction, after its writes, with the
 * complaint numbers it received or assigned (a text[] literal; not called
 * when there are none); 0 goes on to commit, -1 rolls the batch back. */
typedef int (analytics_ingest_judge_fn) (analytics_store_t *store, const char *nos_array,
                                         void *arg);

/* cursor: where the store's cursor must be now (the seq before the batch);
 * judge: NULL judges nothing (a rebuild replaying). 0 committed; 1 the
 * cursor had moved (nothing written); -1 failed (rolled back, logged). */
int analytics_ingest_commit (analytics_ingest_t *self, analytics_store_t *store,
                             const calendar_t *calendar, int64_t cursor,
                             analytics_ingest_judge_fn *judge, void *arg);
void analytics_ingest_clear (analytics_ingest_t *self);

#endif
