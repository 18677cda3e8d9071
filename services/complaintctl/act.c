/*  act.c — `complaintctl act NO ACTION [FIELDS]`: one staff action on a case.
 *
 *  Sends intake's `act` op (proto/PROTOCOL.md) as the member of staff whose
 *  token is in COMPLAINTS_TOKEN, and prints where the case went:
 *      202611230000013: assigned -> accepted (version 3)
 *
 *  The state machine lives in proto/lifecycle.c, and intake is the authority
 *  on it. The tool uses the same table only to catch what it can see before
 *  asking: an unknown action (the valid ones are listed), a missing or
 *  inapplicable field, a value outside a vocabulary. Whether the case is in
 *  a state that allows the action, and whether this person may take it, only
 *  the server can say; its answer is printed as it comes.
 *
 *  Versions. Every case carries a version that each change bumps, and an
 *  action names the version it was decided on: if the case changed since,
 *  intake refuses it with `conflict` (nothing is written) and says where the
 *  case is now. A desk that showed a case to its user passes --version with
 *  the version it showed, so an action is never taken on a case that somebody
 *  else changed meanwhile. Without --version the tool first reads the case
 *  (`get`, with the token) and uses its current version: right for scripts
 *  and quick commands, where "now" is what the user means.
 *
 *  Exit status: 0 done; 1 refused by intake (code, field, message, and for
 *  conflict / invalid_transition the case's current state and version on
 *  stderr); 2 usage (also caught locally: unknown action, missing field);
 *  3 no reply in time, or intake answered `unavailable` (run it again).
 */
#include "ctl.h"
#include "curve.h"
#include "cfg.h"
#include "lifecycle.h"
#include "act_outcomes.h"              /* issue 16 (i16-vetting) */
#include "msgpack_json.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl act COMPLAINT_NO ACTION [FIELDS] [OPTIONS]\n"
        "\n"
        "Takes one action on a case as the member of staff whose token is in\n"
        "%s, and prints \"NO: from -> to (version N)\".\n"
        "\n"
        "actions (`complaintctl lifecycle` shows states, roles and fields):\n",
        STAFF_TOKEN_ENV);
    size_t count;
    const lifecycle_action_t *actions = lifecycle_actions (&count);
    for (size_t i = 0; i < count; i++)
        fprintf (out, "  %-17s %s\n", actions [i].name, actions [i].summary);
    fprintf (out,
        "\n"
        "fields (which an action requires or accepts: `complaintctl lifecycle`):\n"
        "  --text T           what was done or said (kept in the audit trail only)\n"
        "  --outcome O        resolve: explanation, error_corrected, refund, compensation,\n"
        "                     apology, process_change\n"
        "  --amount A         resolve: money paid back (required for refund, compensation)\n"
        "  --outcome K:A      resolve, propose: repeat for several outcomes, each KIND or\n"
        "                     KIND:AMOUNT (CNY), e.g. --outcome refund:300 --outcome apology;\n"
        "                     goodwill is an extra service or gesture\n"
        "  --customer-text T  propose (required), resolve: the answer the customer reads:\n"
        "                     the decision's reasons (vetted with the proposal)\n"
        "  --satisfied yes|no feedback: the customer's answer at the call-back\n"
        "  --department D     transfer: the department that takes the case over\n"
        "  --level L          escalate: head_office or regulator\n"
        "  --reason R         reject: duplicate, in_litigation, already_decided,\n"
        "                     not_a_complaint, outside_scope, unverifiable;\n"
        "                     close: satisfied, no_answer, review_upheld;\n"
        "                     contact: phone, sms, email, letter, visit, online;\n"
        "                     appraisal_start: appraisal, testing, valuation;\n"
        "                     close (not satisfied): informed_of_routes,\n"
        "                     referred_mediation, referred_arbitration, referred_court;\n"
        "                     callback: reached, no_answer, busy, wrong_number;\n"
        "                     determine: valid, invalid\n"
        "  --score N          callback (reached): the satisfaction survey's score, 1-5\n"
        "  --duplicate-of NO  reject as duplicate: the complaint this one repeats;\n"
        "                     merge: the customer's open complaint it is merged into\n"
        /* issue 16 (i16-tasks) */
        "  --due D            task_give, rectify: the deadline, a span on the case's\n"
        "                     calendar (48h, 2wd, 5d) or a local time (2026-12-20 18:00)\n"
        "  --task N           task_reply, task_chase, task_close: the task's number (show)\n"
        "  --owner STAFF      rectify: the person who owns the item (default: the department)\n"
        "\n"
        "options:\n"
        "  --version N        act only if the case is still at version N (what you were\n"
        "                     shown); otherwise intake answers conflict and nothing changes.\n"
        "                     Without it, the case is read first and its current version used\n"
        "  --json             print intake's reply as one JSON line (errors too)\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d)\n"
        "\n"
        "exit status: 0 done, 1 refused by intake (conflict and invalid_transition also\n"
        "print the case's current state and version), 2 usage, 3 no reply or unavailable\n",
        CFG_INTAKE_ENDPOINT, CTL_TIMEOUT_MS);
}

