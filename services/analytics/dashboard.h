/*  dashboard.h — the analytics daemon's HTML pages: the dashboard and the
 *  half-yearly bulletin (docs/analytics.md "Dashboard", "Bulletin").
 *
 *  A page is made in one call from a path and its query parameters, with
 *  the store session, calendar and targets of the caller (the HTTP actor,
 *  query_server.c, owns them all on its own thread). No HTTP here: the
 *  pages are testable and the server stays small.
 *
 *  Where the figures come from. Every KPI, count, rate, trend and hot spot
 *  is an answer of analytics_query_answer — the code that answers the
 *  `kpi`, `series` and `hotspots` queries of the ROUTER endpoint — asked
 *  with the same msgpack request a client would send. So the page says
 *  what `complaintctl kpi` says, to the last digit, and each such number
 *  carries data-kpi="NAME" data-value="EXACT" for the tests to compare.
 *  Only the branch x cause heat map and the cases at risk, which no query
 *  answers, are read by dashboard_store.c.
 *
 *  Routes (GET; every error names the parameter):
 *      /, /dashboard   ?lang=zh|en (zh) &days=1..366 (30) &risk_hours=1..720 (72)
 *      /bulletin       ?lang=zh|en (zh) &from=YYYY-MM-DD &to=YYYY-MM-DD
 *                      (default the 183 days to today) &min_cell=K (>= the
 *                      daemon's --min-cell, which is also the default)
 *  200 text/html; 400 text/plain "invalid_field PARAM: reason"; 404 an
 *  unknown path; 503 the store could not be read.
 *
 *  Interface:
 *      dashboard_render        path + parameters -> status, type, body
 *      dashboard_reply_free
 */
#ifndef DASHBOARD_H_INCLUDED
#define DASHBOARD_H_INCLUDED

#include "analytics_store.h"
#include "analytics_targets.h"
#include "calendar.h"

#define DASHBOARD_MAX_PARAMS    16      /* query parameters per request */
#define DASHBOARD_MAX_VALUE     64      /* bytes of one parameter's value */

typedef struct {
    analytics_store_t *store;           /* the caller's own session */
    const calendar_t *calendar;
    const analytics_targets_t *targets;
    int min_cell;                       /* the smallest count a bulletin publishes */
} dashboard_env_t;

typedef struct {
    const char *name, *value;
} dashboard_param_t;

typedef struct {
    int status;                         /* HTTP status */
    const char *content_type;
    char *body;                         /* heap; dashboard_reply_free */
    size_t size;
} dashboard_reply_t;

void dashboard_render (const dashboard_env_t *env, const char *path,
                       const dashboard_param_t *params, size_t nparams,
                       dashboard_reply_t *reply);
void dashboard_reply_free (dashboard_reply_t *reply);

#endif
