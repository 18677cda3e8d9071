/*  import_csv.c — `complaintctl import FILE.csv`: submit every row of the US
 *  Consumer Financial Protection Bureau's public complaint export.
 *
 *  The export is RFC 4180 CSV with a header row, 18 columns, and quoted
 *  fields that span lines (the narratives). common/csv_rows.h reads it (libcsv,
 *  one physical line at a time, so the line a row starts on is known), and
 *  finds columns by header name, not position, so a reordered export still
 *  imports. Each row becomes a submit on channel "regulator" with ref
 *  "cfpb-<Complaint ID>"; the public export carries no identity, so the
 *  customer is "CFPB consumer <Complaint ID>" (see docs/complaintctl.md).
 *  The bureau is the referrer: the submit's referral is source regulator,
 *  referrer the bureau, ticket the Complaint ID.
 *  "Consumer consent provided?" = "Consent provided" becomes the submit's
 *  narrative_consent (true); anything else, or no such column, false.
 *  The row's "Date received" goes as received_at, so the SLA clocks start
 *  when the bureau received it; --received-now leaves it out (the date is
 *  still checked), so the store stamps its own clock, app_now (), and the
 *  clocks start now: live deadlines for a demo or a shifted-clock test.
 *
 *  Speed comes from pipelining: common/intake_client keeps up to --window
 *  requests in flight on one DEALER and matches replies to rows by tag.
 *  Intake batches concurrent requests into one transaction, so a full
 *  window turns into a few group commits instead of one round trip and one
 *  fsync per row.
 *
 *  Reliability comes from idempotency. A row without a reply by its deadline
 *  is sent again by intake_client under a new tag (a late reply to the old
 *  one is dropped); intake deduplicates on (channel, ref), so a row that
 *  was in fact stored the first time comes back "duplicate" with the same
 *  number, never twice. An "unavailable" reply (store down) is sent again
 *  after S_RETRY_DELAY_MS. After --attempts tries the row counts as failed,
 *  unless no reply has come back at all, in which case intake is
 *  unreachable and the import stops with exit 3. Memory stays bounded
 *  whatever the file size: the parser is paused while the window is full.
 *
 *  Output: one JSON line per row on stdout, in the order replies arrive:
 *      {"ref":"cfpb-3384392","complaint_no":"...","duplicate":false}
 *      {"ref":"cfpb-3384392","error":{"code":...,"field":...,"message":...}}
 *      {"line":17,"error":{"code":"malformed_row","message":...}}
 *  and the summary line on stderr: "imported N rows: A accepted, D duplicate,
 *  E failed". Exit 0 only when every row was acknowledged.
 */
#include "ctl.h"
#include "csv_rows.h"
#include "curve.h"
#include "intake_client.h"
#include "cfg.h"
#include "msgpack_json.h"
#include "request.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_CHANNEL          "regulator"
#define S_REF_PREFIX       "cfpb-"
#define S_REFERRER         "Consumer Financial Protection Bureau"
#define S_MAX_COLUMNS      256          /* a header wider than this is not the export */
#define S_MAX_FIELD        (4 * PROTO_MAX_BODY)    /* a narrative is at most 64 KiB */
#define S_RETRY_DELAY_MS   500          /* after an "unavailable" reply */

/* The columns we read, by their header names in the export. */
enum { C_ID, C_DATE, C_PRODUCT, C_SUBPRODUCT, C_ISSUE, C_SUBISSUE, C_NARRATIVE, C_CONSENT,
       C_COUNT };
static const char *const s_column_names [C_COUNT] = {
    [C_ID]         = "Complaint ID",
    [C_DATE]       = "Date received",
    [C_PRODUCT]    = "Product",
    [C_SUBPRODUCT] = "Sub-product",
    [C_ISSUE]      = "Issue",
    [C_SUBISSUE]   = "Sub-issue",
    [C_NARRATIVE]  = "Consumer complaint narrative",
    [C_CONSENT]    = "Consumer consent provided?",
};
static const bool s_column_required [C_COUNT] = {
    [C_ID] = true, [C_DATE] = true, [C_PRODUCT] = true, [C_ISSUE] = true,
};

typedef struct _s_import_t s_import_t;

/* A row sent to intake, waiting for its answer (the request bytes are
 * intake_client's copy). Live rows are linked, so that those still
 * unanswered when the import stops are freed. */
typedef struct _s_row_t {
    struct _s_row_t *prev, *next;
    s_import_t *import;
    char *ref;
    long line;
} s_row_t;

