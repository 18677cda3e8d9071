/*  main.c — the e-mail channel adapter (issue 14, sections 1 and 3).
 *
 *      mail [--maildir DIR] [--lmtp 127.0.0.1:PORT] [--dir DIR] [--intake EP] ...
 *      mail --parse FILE       read one RFC 5322 message (FILE "-": stdin)
 *      mail --selftest [--verbose]
 *
 *  The daemon takes messages from two doors — a Maildir it scans (new/ ->
 *  cur/) and an LMTP listener on loopback an MTA delivers to — and passes
 *  each through mail_accept (parse, then a durable place: the spool for a
 *  complaint's submit or a reply's `reply` request — the reply's message
 *  kept in replies/ —, automatic/ or quarantine/). The spool is drained
 *  into intake by common/spool_sender over common/intake_client, in the
 *  same poll loop as the LMTP sockets: nothing here blocks on intake, so
 *  the MTA is answered while intake is down, and every spooled entry
 *  arrives once it is back (docs/adapters.md). A reply intake refuses for
 *  good (its sender is not the case's customer) moves from replies/ to
 *  quarantine/ with intake's reason (s_on_outcome, mail_accept_outcome).
 *
 *  SIGTERM: the listener closes, LMTP sessions in progress and the spool's
 *  requests in flight get up to --drain-ms to finish; what is left stays
 *  in the spool for the next start. Health (/healthz): 503 while requests
 *  wait for intake and it has not answered for two timeouts.
 *
 *  `--parse` prints one JSON object on stdout: the verdict (kind, code,
 *  field, reason), the headers read, the body text, the attachments as
 *  evidence metadata, and for a new complaint the intake submit it would
 *  send (as JSON). Exit status: 0 for a complaint, a reply or automatic
 *  mail; 3 for an unparsable message (its reason also on stderr); 1 when
 *  the file cannot be read; 2 for bad flags. The output holds the
 *  customer's name, address and words: it is for an operator looking at a
 *  message already in their hands, never a log (common/privacy.h).
 */
#include "mail_message.h"
#include "mail_accept.h"
#include "mail_maildir.h"
#include "lmtp_server.h"
#include "cfg.h"
#include "curve.h"
#include "daemon.h"
#include "intake_client.h"
#include "log.h"
#include "msgpack_json.h"
#include "spool_sender.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("parse", NULL, NULL, "FILE",
                "read one message (\"-\": stdin), print the result as JSON and exit"),
    DAEMON_LONG ("now", NULL, 0, 0, 4102444800000L,
                 "with --parse: the time of receipt in unix ms (default: the clock); "
                 "Date: is used as received_at only within 7 days before it"),
    DAEMON_LONG ("max-message", "COMPLAINTS_MAIL_MAX_MESSAGE", 10485760, 1024, 104857600,
                 "bytes of one whole message"),
    DAEMON_LONG ("max-attachment", "COMPLAINTS_MAIL_MAX_ATTACHMENT", 8388608, 0, 104857600,
                 "decoded bytes of one attachment kept as evidence (larger: listed as not kept)"),
    DAEMON_LONG ("max-attachments", "COMPLAINTS_MAIL_MAX_ATTACHMENTS", 20, 0, 1000,
                 "attachments in one message"),
    DAEMON_LONG ("max-parts", "COMPLAINTS_MAIL_MAX_PARTS", 64, 1, 10000,
                 "MIME parts in one message, containers included"),
    DAEMON_LONG ("max-depth", "COMPLAINTS_MAIL_MAX_DEPTH", 8, 1, 64,
                 "nesting of multiparts and attached messages"),
    DAEMON_STR ("maildir", "COMPLAINTS_MAIL_MAILDIR", "var/mail/inbox", "DIR",
                "the Maildir to read: new/ is taken, each message then moved to cur/"),
    DAEMON_STR ("dir", "COMPLAINTS_MAIL_DIR", "var/mail", "DIR",
                "the adapter's own folder: spool/, quarantine/, automatic/, replies/"),
    DAEMON_STR ("lmtp", "COMPLAINTS_MAIL_LMTP", "", "HOST:PORT",
                "listen for LMTP (RFC 2033) on loopback, e.g. 127.0.0.1:2424; empty: no LMTP"),
    DAEMON_STR ("intake", CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT, "EP", "intake's endpoint"),
    DAEMON_LONG ("window", "COMPLAINTS_MAIL_WINDOW", 64, 1, 256,
                 "spool entries in flight to intake at once"),
    DAEMON_LONG ("timeout-ms", "COMPLAINTS_MAIL_TIMEOUT_MS", 5000, 100, 600000,
                 "wait for intake's answer before sending again"),
    DAEMON_LONG ("scan-ms", "COMPLAINTS_MAIL_SCAN_MS", 1000, 10, 600000,
                 "how often the Maildir's new/ is read"),
    DAEMON_LONG ("drain-ms", "COMPLAINTS_MAIL_DRAIN_MS", 5000, 0, 600000,
                 "on SIGTERM: how long in-flight work may take to finish"),
    DAEMON_LONG ("keep-done-hours", "COMPLAINTS_MAIL_KEEP_DONE_HOURS", 168, 1, 100000,
                 "acknowledged spool entries are kept this long (spool/done/), then pruned"),
    DAEMON_LONG ("max-recipients", "COMPLAINTS_MAIL_MAX_RECIPIENTS", 100, 1, 10000,
                 "LMTP recipients of one message"),
    DAEMON_BOOL ("selftest", NULL, "run the self-tests and exit"),
    DAEMON_BOOL ("verbose", NULL, "with --selftest: one line per check"),
    DAEMON_END
};

