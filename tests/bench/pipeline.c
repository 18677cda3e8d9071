/*  pipeline.c — bench-pipeline: the whole pipeline, end to end, from outside.
 *
 *  Offers complaints to intake at a fixed rate (open loop: request k is sent
 *  at start + k / rate whatever the replies do, so a stall is charged to
 *  every request it delays), and watches the bus as any subscriber would:
 *
 *      submit ──► ack ──► complaint.assigned ──► notification.sent
 *                         (router)               customer e-mail receipt
 *                                                handler (inbox / e-mail)
 *
 *  plus, from the store, each complaint's SLA clocks built (the watchdog
 *  clears complaint.sla_dirty). Every latency runs from the *scheduled* send
 *  time (CLOCK_MONOTONIC). A complaint is done when it is acknowledged,
 *  assigned, its clocks are built, its receipt was accepted by the SMTP
 *  server and its handler was told (when the router named one: a case left
 *  in a department's queue, every handler being at capacity, has no one). After offering stops, the benchmark
 *  waits (at most --drain seconds) until every complaint is done: that wait
 *  is the backlog the pipeline carried at the end of the run.
 *
 *  Where the time goes: CPU seconds of every service process (pid files in
 *  --run-dir) and of each PostgreSQL backend, grouped by the service that
 *  owns the connection (pg_stat_activity.application_name), over the run;
 *  printed per complaint beside the machine's limit (cores × 1 s / total
 *  CPU per complaint: the rate this machine could sustain at that cost).
 *  Lag behind the stream is sampled every second (more often, the sampler's own
 *  counting showed in the figures it measures): outbox rows not yet
 *  sequenced (bus), complaints not yet routed (router), cases whose clocks
 *  are stale (watchdog), events not yet consumed and notifications due
 *  (notifier).
 *
 *  Output: `#` lines with the conditions, then one `name value unit` line
 *  per figure (tests/bench/run.sh collects them; docs/BENCHMARKS.md explains
 *  them). Usage: bench-pipeline --help.
 */
#include "curve.h"
#include "proto.h"
#include "request.h"
#include "event.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_CLIENTS   16
#define MAX_PROCS     128

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------ complaints */

typedef struct {
    int64_t sched, ack, assigned, receipt, handler, clocks;   /* ns; 0: not yet */
    bool no_handler;            /* assigned to a department queue, no one person */
    char no [24];
} s_case_t;

typedef struct {
    int64_t assigned, receipt, handler;
    bool no_handler;
} s_early_t;

static const char *s_body_fmt =
    "尊敬的客服：我的信用卡（卡号 6222 0212 3456 7890）上月被重复扣取年费 RMB 320.00，"
    "致电热线三次仍未处理。My card annual fee was charged twice last month. "
    "请退还多扣费用并书面答复。参考 %s";

static void
s_submit_pack (msgpack_sbuffer *buf, const char *prefix, uint64_t n)
{
    char ref [64], body [512], phone [24], email [64];
    snprintf (ref, sizeof ref, "%s-%" PRIu64, prefix, n);
    snprintf (body, sizeof body, s_body_fmt, ref);
    snprintf (phone, sizeof phone, "139%08" PRIu64, (n * 2654435761u) % 100000000u);
    snprintf (email, sizeof email, "c%" PRIu64 "@%s.example.com", n, prefix);
    submit_t s;
    memset (&s, 0, sizeof s);
    s.channel = (proto_str_t) { "web", 3 };
    s.ref = (proto_str_t) { ref, strlen (ref) };
    s.body = (proto_str_t) { body, strlen (body) };
    s.lang = (proto_str_t) { "zh", 2 };
    s.branch = (proto_str_t) { "上海分行", strlen ("上海分行") };
    s.customer.name = (proto_str_t) { "张伟", strlen ("张伟") };
    s.customer.phone = (proto_str_t) { phone, strlen (phone) };
    s.customer.email = (proto_str_t) { email, strlen (email) };
    msgpack_sbuffer_clear (buf);
    request_submit_pack (buf, &s);
}

/* ------------------------------------------------------------ CPU by stage */

/*  A stage is a service name ("router"); its CPU is its processes' plus
 *  their PostgreSQL backends'. "postgres" is the cluster's own processes
 *  (WAL writer, checkpointer, ...), "other" backends nobody named. */
