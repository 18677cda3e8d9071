/*  bench-intake — what one intake acknowledges, how fast it answers, and
 *  the best a plain libpq loop writes into the same cluster.
 *
 *  Small and single-purpose like libzmq's perf/local_thr: each phase prints
 *  its figures as `name value unit`, one per line, after a header of `#`
 *  lines holding the conditions (cores, PostgreSQL version, fsync,
 *  synchronous_commit, clients, window, seconds, batch).
 *
 *  Phases (`all`, the default, runs them in this order):
 *
 *    throughput  N client threads, each a DEALER with W requests in flight,
 *                submit unique complaints (a ~300-byte Chinese/English body,
 *                a customer with name and phone, channel web or hotline, a
 *                unique ref) for T seconds. Frames are [tag]["" ][request];
 *                intake echoes the tag, so replies are matched without a
 *                lock-step REQ. Counts only {"ok":true,"duplicate":false}
 *                replies received before the deadline; errors, duplicates
 *                and requests never answered are printed beside it.
 *    batch       rows per transaction intake really used in that phase,
 *                read from the store: count(*) / count(DISTINCT xmin).
 *    latency     open loop: C paced clients together offer R requests/s for
 *                T seconds, sending on schedule whatever the replies do.
 *                Latency runs from the scheduled send time (not the actual
 *                one), so a stall is charged to every request it delayed —
 *                no coordinated omission. The wait between sends is a ppoll
 *                on the socket's ZMQ_FD with a nanosecond timeout, so the
 *                client neither spins nor rounds its schedule to 1 ms.
 *    raw         the raw limit: one libpq connection inserts the same rows
 *                (complaint + outbox row, same columns, same sizes) in
 *                batches of B, one transaction per batch, pipelined with one
 *                sync per batch — one round trip and one fsync per batch,
 *                the shape of intake's batch — in two hand-written styles:
 *                  rows    BEGIN, two prepared INSERTs per row, COMMIT
 *                  arrays  BEGIN, one prepared statement inserting the whole
 *                          batch into both tables from arrays, COMMIT
 *                (intake itself writes set-based, so `arrays` is the fair
 *                yardstick; the verdict uses the better of the two). Run at
 *                the batch intake used, and at 1 and 100 for reference. The
 *                cluster's own durability settings apply to all of them.
 *    zmq         ZeroMQ's own limit for this exchange: the throughput
 *                clients against an in-process ROUTER that answers every
 *                request with a fixed ok reply and touches no store (over
 *                CURVE like intake, unless COMPLAINTS_CURVE=off).
 *
 *  Transport: CURVE as every client (common/curve.h: COMPLAINTS_CURVE,
 *  COMPLAINTS_KEYS, COMPLAINTS_KEY); tests/bench/run.sh makes the keys.
 *
 *  Then the ratios acknowledged / raw (at intake's batch) and intake's peak
 *  resident memory (VmHWM of --intake-pid). Each store phase also prints
 *  where the CPU went, in microseconds per request or row: intake's
 *  process, every process of the PostgreSQL cluster, and this benchmark —
 *  on a busy or shared machine that says more than the rate does.
 *
 *  Everything is a flag and an environment variable (bench-intake --help).
 *  tests/bench/run.sh builds the cluster, starts intake and runs this.
 */
#include "bench_util.h"
#include "cfg.h"
#include "curve.h"
#include "events.h"
#include "privacy.h"
#include "request.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_ERROR_CODES 8
#define DRAIN_NS        (5 * 1000000000LL)     /* wait for late replies */

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
s_sleep_until (int64_t when_ns)
{
    struct timespec ts = { (time_t) (when_ns / 1000000000LL), (long) (when_ns % 1000000000LL) };
    while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* ------------------------------------------------------------------ requests */

/* 292 bytes of text plus the ref: the size of a typical hotline or web
 * complaint, with a card number in it so intake's masking does real work. */
static const char *s_body_fmt =
    "尊敬的客服：我在贵行办理的信用卡（卡号 6222 0212 3456 7890）上月被重复扣取年费 "
    "RMB 320.00，致电热线三次仍未处理。My card annual fee was charged twice last month "
    "and three calls to the hotline did not resolve it. 请退还多扣费用并书面答复。参考 %s";

static const char *s_names [] = { "张伟", "王芳", "Li Wei", "陈静", "Zhang Min", "刘洋" };

typedef struct {
    char ref [96];
    char body [512];
    char phone [24];
    const char *name;
    const char *channel;
} s_row_t;

/* A unique complaint: ref = PREFIX-CLIENT-N, phone derived from the same. */
static void
s_row_fill (s_row_t *row, const char *prefix, int client, uint64_t n)
{
    snprintf (row->ref, sizeof row->ref, "%s-%d-%" PRIu64, prefix, client, n);
    snprintf (row->body, sizeof row->body, s_body_fmt, row->ref);
    uint64_t h = ((uint64_t) client * 1000003u + n) * 2654435761u;
    snprintf (row->phone, sizeof row->phone, "13%09" PRIu64, h % 1000000000u);
    row->name = s_names [n % (sizeof s_names / sizeof s_names [0])];
    row->channel = (n & 1) ? "hotline" : "web";
}

static proto_str_t
s_str (const char *s)
{
    return (proto_str_t) { s, strlen (s) };
}

static void
s_request_pack (msgpack_sbuffer *buf, const char *prefix, int client, uint64_t n)
{
    s_row_t row;
    s_row_fill (&row, prefix, client, n);
    submit_t s;
    memset (&s, 0, sizeof s);
    s.channel = s_str (row.channel);
    s.ref = s_str (row.ref);
    s.body = s_str (row.body);
    s.lang = s_str ("zh");
    s.customer.name = s_str (row.name);
    s.customer.phone = s_str (row.phone);
    msgpack_sbuffer_clear (buf);
    request_submit_pack (buf, &s);
}

/* ------------------------------------------------------------ CPU time */

/*  Where the CPU goes, per phase: intake's process, every process of the
 *  PostgreSQL cluster (backends and the walwriter, checkpointer... — the
 *  pids pg_stat_activity lists) and this benchmark (clients and their ZeroMQ
 *  I/O threads). On a shared or busy machine throughput says little;
 *  CPU-microseconds per complaint say what the work costs wherever it runs. */
#define MAX_SERVER_PROCS 64

typedef struct {
    double intake, client;
    int nprocs;
    struct { long pid; double cpu; } procs [MAX_SERVER_PROCS];
} s_cpu_snap_t;

static PGconn *s_monitor;          /* a connection kept for pg_stat_activity */
static long s_intake_pid;

/* utime + stime of a process in seconds, -1 if it is gone. */
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
    char *p = strrchr (line, ')');          /* comm may hold spaces */
    unsigned long utime, stime;
    if (!p || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                      &utime, &stime) != 2)
        return -1;
    return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

