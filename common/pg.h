/*  pg.h — the older PostgreSQL helpers, now thin wrappers over pg_session
 *  for the code not yet on a session (see pg_session.h). New code uses
 *  pg_session_t.
 *
 *  Interface:
 *      pg_connect       pg_session_connect without a statement_timeout
 *      pg_healthy       is the connection still usable
 *      pg_exec          run a parameterless command, log failures
 *      pg_sqlstate      (pg_session.h) the SQLSTATE of a result
 */
#ifndef PG_H_INCLUDED
#define PG_H_INCLUDED

#include "pg_session.h"

PGconn *pg_connect (const char *conninfo, const char *application_name);
bool    pg_healthy (PGconn *conn);
int     pg_exec (PGconn *conn, const char *sql);

#endif
