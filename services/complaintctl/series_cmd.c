/*  series_cmd.c — `complaintctl series --metric NAME`: one figure per day
 *  or hour of the bank's zone, for people or (--json) for tools.
 *
 *  One `series` query (proto/PROTOCOL.md, "Analytics"). For people, a
 *  column listing, each bucket's start in the bank's zone with its offset:
 *
 *      bucket                   received
 *      2026-12-01 00:00 +08:00         4
 *
 *  With --by, one block per group, in key order. Rates print as
 *  percentages, "—" where a bucket has no case to rate. The metric is
 *  checked against the protocol's vocabulary before anything is sent.
 */
#include "ctl.h"
#include "cfg.h"
#include "analytics_request.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl series --metric NAME [--from DAY] [--to DAY] [--bucket day|hour]\n"
        "                           [--by DIM] [--json] [OPTIONS]\n"
        "\n"
        "One metric per bucket over the complaints received from --from to --to (days in\n"
        "the bank's zone, both included; default the last 30 days, today included).\n"
        "\n"
        "  --metric NAME      a count (received, closed, answered_24h, ...) or a rate\n"
        "                     (answered_24h_rate, satisfaction_rate, closure_rate, ...)\n"
        "  --bucket B         day (default) or hour\n"
        "  --by DIM           one block per channel, business_line, cause, department,\n"
        "                     branch or priority\n");
    ctl_aopts_usage (out, CTL_AUSAGE_PERIOD | CTL_AUSAGE_JSON);
}

static void
s_print_points (const json_t *points, const char *metric, bool rate)
{
    printf ("  %-24s %12s\n", "bucket", metric);
    size_t i;
    json_t *p;
    json_array_foreach (points, i, p) {
        char at [48], value [32];
        const json_t *v = json_array_get (p, 1);
        if (rate)
            ctl_rate_text (v, value, sizeof value);
        else
            snprintf (value, sizeof value, "%lld", (long long) json_integer_value (v));
        const char *text = json_is_null (v) ? "—" : value;
        printf ("  %-24s %*s\n",
                ctl_zone_time (json_integer_value (json_array_get (p, 0)), at, sizeof at),
                ctl_text_width (text, 12), text);
    }
}

typedef struct {
    const char *metric, *bucket, *by;
} s_series_t;

enum { O_METRIC = 256, O_BUCKET, O_BY };

static int
s_option (void *arg, int opt, const char *value)
{
    s_series_t *own = (s_series_t *) arg;
    if (opt == O_METRIC)
        own->metric = value;
    else
    if (opt == O_BUCKET)
        own->bucket = value;
    else {
        if (ctl_dim_check ("--by", value))
            return -1;
        own->by = value;
    }
    return 0;
}

int
ctl_series (int argc, char **argv)
{
    static const struct option options [] = {
        CTL_AOPT_PERIOD, CTL_AOPT_JSON, CTL_AOPT_ENDPOINT,
        { "metric", required_argument, NULL, O_METRIC },
        { "bucket", required_argument, NULL, O_BUCKET },
        { "by", required_argument, NULL, O_BY },
        { NULL, 0, NULL, 0 }
    };
    ctl_aopts_t o;
    s_series_t own = { .bucket = "day" };
    int rc = ctl_aopts_parse (&o, "series", argc, argv, options, s_usage, s_option, &own);
    if (rc != CTL_EXIT_OK)
        return rc == CTL_AOPT_STOP ? CTL_EXIT_OK : rc;
    const char *metric = own.metric, *bucket = own.bucket, *by = own.by;
    if (!metric) {
        fprintf (stderr, "complaintctl series: --metric NAME is required (a count such as "
                 "received, or a rate such as closure_rate)\n");
        return CTL_EXIT_USAGE;
    }
    bool rate = analytics_rate_index (metric, strlen (metric)) >= 0;
    if (!rate && analytics_metric_index (metric, strlen (metric)) < 0) {
        fprintf (stderr, "complaintctl series: --metric \"%s\" is neither a count nor a rate:",
                 metric);
        for (size_t i = 0; i < analytics_nmetrics; i++)
            fprintf (stderr, " %s", analytics_metrics [i].name);
        for (size_t i = 0; i < analytics_nrates; i++)
            fprintf (stderr, " %s", analytics_rates [i].name);
        fprintf (stderr, "\n");
        return CTL_EXIT_USAGE;
    }
    if (strcmp (bucket, "day") != 0 && strcmp (bucket, "hour") != 0) {
        fprintf (stderr, "complaintctl series: --bucket must be day or hour, not \"%s\"\n",
                 bucket);
        return CTL_EXIT_USAGE;
    }
    int64_t from, to;
    rc = ctl_aopts_period (&o, "series", &from, &to);
    if (rc != CTL_EXIT_OK)
        return rc;
    json_t *reply = NULL;
    rc = ctl_analytics_ask ("series", o.endpoint, (int) o.timeout_ms, "series", from, to, by,
                            metric, bucket, &reply);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (o.json)
        ctl_print_json (reply, false);
    else {
        char t0 [48], t1 [48];
        printf ("%s per %s, complaints received %s .. %s (%s)\n", metric, bucket,
                ctl_zone_time (from, t0, sizeof t0), ctl_zone_time (to, t1, sizeof t1),
                json_string_value (json_object_get (reply, "zone")));
        printf ("as of event %lld\n",
                (long long) json_integer_value (json_object_get (reply, "as_of_seq")));
        if (by) {
            const json_t *groups = json_object_get (reply, "groups");
            size_t i;
            json_t *g;
            json_array_foreach (groups, i, g) {
                const char *key = json_string_value (json_object_get (g, "key"));
                printf ("\n%s %s\n", by, key && *key ? key : "(unassigned)");
                s_print_points (json_object_get (g, "points"), metric, rate);
            }
            if (json_array_size (groups) == 0)
                printf ("\n  (no complaints received in the period)\n");
        }
        else {
            printf ("\n");
            s_print_points (json_object_get (reply, "points"), metric, rate);
        }
        fflush (stdout);
    }
    json_decref (reply);
    return CTL_EXIT_OK;
}
