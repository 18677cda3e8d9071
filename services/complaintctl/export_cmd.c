/*  export_cmd.c — `complaintctl export jrt|cfpb`: the regulators' CSV files
 *  (issue 12 section 5; docs/analytics.md "Exports" maps every column).
 *
 *  export jrt    counts per period (month, or day) by the JR/T 0169-2018
 *                codes the router assigned — channel (A), business (B),
 *                cause (C), or all three together — each code with its name
 *                in zh and en beside it (names.c). Small cells: a count
 *                from 1 to K-1 is written "<K" (--min-cell, default 5). The
 *                file has no totals, so no hidden cell can be worked out
 *                from a margin (the report's secondary suppression is not
 *                needed here).
 *      period,channel_code,channel_zh,channel_en,business_code,business_zh,
 *      business_en,cause_code,cause_zh,cause_en,complaints
 *
 *  export cfpb   one row per complaint received in the period, in the 18
 *                columns of the CFPB's public database, in the order of its
 *                export (tests/data/cfpb_complaints_sample.csv), the
 *                narrative only where the customer consented, scrubbed.
 *                The rows come in pages of --page (500) from the `cfpb`
 *                query, each written before the next is asked for: memory
 *                holds one page, whatever the range (a year of data).
 *
 *  CSV is RFC 4180: fields separated by commas, records by CRLF, a field
 *  holding a comma, a quote, CR or LF quoted with its quotes doubled —
 *  libcsv's csv_fwrite, the library `import` parses with — and other
 *  fields written as they are. Customer identity never appears: the
 *  daemon has none to give (pseudonyms only, and this file has none).
 */
#include "ctl.h"
#include "curve.h"
#include "cfg.h"
#include "analytics_request.h"
#include "lifecycle.h"
#include "msgpack_json.h"

#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPANY_ENV      "COMPLAINTS_BANK_NAME"
#define S_COMPANY_DEFAULT  "The Bank"

//  --------------------------------------------------------------------------
//  RFC 4180 output

static void
s_field (FILE *out, const char *text, bool first)
{
    if (!first)
        fputc (',', out);
    if (!text)
        return;
    size_t len = strlen (text);
    if (strpbrk (text, ",\"\r\n"))
        csv_fwrite (out, text, len);        /* "...", quotes doubled */
    else
        fwrite (text, 1, len, out);
}

static void
s_end (FILE *out)
{
    fputs ("\r\n", out);
}

static void
s_record (FILE *out, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_field (out, fields [i], i == 0);
    s_end (out);
}

static FILE *
s_open_out (const char *what, const char *path)
{
    if (!path || strcmp (path, "-") == 0)
        return stdout;
    FILE *out = fopen (path, "wb");
    if (!out)
        fprintf (stderr, "complaintctl export %s: cannot write %s: %s\n", what, path,
                 strerror (errno));
    return out;
}

static int
s_close_out (const char *what, const char *path, FILE *out)
{
    int bad = ferror (out);
    if (out != stdout)
        bad |= fclose (out) != 0;
    else
        bad |= fflush (out) != 0;
    if (bad) {
        fprintf (stderr, "complaintctl export %s: writing %s failed\n", what,
                 path ? path : "stdout");
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

/*  One query, the reply as JSON, an error reply printed. */
static int
s_ask (const char *what, const ctl_aopts_t *o, const msgpack_sbuffer *buf, json_t **reply)
{
    *reply = NULL;
    int rc = ctl_request_json (CURVE_ANALYTICS, o->endpoint, buf, (int) o->timeout_ms, reply);
    if (rc != CTL_EXIT_OK) {
        if (rc == CTL_EXIT_UNREACHABLE)
            fprintf (stderr, "complaintctl export %s: analytics at %s did not answer: is it "
                     "running? (%s, --analytics)\n", what, o->endpoint, CFG_ENV_ANALYTICS);
        return rc;
    }
    if (!ctl_json_ok (*reply)) {
        char label [32];
        snprintf (label, sizeof label, "export %s", what);
        rc = ctl_reply_json_error (label, *reply);
        json_decref (*reply);
        *reply = NULL;
    }
    return rc;
}

static const char *
s_str (const json_t *o, const char *key)
{
    const char *s = json_string_value (json_object_get (o, key));
    return s ? s : "";
}

//  --------------------------------------------------------------------------
//  export jrt

static void
s_jrt_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl export jrt [--from DAY] [--to DAY] [--period month|day]\n"
        "                               [--axis all|channel|business|cause] [--min-cell K]\n"
        "                               [--out FILE] [OPTIONS]\n"
        "\n"
        "Counts of the complaints received in the period by the JR/T 0169-2018 codes the\n"
        "router assigned, per month (or day), as CSV (RFC 4180) with each code's name in\n"
        "zh and en. Counts below K are written \"<K\"; there are no totals.\n"
        "\n"
        "  --period P         month (default) or day, in the bank's zone\n"
        "  --axis A           all (default: the three codes together), channel, business\n"
        "                     or cause\n"
        "  --out FILE         write the CSV there (default: stdout)\n");
    ctl_aopts_usage (out, CTL_AUSAGE_PERIOD | CTL_AUSAGE_MIN_CELL);
}

