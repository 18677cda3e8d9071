/*  main.c — the SLA watchdog: the clock of every open case.
 *
 *  It knows each stage's deadline (acknowledge, first response, resolution,
 *  review), reminds before it (sla.reminder, 催办), records the breach
 *  (sla.breached) and escalates after it, tier by tier (sla.escalated, 督办),
 *  pauses while the bank waits for the customer, honours approved extensions
 *  (sla.extended) and records when a stage was met (sla.met). docs/watchdog.md
 *  tells the whole story; the rules are in sla_plan.c, the SQL in
 *  sla_store.c, the policy format in sla_policy.c.
 *
 *  How it works. The work is in PostgreSQL: every change to a case marks it
 *  sla_dirty in the same transaction (a trigger), and every clock with
 *  something left to fire has next_fire_at (a partial index). A tick
 *      1. recomputes dirty cases, a batch per transaction, until none is left;
 *      2. fires due clocks, a batch per transaction, until none is due;
 *      3. asks when the next timer is due, and sleeps until then (converted
 *         to real time by the store clock's scale), at most --sweep-ms.
 *  What wakes it early: an event on the bus (it SUBscribes to "complaint."),
 *  a NOTIFY on app_clock (the store's clock was shifted: tests), SIGHUP
 *  (reload), SIGINT/SIGTERM (finish the transaction in hand, exit 0).
 *  Several watchdogs share the work through SKIP LOCKED; none is special.
 *
 *  Reload. On start and on SIGHUP the policy and the calendars are loaded
 *  together; a bad file is refused with file:line and reason and the policy
 *  in force stays (at start: exit 2). After a load the extension rules are
 *  synced into sla_extension_rule (intake checks `extend` against them),
 *  retried before every tick until the store takes them.
 *
 *  `watchdog --selftest [--verbose]` runs the policy and plan self-tests
 *  (with the shipped policy and calendars) and prints "watchdog selftest:
 *  N passed, M failed".
 */
#include "sla_policy.h"
#include "sla_plan.h"
#include "sla_store.h"
#include "cfg.h"
#include "log.h"

#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WD_DEFAULT_POLICY    "deploy/sla/policy.conf"
#define WD_DEFAULT_CALENDARS "deploy/calendars"
#define WD_ENV_POLICY        "COMPLAINTS_SLA_POLICY"
#define WD_ENV_CALENDARS     "COMPLAINTS_CALENDARS"
#define WD_ENV_BATCH         "COMPLAINTS_WATCHDOG_BATCH"
#define WD_ENV_SWEEP_MS      "COMPLAINTS_WATCHDOG_SWEEP_MS"
#define WD_ENV_NAME          "COMPLAINTS_WATCHDOG_NAME"
#define WD_ENV_IDLE_MS       "COMPLAINTS_WATCHDOG_IDLE_TIMEOUT_MS"

static volatile sig_atomic_t s_reload_requested = 0;

static void
s_on_sighup (int signum)
{
    (void) signum;
    s_reload_requested = 1;
}

typedef struct {
    const char *policy_path, *calendars_dir;
    sla_policy_t *policy;
    bool sync_pending;
    sla_store_t *store;
    int batch;
    uint64_t fired_total;
} watchdog_t;

static void
s_log_refused (const conf_error_t *err, const char *keeping)
{
    char q [300];
    log_error ("policy_refused", "path=%s line=%d reason=%s keeping=%s", err->file, err->line,
               log_quote (q, sizeof q, err->reason), keeping);
}

static void
s_reload (watchdog_t *self)
{
    conf_error_t err;
    sla_policy_t *fresh = sla_policy_load (self->policy_path, self->calendars_dir, &err);
    if (!fresh) {
        s_log_refused (&err, "old");
        return;
    }
    sla_policy_destroy (&self->policy);
    self->policy = fresh;
    self->sync_pending = true;
    log_info ("policy_loaded", "%s policy=%s calendars_dir=%s", sla_policy_summary (fresh),
              self->policy_path, self->calendars_dir);
}

/* One tick: recompute until clean, fire until nothing is due. Returns the
 * real ms to sleep at most (-1: no timer pending), or -2 when the store
 * failed. */
