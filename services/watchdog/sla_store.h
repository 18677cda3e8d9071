/*  sla_store.h — the watchdog's SQL: recompute dirty cases, fire due
 *  timers, sync the extension rules, and say when the next timer is due.
 *
 *  One connection per watchdog. Its session sets
 *  idle_in_transaction_session_timeout, so a hung watchdog's row locks (its
 *  lease on what it claimed) are released by the server; a killed one's go
 *  at once with its connection. It LISTENs on `app_clock`, so shifting the
 *  store's clock wakes it.
 *
 *  Interface:
 *      sla_store_new / sla_store_destroy   connect (retrying), LISTEN
 *      sla_store_recover                   reconnect when the connection is gone
 *      sla_store_socket                    the connection's fd, for poll
 *      sla_store_take_notifies             consume input; true when app_clock moved
 *      sla_store_sync_rules                sla_extension_rule := the policy's
 *      sla_store_recompute                 one batch of dirty cases
 *      sla_store_fire                      one batch of due clocks
 *      sla_store_next                      real ms until the next due timer, due now
 *      sla_store_set_calendar_sync         the calendar hashes each clock row
 *                                          records (calendar_sync.h)
 */
#ifndef SLA_STORE_H_INCLUDED
#define SLA_STORE_H_INCLUDED

#include "sla_policy.h"
#include "pg_session.h"
#include <stdint.h>

typedef struct _sla_store_t sla_store_t;

sla_store_t *sla_store_new (const char *conninfo, const char *name, long idle_timeout_ms);
void sla_store_destroy (sla_store_t **self_p);
int sla_store_recover (sla_store_t *self);
/* issue 16 (i16-tasks): task clocks (task_watch.h) share the store's
 * session; reminders at remind_pct of a task's time. */
void sla_store_task_setup (sla_store_t *self, int remind_pct);
pg_session_t *sla_store_session (sla_store_t *self);
int sla_store_socket (sla_store_t *self);
/* -1: the connection is lost; 1: app_clock was notified; 0: nothing. */
int sla_store_take_notifies (sla_store_t *self);

int sla_store_sync_rules (sla_store_t *self, const sla_policy_t *policy);
/* Cases recomputed (>= 0) or -1. *events = events written. A case still
 * 'received' that was stored less than settle_ms ago is left for a later
 * tick (0: none is). */
int sla_store_recompute (sla_store_t *self, const sla_policy_t *policy, int batch, int settle_ms,
                         int *events);
/* Clocks handled (>= 0) or -1. *events = steps fired. */
int sla_store_fire (sla_store_t *self, const sla_policy_t *policy, int batch, int *events);
/* Real ms until the earliest next_fire_at (-1: none), and how many are due
 * now. 0 or -1 on failure. */
int sla_store_next (sla_store_t *self, int64_t *wait_ms, int64_t *due_now);

/* issue 16 (i16-followup): the cases whose call-back period ran out (the
 * callback clock breached) that are still resolved with no answer on
 * record: up to max complaint numbers and the versions read, for the
 * watchdog to ask intake to close them as no_answer (callback_close.h).
 * Returns how many, or -1 when the store failed. */
#define SLA_STORE_NO_SIZE 24
int sla_store_callback_due (sla_store_t *self, int max, char (*nos) [SLA_STORE_NO_SIZE],
                            int64_t *versions);

/* issue 16 follow-up (watchdog2): the loaded calendars' hashes, written
 * with each clock (sla_clock.calendar_hash) so that a later change of a
 * calendar re-plans only the cases counted on it (calendar_sync.c). The
 * caller keeps sync alive; NULL: none written. */
typedef struct _calendar_sync_t calendar_sync_t;
void sla_store_set_calendar_sync (sla_store_t *self, const calendar_sync_t *sync);

#endif