typedef struct {
    const char *period, *axis, *path;
} s_jrt_t;

enum { O_PERIOD = 256, O_AXIS, O_OUT, O_COMPANY, O_PAGE };

/*  --period, --axis (checked before any I/O) and --out. */
static int
s_jrt_option (void *arg, int opt, const char *value)
{
    s_jrt_t *own = (s_jrt_t *) arg;
    if (opt == O_OUT) {
        own->path = value;
        return 0;
    }
    if (opt == O_PERIOD) {
        if (strcmp (value, "month") != 0 && strcmp (value, "day") != 0) {
            fprintf (stderr, "complaintctl export jrt: --period must be month or day, not "
                     "\"%s\"\n", value);
            return -1;
        }
        own->period = value;
        return 0;
    }
    for (size_t i = 0; analytics_axes [i]; i++)
        if (strcmp (value, analytics_axes [i]) == 0) {
            own->axis = value;
            return 0;
        }
    fprintf (stderr, "complaintctl export jrt: --axis must be all, channel, business or "
             "cause, not \"%s\"\n", value);
    return -1;
}

static int
s_export_jrt (int argc, char **argv)
{
    static const struct option options [] = {
        CTL_AOPT_PERIOD, CTL_AOPT_MIN_CELL, CTL_AOPT_ENDPOINT,
        { "period", required_argument, NULL, O_PERIOD },
        { "axis", required_argument, NULL, O_AXIS },
        { "out", required_argument, NULL, O_OUT },
        { NULL, 0, NULL, 0 }
    };
    ctl_aopts_t o;
    s_jrt_t own = { "month", "all", NULL };
    int rc = ctl_aopts_parse (&o, "export jrt", argc, argv, options, s_jrt_usage, s_jrt_option,
                              &own);
    if (rc != CTL_EXIT_OK)
        return rc == CTL_AOPT_STOP ? CTL_EXIT_OK : rc;
    const char *axis = own.axis, *path = own.path;
    int64_t from, to;
    rc = ctl_aopts_period (&o, "export jrt", &from, &to);
    if (rc != CTL_EXIT_OK)
        return rc;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    analytics_jrt_request_pack (&buf, from, to, own.period, axis);
    json_t *reply = NULL;
    rc = s_ask ("jrt", &o, &buf, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    FILE *out = s_open_out ("jrt", path);
    if (!out) {
        json_decref (reply);
        return CTL_EXIT_USAGE;
    }
    ctl_names_t *names = ctl_names_load ();
    static const char *const header [] = {
        "period", "channel_code", "channel_zh", "channel_en", "business_code", "business_zh",
        "business_en", "cause_code", "cause_zh", "cause_en", "complaints"
    };
    s_record (out, header, 11);
    static const char *const axes [3] = { "channel", "business", "cause" };
    bool wanted [3];
    for (int a = 0; a < 3; a++)
        wanted [a] = strcmp (axis, "all") == 0 || strcmp (axis, axes [a]) == 0;
    size_t i;
    json_t *row;
    json_array_foreach (json_object_get (reply, "rows"), i, row) {
        const char *fields [11] = { s_str (row, "period") };
        for (int a = 0; a < 3; a++) {
            const char *code = s_str (row, axes [a]);
            bool unclassified = wanted [a] && !*code;
            fields [1 + a * 3] = code;
            fields [2 + a * 3] = unclassified ? "（尚未分类）"
                               : ctl_names_get (names, "jrt", code, "zh");
            fields [3 + a * 3] = unclassified ? "(not yet classified)"
                               : ctl_names_get (names, "jrt", code, "en");
        }
        char cell [32];
        fields [10] = ctl_small_cell ((long long) json_integer_value (json_object_get (row,
                                      "count")), o.min_cell, cell, sizeof cell);
        s_record (out, fields, 11);
    }
    fprintf (stderr, "complaintctl export jrt: %zu rows, as of event %lld, small cells below "
             "%d as \"<%d\"\n", json_array_size (json_object_get (reply, "rows")),
             (long long) json_integer_value (json_object_get (reply, "as_of_seq")),
             o.min_cell, o.min_cell);
    ctl_names_destroy (&names);
    json_decref (reply);
    return s_close_out ("jrt", path, out);
}

//  --------------------------------------------------------------------------
//  export cfpb: our fields in the bureau's vocabulary (docs/analytics.md)

/*  "Company response to consumer": from the last resolution's outcome once
 *  the case is answered (resolved or closed); a refused or withdrawn case
 *  is "Closed"; anything still being handled — reopened or under review
 *  included — "In progress". */
static const char *
s_company_response (const char *state, const char *outcome, bool granted)
{
    bool answered = strcmp (state, "resolved") == 0 || strcmp (state, "closed") == 0;
    /* the one mapping, proto/lifecycle.c (issue 16: monetary when any
     * outcome granted an amount) */
    if (answered && outcome && lifecycle_outcome_valid (outcome, strlen (outcome)))
        return lifecycle_decision_cfpb (outcome, granted);
    if (answered || strcmp (state, "rejected") == 0 || strcmp (state, "withdrawn") == 0)
        return "Closed";
    return "In progress";
}

/*  "Submitted via": the bureau's words for our channels. It has no word
 *  for a counter visit, SMS or a messaging app: "In person", "Phone" (a
 *  text to the bank's number), "Web" (the app and WeChat are the bank's
 *  online service). */
static const char *
s_submitted_via (const char *channel)
{
    static const char *const map [][2] = {
        { "web", "Web" }, { "app", "Web" }, { "wechat", "Web" }, { "email", "Email" },
        { "hotline", "Phone" }, { "sms", "Phone" }, { "letter", "Postal mail" },
        { "regulator", "Referral" }, { "counter", "In person" },
    };
    for (size_t i = 0; i < sizeof map / sizeof map [0]; i++)
        if (strcmp (channel, map [i][0]) == 0)
            return map [i][1];
    return channel;
}

static void
s_cfpb_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl export cfpb [--from DAY] [--to DAY] [--out FILE] [--company NAME]\n"
        "                                [--page N] [OPTIONS]\n"
        "\n"
        "Every complaint received in the period as a row of the CFPB's public complaint\n"
        "database (its 18 columns, RFC 4180 CSV): product and issue from our business line\n"
        "and cause, company response from the outcome, timely from the 15-day deadline,\n"
        "disputed from a review (复核), narrative only with the customer's consent,\n"
        "scrubbed. Complaint ID is our complaint number. Streams in pages.\n"
        "\n"
        "  --out FILE         write the CSV there (default: stdout)\n"
        "  --company NAME     the Company column (%s, default \"%s\")\n"
        "  --page N           rows per query, 1-%d (default %d)\n",
        S_COMPANY_ENV, S_COMPANY_DEFAULT, ANALYTICS_MAX_PAGE, ANALYTICS_DEFAULT_PAGE);
    ctl_aopts_usage (out, CTL_AUSAGE_PERIOD);
}

