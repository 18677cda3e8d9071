/*  kb_cmd.c — `complaintctl kb promote|search`: the knowledge base of
 *  typical cases (业务知识库, seed 003_2e13b8f96210a22c.txt; intake
 *  kb_promote / kb_search, services/intake/case_kb.h; docs/records.md).
 *
 *      kb promote NO [--summary TEXT] [--answer TEXT]   the complaint office
 *      kb search [--line L] [--cause C] [--limit N] [--json] [WORDS...]
 *
 *  promote prints the entry as kept (scrubbed by intake), so the promoter
 *  sees what the handlers will read and may promote again with edited
 *  texts. search prints each entry with its class, its source case and the
 *  answer. ctl_kb_print_entries is shared with `show` (its suggestions).
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
        "usage: complaintctl kb promote COMPLAINT_NO [--summary TEXT] [--answer TEXT]\n"
        "       complaintctl kb search [--line LINE] [--cause CAUSE] [--limit N] [--json]\n"
        "                              [WORDS...]\n"
        "\n"
        "The knowledge base of typical cases. promote (the complaint office): a\n"
        "resolved or closed case becomes an entry with its business line and cause, a\n"
        "summary (default: the complaint's text) and the answer (default: the\n"
        "resolution's text), the customer's identity scrubbed; again: the texts\n"
        "replaced. search (any staff): by class and words, Chinese or English. Needs %s.\n"
        "\n"
        "  --summary TEXT     the complaint in a few lines (promote)\n"
        "  --answer TEXT      the answer given (promote)\n"
        "  --line LINE        business line, e.g. credit_card (search)\n"
        "  --cause CAUSE      cause, e.g. fees (search)\n"
        "  --limit N          at most N entries (1..%d, default %d)\n"
        "  --json             the reply as one JSON line\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d), exit 3\n",
        STAFF_TOKEN_ENV, RECORDS_KB_LIMIT_MAX, RECORDS_KB_LIMIT_DEFAULT, CFG_INTAKE_ENDPOINT,
        CTL_TIMEOUT_MS);
}

static const char *
s_str (const json_t *obj, const char *key)
{
    const json_t *v = json_object_get (obj, key);
    return json_is_string (v) && *json_string_value (v) ? json_string_value (v) : "-";
}

/* One paragraph of an entry's text, indented. */
static void
s_para (const char *label, const char *text)
{
    printf ("      %s ", label);
    for (const char *p = text; *p; p++) {
        putchar (*p);
        if (*p == '\n')
            printf ("      %*s ", (int) strlen (label), "");
    }
    putchar ('\n');
}

void
ctl_kb_print_entries (const json_t *entries, bool texts)
{
    size_t i;
    json_t *e;
    char when [64];
    json_array_foreach (entries, i, e) {
        printf ("  kb#%" JSON_INTEGER_FORMAT "  %s / %s  from %s  (%s, %s, score %.3f)\n",
                json_integer_value (json_object_get (e, "id")), s_str (e, "business_line"),
                s_str (e, "cause"), s_str (e, "complaint_no"), s_str (e, "promoted_by"),
                ctl_format_time (json_object_get (e, "promoted_at"), when, sizeof when),
                json_number_value (json_object_get (e, "score")));
        if (texts) {
            s_para ("summary:", s_str (e, "summary"));
            s_para ("answer: ", s_str (e, "answer"));
        }
    }
}

