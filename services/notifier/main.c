/*  main.c — the notifier: tells customers, handlers and managers what
 *  happened to a complaint, over e-mail and the staff inbox, exactly once.
 *
 *  It reacts to the event log (complaint.received, complaint.assigned,
 *  sla.reminder, sla.escalated, complaint.major, complaint.resolved; the
 *  mapping is deploy/notify/rules.conf, the words are
 *  deploy/notify/templates/). docs/notifier.md tells the whole story.
 *
 *  How it works. A pass
 *      1. consumes: a batch of events after the cursor becomes notification
 *         rows, in one transaction with the cursor's move (notify_store.c),
 *         until no event is left or another instance holds the cursor;
 *      2. delivers: claims due rows with a lease (after suppressing what the
 *         customer opted out of and moving what quiet hours hold back to
 *         the morning; each gateway within its --rate-*), sends each one
 *         (SMTP with libcurl for email; an HTTP gateway for sms and push;
 *         nothing to send for the inbox), records sent / failed (back-off
 *         with jitter, at least the gateway's Retry-After) / dead (after
 *         --max-attempts, or at once when a gateway refuses for good), each
 *         with its notification.* event, until nothing is due.
 *  Then it sleeps until the bus publishes anything (it subscribes to every
 *  topic, heartbeats included: any of them can mean "there is news in
 *  event_log", and the notification.* events it causes itself are cheap to
 *  read past), at most --poll-ms (retries come due by time).
 *  Several notifiers can run: one consumes at a time (the cursor row is
 *  locked SKIP LOCKED), all deliver (rows are claimed SKIP LOCKED).
 *
 *  Crash safety. A row is created once (event_seq, recipient, channel). A
 *  notifier killed after the server accepted a message but before its
 *  COMMIT leaves the row 'sending'; when the lease (--lease-ms) runs out
 *  another pass re-sends it with the same Message-ID: at least once, and a
 *  duplicate is recognisable.
 *
 *  SIGHUP reloads rules, templates and calendars (a bad file is refused
 *  with file:line; the old ones stay); SIGINT/SIGTERM finish the message in hand
 *  and exit 0. Flags, signals, the wait on the bus and the metrics endpoint
 *  are the daemon skeleton's (common/daemon.c; `notifier --help`); metrics:
 *  deliveries by channel and state, events consumed, consume lag behind
 *  the stream, the store round trip of each pass (docs/operations.md).
 *  `notifier --selftest [--verbose]` checks the shipped rules and
 *  templates, the MIME encoder and the gateway's JSON.
 */
#include "notify_rules.h"
#include "notify_store.h"
#include "smtp_mail.h"
#include "http_gateway.h"
#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "secret_file.h"
#include "review_window.h"

#include <curl/curl.h>
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NT_DEFAULT_RULES     "deploy/notify/rules.conf"
#define NT_DEFAULT_TEMPLATES "deploy/notify/templates"
#define NT_DEFAULT_CALENDARS "deploy/calendars"

typedef struct {
    const char *rules_path, *templates_dir, *calendars_dir, *default_calendar;
    notify_rules_t *rules;
    calendars_t *calendars;
    notify_store_t *store;
    smtp_cfg_t smtp;
    http_gateway_cfg_t sms, push;
    notify_claim_cfg_t claim;
    int record_batch;               /* outcomes per commit */
    int parallel;                   /* transfers in flight at once */
    CURLM *multi;                   /* every transfer, and their connections */
    int consume_batch;              /* events per consume transaction */
    daemon_t *daemon;               /* store round trips by op, for the metrics */
    uint64_t sent, failed, dead;
    uint64_t consumed, created, suppressed, deferred;   /* totals, for the metrics */
    metric_t *m_deliveries;
} notifier_t;

//  One delivery attempt's outcome, by channel and state, for the metrics.
static void
s_count (notifier_t *self, const notify_row_t *row, const char *state)
{
    metric_add_at (self->m_deliveries, (const char *[]) { row->channel, state }, 1);
}

//  The claim settings that come from the rules (quiet hours).
static void
s_apply_rules (notifier_t *self)
{
    notify_rules_quiet (self->rules, &self->claim.quiet_from, &self->claim.quiet_to,
                        &self->claim.quiet_channels);
}

//  The calendars (the cases' time zones) and the default one must load.
static calendars_t *
s_load_calendars (const char *dir, const char *default_calendar)
{
    conf_error_t err;
    char q [300];
    calendars_t *calendars = calendars_load_dir (dir, &err);
    if (!calendars)
        log_error ("calendars_refused", "dir=%s path=%s line=%d reason=%s", dir, err.file,
                   err.line, log_quote (q, sizeof q, err.reason));
    else
    if (!calendars_find (calendars, default_calendar)) {
        log_error ("calendars_refused", "dir=%s reason=\"no calendar %s (--calendar)\"", dir,
                   default_calendar);
        calendars_destroy (&calendars);
    }
    return calendars;
}