static void
s_cfpb_row (FILE *out, const json_t *row, const char *company, const ctl_names_t *names)
{
    const char *day = s_str (row, "received_day");
    const char *state = s_str (row, "state");
    const json_t *outcome = json_object_get (row, "outcome");
    const json_t *timely = json_object_get (row, "timely");
    bool consent = json_is_true (json_object_get (row, "consent"));
    const char *narrative = consent ? json_string_value (json_object_get (row, "narrative"))
                                    : NULL;
    const char *line = s_str (row, "business_line"), *cause = s_str (row, "cause");
    const char *fields [18] = {
        day,                                                    /* Date received */
        *line ? ctl_names_get (names, "business_line", line, "en") : "",   /* Product */
        "",                                                     /* Sub-product */
        *cause ? ctl_names_get (names, "cause", cause, "en") : "",         /* Issue */
        "",                                                     /* Sub-issue */
        narrative ? narrative : "",                             /* narrative */
        "",                                                     /* Company public response */
        company,                                                /* Company */
        "", "", "",                                             /* State, ZIP code, Tags */
        consent ? "Consent provided" : "Consent not provided",
        s_submitted_via (s_str (row, "channel")),               /* Submitted via */
        day,                                                    /* Date sent to company */
        s_company_response (state, json_string_value (outcome),
                            json_integer_value (json_object_get (row, "amount_cents")) > 0),
        json_is_true (timely) ? "Yes" : json_is_false (timely) ? "No" : "",
        json_is_true (json_object_get (row, "disputed")) ? "Yes" : "No",
        s_str (row, "complaint_no"),                            /* Complaint ID */
    };
    s_record (out, fields, 18);
}

typedef struct {
    const char *path, *company;
    long page;
} s_cfpb_t;

