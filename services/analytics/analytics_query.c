/*  analytics_query.c — kpi and series over the rollups (see
 *  analytics_query.h).
 *
 *  Every figure is a sum over rollup cells; rates and quantiles are made
 *  from those sums here, never in SQL, so a rate of a group and of the
 *  whole come from the same counts (a rate of sums, not a mean of rates).
 *  The `by` dimension is one of a fixed list (analytics_dims), read by its
 *  number from the one-dimension rollups; it and the range are parameters.
 */
#include "analytics_query.h"
#include "analytics_export.h"
#include "analytics_request.h"
#include "log.h"
#include "selftest_tally.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NTIME      4                  /* ack, answer, resolve, close */
#define S_MAX_CELLS  10000              /* series: buckets x groups */
#define S_NRANGE     9                  /* a range's parameters (s_range_source) */

typedef struct {
    char day [12];
    int hour;
} s_slot_t;

typedef struct {
    char key [AF_DIM_SIZE];
    int64_t sums [64];
    int64_t hist [S_NTIME][ANALYTICS_MAX_BOUNDS + 1];
} s_group_t;

static void
s_slot (const calendar_t *calendar, int64_t ms, s_slot_t *slot)
{
    char text [CALENDAR_TIME_SIZE];
    calendar_format_local (calendar, ms, false, text, sizeof text);
    snprintf (slot->day, sizeof slot->day, "%.10s", text);
    slot->hour = atoi (text + 11);
}

static int32_t
s_days (const char *day)
{
    int y = 0, m = 0, d = 0;
    sscanf (day, "%d-%d-%d", &y, &m, &d);
    return calendar_date_days (y, m, d);
}

/*  The first day of the month of a day (days since 1970-01-01). */
static int32_t
s_month_start (int32_t days)
{
    int y, m, d;
    calendar_days_date (days, &y, &m, &d);
    return calendar_date_days (y, m, 1);
}

/*  The cuts of s_range_source for a range from (day0, hour0) to (day1,
 *  hour1), both hours in: whole days [d0, d1) and, inside them, whole
 *  months [m0, m1) come from the day and month grains. An hour series reads
 *  hours only (d0 = d1 = the first day: the second hour part then covers
 *  the range), a day series days only (m0 = m1 = d1). */
typedef struct {
    int32_t d0, d1, m0, m1;
} s_cuts_t;

static void
s_cut (int32_t day0, int hour0, int32_t day1, int hour1, bool series, bool hourly,
       s_cuts_t *cut)
{
    cut->d0 = day0 + (hour0 > 0);
    cut->d1 = day1 + (hour1 == 23);
    if (cut->d1 < cut->d0 || hourly)
        cut->d1 = cut->d0 = hourly ? day0 : cut->d0;
    cut->m0 = s_month_start (cut->d0);
    if (cut->m0 < cut->d0)
        cut->m0 = s_month_start (cut->m0 + 31);     /* the next month's first day */
    cut->m1 = s_month_start (cut->d1);
    if (cut->m1 <= cut->m0 || series)
        cut->m0 = cut->m1 = cut->d1;
}

/*  The rows a range reads, whatever the query makes of them. The range is
 *  cut into hours, days and months, each read from the coarsest grain of
 *  analytics_rollup_dim (one dimension, migrations 014 and 018) that holds
 *  it whole:
 *
 *      $1 $2   the first hour (day, hour)      $3 $4  the last day, its hour + 1
 *      $5 $6   the whole days [D0, D1)         $8 $9  the whole months [M0, M1)
 *      $7      the dimension (analytics_day_dims: 0 everything)
 *
 *  hours of the first day before D0 and of the days from D1 on come from
 *  grain 0, days [D0, M0) and [M1, D1) from grain 1, months [M0, M1) from
 *  grain 2 (analytics_query_answer sets the cuts; every hour of the range
 *  is in exactly one part). `hours` is the select list of the hour parts,
 *  `periods` of the day and month parts (they differ in a series' hour
 *  column); `suffix` is "_time" for the histograms. A part's rows are a
 *  period's values of one dimension, so a year costs its months, edge days
 *  and edge hours times the values (~100 rows each), whatever the volume.
 */
