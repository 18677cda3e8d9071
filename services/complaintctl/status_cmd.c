/*  status_cmd.c — `complaintctl status NO --code CODE`: the public status
 *  view of one complaint, as the customer (or a channel adapter speaking
 *  for them) sees it (PROTOCOL.md, "get"; docs/security.md, "Status view").
 *
 *  One `get` without a staff token, with the customer's query code (the
 *  submit reply's query_code). Prints the number, the state, the next step
 *  and the dates, one per line; --json prints the reply's complaint map. A
 *  wrong or missing code is answered not_found, like an unknown number:
 *  the tool cannot tell them apart either, and says so.
 */
#include "ctl.h"
#include "request.h"
#include "curve.h"
#include "cfg.h"
#include "proto.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl status COMPLAINT_NO --code CODE [--json] [--intake EP] [--timeout-ms N]\n"
        "\n"
        "The public status view of a complaint: its state, the next step the customer can\n"
        "expect, and its dates — nothing else. CODE is the customer's query code from the\n"
        "submit reply and the receipt (case, spaces and dashes do not matter). A wrong code\n"
        "is answered exactly like an unknown number (exit 1, not_found), and failed tries\n"
        "are limited per client key and per complaint (rate_limited).\n"
        "\n"
        "  --json            the reply's complaint map as JSON\n"
        "  --intake EP       intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N    give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d), exit 3\n",
        CFG_INTAKE_ENDPOINT, CTL_TIMEOUT_MS);
}

int
ctl_status (int argc, char **argv)
{
    enum { O_CODE = 256, O_JSON, O_INTAKE, O_TIMEOUT, O_HELP };
    static const struct option options [] = {
        { "code", required_argument, NULL, O_CODE },
        { "json", no_argument, NULL, O_JSON },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *endpoint = NULL, *timeout_text = NULL, *code = NULL;
    bool as_json = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_CODE: code = optarg; break;
            case O_JSON: as_json = true; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl status --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || !code) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    long timeout_ms;
    if (ctl_timeout_ms (timeout_text, &timeout_ms))
        return CTL_EXIT_USAGE;
    endpoint = ctl_setting (endpoint, CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT);

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    request_get_pack (&buf, argv [optind], NULL, code);
    json_t *reply = NULL;
    int rc = ctl_request_json (CURVE_INTAKE, endpoint, &buf, (int) timeout_ms, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    json_t *complaint = json_object_get (reply, "complaint");
    if (!ctl_json_ok (reply) || !json_is_object (complaint)) {
        rc = ctl_reply_json_error ("status", reply);
        const char *why = json_string_value (json_object_get (json_object_get (reply, "error"),
                                                               "code"));
        if (why && strcmp (why, PROTO_E_NOT_FOUND) == 0)
            fprintf (stderr, "complaintctl status: (or the query code is not this"
                     " complaint's: the answer is the same, on purpose)\n");
        json_decref (reply);
        return rc == CTL_EXIT_OK ? CTL_EXIT_REPLY : rc;
    }
    if (as_json)
        ctl_print_json (complaint, true);
    else {
        char t [64];
        printf ("complaint   %s\n", json_string_value (json_object_get (complaint, "complaint_no")));
        printf ("state       %s\n", json_string_value (json_object_get (complaint, "state")));
        printf ("next step   %s\n",
                json_string_value (json_object_get (complaint, "next_step_text")));
        static const char *dates [][2] = {
            { "received_at", "received" }, { "accepted_at", "accepted" },
            { "due_at", "due" }, { "resolved_at", "resolved" }, { "closed_at", "closed" },
        };
        for (size_t i = 0; i < sizeof dates / sizeof dates [0]; i++) {
            const json_t *v = json_object_get (complaint, dates [i][0]);
            if (json_is_integer (v))
                printf ("%-11s %s\n", dates [i][1], ctl_format_time (v, t, sizeof t));
        }
    }
    json_decref (reply);
    return CTL_EXIT_OK;
}
