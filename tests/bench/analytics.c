/*  bench-analytics — can the analytics daemon keep up with the stream, and
 *  do its answers stay fast when the store holds a million complaints?
 *
 *  Small and single-purpose like libzmq's perf tools: each phase prints its
 *  figures as `name value unit`, one per line, after `#` lines holding the
 *  conditions. tests/bench/analytics.sh runs the phases against a private
 *  cluster with a real bus and a real analytics daemon in between.
 *
 *  The events are what the pipeline's services would write, packed by the
 *  same packers (proto/events.c), put into the outbox as a producer does
 *  (with the envelope time set to when the event "happened"), then
 *  sequenced and published by the real bus. A complaint's lifecycle:
 *  received, assigned, accepted, then resolved (80 %, an outcome and for
 *  refunds an amount), rejected (12 %) or withdrawn (8 %); of the resolved,
 *  90 % get feedback (85 % satisfied) and are closed, 10 % are reviewed and
 *  reopened first; 6 % breach an SLA stage. 8 channels, 40 branches,
 *  20 departments, 10 business lines, 12 causes, 4 priorities, as many
 *  customers as complaints (drawn at random: some complain again): about
 *  5.4 events a complaint, the cells of the rollups as sparse as a real
 *  bank's.
 *
 *  Phases (PG* variables name the database):
 *
 *    populate  --complaints N --days D: N lifecycles received over the last
 *              D days (in the past: their events' times too), written into
 *              the outbox in transactions of about 20,000 events. Prints
 *              complaints, events and the write rate.
 *    wait      --seq S --timeout T: waits until analytics' cursor reaches
 *              S; prints how long that took and the events/s it means
 *              (with analytics --rebuild started just before: the ingest
 *              rate through replay).
 *    live      --rate R --seconds S: new complaints' events offered at R
 *              events/s (a transaction every 10 ms) while the bus and
 *              analytics run; every tick's commit time is kept and the
 *              cursor polled every 2 ms, so each tick's ingest lag is the
 *              time from its commit to the cursor covering its last event
 *              (the bench is the only producer: the k-th event written is
 *              seq base + k). Prints lag p50/p90/p99/max and the rate
 *              achieved.
 *    query     --endpoint E --repeat N --days D: the questions a dashboard
 *              and analysts ask, each N times over a DEALER: kpi of the
 *              whole D days, kpi by each dimension, a day series over the D
 *              days (a count, and a rate), an hour series of the last 7 days,
 *              kpi of the last 30 days by branch. Prints p50/p99/max ms and
 *              the reply's size for each.
 *    limit     the machine's own floor beside those: a `SELECT 1` round trip
 *              to the store (p50/p99), and the store's raw write rate for
 *              rows as wide as a fact (one INSERT … SELECT of 20,000 rows
 *              into a scratch table, committed).
 *
 *  Usage: bench-analytics populate --complaints N [--days D] [--seed S]
 *         bench-analytics wait --seq S [--timeout SECONDS]
 *         bench-analytics live --rate R --seconds S
 *         bench-analytics query --endpoint E [--repeat N] [--days D]
 *         bench-analytics limit
 */
#include "analytics_request.h"
#include "bench_util.h"
#include "curve.h"
#include "event.h"
#include "events.h"
#include "pg_array.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_DAY_MS   86400000LL
#define S_HOUR_MS  3600000LL

static double
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

//  --------------------------------------------------------------------------
//  The events of one complaint, into the outbox arrays

typedef struct {
    pg_array_t type, no, at, data;
    msgpack_sbuffer buf;
    size_t events;
    uint64_t rng;
} s_writer_t;

static uint32_t
s_rand (s_writer_t *w, uint32_t n)
{
    //  xorshift64*: reproducible from --seed, cheap
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return (uint32_t) (((w->rng * 2685821657736338717ULL) >> 33) % n);
}

