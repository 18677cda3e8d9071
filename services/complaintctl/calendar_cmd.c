/*  calendar_cmd.c — `complaintctl calendar`: deadline arithmetic on the
 *  working-day calendars, shown so that anyone can check it.
 *
 *      calendar add --from TIME --working-days N   the deadline, with the days
 *                   (--hours N | --days N |        skipped and the make-up days
 *                    --elapsed-hours N | --span S) counted on the way
 *      calendar show [NAME] [--year Y] [--month M] a month (or a year) like cal(1),
 *                                                  holidays and make-up days marked
 *      calendar check [NAME|PATH ...]              load and validate
 *      calendar statutory YEAR[..YEAR]             provisional lines (statutory_cmd.c)
 *
 *  It computes with common/calendar.c, the code the watchdog uses, on the
 *  same files: NAME is DIR/NAME.conf, DIR being --calendars, else
 *  $COMPLAINTS_CALENDARS, else deploy/calendars under the current folder,
 *  else deploy/calendars two levels above the binary (build/bin/..), so it
 *  works from any folder of a checkout. Needs no server.
 *
 *  Exit: 0 ok, 1 a calendar file is refused (its file:line error is
 *  printed), 2 usage (the message names the flag).
 */
#include "ctl.h"
#include "calendar.h"

#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_DEFAULT_CALENDAR "cn"

static const char *s_months [12] = {
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"
};
static const char *s_weekdays [7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl calendar add --from TIME (--working-days N | --hours N |\n"
        "                                 --days N | --elapsed-hours N | --span SPAN)\n"
        "                                 [--calendar NAME] [--calendars DIR] [--json]\n"
        "       complaintctl calendar show [NAME] [--year Y] [--month M] [--calendars DIR]\n"
        "       complaintctl calendar check [NAME|PATH ...] [--calendars DIR]\n"
        "       complaintctl calendar statutory YEAR[..YEAR]\n"
        "\n"
        "Deadline arithmetic on a working-day calendar (docs/calendars.md), the code the\n"
        "SLA watchdog uses.\n"
        "\n"
        "add: the deadline from TIME (\"2026-02-13 10:00\" local to the calendar, an ISO\n"
        "time with an offset or Z, or \"now\") plus\n"
        "  --working-days N   N working days (wd): the day of TIME does not count; the\n"
        "                     end of the Nth working day after it\n"
        "  --days N           N natural days (d): the end of date(TIME) + N, or of the\n"
        "                     next working day when that day is off\n"
        "  --hours N          N working hours (wh): only business hours of working days\n"
        "  --elapsed-hours N  N hours of the clock (h)\n"
        "  --span SPAN        the same as a policy writes it: 15d, 2wd, 8wh, 24h\n"
        "  --calendar NAME    default cn\n"
        "  --json             one JSON object instead of the explanation\n"
        "It prints the deadline (24:00 = the end of that day), in UTC too, and the days\n"
        "off skipped and make-up working days counted on the way.\n"
        "\n"
        "show: the working days of a month (default: this month; --year alone: the\n"
        "whole year) marked: '*' holiday, '+' make-up working day, '-' weekend.\n"
        "\n"
        "check: load and validate calendars (default: every NAME.conf in the folder).\n"
        "\n"
        "statutory: mainland China's statutory days off of years whose notice is not\n"
        "published yet, as `provisional` lines (see `calendar statutory --help`).\n"
        "\n"
        "  --calendars DIR    the calendars folder: else $COMPLAINTS_CALENDARS, else\n"
        "                     deploy/calendars here, else beside the binary's checkout\n"
        "\n"
        "exit status: 0 ok, 1 a calendar file is refused, 2 usage\n");
}

/* ---- Finding calendars ------------------------------------------------------- */

