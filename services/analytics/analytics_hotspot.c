/*  analytics_hotspot.c — hot spots judged from analytics' own tables (see
 *  analytics_hotspot.h for the transaction).
 *
 *  The candidate query of a rule is written from its `by`: only column
 *  names of our own tables (branch, cause, business_line, customer) enter
 *  the text; everything else is a parameter. Each candidate row carries
 *  all a judge needs — the count at app_now (), first and last, the samples
 *  latest first, the stored state — so a pass is one statement per rule
 *  plus one write per key whose state changed.
 *
 *  Why app_now () and not the clock of this process: the store's clock is
 *  the one every service and test agrees on (migration 003), and a test
 *  moves it to age complaints out of a window.
 *
 *  Why the surge's day comes from SQL: today's bounds are local midnights
 *  in the bank's zone (calendar_timezone), which PostgreSQL knows across
 *  DST changes; received_day is already in that zone (migration 012).
 */
#include "analytics_hotspot.h"
#include "analytics_request.h"
#include "log.h"
#include "outbox.h"
#include "pg_array.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MS(x) "(extract (epoch FROM " x ") * 1000)::bigint"
#define S_MAX_SAMPLES 64
#define S_MAX_DAYS 400

typedef struct {
    const char *k1, *k2;            /* the key's columns; k2 NULL: one column */
} s_cols_t;

static s_cols_t
s_cols (hotspot_by_t by)
{
    switch (by) {
        case HOTSPOT_BY_BRANCH_CAUSE: return (s_cols_t) { "branch", "cause" };
        case HOTSPOT_BY_BRANCH_LINE:  return (s_cols_t) { "branch", "business_line" };
        case HOTSPOT_BY_CUSTOMER:     return (s_cols_t) { "customer", NULL };
        case HOTSPOT_BY_CAUSE:        return (s_cols_t) { "cause", NULL };
        case HOTSPOT_BY_LINE:         return (s_cols_t) { "business_line", NULL };
        default: abort ();
    }
}

//  "f.cause" or "''": a key column of table alias t. The hot spot's
//  `branch` is the fact's `outlet`: the directory's branch or outlet the
//  router matched (complaint.assigned's `outlet`, migration 016), whether
//  it leads the case or cooperates — a department id the notifier finds
//  the branch's head from. A fact with no outlet ('') is in no branch's
//  hot spot: the free text the customer wrote names no one to tell.
static const char *
s_col (char *out, size_t size, const char *alias, const char *col)
{
    if (col && alias [0] != 'h' && strcmp (col, "branch") == 0)
        snprintf (out, size, "%s.outlet", alias);
    else
    if (col)
        snprintf (out, size, "%s.%s", alias, col);
    else
        snprintf (out, size, "''");
    return out;
}

//  "h.branch = c.k1 AND h.cause = c.k2 AND h.business_line = '' AND
//  h.customer = ''": a candidate's row of analytics_hotspot by the whole
//  primary key (rule, branch, cause, business_line, customer). Naming only
//  the rule's own columns left the primary key's middle columns open: a
//  customer's row was then found by reading every row of the rule (the
//  repeat-customer judge, 75 ms a batch at a million complaints).
static const char *
s_hotspot_key (char *out, size_t size, const s_cols_t *c)
{
    static const char *const columns [4] = { "branch", "cause", "business_line", "customer" };
    size_t len = 0;
    for (int i = 0; i < 4; i++) {
        const char *value = c->k1 && streq (c->k1, columns [i]) ? "c.k1"
                          : c->k2 && streq (c->k2, columns [i]) ? "c.k2" : "''";
        len += (size_t) snprintf (out + len, size - len, "%sh.%s = %s", i ? " AND " : "",
                                  columns [i], value);
    }
    assert (len < size);
    return out;
}