static json_t *
s_str_or_null (const char *s)
{
    return s ? json_string (s) : json_null ();
}

static json_t *
s_to_json (const mail_message_t *m, int64_t now_ms)
{
    json_t *out = json_object ();
    json_object_set_new (out, "kind", json_string (mail_message_kind_name (m->kind)));
    json_object_set_new (out, "code", json_string (m->code ? m->code : ""));
    json_object_set_new (out, "field", json_string (m->field));
    json_object_set_new (out, "reason", json_string (m->reason));
    json_object_set_new (out, "ref", s_str_or_null (m->ref));
    json_object_set_new (out, "message_id", s_str_or_null (m->message_id));
    json_t *from = json_object ();
    json_object_set_new (from, "name", s_str_or_null (m->from_name));
    json_object_set_new (from, "address", s_str_or_null (m->from_addr));
    json_object_set_new (out, "from", from);
    json_object_set_new (out, "to", s_str_or_null (m->to));
    json_object_set_new (out, "date_ms", m->has_date ? json_integer (m->date_ms) : json_null ());
    json_object_set_new (out, "subject", s_str_or_null (m->subject));
    json_object_set_new (out, "in_reply_to", s_str_or_null (m->in_reply_to));
    json_t *refs = json_array ();
    for (size_t i = 0; i < m->n_references; i++)
        json_array_append_new (refs, json_string (m->references [i]));
    json_object_set_new (out, "references", refs);
    json_object_set_new (out, "body", s_str_or_null (m->body));
    json_object_set_new (out, "body_from_html", json_boolean (m->body_from_html));
    json_object_set_new (out, "body_charset", s_str_or_null (m->body_charset));
    json_object_set_new (out, "parts", json_integer (m->n_parts));
    json_t *attachments = json_array ();
    for (size_t i = 0; i < m->n_attachments; i++) {
        const mail_attachment_t *a = &m->attachments [i];
        json_array_append_new (attachments,
            json_pack ("{s:s, s:s, s:I, s:s, s:b}", "filename", a->filename,
                       "content_type", a->content_type, "size", (json_int_t) a->size,
                       "sha256", a->sha256, "over_limit", a->over_limit));
    }
    json_object_set_new (out, "attachments", attachments);
    json_object_set_new (out, "complaint_no",
                         m->kind == MAIL_REPLY && *m->complaint_no ? json_string (m->complaint_no)
                                                                   : json_null ());
    json_object_set_new (out, "replied_message_id", s_str_or_null (m->replied_id));
    json_t *submit = json_null ();
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (mail_message_submit_pack (m, now_ms, &buf) == 0) {
        proto_error_t err;
        json_t *decoded = msgpack_json_decode (buf.data, buf.size, PROTO_MAX_MESSAGE,
                                             PROTO_MAX_DEPTH, &err);
        if (decoded) {
            json_decref (submit);
            submit = decoded;
        }
    }
    msgpack_sbuffer_destroy (&buf);
    json_object_set_new (out, "submit", submit);
    return out;
}