static void
s_cpu_snap (s_cpu_snap_t *snap)
{
    memset (snap, 0, sizeof *snap);
    snap->intake = s_intake_pid > 0 ? s_proc_cpu (s_intake_pid) : -1;
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    snap->client = (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6
                 + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
    if (!s_monitor)
        return;
    PGresult *res = PQexec (s_monitor, "SELECT pid FROM pg_stat_activity");
    if (PQresultStatus (res) == PGRES_TUPLES_OK)
        for (int i = 0; i < PQntuples (res) && snap->nprocs < MAX_SERVER_PROCS; i++) {
            long pid = atol (PQgetvalue (res, i, 0));
            double cpu = s_proc_cpu (pid);
            if (cpu >= 0) {
                snap->procs [snap->nprocs].pid = pid;
                snap->procs [snap->nprocs++].cpu = cpu;
            }
        }
    PQclear (res);
}

/* Print CPU-microseconds per unit for intake, PostgreSQL and the benchmark. */
static void
s_cpu_print (const char *phase, const s_cpu_snap_t *a, const s_cpu_snap_t *b, double units,
             const char *unit, bool with_intake)
{
    if (units <= 0)
        return;
    double server = 0;
    for (int i = 0; i < b->nprocs; i++) {
        double was = 0;
        for (int j = 0; j < a->nprocs; j++)
            if (a->procs [j].pid == b->procs [i].pid)
                was = a->procs [j].cpu;
        server += b->procs [i].cpu - was;
    }
    if (with_intake && a->intake >= 0 && b->intake >= 0)
        printf ("%s_cpu_intake %.1f us/%s\n", phase, (b->intake - a->intake) * 1e6 / units, unit);
    if (s_monitor)
        printf ("%s_cpu_postgres %.1f us/%s\n", phase, server * 1e6 / units, unit);
    printf ("%s_cpu_bench %.1f us/%s\n", phase, (b->client - a->client) * 1e6 / units, unit);
}

static void
s_print_pressure (const char *when)
{
    char line [256] = "";
    FILE *f = fopen ("/proc/pressure/cpu", "r");
    if (f) {
        if (!fgets (line, sizeof line, f))
            line [0] = 0;
        fclose (f);
    }
    line [strcspn (line, "\n")] = 0;
    double load [3] = { 0, 0, 0 };
    getloadavg (load, 3);
    printf ("# %s loadavg %.2f %.2f %.2f cpu_pressure %s\n", when, load [0], load [1], load [2],
            *line ? line : "n/a");
}

/* ------------------------------------------------------------------- clients */

typedef enum { REPLY_ACCEPTED, REPLY_DUPLICATE, REPLY_ERROR } s_reply_kind_t;

typedef struct {
    char code [32];
    uint64_t count;
} s_error_count_t;

typedef struct {
    /* in */
    int id;
    const char *endpoint;
    const char *prefix;
    int window;                 /* throughput: requests in flight */
    double rate;                /* latency: this client's requests/s */
    int64_t start_ns, end_ns;   /* phase window (CLOCK_MONOTONIC) */
    /* out */
    uint64_t sent, accepted, duplicates, errors, late, lost;
    s_error_count_t codes [MAX_ERROR_CODES];
    double *latency_ms;         /* latency: one per answered request */
    uint64_t nlatency;
    int64_t *scheduled_ns;      /* latency: scheduled send time by tag */
    uint64_t capacity;
} s_client_t;

static void
s_count_error (s_client_t *self, const char *code, size_t len)
{
    self->errors++;
    if (len >= sizeof self->codes [0].code)
        len = sizeof self->codes [0].code - 1;
    for (int i = 0; i < MAX_ERROR_CODES; i++) {
        s_error_count_t *c = &self->codes [i];
        if (c->count == 0) {
            memcpy (c->code, code, len);
            c->code [len] = 0;
        }
        if (strlen (c->code) == len && memcmp (c->code, code, len) == 0) {
            c->count++;
            return;
        }
    }
}

/* Classify a reply body: ok and not duplicate, ok duplicate, or an error
 * (its code counted). */
static s_reply_kind_t
s_reply_classify (s_client_t *self, const void *data, size_t size)
{
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    s_reply_kind_t kind = REPLY_ERROR;
    const char *code = "undecodable_reply";
    size_t code_len = strlen (code);
    if (msgpack_unpack_next (&up, data, size, NULL) == MSGPACK_UNPACK_SUCCESS
    &&  up.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *ok = proto_map_get (&up.data, "ok");
        const msgpack_object *dup = proto_map_get (&up.data, "duplicate");
        const msgpack_object *error = proto_map_get (&up.data, "error");
        if (ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean)
            kind = dup && dup->type == MSGPACK_OBJECT_BOOLEAN && dup->via.boolean
                 ? REPLY_DUPLICATE : REPLY_ACCEPTED;
        else
        if (error && error->type == MSGPACK_OBJECT_MAP) {
            const msgpack_object *c = proto_map_get (error, "code");
            if (c && c->type == MSGPACK_OBJECT_STR) {
                code = c->via.str.ptr;
                code_len = c->via.str.size;
            }
        }
    }
    if (kind == REPLY_ERROR)
        s_count_error (self, code, code_len);
    msgpack_unpacked_destroy (&up);
    return kind;
}

static int
s_send_request (void *sock, uint64_t tag, msgpack_sbuffer *buf)
{
    if (zmq_send (sock, &tag, sizeof tag, ZMQ_SNDMORE) < 0
    ||  zmq_send (sock, "", 0, ZMQ_SNDMORE) < 0
    ||  zmq_send (sock, buf->data, buf->size, 0) < 0)
        return -1;
    return 0;
}

/* Receive one reply [tag]["" ][body] without blocking. Returns 0 and fills
 * *tag and *kind, or -1 when nothing is queued. */
static int
s_recv_reply (s_client_t *self, void *sock, uint64_t *tag, s_reply_kind_t *kind)
{
    zmq_msg_t part;
    zmq_msg_init (&part);
    if (zmq_msg_recv (&part, sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&part);
        return -1;
    }
    int index = 0;
    bool tag_ok = false;
    *kind = REPLY_ERROR;
    while (true) {
        if (index == 0 && zmq_msg_size (&part) == sizeof *tag) {
            memcpy (tag, zmq_msg_data (&part), sizeof *tag);
            tag_ok = true;
        }
        bool more = zmq_msg_more (&part);
        if (!more && index == 2 && tag_ok)
            *kind = s_reply_classify (self, zmq_msg_data (&part), zmq_msg_size (&part));
        else
        if (!more)
            s_count_error (self, "bad_envelope", strlen ("bad_envelope"));
        zmq_msg_close (&part);
        if (!more)
            break;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, sock, 0) < 0) {
            zmq_msg_close (&part);
            break;
        }
        index++;
    }
    return tag_ok && index == 2 ? 0 : -1;
}

