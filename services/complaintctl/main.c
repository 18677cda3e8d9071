/*  main.c — complaintctl: the command-line tool for staff, operators and
 *  analysts.
 *
 *      complaintctl submit ...        submit a complaint (flags or JSON on stdin)
 *      complaintctl get NO            show one complaint
 *      complaintctl import FILE.csv   submit every row of a CFPB CSV export
 *      complaintctl tail              follow the event stream, one JSON line each
 *      complaintctl replay --from N   print a range of the event log
 *      complaintctl act NO ACTION     a staff action on a case (token from the env)
 *      complaintctl queue             my cases / my department's, most urgent first
 *      complaintctl hotspots          the hot spots analytics detected (--all, --json)
 *      complaintctl export jrt|cfpb   the regulators' CSV files (JR/T 0169 counts, CFPB rows)
 *      complaintctl show NO           a case and its audit trail, for people
 *      complaintctl token issue ID    issue a staff token (also revoke, list, new)
 *      complaintctl keys init|new ... CURVE certificates, allow lists, revocation
 *      complaintctl lifecycle         the state machine's table, or its diagram
 *      complaintctl events            every event type's payload, or check events
 *      complaintctl calendar ...      deadline arithmetic on a working-day calendar
 *      complaintctl clock             the store's clock (moved only in a test database)
 *      complaintctl notifications     what the notifier owes and sent; show, retry
 *      complaintctl optout ...        a customer's opt-out of e-mail, SMS or push
 *      complaintctl kpi               the KPIs against their targets (analytics)
 *      complaintctl series            one metric per day or hour (analytics)
 *      complaintctl report            the management summary of a period (analytics)
 *
 *  This file only dispatches: each subcommand lives in its own file, parses
 *  its own flags and returns one of the exit codes in ctl.h. The tool is a
 *  plain client of the documented wire contract (proto/PROTOCOL.md), with no
 *  access to the store: what it can do, any other client can. The operator's
 *  commands are the exception: clock, notifications and optout talk to
 *  PostgreSQL directly (libpq, --pg or COMPLAINTS_PG), as the daemons do,
 *  because they act on the store's own tables (its clock, the notifier's
 *  rows, the opt-outs), which no service exposes on the wire.
 */
#include "ctl.h"
#include "curve.h"
#include "pg_session.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run) (int argc, char **argv);
    const char *summary;
} s_command_t;