static const char *s_stages [] = {
    "intake", "bus", "router", "watchdog", "notifier", "analytics", "sinks", "postgres",
    "other", NULL
};
#define STAGES 9
#define S_SERVICES 6                    /* the stages with backends of their own */
#define S_SINKS 6
#define S_POSTGRES 7
#define S_OTHER 8
#define S_LAGS 6

typedef struct {
    int n;
    struct { long pid; int stage; bool backend; double cpu; } p [MAX_PROCS];
} s_cpu_t;

static double
s_proc_cpu (long pid)
{
    char path [64], line [1024];
    snprintf (path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    size_t n = fread (line, 1, sizeof line - 1, f);
    fclose (f);
    line [n] = 0;
    char *p = strrchr (line, ')');
    unsigned long utime, stime;
    if (!p || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                      &utime, &stime) != 2)
        return -1;
    return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

static int
s_stage_of (const char *name)
{
    if (strncmp (name, "sink", 4) == 0)
        return S_SINKS;
    for (int i = 0; s_stages [i]; i++)
        if (strncmp (name, s_stages [i], strlen (s_stages [i])) == 0)
            return i;
    return S_OTHER;
}

static void
s_cpu_add (s_cpu_t *snap, long pid, int stage, bool backend)
{
    double cpu = s_proc_cpu (pid);
    if (cpu >= 0 && snap->n < MAX_PROCS) {
        snap->p [snap->n].pid = pid;
        snap->p [snap->n].stage = stage;
        snap->p [snap->n].backend = backend;
        snap->p [snap->n++].cpu = cpu;
    }
}

static void
s_cpu_snap (s_cpu_t *snap, const char *run_dir, PGconn *pg)
{
    memset (snap, 0, sizeof *snap);
    DIR *dir = opendir (run_dir);
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (len < 5 || strcmp (entry->d_name + len - 4, ".pid") != 0)
            continue;
        char path [512], name [256];
        snprintf (path, sizeof path, "%s/%s", run_dir, entry->d_name);
        snprintf (name, sizeof name, "%.*s", (int) len - 4, entry->d_name);
        FILE *f = fopen (path, "r");
        long pid = 0;
        if (f && fscanf (f, "%ld", &pid) == 1 && pid > 0)
            s_cpu_add (snap, pid, s_stage_of (name), false);
        if (f)
            fclose (f);
    }
    if (dir)
        closedir (dir);
    PGresult *res = PQexec (pg, "SELECT pid, backend_type, coalesce (application_name, '')"
                                " FROM pg_stat_activity WHERE pid <> pg_backend_pid ()");
    if (PQresultStatus (res) == PGRES_TUPLES_OK)
        for (int i = 0; i < PQntuples (res); i++) {
            bool client = streq (PQgetvalue (res, i, 1), "client backend");
            const char *app = PQgetvalue (res, i, 2);
            s_cpu_add (snap, atol (PQgetvalue (res, i, 0)),
                       client ? s_stage_of (app) : S_POSTGRES, true);
        }
    PQclear (res);
}

/* The whole machine's CPU time from /proc/stat, in seconds: busy (every
 * state but idle and iowait) and stolen by the hypervisor. What is busy
 * but not ours (the stages, the load generator) is another tenant's: a
 * run where that is large measured a shared machine, and says so. */
typedef struct {
    double busy, steal;
} s_machine_t;

static void
s_machine_snap (s_machine_t *m)
{
    memset (m, 0, sizeof *m);
    FILE *f = fopen ("/proc/stat", "r");
    unsigned long long v [10] = { 0 };
    if (f && fscanf (f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v [0], &v [1],
                     &v [2], &v [3], &v [4], &v [5], &v [6], &v [7], &v [8], &v [9]) >= 8) {
        double tick = (double) sysconf (_SC_CLK_TCK);
        //  user nice system idle iowait irq softirq steal (guest time is
        //  already inside user and nice).
        m->busy = (double) (v [0] + v [1] + v [2] + v [5] + v [6] + v [7]) / tick;
        m->steal = (double) v [7] / tick;
    }
    if (f)
        fclose (f);
}