static int
s_reload (void *arg)
{
    notifier_t *self = (notifier_t *) arg;
    int rc = 0;
    conf_error_t err;
    notify_rules_t *fresh = notify_rules_load (self->rules_path, self->templates_dir, &err);
    if (!fresh) {
        char q [300];
        log_error ("rules_refused", "path=%s line=%d reason=%s keeping=old", err.file, err.line,
                   log_quote (q, sizeof q, err.reason));
        rc = -1;
    }
    else {
        notify_rules_destroy (&self->rules);
        self->rules = fresh;
        s_apply_rules (self);
        log_info ("rules_loaded", "%s rules=%s templates=%s", notify_rules_summary (fresh),
                  self->rules_path, self->templates_dir);
    }
    calendars_t *calendars = s_load_calendars (self->calendars_dir, self->default_calendar);
    if (calendars) {
        notify_store_set_calendars (self->store, calendars, self->default_calendar);
        calendars_destroy (&self->calendars);
        self->calendars = calendars;
        log_info ("calendars_loaded", "dir=%s calendars=%zu", self->calendars_dir,
                  calendars_count (calendars));
    }
    else
        rc = -1;
    return rc;
}

//  One claimed row on its way: the bytes it sends and the transfer that
//  sends them (an SMTP conversation or a gateway POST), in the notifier's
//  multi handle until it ends.
typedef struct {
    const notify_row_t *row;
    char *payload;                  /* the message, or the gateway's JSON */
    char key [128];                 /* the gateway's idempotency key */
    smtp_send_t *smtp;
    http_gateway_call_t *http;
} s_job_t;

//  Start one row's delivery. Returns the transfer to run, or NULL when the
//  outcome is known already (filled in): an inbox row (nothing to send:
//  recording it writes the staff inbox), a row without an address, no
//  server configured, a request that cannot be made.
static CURL *
s_job_start (notifier_t *self, s_job_t *job, const notify_row_t *row, notify_outcome_t *outcome)
{
    memset (job, 0, sizeof *job);
    memset (outcome, 0, sizeof *outcome);
    job->row = outcome->row = row;
    char *error = outcome->error;
    size_t error_size = sizeof outcome->error;
    if (streq (row->channel, "inbox")) {
        outcome->sent = true;
        return NULL;
    }
    if (!*row->address) {
        //  A suppressed row (no address) an operator sent round again.
        snprintf (error, error_size, "no %s address for this recipient", row->channel);
        outcome->permanent = true;
        return NULL;
    }
    if (streq (row->channel, "email")) {
        if (!*self->smtp.url) {
            snprintf (error, error_size, "no --smtp-url configured");
            return NULL;
        }
        job->payload = smtp_mail_build (self->smtp.from, row->address, row->subject,
                                        row->body, row->message_id, time (NULL));
        job->smtp = smtp_send_new (&self->smtp, row->address, job->payload, error, error_size);
        return job->smtp ? smtp_send_handle (job->smtp) : NULL;
    }
    bool sms = streq (row->channel, "sms");
    const http_gateway_cfg_t *cfg = sms ? &self->sms : &self->push;
    if (!*cfg->url) {
        snprintf (error, error_size, "no --%s-url configured", row->channel);
        return NULL;
    }
    //  The Message-ID without its brackets: the same key on every attempt.
    snprintf (job->key, sizeof job->key, "%.*s", (int) strlen (row->message_id) - 2,
              row->message_id + 1);
    job->payload = sms ? http_gateway_sms_json (row->address, row->body, job->key,
                                                row->complaint_no)
                       : http_gateway_push_json (row->address, row->subject, row->body,
                                                 job->key, row->complaint_no);
    http_gateway_result_t result;
    job->http = http_gateway_call_new (cfg, job->key, job->payload, &result, error, error_size);
    if (!job->http)
        outcome->permanent = result == HTTP_GATEWAY_REFUSED;
    return job->http ? http_gateway_call_handle (job->http) : NULL;
}

//  The transfer of a job ended with rc: fill its outcome, free the job.
static void
s_job_finish (s_job_t *job, CURLcode rc, notify_outcome_t *outcome)
{
    char *error = outcome->error;
    size_t error_size = sizeof outcome->error;
    if (job->smtp)
        outcome->sent = smtp_send_result (job->smtp, rc, error, error_size) == 0;
    else
    if (job->http) {
        http_gateway_result_t result = http_gateway_call_result (job->http, rc,
                                                                 &outcome->min_delay_ms,
                                                                 error, error_size);
        outcome->sent = result == HTTP_GATEWAY_OK;
        outcome->permanent = result == HTTP_GATEWAY_REFUSED;
    }
    smtp_send_destroy (&job->smtp);
    http_gateway_call_destroy (&job->http);
    free (job->payload);
    job->payload = NULL;
}

