/*  daemon.c — the daemons' common skeleton (see daemon.h).
 *
 *  Why one table for flags: the five daemons each had a hand-written
 *  usage text and a chain of cfg_str calls, and the two drifted (a flag
 *  in the usage the parser did not know, a typo'd flag silently ignored
 *  while the default ran). Here the parser, the usage and the refusal of
 *  unknown flags all read the same declaration.
 *
 *  Why SIGHUP only sets a flag: a reload parses files and allocates, which
 *  a signal handler must not do, and the work functions hold pointers into
 *  the configuration while a batch is in hand. The flag is looked at where
 *  no batch is in hand: daemon_wait, or daemon_reload between batches.
 *  The handler is installed without SA_RESTART so that a blocked poll
 *  returns at once (EINTR) and the reload does not wait for the timeout.
 *
 *  Why the store's conninfo has two variables: each service logs in to
 *  PostgreSQL as its own least-privileged role (docs/security.md, "Least
 *  privilege"), so one environment file for the whole host must be able to
 *  say a conninfo per service: COMPLAINTS_<SERVICE>_PG (COMPLAINTS_INTAKE_PG,
 *  ...) is read first, the shared COMPLAINTS_PG when it is unset or empty.
 *  libpq's PG* variables fill in whatever the conninfo leaves out, so
 *  "user=complaints_intake_login" alone is a whole conninfo.
 *
 *  Health lives under a mutex: the main loop writes it, the metrics
 *  endpoint's thread reads it.
 */
#include "daemon.h"
#include "cfg.h"
#include "curve.h"
#include "log.h"
#include "pg_session.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define S_OPTS_MAX      64
#define S_ITEMS_MAX     32
#define S_STALE_MS      60000

/* Every daemon's flags, after its own. %s in env is the service in capitals. */
static const daemon_opt_t s_common [] = {
    DAEMON_STR ("pg", "COMPLAINTS_PG", "", "CONNINFO",
                "PostgreSQL conninfo or URI: the variable shown, else "
                "COMPLAINTS_PG (\"\": libpq's PG* variables)"),
    DAEMON_LONG ("metrics-port", NULL, 0, 0, 65535,
                 "serve /metrics and /healthz on 127.0.0.1:N (0: off)"),
    DAEMON_BOOL ("debug", "COMPLAINTS_DEBUG", "debug log lines"),
    DAEMON_STR ("curve", CURVE_ENV_MODE, "on", "on|off",
                "CURVE on every ZeroMQ endpoint; off: plaintext, loopback endpoints only"),
    DAEMON_STR ("keys", CURVE_ENV_KEYS, CURVE_KEYS_DIR, "DIR",
                "the keys directory (complaintctl keys init)"),
    DAEMON_STR ("key", NULL, NULL, "NAME",
                "this daemon's identity: DIR/NAME.cert and NAME.cert_secret"),
    DAEMON_BOOL ("help", NULL, "this text"),
    DAEMON_END
};

static volatile sig_atomic_t s_hup = 0;

static void
s_on_sighup (int signum)
{
    (void) signum;
    s_hup = 1;
}

struct daemon_t {
    char *service;
    const char *synopsis;
    daemon_opt_t opts [S_OPTS_MAX];
    size_t nopts;
    const char *values [S_OPTS_MAX];
    long longs [S_OPTS_MAX];
    char metrics_env [96];
    char pg_env [96];                   /* COMPLAINTS_<SERVICE>_PG */
    char key_env [96];                  /* COMPLAINTS_<SERVICE>_KEY */
    FILE *err;                          /* where refusals go (stderr) */

    daemon_reload_fn *reload;
    void *reload_arg;

    zsock_t *sub;
    uint64_t bus_seq;
    int64_t coalesce_ms;                /* daemon_set_coalesce_ms */
    int64_t bus_woke_at;                /* when the last bus wake-up returned */

    metrics_t *metrics;
    metric_t *m_round_trip, *m_last_pass, *m_store_up, *m_reloads, *m_wakeups, *m_bus_seq;

