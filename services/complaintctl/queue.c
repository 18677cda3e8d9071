/*  queue.c — `complaintctl queue`: the cases waiting for me, or for my
 *  department, most urgent first.
 *
 *  One `queue` request to intake with the token from COMPLAINTS_TOKEN
 *  (proto/PROTOCOL.md). Intake decides what the token's holder may see and
 *  orders the cases (priority, then due time, then time received); the tool
 *  prints them as they come:
 *
 *      P  due                      complaint no     state          business line   cause ...
 *      P1 2026-11-24 10:00  202611230000013  accepted       cards           fraud_security
 *
 *  or, with --json, one JSON line per case (the reply's objects as they are),
 *  for scripts and desks built on top.
 */
#include "ctl.h"
#include "curve.h"
#include "cfg.h"
#include "lifecycle.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl queue [--scope mine|department|all] [--state S] [--limit N]\n"
        "                          [--json] [--calendars DIR] [--intake EP] [--timeout-ms N]\n"
        "\n"
        "Lists open cases, most urgent first (priority P1..P4, then due time, then\n"
        "received), as the member of staff whose token is in %s:\n"
        "  P, due, complaint no, state, business line, cause, handler, flags.\n"
        "Each case's due time is in its calendar's zone (its SLA clocks'), the offset\n"
        "written; the bank's zone before the watchdog has planned it.\n"
        "\n"
        "  --scope mine       the cases assigned to me (default)\n"
        "  --scope department my department's cases (a supervisor's or manager's: their\n"
        "                     subtree; the complaint office: every department)\n"
        "  --scope all        every case in my reach (complaint office, supervisors, managers)\n"
        "  --state S          only cases in state S (e.g. assigned, awaiting_customer)\n"
        "  --limit N          at most N cases, 1..500 (default: intake's, 50)\n"
        "  --json             one JSON line per case instead of the table\n"
        "  --calendars DIR    the calendars folder, as the watchdog's (COMPLAINTS_CALENDARS,\n"
        "                     default deploy/calendars): a calendar names its zone\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d), exit 3\n",
        STAFF_TOKEN_ENV, CFG_INTAKE_ENDPOINT, CTL_TIMEOUT_MS);
}

static const char *
s_str (const json_t *obj, const char *key)
{
    const char *s = json_string_value (json_object_get (obj, key));
    return s && *s ? s : "-";
}

static void
s_print_table (const json_t *cases)
{
    printf ("%-2s  %-23s  %-16s  %-17s  %-18s  %-22s  %-16s  %s\n",
            "P", "due", "complaint no", "state", "business line", "cause", "handler", "flags");
    size_t i;
    json_t *c;
    json_array_foreach (cases, i, c) {
        char priority [8] = "-", due [64], flags [512] = "";
        const json_t *p = json_object_get (c, "priority");
        if (json_is_integer (p))
            snprintf (priority, sizeof priority, "P%" JSON_INTEGER_FORMAT, json_integer_value (p));
        size_t used = 0, j;
        json_t *flag;
        json_array_foreach (json_object_get (c, "flags"), j, flag) {
            int n = snprintf (flags + used, sizeof flags - used, "%s%s", j ? "," : "",
                              json_is_string (flag) ? json_string_value (flag) : "?");
            if (n < 0 || (size_t) n >= sizeof flags - used)
                break;
            used += (size_t) n;
        }
        if (json_is_true (json_object_get (c, "major"))) {
            int n = snprintf (flags + used, sizeof flags - used, "%sMAJOR", used ? "," : "");
            if (n > 0 && (size_t) n < sizeof flags - used)
                used += (size_t) n;
        }
        /* issue 16 (i16-mailev): the case's calendar zone */
        ctl_show_zone (ctl_case_zone (json_string_value (json_object_get (c, "calendar"))));
        ctl_format_deadline (json_object_get (c, "due_at"), due, sizeof due);
        ctl_show_zone (NULL);
        printf ("%-2s  %-23s  %-16s  %-17s  %-18s  %-22s  %-16s  %s\n", priority, due,
                s_str (c, "complaint_no"), s_str (c, "state"), s_str (c, "business_line"),
                s_str (c, "cause"), s_str (c, "handler"), used ? flags : "-");
    }
    fflush (stdout);
}

int
ctl_queue (int argc, char **argv)
{
    enum { O_SCOPE = 256, O_STATE, O_LIMIT, O_JSON, O_INTAKE, O_TIMEOUT, O_HELP, O_CALENDARS };
    static const struct option options [] = {
        { "calendars", required_argument, NULL, O_CALENDARS },
        { "scope", required_argument, NULL, O_SCOPE },
        { "state", required_argument, NULL, O_STATE },
        { "limit", required_argument, NULL, O_LIMIT },
        { "json", no_argument, NULL, O_JSON },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *endpoint = NULL, *timeout_text = NULL, *scope = "mine", *state = NULL;
    const char *calendars = NULL;
    long limit = 0;
    bool json_out = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_SCOPE: scope = optarg; break;
            case O_STATE: state = optarg; break;
            case O_LIMIT:
                if (ctl_parse_long ("--limit", optarg, 1, 500, &limit))
                    return CTL_EXIT_USAGE;
                break;
            case O_JSON: json_out = true; break;
            case O_CALENDARS: calendars = optarg; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl queue --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "complaintctl queue: unexpected argument \"%s\"\n", argv [optind]);
        return CTL_EXIT_USAGE;
    }
    if (strcmp (scope, "mine") && strcmp (scope, "department") && strcmp (scope, "all")) {
        fprintf (stderr, "complaintctl queue: --scope is mine, department or all, not \"%s\"\n",
                 scope);
        return CTL_EXIT_USAGE;
    }
    case_state_t parsed;
    if (state && lifecycle_state_parse (state, strlen (state), &parsed)) {
        fprintf (stderr, "complaintctl queue: unknown state \"%s\"; the states are:", state);
        for (int s = 0; s < STATE_COUNT; s++)
            fprintf (stderr, "%s %s", s ? "," : "", lifecycle_state_name ((case_state_t) s));
        fprintf (stderr, "\n");
        return CTL_EXIT_USAGE;
    }
    ctl_intake_call_t call;
    int rc = ctl_intake_call_begin ("queue", endpoint, timeout_text, &call);
    if (rc != CTL_EXIT_OK)
        return rc;

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3 + (state != NULL) + (limit > 0));
    proto_pack_kv_cstr (&pk, "op", "queue");
    proto_pack_kv_cstr (&pk, "token", call.token);
    proto_pack_kv_cstr (&pk, "scope", scope);
    if (state)
        proto_pack_kv_cstr (&pk, "state", state);
    if (limit > 0)
        proto_pack_kv_int (&pk, "limit", limit);
    json_t *reply = NULL;
    rc = ctl_intake_call ("queue", &call, &buf, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    const json_t *cases = json_object_get (reply, "cases");
    if (!json_is_array (cases)) {
        fprintf (stderr, "complaintctl queue: the reply holds no cases\n");
        rc = CTL_EXIT_REPLY;
    }
    else if (json_out) {
        size_t i;
        json_t *c;
        json_array_foreach (cases, i, c)
            ctl_print_json (c, false);
    }
    else {
        ctl_case_zones_load (calendars);
        s_print_table (cases);
    }
    json_decref (reply);
    return rc;
}
