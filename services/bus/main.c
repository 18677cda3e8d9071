/*  main.c — the event bus daemon: election, then the drain/publish/replay
 *  loop (ARCHITECTURE.md invariant 4).
 *
 *  Life of a bus process:
 *
 *      connect ──► standby: SELECT pg_try_advisory_lock(BUS_LOCK_KEY) every 1 s
 *      (only if the    │ true
 *       link is gone)  │
 *                      ▼
 *                  elected: LISTEN outbox, read last_seq, bind PUB, start
 *                      │    the replay thread (its own session, binds replay)
 *                      ▼
 *                  serve: drain on NOTIFY or every --poll-ms, heartbeat
 *                         every second; replay answers on its own thread
 *                      │ connection lost / bind failed
 *                      ▼
 *                  close sockets, give the lock back, back to connect
 *
 *  Why a session-level advisory lock on the drain's own connection: the lock
 *  cannot outlive the connection. A bus killed with -9 loses its
 *  connection, PostgreSQL drops the lock, and a standby polling once a second
 *  is elected within about a second and binds the same endpoints. A bus that
 *  lost its connection has lost the lock too, but it also cannot write: every
 *  drain runs on that connection. So two buses never write event_log at once.
 *
 *  Connection: one pg_session for the life of the process (common/pg_session.c:
 *  timeouts, keepalives, reconnect with back-off, pg_connection_lost /
 *  _restored; no statement_timeout). A new connection holds no lock, so the
 *  session must never replace the connection in the middle of a term: it
 *  reconnects only in pg_session_recover, and the bus calls that only
 *  between terms, before it stands for election again. A term ends when
 *  its connection is lost (the lock went with it) or when the bus steps
 *  down on a live connection (bind failed, interrupted); then DISCARD ALL
 *  gives back everything the term took — the lock, the LISTEN, the prepared
 *  statements — and the next term starts as on a fresh connection. The
 *  session's on-connect step only routes libpq's notices into the log.
 *
 *  The publishing loop is one thread: daemon_wait over libpq's socket (a
 *  raw fd item), with a timeout that brings the next poll or heartbeat.
 *  Replay is another (replay.c): its own store session and ROUTER socket,
 *  started for each term and stopped at its end, so a replay client —
 *  however slow, however large its pages — never delays a drain or a
 *  heartbeat. The loop tells it the last committed seq after each drain.
 *
 *  Flags and variables: `bus --help` (declared in s_opts below; the
 *  skeleton, common/daemon.c, parses them and refuses unknown ones).
 *
 *  Metrics (--metrics-port): events published and replayed, batch sizes,
 *  how long rows waited in the outbox, active or standby, the store round
 *  trip of each drain and replay; docs/operations.md lists them.
 */
#include "cfg.h"
#include "curve.h"
#include "daemon.h"
#include "event.h"
#include "log.h"
#include "outbox_drain.h"
#include "pg_session.h"
#include "replay.h"

#include <czmq.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* The advisory lock that elects the active bus. Any fixed bigint works as
 * long as nothing else in the database uses it: "BUS1" in ASCII, 0x42555331. */
#define BUS_LOCK_KEY        "1112888113"

#define BUS_HEARTBEAT_MS    1000
#define BUS_ELECT_MS        1000
#define BUS_PUB_SNDHWM      100000
#define BUS_PUB_LINGER_MS   2000
#define BUS_JOIN_GRACE_MS   300             /* see s_serve */

typedef struct {
    const char *pg;
    const char *pub;
    const char *replay;
    const char *name;
    const char *replay_app;         /* the replay thread's application_name */
    int batch;
    int poll_ms;
    daemon_t *daemon;
    metric_t *m_active, *m_published, *m_batch, *m_lag, *m_last_seq;
    metric_t *m_replay_requests, *m_replayed;
} bus_cfg_t;

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("pub", CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT, "ENDPOINT", "PUB socket to bind"),
    DAEMON_STR ("replay", CFG_ENV_BUS_REPLAY, CFG_BUS_REPLAY_ENDPOINT, "ENDPOINT",
                "replay ROUTER socket to bind"),
    DAEMON_LONG ("batch", "COMPLAINTS_BUS_BATCH", 1000, 1, 100000,
                 "outbox rows per drain transaction"),
    DAEMON_LONG ("poll-ms", "COMPLAINTS_BUS_POLL_MS", 250, 1, 60000,
                 "fallback poll when no NOTIFY arrives"),
    DAEMON_STR ("name", "COMPLAINTS_BUS_NAME", NULL, "NAME", "instance name in logs (bus-PID)"),
    DAEMON_BOOL ("selftest", NULL, "run the self-tests and exit"),
    DAEMON_END
};