//  Record the outcomes gathered so far, log each. -1: the store failed.
static int
s_record (notifier_t *self, notify_outcome_t *outcomes, int n)
{
    if (n == 0)
        return 0;
    for (int i = 0; i < n; i++)
        if (!outcomes [i].sent)
            notify_outcome_scrub (&outcomes [i]);
    int64_t t0 = zclock_usecs ();
    int rc = notify_store_record (self->store, outcomes, n, &self->claim);
    daemon_observe (self->daemon, "record", (double) (zclock_usecs () - t0) / 1e6);
    for (int i = 0; i < n; i++) {
        const notify_outcome_t *o = &outcomes [i];
        const notify_row_t *row = o->row;
        char q [600];
        s_count (self, row, o->result == NOTIFY_SENT ? "sent" : o->result == NOTIFY_FAILED
                 ? "failed" : o->result == NOTIFY_DEAD ? "dead" : "lease_lost");
        if (o->result == NOTIFY_SENT) {
            //  One line per delivery only at debug: at a thousand a second
            //  the lines cost more than the sends. The row, its events and
            //  the tick line keep the record.
            self->sent++;
            log_debug ("sent", "id=%" PRId64 " seq=%" PRId64 " channel=%s kind=%s attempt=%d"
                      " message_id=%s", row->id, row->event_seq, row->channel,
                      row->recipient_kind, row->attempts + 1, row->message_id);
            continue;
        }
        self->failed += o->result == NOTIFY_FAILED;
        self->dead += o->result == NOTIFY_DEAD;
        log_warn (o->result == NOTIFY_FAILED ? "send_failed" : o->result == NOTIFY_DEAD ? "dead"
                  : "lease_lost", "id=%" PRId64 " seq=%" PRId64 " channel=%s kind=%s attempt=%d"
                  " sent=%s error=%s", row->id, row->event_seq, row->channel,
                  row->recipient_kind, row->attempts + 1, o->sent ? "yes" : "no",
                  log_quote (q, sizeof q, o->sent ? "" : o->error));
    }
    return rc;
}

//  Claim what is due on every channel and deliver it, up to --parallel
//  transfers at once in one curl multi handle: a delivery is mostly waiting
//  for the server's answers (an SMTP conversation is four round trips), so
//  one after the other a notifier could not keep up with intake however
//  little CPU it used. The multi handle keeps its connections from batch to
//  batch (at most --parallel to each server). Outcomes are recorded
//  together as they come in, every --record-batch or 500 ms, whichever
//  comes first: one commit (one fsync) for many messages instead of one
//  each. The price is bounded: a notifier killed mid-batch leaves those rows
//  'sending', and when their lease runs out they are sent again with the
//  same Message-ID / idempotency key — at most --record-batch plus
//  --parallel repeats, which the receiver can recognise. Returns rows
//  claimed, -1 when the store failed.
static int
s_deliver_due (notifier_t *self, int *suppressed, int *deferred)
{
    notify_row_t *rows;
    int64_t t0 = zclock_usecs ();
    int n = notify_store_claim (self->store, &self->claim, suppressed, deferred, &rows);
    daemon_observe (self->daemon, "claim", (double) (zclock_usecs () - t0) / 1e6);
    if (n <= 0)
        return n;
    s_job_t *jobs = calloc ((size_t) n, sizeof *jobs);
    notify_outcome_t *started = calloc ((size_t) n, sizeof *started);
    notify_outcome_t *ended = calloc ((size_t) n, sizeof *ended);   /* in the order they end */
    assert (jobs && started && ended);
    int next = 0, running = 0, nended = 0, recorded = 0, rc = 0;
    int64_t since = zclock_mono ();
    //  Finish the batch in hand even when asked to stop: each message is
    //  short, and a row left 'sending' would wait for its lease.
    while (rc == 0 && (next < n || running > 0)) {
        while (next < n && running < self->parallel) {
            CURL *curl = s_job_start (self, &jobs [next], &rows [next], &started [next]);
            if (curl) {
                curl_easy_setopt (curl, CURLOPT_PRIVATE, (char *) &jobs [next]);
                curl_multi_add_handle (self->multi, curl);
                running++;
            }
            else {
                s_job_finish (&jobs [next], CURLE_OK, &started [next]);
                ended [nended++] = started [next];
            }
            next++;
        }
        if (running > 0) {
            int still;
            curl_multi_perform (self->multi, &still);
            CURLMsg *msg;
            int queued;
            while ((msg = curl_multi_info_read (self->multi, &queued))) {
                if (msg->msg != CURLMSG_DONE)
                    continue;
                char *private = NULL;
                curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, &private);
                s_job_t *job = (s_job_t *) private;
                size_t k = (size_t) (job - jobs);
                CURLcode result = msg->data.result;
                curl_multi_remove_handle (self->multi, msg->easy_handle);
                s_job_finish (job, result, &started [k]);
                ended [nended++] = started [k];
                running--;
            }
            //  Nothing more to start: wait for an answer (or 100 ms).
            if (running > 0 && (next == n || running >= self->parallel))
                curl_multi_poll (self->multi, NULL, 0, 100, NULL);
        }
        if (nended - recorded >= self->record_batch || zclock_mono () - since >= 500
            || (next == n && running == 0)) {
            rc = s_record (self, ended + recorded, nended - recorded);
            recorded = nended;
            since = zclock_mono ();
        }
    }
    //  A store failure stops the batch: what is still running is let go
    //  (its rows stay 'sending' until the lease runs out).
    for (int i = 0; i < next; i++)
        if (jobs [i].smtp || jobs [i].http) {
            CURL *curl = jobs [i].smtp ? smtp_send_handle (jobs [i].smtp)
                                       : http_gateway_call_handle (jobs [i].http);
            curl_multi_remove_handle (self->multi, curl);
            s_job_finish (&jobs [i], CURLE_ABORTED_BY_CALLBACK, &started [i]);
        }
    free (jobs);
    free (started);
    free (ended);
    notify_store_rows_free (&rows, n);
    return rc ? -1 : n;
}