    pthread_mutex_t health_lock;
    bool store_up, stopping;
    char store_reason [200];
    int64_t alive_at, stale_ms;
};

//  --------------------------------------------------------------------------
//  Declaration and settings

daemon_t *
daemon_new (const char *service, const daemon_opt_t *opts, const char *synopsis)
{
    assert (service && opts);
    daemon_t *self = calloc (1, sizeof *self);
    assert (self);
    self->service = strdup (service);
    assert (self->service);
    self->synopsis = synopsis;
    self->err = stderr;
    log_init (service);

    //  COMPLAINTS_<SERVICE>_METRICS_PORT
    char upper [48];
    snprintf (upper, sizeof upper, "%s", service);
    for (char *c = upper; *c; c++)
        *c = *c == '-' ? '_' : (char) toupper ((unsigned char) *c);
    snprintf (self->metrics_env, sizeof self->metrics_env, "COMPLAINTS_%s_METRICS_PORT", upper);
    snprintf (self->pg_env, sizeof self->pg_env, "COMPLAINTS_%s_PG", upper);
    snprintf (self->key_env, sizeof self->key_env, "COMPLAINTS_%s_KEY", upper);

    for (const daemon_opt_t *o = opts; o->type; o++) {
        assert (self->nopts < S_OPTS_MAX);
        self->opts [self->nopts++] = *o;
    }
    for (const daemon_opt_t *o = s_common; o->type; o++) {
        assert (self->nopts < S_OPTS_MAX);
        self->opts [self->nopts] = *o;
        if (streq (o->name, "metrics-port"))
            self->opts [self->nopts].env = self->metrics_env;
        if (streq (o->name, "pg"))
            self->opts [self->nopts].env = self->pg_env;
        //  Per service, never the tools' COMPLAINTS_KEY: one environment
        //  for a whole host must not give every daemon the same identity.
        if (streq (o->name, "key")) {
            self->opts [self->nopts].env = self->key_env;
            self->opts [self->nopts].def = self->service;
        }
        self->nopts++;
    }

    self->metrics = metrics_new ();
    self->m_round_trip = metrics_histogram (self->metrics, "complaints_store_round_trip_seconds",
        "Time of one store round trip (a transaction or a pass over the work), by operation.",
        "op", metrics_latency_buckets, metrics_latency_nbuckets);
    self->m_last_pass = metrics_gauge (self->metrics, "complaints_last_pass_timestamp_seconds",
        "Unix time at which the daemon last finished a pass over its work.", NULL);
    self->m_store_up = metrics_gauge (self->metrics, "complaints_store_up",
        "1 while the daemon's store connection works, else 0.", NULL);
    self->m_reloads = metrics_counter (self->metrics, "complaints_reloads_total",
        "SIGHUP reloads, by result (accepted, refused: the old configuration stays).",
        "result");
    self->m_wakeups = metrics_counter (self->metrics, "complaints_wakeups_total",
        "Times the main loop woke, by cause (bus, socket, timeout, signal).", "by");

    pthread_mutex_init (&self->health_lock, NULL);
    snprintf (self->store_reason, sizeof self->store_reason, "connecting");
    self->alive_at = zclock_mono ();
    self->stale_ms = S_STALE_MS;
    return self;
}

void
daemon_destroy (daemon_t **self_p)
{
    assert (self_p);
    daemon_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->sub);
    metrics_destroy (&self->metrics);       /* stops the HTTP thread first */
    pthread_mutex_destroy (&self->health_lock);
    free (self->service);
    free (self);
    *self_p = NULL;
}

static int
s_find (daemon_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->nopts; i++)
        if (strlen (self->opts [i].name) == len && memcmp (self->opts [i].name, name, len) == 0)
            return (int) i;
    return -1;
}

