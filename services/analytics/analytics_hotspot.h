/*  analytics_hotspot.h — the daemon's side of hot spots: the counts from
 *  analytics' own tables, the pure judges of hotspot.h, and the state and
 *  the event committed together.
 *
 *  One pass, whole (after a batch, the pass runs inside the batch's own
 *  transaction, before its COMMIT: analytics_ingest_commit; so what a
 *  reader sees applied, as_of_seq, has been judged too):
 *
 *      BEGIN
 *      the sweep only: UPDATE analytics_hotspot SET open = false … WHERE
 *          open AND no rule of the file has its name, kind and key
 *          columns … RETURNING; per row outbox_append
 *          (analytics.hotspot_cleared, reason rule_removed | rule_changed)
 *      for each rule of hotspots.conf:
 *          SELECT the candidate keys with their counts at app_now ():
 *              the keys of the complaints given (after a batch), or (the
 *              sweep) every key of the rule still open (a count falls as
 *              complaints age out of the window, with no event to say so)
 *              and, in a full sweep or for a surge, every key at or above
 *              the rule's threshold
 *          in C: hotspot_window_judge / hotspot_day_judge per key
 *          INSERT … ON CONFLICT / UPDATE analytics_hotspot: the new state
 *          outbox_append (analytics.hotspot | analytics.hotspot_cleared,
 *                         complaint_no NULL) when the verdict tells
 *      COMMIT
 *
 *  So a state and its event commit together (invariant 3): a complaint
 *  judged again (a replay, a restart, a rebuild) finds its key open and
 *  tells nothing. Only the consumer (the advisory lock's holder) judges.
 *
 *  Interface:
 *      analytics_hotspot_pass      one pass inside the caller's transaction
 *                                  (nos_array: a text[] literal of complaint
 *                                  numbers, or NULL for the sweep; full:
 *                                  the sweep looks for new hot keys too)
 *      analytics_hotspot_judge     the same in a transaction of its own
 */
#ifndef ANALYTICS_HOTSPOT_H_INCLUDED
#define ANALYTICS_HOTSPOT_H_INCLUDED

#include "analytics_store.h"
#include "calendar.h"
#include "hotspot.h"

/* 0 done (*told: the events appended; the caller commits), -1 failed (the
 * caller rolls back). */
int analytics_hotspot_pass (analytics_store_t *store, const hotspot_rules_t *rules,
                            const calendar_t *calendar, const char *nos_array, bool full,
                            int *told);
/* 0 committed (*told: the events appended), -1 failed (rolled back, logged). */
int analytics_hotspot_judge (analytics_store_t *store, const hotspot_rules_t *rules,
                             const calendar_t *calendar, const char *nos_array, bool full,
                             int *told);

#endif
