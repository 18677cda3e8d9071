/*  pg.c — the older helpers over pg_session's connect (see pg.h). */
#include "pg.h"
#include "log.h"

PGconn *
pg_connect (const char *conninfo, const char *application_name)
{
    return pg_session_connect (conninfo, application_name, 0);
}

bool
pg_healthy (PGconn *conn)
{
    return conn && PQstatus (conn) == CONNECTION_OK;
}

int
pg_exec (PGconn *conn, const char *sql)
{
    PGresult *res = PQexec (conn, sql);
    ExecStatusType status = PQresultStatus (res);
    int rc = (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) ? 0 : -1;
    if (rc) {
        char q [300];
        log_error ("pg_exec_failed", "sqlstate=%s error=%s", pg_sqlstate (res),
                   log_quote (q, sizeof q, PQerrorMessage (conn)));
    }
    PQclear (res);
    return rc;
}