void
daemon_usage (daemon_t *self, FILE *out)
{
    assert (self);
    fprintf (out, "usage: %s [OPTIONS]\n", self->service);
    if (self->synopsis) {
        //  One synopsis line per line of the text, indented under usage:.
        const char *line = self->synopsis;
        while (*line) {
            size_t len = strcspn (line, "\n");
            fprintf (out, "       %.*s\n", (int) len, line);
            line += len + (line [len] == '\n');
        }
    }
    fprintf (out, "options (each flag also reads the variable shown; the flag wins):\n");
    for (size_t i = 0; i < self->nopts; i++) {
        const daemon_opt_t *o = &self->opts [i];
        char head [64];
        snprintf (head, sizeof head, "--%s%s%s", o->name, o->metavar ? " " : "",
                  o->metavar ? o->metavar : "");
        fprintf (out, "  %-26s %s\n", head, o->help);
        char tail [256];
        int n = 0;
        if (o->env)
            n += snprintf (tail + n, sizeof tail - (size_t) n, "%s", o->env);
        if (o->type == DAEMON_OPT_LONG)
            n += snprintf (tail + n, sizeof tail - (size_t) n, "%sdefault %s, %ld..%ld",
                           n ? ", " : "", o->def, o->min, o->max);
        else
        if (o->type == DAEMON_OPT_STR && o->def)
            n += snprintf (tail + n, sizeof tail - (size_t) n, "%sdefault \"%s\"",
                           n ? ", " : "", o->def);
        if (n > 0)
            fprintf (out, "  %-26s [%s]\n", "", tail);
    }
}

static int
s_refuse (daemon_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
s_refuse (daemon_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    fprintf (self->err, "%s: ", self->service);
    vfprintf (self->err, fmt, args);
    fprintf (self->err, "\n");
    va_end (args);
    daemon_usage (self, self->err);
    return -1;
}

int
daemon_refuse (daemon_t *self, const char *fmt, ...)
{
    assert (self);
    va_list args;
    va_start (args, fmt);
    fprintf (self->err, "%s: ", self->service);
    vfprintf (self->err, fmt, args);
    fprintf (self->err, " (%s --help lists every setting)\n", self->service);
    va_end (args);
    return -1;
}

static bool
s_truthy (const char *value)
{
    return atoi (value) > 0 || strcasecmp (value, "true") == 0 || strcasecmp (value, "yes") == 0
        || strcasecmp (value, "on") == 0;
}

int
daemon_parse (daemon_t *self, int argc, char **argv)
{
    assert (self);
    bool given [S_OPTS_MAX] = { false };
    memset (self->values, 0, sizeof self->values);
    //  --help first: it must work whatever else is wrong.
    for (int i = 1; i < argc; i++)
        if (streq (argv [i], "--help") || streq (argv [i], "-h")) {
            daemon_usage (self, stdout);
            return 1;
        }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        if (strncmp (arg, "--", 2) != 0 || arg [2] == 0)
            return s_refuse (self, "unexpected argument '%s'", arg);
        const char *name = arg + 2;
        const char *eq = strchr (name, '=');
        size_t len = eq ? (size_t) (eq - name) : strlen (name);
        int k = s_find (self, name, len);
        if (k < 0)
            return s_refuse (self, "unknown flag --%.*s", (int) len, name);
        const daemon_opt_t *o = &self->opts [k];
        if (o->type == DAEMON_OPT_BOOL) {
            if (eq)
                return s_refuse (self, "--%s takes no value", o->name);
            self->values [k] = "1";
        }
        else
        if (eq)
            self->values [k] = eq + 1;
        else
        if (i + 1 < argc)
            self->values [k] = argv [++i];
        else
            return s_refuse (self, "--%s needs a value", o->name);
        given [k] = true;
        if (streq (o->name, "pg") && pg_conninfo_has_password (self->values [k]))
            return s_refuse (self, "--pg holds a password: a secret on the command line is"
                             " visible to every user (ps, /proc/PID/cmdline); put it in"
                             " ~/.pgpass or a PGPASSFILE of mode 0600, or give the conninfo"
                             " in %s", self->pg_env);
    }
    for (size_t k = 0; k < self->nopts; k++) {
        const daemon_opt_t *o = &self->opts [k];
        const char *from = "flag";
        if (!given [k]) {
            const char *env = o->env ? getenv (o->env) : NULL;
            from = o->env;
            //  The store's conninfo: the service's own variable, else the
            //  shared one (see the top of this file).
            if ((!env || !*env) && o->env == self->pg_env) {
                env = getenv (CFG_ENV_PG);
                from = CFG_ENV_PG;
            }
            if (env && *env) {
                self->values [k] = o->type == DAEMON_OPT_BOOL ? (s_truthy (env) ? "1" : NULL)
                                                              : env;
            }
            else {
                self->values [k] = o->def;
                from = "flag";
            }
        }
        if (o->type == DAEMON_OPT_LONG) {
            const char *v = self->values [k];
            char *end = NULL;
            errno = 0;
            long n = v ? strtol (v, &end, 10) : 0;
            if (!v || !*v || *end || errno || n < o->min || n > o->max)
                return s_refuse (self, "--%s must be an integer in %ld..%ld, not '%s'%s%s",
                                 o->name, o->min, o->max, v ? v : "",
                                 streq (from, "flag") ? "" : " (from ", 
                                 streq (from, "flag") ? "" : from);
            self->longs [k] = n;
        }
        if (streq (o->name, "curve") && self->values [k]
        &&  !streq (self->values [k], "on") && !streq (self->values [k], "off"))
            return s_refuse (self, "--curve must be on or off, not '%s'%s%s", self->values [k],
                             streq (from, "flag") ? "" : " (from ",
                             streq (from, "flag") ? "" : from);
    }
    return 0;
}

