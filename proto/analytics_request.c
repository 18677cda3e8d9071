/*  analytics_request.c — the analytics queries and their vocabulary (see
 *  analytics_request.h). The metric list is in the order of the columns of
 *  migration 012's view analytics_contribution (analytics --selftest checks
 *  the two agree); docs/analytics.md defines each and names its seed.
 */
#include "analytics_request.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const analytics_metric_t analytics_metrics [] = {
    { "received", "complaints received (complaint.received)" },
    { "accepted", "accepted by a handler at least once (受理)" },
    { "rejected", "not accepted (不予受理, complaint.rejected)" },
    { "withdrawn", "withdrawn by the customer" },
    { "resolved", "resolved at least once (an answer with an outcome)" },
    { "closed", "closed now (the current state is closed)" },
    { "ended", "in a final state now: closed, rejected or withdrawn (闭环)" },
    { "reopened", "reopened at least once" },
    { "reviewed", "reviewed at least once (复核)" },
    { "escalated", "escalated at least once (to head office or the regulator)" },
    { "transferred", "transferred at least once (转办)" },
    { "major", "major complaints (重大投诉)" },
    { "answered", "had a first answer (info requested, resolved, rejected or closed)" },
    { "answered_24h", "first answer within 24 h of receipt" },
    { "withdrawn_unanswered", "withdrawn before any answer" },
    { "satisfied", "last feedback: satisfied" },
    { "not_satisfied", "last feedback: not satisfied" },
    { "decided_15d", "first decision (resolved or rejected) by the 15th day after receipt" },
    { "decided_30d", "first decision by the 30th day after receipt" },
    { "decided_60d", "first decision by the 60th day after receipt" },
    { "breached_acknowledge", "sla.breached events, stage acknowledge" },
    { "breached_first_response", "sla.breached events, stage first_response" },
    { "breached_resolution", "sla.breached events, stage resolution" },
    { "breached_review", "sla.breached events, stage review" },
    { "extended_resolution", "sla.extended events, stage resolution" },
    { "extended_review", "sla.extended events, stage review" },
    { "outcome_explanation", "last resolution had explanation (any of its outcomes)" },
    { "outcome_error_corrected", "last resolution had error corrected (any of its outcomes)" },
    { "outcome_refund", "last resolution had refund (any of its outcomes)" },
    { "outcome_compensation", "last resolution had compensation (any of its outcomes)" },
    { "outcome_apology", "last resolution had apology (any of its outcomes)" },
    { "outcome_process_change", "last resolution had process change (any of its outcomes)" },
    { "amount_cents", "amounts of the last resolutions, in cents" },
    /* issue 16 follow-up (analytics2): migration 052, appended in its order */
    { "outcome_goodwill", "last resolution had goodwill / extra service (any of its outcomes)" },
    { "determined_valid", "determined a valid complaint (有效投诉, complaint.determined)" },
    { "determined_invalid", "determined not a valid complaint" },
    { "score_1", "survey answered with score 1 (very dissatisfied)" },
    { "score_2", "survey answered with score 2" },
    { "score_3", "survey answered with score 3" },
    { "score_4", "survey answered with score 4" },
    { "score_5", "survey answered with score 5 (very satisfied)" },
};
const size_t analytics_nmetrics = sizeof analytics_metrics / sizeof analytics_metrics [0];

const analytics_rate_t analytics_rates [] = {
    { "answered_24h_rate", "answered_24h", "received", NULL, "withdrawn_unanswered",
      "answered within 24 h / (received - withdrawn before any answer)",
      "answered within 24 h", "24小时内答复率", "24h" },
    { "satisfaction_rate", "satisfied", "satisfied", "not_satisfied", NULL,
      "satisfied / (satisfied + not satisfied)", "satisfaction", "满意度", "satisf." },
    { "closure_rate", "ended", "received", NULL, NULL,
      "closed, rejected or withdrawn / received (办结率)", "closure", "办结率", "closure" },
    { "decided_15d_rate", "decided_15d", "received", NULL, "withdrawn_unanswered",
      "decided by day 15 / (received - withdrawn before any answer)",
      "decided within 15 days", "15日内作出处理决定", "15d" },
    { "decided_30d_rate", "decided_30d", "received", NULL, "withdrawn_unanswered",
      "decided by day 30 / (received - withdrawn before any answer)",
      "decided within 30 days", "30日内作出处理决定", "30d" },
    { "decided_60d_rate", "decided_60d", "received", NULL, "withdrawn_unanswered",
      "decided by day 60 / (received - withdrawn before any answer)",
      "decided within 60 days", "60日内作出处理决定", "60d" },
    /* issue 16 follow-up (analytics2) */
    { "valid_rate", "determined_valid", "determined_valid", "determined_invalid", NULL,
      "determined valid / (valid + not valid) (有效投诉率)", "valid complaints", "有效投诉率",
      "valid" },
};
const size_t analytics_nrates = sizeof analytics_rates / sizeof analytics_rates [0];