static size_t
s_range_source (char *sql, size_t size, const char *hours, const char *periods,
                const char *suffix)
{
    //  Plain conditions on day, not (day, hour) row comparisons: a btree
    //  scan starts from one bound per column, and a row bound would win
    //  over `day >= $6`, reading the whole range's hours to keep the edge.
    return (size_t) snprintf (sql, size,
        "(SELECT %s FROM analytics_rollup_dim%s WHERE grain = 0 AND dim = $7::smallint"
        "   AND day = $1::date AND day < $5::date"
        "   AND hour >= $2::smallint AND (day < $3::date OR hour < $4::smallint)"
        " UNION ALL"
        " SELECT %s FROM analytics_rollup_dim%s WHERE grain = 0 AND dim = $7::smallint"
        "   AND day >= $6::date AND day <= $3::date"
        "   AND (day > $1::date OR hour >= $2::smallint)"
        "   AND (day < $3::date OR hour < $4::smallint)"
        " UNION ALL"
        " SELECT %s FROM analytics_rollup_dim%s WHERE grain = 1 AND dim = $7::smallint"
        "   AND day >= $5::date AND day < $8::date"
        " UNION ALL"
        " SELECT %s FROM analytics_rollup_dim%s WHERE grain = 1 AND dim = $7::smallint"
        "   AND day >= $9::date AND day < $6::date"
        " UNION ALL"
        " SELECT %s FROM analytics_rollup_dim%s WHERE grain = 2 AND dim = $7::smallint"
        "   AND day >= $8::date AND day < $9::date) x",
        hours, suffix, hours, suffix, periods, suffix, periods, suffix, periods, suffix);
}

static void
s_pack_rate (msgpack_packer *pk, const int64_t *sums, const analytics_rate_t *rate)
{
    int64_t num = sums [analytics_metric_index (rate->numerator, strlen (rate->numerator))];
    int64_t den = sums [analytics_metric_index (rate->denominator, strlen (rate->denominator))];
    if (rate->plus)
        den += sums [analytics_metric_index (rate->plus, strlen (rate->plus))];
    if (rate->minus)
        den -= sums [analytics_metric_index (rate->minus, strlen (rate->minus))];
    if (den <= 0)
        msgpack_pack_nil (pk);
    else
        msgpack_pack_double (pk, (double) num / (double) den);
}

static void
s_pack_ms (msgpack_packer *pk, int64_t ms)
{
    if (ms < 0 || ms == INT64_MAX)
        msgpack_pack_nil (pk);          /* no cases, or above the last bound */
    else
        msgpack_pack_int64 (pk, ms);
}

static void
s_pack_kpi (msgpack_packer *pk, const s_group_t *g, const int64_t *bounds, size_t nbounds)
{
    msgpack_pack_map (pk, (uint32_t) (analytics_nmetrics + analytics_nrates + 1));
    for (size_t i = 0; i < analytics_nmetrics; i++)
        proto_pack_kv_int (pk, analytics_metrics [i].name, g->sums [i]);
    for (size_t i = 0; i < analytics_nrates; i++) {
        proto_pack_cstr (pk, analytics_rates [i].name);
        s_pack_rate (pk, g->sums, &analytics_rates [i]);
    }
    proto_pack_cstr (pk, "time_to");
    msgpack_pack_map (pk, S_NTIME);
    for (int m = 0; m < S_NTIME; m++) {
        int64_t cases = 0;
        for (size_t b = 0; b <= nbounds; b++)
            cases += g->hist [m][b];
        proto_pack_cstr (pk, analytics_time_metrics [m]);
        msgpack_pack_map (pk, 3);
        proto_pack_kv_int (pk, "cases", cases);
        proto_pack_cstr (pk, "p50_ms");
        s_pack_ms (pk, analytics_hist_quantile (g->hist [m], bounds, nbounds, 0.5));
        proto_pack_cstr (pk, "p90_ms");
        s_pack_ms (pk, analytics_hist_quantile (g->hist [m], bounds, nbounds, 0.9));
    }
}