static mail_limits_t
s_limits (daemon_t *daemon)
{
    mail_limits_t limits = mail_limits_default ();
    limits.max_message     = (size_t) daemon_long (daemon, "max-message");
    limits.max_attachment  = (size_t) daemon_long (daemon, "max-attachment");
    limits.max_attachments = (int) daemon_long (daemon, "max-attachments");
    limits.max_parts       = (int) daemon_long (daemon, "max-parts");
    limits.max_depth       = (int) daemon_long (daemon, "max-depth");
    return limits;
}

static int
s_parse_file (daemon_t *daemon, const char *path)
{
    mail_limits_t limits = s_limits (daemon);
    int64_t now_ms = daemon_long (daemon, "now");
    if (now_ms == 0) {
        struct timeval tv;
        gettimeofday (&tv, NULL);
        now_ms = (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
    }
    size_t size = 0;
    char *data = mail_read_file (path, limits.max_message, &size);
    if (!data) {
        fprintf (stderr, "mail: cannot read %s: %s\n", path, strerror (errno));
        return 1;
    }
    mail_message_t *m = mail_message_parse (data, size, &limits);
    free (data);
    json_t *out = s_to_json (m, now_ms);
    json_dumpf (out, stdout, JSON_INDENT (2));
    printf ("\n");
    json_decref (out);
    int rc = 0;
    if (m->kind == MAIL_UNPARSABLE) {
        fprintf (stderr, "mail: %s: unparsable: %s (%s): %s\n", path, m->code, m->field, m->reason);
        rc = 3;
    }
    mail_message_destroy (&m);
    return rc;
}

/* ---- the daemon ----------------------------------------------------------- */

#define S_MAILDIR_BATCH  32         /* messages taken from new/ per loop turn */

typedef struct {
    daemon_t *daemon;
    mail_accept_t *accept;
    spool_sender_t *sender;
    metric_t *m_lmtp;
    mail_evidence_t *evidence;      /* issue 16 (i16-mailev) */
    bool kick;                      /* parts spooled by an outcome: send them */
} s_adapter_t;

/* An LMTP message is complete: store it, then say so (lmtp_session.h). */
static void
s_lmtp_deliver (void *arg, const char *sender, const char *data, size_t size, size_t nrcpt,
                lmtp_reply_t *reply)
{
    (void) sender;
    (void) nrcpt;
    s_adapter_t *self = (s_adapter_t *) arg;
    mail_verdict_t v;
    mail_accept_take (self->accept, data, size, "lmtp", &v);
    reply->code = v.code;
    snprintf (reply->text, sizeof reply->text, "%s", v.text);
    if ((v.kind == MAIL_COMPLAINT || v.kind == MAIL_REPLY) && v.code == 250)
        spool_sender_kick (self->sender);
}

/* Nothing to tell a sender of mail: intake's number reaches the customer
 * in the notifier's receipt. The outcome is logged (no personal data). */
static void
s_on_outcome (void *arg, const char *id, spool_sender_outcome_t outcome,
              const msgpack_object *reply)
{
    s_adapter_t *self = (s_adapter_t *) arg;
    const msgpack_object *no = proto_map_get (reply, "complaint_no");
    const msgpack_object *action = proto_map_get (reply, "action");
    /* issue 16 (i16-mailev): an attachment's part answers with its source */
    const msgpack_object *part = proto_map_get (reply, "source");
    if (outcome == SPOOL_SENDER_ACCEPTED)
        log_info (part ? "evidence_part_sent" : action ? "reply_recorded" : "complaint_submitted",
                  "spool_id=%s complaint_no=%.*s", id,
                  no && no->type == MSGPACK_OBJECT_STR ? (int) no->via.str.size : 1,
                  no && no->type == MSGPACK_OBJECT_STR ? no->via.str.ptr : "-");
    //  A reply refused for good (not the case's customer): into quarantine.
    mail_accept_outcome (self->accept, id, outcome == SPOOL_SENDER_REJECTED, reply);
    /* issue 16 (i16-mailev): the number is known: the attachments go. The
     * sender is kicked from the loop, not from inside its own callback. */
    if (self->evidence
    &&  mail_evidence_outcome (self->evidence, id, outcome == SPOOL_SENDER_ACCEPTED, reply))
        self->kick = true;
}

static long
s_min_wait (long a, long b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

static int
s_run (daemon_t *daemon)
{
    char err [512];
    const char *dir = daemon_str (daemon, "dir");
    const char *maildir = daemon_str (daemon, "maildir");
    mail_limits_t limits = s_limits (daemon);
    if (mkdir (dir, 0700) && errno != EEXIST) {
        log_error ("start_failed", "reason=\"cannot create %s: %s\"", dir, strerror (errno));
        return 1;
    }
    if (mail_maildir_ensure (maildir, err, sizeof err)) {
        log_error ("start_failed", "reason=\"%s\"", err);
        return 1;
    }
    char spool_dir [PATH_MAX];
    snprintf (spool_dir, sizeof spool_dir, "%s/spool", dir);
    spool_t *spool = spool_new (spool_dir, err, sizeof err);
    if (!spool) {
        log_error ("start_failed", "reason=\"%s\"", err);
        return 1;
    }
    s_adapter_t self = { .daemon = daemon };
    metrics_t *metrics = daemon_metrics (daemon);
    int timeout_ms = (int) daemon_long (daemon, "timeout-ms");
    intake_client_opts_t copts = { .window = (int) daemon_long (daemon, "window"),
                                   .timeout_ms = timeout_ms, .attempts = 0 };
    intake_client_t *client = intake_client_new (NULL, CURVE_INTAKE, daemon_str (daemon, "intake"),
                                                 &copts, err, sizeof err);
    lmtp_server_t *lmtp = NULL;
    int rc = 0;
    if (!client) {
        log_error ("start_failed", "reason=\"intake %s: %s\"", daemon_str (daemon, "intake"), err);
        rc = 2;
        goto done;
    }
    self.accept = mail_accept_new (dir, spool, &limits, metrics, err, sizeof err);
    if (!self.accept) {
        log_error ("start_failed", "reason=\"%s\"", err);
        rc = 1;
        goto done;
    }
    /* issue 16 (i16-mailev): attachments as evidence; what a crash left
     * between an answer and its parts is spooled now. */
    self.evidence = mail_evidence_new (dir, spool, &limits, err, sizeof err);
    if (!self.evidence) {
        log_error ("start_failed", "reason=\"%s\"", err);
        rc = 1;
        goto done;
    }
    mail_accept_set_evidence (self.accept, self.evidence);
    mail_evidence_resume (self.evidence);
    spool_sender_opts_t sopts = { .window = copts.window };
    self.sender = spool_sender_new (spool, client, metrics, &sopts, s_on_outcome, &self);
    if (*daemon_str (daemon, "lmtp")) {
        char host [256] = "localhost";
        gethostname (host, sizeof host - 1);
        lmtp = lmtp_server_new (daemon_str (daemon, "lmtp"), host, limits.max_message,
                                (size_t) daemon_long (daemon, "max-recipients"),
                                s_lmtp_deliver, &self, err, sizeof err);
        if (!lmtp) {
            log_error ("start_failed", "reason=\"%s\"", err);
            rc = 2;
            goto done;
        }
    }
    log_info ("started", "maildir=%s dir=%s lmtp=%s lmtp_port=%d intake=%s pending=%zu",
              maildir, dir, lmtp ? daemon_str (daemon, "lmtp") : "off",
              lmtp ? lmtp_server_port (lmtp) : 0, daemon_str (daemon, "intake"),
              spool_count (spool));

    long scan_ms = daemon_long (daemon, "scan-ms");
    long keep_done_s = daemon_long (daemon, "keep-done-hours") * 3600;
    int64_t next_scan = 0, next_prune = 0, stop_by = 0;
    uint64_t replies_seen = 0;
    int64_t heard_at = zclock_mono ();
    spool_sender_kick (self.sender);
    while (true) {
        int64_t now = zclock_mono ();
        if (daemon_stopping (daemon) && !stop_by) {
            stop_by = now + daemon_long (daemon, "drain-ms");
            if (lmtp)
                lmtp_server_close_listener (lmtp);
            log_info ("stopping", "in_flight=%zu lmtp_connections=%zu drain_ms=%ld",
                      spool_sender_in_flight (self.sender),
                      lmtp ? lmtp_server_connections (lmtp) : 0,
                      daemon_long (daemon, "drain-ms"));
        }
        if (stop_by && (now >= stop_by || (spool_sender_in_flight (self.sender) == 0
                                           && (!lmtp || lmtp_server_connections (lmtp) == 0))))
            break;
        //  The Maildir, a batch at a time, while not stopping.
        if (!stop_by && now >= next_scan) {
            size_t complaints = 0;
            //  A small batch (each message costs two fsyncs): the loop turns
            //  between batches, so LMTP sessions and intake's replies wait
            //  for at most one batch.
            size_t taken = mail_maildir_scan (maildir, self.accept, limits.max_message,
                                              S_MAILDIR_BATCH, &complaints);
            if (complaints)
                spool_sender_kick (self.sender);
            //  A full batch: more may wait, come back at once.
            next_scan = taken >= S_MAILDIR_BATCH ? now : now + scan_ms;
        }
        if (now >= next_prune) {
            spool_prune (spool, keep_done_s);
            next_prune = now + 3600 * 1000;
        }
        //  Health: intake is "the store" of an adapter.
        uint64_t replies = intake_client_replies (client);
        if (replies != replies_seen || intake_client_pending (client) == 0) {
            replies_seen = replies;
            heard_at = now;
        }
        if (now - heard_at > 2L * timeout_ms)
            daemon_store_down (daemon, "intake is not answering");
        else
            daemon_store_up (daemon);
        daemon_pass_done (daemon);

        zmq_pollitem_t items [24];
        items [0] = (zmq_pollitem_t) { zsock_resolve (intake_client_sock (client)), 0,
                                       ZMQ_POLLIN, 0 };
        int n = 1;
        if (lmtp)
            n += lmtp_server_items (lmtp, items + 1, (int) (sizeof items / sizeof items [0]) - 1);
        long wait = s_min_wait (intake_client_timeout (client),
                                spool_sender_timeout (self.sender));
        wait = s_min_wait (wait, stop_by ? 100 : (long) (next_scan - now));
        if (wait < 0)
            wait = 0;
        daemon_wait (daemon, wait, items, n);
        if (lmtp)
            lmtp_server_handle (lmtp, items + 1, n - 1);
        intake_client_handle (client);
        if (self.kick) {
            self.kick = false;
            spool_sender_kick (self.sender);
        }
        spool_sender_tick (self.sender);
    }
    log_info ("stopped", "pending=%zu in_flight=%zu accepted=%zu rejected=%zu",
              spool_count (spool), spool_sender_in_flight (self.sender),
              spool_sender_accepted (self.sender), spool_sender_rejected (self.sender));
done:
    lmtp_server_destroy (&lmtp);
    spool_sender_destroy (&self.sender);
    mail_accept_destroy (&self.accept);
    mail_evidence_destroy (&self.evidence);
    intake_client_destroy (&client);
    spool_destroy (&spool);
    return rc;
}

int
main (int argc, char **argv)
{
    daemon_t *daemon = daemon_new ("mail", s_opts,
                                   "mail [--maildir DIR] [--lmtp 127.0.0.1:PORT] [--dir DIR] ...\n"
                                   "mail --parse FILE|- [--now MS] [--max-... N]\n"
                                   "mail --selftest [--verbose]");
    int rc = daemon_parse (daemon, argc, argv);
    if (rc) {
        daemon_destroy (&daemon);
        return rc > 0 ? 0 : 2;
    }
    g_mime_init ();
    if (daemon_bool (daemon, "selftest")) {
        int passed = 0, failed = 0;
        mail_message_test (daemon_bool (daemon, "verbose"), &passed, &failed);
        lmtp_session_test (daemon_bool (daemon, "verbose"), &passed, &failed);
        mail_evidence_test (daemon_bool (daemon, "verbose"), &passed, &failed);
        printf ("mail selftest: %d passed, %d failed\n", passed, failed);
        rc = failed ? 1 : 0;
    }
    else
    if (daemon_str (daemon, "parse"))
        rc = s_parse_file (daemon, daemon_str (daemon, "parse"));
    else
    if (daemon_start (daemon))
        rc = 1;
    else
        rc = s_run (daemon);
    g_mime_shutdown ();
    daemon_destroy (&daemon);
    return rc;
}