const char *const analytics_dims [] = {
    "channel", "business_line", "cause", "department", "branch", "priority", NULL
};

const char *const analytics_axes [] = { "all", "channel", "business", "cause", NULL };

static int
s_index (const char *const *names, size_t stride, size_t count, const char *name, size_t len)
{
    for (size_t i = 0; i < count; i++) {
        const char *n = *(const char *const *) ((const char *) names + i * stride);
        if (strlen (n) == len && memcmp (n, name, len) == 0)
            return (int) i;
    }
    return -1;
}

int
analytics_metric_index (const char *name, size_t len)
{
    return s_index (&analytics_metrics [0].name, sizeof analytics_metrics [0],
                    analytics_nmetrics, name, len);
}

int
analytics_rate_index (const char *name, size_t len)
{
    return s_index (&analytics_rates [0].name, sizeof analytics_rates [0], analytics_nrates,
                    name, len);
}

int
analytics_dim_index (const char *name, size_t len)
{
    size_t count = 0;
    while (analytics_dims [count])
        count++;
    return s_index (analytics_dims, sizeof analytics_dims [0], count, name, len);
}

/*  jrt and cfpb: what each reads beyond the range (nothing else is read:
 *  `by` is kpi's and series'). */
static int
s_decode_export (const msgpack_object *map, analytics_request_t *req, proto_error_t *err)
{
    if (req->op == ANALYTICS_JRT) {
        proto_str_t period = { 0 }, axis = { 0 };
        if (proto_get_str (map, "period", "period", false, 1, 16, &period, err)
        ||  proto_get_str (map, "axis", "axis", false, 1, 16, &axis, err))
            return -1;
        if (period.ptr && !proto_str_eq (period, "day") && !proto_str_eq (period, "month")) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "period",
                             "period must be \"day\" or \"month\"");
            return -1;
        }
        req->daily = period.ptr && proto_str_eq (period, "day");
        int a = axis.ptr ? s_index (analytics_axes, sizeof analytics_axes [0], 4, axis.ptr,
                                    axis.len) : ANALYTICS_AXIS_ALL;
        if (a < 0) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "axis",
                             "axis must be \"all\", \"channel\", \"business\" or \"cause\"");
            return -1;
        }
        req->axis = (analytics_axis_t) a;
        return 0;
    }
    //  cfpb: the cursor is both halves or neither; the page is bounded.
    proto_str_t no = { 0 };
    bool has_at = false;
    int64_t limit = ANALYTICS_DEFAULT_PAGE;
    if (proto_get_int (map, "after_us", "after_us", false, ANALYTICS_MIN_MS * 1000,
                       ANALYTICS_MAX_MS * 1000,
                       &req->after_us, &has_at, err)
    ||  proto_get_str (map, "after_no", "after_no", false, 1, 64, &no, err)
    ||  proto_get_int (map, "limit", "limit", false, 1, ANALYTICS_MAX_PAGE, &limit, NULL, err))
        return -1;
    if (has_at != (no.ptr != NULL)) {
        proto_error_set (err, PROTO_E_MISSING_FIELD, has_at ? "after_no" : "after_us",
                         "the cursor is after_us and after_no together (the `next` of "
                         "the page before)");
        return -1;
    }
    if (no.ptr) {
        if (complaint_no_check (no.ptr, no.len, "after_no", err))
            return -1;
        memcpy (req->after_no, no.ptr, no.len);
        req->after_no [no.len] = 0;
    }
    if (!has_at)
        req->after_us = 0;
    req->limit = (int) limit;
    return 0;
}

