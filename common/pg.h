/*  pg.h — PostgreSQL connection helpers shared by every service.
 *
 *  Services connect with pg_connect(), which retries with back-off until the
 *  server answers (or the process is interrupted), so a daemon started before
 *  PostgreSQL, or one whose server restarts, recovers by itself. After any
 *  failed statement a service calls pg_healthy(); when the connection is gone
 *  it reconnects with pg_connect() and rebuilds what it needs from the store.
 *
 *  Interface:
 *      pg_connect       connect with retry; NULL only when interrupted
 *      pg_healthy       is the connection still usable
 *      pg_exec          run a parameterless command, log failures
 *      pg_sqlstate      the SQLSTATE of a result, "" if none
 */
#ifndef PG_H_INCLUDED
#define PG_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>

/* conninfo: a libpq connection string or URI; "" takes libpq's PG* variables. */
PGconn *pg_connect (const char *conninfo, const char *application_name);
bool    pg_healthy (PGconn *conn);
int     pg_exec (PGconn *conn, const char *sql);
const char *pg_sqlstate (const PGresult *res);

#endif