/* This process's own CPU seconds (the load generator). */
static double
s_self_cpu (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6
         + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds per stage between two snapshots (processes seen in both),
 * and of that, its PostgreSQL backends'. */
static void
s_cpu_diff (const s_cpu_t *a, const s_cpu_t *b, double out [STAGES], double store [STAGES])
{
    memset (out, 0, sizeof (double) * STAGES);
    memset (store, 0, sizeof (double) * STAGES);
    for (int i = 0; i < b->n; i++)
        for (int j = 0; j < a->n; j++)
            if (a->p [j].pid == b->p [i].pid) {
                out [b->p [i].stage] += b->p [i].cpu - a->p [j].cpu;
                if (b->p [i].backend)
                    store [b->p [i].stage] += b->p [i].cpu - a->p [j].cpu;
                break;
            }
}

/* ------------------------------------------------------------ lag sampler */

typedef struct {
    const char *conninfo, *prefix;
    volatile bool stop;
    int64_t samples;
    int64_t max [S_LAGS];       /* outbox, unrouted, clocks, unconsumed, due, analytics */
    int64_t last [S_LAGS];
} s_lag_t;

static const char *s_lag_names [] = {
    "bus_outbox", "router_unrouted", "watchdog_stale_clocks", "notifier_unconsumed_events",
    "notifier_due_rows", "analytics_unconsumed_events"
};

static void *
s_lag_sampler (void *arg)
{
    s_lag_t *self = arg;
    PGconn *pg = PQconnectdb (self->conninfo);
    if (PQstatus (pg) != CONNECTION_OK) {
        fprintf (stderr, "bench-pipeline: lag sampler cannot connect: %s", PQerrorMessage (pg));
        PQfinish (pg);
        return NULL;
    }
    while (!self->stop) {
        PGresult *res = PQexec (pg,
            "SELECT (SELECT count(*) FROM outbox),"
            " (SELECT count(*) FROM complaint WHERE state = 'received'),"
            " (SELECT count(*) FROM complaint WHERE sla_dirty),"
            " coalesce ((SELECT max (seq) FROM event_log), 0)"
            "  - coalesce ((SELECT min (last_seq) FROM notifier_cursor), 0),"
            " (SELECT count(*) FROM notification WHERE state IN ('pending', 'failed')"
            "    AND next_attempt_at <= app_now ()),"
            " coalesce ((SELECT max (seq) FROM event_log), 0)"
            "  - coalesce ((SELECT last_seq FROM analytics_cursor), 0)");
        if (PQresultStatus (res) == PGRES_TUPLES_OK) {
            for (int i = 0; i < S_LAGS; i++) {
                self->last [i] = atoll (PQgetvalue (res, 0, i));
                if (self->last [i] > self->max [i])
                    self->max [i] = self->last [i];
            }
            self->samples++;
        }
        PQclear (res);
        zclock_sleep (1000);
    }
    PQfinish (pg);
    return NULL;
}

/* ------------------------------------------------------------ figures */

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

/* Print p50, p99, max (ms) of (field - sched) over the cases that have it. */
static uint64_t
s_latency (const char *name, const s_case_t *cases, uint64_t n, size_t offset)
{
    int64_t *v = malloc (sizeof (int64_t) * (n ? n : 1));
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++) {
        int64_t t = *(const int64_t *) ((const char *) &cases [i] + offset);
        if (t)
            v [m++] = t - cases [i].sched;
    }
    qsort (v, m, sizeof *v, s_cmp_i64);
    printf ("%s_count %" PRIu64 " of %" PRIu64 "\n", name, m, n);
    if (m) {
        printf ("%s_p50 %.1f ms\n", name, (double) v [m / 2] / 1e6);
        printf ("%s_p99 %.1f ms\n", name, (double) v [(m * 99) / 100] / 1e6);
        printf ("%s_max %.1f ms\n", name, (double) v [m - 1] / 1e6);
    }
    free (v);
    return m;
}

/* ------------------------------------------------------------ the run */

typedef struct {
    const char *intake, *bus, *pg, *run_dir, *prefix;
    double rate, seconds, drain;
    int clients;
} s_args_t;

static s_case_t *s_cases;
static uint64_t s_ncases;
static uint64_t s_errors;           /* replies that were not an acknowledgement */
static char s_last_error [64];
static zhash_t *s_by_no;            /* complaint_no -> index + 1 */
static zhash_t *s_early;            /* complaint_no -> s_early_t (event before ack) */

static s_case_t *
s_case_by_no (const char *no)
{
    uintptr_t i = (uintptr_t) zhash_lookup (s_by_no, no);
    return i ? &s_cases [i - 1] : NULL;
}