static zsock_t *
s_client_socket (const char *endpoint)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    assert (sock);
    zsock_set_sndhwm (sock, 0);
    zsock_set_rcvhwm (sock, 0);
    //  CURVE as every client (COMPLAINTS_CURVE, _KEYS, _KEY: common/curve.h).
    if (curve_client (curve_default (), sock, CURVE_INTAKE, endpoint)) {
        fprintf (stderr, "bench-intake: %s\n", curve_error (curve_default ()));
        zsock_destroy (&sock);
    }
    else
    if (zsock_connect (sock, "%s", endpoint)) {
        fprintf (stderr, "bench-intake: cannot connect to %s\n", endpoint);
        zsock_destroy (&sock);
    }
    return sock;
}

/* Closed loop: keep `window` requests in flight until end_ns; count the ok
 * replies that arrive before end_ns. Then wait for the stragglers, so the
 * socket closes clean and nothing is left unexplained. */
static void *
s_throughput_client (void *arg)
{
    s_client_t *self = arg;
    zsock_t *zs = s_client_socket (self->endpoint);
    if (!zs)
        return NULL;
    void *sock = zsock_resolve (zs);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    s_sleep_until (self->start_ns);
    uint64_t outstanding = 0;
    int64_t now = s_now_ns ();
    while (now < self->end_ns) {
        while (outstanding < (uint64_t) self->window) {
            s_request_pack (&buf, self->prefix, self->id, self->sent);
            if (s_send_request (sock, self->sent, &buf))
                break;
            self->sent++;
            outstanding++;
        }
        zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
        long timeout_ms = (long) ((self->end_ns - now) / 1000000) + 1;
        zmq_poll (&item, 1, timeout_ms);
        now = s_now_ns ();
        uint64_t tag;
        s_reply_kind_t kind;
        while (s_recv_reply (self, sock, &tag, &kind) == 0) {
            outstanding--;
            if (now < self->end_ns) {
                self->accepted += kind == REPLY_ACCEPTED;
                self->duplicates += kind == REPLY_DUPLICATE;
            }
            else
                self->late++;
        }
    }
    int64_t give_up = s_now_ns () + DRAIN_NS;
    while (outstanding > 0 && s_now_ns () < give_up) {
        zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 100);
        uint64_t tag;
        s_reply_kind_t kind;
        while (s_recv_reply (self, sock, &tag, &kind) == 0) {
            outstanding--;
            self->late++;
        }
    }
    self->lost = outstanding;
    msgpack_sbuffer_destroy (&buf);
    zsock_destroy (&zs);
    return NULL;
}

static bool
s_socket_readable (void *sock)
{
    int events = 0;
    size_t size = sizeof events;
    return zmq_getsockopt (sock, ZMQ_EVENTS, &events, &size) == 0 && (events & ZMQ_POLLIN);
}

/* Open loop: send request k at start_ns + k / rate whatever the replies do;
 * latency = reply time - scheduled time. */
static void *
s_latency_client (void *arg)
{
    s_client_t *self = arg;
    zsock_t *zs = s_client_socket (self->endpoint);
    if (!zs)
        return NULL;
    void *sock = zsock_resolve (zs);
    int fd = -1;
    size_t fd_size = sizeof fd;
    zmq_getsockopt (sock, ZMQ_FD, &fd, &fd_size);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    double interval_ns = 1e9 / self->rate;
    s_sleep_until (self->start_ns);
    uint64_t answered = 0;
    int64_t give_up = self->end_ns + DRAIN_NS;
    while (true) {
        int64_t now = s_now_ns ();
        /* ZMQ_FD is edge-triggered: drain until ZMQ_EVENTS says empty. */
        uint64_t tag;
        s_reply_kind_t kind;
        while (s_socket_readable (sock) && s_recv_reply (self, sock, &tag, &kind) == 0) {
            now = s_now_ns ();
            if (tag < self->sent && self->scheduled_ns [tag]) {
                self->latency_ms [self->nlatency++] = (double) (now - self->scheduled_ns [tag]) / 1e6;
                self->scheduled_ns [tag] = 0;
                answered++;
                self->accepted += kind == REPLY_ACCEPTED;
                self->duplicates += kind == REPLY_DUPLICATE;
            }
        }
        int64_t next = self->start_ns + (int64_t) ((double) self->sent * interval_ns);
        bool sending = next < self->end_ns && self->sent < self->capacity;
        if (sending && now >= next) {
            s_request_pack (&buf, self->prefix, self->id, self->sent);
            self->scheduled_ns [self->sent] = next;
            if (s_send_request (sock, self->sent, &buf) == 0)
                self->sent++;
            continue;
        }
        if (!sending && (answered == self->sent || now >= give_up))
            break;
        int64_t wake = sending ? next : give_up;
        int64_t wait = wake - now;
        struct timespec ts = { (time_t) (wait / 1000000000LL), (long) (wait % 1000000000LL) };
        struct pollfd pfd = { fd, POLLIN, 0 };
        ppoll (&pfd, 1, &ts, NULL);
    }
    self->lost = self->sent - answered;
    msgpack_sbuffer_destroy (&buf);
    zsock_destroy (&zs);
    return NULL;
}

