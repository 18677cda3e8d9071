/*  analytics_ask.c — what kpi, series and report share: the period given
 *  as days of the bank's zone, one query to the analytics endpoint, and
 *  the figures printed for people.
 *
 *  Days are the bank's, not the operator's: "--from 2026-07-01" means
 *  midnight in the zone the analytics daemon counts days in (its calendar,
 *  `zone` in every answer), wherever complaintctl runs. The tool learns
 *  that zone by asking (a kpi over the last hour: cheap, and always the
 *  daemon's own), so it never needs the daemon's config files. The zone is
 *  then applied through the C library (TZ=":Zone", as common/calendar.c
 *  does) and every time printed carries its offset, "2026-12-05 00:00
 *  +08:00", so a reader in another zone is not misled.
 *
 *  Rates are the answer's own (numbers 0–1, nil when undefined); the
 *  counts beside them come from the same declaration the daemon divides
 *  by (analytics_rates in proto/analytics_request.c), never recounted.
 *
 *  Interface (ctl.h):
 *      ctl_day_parse            "YYYY-MM-DD" checked before any I/O
 *      ctl_analytics_period     --from/--to days -> [from, to) ms in the zone
 *      ctl_analytics_ask        one query, the error reply printed
 *      ctl_zone_time            ms -> "YYYY-MM-DD HH:MM +08:00"
 *      ctl_rate_text / ctl_rate_counts / ctl_rate_label / ctl_text_width
 */
#include "ctl.h"
#include "curve.h"
#include "cfg.h"
#include "analytics_request.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define S_DAY_MS    86400000LL

int
ctl_day_parse (const char *flag, const char *text, ctl_day_t *day)
{
    int y = 0, m = 0, d = 0, n = 0;
    static const int mdays [] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (sscanf (text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || text [n]
    ||  y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 || d > mdays [m - 1]
    ||  (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))) {
        fprintf (stderr, "complaintctl: %s needs a day YYYY-MM-DD (2000-2099) in the "
                 "bank's zone, not \"%s\"\n", flag, text);
        return -1;
    }
    day->year = y;
    day->month = m;
    day->day = d;
    return 0;
}

/*  Apply the zone the daemon named. A name that is not a file under
 *  /usr/share/zoneinfo would make the C library fall back to UTC silently:
 *  refuse it instead. */
static int
s_use_zone (const char *zone)
{
    char path [256];
    struct stat st;
    snprintf (path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    if (!*zone || strstr (zone, "..") || stat (path, &st) || !S_ISREG (st.st_mode))
        return -1;
    char tz [128];
    snprintf (tz, sizeof tz, ":%s", zone);
    setenv ("TZ", tz, 1);
    tzset ();
    return 0;
}

/*  Local midnight of a day (days may overflow the month: mktime
 *  normalises, which is how "the day after" is found). */
static int64_t
s_midnight (int year, int month, int day)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_isdst = -1;
    return (int64_t) mktime (&tm) * 1000;
}

