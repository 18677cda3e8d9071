/*  review_window.h — until when a customer may ask for a review (复核) of a
 *  decision: one function for intake, which enforces it (the `review`
 *  action), and the notifier, which tells the customer the last day in the
 *  resolution notice ({{review_until}}). issue 16 follow-up (watchdog2);
 *  docs/lifecycle.md "Review", docs/calendars.md.
 *
 *      review_window_end        the instant the window closes
 *      review_window_last_day   its last day, YYYY-MM-DD in the calendar's zone
 *      review_window_test       self-test (intake's and the notifier's)
 */
#ifndef REVIEW_WINDOW_H_INCLUDED
#define REVIEW_WINDOW_H_INCLUDED

#include "calendar.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The window of `days` days after the decision at resolved_ms, counted on
 * the case's calendar as the SLA's `d` spans are (calendar_add: the day of
 * the decision is not counted; the window ends at the end of the Nth day,
 * and when that day is not a working day, at the end of the next working
 * day). calendar NULL (none loaded): the end of the Nth day in the
 * process's zone (TZ), not rolled. 0 when resolved_ms <= 0. */
int64_t review_window_end (const calendar_t *calendar, int64_t resolved_ms, long days);

/* The last day of that window ("2026-10-08"), in the calendar's zone (the
 * process's without one); "" when resolved_ms <= 0. Returns buf. */
const char *review_window_last_day (const calendar_t *calendar, int64_t resolved_ms, long days,
                                    char *buf, size_t size);

/* Self-test on the shipped calendar (deploy/calendars/cn.conf) in
 * calendars_dir; the number of failures, *passed incremented. */
int review_window_test (bool verbose, const char *calendars_dir, int *passed);

#endif
