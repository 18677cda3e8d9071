/*  analytics_store.h — analytics' own tables (migrations 012, 014): the session,
 *  the consumer's lock, the cursor, and the batch transaction.
 *
 *  The batch transaction, whole:
 *
 *      BEGIN
 *      SELECT last_seq FROM analytics_cursor FOR UPDATE      -- = what we expect?
 *      SELECT to_jsonb (f) FROM analytics_fact f WHERE complaint_no = ANY ($nos)
 *      -- in C: apply the batch's events to those facts (analytics_fact.c)
 *      WITH new = $facts, old = their rows now,
 *           upsert new into analytics_fact,
 *           per cell: +contribution (new) - contribution (old), netted; the
 *             cells that changed added into analytics_rollup (hour x 6
 *             dimensions) and, summed per day and per month x each
 *             dimension, into analytics_rollup_dim; the same for the
 *             time-to-X histograms (analytics_rollup_time, _dim_time)
 *      RETURNING the cells left empty                 -- one statement
 *      DELETE those cells (when there are any: a case moved cell)
 *      UPDATE analytics_cursor SET last_seq = $to
 *      COMMIT
 *
 *  So the cursor and every effect of the batch commit together (kill -9 at
 *  any point: all or nothing), and the rollups are moved by exactly the
 *  difference the batch made to its cases' contributions, whatever changed
 *  (a case's department after a transfer moves it from one cell to another).
 *  Set-based: a fixed number of statements per batch, however many events.
 *
 *  Interface:
 *      analytics_store_new / _destroy    the session (TimeZone UTC, the time bounds)
 *      analytics_store_session           for the queries (analytics_query.c)
 *      analytics_store_try_lock          the single consumer's advisory lock
 *      analytics_store_has_lock
 *      analytics_store_cursor            the last applied seq
 *      analytics_store_snapshot          a query's read snapshot with its as_of
 *      analytics_store_reset             --rebuild: empty every table, cursor 0
 *      analytics_store_batch_begin / _load / _write / _commit
 *      analytics_store_time_bounds       the histogram bounds, from the store
 *      analytics_store_check_view        the view's columns = analytics_metrics, the
 *                                        day rollups' dimensions = analytics_dims
 */
#ifndef ANALYTICS_STORE_H_INCLUDED
#define ANALYTICS_STORE_H_INCLUDED

#include "analytics_fact.h"
#include "pg_session.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define ANALYTICS_LOCK_KEY  1095650865      /* pg_advisory_lock: "ANA1" */
#define ANALYTICS_MAX_BOUNDS 32

typedef struct _analytics_store_t analytics_store_t;

/* NULL only when interrupted while connecting. */
analytics_store_t *analytics_store_new (const char *conninfo, const char *name);
/* A store with no connection yet that never waits for one: the read side,
 * which must answer "unavailable" at once while the store is away
 * (analytics_store_ready). */
analytics_store_t *analytics_store_new_deferred (const char *conninfo, const char *name);
void analytics_store_destroy (analytics_store_t **self_p);

pg_session_t *analytics_store_session (analytics_store_t *self);

/* 1: this session holds the consumer lock now; 0: another does; -1 failed. */
int analytics_store_try_lock (analytics_store_t *self);
/* False after a reconnect (a new connection holds no lock). */
bool analytics_store_has_lock (analytics_store_t *self);

int analytics_store_cursor (analytics_store_t *self, int64_t *last_seq);
/* BEGIN a REPEATABLE READ READ ONLY snapshot and read the cursor in it (a
 * query's as_of_seq); the caller rolls back. 0 or -1. */
int analytics_store_snapshot (analytics_store_t *self, int64_t *as_of);
int analytics_store_reset (analytics_store_t *self);

/* BEGIN and lock the cursor: 0 when it is at expect, 1 when it moved
 * (another consumer: nothing written, rolled back), -1 failed. */
int analytics_store_batch_begin (analytics_store_t *self, int64_t expect);
/* The facts of these complaints, in a JSON array (to_jsonb rows); NULL failed. */
json_t *analytics_store_batch_load (analytics_store_t *self, const char *nos_array);
/* The facts' upsert, every rollup moved by the difference, emptied cells
 * deleted, and the cursor's move (see above). */
int analytics_store_batch_write (analytics_store_t *self, const char *facts_json,
                                 int64_t last_seq);
int analytics_store_batch_commit (analytics_store_t *self);
void analytics_store_rollback (analytics_store_t *self);
int analytics_store_recover (analytics_store_t *self);
/* True when the session is connected, or one connection attempt (if the
 * back-off since the last failed one has passed) connected it now; never
 * sleeps (pg_session_try_recover). */
bool analytics_store_ready (analytics_store_t *self);

const int64_t *analytics_store_time_bounds (analytics_store_t *self, size_t *count);

/* 0 when analytics_contribution's metric columns are analytics_metrics, in
 * order; -1 (logged) otherwise. */
int analytics_store_check_view (analytics_store_t *self);

#endif