typedef struct {
    uint64_t sent, accepted, duplicates, errors, late, lost;
    s_error_count_t codes [MAX_ERROR_CODES];
} s_totals_t;

static void
s_run_clients (s_client_t *clients, int n, void *(*fn) (void *), s_totals_t *t)
{
    pthread_t *threads = calloc ((size_t) n, sizeof *threads);
    assert (threads);
    for (int i = 0; i < n; i++)
        pthread_create (&threads [i], NULL, fn, &clients [i]);
    memset (t, 0, sizeof *t);
    for (int i = 0; i < n; i++) {
        pthread_join (threads [i], NULL);
        s_client_t *c = &clients [i];
        t->sent += c->sent;
        t->accepted += c->accepted;
        t->duplicates += c->duplicates;
        t->errors += c->errors;
        t->late += c->late;
        t->lost += c->lost;
        for (int k = 0; k < MAX_ERROR_CODES && c->codes [k].count; k++) {
            int j = 0;
            while (j < MAX_ERROR_CODES && t->codes [j].count
               &&  strcmp (t->codes [j].code, c->codes [k].code))
                j++;
            if (j < MAX_ERROR_CODES) {
                snprintf (t->codes [j].code, sizeof t->codes [j].code, "%s", c->codes [k].code);
                t->codes [j].count += c->codes [k].count;
            }
        }
    }
    free (threads);
}

static void
s_print_errors (const char *phase, const s_totals_t *t)
{
    printf ("%s_errors %" PRIu64 " replies\n", phase, t->errors);
    for (int j = 0; j < MAX_ERROR_CODES && t->codes [j].count; j++)
        printf ("%s_error_%s %" PRIu64 " replies\n", phase, t->codes [j].code, t->codes [j].count);
    printf ("%s_duplicates %" PRIu64 " replies\n", phase, t->duplicates);
    printf ("%s_unanswered %" PRIu64 " requests\n", phase, t->lost);
}

/* Returns acknowledged complaints/s. */
static double
s_phase_throughput (const char *phase, const char *endpoint, const char *prefix,
                    int nclients, int window, double seconds)
{
    s_client_t *clients = calloc ((size_t) nclients, sizeof *clients);
    assert (clients);
    int64_t start = s_now_ns () + 200000000LL;      /* connect first */
    for (int i = 0; i < nclients; i++) {
        clients [i].id = i;
        clients [i].endpoint = endpoint;
        clients [i].prefix = prefix;
        clients [i].window = window;
        clients [i].start_ns = start;
        clients [i].end_ns = start + (int64_t) (seconds * 1e9);
    }
    s_totals_t t;
    s_cpu_snap_t before, after;
    s_cpu_snap (&before);
    s_run_clients (clients, nclients, s_throughput_client, &t);
    s_cpu_snap (&after);
    double rate = (double) t.accepted / seconds;
    printf ("%s_ack %.0f complaints/s\n", phase, rate);
    printf ("%s_sent %" PRIu64 " requests\n", phase, t.sent);
    printf ("%s_late %" PRIu64 " replies\n", phase, t.late);
    s_print_errors (phase, &t);
    /* every reply, late ones too, was work done in the measured CPU time */
    if (strcmp (phase, "throughput") == 0)
        s_cpu_print (phase, &before, &after,
                     (double) (t.accepted + t.duplicates + t.errors + t.late), "request", true);
    fflush (stdout);
    free (clients);
    return rate;
}

static double
s_percentile (const double *sorted, uint64_t n, double p)
{
    if (n == 0)
        return NAN;
    uint64_t k = (uint64_t) ceil (p / 100.0 * (double) n);
    return sorted [k ? k - 1 : 0];
}

static double
s_phase_latency (const char *endpoint, const char *prefix, int nclients, double rate,
                 double seconds)
{
    s_client_t *clients = calloc ((size_t) nclients, sizeof *clients);
    assert (clients);
    int64_t start = s_now_ns () + 200000000LL;
    double per_client = rate / nclients;
    for (int i = 0; i < nclients; i++) {
        s_client_t *c = &clients [i];
        c->id = i;
        c->endpoint = endpoint;
        c->prefix = prefix;
        c->rate = per_client;
        /* stagger the clients so together they send evenly */
        c->start_ns = start + (int64_t) (1e9 / rate * i);
        c->end_ns = start + (int64_t) (seconds * 1e9);
        c->capacity = (uint64_t) (per_client * seconds) + 16;
        c->latency_ms = calloc (c->capacity, sizeof *c->latency_ms);
        c->scheduled_ns = calloc (c->capacity, sizeof *c->scheduled_ns);
        assert (c->latency_ms && c->scheduled_ns);
    }
    s_totals_t t;
    s_cpu_snap_t before, after;
    s_cpu_snap (&before);
    s_run_clients (clients, nclients, s_latency_client, &t);
    s_cpu_snap (&after);
    uint64_t n = 0;
    for (int i = 0; i < nclients; i++)
        n += clients [i].nlatency;
    double *all = calloc (n ? n : 1, sizeof *all);
    assert (all);
    n = 0;
    for (int i = 0; i < nclients; i++) {
        memcpy (all + n, clients [i].latency_ms, clients [i].nlatency * sizeof *all);
        n += clients [i].nlatency;
        free (clients [i].latency_ms);
        free (clients [i].scheduled_ns);
    }
    qsort (all, n, sizeof *all, bench_cmp_double);
    printf ("latency_offered %.0f requests/s\n", rate);
    printf ("latency_sent %.0f requests/s\n", (double) t.sent / seconds);
    printf ("latency_ack %.0f complaints/s\n", (double) t.accepted / seconds);
    printf ("latency_p50 %.3f ms\n", s_percentile (all, n, 50));
    printf ("latency_p99 %.3f ms\n", s_percentile (all, n, 99));
    printf ("latency_p99.9 %.3f ms\n", s_percentile (all, n, 99.9));
    printf ("latency_max %.3f ms\n", n ? all [n - 1] : NAN);
    s_print_errors ("latency", &t);
    s_cpu_print ("latency", &before, &after, (double) (t.sent - t.lost), "request", true);
    fflush (stdout);
    double p99 = s_percentile (all, n, 99);
    free (all);
    free (clients);
    return p99;
}

/* ------------------------------------------------------------- ZeroMQ limit */