static void
s_on_reply (zmq_msg_t *frames, int nframes, int64_t now)
{
    if (nframes != 3 || zmq_msg_size (&frames [0]) != sizeof (uint64_t))
        return;
    uint64_t tag;
    memcpy (&tag, zmq_msg_data (&frames [0]), sizeof tag);
    if (tag >= s_ncases)
        return;
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    if (msgpack_unpack_next (&up, zmq_msg_data (&frames [2]), zmq_msg_size (&frames [2]), NULL)
            == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *no = proto_map_get (&up.data, "complaint_no");
        if (no && no->type == MSGPACK_OBJECT_STR && no->via.str.size < sizeof s_cases [0].no) {
            s_case_t *c = &s_cases [tag];
            c->ack = now;
            memcpy (c->no, no->via.str.ptr, no->via.str.size);
            c->no [no->via.str.size] = 0;
            zhash_insert (s_by_no, c->no, (void *) (uintptr_t) (tag + 1));
            s_early_t *e = zhash_lookup (s_early, c->no);
            if (e) {
                c->assigned = e->assigned;
                c->receipt = e->receipt;
                c->handler = e->handler;
                c->no_handler = e->no_handler;
                zhash_delete (s_early, c->no);
            }
        }
        else {
            //  An error reply: counted, and the complaint never completes.
            const msgpack_object *error = proto_map_get (&up.data, "error");
            const msgpack_object *code = error ? proto_map_get (error, "code") : NULL;
            s_errors++;
            if (code && code->type == MSGPACK_OBJECT_STR)
                snprintf (s_last_error, sizeof s_last_error, "%.*s", (int) code->via.str.size,
                          code->via.str.ptr);
        }
    }
    msgpack_unpacked_destroy (&up);
}

static void
s_on_event (zmq_msg_t *frames, int nframes, int64_t now)
{
    if (nframes != 3)
        return;
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    event_view_t ev;
    proto_error_t err;
    if (event_decode (zmq_msg_data (&frames [2]), zmq_msg_size (&frames [2]), &up, &ev, &err) == 0
    &&  ev.complaint_no.ptr && ev.complaint_no.len < 24) {
        char no [24];
        memcpy (no, ev.complaint_no.ptr, ev.complaint_no.len);
        no [ev.complaint_no.len] = 0;
        int64_t *assigned = NULL, *receipt = NULL, *handler = NULL;
        bool *no_handler;
        s_case_t *c = s_case_by_no (no);
        s_early_t *e = NULL;
        if (!c) {
            e = zhash_lookup (s_early, no);
            if (!e) {
                e = calloc (1, sizeof *e);
                zhash_insert (s_early, no, e);
                zhash_freefn (s_early, no, free);
            }
        }
        assigned = c ? &c->assigned : &e->assigned;
        receipt = c ? &c->receipt : &e->receipt;
        handler = c ? &c->handler : &e->handler;
        no_handler = c ? &c->no_handler : &e->no_handler;
        if (proto_str_eq (ev.type, "complaint.assigned") && !*assigned) {
            *assigned = now;
            const msgpack_object *who = ev.data ? proto_map_get (ev.data, "handler") : NULL;
            *no_handler = !who || who->type != MSGPACK_OBJECT_STR;
        }
        else
        if (proto_str_eq (ev.type, "notification.sent") && ev.data) {
            const msgpack_object *kind = proto_map_get (ev.data, "recipient_kind");
            const msgpack_object *channel = proto_map_get (ev.data, "channel");
            bool customer = kind && kind->type == MSGPACK_OBJECT_STR
                         && kind->via.str.size == 8 && memcmp (kind->via.str.ptr, "customer", 8) == 0;
            bool email = channel && channel->type == MSGPACK_OBJECT_STR
                      && channel->via.str.size == 5 && memcmp (channel->via.str.ptr, "email", 5) == 0;
            if (customer && email && !*receipt)
                *receipt = now;
            if (kind && !customer && !*handler)
                *handler = now;
        }
    }
    msgpack_unpacked_destroy (&up);
}