/* The action's field values as given on the command line (NULL: absent). */
typedef struct {
    const char *text, *outcome, *amount, *satisfied, *department, *level,
               *reason, *duplicate_of;
    /* issue 16 (i16-vetting) */
    const char *customer_text;
    int noutcomes;
    const char *outcomes [ACT_MAX_OUTCOMES];   /* KIND[:AMOUNT] as typed */
    bool several;                               /* send `outcomes`, not outcome */
    const char *due, *task, *owner;     /* issue 16 (i16-tasks) */
    const char *score;          /* issue 16 (i16-followup) */
} s_fields_t;

static void
s_list_actions (FILE *out)
{
    size_t count;
    const lifecycle_action_t *actions = lifecycle_actions (&count);
    for (size_t i = 0; i < count; i++)
        fprintf (out, "%s%s", i ? ", " : "", actions [i].name);
    fprintf (out, "\n");
}

/*  What the table can tell before asking: the fields the action requires
 *  and accepts, and the vocabularies. The rules that depend on the case
 *  (closing as satisfied needs a satisfied feedback, an escalation goes up)
 *  are left to intake, which knows the case as it is when the action lands:
 *  lifecycle_check reports those as invalid_transition, which we ignore. */
static int
s_check_local (const lifecycle_action_t *action, const s_fields_t *in)
{
    lifecycle_fields_t f = { 0, in->outcome, in->reason, in->level, in->amount != NULL, -1 };
    const char *values [FIELD_COUNT_BITS] = {
        [0] = in->text, [1] = in->outcome, [2] = in->amount, [3] = in->satisfied,
        [4] = in->department, [5] = in->level, [6] = in->reason, [7] = in->duplicate_of,
        [8] = in->customer_text, [9] = in->several ? "" : NULL,
        [13] = in->due, [14] = in->task, [15] = in->owner,        /* issue 16 (i16-tasks) */
        [11] = in->score,           /* issue 16 (i16-followup) */
    };
    for (int i = 0; i < FIELD_COUNT_BITS; i++)
        if (values [i])
            f.present |= 1u << i;
    if (in->satisfied) {
        if (strcmp (in->satisfied, "yes") && strcmp (in->satisfied, "no")) {
            fprintf (stderr, "complaintctl act: --satisfied takes yes or no, not \"%s\"\n",
                     in->satisfied);
            return -1;
        }
        f.satisfied = strcmp (in->satisfied, "yes") == 0;
    }
    /* a case state that trips none of the state-dependent rules before the
     * field checks have run: they all come first in lifecycle_check */
    lifecycle_case_t kase = { .state = STATE_ACCEPTED, .level = NULL, .recorded_satisfied = -1 };
    proto_error_t err = { 0 };
    if (lifecycle_check (action, &f, &kase, &err) == 0
    ||  strcmp (err.code, PROTO_E_INVALID_TRANSITION) == 0)
        return 0;
    /* name the flag as it is typed: duplicate_of is --duplicate-of */
    for (char *c = err.field; *c; c++)
        if (*c == '_')
            *c = '-';
    fprintf (stderr, "complaintctl act: %s (--%s)\n", err.message, err.field);
    return -1;
}

static void
s_pack_str (msgpack_packer *pk, const char *key, const char *value)
{
    if (value)
        proto_pack_kv_cstr (pk, key, value);
}