int
analytics_request_decode (const void *data, size_t size, analytics_request_t *req,
                          proto_error_t *err)
{
    memset (req, 0, sizeof *req);
    req->by = req->metric = req->rate = -1;
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = -1;
    proto_str_t op = { 0 }, by = { 0 }, metric = { 0 }, bucket = { 0 };
    if (proto_decode (data, size, &msg, err)
    ||  proto_get_str (&msg.data, "op", "op", true, 1, 32, &op, err))
        goto done;
    if (proto_str_eq (op, "kpi"))
        req->op = ANALYTICS_KPI;
    else
    if (proto_str_eq (op, "series"))
        req->op = ANALYTICS_SERIES;
    else
    if (proto_str_eq (op, "hotspots"))
        req->op = ANALYTICS_HOTSPOTS;
    else
    if (proto_str_eq (op, "jrt"))
        req->op = ANALYTICS_JRT;
    else
    if (proto_str_eq (op, "cfpb"))
        req->op = ANALYTICS_CFPB;
    else {
        proto_error_set (err, PROTO_E_UNKNOWN_OP, "op", "the analytics endpoint serves op "
                         "\"kpi\", \"series\", \"hotspots\", \"jrt\" and \"cfpb\"");
        goto done;
    }
    if (req->op == ANALYTICS_HOTSPOTS) {
        //  {"op":"hotspots","state":"open"|"all"?}: nothing else is read.
        proto_str_t state = { 0 };
        if (proto_get_str (&msg.data, "state", "state", false, 1, 16, &state, err))
            goto done;
        if (state.ptr && !proto_str_eq (state, "open") && !proto_str_eq (state, "all")) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "state",
                             "state must be \"open\" or \"all\"");
            goto done;
        }
        req->all = state.ptr && proto_str_eq (state, "all");
        rc = 0;
        goto done;
    }
    if (proto_get_int (&msg.data, "from", "from", true, ANALYTICS_MIN_MS, ANALYTICS_MAX_MS,
                       &req->from, NULL, err)
    ||  proto_get_int (&msg.data, "to", "to", true, ANALYTICS_MIN_MS, ANALYTICS_MAX_MS,
                       &req->to, NULL, err)
    ||  proto_get_str (&msg.data, "by", "by", false, 1, 32, &by, err))
        goto done;
    if (req->to <= req->from) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "to", "to must be after from");
        goto done;
    }
    if (req->to - req->from > ANALYTICS_MAX_RANGE_MS) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "to",
                         "the range from..to is over ten years; ask for a shorter one");
        goto done;
    }
    if (req->op == ANALYTICS_JRT || req->op == ANALYTICS_CFPB) {
        rc = s_decode_export (&msg.data, req, err);
        goto done;
    }
    if (by.ptr && (req->by = analytics_dim_index (by.ptr, by.len)) < 0) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "by", "by must be one of channel, "
                         "business_line, cause, department, branch, priority");
        goto done;
    }
    if (req->op == ANALYTICS_SERIES) {
        if (proto_get_str (&msg.data, "metric", "metric", true, 1, 64, &metric, err)
        ||  proto_get_str (&msg.data, "bucket", "bucket", false, 1, 16, &bucket, err))
            goto done;
        req->metric = analytics_metric_index (metric.ptr, metric.len);
        req->rate = analytics_rate_index (metric.ptr, metric.len);
        if (req->metric < 0 && req->rate < 0) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "metric",
                             "metric must be a count or a rate of PROTOCOL.md's analytics table");
            goto done;
        }
        if (bucket.ptr && !proto_str_eq (bucket, "day") && !proto_str_eq (bucket, "hour")) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "bucket",
                             "bucket must be \"day\" or \"hour\"");
            goto done;
        }
        req->hourly = bucket.ptr && proto_str_eq (bucket, "hour");
    }
    rc = 0;
done:
    msgpack_unpacked_destroy (&msg);
    return rc;
}

void
analytics_request_pack (msgpack_sbuffer *buf, const char *op, int64_t from, int64_t to,
                        const char *by, const char *metric, const char *bucket)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3 + (by != NULL) + (metric != NULL) + (bucket != NULL));
    proto_pack_kv_cstr (&pk, "op", op);
    proto_pack_kv_int (&pk, "from", from);
    proto_pack_kv_int (&pk, "to", to);
    if (by)
        proto_pack_kv_cstr (&pk, "by", by);
    if (metric)
        proto_pack_kv_cstr (&pk, "metric", metric);
    if (bucket)
        proto_pack_kv_cstr (&pk, "bucket", bucket);
}

void
analytics_hotspots_request_pack (msgpack_sbuffer *buf, bool all)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    proto_pack_kv_cstr (&pk, "op", "hotspots");
    proto_pack_kv_cstr (&pk, "state", all ? "all" : "open");
}

