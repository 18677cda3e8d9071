/*  calendar_sync.h — which cases a calendar load must re-plan (issue 16
 *  follow-up, watchdog2; docs/watchdog.md "Reload: which cases are
 *  re-planned"; migration 057).
 *
 *  A calendar's content hash (what it says, not its file's bytes) is kept
 *  in the store (sla_calendar_state) and on each clock it counted
 *  (sla_clock.calendar_hash, written by the recompute). After a load the
 *  cases with an open clock on a calendar counted on another hash than the
 *  loaded one are marked dirty and the recompute re-plans them
 *  (sla.deadline_moved where a deadline moved, once: the firing's key). A
 *  restart or SIGHUP with nothing changed costs a few index probes.
 *
 *      calendar_sync_new       the hashes of every calendar of a policy
 *      calendar_sync_hash      one calendar's ("" when unknown)
 *      calendar_sync_run       mark what was counted on other days, record
 *                              the hashes; cases marked or -1
 *      calendar_sync_test      self-test of the hash
 */
#ifndef CALENDAR_SYNC_H_INCLUDED
#define CALENDAR_SYNC_H_INCLUDED

#include "sla_policy.h"
#include "pg_session.h"
#include <stdbool.h>

typedef struct _calendar_sync_t calendar_sync_t;

calendar_sync_t *calendar_sync_new (const sla_policy_t *policy);
void calendar_sync_destroy (calendar_sync_t **self_p);
const char *calendar_sync_hash (const calendar_sync_t *self, const char *calendar);

/* One transaction under an advisory lock. Returns the cases marked dirty,
 * -1 when the store failed (try again next tick). */
int calendar_sync_run (const calendar_sync_t *self, pg_session_t *pg, const char *name);

/* The hash of one calendar (hex, CALENDAR_SYNC_HASH_SIZE with its NUL). */
#define CALENDAR_SYNC_HASH_SIZE 33
void calendar_sync_hash_of (const calendar_t *calendar, char *hex);

int calendar_sync_test (bool verbose, const char *calendars_dir, int *passed);

#endif
