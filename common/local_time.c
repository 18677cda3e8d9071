/*  local_time.c — a moment in the process's zone, the offset written (see
 *  local_time.h). localtime_r gives the offset of that very moment
 *  (tm_gmtoff), so a zone with summer time shows each time with its own.
 */
#include "local_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *
s_format (int64_t ms, bool deadline, char *buf, size_t size)
{
    //  Floor, not truncate: -1 ms is 1969-12-31 23:59:59.999.
    time_t secs = (time_t) (ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    char clock [24];
    if (!localtime_r (&secs, &tm)) {
        snprintf (buf, size, "?");
        return buf;
    }
    bool midnight = deadline && ms % 1000 == 0 && tm.tm_hour == 0 && tm.tm_min == 0
                 && tm.tm_sec == 0;
    if (midnight) {
        //  The day before, at 24:00, with the offset of the midnight itself.
        struct tm day;
        time_t before = secs - 1;
        if (!localtime_r (&before, &day)
        ||  !strftime (clock, sizeof clock, "%Y-%m-%d 24:00", &day)) {
            snprintf (buf, size, "?");
            return buf;
        }
    }
    else
    if (!strftime (clock, sizeof clock, "%Y-%m-%d %H:%M", &tm)) {
        snprintf (buf, size, "?");
        return buf;
    }
    long offset = tm.tm_gmtoff;
    char sign = offset < 0 ? '-' : '+';
    if (offset < 0)
        offset = -offset;
    snprintf (buf, size, "%s %c%02ld:%02ld", clock, sign, offset / 3600, offset / 60 % 60);
    return buf;
}

const char *
local_time_format (int64_t ms, char *buf, size_t size)
{
    return s_format (ms, false, buf, size);
}

const char *
local_time_format_deadline (int64_t ms, char *buf, size_t size)
{
    return s_format (ms, true, buf, size);
}

char *
local_time_zone_enter (const char *zone)
{
    const char *old = getenv ("TZ");
    char *saved = old ? strdup (old) : NULL;
    char tz [128];
    snprintf (tz, sizeof tz, ":%s", zone);
    setenv ("TZ", tz, 1);
    tzset ();
    return saved;
}

void
local_time_zone_leave (char *saved)
{
    if (saved) {
        setenv ("TZ", saved, 1);
        free (saved);
    }
    else
        unsetenv ("TZ");
    tzset ();
}

#include "selftest.h"

void
local_time_test (bool verbose)
{
    if (verbose)
        printf (" * local_time: ");
    char *saved = local_time_zone_enter ("Asia/Shanghai");
    char buf [LOCAL_TIME_SIZE];
    //  2026-12-05T02:31:07Z is 10:31 in Beijing.
    assert (strcmp (local_time_format (1796437867000LL, buf, sizeof buf),
                    "2026-12-05 10:31 +08:00") == 0);
    //  The end of Fri 2026-12-18 in Beijing: 12-18 16:00 UTC.
    assert (strcmp (local_time_format_deadline (1797609600000LL, buf, sizeof buf),
                    "2026-12-18 24:00 +08:00") == 0);
    assert (strcmp (local_time_format (1797609600000LL, buf, sizeof buf),
                    "2026-12-19 00:00 +08:00") == 0);
    assert (strcmp (local_time_format_deadline (1797609600001LL, buf, sizeof buf),
                    "2026-12-19 00:00 +08:00") == 0);
    assert (strcmp (local_time_format_deadline (1796437867000LL, buf, sizeof buf),
                    "2026-12-05 10:31 +08:00") == 0);
    setenv ("TZ", "America/St_Johns", 1);       /* a half-hour offset, with summer time */
    tzset ();
    assert (strcmp (local_time_format (1796437867000LL, buf, sizeof buf),
                    "2026-12-04 23:01 -03:30") == 0);
    assert (strcmp (local_time_format (1783236667000LL, buf, sizeof buf),
                    "2026-07-05 05:01 -02:30") == 0);
    setenv ("TZ", "UTC", 1);
    tzset ();
    assert (strcmp (local_time_format (-1, buf, sizeof buf), "1969-12-31 23:59 +00:00") == 0);
    char tiny [8];
    local_time_format (0, tiny, sizeof tiny);
    assert (strlen (tiny) == 7);                /* truncated, still a string */
    local_time_zone_leave (saved);
    if (verbose)
        printf ("OK\n");
}
