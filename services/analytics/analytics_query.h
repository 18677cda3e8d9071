/*  analytics_query.h — answer one query of the analytics endpoint
 *  (proto/analytics_request.h; PROTOCOL.md "Analytics").
 *
 *  A query reads only the rollups, in one REPEATABLE READ READ ONLY
 *  transaction with the cursor, so `as_of_seq` is exactly the last event
 *  the figures include. Ranges are taken in whole hours of the bank's zone:
 *  [from, to) selects the complaints received in every hour it touches
 *  (rollup cells are per received hour). Bounded: a kpi answers at most
 *  ANALYTICS_MAX_GROUPS groups, a series at most ANALYTICS_MAX_BUCKETS
 *  buckets (and 10,000 bucket x group cells); beyond that the error names
 *  the field to change (`to`, `bucket` or `by`) and says the cap.
 *
 *  Ranges are cut into hours, days and months, each read from the coarsest
 *  rollup that holds it whole (migration 014): a year's kpi reads 12 months
 *  and the days and hours at its edges.
 *
 *  Interface:
 *      analytics_query_answer    request bytes -> reply bytes (ok or error)
 *      analytics_query_test      self-test (the cuts cover every hour once)
 */
#ifndef ANALYTICS_QUERY_H_INCLUDED
#define ANALYTICS_QUERY_H_INCLUDED

#include "analytics_request.h"
#include "analytics_store.h"
#include "analytics_targets.h"
#include "calendar.h"

#include <msgpack.h>

/* Fills reply with the answer or the error; returns the error code (NULL
 * when ok) for the caller's metrics. */
const char *analytics_query_answer (analytics_store_t *store, const calendar_t *calendar,
                                    const analytics_targets_t *targets, const void *data,
                                    size_t size, msgpack_sbuffer *reply);

/* The head of every ok answer with a range (kpi, series, jrt, cfpb): a map
 * of `entries`, then ok, as_of_seq, from, to and zone. */
void analytics_query_head (msgpack_packer *pk, int entries, int64_t as_of,
                           const calendar_t *calendar, const analytics_request_t *req);

/* Returns the checks failed; adds the passed ones to *passed. */
int analytics_query_test (bool verbose, int *passed);

#endif