/*  The start of the read: a snapshot with the cursor in it. */
static int
s_begin (analytics_store_t *store, int64_t *as_of)
{
    return analytics_store_snapshot (store, as_of);
}

void
analytics_query_head (msgpack_packer *pk, int entries, int64_t as_of,
                      const calendar_t *calendar, const analytics_request_t *req)
{
    msgpack_pack_map (pk, (uint32_t) entries);
    proto_pack_kv_bool (pk, "ok", true);
    proto_pack_kv_int (pk, "as_of_seq", as_of);
    proto_pack_kv_int (pk, "from", req->from);
    proto_pack_kv_int (pk, "to", req->to);
    proto_pack_kv_cstr (pk, "zone", calendar_timezone (calendar));
}

static void
s_head (msgpack_packer *pk, int entries, int64_t as_of, const calendar_t *calendar,
        const analytics_request_t *req)
{
    analytics_query_head (pk, entries, as_of, calendar, req);
}

static s_group_t *
s_group (zlistx_t *groups, const char *key)
{
    s_group_t *last = (s_group_t *) zlistx_last (groups);
    if (last && strcmp (last->key, key) == 0)
        return last;
    s_group_t *g = (s_group_t *) zmalloc (sizeof *g);
    snprintf (g->key, sizeof g->key, "%s", key);
    zlistx_add_end (groups, g);
    return g;
}