/* Answers every [envelope]["" ][request] with the envelope and a fixed
 * {"ok":true,"complaint_no":...,"duplicate":false}: intake minus the store. */
typedef struct {
    zsock_t *router;
    volatile bool stop;
} s_echo_t;

static void *
s_echo_server (void *arg)
{
    s_echo_t *self = arg;
    void *sock = zsock_resolve (self->router);
    msgpack_sbuffer reply;
    msgpack_sbuffer_init (&reply);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_kv_cstr (&pk, "complaint_no", "2099123100000420");
    proto_pack_kv_bool (&pk, "duplicate", false);
    while (!self->stop) {
        zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        zmq_msg_t part;
        zmq_msg_init (&part);
        while (zmq_msg_recv (&part, sock, ZMQ_DONTWAIT) >= 0) {
            if (zmq_msg_more (&part)) {
                if (zmq_msg_send (&part, sock, ZMQ_SNDMORE) < 0)   /* envelope: echo */
                    zmq_msg_close (&part);
            }
            else {
                zmq_msg_close (&part);                              /* request: replace */
                zmq_send (sock, reply.data, reply.size, 0);
            }
            zmq_msg_init (&part);
        }
        zmq_msg_close (&part);
    }
    msgpack_sbuffer_destroy (&reply);
    return NULL;
}

static void
s_phase_zmq (const char *endpoint, int nclients, int window, double seconds)
{
    s_echo_t echo = { zsock_new (ZMQ_ROUTER), false };
    assert (echo.router);
    zsock_set_sndhwm (echo.router, 0);
    zsock_set_rcvhwm (echo.router, 0);
    //  The same transport as intake's (CURVE unless COMPLAINTS_CURVE=off):
    //  the limit of this exchange includes its encryption.
    if (curve_server (curve_default (), echo.router, CURVE_INTAKE, endpoint)) {
        fprintf (stderr, "bench-intake: %s\n", curve_error (curve_default ()));
        zsock_destroy (&echo.router);
        return;
    }
    if (zsock_bind (echo.router, "%s", endpoint) < 0) {
        fprintf (stderr, "bench-intake: cannot bind %s for the ZeroMQ limit\n", endpoint);
        zsock_destroy (&echo.router);
        return;
    }
    pthread_t server;
    pthread_create (&server, NULL, s_echo_server, &echo);
    char prefix [64];
    snprintf (prefix, sizeof prefix, "zmq-%d", (int) getpid ());
    s_phase_throughput ("zmq_echo", endpoint, prefix, nclients, window, seconds);
    echo.stop = true;
    pthread_join (server, NULL);
    zsock_destroy (&echo.router);
}

/* ---------------------------------------------------------------- raw limit */

static const char *s_raw_complaint_sql =
    "INSERT INTO complaint (complaint_no, channel, ref, body, lang, customer_sealed,"
    " customer_pseudonym, received_at)"
    " VALUES ($1, $2, $3, $4, $5, sha512 (convert_to ($6 || $7, 'UTF8')), $8,"
    "         to_timestamp($9::bigint / 1000.0))";
static const char *s_raw_outbox_sql =
    "INSERT INTO outbox (type, complaint_no, data) VALUES ('complaint.received', $1, $2)";
/* $1..$7 text[] (number, channel, ref, body, name, phone, pseudonym),
 * $8 bytea[] event data, $9 received_at ms. The identity is stored as
 * intake stores it, sealed (identity_seal.h): here 64 opaque bytes of the
 * size of a sealed name and phone stand for it (sha512), since the raw
 * limit measures the store, not the seal. */
static const char *s_raw_arrays_sql =
    "WITH c AS ("
    "  INSERT INTO complaint (complaint_no, channel, ref, body, lang, customer_sealed,"
    "    customer_pseudonym, received_at)"
    "  SELECT n, ch, r, b, 'zh', sha512 (convert_to (nm || ph, 'UTF8')), ps,"
    "    to_timestamp($9::bigint / 1000.0)"
    "  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
    "    $7::text[]) AS t (n, ch, r, b, nm, ph, ps))"
    " INSERT INTO outbox (type, complaint_no, data)"
    " SELECT 'complaint.received', n, d FROM unnest($1::text[], $8::bytea[]) AS t (n, d)";

/* Raw complaint numbers: one counter for every raw run of this process,
 * started from the clock so a second process does not reuse them. */
static uint64_t s_raw_number;

static PGconn *
s_pg_open (const char *conninfo, const char *application_name)
{
    const char *keys [] = { "dbname", "fallback_application_name", NULL };
    const char *values [] = { conninfo, application_name, NULL };
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "bench-intake: cannot connect to PostgreSQL: %s", PQerrorMessage (conn));
        PQfinish (conn);
        return NULL;
    }
    return conn;
}

static int
s_pg_expect (PGconn *conn, ExecStatusType want, const char *what)
{
    PGresult *res = PQgetResult (conn);
    int rc = res && PQresultStatus (res) == want ? 0 : -1;
    if (rc)
        fprintf (stderr, "bench-intake: %s: %s\n", what,
                 res ? PQresultErrorMessage (res) : PQerrorMessage (conn));
    PQclear (res);
    if (want != PGRES_PIPELINE_SYNC) {
        res = PQgetResult (conn);       /* each statement's results end in NULL */
        if (res) {
            rc = -1;
            PQclear (res);
        }
    }
    return rc;
}

/* The outbox data intake writes, from the same packer (proto/events.c):
 * the masked body and a pseudonym — same keys, same size. */
static void
s_raw_event_data (msgpack_sbuffer *buf, const s_row_t *row, const char *pseudonym,
                  int64_t received_at)
{
    const events_received_t r = {
        .channel = { row->channel, strlen (row->channel) }, .customer = pseudonym,
        .body = { row->body, strlen (row->body) }, .lang = "zh", .received_at = received_at,
    };
    events_complaint_received (buf, &r);
}

/*  Arrays travel in PostgreSQL's binary array format (what array_recv
 *  reads): 1 dimension, a has-null flag, the element type, the length and
 *  lower bound 1, then each element as a 4-byte big-endian length and its
 *  bytes. Nothing to escape here, nothing to parse in the server — the
 *  best a hand-written loop can do with arrays. */
#define TEXTOID  25
#define BYTEAOID 17

