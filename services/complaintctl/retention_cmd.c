/*  retention_cmd.c — `complaintctl retention run [--dry-run] [--limit N]`:
 *  erase the customer's identity from cases closed longer ago than the
 *  retention period (intake `retention_run`, services/intake/
 *  case_retention.h; docs/records.md).
 *
 *  The complaint office's command (intake decides: the token's role). The
 *  period is intake's (--retention-years), so every instance applies the
 *  same one; this tool only asks. Run it from cron or a systemd timer;
 *  repeating it is harmless. Exit 1 when a case failed (its identity did
 *  not open), so a timer's failure shows.
 */
#include "ctl.h"
#include "cfg.h"
#include "curve.h"
#include "records_request.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl retention run [--dry-run] [--limit N] [--json] [--intake EP]\n"
        "                                  [--timeout-ms N]\n"
        "\n"
        "Erases the customer's identity from closed cases past the retention period\n"
        "(intake --retention-years, counted from closure): identity and query code\n"
        "deleted, free text scrubbed, evidence bytes deleted (name, type, size and\n"
        "SHA-256 kept), the notifier's addresses and texts erased; the case stays,\n"
        "anonymised, with an `anonymise` audit row and complaint.anonymised on the\n"
        "stream. The complaint office's command. Needs %s.\n"
        "\n"
        "  --dry-run          list the cases that are due; change nothing\n"
        "  --limit N          at most N cases this run (1..%d, default %d)\n"
        "  --json             the reply as one JSON line\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     give up after N ms (default 60000 here), exit 3\n",
        STAFF_TOKEN_ENV, RECORDS_RETENTION_LIMIT_MAX, RECORDS_RETENTION_LIMIT_DEFAULT,
        CFG_INTAKE_ENDPOINT);
}

int
ctl_retention (int argc, char **argv)
{
    enum { O_DRY = 256, O_LIMIT, O_JSON, O_INTAKE, O_TIMEOUT, O_HELP };
    static const struct option options [] = {
        { "dry-run", no_argument, NULL, O_DRY },
        { "limit", required_argument, NULL, O_LIMIT },
        { "json", no_argument, NULL, O_JSON },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *endpoint = NULL, *timeout_text = "60000";
    bool dry_run = false, json_out = false;
    long limit = RECORDS_RETENTION_LIMIT_DEFAULT;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_DRY: dry_run = true; break;
            case O_LIMIT:
                if (ctl_parse_long ("--limit", optarg, 1, RECORDS_RETENTION_LIMIT_MAX, &limit))
                    return CTL_EXIT_USAGE;
                break;
            case O_JSON: json_out = true; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl retention --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || strcmp (argv [optind], "run") != 0) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    ctl_intake_call_t call;
    int rc = ctl_intake_call_begin ("retention", endpoint, timeout_text, &call);
    if (rc != CTL_EXIT_OK)
        return rc;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    records_retention_pack (&buf, call.token, dry_run, limit);
    json_t *reply = NULL;
    rc = ctl_intake_call ("retention run", &call, &buf, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    json_int_t failed = json_integer_value (json_object_get (reply, "failed"));
    if (json_out)
        ctl_print_json (reply, false);
    else {
        char cutoff [64], closed [64];
        const json_t *cases = json_object_get (reply, "cases");
        printf ("retention %" JSON_INTEGER_FORMAT " years: cases closed before %s%s\n",
                json_integer_value (json_object_get (reply, "retention_years")),
                ctl_format_time (json_object_get (reply, "cutoff"), cutoff, sizeof cutoff),
                dry_run ? " (dry run: nothing changed)" : "");
        size_t i;
        json_t *c;
        json_array_foreach (cases, i, c)
            printf ("  %s  closed %s  %s\n",
                    json_string_value (json_object_get (c, "complaint_no")),
                    ctl_format_time (json_object_get (c, "closed_at"), closed,
                                     sizeof closed),
                    json_string_value (json_object_get (c, "result")));
        printf ("%zu due, %" JSON_INTEGER_FORMAT " anonymised, %" JSON_INTEGER_FORMAT
                " failed\n", json_array_size (cases),
                json_integer_value (json_object_get (reply, "anonymised")), failed);
    }
    if (failed > 0)
        rc = CTL_EXIT_REPLY;
    json_decref (reply);
    return rc;
}