void
analytics_jrt_request_pack (msgpack_sbuffer *buf, int64_t from, int64_t to, const char *period,
                            const char *axis)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3 + (period != NULL) + (axis != NULL));
    proto_pack_kv_cstr (&pk, "op", "jrt");
    proto_pack_kv_int (&pk, "from", from);
    proto_pack_kv_int (&pk, "to", to);
    if (period)
        proto_pack_kv_cstr (&pk, "period", period);
    if (axis)
        proto_pack_kv_cstr (&pk, "axis", axis);
}

void
analytics_cfpb_request_pack (msgpack_sbuffer *buf, int64_t from, int64_t to, int64_t after_us,
                             const char *after_no, int limit)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3 + (after_no ? 2 : 0) + (limit > 0));
    proto_pack_kv_cstr (&pk, "op", "cfpb");
    proto_pack_kv_int (&pk, "from", from);
    proto_pack_kv_int (&pk, "to", to);
    if (after_no) {
        proto_pack_kv_int (&pk, "after_us", after_us);
        proto_pack_kv_cstr (&pk, "after_no", after_no);
    }
    if (limit > 0)
        proto_pack_kv_int (&pk, "limit", limit);
}

#include "selftest.h"

/*  The export ops: each field checked and named. */
static void
s_test_exports (int64_t t0, int64_t day)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    analytics_request_t req;
    proto_error_t err = { 0 };
    analytics_jrt_request_pack (&buf, t0, t0 + 31 * day, NULL, NULL);
    int rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == 0 && req.op == ANALYTICS_JRT && !req.daily && req.axis == ANALYTICS_AXIS_ALL);
    msgpack_sbuffer_clear (&buf);
    analytics_jrt_request_pack (&buf, t0, t0 + day, "day", "cause");
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == 0 && req.daily && req.axis == ANALYTICS_AXIS_CAUSE);
    msgpack_sbuffer_clear (&buf);
    analytics_jrt_request_pack (&buf, t0, t0 + day, "week", NULL);
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == -1 && strcmp (err.field, "period") == 0);
    msgpack_sbuffer_clear (&buf);
    analytics_jrt_request_pack (&buf, t0, t0 + day, NULL, "branch");
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == -1 && strcmp (err.field, "axis") == 0
            && strcmp (err.code, PROTO_E_INVALID_FIELD) == 0);
    msgpack_sbuffer_clear (&buf);
    analytics_jrt_request_pack (&buf, t0 + day, t0, NULL, NULL);
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == -1 && strcmp (err.field, "to") == 0);
    msgpack_sbuffer_clear (&buf);

    //  cfpb: the first page, a page after a cursor, and the refusals
    analytics_cfpb_request_pack (&buf, t0, t0 + day, 0, NULL, 0);
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == 0 && req.op == ANALYTICS_CFPB && req.limit == ANALYTICS_DEFAULT_PAGE
            && req.after_us == 0 && req.after_no [0] == 0);
    msgpack_sbuffer_clear (&buf);
    char no [COMPLAINT_NO_SIZE];
    complaint_no_format (no, 20261205, 11);
    analytics_cfpb_request_pack (&buf, t0, t0 + day, t0 * 1000 + 5, no, 2);
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == 0 && req.after_us == t0 * 1000 + 5 && strcmp (req.after_no, no) == 0
            && req.limit == 2);
    msgpack_sbuffer_clear (&buf);
    analytics_cfpb_request_pack (&buf, t0, t0 + day, 0, NULL, ANALYTICS_MAX_PAGE + 1);
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == -1 && strcmp (err.field, "limit") == 0);
    msgpack_sbuffer_clear (&buf);
    analytics_cfpb_request_pack (&buf, t0, t0 + day, t0 * 1000, "20261205000001", 10);
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == -1 && strcmp (err.field, "after_no") == 0);
    msgpack_sbuffer_clear (&buf);
    //  half a cursor: {"op":"cfpb","from","to","after_us"} names after_no
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 4);
    proto_pack_kv_cstr (&pk, "op", "cfpb");
    proto_pack_kv_int (&pk, "from", t0);
    proto_pack_kv_int (&pk, "to", t0 + day);
    proto_pack_kv_int (&pk, "after_us", t0 * 1000);
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == -1 && strcmp (err.field, "after_no") == 0
            && strcmp (err.code, PROTO_E_MISSING_FIELD) == 0);
    msgpack_sbuffer_destroy (&buf);
}

