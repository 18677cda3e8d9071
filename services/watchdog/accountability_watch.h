/*  accountability_watch.h — the watchdog detects the accountability
 *  triggers of seed 004_2f51cd16205a384a.txt 第十二條 (问责; issue 16;
 *  docs/tasks.md "Accountability") and asks intake's register to record
 *  each once (accountability_open, migration 045):
 *
 *      referral_unaccepted   a referred complaint whose acknowledge clock
 *                            breached (the watchdog's own firing says so)
 *      repeat_after_breach   a review or an escalation after a first-response
 *                            or resolution clock of the case had breached
 *      hotspot_uncorrected   an open hot spot of one branch, opened more
 *                            than `grace_ms` ago (the store's clock), with no
 *                            rectification item of its key, open or done
 *      media                 a complaint referred by the media or flagged
 *                            `media` by the router (issue 16 follow-up)
 *
 *  One transaction a sweep: each candidate recorded through the owner's
 *  function, and for each row it created the accountability.opened event,
 *  together. The function is idempotent (UNIQUE (trigger, case | hot spot)),
 *  so two watchdogs sweeping at once record a trigger once and tell it once.
 *
 *  Interface:
 *      accountability_watch_sweep   one sweep; events written, or -1
 */
#ifndef ACCOUNTABILITY_WATCH_H_INCLUDED
#define ACCOUNTABILITY_WATCH_H_INCLUDED

#include "pg_session.h"
#include <stdint.h>

int accountability_watch_sweep (pg_session_t *pg, const char *name, int batch,
                                int64_t grace_ms);

#endif