static int
s_kpi (analytics_store_t *store, const calendar_t *calendar, const analytics_targets_t *targets,
       const analytics_request_t *req, const char *const range [S_NRANGE], msgpack_sbuffer *reply,
       proto_error_t *err)
{
    pg_session_t *pg = analytics_store_session (store);
    size_t nbounds;
    const int64_t *bounds = analytics_store_time_bounds (store, &nbounds);
    char cols [4096];
    size_t clen = (size_t) snprintf (cols, sizeof cols, "key");
    for (size_t i = 0; i < analytics_nmetrics; i++)
        clen += (size_t) snprintf (cols + clen, sizeof cols - clen, ", %s",
                                   analytics_metrics [i].name);
    char sql [16384];
    size_t len = (size_t) snprintf (sql, sizeof sql, "SELECT key");
    for (size_t i = 0; i < analytics_nmetrics; i++)
        len += (size_t) snprintf (sql + len, sizeof sql - len, ", sum (%s)",
                                  analytics_metrics [i].name);
    len += (size_t) snprintf (sql + len, sizeof sql - len, " FROM ");
    len += s_range_source (sql + len, sizeof sql - len, cols, cols, "");
    snprintf (sql + len, sizeof sql - len, " GROUP BY 1 ORDER BY 1 LIMIT %d",
              ANALYTICS_MAX_GROUPS + 1);
    char tsql [2048];
    len = (size_t) snprintf (tsql, sizeof tsql, "SELECT key, metric, bucket, sum (cases) FROM ");
    len += s_range_source (tsql + len, sizeof tsql - len, "key, metric, bucket, cases",
                           "key, metric, bucket, cases", "_time");
    snprintf (tsql + len, sizeof tsql - len, " GROUP BY 1, 2, 3 ORDER BY 1");
    int64_t as_of = 0;
    PGresult *res = NULL, *tres = NULL;
    if (s_begin (store, &as_of)
    ||  !(res = pg_session_exec (pg, "kpi", sql, S_NRANGE, range, NULL, NULL, PGRES_TUPLES_OK))
    ||  !(tres = pg_session_exec (pg, "kpi_time", tsql, S_NRANGE, range, NULL, NULL,
                                  PGRES_TUPLES_OK))) {
        PQclear (res);
        pg_session_rollback (pg);
        proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the store could not be read; retry");
        return -1;
    }
    pg_session_rollback (pg);           /* read only: nothing to keep */
    if (PQntuples (res) > ANALYTICS_MAX_GROUPS) {
        PQclear (res);
        PQclear (tres);
        proto_error_set (err, PROTO_E_TOO_LARGE, "by", "more than %d groups by %s: narrow "
                         "from..to or group by another dimension", ANALYTICS_MAX_GROUPS,
                         analytics_dims [req->by]);
        return -1;
    }
    zlistx_t *groups = zlistx_new ();
    zlistx_set_destructor (groups, (zlistx_destructor_fn *) zstr_free);
    s_group_t total;
    memset (&total, 0, sizeof total);
    for (int r = 0; r < PQntuples (res); r++) {
        s_group_t *grp = s_group (groups, PQgetvalue (res, r, 0));
        for (size_t i = 0; i < analytics_nmetrics; i++) {
            int64_t v = atoll (PQgetvalue (res, r, (int) i + 1));
            grp->sums [i] += v;
            total.sums [i] += v;
        }
    }
    for (int r = 0; r < PQntuples (tres); r++) {
        const char *metric = PQgetvalue (tres, r, 1);
        int m = 0;
        while (m < S_NTIME && strcmp (analytics_time_metrics [m], metric) != 0)
            m++;
        long b = atol (PQgetvalue (tres, r, 2));
        if (m == S_NTIME || b < 0 || (size_t) b > nbounds)
            continue;
        int64_t cases = atoll (PQgetvalue (tres, r, 3));
        total.hist [m][b] += cases;
        for (s_group_t *grp = (s_group_t *) zlistx_first (groups); grp;
             grp = (s_group_t *) zlistx_next (groups))
            if (strcmp (grp->key, PQgetvalue (tres, r, 0)) == 0)
                grp->hist [m][b] += cases;
    }
    PQclear (res);
    PQclear (tres);

    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    s_head (&pk, req->by >= 0 ? 9 : 7, as_of, calendar, req);
    proto_pack_cstr (&pk, "kpi");
    s_pack_kpi (&pk, &total, bounds, nbounds);
    size_t ntargets = 0;
    for (size_t i = 0; i < analytics_nrates; i++)
        ntargets += analytics_targets_get (targets, (int) i) >= 0;
    proto_pack_cstr (&pk, "targets");
    msgpack_pack_map (&pk, (uint32_t) ntargets);
    for (size_t i = 0; i < analytics_nrates; i++)
        if (analytics_targets_get (targets, (int) i) >= 0) {
            proto_pack_cstr (&pk, analytics_rates [i].name);
            msgpack_pack_double (&pk, analytics_targets_get (targets, (int) i));
        }
    if (req->by >= 0) {
        proto_pack_kv_cstr (&pk, "by", analytics_dims [req->by]);
        proto_pack_cstr (&pk, "groups");
        msgpack_pack_array (&pk, (uint32_t) zlistx_size (groups));
        for (s_group_t *grp = (s_group_t *) zlistx_first (groups); grp;
             grp = (s_group_t *) zlistx_next (groups)) {
            msgpack_pack_map (&pk, 2);
            proto_pack_kv_cstr (&pk, "key", grp->key);
            proto_pack_cstr (&pk, "kpi");
            s_pack_kpi (&pk, grp, bounds, nbounds);
        }
    }
    zlistx_destroy (&groups);
    return 0;
}

/*  The series' value of one bucket: a count, or a rate of counts. */
typedef struct {
    int64_t v [4];                  /* the metric, or the rate's num, den, plus, minus */
} s_point_t;

