/*  analytics_store.c — the SQL of analytics' own tables (see
 *  analytics_store.h for the batch transaction).
 *
 *  The rollup statements are written once at start from the metric list
 *  (proto/analytics_request.c), so a metric is added in one list and one
 *  view column, never in a hand-kept column list here. They are still
 *  parameterised statements: only column names from our own table go into
 *  the text.
 *
 *  Facts travel as JSON (jsonb_populate_recordset in, to_jsonb out): one
 *  parameter for the whole batch, the columns matched by name. The session
 *  runs with TimeZone UTC, so the times come back in one form
 *  (analytics_fact_from_json reads it).
 */
#include "analytics_store.h"
#include "analytics_request.h"
#include "log.h"

#include <czmq.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STATEMENT_TIMEOUT_MS 60000
#define S_KEY "day, hour, channel, business_line, cause, department, branch, priority"
#define S_DIM_KEY "grain, dim, day, hour, key"

//  The period rollups (analytics_rollup_dim, _dim_time) are written from the
//  batch's changed cells, each cell once per grain: its hour (0), its day
//  (1) and its month (2), `period` the day of the hour or the first day of
//  the period, `phour` the hour for grain 0 (0 for the others). S_DIM_COLS
//  are a GROUPING SETS row's key columns in S_DIM_KEY's order: the grain,
//  the dimension it groups by (analytics_day_dims: 0 everything, then
//  analytics_dims in order), the period, its hour, the key.
#define S_GRAINS(table) \
    "(SELECT g.grain, CASE WHEN g.grain = 2 THEN date_trunc ('month', c.day)::date" \
    " ELSE c.day END AS period," \
    " CASE WHEN g.grain = 0 THEN c.hour ELSE 0::smallint END AS phour, c.*" \
    " FROM " table " c, (VALUES (0::smallint), (1::smallint), (2::smallint)) g (grain)) c"
#define S_DIM_COLS \
    "grain, CASE WHEN GROUPING (channel) = 0 THEN 1 WHEN GROUPING (business_line) = 0 THEN 2" \
    " WHEN GROUPING (cause) = 0 THEN 3 WHEN GROUPING (department) = 0 THEN 4" \
    " WHEN GROUPING (branch) = 0 THEN 5 WHEN GROUPING (priority) = 0 THEN 6 ELSE 0 END," \
    " period, phour, coalesce (channel, business_line, cause, department, branch," \
    " priority::text, '')"
#define S_DIM_SETS(extra) \
    "GROUPING SETS ((grain, period, phour" extra "), (grain, period, phour, channel" extra ")," \
    " (grain, period, phour, business_line" extra "), (grain, period, phour, cause" extra ")," \
    " (grain, period, phour, department" extra "), (grain, period, phour, branch" extra ")," \
    " (grain, period, phour, priority" extra "))"

struct _analytics_store_t {
    pg_session_t *pg;
    bool locked;
    int64_t bounds [ANALYTICS_MAX_BOUNDS];
    size_t nbounds;
    char *write_sql;                /* the batch: facts and every rollup, one statement */
};

//  The emptied cells the batch statement returned, deleted by key. Rare (a
//  case moved cell: a transfer, a closure time that changed): most batches
//  empty none and run none of these.
static const char *s_empty_sql [4] = {
    "DELETE FROM analytics_rollup t USING jsonb_populate_recordset"
    " (NULL::analytics_rollup, $1::jsonb) z WHERE t.received = 0"
    " AND (t.day, t.hour, t.channel, t.business_line, t.cause, t.department, t.branch,"
    "      t.priority) = (z.day, z.hour, z.channel, z.business_line, z.cause, z.department,"
    "      z.branch, z.priority)",
    "DELETE FROM analytics_rollup_dim t USING jsonb_populate_recordset"
    " (NULL::analytics_rollup_dim, $1::jsonb) z WHERE t.received = 0"
    " AND (t.grain, t.dim, t.day, t.hour, t.key) = (z.grain, z.dim, z.day, z.hour, z.key)",
    "DELETE FROM analytics_rollup_time t USING jsonb_populate_recordset"
    " (NULL::analytics_rollup_time, $1::jsonb) z WHERE t.cases = 0"
    " AND (t.day, t.hour, t.channel, t.business_line, t.cause, t.department, t.branch,"
    "      t.priority, t.metric, t.bucket) = (z.day, z.hour, z.channel, z.business_line,"
    "      z.cause, z.department, z.branch, z.priority, z.metric, z.bucket)",
    "DELETE FROM analytics_rollup_dim_time t USING jsonb_populate_recordset"
    " (NULL::analytics_rollup_dim_time, $1::jsonb) z WHERE t.cases = 0"
    " AND (t.grain, t.dim, t.day, t.hour, t.key, t.metric, t.bucket)"
    "   = (z.grain, z.dim, z.day, z.hour, z.key, z.metric, z.bucket)"
};

