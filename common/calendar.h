/*  calendar.h — working-day calendars and deadline arithmetic.
 *
 *  A calendar (deploy/calendars/NAME.conf, format in docs/calendars.md) is a
 *  region's time zone, its ordinary working week, optional business hours,
 *  its public holidays and its make-up working days (调休: a weekend day that
 *  is a working day). Deadlines are computed on it, in four units:
 *
 *      Nh    hours, elapsed: from + N x 3600 s, whatever the calendar says
 *      Nwh   working hours: only time inside business hours of working days
 *            counts (a calendar without business hours: all 24 hours of a
 *            working day count)
 *      Nwd   working days: the day of `from` does not count; the deadline is
 *            the end of the Nth working day after it
 *      Nd    days (natural days): the day of `from` does not count; the
 *            deadline is the end of day date(from) + N, and when that day is
 *            not a working day, the end of the next working day
 *
 *  "The end of a day" is the close of business (the end of its last business
 *  interval) when the calendar has business hours, else 24:00 (that is,
 *  00:00 of the next day). These are the rules of the PRC Civil Code
 *  (arts. 201-203): the first day is not counted; a period whose last day is a
 *  statutory holiday ends on the day after the holiday; the last day ends at
 *  24:00, or when business stops where there are business hours.
 *  N = 0 is allowed and returns `from` unchanged (an escalation tier "at once").
 *  For wd and d, "the day of from" is the local date of (from - 1 ms): a
 *  `from` at exactly 24:00 (a deadline at the end of a day) belongs to the day
 *  that just ended, so spans chain: calendar_add (calendar_add (t, 15d), 15d)
 *  equals calendar_add (t, 30d) when both ends are working days, and an
 *  escalation "+1wd" after a deadline at the end of Monday is the end of
 *  Tuesday.
 *
 *  All instants are milliseconds since the Unix epoch (UTC); days, weeks and
 *  business hours are local to the calendar's time zone, daylight saving
 *  included. Time zones are applied through the C library (TZ), so these
 *  functions are not thread-safe: call them from one thread per process (the
 *  watchdog's main loop, complaintctl).
 *
 *  Pauses (time the bank waits for the customer does not count):
 *  calendar_pause_credit measures a pause in the clock's own currency (elapsed
 *  time for h and d clocks, working time for wh and wd clocks), and
 *  calendar_shift moves a deadline by such credit, keeping day-unit deadlines
 *  at the end of a (working) day.
 *
 *  Interface:
 *      span_parse / span_format                 "15d", "+1wd", "24h", "8wh", "0"
 *      span_words                               "30日" / "30 days": a span for people
 *      calendar_load / calendar_destroy         one file (common/conf.c reads it);
 *                                               errors a conf_error_t, "file:line: reason"
 *      calendar_name / calendar_timezone
 *      calendar_is_working_day                  a local date
 *      calendar_covers                          does the file know this instant's holidays?
 *      calendar_provisional                     ... only as computed statutory days?
 *      calendar_add                             the deadline: from + span
 *      calendar_pause_credit / calendar_shift   pauses
 *      calendar_parse_local / calendar_format_local
 *      calendars_load_dir / calendars_find / calendars_destroy / calendars_count
 *      calendar_test                            self-test (a table of cases)
 */
#ifndef CALENDAR_H_INCLUDED
#define CALENDAR_H_INCLUDED

#include "conf.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SPAN_HOURS = 0,             /* h   elapsed hours */
    SPAN_WORKING_HOURS,         /* wh  working hours on the calendar */
    SPAN_WORKING_DAYS,          /* wd  working days */
    SPAN_DAYS                   /* d   natural days, ending on a working day */
} span_unit_t;

typedef struct {
    int amount;                 /* >= 0 */
    span_unit_t unit;
} span_t;

#define CALENDAR_ERR_SIZE 256        /* span_parse's error text */
#define CALENDAR_TIME_SIZE 48

/* "24h", "8wh", "2wd", "15d", with an optional leading '+'; "0" alone is
 * zero hours. amount <= 100000. 0 ok; -1 with err ("unit 'w' is not one of
 * h, wh, wd, d"). */
int span_parse (const char *text, span_t *span, char *err, size_t err_size);
/* "15d", "2wd" ... (the shortest form span_parse reads back). */
void span_format (span_t span, char *buf, size_t size);
/* The span as a customer reads it, in lang "zh" ("30日", "5个工作日", "24小时",
 * "8个工作小时") or any other ("30 days", "1 working day", "24 hours",
 * "8 working hours"): never the policy's "30d". */
void span_words (span_t span, const char *lang, char *buf, size_t size);
/* true for wd and d: deadlines at the end of a day. */
bool span_is_days (span_unit_t unit);

typedef struct _calendar_t calendar_t;

/* Load one calendar file. NULL on any error, with err set: the file, the
 * line (0: the file as a whole, e.g. a required line missing) and the reason
 * (an unknown keyword, a bad date, a range backwards, a `workday` that is
 * already a working day, a zone not in /usr/share/zoneinfo, overlapping
 * business hours, a name that differs from the file's). */