static int64_t
s_tick (watchdog_t *self)
{
    if (self->sync_pending && sla_store_sync_rules (self->store, self->policy) == 0)
        self->sync_pending = false;
    int64_t started = zclock_mono ();
    int recomputed = 0, fired = 0, recorded = 0, n, e;
    do {
        n = sla_store_recompute (self->store, self->policy, self->batch, &e);
        if (n < 0) {
            //  Whatever held the recompute back (the store refusing a
            //  statement for one case of the batch), the due timers of every
            //  other case must still fire: firing only touches clean cases.
            //  The batch is tried again next tick; the store logged why.
            if (sla_store_recover (self->store))
                return -2;
            log_warn ("recompute_failed", "action=fire_anyway retry=next_tick");
            break;
        }
        recomputed += n;
        recorded += e;
    } while (n == self->batch && !zsys_interrupted);
    do {
        n = sla_store_fire (self->store, self->policy, self->batch, &e);
        if (n < 0)
            return -2;
        fired += e;
    } while (n == self->batch && !zsys_interrupted);
    int64_t wait_ms, due_left;
    if (sla_store_next (self->store, &wait_ms, &due_left))
        return -2;
    self->fired_total += (uint64_t) fired;
    //  fired = reminders, breaches and escalations (the timers); recorded =
    //  met and extended, written at recompute. Benchmarks parse this line.
    if (recomputed || fired || recorded)
        log_info ("tick", "recomputed=%d fired=%d recorded=%d elapsed_ms=%" PRId64
                  " due_left=%" PRId64, recomputed, fired, recorded, zclock_mono () - started,
                  due_left);
    //  Something still due (another watchdog holds it, or its case is being
    //  changed right now): look again soon rather than at the next timer.
    if (due_left > 0)
        return 50;
    return wait_ms;
}

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: watchdog [--pg CONNINFO] [--bus ENDPOINT] [--policy FILE] [--calendars DIR]\n"
        "                [--name NAME] [--batch N] [--sweep-ms N] [--idle-timeout-ms N] [--debug]\n"
        "       watchdog --selftest [--policy FILE] [--calendars DIR] [--verbose]\n"
        "  --pg         COMPLAINTS_PG                 PostgreSQL conninfo (\"\" = PG* vars)\n"
        "  --bus        COMPLAINTS_BUS_PUB_ENDPOINT   bus PUB to wake on (\"none\": timers only)\n"
        "  --policy     COMPLAINTS_SLA_POLICY         default " WD_DEFAULT_POLICY "\n"
        "  --calendars  COMPLAINTS_CALENDARS          default " WD_DEFAULT_CALENDARS "\n"
        "  --name       COMPLAINTS_WATCHDOG_NAME      instance name (sla_firing.fired_by),\n"
        "                                             default watchdog-PID\n"
        "  --batch      COMPLAINTS_WATCHDOG_BATCH     cases or clocks per transaction, default 500\n"
        "  --sweep-ms   COMPLAINTS_WATCHDOG_SWEEP_MS  longest sleep between ticks, default 1000\n"
        "  --idle-timeout-ms COMPLAINTS_WATCHDOG_IDLE_TIMEOUT_MS  the lease: the server ends a\n"
        "                                             transaction idle this long, default 30000\n");
}