static int
s_lookup (daemon_t *self, const char *name, daemon_opt_type_t type)
{
    assert (self && name);
    int k = s_find (self, name, strlen (name));
    assert (k >= 0);                    /* asked for a flag nobody declared */
    assert (self->opts [k].type == type);
    (void) type;
    return k;
}

const char *
daemon_str (daemon_t *self, const char *name)
{
    return self->values [s_lookup (self, name, DAEMON_OPT_STR)];
}

long
daemon_long (daemon_t *self, const char *name)
{
    return self->longs [s_lookup (self, name, DAEMON_OPT_LONG)];
}

bool
daemon_bool (daemon_t *self, const char *name)
{
    return self->values [s_lookup (self, name, DAEMON_OPT_BOOL)] != NULL;
}

//  --------------------------------------------------------------------------
//  Start, signals, reload

static int s_health (void *arg, char *reason, size_t size);

int
daemon_start (daemon_t *self)
{
    assert (self);
    log_set_debug (daemon_bool (self, "debug"));
    zsys_init ();                       /* czmq's SIGINT/SIGTERM handler */
    //  The process's curve from the flags, before any socket is made.
    curve_t *curve = curve_new (daemon_str (self, "curve"), daemon_str (self, "keys"),
                                daemon_str (self, "key"));
    assert (curve);                     /* daemon_parse refused any other mode */
    curve_set_default (curve);
    if (!curve_on (curve))
        log_warn ("curve_off", "reason=\"--curve off: plaintext, loopback endpoints only\"");
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_sighup;
    sigemptyset (&action.sa_mask);
    sigaction (SIGHUP, &action, NULL);
    return metrics_serve (self->metrics, (int) daemon_long (self, "metrics-port"), s_health, self);
}

void
daemon_on_reload (daemon_t *self, daemon_reload_fn *fn, void *arg)
{
    assert (self);
    self->reload = fn;
    self->reload_arg = arg;
}

bool
daemon_reload (daemon_t *self)
{
    assert (self);
    if (!s_hup)
        return false;
    s_hup = 0;
    if (!self->reload) {
        log_info ("reload_ignored", "reason=\"nothing to reload\"");
        return true;
    }
    int rc = self->reload (self->reload_arg);
    metric_add_at (self->m_reloads, (const char *[]) { rc ? "refused" : "accepted" }, 1);
    return true;
}

bool
daemon_stopping (daemon_t *self)
{
    (void) self;
    return zsys_interrupted != 0;
}

//  --------------------------------------------------------------------------
//  The bus and the wait