//  One pass: consume a batch of events, then deliver what is due — at least
//  as many rows as the consume created — in turn, until neither has
//  anything left or a second has gone by (then the
//  loop reports its health and metrics and comes straight back). Interleaved
//  so that a long stream to consume never holds back delivery, nor a long
//  delivery the rows of new events. 0: all done, 1: more to do, -1: the
//  store failed.
static int
s_pass (notifier_t *self)
{
    int64_t started = zclock_mono ();
    int events = 0, created = 0, claimed = 0, suppressed = 0, deferred = 0;
    uint64_t sent0 = self->sent, failed0 = self->failed, dead0 = self->dead;
    bool more = true;
    while (more && !zsys_interrupted && zclock_mono () - started < 1000) {
        int c, s, d;
        int64_t t0 = zclock_usecs ();
        int n = notify_store_consume (self->store, self->rules, self->consume_batch, &c);
        daemon_observe (self->daemon, "consume", (double) (zclock_usecs () - t0) / 1e6);
        if (n < 0)
            return -1;
        events += n;
        created += c;
        //  Deliver at least as many rows as this consume created (while
        //  any are due), so rows never pile up behind a stream of events:
        //  one claim a consume would send at most --batch a channel
        //  while the consume made several times that.
        int k, left = c;
        do {
            k = s_deliver_due (self, &s, &d);
            if (k < 0)
                return -1;
            claimed += k;
            suppressed += s;
            deferred += d;
            left -= k + s + d;
        } while (k > 0 && left > 0 && !zsys_interrupted
                 && zclock_mono () - started < 1000);
        more = n == self->consume_batch || k > 0 || s > 0 || d > 0;
    }
    self->consumed += (uint64_t) events;
    self->created += (uint64_t) created;
    self->suppressed += (uint64_t) suppressed;
    self->deferred += (uint64_t) deferred;
    if (events || claimed || suppressed || deferred)
        log_info ("tick", "events=%d created=%d claimed=%d sent=%" PRIu64 " failed=%" PRIu64
                  " dead=%" PRIu64 " suppressed=%d deferred=%d elapsed_ms=%" PRId64, events,
                  created, claimed, self->sent - sent0, self->failed - failed0,
                  self->dead - dead0, suppressed, deferred, zclock_mono () - started);
    return more ? 1 : 0;
}

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("bus", CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT, "ENDPOINT",
                "bus PUB to wake on (\"none\": poll only)"),
    DAEMON_STR ("rules", "COMPLAINTS_NOTIFY_RULES", NT_DEFAULT_RULES, "FILE", "notification rules"),
    DAEMON_STR ("templates", "COMPLAINTS_NOTIFY_TEMPLATES", NT_DEFAULT_TEMPLATES, "DIR",
                "message templates"),
    DAEMON_STR ("calendars", "COMPLAINTS_CALENDARS", NT_DEFAULT_CALENDARS, "DIR",
                "the cases' calendars (time zones)"),
    DAEMON_STR ("survey-url", "COMPLAINTS_SURVEY_URL", "", "URL",
                "the web adapter's survey page, linked from the resolution message"
                " (issue 16; \"\": no link)"),
    DAEMON_STR ("calendar", "COMPLAINTS_NOTIFY_CALENDAR", "cn", "NAME",
                "the calendar of a case with no clock yet"),
    DAEMON_STR ("identity-key-file", IDENTITY_KEY_ENV, "", "FILE",
                "the customer identity keys, a file of mode 0600 (identity_seal.h)"),
    DAEMON_STR ("smtp-url", "COMPLAINTS_SMTP_URL", "", "URL", "smtp://host:port or smtps://host:port"),
    DAEMON_STR ("smtp-from", "COMPLAINTS_SMTP_FROM", "noreply@complaints.local", "ADDR",
                "the From address"),
    DAEMON_STR ("smtp-user", "COMPLAINTS_SMTP_USER", "", "USER", "AUTH user (\"\": no AUTH)"),
    DAEMON_STR ("smtp-password-file", "COMPLAINTS_SMTP_PASSWORD_FILE", "", "FILE",
                "AUTH password, from a file of mode 0600 (or COMPLAINTS_SMTP_PASSWORD)"),
    DAEMON_STR ("smtp-tls", "COMPLAINTS_SMTP_TLS", "auto", "auto|off|try|required",
                "STARTTLS; auto: required unless the --smtp-url host is loopback"),
    DAEMON_STR ("tls-ca-file", "COMPLAINTS_TLS_CA_FILE", "", "FILE",
                "CA certificates (PEM) the SMTP server's and the https:// gateways'"
                " certificates are verified with (\"\": the system's)"),
    /* issue 16 (i16-vetting): one setting with intake's */
    DAEMON_LONG ("review-window-days", "COMPLAINTS_INTAKE_REVIEW_WINDOW_DAYS", 30, 1, 3650,
                 "days after the decision a review may be asked, as the resolution message "
                 "says (intake --review-window-days)"),
    DAEMON_LONG ("smtp-timeout-ms", "COMPLAINTS_SMTP_TIMEOUT_MS", 10000, 100, 600000,
                 "per SMTP conversation"),
    DAEMON_STR ("sms-url", "COMPLAINTS_SMS_URL", "", "URL", "the SMS gateway (http:// or https://)"),
    DAEMON_STR ("sms-auth-file", "COMPLAINTS_SMS_AUTH_FILE", "", "FILE",
                "its Authorization header value, from a file of mode 0600 (or COMPLAINTS_SMS_AUTH)"),
    DAEMON_STR ("push-url", "COMPLAINTS_PUSH_URL", "", "URL", "the app push gateway"),
    DAEMON_STR ("push-auth-file", "COMPLAINTS_PUSH_AUTH_FILE", "", "FILE",
                "its Authorization header value, from a file of mode 0600 (or COMPLAINTS_PUSH_AUTH)"),
    DAEMON_LONG ("http-timeout-ms", "COMPLAINTS_HTTP_TIMEOUT_MS", 10000, 100, 600000,
                 "per gateway request"),
    DAEMON_LONG ("rate-email", "COMPLAINTS_NOTIFY_RATE_EMAIL", 0, 0, 100000,
                 "e-mails a second, all instances together (0: no limit)"),
    DAEMON_LONG ("rate-sms", "COMPLAINTS_NOTIFY_RATE_SMS", 20, 0, 100000,
                 "SMS a second, all instances together (0: no limit)"),
    DAEMON_LONG ("rate-push", "COMPLAINTS_NOTIFY_RATE_PUSH", 50, 0, 100000,
                 "pushes a second, all instances together (0: no limit)"),
    DAEMON_STR ("name", "COMPLAINTS_NOTIFIER_NAME", NULL, "NAME", "lease owner, default notifier-PID"),
    DAEMON_LONG ("batch", "COMPLAINTS_NOTIFIER_BATCH", 100, 1, 10000,
                 "rows per channel per claim"),
    DAEMON_LONG ("coalesce-ms", "COMPLAINTS_NOTIFIER_COALESCE_MS", 50, 0, 10000,
                 "under a steady stream, one pass per this many ms (0: one per event)"),
    DAEMON_LONG ("consume-batch", "COMPLAINTS_NOTIFIER_CONSUME_BATCH", 1000, 1, 100000,
                 "events read per consume transaction"),
    DAEMON_LONG ("record-batch", "COMPLAINTS_NOTIFIER_RECORD_BATCH", 50, 1, 10000,
                 "delivery outcomes per commit (a kill repeats at most these, same Message-ID)"),
    DAEMON_LONG ("parallel", "COMPLAINTS_NOTIFIER_PARALLEL", 8, 1, 256,
                 "deliveries in flight at once (connections to each server)"),
    DAEMON_LONG ("poll-ms", "COMPLAINTS_NOTIFIER_POLL_MS", 1000, 10, 3600000, "longest sleep"),
    DAEMON_LONG ("lease-ms", "COMPLAINTS_NOTIFIER_LEASE_MS", 60000, 100, 86400000,
                 "a claim's lease"),
    DAEMON_LONG ("max-attempts", "COMPLAINTS_NOTIFIER_MAX_ATTEMPTS", 8, 1, 100, "then dead"),
    DAEMON_LONG ("backoff-ms", "COMPLAINTS_NOTIFIER_BACKOFF_MS", 30000, 1, 86400000,
                 "first retry delay"),
    DAEMON_LONG ("backoff-cap-ms", "COMPLAINTS_NOTIFIER_BACKOFF_CAP_MS", 3600000, 1, 604800000,
                 "longest retry delay (>= --backoff-ms)"),
    DAEMON_BOOL ("selftest", NULL, "check the rules, templates, MIME and JSON encoders, exit"),
    DAEMON_BOOL ("verbose", NULL, "self-test details; debug log lines"),
    DAEMON_END
};

