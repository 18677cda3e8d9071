/*  main.c — the analytics daemon: the event stream into KPIs, and a query
 *  endpoint that answers them.
 *
 *  How it works. Every instance binds its query ROUTER (--endpoint) and
 *  answers kpi, series and hotspots queries from the rollups
 *  (analytics_query.c) on its read side's thread (below).
 *  One instance at a time also consumes: the one holding the advisory lock
 *  (analytics_store_try_lock; the others try again every --lock-retry-ms,
 *  so a standby takes over within that when the consumer dies). The
 *  consumer reads the bus through the event client (common/event_stream.c:
 *  SUB + replay, strictly in seq order from the cursor), collects up to
 *  --batch events, and applies them in one transaction with the cursor's
 *  move (analytics_ingest.c, analytics_store.h). Killed anywhere, it
 *  restarts from the committed cursor: every event counted exactly once.
 *  The stream is the only input; nothing of another service's tables is
 *  read (event_log is the bus's: we ask the bus for it).
 *
 *  --rebuild waits for the lock, empties analytics' tables and sets the
 *  cursor to 0, then consumes from seq 1 through replay: the same events,
 *  the same rules, the same figures. --once exits 0 when the consumer has
 *  caught up with the log (for --rebuild in scripts and tests).
 *
 *  Hot spots (analytics_hotspot.c): the consumer judges the keys of each
 *  batch's received or assigned complaints in the batch's transaction
 *  (what a query sees applied is judged too), and sweeps the open keys
 *  every --hotspot-sweep-ms, every hot key too in a full sweep (at once
 *  when it becomes the consumer, after new rules, every tenth); each
 *  opened or cleared hot spot's state and event commit together. While a
 *  --rebuild replays, nothing is judged (the facts are partial); a sweep
 *  follows once it has caught up, and the hot spots' table survives the
 *  rebuild, so nothing is told twice.
 *
 *  SIGHUP reloads the targets file, the calendar it names and hotspots.conf
 *  (a bad file is refused with file:line, the old ones all stay); SIGINT/SIGTERM finish the
 *  batch in hand and exit 0. Flags, signals, the wait and /metrics are the
 *  daemon skeleton's (common/daemon.c; `analytics --help`). Metrics: events
 *  applied, batches, the cursor, lag behind the bus in events and the
 *  ingest lag in seconds (commit time of the event -> its batch committed),
 *  queries by result.
 *
 *  The read side runs on a thread of its own with its own store session
 *  (query_server.c): the query ROUTER (--endpoint), and the dashboard and
 *  the bulletin (docs/analytics.md "Dashboard") over HTTP on --http
 *  (127.0.0.1:5571 by default, `off` for none). A query or a page never
 *  waits behind a batch, and never touches this thread's session; each
 *  answered query comes back up the actor's pipe for the metrics. SIGHUP
 *  reloads its targets too, once this thread has accepted the new files.
 *
 *  `analytics --selftest [--verbose]` checks the fact rules, the targets
 *  file and, against the store, that migration 012's view has exactly the
 *  metrics of proto/analytics_request.c.
 */
#include "analytics_fact.h"
#include "analytics_hotspot.h"
#include "analytics_ingest.h"
#include "analytics_query.h"
#include "analytics_store.h"
#include "analytics_targets.h"
#include "cfg.h"
#include "daemon.h"
#include "query_server.h"
#include "event_stream.h"
#include "log.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

//  Sweeps between two full ones (with --hotspot-sweep-ms' default of a
//  minute: every ten minutes).
#define S_FULL_SWEEPS 10

typedef struct {
    const char *targets_path, *calendars_dir, *hotspots_path;
    analytics_targets_t *targets;
    hotspot_rules_t *hotspots;
    calendars_t *calendars;
    const calendar_t *calendar;
    zactor_t *reader;                   /* the read side: queries, the dashboard */
    bool rules_loaded;                  /* new rules: the next sweep is a full one */
} s_config_t;

