/*  pg_session.c — one PostgreSQL session of a service (see pg_session.h).
 *
 *  Connecting. libpq's defaults wait as long as the kernel does: a server
 *  that vanished without a FIN (a pulled cable, a killed VM, a firewall
 *  that drops state) leaves a connect() hanging for minutes and a query
 *  waiting for an answer that never comes. Every session therefore asks for
 *  connect_timeout=5, TCP keepalives (idle 30 s, every 10 s, 3 probes) and
 *  tcp_user_timeout=30000 ms, so a dead peer is noticed within about a
 *  minute whatever the daemon is doing; on a Unix socket libpq ignores
 *  them. A statement_timeout, when the service gives one, goes in the
 *  startup packet (options=-c statement_timeout=N), so it holds from the
 *  first statement and after every reconnect. So do jit=off and
 *  max_parallel_workers_per_gather=0: every statement of these daemons is
 *  short, but a set-based one (unnest of a batch's arrays) is often
 *  estimated above jit_above_cost or the parallel thresholds, and compiling
 *  it with LLVM, or starting workers for it, took longer than running it —
 *  measured under the pipeline benchmark, 28 % of the notifier's
 *  PostgreSQL CPU was LLVM (docs/BENCHMARKS.md). An operator who wants
 *  either sets it in PGOPTIONS. Our settings come before the
 *  caller's conninfo in the keyword list, so anything the operator writes
 *  in the conninfo wins (libpq keeps the last value of a repeated keyword);
 *  PGCONNECT_TIMEOUT and PGOPTIONS are respected too.
 *
 *  Retrying. A daemon started before PostgreSQL, or whose server restarts,
 *  waits: 100 ms doubling to 2 s between attempts, until connected or
 *  interrupted (SIGTERM). One pg_connect_failed line for the first failure,
 *  then one every attempt at the 2 s cap, so an outage does not flood the log.
 *
 *  Recovering. After a failed statement the caller asks pg_session_recover.
 *  A usable connection only needs its open transaction rolled back. A
 *  broken one is reported once (pg_connection_lost), replaced, prepared
 *  again by the service's on-connect callback (PREPARE, LISTEN, a cursor
 *  row), and reported back (pg_connection_restored with the outage's
 *  length). When the callback fails (the schema is not migrated yet, say),
 *  the connection is dropped and the whole step retried after the back-off.
 *
 *  Failing statements are logged with their SQLSTATE and primary message
 *  only: a DETAIL line can quote a whole row, and rows hold personal data.
 */
#include "pg_session.h"
#include "log.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define S_DELAY_MIN_MS  100
#define S_DELAY_MAX_MS  2000
#define S_MAX_PREPARED  128             /* statements kept prepared per connection */

struct _pg_session_t {
    char *conninfo, *application_name;
    int statement_timeout_ms;
    PGconn *conn;
    pg_session_fn *on_connect;
    void *on_connect_arg;
    char last_sqlstate [6];             /* five characters, "" after a success */
    zhashx_t *prepared;                 /* SQL text -> name, on this connection */
    uint64_t prepared_seq;
    bool deallocate;                    /* DEALLOCATE ALL before the next statement */
    int64_t lost_at;                    /* pg_session_try_recover: when the link went, 0 up */
    int64_t retry_at;                   /* ... no attempt before this (zclock_mono) */
    int retry_delay_ms;                 /* ... the back-off, 100 ms doubling to 2 s */
    bool never_connected;               /* pg_session_new_deferred, until the first connect */
};