static void
s_refused (const char *op, int64_t from, int64_t to, const char *by, const char *metric,
           const char *bucket, const char *code, const char *field)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    analytics_request_pack (&buf, op, from, to, by, metric, bucket);
    analytics_request_t req;
    proto_error_t err = { 0 };
    int rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == -1);
    assert (strcmp (err.code, code) == 0 && strcmp (err.field, field) == 0);
    msgpack_sbuffer_destroy (&buf);
}

void
analytics_request_test (bool verbose)
{
    if (verbose)
        printf (" * analytics_request: ");
    int64_t day = 86400000, t0 = 1796400000000;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    analytics_request_t req;
    proto_error_t err = { 0 };
    analytics_request_pack (&buf, "kpi", t0, t0 + day, "department", NULL, NULL);
    int rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == 0 && req.op == ANALYTICS_KPI && req.by == 3 && req.to - req.from == day);
    msgpack_sbuffer_clear (&buf);
    analytics_request_pack (&buf, "series", t0, t0 + day, NULL, "closure_rate", "hour");
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == 0 && req.op == ANALYTICS_SERIES && req.hourly && req.rate == 2
            && req.metric == -1 && req.by == -1);
    msgpack_sbuffer_destroy (&buf);
    s_refused ("report", t0, t0 + day, NULL, NULL, NULL, PROTO_E_UNKNOWN_OP, "op");
    s_test_exports (t0, day);
    //  hotspots: open by default, "all" on request, nothing else
    msgpack_sbuffer_init (&buf);
    analytics_hotspots_request_pack (&buf, true);
    rc = analytics_request_decode (buf.data, buf.size, &req, &err);
    assert (rc == 0 && req.op == ANALYTICS_HOTSPOTS && req.all);
    msgpack_sbuffer_destroy (&buf);
    static const char open_only [] = "\x81\xa2op\xa8hotspots";
    rc = analytics_request_decode (open_only, sizeof open_only - 1, &req, &err);
    assert (rc == 0 && req.op == ANALYTICS_HOTSPOTS && !req.all);
    static const char shut [] = "\x82\xa2op\xa8hotspots\xa5state\xa4shut";
    rc = analytics_request_decode (shut, sizeof shut - 1, &req, &err);
    assert (rc == -1 && strcmp (err.field, "state") == 0);
    static const char number [] = "\x82\xa2op\xa8hotspots\xa5state\x01";
    rc = analytics_request_decode (number, sizeof number - 1, &req, &err);
    assert (rc == -1 && strcmp (err.field, "state") == 0);
    s_refused ("kpi", t0 + day, t0, NULL, NULL, NULL, PROTO_E_INVALID_FIELD, "to");
    s_refused ("kpi", 5, t0, NULL, NULL, NULL, PROTO_E_INVALID_FIELD, "from");
    s_refused ("kpi", t0, t0 + 20 * 366 * day, NULL, NULL, NULL, PROTO_E_TOO_LARGE, "to");
    s_refused ("kpi", t0, t0 + day, "colour", NULL, NULL, PROTO_E_INVALID_FIELD, "by");
    s_refused ("series", t0, t0 + day, NULL, NULL, NULL, PROTO_E_MISSING_FIELD, "metric");
    s_refused ("series", t0, t0 + day, NULL, "nothing", NULL, PROTO_E_INVALID_FIELD, "metric");
    s_refused ("series", t0, t0 + day, NULL, "received", "week", PROTO_E_INVALID_FIELD,
               "bucket");
    //  {"op":"kpi","from":"x"}: the wrong type, named
    rc = analytics_request_decode ("\x82\xa2op\xa3kpi\xa4" "from\xa1x", 15, &req, &err);
    assert (rc == -1 && strcmp (err.code, PROTO_E_WRONG_TYPE) == 0
            && strcmp (err.field, "from") == 0);
    assert (analytics_metric_index ("score_5", 7) == (int) analytics_nmetrics - 1);
    for (size_t i = 0; i < analytics_nrates; i++) {
        assert (analytics_metric_index (analytics_rates [i].numerator,
                                        strlen (analytics_rates [i].numerator)) >= 0);
        assert (!analytics_rates [i].plus
                || analytics_metric_index (analytics_rates [i].plus,
                                           strlen (analytics_rates [i].plus)) >= 0);
        assert (!analytics_rates [i].minus
                || analytics_metric_index (analytics_rates [i].minus,
                                           strlen (analytics_rates [i].minus)) >= 0);
    }
    if (verbose)
        printf ("OK\n");
}