static void
s_metrics_declare (bus_cfg_t *cfg)
{
    metrics_t *m = daemon_metrics (cfg->daemon);
    cfg->m_active = metrics_gauge (m, "complaints_bus_active",
        "1 while this instance holds the lock and publishes, 0 while standby.", NULL);
    cfg->m_published = metrics_counter (m, "complaints_bus_events_published_total",
        "Events moved from the outbox into the event log and published.", NULL);
    cfg->m_batch = metrics_histogram (m, "complaints_bus_drain_batch_size",
        "Rows per non-empty drain transaction.", NULL, metrics_size_buckets,
        metrics_size_nbuckets);
    cfg->m_lag = metrics_gauge (m, "complaints_bus_outbox_lag_seconds",
        "How long the oldest row of the last drained batch waited in the outbox (0: empty).",
        NULL);
    cfg->m_last_seq = metrics_gauge (m, "complaints_bus_last_seq",
        "The last committed event seq.", NULL);
    cfg->m_replay_requests = metrics_counter (m, "complaints_bus_replay_requests_total",
        "Replay requests answered, by result (ok, failed: the store did not answer,"
        " refused: the key was revoked).",
        "result");
    cfg->m_replayed = metrics_counter (m, "complaints_bus_replayed_events_total",
        "Events sent in replay replies.", NULL);
}

/* Sleep ms, in slices, so SIGTERM is answered at once. */
static void
s_sleep (daemon_t *daemon, int ms)
{
    int64_t until = zclock_mono () + ms;
    while (!zsys_interrupted && zclock_mono () < until)
        zclock_sleep (50);
    daemon_alive (daemon);
}

/* Try for the lock once a second until we hold it. Returns 0 when elected,
 * -1 when the statement failed (pg_statement_failed says why) or we were
 * interrupted. */
static int
s_elect (pg_session_t *pg, const bus_cfg_t *cfg)
{
    const char *params [1] = { BUS_LOCK_KEY };
    bool said_standby = false;
    while (!zsys_interrupted) {
        PGresult *res = pg_session_exec (pg, "election", "SELECT pg_try_advisory_lock($1::bigint)",
                                         1, params, NULL, NULL, PGRES_TUPLES_OK);
        if (!res) {
            log_error ("election_failed", "instance=%s sqlstate=%s", cfg->name,
                       pg_session_last_sqlstate (pg));
            return -1;
        }
        bool held = strcmp (PQgetvalue (res, 0, 0), "t") == 0;
        PQclear (res);
        daemon_store_up (cfg->daemon);
        if (held)
            return 0;
        if (!said_standby)
            log_info ("standby", "instance=%s lock_key=%s", cfg->name, BUS_LOCK_KEY);
        said_standby = true;
        s_sleep (cfg->daemon, BUS_ELECT_MS);
    }
    return -1;
}

/* libpq prints server notices (and the FATAL of a terminated backend) on
 * stderr as free text; route them into the structured log instead. */
static void
s_notice (void *arg, const char *message)
{
    const bus_cfg_t *cfg = (const bus_cfg_t *) arg;
    char text [256], q [300];
    snprintf (text, sizeof text, "%s", message);
    text [strcspn (text, "\n")] = 0;
    log_warn ("pg_notice", "instance=%s message=%s", cfg->name, log_quote (q, sizeof q, text));
}

/* The session's on-connect step, on every new connection: the notice
 * processor belongs to the connection, not to the session. The lock and
 * the LISTEN are a term's, taken after election (s_elect, s_serve). */
static int
s_on_connect (pg_session_t *pg, void *arg)
{
    PQsetNoticeProcessor (pg_session_conn (pg), s_notice, arg);
    return 0;
}

static void
s_heartbeat (zsock_t *pub, uint64_t last_seq)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 1);
    proto_pack_kv_int (&pk, "at", zclock_time ());
    unsigned char seq_be [8];
    event_seq_put (seq_be, last_seq);
    void *sock = zsock_resolve (pub);
    zmq_send (sock, EVENT_HEARTBEAT_TOPIC, strlen (EVENT_HEARTBEAT_TOPIC), ZMQ_SNDMORE);
    zmq_send (sock, seq_be, 8, ZMQ_SNDMORE);
    zmq_send (sock, buf.data, buf.size, 0);
    msgpack_sbuffer_destroy (&buf);
}

