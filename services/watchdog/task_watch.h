/*  task_watch.h — the watchdog's clocks for tasks given to cooperating
 *  departments (协办) and rectification items (整改) (issue 16;
 *  docs/tasks.md).
 *
 *  Intake owns the tasks (case_task, migration 043); the watchdog only
 *  reads them and keeps its own rows: task_clock (the next step of each
 *  open task and when it is due) and task_firing (each reminder and chase,
 *  once). Two steps per task:
 *      due_soon   at --task-remind-pct of the way from given to due: the
 *                 department asked is reminded (task.due_soon)
 *      overdue    at the deadline: chased (催办), the lead told (task.overdue)
 *
 *  Planting. Every task action changes its case's row, whose trigger marks
 *  the case sla_dirty; the recompute that claims the case (sla_store.c)
 *  calls task_watch_plant in its transaction, with the case ids: a clock
 *  for each open task of those cases, and a stopped clock for each one no
 *  longer open. An item with no case (opened from a hot spot) is planted by
 *  task_watch_fire's sweep through a partial index of such open items.
 *
 *  Firing, like the SLA clocks: claim the clocks whose next_fire_at has
 *  come (a partial index: the cost grows with what is due, not with what is
 *  open) FOR UPDATE OF the clock SKIP LOCKED; for each, one statement
 *  inserts the firing row ON CONFLICT DO NOTHING and feeds what it returned
 *  to the outbox insert, so an event exists only for a firing this very
 *  transaction inserted, however many watchdogs run.
 *
 *  Interface:
 *      task_watch_plant   clocks for the tasks of recomputed cases
 *      task_watch_fire    one batch of due steps, one transaction
 *      task_watch_next    the wait until the next step (virtual ms), due now
 */
#ifndef TASK_WATCH_H_INCLUDED
#define TASK_WATCH_H_INCLUDED

#include "pg_session.h"
#include <stdint.h>

/* In the caller's transaction: ids is a text array literal of case ids
 * ("{1,2}"). 0, -1 (the session logged why). */
int task_watch_plant (pg_session_t *pg, const char *ids, int remind_pct, const char *name);

/* Plant the caseless items, then fire up to `batch` due steps, each once.
 * Returns the clocks claimed (batch: maybe more), *events the events
 * written; -1 when the store failed (rolled back). */
int task_watch_fire (pg_session_t *pg, const char *name, int batch, int remind_pct,
                     int *events);

/* The virtual ms until the next step (-1: none), how many are due now. */
int task_watch_next (pg_session_t *pg, int64_t *wait_ms, int64_t *due_now);

#endif