static bool
s_is_dir (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* The calendars folder: flag, env, ./deploy/calendars, or the checkout the
 * binary was built in (BIN/../../deploy/calendars). (issue 16 (i16-mailev):
 * shared with show and queue, case_zone.c.) */
void
ctl_calendars_dir (const char *flag, char *buf, size_t size)
{
    const char *dir = ctl_setting (flag, "COMPLAINTS_CALENDARS", NULL);
    if (dir) {
        snprintf (buf, size, "%s", dir);
        return;
    }
    snprintf (buf, size, "deploy/calendars");
    if (s_is_dir (buf))
        return;
    char exe [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe [len] = 0;
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr (exe, '/');
            if (!slash)
                break;
            *slash = 0;
        }
        static const char tail [] = "/deploy/calendars";
        size_t used = strlen (exe);
        if (used + sizeof tail <= sizeof exe) {
            memcpy (exe + used, tail, sizeof tail);
            if (s_is_dir (exe) && strlen (exe) < size) {
                memcpy (buf, exe, strlen (exe) + 1);
                return;
            }
        }
    }
}

/* NAME -> DIR/NAME.conf; something with a '/' or ending in .conf is a path. */
static void
s_calendar_path (const char *dir, const char *name, char *buf, size_t size)
{
    size_t len = strlen (name);
    if (strchr (name, '/') || (len > 5 && strcmp (name + len - 5, ".conf") == 0))
        snprintf (buf, size, "%s", name);
    else
        snprintf (buf, size, "%s/%s.conf", dir, name);
}

/* Load a calendar by name or path. NULL with the reason on stderr and *code
 * set: 2 when there is no such file (a usage error), 1 when it is refused. */
static calendar_t *
s_open_calendar (const char *dir, const char *name, int *code)
{
    char path [PATH_MAX + 64];
    s_calendar_path (dir, name, path, sizeof path);
    if (access (path, R_OK) != 0) {
        fprintf (stderr, "complaintctl calendar: no calendar %s (%s not readable; "
                 "see --calendar and --calendars)\n", name, path);
        *code = CTL_EXIT_USAGE;
        return NULL;
    }
    conf_error_t err;
    calendar_t *cal = calendar_load (path, &err);
    if (!cal) {
        char text [600];
        fprintf (stderr, "complaintctl calendar: %s\n", conf_error_format (&err, text, sizeof text));
        *code = CTL_EXIT_REPLY;
    }
    return cal;
}

static void
s_date_text (int32_t days, char *buf, size_t size)
{
    int y, m, d;
    calendar_days_date (days, &y, &m, &d);
    snprintf (buf, size, "%04d-%02d-%02d", y, m, d);
}

static void
s_utc_text (int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    char date [24];
    strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms % 1000)
        snprintf (buf, size, "%s.%03dZ", date, (int) (ms % 1000));
    else
        snprintf (buf, size, "%sZ", date);
}

static const char *
s_day_label (const calendar_t *cal, int32_t days)
{
    int y, m, d;
    calendar_days_date (days, &y, &m, &d);
    return calendar_day_label (cal, y, m, d);
}

static bool
s_day_working (const calendar_t *cal, int32_t days)
{
    int y, m, d;
    calendar_days_date (days, &y, &m, &d);
    return calendar_is_working_day (cal, y, m, d);
}

/* ---- add ---------------------------------------------------------------------- */

static const char *
s_unit_words (span_unit_t unit)
{
    switch (unit) {
        case SPAN_HOURS: return "elapsed hours";
        case SPAN_WORKING_HOURS: return "working hours";
        case SPAN_WORKING_DAYS: return "working days";
        case SPAN_DAYS: return "natural days";
    }
    return "?";
}

static void
s_covers_text (const calendar_t *cal, char *buf, size_t size)
{
    int32_t from, to;
    calendar_covers_days (cal, &from, &to);
    char a [16], b [16];
    s_date_text (from, a, sizeof a);
    s_date_text (to, b, sizeof b);
    snprintf (buf, size, "%s..%s", a, b);
}