struct _s_import_t {
    /* settings */
    int window;
    int attempts;
    int timeout_ms;
    const char *endpoint;
    /* parser state */
    csv_rows_t *csv;
    bool header_checked;
    bool header_error;
    bool received_now;          /* --received-now: leave received_at out */
    /* work */
    s_row_t *rows;              /* sent, not answered */
    intake_client_t *client;
    /* results */
    long accepted, duplicate, failed;
    bool unreachable;
};

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl import FILE.csv|- [OPTIONS]\n"
        "\n"
        "Submits every row of a CFPB consumer complaint CSV export (header row,\n"
        "18 columns) as a complaint on channel \"regulator\" with ref \"cfpb-<Complaint ID>\".\n"
        "Importing the same file again creates nothing: every row comes back duplicate.\n"
        "Prints one JSON line per row on stdout, a summary on stderr.\n"
        "\n"
        "  --window N         requests in flight at once (default 64, at most 256)\n"
        "  --attempts N       tries per row before it counts as failed (default 3)\n"
        "  --received-now     do not send the CSV's Date received: the store stamps its\n"
        "                     own clock (app_now), so SLA clocks start at the import\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     wait per attempt (COMPLAINTS_TIMEOUT_MS, default %d)\n"
        "\n"
        "exit status: 0 every row acknowledged, 1 some rows failed, 2 usage or\n"
        "unreadable file, 3 intake unreachable\n",
        CFG_INTAKE_ENDPOINT, CTL_TIMEOUT_MS);
}

/* ---- output ------------------------------------------------------------- */

static void
s_print_row_error (const char *ref, long line, const char *code, const char *field,
                   const char *message)
{
    json_t *out = json_object ();
    if (ref)
        json_object_set_new (out, "ref", json_string (ref));
    if (line > 0)
        json_object_set_new (out, "line", json_integer (line));
    json_t *error = json_object ();
    json_object_set_new (error, "code", json_string (code));
    if (field)
        json_object_set_new (error, "field", json_string (field));
    json_object_set_new (error, "message", json_string (message));
    json_object_set_new (out, "error", error);
    ctl_print_json (out, false);
    json_decref (out);
}

/* ---- building requests from rows ---------------------------------------- */

/* Unlink a row from the live list and free it. */
static void
s_row_destroy (s_row_t **row_p)
{
    s_row_t *row = *row_p;
    if (row) {
        if (row->prev)
            row->prev->next = row->next;
        else
            row->import->rows = row->next;
        if (row->next)
            row->next->prev = row->prev;
        free (row->ref);
        free (row);
        *row_p = NULL;
    }
}

static int s_on_answer (void *arg, zframe_t *frame, int attempts);

static proto_str_t
s_field (s_import_t *self, int column)
{
    return csv_rows_field (self->csv, (size_t) column);
}

static bool
s_blank (proto_str_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr [i] != ' ' && s.ptr [i] != '\t' && s.ptr [i] != '\r' && s.ptr [i] != '\n')
            return false;
    return true;
}

/*  Labels (Issue, Product...) must fit the contract's short-field limit; a
 *  longer one is cut on a UTF-8 boundary rather than failing the row, since
 *  the label is metadata and the complaint itself is the narrative. */
static proto_str_t
s_short (proto_str_t s)
{
    if (!s.ptr || s_blank (s))
        return (proto_str_t) { NULL, 0 };
    if (s.len > PROTO_MAX_SHORT) {
        s.len = PROTO_MAX_SHORT;
        while (s.len > 0 && ((unsigned char) s.ptr [s.len] & 0xC0) == 0x80)
            s.len--;
    }
    return s;
}

/*  "2019-09-24" (the current export) or "09/24/2019" (older exports), as
 *  midnight UTC in unix ms. */
static int
s_parse_date (proto_str_t s, int64_t *ms)
{
    char text [16];
    if (!s.ptr || s.len != 10)
        return -1;
    memcpy (text, s.ptr, s.len);
    text [s.len] = 0;
    int y, m, d, n = 0;
    if (sscanf (text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10) {
        n = 0;
        if (sscanf (text, "%2d/%2d/%4d%n", &m, &d, &y, &n) != 3 || n != 10)
            return -1;
    }
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };
    time_t t = timegm (&tm);
    if (t == (time_t) -1 || tm.tm_mday != d)        /* timegm normalises 02-30 */
        return -1;
    *ms = (int64_t) t * 1000;
    return 0;
}

