/*  hotline — the call centre's channel adapter (issue 14 §4).
 *
 *  Two ways a call comes in, one way it goes out:
 *
 *      the agent desk (HTTP, hotline_desk.c)  ──┐
 *                                               ├─ hotline_call: checked ─ spool (fsync)
 *      the export folder (CSV, hotline_inbox.c)─┘        ─ spool_sender ─ intake (Lazy Pirate)
 *
 *  Every call is in the spool before anyone is told it was taken (the
 *  agent's page, the file's move to done/); spool_sender submits it until
 *  intake answers, as the hotline's own CURVE certificate (role adapter,
 *  channel hotline). The call id is the ref: whatever is retried, dropped
 *  twice or killed, a call is one complaint (invariant 6).
 *
 *  One thread, one loop: the intake client's socket and the desk's HTTP
 *  descriptor are polled together (daemon_wait); the folder is looked at
 *  every --scan-ms, and an export is read in slices of S_SLICE_MS between
 *  turns of the loop. SIGTERM: the loop stops, the desk answers what still
 *  waits (503; those calls are in the spool), entries in flight stay in
 *  new/ for the next start.
 *
 *  `hotline --selftest` runs the pure classes' self-tests (the call, the
 *  pages); `hotline --help` lists the flags.
 */
#include "cfg.h"
#include "curve.h"
#include "daemon.h"
#include "hotline_call.h"
#include "hotline_desk.h"
#include "hotline_inbox.h"
#include "hotline_page.h"
#include "intake_client.h"
#include "log.h"
#include "secret_file.h"
#include "spool.h"
#include "spool_sender.h"

#include <czmq.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

/* The export is read in slices this long, so the desk and the sender get
 * the loop between them. */
#define S_SLICE_MS 20

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("intake", CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT, "ENDPOINT",
                "intake's ROUTER (as the hotline's certificate, --key)"),
    DAEMON_STR ("addr", "COMPLAINTS_HOTLINE_ADDR", "127.0.0.1:8081", "HOST:PORT",
                "the agent desk's HTTP address; off: no desk"),
    DAEMON_STR ("inbox", "COMPLAINTS_HOTLINE_INBOX", "var/hotline/inbox", "DIR",
                "the call centre's export folder (done/, rejected/ inside); off: none"),
    DAEMON_STR ("spool", "COMPLAINTS_HOTLINE_SPOOL", "var/hotline/spool", "DIR",
                "the durable spool (common/spool.h)"),
    DAEMON_STR ("import-token-file", "COMPLAINTS_HOTLINE_IMPORT_TOKEN_FILE", "", "FILE",
                "a staff token (file of mode 0600) that export rows resolved on the call are"
                " resolved under; none: such rows are rejected"),
    DAEMON_STR ("timezone", CFG_ENV_TIMEZONE, CFG_TIMEZONE, "TZ",
                "the bank's zone: times on the desk, export times without an offset"),
    DAEMON_LONG ("scan-ms", "COMPLAINTS_HOTLINE_SCAN_MS", 1000, 50, 3600000,
                 "how often the export folder is looked at"),
    DAEMON_LONG ("settle-ms", "COMPLAINTS_HOTLINE_SETTLE_MS", 1000, 0, 3600000,
                 "a file is taken once unchanged this long"),
    DAEMON_LONG ("max-file", "COMPLAINTS_HOTLINE_MAX_FILE", 67108864, 1024, 1073741824,
                 "bytes; a bigger export is refused whole"),
    DAEMON_LONG ("wait-ms", "COMPLAINTS_HOTLINE_WAIT_MS", 5000, 100, 60000,
                 "the desk waits this long for intake's answer, then says \"taken\""),
    DAEMON_LONG ("window", "COMPLAINTS_HOTLINE_WINDOW", 32, 1, 256,
                 "spool entries in flight to intake"),
    DAEMON_LONG ("timeout-ms", "COMPLAINTS_HOTLINE_TIMEOUT_MS", 3000, 100, 600000,
                 "per attempt, before a resend"),
    DAEMON_LONG ("rate-burst", "COMPLAINTS_HOTLINE_RATE_BURST", 60, 1, 100000,
                 "desk posts one address may make at once"),
    DAEMON_LONG ("rate-refill-ms", "COMPLAINTS_HOTLINE_RATE_REFILL_MS", 500, 1, 3600000,
                 "then one more per this"),
    DAEMON_LONG ("keep-done-s", "COMPLAINTS_HOTLINE_KEEP_DONE_S", 604800, 0, 31536000,
                 "spool entries intake answered are kept this long"),
    DAEMON_BOOL ("selftest", NULL, "run the self-tests, exit"),
    DAEMON_BOOL ("verbose", NULL, "self-test details"),
    DAEMON_END
};