static void
s_add (s_writer_t *w, const char *type, const char *no, int64_t at_ms)
{
    char at [96];
    time_t secs = (time_t) (at_ms / 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    snprintf (at, sizeof at, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00", tm.tm_year + 1900,
              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
              (int) (at_ms % 1000));
    pg_array_add (&w->type, type);
    pg_array_add (&w->no, no);
    pg_array_add (&w->at, at);
    pg_array_add_hex (&w->data, w->buf.data, w->buf.size);
    msgpack_sbuffer_clear (&w->buf);
    w->events++;
}

static void
s_begin (s_writer_t *w)
{
    pg_array_begin (&w->type);
    pg_array_begin (&w->no);
    pg_array_begin (&w->at);
    pg_array_begin (&w->data);
    w->events = 0;
}

static void
s_flush (s_writer_t *w, PGconn *conn)
{
    if (w->events == 0)
        return;
    const char *values [4] = {
        pg_array_end (&w->type), pg_array_end (&w->no), pg_array_end (&w->at),
        pg_array_end (&w->data)
    };
    PQclear (bench_pg_must ("bench-analytics", conn,
        "INSERT INTO outbox (type, complaint_no, at, data)"
        " SELECT t.type, t.no, t.at, decode (t.data, 'hex')"
        "   FROM unnest ($1::text[], $2::text[], $3::timestamptz[], $4::text[])"
        "        WITH ORDINALITY AS t (type, no, at, data, ord) ORDER BY t.ord", 4, values));
    s_begin (w);
}

static const char *const s_channels [] = {
    "hotline", "branch", "email", "web", "app", "letter", "wechat", "regulator" };
static const char *const s_lines [] = {
    "deposits", "cards", "loans", "payments", "wealth", "ebanking", "fees", "mortgage",
    "insurance", "fx" };
static const char *const s_causes [] = {
    "service_attitude", "process", "product_terms", "system_fault", "staff_misconduct",
    "fraud", "disclosure", "fees", "delay", "marketing", "privacy", "other" };
static const char *const s_outcomes [] = {
    "explanation", "explanation", "explanation", "error_corrected", "refund", "compensation",
    "apology", "process_change" };

/*  One complaint's lifecycle, received at `at`; the events whose time is
 *  after `until` are left out (a case still open). */
static void
s_complaint (s_writer_t *w, uint64_t n, int64_t at, int64_t until, uint64_t customers)
{
    char no [24], customer [32], branch [16], department [16], line [16];
    snprintf (no, sizeof no, "B%015" PRIu64, n);
    snprintf (customer, sizeof customer, "p%016" PRIx64, (uint64_t) s_rand (w, (uint32_t) customers));
    snprintf (branch, sizeof branch, "branch_%02u", s_rand (w, 40));
    snprintf (department, sizeof department, "dept_%02u", s_rand (w, 20));
    const char *channel = s_channels [s_rand (w, 8)];
    snprintf (line, sizeof line, "%s", s_lines [s_rand (w, 10)]);
    const char *cause = s_causes [s_rand (w, 12)];
    int priority = 1 + (int) s_rand (w, 4);

    events_received_t r = {
        .channel = { channel, strlen (channel) }, .customer = customer,
        .subject = { "bench", 5 }, .body = { "a complaint of the benchmark", 28 },
        .demand = { "an answer", 9 }, .branch = { branch, strlen (branch) },
        .lang = "zh", .received_at = at };
    events_complaint_received (&w->buf, &r);
    s_add (w, "complaint.received", no, at);

    int64_t t = at + 1000 + s_rand (w, 600000);
    if (t > until)
        return;
    const char *const none [1] = { NULL };
    events_assigned_t a = {
        .department = department, .cooperating = none, .business_line = line, .cause = cause,
        .priority = priority, .flags = none, .rule = "rules.conf:1", .router = "bench",
        .version = 2 };
    events_complaint_assigned (&w->buf, &a);
    s_add (w, "complaint.assigned", no, t);

    t += 60000 + s_rand (w, (uint32_t) (20 * S_HOUR_MS));
    if (t > until)
        return;
    events_action_t act = { .actor = "handler", .actor_role = "handler", .from = "assigned",
                            .state = "accepted", .version = 3 };
    events_complaint_accepted (&w->buf, &act, "handler");
    s_add (w, "complaint.accepted", no, t);

    uint32_t fate = s_rand (w, 100);
    t += S_HOUR_MS + s_rand (w, (uint32_t) (20 * S_DAY_MS / 10)) * 10LL;
    if (t > until)
        return;
    if (fate < 6) {
        events_sla_t h = { .complaint_no = no, .stage = "resolution", .round = 1,
                           .department = department, .handler = "handler",
                           .priority = priority };
        events_sla_breached (&w->buf, &h, t - S_HOUR_MS, "15d", 0);
        s_add (w, "sla.breached", no, t - S_HOUR_MS);
    }
    if (fate < 12) {
        act = (events_action_t) { "handler", "handler", "accepted", "rejected", 4 };
        events_complaint_rejected (&w->buf, &act, "out_of_scope", NULL);
        s_add (w, "complaint.rejected", no, t);
        return;
    }
    if (fate < 20) {
        act = (events_action_t) { "customer", "customer", "accepted", "withdrawn", 4 };
        events_complaint_withdrawn (&w->buf, &act);
        s_add (w, "complaint.withdrawn", no, t);
        return;
    }
    const char *outcome = s_outcomes [s_rand (w, 8)];
    char amount [24];
    snprintf (amount, sizeof amount, "%u.00", 10 + s_rand (w, 2000));
    bool money = strcmp (outcome, "refund") == 0 || strcmp (outcome, "compensation") == 0;
    act = (events_action_t) { "handler", "handler", "accepted", "resolved", 4 };
    events_complaint_resolved (&w->buf, &act, outcome, money ? amount : NULL);
    s_add (w, "complaint.resolved", no, t);

    t += S_HOUR_MS + s_rand (w, (uint32_t) (3 * S_DAY_MS));
    if (t > until || s_rand (w, 10) == 0)
        return;
    bool satisfied = s_rand (w, 100) < 85;
    act = (events_action_t) { "office", "complaint_office", "resolved", "resolved", 5 };
    events_complaint_feedback (&w->buf, &act, satisfied);
    s_add (w, "complaint.feedback", no, t);
    if (!satisfied && s_rand (w, 2) == 0) {
        t += S_HOUR_MS;
        act = (events_action_t) { "customer", "customer", "resolved", "under_review", 6 };
        events_complaint_review_requested (&w->buf, &act, NULL, NULL, NULL);
        s_add (w, "complaint.review_requested", no, t);
        return;
    }
    t += S_HOUR_MS;
    if (t > until)
        return;
    act = (events_action_t) { "office", "complaint_office", "resolved", "closed", 6 };
    events_complaint_closed (&w->buf, &act, satisfied ? "satisfied" : "not_satisfied");
    s_add (w, "complaint.closed", no, t);
}

static void
s_writer_init (s_writer_t *w, uint64_t seed)
{
    memset (w, 0, sizeof *w);
    msgpack_sbuffer_init (&w->buf);
    w->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    s_begin (w);
}

static void
s_writer_fini (s_writer_t *w)
{
    pg_array_destroy (&w->type);
    pg_array_destroy (&w->no);
    pg_array_destroy (&w->at);
    pg_array_destroy (&w->data);
    msgpack_sbuffer_destroy (&w->buf);
}

static int
s_populate (uint64_t complaints, int days, uint64_t seed)
{
    PGconn *conn = bench_pg_connect ("bench-analytics", NULL);
    s_writer_t w;
    s_writer_init (&w, seed);
    int64_t now = (int64_t) s_now_ms ();
    int64_t start = now - (int64_t) days * S_DAY_MS;
    //  About one complaint a customer a year: a few complain three times
    //  within 90 days (the repeat-customer rule's hot spots, ~0.3 %).
    uint64_t customers = complaints + 1;
    uint64_t events = 0;
    double t0 = s_now_ms ();
    for (uint64_t i = 0; i < complaints; i++) {
        //  received times spread evenly over the days, in order
        int64_t at = start + (int64_t) ((double) i / (double) complaints
                                        * (double) (now - start - S_HOUR_MS));
        s_complaint (&w, i + 1, at, now, customers);
        if (w.events >= 20000) {
            events += w.events;
            s_flush (&w, conn);
        }
    }
    events += w.events;
    s_flush (&w, conn);
    double secs = (s_now_ms () - t0) / 1e3;
    printf ("# populate: %" PRIu64 " complaints received over %d days, into the outbox\n",
            complaints, days);
    printf ("populate_complaints %" PRIu64 "\n", complaints);
    printf ("populate_events %" PRIu64 "\n", events);
    printf ("populate_rate %.0f events/s\n", (double) events / secs);
    s_writer_fini (&w);
    PQfinish (conn);
    return 0;
}

static int
s_wait (int64_t seq, int timeout_s)
{
    PGconn *conn = bench_pg_connect ("bench-analytics", NULL);
    int64_t first = bench_pg_scalar ("bench-analytics", conn, "SELECT last_seq FROM analytics_cursor");
    double t0 = s_now_ms ();
    int64_t at = first;
    while (at < seq) {
        if (s_now_ms () - t0 > timeout_s * 1e3) {
            fprintf (stderr, "bench-analytics: the cursor is at %" PRId64 " of %" PRId64
                     " after %d s\n", at, seq, timeout_s);
            return 1;
        }
        usleep (50000);
        at = bench_pg_scalar ("bench-analytics", conn, "SELECT last_seq FROM analytics_cursor");
    }
    double secs = (s_now_ms () - t0) / 1e3;
    printf ("# wait: analytics' cursor from %" PRId64 " to %" PRId64 "\n", first, seq);
    printf ("ingest_events %" PRId64 "\n", seq - first);
    printf ("ingest_seconds %.1f s\n", secs);
    printf ("ingest_rate %.0f events/s\n", (double) (seq - first) / secs);
    PQfinish (conn);
    return 0;
}

typedef struct {
    double committed_ms;            /* when the tick's transaction committed */
    int64_t last_seq;               /* the seq its last event will get */
    double covered_ms;              /* when analytics' cursor first covered it */
} s_tick_t;

static int
s_live (int rate, int seconds, uint64_t seed)
{
    PGconn *conn = bench_pg_connect ("bench-analytics", NULL);
    PGconn *poll = bench_pg_connect ("bench-analytics", NULL);
    //  Nothing else writes: the bus has drained everything before us, so our
    //  k-th event is seq base + k (the outbox is sequenced in id order).
    while (bench_pg_scalar ("bench-analytics", conn, "SELECT count (*) FROM outbox") > 0)
        usleep (20000);
    int64_t base = bench_pg_scalar ("bench-analytics", conn, "SELECT coalesce (max (seq), 0) FROM event_log");
    size_t nticks = (size_t) seconds * 100;
    s_tick_t *ticks = (s_tick_t *) calloc (nticks, sizeof *ticks);
    s_writer_t w;
    s_writer_init (&w, seed);
    int64_t written = 0;
    //  New numbers each run (BENCH_AN_REUSE runs live again on the same
    //  store): the log grows by more events than complaints each time.
    uint64_t n = 1000000000ULL + (uint64_t) base;
    double per_tick = rate / 100.0, owed = 0;
    double t0 = s_now_ms ();
    size_t covered = 0;
    for (size_t k = 0; k < nticks; k++) {
        double due = t0 + (double) k * 10.0;
        //  Between ticks: poll the cursor (every ~2 ms) until the tick is due.
        do {
            int64_t cursor = bench_pg_scalar ("bench-analytics", poll, "SELECT last_seq FROM analytics_cursor");
            double now = s_now_ms ();
            while (covered < k && ticks [covered].last_seq <= cursor)
                ticks [covered++].covered_ms = now;
            if (now < due)
                usleep (2000);
        } while (s_now_ms () < due);
        owed += per_tick;
        int64_t now = (int64_t) s_now_ms ();
        while (owed >= 1 || w.events == 0) {
            //  whole lifecycles, compressed into the last few minutes: all
            //  events of a complaint in one tick
            size_t before = w.events;
            s_complaint (&w, n++, now - 600000, now, 1000000);
            owed -= (double) (w.events - before);
        }
        written += (int64_t) w.events;
        s_flush (&w, conn);
        ticks [k].committed_ms = s_now_ms ();
        ticks [k].last_seq = base + written;
    }
    double offered_s = (s_now_ms () - t0) / 1e3;
    //  Wait (at most 60 s) for the rest to be covered.
    double deadline = s_now_ms () + 60000;
    while (covered < nticks && s_now_ms () < deadline) {
        int64_t cursor = bench_pg_scalar ("bench-analytics", poll, "SELECT last_seq FROM analytics_cursor");
        double now = s_now_ms ();
        while (covered < nticks && ticks [covered].last_seq <= cursor)
            ticks [covered++].covered_ms = now;
        usleep (2000);
    }
    double *lags = (double *) calloc (nticks, sizeof *lags);
    for (size_t k = 0; k < covered; k++)
        lags [k] = ticks [k].covered_ms - ticks [k].committed_ms;
    qsort (lags, covered, sizeof *lags, bench_cmp_double);
    printf ("# live: %d events/s offered for %d s (a transaction every 10 ms), bus and "
            "analytics running; lag = tick committed -> analytics' cursor covers it\n",
            rate, seconds);
    printf ("live_events %" PRId64 "\n", written);
    printf ("live_rate %.0f events/s\n", (double) written / offered_s);
    printf ("live_ticks_covered %zu of %zu\n", covered, nticks);
    printf ("live_lag_p50 %.0f ms\n", bench_quantile (lags, covered, 0.50));
    printf ("live_lag_p90 %.0f ms\n", bench_quantile (lags, covered, 0.90));
    printf ("live_lag_p99 %.0f ms\n", bench_quantile (lags, covered, 0.99));
    printf ("live_lag_max %.0f ms\n", covered ? lags [covered - 1] : 0);
    free (lags);
    free (ticks);
    s_writer_fini (&w);
    PQfinish (poll);
    PQfinish (conn);
    return covered == nticks ? 0 : 1;
}

//  --------------------------------------------------------------------------
//  Queries

static int
s_ask (zsock_t *dealer, const msgpack_sbuffer *req, size_t *reply_size)
{
    static uint64_t tag = 0;
    unsigned char frame [8];
    event_seq_put (frame, ++tag);
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, frame, sizeof frame);
    zmsg_addmem (msg, "", 0);
    zmsg_addmem (msg, req->data, req->size);
    zmsg_send (&msg, dealer);
    zpoller_t *poller = zpoller_new (dealer, NULL);
    void *which = zpoller_wait (poller, 30000);
    zpoller_destroy (&poller);
    if (!which)
        return -1;
    zmsg_t *reply = zmsg_recv (dealer);
    if (!reply || zmsg_size (reply) != 3) {
        zmsg_destroy (&reply);
        return -1;
    }
    zframe_t *body = zmsg_last (reply);
    *reply_size = zframe_size (body);
    //  An error reply says "ok": false: count it as a failure.
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    int rc = -1;
    if (msgpack_unpack_next (&u, (const char *) zframe_data (body), zframe_size (body), NULL)
        == MSGPACK_UNPACK_SUCCESS && u.data.type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &u.data.via.map.ptr [i];
            if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 2
            &&  memcmp (kv->key.via.str.ptr, "ok", 2) == 0)
                rc = kv->val.type == MSGPACK_OBJECT_BOOLEAN && kv->val.via.boolean ? 0 : -1;
        }
        if (rc)
            fprintf (stderr, "bench-analytics: an error reply (%zu bytes)\n", *reply_size);
    }
    msgpack_unpacked_destroy (&u);
    zmsg_destroy (&reply);
    return rc;
}

