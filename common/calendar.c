/*  calendar.c — working-day calendars and deadline arithmetic (calendar.h).
 *
 *  A calendar is loaded from one small text file (format in
 *  docs/calendars.md and in deploy/calendars/cn.conf's header) into:
 *      - the zone, applied through the C library (TZ=":Zone", tzset); every
 *        conversion between an instant and a local date or clock time goes
 *        through localtime_r / mktime (tm_isdst = -1), so daylight saving is
 *        the C library's business, not ours;
 *      - the workweek as a bit per weekday and up to four business intervals
 *        in minutes from local midnight;
 *      - a table with one byte per date from the earliest to the latest date
 *        the file names (covers, holidays, make-up days): normal, holiday or
 *        make-up working day, with the label beside it. "Is this date a
 *        working day?" is then one array lookup, else the weekly pattern.
 *
 *  Dates are counted as days since 1970-01-01 (proleptic Gregorian), which
 *  needs no time zone: date arithmetic (the next day, N days later, the
 *  weekday) is integer arithmetic, and only the ends of a day and business
 *  hours are turned into instants, by mktime in the calendar's zone.
 *
 *  The arithmetic walks day by day: simple enough to check by reading, and
 *  100000 days is a few milliseconds. Every walk is bounded (S_WALK_MAX)
 *  so that no input can loop for ever.
 *
 *  Not thread-safe (TZ is process-wide): one thread per process calls
 *  these functions. The zone last applied is remembered so that TZ is only
 *  switched when a different calendar is used.
 */
#include "calendar.h"
#include "conf.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_LINE_MAX      1024            /* bytes of one line, newline excluded */
#define S_NAME_MAX      32
#define S_ZONE_MAX      64
#define S_LABEL_MAX     200             /* bytes of a holiday label */
#define S_HOURS_MAX     4               /* business intervals in a day */
#define S_ENTRIES_MAX   2000            /* holiday lines, and workday lines */
#define S_YEAR_MIN      1970
#define S_YEAR_MAX      2199
#define S_WALK_MAX      400000          /* days any walk may take (> 100000 wd) */
#define S_MS_MAX        INT64_C(253402300799999)   /* 9999-12-31 23:59:59.999 UTC */
#define S_AMOUNT_MAX    100000

#define S_DAY_NORMAL    0
#define S_DAY_HOLIDAY   1
#define S_DAY_WORKDAY   2
#define S_DAY_PROVISIONAL 4     /* flag: the holiday is a `provisional` line's */

typedef struct {
    int32_t from, to;           /* days, inclusive */
    int line;
    char *label;
    bool provisional;           /* a `provisional` line: computed, no notice yet */
} s_entry_t;

struct _calendar_t {
    char name [S_NAME_MAX + 1];
    char zone [S_ZONE_MAX + 1];
    char tz [S_ZONE_MAX + 2];   /* the TZ value: ":" zone */
    char workweek_text [64];
    char hours_text [S_HOURS_MAX * 12 + 1];
    unsigned workweek;          /* bit 0 Sunday ... bit 6 Saturday */
    int hours_count;
    int hours [S_HOURS_MAX][2]; /* [start, end) in minutes from local midnight */
    int32_t covers_from, covers_to;
    s_entry_t *holidays;
    size_t holiday_count;
    s_entry_t *workdays;
    size_t workday_count;
    size_t holiday_days;
    int32_t provisional_to;     /* the last day of the last provisional year, or -1 */
    size_t provisional_days;
    int32_t table_from;         /* the date of day_kind [0] */
    size_t table_size;
    uint8_t *day_kind;          /* S_DAY_* per date (| S_DAY_PROVISIONAL) */
    const char **day_label;     /* into holidays / workdays */
    int *day_line;              /* the line that set the date */
};

struct _calendars_t {
    calendar_t **list;
    size_t count;
};

static const char *s_weekday_names [7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
static const char *s_weekday_title [7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

/* ---- Dates as day numbers --------------------------------------------- */

/* Howard Hinnant's days_from_civil: exact for every Gregorian date. */
int32_t
calendar_date_days (int year, int month, int day)
{
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153u * (unsigned) (month > 2 ? month - 3 : month + 9) + 2) / 5
                 + (unsigned) day - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t) (era * 146097 + (int) doe - 719468);
}

void
calendar_days_date (int32_t days, int *year, int *month, int *day)
{
    int32_t z = days + 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned) (z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = (int) yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *year = y + (m <= 2);
    *month = (int) m;
    *day = (int) d;
}

int
calendar_weekday (int32_t days)
{
    /* 1970-01-01 was a Thursday */
    int w = (int) ((days % 7 + 7 + 4) % 7);
    return w;
}