static int
s_promote (const ctl_intake_call_t *call, const char *number, const char *summary,
           const char *answer, bool json_out)
{
    kb_promote_t k = { .token = { call->token, strlen (call->token) } };
    snprintf (k.complaint_no, sizeof k.complaint_no, "%s", number);
    if (summary)
        k.summary = (proto_str_t) { summary, strlen (summary) };
    if (answer)
        k.answer = (proto_str_t) { answer, strlen (answer) };
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    records_kb_promote_pack (&buf, &k);
    json_t *reply = NULL;
    int rc = ctl_intake_call ("kb promote", call, &buf, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (json_out)
        ctl_print_json (reply, false);
    else {
        printf ("kb#%" JSON_INTEGER_FORMAT " %s from %s (%s / %s)\n",
                json_integer_value (json_object_get (reply, "id")),
                json_is_true (json_object_get (reply, "created")) ? "promoted" : "replaced",
                number, s_str (reply, "business_line"), s_str (reply, "cause"));
        s_para ("summary:", s_str (reply, "summary"));
        s_para ("answer: ", s_str (reply, "answer"));
    }
    json_decref (reply);
    return rc;
}

static int
s_search (const ctl_intake_call_t *call, const char *line, const char *cause,
          const char *words, long limit, bool json_out)
{
    kb_search_t k = { .token = { call->token, strlen (call->token) }, .limit = limit };
    if (line)
        k.business_line = (proto_str_t) { line, strlen (line) };
    if (cause)
        k.cause = (proto_str_t) { cause, strlen (cause) };
    if (words && *words)
        k.words = (proto_str_t) { words, strlen (words) };
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    records_kb_search_pack (&buf, &k);
    json_t *reply = NULL;
    int rc = ctl_intake_call ("kb search", call, &buf, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    const json_t *entries = json_object_get (reply, "entries");
    if (json_out)
        ctl_print_json (reply, false);
    else {
        printf ("%zu entr%s\n", json_array_size (entries),
                json_array_size (entries) == 1 ? "y" : "ies");
        ctl_kb_print_entries (entries, true);
    }
    json_decref (reply);
    return rc;
}

int
ctl_kb (int argc, char **argv)
{
    enum { O_SUMMARY = 256, O_ANSWER, O_LINE, O_CAUSE, O_LIMIT, O_JSON, O_INTAKE, O_TIMEOUT,
           O_HELP };
    static const struct option options [] = {
        { "summary", required_argument, NULL, O_SUMMARY },
        { "answer", required_argument, NULL, O_ANSWER },
        { "line", required_argument, NULL, O_LINE },
        { "cause", required_argument, NULL, O_CAUSE },
        { "limit", required_argument, NULL, O_LIMIT },
        { "json", no_argument, NULL, O_JSON },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *summary = NULL, *answer = NULL, *line = NULL, *cause = NULL;
    const char *endpoint = NULL, *timeout_text = NULL;
    long limit = RECORDS_KB_LIMIT_DEFAULT;
    bool json_out = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_SUMMARY: summary = optarg; break;
            case O_ANSWER: answer = optarg; break;
            case O_LINE: line = optarg; break;
            case O_CAUSE: cause = optarg; break;
            case O_LIMIT:
                if (ctl_parse_long ("--limit", optarg, 1, RECORDS_KB_LIMIT_MAX, &limit))
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
                fprintf (stderr, "see `complaintctl kb --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    int left = argc - optind;
    const char *verb = left > 0 ? argv [optind] : "";
    bool promote = strcmp (verb, "promote") == 0, search = strcmp (verb, "search") == 0;
    if ((!promote && !search) || (promote && left != 2)) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    ctl_intake_call_t call;         /* issue 16 follow-up (adapters2) */
    int rc = ctl_intake_call_begin ("kb", endpoint, timeout_text, &call);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (promote)
        return s_promote (&call, argv [optind + 1], summary, answer, json_out);
    //  the words: the remaining arguments, one space between
    char words [RECORDS_KB_MAX_WORDS + 1] = "";
    size_t used = 0;
    for (int i = optind + 1; i < argc; i++) {
        size_t n = strlen (argv [i]);
        if (used + (used > 0) + n > RECORDS_KB_MAX_WORDS) {
            fprintf (stderr, "complaintctl kb search: the words are longer than %d bytes\n",
                     RECORDS_KB_MAX_WORDS);
            return CTL_EXIT_USAGE;
        }
        if (used)
            words [used++] = ' ';
        memcpy (words + used, argv [i], n + 1);
        used += n;
    }
    return s_search (&call, line, cause, words, limit, json_out);
}
