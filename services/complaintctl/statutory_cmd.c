/*  statutory_cmd.c — `complaintctl calendar statutory FROM[..TO]`: the days
 *  off China's statutory holiday rule fixes, for years whose State Council
 *  notice is not published yet, as `provisional` lines of a calendar file.
 *
 *  Why: the notice for a year (国务院办公厅关于YYYY年部分节假日安排的通知)
 *  comes out each November, but a complaint received in December has its
 *  15-, 30- and 60-day deadlines in the next year, and a case opened today
 *  may be reviewed a year later. Counting such a deadline on weekends alone
 *  (what a calendar does beyond its `covers`) ignores the Spring Festival.
 *  The statutory days themselves are known years ahead: the rule
 *  (全国年节及纪念日放假办法, art. 2, as amended by the State Council's
 *  decision of 2024-11-10, in force 2025-01-01) fixes them by the Gregorian
 *  and the lunar calendar:
 *
 *      元旦     1 day    1 January
 *      春节     4 days   the lunar New Year's Eve (除夕) and 正月初一..初三
 *      清明节   1 day    the day of the solar term Qingming (4 or 5 April)
 *      劳动节   2 days   1 and 2 May
 *      端午节   1 day    the 5th day of the 5th lunar month
 *      中秋节   1 day    the 15th day of the 8th lunar month
 *      国庆节   3 days   1 to 3 October
 *
 *  What only the notice decides — the days bridged to a weekend and the
 *  make-up working days (调休) — cannot be computed, so deadlines in these
 *  years are provisional (calendar_provisional): the watchdog marks them,
 *  and loading the notice later may move them.
 *
 *  The lunar dates and the solar term come from liblunar-date (Debian's
 *  liblunar-date-3.0), whose tables give the dates the Chinese calendar
 *  publishes for 1900..2100. An astronomical computation (ICU's Chinese
 *  calendar was tried) puts a new moon that falls minutes from midnight in
 *  Beijing on the wrong day: it gives 7 February for the 2027 Spring
 *  Festival, which is the 6th; the tables do not.
 *
 *  Overlapping days are merged into one line (the Mid-Autumn Festival can
 *  fall on 1..3 October, e.g. 2028 and 2031), so the lines load as they are.
 */
#include "ctl.h"
#include "calendar.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lunar-date/lunar-date.h>

#define S_YEAR_FIRST    2001        /* the range the tables and checks cover */
#define S_YEAR_LAST     2099
#define S_PER_YEAR      8

typedef struct {
    int32_t from, to;               /* days since 1970-01-01, inclusive */
    char label [160];
} s_days_t;

/* The Gregorian date of a lunar date, as days; -1 when the library refuses. */
static int32_t
s_lunar_to_days (LunarDate *date, int year, int month, int day)
{
    GError *error = NULL;
    lunar_date_set_lunar_date (date, (GDateYear) year, (GDateMonth) month, (GDateDay) day,
                               12, FALSE, &error);
    if (error) {
        g_error_free (error);
        return -1;
    }
    gchar *text = lunar_date_strftime (date, "%(year) %(month) %(day)");
    int y = 0, m = 0, d = 0;
    int fields = text ? sscanf (text, "%d %d %d", &y, &m, &d) : 0;
    g_free (text);
    return fields == 3 ? calendar_date_days (y, m, d) : -1;
}

/* The day of the solar term Qingming in April of a year (3..6), or -1.
 * liblunar-date names it among the day's festivals; its untranslated name
 * (the C locale's) is the pinyin "Qīngmíng". */
static int32_t
s_qingming (LunarDate *date, int year)
{
    char *saved = setlocale (LC_MESSAGES, NULL);
    char *restore = saved ? strdup (saved) : NULL;
    setlocale (LC_MESSAGES, "C");
    int32_t found = -1;
    for (int day = 3; day <= 6 && found < 0; day++) {
        GError *error = NULL;
        lunar_date_set_solar_date (date, (GDateYear) year, 4, (GDateDay) day, 12, &error);
        if (error) {
            g_error_free (error);
            break;
        }
        gchar *names = lunar_date_get_holiday (date, "|");
        if (names && strstr (names, "Q\xc4\xabngm\xc3\xadng"))
            found = calendar_date_days (year, 4, day);
        g_free (names);
    }
    if (restore) {
        setlocale (LC_MESSAGES, restore);
        free (restore);
    }
    return found;
}

static int
s_days_compare (const void *a, const void *b)
{
    const s_days_t *x = (const s_days_t *) a, *y = (const s_days_t *) b;
    return x->from < y->from ? -1 : x->from > y->from;
}

/* The statutory days off of one year, merged and sorted; their count, or
 * -1 with the reason in why. */