calendar_t *calendar_load (const char *path, conf_error_t *err);
void calendar_destroy (calendar_t **self_p);

const char *calendar_name (const calendar_t *self);
const char *calendar_timezone (const calendar_t *self);

/* Is this local date a working day? (workweek, minus holidays, plus
 * make-up working days) */
bool calendar_is_working_day (const calendar_t *self, int year, int month, int day);
/* The holiday or make-up day label of a local date, or NULL. */
const char *calendar_day_label (const calendar_t *self, int year, int month, int day);

/* Does the file's `covers` period include the local date of this instant?
 * (Beyond it only the weekly pattern is known: the caller warns.) */
bool calendar_covers (const calendar_t *self, int64_t at_ms);

/* Is the local date of this instant after `covers`, in a year whose
 * holidays come from `provisional` lines (the statutory days, computed,
 * before the year's notice is published)? A deadline there may move when
 * the notice is loaded: callers mark it provisional. */
bool calendar_provisional (const calendar_t *self, int64_t at_ms);
/* Is this local date a holiday of a `provisional` line? */
bool calendar_day_provisional (const calendar_t *self, int year, int month, int day);

/* The deadline from + span, in ms since the epoch. */
int64_t calendar_add (const calendar_t *self, int64_t from_ms, span_t span);

/* What the pause [from, to) is worth to a clock counted in `unit`:
 * elapsed ms for h and d, working ms (business hours of working days, or
 * whole working days) for wh and wd. */
int64_t calendar_pause_credit (const calendar_t *self, span_unit_t unit,
                               int64_t from_ms, int64_t to_ms);
/* Move a deadline later by credit (as calendar_pause_credit measures it)
 * for a clock counted in `unit`: elapsed for h; working time for wh; for wd
 * and d the moved instant is taken to the end of its day, and for d to the
 * end of the next working day when its day is not one. credit 0 returns
 * due_ms unchanged. */
int64_t calendar_shift (const calendar_t *self, span_unit_t unit, int64_t due_ms,
                        int64_t credit_ms);

/* Parse "2026-02-13 10:00", "2026-02-13T10:00:00" (local to the calendar),
 * "2026-02-13" (00:00 local), or with an explicit offset or Z
 * ("2026-02-13T02:00:00Z", "2026-02-13 10:00+08:00"). 0 ok, -1 bad text. */
int calendar_parse_local (const calendar_t *self, const char *text, int64_t *ms);
/* "2026-02-25 17:00 +08:00 Wed" in the calendar's zone. With end_of_day, a
 * local midnight prints as 24:00 of the day before ("2026-02-25 24:00 +08:00
 * Wed"), which is how a deadline at the end of a day reads. */
void calendar_format_local (const calendar_t *self, int64_t ms, bool end_of_day,
                            char *buf, size_t size);

/* Every NAME.conf in a folder. NULL on the first bad file (err names it
 * and its line), or when the folder has none (err names the folder). */
typedef struct _calendars_t calendars_t;
calendars_t *calendars_load_dir (const char *dir, conf_error_t *err);
const calendar_t *calendars_find (const calendars_t *self, const char *name);
size_t calendars_count (const calendars_t *self);
void calendars_destroy (calendars_t **self_p);

/* ---- For tools (complaintctl calendar) and callers that print dates ---- */

/* Dates as days since 1970-01-01 (proleptic Gregorian), no time zone
 * involved; weekday 0 = Sunday ... 6 = Saturday. */
int32_t calendar_date_days (int year, int month, int day);
void calendar_days_date (int32_t days, int *year, int *month, int *day);
/* Days since 1970-01-01 as "YYYY-MM-DD" (size >= 11). */
void calendar_date_text (int32_t days, char *buf, size_t size);
int calendar_weekday (int32_t days);
/* The local date (as days) of an instant in the calendar's zone. */
int32_t calendar_local_days (const calendar_t *self, int64_t ms);
/* The instant a local date ends: close of business, or 24:00 without hours. */
int64_t calendar_day_end (const calendar_t *self, int32_t days);
/* The file's `covers` period, as days (inclusive). */
void calendar_covers_days (const calendar_t *self, int32_t *from, int32_t *to);
/* Holiday dates (weekend days inside a holiday included); make-up days. */
size_t calendar_holiday_days (const calendar_t *self);
size_t calendar_workday_count (const calendar_t *self);
/* Days off of `provisional` lines (not in calendar_holiday_days), and the
 * last day of the last provisional year (days), -1 without any. */
size_t calendar_provisional_days (const calendar_t *self);
int32_t calendar_provisional_to (const calendar_t *self);
/* "mon-fri" as written; "09:00-12:00 13:30-17:30", or "" without hours. */
const char *calendar_workweek_text (const calendar_t *self);
const char *calendar_hours_text (const calendar_t *self);
/* The index-th calendar of a folder (sorted by name), NULL past the end. */
const calendar_t *calendars_at (const calendars_t *self, size_t index);

void calendar_test (bool verbose);

#endif