static int
s_query (const char *endpoint, int repeat, int days)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (dealer, 30000);
    zsock_set_maxmsgsize (dealer, 64 * 1024 * 1024);
    if (curve_client (curve_default (), dealer, CURVE_ANALYTICS, endpoint)) {
        fprintf (stderr, "bench-analytics: %s\n", curve_error (curve_default ()));
        zsock_destroy (&dealer);
        return 2;
    }
    if (zsock_connect (dealer, "%s", endpoint)) {
        fprintf (stderr, "bench-analytics: bad endpoint %s\n", endpoint);
        return 2;
    }
    int64_t now = (int64_t) s_now_ms ();
    int64_t to = now - now % S_HOUR_MS + S_HOUR_MS;
    int64_t from = to - (int64_t) (days + 1) * S_DAY_MS;
    struct {
        const char *name, *op, *by, *metric, *bucket;
        int64_t from;
    } q [] = {
        { "kpi_all", "kpi", NULL, NULL, NULL, from },
        { "kpi_by_channel", "kpi", "channel", NULL, NULL, from },
        { "kpi_by_business_line", "kpi", "business_line", NULL, NULL, from },
        { "kpi_by_cause", "kpi", "cause", NULL, NULL, from },
        { "kpi_by_department", "kpi", "department", NULL, NULL, from },
        { "kpi_by_branch", "kpi", "branch", NULL, NULL, from },
        { "kpi_by_priority", "kpi", "priority", NULL, NULL, from },
        { "kpi_30d_by_branch", "kpi", "branch", NULL, NULL, to - 30 * S_DAY_MS },
        { "series_day_received", "series", NULL, "received", "day", from },
        { "series_day_answered_24h_rate", "series", NULL, "answered_24h_rate", "day", from },
        { "series_day_received_by_cause", "series", "cause", "received", "day",
          to - 90 * S_DAY_MS },
        { "series_hour_received_7d", "series", NULL, "received", "hour", to - 7 * S_DAY_MS },
    };
    printf ("# query: %d of each after a first one, one at a time over a DEALER, the range "
            "ending this hour, %d days back unless named\n", repeat, days);
    double *ms = (double *) calloc ((size_t) repeat, sizeof *ms);
    int failures = 0;
    for (size_t i = 0; i < sizeof q / sizeof q [0]; i++) {
        msgpack_sbuffer req;
        msgpack_sbuffer_init (&req);
        analytics_request_pack (&req, q [i].op, q [i].from, to, q [i].by, q [i].metric,
                                q [i].bucket);
        size_t size = 0;
        //  The first of each question reads its rollup rows from disk
        //  (after a restart nothing is cached): said apart, as `_first`,
        //  and not one of the samples, whose p99 would otherwise be it.
        double t0 = s_now_ms ();
        if (s_ask (dealer, &req, &size))
            failures++;
        double first = s_now_ms () - t0;
        for (int r = 0; r < repeat; r++) {
            t0 = s_now_ms ();
            if (s_ask (dealer, &req, &size))
                failures++;
            ms [r] = s_now_ms () - t0;
        }
        qsort (ms, (size_t) repeat, sizeof *ms, bench_cmp_double);
        printf ("%s_first %.1f ms\n", q [i].name, first);
        printf ("%s_p50 %.1f ms\n", q [i].name, bench_quantile (ms, (size_t) repeat, 0.5));
        printf ("%s_p90 %.1f ms\n", q [i].name, bench_quantile (ms, (size_t) repeat, 0.9));
        printf ("%s_p99 %.1f ms\n", q [i].name, bench_quantile (ms, (size_t) repeat, 0.99));
        printf ("%s_max %.1f ms\n", q [i].name, ms [repeat - 1]);
        printf ("%s_bytes %zu B\n", q [i].name, size);
        msgpack_sbuffer_destroy (&req);
    }
    printf ("query_failures %d\n", failures);
    free (ms);
    zsock_destroy (&dealer);
    return failures ? 1 : 0;
}