static int
s_statutory_year (LunarDate *date, int year, s_days_t out [S_PER_YEAR], char *why,
                  size_t why_size)
{
    int32_t new_year = s_lunar_to_days (date, year, 1, 1);
    int32_t dragon = s_lunar_to_days (date, year, 5, 5);
    int32_t moon = s_lunar_to_days (date, year, 8, 15);
    int32_t qingming = s_qingming (date, year);
    if (new_year < 0 || dragon < 0 || moon < 0 || qingming < 0) {
        snprintf (why, why_size, "liblunar-date has no %s for %d",
                  qingming < 0 ? "Qingming" : "lunar date", year);
        return -1;
    }
    s_days_t days [] = {
        { calendar_date_days (year, 1, 1), calendar_date_days (year, 1, 1),
          "元旦 New Year's Day" },
        { new_year - 1, new_year + 2, "春节 Spring Festival (除夕 to 正月初三)" },
        { qingming, qingming, "清明节 Qingming Festival" },
        { calendar_date_days (year, 5, 1), calendar_date_days (year, 5, 2),
          "劳动节 Labour Day" },
        { dragon, dragon, "端午节 Dragon Boat Festival" },
        { moon, moon, "中秋节 Mid-Autumn Festival" },
        { calendar_date_days (year, 10, 1), calendar_date_days (year, 10, 3),
          "国庆节 National Day" },
    };
    size_t count = sizeof days / sizeof days [0];
    qsort (days, count, sizeof days [0], s_days_compare);
    int used = 0;
    for (size_t i = 0; i < count; i++) {
        if (used > 0 && days [i].from <= out [used - 1].to + 1) {
            /* touching or overlapping: one line, both names */
            s_days_t *last = &out [used - 1];
            if (days [i].to > last->to)
                last->to = days [i].to;
            size_t len = strlen (last->label);
            snprintf (last->label + len, sizeof last->label - len, "; %s", days [i].label);
        }
        else
            out [used++] = days [i];
    }
    return used;
}

static void
s_statutory_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl calendar statutory YEAR[..YEAR]\n"
        "\n"
        "Print the statutory days off of mainland China for those years (%d..%d) as\n"
        "`provisional` lines of a calendar file: 元旦 1 Jan, 春节 除夕..初三, 清明节,\n"
        "劳动节 1-2 May, 端午节, 中秋节, 国庆节 1-3 Oct (全国年节及纪念日放假办法, art. 2,\n"
        "as in force from 2025-01-01). Append them to deploy/calendars/cn.conf for the\n"
        "years after its `covers`; when a year's State Council notice is published,\n"
        "replace that year's lines with the notice's `holiday` and `workday` lines\n"
        "and widen `covers` (docs/calendars.md).\n",
        S_YEAR_FIRST, S_YEAR_LAST);
}

int
ctl_calendar_statutory (int argc, char **argv)
{
    if (argc != 2 || strcmp (argv [1], "--help") == 0 || strcmp (argv [1], "-h") == 0) {
        bool help = argc == 2;
        s_statutory_usage (help ? stdout : stderr);
        return help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
    }
    int first = 0, last = 0, end = 0;
    const char *text = argv [1];
    if (sscanf (text, "%4d..%4d%n", &first, &last, &end) == 2 && text [end] == 0)
        ;
    else
    if (sscanf (text, "%4d%n", &first, &end) == 1 && text [end] == 0)
        last = first;
    else {
        fprintf (stderr, "complaintctl calendar statutory: \"%s\" is not YEAR or "
                 "YEAR..YEAR\n", text);
        return CTL_EXIT_USAGE;
    }
    if (first < S_YEAR_FIRST || last > S_YEAR_LAST || first > last) {
        fprintf (stderr, "complaintctl calendar statutory: years %d..%d: want %d..%d, "
                 "the first not after the last\n", first, last, S_YEAR_FIRST, S_YEAR_LAST);
        return CTL_EXIT_USAGE;
    }
    LunarDate *date = lunar_date_new ();
    int code = CTL_EXIT_OK;
    for (int year = first; year <= last && code == CTL_EXIT_OK; year++) {
        s_days_t days [S_PER_YEAR];
        char why [128];
        int count = s_statutory_year (date, year, days, why, sizeof why);
        if (count < 0) {
            fprintf (stderr, "complaintctl calendar statutory: %s\n", why);
            code = CTL_EXIT_REPLY;
            break;
        }
        printf ("# %d: the statutory days only (全国年节及纪念日放假办法 art. 2), computed by\n"
                "# `complaintctl calendar statutory %d`: replace with the notice for %d.\n",
                year, year, year);
        for (int i = 0; i < count; i++) {
            char from [16], to [16], range [40];
            calendar_date_text (days [i].from, from, sizeof from);
            calendar_date_text (days [i].to, to, sizeof to);
            if (days [i].from == days [i].to)
                snprintf (range, sizeof range, "%s", from);
            else
                snprintf (range, sizeof range, "%s..%s", from, to);
            printf ("provisional %-24s %s\n", range, days [i].label);
        }
    }
    lunar_date_free (date);
    fflush (stdout);
    return code;
}