static void
s_put_u32 (zchunk_t *chunk, uint32_t v)
{
    unsigned char b [4] = { (unsigned char) (v >> 24), (unsigned char) (v >> 16),
                            (unsigned char) (v >> 8), (unsigned char) v };
    zchunk_extend (chunk, b, 4);
}

static void
s_array_begin (zchunk_t *chunk, uint32_t elemtype)
{
    zchunk_set (chunk, NULL, 0);
    s_put_u32 (chunk, 1);           /* dimensions */
    s_put_u32 (chunk, 0);           /* no NULLs */
    s_put_u32 (chunk, elemtype);
    s_put_u32 (chunk, 0);           /* length: set by s_array_end */
    s_put_u32 (chunk, 1);           /* lower bound */
}

static void
s_array_add (zchunk_t *chunk, const void *data, size_t size)
{
    s_put_u32 (chunk, (uint32_t) size);
    zchunk_extend (chunk, data, size);
}

static void
s_array_end (zchunk_t *chunk, size_t n)
{
    unsigned char *p = zchunk_data (chunk) + 12;
    p [0] = (unsigned char) (n >> 24);
    p [1] = (unsigned char) (n >> 16);
    p [2] = (unsigned char) (n >> 8);
    p [3] = (unsigned char) n;
}

typedef enum { RAW_ROWS, RAW_ARRAYS } s_raw_style_t;

/* Rows per second a plain libpq loop commits in batches of `batch` for
 * `seconds`; -1 on a store error. Per row the loop does the client work a
 * hand-written writer cannot avoid: build the row (ref, number, pseudonym,
 * masked event data). Then, one transaction per batch, pipelined with one
 * sync:
 *   RAW_ROWS    BEGIN, two prepared INSERTs per row, COMMIT
 *   RAW_ARRAYS  BEGIN, one prepared statement inserting the whole batch
 *               into both tables from arrays (unnest), COMMIT. */
