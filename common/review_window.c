/*  review_window.c — until when a review may be asked (see review_window.h).
 *
 *  Why one function. Before, intake counted the window in SQL (the local
 *  date of the decision + N days, at 24:00 of the bank's zone) and the
 *  notifier in C (the same date arithmetic on struct tm): two spellings of
 *  one rule, and neither looked at the calendar, so a window whose last day
 *  was a public holiday closed on the holiday, although the Civil Code's
 *  rule on periods (art. 203, docs/calendars.md "The four units") moves
 *  the end of a period that ends on a statutory holiday to the day after
 *  it. Now both ask this file, and it asks calendar_add with an `Nd` span:
 *  the window is a period counted in days like the SLA's `15d`, on the
 *  case's calendar, so what the customer reads in the notice is what intake
 *  enforces.
 *
 *  Without a calendar (intake's folder failed to load: logged at start)
 *  the end is the end of the Nth day after the decision's day in the
 *  process's zone, as before, so a review is still possible.
 */
#include "review_window.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t
review_window_end (const calendar_t *calendar, int64_t resolved_ms, long days)
{
    if (resolved_ms <= 0 || days < 0)
        return 0;
    if (calendar)
        return calendar_add (calendar, resolved_ms, (span_t) { (int) days, SPAN_DAYS });
    time_t t = (time_t) ((resolved_ms - 1) / 1000);
    struct tm day;
    if (!localtime_r (&t, &day))
        return 0;
    struct tm end = { .tm_year = day.tm_year, .tm_mon = day.tm_mon,
                      .tm_mday = day.tm_mday + (int) days + 1, .tm_isdst = -1 };
    return (int64_t) mktime (&end) * 1000;
}

const char *
review_window_last_day (const calendar_t *calendar, int64_t resolved_ms, long days, char *buf,
                        size_t size)
{
    int64_t end = review_window_end (calendar, resolved_ms, days);
    if (size)
        *buf = 0;
    if (end <= 0 || !size)
        return buf;
    if (calendar) {
        calendar_date_text (calendar_local_days (calendar, end - 1), buf, size);
        return buf;
    }
    time_t t = (time_t) ((end - 1) / 1000);
    struct tm day;
    if (localtime_r (&t, &day))
        strftime (buf, size, "%Y-%m-%d", &day);
    return buf;
}

int
review_window_test (bool verbose, const char *calendars_dir, int *passed)
{
    char path [512];
    snprintf (path, sizeof path, "%s/cn.conf", calendars_dir ? calendars_dir
                                                              : "deploy/calendars");
    conf_error_t err;
    calendar_t *cn = calendar_load (path, &err);
    int failed = 0;
    if (!cn) {
        printf ("  FAIL review_window: %s not loaded\n", path);
        return 1;
    }
    //  Decisions at 10:00 Beijing time, 30-day window (intake's default):
    //    Mon 2026-03-02 -> Apr 1, a Wednesday: the end of Apr 1.
    //    Sat 2026-09-05 -> Oct 5, 国庆节 (Oct 1-7) -> the end of Thu Oct 8.
    //    Thu 2026-06-04 -> Jul 4, a Saturday -> the end of Mon Jul 6.
    //    Thu 2026-01-15 -> Feb 14, a Saturday -> Feb 15-23 are 春节, and
    //      Feb 14 is itself a make-up working day (cn.conf: workday
    //      2026-02-14), so it ends on Feb 14.
    const struct { const char *resolved; long days; const char *last; } cases [] = {
        { "2026-03-02 10:00", 30, "2026-04-01" },
        { "2026-09-05 10:00", 30, "2026-10-08" },
        { "2026-06-04 10:00", 30, "2026-07-06" },
        { "2026-01-15 10:00", 30, "2026-02-14" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        int64_t at = 0;
        char last [16];
        bool ok = calendar_parse_local (cn, cases [i].resolved, &at) == 0;
        review_window_last_day (cn, at, cases [i].days, last, sizeof last);
        int64_t end = review_window_end (cn, at, cases [i].days);
        ok = ok && strcmp (last, cases [i].last) == 0
          && calendar_local_days (cn, end - 1) + 1 == calendar_local_days (cn, end);
        if (ok)
            (*passed)++;
        else
            failed++;
        if (verbose || !ok)
            printf ("  %s review_window: decided %s, %ld days: last day %s (want %s)\n",
                    ok ? "ok  " : "FAIL", cases [i].resolved, cases [i].days, last,
                    cases [i].last);
    }
    char none [16];
    review_window_last_day (cn, 0, 30, none, sizeof none);
    if (*none == 0 && review_window_end (cn, 0, 30) == 0)
        (*passed)++;
    else {
        failed++;
        printf ("  FAIL review_window: an undecided case has no window\n");
    }
    calendar_destroy (&cn);
    return failed;
}
