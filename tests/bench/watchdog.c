/*  bench-watchdog — does a watchdog tick cost what is due, or what is open?
 *
 *  Small and single-purpose like libzmq's perf tools: each phase prints its
 *  figures as `name value unit`, one per line, after `#` lines holding the
 *  conditions. tests/bench/run.sh runs it twice, on 10,000 and on 1,000,000
 *  open cases, with a real watchdog in between, and sets the figures side by
 *  side.
 *
 *  Phases (PG* variables or --pg name the database; run.sh makes a fresh,
 *  migrated one per size):
 *
 *    populate    N open cases (state accepted, classified, clean), each with
 *                a running resolution clock whose next step is days away,
 *                written set-based; then VACUUM ANALYZE, as a live store
 *                would be. Prints how long that took.
 *    fire        with a watchdog already running on the database
 *                (--watchdog-pid, its log in --watchdog-log):
 *                  idle   the watchdog's two index probes (what is due, what is
 *                         dirty) with nothing due, timed from here: the
 *                         floor of a tick, which must not grow with N;
 *                  burst  D clocks become due at one instant 2 s ahead (their
 *                         deadline; reminders long past, so superseded), the
 *                         bench waits until every breach has fired and reads
 *                         from the store how late each fired (fired_at -
 *                         due_at, both on the store's clock) and, from the
 *                         watchdog's `tick` log lines, how long its ticks
 *                         took: per tick and per fired timer;
 *                  raw    the machine's own limit for the same writes: one
 *                         plain libpq transaction doing what firing D clocks
 *                         must write (D clock updates, 2D firing rows, 2D
 *                         outbox rows, set-based) — the cost per timer
 *                         without any watchdog logic;
 *                  memory the watchdog's peak resident set (VmHWM).
 *
 *  Usage: bench-watchdog populate --open N
 *         bench-watchdog fire --due D --watchdog-pid P --watchdog-log FILE
 */
#include "bench_util.h"
#include "cfg.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_run (PGconn *conn, const char *sql)
{
    PQclear (bench_pg_must ("bench-watchdog", conn, sql, 0, NULL));
}

static double
s_value (PGconn *conn, const char *sql)
{
    PGresult *res = bench_pg_must ("bench-watchdog", conn, sql, 0, NULL);
    double v = PQntuples (res) && !PQgetisnull (res, 0, 0) ? atof (PQgetvalue (res, 0, 0)) : NAN;
    PQclear (res);
    return v;
}

static void
s_conditions (PGconn *conn)
{
    printf ("# cores %ld\n", sysconf (_SC_NPROCESSORS_ONLN));
    PGresult *res = bench_pg_must ("bench-watchdog", conn,
        "SELECT current_setting ('server_version'), current_setting ('fsync'),"
        "       current_setting ('synchronous_commit'), current_database ()", 0, NULL);
    printf ("# postgresql %s fsync=%s synchronous_commit=%s database=%s\n",
            PQgetvalue (res, 0, 0), PQgetvalue (res, 0, 1), PQgetvalue (res, 0, 2),
            PQgetvalue (res, 0, 3));
    PQclear (res);
}