static int
s_load (s_config_t *self)
{
    conf_error_t err;
    char q [300];
    analytics_targets_t *targets = NULL;
    calendars_t *calendars = NULL;
    const calendar_t *calendar = NULL;
    //  Once the read side's thread runs, the zone is fixed (a restart).
    analytics_targets_load_with_calendar (self->targets_path, self->calendars_dir,
                                          self->reader ? self->calendar : NULL, &targets,
                                          &calendars, &calendar, &err);
    //  The hot spot rules: refused like the targets, and a refusal of
    //  either keeps everything in force (one reload, all or nothing).
    hotspot_rules_t *hotspots = calendar ? hotspot_rules_load (self->hotspots_path, &err) : NULL;
    if (!hotspots) {
        log_error ("config_refused", "path=%s line=%d reason=%s", err.file, err.line,
                   log_quote (q, sizeof q, err.reason));
        analytics_targets_destroy (&targets);
        calendars_destroy (&calendars);
        return -1;
    }
    analytics_targets_destroy (&self->targets);
    calendars_destroy (&self->calendars);
    hotspot_rules_destroy (&self->hotspots);
    self->targets = targets;
    self->calendars = calendars;
    self->calendar = calendar;
    self->hotspots = hotspots;
    self->rules_loaded = true;
    log_info ("config_loaded", "targets=%s calendar=%s zone=%s hotspots=%s %s",
              self->targets_path, calendar_name (calendar), calendar_timezone (calendar),
              self->hotspots_path, hotspot_rules_summary (hotspots));
    return 0;
}

static int
s_reload (void *arg)
{
    s_config_t *config = (s_config_t *) arg;
    int rc = s_load (config);
    if (rc == 0)
        query_server_reload (config->reader);
    return rc;
}

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("endpoint", CFG_ENV_ANALYTICS, CFG_ANALYTICS_ENDPOINT, "ENDPOINT",
                "the query ROUTER to bind"),
    DAEMON_STR ("bus", CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT, "ENDPOINT", "bus PUB"),
    DAEMON_STR ("replay", CFG_ENV_BUS_REPLAY, CFG_BUS_REPLAY_ENDPOINT, "ENDPOINT",
                "bus replay ROUTER"),
    DAEMON_STR ("targets", "COMPLAINTS_ANALYTICS_TARGETS", "deploy/analytics/targets.conf",
                "FILE", "KPI targets and the bank's calendar"),
    DAEMON_STR ("hotspots", "COMPLAINTS_ANALYTICS_HOTSPOTS", "deploy/analytics/hotspots.conf",
                "FILE", "what a hot spot is (rules)"),
    DAEMON_STR ("calendars", "COMPLAINTS_CALENDARS", "deploy/calendars", "DIR",
                "the calendars folder (NAME.conf each)"),
    DAEMON_STR ("name", "COMPLAINTS_ANALYTICS_NAME", NULL, "NAME",
                "instance name (logs, application_name), default analytics-PID"),
    DAEMON_LONG ("batch", "COMPLAINTS_ANALYTICS_BATCH", 2000, 1, 100000,
                 "events per transaction at most"),
    DAEMON_LONG ("replay-timeout-ms", "COMPLAINTS_ANALYTICS_REPLAY_TIMEOUT_MS", 3000, 100,
                 600000, "per replay request to the bus"),
    DAEMON_LONG ("lock-retry-ms", "COMPLAINTS_ANALYTICS_LOCK_RETRY_MS", 1000, 50, 600000,
                 "a standby tries for the consumer's lock this often"),
    DAEMON_LONG ("coalesce-ms", "COMPLAINTS_ANALYTICS_COALESCE_MS", 200, 0, 10000,
                 "after a batch short of --batch, gather events this long before the next"),
    DAEMON_LONG ("hotspot-sweep-ms", "COMPLAINTS_ANALYTICS_HOTSPOT_SWEEP_MS", 60000, 50,
                 86400000, "judge every open or hot key this often (counts age out)"),
    DAEMON_STR ("http", CFG_ENV_ANALYTICS_HTTP, CFG_ANALYTICS_HTTP, "ADDR",
                "the dashboard's HTTP address (IPv4:PORT), or off"),
    DAEMON_LONG ("min-cell", "COMPLAINTS_REPORT_MIN_CELL", 5, 1, 1000000,
                 "the bulletin shows no count below this (\"<K\")"),
    DAEMON_LONG ("http-connections", "COMPLAINTS_ANALYTICS_HTTP_CONNECTIONS", 32, 1, 1000,
                 "HTTP connections at once"),
    DAEMON_LONG ("http-timeout", "COMPLAINTS_ANALYTICS_HTTP_TIMEOUT", 10, 1, 600,
                 "seconds: an idle HTTP connection, and each statement of a page"),
    DAEMON_BOOL ("rebuild", NULL, "empty analytics' tables and recompute from seq 1"),
    DAEMON_BOOL ("once", NULL, "exit 0 once the consumer has caught up with the log"),
    DAEMON_BOOL ("selftest", NULL, "run the self-tests and exit"),
    DAEMON_BOOL ("verbose", NULL, "self-test details; debug log lines"),
    DAEMON_END
};

