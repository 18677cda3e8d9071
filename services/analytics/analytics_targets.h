/*  analytics_targets.h — deploy/analytics/targets.conf: the KPI targets the
 *  answers compare against, and the bank's calendar (its zone and working
 *  days). Read with common/conf.c; every refusal is "file:line: reason".
 *
 *      calendar NAME
 *      target RATE >= NUMBER        (RATE from proto/analytics_request.h, 0 <= NUMBER <= 1)
 *
 *  Interface:
 *      analytics_targets_load / _parse / _destroy
 *      analytics_targets_calendar    the calendar's name
 *      analytics_targets_get         a rate's target, or -1 when none
 *      analytics_targets_test        self-test (a table of lines)
 */
#ifndef ANALYTICS_TARGETS_H_INCLUDED
#define ANALYTICS_TARGETS_H_INCLUDED

#include "conf.h"
#include <stdbool.h>

typedef struct _analytics_targets_t analytics_targets_t;

analytics_targets_t *analytics_targets_load (const char *path, conf_error_t *err);
analytics_targets_t *analytics_targets_parse (const char *file, const char *text,
                                              conf_error_t *err);
void analytics_targets_destroy (analytics_targets_t **self_p);

const char *analytics_targets_calendar (const analytics_targets_t *self);
/* rate: an analytics_rates index. */
double analytics_targets_get (const analytics_targets_t *self, int rate);

int analytics_targets_test (bool verbose, const char *path, int *passed);

#endif