static int
s_series (analytics_store_t *store, const calendar_t *calendar, const analytics_request_t *req,
          const s_slot_t *first, const s_slot_t *last, const char *const range [S_NRANGE],
          msgpack_sbuffer *reply, proto_error_t *err)
{
    pg_session_t *pg = analytics_store_session (store);
    int32_t day0 = s_days (first->day), day1 = s_days (last->day);
    int64_t nbuckets = req->hourly ? (int64_t) (day1 - day0) * 24 + last->hour - first->hour + 1
                                   : day1 - day0 + 1;
    if (nbuckets > ANALYTICS_MAX_BUCKETS) {
        proto_error_set (err, PROTO_E_TOO_LARGE, req->hourly ? "bucket" : "to",
                         "%" PRId64 " %s buckets, over the cap of %d: narrow from..to%s",
                         nbuckets, req->hourly ? "hour" : "day", ANALYTICS_MAX_BUCKETS,
                         req->hourly ? " or ask for day buckets" : "");
        return -1;
    }
    const char *cols [4] = { NULL, NULL, NULL, NULL };
    if (req->metric >= 0)
        cols [0] = analytics_metrics [req->metric].name;
    else {
        const analytics_rate_t *rate = &analytics_rates [req->rate];
        cols [0] = rate->numerator;
        cols [1] = rate->denominator;
        cols [2] = rate->plus;
        cols [3] = rate->minus;
    }
    char values [256] = "";
    size_t vlen = 0;
    for (int i = 0; i < 4; i++)
        vlen += (size_t) snprintf (values + vlen, sizeof values - vlen, ", %s AS v%d",
                                   cols [i] ? cols [i] : "0", i);
    char hours [512], daily [512];
    snprintf (hours, sizeof hours, "day, %s AS hour, key%s", req->hourly ? "hour" : "0",
              values);
    snprintf (daily, sizeof daily, "day, 0 AS hour, key%s", values);
    char sql [4096];
    size_t len = (size_t) snprintf (sql, sizeof sql,
        "SELECT day::text, hour, key, sum (v0), sum (v1), sum (v2), sum (v3) FROM ");
    len += s_range_source (sql + len, sizeof sql - len, hours, daily, "");
    snprintf (sql + len, sizeof sql - len, " GROUP BY 1, 2, 3 ORDER BY 3, 1, 2 LIMIT %d",
              S_MAX_CELLS + 1);
    int64_t as_of = 0;
    PGresult *res = NULL;
    if (s_begin (store, &as_of)
    ||  !(res = pg_session_exec (pg, "series", sql, S_NRANGE, range, NULL, NULL,
                                 PGRES_TUPLES_OK))) {
        pg_session_rollback (pg);
        proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the store could not be read; retry");
        return -1;
    }
    pg_session_rollback (pg);
    //  Groups in key order, each a dense row of buckets.
    zlistx_t *keys = zlistx_new ();
    zlistx_set_destructor (keys, (zlistx_destructor_fn *) zstr_free);
    for (int r = 0; r < PQntuples (res); r++) {
        const char *key = PQgetvalue (res, r, 2);
        const char *prev = (const char *) zlistx_last (keys);
        if (!prev || strcmp (prev, key) != 0)
            zlistx_add_end (keys, strdup (key));
    }
    if (PQntuples (res) > S_MAX_CELLS
    ||  (int64_t) zlistx_size (keys) * nbuckets > S_MAX_CELLS) {
        PQclear (res);
        zlistx_destroy (&keys);
        proto_error_set (err, PROTO_E_TOO_LARGE, req->by >= 0 ? "by" : "to",
                         "over %d bucket x group cells: narrow from..to or drop by",
                         S_MAX_CELLS);
        return -1;
    }
    size_t ngroups = req->by >= 0 ? zlistx_size (keys) : 1;
    s_point_t *points = (s_point_t *) calloc ((size_t) nbuckets * (ngroups ? ngroups : 1),
                                              sizeof *points);
    size_t group = 0;
    const char *current = NULL;
    for (int r = 0; r < PQntuples (res); r++) {
        if (req->by >= 0) {
            if (current && strcmp (current, PQgetvalue (res, r, 2)) != 0)
                group++;
            current = PQgetvalue (res, r, 2);
        }
        int64_t at = s_days (PQgetvalue (res, r, 0)) - day0;
        if (req->hourly)
            at = at * 24 + atoi (PQgetvalue (res, r, 1)) - first->hour;
        if (at < 0 || at >= nbuckets)
            continue;
        s_point_t *p = &points [group * (size_t) nbuckets + (size_t) at];
        for (int i = 0; i < 4; i++)
            p->v [i] += atoll (PQgetvalue (res, r, 3 + i));
    }
    PQclear (res);

    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    s_head (&pk, req->by >= 0 ? 9 : 8, as_of, calendar, req);
    proto_pack_kv_cstr (&pk, "metric", req->metric >= 0 ? analytics_metrics [req->metric].name
                                                        : analytics_rates [req->rate].name);
    proto_pack_kv_cstr (&pk, "bucket", req->hourly ? "hour" : "day");
    if (req->by >= 0) {
        proto_pack_kv_cstr (&pk, "by", analytics_dims [req->by]);
        proto_pack_cstr (&pk, "groups");
        msgpack_pack_array (&pk, (uint32_t) ngroups);
    }
    else
        proto_pack_cstr (&pk, "points");
    const char *key = (const char *) zlistx_first (keys);
    for (size_t gi = 0; gi < ngroups; gi++, key = (const char *) zlistx_next (keys)) {
        if (req->by >= 0) {
            msgpack_pack_map (&pk, 2);
            proto_pack_kv_cstr (&pk, "key", key ? key : "");
            proto_pack_cstr (&pk, "points");
        }
        msgpack_pack_array (&pk, (uint32_t) nbuckets);
        for (int64_t b = 0; b < nbuckets; b++) {
            int32_t day = day0 + (int32_t) (req->hourly ? (first->hour + b) / 24 : b);
            int hour = req->hourly ? (int) ((first->hour + b) % 24) : 0;
            int y, m, d;
            calendar_days_date (day, &y, &m, &d);
            char local [40];
            snprintf (local, sizeof local, "%04d-%02d-%02d %02d:00", y, m, d, hour);
            int64_t at = 0;
            calendar_parse_local (calendar, local, &at);
            const s_point_t *p = &points [gi * (size_t) nbuckets + (size_t) b];
            msgpack_pack_array (&pk, 2);
            msgpack_pack_int64 (&pk, at);
            if (req->metric >= 0)
                msgpack_pack_int64 (&pk, p->v [0]);
            else {
                int64_t den = p->v [1] + p->v [2] - p->v [3];
                if (den <= 0)
                    msgpack_pack_nil (&pk);
                else
                    msgpack_pack_double (&pk, (double) p->v [0] / (double) den);
            }
        }
    }
    free (points);
    zlistx_destroy (&keys);
    return 0;
}

