/*  accountability_cmd.c — `complaintctl accountability list|decide`: the
 *  accountability register (问责; intake `accountability`; issue 16,
 *  docs/tasks.md). The watchdog opens the items when a trigger of seed 004
 *  第十二條 is met; a manager decides the outcome.
 *
 *      accountability list [--all] [--json]
 *      accountability decide ITEM --outcome none|warning|training|criticism|penalty|dismissal
 *                         [--text NOTE]
 */
#include "ctl.h"
#include "curve.h"
#include "cfg.h"
#include "accountability_request.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl accountability list [--all] [--json]\n"
        "       complaintctl accountability decide ITEM --outcome O [--text NOTE]\n"
        "\n"
        "The accountability register (问责, seed 004 第十二條): items the watchdog opened\n"
        "(a referred complaint nobody accepted in time, a complaint made again higher\n"
        "after a missed deadline, a hot spot left without rectification); open ones,\n"
        "or --all. A manager decides the outcome: none, warning, training, criticism,\n"
        "penalty, dismissal.\n");
}

static const char *
s_str (const json_t *o, const char *key)
{
    const char *v = json_string_value (json_object_get (o, key));
    return v ? v : "";
}

int
ctl_accountability (int argc, char **argv)
{
    enum { O_OUTCOME = 256, O_TEXT, O_ALL, O_JSON, O_INTAKE, O_TIMEOUT, O_HELP };
    static const struct option options [] = {
        { "outcome", required_argument, NULL, O_OUTCOME },
        { "text", required_argument, NULL, O_TEXT },
        { "all", no_argument, NULL, O_ALL },
        { "json", no_argument, NULL, O_JSON },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    accountability_t a = { 0 };
    const char *text = NULL, *outcome = NULL, *endpoint = NULL, *timeout_text = NULL;
    bool json_out = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_OUTCOME: outcome = optarg; break;
            case O_TEXT: text = optarg; break;
            case O_ALL: a.all = true; break;
            case O_JSON: json_out = true; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl accountability --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    int left = argc - optind;
    const char *verb = left > 0 ? argv [optind] : "";
    if (strcmp (verb, "decide") == 0 && left == 2 && outcome) {
        char *end = NULL;
        a.decide = true;
        a.item = strtoll (argv [optind + 1], &end, 10);
        if (*end || a.item < 1 || !accountability_outcome_valid (outcome)) {
            fprintf (stderr, "complaintctl accountability decide: ITEM is a number; --outcome "
                     "is none, warning, training, criticism, penalty or dismissal\n");
            return CTL_EXIT_USAGE;
        }
        snprintf (a.outcome, sizeof a.outcome, "%s", outcome);
    }
    else
    if (strcmp (verb, "list") != 0 || left != 1) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    ctl_intake_call_t call;
    int rc = ctl_intake_call_begin ("accountability", endpoint, timeout_text, &call);
    if (rc != CTL_EXIT_OK)
        return rc;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    accountability_pack (&buf, &a, call.token, text);
    json_t *reply = NULL;
    rc = ctl_intake_call ("accountability", &call, &buf, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (json_out || a.decide) {
        char *line = json_dumps (reply, JSON_COMPACT);
        printf ("%s\n", line ? line : "{}");
        free (line);
    }
    else {
        const json_t *items = json_object_get (reply, "items");
        if (json_array_size (items) == 0)
            printf ("no accountability items\n");
        size_t i;
        json_t *it;
        json_array_foreach (items, i, it) {
            char opened [64];
            printf ("#%" JSON_INTEGER_FORMAT "  %s  %s  %s%s  opened %s  %s%s\n",
                    json_integer_value (json_object_get (it, "item")), s_str (it, "trigger"),
                    *s_str (it, "department") ? s_str (it, "department") : "-",
                    *s_str (it, "complaint_no") ? "complaint " : "hot spot ",
                    *s_str (it, "complaint_no") ? s_str (it, "complaint_no")
                                                : s_str (it, "hotspot"),
                    ctl_format_time (json_object_get (it, "opened_at"), opened, sizeof opened),
                    *s_str (it, "outcome") ? "outcome " : "undecided",
                    s_str (it, "outcome"));
            if (*s_str (it, "staff_concerned"))     /* issue 16 (i16-integrate) */
                printf ("    staff concerned: %s\n", s_str (it, "staff_concerned"));
        }
    }
    json_decref (reply);
    return rc;
}