int
ctl_analytics_period (const char *what, const char *endpoint, int timeout_ms,
                      const ctl_day_t *from_day, const ctl_day_t *to_day,
                      int64_t *from, int64_t *to)
{
    //  The zone: ask for the last hour (any valid range would do).
    int64_t now = zclock_time ();
    json_t *probe = NULL;
    int rc = ctl_analytics_ask (what, endpoint, timeout_ms, "kpi", now - 3600000, now,
                                NULL, NULL, NULL, &probe);
    if (rc != CTL_EXIT_OK)
        return rc;
    const char *zone = json_string_value (json_object_get (probe, "zone"));
    if (!zone || s_use_zone (zone)) {
        fprintf (stderr, "complaintctl %s: %s answered with zone \"%s\", which this machine "
                 "does not know (/usr/share/zoneinfo)\n", what, endpoint, zone ? zone : "");
        json_decref (probe);
        return CTL_EXIT_REPLY;
    }
    json_decref (probe);
    //  --to names the last day counted: the period ends at the next midnight.
    if (to_day)
        *to = s_midnight (to_day->year, to_day->month, to_day->day + 1);
    else {
        time_t secs = (time_t) (now / 1000);
        struct tm tm;
        localtime_r (&secs, &tm);
        *to = s_midnight (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + 1);
    }
    if (from_day)
        *from = s_midnight (from_day->year, from_day->month, from_day->day);
    else {
        time_t secs = (time_t) (*to / 1000);
        struct tm tm;
        localtime_r (&secs, &tm);
        *from = s_midnight (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday - 30);
    }
    if (*from >= *to) {
        fprintf (stderr, "complaintctl %s: --from must be a day before or equal to --to\n",
                 what);
        return CTL_EXIT_USAGE;
    }
    if (*to - *from > ANALYTICS_MAX_RANGE_MS) {
        fprintf (stderr, "complaintctl %s: --from..--to spans more than ten years\n", what);
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

int
ctl_analytics_ask (const char *what, const char *endpoint, int timeout_ms, const char *op,
                   int64_t from, int64_t to, const char *by, const char *metric,
                   const char *bucket, json_t **reply)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    analytics_request_pack (&buf, op, from, to, by, metric, bucket);
    *reply = NULL;
    int rc = ctl_request_json (CURVE_ANALYTICS, endpoint, &buf, timeout_ms, reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK) {
        if (rc == CTL_EXIT_UNREACHABLE)
            fprintf (stderr, "complaintctl %s: analytics at %s did not answer: is it running? "
                     "(%s, --analytics)\n", what, endpoint, CFG_ENV_ANALYTICS);
        return rc;
    }
    if (!ctl_json_ok (*reply)) {
        rc = ctl_reply_json_error (what, *reply);
        json_decref (*reply);
        *reply = NULL;
        return rc;
    }
    return CTL_EXIT_OK;
}

const char *
ctl_zone_time (int64_t ms, char *buf, size_t size)
{
    const char *tz = getenv ("TZ");             /* ":Zone", set by the period */
    return ctl_time_in (ms, tz && *tz == ':' ? tz + 1 : NULL, buf, size);
}

int
ctl_text_width (const char *text, int width)
{
    //  printf pads by bytes; a column is a character (none here are wide:
    //  "—" and "%" are one column each).
    int bytes = (int) strlen (text), chars = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    return width + bytes - chars;
}

const char *
ctl_rate_text (const json_t *rate, char *buf, size_t size)
{
    if (!json_is_number (rate))
        return "—";
    snprintf (buf, size, "%.1f%%", json_number_value (rate) * 100.0);
    return buf;
}

/*  The counts a rate is made of, from its declaration: numerator and
 *  denominator + plus − minus. */
void
ctl_rate_counts (const json_t *kpi, const char *rate, int64_t *num, int64_t *den)
{
    *num = *den = 0;
    int i = analytics_rate_index (rate, strlen (rate));
    if (i < 0)
        return;
    const analytics_rate_t *r = &analytics_rates [i];
    *num = json_integer_value (json_object_get (kpi, r->numerator));
    *den = json_integer_value (json_object_get (kpi, r->denominator));
    if (r->plus)
        *den += json_integer_value (json_object_get (kpi, r->plus));
    if (r->minus)
        *den -= json_integer_value (json_object_get (kpi, r->minus));
}

/*  The KPIs people see: the protocol's rates, in its order, with its
 *  labels (proto/analytics_request.c). */
size_t
ctl_rate_count (void)
{
    return analytics_nrates;
}

const char *
ctl_rate_name (size_t i)
{
    return i < ctl_rate_count () ? analytics_rates [i].name : NULL;
}

const char *
ctl_rate_label (size_t i, const char *lang)
{
    if (i >= ctl_rate_count ())
        return "?";
    if (lang && strcmp (lang, "zh") == 0)
        return analytics_rates [i].zh;
    if (lang && strcmp (lang, "head") == 0)
        return analytics_rates [i].head;
    return analytics_rates [i].en;
}

int
ctl_rate_met (const json_t *rate, const json_t *target)
{
    if (!json_is_number (rate) || !json_is_number (target))
        return -1;
    //  A rate equal to its target meets it; 1e-9 absorbs the division.
    return json_number_value (rate) + 1e-9 >= json_number_value (target);
}

/*  Parse the --by value against the protocol's list, before any I/O. */
int
ctl_dim_check (const char *flag, const char *text)
{
    if (analytics_dim_index (text, strlen (text)) >= 0)
        return 0;
    fprintf (stderr, "complaintctl: %s must be one of", flag);
    for (size_t i = 0; analytics_dims [i]; i++)
        fprintf (stderr, "%s %s", i ? "," : "", analytics_dims [i]);
    fprintf (stderr, "; not \"%s\"\n", text);
    return -1;
}

//  --------------------------------------------------------------------------
//  The flags every analytics command shares (ctl.h, ctl_aopts_t)

void
ctl_aopts_init (ctl_aopts_t *o)
{
    memset (o, 0, sizeof *o);
    o->lang = "en";
    o->min_cell = CTL_MIN_CELL_DEFAULT;
}

int
ctl_aopts_take (ctl_aopts_t *o, int opt, const char *arg)
{
    switch (opt) {
        case CTL_O_FROM:
            if (ctl_day_parse ("--from", arg, &o->from_day))
                return -1;
            o->has_from = true;
            return CTL_AOPT_TAKEN;
        case CTL_O_TO:
            if (ctl_day_parse ("--to", arg, &o->to_day))
                return -1;
            o->has_to = true;
            return CTL_AOPT_TAKEN;
        case CTL_O_ANALYTICS: o->endpoint = arg; return CTL_AOPT_TAKEN;
        case CTL_O_TIMEOUT: o->timeout_text = arg; return CTL_AOPT_TAKEN;
        case CTL_O_MIN_CELL: o->min_cell_text = arg; return CTL_AOPT_TAKEN;
        case CTL_O_LANG: o->lang = arg; return CTL_AOPT_TAKEN;
        case CTL_O_JSON: o->json = true; return CTL_AOPT_TAKEN;
        case 'h':
        case CTL_O_HELP:
            return CTL_AOPT_HELP;
        default:
            return 0;
    }
}

int
ctl_aopts_finish (ctl_aopts_t *o, const char *what, int argc, char **argv)
{
    if (optind < argc) {
        fprintf (stderr, "complaintctl %s: unexpected argument \"%s\"\n", what, argv [optind]);
        return CTL_EXIT_USAGE;
    }
    if (strcmp (o->lang, "zh") != 0 && strcmp (o->lang, "en") != 0) {
        fprintf (stderr, "complaintctl %s: --lang must be zh or en, not \"%s\"\n", what, o->lang);
        return CTL_EXIT_USAGE;
    }
    const char *k_text = ctl_setting (o->min_cell_text, CTL_MIN_CELL_ENV, NULL);
    long k = CTL_MIN_CELL_DEFAULT;
    if (k_text && ctl_parse_long ("--min-cell", k_text, 1, 1000000, &k))
        return CTL_EXIT_USAGE;
    o->min_cell = (int) k;
    if (ctl_timeout_ms (o->timeout_text, &o->timeout_ms))
        return CTL_EXIT_USAGE;
    o->endpoint = ctl_setting (o->endpoint, CFG_ENV_ANALYTICS, CFG_ANALYTICS_ENDPOINT);
    return CTL_EXIT_OK;
}

int
ctl_aopts_parse (ctl_aopts_t *o, const char *what, int argc, char **argv,
                 const struct option *options, void (*usage) (FILE *out),
                 ctl_own_option_fn *own, void *arg)
{
    ctl_aopts_init (o);
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        int taken = ctl_aopts_take (o, opt, optarg);
        if (taken == CTL_AOPT_HELP) {
            usage (stdout);
            return CTL_AOPT_STOP;
        }
        if (taken == CTL_AOPT_TAKEN)
            continue;
        if (taken == 0 && own && opt != '?' && opt != ':') {
            if (own (arg, opt, optarg))
                return CTL_EXIT_USAGE;
            continue;
        }
        if (taken == 0)
            fprintf (stderr, "see `complaintctl %s --help`\n", what);
        return CTL_EXIT_USAGE;
    }
    return ctl_aopts_finish (o, what, argc, argv);
}