typedef struct {
    hotline_desk_t *desk;
    metric_t *rows, *files;
} s_app_t;

static void
s_outcome (void *arg, const char *id, spool_sender_outcome_t outcome, const msgpack_object *reply)
{
    s_app_t *app = (s_app_t *) arg;
    if (outcome == SPOOL_SENDER_REJECTED)
        log_warn ("call_refused_by_intake", "spool_id=%s action=\"kept in the spool's"
                  " rejected/ with intake's answer\"", id);
    if (app->desk)
        hotline_desk_outcome (app->desk, id, outcome, reply);
}

static void
s_selftest (bool verbose)
{
    hotline_call_test (verbose);
    hotline_page_test (verbose);
    printf ("hotline selftest: 2 passed, 0 failed\n");
}

int
main (int argc, char **argv)
{
    daemon_t *daemon = daemon_new ("hotline", s_opts, "hotline --selftest [--verbose]");
    int prc = daemon_parse (daemon, argc, argv);
    if (prc) {
        daemon_destroy (&daemon);
        return prc > 0 ? 0 : 2;
    }
    if (daemon_bool (daemon, "selftest")) {
        s_selftest (daemon_bool (daemon, "verbose"));
        daemon_destroy (&daemon);
        return 0;
    }
    const char *addr = daemon_str (daemon, "addr");
    const char *inbox_dir = daemon_str (daemon, "inbox");
    const char *tz = daemon_str (daemon, "timezone");
    char token [160] = "";
    const char *token_file = daemon_str (daemon, "import-token-file");
    if (*token_file) {
        char why [PATH_MAX + 256];
        if (secret_file_read ("import token", token_file, token, sizeof token, why,
                              sizeof why)) {
            int rc = daemon_refuse (daemon, "--import-token-file: %s", why);
            daemon_destroy (&daemon);
            return rc ? 2 : 0;
        }
    }
    if (daemon_start (daemon)) {
        daemon_destroy (&daemon);
        return 1;
    }
    setenv ("TZ", tz, 1);
    tzset ();
    zsys_set_logstream (NULL);

    metrics_t *reg = daemon_metrics (daemon);
    s_app_t app = {
        .rows = metrics_counter (reg, "complaints_hotline_rows_total",
                                 "Export rows, by result (spooled, rejected).", "result"),
        .files = metrics_counter (reg, "complaints_hotline_files_total",
                                  "Export files, by result (done, refused).", "result"),
    };
    char err [400];
    int rc = 0;
    /* their parents too (var/hotline/ on a fresh machine) */
    zsys_dir_create ("%s", daemon_str (daemon, "spool"));
    if (strcmp (inbox_dir, "off") != 0)
        zsys_dir_create ("%s", inbox_dir);
    spool_t *spool = spool_new (daemon_str (daemon, "spool"), err, sizeof err);
    intake_client_t *client = NULL;
    spool_sender_t *sender = NULL;
    hotline_inbox_t *inbox = NULL;
    if (!spool) {
        log_error ("spool_refused", "reason=\"%s\"", err);
        rc = 1;
        goto done;
    }
    intake_client_opts_t copts = { .window = (int) daemon_long (daemon, "window"),
                                   .timeout_ms = (int) daemon_long (daemon, "timeout-ms"),
                                   .attempts = 0 };
    client = intake_client_new (curve_default (), CURVE_INTAKE, daemon_str (daemon, "intake"),
                                &copts, err, sizeof err);
    if (!client) {
        log_error ("curve_refused", "endpoint=%s reason=\"%s\"", daemon_str (daemon, "intake"),
                   err);
        rc = 2;
        goto done;
    }
    if (strcmp (addr, "off") != 0) {
        hotline_desk_opts_t dopts = {
            .address = addr, .timezone = tz, .wait_ms = daemon_long (daemon, "wait-ms"),
            .rate_burst = daemon_long (daemon, "rate-burst"),
            .rate_refill_ms = daemon_long (daemon, "rate-refill-ms"),
        };
        app.desk = hotline_desk_new (&dopts, spool, client, &sender, err, sizeof err);
        if (!app.desk) {
            log_error ("desk_refused", "addr=%s reason=\"%s\"", addr, err);
            rc = 1;
            goto done;
        }
    }
    spool_sender_opts_t sopts = { .window = (int) daemon_long (daemon, "window") };
    sender = spool_sender_new (spool, client, reg, &sopts, s_outcome, &app);
    if (strcmp (inbox_dir, "off") != 0) {
        hotline_inbox_opts_t iopts = {
            .settle_ms = daemon_long (daemon, "settle-ms"),
            .max_file = daemon_long (daemon, "max-file"),
            .token = (proto_str_t) { *token ? token : NULL, strlen (token) },
        };
        inbox = hotline_inbox_new (inbox_dir, spool, &iopts, err, sizeof err);
        if (!inbox) {
            log_error ("inbox_refused", "dir=%s reason=\"%s\"", inbox_dir, err);
            rc = 1;
            goto done;
        }
    }
    /* no store of its own: healthy while the loop turns */
    daemon_store_up (daemon);
    log_info ("started", "intake=%s desk=%s port=%d inbox=%s spool=%s pending=%zu timezone=%s"
              " import_token=%s curve=%s", daemon_str (daemon, "intake"), addr,
              app.desk ? hotline_desk_port (app.desk) : 0, inbox_dir,
              daemon_str (daemon, "spool"), spool_count (spool), tz, *token ? "yes" : "no",
              curve_on (curve_default ()) ? "on" : "off");

    long scan_ms = daemon_long (daemon, "scan-ms");
    long keep_done_s = daemon_long (daemon, "keep-done-s");
    int64_t next_scan = 0, next_prune = zclock_mono () + 60000;
    hotline_inbox_stats_t seen = { 0 };
    spool_sender_kick (sender);
    while (!zsys_interrupted) {
        int64_t now = zclock_mono ();
        long timeout = 200;                             /* the desk's waits, MHD's timers */
        long t = intake_client_timeout (client);
        if (t >= 0 && t < timeout)
            timeout = t;
        t = spool_sender_timeout (sender);
        if (t < timeout)
            timeout = t;
        if (inbox && hotline_inbox_busy (inbox))
            timeout = 0;                                /* the next slice */
        else
        if (inbox && next_scan - now < timeout)
            timeout = next_scan > now ? (long) (next_scan - now) : 0;
        zmq_pollitem_t items [2] = {
            { zsock_resolve (intake_client_sock (client)), 0, ZMQ_POLLIN, 0 },
            { NULL, app.desk ? hotline_desk_fd (app.desk) : -1, ZMQ_POLLIN, 0 },
        };
        daemon_wait (daemon, timeout, items, app.desk ? 2 : 1);
        intake_client_handle (client);
        if (app.desk) {
            hotline_desk_run (app.desk);
            hotline_desk_tick (app.desk, zclock_time ());
        }
        if (spool_sender_timeout (sender) == 0)
            spool_sender_tick (sender);
        now = zclock_mono ();
        if (inbox && (hotline_inbox_busy (inbox) || now >= next_scan)) {
            long rows = hotline_inbox_step (inbox, zclock_time (), S_SLICE_MS);
            /* Rows of a file being read go out with the sender's own tick
             * (once a second) and all at once when the file is done: in
             * bursts, which intake and the services behind it write in big
             * batches; kicked at every slice they trickled in a few at a
             * time, and every stage paid a commit for each few (measured:
             * 200 rows/s against 730, tests/bench/hotline.sh). */
            if (rows > 0 && !hotline_inbox_busy (inbox))
                spool_sender_kick (sender);
            hotline_inbox_stats_t st = hotline_inbox_stats (inbox);
            metric_add_at (app.rows, (const char *[]) { "spooled" },
                           (double) (st.rows_spooled - seen.rows_spooled));
            metric_add_at (app.rows, (const char *[]) { "rejected" },
                           (double) (st.rows_rejected - seen.rows_rejected));
            metric_add_at (app.files, (const char *[]) { "done" },
                           (double) (st.files_done - seen.files_done));
            metric_add_at (app.files, (const char *[]) { "refused" },
                           (double) (st.files_refused - seen.files_refused));
            seen = st;
            if (!hotline_inbox_busy (inbox))
                next_scan = zclock_mono () + (rows > 0 ? 0 : scan_ms);
        }
        if (now >= next_prune) {
            spool_prune (spool, keep_done_s);
            next_prune = now + 60000;
        }
        daemon_pass_done (daemon);
    }
    log_info ("stopping", "reason=signal pending=%zu in_flight=%zu", spool_count (spool),
              spool_sender_in_flight (sender));
done:
    hotline_desk_destroy (&app.desk);
    spool_sender_destroy (&sender);
    intake_client_destroy (&client);
    hotline_inbox_destroy (&inbox);
    spool_destroy (&spool);
    sodium_memzero (token, sizeof token);
    daemon_destroy (&daemon);
    return rc;
}