static int
s_populate (PGconn *conn, long open)
{
    char n [32];
    snprintf (n, sizeof n, "%ld", open);
    const char *values [] = { n };
    int64_t t0 = zclock_mono ();
    /* Open, classified, clean cases: what a live store holds. Complaint
     * numbers start with 8 so they never look like intake's. */
    PQclear (bench_pg_must ("bench-watchdog", conn,
        "INSERT INTO complaint (complaint_no, channel, ref, state, body, customer_pseudonym,"
        "  received_at, department, priority, business_line, cause, version, sla_dirty)"
        " SELECT '8' || lpad (g::text, 14, '0'), 'web', 'bench-' || g, 'accepted',"
        "        'bench complaint', 'p' || (g % 50000), app_now () - interval '1 day',"
        "        'card_center', 3, 'cards', 'efficiency_process', 3, false"
        "   FROM generate_series (1, $1::bigint) g", 1, values));
    /* One running resolution clock each, its next step (the 50 % reminder)
     * spread over a day starting six days from now: the due index holds N
     * rows and none of them is near. */
    s_run (conn,
        "INSERT INTO sla_clock (complaint_id, stage, round, selector, rule, calendar, allowance,"
        "  started_at, base_due_at, due_at, state, next_step, next_fire_at)"
        " SELECT id, 'resolution', 0, 'bench', 'bench', 'cn', '15d', received_at,"
        "        received_at + interval '15 days', received_at + interval '15 days', 'running',"
        "        'remind:50', received_at + interval '7 days' + (id % 86400) * interval '1 second'"
        "   FROM complaint WHERE complaint_no LIKE '8%'");
    s_run (conn, "VACUUM ANALYZE complaint");
    s_run (conn, "VACUUM ANALYZE sla_clock");
    double secs = (zclock_mono () - t0) / 1000.0;
    s_conditions (conn);
    printf ("open_cases %ld cases\n", open);
    printf ("populate_seconds %.1f s\n", secs);
    printf ("due_index_rows %.0f rows\n",
            s_value (conn, "SELECT count (*) FROM sla_clock WHERE next_fire_at IS NOT NULL"));
    return 0;
}

/* The median of `runs` timings of the two probes a tick starts with. */
static double
s_idle_probe_ms (PGconn *conn, int runs)
{
    double *t = calloc ((size_t) runs, sizeof *t);
    assert (t);
    for (int i = 0; i < runs; i++) {
        int64_t t0 = zclock_usecs ();
        s_run (conn, "BEGIN");
        s_run (conn,
            "SELECT k.id FROM sla_clock k JOIN complaint c ON c.id = k.complaint_id"
            " WHERE k.next_fire_at <= app_now () AND NOT c.sla_dirty"
            " ORDER BY k.next_fire_at LIMIT 500"
            " FOR UPDATE OF k SKIP LOCKED FOR SHARE OF c SKIP LOCKED");
        s_run (conn, "SELECT id FROM complaint WHERE sla_dirty ORDER BY id LIMIT 500"
                     " FOR UPDATE SKIP LOCKED");
        s_run (conn, "SELECT min (next_fire_at) FROM sla_clock WHERE next_fire_at IS NOT NULL");
        s_run (conn, "COMMIT");
        t [i] = (zclock_usecs () - t0) / 1000.0;
    }
    qsort (t, (size_t) runs, sizeof *t, bench_cmp_double);
    double median = t [runs / 2];
    free (t);
    return median;
}

/* Sum the `tick` lines of the watchdog's log written after byte `from`:
 * ticks that fired something, their total and largest elapsed time, and
 * what they fired. */
typedef struct {
    long ticks;
    double total_ms, max_ms;
    long fired;
} s_ticks_t;

static long
s_field (const char *line, const char *name)
{
    const char *p = strstr (line, name);
    return p ? strtol (p + strlen (name), NULL, 10) : -1;
}

static double
s_field_d (const char *line, const char *name)
{
    const char *p = strstr (line, name);
    return p ? strtod (p + strlen (name), NULL) : -1;
}

static s_ticks_t
s_read_ticks (const char *path, long from)
{
    s_ticks_t r = { 0, 0, 0, 0 };
    FILE *f = fopen (path, "r");
    if (!f)
        return r;
    fseek (f, from, SEEK_SET);
    char line [2048];
    while (fgets (line, sizeof line, f)) {
        if (!strstr (line, "event=tick"))
            continue;
        long fired = s_field (line, " fired=");
        double ms = s_field_d (line, " elapsed_ms=");
        if (fired <= 0 || ms < 0)
            continue;
        r.ticks++;
        r.fired += fired;
        r.total_ms += ms;
        if (ms > r.max_ms)
            r.max_ms = ms;
    }
    fclose (f);
    return r;
}

static long
s_file_size (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return 0;
    fseek (f, 0, SEEK_END);
    long size = ftell (f);
    fclose (f);
    return size;
}

static long
s_vm_kb (long pid, const char *key)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets (line, sizeof line, f))
        if (strncmp (line, key, strlen (key)) == 0)
            kb = strtol (line + strlen (key), NULL, 10);
    fclose (f);
    return kb;
}