static void
s_pack_act (msgpack_sbuffer *buf, const char *number, const char *action, const char *token,
            long version, const s_fields_t *f)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    const char *strings [] = { f->text, f->outcome, f->amount, f->department, f->level,
                               f->reason, f->duplicate_of, f->due, f->task, f->owner };
    uint32_t n = 5 + (f->satisfied != NULL) + (f->customer_text != NULL) + f->several
               + (f->score != NULL);
    for (size_t i = 0; i < sizeof strings / sizeof strings [0]; i++)
        n += strings [i] != NULL;
    msgpack_pack_map (&pk, n);
    proto_pack_kv_cstr (&pk, "op", "act");
    proto_pack_kv_cstr (&pk, "complaint_no", number);
    proto_pack_kv_cstr (&pk, "action", action);
    proto_pack_kv_cstr (&pk, "token", token);
    proto_pack_kv_int (&pk, "version", version);
    s_pack_str (&pk, "text", f->text);
    s_pack_str (&pk, "outcome", f->outcome);
    /* as a string: "1250.50" stays exactly that, no float on the way */
    s_pack_str (&pk, "amount", f->amount);
    if (f->satisfied)
        proto_pack_kv_bool (&pk, "satisfied", strcmp (f->satisfied, "yes") == 0);
    s_pack_str (&pk, "department", f->department);
    s_pack_str (&pk, "level", f->level);
    s_pack_str (&pk, "reason", f->reason);
    s_pack_str (&pk, "duplicate_of", f->duplicate_of);
    /* issue 16 (i16-vetting) */
    s_pack_str (&pk, "customer_text", f->customer_text);
    if (f->several) {
        proto_pack_cstr (&pk, "outcomes");
        msgpack_pack_array (&pk, (size_t) f->noutcomes);
        for (int i = 0; i < f->noutcomes; i++) {
            const char *colon = strchr (f->outcomes [i], ':');
            msgpack_pack_map (&pk, colon ? 2 : 1);
            proto_pack_cstr (&pk, "kind");
            proto_pack_strn (&pk, f->outcomes [i], colon ? (size_t) (colon - f->outcomes [i])
                                                         : strlen (f->outcomes [i]));
            if (colon)
                proto_pack_kv_cstr (&pk, "amount", colon + 1);
        }
    }
    s_pack_str (&pk, "due", f->due);            /* issue 16 (i16-tasks) */
    s_pack_str (&pk, "task", f->task);
    s_pack_str (&pk, "owner", f->owner);
    if (f->score)                   /* issue 16 (i16-followup): an integer on the wire */
        proto_pack_kv_int (&pk, "score", strtol (f->score, NULL, 10));
}