int
daemon_bus_connect (daemon_t *self, const char *endpoint, const char *const topics [])
{
    assert (self && topics);
    assert (!self->sub);
    if (!endpoint || !*endpoint || streq (endpoint, "none"))
        return 0;
    self->sub = zsock_new (ZMQ_SUB);
    assert (self->sub);
    if (curve_client (curve_default (), self->sub, CURVE_BUS, endpoint)) {
        char q [600];
        log_error ("curve_refused", "endpoint=%s reason=%s", endpoint,
                   log_quote (q, sizeof q, curve_error (curve_default ())));
        zsock_destroy (&self->sub);
        return DAEMON_BUS_REFUSED;
    }
    for (size_t i = 0; topics [i]; i++)
        zsock_set_subscribe (self->sub, topics [i]);
    if (zsock_connect (self->sub, "%s", endpoint)) {
        log_error ("bus_connect_failed", "endpoint=%s", endpoint);
        zsock_destroy (&self->sub);
        return -1;
    }
    self->m_bus_seq = metrics_gauge (self->metrics, "complaints_bus_seq_seen",
        "The highest event seq seen on the bus (heartbeats carry the bus's last seq).", NULL);
    return 0;
}

/* Take every queued bus message; note the seq of each ([topic][seq BE 8][event]). */
static int
s_drain_bus (daemon_t *self)
{
    void *handle = zsock_resolve (self->sub);
    int messages = 0, frame = 0;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    while (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) >= 0) {
        if (frame == 1 && zmq_msg_size (&msg) == 8) {
            const unsigned char *b = (const unsigned char *) zmq_msg_data (&msg);
            uint64_t seq = 0;
            for (int i = 0; i < 8; i++)
                seq = seq << 8 | b [i];
            if (seq > self->bus_seq)
                self->bus_seq = seq;
        }
        if (zmq_msg_more (&msg))
            frame++;
        else {
            frame = 0;
            messages++;
        }
    }
    zmq_msg_close (&msg);
    metric_set (self->m_bus_seq, (double) self->bus_seq);
    return messages;
}

int
daemon_wait (daemon_t *self, long timeout_ms, zmq_pollitem_t *items, int nitems)
{
    assert (self);
    assert (nitems >= 0 && nitems < S_ITEMS_MAX);
    daemon_alive (self);
    //  A reload asked for during the pass runs now, not after the timeout.
    //  SIGTERM is not looked at here: a daemon draining its work after it
    //  (intake waiting for its writers) still needs the wait.
    if (daemon_reload (self)) {
        metric_add_at (self->m_wakeups, (const char *[]) { "signal" }, 1);
        return DAEMON_WOKE_SIGNAL;
    }
    if (timeout_ms < 0)
        timeout_ms = 0;
    zmq_pollitem_t all [S_ITEMS_MAX];
    int n = 0;
    if (self->sub)
        all [n++] = (zmq_pollitem_t) { zsock_resolve (self->sub), 0, ZMQ_POLLIN, 0 };
    for (int i = 0; i < nitems; i++) {
        items [i].revents = 0;
        all [n++] = items [i];
    }
    int woke = 0;
    if (n == 0)
        zclock_sleep ((int) timeout_ms);        /* returns early on a signal */
    else
    if (zmq_poll (all, n, timeout_ms) == -1) {
        if (errno != EINTR) {
            log_error ("poll_failed", "error=\"%s\"", zmq_strerror (errno));
            zclock_sleep ((int) (timeout_ms < 1000 ? timeout_ms : 1000));
        }
    }
    else {
        int first = 0;
        if (self->sub) {
            first = 1;
            if (all [0].revents & ZMQ_POLLIN) {
                int messages = s_drain_bus (self);
                //  Under a steady stream, one pass per coalesce_ms with all
                //  that came meanwhile: the pass's fixed cost (round trips,
                //  its commit) is shared by a batch instead of paid per
                //  event. After a quiet spell the first event goes at once.
                int64_t now = zclock_mono ();
                if (self->coalesce_ms > 0 && now < self->bus_woke_at + self->coalesce_ms) {
                    zclock_sleep ((int) (self->bus_woke_at + self->coalesce_ms - now));
                    messages += s_drain_bus (self);
                }
                self->bus_woke_at = zclock_mono ();
                log_debug ("woken", "by=bus messages=%d", messages);
                woke |= DAEMON_WOKE_BUS;
            }
        }
        for (int i = 0; i < nitems; i++) {
            items [i].revents = all [first + i].revents;
            if (items [i].revents)
                woke |= DAEMON_WOKE_ITEM;
        }
    }
    if (daemon_reload (self) || zsys_interrupted)
        woke |= DAEMON_WOKE_SIGNAL;
    const char *by = woke & DAEMON_WOKE_BUS ? "bus" : woke & DAEMON_WOKE_ITEM ? "socket"
                   : woke & DAEMON_WOKE_SIGNAL ? "signal" : "timeout";
    metric_add_at (self->m_wakeups, (const char *[]) { by }, 1);
    daemon_alive (self);
    return woke;
}