/*  Once the header was read: every required column there? */
static void
s_check_header (s_import_t *self)
{
    if (self->header_checked || csv_rows_columns (self->csv) == 0)
        return;
    self->header_checked = true;
    for (int c = 0; c < C_COUNT; c++)
        if (!csv_rows_present (self->csv, (size_t) c) && s_column_required [c]) {
            fprintf (stderr, "complaintctl import: the header row has no \"%s\" column; "
                             "is this a CFPB complaints export?\n", s_column_names [c]);
            self->header_error = true;
        }
}

/*  Turn the current data row into a queued request, or report why not
 *  (csv_rows callback). */
static void
s_take_row (csv_rows_t *csv, long line, void *arg)
{
    s_import_t *self = (s_import_t *) arg;
    s_check_header (self);
    if (self->header_error)
        return;                             /* stopping: read nothing more */
    if (csv_rows_count (csv) != csv_rows_columns (csv)) {
        char message [128];
        snprintf (message, sizeof message, "expected %zu columns, found %zu",
                  csv_rows_columns (csv), csv_rows_count (csv));
        fprintf (stderr, "complaintctl import: line %ld: %s; row skipped\n", line, message);
        s_print_row_error (NULL, line, "malformed_row", NULL, message);
        self->failed++;
        return;
    }
    proto_str_t id = s_field (self, C_ID);
    char ref [PROTO_MAX_REF + 1];
    if (s_blank (id) || id.len + strlen (S_REF_PREFIX) > PROTO_MAX_REF) {
        fprintf (stderr, "complaintctl import: line %ld: no usable Complaint ID; row skipped\n",
                 line);
        s_print_row_error (NULL, line, "invalid_field", "Complaint ID",
                           "the row has no usable Complaint ID");
        self->failed++;
        return;
    }
    snprintf (ref, sizeof ref, S_REF_PREFIX "%.*s", (int) id.len, id.ptr);

    submit_t submit;
    memset (&submit, 0, sizeof submit);
    submit.channel = (proto_str_t) { S_CHANNEL, strlen (S_CHANNEL) };
    submit.ref = (proto_str_t) { ref, strlen (ref) };
    submit.lang = (proto_str_t) { "en", 2 };
    /* The bureau referred it: its Complaint ID is the referrer's ticket,
     * quoted in the reply back (issue 15 §1; submit `referral`). */
    strcpy (submit.referral.source, "regulator");
    submit.referral.referrer = (proto_str_t) { S_REFERRER, strlen (S_REFERRER) };
    if (id.len <= REQUEST_TICKET_MAX)
        submit.referral.ticket = id;
    submit.subject = s_short (s_field (self, C_ISSUE));
    submit.product = s_short (s_field (self, C_PRODUCT));
    submit.category = s_short (s_field (self, C_SUBPRODUCT));
    if (s_parse_date (s_field (self, C_DATE), &submit.received_at)) {
        s_print_row_error (ref, line, "invalid_field", "Date received",
                           "Date received is not YYYY-MM-DD");
        self->failed++;
        return;
    }
    if (self->received_now)
        submit.received_at = 0;             /* absent: intake's store stamps app_now () */
    /* The bureau publishes a narrative only with the consumer's consent
     * ("Consent provided"); every other value (not provided, withdrawn,
     * N/A, Other, empty) is no consent: ours then never publishes it. */
    proto_str_t consent = s_field (self, C_CONSENT);
    submit.narrative_consent = consent.ptr && proto_str_eq (consent, "Consent provided");

    /* The narrative is the complaint; rows without one (the consumer did not
     * consent to publish it) still say what went wrong through Issue and
     * Sub-issue. */
    char *fallback = NULL;
    proto_str_t narrative = s_field (self, C_NARRATIVE);
    proto_str_t issue = s_field (self, C_ISSUE), subissue = s_field (self, C_SUBISSUE);
    if (narrative.ptr && !s_blank (narrative))
        submit.body = narrative;
    else
    if (issue.ptr && !s_blank (issue)) {
        if (subissue.ptr && !s_blank (subissue)) {
            if (asprintf (&fallback, "%.*s: %.*s", (int) issue.len, issue.ptr,
                          (int) subissue.len, subissue.ptr) < 0)
                fallback = NULL;
            if (fallback)
                submit.body = (proto_str_t) { fallback, strlen (fallback) };
        }
        else
            submit.body = issue;
    }
    else
        submit.body = submit.product;
    if (!submit.body.ptr) {
        s_print_row_error (ref, line, "missing_field", "Consumer complaint narrative",
                           "the row has no narrative, issue or product to use as the body");
        self->failed++;
        return;
    }

    char name [PROTO_MAX_REF + 32];
    snprintf (name, sizeof name, "CFPB consumer %.*s", (int) id.len, id.ptr);
    submit.customer.name = (proto_str_t) { name, strlen (name) };

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    request_submit_pack (&buf, &submit);
    free (fallback);

    s_row_t *row = (s_row_t *) zmalloc (sizeof *row);
    row->import = self;
    row->ref = strdup (ref);
    row->line = line;
    row->next = self->rows;
    if (self->rows)
        self->rows->prev = row;
    self->rows = row;
    intake_client_send (self->client, buf.data, buf.size, s_on_answer, row);
    msgpack_sbuffer_destroy (&buf);
}