static const s_command_t s_commands [] = {
    { "submit", ctl_submit, "submit a complaint from flags, or a JSON document on stdin (--json)" },
    { "get",    ctl_get,    "a complaint by its number, as JSON (with the staff token if set)" },
    { "status", ctl_status, "the public status view of a complaint, with the customer's --code" },
    { "import", ctl_import, "submit every row of a CFPB complaints CSV export (FILE or -)" },
    { "tail",   ctl_tail,   "follow the event stream live, one JSON line per event, gap-free" },
    { "replay", ctl_replay, "print the events after seq N from the event log" },
    { "act",    ctl_act,    "take an action on a case: accept, resolve, transfer, close ..." },
    { "queue",  ctl_queue,  "my cases, or my department's, by priority and due time" },
    { "hotspots", ctl_hotspots, "the analytics daemon's hot spots (open, or --all)" },
    { "show",   ctl_show,   "a case with its audit trail, for people (--json for tools)" },
    { "token",  ctl_token,  "token issue|revoke|list|new: staff tokens and their life in the store" },
    { "keys",   ctl_keys,   "keys init|new|list|revoke: CURVE certificates and the allow lists" },
    { "lifecycle", ctl_lifecycle, "the case state machine: actions, states, roles (--dot)" },
    { "events", ctl_events, "every event type's payload keys (--markdown, --json), or --check events" },
    { "calendar", ctl_calendar, "calendar add|show|check: deadline arithmetic on a working-day calendar" },
    { "clock",  ctl_clock,  "the store's clock: show, or shift/scale/reset it in a test database" },
    { "notifications", ctl_notifications, "the notifier's rows: list, --summary, show ID, retry ID.../--dead" },
    { "optout", ctl_optout, "optout add|remove NO CHANNEL, list [NO]: a customer's opt-outs" },
    { "kpi",    ctl_kpi,    "the KPIs against their targets for a period, --by a dimension (--json)" },
    { "series", ctl_series, "one metric per day or hour over a period (--json)" },
    { "report", ctl_report, "the management summary of a period, zh or en, small cells hidden" },
    { "export", ctl_export, "export jrt|cfpb: counts by JR/T 0169 code, CFPB database rows (CSV)" },
    { "evidence", ctl_evidence, "evidence add NO FILE | get NO SEQ: a case's documents and recordings" },
    /* issue 16 (i16-records) */
    { "casefile", ctl_casefile, "a closed case's whole file as an HTML document (--json)" },
    { "retention", ctl_retention, "retention run [--dry-run]: erase identity after the retention period" },
    { "kb", ctl_kb, "kb promote NO | search [WORDS]: the knowledge base of typical cases" },
    /* issue 16 (i16-tasks) */
    { "rectification", ctl_rectification,
      "rectification open --hotspot KEY | list | done TASK: rectification items (整改)" },
    { "accountability", ctl_accountability,
      "accountability list | decide ITEM --outcome O: the accountability register (问责)" },
};
#define S_NCOMMANDS (sizeof s_commands / sizeof s_commands [0])

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl COMMAND [OPTIONS]\n"
        "\n"
        "commands:\n");
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        fprintf (out, "  %-13s %s\n", s_commands [i].name, s_commands [i].summary);
    fprintf (out,
        "\n"
        "`complaintctl COMMAND --help` shows a command's options.\n"
        "\n"
        "environment:\n"
        "  COMPLAINTS_INTAKE_ENDPOINT      intake (submit, get, import, act, queue, show),\n"
        "                                  default tcp://127.0.0.1:5550\n"
        "  COMPLAINTS_BUS_PUB_ENDPOINT     bus publisher (tail), default tcp://127.0.0.1:5560\n"
        "  COMPLAINTS_BUS_REPLAY_ENDPOINT  bus replay (tail, replay), default tcp://127.0.0.1:5561\n"
        "  COMPLAINTS_ANALYTICS_ENDPOINT   analytics (kpi, series, report, hotspots),\n"
        "                                  default tcp://127.0.0.1:5570\n"
        "  COMPLAINTS_TIMEOUT_MS           how long to wait for a reply, default 5000\n"
        "  COMPLAINTS_TIMEZONE             the bank's zone of the times shown, default Asia/Shanghai\n"
        "  COMPLAINTS_CURVE                on (default) | off: off is plaintext, and only to\n"
        "                                  loopback endpoints\n"
        "  COMPLAINTS_KEYS                 the keys directory, default var/keys\n"
        "  COMPLAINTS_KEY                  your identity in it (NAME.cert, NAME.cert_secret),\n"
        "                                  default operator\n"
        "  COMPLAINTS_TOKEN                your staff token (act, queue; show and get send it\n"
        "                                  when set: the staff view with identity and notes)\n"
        "  COMPLAINTS_CTL_PG               PostgreSQL conninfo (clock, notifications, optout);\n"
        "                                  when unset COMPLAINTS_PG, default \"\" = libpq's\n"
        "                                  PG* variables\n"
        "\n"
        "exit status: 0 ok, 1 the server replied with an error (or import rows failed;\n"
        "             act: refused, e.g. conflict, forbidden, invalid_transition),\n"
        "             2 usage or unreadable input, 3 server unreachable, timed out, or\n"
        "             unavailable (act, queue, show: the store is down, run it again)\n");
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (strcmp (argv [1], "--help") == 0 || strcmp (argv [1], "-h") == 0
    ||  strcmp (argv [1], "help") == 0) {
        s_usage (stdout);
        return CTL_EXIT_OK;
    }
    //  Every command that takes --pg: a password there is anybody's.
    for (int i = 2; i < argc; i++) {
        const char *value = strcmp (argv [i], "--pg") == 0 && i + 1 < argc ? argv [i + 1]
                          : strncmp (argv [i], "--pg=", 5) == 0 ? argv [i] + 5 : NULL;
        if (value && pg_conninfo_has_password (value)) {
            fprintf (stderr, "complaintctl: --pg holds a password: a secret on the command"
                     " line is visible to every user (ps, /proc/PID/cmdline); put it in"
                     " ~/.pgpass or a PGPASSFILE of mode 0600, or give the conninfo in"
                     " COMPLAINTS_CTL_PG\n");
            return CTL_EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        if (strcmp (argv [1], s_commands [i].name) == 0) {
            /* czmq logs to stdout by default; stdout carries our JSON. */
            zsys_set_logstream (stderr);
            int rc = s_commands [i].run (argc - 1, argv + 1);
            curve_set_default (NULL);   /* its sockets before czmq's context */
            zsys_shutdown ();
            return rc;
        }
    fprintf (stderr, "complaintctl: unknown command \"%s\"\n\n", argv [1]);
    s_usage (stderr);
    return CTL_EXIT_USAGE;
}