void
daemon_set_coalesce_ms (daemon_t *self, int64_t ms)
{
    assert (self);
    self->coalesce_ms = ms > 0 ? ms : 0;
}

uint64_t
daemon_bus_seq (daemon_t *self)
{
    assert (self);
    return self->bus_seq;
}

//  --------------------------------------------------------------------------
//  Metrics and health

metrics_t *
daemon_metrics (daemon_t *self)
{
    assert (self);
    return self->metrics;
}

void
daemon_observe (daemon_t *self, const char *op, double seconds)
{
    assert (self && op);
    metric_observe_at (self->m_round_trip, (const char *[]) { op }, seconds);
}

void
daemon_pass_done (daemon_t *self)
{
    assert (self);
    metric_set (self->m_last_pass, (double) zclock_time () / 1000.0);
    daemon_alive (self);
}

void
daemon_alive (daemon_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->health_lock);
    self->alive_at = zclock_mono ();
    pthread_mutex_unlock (&self->health_lock);
}

void
daemon_store_up (daemon_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->health_lock);
    bool was = self->store_up;
    self->store_up = true;
    self->store_reason [0] = 0;
    pthread_mutex_unlock (&self->health_lock);
    if (!was)
        metric_set (self->m_store_up, 1);
}

void
daemon_store_down (daemon_t *self, const char *reason)
{
    assert (self);
    pthread_mutex_lock (&self->health_lock);
    self->store_up = false;
    snprintf (self->store_reason, sizeof self->store_reason, "%s", reason ? reason : "down");
    pthread_mutex_unlock (&self->health_lock);
    metric_set (self->m_store_up, 0);
}

void
daemon_set_stale_ms (daemon_t *self, int64_t ms)
{
    assert (self && ms > 0);
    pthread_mutex_lock (&self->health_lock);
    self->stale_ms = ms;
    pthread_mutex_unlock (&self->health_lock);
}

/* /healthz, on the HTTP thread. */
static int
s_health (void *arg, char *reason, size_t size)
{
    daemon_t *self = (daemon_t *) arg;
    pthread_mutex_lock (&self->health_lock);
    bool up = self->store_up;
    char why [sizeof self->store_reason];
    memcpy (why, self->store_reason, sizeof why);
    int64_t age = zclock_mono () - self->alive_at;
    int64_t stale = self->stale_ms;
    pthread_mutex_unlock (&self->health_lock);
    if (zsys_interrupted) {
        snprintf (reason, size, "stopping");
        return -1;
    }
    if (!up) {
        snprintf (reason, size, "store down: %s", why);
        return -1;
    }
    if (age > stale) {
        snprintf (reason, size, "loop stalled: last turn %lld ms ago (limit %lld ms)",
                  (long long) age, (long long) stale);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------

/* Self-test checks run under NDEBUG too: they are the test, not a guard. */
#define S_CHECK(expr) do { if (!(expr)) { \
    fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
    abort (); } } while (0)

/* Argument copies the parsed values point into, kept until the test ends. */
static char *s_kept [32];
static int s_nkept = 0;

static int
s_parse (daemon_t *self, const char *line)
{
    char *copy = strdup (line);
    S_CHECK (copy && s_nkept < 32);
    s_kept [s_nkept++] = copy;
    char *argv [16] = { (char *) "test" };
    int argc = 1;
    char *save = NULL;
    for (char *tok = strtok_r (copy, " ", &save); tok && argc < 16; tok = strtok_r (NULL, " ", &save))
        argv [argc++] = tok;
    return daemon_parse (self, argc, argv);
}