/* ---- the pipeline -------------------------------------------------------- */

/*  intake_client's answer for one row: print it and count it, or ask for
 *  the row again (an "unavailable" reply, attempts left). */
static int
s_on_answer (void *arg, zframe_t *frame, int attempts)
{
    s_row_t *row = (s_row_t *) arg;
    s_import_t *self = row->import;
    if (!frame) {
        if (intake_client_replies (self->client) == 0)
            /* Not one reply yet: it is intake that is missing, not this row. */
            self->unreachable = true;
        else {
            char message [128];
            snprintf (message, sizeof message, "no reply after %d attempts of %d ms",
                      attempts, self->timeout_ms);
            s_print_row_error (row->ref, row->line, "timeout", NULL, message);
            self->failed++;
        }
        s_row_destroy (&row);
        return 0;
    }
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    proto_error_t err = { 0 };
    if (ctl_reply_decode (frame, &msg, &err)) {
        s_print_row_error (row->ref, 0, err.code, NULL, err.message);
        self->failed++;
        s_row_destroy (&row);
        msgpack_unpacked_destroy (&msg);
        return 0;
    }
    int again = 0;
    const msgpack_object *reply = &msg.data;
    json_t *out = json_object ();
    json_object_set_new (out, "ref", json_string (row->ref));
    if (ctl_reply_ok (reply)) {
        const msgpack_object *no = proto_map_get (reply, "complaint_no");
        const msgpack_object *dup = proto_map_get (reply, "duplicate");
        bool duplicate = dup && dup->type == MSGPACK_OBJECT_BOOLEAN && dup->via.boolean;
        json_t *number = no ? msgpack_json_from_object (no, &err) : NULL;
        json_object_set_new (out, "complaint_no", number ? number : json_null ());
        json_object_set_new (out, "duplicate", json_boolean (duplicate));
        if (duplicate)
            self->duplicate++;
        else
            self->accepted++;
        ctl_print_json (out, false);
        s_row_destroy (&row);
    }
    else {
        const msgpack_object *error = proto_map_get (reply, "error");
        proto_str_t code = { 0 };
        if (error)
            proto_get_str (error, "code", "code", false, 0, 64, &code, &err);
        if (proto_str_eq (code, PROTO_E_UNAVAILABLE) && attempts < self->attempts)
            /* The store is down for a moment: same row again, a little later. */
            again = S_RETRY_DELAY_MS;
        else {
            json_t *detail = error ? msgpack_json_from_object (error, &err) : NULL;
            json_object_set_new (out, "error", detail ? detail : json_string ("unreadable"));
            ctl_print_json (out, false);
            self->failed++;
            s_row_destroy (&row);
        }
    }
    json_decref (out);
    msgpack_unpacked_destroy (&msg);
    return again;
}

