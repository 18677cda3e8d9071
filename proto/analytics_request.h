/*  analytics_request.h — the analytics query endpoint's requests and its
 *  vocabulary: the metrics, the rates derived from them, the time-to-X
 *  histograms and the dimensions a query may group by. Declared once: the
 *  daemon answers with these names, complaintctl prints them, PROTOCOL.md
 *  and docs/analytics.md describe them.
 *
 *      {"op":"kpi","from":MS,"to":MS,"by":DIM?}
 *      {"op":"series","metric":NAME,"from":MS,"to":MS,"bucket":"day"|"hour","by":DIM?}
 *      {"op":"hotspots","state":"open"|"all"?}
 *      {"op":"jrt","from":MS,"to":MS,"period":"month"|"day"?,"axis":AXIS?}
 *          counts by the JR/T 0169 codes; AXIS "channel"|"business"|"cause"|
 *          "all" (default: the three codes together)
 *      {"op":"cfpb","from":MS,"to":MS,"after_us":US?,"after_no":NO?,"limit":N?}
 *          one page of the CFPB-format export, in (received_at,
 *          complaint_no) order after the cursor (the page before's `next`:
 *          received_at in unix MICROseconds, the store's own precision, so
 *          no two rows tie by rounding); at most ANALYTICS_MAX_PAGE rows
 *
 *  analytics_request_decode does no I/O (fuzzed: tests/fuzz/
 *  fuzz_analytics_request.c): bounded decode, every field checked, the
 *  field at fault named. The cap on buckets (a ten-year range in hours) is
 *  the daemon's, because only it knows the bank's zone; the decoder caps
 *  the range itself at ANALYTICS_MAX_RANGE_MS.
 *
 *  Interface:
 *      analytics_metrics / analytics_rates / analytics_dims    the vocabulary
 *      analytics_metric_index / analytics_rate_index / analytics_dim_index
 *      analytics_request_decode / analytics_request_pack
 *      analytics_hotspots_request_pack / _jrt_ / _cfpb_
 *      analytics_request_test
 */
#ifndef ANALYTICS_REQUEST_H_INCLUDED
#define ANALYTICS_REQUEST_H_INCLUDED

#include "proto.h"
#include "complaint_no.h"

typedef struct {
    const char *name;               /* the rollup's column and the answer's key */
    const char *meaning;            /* one line for people */
} analytics_metric_t;

/* A rate: numerator / (denominator + plus - minus), nil when that is 0.
 * The KPIs people see are the rates, in this order, with these labels
 * (complaintctl, the dashboard and the bulletin: one list). */
typedef struct {
    const char *name;
    const char *numerator, *denominator;            /* metric names */
    const char *plus, *minus;                       /* metric names, or NULL */
    const char *meaning;
    const char *en, *zh;                            /* the KPI's label for people */
    const char *head;                               /* a column head, 8 wide at most */
} analytics_rate_t;

extern const analytics_metric_t analytics_metrics [];
extern const size_t analytics_nmetrics;
extern const analytics_rate_t analytics_rates [];
extern const size_t analytics_nrates;
extern const char *const analytics_dims [];          /* NULL-terminated */

int analytics_metric_index (const char *name, size_t len);     /* -1: none */
int analytics_rate_index (const char *name, size_t len);
int analytics_dim_index (const char *name, size_t len);

#define ANALYTICS_MIN_MS        946684800000LL      /* 2000-01-01 */
#define ANALYTICS_MAX_MS        4102444800000LL     /* 2100-01-01 */
#define ANALYTICS_MAX_RANGE_MS  (11LL * 366 * 86400000)   /* a little over ten years */
#define ANALYTICS_MAX_BUCKETS   1000
#define ANALYTICS_MAX_GROUPS    500
#define ANALYTICS_MAX_HOTSPOTS  1000        /* rows of a hotspots answer ("truncated") */
#define ANALYTICS_MAX_JRT_ROWS  10000       /* rows of a jrt answer (else an error) */
#define ANALYTICS_MAX_PAGE      1000        /* rows of one cfpb page */
#define ANALYTICS_DEFAULT_PAGE  500

typedef enum {
    ANALYTICS_KPI = 1, ANALYTICS_SERIES, ANALYTICS_HOTSPOTS, ANALYTICS_JRT, ANALYTICS_CFPB
} analytics_op_t;

/* jrt: which codes a row carries. */
typedef enum { ANALYTICS_AXIS_ALL, ANALYTICS_AXIS_CHANNEL, ANALYTICS_AXIS_BUSINESS,
               ANALYTICS_AXIS_CAUSE } analytics_axis_t;
extern const char *const analytics_axes [];          /* by analytics_axis_t, NULL-terminated */

typedef struct {
    analytics_op_t op;
    int64_t from, to;               /* unix ms, [from, to) */
    int by;                         /* analytics_dims index, -1: none */
    bool hourly;                    /* series: "hour" buckets, else "day" */
    int metric;                     /* series: analytics_metrics index, or -1 */
    int rate;                       /* series: analytics_rates index, or -1 */
    bool all;                       /* hotspots: "all" (open and cleared), else open */
    bool daily;                     /* jrt: "day" periods, else "month" */
    analytics_axis_t axis;          /* jrt */
    int64_t after_us;               /* cfpb: the cursor (unix us), 0 and "": the start */
    char after_no [COMPLAINT_NO_SIZE];
    int limit;                      /* cfpb: rows of the page, 1..ANALYTICS_MAX_PAGE */
} analytics_request_t;

int analytics_request_decode (const void *data, size_t size, analytics_request_t *req,
                              proto_error_t *err);
/* by: a dimension name or NULL; metric and bucket: series only. */
void analytics_request_pack (msgpack_sbuffer *buf, const char *op, int64_t from, int64_t to,
                             const char *by, const char *metric, const char *bucket);

/* {"op":"hotspots","state":"all"|"open"} */
void analytics_hotspots_request_pack (msgpack_sbuffer *buf, bool all);

/* {"op":"jrt",...}: period "day" or "month" (NULL: left out), axis an
 * analytics_axes name (NULL: left out). */
void analytics_jrt_request_pack (msgpack_sbuffer *buf, int64_t from, int64_t to,
                                 const char *period, const char *axis);
/* {"op":"cfpb",...}: after_no NULL: the first page; limit 0: left out. */
void analytics_cfpb_request_pack (msgpack_sbuffer *buf, int64_t from, int64_t to,
                                  int64_t after_us, const char *after_no, int limit);

void analytics_request_test (bool verbose);

#endif