//  The candidates of a window rule. $1 nos text[] or NULL, $2 window ms,
//  $3 count, $4 rule, $5 samples, $6 full: the sweep looks for keys at or
//  above the count too.
//
//  Why a sweep need not always look: a key's count in a sliding window
//  rises only with a new complaint of the key, which its batch judges; with
//  no complaint it can only fall, and only an open key has anything to
//  clear. So the periodic sweep judges the open keys, and looks for hot
//  ones (a GROUP BY over the whole window: every complaint of 90 days for
//  the repeat-customer rule) only when the batches cannot have seen them:
//  at start, after a rebuild, after the rules changed, and now and then
//  (main.c).
static void
s_window_sql (const s_cols_t *c, char *sql, size_t size)
{
    char f1 [32], f2 [32], h1 [32], h2 [32], g1 [32], g2 [32];
    s_col (f1, sizeof f1, "f", c->k1);
    s_col (f2, sizeof f2, "f", c->k2);
    s_col (h1, sizeof h1, "h", c->k1);
    s_col (h2, sizeof h2, "h", c->k2);
    s_col (g1, sizeof g1, "g", c->k1);
    s_col (g2, sizeof g2, "g", c->k2);
    char nonempty [96], g_nonempty [96], hkey [160];
    s_hotspot_key (hkey, sizeof hkey, c);
    snprintf (nonempty, sizeof nonempty, "%s <> ''%s%s%s", f1, c->k2 ? " AND " : "",
              c->k2 ? f2 : "", c->k2 ? " <> ''" : "");
    snprintf (g_nonempty, sizeof g_nonempty, "%s <> ''%s%s%s", g1, c->k2 ? " AND " : "",
              c->k2 ? g2 : "", c->k2 ? " <> ''" : "");
    int len = snprintf (sql, size,
        "WITH n AS (SELECT app_now () AS t),"
        " cand AS ("
        "  SELECT %s AS k1, %s AS k2 FROM analytics_fact f"
        "   WHERE $1::text[] IS NOT NULL AND f.complaint_no = ANY ($1::text[])"
        "     AND f.received_at IS NOT NULL AND %s"
        "  UNION"
        "  SELECT %s, %s FROM analytics_fact f, n"
        "   WHERE $1::text[] IS NULL AND $6::boolean AND %s"
        "     AND f.received_at > n.t - $2::bigint * interval '1 millisecond'"
        "     AND f.received_at <= n.t"
        "   GROUP BY 1, 2 HAVING count (*) >= $3::bigint"
        "  UNION"
        //  The open hot spots are judged again by the sweep ($1 NULL), not
        //  with every batch: a batch changes only its own keys' counts,
        //  and judging every open key per batch cost what is open.
        "  SELECT %s, %s FROM analytics_hotspot h"
        "   WHERE $1::text[] IS NULL AND h.rule = $4 AND h.open)"
        " SELECT c.k1, c.k2, " S_MS ("n.t") ", count (g.complaint_no),"
        "        " S_MS ("min (g.received_at)") ", " S_MS ("max (g.received_at)") ","
        "        array_to_string ((array_agg (g.complaint_no ORDER BY g.received_at DESC,"
        "           g.complaint_no DESC) FILTER (WHERE g.complaint_no IS NOT NULL))"
        "           [1:$5::int], ','),"
        "        coalesce (bool_or (h.open), false), " S_MS ("max (h.opened_at)") ","
        "        " S_MS ("max (h.hot_until)") ", ''"
        "   FROM cand c CROSS JOIN n"
        "   LEFT JOIN analytics_hotspot h ON h.rule = $4 AND %s"
        //  LATERAL: each candidate's window is an index range of its own
        //  (migration 013/016's (key, received_at) indexes). A plain join
        //  was planned as a sort of every fact against the candidates: the
        //  window's bounds come from n, unknown when planning (1 s a judge
        //  at 100,000 facts, per batch: bench-analytics).
        "   LEFT JOIN LATERAL (SELECT g.complaint_no, g.received_at FROM analytics_fact g"
        "        WHERE %s = c.k1 AND %s = c.k2 AND %s"
        "        AND g.received_at > n.t - $2::bigint * interval '1 millisecond'"
        "        AND g.received_at <= n.t) g ON true"
        "  GROUP BY c.k1, c.k2, n.t ORDER BY c.k1, c.k2",
        f1, f2, nonempty, f1, f2, nonempty, h1, h2, hkey, g1, g2, g_nonempty);
    assert (len > 0 && (size_t) len < size);
    (void) len;
}