int
ctl_act (int argc, char **argv)
{
    enum { O_VERSION = 256, O_TEXT, O_OUTCOME, O_AMOUNT, O_SATISFIED, O_DEPARTMENT,
           O_LEVEL, O_REASON, O_DUPLICATE_OF, O_JSON, O_INTAKE, O_TIMEOUT, O_HELP,
           O_CUSTOMER_TEXT,
           O_DUE, O_TASK, O_OWNER,                       /* issue 16 (i16-tasks) */
           O_SCORE };                                    /* issue 16 (i16-followup) */
    static const struct option options [] = {
        { "version", required_argument, NULL, O_VERSION },
        { "text", required_argument, NULL, O_TEXT },
        { "outcome", required_argument, NULL, O_OUTCOME },
        { "amount", required_argument, NULL, O_AMOUNT },
        { "satisfied", required_argument, NULL, O_SATISFIED },
        { "department", required_argument, NULL, O_DEPARTMENT },
        { "level", required_argument, NULL, O_LEVEL },
        { "reason", required_argument, NULL, O_REASON },
        { "duplicate-of", required_argument, NULL, O_DUPLICATE_OF },
        { "customer-text", required_argument, NULL, O_CUSTOMER_TEXT },
        { "due", required_argument, NULL, O_DUE },
        { "task", required_argument, NULL, O_TASK },
        { "owner", required_argument, NULL, O_OWNER },
        { "score", required_argument, NULL, O_SCORE },
        { "json", no_argument, NULL, O_JSON },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    s_fields_t f = { 0 };
    const char *endpoint = NULL, *timeout_text = NULL;
    long version = -1;
    bool json_out = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_VERSION:
                if (ctl_parse_long ("--version", optarg, 1, INT_MAX, &version))
                    return CTL_EXIT_USAGE;
                break;
            case O_TEXT: f.text = optarg; break;
            case O_OUTCOME:
                if (f.noutcomes == ACT_MAX_OUTCOMES) {
                    fprintf (stderr, "complaintctl act: at most %d outcomes\n", ACT_MAX_OUTCOMES);
                    return CTL_EXIT_USAGE;
                }
                f.outcomes [f.noutcomes++] = optarg;
                f.outcome = f.outcomes [0];
                f.several |= f.noutcomes > 1 || strchr (optarg, ':') != NULL;
                break;
            case O_CUSTOMER_TEXT: f.customer_text = optarg; break;
            case O_AMOUNT: f.amount = optarg; break;
            case O_SATISFIED: f.satisfied = optarg; break;
            case O_DEPARTMENT: f.department = optarg; break;
            case O_LEVEL: f.level = optarg; break;
            case O_REASON: f.reason = optarg; break;
            case O_DUPLICATE_OF: f.duplicate_of = optarg; break;
            case O_DUE: f.due = optarg; break;
            case O_TASK: f.task = optarg; break;
            case O_OWNER: f.owner = optarg; break;
            case O_SCORE: {
                long score;
                if (ctl_parse_long ("--score", optarg, 1, 5, &score))
                    return CTL_EXIT_USAGE;
                f.score = optarg;
                break;
            }
            case O_JSON: json_out = true; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl act --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        fprintf (stderr, "usage: complaintctl act COMPLAINT_NO ACTION [FIELDS] [OPTIONS]\n"
                         "see `complaintctl act --help`\n");
        return CTL_EXIT_USAGE;
    }
    const char *number = argv [optind];
    const char *name = argv [optind + 1];
    if (f.several)
        f.outcome = NULL;       /* the outcomes array carries them */
    const lifecycle_action_t *action = lifecycle_action (name, strlen (name));
    if (!action) {
        fprintf (stderr, "complaintctl act: unknown action \"%s\"; the actions are: ", name);
        s_list_actions (stderr);
        return CTL_EXIT_USAGE;
    }
    if (s_check_local (action, &f))
        return CTL_EXIT_USAGE;
    /* issue 16 follow-up (adapters2): the token, timeout and endpoint as
     * every staff command reads them; the act's own request below stays,
     * because --json prints intake's reply whether it is ok or an error. */
    ctl_intake_call_t call;
    int rc = ctl_intake_call_begin ("act", endpoint, timeout_text, &call);
    if (rc != CTL_EXIT_OK)
        return rc;
    const char *token = call.token;
    endpoint = call.endpoint;
    long timeout_ms = call.timeout_ms;

    /* The case as it is now: its version when none was given, and the
     * state it leaves for the "from -> to" line. With --version the read is
     * only for that line, so its failure is not fatal: intake judges the
     * action itself (and a version other than the one read will conflict). */
    char from [32] = "?";
    json_t *kase = NULL;
    rc = ctl_case_get (endpoint, number, token, (int) timeout_ms, &kase);
    if (rc == CTL_EXIT_OK && ctl_json_ok (kase)) {
        const json_t *complaint = json_object_get (kase, "complaint");
        const char *state = json_string_value (json_object_get (complaint, "state"));
        json_int_t current = json_integer_value (json_object_get (complaint, "version"));
        if (version < 0)
            version = (long) current;
        if (state && version == (long) current)
            snprintf (from, sizeof from, "%s", state);
    }
    else if (version < 0) {
        if (rc == CTL_EXIT_OK) {
            if (json_out)
                ctl_print_json (kase, false);
            rc = ctl_reply_json_error ("act", kase);
        }
        json_decref (kase);
        return rc;
    }
    json_decref (kase);
    if (version < 1) {
        fprintf (stderr, "complaintctl act: the case has no version to act on\n");
        return CTL_EXIT_REPLY;
    }

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    s_pack_act (&buf, number, action->name, token, version, &f);
    json_t *reply = NULL;
    rc = ctl_request_json (CURVE_INTAKE, endpoint, &buf, (int) timeout_ms, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (json_out)
        ctl_print_json (reply, false);
    if (ctl_json_ok (reply)) {
        if (!json_out) {
            const char *state = json_string_value (json_object_get (reply, "state"));
            const char *was = json_string_value (json_object_get (reply, "from"));
            json_int_t after = json_integer_value (json_object_get (reply, "version"));
            printf ("%s: %s -> %s (version %" JSON_INTEGER_FORMAT ")\n", number, was ? was : from,
                    state ? state : "?", after);
            fflush (stdout);
        }
    }
    else
        rc = ctl_reply_json_error ("act", reply);
    json_decref (reply);
    return rc;
}