/* The explanation of one deadline: the days off skipped on the way (runs of
 * the same label, or of weekend days, as ranges) and the make-up days that
 * counted. Which days: for wd and wh every day from the first that could
 * count to the deadline's; for d only the days past date(from) + N (the
 * natural days before it count whatever they are). */
static void
s_explain (const calendar_t *cal, int64_t from, int64_t due, span_t span, json_t *skipped,
           json_t *counted)
{
    if (span.amount == 0 || span.unit == SPAN_HOURS)
        return;
    int32_t first = span.unit == SPAN_WORKING_HOURS ? calendar_local_days (cal, from)
                  : span.unit == SPAN_WORKING_DAYS ? calendar_local_days (cal, from - 1) + 1
                  : calendar_local_days (cal, from - 1) + span.amount;
    int32_t last = calendar_local_days (cal, due - 1);
    int32_t run_from = 0;
    const char *run_label = NULL;
    bool in_run = false;
    for (int32_t day = first; day <= last + 1; day++) {
        bool off = day <= last && !s_day_working (cal, day);
        const char *label = off ? s_day_label (cal, day) : NULL;
        bool same = in_run && off && ((label == NULL && run_label == NULL)
                                      || (label && run_label && strcmp (label, run_label) == 0));
        if (in_run && !same) {
            char a [16], b [16];
            s_date_text (run_from, a, sizeof a);
            s_date_text (day - 1, b, sizeof b);
            json_array_append_new (skipped, json_pack ("{s:s, s:s, s:i, s:s, s:s}",
                "from", a, "to", b, "days", (int) (day - run_from),
                "kind", run_label ? "holiday" : "weekend",
                "label", run_label ? run_label : "weekend"));
            in_run = false;
        }
        if (off && !in_run) {
            in_run = true;
            run_from = day;
            run_label = label;
        }
        if (day <= last && !off && s_day_label (cal, day)) {
            char a [16];
            s_date_text (day, a, sizeof a);
            json_array_append_new (counted, json_pack ("{s:s, s:s, s:s}", "date", a,
                "weekday", s_weekdays [calendar_weekday (day)], "label", s_day_label (cal, day)));
        }
    }
}

static void
s_print_add (const calendar_t *cal, int64_t from, int64_t due, span_t span,
             const json_t *skipped, const json_t *counted)
{
    char text [CALENDAR_TIME_SIZE], utc [48], span_text [32], covers [40];
    span_format (span, span_text, sizeof span_text);
    s_covers_text (cal, covers, sizeof covers);
    calendar_format_local (cal, from, false, text, sizeof text);
    printf ("from      %s\n", text);
    const char *hours = calendar_hours_text (cal);
    printf ("span      %s = %d %s, on calendar %s (%s, %s%s%s, covers %s)\n", span_text,
            span.amount, s_unit_words (span.unit), calendar_name (cal), calendar_timezone (cal),
            calendar_workweek_text (cal), *hours ? ", hours " : "", hours, covers);
    calendar_format_local (cal, due, span_is_days (span.unit), text, sizeof text);
    s_utc_text (due, utc, sizeof utc);
    printf ("deadline  %s   (%s)\n", text, utc);
    size_t index;
    json_t *item;
    json_array_foreach (skipped, index, item) {
        /* a span of years skips thousands of weekends: people get the start */
        if (index == 60) {
            printf ("%-9s ... and %zu more (--json lists them all)\n", "",
                    json_array_size (skipped) - index);
            break;
        }
        const char *a = json_string_value (json_object_get (item, "from"));
        const char *b = json_string_value (json_object_get (item, "to"));
        int days = (int) json_integer_value (json_object_get (item, "days"));
        char range [32];
        if (strcmp (a, b) == 0)
            snprintf (range, sizeof range, "%s", a);
        else
            snprintf (range, sizeof range, "%s..%s", a, b);
        printf ("%-9s %-22s %d day%s off: %s\n", index == 0 ? "skipped" : "", range, days,
                days == 1 ? "" : "s", json_string_value (json_object_get (item, "label")));
    }
    json_array_foreach (counted, index, item)
        if (index < 60)
            printf ("%-9s %s %s  %s\n", index == 0 ? "counted" : "",
                json_string_value (json_object_get (item, "date")),
                json_string_value (json_object_get (item, "weekday")),
                json_string_value (json_object_get (item, "label")));
    const char *end = *hours ? "the close of business" : "24:00";
    if (span.amount == 0)
        printf ("rule      a span of 0 is the from time itself\n");
    else
    if (span.unit == SPAN_HOURS)
        printf ("rule      elapsed time: the calendar's days do not matter\n");
    else
    if (span.unit == SPAN_WORKING_HOURS)
        printf ("rule      only %s of working days count\n",
                *hours ? "business hours" : "the hours");
    else
    if (span.unit == SPAN_WORKING_DAYS)
        printf ("rule      the day of from does not count; the deadline is the end (%s) of\n"
                "          working day %d after it (Civil Code arts. 201-203)\n", end,
                span.amount);
    else
        printf ("rule      the day of from does not count; the deadline is the end (%s) of\n"
                "          day %d after it, or of the next working day when that day is off\n"
                "          (Civil Code arts. 201-203)\n", end, span.amount);
}

