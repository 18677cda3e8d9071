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
 *  and exit 0. `notifier --selftest [--verbose]` checks the shipped rules and
 *  templates, the MIME encoder and the gateway's JSON.
 */
#include "notify_rules.h"
#include "notify_store.h"
#include "smtp_mail.h"
#include "http_gateway.h"
#include "cfg.h"
#include "log.h"

#include <curl/curl.h>
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NT_DEFAULT_RULES     "deploy/notify/rules.conf"
#define NT_DEFAULT_TEMPLATES "deploy/notify/templates"
#define NT_DEFAULT_CALENDARS "deploy/calendars"

static volatile sig_atomic_t s_reload_requested = 0;

static void
s_on_sighup (int signum)
{
    (void) signum;
    s_reload_requested = 1;
}

typedef struct {
    const char *rules_path, *templates_dir, *calendars_dir, *default_calendar;
    notify_rules_t *rules;
    calendars_t *calendars;
    notify_store_t *store;
    smtp_cfg_t smtp;
    http_gateway_cfg_t sms, push;
    notify_claim_cfg_t claim;
    int record_batch;               /* outcomes per commit */
    uint64_t sent, failed, dead;
} notifier_t;

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

static void
s_reload (notifier_t *self)
{
    conf_error_t err;
    notify_rules_t *fresh = notify_rules_load (self->rules_path, self->templates_dir, &err);
    if (!fresh) {
        char q [300];
        log_error ("rules_refused", "path=%s line=%d reason=%s keeping=old", err.file, err.line,
                   log_quote (q, sizeof q, err.reason));
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
}

//  One SMS or push through its gateway. 0 accepted; -1 with error set, and
//  *permanent when the gateway refused for good.
static int
s_send_gateway (notifier_t *self, const notify_row_t *row, bool *permanent, long *retry_after_ms,
                char *error, size_t error_size)
{
    bool sms = streq (row->channel, "sms");
    const http_gateway_cfg_t *cfg = sms ? &self->sms : &self->push;
    if (!*cfg->url) {
        snprintf (error, error_size, "no --%s-url configured", row->channel);
        return -1;
    }
    //  The Message-ID without its brackets: the same key on every attempt.
    char key [128];
    snprintf (key, sizeof key, "%.*s", (int) strlen (row->message_id) - 2, row->message_id + 1);
    char *json = sms ? http_gateway_sms_json (row->address, row->body, key, row->complaint_no)
                     : http_gateway_push_json (row->address, row->subject, row->body, key,
                                               row->complaint_no);
    http_gateway_result_t result = http_gateway_post (cfg, key, json, retry_after_ms, error,
                                                      error_size);
    free (json);
    *permanent = result == HTTP_GATEWAY_REFUSED;
    return result == HTTP_GATEWAY_OK ? 0 : -1;
}

//  Send one claimed row; fill its outcome (recorded with the batch's).
static void
s_deliver (notifier_t *self, const notify_row_t *row, notify_outcome_t *outcome)
{
    memset (outcome, 0, sizeof *outcome);
    outcome->row = row;
    char *error = outcome->error;
    size_t error_size = sizeof outcome->error;
    int rc = 0;
    if (!streq (row->channel, "inbox") && !*row->address) {
        //  A suppressed row (no address) an operator sent round again.
        snprintf (error, error_size, "no %s address for this recipient", row->channel);
        outcome->permanent = true;
        rc = -1;
    }
    else
    if (streq (row->channel, "sms") || streq (row->channel, "push"))
        rc = s_send_gateway (self, row, &outcome->permanent, &outcome->min_delay_ms, error,
                             error_size);
    else
    if (streq (row->channel, "email")) {
        if (!*self->smtp.url)
            snprintf (error, error_size, "no --smtp-url configured");
        else {
            char *message = smtp_mail_build (self->smtp.from, row->address, row->subject,
                                             row->body, row->message_id, time (NULL));
            rc = smtp_mail_send (&self->smtp, row->address, message, error, error_size);
            free (message);
        }
        if (*error)
            rc = -1;
    }
    outcome->sent = rc == 0;
}

//  Record the outcomes gathered so far, log each. -1: the store failed.
static int
s_record (notifier_t *self, notify_outcome_t *outcomes, int n)
{
    if (n == 0)
        return 0;
    int rc = notify_store_record (self->store, outcomes, n, &self->claim);
    for (int i = 0; i < n; i++) {
        const notify_outcome_t *o = &outcomes [i];
        const notify_row_t *row = o->row;
        char q [600];
        if (o->result == NOTIFY_SENT) {
            self->sent++;
            log_info ("sent", "id=%" PRId64 " seq=%" PRId64 " channel=%s kind=%s attempt=%d"
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

//  Claim what is due on every channel and deliver it. Outcomes are
//  recorded together, every --record-batch messages or 500 ms, whichever
//  comes first: one commit (one fsync) for many messages instead of one
//  each, which is what lets one notifier keep up with intake. The price is
//  bounded: a notifier killed mid-batch leaves those rows 'sending', and
//  when their lease runs out they are sent again with the same Message-ID /
//  idempotency key — at most --record-batch repeats, which the receiver
//  can recognise. Returns rows claimed, -1 when the store failed.
static int
s_deliver_due (notifier_t *self, int *suppressed, int *deferred)
{
    notify_row_t *rows;
    int n = notify_store_claim (self->store, &self->claim, suppressed, deferred, &rows);
    if (n <= 0)
        return n;
    notify_outcome_t *outcomes = calloc ((size_t) n, sizeof *outcomes);
    assert (outcomes);
    int done = 0, recorded = 0, rc = 0;
    int64_t since = zclock_mono ();
    //  Finish the batch in hand even when asked to stop: each message is
    //  short, and a row left 'sending' would wait for its lease.
    while (done < n && rc == 0) {
        s_deliver (self, &rows [done], &outcomes [done]);
        done++;
        if (done - recorded >= self->record_batch || zclock_mono () - since >= 500
            || done == n) {
            rc = s_record (self, outcomes + recorded, done - recorded);
            recorded = done;
            since = zclock_mono ();
        }
    }
    free (outcomes);
    notify_store_rows_free (&rows, n);
    return rc ? -1 : n;
}

//  One pass: consume events and deliver what is due, a batch of each in
//  turn, until neither has anything left. Interleaved so that a long
//  stream to consume never holds back delivery, nor a long delivery the
//  rows of new events. -1: the store failed.
static int
s_pass (notifier_t *self)
{
    int64_t started = zclock_mono ();
    int events = 0, created = 0, claimed = 0, suppressed = 0, deferred = 0;
    int batch = self->claim.batch;
    uint64_t sent0 = self->sent, failed0 = self->failed, dead0 = self->dead;
    bool more = true;
    while (more && !zsys_interrupted) {
        int c, s, d;
        int n = notify_store_consume (self->store, self->rules, batch, &c);
        if (n < 0)
            return -1;
        events += n;
        created += c;
        int k = s_deliver_due (self, &s, &d);
        if (k < 0)
            return -1;
        claimed += k;
        suppressed += s;
        deferred += d;
        more = n == batch || k > 0 || s > 0 || d > 0;
    }
    if (events || claimed || suppressed || deferred)
        log_info ("tick", "events=%d created=%d claimed=%d sent=%" PRIu64 " failed=%" PRIu64
                  " dead=%" PRIu64 " suppressed=%d deferred=%d elapsed_ms=%" PRId64, events,
                  created, claimed, self->sent - sent0, self->failed - failed0,
                  self->dead - dead0, suppressed, deferred, zclock_mono () - started);
    return 0;
}

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: notifier [--pg CONNINFO] [--bus ENDPOINT] [--rules FILE] [--templates DIR]\n"
        "                [--calendars DIR] [--calendar NAME]\n"
        "                [--smtp-url URL] [--smtp-from ADDR] [--smtp-user U] [--smtp-password P]\n"
        "                [--smtp-tls none|try|all] [--smtp-timeout-ms N]\n"
        "                [--sms-url URL] [--sms-auth VALUE] [--push-url URL] [--push-auth VALUE]\n"
        "                [--http-timeout-ms N] [--rate-email N] [--rate-sms N] [--rate-push N]\n"
        "                [--name NAME] [--batch N] [--record-batch N] [--poll-ms N] [--lease-ms N]\n"
        "                [--max-attempts N] [--backoff-ms N] [--backoff-cap-ms N] [--debug]\n"
        "       notifier --selftest [--rules FILE] [--templates DIR] [--verbose]\n"
        "  --pg              COMPLAINTS_PG                    PostgreSQL conninfo\n"
        "  --bus             COMPLAINTS_BUS_PUB_ENDPOINT      bus PUB to wake on (\"none\")\n"
        "  --rules           COMPLAINTS_NOTIFY_RULES          default " NT_DEFAULT_RULES "\n"
        "  --templates       COMPLAINTS_NOTIFY_TEMPLATES      default " NT_DEFAULT_TEMPLATES "\n"
        "  --calendars       COMPLAINTS_CALENDARS             the cases' time zones, default "
        NT_DEFAULT_CALENDARS "\n"
        "  --calendar        COMPLAINTS_NOTIFY_CALENDAR       for a case with no clock yet, cn\n"
        "  --smtp-url        COMPLAINTS_SMTP_URL              smtp://host:port, smtps://host:port\n"
        "  --smtp-from       COMPLAINTS_SMTP_FROM             default noreply@complaints.local\n"
        "  --smtp-user       COMPLAINTS_SMTP_USER             AUTH user (\"\": no AUTH)\n"
        "  --smtp-password   COMPLAINTS_SMTP_PASSWORD\n"
        "  --smtp-tls        COMPLAINTS_SMTP_TLS              none (default), try, all (STARTTLS)\n"
        "  --smtp-timeout-ms COMPLAINTS_SMTP_TIMEOUT_MS       default 10000\n"
        "  --sms-url         COMPLAINTS_SMS_URL               the SMS gateway (http:// or https://)\n"
        "  --sms-auth        COMPLAINTS_SMS_AUTH              its Authorization header value\n"
        "  --push-url        COMPLAINTS_PUSH_URL              the app push gateway\n"
        "  --push-auth       COMPLAINTS_PUSH_AUTH             its Authorization header value\n"
        "  --http-timeout-ms COMPLAINTS_HTTP_TIMEOUT_MS       per gateway request, default 10000\n"
        "  --rate-email      COMPLAINTS_NOTIFY_RATE_EMAIL     messages a second, all instances\n"
        "  --rate-sms        COMPLAINTS_NOTIFY_RATE_SMS         together (0: no limit); defaults\n"
        "  --rate-push       COMPLAINTS_NOTIFY_RATE_PUSH        0, 20, 50\n"
        "  --name            COMPLAINTS_NOTIFIER_NAME         lease owner, default notifier-PID\n"
        "  --batch           COMPLAINTS_NOTIFIER_BATCH        events or rows per transaction, 100\n"
        "  --record-batch    COMPLAINTS_NOTIFIER_RECORD_BATCH outcomes per commit, 50 (a kill\n"
        "                                                   repeats at most these, same Message-ID)\n"
        "  --poll-ms         COMPLAINTS_NOTIFIER_POLL_MS      longest sleep, default 1000\n"
        "  --lease-ms        COMPLAINTS_NOTIFIER_LEASE_MS     a claim's lease, default 60000\n"
        "  --max-attempts    COMPLAINTS_NOTIFIER_MAX_ATTEMPTS then dead, default 8\n"
        "  --backoff-ms      COMPLAINTS_NOTIFIER_BACKOFF_MS   first retry delay, default 30000\n"
        "  --backoff-cap-ms  COMPLAINTS_NOTIFIER_BACKOFF_CAP_MS  longest delay, default 3600000\n");
}

//  A gateway URL: empty (not configured) or http(s)://.
static bool
s_url_ok (const char *url)
{
    return !*url || strncmp (url, "http://", 7) == 0 || strncmp (url, "https://", 8) == 0;
}

//  An Authorization value must stay one header line.
static bool
s_header_ok (const char *value)
{
    return strpbrk (value, "\r\n") == NULL;
}

int
main (int argc, char **argv)
{
    if (cfg_flag (argc, argv, "--help") || cfg_flag (argc, argv, "-h")) {
        s_usage ();
        return 0;
    }
    bool verbose = cfg_flag (argc, argv, "--verbose");
    const char *rules_path = cfg_str (argc, argv, "--rules", "COMPLAINTS_NOTIFY_RULES",
                                      NT_DEFAULT_RULES);
    const char *templates_dir = cfg_str (argc, argv, "--templates", "COMPLAINTS_NOTIFY_TEMPLATES",
                                         NT_DEFAULT_TEMPLATES);
    if (cfg_flag (argc, argv, "--selftest")) {
        int passed = 0;
        int failed = notify_rules_test (verbose, rules_path, templates_dir, &passed);
        failed += smtp_mail_test (verbose, &passed);
        failed += http_gateway_test (verbose, &passed);
        printf ("notifier selftest: %d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
    }
    log_init ("notifier");
    const char *debug_env = getenv ("COMPLAINTS_DEBUG");
    log_set_debug (verbose || cfg_flag (argc, argv, "--debug")
                   || (debug_env && atoi (debug_env) > 0));
    const char *conninfo = cfg_str (argc, argv, "--pg", CFG_ENV_PG, "");
    const char *bus = cfg_str (argc, argv, "--bus", CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT);
    notifier_t self = { .rules_path = rules_path, .templates_dir = templates_dir };
    self.calendars_dir = cfg_str (argc, argv, "--calendars", "COMPLAINTS_CALENDARS",
                                  NT_DEFAULT_CALENDARS);
    self.default_calendar = cfg_str (argc, argv, "--calendar", "COMPLAINTS_NOTIFY_CALENDAR", "cn");
    self.smtp.url = cfg_str (argc, argv, "--smtp-url", "COMPLAINTS_SMTP_URL", "");
    self.smtp.from = cfg_str (argc, argv, "--smtp-from", "COMPLAINTS_SMTP_FROM",
                              "noreply@complaints.local");
    self.smtp.user = cfg_str (argc, argv, "--smtp-user", "COMPLAINTS_SMTP_USER", "");
    self.smtp.password = cfg_str (argc, argv, "--smtp-password", "COMPLAINTS_SMTP_PASSWORD", "");
    self.smtp.tls = cfg_str (argc, argv, "--smtp-tls", "COMPLAINTS_SMTP_TLS", "none");
    self.smtp.timeout_ms = cfg_long (argc, argv, "--smtp-timeout-ms", "COMPLAINTS_SMTP_TIMEOUT_MS",
                                     10000);
    self.sms.url = cfg_str (argc, argv, "--sms-url", "COMPLAINTS_SMS_URL", "");
    self.sms.auth = cfg_str (argc, argv, "--sms-auth", "COMPLAINTS_SMS_AUTH", "");
    self.push.url = cfg_str (argc, argv, "--push-url", "COMPLAINTS_PUSH_URL", "");
    self.push.auth = cfg_str (argc, argv, "--push-auth", "COMPLAINTS_PUSH_AUTH", "");
    self.sms.timeout_ms = self.push.timeout_ms =
        cfg_long (argc, argv, "--http-timeout-ms", "COMPLAINTS_HTTP_TIMEOUT_MS", 10000);
    notify_claim_cfg_t *claim = &self.claim;
    claim->rate [NOTIFY_EMAIL] = cfg_long (argc, argv, "--rate-email",
                                           "COMPLAINTS_NOTIFY_RATE_EMAIL", 0);
    claim->rate [NOTIFY_SMS] = cfg_long (argc, argv, "--rate-sms", "COMPLAINTS_NOTIFY_RATE_SMS",
                                         20);
    claim->rate [NOTIFY_PUSH] = cfg_long (argc, argv, "--rate-push",
                                          "COMPLAINTS_NOTIFY_RATE_PUSH", 50);
    long batch = cfg_long (argc, argv, "--batch", "COMPLAINTS_NOTIFIER_BATCH", 100);
    long record_batch = cfg_long (argc, argv, "--record-batch", "COMPLAINTS_NOTIFIER_RECORD_BATCH",
                                  50);
    long poll_ms = cfg_long (argc, argv, "--poll-ms", "COMPLAINTS_NOTIFIER_POLL_MS", 1000);
    claim->lease_ms = cfg_long (argc, argv, "--lease-ms", "COMPLAINTS_NOTIFIER_LEASE_MS", 60000);
    long max_attempts = cfg_long (argc, argv, "--max-attempts", "COMPLAINTS_NOTIFIER_MAX_ATTEMPTS",
                                  8);
    claim->backoff_ms = cfg_long (argc, argv, "--backoff-ms", "COMPLAINTS_NOTIFIER_BACKOFF_MS",
                                  30000);
    claim->backoff_cap_ms = cfg_long (argc, argv, "--backoff-cap-ms",
                                      "COMPLAINTS_NOTIFIER_BACKOFF_CAP_MS", 3600000);
    bool rates_ok = true;
    for (int c = 0; c < NOTIFY_CHANNELS; c++)
        rates_ok = rates_ok && claim->rate [c] >= 0 && claim->rate [c] <= 100000;
    if (batch < 1 || batch > 10000 || record_batch < 1 || record_batch > 10000 || poll_ms < 10
        || claim->lease_ms < 100 || max_attempts < 1
        || max_attempts > 100 || claim->backoff_ms < 1
        || claim->backoff_cap_ms < claim->backoff_ms || self.smtp.timeout_ms < 100
        || self.sms.timeout_ms < 100 || !rates_ok
        || !(streq (self.smtp.tls, "none") || streq (self.smtp.tls, "try")
             || streq (self.smtp.tls, "all"))
        || !smtp_mail_address_ok (self.smtp.from)
        || !s_url_ok (self.sms.url) || !s_url_ok (self.push.url)
        || !s_header_ok (self.sms.auth) || !s_header_ok (self.push.auth)) {
        fprintf (stderr, "notifier: need 1 <= --batch, --record-batch <= 10000, --poll-ms >= 10, --lease-ms >= 100,"
                         " 1 <= --max-attempts <= 100, 1 <= --backoff-ms <= --backoff-cap-ms,"
                         " --smtp-timeout-ms and --http-timeout-ms >= 100, 0 <= --rate-* <="
                         " 100000, --smtp-tls none|try|all, a plain --smtp-from address,"
                         " http:// or https:// gateway URLs, auth values on one line\n");
        return 2;
    }
    claim->batch = (int) batch;
    self.record_batch = (int) record_batch;
    claim->max_attempts = (int) max_attempts;
    char default_name [64];
    snprintf (default_name, sizeof default_name, "notifier-%d", (int) getpid ());
    const char *name = cfg_str (argc, argv, "--name", "COMPLAINTS_NOTIFIER_NAME", default_name);

    conf_error_t err;
    self.rules = notify_rules_load (rules_path, templates_dir, &err);
    if (!self.rules) {
        char q [300];
        log_error ("rules_refused", "path=%s line=%d reason=%s keeping=none", err.file, err.line,
                   log_quote (q, sizeof q, err.reason));
        return 2;
    }
    s_apply_rules (&self);
    self.calendars = s_load_calendars (self.calendars_dir, self.default_calendar);
    if (!self.calendars) {
        notify_rules_destroy (&self.rules);
        return 2;
    }
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error ("curl_init_failed", "action=exit");
        notify_rules_destroy (&self.rules);
        calendars_destroy (&self.calendars);
        return 1;
    }
    //  One connection cache for every delivery: a message to the server the
    //  last one went to reuses its connection (SMTP: no new TCP and EHLO per
    //  message; HTTP: keep-alive), which is most of a message's cost on a
    //  near server.
    CURLSH *share = curl_share_init ();
    if (share && curl_share_setopt (share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) == CURLSHE_OK)
        self.smtp.share = self.sms.share = self.push.share = share;
    zsys_init ();
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_sighup;
    sigemptyset (&action.sa_mask);
    sigaction (SIGHUP, &action, NULL);

    log_info ("starting", "name=%s %s smtp_url=%s smtp_tls=%s sms_url=%s push_url=%s"
              " rate_email=%ld rate_sms=%ld rate_push=%ld bus=%s batch=%ld record_batch=%ld poll_ms=%ld"
              " lease_ms=%ld max_attempts=%ld backoff_ms=%ld backoff_cap_ms=%ld calendars=%zu",
              name, notify_rules_summary (self.rules), *self.smtp.url ? self.smtp.url : "none",
              self.smtp.tls, *self.sms.url ? self.sms.url : "none",
              *self.push.url ? self.push.url : "none", claim->rate [NOTIFY_EMAIL],
              claim->rate [NOTIFY_SMS], claim->rate [NOTIFY_PUSH], bus, batch, record_batch, poll_ms,
              claim->lease_ms, max_attempts, claim->backoff_ms, claim->backoff_cap_ms,
              calendars_count (self.calendars));
    self.store = notify_store_new (conninfo, name, "notifier");
    if (!self.store) {
        notify_rules_destroy (&self.rules);
        calendars_destroy (&self.calendars);
        curl_global_cleanup ();
        return 1;                       /* interrupted while connecting */
    }
    notify_store_set_calendars (self.store, self.calendars, self.default_calendar);
    zsock_t *sub = NULL;
    if (*bus && strcmp (bus, "none") != 0) {
        sub = zsock_new (ZMQ_SUB);
        assert (sub);
        zsock_set_subscribe (sub, "");
        if (zsock_connect (sub, "%s", bus)) {
            log_error ("bus_connect_failed", "endpoint=%s", bus);
            zsock_destroy (&sub);
        }
    }
    log_info ("started", "name=%s", name);
    while (!zsys_interrupted) {
        if (s_reload_requested) {
            s_reload_requested = 0;
            s_reload (&self);
        }
        if (s_pass (&self)) {
            notify_store_recover (self.store);
            zclock_sleep ((int) (poll_ms < 1000 ? poll_ms : 1000));
            continue;
        }
        if (zsys_interrupted || s_reload_requested)
            continue;
        if (!sub) {
            zclock_sleep ((int) poll_ms);
            continue;
        }
        zmq_pollitem_t item = { zsock_resolve (sub), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, poll_ms) == -1) {
            if (errno == EINTR)
                continue;
            log_error ("poll_failed", "error=\"%s\"", zmq_strerror (errno));
            zclock_sleep ((int) poll_ms);
        }
        if (item.revents & ZMQ_POLLIN) {
            //  Drop every queued frame: they all mean "look at the store".
            zmq_msg_t msg;
            zmq_msg_init (&msg);
            while (zmq_msg_recv (&msg, zsock_resolve (sub), ZMQ_DONTWAIT) >= 0)
                ;
            zmq_msg_close (&msg);
        }
    }
    log_info ("stopping", "name=%s sent=%" PRIu64 " failed=%" PRIu64 " dead=%" PRIu64, name,
              self.sent, self.failed, self.dead);
    zsock_destroy (&sub);
    notify_store_destroy (&self.store);
    notify_rules_destroy (&self.rules);
    calendars_destroy (&self.calendars);
    if (share)
        curl_share_cleanup (share);
    curl_global_cleanup ();
    return 0;
}