/* The machine's limit: the writes of firing `due` clocks, in one plain
 * transaction, on clocks far from due. It runs last: the clocks it touched
 * stay changed; its firing and outbox rows are deleted afterwards. */
static double
s_raw_ms (PGconn *conn, long due)
{
    char n [32];
    snprintf (n, sizeof n, "%ld", due);
    const char *values [] = { n };
    int64_t t0 = zclock_usecs ();
    s_run (conn, "BEGIN");
    PQclear (bench_pg_must ("bench-watchdog", conn,
        "WITH k AS (SELECT id FROM sla_clock WHERE next_fire_at IS NOT NULL"
        "            ORDER BY next_fire_at DESC LIMIT $1::int FOR UPDATE SKIP LOCKED),"
        "     u AS (UPDATE sla_clock s SET state = 'breached', next_step = 'escalate:2',"
        "                  next_fire_at = s.due_at + interval '1 day', updated_at = now ()"
        "             FROM k WHERE s.id = k.id RETURNING s.id, s.due_at, s.complaint_id),"
        "     f AS (INSERT INTO sla_firing (clock_id, phase, step, due_at, fired_at, fired_by)"
        "           SELECT u.id, 0, s.step, u.due_at, app_clock_timestamp (), 'bench-raw'"
        "             FROM u CROSS JOIN (VALUES ('raw-breach'), ('raw-escalate:1')) s (step)"
        "           ON CONFLICT DO NOTHING RETURNING clock_id)"
        " INSERT INTO outbox (type, complaint_no, data)"
        " SELECT 'sla.raw', c.complaint_no, '\\x80'::bytea"
        "   FROM f JOIN u ON u.id = f.clock_id JOIN complaint c ON c.id = u.complaint_id",
        1, values));
    /* The commit is part of the cost (one fsync, as the watchdog pays). */
    s_run (conn, "COMMIT");
    double ms = (zclock_usecs () - t0) / 1000.0;
    s_run (conn, "DELETE FROM outbox WHERE type = 'sla.raw'");
    s_run (conn, "DELETE FROM sla_firing WHERE fired_by = 'bench-raw'");
    return ms;
}

