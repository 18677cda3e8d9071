/*  main.c — the SLA watchdog: the clock of every open case.
 *
 *  It knows each stage's deadline (acknowledge, first response, solution,
 *  resolution, review, referral reply), reminds before it (sla.reminder, 催办), records the breach
 *  (sla.breached) and escalates after it, tier by tier (sla.escalated, 督办),
 *  pauses while the bank waits for the customer, honours approved extensions
 *  (sla.extended), records when a stage was met (sla.met) and gives a
 *  restarted period's new deadline (sla.restarted). docs/watchdog.md
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
 *  retried before every tick until the store takes them. A load also marks
 *  dirty the cases with an open clock counted on another content hash of
 *  its calendar than the one loaded (calendar_sync.c, issue 16 follow-up),
 *  so the next recompute counts them on the calendars now loaded and emits
 *  sla.deadline_moved where a deadline moved; a restart with nothing
 *  changed re-plans nothing.
 *
 *  Plumbing. Flags, signals, the wait and the metrics endpoint are the
 *  daemon skeleton's (common/daemon.c; `watchdog --help`). Metrics:
 *  firings by kind, cases recomputed, tick duration, reloads
 *  (docs/operations.md).
 *
 *  `watchdog --selftest [--verbose]` runs the policy and plan self-tests
 *  (with the shipped policy and calendars) and prints "watchdog selftest:
 *  N passed, M failed".
 */
#include "sla_policy.h"
#include "sla_plan.h"
#include "sla_store.h"
#include "task_watch.h"
#include "accountability_watch.h"
#include "callback_close.h"
#include "calendar_sync.h"
#include "cfg.h"
#include "daemon.h"
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

typedef struct {
    const char *policy_path, *calendars_dir;
    sla_policy_t *policy;
    bool sync_pending;
    bool provisional_pending;       /* calendars loaded: re-plan what changed */
    /* issue 16 follow-up (watchdog2): the loaded calendars' hashes */
    calendar_sync_t *calsync;
    sla_store_t *store;
    int batch;
    int settle_ms;                  /* a fresh 'received' case waits for its router */
    const char *name;               /* issue 16 (i16-tasks): task firings' fired_by */
    int task_pct;
    int64_t acc_sweep_ms, acc_grace_ms, acc_next;   /* accountability sweep (mono ms) */
    uint64_t fired_total, recorded_total, recomputed_total;
    callback_close_t *callback;     /* issue 16 (i16-followup); NULL: off */
} watchdog_t;

static void
s_log_refused (const conf_error_t *err, const char *keeping)
{
    char q [300];
    log_error ("policy_refused", "path=%s line=%d reason=%s keeping=%s", err->file, err->line,
               log_quote (q, sizeof q, err->reason), keeping);
}

static int
s_reload (void *arg)
{
    watchdog_t *self = (watchdog_t *) arg;
    conf_error_t err;
    sla_policy_t *fresh = sla_policy_load (self->policy_path, self->calendars_dir, &err);
    if (!fresh) {
        s_log_refused (&err, "old");
        return -1;
    }
    sla_policy_destroy (&self->policy);
    self->policy = fresh;
    self->sync_pending = true;
    self->provisional_pending = true;
    calendar_sync_t *old = self->calsync;
    self->calsync = calendar_sync_new (fresh);
    sla_store_set_calendar_sync (self->store, self->calsync);
    calendar_sync_destroy (&old);
    log_info ("policy_loaded", "%s policy=%s calendars_dir=%s", sla_policy_summary (fresh),
              self->policy_path, self->calendars_dir);
    return 0;
}

/* One tick: recompute until clean, fire until nothing is due. Returns the
 * real ms to sleep at most (-1: no timer pending), or -2 when the store
 * failed. */
