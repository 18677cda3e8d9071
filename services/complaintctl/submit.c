/*  submit.c — `complaintctl submit` and `complaintctl get`: one request to
 *  intake, one reply printed as JSON.
 *
 *  submit builds the request either from flags, through request_submit_pack
 *  (the same packer the channel adapters use, so the tool cannot drift from
 *  the contract), or from a JSON document on stdin shaped like the wire
 *  request, converted by msgpack_json with "op":"submit" added. Validation is
 *  the server's job: the tool checks only what it needs to build a request,
 *  and shows the server's error (code, field, message) when there is one.
 */
#include "ctl.h"
#include "curve.h"
#include "cfg.h"
#include "msgpack_json.h"
#include "request.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void
s_submit_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl submit --channel C --ref R --body B [FIELDS] [OPTIONS]\n"
        "       complaintctl submit --json [OPTIONS] < request.json\n"
        "\n"
        "Submits one complaint to intake and prints the reply as one JSON line:\n"
        "  {\"ok\":true,\"complaint_no\":\"...\",\"duplicate\":false,\"query_code\":\"7K3QD-M9XWA\"}\n"
        "query_code is the customer's secret for the public status view (complaintctl\n"
        "status NO --code CODE): give it to the customer and to no one else.\n"
        "\n"
        "fields:\n"
        "  --channel C        hotline, email, web, sms, letter, counter, app, wechat, regulator\n"
        "  --ref R            the channel's idempotency reference (1-128 bytes)\n"
        "  --body B           the complaint text\n"
        "  --subject S  --demand D  --branch B  --product P  --category C\n"
        "  --amount X         decimal amount in dispute, e.g. 1250.50\n"
        "  --lang zh|en\n"
        "  --received-at MS   when the channel received it, unix milliseconds\n"
        "  --consent          the customer agreed to publish the text, scrubbed (CFPB export)\n"
        "  --name N  --phone P  --email E  --account A  --id-no I   the customer (at least one)\n"
        "  --referral-source S  who referred it: regulator, association,\n"
        "                     consumer_association, media (channel regulator alone: regulator)\n"
        "  --referrer NAME    the referring body  --referrer-ticket T   its own ticket number\n"
        "  --referrer-due TIME  when it wants the reply back, in the bank's zone\n"
        "                     (%s): \"YYYY-MM-DD HH:MM\", or a date (the end of that day)\n"
        "  --staff-concerned S  the staff the customer names (kept off the event stream)\n"
        "  --incident-at TIME   when it happened, in the bank's zone, as --referrer-due\n"
        "  --incident-place P   where it happened (an outlet, an ATM, an address)\n"
        "\n"
        "options:\n"
        "  --json             read the request from stdin as a JSON object with the wire\n"
        "                     request's field names (customer as an object); no field flags\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d), exit 3\n",
        ctl_bank_zone (), CFG_INTAKE_ENDPOINT, CTL_TIMEOUT_MS);
}

static void
s_get_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl get COMPLAINT_NO [--code CODE] [--compact] [--intake EP] [--timeout-ms N]\n"
        "\n"
        "Prints the complaint (state, channel, department, customer, timestamps, events)\n"
        "as indented JSON, or as one line with --compact. With %s set the\n"
        "token is sent: the staff view (customer identity, case fields, the audit trail\n"
        "with details); without it, the public status view (number, state, dates, next\n"
        "step), only with the customer's query code (--code, from the submit reply);\n"
        "a wrong or missing code is answered like an unknown number.\n"
        "`complaintctl show` prints the same for people.\n"
        "\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d), exit 3\n",
        STAFF_TOKEN_ENV, CFG_INTAKE_ENDPOINT, CTL_TIMEOUT_MS);
}

static proto_str_t
s_str (const char *value)
{
    return (proto_str_t) { value, value ? strlen (value) : 0 };
}

/*  Read a JSON object from stdin and pack it as a submit request. */
static int
s_submit_from_json (msgpack_sbuffer *buf)
{
    json_error_t jerr;
    json_t *json = json_loadf (stdin, 0, &jerr);
    if (!json) {
        fprintf (stderr, "complaintctl submit: stdin is not JSON: %s (line %d, column %d)\n",
                 jerr.text, jerr.line, jerr.column);
        return -1;
    }
    if (!json_is_object (json)) {
        fprintf (stderr, "complaintctl submit: the JSON request must be an object\n");
        json_decref (json);
        return -1;
    }
    json_object_set_new (json, "op", json_string ("submit"));
    proto_error_t err = { 0 };
    int rc = msgpack_json_encode (buf, json, &err);
    if (rc)
        fprintf (stderr, "complaintctl submit: cannot encode the request: %s\n", err.message);
    json_decref (json);
    return rc;
}

