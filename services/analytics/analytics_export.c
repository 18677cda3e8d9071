/*  analytics_export.c — the jrt and cfpb answers (see analytics_export.h).
 *
 *  Both read analytics_fact by its received_at, exactly (not in the
 *  rollups' whole hours: an export is per complaint, and its range is the
 *  one asked). Every statement is parameterised and fixed: the axis picks
 *  its columns with CASE on a parameter, never by pasting names.
 *
 *  `timely` (cfpb) is decided here, where the deadline is: true when the
 *  first decision came by the regulator's 15th day (due_15d_at, on the
 *  bank's calendar) and no resolution SLA was breached; false when it came
 *  later, a resolution SLA was breached, or the 15th day has passed
 *  (app_now ()) with no decision; nil while the case is undecided and
 *  inside its 15 days.
 */
#include "analytics_export.h"
#include "analytics_query.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  One statement in a read snapshot: the rows, and as_of_seq, the last
 *  event they include; NULL with err set when the store could not be read. */
static PGresult *
s_read (analytics_store_t *store, const char *what, const char *sql, const char *const *values,
        int n, int64_t *as_of, proto_error_t *err)
{
    pg_session_t *pg = analytics_store_session (store);
    PGresult *res = NULL;
    if (analytics_store_snapshot (store, as_of) == 0)
        res = pg_session_exec (pg, what, sql, n, values, NULL, NULL, PGRES_TUPLES_OK);
    pg_session_rollback (pg);           /* read only: nothing to keep */
    if (!res)
        proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the store could not be read; retry");
    return res;
}

static void
s_pack_text_or_nil (msgpack_packer *pk, const PGresult *res, int row, int col)
{
    if (PQgetisnull (res, row, col))
        msgpack_pack_nil (pk);
    else
        proto_pack_cstr (pk, PQgetvalue (res, row, col));
}

//  --------------------------------------------------------------------------
//  jrt

/*  Complaints received in [$1, $2) (unix ms), exactly. */
#define S_RECEIVED_IN_RANGE \
    " WHERE received_at >= 'epoch'::timestamptz + $1::bigint * interval '1 millisecond'" \
    "   AND received_at < 'epoch'::timestamptz + $2::bigint * interval '1 millisecond'"

#define S_JRT_SQL \
    "SELECT to_char (received_day, CASE WHEN $3::boolean THEN 'YYYY-MM-DD' ELSE 'YYYY-MM' END)," \
    "  CASE WHEN $4 IN ('all', 'channel') THEN jrt_channel ELSE '' END," \
    "  CASE WHEN $4 IN ('all', 'business') THEN jrt_business ELSE '' END," \
    "  CASE WHEN $4 IN ('all', 'cause') THEN jrt_cause ELSE '' END," \
    "  count (*)" \
    " FROM analytics_fact" \
    S_RECEIVED_IN_RANGE \
    " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 LIMIT $5::int"

