/*  pg_session.h — one PostgreSQL session of a service: connect, run
 *  statements, recover (see pg_session.c).
 *
 *  Every daemon talks to the store through one of these, so every daemon
 *  connects with the same settings (connect_timeout, TCP keepalives,
 *  tcp_user_timeout, a statement_timeout), reconnects with the same
 *  back-off, and logs the same names: pg_connect_failed, pg_statement_failed,
 *  pg_connection_lost, pg_connection_restored.
 *
 *  Interface:
 *      pg_session_new         connect with retry; NULL only when interrupted
 *      pg_session_new_deferred  a session not connected yet, for pg_session_try_recover
 *      pg_session_destroy     close
 *      pg_session_on_connect  run a callback now and after every reconnect
 *      pg_session_conn        the libpq connection (for what exec cannot do)
 *      pg_session_exec        one parameterised statement; NULL on failure
 *      pg_session_last_sqlstate  the SQLSTATE of the last failed statement
 *      pg_session_command     exec for a statement whose rows nobody wants
 *      pg_session_begin / commit / rollback
 *      pg_session_recover     roll back, or reconnect when the link is gone
 *      pg_session_try_recover the same without waiting: one attempt, at most
 *                             once per back-off step; -1 at once otherwise
 *      pg_session_healthy     is the connection usable
 *      pg_session_retryable   was the last failure worth a retry
 *      pg_session_drop        close a connection that can no longer be trusted
 *      pg_session_connect     the bare connect-with-retry (no session)
 *      pg_sqlstate            the SQLSTATE of a result, "" if none
 *      pg_session_test        self-test (needs no server)
 */
#ifndef PG_SESSION_H_INCLUDED
#define PG_SESSION_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct _pg_session_t pg_session_t;

/* Called on a fresh connection (PREPARE, LISTEN, session settings, rows a
 * service needs before its first statement). 0, or -1: the session drops
 * the connection and tries again after a back-off. */
typedef int (pg_session_fn) (pg_session_t *session, void *arg);

/* conninfo: a libpq connection string or URI; "" or NULL takes libpq's PG*
 * variables. statement_timeout_ms: 0 leaves the server's setting. */
pg_session_t *pg_session_new (const char *conninfo, const char *application_name,
                              int statement_timeout_ms);
/* A session with no connection yet and its on-connect callback set (not
 * run): never waits. pg_session_try_recover connects it (and runs the
 * callback) on first use; until then it is not healthy. For a thread that
 * must not be held up by a store that refuses connections. */
pg_session_t *pg_session_new_deferred (const char *conninfo, const char *application_name,
                                       int statement_timeout_ms, pg_session_fn *on_connect,
                                       void *arg);
void pg_session_destroy (pg_session_t **self_p);

/* Register the on-connect callback and run it now (retrying with back-off,
 * reconnecting if needed, until it succeeds). 0, or -1 when interrupted. */
int pg_session_on_connect (pg_session_t *self, pg_session_fn *fn, void *arg);

PGconn *pg_session_conn (pg_session_t *self);

/* One statement with text parameters (values NULL = SQL NULL; lengths and
 * formats may be NULL), text results. A statement with parameters is
 * prepared on its first use on the connection, keyed by its text, and run
 * by name after that (at most 128 texts; prepared again after a reconnect
 * or a DISCARD ALL); one without runs unnamed (PQexecParams). want_status: the status a success
 * returns (PGRES_COMMAND_OK, PGRES_TUPLES_OK, …), or 0 for either of those
 * two. On failure logs one line, event=pg_statement_failed statement=what
 * sqlstate= error= (the primary message only: a DETAIL may quote a row's
 * personal data), and returns NULL. */
PGresult *pg_session_exec (pg_session_t *self, const char *what, const char *sql, int n,
                           const char *const *values, const int *lengths, const int *formats,
                           int want_status);

/* The SQLSTATE of the statement pg_session_exec (command, begin, commit)
 * last ran, when it failed: what a caller decides retry or refusal from
 * (class 40 serialization, 08 connection, 57 operator intervention: retry;
 * others: the statement or the data). "" after a success, and after a
 * failure that carried none (no connection, or an error libpq made itself:
 * pg_session_healthy then says whether the link is gone). */
const char *pg_session_last_sqlstate (pg_session_t *self);

/* After a failed statement: is it worth a retry? The store went away
 * (class 08, or no answer at all), refused to serialise (40) or cut the
 * statement off (57: a timeout, a shutdown); anything else is the
 * statement's or the data's fault. */
bool pg_session_retryable (pg_session_t *self);

/* pg_session_exec without results: 0 or -1. */
int pg_session_command (pg_session_t *self, const char *what, const char *sql, int n,
                        const char *const *values);

int pg_session_begin (pg_session_t *self);
int pg_session_commit (pg_session_t *self);
/* ROLLBACK if a transaction is open and the connection usable; quiet. */
void pg_session_rollback (pg_session_t *self);

/* After a failure: with a usable connection, roll back what is open and
 * return 0. Otherwise log pg_connection_lost, reconnect with back-off, run
 * the on-connect callback, log pg_connection_restored. 0, or -1 when
 * interrupted (the session then has no connection; recover again later). */
int pg_session_recover (pg_session_t *self);

/* pg_session_recover for a caller that must answer while the store is
 * away: with a usable connection, roll back and return 0; without one,
 * make one connection attempt (and run the on-connect callback) if the
 * back-off since the last failed attempt (100 ms doubling to 2 s) has
 * passed, else none; -1 when still not connected. Never sleeps; an attempt
 * takes at most the session's connect_timeout. */
int pg_session_try_recover (pg_session_t *self);

bool pg_session_healthy (pg_session_t *self);

/* Close the connection (results out of step, a COMMIT whose answer was
 * lost): the next pg_session_recover reconnects. Logs nothing; the caller
 * says why. */
void pg_session_drop (pg_session_t *self);

/* Connect with retry and the session's settings; NULL only when interrupted. */
PGconn *pg_session_connect (const char *conninfo, const char *application_name,
                            int statement_timeout_ms);

const char *pg_sqlstate (const PGresult *res);

/* True when conninfo (key=value words or a postgresql:// URI) carries a
 * password: a secret a command line must never hold (ps and
 * /proc/PID/cmdline show it to every user). Passwords belong in ~/.pgpass
 * or PGPASSFILE (mode 0600). A conninfo libpq cannot parse holds none
 * here; connecting says what is wrong with it. */
bool pg_conninfo_has_password (const char *conninfo);

void pg_session_test (bool verbose);

#endif