static int
s_on_connect (pg_session_t *pg, void *arg)
{
    analytics_store_t *self = (analytics_store_t *) arg;
    //  A new connection holds no advisory lock: stand again.
    self->locked = false;
    if (pg_session_command (pg, "timezone", "SET TimeZone = 'UTC'", 0, NULL))
        return -1;
    PGresult *res = pg_session_exec (pg, "time_bounds",
                                     "SELECT unnest (analytics_time_bounds ())", 0, NULL,
                                     NULL, NULL, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    int n = PQntuples (res);
    self->nbounds = 0;
    for (int i = 0; i < n && i < ANALYTICS_MAX_BOUNDS; i++)
        self->bounds [self->nbounds++] = atoll (PQgetvalue (res, i, 0));
    PQclear (res);
    return 0;
}

typedef struct {
    char *data;
    size_t len, cap;
} s_text_t;

static void
s_put (s_text_t *t, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    va_list again;
    va_copy (again, args);
    int n = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    if (t->len + (size_t) n + 1 > t->cap) {
        t->cap = (t->len + (size_t) n + 1) * 2;
        t->data = (char *) realloc (t->data, t->cap);
        assert (t->data);
    }
    vsnprintf (t->data + t->len, t->cap - t->len, fmt, again);
    va_end (again);
    t->len += (size_t) n;
}

/*  Every metric as `fmt` (with %1$s the metric's name), joined by `sep`. */
static void
s_metrics (s_text_t *t, const char *fmt, const char *sep)
{
    for (size_t i = 0; i < analytics_nmetrics; i++) {
        if (i)
            s_put (t, "%s", sep);
        const char *m = analytics_metrics [i].name;
        //  fmt names the metric up to three times
        s_put (t, fmt, m, m, m);
    }
}

/*  The batch statement, written once from the metric list. Its shape:
 *
 *    new     the batch's facts after its events (the parameter), as rows
 *    old     the same complaints' facts before (this statement's snapshot
 *            does not see the upsert: every CTE reads the store as it was)
 *    fact    the upsert of new
 *    signed  +contribution of each new fact, -contribution of each old one
 *    cell    netted per hour cell; only cells that changed (a note on a case
 *            changes no figure: its cell is not touched)
 *    rollup  cell added into analytics_rollup (ON CONFLICT add)
 *    dim     cell summed per hour, day and month x each dimension (GROUPING
 *            SETS) into analytics_rollup_dim, again only the sums that
 *            changed
 *    t*      the same for the time-to-X histograms
 *
 *  and it returns the keys of the cells the batch left empty (received or
 *  cases 0), one JSON array per rollup, for s_empty_sql.
 */
static void
s_build_sql (analytics_store_t *self)
{
    s_text_t t = { 0 };
    s_put (&t, "WITH new AS (SELECT r FROM jsonb_populate_recordset (NULL::analytics_fact,"
               " $1::jsonb) r),"
               " old AS (SELECT f FROM analytics_fact f WHERE f.complaint_no IN"
               " (SELECT (r).complaint_no FROM new)),"
               " fact AS (INSERT INTO analytics_fact SELECT (r).* FROM new"
               " ON CONFLICT (complaint_no) DO UPDATE SET (");
    for (size_t i = 1; analytics_fact_columns [i]; i++)
        s_put (&t, "%s%s", i > 1 ? ", " : "", analytics_fact_columns [i]);
    s_put (&t, ") = ROW (");
    for (size_t i = 1; analytics_fact_columns [i]; i++)
        s_put (&t, "%sEXCLUDED.%s", i > 1 ? ", " : "", analytics_fact_columns [i]);
    s_put (&t, ")),"
               " signed AS (SELECT c.*, 1 AS sign FROM new, analytics_contribution_of (new.r) c"
               " UNION ALL SELECT c.*, -1 FROM old, analytics_contribution_of (old.f) c),"
               " cell AS (SELECT " S_KEY ", ");
    s_metrics (&t, "sum (sign * %s)::bigint AS %s", ", ");
    s_put (&t, " FROM signed GROUP BY " S_KEY " HAVING ");
    s_metrics (&t, "sum (sign * %s) <> 0", " OR ");
    s_put (&t, "), rollup AS (INSERT INTO analytics_rollup AS t (" S_KEY ", ");
    s_metrics (&t, "%s", ", ");
    s_put (&t, ") SELECT * FROM cell ON CONFLICT (" S_KEY ") DO UPDATE SET ");
    s_metrics (&t, "%s = t.%s + EXCLUDED.%s", ", ");
    s_put (&t, " RETURNING " S_KEY ", received),"
               " dim AS (INSERT INTO analytics_rollup_dim AS t (" S_DIM_KEY ", ");
    s_metrics (&t, "%s", ", ");
    s_put (&t, ") SELECT " S_DIM_COLS ", ");
    s_metrics (&t, "sum (%s)", ", ");
    s_put (&t, " FROM " S_GRAINS ("cell") " GROUP BY " S_DIM_SETS ("") " HAVING ");
    s_metrics (&t, "sum (%s) <> 0", " OR ");
    s_put (&t, " ON CONFLICT (" S_DIM_KEY ") DO UPDATE SET ");
    s_metrics (&t, "%s = t.%s + EXCLUDED.%s", ", ");
    s_put (&t, " RETURNING " S_DIM_KEY ", received),"
               " tsigned AS (SELECT c.*, 1 AS sign FROM new,"
               " analytics_contribution_time_of (new.r) c"
               " UNION ALL SELECT c.*, -1 FROM old, analytics_contribution_time_of (old.f) c),"
               " tcell AS (SELECT " S_KEY ", metric, bucket, sum (sign)::bigint AS cases"
               " FROM tsigned GROUP BY " S_KEY ", metric, bucket HAVING sum (sign) <> 0),"
               " trollup AS (INSERT INTO analytics_rollup_time AS t (" S_KEY ", metric, bucket,"
               " cases) SELECT * FROM tcell ON CONFLICT (" S_KEY ", metric, bucket)"
               " DO UPDATE SET cases = t.cases + EXCLUDED.cases"
               " RETURNING " S_KEY ", metric, bucket, cases),"
               " tdim AS (INSERT INTO analytics_rollup_dim_time AS t (" S_DIM_KEY ", metric,"
               " bucket, cases) SELECT " S_DIM_COLS ", metric, bucket, sum (cases)"
               " FROM " S_GRAINS ("tcell") " GROUP BY " S_DIM_SETS (", metric, bucket")
               " HAVING sum (cases) <> 0 ON CONFLICT (" S_DIM_KEY ", metric, bucket)"
               " DO UPDATE SET cases = t.cases + EXCLUDED.cases"
               " RETURNING " S_DIM_KEY ", metric, bucket, cases)"
               " SELECT (SELECT jsonb_agg (to_jsonb (x)) FROM rollup x WHERE received = 0),"
               " (SELECT jsonb_agg (to_jsonb (x)) FROM dim x WHERE received = 0),"
               " (SELECT jsonb_agg (to_jsonb (x)) FROM trollup x WHERE cases = 0),"
               " (SELECT jsonb_agg (to_jsonb (x)) FROM tdim x WHERE cases = 0)");
    self->write_sql = t.data;
}

analytics_store_t *
analytics_store_new (const char *conninfo, const char *name)
{
    analytics_store_t *self = (analytics_store_t *) calloc (1, sizeof *self);
    assert (self);
    s_build_sql (self);
    char application [128];
    snprintf (application, sizeof application, "analytics:%s", name);
    self->pg = pg_session_new (conninfo, application, S_STATEMENT_TIMEOUT_MS);
    if (!self->pg || pg_session_on_connect (self->pg, s_on_connect, self))
        analytics_store_destroy (&self);
    return self;
}

analytics_store_t *
analytics_store_new_deferred (const char *conninfo, const char *name)
{
    analytics_store_t *self = (analytics_store_t *) calloc (1, sizeof *self);
    assert (self);
    s_build_sql (self);
    char application [128];
    snprintf (application, sizeof application, "analytics:%s", name);
    self->pg = pg_session_new_deferred (conninfo, application, S_STATEMENT_TIMEOUT_MS,
                                        s_on_connect, self);
    if (!self->pg)
        analytics_store_destroy (&self);
    return self;
}

void
analytics_store_destroy (analytics_store_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        analytics_store_t *self = *self_p;
        pg_session_destroy (&self->pg);
        free (self->write_sql);
        free (self);
        *self_p = NULL;
    }
}