/* Take every queued notification; true if there was any. */
static bool
s_take_notifies (PGconn *conn)
{
    bool any = false;
    PGnotify *notify;
    while ((notify = PQnotifies (conn))) {
        any = true;
        PQfreemem (notify);
    }
    return any;
}

/* CURVE (common/curve.h) on a socket the bus binds; 0 or -1, logged. */
static int
s_secure (zsock_t *sock, const char *endpoint)
{
    if (curve_server (curve_default (), sock, CURVE_BUS, endpoint) == 0)
        return 0;
    char q [600];
    log_error ("curve_refused", "endpoint=%s reason=%s", endpoint,
               log_quote (q, sizeof q, curve_error (curve_default ())));
    return -1;
}

static int
s_secure_check (const char *endpoint)
{
    zsock_t *probe = zsock_new (ZMQ_ROUTER);
    assert (probe);
    int rc = s_secure (probe, endpoint);
    zsock_destroy (&probe);
    return rc;
}

static zsock_t *
s_bind (int type, const char *endpoint, const char *what)
{
    zsock_t *sock = zsock_new (type);
    if (!sock)
        return NULL;
    if (s_secure (sock, endpoint)) {
        zsock_destroy (&sock);
        return NULL;
    }
    if (type == ZMQ_PUB) {
        zsock_set_sndhwm (sock, BUS_PUB_SNDHWM);
        zsock_set_linger (sock, BUS_PUB_LINGER_MS);
    }
    if (zsock_bind (sock, "%s", endpoint) == -1) {
        log_error ("bind_failed", "socket=%s endpoint=%s error=\"%s\"", what, endpoint,
                   zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

/*  Cut every subscription after a key was revoked (docs/security.md
 *  "Revocation"). A subscriber sends nothing the bus could refuse, and
 *  zauth checks a key only at the handshake, so a revoked analyst's live
 *  SUB would go on receiving events until it reconnected by itself.
 *  Unbinding the endpoint closes the connections accepted through it; the
 *  bind that follows lets every subscriber reconnect through zauth, which
 *  refuses the revoked key. What the others miss meanwhile (libzmq retries
 *  every 100 ms) they fetch from replay when the next event or heartbeat
 *  shows the gap (invariant 2): a revocation costs a moment, never an
 *  event. The listener closes on libzmq's I/O thread, so the bind is tried
 *  again until the port is free (a second at most); -1 if it never is,
 *  and the caller ends its term (the next one binds afresh). */
static int
s_pub_cut (zsock_t *pub, const char *endpoint)
{
    char *bound = zsock_last_endpoint (pub);
    int rc = zsock_unbind (pub, "%s", bound ? bound : endpoint);
    zstr_free (&bound);
    if (rc == -1) {
        log_error ("pub_cut_failed", "endpoint=%s step=unbind error=\"%s\"", endpoint,
                   zmq_strerror (zmq_errno ()));
        return -1;
    }
    for (int i = 0; i < 100; i++) {
        if (zsock_bind (pub, "%s", endpoint) != -1) {
            log_info ("pub_cut", "endpoint=%s reason=revoked_key tries=%d", endpoint, i + 1);
            return 0;
        }
        zclock_sleep (10);
    }
    log_error ("pub_cut_failed", "endpoint=%s step=bind error=\"%s\"", endpoint,
               zmq_strerror (zmq_errno ()));
    return -1;
}

/* The elected bus's loop. Returns when the connection is lost, a bind
 * failed, or we are interrupted; the caller then gives the lock back
 * (s_step_down). */
static void
s_serve (pg_session_t *pg, const bus_cfg_t *cfg)
{
    zsock_t *pub = NULL;
    outbox_drain_t *drain = NULL;
    replay_t *replay = NULL;
    PGconn *conn = pg_session_conn (pg);            /* this term's: see the top */

    if (pg_session_command (pg, "listen", "LISTEN outbox", 0, NULL))
        goto done;
    pub = s_bind (ZMQ_PUB, cfg->pub, "pub");
    drain = pub ? outbox_drain_new (pg, pub, cfg->batch) : NULL;
    if (drain) {
        replay_config_t rcfg = {
            .conninfo = cfg->pg, .application_name = cfg->replay_app, .endpoint = cfg->replay,
            .daemon = cfg->daemon, .requests = cfg->m_replay_requests, .events = cfg->m_replayed
        };
        replay = replay_new (&rcfg, outbox_drain_last_seq (drain));
    }
    if (!replay) {
        /* Most likely the old active bus still holds a port while it
         * notices its connection is gone: give the lock back and retry. */
        if (!zsys_interrupted)
            log_warn ("stepping_down", "instance=%s reason=bind_failed", cfg->name);
        goto done;
    }
    metric_set (cfg->m_active, 1);
    metric_set (cfg->m_last_seq, (double) outbox_drain_last_seq (drain));
    log_info ("elected", "instance=%s last_seq=%llu pub=%s replay=%s", cfg->name,
              (unsigned long long) outbox_drain_last_seq (drain), cfg->pub, cfg->replay);

    /* Subscribers of the bus that just died reconnect on their own (libzmq
     * retries every 100 ms by default). Waiting a moment before the first
     * drain lets them attach, so the backlog that built up during the
     * failover reaches them live instead of through replay. */
    int64_t now = zclock_mono ();
    int64_t started = now;
    int64_t next_poll = now + BUS_JOIN_GRACE_MS;
    int64_t next_heartbeat = now;
    int64_t stats_at = now;
    uint64_t stats_events = 0, stats_batches = 0;
    bool wake = false;
    while (!zsys_interrupted) {
        now = zclock_mono ();
        if (wake || now >= next_poll) {
            int64_t t0 = zclock_usecs ();
            int n = outbox_drain_once (drain);
            daemon_observe (cfg->daemon, "drain", (double) (zclock_usecs () - t0) / 1e6);
            if (n < 0 && !pg_session_healthy (pg))
                break;
            if (n >= 0) {
                daemon_store_up (cfg->daemon);
                daemon_pass_done (cfg->daemon);
                metric_set (cfg->m_lag, (double) outbox_drain_lag_ms (drain) / 1000.0);
            }
            if (n > 0) {
                replay_set_last_seq (replay, outbox_drain_last_seq (drain));
                metric_add (cfg->m_published, n);
                metric_observe (cfg->m_batch, n);
                metric_set (cfg->m_last_seq, (double) outbox_drain_last_seq (drain));
            }
            /* A full batch means more is waiting: go round at once, but
             * through the poll, so heartbeats and replay are not starved. */
            wake = n == cfg->batch;
            next_poll = now + cfg->poll_ms;
            if (n > 0) {
                stats_events += (uint64_t) n;
                stats_batches++;
            }
            /* Notifications that arrived while the drain ran may be for
             * commits its DELETE did not see: drain again. */
            if (s_take_notifies (conn))
                wake = true;
        }
        if (now >= next_heartbeat) {
            /* once a second: curve_allow_revoked looks at allow/bus/ at
             * most that often (a stat, a read only when it changed) */
            if (curve_allow_revoked (curve_default (), CURVE_BUS)
            &&  s_pub_cut (pub, cfg->pub))
                break;
            s_heartbeat (pub, outbox_drain_last_seq (drain));
            next_heartbeat = now + BUS_HEARTBEAT_MS;
        }
        if (now - stats_at >= 10000) {
            if (stats_events)
                log_info ("drained", "instance=%s events=%llu batches=%llu per_s=%.0f last_seq=%llu",
                          cfg->name, (unsigned long long) stats_events,
                          (unsigned long long) stats_batches,
                          stats_events * 1000.0 / (double) (now - stats_at),
                          (unsigned long long) outbox_drain_last_seq (drain));
            stats_at = now;
            stats_events = stats_batches = 0;
        }
        int fd = PQsocket (conn);
        if (fd < 0)
            break;
        int64_t until = next_poll < next_heartbeat ? next_poll : next_heartbeat;
        long timeout = wake ? 0 : (long) (until - now > 0 ? until - now : 0);
        zmq_pollitem_t items [1] = {
            { NULL, fd, ZMQ_POLLIN, 0 },
        };
        daemon_wait (cfg->daemon, timeout, items, 1);
        if (items [0].revents & ZMQ_POLLIN) {
            /* A terminated backend sends an error and closes: either
             * shows up here, and ends this term as the active bus. */
            if (!PQconsumeInput (conn) || !pg_session_healthy (pg))
                break;
            if (s_take_notifies (conn) && now >= started + BUS_JOIN_GRACE_MS)
                wake = true;
        }
    }
done:
    metric_set (cfg->m_active, 0);
    if (!zsys_interrupted && !pg_session_healthy (pg)) {
        daemon_store_down (cfg->daemon, "connection lost");
        char q [300];
        log_error ("connection_lost", "instance=%s error=%s", cfg->name,
                   log_quote (q, sizeof q, PQerrorMessage (conn)));
    }
    replay_destroy (&replay);                       /* the thread has stopped */
    outbox_drain_destroy (&drain);
    zsock_destroy (&pub);                           /* lingers to flush the tail */
}

/* After a term, on a connection that is still up: give back what the term
 * took. DISCARD ALL releases the session-level advisory lock, UNLISTENs and
 * deallocates the drain's prepared statements (so the next
 * term can prepare them again), and resets session settings to those of
 * the connection's start. If it fails, closing the connection releases all
 * of it just as surely. */
static void
s_step_down (pg_session_t *pg)
{
    if (pg_session_healthy (pg)) {
        pg_session_rollback (pg);
        if (pg_session_command (pg, "discard", "DISCARD ALL", 0, NULL))
            pg_session_drop (pg);
    }
}

int
main (int argc, char **argv)
{
    daemon_t *daemon = daemon_new ("bus", s_opts, "bus --selftest");
    int rc = daemon_parse (daemon, argc, argv);
    if (rc) {
        daemon_destroy (&daemon);
        return rc > 0 ? 0 : 2;
    }
    if (daemon_bool (daemon, "selftest")) {
        daemon_destroy (&daemon);
        outbox_drain_test (true);
        replay_test (true);
        return 0;
    }
    char default_name [64];
    snprintf (default_name, sizeof default_name, "bus-%d", (int) getpid ());
    const char *name = daemon_str (daemon, "name");
    bus_cfg_t cfg = {
        .pg      = daemon_str (daemon, "pg"),
        .pub     = daemon_str (daemon, "pub"),
        .replay  = daemon_str (daemon, "replay"),
        .name    = name ? name : default_name,
        .batch   = (int) daemon_long (daemon, "batch"),
        .poll_ms = (int) daemon_long (daemon, "poll-ms"),
        .daemon  = daemon,
    };
    s_metrics_declare (&cfg);
    if (daemon_start (daemon)) {
        daemon_destroy (&daemon);
        return 1;
    }
    /* Both endpoints are secured at every election (s_bind, replay_new);
     * checking them now makes a transport the operator did not mean, or a
     * missing key, stop the bus at start with the reason, not make a
     * standby that steps down forever. */
    if (s_secure_check (cfg.pub) || s_secure_check (cfg.replay)) {
        daemon_destroy (&daemon);
        return 2;
    }
    char app_name [96], replay_app [104];
    snprintf (app_name, sizeof app_name, "bus:%s", cfg.name);
    snprintf (replay_app, sizeof replay_app, "bus-replay:%s", cfg.name);
    cfg.replay_app = replay_app;
    log_info ("starting", "instance=%s batch=%d poll_ms=%d", cfg.name, cfg.batch, cfg.poll_ms);

    pg_session_t *pg = pg_session_new (cfg.pg, app_name, 0);
    if (pg && pg_session_on_connect (pg, s_on_connect, &cfg))
        pg_session_destroy (&pg);                   /* interrupted */
    while (pg && !zsys_interrupted) {
        /* A standby from here: reconnect (and say so) if the last term or
         * election lost the connection; otherwise nothing to do. */
        if (pg_session_recover (pg))
            break;                                  /* interrupted */
        daemon_store_up (daemon);
        if (s_elect (pg, &cfg) == 0) {
            s_serve (pg, &cfg);
            s_step_down (pg);
        }
        if (!zsys_interrupted) {
            if (!pg_session_healthy (pg))
                daemon_store_down (daemon, "reconnecting");
            s_sleep (daemon, BUS_ELECT_MS);
        }
    }
    pg_session_destroy (&pg);                       /* closes: releases the lock */
    log_info ("stopped", "instance=%s", cfg.name);
    daemon_destroy (&daemon);
    return 0;
}