//  The candidates of a surge rule. $1 nos text[] or NULL, $2 zone, $3 min,
//  $4 rule, $5 samples, $6 baseline days. Columns as the window's, then
//  day_start, day_end and the days before today (latest first, with data).
//
//  What it reads costs the keys, not the day's volume (bench-analytics: a
//  cause held 2,300 of today's complaints after the live phase, and
//  counting and sorting them was ~180 ms of a ~300 ms batch): today's
//  count, and the sweep's candidates, are the day rollup's `received`
//  (migration 014, grain 1: a row a key), the first of the day one probe
//  and the newest samples an index range of $5 rows, both by the (key,
//  received_at) index (migration 019).
static void
s_day_sql (const s_cols_t *c, char *sql, size_t size)
{
    char f1 [32], h1 [32], g1 [32], hkey [160];
    s_col (f1, sizeof f1, "f", c->k1);
    s_col (h1, sizeof h1, "h", c->k1);
    s_col (g1, sizeof g1, "g", c->k1);
    s_hotspot_key (hkey, sizeof hkey, c);
    //  The day rollup's dimension of the key (analytics_day_dims: 0 is
    //  everything, then analytics_dims in order).
    int dim = analytics_dim_index (c->k1, strlen (c->k1)) + 1;
    assert (dim > 0);
    int len = snprintf (sql, size,
        "WITH n AS (SELECT app_now () AS t,"
        "    date_trunc ('day', app_now () AT TIME ZONE $2) AT TIME ZONE $2 AS d0,"
        "    (date_trunc ('day', app_now () AT TIME ZONE $2) + interval '1 day')"
        "        AT TIME ZONE $2 AS d1,"
        "    (app_now () AT TIME ZONE $2)::date AS today,"
        "    (SELECT min (received_day) FROM analytics_fact) AS first_day),"
        " cand AS ("
        "  SELECT %s AS k1 FROM analytics_fact f"
        "   WHERE $1::text[] IS NOT NULL AND f.complaint_no = ANY ($1::text[])"
        "     AND f.received_at IS NOT NULL AND %s <> ''"
        "  UNION"
        "  SELECT x.key FROM analytics_rollup_dim x, n"
        "   WHERE $1::text[] IS NULL AND x.grain = 1 AND x.dim = %d AND x.day = n.today"
        "     AND x.hour = 0 AND x.key <> '' AND x.received >= $3::bigint"
        "  UNION"
        "  SELECT %s FROM analytics_hotspot h"
        "   WHERE $1::text[] IS NULL AND h.rule = $4 AND h.open)"
        " SELECT c.k1, '', " S_MS ("n.t") ", coalesce (t.received, 0),"
        "        " S_MS ("fst.at") ", " S_MS ("lst.at") ", coalesce (lst.samples, ''),"
        "        coalesce (h.open, false), " S_MS ("h.opened_at") ", " S_MS ("h.hot_until") ","
        //  The baseline's daily counts: the day rollup's `received` of this
        //  key, ~28 rows a candidate.
        "        (SELECT coalesce (string_agg (coalesce (x.received, 0)::text, ',' ORDER BY i), '')"
        "           FROM generate_series (1, least ($6::int, n.today - n.first_day)) i"
        "           LEFT JOIN analytics_rollup_dim x ON x.grain = 1 AND x.dim = %d"
        "                AND x.key = c.k1 AND x.day = n.today - i AND x.hour = 0),"
        "        " S_MS ("n.d0") ", " S_MS ("n.d1")
        "   FROM cand c CROSS JOIN n"
        "   LEFT JOIN LATERAL (SELECT bool_or (h.open) AS open, max (h.opened_at) AS opened_at,"
        "        max (h.hot_until) AS hot_until FROM analytics_hotspot h"
        "        WHERE h.rule = $4 AND %s) h ON true"
        "   LEFT JOIN analytics_rollup_dim t ON t.grain = 1 AND t.dim = %d AND t.day = n.today"
        "        AND t.hour = 0 AND t.key = c.k1"
        "   LEFT JOIN LATERAL (SELECT min (g.received_at) AS at FROM analytics_fact g"
        "        WHERE %s = c.k1 AND g.received_at >= n.d0 AND g.received_at <= n.t) fst ON true"
        "   LEFT JOIN LATERAL (SELECT max (s.received_at) AS at,"
        "        string_agg (s.complaint_no, ',' ORDER BY s.received_at DESC,"
        "            s.complaint_no DESC) AS samples"
        "        FROM (SELECT g.complaint_no, g.received_at FROM analytics_fact g"
        "              WHERE %s = c.k1 AND g.received_at >= n.d0 AND g.received_at <= n.t"
        "              ORDER BY g.received_at DESC, g.complaint_no DESC LIMIT $5::int) s) lst"
        "        ON true"
        "  ORDER BY c.k1",
        f1, f1, dim, h1, dim, hkey, dim, g1, g1);
    assert (len > 0 && (size_t) len < size);
    (void) len;
}