//  The keyword list for PQconnectdbParams (expand_dbname = 1): our
//  settings first, the caller's conninfo (as dbname, expanded) last.
//  options must hold 128 bytes + strlen (PGOPTIONS). Returns the count.
#define S_MAX_KEYS 12
static int
s_params (const char *conninfo, const char *application_name, int statement_timeout_ms,
          const char **keys, const char **vals, char *options, size_t options_size)
{
    int n = 0;
    if (!getenv ("PGCONNECT_TIMEOUT")) {
        keys [n] = "connect_timeout"; vals [n++] = "5";
    }
    keys [n] = "keepalives";          vals [n++] = "1";
    keys [n] = "keepalives_idle";     vals [n++] = "30";
    keys [n] = "keepalives_interval"; vals [n++] = "10";
    keys [n] = "keepalives_count";    vals [n++] = "3";
    keys [n] = "tcp_user_timeout";    vals [n++] = "30000";
    //  JIT and parallel query off first, so PGOPTIONS may turn them on
    //  again; the statement_timeout after PGOPTIONS, so the service's holds.
    const char *env = getenv ("PGOPTIONS");
    int used = snprintf (options, options_size,
                         "-c jit=off -c max_parallel_workers_per_gather=0%s%s",
                         env && *env ? " " : "", env ? env : "");
    if (statement_timeout_ms > 0 && used > 0 && (size_t) used < options_size)
        snprintf (options + used, options_size - (size_t) used, " -c statement_timeout=%d",
                  statement_timeout_ms);
    keys [n] = "options"; vals [n++] = options;
    keys [n] = "fallback_application_name"; vals [n++] = application_name;
    keys [n] = "dbname"; vals [n++] = conninfo ? conninfo : "";
    keys [n] = NULL; vals [n] = NULL;
    return n;
}

PGconn *
pg_session_connect (const char *conninfo, const char *application_name,
                    int statement_timeout_ms)
{
    const char *keys [S_MAX_KEYS], *vals [S_MAX_KEYS];
    const char *env = getenv ("PGOPTIONS");
    size_t options_size = 128 + (env ? strlen (env) : 0);
    char *options = malloc (options_size);
    assert (options);
    s_params (conninfo, application_name, statement_timeout_ms, keys, vals,
              options, options_size);
    int delay_ms = S_DELAY_MIN_MS;
    bool logged = false;
    PGconn *result = NULL;
    while (!zsys_interrupted) {
        PGconn *conn = PQconnectdbParams (keys, vals, 1);
        if (conn && PQstatus (conn) == CONNECTION_OK) {
            if (logged)
                log_info ("pg_connected", "after=retry");
            result = conn;
            break;
        }
        char why [256];
        snprintf (why, sizeof why, "%s", conn ? PQerrorMessage (conn) : "out of memory");
        why [strcspn (why, "\n")] = 0;
        char q [300];
        if (!logged || delay_ms >= S_DELAY_MAX_MS)
            log_warn ("pg_connect_failed", "retry_ms=%d error=%s", delay_ms,
                      log_quote (q, sizeof q, why));
        logged = true;
        PQfinish (conn);
        zclock_sleep (delay_ms);
        delay_ms = delay_ms * 2 > S_DELAY_MAX_MS ? S_DELAY_MAX_MS : delay_ms * 2;
    }
    free (options);
    return result;
}

const char *
pg_sqlstate (const PGresult *res)
{
    const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
    return state ? state : "";
}

bool
pg_conninfo_has_password (const char *conninfo)
{
    if (!conninfo || !*conninfo)
        return false;
    char *err = NULL;
    PQconninfoOption *options = PQconninfoParse (conninfo, &err);
    PQfreemem (err);
    if (!options)
        return false;
    bool found = false;
    for (PQconninfoOption *o = options; o->keyword; o++)
        if (streq (o->keyword, "password") && o->val && *o->val)
            found = true;
    PQconninfoFree (options);
    return found;
}

//  The connection's prepared statements are gone with it (or were
//  deallocated): prepare afresh on next use.
static void
s_forget_prepared (pg_session_t *self)
{
    if (self->prepared)
        zhashx_purge (self->prepared);
}

//  Connect, then run the on-connect callback; on its failure drop the
//  connection and start over after the back-off. 0, -1 when interrupted.
static int
s_connect (pg_session_t *self)
{
    int delay_ms = S_DELAY_MIN_MS;
    while (!zsys_interrupted) {
        PQfinish (self->conn);
        s_forget_prepared (self);
        self->conn = pg_session_connect (self->conninfo, self->application_name,
                                         self->statement_timeout_ms);
        if (!self->conn)
            return -1;
        if (!self->on_connect || self->on_connect (self, self->on_connect_arg) == 0)
            return 0;
        log_warn ("pg_on_connect_failed", "retry_ms=%d", delay_ms);
        PQfinish (self->conn);
        self->conn = NULL;
        zclock_sleep (delay_ms);
        delay_ms = delay_ms * 2 > S_DELAY_MAX_MS ? S_DELAY_MAX_MS : delay_ms * 2;
    }
    return -1;
}

