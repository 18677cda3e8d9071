/*  kpi_cmd.c — `complaintctl kpi`: the KPIs of a period against the bank's
 *  targets, for analysts and managers.
 *
 *  One `kpi` query to analytics (proto/PROTOCOL.md, "Analytics"), after the
 *  zone probe of analytics_ask.c. For people, one line per KPI:
 *
 *      kpi                      rate     target   status   cases
 *      answered within 24 h     60.0%    90.0%    MISSED   3 of 5
 *
 *  the rate the daemon computed, its target from targets.conf (as the
 *  answer carries it), met/MISSED, and the counts the rate is made of; then
 *  the counts. With --by, one row per group sorted by key, each rate
 *  marked "*" when below its target, "—" when undefined (no cases: not
 *  0 %), and the group's readable name last (names.c: the directory's
 *  departments and outlets, labels.conf's channels, lines and causes; in
 *  --lang). --json prints the answer itself, one JSON object.
 */
#include "ctl.h"
#include "cfg.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl kpi [--from DAY] [--to DAY] [--by DIM] [--lang en|zh] [--json]\n"
        "                        [OPTIONS]\n"
        "\n"
        "The KPIs of the complaints received from --from to --to (days in the bank's\n"
        "zone, both included; default the last 30 days, today included) against the\n"
        "bank's targets: answered within 24 h, satisfaction, closure, decided within\n"
        "15/30/60 days, valid complaints (有效投诉率), each with its counts; then the\n"
        "counts, every outcome of the decisions (a refund and an apology count in\n"
        "both), the valid-complaint determinations and the survey's scores 1-5.\n"
        "\n"
        "  --by DIM           one row per channel, business_line, cause, department,\n"
        "                     branch or priority, with the group's name last\n");
    ctl_aopts_usage (out, CTL_AUSAGE_PERIOD | CTL_AUSAGE_LANG | CTL_AUSAGE_JSON);
}

static long long
s_count (const json_t *kpi, const char *key)
{
    return (long long) json_integer_value (json_object_get (kpi, key));
}

static void
s_print_whole (const json_t *reply)
{
    const json_t *kpi = json_object_get (reply, "kpi");
    const json_t *targets = json_object_get (reply, "targets");
    printf ("  %-24s %8s %8s  %-7s %s\n", "kpi", "rate", "target", "status", "cases");
    for (size_t i = 0; i < ctl_rate_count (); i++) {
        const char *name = ctl_rate_name (i);
        const json_t *rate = json_object_get (kpi, name);
        const json_t *target = json_object_get (targets, name);
        char rtext [32], ttext [32], cases [64];
        int64_t num, den;
        ctl_rate_counts (kpi, name, &num, &den);
        snprintf (cases, sizeof cases, "%lld of %lld", (long long) num, (long long) den);
        int met = ctl_rate_met (rate, target);
        const char *r = ctl_rate_text (rate, rtext, sizeof rtext);
        const char *t = ctl_rate_text (target, ttext, sizeof ttext);
        const char *status = met == 1 ? "met" : met == 0 ? "MISSED" : "—";
        printf ("  %-24s %*s %*s  %-*s %s\n", ctl_rate_label (i, "en"),
                ctl_text_width (r, 8), r, ctl_text_width (t, 8), t,
                ctl_text_width (status, 7), status, cases);
    }
    printf ("\n  received %lld, accepted %lld, rejected %lld, withdrawn %lld, resolved %lld,\n"
            "  closed %lld, reopened %lld, reviewed %lld, escalated %lld, transferred %lld,"
            " major %lld\n",
            s_count (kpi, "received"), s_count (kpi, "accepted"), s_count (kpi, "rejected"),
            s_count (kpi, "withdrawn"), s_count (kpi, "resolved"), s_count (kpi, "closed"),
            s_count (kpi, "reopened"), s_count (kpi, "reviewed"), s_count (kpi, "escalated"),
            s_count (kpi, "transferred"), s_count (kpi, "major"));
    /* issue 16 follow-up (analytics2): every outcome of the decisions (a
     * case with a refund and an apology counts in both), the
     * valid-complaint determinations, the survey's score distribution */
    printf ("  outcomes: explanation %lld, error_corrected %lld, refund %lld, compensation %lld,\n"
            "  apology %lld, process_change %lld, goodwill %lld\n",
            s_count (kpi, "outcome_explanation"), s_count (kpi, "outcome_error_corrected"),
            s_count (kpi, "outcome_refund"), s_count (kpi, "outcome_compensation"),
            s_count (kpi, "outcome_apology"), s_count (kpi, "outcome_process_change"),
            s_count (kpi, "outcome_goodwill"));
    printf ("  determined valid %lld, not valid %lld\n", s_count (kpi, "determined_valid"),
            s_count (kpi, "determined_invalid"));
    long long answers = 0, sum = 0;
    printf ("  survey scores:");
    for (int score = 1; score <= 5; score++) {
        char key [24];
        snprintf (key, sizeof key, "score_%d", score);
        answers += s_count (kpi, key);
        sum += s_count (kpi, key) * score;
        printf (" %d:%lld", score, s_count (kpi, key));
    }
    if (answers)
        printf (" (mean %.2f of %lld)\n", (double) sum / (double) answers, answers);
    else
        printf (" (none answered)\n");
}

