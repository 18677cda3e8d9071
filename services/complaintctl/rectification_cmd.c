/*  rectification_cmd.c — `complaintctl rectification open|list|done`:
 *  rectification items (整改) (intake `rectification`; issue 16 §2,
 *  docs/tasks.md). An item on a case is opened with `complaintctl act NO
 *  rectify`; one for a hot spot here, with the key `complaintctl hotspots`
 *  prints:
 *
 *      rectification open --hotspot RULE/BRANCH/CAUSE/LINE --due 10wd --text WHAT
 *                         [--department D] [--owner STAFF]
 *      rectification list [--all] [--json]
 *      rectification done TASK --text WHAT_WAS_DONE
 *
 *  As the member of staff whose token is in COMPLAINTS_TOKEN. Times in the
 *  bank's zone with the zone written.
 */
#include "ctl.h"
#include "curve.h"
#include "cfg.h"
#include "rectification_request.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl rectification open --hotspot KEY --due D --text WHAT\n"
        "                                       [--department D] [--owner STAFF]\n"
        "       complaintctl rectification list [--all] [--json]\n"
        "       complaintctl rectification done TASK --text WHAT_WAS_DONE\n"
        "\n"
        "Rectification items (整改, seed 004 第十二條): opened from a hot spot (its key as\n"
        "`complaintctl hotspots` prints it) for its branch, or on a case with\n"
        "`complaintctl act NO rectify`; listed (open ones; --all: the done too); marked\n"
        "done with what was done. The watchdog reminds before the deadline and chases after.\n"
        "  --due D         a span on the bank's calendar (10wd, 30d) or a local time\n"
        "  --owner STAFF   the person who owns the item (default: the department)\n"
        "  --intake EP / --timeout-ms N   as for every intake command\n");
}

static const char *
s_str (const json_t *o, const char *key)
{
    const char *v = json_string_value (json_object_get (o, key));
    return v ? v : "";
}

static void
s_print_items (const json_t *items)
{
    size_t n = json_array_size (items);
    if (n == 0)
        printf ("no rectification items\n");
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it) {
        char due [64], ended [64];
        const char *no = s_str (it, "complaint_no"), *hot = s_str (it, "hotspot");
        printf ("#%" JSON_INTEGER_FORMAT "  %s  %s%s%s  due %s  %s%s\n",
                json_integer_value (json_object_get (it, "task")), s_str (it, "state"),
                s_str (it, "department"), *s_str (it, "owner") ? " owner " : "",
                s_str (it, "owner"),
                ctl_format_deadline (json_object_get (it, "due_at"), due, sizeof due),
                *no ? "complaint " : "hot spot ", *no ? no : hot);
        printf ("    asked: %s\n", s_str (it, "asked"));
        if (json_object_get (it, "reply"))
            printf ("    done by %s %s: %s\n", s_str (it, "replied_by"),
                    ctl_format_time (json_object_get (it, "ended_at"), ended, sizeof ended),
                    s_str (it, "reply"));
    }
}

int
ctl_rectification (int argc, char **argv)
{
    enum { O_HOTSPOT = 256, O_DEPARTMENT, O_OWNER, O_DUE, O_TEXT, O_ALL, O_JSON, O_INTAKE,
           O_TIMEOUT, O_HELP };
    static const struct option options [] = {
        { "hotspot", required_argument, NULL, O_HOTSPOT },
        { "department", required_argument, NULL, O_DEPARTMENT },
        { "owner", required_argument, NULL, O_OWNER },
        { "due", required_argument, NULL, O_DUE },
        { "text", required_argument, NULL, O_TEXT },
        { "all", no_argument, NULL, O_ALL },
        { "json", no_argument, NULL, O_JSON },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    rectification_t r = { 0 };
    const char *text = NULL, *endpoint = NULL, *timeout_text = NULL;
    bool json_out = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_HOTSPOT: snprintf (r.hotspot, sizeof r.hotspot, "%s", optarg); break;
            case O_DEPARTMENT: snprintf (r.department, sizeof r.department, "%s", optarg); break;
            case O_OWNER: snprintf (r.owner, sizeof r.owner, "%s", optarg); break;
            case O_DUE: snprintf (r.due, sizeof r.due, "%s", optarg); break;
            case O_TEXT: text = optarg; break;
            case O_ALL: r.all = true; break;
            case O_JSON: json_out = true; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl rectification --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    int left = argc - optind;
    const char *verb = left > 0 ? argv [optind] : "";
    if (strcmp (verb, "open") == 0 && left == 1 && r.hotspot [0] && r.due [0] && text)
        r.what = RECTIFY_OPEN;
    else
    if (strcmp (verb, "list") == 0 && left == 1)
        r.what = RECTIFY_LIST;
    else
    if (strcmp (verb, "done") == 0 && left == 2 && text) {
        char *end = NULL;
        r.what = RECTIFY_DONE;
        r.task = strtoll (argv [optind + 1], &end, 10);
        if (*end || r.task < 1) {
            fprintf (stderr, "complaintctl rectification done: TASK is an item's number\n");
            return CTL_EXIT_USAGE;
        }
    }
    else {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    ctl_intake_call_t call;
    int rc = ctl_intake_call_begin ("rectification", endpoint, timeout_text, &call);
    if (rc != CTL_EXIT_OK)
        return rc;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    rectification_pack (&buf, &r, call.token, text);
    json_t *reply = NULL;
    rc = ctl_intake_call ("rectification", &call, &buf, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (json_out) {
        char *line = json_dumps (reply, JSON_COMPACT);
        printf ("%s\n", line ? line : "{}");
        free (line);
    }
    else
    if (r.what == RECTIFY_LIST)
        s_print_items (json_object_get (reply, "items"));
    else {
        char due [64];
        printf ("rectification item #%" JSON_INTEGER_FORMAT ": %s, due %s\n",
                json_integer_value (json_object_get (reply, "task")),
                s_str (reply, "state"),
                ctl_format_deadline (json_object_get (reply, "due_at"), due, sizeof due));
    }
    json_decref (reply);
    return rc;
}