static int64_t
s_tick (watchdog_t *self)
{
    if (self->sync_pending && sla_store_sync_rules (self->store, self->policy) == 0)
        self->sync_pending = false;
    //  The calendars were (re)loaded: a deadline counted on a calendar
    //  whose days changed may have moved (a notice replaced a provisional
    //  year's computed holidays): only those cases are re-planned.
    if (self->provisional_pending
    &&  calendar_sync_run (self->calsync, sla_store_session (self->store), self->name) >= 0)
        self->provisional_pending = false;
    int64_t started = zclock_mono ();
    int recomputed = 0, fired = 0, recorded = 0, n, e;
    do {
        n = sla_store_recompute (self->store, self->policy, self->batch, self->settle_ms, &e);
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
    /* issue 16 (i16-tasks): tasks' reminders and chases (task_watch.h) */
    pg_session_t *pg = sla_store_session (self->store);
    do {
        n = task_watch_fire (pg, self->name, self->batch, self->task_pct, &e);
        if (n < 0)
            return -2;
        fired += e;
    } while (n == self->batch && !zsys_interrupted);
    if (zclock_mono () >= self->acc_next) {
        n = accountability_watch_sweep (pg, self->name, self->batch, self->acc_grace_ms);
        if (n < 0)
            return -2;
        fired += n;
        self->acc_next = zclock_mono () + self->acc_sweep_ms;
    }
    //  issue 16 (i16-followup): the call-backs that ran out, closed by intake
    if (callback_close_run (self->callback, self->store) < 0)
        return -2;
    int64_t wait_ms, due_left, task_wait, task_due;
    if (sla_store_next (self->store, &wait_ms, &due_left)
    ||  task_watch_next (pg, &task_wait, &task_due))
        return -2;
    if (task_wait >= 0 && (wait_ms < 0 || task_wait < wait_ms))
        wait_ms = task_wait;
    due_left += task_due;
    self->fired_total += (uint64_t) fired;
    self->recorded_total += (uint64_t) recorded;
    self->recomputed_total += (uint64_t) recomputed;
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

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("bus", CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT, "ENDPOINT",
                "bus PUB to wake on (\"none\": timers and sweep only)"),
    DAEMON_STR ("policy", WD_ENV_POLICY, WD_DEFAULT_POLICY, "FILE", "the SLA policy"),
    DAEMON_STR ("calendars", WD_ENV_CALENDARS, WD_DEFAULT_CALENDARS, "DIR",
                "the calendars folder (NAME.conf each)"),
    DAEMON_STR ("name", WD_ENV_NAME, NULL, "NAME",
                "instance name (sla_firing.fired_by), default watchdog-PID"),
    DAEMON_LONG ("batch", WD_ENV_BATCH, 500, 1, 10000, "cases or clocks per transaction"),
    DAEMON_LONG ("coalesce-ms", "COMPLAINTS_WATCHDOG_COALESCE_MS", 100, 0, 10000,
                 "under a steady stream, one tick per this many ms (0: one per event)"),
    DAEMON_LONG ("sweep-ms", WD_ENV_SWEEP_MS, 1000, 10, 3600000, "longest sleep between ticks"),
    DAEMON_LONG ("task-remind-pct", "COMPLAINTS_WATCHDOG_TASK_REMIND_PCT", 75, 1, 99,
                 "a task's reminder (task.due_soon) at this % of its time (issue 16)"),
    DAEMON_LONG ("accountability-sweep-ms", "COMPLAINTS_WATCHDOG_ACCOUNTABILITY_SWEEP_MS", 60000,
                 100, 86400000, "how often the accountability triggers are looked for (issue 16)"),
    DAEMON_LONG ("hotspot-grace-h", "COMPLAINTS_WATCHDOG_HOTSPOT_GRACE_H", 240, 0, 87600,
                 "hours (store clock) a hot spot may stay without a rectification item"),
    DAEMON_LONG ("settle-ms", "COMPLAINTS_WATCHDOG_SETTLE_MS", 1000, 0, 600000,
                 "a case still received this recently waits for its assignment (0: none)"),
    DAEMON_LONG ("idle-timeout-ms", WD_ENV_IDLE_MS, 30000, 1000, 86400000,
                 "the lease: the server ends a transaction idle this long"),
    DAEMON_STR ("intake", CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT, "ENDPOINT",
                "intake, asked to close a case whose call-back ran out (\"none\": off)"),
    DAEMON_BOOL ("selftest", NULL, "run the policy and plan self-tests and exit"),
    DAEMON_BOOL ("verbose", NULL, "self-test details; debug log lines"),
    DAEMON_END
};

int
main (int argc, char **argv)
{
    daemon_t *daemon = daemon_new ("watchdog", s_opts,
        "watchdog --selftest [--policy FILE] [--calendars DIR] [--verbose]");
    int rc = daemon_parse (daemon, argc, argv);
    if (rc) {
        daemon_destroy (&daemon);
        return rc > 0 ? 0 : 2;
    }
    bool verbose = daemon_bool (daemon, "verbose");
    const char *policy_path = daemon_str (daemon, "policy");
    const char *calendars_dir = daemon_str (daemon, "calendars");
    if (daemon_bool (daemon, "selftest")) {
        int passed = 0;
        int failed = sla_policy_test (verbose, policy_path, calendars_dir, &passed);
        failed += sla_plan_test (verbose, calendars_dir, &passed);
        failed += calendar_sync_test (verbose, calendars_dir, &passed);     /* watchdog2 */
        printf ("watchdog selftest: %d passed, %d failed\n", passed, failed);
        daemon_destroy (&daemon);
        return failed ? 1 : 0;
    }

    const char *conninfo = daemon_str (daemon, "pg");
    const char *bus = daemon_str (daemon, "bus");
    long batch = daemon_long (daemon, "batch");
    daemon_set_coalesce_ms (daemon, daemon_long (daemon, "coalesce-ms"));
    long sweep_ms = daemon_long (daemon, "sweep-ms");
    long idle_ms = daemon_long (daemon, "idle-timeout-ms");
    char default_name [64];
    snprintf (default_name, sizeof default_name, "watchdog-%d", (int) getpid ());
    const char *name = daemon_str (daemon, "name");
    if (!name)
        name = default_name;

    watchdog_t self = { .policy_path = policy_path, .calendars_dir = calendars_dir,
                        .batch = (int) batch, .sync_pending = true,
                        .provisional_pending = true,
                        .settle_ms = (int) daemon_long (daemon, "settle-ms"),
                        .name = name,
                        .task_pct = (int) daemon_long (daemon, "task-remind-pct"),
                        .acc_sweep_ms = daemon_long (daemon, "accountability-sweep-ms"),
                        .acc_grace_ms = 3600000LL * daemon_long (daemon, "hotspot-grace-h") };
    conf_error_t err;
    self.policy = sla_policy_load (policy_path, calendars_dir, &err);
    if (!self.policy) {
        s_log_refused (&err, "none");
        daemon_destroy (&daemon);
        return 2;
    }
    metrics_t *reg = daemon_metrics (daemon);
    metric_t *m_firings = metrics_counter (reg, "complaints_watchdog_firings_total",
        "SLA events written, by kind (timer: reminders, breaches and escalations fired;"
        " recorded: stages met and extensions, written at recompute).", "kind");
    metric_t *m_recomputed = metrics_counter (reg, "complaints_watchdog_recomputed_total",
        "Changed cases whose clocks were recomputed.", NULL);
    metric_t *m_tick = metrics_histogram (reg, "complaints_watchdog_tick_seconds",
        "Duration of one tick (recompute until clean, fire until nothing is due).", NULL,
        metrics_latency_buckets, metrics_latency_nbuckets);
    daemon_on_reload (daemon, s_reload, &self);
    if (daemon_start (daemon)) {
        sla_policy_destroy (&self.policy);
        daemon_destroy (&daemon);
        return 1;
    }
    if (verbose)
        log_set_debug (true);
    daemon_set_stale_ms (daemon, 60000 + idle_ms);

    log_info ("starting", "name=%s policy=%s calendars_dir=%s %s bus=%s batch=%ld sweep_ms=%ld "
              "settle_ms=%d idle_timeout_ms=%ld", name, policy_path, calendars_dir,
              sla_policy_summary (self.policy), bus, batch, sweep_ms, self.settle_ms, idle_ms);
    self.store = sla_store_new (conninfo, name, idle_ms);
    if (!self.store) {
        sla_policy_destroy (&self.policy);
        daemon_destroy (&daemon);
        return 1;                       /* interrupted while connecting */
    }
    sla_store_task_setup (self.store, self.task_pct);          /* issue 16 (i16-tasks) */
    self.calsync = calendar_sync_new (self.policy);            /* issue 16 follow-up */
    sla_store_set_calendar_sync (self.store, self.calsync);
    daemon_store_up (daemon);
    if (daemon_bus_connect (daemon, bus, (const char *[]) { "complaint.", NULL })
        == DAEMON_BUS_REFUSED) {
        sla_store_destroy (&self.store);
        sla_policy_destroy (&self.policy);
        daemon_destroy (&daemon);
        return 2;                       /* plaintext off loopback, or no key: logged */
    }
    self.callback = callback_close_new (daemon_str (daemon, "intake"));
    log_info ("started", "name=%s", name);

    while (!zsys_interrupted) {
        uint64_t fired0 = self.fired_total, recorded0 = self.recorded_total,
                 recomputed0 = self.recomputed_total;
        int64_t t0 = zclock_usecs ();
        int64_t wait = s_tick (&self);
        double seconds = (double) (zclock_usecs () - t0) / 1e6;
        daemon_observe (daemon, "tick", seconds);
        if (wait == -2) {
            daemon_store_down (daemon, "a tick failed; reconnecting");
            sla_store_recover (self.store);
            wait = sweep_ms;
        }
        else {
            daemon_store_up (daemon);
            metric_observe (m_tick, seconds);
            metric_add_at (m_firings, (const char *[]) { "timer" },
                           (double) (self.fired_total - fired0));
            metric_add_at (m_firings, (const char *[]) { "recorded" },
                           (double) (self.recorded_total - recorded0));
            metric_add (m_recomputed, (double) (self.recomputed_total - recomputed0));
            daemon_pass_done (daemon);
        }
        if (wait < 0 || wait > sweep_ms)
            wait = sweep_ms;
        //  A case left to settle is taken at the latest one settle later,
        //  assigned or not, even with no event to wake on.
        if (self.settle_ms > 0 && wait > self.settle_ms)
            wait = self.settle_ms;
        if (zsys_interrupted)
            break;
        //  Wake on the bus (a case changed), a NOTIFY on app_clock (the
        //  store's clock moved), the next timer, SIGHUP or SIGTERM.
        zmq_pollitem_t items [1];
        int nitems = 0;
        int fd = sla_store_socket (self.store);
        if (fd >= 0)
            items [nitems++] = (zmq_pollitem_t) { NULL, fd, ZMQ_POLLIN, 0 };
        daemon_wait (daemon, (long) wait, items, nitems);
        if (nitems && (items [0].revents & ZMQ_POLLIN)) {
            if (sla_store_take_notifies (self.store) < 0)
                sla_store_recover (self.store);
            else
                log_debug ("woken", "by=app_clock");
        }
    }
    log_info ("stopping", "name=%s fired_total=%" PRIu64, name, self.fired_total);
    callback_close_destroy (&self.callback);
    sla_store_destroy (&self.store);
    calendar_sync_destroy (&self.calsync);
    sla_policy_destroy (&self.policy);
    daemon_destroy (&daemon);
    return 0;
}