/* Read one whole message (all frames) without blocking; its frame count, 0. */
static int
s_recv_frames (void *sock, zmq_msg_t *frames, int max)
{
    int n = 0;
    while (n < max) {
        zmq_msg_init (&frames [n]);
        if (zmq_msg_recv (&frames [n], sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close (&frames [n]);
            return n;
        }
        bool more = zmq_msg_more (&frames [n]);
        n++;
        if (!more)
            return n;
    }
    //  Too many frames: drop the rest.
    zmq_msg_t rest;
    zmq_msg_init (&rest);
    while (zmq_msg_more (&frames [max - 1]) && zmq_msg_recv (&rest, sock, 0) >= 0
           && zmq_msg_more (&rest))
        ;
    zmq_msg_close (&rest);
    return n;
}

static void
s_close_frames (zmq_msg_t *frames, int n)
{
    for (int i = 0; i < n; i++)
        zmq_msg_close (&frames [i]);
}

/* Which complaints have their clocks built (sla_dirty cleared), stamped
 * now. Only rows after the oldest one still waiting are read (the benchmark
 * is the only traffic), so a poll costs what is new, not the whole table. */
static int64_t s_clock_watermark;   /* complaint.id below which all are built */

static void
s_poll_clocks (PGconn *pg, int64_t now)
{
    char after [24];
    snprintf (after, sizeof after, "%" PRId64, s_clock_watermark);
    const char *values [1] = { after };
    PGresult *res = PQexecParams (pg,
        "SELECT id, complaint_no, sla_dirty FROM complaint WHERE id > $1 ORDER BY id",
        1, NULL, values, NULL, NULL, 0);
    if (PQresultStatus (res) == PGRES_TUPLES_OK) {
        bool waiting = false;
        for (int i = 0; i < PQntuples (res); i++) {
            bool dirty = streq (PQgetvalue (res, i, 2), "t");
            s_case_t *c = s_case_by_no (PQgetvalue (res, i, 1));
            if (c && !dirty && !c->clocks)
                c->clocks = now;
            if (dirty || !c)
                waiting = true;         /* not built, or not acknowledged yet */
            if (!waiting)
                s_clock_watermark = atoll (PQgetvalue (res, i, 0));
        }
    }
    PQclear (res);
}

static bool
s_done (const s_case_t *c)
{
    return c->ack && c->assigned && c->receipt && (c->handler || c->no_handler) && c->clocks;
}

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: bench-pipeline --intake EP --bus EP --pg CONNINFO --run-dir DIR\n"
        "                      [--rate N] [--seconds S] [--drain S] [--clients K] [--prefix P]\n"
        "  offers N complaints/s (default 1000) for S seconds (60) from K DEALERs (4),\n"
        "  then waits at most --drain seconds (120) for every one to be done.\n");
}

static const char *
s_arg (int argc, char **argv, const char *flag, const char *def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (streq (argv [i], flag))
            return argv [i + 1];
    return def;
}