/*  A session not connected yet: its settings and an empty prepared set. */
static pg_session_t *
s_session_alloc (const char *conninfo, const char *application_name, int statement_timeout_ms)
{
    pg_session_t *self = calloc (1, sizeof *self);
    assert (self);
    self->conninfo = strdup (conninfo ? conninfo : "");
    self->application_name = strdup (application_name ? application_name : "");
    assert (self->conninfo && self->application_name);
    self->statement_timeout_ms = statement_timeout_ms > 0 ? statement_timeout_ms : 0;
    self->prepared = zhashx_new ();
    zhashx_set_duplicator (self->prepared, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (self->prepared, (zhashx_destructor_fn *) zstr_free);
    return self;
}

pg_session_t *
pg_session_new (const char *conninfo, const char *application_name, int statement_timeout_ms)
{
    pg_session_t *self = s_session_alloc (conninfo, application_name, statement_timeout_ms);
    if (s_connect (self))
        pg_session_destroy (&self);
    return self;
}

pg_session_t *
pg_session_new_deferred (const char *conninfo, const char *application_name,
                         int statement_timeout_ms, pg_session_fn *on_connect, void *arg)
{
    pg_session_t *self = s_session_alloc (conninfo, application_name, statement_timeout_ms);
    self->on_connect = on_connect;
    self->on_connect_arg = arg;
    //  Not connected yet is not an outage: no pg_connection_lost for it.
    self->never_connected = true;
    self->lost_at = self->retry_at = zclock_mono ();
    self->retry_delay_ms = S_DELAY_MIN_MS;
    return self;
}

void
pg_session_destroy (pg_session_t **self_p)
{
    assert (self_p);
    pg_session_t *self = *self_p;
    if (self) {
        PQfinish (self->conn);
        zhashx_destroy (&self->prepared);
        free (self->conninfo);
        free (self->application_name);
        free (self);
        *self_p = NULL;
    }
}

int
pg_session_on_connect (pg_session_t *self, pg_session_fn *fn, void *arg)
{
    self->on_connect = fn;
    self->on_connect_arg = arg;
    if (fn && self->conn && fn (self, arg) == 0)
        return 0;
    return fn ? s_connect (self) : 0;
}

PGconn *
pg_session_conn (pg_session_t *self)
{
    return self->conn;
}

bool
pg_session_healthy (pg_session_t *self)
{
    return self && self->conn && PQstatus (self->conn) == CONNECTION_OK;
}

void
pg_session_drop (pg_session_t *self)
{
    PQfinish (self->conn);
    self->conn = NULL;
    s_forget_prepared (self);
}

//  Run one statement. One with parameters is prepared on its first use on
//  this connection (named pgs_N, keyed by its text) and executed by name
//  after that, so PostgreSQL parses and plans it once — after five runs it
//  may keep a generic plan — instead of every time: the daemons run a
//  handful of statements thousands of times, and with a small batch
//  parsing and planning the long batch statements is a good part of their
//  cost. At most S_MAX_PREPARED texts are kept (beyond, unnamed), so a
//  caller that built SQL text per call could not grow the session without
//  bound. A prepared statement that is gone (DISCARD ALL, DEALLOCATE)
//  forgets them all and, outside a transaction, is prepared again at once
//  (inside one, the transaction has failed: the caller recovers). One that
//  a schema change made unusable (0A000) has them all deallocated before
//  the next statement outside a transaction.
//  The failure of PREPARE itself (a syntax error, a missing table) is the
//  statement's failure.
static PGresult *
s_run (pg_session_t *self, const char *sql, int n, const char *const *values,
       const int *lengths, const int *formats)
{
    if (self->deallocate && PQtransactionStatus (self->conn) == PQTRANS_IDLE) {
        PQclear (PQexec (self->conn, "DEALLOCATE ALL"));
        s_forget_prepared (self);
        self->deallocate = false;
    }
    if (n == 0)
        return PQexecParams (self->conn, sql, n, NULL, values, lengths, formats, 0);
    const char *name = zhashx_lookup (self->prepared, sql);
    if (!name && zhashx_size (self->prepared) < S_MAX_PREPARED) {
        char fresh [32];
        snprintf (fresh, sizeof fresh, "pgs_%" PRIu64, ++self->prepared_seq);
        PGresult *res = PQprepare (self->conn, fresh, sql, n, NULL);
        if (PQresultStatus (res) != PGRES_COMMAND_OK)
            return res;
        PQclear (res);
        zhashx_insert (self->prepared, sql, fresh);
        name = zhashx_lookup (self->prepared, sql);
    }
    if (!name)
        return PQexecParams (self->conn, sql, n, NULL, values, lengths, formats, 0);
    PGresult *res = PQexecPrepared (self->conn, name, n, values, lengths, formats, 0);
    //  A table changed under a kept plan so that its rows would change
    //  shape ("cached plan must not change result type", a migration
    //  applied while the daemon runs): that statement would fail from now
    //  on. This one fails; all are prepared afresh once the transaction
    //  is over.
    if (streq (pg_sqlstate (res), "0A000"))
        self->deallocate = true;
    if (streq (pg_sqlstate (res), "26000")) {
        s_forget_prepared (self);
        if (PQtransactionStatus (self->conn) == PQTRANS_IDLE) {
            PQclear (res);
            res = s_run (self, sql, n, values, lengths, formats);     /* prepares it */
        }
    }
    return res;
}

PGresult *
pg_session_exec (pg_session_t *self, const char *what, const char *sql, int n,
                 const char *const *values, const int *lengths, const int *formats,
                 int want_status)
{
    PGresult *res = self->conn ? s_run (self, sql, n, values, lengths, formats) : NULL;
    ExecStatusType status = PQresultStatus (res);
    bool ok = want_status ? (int) status == want_status
                          : status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (ok) {
        self->last_sqlstate [0] = 0;
        return res;
    }
    snprintf (self->last_sqlstate, sizeof self->last_sqlstate, "%s", pg_sqlstate (res));
    const char *primary = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char why [256];
    snprintf (why, sizeof why, "%s", primary ? primary
              : self->conn ? PQerrorMessage (self->conn) : "no connection");
    why [strcspn (why, "\n")] = 0;
    char q [300];
    log_error ("pg_statement_failed", "statement=%s sqlstate=%s error=%s", what,
               pg_sqlstate (res), log_quote (q, sizeof q, why));
    PQclear (res);
    return NULL;
}

const char *
pg_session_last_sqlstate (pg_session_t *self)
{
    assert (self);
    return self->last_sqlstate;
}

bool
pg_session_retryable (pg_session_t *self)
{
    assert (self);
    const char *state = self->last_sqlstate;
    return !pg_session_healthy (self) || strncmp (state, "40", 2) == 0
        || strncmp (state, "08", 2) == 0 || strncmp (state, "57", 2) == 0;
}

int
pg_session_command (pg_session_t *self, const char *what, const char *sql, int n,
                    const char *const *values)
{
    PGresult *res = pg_session_exec (self, what, sql, n, values, NULL, NULL, 0);
    PQclear (res);
    return res ? 0 : -1;
}

int
pg_session_begin (pg_session_t *self)
{
    return pg_session_command (self, "begin", "BEGIN", 0, NULL);
}

int
pg_session_commit (pg_session_t *self)
{
    return pg_session_command (self, "commit", "COMMIT", 0, NULL);
}

void
pg_session_rollback (pg_session_t *self)
{
    if (pg_session_healthy (self) && PQtransactionStatus (self->conn) != PQTRANS_IDLE)
        PQclear (PQexec (self->conn, "ROLLBACK"));
}

int
pg_session_recover (pg_session_t *self)
{
    if (pg_session_healthy (self)) {
        pg_session_rollback (self);
        return 0;
    }
    log_warn ("pg_connection_lost", "application=%s action=reconnect", self->application_name);
    int64_t since = zclock_mono ();
    if (s_connect (self))
        return -1;
    log_info ("pg_connection_restored", "application=%s outage_ms=%" PRId64,
              self->application_name, zclock_mono () - since);
    self->lost_at = 0;
    self->never_connected = false;
    return 0;
}

//  Recovery for a thread that must keep answering while the store is away
//  (intake's writers, the bus's replay thread): instead of waiting in the
//  back-off, make at most one connection attempt — bounded by the
//  session's connect_timeout — and only when the back-off since the last
//  failed attempt has passed; otherwise fail at once, so the caller answers
//  "unavailable" in microseconds. The same log lines as pg_session_recover,
//  once per outage.
int
pg_session_try_recover (pg_session_t *self)
{
    assert (self);
    if (pg_session_healthy (self)) {
        pg_session_rollback (self);
        return 0;
    }
    int64_t now = zclock_mono ();
    if (!self->lost_at) {
        log_warn ("pg_connection_lost", "application=%s action=reconnect", self->application_name);
        self->lost_at = now;
        self->retry_at = now;
        self->retry_delay_ms = S_DELAY_MIN_MS;
    }
    if (now < self->retry_at)
        return -1;
    PQfinish (self->conn);
    s_forget_prepared (self);
    const char *keys [S_MAX_KEYS], *vals [S_MAX_KEYS];
    const char *env = getenv ("PGOPTIONS");
    size_t options_size = 128 + (env ? strlen (env) : 0);
    char *options = malloc (options_size);
    assert (options);
    s_params (self->conninfo, self->application_name, self->statement_timeout_ms, keys, vals,
              options, options_size);
    self->conn = PQconnectdbParams (keys, vals, 1);
    free (options);
    bool ok = self->conn && PQstatus (self->conn) == CONNECTION_OK
           && (!self->on_connect || self->on_connect (self, self->on_connect_arg) == 0);
    if (!ok) {
        if (self->never_connected && self->retry_delay_ms == S_DELAY_MIN_MS) {
            char why [256], q [300];
            snprintf (why, sizeof why, "%s", self->conn ? PQerrorMessage (self->conn)
                                                         : "out of memory");
            why [strcspn (why, "\n")] = 0;
            log_warn ("pg_connect_failed", "application=%s retry_ms=%d error=%s",
                      self->application_name, self->retry_delay_ms,
                      log_quote (q, sizeof q, why));
        }
        PQfinish (self->conn);
        self->conn = NULL;
        self->retry_at = zclock_mono () + self->retry_delay_ms;
        self->retry_delay_ms = self->retry_delay_ms * 2 > S_DELAY_MAX_MS
                             ? S_DELAY_MAX_MS : self->retry_delay_ms * 2;
        return -1;
    }
    if (self->never_connected)
        log_info ("pg_connected", "application=%s after_ms=%" PRId64, self->application_name,
                  zclock_mono () - self->lost_at);
    else
        log_info ("pg_connection_restored", "application=%s outage_ms=%" PRId64,
                  self->application_name, zclock_mono () - self->lost_at);
    self->never_connected = false;
    self->lost_at = 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Self-test: what needs no server (the keyword list, a session without a
//  connection failing cleanly).

#include "selftest.h"

static const char *
s_value (const char **keys, const char **vals, const char *key)
{
    const char *found = NULL;
    for (int i = 0; keys [i]; i++)
        if (streq (keys [i], key))
            found = vals [i];
    return found;
}

void
pg_session_test (bool verbose)
{
    printf (" * pg_session: ");
    assert (pg_conninfo_has_password ("host=db user=intake password=s3cret"));
    assert (pg_conninfo_has_password ("postgresql://intake:s3cret@db/complaints"));
    assert (pg_conninfo_has_password ("postgresql://db/complaints?password=s3cret"));
    assert (!pg_conninfo_has_password ("host=db user=intake dbname=complaints"));
    assert (!pg_conninfo_has_password ("postgresql://intake@db/complaints"));
    assert (!pg_conninfo_has_password ("password="));
    assert (!pg_conninfo_has_password (""));
    assert (!pg_conninfo_has_password (NULL));
    const char *keys [S_MAX_KEYS], *vals [S_MAX_KEYS];
    char options [256];
    unsetenv ("PGCONNECT_TIMEOUT");
    unsetenv ("PGOPTIONS");
    int n = s_params ("host=db port=5433", "intake", 0, keys, vals, options, sizeof options);
    assert (n < S_MAX_KEYS);
    assert (streq (s_value (keys, vals, "connect_timeout"), "5"));
    assert (streq (s_value (keys, vals, "keepalives"), "1"));
    assert (streq (s_value (keys, vals, "keepalives_idle"), "30"));
    assert (streq (s_value (keys, vals, "keepalives_interval"), "10"));
    assert (streq (s_value (keys, vals, "keepalives_count"), "3"));
    assert (streq (s_value (keys, vals, "tcp_user_timeout"), "30000"));
    assert (streq (s_value (keys, vals, "fallback_application_name"), "intake"));
    assert (streq (s_value (keys, vals, "options"), "-c jit=off -c max_parallel_workers_per_gather=0"));
    //  The caller's conninfo comes last, so what it names wins.
    assert (streq (keys [n - 1], "dbname") && streq (vals [n - 1], "host=db port=5433"));

    n = s_params (NULL, "bus", 2500, keys, vals, options, sizeof options);
    assert (streq (s_value (keys, vals, "options"), "-c jit=off -c max_parallel_workers_per_gather=0 -c statement_timeout=2500"));
    assert (streq (vals [n - 1], ""));

    setenv ("PGCONNECT_TIMEOUT", "9", 1);
    setenv ("PGOPTIONS", "-c work_mem=8MB", 1);
    s_params ("", "router", 100, keys, vals, options, sizeof options);
    assert (s_value (keys, vals, "connect_timeout") == NULL);
    assert (streq (s_value (keys, vals, "options"),
                   "-c jit=off -c max_parallel_workers_per_gather=0 -c work_mem=8MB"
                   " -c statement_timeout=100"));
    unsetenv ("PGCONNECT_TIMEOUT");
    unsetenv ("PGOPTIONS");

    //  A session whose connection is gone fails statements cleanly.
    pg_session_t session = { .conninfo = "", .application_name = "test" };
    assert (!pg_session_healthy (&session));
    assert (!pg_session_healthy (NULL));
    assert (pg_session_conn (&session) == NULL);
    assert (streq (pg_session_last_sqlstate (&session), ""));
    assert (pg_session_exec (&session, "probe", "SELECT 1", 0, NULL, NULL, NULL, 0) == NULL);
    //  No server answered, so no SQLSTATE: the caller asks pg_session_healthy.
    assert (streq (pg_session_last_sqlstate (&session), ""));
    assert (pg_session_begin (&session) == -1);
    assert (pg_session_commit (&session) == -1);
    pg_session_rollback (&session);             /* nothing to do, no crash */
    pg_session_drop (&session);
    assert (pg_session_conn (&session) == NULL);
    assert (streq (pg_sqlstate (NULL), ""));

    //  try_recover against a port nothing listens on (refused at once):
    //  one attempt, then none until the back-off step has passed, the step
    //  doubling after each failed attempt; never a sleep.
    pg_session_t lone = { .conninfo = "host=127.0.0.1 port=1 connect_timeout=2",
                          .application_name = "test" };
    assert (pg_session_try_recover (&lone) == -1);
    assert (lone.lost_at > 0 && lone.retry_delay_ms == 2 * S_DELAY_MIN_MS);
    int64_t first_retry = lone.retry_at;
    assert (first_retry > lone.lost_at);
    assert (pg_session_try_recover (&lone) == -1);  /* inside the step: no attempt */
    assert (lone.retry_at == first_retry && lone.retry_delay_ms == 2 * S_DELAY_MIN_MS);
    lone.retry_at = zclock_mono ();                 /* the step has passed */
    assert (pg_session_try_recover (&lone) == -1);
    assert (lone.retry_delay_ms == 4 * S_DELAY_MIN_MS && !lone.conn);

    //  A deferred session is not connected, and does not wait to be.
    pg_session_t *deferred = pg_session_new_deferred ("host=127.0.0.1 port=1 connect_timeout=2",
                                                      "test", 100, NULL, NULL);
    assert (deferred && !pg_session_healthy (deferred) && deferred->never_connected);
    assert (pg_session_try_recover (deferred) == -1);
    assert (deferred->never_connected && deferred->retry_delay_ms == 2 * S_DELAY_MIN_MS);
    pg_session_destroy (&deferred);
    assert (deferred == NULL);
    if (verbose)
        printf ("(keywords, no-connection paths, try_recover back-off) ");
    printf ("OK\n");
}
