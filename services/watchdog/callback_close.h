/*  callback_close.h — the watchdog asks intake to close a case whose
 *  call-back found nobody (issue 16 §2; docs/followup.md).
 *
 *  The callback clock (sla_plan.c) starts at the decision and breaches when
 *  its period ends, or on the day of the policy's last unanswered attempt
 *  (`attempts callback N`). Its breach is the watchdog's decision; the
 *  closing is intake's, because the case and its audit trail are intake's
 *  and every event has one packer (invariant 9). So after each tick the
 *  watchdog lists the breached callback clocks whose case is still resolved
 *  with no answer (sla_store_callback_due) and sends intake, over its own
 *  CURVE key (role service, name watchdog), an ordinary act without a staff
 *  token: close, reason no_answer, the version it read. Intake checks it as
 *  any act (services/intake/case_followup.c): exactly one commits, however
 *  many watchdogs ask; a loser is told conflict or invalid_transition and
 *  the case leaves the list at the next recompute. A request lost on the
 *  way is asked again at the next tick: nothing is remembered here.
 *
 *  Interface: callback_close_new / _destroy, callback_close_run
 */
#ifndef CALLBACK_CLOSE_H_INCLUDED
#define CALLBACK_CLOSE_H_INCLUDED

#include "sla_store.h"

typedef struct _callback_close_t callback_close_t;

/* A client of intake at endpoint ("none": NULL, the closing is off). */
callback_close_t *callback_close_new (const char *endpoint);
void callback_close_destroy (callback_close_t **self_p);

/* Ask intake to close every case due now (a bounded batch); returns how
 * many intake closed, or -1 when the store failed. */
int callback_close_run (callback_close_t *self, sla_store_t *store);

#endif