static double
s_phase_raw (const char *conninfo, long batch, double seconds, s_raw_style_t style)
{
    PGconn *conn = s_pg_open (conninfo, "bench-raw");
    if (!conn)
        return -1;
    PGresult *res = PQprepare (conn, "raw_complaint", s_raw_complaint_sql, 9, NULL);
    int ok = PQresultStatus (res) == PGRES_COMMAND_OK;
    PQclear (res);
    res = PQprepare (conn, "raw_outbox", s_raw_outbox_sql, 2, NULL);
    ok = ok && PQresultStatus (res) == PGRES_COMMAND_OK;
    PQclear (res);
    res = PQprepare (conn, "raw_arrays", s_raw_arrays_sql, 9, NULL);
    ok = ok && PQresultStatus (res) == PGRES_COMMAND_OK;
    PQclear (res);
    if (!ok || PQenterPipelineMode (conn) != 1) {
        fprintf (stderr, "bench-intake: raw prepare: %s", PQerrorMessage (conn));
        PQfinish (conn);
        return -1;
    }
    const char *name = style == RAW_ROWS ? "raw_rows" : "raw_arrays";
    char prefix [64];
    snprintf (prefix, sizeof prefix, "%s-%d-%ld", name, (int) getpid (), batch);
    msgpack_sbuffer *data = calloc ((size_t) batch, sizeof *data);
    assert (data);
    for (long i = 0; i < batch; i++)
        msgpack_sbuffer_init (&data [i]);
    enum { A_NO, A_CHANNEL, A_REF, A_BODY, A_NAME, A_PHONE, A_PSEUDONYM, A_DATA, A_COUNT };
    zchunk_t *arrays [A_COUNT];
    for (int a = 0; a < A_COUNT; a++)
        arrays [a] = zchunk_new (NULL, 64 * 1024);
    s_cpu_snap_t before, after;
    s_cpu_snap (&before);
    uint64_t rows = 0, seq = 0;
    int64_t start = s_now_ns (), end = start + (int64_t) (seconds * 1e9);
    int rc = 0;
    while (rc == 0 && s_now_ns () < end) {
        PQsendQueryParams (conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
        struct timespec wall;
        clock_gettime (CLOCK_REALTIME, &wall);
        int64_t now_ms = (int64_t) wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
        char received [24];
        snprintf (received, sizeof received, "%" PRId64, now_ms);
        for (int a = 0; a < A_COUNT; a++)
            s_array_begin (arrays [a], a == A_DATA ? BYTEAOID : TEXTOID);
        for (long i = 0; i < batch; i++, seq++) {
            s_row_t row;
            s_row_fill (&row, prefix, 0, seq);
            char number [COMPLAINT_NO_SIZE];
            /* a date no intake uses, so numbers never collide with its own */
            complaint_no_format (number, 20991231, s_raw_number++);
            uint64_t h = (uint64_t) (seq * 0x9E3779B97F4A7C15ull) ^ (uint64_t) batch;
            char pseudonym [PRIVACY_PSEUDONYM_SIZE];
            snprintf (pseudonym, sizeof pseudonym, "%016" PRIx64 "%016" PRIx64,
                      h, (uint64_t) (h * 0xBF58476D1CE4E5B9ull));
            msgpack_sbuffer_clear (&data [i]);
            s_raw_event_data (&data [i], &row, pseudonym, now_ms);
            if (style == RAW_ROWS) {
                const char *cvals [] = { number, row.channel, row.ref, row.body, "zh", row.name,
                                         row.phone, pseudonym, received };
                PQsendQueryPrepared (conn, "raw_complaint", 9, cvals, NULL, NULL, 0);
                const char *ovals [] = { number, data [i].data };
                int olens [] = { 0, (int) data [i].size };
                int ofmts [] = { 0, 1 };
                PQsendQueryPrepared (conn, "raw_outbox", 2, ovals, olens, ofmts, 0);
            }
            else {
                const char *cols [] = { number, row.channel, row.ref, row.body, row.name,
                                        row.phone, pseudonym };
                for (int a = 0; a < A_DATA; a++)
                    s_array_add (arrays [a], cols [a], strlen (cols [a]));
                s_array_add (arrays [A_DATA], data [i].data, data [i].size);
            }
        }
        if (style == RAW_ARRAYS) {
            const char *vals [9];
            int lens [9], fmts [9];
            for (int a = 0; a < A_COUNT; a++) {
                s_array_end (arrays [a], (size_t) batch);
                vals [a] = (const char *) zchunk_data (arrays [a]);
                lens [a] = (int) zchunk_size (arrays [a]);
                fmts [a] = 1;
            }
            vals [8] = received;
            lens [8] = 0;
            fmts [8] = 0;
            PQsendQueryPrepared (conn, "raw_arrays", 9, vals, lens, fmts, 0);
        }
        PQsendQueryParams (conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
        if (!PQpipelineSync (conn)) {
            rc = -1;
            break;
        }
        rc |= s_pg_expect (conn, PGRES_COMMAND_OK, "BEGIN");
        long statements = style == RAW_ROWS ? 2 * batch : 1;
        for (long i = 0; i < statements; i++)
            rc |= s_pg_expect (conn, PGRES_COMMAND_OK, "raw insert");
        rc |= s_pg_expect (conn, PGRES_COMMAND_OK, "COMMIT");
        rc |= s_pg_expect (conn, PGRES_PIPELINE_SYNC, "sync");
        if (rc == 0)
            rows += (uint64_t) batch;
    }
    double elapsed = (double) (s_now_ns () - start) / 1e9;
    s_cpu_snap (&after);
    for (long i = 0; i < batch; i++)
        msgpack_sbuffer_destroy (&data [i]);
    free (data);
    for (int a = 0; a < A_COUNT; a++)
        zchunk_destroy (&arrays [a]);
    PQfinish (conn);
    if (rc)
        return -1;
    double rate = (double) rows / elapsed;
    char phase [64];
    snprintf (phase, sizeof phase, "%s_batch_%ld", name, batch);
    printf ("%s %.0f rows/s\n", phase, rate);
    s_cpu_print (phase, &before, &after, (double) rows, "row", false);
    fflush (stdout);
    return rate;
}

/* ------------------------------------------------------------ the store */

/* One value of a one-row query, copied into out; "" on error. */
static void
s_pg_value (PGconn *conn, const char *sql, const char *param, char *out, size_t size)
{
    const char *params [] = { param };
    PGresult *res = PQexecParams (conn, sql, param ? 1 : 0, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1 && !PQgetisnull (res, 0, 0))
        snprintf (out, size, "%s", PQgetvalue (res, 0, 0));
    else
        snprintf (out, size, "%s", "");
    PQclear (res);
}

/* Mean rows per transaction intake committed for refs LIKE pattern. */
static double
s_intake_batch (const char *conninfo, const char *pattern)
{
    PGconn *conn = s_pg_open (conninfo, "bench");
    if (!conn)
        return -1;
    char value [64];
    s_pg_value (conn, "SELECT count(*)::float8 / nullif(count(DISTINCT xmin::text), 0)"
                      " FROM complaint WHERE ref LIKE $1", pattern, value, sizeof value);
    char txns [64];
    s_pg_value (conn, "SELECT count(DISTINCT xmin::text) FROM complaint WHERE ref LIKE $1",
                pattern, txns, sizeof txns);
    PQfinish (conn);
    double batch = *value ? atof (value) : -1;
    printf ("intake_batch_mean %.1f rows/transaction\n", batch);
    printf ("intake_transactions %s transactions\n", *txns ? txns : "0");
    fflush (stdout);
    return batch;
}

static long
s_peak_rss_kib (long pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    char line [256];
    long kib = -1;
    while (fgets (line, sizeof line, f))
        if (sscanf (line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose (f);
    return kib;
}

static void
s_print_header (const char *conninfo, int argc, char **argv)
{
    time_t now = time (NULL);
    char date [32];
    strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime (&now));
    printf ("# bench-intake %s\n", date);
    printf ("# cores %ld\n", sysconf (_SC_NPROCESSORS_ONLN));
    char cpu [128] = "";
    FILE *f = fopen ("/proc/cpuinfo", "r");
    if (f) {
        char line [256];
        while (fgets (line, sizeof line, f))
            if (strncmp (line, "model name", 10) == 0) {
                char *colon = strchr (line, ':');
                snprintf (cpu, sizeof cpu, "%s", colon ? colon + 2 : "");
                cpu [strcspn (cpu, "\n")] = 0;
                break;
            }
        fclose (f);
    }
    printf ("# cpu %s\n", cpu);
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("# libzmq %d.%d.%d\n", major, minor, patch);
    printf ("# libpq %d\n", PQlibVersion ());
    PGconn *conn = s_pg_open (conninfo, "bench");
    if (conn) {
        const char *settings [] = { "server_version", "fsync", "synchronous_commit",
                                    "wal_sync_method", "full_page_writes", "shared_buffers",
                                    "max_wal_size", "wal_level" };
        for (size_t i = 0; i < sizeof settings / sizeof settings [0]; i++) {
            char value [128];
            s_pg_value (conn, "SELECT current_setting($1)", settings [i], value, sizeof value);
            printf ("# %s %s\n", strcmp (settings [i], "server_version") ? settings [i]
                                                                          : "postgresql", value);
        }
        PQfinish (conn);
    }
    printf ("# command");
    for (int i = 0; i < argc; i++)
        printf (" %s", argv [i]);
    printf ("\n");
}

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: bench-intake [all|throughput|latency|raw|zmq] [options]\n"
        "  --endpoint EP       intake (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --pg CONNINFO       the store (COMPLAINTS_PG, default: PG* variables)\n"
        "  --clients N         throughput clients (BENCH_CLIENTS, default 4)\n"
        "  --window W          requests in flight per client (BENCH_WINDOW, default 128)\n"
        "  --seconds T         throughput phase (BENCH_SECONDS, default 15)\n"
        "  --rate R            latency: offered requests/s (BENCH_RATE, default 2000)\n"
        "  --latency-clients C paced clients (BENCH_LATENCY_CLIENTS, default 1)\n"
        "  --latency-seconds T latency phase (BENCH_LATENCY_SECONDS, default 15)\n"
        "  --raw-seconds T     each raw run (BENCH_RAW_SECONDS, default 5)\n"
        "  --batch B           raw: batch size (BENCH_BATCH; in `all`, measured)\n"
        "  --intake-pid PID    print intake's peak memory (BENCH_INTAKE_PID)\n"
        "  --zmq-endpoint EP   bind the ZeroMQ-limit echo server here\n"
        "                      (BENCH_ZMQ_ENDPOINT, default tcp://127.0.0.1:56151; \"\" = skip)\n"
        "  --zmq-seconds T     ZeroMQ limit (BENCH_ZMQ_SECONDS, default 3)\n",
        CFG_INTAKE_ENDPOINT);
}

int
main (int argc, char **argv)
{
    if (cfg_flag (argc, argv, "--help") || cfg_flag (argc, argv, "-h")) {
        s_usage ();
        return 0;
    }
    const char *mode = argc > 1 && strncmp (argv [1], "--", 2) ? argv [1] : "all";
    bool all = strcmp (mode, "all") == 0;
    if (!all && strcmp (mode, "throughput") && strcmp (mode, "latency")
    &&  strcmp (mode, "raw") && strcmp (mode, "zmq")) {
        s_usage ();
        return 2;
    }
    const char *endpoint = cfg_str (argc, argv, "--endpoint", CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT);
    const char *conninfo = cfg_str (argc, argv, "--pg", CFG_ENV_PG, "");
    int clients = (int) cfg_long (argc, argv, "--clients", "BENCH_CLIENTS", 4);
    int window = (int) cfg_long (argc, argv, "--window", "BENCH_WINDOW", 128);
    double seconds = (double) cfg_long (argc, argv, "--seconds", "BENCH_SECONDS", 15);
    double rate = (double) cfg_long (argc, argv, "--rate", "BENCH_RATE", 2000);
    int lat_clients = (int) cfg_long (argc, argv, "--latency-clients", "BENCH_LATENCY_CLIENTS", 1);
    double lat_seconds = (double) cfg_long (argc, argv, "--latency-seconds",
                                            "BENCH_LATENCY_SECONDS", 15);
    double raw_seconds = (double) cfg_long (argc, argv, "--raw-seconds", "BENCH_RAW_SECONDS", 5);
    long batch = cfg_long (argc, argv, "--batch", "BENCH_BATCH", 0);
    long intake_pid = cfg_long (argc, argv, "--intake-pid", "BENCH_INTAKE_PID", 0);
    const char *zmq_endpoint = cfg_str (argc, argv, "--zmq-endpoint", "BENCH_ZMQ_ENDPOINT",
                                        "tcp://127.0.0.1:56151");
    double zmq_seconds = (double) cfg_long (argc, argv, "--zmq-seconds", "BENCH_ZMQ_SECONDS", 3);
    if (clients < 1 || window < 1 || seconds < 1 || rate < 1 || lat_clients < 1
    ||  lat_seconds < 1 || raw_seconds < 1 || batch < 0 || batch > 10000) {
        fprintf (stderr, "bench-intake: every count and duration must be positive "
                         "(batch at most 10000)\n");
        return 2;
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    zsys_handler_set (NULL);        /* let SIGINT stop the benchmark at once */
    s_raw_number = (uint64_t) (time (NULL) % 100000) * 1000000;

    /* Refs unique per run, so a second run against the same database
     * creates new complaints instead of duplicates. */
    char run [32], prefix [64], pattern [80];
    snprintf (run, sizeof run, "%lx%x", (long) time (NULL), (unsigned) getpid ());
    s_intake_pid = intake_pid;
    s_monitor = s_pg_open (conninfo, "bench-monitor");
    s_print_header (conninfo, argc, argv);
    s_print_pressure ("start");
    printf ("# mode %s clients %d window %d seconds %.0f rate %.0f latency_clients %d "
            "latency_seconds %.0f raw_seconds %.0f\n", mode, clients, window, seconds, rate,
            lat_clients, lat_seconds, raw_seconds);
    fflush (stdout);

    double ack = -1, raw = -1, raw_arrays = -1;
    if (all || strcmp (mode, "throughput") == 0) {
        snprintf (prefix, sizeof prefix, "bench-%s-t", run);
        ack = s_phase_throughput ("throughput", endpoint, prefix, clients, window, seconds);
        snprintf (pattern, sizeof pattern, "%s-%%", prefix);
        double measured = s_intake_batch (conninfo, pattern);
        if (batch == 0 && measured >= 1)
            batch = lround (measured);
    }
    if (all || strcmp (mode, "latency") == 0) {
        snprintf (prefix, sizeof prefix, "bench-%s-l", run);
        s_phase_latency (endpoint, prefix, lat_clients, rate, lat_seconds);
    }
    if (all || strcmp (mode, "raw") == 0) {
        if (batch == 0)
            batch = 100;
        printf ("# raw batch %ld (%s)\n", batch,
                all ? "intake's mean batch in the throughput phase" : "given");
        raw = s_phase_raw (conninfo, batch, raw_seconds, RAW_ROWS);
        raw_arrays = s_phase_raw (conninfo, batch, raw_seconds, RAW_ARRAYS);
        if (all) {
            if (batch != 1)
                s_phase_raw (conninfo, 1, raw_seconds, RAW_ROWS);
            if (batch != 100) {
                s_phase_raw (conninfo, 100, raw_seconds, RAW_ROWS);
                s_phase_raw (conninfo, 100, raw_seconds, RAW_ARRAYS);
            }
        }
    }
    if (ack > 0 && raw > 0)
        printf ("ack_to_raw_ratio %.3f ratio\n", ack / raw);
    if (ack > 0 && raw_arrays > 0)
        printf ("ack_to_raw_arrays_ratio %.3f ratio\n", ack / raw_arrays);
    /* the verdict: against the better of the two hand-written loops */
    if (ack > 0 && (raw > 0 || raw_arrays > 0))
        printf ("ack_to_best_raw_ratio %.3f ratio\n", ack / (raw > raw_arrays ? raw : raw_arrays));
    if (intake_pid > 0) {
        long kib = s_peak_rss_kib (intake_pid);
        if (kib >= 0)
            printf ("intake_peak_rss %ld KiB\n", kib);
        else
            fprintf (stderr, "bench-intake: no /proc/%ld/status (intake gone?)\n", intake_pid);
    }
    if ((all && *zmq_endpoint) || strcmp (mode, "zmq") == 0)
        s_phase_zmq (zmq_endpoint, clients, window, zmq_seconds);
    s_print_pressure ("end");
    fflush (stdout);
    PQfinish (s_monitor);
    curve_set_default (NULL);       /* zauth's sockets before czmq's context */
    zsys_shutdown ();
    return 0;
}
