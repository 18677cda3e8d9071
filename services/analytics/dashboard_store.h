/*  dashboard_store.h — the two reads of the dashboard that no `kpi`
 *  answer gives: the branch x cause cross-tab and the cases at risk of
 *  breaching. Both read analytics' own tables (migrations 012 and 017),
 *  read only, parameterised; every other figure on the pages comes from
 *  analytics_query_answer, the code that answers `kpi` itself.
 *
 *      heat      SELECT branch, cause, sum (received) FROM analytics_rollup
 *                WHERE day in [from_day, to_day) GROUP BY 1, 2
 *                -- the same cells a kpi by branch or by cause sums: its row
 *                -- and column totals are those answers' `received`
 *      at risk   SELECT ... FROM analytics_fact
 *                WHERE decided_at IS NULL AND state is open
 *                  AND due_15d_at < app_now () + HOURS
 *                ORDER BY due_15d_at LIMIT N     -- migration 017's index
 *
 *  app_now (), not this process's clock: the store's clock is the one the
 *  SLA and the tests move (tests/lib.sh clock_shift).
 *
 *  Interface:
 *      dashboard_store_heat       rows: branch, cause, received, branch total, cause total
 *      dashboard_store_at_risk    rows: see DASHBOARD_RISK_* below
 */
#ifndef DASHBOARD_STORE_H_INCLUDED
#define DASHBOARD_STORE_H_INCLUDED

#include "analytics_store.h"

#define DASHBOARD_HEAT_ROWS     25      /* branches shown, the most complaints first */
#define DASHBOARD_HEAT_COLUMNS  15      /* causes shown */

/* Columns of an at-risk row. */
enum {
    DASHBOARD_RISK_NO, DASHBOARD_RISK_DEPARTMENT, DASHBOARD_RISK_BRANCH, DASHBOARD_RISK_CAUSE,
    DASHBOARD_RISK_STATE, DASHBOARD_RISK_PRIORITY, DASHBOARD_RISK_MAJOR,
    DASHBOARD_RISK_RECEIVED_MS, DASHBOARD_RISK_DUE_MS, DASHBOARD_RISK_NOW_MS,
    DASHBOARD_RISK_BREACHES, DASHBOARD_RISK_TOTAL, DASHBOARD_RISK_OVERDUE
};

/* from_day, to_day: "YYYY-MM-DD" in the bank's zone, to_day excluded.
 * NULL when the store could not be read (logged by pg_session). */
PGresult *dashboard_store_heat (analytics_store_t *store, const char *from_day,
                                const char *to_day);

/* At most limit rows; every row carries the total and overdue counts. */
PGresult *dashboard_store_at_risk (analytics_store_t *store, int hours, int limit);

#endif