static int
s_run (s_import_t *self, FILE *input)
{
    char *line = NULL;
    size_t capacity = 0;
    bool eof = false;
    int rc = CTL_EXIT_OK;
    while (!self->unreachable && !self->header_error) {
        if (!eof && intake_client_room (self->client) > 0) {
            /* Room in the window: parse more input. Replies that came in
             * meanwhile are picked up without waiting. */
            ssize_t n = getline (&line, &capacity, input);
            if (n < 0) {
                if (ferror (input)) {
                    fprintf (stderr, "complaintctl import: read error: %s\n", strerror (errno));
                    rc = CTL_EXIT_USAGE;
                    break;
                }
                if (csv_rows_finish (self->csv)) {
                    fprintf (stderr, "complaintctl import: line %ld: %s\n",
                             csv_rows_line (self->csv), csv_rows_error (self->csv));
                    rc = CTL_EXIT_USAGE;
                    break;
                }
                eof = true;
            }
            else {
                if (csv_rows_feed (self->csv, line, (size_t) n)) {
                    fprintf (stderr, "complaintctl import: line %ld: %s\n",
                             csv_rows_line (self->csv), csv_rows_error (self->csv));
                    rc = CTL_EXIT_USAGE;
                    break;
                }
                s_check_header (self);
            }
            intake_client_handle (self->client);
            if (zsys_interrupted) {
                fprintf (stderr, "complaintctl import: interrupted\n");
                rc = CTL_EXIT_REPLY;
                break;
            }
            continue;
        }
        if (intake_client_pending (self->client) == 0) {
            if (eof)
                break;
            continue;
        }
        if (intake_client_wait (self->client, self->timeout_ms)) {
            fprintf (stderr, "complaintctl import: interrupted\n");
            rc = CTL_EXIT_REPLY;
            break;
        }
    }
    free (line);
    if (self->header_error)
        return CTL_EXIT_USAGE;
    if (self->unreachable) {
        fprintf (stderr, "complaintctl import: no reply from intake at %s after %d attempts "
                         "of %d ms; is it running?\n",
                 self->endpoint, self->attempts, self->timeout_ms);
        return CTL_EXIT_UNREACHABLE;
    }
    if (eof && csv_rows_columns (self->csv) == 0) {
        fprintf (stderr, "complaintctl import: the file is empty (no header row)\n");
        return CTL_EXIT_USAGE;
    }
    return rc;
}

int
ctl_import (int argc, char **argv)
{
    enum { O_WINDOW = 256, O_ATTEMPTS, O_INTAKE, O_TIMEOUT, O_RECEIVED_NOW, O_HELP };
    static const struct option options [] = {
        { "received-now", no_argument, NULL, O_RECEIVED_NOW },
        { "window", required_argument, NULL, O_WINDOW },
        { "attempts", required_argument, NULL, O_ATTEMPTS },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    long window = 64, attempts = 3, timeout_ms = CTL_TIMEOUT_MS;
    const char *endpoint = NULL, *timeout_text = NULL;
    bool received_now = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_WINDOW:
                if (ctl_parse_long ("--window", optarg, 1, 256, &window))
                    return CTL_EXIT_USAGE;
                break;
            case O_ATTEMPTS:
                if (ctl_parse_long ("--attempts", optarg, 1, 100, &attempts))
                    return CTL_EXIT_USAGE;
                break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case O_RECEIVED_NOW: received_now = true; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl import --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (ctl_timeout_ms (timeout_text, &timeout_ms))
        return CTL_EXIT_USAGE;
    const char *path = argv [optind];
    FILE *input = strcmp (path, "-") == 0 ? stdin : fopen (path, "r");
    if (!input) {
        fprintf (stderr, "complaintctl import: cannot open %s: %s\n", path, strerror (errno));
        return CTL_EXIT_USAGE;
    }

    s_import_t self;
    memset (&self, 0, sizeof self);
    self.window = (int) window;
    self.attempts = (int) attempts;
    self.received_now = received_now;
    self.timeout_ms = (int) timeout_ms;
    self.endpoint = ctl_setting (endpoint, CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT);
    int rc = CTL_EXIT_USAGE;
    char err [256];
    intake_client_opts_t opts = { .window = self.window, .timeout_ms = self.timeout_ms,
                                  .attempts = self.attempts, .max_reply = CTL_MAX_REPLY };
    self.client = intake_client_new (curve_default (), CURVE_INTAKE, self.endpoint, &opts,
                                     err, sizeof err);
    if (!self.client)
        fprintf (stderr, "complaintctl import: %s\n", err);
    if (self.client && (self.csv = csv_rows_new (s_column_names, C_COUNT, S_MAX_COLUMNS,
                                                 S_MAX_FIELD, s_take_row, &self))) {
        rc = s_run (&self, input);

        long total = self.accepted + self.duplicate + self.failed;
        if (rc != CTL_EXIT_USAGE)
            fprintf (stderr, "imported %ld rows: %ld accepted, %ld duplicate, %ld failed\n",
                     total, self.accepted, self.duplicate, self.failed);
        if (rc == CTL_EXIT_OK && self.failed)
            rc = CTL_EXIT_REPLY;

        while (self.rows) {
            s_row_t *row = self.rows;
            s_row_destroy (&row);
        }
        csv_rows_destroy (&self.csv);
    }
    intake_client_destroy (&self.client);
    if (input != stdin)
        fclose (input);
    return rc;
}