pg_session_t *analytics_store_session (analytics_store_t *self) { return self->pg; }
bool analytics_store_has_lock (analytics_store_t *self) { return self->locked; }

const int64_t *
analytics_store_time_bounds (analytics_store_t *self, size_t *count)
{
    *count = self->nbounds;
    return self->bounds;
}

//  Session-level: it lasts as long as the connection, so a consumer that
//  dies (or loses its link) gives it up at once, and a standby instance
//  takes over within its next try (main.c: every --lock-retry-ms).
int
analytics_store_try_lock (analytics_store_t *self)
{
    char key [24];
    snprintf (key, sizeof key, "%d", ANALYTICS_LOCK_KEY);
    const char *values [1] = { key };
    PGresult *res = pg_session_exec (self->pg, "try_lock",
                                     "SELECT pg_try_advisory_lock ($1::bigint)", 1, values,
                                     NULL, NULL, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    self->locked = strcmp (PQgetvalue (res, 0, 0), "t") == 0;
    PQclear (res);
    return self->locked ? 1 : 0;
}

/*  A query's read: one REPEATABLE READ READ ONLY snapshot holding the
 *  cursor, so the figures read after it are exactly those of as_of. */
int
analytics_store_snapshot (analytics_store_t *self, int64_t *as_of)
{
    if (pg_session_command (self->pg, "query_begin",
                            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL))
        return -1;
    return analytics_store_cursor (self, as_of);
}

int
analytics_store_cursor (analytics_store_t *self, int64_t *last_seq)
{
    PGresult *res = pg_session_exec (self->pg, "cursor",
                                     "SELECT last_seq FROM analytics_cursor WHERE id = 1", 0,
                                     NULL, NULL, NULL, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    *last_seq = PQntuples (res) ? atoll (PQgetvalue (res, 0, 0)) : 0;
    PQclear (res);
    return 0;
}

int
analytics_store_reset (analytics_store_t *self)
{
    if (pg_session_begin (self->pg)
    ||  pg_session_command (self->pg, "reset_tables",
            "TRUNCATE analytics_fact, analytics_rollup, analytics_rollup_time,"
            " analytics_rollup_dim, analytics_rollup_dim_time", 0, NULL)
    ||  pg_session_command (self->pg, "reset_cursor",
            "UPDATE analytics_cursor SET last_seq = 0, updated_at = now () WHERE id = 1", 0,
            NULL)
    ||  pg_session_commit (self->pg)) {
        pg_session_rollback (self->pg);
        return -1;
    }
    return 0;
}

int
analytics_store_batch_begin (analytics_store_t *self, int64_t expect)
{
    if (pg_session_begin (self->pg))
        return -1;
    PGresult *res = pg_session_exec (self->pg, "cursor_lock",
        "SELECT last_seq FROM analytics_cursor WHERE id = 1 FOR UPDATE", 0, NULL, NULL, NULL,
        PGRES_TUPLES_OK);
    if (!res) {
        pg_session_rollback (self->pg);
        return -1;
    }
    int64_t at = PQntuples (res) ? atoll (PQgetvalue (res, 0, 0)) : -1;
    PQclear (res);
    if (at != expect) {
        //  Someone else moved it (a consumer that should not exist, or a
        //  --rebuild): nothing of ours may land on top of theirs.
        pg_session_rollback (self->pg);
        log_warn ("cursor_moved", "expected=%" PRId64 " found=%" PRId64, expect, at);
        return 1;
    }
    return 0;
}

json_t *
analytics_store_batch_load (analytics_store_t *self, const char *nos_array)
{
    const char *values [1] = { nos_array };
    PGresult *res = pg_session_exec (self->pg, "fact_load",
        "SELECT coalesce (jsonb_agg (to_jsonb (f)), '[]') FROM analytics_fact f"
        " WHERE complaint_no = ANY ($1::text[])", 1, values, NULL, NULL, PGRES_TUPLES_OK);
    if (!res)
        return NULL;
    json_error_t jerr;
    json_t *facts = json_loads (PQgetvalue (res, 0, 0), 0, &jerr);
    PQclear (res);
    if (!facts)
        log_error ("fact_load_failed", "reason=\"%s\"", jerr.text);
    return facts;
}

int
analytics_store_batch_write (analytics_store_t *self, const char *facts_json, int64_t last_seq)
{
    const char *facts [1] = { facts_json };
    char seq [24];
    snprintf (seq, sizeof seq, "%" PRId64, last_seq);
    const char *cursor [1] = { seq };
    PGresult *res = pg_session_exec (self->pg, "batch_write", self->write_sql, 1, facts, NULL,
                                     NULL, PGRES_TUPLES_OK);
    int rc = res ? 0 : -1;
    for (int i = 0; rc == 0 && i < 4; i++)
        if (!PQgetisnull (res, 0, i)) {
            const char *empty [1] = { PQgetvalue (res, 0, i) };
            char name [32];
            snprintf (name, sizeof name, "rollup_empty%d", i);
            rc = pg_session_command (self->pg, name, s_empty_sql [i], 1, empty);
        }
    PQclear (res);
    if (rc
    ||  pg_session_command (self->pg, "cursor_move",
                            "UPDATE analytics_cursor SET last_seq = $1::bigint,"
                            " updated_at = now () WHERE id = 1", 1, cursor)) {
        pg_session_rollback (self->pg);
        return -1;
    }
    return 0;
}

int
analytics_store_batch_commit (analytics_store_t *self)
{
    if (pg_session_commit (self->pg)) {
        pg_session_rollback (self->pg);
        return -1;
    }
    return 0;
}

void analytics_store_rollback (analytics_store_t *self) { pg_session_rollback (self->pg); }
int analytics_store_recover (analytics_store_t *self) { return pg_session_recover (self->pg); }

bool
analytics_store_ready (analytics_store_t *self)
{
    assert (self);
    return pg_session_healthy (self->pg) || pg_session_try_recover (self->pg) == 0;
}

int
analytics_store_check_view (analytics_store_t *self)
{
    PGresult *res = pg_session_exec (self->pg, "view_columns",
        "SELECT attname FROM pg_attribute WHERE attrelid = 'analytics_contribution'::regclass"
        " AND attnum > 9 AND NOT attisdropped ORDER BY attnum", 0, NULL, NULL, NULL,
        PGRES_TUPLES_OK);
    if (!res)
        return -1;
    int rc = (size_t) PQntuples (res) == analytics_nmetrics ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < analytics_nmetrics; i++)
        if (strcmp (PQgetvalue (res, (int) i, 0), analytics_metrics [i].name) != 0) {
            log_error ("metrics_mismatch", "position=%zu view=%s list=%s", i,
                       PQgetvalue (res, (int) i, 0), analytics_metrics [i].name);
            rc = -1;
        }
    PQclear (res);
    //  The day rollups number their dimensions as analytics_dims (after 0,
    //  the whole day): the SQL's GROUPING SETS and the queries must agree.
    res = rc ? NULL : pg_session_exec (self->pg, "day_dims",
        "SELECT d FROM unnest (analytics_day_dims ()) WITH ORDINALITY AS t (d, i)"
        " WHERE i > 1 ORDER BY i", 0, NULL, NULL, NULL, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    for (int i = 0; rc == 0 && (i < PQntuples (res) || analytics_dims [i]); i++)
        if (i >= PQntuples (res) || !analytics_dims [i]
        ||  strcmp (PQgetvalue (res, i, 0), analytics_dims [i]) != 0) {
            log_error ("day_dims_mismatch", "position=%d", i + 1);
            rc = -1;
        }
    PQclear (res);
    return rc;
}