static int
s_jrt (analytics_store_t *store, const calendar_t *calendar, const analytics_request_t *req,
       msgpack_sbuffer *reply, proto_error_t *err)
{
    char from [24], to [24], limit [16];
    snprintf (from, sizeof from, "%lld", (long long) req->from);
    snprintf (to, sizeof to, "%lld", (long long) req->to);
    snprintf (limit, sizeof limit, "%d", ANALYTICS_MAX_JRT_ROWS + 1);
    const char *values [5] = { from, to, req->daily ? "t" : "f", analytics_axes [req->axis],
                               limit };
    int64_t as_of = 0;
    PGresult *res = s_read (store, "export_jrt", S_JRT_SQL, values, 5, &as_of, err);
    if (!res)
        return -1;
    int n = PQntuples (res);
    if (n > ANALYTICS_MAX_JRT_ROWS) {
        PQclear (res);
        proto_error_set (err, PROTO_E_TOO_LARGE, req->daily ? "period" : "to",
                         "over %d rows of codes; ask for %s", ANALYTICS_MAX_JRT_ROWS,
                         req->daily ? "period \"month\" or a shorter range"
                                    : "a shorter range");
        return -1;
    }
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    analytics_query_head (&pk, 8, as_of, calendar, req);
    proto_pack_kv_cstr (&pk, "period", req->daily ? "day" : "month");
    proto_pack_kv_cstr (&pk, "axis", analytics_axes [req->axis]);
    proto_pack_cstr (&pk, "rows");
    msgpack_pack_array (&pk, (uint32_t) n);
    static const char *const names [4] = { "period", "channel", "business", "cause" };
    for (int r = 0; r < n; r++) {
        msgpack_pack_map (&pk, 5);
        for (int c = 0; c < 4; c++)
            proto_pack_kv_cstr (&pk, names [c], PQgetvalue (res, r, c));
        proto_pack_kv_int (&pk, "count", atoll (PQgetvalue (res, r, 4)));
    }
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------
//  cfpb

#define S_CFPB_SQL \
    "SELECT complaint_no," \
    "  ((extract (epoch FROM received_at) * 1000000)::bigint)::text," \
    "  ((extract (epoch FROM received_at) * 1000)::bigint)::text," \
    "  received_day::text, channel, business_line, cause, state, outcome," \
    "  CASE WHEN breached_resolution > 0 THEN false" \
    "       WHEN decided_at IS NOT NULL THEN decided_at <= due_15d_at" \
    "       WHEN app_now () > due_15d_at THEN false END," \
    "  reviewed > 0," \
    "  narrative_consent," \
    "  CASE WHEN narrative_consent THEN narrative END," \
    "  amount_cents::text" \
    " FROM analytics_fact" \
    S_RECEIVED_IN_RANGE \
    "   AND (received_at, complaint_no) >" \
    "       ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', $4::text)" \
    " ORDER BY received_at, complaint_no LIMIT $5::int"

static int
s_cfpb (analytics_store_t *store, const calendar_t *calendar, const analytics_request_t *req,
        msgpack_sbuffer *reply, proto_error_t *err)
{
    char from [24], to [24], after [24], limit [16];
    snprintf (from, sizeof from, "%lld", (long long) req->from);
    snprintf (to, sizeof to, "%lld", (long long) req->to);
    //  No cursor: before every row of the range (its start, less 1 us).
    snprintf (after, sizeof after, "%lld",
              (long long) (req->after_no [0] ? req->after_us : req->from * 1000 - 1));
    snprintf (limit, sizeof limit, "%d", req->limit);
    const char *values [5] = { from, to, after, req->after_no, limit };
    int64_t as_of = 0;
    PGresult *res = s_read (store, "export_cfpb", S_CFPB_SQL, values, 5, &as_of, err);
    if (!res)
        return -1;
    int n = PQntuples (res);
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    analytics_query_head (&pk, 7, as_of, calendar, req);
    proto_pack_cstr (&pk, "rows");
    msgpack_pack_array (&pk, (uint32_t) n);
    for (int r = 0; r < n; r++) {
        msgpack_pack_map (&pk, 13);
        proto_pack_kv_cstr (&pk, "complaint_no", PQgetvalue (res, r, 0));
        /* issue 16 (i16-vetting): the amount granted, for the response */
        proto_pack_kv_int (&pk, "amount_cents", atoll (PQgetvalue (res, r, 13)));
        proto_pack_kv_int (&pk, "received_at", atoll (PQgetvalue (res, r, 2)));
        proto_pack_kv_cstr (&pk, "received_day", PQgetvalue (res, r, 3));
        proto_pack_kv_cstr (&pk, "channel", PQgetvalue (res, r, 4));
        proto_pack_kv_cstr (&pk, "business_line", PQgetvalue (res, r, 5));
        proto_pack_kv_cstr (&pk, "cause", PQgetvalue (res, r, 6));
        proto_pack_kv_cstr (&pk, "state", PQgetvalue (res, r, 7));
        proto_pack_cstr (&pk, "outcome");
        s_pack_text_or_nil (&pk, res, r, 8);
        proto_pack_cstr (&pk, "timely");
        if (PQgetisnull (res, r, 9))
            msgpack_pack_nil (&pk);
        else
        if (PQgetvalue (res, r, 9) [0] == 't')
            msgpack_pack_true (&pk);
        else
            msgpack_pack_false (&pk);
        proto_pack_kv_bool (&pk, "disputed", PQgetvalue (res, r, 10) [0] == 't');
        proto_pack_kv_bool (&pk, "consent", PQgetvalue (res, r, 11) [0] == 't');
        proto_pack_cstr (&pk, "narrative");
        //  Only with consent (the statement says so, and the table's CHECK).
        if (PQgetvalue (res, r, 11) [0] == 't')
            s_pack_text_or_nil (&pk, res, r, 12);
        else
            msgpack_pack_nil (&pk);
    }
    //  The cursor of the next page: the last row's, when the page is full.
    proto_pack_cstr (&pk, "next");
    if (n == req->limit && n > 0) {
        msgpack_pack_map (&pk, 2);
        proto_pack_kv_int (&pk, "after_us", atoll (PQgetvalue (res, n - 1, 1)));
        proto_pack_kv_cstr (&pk, "after_no", PQgetvalue (res, n - 1, 0));
    }
    else
        msgpack_pack_nil (&pk);
    PQclear (res);
    return 0;
}

int
analytics_export_answer (analytics_store_t *store, const calendar_t *calendar,
                         const analytics_request_t *req, msgpack_sbuffer *reply,
                         proto_error_t *err)
{
    if (req->op == ANALYTICS_JRT)
        return s_jrt (store, calendar, req, reply, err);
    if (req->op == ANALYTICS_CFPB)
        return s_cfpb (store, calendar, req, reply, err);
    proto_error_set (err, PROTO_E_INTERNAL, "op", "not an export");
    return -1;
}