//  A gateway URL: empty (not configured) or http(s)://.
static bool
s_url_ok (const char *url)
{
    return !*url || strncmp (url, "http://", 7) == 0 || strncmp (url, "https://", 8) == 0;
}

//  user:password@ in a URL would put a credential on the command line and
//  in the starting log line: refused (the user and password have flags).
static bool
s_url_has_userinfo (const char *url)
{
    const char *host = strstr (url, "://");
    host = host ? host + 3 : url;
    size_t len = strcspn (host, "/?#");
    const char *at = strchr (host, '@');
    return at && (size_t) (at - host) < len;
}

//  An Authorization value must stay one header line.
static bool
s_header_ok (const char *value)
{
    return strpbrk (value, "\r\n") == NULL;
}

//  A secret on the command line is anybody's: ps and /proc/PID/cmdline
//  show it to every user of the machine. The flags that would carry one
//  are refused before parsing, with the way to give it instead, and
//  without echoing it.
static bool
s_secret_on_command_line (int argc, char **argv)
{
    static const char *flags [][2] = {
        { "--smtp-password", "COMPLAINTS_SMTP_PASSWORD" },
        { "--sms-auth", "COMPLAINTS_SMS_AUTH" },
        { "--push-auth", "COMPLAINTS_PUSH_AUTH" },
    };
    for (int i = 1; i < argc; i++)
        for (size_t f = 0; f < sizeof flags / sizeof flags [0]; f++) {
            size_t len = strlen (flags [f][0]);
            if (strncmp (argv [i], flags [f][0], len) == 0
                && (argv [i][len] == 0 || argv [i][len] == '=')) {
                fprintf (stderr, "notifier: %s is refused: a secret on the command line is"
                         " visible to every user (ps, /proc/PID/cmdline); put it in a file"
                         " of mode 0600 and give %s-file FILE, or set %s\n", flags [f][0],
                         flags [f][0], flags [f][1]);
                return true;
            }
        }
    return false;
}

