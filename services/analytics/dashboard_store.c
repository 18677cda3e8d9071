/*  dashboard_store.c — the dashboard's own reads (see dashboard_store.h).
 *
 *  Why these two are SQL of their own and not `kpi` answers: a kpi groups
 *  by one dimension, and the heat map is two at once; and a kpi counts
 *  what happened to the complaints received in a range, while "at risk"
 *  is about the open cases now, whenever they came. Both read the same
 *  tables the kpi reads, never another service's.
 */
#include "dashboard_store.h"

#include <stdio.h>

PGresult *
dashboard_store_heat (analytics_store_t *store, const char *from_day, const char *to_day)
{
    char rows [16], columns [16];
    snprintf (rows, sizeof rows, "%d", DASHBOARD_HEAT_ROWS);
    snprintf (columns, sizeof columns, "%d", DASHBOARD_HEAT_COLUMNS);
    const char *values [4] = { from_day, to_day, rows, columns };
    //  The busiest branches and causes only (a page, not a spreadsheet);
    //  their totals come with each row so the page can say what was left.
    return pg_session_exec (analytics_store_session (store), "dashboard_heat",
        "WITH c AS (SELECT branch, cause, sum (received)::bigint AS n FROM analytics_rollup"
        "            WHERE day >= $1::date AND day < $2::date GROUP BY 1, 2),"
        "     b AS (SELECT branch, sum (n)::bigint AS t FROM c GROUP BY 1"
        "            ORDER BY 2 DESC, 1 LIMIT $3::int),"
        "     k AS (SELECT cause, sum (n)::bigint AS t FROM c GROUP BY 1"
        "            ORDER BY 2 DESC, 1 LIMIT $4::int)"
        " SELECT c.branch, c.cause, c.n, b.t, k.t FROM c JOIN b USING (branch)"
        "   JOIN k USING (cause) ORDER BY b.t DESC, c.branch, k.t DESC, c.cause",
        4, values, NULL, NULL, PGRES_TUPLES_OK);
}

PGresult *
dashboard_store_at_risk (analytics_store_t *store, int hours, int limit)
{
    char h [16], n [16];
    snprintf (h, sizeof h, "%d", hours);
    snprintf (n, sizeof n, "%d", limit);
    const char *values [2] = { h, n };
    //  The WHERE is migration 017's partial index, word for word.
    return pg_session_exec (analytics_store_session (store), "dashboard_at_risk",
        "SELECT complaint_no, department, branch, cause, state, priority, major,"
        "  (extract (epoch FROM received_at) * 1000)::bigint,"
        "  (extract (epoch FROM due_15d_at) * 1000)::bigint,"
        "  (extract (epoch FROM app_now ()) * 1000)::bigint,"
        "  breached_acknowledge + breached_first_response + breached_resolution"
        "    + breached_review,"
        "  count (*) OVER (),"
        "  count (*) FILTER (WHERE due_15d_at < app_now ()) OVER ()"
        " FROM analytics_fact"
        " WHERE decided_at IS NULL"
        "   AND state IN ('received', 'assigned', 'accepted', 'investigating', 'awaiting_customer')"
        "   AND due_15d_at < app_now () + make_interval (hours => $1::int)"
        " ORDER BY due_15d_at, complaint_no LIMIT $2::int",
        2, values, NULL, NULL, PGRES_TUPLES_OK);
}