static int
s_add (int argc, char **argv)
{
    enum { O_FROM = 256, O_WD, O_WH, O_D, O_H, O_SPAN, O_CAL, O_DIR, O_JSON, O_HELP };
    static const struct option options [] = {
        { "from", required_argument, NULL, O_FROM },
        { "working-days", required_argument, NULL, O_WD },
        { "hours", required_argument, NULL, O_WH },
        { "days", required_argument, NULL, O_D },
        { "elapsed-hours", required_argument, NULL, O_H },
        { "span", required_argument, NULL, O_SPAN },
        { "calendar", required_argument, NULL, O_CAL },
        { "calendars", required_argument, NULL, O_DIR },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *from_text = NULL, *name = S_DEFAULT_CALENDAR, *dir_flag = NULL;
    bool json_out = false;
    int units = 0;
    span_t span = { 0, SPAN_HOURS };
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        long n;
        char err [CALENDAR_ERR_SIZE];
        switch (opt) {
            case O_FROM: from_text = optarg; break;
            case O_WD: case O_WH: case O_D: case O_H: {
                const char *flag = opt == O_WD ? "--working-days" : opt == O_WH ? "--hours"
                                 : opt == O_D ? "--days" : "--elapsed-hours";
                if (ctl_parse_long (flag, optarg, 0, 100000, &n))
                    return CTL_EXIT_USAGE;
                span.amount = (int) n;
                span.unit = opt == O_WD ? SPAN_WORKING_DAYS : opt == O_WH ? SPAN_WORKING_HOURS
                          : opt == O_D ? SPAN_DAYS : SPAN_HOURS;
                units++;
                break;
            }
            case O_SPAN:
                if (span_parse (optarg, &span, err, sizeof err)) {
                    fprintf (stderr, "complaintctl calendar add: --span: %s\n", err);
                    return CTL_EXIT_USAGE;
                }
                units++;
                break;
            case O_CAL: name = optarg; break;
            case O_DIR: dir_flag = optarg; break;
            case O_JSON: json_out = true; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl calendar --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "complaintctl calendar add: unexpected argument \"%s\"\n",
                 argv [optind]);
        return CTL_EXIT_USAGE;
    }
    if (!from_text) {
        fprintf (stderr, "complaintctl calendar add: --from TIME is required "
                 "(e.g. --from \"2026-02-13 10:00\")\n");
        return CTL_EXIT_USAGE;
    }
    if (units != 1) {
        fprintf (stderr, "complaintctl calendar add: give exactly one of --working-days, "
                 "--hours, --days, --elapsed-hours, --span\n");
        return CTL_EXIT_USAGE;
    }
    char dir [PATH_MAX];
    ctl_calendars_dir (dir_flag, dir, sizeof dir);
    int code = CTL_EXIT_OK;
    calendar_t *cal = s_open_calendar (dir, name, &code);
    if (!cal)
        return code;
    int64_t from;
    if (strcmp (from_text, "now") == 0) {
        struct timespec now;
        clock_gettime (CLOCK_REALTIME, &now);
        from = (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
    }
    else
    if (calendar_parse_local (cal, from_text, &from)) {
        fprintf (stderr, "complaintctl calendar add: --from \"%s\" is not a time: want "
                 "\"YYYY-MM-DD HH:MM\" (local to %s), YYYY-MM-DD, an ISO time with an offset "
                 "or Z, or now\n", from_text, calendar_name (cal));
        calendar_destroy (&cal);
        return CTL_EXIT_USAGE;
    }
    int64_t due = calendar_add (cal, from, span);
    bool covered = calendar_covers (cal, from) && calendar_covers (cal, due);
    /* Inside covers, or in a year of `provisional` lines, or beyond both. */
    bool provisional = !covered
                    && (calendar_covers (cal, from) || calendar_provisional (cal, from))
                    && (calendar_covers (cal, due) || calendar_provisional (cal, due));
    char covers [40], text [CALENDAR_TIME_SIZE];
    s_covers_text (cal, covers, sizeof covers);
    const char *which = !calendar_covers (cal, from) ? "the from time" : "the deadline";
    if (provisional)
        fprintf (stderr, "complaintctl calendar: warning: provisional: %s is after calendar "
                 "%s's covers period %s, in a year known only by its statutory days "
                 "(`provisional` lines): the State Council's notice for that year may "
                 "move the deadline\n", which, calendar_name (cal), covers);
    else
    if (!covered)
        fprintf (stderr, "complaintctl calendar: warning: %s is outside calendar %s's covers "
                 "period %s: there only the weekly pattern (%s) is known, no holidays\n",
                 which, calendar_name (cal), covers, calendar_workweek_text (cal));

    json_t *skipped = json_array (), *counted = json_array ();
    s_explain (cal, from, due, span, skipped, counted);
    if (json_out) {
        char from_local [CALENDAR_TIME_SIZE], utc [48], span_text [32];
        calendar_format_local (cal, from, false, from_local, sizeof from_local);
        calendar_format_local (cal, due, span_is_days (span.unit), text, sizeof text);
        s_utc_text (due, utc, sizeof utc);
        span_format (span, span_text, sizeof span_text);
        json_t *out = json_pack ("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:b, s:b}",
            "from_ms", (json_int_t) from, "from_local", from_local,
            "deadline_ms", (json_int_t) due, "deadline_local", text, "deadline_utc", utc,
            "span", span_text, "calendar", calendar_name (cal),
            "timezone", calendar_timezone (cal), "skipped", skipped,
            "workdays_counted", counted, "covered", covered, "provisional", provisional);
        ctl_print_json (out, false);
        json_decref (out);
    }
    else {
        s_print_add (cal, from, due, span, skipped, counted);
        fflush (stdout);
    }
    json_decref (skipped);
    json_decref (counted);
    calendar_destroy (&cal);
    return CTL_EXIT_OK;
}

/* ---- show --------------------------------------------------------------------- */

static void
s_print_month (const calendar_t *cal, int year, int month)
{
    int32_t first = calendar_date_days (year, month, 1);
    int32_t next = month == 12 ? calendar_date_days (year + 1, 1, 1)
                               : calendar_date_days (year, month + 1, 1);
    char title [48];
    snprintf (title, sizeof title, "%s %d", s_months [month - 1], year);
    printf ("%*s%s\n", (int) (28 - strlen (title)) / 2, "", title);
    printf ("  Mo  Tu  We  Th  Fr  Sa  Su\n");
    int column = (calendar_weekday (first) + 6) % 7;       /* Monday first */
    for (int i = 0; i < column; i++)
        printf ("    ");
    for (int32_t day = first; day < next; day++) {
        const char *label = s_day_label (cal, day);
        bool working = s_day_working (cal, day);
        char mark = label ? (working ? '+' : '*') : (working ? ' ' : '-');
        printf ("%3d%c", (int) (day - first + 1), mark);
        if (++column == 7) {
            column = 0;
            printf ("\n");
        }
    }
    if (column)
        printf ("\n");
    /* the labels: runs of the same label as one line */
    for (int32_t day = first; day < next; day++) {
        const char *label = s_day_label (cal, day);
        if (!label)
            continue;
        bool working = s_day_working (cal, day);
        int32_t end = day;
        while (end + 1 < next && s_day_label (cal, end + 1)
        &&     strcmp (s_day_label (cal, end + 1), label) == 0
        &&     s_day_working (cal, end + 1) == working)
            end++;
        char range [32];
        if (end > day)
            snprintf (range, sizeof range, "%d-%d%c", (int) (day - first + 1),
                      (int) (end - first + 1), working ? '+' : '*');
        else
            snprintf (range, sizeof range, "%d%c", (int) (day - first + 1), working ? '+' : '*');
        printf ("  %-7s %s\n", range, label);
        day = end;
    }
    printf ("\n");
}

static int
s_show (int argc, char **argv)
{
    enum { O_YEAR = 256, O_MONTH, O_DIR, O_HELP };
    static const struct option options [] = {
        { "year", required_argument, NULL, O_YEAR },
        { "month", required_argument, NULL, O_MONTH },
        { "calendars", required_argument, NULL, O_DIR },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    long year = 0, month = 0;
    const char *dir_flag = NULL;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_YEAR:
                if (ctl_parse_long ("--year", optarg, 1970, 2199, &year))
                    return CTL_EXIT_USAGE;
                break;
            case O_MONTH:
                if (ctl_parse_long ("--month", optarg, 1, 12, &month))
                    return CTL_EXIT_USAGE;
                break;
            case O_DIR: dir_flag = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl calendar --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf (stderr, "complaintctl calendar show: one calendar at a time, not \"%s\"\n",
                 argv [optind + 1]);
        return CTL_EXIT_USAGE;
    }
    const char *name = optind < argc ? argv [optind] : S_DEFAULT_CALENDAR;
    char dir [PATH_MAX];
    ctl_calendars_dir (dir_flag, dir, sizeof dir);
    int code = CTL_EXIT_OK;
    calendar_t *cal = s_open_calendar (dir, name, &code);
    if (!cal)
        return code;
    int32_t today = calendar_local_days (cal, (int64_t) time (NULL) * 1000);
    int ty, tm, td;
    calendar_days_date (today, &ty, &tm, &td);
    char covers [40];
    s_covers_text (cal, covers, sizeof covers);
    const char *hours = calendar_hours_text (cal);
    printf ("%s: %s, %s%s%s, covers %s\n", calendar_name (cal), calendar_timezone (cal),
            calendar_workweek_text (cal), *hours ? ", hours " : "", hours, covers);
    if (calendar_provisional_to (cal) >= 0) {
        char until [16];
        calendar_date_text (calendar_provisional_to (cal), until, sizeof until);
        printf ("after covers, to %s: provisional (the statutory days only; the year's\n"
                "notice may add bridging days off and make-up working days)\n", until);
    }
    printf ("'*' holiday, '+' make-up working day, '-' weekend day off\n\n");
    if (year && !month)
        for (int m = 1; m <= 12; m++)
            s_print_month (cal, (int) year, m);
    else
        s_print_month (cal, year ? (int) year : ty, month ? (int) month : tm);
    fflush (stdout);
    calendar_destroy (&cal);
    return CTL_EXIT_OK;
}

/* ---- check -------------------------------------------------------------------- */

static int
s_check_one (const char *dir, const char *name)
{
    char path [PATH_MAX + 64];
    s_calendar_path (dir, name, path, sizeof path);
    conf_error_t err;
    calendar_t *cal = calendar_load (path, &err);
    if (!cal) {
        char text [600];
        printf ("%s\n", conf_error_format (&err, text, sizeof text));
        return CTL_EXIT_REPLY;
    }
    char covers [40];
    s_covers_text (cal, covers, sizeof covers);
    const char *hours = calendar_hours_text (cal);
    printf ("%s: ok, %s, %zu holiday days, %zu make-up working days (%s, %s%s%s)",
            calendar_name (cal), covers, calendar_holiday_days (cal),
            calendar_workday_count (cal), calendar_timezone (cal), calendar_workweek_text (cal),
            *hours ? ", hours " : "", hours);
    if (calendar_provisional_to (cal) >= 0) {
        char until [16];
        calendar_date_text (calendar_provisional_to (cal), until, sizeof until);
        printf ("; provisional to %s: %zu statutory days off", until,
                calendar_provisional_days (cal));
    }
    printf ("\n");
    calendar_destroy (&cal);
    return CTL_EXIT_OK;
}

static int
s_name_compare (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

static int
s_check (int argc, char **argv)
{
    enum { O_DIR = 256, O_HELP };
    static const struct option options [] = {
        { "calendars", required_argument, NULL, O_DIR },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *dir_flag = NULL;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_DIR: dir_flag = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl calendar --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    char dir [PATH_MAX];
    ctl_calendars_dir (dir_flag, dir, sizeof dir);
    int code = CTL_EXIT_OK;
    if (optind < argc) {
        for (int i = optind; i < argc; i++)
            if (s_check_one (dir, argv [i]) != CTL_EXIT_OK)
                code = CTL_EXIT_REPLY;
        fflush (stdout);
        return code;
    }
    /* every NAME.conf of the folder, each reported (not just the first error) */
    DIR *handle = opendir (dir);
    if (!handle) {
        fprintf (stderr, "complaintctl calendar check: cannot open the calendars folder %s "
                 "(see --calendars)\n", dir);
        return CTL_EXIT_USAGE;
    }
    char *names [512];
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (handle)) != NULL && count < 512) {
        size_t len = strlen (entry->d_name);
        if (entry->d_name [0] != '.' && len > 5 && strcmp (entry->d_name + len - 5, ".conf") == 0)
            if ((names [count] = strdup (entry->d_name)) != NULL)
                count++;
    }
    closedir (handle);
    qsort (names, count, sizeof names [0], s_name_compare);
    for (size_t i = 0; i < count; i++) {
        char path [PATH_MAX + 600];
        snprintf (path, sizeof path, "%s/%s", dir, names [i]);
        if (s_check_one (dir, path) != CTL_EXIT_OK)
            code = CTL_EXIT_REPLY;
        free (names [i]);
    }
    if (count == 0) {
        printf ("%s: no calendar (NAME.conf) in the folder\n", dir);
        code = CTL_EXIT_REPLY;
    }
    fflush (stdout);
    return code;
}

int
ctl_calendar (int argc, char **argv)
{
    if (argc < 2) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *what = argv [1];
    if (strcmp (what, "add") == 0)
        return s_add (argc - 1, argv + 1);
    if (strcmp (what, "show") == 0)
        return s_show (argc - 1, argv + 1);
    if (strcmp (what, "check") == 0)
        return s_check (argc - 1, argv + 1);
    if (strcmp (what, "statutory") == 0)
        return ctl_calendar_statutory (argc - 1, argv + 1);
    if (strcmp (what, "--help") == 0 || strcmp (what, "-h") == 0 || strcmp (what, "help") == 0) {
        s_usage (stdout);
        return CTL_EXIT_OK;
    }
    fprintf (stderr, "complaintctl calendar: \"%s\" is not add, show, check or statutory\n",
             what);
    return CTL_EXIT_USAGE;
}