static int
s_cfpb_option (void *arg, int opt, const char *value)
{
    s_cfpb_t *own = (s_cfpb_t *) arg;
    if (opt == O_OUT)
        own->path = value;
    else
    if (opt == O_COMPANY)
        own->company = value;
    else
    if (ctl_parse_long ("--page", value, 1, ANALYTICS_MAX_PAGE, &own->page))
        return -1;
    return 0;
}

static int
s_export_cfpb (int argc, char **argv)
{
    static const struct option options [] = {
        CTL_AOPT_PERIOD, CTL_AOPT_ENDPOINT,
        { "out", required_argument, NULL, O_OUT },
        { "company", required_argument, NULL, O_COMPANY },
        { "page", required_argument, NULL, O_PAGE },
        { NULL, 0, NULL, 0 }
    };
    ctl_aopts_t o;
    s_cfpb_t own = { NULL, NULL, ANALYTICS_DEFAULT_PAGE };
    int rc = ctl_aopts_parse (&o, "export cfpb", argc, argv, options, s_cfpb_usage,
                              s_cfpb_option, &own);
    if (rc != CTL_EXIT_OK)
        return rc == CTL_AOPT_STOP ? CTL_EXIT_OK : rc;
    const char *path = own.path;
    const char *company = ctl_setting (own.company, S_COMPANY_ENV, S_COMPANY_DEFAULT);
    long page = own.page;
    int64_t from, to;
    rc = ctl_aopts_period (&o, "export cfpb", &from, &to);
    if (rc != CTL_EXIT_OK)
        return rc;
    FILE *out = s_open_out ("cfpb", path);
    if (!out)
        return CTL_EXIT_USAGE;
    ctl_names_t *names = ctl_names_load ();
    static const char *const header [18] = {
        "Date received", "Product", "Sub-product", "Issue", "Sub-issue",
        "Consumer complaint narrative", "Company public response", "Company", "State",
        "ZIP code", "Tags", "Consumer consent provided?", "Submitted via",
        "Date sent to company", "Company response to consumer", "Timely response?",
        "Consumer disputed?", "Complaint ID"
    };
    s_record (out, header, 18);
    //  Page after page: the cursor is the `next` of the page before.
    int64_t after_us = 0;
    char after_no [COMPLAINT_NO_SIZE] = "";
    size_t rows = 0, pages = 0;
    long long as_of = 0;
    while (rc == CTL_EXIT_OK) {
        msgpack_sbuffer buf;
        msgpack_sbuffer_init (&buf);
        analytics_cfpb_request_pack (&buf, from, to, after_us, after_no [0] ? after_no : NULL,
                                     (int) page);
        json_t *reply = NULL;
        rc = s_ask ("cfpb", &o, &buf, &reply);
        msgpack_sbuffer_destroy (&buf);
        if (rc != CTL_EXIT_OK)
            break;
        size_t i;
        json_t *row;
        json_array_foreach (json_object_get (reply, "rows"), i, row) {
            s_cfpb_row (out, row, company, names);
            rows++;
        }
        pages++;
        as_of = (long long) json_integer_value (json_object_get (reply, "as_of_seq"));
        const json_t *next = json_object_get (reply, "next");
        bool more = json_is_object (next);
        if (more) {
            after_us = (int64_t) json_integer_value (json_object_get (next, "after_us"));
            snprintf (after_no, sizeof after_no, "%s", s_str (next, "after_no"));
        }
        json_decref (reply);
        if (!more)
            break;
    }
    ctl_names_destroy (&names);
    int closed = s_close_out ("cfpb", path, out);
    if (rc == CTL_EXIT_OK) {
        fprintf (stderr, "complaintctl export cfpb: %zu rows in %zu pages, as of event %lld\n",
                 rows, pages, as_of);
        rc = closed;
    }
    return rc;
}

//  --------------------------------------------------------------------------

int
ctl_export (int argc, char **argv)
{
    if (argc >= 2 && strcmp (argv [1], "jrt") == 0)
        return s_export_jrt (argc - 1, argv + 1);
    if (argc >= 2 && strcmp (argv [1], "cfpb") == 0)
        return s_export_cfpb (argc - 1, argv + 1);
    FILE *out = argc >= 2 && (strcmp (argv [1], "--help") == 0 || strcmp (argv [1], "-h") == 0)
              ? stdout : stderr;
    fprintf (out, "usage: complaintctl export jrt|cfpb [OPTIONS]   (--help after either)\n"
                  "  jrt    counts by JR/T 0169-2018 code, CSV, small cells hidden\n"
                  "  cfpb   every complaint as a CFPB database row, CSV\n");
    return out == stdout ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}
