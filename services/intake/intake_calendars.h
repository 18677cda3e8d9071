/*  intake_calendars.h — the calendars intake counts a task's deadline on,
 *  loaded at start and again on SIGHUP (issue 16 follow-up, vetting2;
 *  docs/tasks.md "The deadline", docs/calendars.md).
 *
 *  Intake's writers count `due` (2wd) on the case's calendar
 *  (case_task.c). Until now the folder was read once at start, so a new
 *  year's holiday notice reached the watchdog (which reloads on SIGHUP)
 *  but not intake: the two could disagree on what "two working days"
 *  means. Now intake mirrors the watchdog: SIGHUP reads the whole folder
 *  anew and either swaps it in or refuses it and keeps the old one
 *  (daemon.h's rule), logging calendars_loaded or calendars_refused.
 *
 *  The writers are threads that read the calendars while they hold a
 *  batch, so the swap is an atomic pointer (case_task_calendars) and the
 *  replaced set is retired, freed only when the main loop sees every
 *  writer idle (intake_calendars_idle) — the vetting policy's scheme
 *  (case_vetting.c), for the same reason.
 *
 *  Interface:
 *      intake_calendars_new      load the folder (a folder that does not
 *                                load leaves deadlines refused, as before)
 *      intake_calendars_reload   SIGHUP: 0 swapped in, -1 refused (logged)
 *      intake_calendars_idle     free the sets replaced (writers idle)
 *      intake_calendars_destroy
 *      intake_calendars_test     self-test: swap, refusals, retirement
 */
#ifndef INTAKE_CALENDARS_H_INCLUDED
#define INTAKE_CALENDARS_H_INCLUDED

#include <stdbool.h>

typedef struct _intake_calendars_t intake_calendars_t;

/* Never NULL; the folder may not have loaded (logged calendars_not_loaded):
 * then no calendar is set, as intake always did. */
intake_calendars_t *intake_calendars_new (const char *dir, const char *default_name);
/* A daemon_reload_fn: the folder read anew; refused (the old kept) when it
 * does not load or lacks the default calendar. */
int  intake_calendars_reload (void *self);
void intake_calendars_idle (intake_calendars_t *self);
void intake_calendars_destroy (intake_calendars_t **self_p);

int  intake_calendars_test (bool verbose, int *passed);

#endif