static int
s_days_in_month (int year, int month)
{
    static const int days [12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days [month - 1];
}

void
calendar_date_text (int32_t days, char *buf, size_t size)
{
    int y, m, d;
    calendar_days_date (days, &y, &m, &d);
    snprintf (buf, size, "%04d-%02d-%02d", y, m, d);
}

/* ---- Time zone ---------------------------------------------------------- */

/* Apply the calendar's zone unless it is the one in force. TZ is checked as
 * well as our own memory, in case someone else changed it. */
static void
s_use_zone (const calendar_t *self)
{
    static char s_applied [S_ZONE_MAX + 2] = "";
    const char *current = getenv ("TZ");
    if (current && strcmp (current, self->tz) == 0 && strcmp (s_applied, self->tz) == 0)
        return;
    setenv ("TZ", self->tz, 1);
    tzset ();
    snprintf (s_applied, sizeof s_applied, "%s", self->tz);
}

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Instants outside 1970..9999 mean nothing here; keep the C library safe. */
static int64_t
s_clamp (int64_t ms)
{
    return ms < 0 ? 0 : ms > S_MS_MAX ? S_MS_MAX : ms;
}

static void
s_local_tm (const calendar_t *self, int64_t ms, struct tm *tm)
{
    s_use_zone (self);
    time_t secs = (time_t) s_floor_div (s_clamp (ms), 1000);
    if (!localtime_r (&secs, tm))
        memset (tm, 0, sizeof *tm);
}

int32_t
calendar_local_days (const calendar_t *self, int64_t ms)
{
    assert (self);
    struct tm tm;
    s_local_tm (self, ms, &tm);
    return calendar_date_days (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* The instant of a local date and time of day (seconds from midnight; 86400
 * is 24:00, i.e. the next midnight). mktime with tm_isdst = -1 lets the C
 * library decide whether daylight saving is in force at that moment. */
static int64_t
s_local_instant (const calendar_t *self, int32_t days, int seconds)
{
    s_use_zone (self);
    int y, m, d;
    calendar_days_date (days, &y, &m, &d);
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = seconds / 3600;
    tm.tm_min = seconds / 60 % 60;
    tm.tm_sec = seconds % 60;
    tm.tm_isdst = -1;
    time_t t = mktime (&tm);
    return (int64_t) t * 1000;
}

/* ---- Working days ------------------------------------------------------- */

static int
s_day_kind (const calendar_t *self, int32_t days)
{
    if (days >= self->table_from && (size_t) (days - self->table_from) < self->table_size)
        return self->day_kind [days - self->table_from] & ~S_DAY_PROVISIONAL;
    return S_DAY_NORMAL;
}

static bool
s_working (const calendar_t *self, int32_t days)
{
    int kind = s_day_kind (self, days);
    if (kind == S_DAY_HOLIDAY)
        return false;
    if (kind == S_DAY_WORKDAY)
        return true;
    return (self->workweek >> calendar_weekday (days)) & 1;
}

bool
calendar_is_working_day (const calendar_t *self, int year, int month, int day)
{
    assert (self);
    return s_working (self, calendar_date_days (year, month, day));
}

const char *
calendar_day_label (const calendar_t *self, int year, int month, int day)
{
    assert (self);
    int32_t days = calendar_date_days (year, month, day);
    if (s_day_kind (self, days) == S_DAY_NORMAL)
        return NULL;
    return self->day_label [days - self->table_from];
}

bool
calendar_covers (const calendar_t *self, int64_t at_ms)
{
    assert (self);
    int32_t days = calendar_local_days (self, at_ms);
    return days >= self->covers_from && days <= self->covers_to;
}

bool
calendar_provisional (const calendar_t *self, int64_t at_ms)
{
    assert (self);
    int32_t days = calendar_local_days (self, at_ms);
    return days > self->covers_to && days <= self->provisional_to;
}

bool
calendar_day_provisional (const calendar_t *self, int year, int month, int day)
{
    assert (self);
    int32_t days = calendar_date_days (year, month, day);
    if (days < self->table_from || (size_t) (days - self->table_from) >= self->table_size)
        return false;
    return (self->day_kind [days - self->table_from] & S_DAY_PROVISIONAL) != 0;
}

/* The end of a day: close of business, or 24:00 without business hours. */
int64_t
calendar_day_end (const calendar_t *self, int32_t days)
{
    assert (self);
    if (self->hours_count > 0)
        return s_local_instant (self, days, self->hours [self->hours_count - 1][1] * 60);
    return s_local_instant (self, days + 1, 0);
}

/* The working intervals of a day as instants: its business hours, or the
 * whole day (23 or 25 hours on a daylight-saving switch). */
static int
s_day_intervals (const calendar_t *self, int32_t days, int64_t out [S_HOURS_MAX][2])
{
    if (!s_working (self, days))
        return 0;
    if (self->hours_count == 0) {
        out [0][0] = s_local_instant (self, days, 0);
        out [0][1] = s_local_instant (self, days + 1, 0);
        return 1;
    }
    for (int i = 0; i < self->hours_count; i++) {
        out [i][0] = s_local_instant (self, days, self->hours [i][0] * 60);
        out [i][1] = s_local_instant (self, days, self->hours [i][1] * 60);
    }
    return self->hours_count;
}

/* from + `left` ms of working time. When the time runs out exactly at the
 * end of an interval, that end is the answer (17:00, not 09:00 the next
 * working day: the same working time, and what people expect). */
static int64_t
s_add_working (const calendar_t *self, int64_t from, int64_t left)
{
    int32_t day = calendar_local_days (self, from);
    for (int walked = 0; walked < S_WALK_MAX; walked++, day++) {
        int64_t spans [S_HOURS_MAX][2];
        int count = s_day_intervals (self, day, spans);
        for (int i = 0; i < count; i++) {
            int64_t start = spans [i][0], end = spans [i][1];
            if (end <= from)
                continue;
            if (start < from)
                start = from;
            if (left <= end - start)
                return start + left;
            left -= end - start;
        }
    }
    return from + left;         /* beyond any sane span: elapsed */
}

/* Working time inside [from, to). */
static int64_t
s_working_between (const calendar_t *self, int64_t from, int64_t to)
{
    int64_t total = 0;
    int32_t day = calendar_local_days (self, from);
    int32_t last = calendar_local_days (self, to);
    for (int walked = 0; day <= last && walked < S_WALK_MAX; walked++, day++) {
        int64_t spans [S_HOURS_MAX][2];
        int count = s_day_intervals (self, day, spans);
        for (int i = 0; i < count; i++) {
            int64_t start = spans [i][0] < from ? from : spans [i][0];
            int64_t end = spans [i][1] > to ? to : spans [i][1];
            if (end > start)
                total += end - start;
        }
    }
    return total;
}

/* The end of the first working day that ends at or after t, starting from
 * the day t belongs to (t - 1 ms, so 24:00 is the day that ended). */
static int64_t
s_working_day_end_from (const calendar_t *self, int64_t t)
{
    int32_t day = calendar_local_days (self, t - 1);
    for (int walked = 0; walked < S_WALK_MAX; walked++, day++) {
        if (!s_working (self, day))
            continue;
        int64_t end = calendar_day_end (self, day);
        if (end >= t)
            return end;
    }
    return t;
}

int64_t
calendar_add (const calendar_t *self, int64_t from_ms, span_t span)
{
    assert (self);
    if (span.amount <= 0)
        return from_ms;
    int64_t from = s_clamp (from_ms);
    int amount = span.amount > S_AMOUNT_MAX ? S_AMOUNT_MAX : span.amount;
    switch (span.unit) {
        case SPAN_HOURS:
            return from + (int64_t) amount * 3600000;
        case SPAN_WORKING_HOURS:
            return s_add_working (self, from, (int64_t) amount * 3600000);
        case SPAN_WORKING_DAYS: {
            /* the day of from does not count; count N working days after it */
            int32_t day = calendar_local_days (self, from - 1);
            int counted = 0;
            for (int walked = 0; counted < amount && walked < S_WALK_MAX; walked++) {
                day++;
                if (s_working (self, day))
                    counted++;
            }
            return calendar_day_end (self, day);
        }
        case SPAN_DAYS: {
            /* date(from) + N; a last day off moves to the next working day */
            int32_t day = calendar_local_days (self, from - 1) + amount;
            for (int walked = 0; !s_working (self, day) && walked < S_WALK_MAX; walked++)
                day++;
            return calendar_day_end (self, day);
        }
    }
    return from_ms;
}

int64_t
calendar_pause_credit (const calendar_t *self, span_unit_t unit, int64_t from_ms,
                       int64_t to_ms)
{
    assert (self);
    int64_t from = s_clamp (from_ms), to = s_clamp (to_ms);
    if (to <= from)
        return 0;
    if (unit == SPAN_HOURS || unit == SPAN_DAYS)
        return to - from;
    return s_working_between (self, from, to);
}

/* Day units: the moved instant goes to the end of its (working) day; when
 * business hours closed before it, to the end of the next working day, so
 * a pause never gives back less time than it took. */
int64_t
calendar_shift (const calendar_t *self, span_unit_t unit, int64_t due_ms, int64_t credit_ms)
{
    assert (self);
    if (credit_ms <= 0)
        return due_ms;
    int64_t due = s_clamp (due_ms);
    switch (unit) {
        case SPAN_HOURS:
            return due + credit_ms;
        case SPAN_WORKING_HOURS:
            return s_add_working (self, due, credit_ms);
        case SPAN_WORKING_DAYS:
            return s_working_day_end_from (self, s_add_working (self, due, credit_ms));
        case SPAN_DAYS:
            return s_working_day_end_from (self, s_clamp (due + credit_ms));
    }
    return due_ms;
}

/* ---- Spans ------------------------------------------------------------------ */

static const char *
s_unit_suffix (span_unit_t unit)
{
    switch (unit) {
        case SPAN_HOURS: return "h";
        case SPAN_WORKING_HOURS: return "wh";
        case SPAN_WORKING_DAYS: return "wd";
        case SPAN_DAYS: return "d";
    }
    return "?";
}

static void
s_set_err (char *err, size_t err_size, const char *format, ...)
{
    if (!err || err_size == 0)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (err, err_size, format, args);
    va_end (args);
}

int
span_parse (const char *text, span_t *span, char *err, size_t err_size)
{
    assert (span);
    if (!text || !*text) {
        s_set_err (err, err_size, "empty span: want e.g. 15d, 2wd, 24h, 8wh");
        return -1;
    }
    const char *p = text;
    if (*p == '+')
        p++;
    if (!isdigit ((unsigned char) *p)) {
        s_set_err (err, err_size, "span '%.40s' does not start with a number", text);
        return -1;
    }
    long amount = 0;
    while (isdigit ((unsigned char) *p)) {
        amount = amount * 10 + (*p - '0');
        if (amount > S_AMOUNT_MAX) {
            s_set_err (err, err_size, "span '%.40s' is more than %d", text, S_AMOUNT_MAX);
            return -1;
        }
        p++;
    }
    span_t result = { (int) amount, SPAN_HOURS };
    if (*p == 0 && amount == 0 && p - text == 1) {
        *span = result;         /* "0" alone: zero hours */
        return 0;
    }
    if (strcmp (p, "h") == 0)
        result.unit = SPAN_HOURS;
    else
    if (strcmp (p, "wh") == 0)
        result.unit = SPAN_WORKING_HOURS;
    else
    if (strcmp (p, "wd") == 0)
        result.unit = SPAN_WORKING_DAYS;
    else
    if (strcmp (p, "d") == 0)
        result.unit = SPAN_DAYS;
    else {
        if (*p == 0)
            s_set_err (err, err_size, "span '%.40s' has no unit: one of h, wh, wd, d", text);
        else
            s_set_err (err, err_size, "unit '%.20s' is not one of h, wh, wd, d", p);
        return -1;
    }
    *span = result;
    return 0;
}

void
span_format (span_t span, char *buf, size_t size)
{
    if (span.amount == 0 && span.unit == SPAN_HOURS)
        snprintf (buf, size, "0");
    else
        snprintf (buf, size, "%d%s", span.amount, s_unit_suffix (span.unit));
}

void
span_words (span_t span, const char *lang, char *buf, size_t size)
{
    static const char *const zh [] = { "小时", "个工作小时", "个工作日", "日" };
    static const char *const en [][2] = {
        { "hour", "hours" }, { "working hour", "working hours" },
        { "working day", "working days" }, { "day", "days" }
    };
    if (lang && strcmp (lang, "zh") == 0)
        snprintf (buf, size, "%d%s", span.amount, zh [span.unit]);
    else
        snprintf (buf, size, "%d %s", span.amount, en [span.unit][span.amount == 1 ? 0 : 1]);
}

bool
span_is_days (span_unit_t unit)
{
    return unit == SPAN_WORKING_DAYS || unit == SPAN_DAYS;
}

/* ---- Local time text ------------------------------------------------------ */

static bool
s_digits (const char *p, int count, int *value)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        if (!isdigit ((unsigned char) p [i]))
            return false;
        v = v * 10 + (p [i] - '0');
    }
    *value = v;
    return true;
}

/* "YYYY-MM-DD" at p, a real date within S_YEAR_MIN..S_YEAR_MAX. */
static bool
s_date_at (const char *p, int32_t *days)
{
    int y, m, d;
    if (!s_digits (p, 4, &y) || p [4] != '-' || !s_digits (p + 5, 2, &m) || p [7] != '-'
    ||  !s_digits (p + 8, 2, &d))
        return false;
    if (y < S_YEAR_MIN || y > S_YEAR_MAX || m < 1 || m > 12 || d < 1
    ||  d > s_days_in_month (y, m))
        return false;
    *days = calendar_date_days (y, m, d);
    return true;
}

int
calendar_parse_local (const calendar_t *self, const char *text, int64_t *ms)
{
    assert (self);
    assert (ms);
    if (!text)
        return -1;
    int32_t days;
    if (!s_date_at (text, &days))
        return -1;
    const char *p = text + 10;
    int hour = 0, minute = 0, second = 0, millis = 0;
    bool has_time = false, has_offset = false;
    int offset = 0;             /* seconds east of UTC */
    if ((*p == ' ' || *p == 'T') && isdigit ((unsigned char) p [1])) {
        p++;
        if (!s_digits (p, 2, &hour) || p [2] != ':' || !s_digits (p + 3, 2, &minute))
            return -1;
        p += 5;
        if (*p == ':') {
            if (!s_digits (p + 1, 2, &second))
                return -1;
            p += 3;
            if (*p == '.') {
                p++;
                int n = 0, scale = 100;
                while (isdigit ((unsigned char) *p) && n < 3) {
                    millis += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                    n++;
                }
                if (n == 0 || isdigit ((unsigned char) *p))
                    return -1;
            }
        }
        has_time = true;
    }
    if (has_time) {
        const char *q = p;
        if (*q == ' ' && (q [1] == '+' || q [1] == '-' || q [1] == 'Z'))
            q++;
        if (*q == 'Z') {
            has_offset = true;
            p = q + 1;
        }
        else
        if (*q == '+' || *q == '-') {
            int oh, om;
            const char *r = q + 1;
            if (!s_digits (r, 2, &oh))
                return -1;
            r += 2;
            if (*r == ':')
                r++;
            if (!s_digits (r, 2, &om) || oh > 23 || om > 59)
                return -1;
            offset = (oh * 3600 + om * 60) * (*q == '-' ? -1 : 1);
            has_offset = true;
            p = r + 2;
        }
    }
    /* a weekday after it, as calendar_format_local prints: must be right */
    if (*p == ' ' && isalpha ((unsigned char) p [1])) {
        const char *name = s_weekday_title [calendar_weekday (days)];
        if (strncasecmp (p + 1, name, 3) != 0)
            return -1;
        p += 4;
    }
    if (*p)
        return -1;
    if (minute > 59 || second > 59)
        return -1;
    if (hour > 24 || (hour == 24 && (minute || second || millis)))
        return -1;
    int seconds = hour * 3600 + minute * 60 + second;
    if (has_offset)
        *ms = ((int64_t) days * 86400 + seconds - offset) * 1000 + millis;
    else
        *ms = s_local_instant (self, days, seconds) + millis;
    return 0;
}

void
calendar_format_local (const calendar_t *self, int64_t ms, bool end_of_day, char *buf,
                       size_t size)
{
    assert (self);
    struct tm tm;
    s_local_tm (self, ms, &tm);
    int millis = (int) (s_clamp (ms) - s_floor_div (s_clamp (ms), 1000) * 1000);
    int32_t days = calendar_date_days (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    int hour = tm.tm_hour;
    if (end_of_day && hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0 && millis == 0) {
        days--;
        hour = 24;
    }
    char clock [24];
    if (tm.tm_sec == 0 && millis == 0)
        snprintf (clock, sizeof clock, "%02d:%02d", hour, tm.tm_min);
    else
    if (millis == 0)
        snprintf (clock, sizeof clock, "%02d:%02d:%02d", hour, tm.tm_min, tm.tm_sec);
    else
        snprintf (clock, sizeof clock, "%02d:%02d:%02d.%03d", hour, tm.tm_min, tm.tm_sec,
                  millis);
    long offset = tm.tm_gmtoff;
    char sign = offset < 0 ? '-' : '+';
    if (offset < 0)
        offset = -offset;
    char date [16];
    calendar_date_text (days, date, sizeof date);
    snprintf (buf, size, "%s %s %c%02ld:%02ld %s", date, clock, sign, offset / 3600,
              offset / 60 % 60, s_weekday_title [calendar_weekday (days)]);
}

/* ---- Loading ---------------------------------------------------------------- */

/* A label is shown to people (complaintctl, messages): no control
 * characters. (conf_read has checked the line is UTF-8.) */
static bool
s_label_ok (const char *text)
{
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static char *
s_trim (char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t len = strlen (text);
    while (len > 0 && (text [len - 1] == ' ' || text [len - 1] == '\t'))
        text [--len] = 0;
    return text;
}

static int
s_weekday_index (const char *text, size_t len)
{
    if (len != 3)
        return -1;
    for (int i = 0; i < 7; i++)
        if (strncasecmp (text, s_weekday_names [i], 3) == 0)
            return i;
    return -1;
}

/* "mon-fri", "sun-thu", "mon,tue,thu-sat". A range runs forward through the
 * week and may wrap (sat-mon = Saturday, Sunday, Monday). */
static int
s_parse_workweek (char *text, unsigned *mask, const char **why)
{
    *mask = 0;
    char *save = NULL;
    for (char *part = strtok_r (text, ",", &save); part; part = strtok_r (NULL, ",", &save)) {
        part = s_trim (part);
        char *dash = strchr (part, '-');
        int first, last;
        if (dash) {
            first = s_weekday_index (part, (size_t) (dash - part));
            last = s_weekday_index (dash + 1, strlen (dash + 1));
        }
        else
            first = last = s_weekday_index (part, strlen (part));
        if (first < 0 || last < 0) {
            *why = "workweek: a day is one of mon, tue, wed, thu, fri, sat, sun (e.g. mon-fri)";
            return -1;
        }
        for (int d = first; ; d = (d + 1) % 7) {
            *mask |= 1u << d;
            if (d == last)
                break;
        }
    }
    if (*mask == 0) {
        *why = "workweek names no day";
        return -1;
    }
    return 0;
}

/* "HH:MM" with 00:00..24:00 into minutes. */
static bool
s_clock_at (const char *p, int *minutes)
{
    int h, m;
    if (!s_digits (p, 2, &h) || p [2] != ':' || !s_digits (p + 3, 2, &m))
        return false;
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return false;
    *minutes = h * 60 + m;
    return true;
}

static int
s_hours_compare (const void *a, const void *b)
{
    const int *x = a, *y = b;
    return (x [0] > y [0]) - (x [0] < y [0]);
}

static int
s_parse_hours (calendar_t *self, conf_cursor_t *c)
{
    self->hours_count = 0;
    char *word;
    while ((word = conf_token (c))) {
        int start, end;
        int rc = 0;
        if (strlen (word) != 11 || word [5] != '-' || !s_clock_at (word, &start)
        ||  !s_clock_at (word + 6, &end))
            rc = conf_fail (c, "hours: '%.40s' is not HH:MM-HH:MM", word);
        else
        if (end <= start)
            rc = conf_fail (c, "hours: %s ends before it starts", word);
        else
        if (self->hours_count == S_HOURS_MAX)
            rc = conf_fail (c, "hours: at most %d intervals", S_HOURS_MAX);
        free (word);
        if (rc)
            return -1;
        self->hours [self->hours_count][0] = start;
        self->hours [self->hours_count][1] = end;
        self->hours_count++;
    }
    if (self->hours_count == 0)
        return conf_fail (c, "hours: no interval (e.g. 09:00-17:00)");
    qsort (self->hours, (size_t) self->hours_count, sizeof self->hours [0], s_hours_compare);
    size_t used = 0;
    self->hours_text [0] = 0;
    for (int i = 0; i < self->hours_count; i++) {
        if (i > 0 && self->hours [i][0] < self->hours [i - 1][1])
            return conf_fail (c, "hours: overlapping business hours %02d:%02d-%02d:%02d "
                              "and %02d:%02d-%02d:%02d",
                              self->hours [i - 1][0] / 60, self->hours [i - 1][0] % 60,
                              self->hours [i - 1][1] / 60, self->hours [i - 1][1] % 60,
                              self->hours [i][0] / 60, self->hours [i][0] % 60,
                              self->hours [i][1] / 60, self->hours [i][1] % 60);
        int n = snprintf (self->hours_text + used, sizeof self->hours_text - used,
                          "%s%02d:%02d-%02d:%02d", i ? " " : "",
                          self->hours [i][0] / 60, self->hours [i][0] % 60,
                          self->hours [i][1] / 60, self->hours [i][1] % 60);
        if (n > 0)
            used += (size_t) n;
    }
    return 0;
}

/* A zone is a relative path of letters, digits and _+- parts under
 * /usr/share/zoneinfo naming a regular file (a symlink to one is fine). */
static bool
s_zone_ok (const char *zone)
{
    size_t len = strlen (zone);
    if (len == 0 || len > S_ZONE_MAX || zone [0] == '/' || zone [len - 1] == '/'
    ||  strstr (zone, "..") || strstr (zone, "//"))
        return false;
    for (const char *p = zone; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("/_+-", *p))
            return false;
    char path [128];
    snprintf (path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    struct stat st;
    return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

static bool
s_name_ok (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > S_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (!islower ((unsigned char) *p) && !isdigit ((unsigned char) *p) && *p != '_'
        &&  *p != '-')
            return false;
    return true;
}

/* The file's own name: the base name without ".conf". */
static void
s_file_name (const char *path, char *buf, size_t size)
{
    const char *base = strrchr (path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen (base);
    if (len > 5 && strcmp (base + len - 5, ".conf") == 0)
        len -= 5;
    snprintf (buf, size, "%.*s", (int) len, base);
}

/* "DATE" or "DATE..DATE" */
static int
s_parse_range (const char *text, int32_t *from, int32_t *to, bool range_ok, char *why,
               size_t why_size)
{
    size_t len = strlen (text);
    if (len == 10 && s_date_at (text, from)) {
        *to = *from;
        return 0;
    }
    if (range_ok && len == 22 && text [10] == '.' && text [11] == '.'
    &&  s_date_at (text, from) && s_date_at (text + 12, to)) {
        if (*to < *from) {
            snprintf (why, why_size, "range %.22s runs backwards", text);
            return -1;
        }
        return 0;
    }
    snprintf (why, why_size, "bad date '%.40s': want YYYY-MM-DD%s, a real date in %d..%d",
              text, range_ok ? " or YYYY-MM-DD..YYYY-MM-DD" : "", S_YEAR_MIN, S_YEAR_MAX);
    return -1;
}

static int
s_add_entry (s_entry_t **list, size_t *count, int32_t from, int32_t to, int line,
             const char *label, bool provisional)
{
    if (*count == S_ENTRIES_MAX)
        return -1;
    s_entry_t *grown = realloc (*list, (*count + 1) * sizeof **list);
    if (!grown)
        return -1;
    *list = grown;
    char *copy = strdup (label);
    if (!copy)
        return -1;
    grown [*count] = (s_entry_t) { from, to, line, copy, provisional };
    (*count)++;
    return 0;
}

void
calendar_destroy (calendar_t **self_p)
{
    assert (self_p);
    calendar_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->holiday_count; i++)
        free (self->holidays [i].label);
    for (size_t i = 0; i < self->workday_count; i++)
        free (self->workdays [i].label);
    free (self->holidays);
    free (self->workdays);
    free (self->day_kind);
    free (self->day_label);
    free (self->day_line);
    free (self);
    *self_p = NULL;
}

/* After the last line: the day table, overlaps, make-up days that are
 * weekend days. Returns 0, or -1 with *line and why set. */
static int
s_build_table (calendar_t *self, int *line, char *why, size_t why_size)
{
    int32_t lo = self->covers_from, hi = self->covers_to;
    self->provisional_to = -1;
    char date [16];
    for (size_t i = 0; i < self->holiday_count; i++) {
        const s_entry_t *h = &self->holidays [i];
        if (!h->provisional)
            continue;
        /* A published year has the notice's days, which the provisional
         * ones would contradict: they belong after `covers` only. */
        if (h->from <= self->covers_to) {
            calendar_date_text (h->from, date, sizeof date);
            *line = h->line;
            snprintf (why, why_size, "provisional: %s is not after covers (a year whose "
                      "notice is loaded has its own days: use `holiday`)", date);
            return -1;
        }
        int year, month, day;
        calendar_days_date (h->to, &year, &month, &day);
        int32_t year_end = calendar_date_days (year, 12, 31);
        if (year_end > self->provisional_to)
            self->provisional_to = year_end;
    }
    for (size_t i = 0; i < self->holiday_count; i++) {
        if (self->holidays [i].from < lo) lo = self->holidays [i].from;
        if (self->holidays [i].to > hi) hi = self->holidays [i].to;
    }
    for (size_t i = 0; i < self->workday_count; i++) {
        if (self->workdays [i].from < lo) lo = self->workdays [i].from;
        if (self->workdays [i].to > hi) hi = self->workdays [i].to;
    }
    self->table_from = lo;
    self->table_size = (size_t) (hi - lo + 1);
    self->day_kind = calloc (self->table_size, 1);
    self->day_label = calloc (self->table_size, sizeof *self->day_label);
    self->day_line = calloc (self->table_size, sizeof *self->day_line);
    if (!self->day_kind || !self->day_label || !self->day_line) {
        *line = 0;
        snprintf (why, why_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < self->holiday_count; i++) {
        const s_entry_t *h = &self->holidays [i];
        for (int32_t d = h->from; d <= h->to; d++) {
            size_t at = (size_t) (d - lo);
            if (self->day_kind [at] & S_DAY_HOLIDAY) {
                calendar_date_text (d, date, sizeof date);
                *line = h->line;
                snprintf (why, why_size, "holiday: %s is already a holiday on line %d",
                          date, self->day_line [at]);
                return -1;
            }
            self->day_kind [at] = S_DAY_HOLIDAY | (h->provisional ? S_DAY_PROVISIONAL : 0);
            self->day_label [at] = h->label;
            self->day_line [at] = h->line;
            if (h->provisional)
                self->provisional_days++;
            else
                self->holiday_days++;
        }
    }
    for (size_t i = 0; i < self->workday_count; i++) {
        const s_entry_t *w = &self->workdays [i];
        size_t at = (size_t) (w->from - lo);
        calendar_date_text (w->from, date, sizeof date);
        *line = w->line;
        if (self->day_kind [at] & S_DAY_HOLIDAY) {
            snprintf (why, why_size, "workday: %s is inside the holiday on line %d",
                      date, self->day_line [at]);
            return -1;
        }
        if (self->day_kind [at] == S_DAY_WORKDAY) {
            snprintf (why, why_size, "workday: %s is already a workday on line %d",
                      date, self->day_line [at]);
            return -1;
        }
        int weekday = calendar_weekday (w->from);
        if ((self->workweek >> weekday) & 1) {
            snprintf (why, why_size, "workday: %s is a %s, already a working day (workweek %s)",
                      date, s_weekday_title [weekday], self->workweek_text);
            return -1;
        }
        self->day_kind [at] = S_DAY_WORKDAY;
        self->day_label [at] = w->label;
        self->day_line [at] = w->line;
    }
    return 0;
}

/* The loader's state between lines. */
typedef struct {
    calendar_t *self;
    const char *path;
    bool has_name, has_zone, has_week, has_hours, has_covers;
} s_load_t;

/* `holiday DATE[..DATE] LABEL`, `provisional DATE[..DATE] LABEL` and
 * `workday DATE LABEL`. */
static int
s_parse_day (calendar_t *self, conf_cursor_t *c, bool holiday, bool provisional)
{
    const char *keyword = provisional ? "provisional" : holiday ? "holiday" : "workday";
    char *dates = conf_token (c);
    char *label = conf_rest (c);
    int32_t from, to;
    char range_why [160];
    int rc = 0;
    if (s_parse_range (dates ? dates : "", &from, &to, holiday, range_why, sizeof range_why))
        rc = conf_fail (c, "%s: %s", keyword, range_why);
    else
    if (!*label)
        rc = conf_fail (c, "%s: a label is needed after the date", keyword);
    else
    if (strlen (label) > S_LABEL_MAX)
        rc = conf_fail (c, "%s: label longer than %d bytes", keyword, S_LABEL_MAX);
    else
    if (!s_label_ok (label))
        rc = conf_fail (c, "%s: label holds a control character", keyword);
    else
    if (to - from >= 366)
        rc = conf_fail (c, "%s: %s is longer than a year", keyword, dates);
    else
    if (s_add_entry (holiday ? &self->holidays : &self->workdays,
                     holiday ? &self->holiday_count : &self->workday_count,
                     from, to, c->line, label, provisional))
        rc = conf_fail (c, "%s: more than %d %s lines", keyword, S_ENTRIES_MAX, keyword);
    free (dates);
    free (label);
    return rc;
}

/* One statement (conf_line_fn): a keyword and its value. */
static int
s_parse_line (void *arg, conf_cursor_t *c)
{
    s_load_t *load = (s_load_t *) arg;
    calendar_t *self = load->self;
    char *keyword = conf_token (c);
    if (strcmp (keyword, "holiday") == 0 || strcmp (keyword, "workday") == 0
    ||  strcmp (keyword, "provisional") == 0) {
        bool holiday = keyword [0] != 'w';
        bool provisional = keyword [0] == 'p';
        free (keyword);
        return s_parse_day (self, c, holiday, provisional);
    }
    if (strcmp (keyword, "hours") == 0) {
        free (keyword);
        if (load->has_hours)
            return conf_fail (c, "hours: given twice");
        if (s_parse_hours (self, c))
            return -1;
        load->has_hours = true;
        return 0;
    }
    char *rest = conf_rest (c);
    int rc = 0;
    if (strcmp (keyword, "name") == 0) {
        char file_name [S_NAME_MAX * 4];
        s_file_name (load->path, file_name, sizeof file_name);
        if (load->has_name)
            rc = conf_fail (c, "name: given twice");
        else
        if (!s_name_ok (rest))
            rc = conf_fail (c, "name: '%.40s' is not 1-32 of a-z 0-9 _ -", rest);
        else
        if (strcmp (rest, file_name) != 0)
            rc = conf_fail (c, "name: '%s' differs from the file's name '%s'", rest, file_name);
        else {
            snprintf (self->name, sizeof self->name, "%s", rest);
            load->has_name = true;
        }
    }
    else
    if (strcmp (keyword, "timezone") == 0) {
        if (load->has_zone)
            rc = conf_fail (c, "timezone: given twice");
        else
        if (!s_zone_ok (rest))
            rc = conf_fail (c, "timezone: unknown time zone '%.64s' "
                            "(not in /usr/share/zoneinfo)", rest);
        else {
            snprintf (self->zone, sizeof self->zone, "%s", rest);
            snprintf (self->tz, sizeof self->tz, ":%s", rest);
            load->has_zone = true;
        }
    }
    else
    if (strcmp (keyword, "workweek") == 0) {
        const char *week_why = NULL;
        if (load->has_week)
            rc = conf_fail (c, "workweek: given twice");
        else {
            snprintf (self->workweek_text, sizeof self->workweek_text, "%.60s", rest);
            if (s_parse_workweek (rest, &self->workweek, &week_why) == 0)
                load->has_week = true;
            else
                rc = conf_fail (c, "%s", week_why);
        }
    }
    else
    if (strcmp (keyword, "covers") == 0) {
        char range_why [160];
        if (load->has_covers)
            rc = conf_fail (c, "covers: given twice");
        else
        if (s_parse_range (rest, &self->covers_from, &self->covers_to, true,
                           range_why, sizeof range_why) == 0)
            load->has_covers = true;
        else
            rc = conf_fail (c, "covers: %s", range_why);
    }
    else
        rc = conf_fail (c, "unknown keyword '%.40s' (name, timezone, workweek, "
                        "hours, holiday, workday, covers, provisional)", keyword);
    free (keyword);
    free (rest);
    return rc;
}

calendar_t *
calendar_load (const char *path, conf_error_t *err)
{
    assert (path && err);
    calendar_t *self = calloc (1, sizeof *self);
    assert (self);
    s_load_t load = { .self = self, .path = path };
    conf_limits_t limits = { .max_line = S_LINE_MAX };
    int rc = conf_read (path, &limits, err, s_parse_line, &load);
    if (rc == 0) {
        const char *missing = !load.has_name ? "name" : !load.has_zone ? "timezone"
                            : !load.has_week ? "workweek" : !load.has_covers ? "covers" : NULL;
        if (missing)
            rc = conf_error_set (err, path, 0, "no `%s` line in the file", missing);
    }
    if (rc == 0) {
        int line = 0;
        char why [CALENDAR_ERR_SIZE] = "";
        if (s_build_table (self, &line, why, sizeof why))
            rc = conf_error_set (err, path, line, "%s", why);
    }
    if (rc)
        calendar_destroy (&self);
    return self;
}

const char *
calendar_name (const calendar_t *self)
{
    assert (self);
    return self->name;
}

const char *
calendar_timezone (const calendar_t *self)
{
    assert (self);
    return self->zone;
}

void
calendar_covers_days (const calendar_t *self, int32_t *from, int32_t *to)
{
    assert (self);
    *from = self->covers_from;
    *to = self->covers_to;
}

size_t
calendar_holiday_days (const calendar_t *self)
{
    assert (self);
    return self->holiday_days;
}

size_t
calendar_provisional_days (const calendar_t *self)
{
    assert (self);
    return self->provisional_days;
}

int32_t
calendar_provisional_to (const calendar_t *self)
{
    assert (self);
    return self->provisional_to;
}

size_t
calendar_workday_count (const calendar_t *self)
{
    assert (self);
    return self->workday_count;
}

const char *
calendar_workweek_text (const calendar_t *self)
{
    assert (self);
    return self->workweek_text;
}

const char *
calendar_hours_text (const calendar_t *self)
{
    assert (self);
    return self->hours_text;
}

/* ---- A folder of calendars ---------------------------------------------- */

static int
s_string_compare (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

void
calendars_destroy (calendars_t **self_p)
{
    assert (self_p);
    calendars_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        calendar_destroy (&self->list [i]);
    free (self->list);
    free (self);
    *self_p = NULL;
}

calendars_t *
calendars_load_dir (const char *dir, conf_error_t *err)
{
    assert (dir);
    DIR *handle = opendir (dir);
    if (!handle) {
        conf_error_set (err, dir, 0, "cannot open the calendars folder: %s", strerror (errno));
        return NULL;
    }
    char **names = NULL;
    size_t count = 0;
    bool failed = false;
    struct dirent *entry;
    while ((entry = readdir (handle)) != NULL) {
        size_t len = strlen (entry->d_name);
        if (entry->d_name [0] == '.' || len <= 5 || strcmp (entry->d_name + len - 5, ".conf"))
            continue;
        char **grown = realloc (names, (count + 1) * sizeof *names);
        if (!grown || !(grown [count] = strdup (entry->d_name))) {
            if (grown)
                names = grown;
            failed = true;
            break;
        }
        names = grown;
        count++;
    }
    closedir (handle);
    calendars_t *self = calloc (1, sizeof *self);
    if (!failed && self && count > 0)
        self->list = calloc (count, sizeof *self->list);
    if (failed || !self || (count > 0 && !self->list)) {
        conf_error_set (err, dir, 0, "out of memory");
        failed = true;
    }
    else
    if (count == 0) {
        conf_error_set (err, dir, 0, "no calendar (NAME.conf) in the folder");
        failed = true;
    }
    else {
        qsort (names, count, sizeof *names, s_string_compare);
        for (size_t i = 0; i < count && !failed; i++) {
            char path [4096];
            if (snprintf (path, sizeof path, "%s/%s", dir, names [i]) >= (int) sizeof path) {
                conf_error_set (err, dir, 0, "path too long");
                failed = true;
            }
            else
            if (!(self->list [self->count] = calendar_load (path, err)))
                failed = true;
            else
                self->count++;
        }
    }
    for (size_t i = 0; i < count; i++)
        free (names [i]);
    free (names);
    if (failed)
        calendars_destroy (&self);
    return self;
}

const calendar_t *
calendars_find (const calendars_t *self, const char *name)
{
    assert (self);
    for (size_t i = 0; name && i < self->count; i++)
        if (strcmp (self->list [i]->name, name) == 0)
            return self->list [i];
    return NULL;
}

size_t
calendars_count (const calendars_t *self)
{
    assert (self);
    return self->count;
}

const calendar_t *
calendars_at (const calendars_t *self, size_t index)
{
    assert (self);
    return index < self->count ? self->list [index] : NULL;
}

#include "selftest.h"

/* ---- Self-test ------------------------------------------------------------- */

/* Every expected value below was worked out by hand from the calendar files
 * (deploy/calendars/cn.conf, tests/data/calendars/{gb,cn_hours}.conf and the
 * all-week `all24` written below) and a printed 2026 calendar, and is written
 * down as a literal: the code is checked against the arithmetic, not against
 * itself. Day-unit deadlines print in the 24:00 form (end_of_day). */

typedef struct {
    const char *calendar;
    const char *from;
    const char *span;
    const char *expected;
    const char *why;
} s_add_case_t;

static const s_add_case_t s_add_cases [] = {
    /* across a weekend (cn: Asia/Shanghai, mon-fri, no business hours) */
    { "cn", "2026-03-06 15:00", "1wd", "2026-03-09 24:00 +08:00 Mon",
      "Fri + 1wd: Sat and Sun off, Monday is working day 1" },
    { "cn", "2026-03-06 15:00", "2wd", "2026-03-10 24:00 +08:00 Tue", "Mon 1, Tue 2" },
    { "cn", "2026-03-06 15:00", "1d", "2026-03-09 24:00 +08:00 Mon",
      "Fri + 1d = Sat, a day off: the end of the next working day" },
    { "cn", "2026-03-06 15:00", "3d", "2026-03-09 24:00 +08:00 Mon", "Fri + 3d = Mon" },
    { "cn", "2026-03-06 15:00", "4d", "2026-03-10 24:00 +08:00 Tue", "Fri + 4d = Tue" },
    /* the Spring Festival: 02-15..02-23 off, Sat 02-14 and Sat 02-28 worked */
    { "cn", "2026-02-13 10:00", "1wd", "2026-02-14 24:00 +08:00 Sat",
      "Sat 02-14 is a make-up working day: day 1" },
    { "cn", "2026-02-13 10:00", "2wd", "2026-02-24 24:00 +08:00 Tue",
      "02-15..02-23 off: Tue 02-24 is day 2" },
    { "cn", "2026-02-13 10:00", "3wd", "2026-02-25 24:00 +08:00 Wed",
      "Sat 02-14 (1), Tue 02-24 (2), Wed 02-25 (3)" },
    { "cn", "2026-02-20 10:00", "1wd", "2026-02-24 24:00 +08:00 Tue",
      "from inside the holiday: the first working day after it" },
    { "cn", "2026-02-26 10:00", "2wd", "2026-02-28 24:00 +08:00 Sat",
      "Fri 02-27 (1), make-up Sat 02-28 (2)" },
    { "cn", "2026-02-27 10:00", "1d", "2026-02-28 24:00 +08:00 Sat",
      "a natural-day deadline on a make-up Saturday stays there" },
    { "cn", "2026-02-12 09:00", "5d", "2026-02-24 24:00 +08:00 Tue",
      "02-12 + 5 = 02-17, in the holiday: the end of Tue 02-24" },
    /* a natural-day deadline landing on a holiday */
    { "cn", "2026-09-20 10:00", "15d", "2026-10-08 24:00 +08:00 Thu",
      "09-20 + 15 = 10-05, National Day (10-01..10-07): Thu 10-08" },
    { "cn", "2026-04-01 10:00", "3d", "2026-04-07 24:00 +08:00 Tue",
      "04-01 + 3 = Sat 04-04, Qingming to Mon 04-06: Tue 04-07" },
    /* after covers: the provisional statutory days (deploy/calendars/cn.conf,
     * `complaintctl calendar statutory 2027..2030`; the lunar dates checked
     * against the Hong Kong Observatory's tables as python3-lunardate and
     * lunar(1) print them: 2027 Spring Festival 02-06, Dragon Boat 06-09,
     * Mid-Autumn 09-15; 2028 Spring Festival 01-26, Mid-Autumn 10-03) */
    { "cn", "2027-01-22 10:00", "15d", "2027-02-09 24:00 +08:00 Tue",
      "01-22 + 15 = Sat 02-06, in 除夕..初三 (02-05..02-08): Tue 02-09" },
    { "cn", "2027-02-04 10:00", "1wd", "2027-02-09 24:00 +08:00 Tue",
      "Fri 02-05 除夕 off, the weekend, Mon 02-08 初三 off: Tue 02-09" },
    { "cn", "2026-12-30 10:00", "2wd", "2027-01-04 24:00 +08:00 Mon",
      "Thu 12-31 (1); Fri 2027-01-01 New Year's Day off; Mon 01-04 (2)" },
    { "cn", "2027-04-01 10:00", "4d", "2027-04-06 24:00 +08:00 Tue",
      "04-01 + 4 = Mon 04-05, Qingming: Tue 04-06" },
    { "cn", "2030-04-29 10:00", "2wd", "2030-05-03 24:00 +08:00 Fri",
      "Tue 04-30 (1); Wed-Thu 05-01..05-02 Labour Day; Fri 05-03 (2)" },
    { "cn", "2028-09-28 10:00", "3d", "2028-10-04 24:00 +08:00 Wed",
      "09-28 + 3 = Sun 10-01, National Day with Mid-Autumn (10-03) to 10-03: Wed 10-04" },
    { "cn", "2028-01-21 10:00", "1wd", "2028-01-24 24:00 +08:00 Mon",
      "Fri 01-21: the weekend, Mon 01-24 works; 01-25..01-28 off" },
    { "cn", "2028-01-24 10:00", "1wd", "2028-01-31 24:00 +08:00 Mon",
      "Tue 01-25..Fri 01-28 Spring Festival, the weekend: Mon 01-31" },
    /* month and year ends */
    { "cn", "2026-01-30 16:00", "1wd", "2026-02-02 24:00 +08:00 Mon",
      "Fri 01-30: the weekend, then Mon 02-02" },
    { "cn", "2025-12-31 12:00", "1wd", "2026-01-04 24:00 +08:00 Sun",
      "01-01..01-03 off, Sun 01-04 is a make-up working day" },
    { "cn", "2026-12-30 10:00", "3wd", "2027-01-05 24:00 +08:00 Tue",
      "Thu 12-31 (1); Fri 2027-01-01 provisional New Year's Day; Mon 01-04 (2), Tue (3)" },
    { "cn", "2026-12-31 10:00", "1d", "2027-01-04 24:00 +08:00 Mon",
      "Fri 2027-01-01 provisional New Year's Day, the weekend: Mon 01-04" },
    { "cn", "2030-12-31 10:00", "1d", "2031-01-01 24:00 +08:00 Wed",
      "beyond covers and the provisional years only the weekly pattern is known" },
    /* N = 0: from unchanged */
    { "cn", "2026-02-13 10:00", "0wd", "2026-02-13 10:00 +08:00 Fri", "0 returns from" },
    { "cn", "2026-02-15 10:00", "0", "2026-02-15 10:00 +08:00 Sun", "even on a holiday" },
    { "cn", "2026-02-15 10:00", "0d", "2026-02-15 10:00 +08:00 Sun", "0d too" },
    /* chaining: a deadline at 24:00 belongs to the day that ended */
    { "cn", "2026-03-09 24:00", "1wd", "2026-03-10 24:00 +08:00 Tue",
      "the end of Monday + 1wd = the end of Tuesday" },
    { "cn", "2026-03-02 10:00", "15d", "2026-03-17 24:00 +08:00 Tue", "03-02 + 15" },
    { "cn", "2026-03-17 24:00", "15d", "2026-04-01 24:00 +08:00 Wed", "03-17 + 15" },
    { "cn", "2026-03-02 10:00", "30d", "2026-04-01 24:00 +08:00 Wed", "15d + 15d = 30d" },
    /* elapsed and working hours without business hours */
    { "cn", "2026-02-13 10:00", "24h", "2026-02-14 10:00 +08:00 Sat", "24 elapsed hours" },
    { "cn", "2026-02-15 10:00", "3h", "2026-02-15 13:00 +08:00 Sun", "h ignores holidays" },
    { "cn", "2026-02-13 10:00", "30wh", "2026-02-14 16:00 +08:00 Sat",
      "14 h of Fri, then 16 h of make-up Sat 02-14" },
    { "cn", "2026-02-13 10:00", "40wh", "2026-02-24 02:00 +08:00 Tue",
      "14 + 24 (Sat) = 38, 02-15..02-23 off, 2 h of Tue" },
    /* Europe/London: BST from 01:00 GMT on 03-29, GMT again from 02:00 BST on 10-25 */
    { "gb", "2026-03-28 12:00", "24h", "2026-03-29 13:00 +01:00 Sun",
      "12:00Z + 24 h = 12:00Z the next day, 13:00 BST" },
    { "gb", "2026-10-24 12:00", "24h", "2026-10-25 11:00 +00:00 Sun",
      "11:00Z + 24 h = 11:00Z = 11:00 GMT" },
    { "gb", "2026-03-27 16:00", "2wh", "2026-03-30 10:00 +01:00 Mon",
      "1 h on Fri (GMT), 1 h on Mon from 09:00 BST" },
    { "gb", "2026-10-23 16:00", "2wh", "2026-10-26 10:00 +00:00 Mon",
      "1 h on Fri (BST), 1 h on Mon from 09:00 GMT" },
    { "gb", "2026-03-27 10:00", "1wd", "2026-03-30 17:00 +01:00 Mon",
      "with business hours a day ends at the close, here in BST" },
    { "gb", "2026-03-28 10:00", "1d", "2026-03-30 17:00 +01:00 Mon",
      "Sat + 1d = Sun 03-29, off: Monday's close" },
    { "gb", "2026-10-23 10:00", "1d", "2026-10-26 17:00 +00:00 Mon",
      "Fri + 1d = Sat: Monday's close, in GMT" },
    { "gb", "2026-04-02 10:00", "1wd", "2026-04-07 17:00 +01:00 Tue",
      "Good Friday, the weekend and Easter Monday are off" },
    { "gb", "2026-12-24 10:00", "1wd", "2026-12-29 17:00 +00:00 Tue",
      "Christmas (Fri), the weekend, Boxing Day substitute (Mon 12-28)" },
    { "gb", "2026-12-30 10:00", "3wd", "2027-01-04 17:00 +00:00 Mon",
      "Thu 12-31 (1), Fri 2027-01-01 unknown to the file: a working day (2), Mon (3)" },
    /* all24: Europe/London, every day a whole working day (written below) */
    { "all24", "2026-03-28 12:00", "1wd", "2026-03-29 24:00 +01:00 Sun",
      "the 23-hour day 03-29 ends at 00:00 BST" },
    { "all24", "2026-03-29 00:00", "24wh", "2026-03-30 01:00 +01:00 Mon",
      "03-29 has 23 working hours: 1 h of 03-30" },
    { "all24", "2026-10-25 00:00", "24wh", "2026-10-25 23:00 +00:00 Sun",
      "10-25 has 25 hours: 24 of them end at 23:00 GMT" },
    /* business hours 09:00-12:00 13:30-17:30 (7 h a day) */
    { "cn_hours", "2026-03-02 08:00", "1wh", "2026-03-02 10:00 +08:00 Mon",
      "before opening: counting starts at 09:00" },
    { "cn_hours", "2026-03-02 12:30", "1wh", "2026-03-02 14:30 +08:00 Mon",
      "in the lunch break: counting starts at 13:30" },
    { "cn_hours", "2026-03-02 11:00", "2wh", "2026-03-02 14:30 +08:00 Mon",
      "1 h to noon, 1 h from 13:30" },
    { "cn_hours", "2026-03-02 16:30", "3wh", "2026-03-03 11:00 +08:00 Tue",
      "1 h Mon, 2 h Tue from 09:00" },
    { "cn_hours", "2026-03-02 09:00", "7wh", "2026-03-02 17:30 +08:00 Mon",
      "a whole business day ends at the close, not at 09:00 the next day" },
    { "cn_hours", "2026-03-02 18:00", "1wh", "2026-03-03 10:00 +08:00 Tue",
      "after hours: from 09:00 the next working day" },
    { "cn_hours", "2026-03-06 17:00", "1wh", "2026-03-09 09:30 +08:00 Mon",
      "0.5 h Fri, the weekend, 0.5 h Mon" },
    { "cn_hours", "2026-02-13 17:00", "8wh", "2026-02-24 09:30 +08:00 Tue",
      "0.5 h Fri + 7 h make-up Sat 02-14 + 0.5 h Tue 02-24" },
    { "cn_hours", "2026-02-13 10:00", "3wd", "2026-02-25 17:30 +08:00 Wed",
      "as on cn, ending at the close" },
    { "cn_hours", "2026-02-13 10:00", "5d", "2026-02-24 17:30 +08:00 Tue",
      "02-18 is in the holiday: Tue 02-24's close" },
    { "cn_hours", "2026-03-02 17:30", "1wd", "2026-03-03 17:30 +08:00 Tue",
      "from = Monday's close: Monday is the day of from" },
    { "cn_hours", "2026-03-02 20:00", "1wd", "2026-03-03 17:30 +08:00 Tue",
      "after hours on Monday: still Monday's day" },
};

typedef struct {
    const char *calendar;
    const char *unit;           /* a span whose unit is the clock's */
    const char *pause_from, *pause_to;
    int64_t credit;
    const char *due;
    const char *shifted;
    const char *why;
} s_pause_case_t;

static const s_pause_case_t s_pause_cases [] = {
    { "cn", "1h", "2026-03-02 10:00", "2026-03-04 10:00", INT64_C(172800000),
      "2026-03-06 10:00", "2026-03-08 10:00 +08:00 Sun", "h: 48 elapsed hours, moved 48 h" },
    { "cn", "1d", "2026-03-02 10:00", "2026-03-03 10:00", INT64_C(86400000),
      "2026-03-06 24:00", "2026-03-09 24:00 +08:00 Mon",
      "d: 24 h after Friday's end is the end of Sat, off: Monday" },
    { "cn", "1d", "2026-03-02 00:00", "2026-03-03 12:00", INT64_C(129600000),
      "2026-03-04 24:00", "2026-03-06 24:00 +08:00 Fri",
      "d: 36 h after Wednesday's end is Fri 12:00: the end of Friday" },
    { "cn_hours", "1d", "2026-03-02 10:00", "2026-03-03 13:00", INT64_C(97200000),
      "2026-03-04 17:30", "2026-03-06 17:30 +08:00 Fri",
      "d: Wed 17:30 + 27 h = Thu 20:30, after Thursday's close: Friday's" },
    { "cn", "1wd", "2026-03-06 10:00", "2026-03-09 10:00", INT64_C(86400000),
      "2026-03-11 24:00", "2026-03-12 24:00 +08:00 Thu",
      "wd: 14 h Fri + 10 h Mon = one working day: Wed's end -> Thu's end" },
    { "cn", "1wd", "2026-02-13 00:00", "2026-02-25 00:00", INT64_C(259200000),
      "2026-02-26 24:00", "2026-03-02 24:00 +08:00 Mon",
      "wd: Fri 02-13, make-up Sat 02-14 and Tue 02-24 = 3 days; then Fri, make-up Sat 02-28, Mon" },
    { "cn", "1wh", "2026-03-06 10:00", "2026-03-09 10:00", INT64_C(86400000),
      "2026-03-10 12:00", "2026-03-11 12:00 +08:00 Wed", "wh: 24 working hours of whole days" },
    { "cn_hours", "1wh", "2026-03-02 11:00", "2026-03-02 14:00", INT64_C(5400000),
      "2026-03-03 17:00", "2026-03-04 10:00 +08:00 Wed",
      "wh: 11-12 and 13:30-14:00 = 1.5 h; 0.5 h Tue, 1 h Wed" },
    { "cn_hours", "1wd", "2026-03-02 16:30", "2026-03-03 10:00", INT64_C(7200000),
      "2026-03-04 17:30", "2026-03-05 17:30 +08:00 Thu",
      "wd: 2 working hours move Wed's close to Thu 11:00: Thursday's close" },
    { "cn_hours", "1wh", "2026-03-07 10:00", "2026-03-08 18:00", 0,
      "2026-03-09 10:00", "2026-03-09 10:00 +08:00 Mon", "a weekend pause is worth nothing" },
    { "all24", "1wh", "2026-03-29 00:00", "2026-03-30 00:00", INT64_C(82800000),
      "2026-03-30 12:00", "2026-03-31 11:00 +01:00 Tue", "wh: the 23-hour day is 23 h" },
    { "all24", "1h", "2026-10-25 00:00", "2026-10-26 00:00", INT64_C(90000000),
      "2026-10-26 12:00", "2026-10-27 13:00 +00:00 Tue", "h: the 25-hour day is 25 h" },
    { "gb", "1wh", "2026-10-23 16:00", "2026-10-26 10:00", INT64_C(7200000),
      "2026-10-26 16:00", "2026-10-27 10:00 +00:00 Tue",
      "wh: 1 h Fri + 1 h Mon; 1 h Mon + 1 h Tue" },
    { "cn", "1wd", "2026-03-09 10:00", "2026-03-06 10:00", 0,
      "2026-03-11 24:00", "2026-03-11 24:00 +08:00 Wed", "a pause that ends before it starts" },
};

/* A load error case: the file's text and what the error must contain. */
typedef struct {
    const char *name;
    const char *text;
    const char *error;
} s_load_case_t;

#define S_HEAD "name bad\ntimezone Asia/Shanghai\nworkweek mon-fri\ncovers 2026-01-01..2026-12-31\n"

static const s_load_case_t s_load_cases [] = {
    { "bad", S_HEAD "holliday 2026-01-01 x\n", ":5: unknown keyword 'holliday'" },
    { "bad", S_HEAD "provisional 2026-05-01 x\n", ":5: provisional: 2026-05-01 is not after covers" },
    { "bad", S_HEAD "provisional 2027-05-01..2027-05-02 x\nholiday 2027-05-02 y\n",
      ":6: holiday: 2027-05-02 is already a holiday on line 5" },
    { "bad", S_HEAD "provisional 2027-05-01\n", ":5: provisional: a label is needed" },
    { "bad", S_HEAD "holiday 2026-02-30 x\n", ":5: holiday: bad date '2026-02-30'" },
    { "bad", S_HEAD "\n# c\nholiday 2026-02-23..2026-02-15 x\n",
      ":7: holiday: range 2026-02-23..2026-02-15 runs backwards" },
    { "bad", "name bad\ntimezone Mars/Olympus_Mons\n",
      ":2: timezone: unknown time zone 'Mars/Olympus_Mons'" },
    { "bad", "name bad\ntimezone ../../../etc/passwd\n", ":2: timezone: unknown time zone" },
    { "bad", S_HEAD "workday 2026-03-04 x\n",
      ":5: workday: 2026-03-04 is a Wed, already a working day (workweek mon-fri)" },
    { "bad", S_HEAD "holiday 2026-02-15..2026-02-23 x\nworkday 2026-02-21 y\n",
      ":6: workday: 2026-02-21 is inside the holiday on line 5" },
    { "bad", S_HEAD "holiday 2026-02-15..2026-02-23 x\nholiday 2026-02-23 y\n",
      ":6: holiday: 2026-02-23 is already a holiday on line 5" },
    { "bad", S_HEAD "hours 09:00-12:00 11:00-17:00\n",
      ":5: hours: overlapping business hours 09:00-12:00 and 11:00-17:00" },
    { "bad", S_HEAD "hours 17:00-09:00\n", ":5: hours: 17:00-09:00 ends before it starts" },
    { "bad", "name other\n", ":1: name: 'other' differs from the file's name 'bad'" },
    { "bad", "name bad\ntimezone UTC\nworkweek mon-fri\n", ".conf: no `covers` line" },
    { "bad", S_HEAD "workweek mon-fri\n", ":5: workweek: given twice" },
    { "bad", "name bad\nworkweek mon-fry\n", ":2: workweek: a day is one of" },
    { "bad", S_HEAD "holiday 2026-05-01\n", ":5: holiday: a label is needed" },
    { "bad", S_HEAD "holiday 2026-05-01 \xe5\x8a\n", ":5: not valid UTF-8" },
    { "bad", S_HEAD "holiday 2026-05-01 a\tb\n", ":5: holiday: label holds a control character" },
    { "bad", S_HEAD "hours 09:00-12:00 # 13:00-17:00\nhours 13:00-17:00\n", ":6: hours: given twice" },
    { "bad", S_HEAD "covers 2026-01-01..2026-12-31\n", ":5: covers: given twice" },
    { "bad", S_HEAD "workday 2026-02-14..2026-02-15 x\n", ":5: workday: bad date" },
};

static int64_t
s_test_time (const calendar_t *cal, const char *text)
{
    int64_t ms;
    int rc = calendar_parse_local (cal, text, &ms);
    if (rc != 0)
        fprintf (stderr, "calendar_test: cannot parse '%s'\n", text);
    assert (rc == 0);
    return ms;
}

static span_t
s_test_span (const char *text)
{
    span_t span;
    char err [CALENDAR_ERR_SIZE];
    int rc = span_parse (text, &span, err, sizeof err);
    assert (rc == 0);
    (void) rc;
    return span;
}

static void
s_test_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert (file);
    fputs (text, file);
    fclose (file);
}

static bool
s_test_check (const char *what, const char *got, const char *expected, const char *why)
{
    if (strcmp (got, expected) == 0)
        return true;
    fprintf (stderr, "\ncalendar_test: %s\n  got      %s\n  expected %s\n  (%s)\n", what,
             got, expected, why);
    return false;
}

void
calendar_test (bool verbose)
{
    if (verbose)
        printf (" * calendar: ");
    char err [CALENDAR_ERR_SIZE], text [CALENDAR_TIME_SIZE], what [160];
    int failures = 0;

    /* spans */
    span_t span;
    assert (span_parse ("15d", &span, err, sizeof err) == 0);
    assert (span.amount == 15 && span.unit == SPAN_DAYS);
    assert (span_parse ("+1wd", &span, err, sizeof err) == 0);
    assert (span.amount == 1 && span.unit == SPAN_WORKING_DAYS);
    assert (span_parse ("24h", &span, err, sizeof err) == 0);
    assert (span.amount == 24 && span.unit == SPAN_HOURS);
    assert (span_parse ("8wh", &span, err, sizeof err) == 0);
    assert (span.amount == 8 && span.unit == SPAN_WORKING_HOURS);
    assert (span_parse ("0", &span, err, sizeof err) == 0);
    assert (span.amount == 0 && span.unit == SPAN_HOURS);
    assert (span_parse ("100000wd", &span, err, sizeof err) == 0 && span.amount == 100000);
    span_words ((span_t) { 30, SPAN_DAYS }, "zh", text, sizeof text);
    assert (strcmp (text, "30日") == 0);
    span_words ((span_t) { 5, SPAN_WORKING_DAYS }, "zh", text, sizeof text);
    assert (strcmp (text, "5个工作日") == 0);
    span_words ((span_t) { 1, SPAN_WORKING_DAYS }, "en", text, sizeof text);
    assert (strcmp (text, "1 working day") == 0);
    span_words ((span_t) { 24, SPAN_HOURS }, "en", text, sizeof text);
    assert (strcmp (text, "24 hours") == 0);
    span_words ((span_t) { 8, SPAN_WORKING_HOURS }, "zh", text, sizeof text);
    assert (strcmp (text, "8个工作小时") == 0);
    assert (span_parse ("15w", &span, err, sizeof err) == -1);
    assert (strcmp (err, "unit 'w' is not one of h, wh, wd, d") == 0);
    assert (span_parse ("15", &span, err, sizeof err) == -1 && strstr (err, "no unit"));
    assert (span_parse ("100001d", &span, err, sizeof err) == -1 && strstr (err, "100000"));
    assert (span_parse ("", &span, err, sizeof err) == -1 && strstr (err, "empty"));
    assert (span_parse (NULL, &span, err, sizeof err) == -1);
    assert (span_parse ("d", &span, err, sizeof err) == -1 && strstr (err, "number"));
    assert (span_parse ("-1d", &span, err, sizeof err) == -1);
    assert (span_parse ("1.5h", &span, err, sizeof err) == -1);
    assert (span_parse ("15 d", &span, err, sizeof err) == -1);
    assert (span_parse ("00", &span, err, sizeof err) == -1);
    const char *spans [] = { "15d", "2wd", "24h", "8wh", "0", "0d" };
    for (size_t i = 0; i < sizeof spans / sizeof spans [0]; i++) {
        char buf [16];
        span_format (s_test_span (spans [i]), buf, sizeof buf);
        assert (strcmp (buf, spans [i]) == 0);
    }
    (void) span;                        /* the checks above are asserts only */
    (void) err;
    assert (span_is_days (SPAN_DAYS) && span_is_days (SPAN_WORKING_DAYS));
    assert (!span_is_days (SPAN_HOURS) && !span_is_days (SPAN_WORKING_HOURS));

    /* dates */
    assert (calendar_date_days (1970, 1, 1) == 0);
    assert (calendar_date_days (2026, 1, 1) == 20454);     /* 56 x 365 + 14 leap days */
    assert (calendar_weekday (calendar_date_days (2026, 2, 13)) == 5);   /* a Friday */
    int y, m, d;
    calendar_days_date (20454 + 59, &y, &m, &d);
    assert (y == 2026 && m == 3 && d == 1);

    /* the deployed calendar and the test calendars */
    conf_error_t cerr;
    char message [600];
    calendar_t *cn = calendar_load ("deploy/calendars/cn.conf", &cerr);
    if (!cn)
        fprintf (stderr, "calendar_test (run from the repository root): %s\n",
                 conf_error_format (&cerr, message, sizeof message));
    assert (cn);
    calendar_t *gb = calendar_load ("tests/data/calendars/gb.conf", &cerr);
    assert (gb);
    calendar_t *cn_hours = calendar_load ("tests/data/calendars/cn_hours.conf", &cerr);
    assert (cn_hours);
    char dir [] = "/tmp/calendar-test-XXXXXX";
    char *made = mkdtemp (dir);         /* not inside assert: it must run under NDEBUG too */
    if (!made)
        abort ();
    char path [128];
    snprintf (path, sizeof path, "%s/all24.conf", dir);
    s_test_write (path, "# every day a whole working day, in London\n"
                        "name all24\ntimezone Europe/London\nworkweek mon-sun\n"
                        "covers 2026-01-01..2026-12-31\n");
    calendar_t *all24 = calendar_load (path, &cerr);
    assert (all24);
    unlink (path);

    assert (strcmp (calendar_name (cn), "cn") == 0);
    assert (strcmp (calendar_timezone (cn), "Asia/Shanghai") == 0);
    assert (calendar_holiday_days (cn) == 33);      /* 3 + 9 + 3 + 5 + 3 + 3 + 7 */
    assert (calendar_workday_count (cn) == 6);
    assert (strcmp (calendar_hours_text (cn), "") == 0);
    assert (strcmp (calendar_hours_text (cn_hours), "09:00-12:00 13:30-17:30") == 0);
    assert (calendar_is_working_day (cn, 2026, 2, 14));     /* make-up Saturday */
    assert (!calendar_is_working_day (cn, 2026, 2, 16));    /* Spring Festival Monday */
    assert (!calendar_is_working_day (cn, 2026, 3, 7));     /* a plain Saturday */
    assert (calendar_is_working_day (cn, 2026, 3, 9));
    assert (!calendar_is_working_day (cn, 2027, 1, 1));     /* provisional New Year's Day */
    assert (calendar_day_provisional (cn, 2027, 1, 1));
    assert (!calendar_day_provisional (cn, 2026, 1, 1));
    assert (!calendar_day_provisional (cn, 2027, 1, 4));
    assert (strstr (calendar_day_label (cn, 2027, 2, 6), "春节"));
    assert (calendar_is_working_day (cn, 2031, 1, 1));      /* beyond both: a Wednesday */
    assert (calendar_provisional_days (cn) == 51);          /* 4 years x 13, 2028 merges one */
    assert (calendar_provisional_to (cn) == calendar_date_days (2030, 12, 31));
    assert (!calendar_provisional (cn, s_test_time (cn, "2026-12-31 23:59")));
    assert (calendar_provisional (cn, s_test_time (cn, "2027-01-01 00:00")));
    assert (calendar_provisional (cn, s_test_time (cn, "2030-12-31 23:59")));
    assert (!calendar_provisional (cn, s_test_time (cn, "2031-01-01 00:00")));
    assert (!calendar_provisional (gb, s_test_time (gb, "2027-06-01 00:00")));
    assert (strcmp (calendar_day_label (cn, 2026, 2, 16), "春节 Spring Festival") == 0);
    assert (strstr (calendar_day_label (cn, 2026, 2, 28), "make-up"));
    assert (calendar_day_label (cn, 2026, 3, 9) == NULL);
    assert (calendar_covers (cn, s_test_time (cn, "2026-12-31 23:59")));
    assert (!calendar_covers (cn, s_test_time (cn, "2027-01-01 00:00")));
    assert (!calendar_covers (cn, s_test_time (cn, "2025-12-31 23:59")));

    /* parse and format: the same instant written five ways */
    int64_t at = s_test_time (cn, "2026-02-13 10:00");
    assert (at == INT64_C(1770948000000));                 /* 2026-02-13T02:00:00Z */
    assert (s_test_time (cn, "2026-02-13T02:00:00Z") == at);
    assert (s_test_time (cn, "2026-02-13 10:00+08:00") == at);
    assert (s_test_time (cn, "2026-02-13 10:00 +08:00 Fri") == at);
    assert (s_test_time (gb, "2026-02-13 02:00") == at);    /* GMT in February */
    assert (s_test_time (cn, "2026-02-13T10:00:00.000") == at);
    assert (s_test_time (cn, "2026-02-13") == at - 10 * 3600000);
    assert (s_test_time (cn, "2026-02-25 24:00") == s_test_time (cn, "2026-02-26 00:00"));
    calendar_format_local (cn, s_test_time (cn, "2026-02-25 24:00"), true, text, sizeof text);
    assert (strcmp (text, "2026-02-25 24:00 +08:00 Wed") == 0);
    calendar_format_local (cn, s_test_time (cn, "2026-02-25 24:00"), false, text, sizeof text);
    assert (strcmp (text, "2026-02-26 00:00 +08:00 Thu") == 0);
    calendar_format_local (cn, at + 30500, true, text, sizeof text);
    assert (strcmp (text, "2026-02-13 10:00:30.500 +08:00 Fri") == 0);
    calendar_format_local (gb, s_test_time (gb, "2026-07-01 12:00"), false, text, sizeof text);
    assert (strcmp (text, "2026-07-01 12:00 +01:00 Wed") == 0);
    const char *bad_times [] = { "", "x", "2026-02-30", "2026-13-01", "2026-02-13 25:00",
        "2026-02-13 24:30", "2026-02-13 10:60", "2026-02-13 10:00 Mon", "2026-02-13 10:00+8",
        "2026-02-13 10", "2026-2-13", "2026-02-13 10:00 junk", "2026-02-13T10:00:00.1234",
        "1969-12-31" };
    for (size_t i = 0; i < sizeof bad_times / sizeof bad_times [0]; i++) {
        int64_t ms;
        assert (calendar_parse_local (cn, bad_times [i], &ms) == -1);
        (void) ms;
    }

    /* the table of deadlines */
    const calendar_t *cals [] = { cn, gb, cn_hours, all24 };
    for (size_t i = 0; i < sizeof s_add_cases / sizeof s_add_cases [0]; i++) {
        const s_add_case_t *c = &s_add_cases [i];
        const calendar_t *cal = NULL;
        for (size_t j = 0; j < 4; j++)
            if (strcmp (calendar_name (cals [j]), c->calendar) == 0)
                cal = cals [j];
        assert (cal);
        span_t s = s_test_span (c->span);
        int64_t due = calendar_add (cal, s_test_time (cal, c->from), s);
        calendar_format_local (cal, due, span_is_days (s.unit), text, sizeof text);
        snprintf (what, sizeof what, "%s: %s + %s", c->calendar, c->from, c->span);
        if (!s_test_check (what, text, c->expected, c->why))
            failures++;
    }
    /* the same instants as literals, checked without calendar_format_local */
    assert (calendar_add (gb, s_test_time (gb, "2026-03-28 12:00"), s_test_span ("24h"))
            == INT64_C(1774785600000));                    /* 2026-03-29T12:00:00Z */
    assert (calendar_add (all24, s_test_time (all24, "2026-03-28 12:00"), s_test_span ("1wd"))
            == INT64_C(1774825200000));                    /* 2026-03-29T23:00:00Z */
    /* chaining, in general: 15d + 15d == 30d, 1wd + 1wd == 2wd */
    for (int32_t day = calendar_date_days (2026, 1, 1); day < calendar_date_days (2026, 2, 1);
         day++) {
        int64_t t = calendar_day_end (cn, day) - 3600000;
        int64_t once = calendar_add (cn, t, s_test_span ("15d"));
        int ly, lm, ld;
        calendar_days_date (day + 15, &ly, &lm, &ld);
        if (calendar_is_working_day (cn, ly, lm, ld))
            assert (calendar_add (cn, once, s_test_span ("15d"))
                    == calendar_add (cn, t, s_test_span ("30d")));
        assert (calendar_add (cn, calendar_add (cn, t, s_test_span ("1wd")),
                              s_test_span ("1wd")) == calendar_add (cn, t, s_test_span ("2wd")));
        assert (calendar_add (cn_hours, calendar_add (cn_hours, t, s_test_span ("3wd")),
                              s_test_span ("4wd"))
                == calendar_add (cn_hours, t, s_test_span ("7wd")));
        (void) once;
    }

    /* pauses */
    for (size_t i = 0; i < sizeof s_pause_cases / sizeof s_pause_cases [0]; i++) {
        const s_pause_case_t *c = &s_pause_cases [i];
        const calendar_t *cal = NULL;
        for (size_t j = 0; j < 4; j++)
            if (strcmp (calendar_name (cals [j]), c->calendar) == 0)
                cal = cals [j];
        assert (cal);
        span_unit_t unit = s_test_span (c->unit).unit;
        int64_t credit = calendar_pause_credit (cal, unit, s_test_time (cal, c->pause_from),
                                                s_test_time (cal, c->pause_to));
        if (credit != c->credit) {
            fprintf (stderr, "\ncalendar_test: %s pause %s..%s (%s): credit %lld, expected "
                     "%lld\n", c->calendar, c->pause_from, c->pause_to, c->unit,
                     (long long) credit, (long long) c->credit);
            failures++;
        }
        int64_t due = calendar_shift (cal, unit, s_test_time (cal, c->due), c->credit);
        calendar_format_local (cal, due, span_is_days (unit), text, sizeof text);
        snprintf (what, sizeof what, "%s: shift %s by %lld ms (%s)", c->calendar, c->due,
                  (long long) c->credit, c->unit);
        if (!s_test_check (what, text, c->shifted, c->why))
            failures++;
    }

    /* large spans finish quickly; beyond covers the weekly pattern: 100000
     * working days from a Friday are exactly 20000 weeks */
    int64_t from = s_test_time (cn, "2031-01-03 10:00");     /* a Friday after 2030 */
    assert (calendar_add (cn, from, s_test_span ("100000wd"))
            == calendar_day_end (cn, calendar_date_days (2031, 1, 3) + 140000));
    assert (calendar_add (cn, from, s_test_span ("100000d")) > from);
    assert (calendar_add (cn_hours, from, s_test_span ("100000wh")) > from);
    assert (calendar_add (cn, from, s_test_span ("100000h")) == from + INT64_C(360000000000));
    (void) from;

    /* load errors, each with its line */
    for (size_t i = 0; i < sizeof s_load_cases / sizeof s_load_cases [0]; i++) {
        snprintf (path, sizeof path, "%s/%s.conf", dir, s_load_cases [i].name);
        s_test_write (path, s_load_cases [i].text);
        calendar_t *bad = calendar_load (path, &cerr);
        conf_error_format (&cerr, message, sizeof message);
        if (bad || strcmp (cerr.file, path) != 0
        ||  !strstr (message, s_load_cases [i].error)) {
            fprintf (stderr, "\ncalendar_test: load error\n  got      %s\n  expected %s\n",
                     bad ? "(loaded)" : message, s_load_cases [i].error);
            failures++;
        }
        calendar_destroy (&bad);
        unlink (path);
    }
    /* a line over 1024 bytes */
    snprintf (path, sizeof path, "%s/long.conf", dir);
    char long_text [1200];
    memset (long_text, 'x', sizeof long_text);
    memcpy (long_text, "name long\n# ", 12);
    long_text [sizeof long_text - 2] = '\n';
    long_text [sizeof long_text - 1] = 0;
    s_test_write (path, long_text);
    calendar_t *bad = calendar_load (path, &cerr);
    assert (bad == NULL);
    assert (cerr.line == 2 && strcmp (cerr.reason, "line longer than 1024 bytes") == 0);
    calendar_destroy (&bad);
    unlink (path);
    bad = calendar_load ("/nonexistent/x.conf", &cerr);
    assert (bad == NULL);
    assert (strstr (conf_error_format (&cerr, message, sizeof message),
                    "/nonexistent/x.conf: cannot open"));

    /* a folder */
    calendars_t *all = calendars_load_dir ("tests/data/calendars", &cerr);
    assert (all);
    assert (calendars_count (all) == 2);
    assert (calendars_find (all, "gb") && !calendars_find (all, "cn"));
    assert (strcmp (calendar_name (calendars_at (all, 0)), "cn_hours") == 0);
    assert (calendars_at (all, 2) == NULL);
    calendars_destroy (&all);
    calendars_destroy (&all);
    all = calendars_load_dir (dir, &cerr);
    assert (all == NULL && strcmp (cerr.file, dir) == 0 && strstr (cerr.reason, "no calendar"));
    rmdir (dir);

    calendar_destroy (&cn);
    calendar_destroy (&gb);
    calendar_destroy (&cn_hours);
    calendar_destroy (&all24);
    calendar_destroy (&all24);
    if (failures)
        fprintf (stderr, "calendar_test: %d case(s) failed\n", failures);
    assert (failures == 0);
    if (verbose)
        printf ("OK\n");
}
