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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STATEMENT_TIMEOUT_MS 60000
#define S_KEY "day, hour, channel, business_line, cause, department, branch, priority"

struct _analytics_store_t {
    pg_session_t *pg;
    bool locked;
    int64_t bounds [ANALYTICS_MAX_BOUNDS];
    size_t nbounds;
    char *rollup_sql;               /* the signed contribution, upserted */
    char *fact_sql;                 /* the facts, upserted */
};

static const char *s_time_sql =
    "INSERT INTO analytics_rollup_time AS r (" S_KEY ", metric, bucket, cases)"
    " SELECT " S_KEY ", metric, bucket, $2::bigint * count (*)"
    "   FROM analytics_contribution_time WHERE complaint_no = ANY ($1::text[])"
    "  GROUP BY " S_KEY ", metric, bucket"
    " ON CONFLICT (" S_KEY ", metric, bucket) DO UPDATE SET cases = r.cases + EXCLUDED.cases";

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

static void
s_build_sql (analytics_store_t *self)
{
    //  The rollup: "m = r.m + EXCLUDED.m" for every metric.
    size_t cap = 4096 + analytics_nmetrics * 128;
    char *sql = (char *) malloc (cap);
    size_t len = (size_t) snprintf (sql, cap, "INSERT INTO analytics_rollup AS r (" S_KEY);
    for (size_t i = 0; i < analytics_nmetrics; i++)
        len += (size_t) snprintf (sql + len, cap - len, ", %s", analytics_metrics [i].name);
    len += (size_t) snprintf (sql + len, cap - len, ") SELECT " S_KEY);
    for (size_t i = 0; i < analytics_nmetrics; i++)
        len += (size_t) snprintf (sql + len, cap - len, ", $2::bigint * sum (%s)",
                                  analytics_metrics [i].name);
    len += (size_t) snprintf (sql + len, cap - len,
        " FROM analytics_contribution WHERE complaint_no = ANY ($1::text[]) GROUP BY " S_KEY
        " ON CONFLICT (" S_KEY ") DO UPDATE SET ");
    for (size_t i = 0; i < analytics_nmetrics; i++)
        len += (size_t) snprintf (sql + len, cap - len, "%s%s = r.%s + EXCLUDED.%s",
                                  i ? ", " : "", analytics_metrics [i].name,
                                  analytics_metrics [i].name, analytics_metrics [i].name);
    assert (len < cap);
    self->rollup_sql = sql;

    //  The facts: every column but the key replaced.
    cap = 4096;
    sql = (char *) malloc (cap);
    len = (size_t) snprintf (sql, cap,
        "INSERT INTO analytics_fact SELECT * FROM jsonb_populate_recordset"
        " (NULL::analytics_fact, $1::jsonb) ON CONFLICT (complaint_no) DO UPDATE SET (");
    for (size_t i = 1; analytics_fact_columns [i]; i++)
        len += (size_t) snprintf (sql + len, cap - len, "%s%s", i > 1 ? ", " : "",
                                  analytics_fact_columns [i]);
    len += (size_t) snprintf (sql + len, cap - len, ") = ROW (");
    for (size_t i = 1; analytics_fact_columns [i]; i++)
        len += (size_t) snprintf (sql + len, cap - len, "%sEXCLUDED.%s", i > 1 ? ", " : "",
                                  analytics_fact_columns [i]);
    snprintf (sql + len, cap - len, ")");
    assert (len < cap - 2);
    self->fact_sql = sql;
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

void
analytics_store_destroy (analytics_store_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        analytics_store_t *self = *self_p;
        pg_session_destroy (&self->pg);
        free (self->rollup_sql);
        free (self->fact_sql);
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
            "TRUNCATE analytics_fact, analytics_rollup, analytics_rollup_time", 0, NULL)
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
analytics_store_batch_write (analytics_store_t *self, const char *nos_array,
                             const char *facts_json, int64_t last_seq)
{
    const char *minus [2] = { nos_array, "-1" };
    const char *plus [2] = { nos_array, "1" };
    const char *facts [1] = { facts_json };
    char seq [24];
    snprintf (seq, sizeof seq, "%" PRId64, last_seq);
    const char *cursor [1] = { seq };
    if (pg_session_command (self->pg, "rollup_out", self->rollup_sql, 2, minus)
    ||  pg_session_command (self->pg, "rollup_time_out", s_time_sql, 2, minus)
    ||  pg_session_command (self->pg, "fact_upsert", self->fact_sql, 1, facts)
    ||  pg_session_command (self->pg, "rollup_in", self->rollup_sql, 2, plus)
    ||  pg_session_command (self->pg, "rollup_time_in", s_time_sql, 2, plus)
    ||  pg_session_command (self->pg, "rollup_empty",
                            "DELETE FROM analytics_rollup WHERE received = 0", 0, NULL)
    ||  pg_session_command (self->pg, "rollup_time_empty",
                            "DELETE FROM analytics_rollup_time WHERE cases = 0", 0, NULL)
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
    return rc;
}