int
ctl_submit (int argc, char **argv)
{
    enum { O_CHANNEL = 256, O_REF, O_BODY, O_SUBJECT, O_DEMAND, O_BRANCH, O_PRODUCT,
           O_CATEGORY, O_AMOUNT, O_LANG, O_RECEIVED_AT, O_NAME, O_PHONE, O_EMAIL,
           O_ACCOUNT, O_ID_NO, O_REFERRAL_SOURCE, O_REFERRER, O_REFERRER_TICKET,
           O_REFERRER_DUE, O_CONSENT, O_JSON, O_INTAKE, O_TIMEOUT, O_HELP,
           O_STAFF_CONCERNED, O_INCIDENT_AT, O_INCIDENT_PLACE };      /* issue 16 (i16-tasks) */
    static const struct option options [] = {
        { "channel", required_argument, NULL, O_CHANNEL },
        { "ref", required_argument, NULL, O_REF },
        { "body", required_argument, NULL, O_BODY },
        { "subject", required_argument, NULL, O_SUBJECT },
        { "demand", required_argument, NULL, O_DEMAND },
        { "branch", required_argument, NULL, O_BRANCH },
        { "product", required_argument, NULL, O_PRODUCT },
        { "category", required_argument, NULL, O_CATEGORY },
        { "amount", required_argument, NULL, O_AMOUNT },
        { "lang", required_argument, NULL, O_LANG },
        { "received-at", required_argument, NULL, O_RECEIVED_AT },
        { "name", required_argument, NULL, O_NAME },
        { "phone", required_argument, NULL, O_PHONE },
        { "email", required_argument, NULL, O_EMAIL },
        { "account", required_argument, NULL, O_ACCOUNT },
        { "id-no", required_argument, NULL, O_ID_NO },
        { "referral-source", required_argument, NULL, O_REFERRAL_SOURCE },
        { "referrer", required_argument, NULL, O_REFERRER },
        { "referrer-ticket", required_argument, NULL, O_REFERRER_TICKET },
        { "referrer-due", required_argument, NULL, O_REFERRER_DUE },
        { "staff-concerned", required_argument, NULL, O_STAFF_CONCERNED },
        { "incident-at", required_argument, NULL, O_INCIDENT_AT },
        { "incident-place", required_argument, NULL, O_INCIDENT_PLACE },
        { "consent", no_argument, NULL, O_CONSENT },
        { "json", no_argument, NULL, O_JSON },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    submit_t submit;
    memset (&submit, 0, sizeof submit);
    const char *endpoint = NULL, *timeout_text = NULL, *amount = NULL;
    bool from_json = false;
    int field_flags = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        field_flags += opt >= O_CHANNEL && opt <= O_CONSENT;
        switch (opt) {
            case O_CHANNEL: submit.channel = s_str (optarg); break;
            case O_REF: submit.ref = s_str (optarg); break;
            case O_BODY: submit.body = s_str (optarg); break;
            case O_SUBJECT: submit.subject = s_str (optarg); break;
            case O_DEMAND: submit.demand = s_str (optarg); break;
            case O_BRANCH: submit.branch = s_str (optarg); break;
            case O_PRODUCT: submit.product = s_str (optarg); break;
            case O_CATEGORY: submit.category = s_str (optarg); break;
            case O_AMOUNT: amount = optarg; break;
            case O_LANG: submit.lang = s_str (optarg); break;
            case O_RECEIVED_AT: {
                long ms;
                if (ctl_parse_long ("--received-at", optarg, 1, LONG_MAX, &ms))
                    return CTL_EXIT_USAGE;
                submit.received_at = ms;
                break;
            }
            case O_NAME: submit.customer.name = s_str (optarg); break;
            case O_PHONE: submit.customer.phone = s_str (optarg); break;
            case O_EMAIL: submit.customer.email = s_str (optarg); break;
            case O_ACCOUNT: submit.customer.account = s_str (optarg); break;
            case O_ID_NO: submit.customer.id_no = s_str (optarg); break;
            case O_REFERRAL_SOURCE:
                if (strlen (optarg) >= sizeof submit.referral.source) {
                    fprintf (stderr, "complaintctl submit: --referral-source is too long\n");
                    return CTL_EXIT_USAGE;
                }
                strcpy (submit.referral.source, optarg);
                break;
            case O_REFERRER: submit.referral.referrer = s_str (optarg); break;
            case O_REFERRER_TICKET: submit.referral.ticket = s_str (optarg); break;
            case O_REFERRER_DUE:
                if (ctl_time_parse ("--referrer-due", optarg, NULL, &submit.referral.due_at))
                    return CTL_EXIT_USAGE;
                break;
            case O_STAFF_CONCERNED: submit.incident.staff_concerned = s_str (optarg); break;
            case O_INCIDENT_AT:
                if (ctl_time_parse ("--incident-at", optarg, NULL, &submit.incident.at))
                    return CTL_EXIT_USAGE;
                break;
            case O_INCIDENT_PLACE: submit.incident.place = s_str (optarg); break;
            case O_CONSENT: submit.narrative_consent = true; break;
            case O_JSON: from_json = true; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_submit_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl submit --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "complaintctl submit: unexpected argument \"%s\"\n", argv [optind]);
        return CTL_EXIT_USAGE;
    }
    if (from_json && field_flags) {
        fprintf (stderr, "complaintctl submit: --json takes the whole request from stdin; "
                         "drop the field flags\n");
        return CTL_EXIT_USAGE;
    }
    if (!from_json && (!submit.channel.ptr || !submit.ref.ptr || !submit.body.ptr)) {
        fprintf (stderr, "complaintctl submit: --channel, --ref and --body are required "
                         "(or --json)\n");
        return CTL_EXIT_USAGE;
    }
    //  The packer leaves the referral out without a source; the server
    //  names what is missing, so the tool does not repeat the rule.
    if (!submit.referral.source [0]
    &&  (submit.referral.referrer.ptr || submit.referral.ticket.ptr || submit.referral.due_at)) {
        fprintf (stderr, "complaintctl submit: --referrer, --referrer-ticket and --referrer-due "
                         "need --referral-source\n");
        return CTL_EXIT_USAGE;
    }
    if (amount) {
        if (strlen (amount) >= sizeof submit.amount) {
            fprintf (stderr, "complaintctl submit: --amount is too long\n");
            return CTL_EXIT_USAGE;
        }
        strcpy (submit.amount, amount);
        submit.has_amount = true;
    }
    long timeout_ms;
    if (ctl_timeout_ms (timeout_text, &timeout_ms))
        return CTL_EXIT_USAGE;
    endpoint = ctl_setting (endpoint, CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT);

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (from_json) {
        if (s_submit_from_json (&buf)) {
            msgpack_sbuffer_destroy (&buf);
            return CTL_EXIT_USAGE;
        }
    }
    else
        request_submit_pack (&buf, &submit);

    zframe_t *frame = NULL;
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = ctl_request (CURVE_INTAKE, endpoint, &buf, (int) timeout_ms, &frame, &msg);
    if (rc == CTL_EXIT_OK) {
        proto_error_t err = { 0 };
        json_t *json = msgpack_json_from_object (&msg.data, &err);
        if (json) {
            ctl_print_json (json, false);
            json_decref (json);
        }
        else
            fprintf (stderr, "complaintctl submit: unreadable reply: %s\n", err.message);
        if (!ctl_reply_ok (&msg.data)) {
            ctl_reply_print_error ("submit", &msg.data);
            rc = CTL_EXIT_REPLY;
        }
    }
    msgpack_unpacked_destroy (&msg);
    zframe_destroy (&frame);
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

int
ctl_get (int argc, char **argv)
{
    enum { O_COMPACT = 256, O_INTAKE, O_TIMEOUT, O_CODE, O_HELP };
    static const struct option options [] = {
        { "compact", no_argument, NULL, O_COMPACT },
        { "code", required_argument, NULL, O_CODE },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *endpoint = NULL, *timeout_text = NULL, *code = NULL;
    bool compact = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_COMPACT: compact = true; break;
            case O_CODE: code = optarg; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_get_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl get --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        s_get_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *number = argv [optind];
    long timeout_ms;
    if (ctl_timeout_ms (timeout_text, &timeout_ms))
        return CTL_EXIT_USAGE;
    endpoint = ctl_setting (endpoint, CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT);

    bool bad;
    const char *token = ctl_staff_token ("get", false, &bad);
    if (bad)
        return CTL_EXIT_USAGE;

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2 + (token != NULL) + (code != NULL));
    proto_pack_kv_cstr (&pk, "op", "get");
    proto_pack_kv_cstr (&pk, "complaint_no", number);
    if (token)
        proto_pack_kv_cstr (&pk, "token", token);
    if (code)
        proto_pack_kv_cstr (&pk, "query_code", code);

    zframe_t *frame = NULL;
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = ctl_request (CURVE_INTAKE, endpoint, &buf, (int) timeout_ms, &frame, &msg);
    if (rc == CTL_EXIT_OK) {
        if (ctl_reply_ok (&msg.data)) {
            const msgpack_object *complaint = proto_map_get (&msg.data, "complaint");
            proto_error_t err = { 0 };
            json_t *json = msgpack_json_from_object (complaint ? complaint : &msg.data, &err);
            if (json) {
                ctl_print_json (json, !compact);
                json_decref (json);
            }
            else {
                fprintf (stderr, "complaintctl get: unreadable reply: %s\n", err.message);
                rc = CTL_EXIT_REPLY;
            }
        }
        else {
            ctl_reply_print_error ("get", &msg.data);
            rc = CTL_EXIT_REPLY;
        }
    }
    msgpack_unpacked_destroy (&msg);
    zframe_destroy (&frame);
    msgpack_sbuffer_destroy (&buf);
    return rc;
}
