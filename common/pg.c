/*  pg.c — connect with retry, health check, simple commands (see pg.h). */
#include "pg.h"
#include "log.h"

#include <czmq.h>
#include <string.h>

PGconn *
pg_connect (const char *conninfo, const char *application_name)
{
    const char *keys [] = { "dbname", "fallback_application_name", NULL };
    const char *vals [] = { conninfo ? conninfo : "", application_name, NULL };
    int delay_ms = 100;
    bool logged = false;
    while (!zsys_interrupted) {
        PGconn *conn = PQconnectdbParams (keys, vals, 1);
        if (conn && PQstatus (conn) == CONNECTION_OK) {
            if (logged)
                log_info ("pg_connected", "after=retry");
            return conn;
        }
        char why [256];
        snprintf (why, sizeof why, "%s", conn ? PQerrorMessage (conn) : "out of memory");
        why [strcspn (why, "\n")] = 0;
        char q [300];
        if (!logged || delay_ms >= 2000)
            log_warn ("pg_connect_failed", "retry_ms=%d error=%s", delay_ms,
                      log_quote (q, sizeof q, why));
        logged = true;
        PQfinish (conn);
        zclock_sleep (delay_ms);
        delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
    }
    return NULL;
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

const char *
pg_sqlstate (const PGresult *res)
{
    const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
    return state ? state : "";
}