//  A secret (the SMTP password, a gateway's Authorization value): from the
//  file named by --NAME-file (which must be a regular file no one but its
//  owner can read or write, as ssh demands of a key), or from the variable
//  env; not both. One line, the newline after it dropped. 0, or -1 with
//  the reason on stderr.
static int
s_secret_load (const char *what, const char *path, const char *env_name, char *secret,
               size_t size)
{
    const char *env = getenv (env_name);
    *secret = 0;
    if (!*path) {
        snprintf (secret, size, "%s", env ? env : "");
        return 0;
    }
    if (env && *env) {
        fprintf (stderr, "notifier: both a %s file and %s are set: give it one way\n", what,
                 env_name);
        return -1;
    }
    char why [PATH_MAX + 256];
    if (secret_file_read (what, path, secret, size, why, sizeof why)) {
        fprintf (stderr, "notifier: %s\n", why);
        return -1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    if (s_secret_on_command_line (argc, argv))
        return 2;
    daemon_t *daemon = daemon_new ("notifier", s_opts,
        "notifier --selftest [--rules FILE] [--templates DIR] [--verbose]");
    int prc = daemon_parse (daemon, argc, argv);
    if (prc) {
        daemon_destroy (&daemon);
        return prc > 0 ? 0 : 2;
    }
    bool verbose = daemon_bool (daemon, "verbose");
    const char *rules_path = daemon_str (daemon, "rules");
    const char *templates_dir = daemon_str (daemon, "templates");
    if (daemon_bool (daemon, "selftest")) {
        int passed = 0;
        int failed = notify_rules_test (verbose, rules_path, templates_dir, &passed);
        failed += smtp_mail_test (verbose, &passed);
        failed += http_gateway_test (verbose, &passed);
        failed += review_window_test (verbose, NULL, &passed);     /* watchdog2 */
        printf ("notifier selftest: %d passed, %d failed\n", passed, failed);
        daemon_destroy (&daemon);
        return failed ? 1 : 0;
    }
    const char *conninfo = daemon_str (daemon, "pg");
    const char *bus = daemon_str (daemon, "bus");
    notifier_t self = { .rules_path = rules_path, .templates_dir = templates_dir,
                        .daemon = daemon };
    self.calendars_dir = daemon_str (daemon, "calendars");
    self.default_calendar = daemon_str (daemon, "calendar");
    self.smtp.url = daemon_str (daemon, "smtp-url");
    self.smtp.from = daemon_str (daemon, "smtp-from");
    self.smtp.user = daemon_str (daemon, "smtp-user");
    static char smtp_password [1024], sms_auth [1024], push_auth [1024];
    if (s_secret_load ("SMTP password", daemon_str (daemon, "smtp-password-file"),
                       "COMPLAINTS_SMTP_PASSWORD", smtp_password, sizeof smtp_password)
        || s_secret_load ("SMS gateway auth", daemon_str (daemon, "sms-auth-file"),
                          "COMPLAINTS_SMS_AUTH", sms_auth, sizeof sms_auth)
        || s_secret_load ("push gateway auth", daemon_str (daemon, "push-auth-file"),
                          "COMPLAINTS_PUSH_AUTH", push_auth, sizeof push_auth)) {
        daemon_destroy (&daemon);
        return 2;
    }
    self.smtp.password = smtp_password;
    //  The customer's contact is sealed in the store: without the key the
    //  notifier could reach no customer, so it does not start.
    char why [400];
    identity_seal_t *seal = identity_seal_load (daemon_str (daemon, "identity-key-file"),
                                                why, sizeof why);
    if (!seal) {
        fprintf (stderr, "notifier: " IDENTITY_KEY_FLAG ": %s\n", why);
        daemon_destroy (&daemon);
        return 2;
    }
    const char *smtp_tls = daemon_str (daemon, "smtp-tls");
    self.smtp.tls = smtp_tls_resolve (smtp_tls, self.smtp.url);
    self.smtp.timeout_ms = daemon_long (daemon, "smtp-timeout-ms");
    self.sms.url = daemon_str (daemon, "sms-url");
    self.sms.auth = sms_auth;
    self.push.url = daemon_str (daemon, "push-url");
    self.push.auth = push_auth;
    self.sms.timeout_ms = self.push.timeout_ms = daemon_long (daemon, "http-timeout-ms");
    const char *ca_file = daemon_str (daemon, "tls-ca-file");
    self.smtp.ca_file = self.sms.ca_file = self.push.ca_file = ca_file;
    if (*ca_file && access (ca_file, R_OK) != 0) {
        daemon_refuse (daemon, "--tls-ca-file %s cannot be read: %s", ca_file, strerror (errno));
        daemon_destroy (&daemon);
        return 2;
    }
    notify_claim_cfg_t *claim = &self.claim;
    claim->rate [NOTIFY_EMAIL] = daemon_long (daemon, "rate-email");
    claim->rate [NOTIFY_SMS] = daemon_long (daemon, "rate-sms");
    claim->rate [NOTIFY_PUSH] = daemon_long (daemon, "rate-push");
    long batch = daemon_long (daemon, "batch");
    daemon_set_coalesce_ms (daemon, daemon_long (daemon, "coalesce-ms"));
    long poll_ms = daemon_long (daemon, "poll-ms");
    claim->lease_ms = daemon_long (daemon, "lease-ms");
    long max_attempts = daemon_long (daemon, "max-attempts");
    claim->backoff_ms = daemon_long (daemon, "backoff-ms");
    claim->backoff_cap_ms = daemon_long (daemon, "backoff-cap-ms");
    //  The ranges are the skeleton's; what holds between settings is ours.
    if (claim->backoff_cap_ms < claim->backoff_ms
        || !self.smtp.tls || s_url_has_userinfo (self.smtp.url)
        || s_url_has_userinfo (self.sms.url) || s_url_has_userinfo (self.push.url)
        || !smtp_mail_address_ok (self.smtp.from)
        || !s_url_ok (self.sms.url) || !s_url_ok (self.push.url)
        || !s_header_ok (self.sms.auth) || !s_header_ok (self.push.auth)) {
        daemon_refuse (daemon, "need --backoff-ms <= --backoff-cap-ms, --smtp-tls auto|off|try|required,"
                       " a plain --smtp-from address, http:// or https:// gateway URLs, no"
                       " user:password@ in a URL, auth values on one line");
        identity_seal_destroy (&seal);
        daemon_destroy (&daemon);
        return 2;
    }
    claim->batch = (int) batch;
    self.record_batch = (int) daemon_long (daemon, "record-batch");
    self.parallel = (int) daemon_long (daemon, "parallel");
    self.consume_batch = (int) daemon_long (daemon, "consume-batch");
    claim->max_attempts = (int) max_attempts;
    char default_name [64];
    snprintf (default_name, sizeof default_name, "notifier-%d", (int) getpid ());
    const char *name = daemon_str (daemon, "name");
    if (!name)
        name = default_name;

    conf_error_t err;
    self.rules = notify_rules_load (rules_path, templates_dir, &err);
    if (!self.rules) {
        char q [300];
        log_error ("rules_refused", "path=%s line=%d reason=%s keeping=none", err.file, err.line,
                   log_quote (q, sizeof q, err.reason));
        identity_seal_destroy (&seal);
        daemon_destroy (&daemon);
        return 2;
    }
    s_apply_rules (&self);
    self.calendars = s_load_calendars (self.calendars_dir, self.default_calendar);
    if (!self.calendars) {
        notify_rules_destroy (&self.rules);
        identity_seal_destroy (&seal);
        daemon_destroy (&daemon);
        return 2;
    }
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error ("curl_init_failed", "action=exit");
        notify_rules_destroy (&self.rules);
        calendars_destroy (&self.calendars);
        identity_seal_destroy (&seal);
        daemon_destroy (&daemon);
        return 1;
    }
    //  Every transfer runs in one multi handle, which keeps the
    //  connections from one batch to the next: a message to a server
    //  reuses one of its connections (SMTP: no new TCP and EHLO per
    //  message; HTTP: keep-alive), which is most of a message's cost on a
    //  near server. At most --parallel connections to each server.
    self.multi = curl_multi_init ();
    if (!self.multi) {
        log_error ("curl_init_failed", "what=multi action=exit");
        notify_rules_destroy (&self.rules);
        calendars_destroy (&self.calendars);
        curl_global_cleanup ();
        identity_seal_destroy (&seal);
        daemon_destroy (&daemon);
        return 1;
    }
    curl_multi_setopt (self.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) self.parallel);
    curl_multi_setopt (self.multi, CURLMOPT_MAXCONNECTS, (long) self.parallel * 3);
    metrics_t *reg = daemon_metrics (daemon);
    self.m_deliveries = metrics_counter (reg, "complaints_notifier_deliveries_total",
        "Delivery attempts by channel (email, sms, push, inbox) and outcome (sent, failed:"
        " retried later, dead, lease_lost: another instance had taken the row).",
        "channel,state");
    metric_t *m_consumed = metrics_counter (reg, "complaints_notifier_events_consumed_total",
        "Events read from the event log past the cursor.", NULL);
    metric_t *m_created = metrics_counter (reg, "complaints_notifier_rows_created_total",
        "Notification rows created from those events.", NULL);
    metric_t *m_suppressed = metrics_counter (reg, "complaints_notifier_suppressed_total",
        "Due rows suppressed (the customer opted out of the channel).", NULL);
    metric_t *m_deferred = metrics_counter (reg, "complaints_notifier_deferred_total",
        "Due rows moved to the morning by quiet hours.", NULL);
    metric_t *m_cursor = metrics_gauge (reg, "complaints_notifier_cursor_seq",
        "The event seq consumed up to, as of this instance's last consume.", NULL);
    metric_t *m_lag = metrics_gauge (reg, "complaints_notifier_consume_lag_events",
        "Events the bus has published past the cursor (bus seq seen - cursor).", NULL);
    daemon_on_reload (daemon, s_reload, &self);
    if (daemon_start (daemon)) {
        notify_rules_destroy (&self.rules);
        calendars_destroy (&self.calendars);
        curl_multi_cleanup (self.multi);
        curl_global_cleanup ();
        identity_seal_destroy (&seal);
        daemon_destroy (&daemon);
        return 1;
    }
    if (verbose)
        log_set_debug (true);
    //  A pass delivers a batch, each message within its timeout: the loop
    //  is stalled only past what a whole batch of slow gateways may take.
    long slowest = self.smtp.timeout_ms > self.sms.timeout_ms ? self.smtp.timeout_ms
                                                              : self.sms.timeout_ms;
    daemon_set_stale_ms (daemon, 60000 + (int64_t) NOTIFY_CHANNELS * batch * slowest);

    log_info ("starting", "name=%s %s smtp_url=%s smtp_tls=%s sms_url=%s push_url=%s"
              " rate_email=%ld rate_sms=%ld rate_push=%ld bus=%s batch=%ld record_batch=%d"
              " parallel=%d poll_ms=%ld lease_ms=%ld max_attempts=%ld backoff_ms=%ld backoff_cap_ms=%ld calendars=%zu",
              name, notify_rules_summary (self.rules), *self.smtp.url ? self.smtp.url : "none",
              self.smtp.tls, *self.sms.url ? self.sms.url : "none",
              *self.push.url ? self.push.url : "none", claim->rate [NOTIFY_EMAIL],
              claim->rate [NOTIFY_SMS], claim->rate [NOTIFY_PUSH], bus, batch, self.record_batch,
              self.parallel, poll_ms,
              claim->lease_ms, max_attempts, claim->backoff_ms, claim->backoff_cap_ms,
              calendars_count (self.calendars));
    notify_store_set_review_days (daemon_long (daemon, "review-window-days"));
    self.store = notify_store_new (conninfo, name, "notifier", seal);
    if (!self.store) {
        identity_seal_destroy (&seal);
        notify_rules_destroy (&self.rules);
        calendars_destroy (&self.calendars);
        curl_multi_cleanup (self.multi);
        curl_global_cleanup ();
        daemon_destroy (&daemon);
        return 1;                       /* interrupted while connecting */
    }
    daemon_store_up (daemon);
    notify_store_set_calendars (self.store, self.calendars, self.default_calendar);
    notify_store_set_survey_url (self.store, daemon_str (daemon, "survey-url"));
    //  Every topic, heartbeats included: any of them can mean "there is
    //  news in event_log", and heartbeats carry the seq the lag is against.
    if (daemon_bus_connect (daemon, bus, (const char *[]) { "", NULL }) == DAEMON_BUS_REFUSED) {
        notify_store_destroy (&self.store);
        notify_rules_destroy (&self.rules);
        calendars_destroy (&self.calendars);
        curl_multi_cleanup (self.multi);
        curl_global_cleanup ();
        daemon_destroy (&daemon);
        return 2;                       /* plaintext off loopback, or no key: logged */
    }
    log_info ("started", "name=%s", name);
    while (!zsys_interrupted) {
        uint64_t consumed0 = self.consumed, created0 = self.created,
                 suppressed0 = self.suppressed, deferred0 = self.deferred;
        int64_t t0 = zclock_usecs ();
        int rc = s_pass (&self);
        daemon_observe (daemon, "pass", (double) (zclock_usecs () - t0) / 1e6);
        metric_add (m_consumed, (double) (self.consumed - consumed0));
        metric_add (m_created, (double) (self.created - created0));
        metric_add (m_suppressed, (double) (self.suppressed - suppressed0));
        metric_add (m_deferred, (double) (self.deferred - deferred0));
        if (rc < 0) {
            daemon_store_down (daemon, "a pass failed; reconnecting");
            notify_store_recover (self.store);
            zclock_sleep ((int) (poll_ms < 1000 ? poll_ms : 1000));
            continue;
        }
        daemon_store_up (daemon);
        daemon_pass_done (daemon);
        int64_t cursor = notify_store_cursor (self.store);
        uint64_t bus_seq = daemon_bus_seq (daemon);
        metric_set (m_cursor, (double) cursor);
        if (bus_seq > 0)
            metric_set (m_lag, bus_seq > (uint64_t) cursor ? (double) (bus_seq - (uint64_t) cursor)
                                                           : 0.0);
        if (zsys_interrupted)
            break;
        if (rc == 0)
            daemon_wait (daemon, poll_ms, NULL, 0);
        else
            //  More is due at once: no wait, but a SIGHUP that came during
            //  the pass is still applied now, not when the stream ebbs.
            daemon_reload (daemon);
    }
    log_info ("stopping", "name=%s sent=%" PRIu64 " failed=%" PRIu64 " dead=%" PRIu64, name,
              self.sent, self.failed, self.dead);
    notify_store_destroy (&self.store);
    identity_seal_destroy (&seal);
    notify_rules_destroy (&self.rules);
    calendars_destroy (&self.calendars);
    curl_multi_cleanup (self.multi);
    curl_global_cleanup ();
    daemon_destroy (&daemon);
    return 0;
}