static int
s_group_compare (const void *a, const void *b)
{
    const char *ka = json_string_value (json_object_get (*(json_t *const *) a, "key"));
    const char *kb = json_string_value (json_object_get (*(json_t *const *) b, "key"));
    return strcmp (ka ? ka : "", kb ? kb : "");
}

/*  The names.c kind of a --by dimension's keys (a branch is the outlet's
 *  department id), NULL: its keys are their own names (priority). */
static const char *
s_name_kind (const char *by)
{
    if (!by || streq (by, "priority"))
        return NULL;
    return streq (by, "branch") ? "department" : by;
}

static void
s_print_groups (const json_t *reply, const char *lang)
{
    ctl_names_t *names = ctl_names_load ();
    const json_t *targets = json_object_get (reply, "targets");
    const json_t *groups = json_object_get (reply, "groups");
    const char *by = json_string_value (json_object_get (reply, "by"));
    size_t n = json_array_size (groups);
    json_t **sorted = (json_t **) calloc (n ? n : 1, sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted [i] = json_array_get (groups, i);
    qsort (sorted, n, sizeof *sorted, s_group_compare);

    const char *kind = s_name_kind (by);
    printf ("  %-22s %8s", by ? by : "group", "received");
    for (size_t i = 0; i < ctl_rate_count (); i++)
        printf (" %8s", ctl_rate_label (i, "head"));
    printf ("%s\n  %-22s %8s", kind ? "  name" : "", "target", "");
    for (size_t i = 0; i < ctl_rate_count (); i++) {
        char t [32];
        const json_t *target = json_object_get (targets, ctl_rate_name (i));
        printf (" %8s", json_is_number (target) ? ctl_rate_text (target, t, sizeof t) : "");
    }
    printf ("\n");
    bool missed = false;
    for (size_t g = 0; g < n; g++) {
        const char *key = json_string_value (json_object_get (sorted [g], "key"));
        const json_t *kpi = json_object_get (sorted [g], "kpi");
        printf ("  %-22s %8lld", key && *key ? key : "(unassigned)", s_count (kpi, "received"));
        for (size_t i = 0; i < ctl_rate_count (); i++) {
            char r [32], cell [40];
            const json_t *rate = json_object_get (kpi, ctl_rate_name (i));
            int met = ctl_rate_met (rate, json_object_get (targets, ctl_rate_name (i)));
            snprintf (cell, sizeof cell, "%s%s", ctl_rate_text (rate, r, sizeof r),
                      met == 0 ? "*" : "");
            missed |= met == 0;
            printf (" %*s", ctl_text_width (cell, 8), cell);
        }
        const char *name = kind && key && *key ? ctl_names_get (names, kind, key, lang) : "";
        printf ("%s%s\n", *name && !streq (name, key) ? "  " : "",
                *name && !streq (name, key) ? name : "");
    }
    if (n == 0)
        printf ("  (no complaints received in the period)\n");
    if (missed)
        printf ("\n  * below its target; — no cases to rate\n");
    free (sorted);
    ctl_names_destroy (&names);
}

/*  --by DIM, checked against the protocol's list before any I/O. */
static int
s_by_option (void *arg, int opt, const char *value)
{
    (void) opt;                         /* --by is kpi's only own option */
    if (ctl_dim_check ("--by", value))
        return -1;
    *(const char **) arg = value;
    return 0;
}

int
ctl_kpi (int argc, char **argv)
{
    enum { O_BY = 256 };
    static const struct option options [] = {
        CTL_AOPT_PERIOD, CTL_AOPT_JSON, CTL_AOPT_LANG, CTL_AOPT_ENDPOINT,
        { "by", required_argument, NULL, O_BY },
        { NULL, 0, NULL, 0 }
    };
    ctl_aopts_t o;
    const char *by = NULL;
    int rc = ctl_aopts_parse (&o, "kpi", argc, argv, options, s_usage, s_by_option, &by);
    if (rc != CTL_EXIT_OK)
        return rc == CTL_AOPT_STOP ? CTL_EXIT_OK : rc;
    int64_t from, to;
    rc = ctl_aopts_period (&o, "kpi", &from, &to);
    if (rc != CTL_EXIT_OK)
        return rc;
    json_t *reply = NULL;
    rc = ctl_analytics_ask ("kpi", o.endpoint, (int) o.timeout_ms, "kpi", from, to, by, NULL,
                            NULL, &reply);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (o.json)
        ctl_print_json (reply, false);
    else {
        char t0 [48], t1 [48];
        printf ("complaints received %s .. %s (%s)\n", ctl_zone_time (from, t0, sizeof t0),
                ctl_zone_time (to, t1, sizeof t1),
                json_string_value (json_object_get (reply, "zone")));
        printf ("as of event %lld\n\n",
                (long long) json_integer_value (json_object_get (reply, "as_of_seq")));
        if (by)
            s_print_groups (reply, o.lang);
        else
            s_print_whole (reply);
        fflush (stdout);
    }
    json_decref (reply);
    return CTL_EXIT_OK;
}