int
main (int argc, char **argv)
{
    s_args_t a;
    a.intake = s_arg (argc, argv, "--intake", NULL);
    a.bus = s_arg (argc, argv, "--bus", NULL);
    a.pg = s_arg (argc, argv, "--pg", NULL);
    a.run_dir = s_arg (argc, argv, "--run-dir", NULL);
    a.rate = atof (s_arg (argc, argv, "--rate", "1000"));
    a.seconds = atof (s_arg (argc, argv, "--seconds", "60"));
    a.drain = atof (s_arg (argc, argv, "--drain", "120"));
    a.clients = atoi (s_arg (argc, argv, "--clients", "4"));
    char default_prefix [32];
    snprintf (default_prefix, sizeof default_prefix, "pipe%ld", (long) time (NULL));
    a.prefix = s_arg (argc, argv, "--prefix", default_prefix);
    if (!a.intake || !a.bus || !a.pg || !a.run_dir || a.rate <= 0 || a.seconds <= 0
        || a.clients < 1 || a.clients > MAX_CLIENTS) {
        s_usage ();
        return 2;
    }
    zsys_init ();
    zsys_set_linger (100);
    PGconn *pg = PQconnectdb (a.pg);
    if (PQstatus (pg) != CONNECTION_OK) {
        fprintf (stderr, "bench-pipeline: cannot connect to PostgreSQL: %s", PQerrorMessage (pg));
        return 1;
    }
    s_ncases = (uint64_t) (a.rate * a.seconds);
    s_cases = calloc (s_ncases, sizeof *s_cases);
    s_by_no = zhash_new ();
    s_early = zhash_new ();

    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (sub, 0);
    zsock_set_subscribe (sub, "complaint.assigned");
    zsock_set_subscribe (sub, "notification.sent");
    //  CURVE as every client (COMPLAINTS_CURVE, _KEYS, _KEY: common/curve.h).
    if (curve_client (curve_default (), sub, CURVE_BUS, a.bus)) {
        fprintf (stderr, "bench-pipeline: %s\n", curve_error (curve_default ()));
        return 1;
    }
    if (zsock_connect (sub, "%s", a.bus)) {
        fprintf (stderr, "bench-pipeline: cannot connect to the bus at %s\n", a.bus);
        return 1;
    }
    zsock_t *dealers [MAX_CLIENTS];
    for (int i = 0; i < a.clients; i++) {
        dealers [i] = zsock_new (ZMQ_DEALER);
        zsock_set_sndhwm (dealers [i], 0);
        zsock_set_rcvhwm (dealers [i], 0);
        if (curve_client (curve_default (), dealers [i], CURVE_INTAKE, a.intake)) {
            fprintf (stderr, "bench-pipeline: %s\n", curve_error (curve_default ()));
            return 1;
        }
        if (zsock_connect (dealers [i], "%s", a.intake)) {
            fprintf (stderr, "bench-pipeline: cannot connect to intake at %s\n", a.intake);
            return 1;
        }
    }
    zclock_sleep (300);             /* let the SUB's subscriptions reach the bus */

    char hostname [256] = "";
    gethostname (hostname, sizeof hostname);
    printf ("# bench-pipeline %s cores %ld rate %.0f/s seconds %.0f clients %d prefix %s\n",
            hostname, sysconf (_SC_NPROCESSORS_ONLN), a.rate, a.seconds, a.clients, a.prefix);
    fflush (stdout);

    s_lag_t lag = { .conninfo = a.pg, .prefix = a.prefix };
    pthread_t lag_thread;
    pthread_create (&lag_thread, NULL, s_lag_sampler, &lag);

    s_cpu_t cpu0, cpu1;
    s_machine_t machine0, machine1;
    s_cpu_snap (&cpu0, a.run_dir, pg);
    s_machine_snap (&machine0);
    double self0 = s_self_cpu ();
    int64_t start = s_now_ns () + 10 * 1000000LL;
    int64_t interval = (int64_t) (1e9 / a.rate);
    int64_t end_offer = start + (int64_t) (a.seconds * 1e9);
    int64_t give_up = end_offer + (int64_t) (a.drain * 1e9);
    uint64_t sent = 0, done = 0;
    int64_t all_done_at = 0, next_clock_poll = start + 200000000LL;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    zmq_pollitem_t items [MAX_CLIENTS + 1];
    for (int i = 0; i < a.clients; i++)
        items [i] = (zmq_pollitem_t) { zsock_resolve (dealers [i]), 0, ZMQ_POLLIN, 0 };
    items [a.clients] = (zmq_pollitem_t) { zsock_resolve (sub), 0, ZMQ_POLLIN, 0 };
    zmq_msg_t frames [8];

    while (true) {
        int64_t now = s_now_ns ();
        //  Send everything whose time has come (open loop).
        while (sent < s_ncases && start + (int64_t) sent * interval <= now) {
            s_submit_pack (&buf, a.prefix, sent);
            void *sock = zsock_resolve (dealers [sent % (uint64_t) a.clients]);
            uint64_t tag = sent;
            s_cases [sent].sched = start + (int64_t) sent * interval;
            zmq_send (sock, &tag, sizeof tag, ZMQ_SNDMORE);
            zmq_send (sock, "", 0, ZMQ_SNDMORE);
            zmq_send (sock, buf.data, buf.size, 0);
            sent++;
        }
        if (now >= next_clock_poll) {
            s_poll_clocks (pg, now);
            next_clock_poll = now + (now < end_offer ? 1000000000LL : 100000000LL);
            done = 0;
            for (uint64_t i = 0; i < s_ncases; i++)
                done += s_done (&s_cases [i]);
            if (sent == s_ncases && done == s_ncases) {
                all_done_at = now;
                break;
            }
        }
        if (now > give_up)
            break;
        int64_t wake = sent < s_ncases ? start + (int64_t) sent * interval : next_clock_poll;
        if (wake > next_clock_poll)
            wake = next_clock_poll;
        //  Rounded up: a request goes out at most 1 ms after its time
        //  (which counts against the pipeline: latencies run from the
        //  scheduled time), and the client sleeps in between. Rounded down,
        //  at 1000/s it spun through zmq_poll with a 0 timeout and took
        //  ~0.7 of a core from the pipeline it measured.
        long timeout_ms = wake > now ? (long) ((wake - now + 999999) / 1000000) : 0;
        zmq_poll (items, a.clients + 1, timeout_ms);
        now = s_now_ns ();
        for (int i = 0; i <= a.clients; i++) {
            if (!(items [i].revents & ZMQ_POLLIN))
                continue;
            int n;
            while ((n = s_recv_frames (items [i].socket, frames, 8)) > 0) {
                if (i < a.clients)
                    s_on_reply (frames, n, now);
                else
                    s_on_event (frames, n, now);
                s_close_frames (frames, n);
            }
        }
    }
    s_cpu_snap (&cpu1, a.run_dir, pg);
    s_machine_snap (&machine1);
    double self1 = s_self_cpu ();
    lag.stop = true;
    pthread_join (lag_thread, NULL);
    int64_t finished = all_done_at ? all_done_at : s_now_ns ();

    //  The figures.
    double offered_s = (double) (end_offer - start) / 1e9;
    double elapsed_s = (double) (finished - start) / 1e9;
    printf ("offered %" PRIu64 " complaints\n", s_ncases);
    printf ("offered_rate %.0f /s\n", (double) s_ncases / offered_s);
    printf ("done %" PRIu64 " complaints\n", done);
    printf ("done_rate %.0f /s\n", (double) done / elapsed_s);
    printf ("backlog_after_offer %.2f s\n", all_done_at ? (double) (all_done_at - end_offer) / 1e9
                                                       : -1.0);
    printf ("ack_errors %" PRIu64 " replies (last code %s)\n", s_errors,
            *s_last_error ? s_last_error : "-");
    s_latency ("ack", s_cases, s_ncases, offsetof (s_case_t, ack));
    s_latency ("assigned", s_cases, s_ncases, offsetof (s_case_t, assigned));
    s_latency ("clocks", s_cases, s_ncases, offsetof (s_case_t, clocks));
    s_latency ("receipt_sent", s_cases, s_ncases, offsetof (s_case_t, receipt));
    s_latency ("handler_told", s_cases, s_ncases, offsetof (s_case_t, handler));
    uint64_t queued = 0;
    for (uint64_t i = 0; i < s_ncases; i++)
        queued += s_cases [i].no_handler;
    printf ("assigned_to_department_queue %" PRIu64 " complaints (no handler free: nobody to tell)\n",
            queued);
    double stage [STAGES], store [STAGES], total = 0;
    s_cpu_diff (&cpu0, &cpu1, stage, store);
    for (int i = 0; i < STAGES; i++) {
        printf ("cpu_%s %.1f us/complaint\n", s_stages [i], stage [i] * 1e6 / (double) s_ncases);
        total += stage [i];
    }
    for (int i = 0; i < S_SERVICES; i++)
        printf ("cpu_%s_in_postgres %.1f us/complaint\n", s_stages [i],
                store [i] * 1e6 / (double) s_ncases);
    double per = total * 1e6 / (double) s_ncases;
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    printf ("cpu_total %.1f us/complaint\n", per);
    printf ("cpu_busy %.0f %% of %ld cores over the run\n", total * 100 / elapsed_s / (double) cores,
            cores);
    printf ("machine_limit_at_this_cost %.0f complaints/s\n", per > 0 ? (double) cores * 1e6 / per : 0);
    double generator = self1 - self0;
    double others = (machine1.busy - machine0.busy) - total - generator;
    printf ("cpu_load_generator %.1f us/complaint\n", generator * 1e6 / (double) s_ncases);
    printf ("cpu_others %.0f %% of %ld cores over the run (not the pipeline, not the load"
            " generator: another tenant; steal %.0f %%)\n",
            (others > 0 ? others : 0) * 100 / elapsed_s / (double) cores, cores,
            (machine1.steal - machine0.steal) * 100 / elapsed_s / (double) cores);
    for (int i = 0; i < S_LAGS; i++)
        printf ("lag_max_%s %" PRId64 " rows\n", s_lag_names [i], lag.max [i]);
    printf ("lag_samples %" PRId64 "\n", lag.samples);

    msgpack_sbuffer_destroy (&buf);
    for (int i = 0; i < a.clients; i++)
        zsock_destroy (&dealers [i]);
    zsock_destroy (&sub);
    zhash_destroy (&s_by_no);
    zhash_destroy (&s_early);
    free (s_cases);
    PQfinish (pg);
    return all_done_at ? 0 : 3;
}