/*  hotspots: the rows of analytics_hotspot, open ones (or all), newest
 *  first, at most ANALYTICS_MAX_HOTSPOTS. The key values a rule does not
 *  group by are '' in the table and nil on the wire. */
#define S_HOTSPOT_COLS 14
static int
s_hotspots (analytics_store_t *store, const analytics_request_t *req, const calendar_t *calendar,
            msgpack_sbuffer *reply, proto_error_t *err)
{
    int64_t as_of = 0;
    pg_session_t *pg = analytics_store_session (store);
    char limit [16];
    snprintf (limit, sizeof limit, "%d", ANALYTICS_MAX_HOTSPOTS + 1);
    const char *values [2] = { req->all ? "t" : "f", limit };
    PGresult *res = NULL;
    if (s_begin (store, &as_of) == 0)
        res = pg_session_exec (pg, "hotspots_read",
            "SELECT kind, rule, branch, cause, business_line, customer, count, span,"
            "  (extract (epoch FROM first_at) * 1000)::bigint,"
            "  (extract (epoch FROM last_at) * 1000)::bigint,"
            "  (extract (epoch FROM opened_at) * 1000)::bigint,"
            "  (extract (epoch FROM cleared_at) * 1000)::bigint,"
            "  array_to_string (samples, ','), hotspot_key"
            " FROM analytics_hotspot WHERE open OR $1::boolean"
            " ORDER BY opened_at DESC, rule, branch, cause, business_line, customer"
            " LIMIT $2::int", 2, values, NULL, NULL, PGRES_TUPLES_OK);
    if (!res) {
        pg_session_rollback (pg);
        proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the store could not be read; retry");
        return -1;
    }
    pg_session_rollback (pg);           /* read only: nothing to keep */
    int n = PQntuples (res);
    bool truncated = n > ANALYTICS_MAX_HOTSPOTS;
    if (truncated)
        n = ANALYTICS_MAX_HOTSPOTS;
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 5);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_kv_int (&pk, "as_of_seq", as_of);
    proto_pack_kv_cstr (&pk, "zone", calendar_timezone (calendar));
    proto_pack_kv_bool (&pk, "truncated", truncated);
    proto_pack_cstr (&pk, "hotspots");
    msgpack_pack_array (&pk, (uint32_t) n);
    static const char *const names [S_HOTSPOT_COLS] = {
        "kind", "rule", "branch", "cause", "business_line", "customer", "count", "window",
        "first_at", "last_at", "opened_at", "cleared_at", "samples",
        "key" };                        /* issue 16 follow-up (analytics2): 053's */
    for (int r = 0; r < n; r++) {
        msgpack_pack_map (&pk, S_HOTSPOT_COLS);
        for (int c = 0; c < S_HOTSPOT_COLS; c++) {
            proto_pack_cstr (&pk, names [c]);
            const char *v = PQgetvalue (res, r, c);
            bool null = PQgetisnull (res, r, c) || (c >= 2 && c <= 5 && !v [0]);
            if (c == 12) {
                //  Complaint numbers are digits: the comma splits them.
                size_t count = 0;
                for (const char *p = v; *p; p++)
                    count += *p == ',';
                msgpack_pack_array (&pk, (uint32_t) (v [0] ? count + 1 : 0));
                for (const char *p = v; *p; ) {
                    const char *comma = strchr (p, ',');
                    size_t len = comma ? (size_t) (comma - p) : strlen (p);
                    msgpack_pack_str (&pk, len);
                    msgpack_pack_str_body (&pk, p, len);
                    p += len + (comma != NULL);
                }
            }
            else
            if (null)
                msgpack_pack_nil (&pk);
            else
            if (c == 6 || (c >= 8 && c <= 11))
                msgpack_pack_int64 (&pk, atoll (v));
            else
                proto_pack_cstr (&pk, v);
        }
    }
    PQclear (res);
    return 0;
}