int
ctl_aopts_period (const ctl_aopts_t *o, const char *what, int64_t *from, int64_t *to)
{
    return ctl_analytics_period (what, o->endpoint, (int) o->timeout_ms,
                                 o->has_from ? &o->from_day : NULL,
                                 o->has_to ? &o->to_day : NULL, from, to);
}

void
ctl_aopts_usage (FILE *out, unsigned which)
{
    if (which & CTL_AUSAGE_PERIOD)
        fprintf (out, "  --from DAY, --to DAY  YYYY-MM-DD, the first and the last day counted\n"
                      "                     (the bank's zone; default the last 30 days, today "
                      "included)\n");
    if (which & CTL_AUSAGE_LANG)
        fprintf (out, "  --lang L           zh or en (default en): the names printed\n");
    if (which & CTL_AUSAGE_MIN_CELL)
        fprintf (out, "  --min-cell K       the smallest count published, smaller ones as "
                      "\"<K\"\n"
                      "                     (%s, default %d)\n", CTL_MIN_CELL_ENV,
                 CTL_MIN_CELL_DEFAULT);
    if (which & CTL_AUSAGE_JSON)
        fprintf (out, "  --json             the analytics answer as JSON\n");
    fprintf (out,
        "  --analytics EP     analytics endpoint (%s, default %s)\n"
        "  --timeout-ms N     give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d), exit 3\n",
        CFG_ENV_ANALYTICS, CFG_ANALYTICS_ENDPOINT, CTL_TIMEOUT_MS);
}

const char *
ctl_small_cell (long long n, int k, char *buf, size_t size)
{
    if (n > 0 && n < k)
        snprintf (buf, size, "<%d", k);
    else
        snprintf (buf, size, "%lld", n);
    return buf;
}