static int
s_selftest (daemon_t *daemon, s_config_t *config, bool verbose)
{
    int passed = 0;
    int failed = analytics_fact_test (verbose, config->calendars_dir, &passed);
    failed += analytics_targets_test (verbose, config->targets_path, &passed);
    failed += analytics_query_test (verbose, &passed);
    analytics_store_t *store = analytics_store_new (daemon_str (daemon, "pg"), "selftest");
    if (store && analytics_store_check_view (store) == 0) {
        passed++;
        if (verbose)
            printf (" * the view's metrics are analytics_metrics: OK\n");
    }
    else {
        failed++;
        printf (" * the view's metrics are analytics_metrics: FAILED\n");
    }
    analytics_store_destroy (&store);
    printf ("analytics selftest: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/*  The sweep: the open keys of every rule judged again (and, full, every
 *  key over a rule's threshold), in a transaction of its own. A failure is
 *  logged and left to the next sweep. */
static void
s_sweep (analytics_store_t *store, s_config_t *config, bool full, metric_t *m_hotspots,
         daemon_t *daemon)
{
    int told = 0;
    int64_t t0 = zclock_usecs ();
    if (analytics_hotspot_judge (store, config->hotspots, config->calendar, NULL, full,
                                 &told) == 0) {
        metric_add (m_hotspots, told);
        log_info ("hotspot_sweep", "full=%s told=%d ms=%.1f", full ? "yes" : "no", told,
                  (double) (zclock_usecs () - t0) / 1e3);
    }
    else {
        daemon_store_down (daemon, "a hot spot pass failed; reconnecting");
        analytics_store_recover (store);
    }
    daemon_observe (daemon, "hotspots", (double) (zclock_usecs () - t0) / 1e6);
}

typedef struct {
    s_config_t *config;
    daemon_t *daemon;
    int told;                       /* the batch's events, counted once it commits */
} s_batch_judge_t;

/*  A batch's complaints judged inside the batch's transaction
 *  (analytics_ingest_commit): a failure rolls the batch back, and it is
 *  applied and judged again, together. */
static int
s_judge_batch (analytics_store_t *store, const char *nos, void *arg)
{
    s_batch_judge_t *judge = (s_batch_judge_t *) arg;
    int64_t t0 = zclock_usecs ();
    int rc = analytics_hotspot_pass (store, judge->config->hotspots, judge->config->calendar,
                                     nos, false, &judge->told);
    daemon_observe (judge->daemon, "hotspots", (double) (zclock_usecs () - t0) / 1e6);
    return rc;
}

/*  What the read side said up its pipe: ["QUERY", result, microseconds]
 *  per query answered (query_server.c), for this thread's metrics. */
static void
s_read_side (zactor_t *reader, metric_t *m_queries, daemon_t *daemon)
{
    while (zsock_events (reader) & ZMQ_POLLIN) {
        char *what = NULL, *result = NULL, *usecs = NULL;
        if (zstr_recvx (reader, &what, &result, &usecs, NULL) < 0)
            return;
        if (what && streq (what, "QUERY") && result && usecs) {
            metric_add_at (m_queries, (const char *[]) { result }, 1);
            daemon_observe (daemon, "query", atof (usecs) / 1e6);
        }
        zstr_free (&what);
        zstr_free (&result);
        zstr_free (&usecs);
    }
}

int
main (int argc, char **argv)
{
    daemon_t *daemon = daemon_new ("analytics", s_opts,
        "analytics --selftest [--targets FILE] [--calendars DIR] [--verbose]\n"
        "       analytics --rebuild [--once] [OPTIONS]");
    int rc = daemon_parse (daemon, argc, argv);
    if (rc) {
        daemon_destroy (&daemon);
        return rc > 0 ? 0 : 2;
    }
    bool verbose = daemon_bool (daemon, "verbose");
    s_config_t config = { .targets_path = daemon_str (daemon, "targets"),
                          .calendars_dir = daemon_str (daemon, "calendars"),
                          .hotspots_path = daemon_str (daemon, "hotspots") };
    if (daemon_bool (daemon, "selftest")) {
        rc = s_selftest (daemon, &config, verbose);
        daemon_destroy (&daemon);
        return rc;
    }
    struct sockaddr_in http_addr;
    int http_off = query_server_address (daemon_str (daemon, "http"), &http_addr);
    if (http_off < 0) {
        fprintf (stderr, "analytics: --http must be IPv4:PORT (127.0.0.1:5571) or off, "
                 "not \"%s\"\n", daemon_str (daemon, "http"));
        daemon_destroy (&daemon);
        return 2;
    }
    if (s_load (&config)) {
        daemon_destroy (&daemon);
        return 2;
    }
    char default_name [64];
    snprintf (default_name, sizeof default_name, "analytics-%d", (int) getpid ());
    const char *name = daemon_str (daemon, "name") ? daemon_str (daemon, "name") : default_name;
    const char *endpoint = daemon_str (daemon, "endpoint");
    long batch = daemon_long (daemon, "batch");
    long retry_ms = daemon_long (daemon, "lock-retry-ms");
    bool rebuild = daemon_bool (daemon, "rebuild"), once = daemon_bool (daemon, "once");

    metrics_t *reg = daemon_metrics (daemon);
    metric_t *m_events = metrics_counter (reg, "complaints_analytics_events_total",
        "Events applied (every type; each counted once, at its batch's commit).", NULL);
    metric_t *m_batches = metrics_histogram (reg, "complaints_analytics_batch_events",
        "Events per batch transaction.", NULL, metrics_size_buckets, metrics_size_nbuckets);
    metric_t *m_cursor = metrics_gauge (reg, "complaints_analytics_cursor_seq",
        "The last event seq applied (analytics_cursor.last_seq).", NULL);
    metric_t *m_lag = metrics_gauge (reg, "complaints_analytics_lag_events",
        "Events the bus announced past the cursor.", NULL);
    metric_t *m_ingest_lag = metrics_histogram (reg, "complaints_analytics_ingest_lag_seconds",
        "From an event's commit on the bus to its batch's commit here (the last event of "
        "each batch).", NULL, metrics_latency_buckets, metrics_latency_nbuckets);
    metric_t *m_consumer = metrics_gauge (reg, "complaints_analytics_consumer",
        "1 while this instance holds the consumer's lock.", NULL);
    metric_t *m_queries = metrics_counter (reg, "complaints_analytics_queries_total",
        "Queries answered, by result (ok or the error code).", "result");
    metric_t *m_hotspots = metrics_counter (reg, "complaints_analytics_hotspot_events_total",
        "analytics.hotspot and analytics.hotspot_cleared events appended to the outbox.", NULL);
    daemon_on_reload (daemon, s_reload, &config);
    if (daemon_start (daemon)) {
        analytics_targets_destroy (&config.targets);
        calendars_destroy (&config.calendars);
        daemon_destroy (&daemon);
        return 1;
    }
    if (verbose)
        log_set_debug (true);

    log_info ("starting", "name=%s endpoint=%s batch=%ld rebuild=%d once=%d", name, endpoint,
              batch, rebuild, once);
    //  The read side: the query ROUTER, and the dashboard unless --http off
    //  (or --once: a rebuild in a script serves no pages), on a thread of
    //  their own. Set the process's zone on this thread before the actor
    //  exists (calendar.c's TZ): from then on both threads only read it.
    calendar_local_days (config.calendar, 0);
    query_server_config_t reader = {
        .endpoint = endpoint,
        .address = http_off == 0 && !once ? daemon_str (daemon, "http") : NULL,
        .conninfo = daemon_str (daemon, "pg"),
        .name = name, .targets_path = config.targets_path,
        .calendars_dir = config.calendars_dir,
        .min_cell = (int) daemon_long (daemon, "min-cell"),
        .connections = (int) daemon_long (daemon, "http-connections"),
        .timeout_s = (int) daemon_long (daemon, "http-timeout") };
    config.reader = query_server_new (&reader);
    if (!config.reader) {
        analytics_targets_destroy (&config.targets);
        calendars_destroy (&config.calendars);
        hotspot_rules_destroy (&config.hotspots);
        daemon_destroy (&daemon);
        return 1;
    }
    analytics_store_t *store = analytics_store_new (daemon_str (daemon, "pg"), name);
    analytics_ingest_t *ingest = analytics_ingest_new ();
    event_stream_t *stream = NULL;
    int64_t cursor = 0, next_try = 0, next_sweep = 0;
    int next_full_sweep = 0;            /* sweeps until a full one */
    long sweep_ms = daemon_long (daemon, "hotspot-sweep-ms");
    //  A batch's fixed cost (its statements, the hot-spot judging of its
    //  keys) is paid per batch: under a steady trickle, one batch per event
    //  cost more than the events (bench-pipeline at 300/s: analytics the
    //  dearest stage). After a batch short of --batch the next one waits
    //  --coalesce-ms, gathering what came meanwhile; a full batch goes on at
    //  once, so a backlog is drained at full speed.
    long coalesce_ms = daemon_long (daemon, "coalesce-ms");
    int64_t ripe_at = 0;
    //  While a rebuild replays from seq 1 the facts are partial: a judge
    //  would see an open hot spot's count low and clear it. So hot spots
    //  are judged only once the rebuild has caught up (a full sweep then).
    bool judging = !rebuild;
    rc = 0;
    if (store)
        daemon_store_up (daemon);

    while (store && !zsys_interrupted) {
        //  Stand for consumer (again after a reconnect: the lock went with
        //  the old connection).
        if (stream && !analytics_store_has_lock (store)) {
            log_warn ("consumer_lost", "reason=\"store connection lost\"");
            event_stream_destroy (&stream);
            metric_set (m_consumer, 0);
        }
        if (!stream && zclock_mono () >= next_try) {
            next_try = zclock_mono () + retry_ms;
            int got = analytics_store_try_lock (store);
            if (got == 1 && rebuild) {
                if (analytics_store_reset (store) == 0) {
                    log_info ("rebuild", "tables=emptied cursor=0");
                    rebuild = false;
                }
                else
                    got = -1;
            }
            if (got == 1 && analytics_store_cursor (store, &cursor) == 0) {
                stream = event_stream_new (daemon_str (daemon, "bus"),
                                           daemon_str (daemon, "replay"),
                                           (int) daemon_long (daemon, "replay-timeout-ms"), 0);
                if (!stream) {
                    rc = 2;
                    break;
                }
                event_stream_start_after (stream, (uint64_t) cursor);
                next_sweep = 0;             /* a new consumer sweeps at once, */
                next_full_sweep = 0;        /* a full sweep */
                metric_set (m_consumer, 1);
                metric_set (m_cursor, (double) cursor);
                log_info ("consuming", "after_seq=%" PRId64, cursor);
            }
            else
            if (got < 0) {
                daemon_store_down (daemon, "the store failed; reconnecting");
                analytics_store_recover (store);
            }
        }
        //  Ingest one batch.
        bool full = false;
        bool ripe = zclock_mono () >= ripe_at;
        if (stream && ripe) {
            event_stream_event_t ev;
            int got = 0;
            while (analytics_ingest_count (ingest) < (size_t) batch
                   && (got = event_stream_next (stream, 0, &ev)) == 1)
                analytics_ingest_add (ingest, &ev);
            if (got < 0)
                log_warn ("stream_failed", "reason=\"%s\"", event_stream_error (stream));
            size_t n = analytics_ingest_count (ingest);
            full = n >= (size_t) batch;
            if (n > 0 && !full)
                ripe_at = zclock_mono () + coalesce_ms;
            if (n > 0) {
                uint64_t last = analytics_ingest_last_seq (ingest);
                int64_t last_at = analytics_ingest_last_at (ingest);
                int64_t t0 = zclock_usecs ();
                s_batch_judge_t judge = { &config, daemon, 0 };
                int committed = analytics_ingest_commit (ingest, store, config.calendar, cursor,
                                                         judging ? s_judge_batch : NULL, &judge);
                daemon_observe (daemon, "batch", (double) (zclock_usecs () - t0) / 1e6);
                if (committed == 0) {
                    cursor = (int64_t) last;
                    metric_add (m_hotspots, judge.told);
                    metric_add (m_events, (double) n);
                    metric_observe (m_batches, (double) n);
                    metric_set (m_cursor, (double) cursor);
                    if (last_at > 0)
                        metric_observe (m_ingest_lag, (double) (zclock_time () - last_at) / 1e3);
                    daemon_store_up (daemon);
                    log_debug ("batch", "events=%zu last_seq=%" PRId64, n, cursor);
                }
                else {
                    //  Nothing of the batch stands: start again from what
                    //  the store says was applied.
                    if (committed < 0) {
                        daemon_store_down (daemon, "a batch failed; reconnecting");
                        analytics_store_recover (store);
                    }
                    if (analytics_store_cursor (store, &cursor) == 0)
                        event_stream_start_after (stream, (uint64_t) cursor);
                    full = false;
                }
            }
            uint64_t head = event_stream_head (stream);
            metric_set (m_lag, head > (uint64_t) cursor ? (double) (head - (uint64_t) cursor) : 0);
            bool caught_up = n == 0 && got == 0 && event_stream_caught_up (stream);
            if (caught_up && !judging) {
                judging = true;
                next_sweep = 0;
                next_full_sweep = 0;
            }
            if (judging && zclock_mono () >= next_sweep) {
                next_sweep = zclock_mono () + sweep_ms;
                //  A full sweep (analytics_hotspot.c s_window_sql says
                //  why the others need not look for new hot keys) when the
                //  batches may not have judged every complaint: a new
                //  consumer, a rebuild caught up, new rules; and every
                //  S_FULL_SWEEPS sweeps, should a test or an operator
                //  have moved the store's clock.
                bool whole = next_full_sweep == 0 || config.rules_loaded;
                next_full_sweep = whole ? S_FULL_SWEEPS : next_full_sweep - 1;
                config.rules_loaded = false;
                s_sweep (store, &config, whole, m_hotspots, daemon);
            }
            if (once && caught_up) {
                log_info ("caught_up", "last_seq=%" PRId64, cursor);
                break;
            }
        }
        s_read_side (config.reader, m_queries, daemon);
        daemon_pass_done (daemon);
        if (full)
            continue;                   /* more is waiting: no sleep */
        zmq_pollitem_t items [2];
        int nitems = 0;
        items [nitems++] = (zmq_pollitem_t) { zsock_resolve (config.reader), 0, ZMQ_POLLIN, 0 };
        if (stream && ripe)
            items [nitems++] = (zmq_pollitem_t) { zsock_resolve (event_stream_socket (stream)),
                                                  0, ZMQ_POLLIN, 0 };
        long wait_ms = stream ? 1000 : retry_ms;
        if (stream && !ripe)
            wait_ms = (long) (ripe_at - zclock_mono ());
        daemon_wait (daemon, wait_ms, items, nitems);
    }
    log_info ("stopping", "name=%s cursor=%" PRId64, name, cursor);
    zactor_destroy (&config.reader);
    event_stream_destroy (&stream);
    analytics_ingest_destroy (&ingest);
    analytics_store_destroy (&store);
    analytics_targets_destroy (&config.targets);
    calendars_destroy (&config.calendars);
    hotspot_rules_destroy (&config.hotspots);
    daemon_destroy (&daemon);
    return rc;
}