const char *
analytics_query_answer (analytics_store_t *store, const calendar_t *calendar,
                        const analytics_targets_t *targets, const void *data, size_t size,
                        msgpack_sbuffer *reply)
{
    analytics_request_t req;
    proto_error_t err = { 0 };
    int rc = analytics_request_decode (data, size, &req, &err);
    if (rc == 0 && (req.op == ANALYTICS_JRT || req.op == ANALYTICS_CFPB))
        rc = analytics_export_answer (store, calendar, &req, reply, &err);
    else
    if (rc == 0 && req.op == ANALYTICS_HOTSPOTS)
        rc = s_hotspots (store, &req, calendar, reply, &err);
    else
    if (rc == 0) {
        s_slot_t first, last;
        s_slot (calendar, req.from, &first);
        s_slot (calendar, req.to - 1, &last);
        //  (day, hour) < (last day, last hour + 1): hour 24 is past every
        //  hour of that day, so the last hour's cells are in.
        char h0 [16], h1 [16];
        snprintf (h0, sizeof h0, "%d", first.hour);
        snprintf (h1, sizeof h1, "%d", last.hour + 1);
        s_cuts_t cut;
        s_cut (s_days (first.day), first.hour, s_days (last.day), last.hour,
               req.op == ANALYTICS_SERIES, req.op == ANALYTICS_SERIES && req.hourly, &cut);
        char day0 [16], day1 [16], month0 [16], month1 [16], dim [16];
        calendar_date_text (cut.d0, day0, sizeof day0);
        calendar_date_text (cut.d1, day1, sizeof day1);
        calendar_date_text (cut.m0, month0, sizeof month0);
        calendar_date_text (cut.m1, month1, sizeof month1);
        snprintf (dim, sizeof dim, "%d", req.by + 1);
        const char *range [S_NRANGE] = { first.day, h0, last.day, h1, day0, day1, dim,
                                         month0, month1 };
        if (req.op == ANALYTICS_KPI)
            rc = s_kpi (store, calendar, targets, &req, range, reply, &err);
        else
            rc = s_series (store, calendar, &req, &first, &last, range, reply, &err);
    }
    if (rc) {
        msgpack_sbuffer_clear (reply);
        proto_pack_error (reply, &err);
        return err.code;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Self-test: the cuts cover every hour of a range exactly once

/*  Which parts of s_range_source hold (day, hour): the same conditions as
 *  its SQL, written again here as the test's oracle. */
static int
s_parts_holding (const s_cuts_t *c, int32_t f_day, int f_hour, int32_t l_day, int l_hour,
                 int32_t day, int hour)
{
    bool in_range = (day > f_day || hour >= f_hour) && (day < l_day || hour < l_hour + 1);
    int n = 0;
    n += day == f_day && day < c->d0 && hour >= f_hour && (day < l_day || hour < l_hour + 1);
    n += day >= c->d1 && day <= l_day && in_range;
    n += day >= c->d0 && day < c->m0;
    n += day >= c->m1 && day < c->d1;
    n += day >= c->m0 && day < c->m1;
    return n;
}

int
analytics_query_test (bool verbose, int *passed)
{
    selftest_tally_t t = { 0 };
    static const struct {
        const char *from, *to;          /* "YYYY-MM-DD HH", both hours in */
        bool series, hourly;
        int months;                     /* whole months expected from grain 2 */
    } ranges [] = {
        { "2026-01-15 05", "2026-04-10 10", false, false, 2 },
        { "2026-01-01 00", "2026-12-31 23", false, false, 12 },
        { "2025-12-04 13", "2026-12-05 14", false, false, 11 },
        { "2026-02-01 00", "2026-02-28 23", false, false, 1 },
        { "2026-02-01 01", "2026-02-28 23", false, false, 0 },
        { "2026-03-05 07", "2026-03-05 09", false, false, 0 },
        { "2026-03-05 07", "2026-03-06 02", false, false, 0 },
        { "2026-03-05 00", "2026-03-05 23", false, false, 0 },
        { "2026-01-15 05", "2026-04-10 10", true, false, 0 },
        { "2026-01-15 05", "2026-01-20 10", true, true, 0 },
        { "2024-02-29 00", "2024-03-31 23", false, false, 1 },
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges [0]; i++) {
        int fy, fm, fd, fh, ly, lm, ld, lh;
        sscanf (ranges [i].from, "%d-%d-%d %d", &fy, &fm, &fd, &fh);
        sscanf (ranges [i].to, "%d-%d-%d %d", &ly, &lm, &ld, &lh);
        int32_t f_day = calendar_date_days (fy, fm, fd), l_day = calendar_date_days (ly, lm, ld);
        s_cuts_t c;
        s_cut (f_day, fh, l_day, lh, ranges [i].series, ranges [i].hourly, &c);
        bool once = true;
        for (int32_t day = f_day - 40; day <= l_day + 40; day++)
            for (int hour = 0; hour < 24; hour++) {
                bool in = (day > f_day || (day == f_day && hour >= fh))
                       && (day < l_day || (day == l_day && hour <= lh));
                int n = s_parts_holding (&c, f_day, fh, l_day, lh, day, hour);
                //  A whole-day part counts a day once per hour: in it, each
                //  hour of the day is in it once.
                if (n != (in ? 1 : 0))
                    once = false;
            }
        int months = 0;
        for (int32_t day = c.m0; day < c.m1; day++)
            months += s_month_start (day) == day;
        char what [160];
        snprintf (what, sizeof what, "%s .. %s%s: every hour in one part, %d whole months",
                  ranges [i].from, ranges [i].to,
                  ranges [i].hourly ? " (hour series)" : ranges [i].series ? " (day series)" : "",
                  ranges [i].months);
        selftest_tally_check (&t, verbose, once && months == ranges [i].months
                              && (!ranges [i].series || c.m0 == c.m1)
                              && (!ranges [i].hourly || c.d0 == c.d1), what);
    }
    *passed += t.passed;
    return t.failed;
}
