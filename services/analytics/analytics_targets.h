/*  analytics_targets.h — deploy/analytics/targets.conf: the KPI targets the
 *  answers compare against, and the bank's calendar (its zone and working
 *  days). Read with common/conf.c; every refusal is "file:line: reason".
 *
 *      calendar NAME
 *      target RATE >= NUMBER        (RATE from proto/analytics_request.h, 0 <= NUMBER <= 1)
 *
 *  Interface:
 *      analytics_targets_load / _parse / _destroy
 *      analytics_targets_load_with_calendar   the file and the calendar it
 *                                    names, all or nothing (both threads)
 *      analytics_targets_calendar    the calendar's name
 *      analytics_targets_get         a rate's target, or -1 when none
 *      analytics_targets_test        self-test (a table of lines)
 */
#ifndef ANALYTICS_TARGETS_H_INCLUDED
#define ANALYTICS_TARGETS_H_INCLUDED

#include "calendar.h"
#include "conf.h"
#include <stdbool.h>

typedef struct _analytics_targets_t analytics_targets_t;

analytics_targets_t *analytics_targets_load (const char *path, conf_error_t *err);
analytics_targets_t *analytics_targets_parse (const char *file, const char *text,
                                              conf_error_t *err);
void analytics_targets_destroy (analytics_targets_t **self_p);

/* The targets and the calendar they name from calendars_dir, all or
 * nothing: 0 with the three set, -1 with err set. The C library's zone is
 * one per process (calendar.c sets TZ) and two threads use it: with
 * `current` given, a calendar in another zone is refused (restart). */
int analytics_targets_load_with_calendar (const char *targets_path, const char *calendars_dir,
                                          const calendar_t *current,
                                          analytics_targets_t **targets,
                                          calendars_t **calendars, const calendar_t **calendar,
                                          conf_error_t *err);

const char *analytics_targets_calendar (const analytics_targets_t *self);
/* rate: an analytics_rates index. */
double analytics_targets_get (const analytics_targets_t *self, int rate);

int analytics_targets_test (bool verbose, const char *path, int *passed);

#endif