static int
s_limit (void)
{
    PGconn *conn = bench_pg_connect ("bench-analytics", NULL);
    double ms [1000];
    for (int i = 0; i < 1000; i++) {
        double t0 = s_now_ms ();
        PQclear (bench_pg_must ("bench-analytics", conn, "SELECT 1", 0, NULL));
        ms [i] = s_now_ms () - t0;
    }
    qsort (ms, 1000, sizeof *ms, bench_cmp_double);
    printf ("# limit: the store's floor on this machine, now\n");
    printf ("limit_roundtrip_p50 %.3f ms\n", ms [500]);
    printf ("limit_roundtrip_p99 %.3f ms\n", ms [990]);
    PQclear (bench_pg_must ("bench-analytics", conn, "DROP TABLE IF EXISTS bench_raw", 0, NULL));
    PQclear (bench_pg_must ("bench-analytics", conn, "CREATE TABLE bench_raw (k text PRIMARY KEY, day date, t1 text,"
        " t2 text, t3 text, t4 text, b bigint[])", 0, NULL));
    double t0 = s_now_ms ();
    int rounds = 10;
    for (int i = 0; i < rounds; i++) {
        char sql [512];
        snprintf (sql, sizeof sql,
            "INSERT INTO bench_raw SELECT 'k' || g, current_date, 'channel', 'line', 'cause',"
            " 'branch', array_fill (g::bigint, ARRAY[30]) FROM generate_series (%d, %d) g",
            i * 20000, i * 20000 + 19999);
        PQclear (bench_pg_must ("bench-analytics", conn, sql, 0, NULL));
    }
    double secs = (s_now_ms () - t0) / 1e3;
    printf ("limit_raw_insert_rate %.0f rows/s (20,000-row INSERT ... SELECT, 35 columns, "
            "a primary key)\n", rounds * 20000 / secs);
    PQclear (bench_pg_must ("bench-analytics", conn, "DROP TABLE bench_raw", 0, NULL));
    PQfinish (conn);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: bench-analytics populate|wait|live|query|limit [options]\n");
        return 2;
    }
    const char *phase = argv [1];
    uint64_t complaints = 100000, seed = 1;
    int days = 365, seconds = 30, rate = 5000, repeat = 100, timeout = 3600;
    int64_t seq = 0;
    const char *endpoint = "tcp://127.0.0.1:5570";
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv [i], *v = argv [i + 1];
        if (!strcmp (k, "--complaints")) complaints = strtoull (v, NULL, 10);
        else if (!strcmp (k, "--days")) days = atoi (v);
        else if (!strcmp (k, "--seed")) seed = strtoull (v, NULL, 10);
        else if (!strcmp (k, "--seq")) seq = atoll (v);
        else if (!strcmp (k, "--timeout")) timeout = atoi (v);
        else if (!strcmp (k, "--rate")) rate = atoi (v);
        else if (!strcmp (k, "--seconds")) seconds = atoi (v);
        else if (!strcmp (k, "--repeat")) repeat = atoi (v);
        else if (!strcmp (k, "--endpoint")) endpoint = v;
        else {
            fprintf (stderr, "bench-analytics: unknown option %s\n", k);
            return 2;
        }
    }
    if (days < 1 || seconds < 1 || rate < 1 || repeat < 1) {
        fprintf (stderr, "bench-analytics: --days, --seconds, --rate and --repeat must be > 0\n");
        return 2;
    }
    zsys_init ();
    if (!strcmp (phase, "populate"))
        return s_populate (complaints, days, seed);
    if (!strcmp (phase, "wait"))
        return s_wait (seq, timeout);
    if (!strcmp (phase, "live"))
        return s_live (rate, seconds, seed + 7);
    if (!strcmp (phase, "query"))
        return s_query (endpoint, repeat, days);
    if (!strcmp (phase, "limit"))
        return s_limit ();
    fprintf (stderr, "bench-analytics: unknown phase %s\n", phase);
    return 2;
}
