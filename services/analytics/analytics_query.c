/*  analytics_query.c — kpi and series over the rollups (see
 *  analytics_query.h).
 *
 *  Every figure is a sum over rollup cells; rates and quantiles are made
 *  from those sums here, never in SQL, so a rate of a group and of the
 *  whole come from the same counts (a rate of sums, not a mean of rates).
 *  The `by` dimension is one of a fixed list (analytics_dims): only those
 *  column names ever enter the statement's text; the range is parameters.
 */
#include "analytics_query.h"
#include "analytics_export.h"
#include "analytics_request.h"
#include "log.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NTIME      4                  /* ack, answer, resolve, close */
#define S_MAX_CELLS  10000              /* series: buckets x groups */

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

static const char *
s_group_expr (int by)
{
    return by < 0 ? "''" : by == 5 ? "priority::text" : analytics_dims [by];
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

static void
s_head (msgpack_packer *pk, int entries, int64_t as_of, const calendar_t *calendar,
        const analytics_request_t *req)
{
    msgpack_pack_map (pk, (uint32_t) entries);
    proto_pack_kv_bool (pk, "ok", true);
    proto_pack_kv_int (pk, "as_of_seq", as_of);
    proto_pack_kv_int (pk, "from", req->from);
    proto_pack_kv_int (pk, "to", req->to);
    proto_pack_kv_cstr (pk, "zone", calendar_timezone (calendar));
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
       const analytics_request_t *req, const char *const range [4], msgpack_sbuffer *reply,
       proto_error_t *err)
{
    pg_session_t *pg = analytics_store_session (store);
    size_t nbounds;
    const int64_t *bounds = analytics_store_time_bounds (store, &nbounds);
    const char *g = s_group_expr (req->by);
    char sql [8192];
    size_t len = (size_t) snprintf (sql, sizeof sql, "SELECT %s", g);
    for (size_t i = 0; i < analytics_nmetrics; i++)
        len += (size_t) snprintf (sql + len, sizeof sql - len, ", sum (%s)",
                                  analytics_metrics [i].name);
    snprintf (sql + len, sizeof sql - len,
              " FROM analytics_rollup WHERE (day, hour) >= ($1::date, $2::smallint)"
              " AND (day, hour) < ($3::date, $4::smallint) GROUP BY 1 ORDER BY 1 LIMIT %d",
              ANALYTICS_MAX_GROUPS + 1);
    char tsql [1024];
    snprintf (tsql, sizeof tsql,
              "SELECT %s, metric, bucket, sum (cases) FROM analytics_rollup_time"
              " WHERE (day, hour) >= ($1::date, $2::smallint)"
              " AND (day, hour) < ($3::date, $4::smallint) GROUP BY 1, 2, 3 ORDER BY 1", g);
    int64_t as_of = 0;
    PGresult *res = NULL, *tres = NULL;
    if (s_begin (store, &as_of)
    ||  !(res = pg_session_exec (pg, "kpi", sql, 4, range, NULL, NULL, PGRES_TUPLES_OK))
    ||  !(tres = pg_session_exec (pg, "kpi_time", tsql, 4, range, NULL, NULL,
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
          const s_slot_t *first, const s_slot_t *last, const char *const range [4],
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
    char sql [2048];
    size_t len = (size_t) snprintf (sql, sizeof sql, "SELECT day::text, %s, %s",
                                    req->hourly ? "hour" : "0", s_group_expr (req->by));
    for (int i = 0; i < 4; i++)
        len += (size_t) snprintf (sql + len, sizeof sql - len, ", %s%s%s",
                                  cols [i] ? "sum (" : "0", cols [i] ? cols [i] : "",
                                  cols [i] ? ")" : "");
    snprintf (sql + len, sizeof sql - len,
              " FROM analytics_rollup WHERE (day, hour) >= ($1::date, $2::smallint)"
              " AND (day, hour) < ($3::date, $4::smallint) GROUP BY 1, 2, 3 ORDER BY 3, 1, 2"
              " LIMIT %d", S_MAX_CELLS + 1);
    int64_t as_of = 0;
    PGresult *res = NULL;
    if (s_begin (store, &as_of)
    ||  !(res = pg_session_exec (pg, "series", sql, 4, range, NULL, NULL, PGRES_TUPLES_OK))) {
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
#define S_HOTSPOT_COLS 13
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
            "  array_to_string (samples, ',')"
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
        "first_at", "last_at", "opened_at", "cleared_at", "samples" };
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
        const char *range [4] = { first.day, h0, last.day, h1 };
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