static int
s_test_reload (void *arg)
{
    int *calls = (int *) arg;
    (*calls)++;
    return *calls == 1 ? 0 : -1;
}

void
daemon_test (bool verbose)
{
    if (verbose)
        printf (" * daemon: ");
    //  No "--self" "test" literal here: tests/run.sh finds the binaries with
    //  a self-test by that string, and this file is linked into all of them.
    static const daemon_opt_t opts [] = {
        DAEMON_STR ("endpoint", "DAEMON_TEST_ENDPOINT", "tcp://127.0.0.1:1", "EP", "bind here"),
        DAEMON_STR ("tokens", NULL, NULL, "FILE", "no default"),
        DAEMON_LONG ("batch", "DAEMON_TEST_BATCH", 100, 1, 1000, "per transaction"),
        DAEMON_BOOL ("once", NULL, "one pass"),
        DAEMON_END
    };
    daemon_t *d = daemon_new ("test-svc", opts, "test-svc --once");
    d->err = fopen ("/dev/null", "w");
    S_CHECK (d->err);
    S_CHECK (streq (d->metrics_env, "COMPLAINTS_TEST_SVC_METRICS_PORT"));
    unsetenv ("DAEMON_TEST_ENDPOINT");
    unsetenv ("DAEMON_TEST_BATCH");
    unsetenv ("COMPLAINTS_TEST_SVC_METRICS_PORT");

    //  Defaults.
    int rc = s_parse (d, "");
    S_CHECK (rc == 0);
    S_CHECK (streq (daemon_str (d, "endpoint"), "tcp://127.0.0.1:1"));
    S_CHECK (daemon_str (d, "tokens") == NULL);
    S_CHECK (daemon_long (d, "batch") == 100);
    S_CHECK (daemon_long (d, "metrics-port") == 0);
    S_CHECK (!daemon_bool (d, "once"));
    S_CHECK (streq (daemon_str (d, "pg"), ""));
    //  The transport: CURVE on, the daemon's own identity by default.
    unsetenv ("COMPLAINTS_CURVE");
    unsetenv ("COMPLAINTS_TEST_SVC_KEY");
    S_CHECK (streq (daemon_str (d, "curve"), "on"));
    S_CHECK (streq (daemon_str (d, "key"), "test-svc"));
    setenv ("COMPLAINTS_TEST_SVC_KEY", "svc-2", 1);
    setenv ("COMPLAINTS_KEY", "operator", 1);      /* the tools', never a daemon's */
    rc = s_parse (d, "--curve off");
    S_CHECK (rc == 0);
    S_CHECK (streq (daemon_str (d, "key"), "svc-2"));
    S_CHECK (streq (daemon_str (d, "curve"), "off"));
    unsetenv ("COMPLAINTS_TEST_SVC_KEY");
    unsetenv ("COMPLAINTS_KEY");

    //  Flags, both spellings; the flag wins over the variable.
    setenv ("DAEMON_TEST_BATCH", "7", 1);
    setenv ("DAEMON_TEST_ENDPOINT", "ipc://env", 1);
    rc = s_parse (d, "--batch 9 --tokens=t.txt --once --metrics-port=9100");
    S_CHECK (rc == 0);
    S_CHECK (daemon_long (d, "batch") == 9);
    S_CHECK (streq (daemon_str (d, "endpoint"), "ipc://env"));
    S_CHECK (streq (daemon_str (d, "tokens"), "t.txt"));
    S_CHECK (daemon_bool (d, "once"));
    S_CHECK (daemon_long (d, "metrics-port") == 9100);
    //  A password on the command line is refused; in the variable it is not.
    rc = s_parse (d, "--pg=password=x");
    S_CHECK (rc == -1);
    setenv ("COMPLAINTS_TEST_SVC_PG", "host=db password=x", 1);
    rc = s_parse (d, "");
    S_CHECK (rc == 0);
    unsetenv ("COMPLAINTS_TEST_SVC_PG");
    rc = s_parse (d, "");
    S_CHECK (rc == 0);
    S_CHECK (daemon_long (d, "batch") == 7);
    //  An empty variable counts as unset.
    setenv ("DAEMON_TEST_BATCH", "", 1);
    rc = s_parse (d, "");
    S_CHECK (rc == 0);
    S_CHECK (daemon_long (d, "batch") == 100);
    setenv ("COMPLAINTS_TEST_SVC_METRICS_PORT", "9200", 1);
    rc = s_parse (d, "");
    S_CHECK (rc == 0);
    S_CHECK (daemon_long (d, "metrics-port") == 9200);
    unsetenv ("COMPLAINTS_TEST_SVC_METRICS_PORT");

    //  Refusals: unknown flag, stray argument, missing value, out of range,
    //  not a number (from the flag or the variable), a value for a switch.
    static const char *bad [] = {
        "--bogus", "--batchx 3", "stray", "--batch", "--batch 0", "--batch 1001",
        "--batch 12x", "--once=1", "--metrics-port 70000", "-", "--", "--curve maybe",
        "--curve", NULL
    };
    for (int i = 0; bad [i]; i++) {
        rc = s_parse (d, bad [i]);
        S_CHECK (rc == -1);
    }
    setenv ("DAEMON_TEST_BATCH", "many", 1);
    rc = s_parse (d, "");
    S_CHECK (rc == -1);
    unsetenv ("DAEMON_TEST_BATCH");
    unsetenv ("DAEMON_TEST_ENDPOINT");

    //  --help wins over anything else on the line (usage on stdout).
    FILE *saved = stdout;
    stdout = d->err;
    rc = s_parse (d, "--bogus --help");
    stdout = saved;
    S_CHECK (rc == 1);

    //  SIGHUP runs the callback once, at the next look; refusals counted.
    int calls = 0;
    daemon_on_reload (d, s_test_reload, &calls);
    S_CHECK (!daemon_reload (d));
    s_hup = 1;
    S_CHECK (daemon_reload (d));
    S_CHECK (calls == 1);
    s_hup = 1;
    int woke = daemon_wait (d, 0, NULL, 0);
    S_CHECK (woke == DAEMON_WOKE_SIGNAL);
    S_CHECK (calls == 2);
    S_CHECK (metric_value_at (d->m_reloads, (const char *[]) { "accepted" }) == 1);
    S_CHECK (metric_value_at (d->m_reloads, (const char *[]) { "refused" }) == 1);
    S_CHECK (daemon_wait (d, 1, NULL, 0) == 0);

    //  Health: down until the store is up; stale when the loop stops.
    char reason [256];
    S_CHECK (s_health (d, reason, sizeof reason) == -1);
    S_CHECK (strstr (reason, "connecting"));
    daemon_store_up (d);
    S_CHECK (s_health (d, reason, sizeof reason) == 0);
    daemon_set_stale_ms (d, 1);
    zclock_sleep (5);
    S_CHECK (s_health (d, reason, sizeof reason) == -1);
    S_CHECK (strstr (reason, "stalled"));
    daemon_pass_done (d);
    daemon_set_stale_ms (d, 60000);
    daemon_store_down (d, "connection lost");
    S_CHECK (s_health (d, reason, sizeof reason) == -1);
    S_CHECK (strstr (reason, "connection lost"));
    daemon_observe (d, "pass", 0.002);

    char *text = metrics_render (daemon_metrics (d));
    S_CHECK (strstr (text, "complaints_store_round_trip_seconds_count{op=\"pass\"} 1\n"));
    S_CHECK (strstr (text, "complaints_reloads_total{result=\"refused\"} 1\n"));
    S_CHECK (strstr (text, "complaints_store_up 0\n"));
    free (text);

    fclose (d->err);
    daemon_destroy (&d);
    daemon_destroy (&d);
    S_CHECK (d == NULL);
    while (s_nkept > 0)
        free (s_kept [--s_nkept]);
    if (verbose)
        printf ("OK\n");
}