static int
s_fire (PGconn *conn, long due, long pid, const char *log_path, long timeout_s)
{
    s_conditions (conn);
    double open = s_value (conn, "SELECT count (*) FROM sla_clock WHERE next_fire_at IS NOT NULL");
    printf ("open_clocks %.0f clocks\n", open);

    /* --- idle: nothing due */
    printf ("idle_tick_probes_median %.3f ms\n", s_idle_probe_ms (conn, 50));

    /* --- burst: `due` clocks due together, 2 s from now */
    long log_from = s_file_size (log_path);
    char n [32];
    snprintf (n, sizeof n, "%ld", due);
    const char *values [] = { n };
    PQclear (bench_pg_must ("bench-watchdog", conn,
        "WITH pick AS (SELECT id FROM sla_clock WHERE next_fire_at IS NOT NULL"
        "               ORDER BY id LIMIT $1::int)"
        "UPDATE sla_clock k"
        "   SET started_at = t.at - interval '15 days', base_due_at = t.at, due_at = t.at,"
        "       next_step = 'breach', next_fire_at = t.at"
        "  FROM pick, (SELECT app_now () + interval '2 seconds' AS at) t"
        " WHERE k.id = pick.id", 1, values));
    int64_t deadline = zclock_mono () + timeout_s * 1000;
    double fired = 0;
    while (zclock_mono () < deadline) {
        fired = s_value (conn, "SELECT count (*) FROM sla_firing WHERE step = 'breach'");
        if (fired >= due)
            break;
        zclock_sleep (50);
    }
    printf ("due_timers %ld timers\n", due);
    printf ("fired_breaches %.0f timers\n", fired);
    printf ("fired_all_steps %.0f firings\n", s_value (conn, "SELECT count (*) FROM sla_firing"));
    PGresult *res = bench_pg_must ("bench-watchdog", conn,
        "WITH d AS (SELECT extract (epoch FROM fired_at - due_at) * 1000 AS ms"
        "             FROM sla_firing WHERE step = 'breach')"
        "SELECT percentile_cont (0.5) WITHIN GROUP (ORDER BY ms),"
        "       percentile_cont (0.99) WITHIN GROUP (ORDER BY ms), max (ms),"
        "       extract (epoch FROM max (f.fired_at) - min (f.due_at)) * 1000"
        "  FROM d, (SELECT fired_at, due_at FROM sla_firing WHERE step = 'breach') f", 0, NULL);
    if (PQntuples (res) == 1 && !PQgetisnull (res, 0, 0)) {
        printf ("firing_delay_p50 %.1f ms\n", atof (PQgetvalue (res, 0, 0)));
        printf ("firing_delay_p99 %.1f ms\n", atof (PQgetvalue (res, 0, 1)));
        printf ("firing_delay_max %.1f ms\n", atof (PQgetvalue (res, 0, 2)));
        printf ("burst_all_fired_after %.1f ms\n", atof (PQgetvalue (res, 0, 3)));
    }
    PQclear (res);
    zclock_sleep (300);                 /* the last tick line reaches the log */
    s_ticks_t ticks = s_read_ticks (log_path, log_from);
    printf ("ticks_that_fired %ld ticks\n", ticks.ticks);
    if (ticks.ticks > 0) {
        printf ("tick_mean %.1f ms\n", ticks.total_ms / (double) ticks.ticks);
        printf ("tick_max %.1f ms\n", ticks.max_ms);
    }
    if (ticks.fired > 0)
        printf ("per_fired_timer %.1f us\n", ticks.total_ms * 1000.0 / (double) ticks.fired);

    /* --- the machine's own limit for the same writes */
    double raw = s_raw_ms (conn, due);
    printf ("raw_same_writes %.1f ms\n", raw);
    printf ("raw_per_timer %.1f us\n", raw * 1000.0 / (double) due);
    if (ticks.fired > 0)
        printf ("watchdog_to_raw_ratio %.2f x\n",
                (ticks.total_ms / (double) ticks.fired) / (raw / (double) due));

    /* --- memory */
    printf ("watchdog_rss_peak %ld kB\n", s_vm_kb (pid, "VmHWM:"));
    printf ("watchdog_rss_now %ld kB\n", s_vm_kb (pid, "VmRSS:"));
    return fired >= due ? 0 : 1;
}

int
main (int argc, char **argv)
{
    if (argc < 2 || cfg_flag (argc, argv, "--help")) {
        fprintf (stderr,
            "usage: bench-watchdog populate --open N [--pg CONNINFO]\n"
            "       bench-watchdog fire --due D --watchdog-pid P --watchdog-log FILE\n"
            "                      [--timeout S] [--pg CONNINFO]\n");
        return 2;
    }
    const char *conninfo = cfg_str (argc, argv, "--pg", "COMPLAINTS_PG", "");
    PGconn *conn = bench_pg_connect ("bench-watchdog", conninfo);
    s_run (conn, "SET client_min_messages = warning");
    int rc;
    if (strcmp (argv [1], "populate") == 0)
        rc = s_populate (conn, cfg_long (argc, argv, "--open", "BENCH_OPEN", 10000));
    else
    if (strcmp (argv [1], "fire") == 0) {
        const char *log_path = cfg_str (argc, argv, "--watchdog-log", "BENCH_WATCHDOG_LOG", "");
        long pid = cfg_long (argc, argv, "--watchdog-pid", "BENCH_WATCHDOG_PID", 0);
        if (!*log_path || pid <= 0) {
            fprintf (stderr, "bench-watchdog: fire needs --watchdog-pid and --watchdog-log\n");
            return 2;
        }
        rc = s_fire (conn, cfg_long (argc, argv, "--due", "BENCH_DUE", 1000), pid, log_path,
                     cfg_long (argc, argv, "--timeout", "BENCH_TIMEOUT", 120));
    }
    else {
        fprintf (stderr, "bench-watchdog: unknown phase '%s'\n", argv [1]);
        rc = 2;
    }
    PQfinish (conn);
    return rc;
}