//  "a,b,c" -> pointers into buf (split in place).
static size_t
s_split (char *buf, const char **out, size_t max)
{
    size_t n = 0;
    for (char *p = buf; *p && n < max; ) {
        out [n++] = p;
        char *comma = strchr (p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static int64_t
s_ms (PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) ? 0 : atoll (PQgetvalue (res, row, col));
}

static void
s_key (const hotspot_rule_t *rule, const char *k1, const char *k2, hotspot_key_t *key)
{
    *key = (hotspot_key_t) { "", "", "", "" };
    switch (rule->by) {
        case HOTSPOT_BY_BRANCH_CAUSE: key->branch = k1; key->cause = k2; break;
        case HOTSPOT_BY_BRANCH_LINE: key->branch = k1; key->business_line = k2; break;
        case HOTSPOT_BY_CUSTOMER: key->customer = k1; break;
        case HOTSPOT_BY_CAUSE: key->cause = k1; break;
        case HOTSPOT_BY_LINE: key->business_line = k1; break;
        default: abort ();
    }
}

static void
s_fmt (char *out, size_t size, int64_t v)
{
    snprintf (out, size, "%" PRId64, v);
}

//  The state a decision leaves, written. Opened / still open: the whole
//  row (count, window, samples as now); cleared: open false, cleared_at,
//  the rest as it was when last hot.
static int
s_store (pg_session_t *pg, const hotspot_rule_t *rule, const hotspot_key_t *key,
         const hotspot_decision_t *d, int64_t now, int64_t count, int64_t first_at,
         int64_t last_at, const char *samples_csv)
{
    char opened [24], until [24], cnt [24], first [24], last [24], at [24];
    s_fmt (opened, sizeof opened, d->state.opened_at);
    s_fmt (until, sizeof until, d->state.hot_until);
    s_fmt (cnt, sizeof cnt, count);
    s_fmt (first, sizeof first, first_at);
    s_fmt (last, sizeof last, last_at);
    s_fmt (at, sizeof at, now);
    if (d->verdict == HOTSPOT_CLEARED) {
        const char *v [8] = { rule->name, key->branch, key->cause, key->business_line,
                              key->customer, at, until, NULL };
        return pg_session_command (pg, "hotspot_clear",
            "UPDATE analytics_hotspot SET open = false,"
            " cleared_at = to_timestamp ($6::bigint / 1000.0),"
            " hot_until = to_timestamp (nullif ($7::bigint, 0) / 1000.0),"
            " judged_at = to_timestamp ($6::bigint / 1000.0)"
            " WHERE rule = $1 AND branch = $2 AND cause = $3 AND business_line = $4"
            "   AND customer = $5", 7, v);
    }
    const char *v [15] = { rule->name, hotspot_kind_name (rule->kind), key->branch, key->cause,
                           key->business_line, key->customer, opened, until, cnt,
                           rule->kind == HOTSPOT_SURGE ? "1d" : rule->window, first, last,
                           samples_csv, at, NULL };
    return pg_session_command (pg, "hotspot_upsert",
        "INSERT INTO analytics_hotspot AS h (rule, kind, branch, cause, business_line, customer,"
        "  open, opened_at, hot_until, cleared_at, count, span, first_at, last_at, samples,"
        "  judged_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, true, to_timestamp ($7::bigint / 1000.0),"
        "  to_timestamp (nullif ($8::bigint, 0) / 1000.0), NULL, $9::bigint, $10,"
        "  to_timestamp (nullif ($11::bigint, 0) / 1000.0),"
        "  to_timestamp (nullif ($12::bigint, 0) / 1000.0),"
        "  string_to_array (nullif ($13, ''), ','), to_timestamp ($14::bigint / 1000.0))"
        " ON CONFLICT (rule, branch, cause, business_line, customer) DO UPDATE SET"
        "  kind = EXCLUDED.kind, open = true, opened_at = EXCLUDED.opened_at,"
        "  hot_until = EXCLUDED.hot_until, cleared_at = NULL, count = EXCLUDED.count,"
        "  span = EXCLUDED.span, first_at = EXCLUDED.first_at, last_at = EXCLUDED.last_at,"
        "  samples = coalesce (EXCLUDED.samples, '{}'), judged_at = EXCLUDED.judged_at", 14, v);
}

//  The event packed in buf, appended to the outbox (about no case) and
//  logged: 0, -1.
static int
s_tell (pg_session_t *pg, const char *type, const msgpack_sbuffer *buf, const char *rule,
        const char *verdict, int64_t count, int *told)
{
    if (outbox_append (pg, type, NULL, buf->data, buf->size))
        return -1;
    (*told)++;
    log_info ("hotspot", "type=%s rule=%s verdict=%s count=%" PRId64, type, rule, verdict,
              count);
    return 0;
}

//  Judge every candidate of one rule: 0, -1.
static int
s_rule (pg_session_t *pg, const hotspot_rule_t *rule, const calendar_t *calendar,
        const char *nos_array, bool full, int *told)
{
    s_cols_t cols = s_cols (rule->by);
    char sql [6144];
    bool surge = rule->kind == HOTSPOT_SURGE;
    if (surge)
        s_day_sql (&cols, sql, sizeof sql);
    else
        s_window_sql (&cols, sql, sizeof sql);
    char p2 [24], p3 [24], p5 [24], p6 [24];
    s_fmt (p2, sizeof p2, rule->window_ms);
    s_fmt (p3, sizeof p3, surge ? rule->min : rule->count);
    s_fmt (p5, sizeof p5, rule->samples);
    s_fmt (p6, sizeof p6, rule->baseline_days);
    const char *values [6] = { nos_array, surge ? calendar_timezone (calendar) : p2, p3,
                               rule->name, p5, surge ? p6 : full ? "true" : "false" };
    PGresult *res = pg_session_exec (pg, surge ? "hotspot_days" : "hotspot_window", sql,
                                     6, values, NULL, NULL, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    int rc = 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    for (int r = 0; r < PQntuples (res) && rc == 0; r++) {
        hotspot_key_t key;
        s_key (rule, PQgetvalue (res, r, 0), PQgetvalue (res, r, 1), &key);
        hotspot_state_t before = { strcmp (PQgetvalue (res, r, 7), "t") == 0,
                                   s_ms (res, r, 8), s_ms (res, r, 9) };
        char *samples_csv = strdup (PQgetvalue (res, r, 6));
        char *samples_buf = strdup (samples_csv);
        const char *samples [S_MAX_SAMPLES];
        size_t nsamples = s_split (samples_buf, samples, S_MAX_SAMPLES);
        hotspot_decision_t d;
        const char *type = NULL;
        int64_t now = s_ms (res, r, 2), count = s_ms (res, r, 3);
        int64_t first_at = s_ms (res, r, 4), last_at = s_ms (res, r, 5);
        if (surge) {
            char *days_buf = strdup (PQgetvalue (res, r, 10));
            const char *day_text [S_MAX_DAYS];
            int64_t days [S_MAX_DAYS];
            size_t ndays = s_split (days_buf, day_text, S_MAX_DAYS);
            for (size_t i = 0; i < ndays; i++)
                days [i] = atoll (day_text [i]);
            hotspot_day_t in = { now, s_ms (res, r, 11), s_ms (res, r, 12), count, first_at,
                                 last_at, days, ndays, samples, nsamples };
            hotspot_day_judge (rule, &before, &in, &d);
            type = hotspot_day_event (&buf, rule, &key, &in, &d);
            free (days_buf);
        }
        else {
            hotspot_window_t in = { now, count, first_at, last_at, samples, nsamples };
            hotspot_window_judge (rule, &before, &in, &d);
            type = hotspot_window_event (&buf, rule, &key, &in, &d);
        }
        if (d.verdict == HOTSPOT_OPENED || d.verdict == HOTSPOT_STILL_OPEN
        ||  d.verdict == HOTSPOT_CLEARED)
            rc = s_store (pg, rule, &key, &d, now, count, first_at, last_at, samples_csv);
        if (rc == 0 && type)
            rc = s_tell (pg, type, &buf, rule->name, hotspot_verdict_name (d.verdict), count,
                         told);
        free (samples_buf);
        free (samples_csv);
    }
    msgpack_sbuffer_destroy (&buf);
    PQclear (res);
    return rc;
}

//  The key columns a rule groups by, as the row's shape is written below
//  ("branch,cause"): s_cols' columns in the table's order.
static void
s_shape (const hotspot_rule_t *rule, char *out, size_t size)
{
    s_cols_t c = s_cols (rule->by);
    snprintf (out, size, "%s%s%s", c.k1, c.k2 ? "," : "", c.k2 ? c.k2 : "");
}

//  The open hot spots no rule of the file judges any more, cleared and told
//  in the pass's transaction: a rule removed (reason `rule_removed`), or a
//  rule of that name now of another kind or grouping by other keys
//  (`rule_changed`: its candidates would never find the old rows, whose
//  clearing would then be told at every sweep and never stored). Without
//  this they would stay open forever and whoever was told of them would
//  never hear the end. The UPDATE's RETURNING is what the events are
//  packed from, so a row and its event go together; a rule that comes back
//  later starts from a closed row, like any key after a clearing. 0, -1.
static int
s_removed (pg_session_t *pg, const hotspot_rules_t *rules, int *told)
{
    pg_array_t names = { 0 }, kinds = { 0 }, shapes = { 0 };
    pg_array_begin (&names);
    pg_array_begin (&kinds);
    pg_array_begin (&shapes);
    for (size_t i = 0; i < hotspot_rules_count (rules); i++) {
        const hotspot_rule_t *rule = hotspot_rules_get (rules, i);
        char shape [64];
        s_shape (rule, shape, sizeof shape);
        pg_array_add (&names, rule->name);
        pg_array_add (&kinds, hotspot_kind_name (rule->kind));
        pg_array_add (&shapes, shape);
    }
    const char *values [3] = { pg_array_end (&names), pg_array_end (&kinds),
                               pg_array_end (&shapes) };
    PGresult *res = pg_session_exec (pg, "hotspot_removed",
        "UPDATE analytics_hotspot h SET open = false, cleared_at = app_now (),"
        "  judged_at = app_now ()"
        " WHERE h.open AND NOT EXISTS (SELECT 1 FROM unnest ($1::text[], $2::text[],"
        "   $3::text[]) AS r (name, kind, shape)"
        "   WHERE r.name = h.rule AND r.kind = h.kind AND r.shape = concat_ws (',',"
        "     CASE WHEN h.branch <> '' THEN 'branch' END,"
        "     CASE WHEN h.cause <> '' THEN 'cause' END,"
        "     CASE WHEN h.business_line <> '' THEN 'business_line' END,"
        "     CASE WHEN h.customer <> '' THEN 'customer' END))"
        " RETURNING kind, rule, branch, cause, business_line, customer, count, span,"
        "  " S_MS ("opened_at") ", " S_MS ("cleared_at") ","
        "  CASE WHEN rule = ANY ($1::text[]) THEN 'rule_changed' ELSE 'rule_removed' END",
        3, values, NULL, NULL, PGRES_TUPLES_OK);
    pg_array_destroy (&names);
    pg_array_destroy (&kinds);
    pg_array_destroy (&shapes);
    int rc = res ? 0 : -1;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    for (int r = 0; rc == 0 && r < PQntuples (res); r++) {
        //  kind, rule, then the key, count, span, opened_at, cleared_at, reason
        hotspot_key_t key = { PQgetvalue (res, r, 2), PQgetvalue (res, r, 3),
                              PQgetvalue (res, r, 4), PQgetvalue (res, r, 5) };
        const char *rule = PQgetvalue (res, r, 1), *reason = PQgetvalue (res, r, 10);
        int64_t count = s_ms (res, r, 6);
        const char *type = hotspot_removed_event (&buf, PQgetvalue (res, r, 0), rule, &key,
                                                  count, PQgetvalue (res, r, 7),
                                                  s_ms (res, r, 8), s_ms (res, r, 9), reason);
        rc = s_tell (pg, type, &buf, rule, reason, count, told);
    }
    msgpack_sbuffer_destroy (&buf);
    PQclear (res);
    return rc;
}

int
analytics_hotspot_pass (analytics_store_t *store, const hotspot_rules_t *rules,
                        const calendar_t *calendar, const char *nos_array, bool full,
                        int *told)
{
    assert (store && rules && calendar && told);
    *told = 0;
    pg_session_t *pg = analytics_store_session (store);
    //  The sweep (at start, after a rebuild, every --hotspot-sweep-ms, so
    //  soon after a SIGHUP) also ends the hot spots of removed rules.
    int rc = nos_array ? 0 : s_removed (pg, rules, told);
    for (size_t i = 0; rc == 0 && i < hotspot_rules_count (rules); i++)
        rc = s_rule (pg, hotspot_rules_get (rules, i), calendar, nos_array, full, told);
    if (rc)
        *told = 0;
    return rc;
}

int
analytics_hotspot_judge (analytics_store_t *store, const hotspot_rules_t *rules,
                         const calendar_t *calendar, const char *nos_array, bool full,
                         int *told)
{
    assert (store && rules && calendar && told);
    *told = 0;
    pg_session_t *pg = analytics_store_session (store);
    if (pg_session_begin (pg))
        return -1;
    if (analytics_hotspot_pass (store, rules, calendar, nos_array, full, told)) {
        pg_session_rollback (pg);
        return -1;
    }
    if (pg_session_commit (pg)) {
        pg_session_rollback (pg);
        *told = 0;
        return -1;
    }
    return 0;
}