int
main (int argc, char **argv)
{
    if (cfg_flag (argc, argv, "--help") || cfg_flag (argc, argv, "-h")) {
        s_usage ();
        return 0;
    }
    bool verbose = cfg_flag (argc, argv, "--verbose");
    const char *policy_path = cfg_str (argc, argv, "--policy", WD_ENV_POLICY, WD_DEFAULT_POLICY);
    const char *calendars_dir = cfg_str (argc, argv, "--calendars", WD_ENV_CALENDARS,
                                         WD_DEFAULT_CALENDARS);
    if (cfg_flag (argc, argv, "--selftest")) {
        int passed = 0;
        int failed = sla_policy_test (verbose, policy_path, calendars_dir, &passed);
        failed += sla_plan_test (verbose, calendars_dir, &passed);
        printf ("watchdog selftest: %d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
    }

    log_init ("watchdog");
    const char *debug_env = getenv ("COMPLAINTS_DEBUG");
    log_set_debug (verbose || cfg_flag (argc, argv, "--debug")
                   || (debug_env && atoi (debug_env) > 0));
    const char *conninfo = cfg_str (argc, argv, "--pg", CFG_ENV_PG, "");
    const char *bus = cfg_str (argc, argv, "--bus", CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT);
    long batch = cfg_long (argc, argv, "--batch", WD_ENV_BATCH, 500);
    long sweep_ms = cfg_long (argc, argv, "--sweep-ms", WD_ENV_SWEEP_MS, 1000);
    long idle_ms = cfg_long (argc, argv, "--idle-timeout-ms", WD_ENV_IDLE_MS, 30000);
    if (batch < 1 || batch > 10000 || sweep_ms < 10 || idle_ms < 1000) {
        fprintf (stderr, "watchdog: need 1 <= --batch <= 10000, --sweep-ms >= 10, "
                         "--idle-timeout-ms >= 1000\n");
        return 2;
    }
    char default_name [64];
    snprintf (default_name, sizeof default_name, "watchdog-%d", (int) getpid ());
    const char *name = cfg_str (argc, argv, "--name", WD_ENV_NAME, default_name);

    watchdog_t self = { .policy_path = policy_path, .calendars_dir = calendars_dir,
                        .batch = (int) batch, .sync_pending = true };
    conf_error_t err;
    self.policy = sla_policy_load (policy_path, calendars_dir, &err);
    if (!self.policy) {
        s_log_refused (&err, "none");
        return 2;
    }

    zsys_init ();
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_sighup;
    sigemptyset (&action.sa_mask);
    sigaction (SIGHUP, &action, NULL);

    log_info ("starting", "name=%s policy=%s calendars_dir=%s %s bus=%s batch=%ld sweep_ms=%ld "
              "idle_timeout_ms=%ld", name, policy_path, calendars_dir,
              sla_policy_summary (self.policy), bus, batch, sweep_ms, idle_ms);
    self.store = sla_store_new (conninfo, name, idle_ms);
    if (!self.store) {
        sla_policy_destroy (&self.policy);
        return 1;                       /* interrupted while connecting */
    }
    zsock_t *sub = NULL;
    if (*bus && strcmp (bus, "none") != 0) {
        sub = zsock_new (ZMQ_SUB);
        assert (sub);
        zsock_set_subscribe (sub, "complaint.");
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
        int64_t wait = s_tick (&self);
        if (wait == -2) {
            sla_store_recover (self.store);
            wait = sweep_ms;
        }
        if (wait < 0 || wait > sweep_ms)
            wait = sweep_ms;
        if (zsys_interrupted || s_reload_requested)
            continue;
        zmq_pollitem_t items [2];
        int nitems = 0;
        int fd = sla_store_socket (self.store);
        if (fd >= 0)
            items [nitems++] = (zmq_pollitem_t) { NULL, fd, ZMQ_POLLIN, 0 };
        if (sub)
            items [nitems++] = (zmq_pollitem_t) { zsock_resolve (sub), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (items, nitems, (long) wait) == -1) {
            if (errno == EINTR)
                continue;               /* a signal: the loop looks at the flags */
            log_error ("poll_failed", "error=\"%s\"", zmq_strerror (errno));
            zclock_sleep ((int) wait);
        }
        for (int i = 0; i < nitems; i++) {
            if (!(items [i].revents & ZMQ_POLLIN))
                continue;
            if (items [i].socket == NULL) {
                if (sla_store_take_notifies (self.store) < 0)
                    sla_store_recover (self.store);
                else
                    log_debug ("woken", "by=app_clock");
            }
            else {
                //  Drop every queued event: they all mean "look at the store".
                zmq_msg_t msg;
                zmq_msg_init (&msg);
                while (zmq_msg_recv (&msg, zsock_resolve (sub), ZMQ_DONTWAIT) >= 0)
                    ;
                zmq_msg_close (&msg);
            }
        }
    }
    log_info ("stopping", "name=%s fired_total=%" PRIu64, name, self.fired_total);
    zsock_destroy (&sub);
    sla_store_destroy (&self.store);
    sla_policy_destroy (&self.policy);
    return 0;
}
