/*  query_server.h — the analytics daemon's read side: a zactor that owns
 *  the query ROUTER (kpi, series, hotspots: analytics_query.c), a
 *  libmicrohttpd server for the pages of dashboard.c (docs/analytics.md
 *  "Dashboard"; optional), and a store session of its own.
 *
 *  Why an actor. The daemon's main thread consumes the stream: a batch and
 *  its hot-spot judging hold its store session for a few hundred ms under
 *  load, and a query answered on that thread waited behind them
 *  (bench-analytics at 5,000 events/s: kpi p99 in seconds while ingest was
 *  only busy). A pg_session is not thread-safe, so the actor thread has its
 *  own session (read only: it only runs queries), its own copy of the
 *  targets and calendar, and polls the ROUTER, MHD's epoll descriptor
 *  (MHD in external-poll mode: zmq_poll takes plain descriptors) and its
 *  pipe together, so every query and page runs on the actor's thread and
 *  nothing is shared with the main thread but the pipe. Each answered query
 *  goes back up the pipe as ["QUERY", result, microseconds] for the main
 *  thread's metrics.
 *
 *      main thread                      actor thread
 *      -----------                      ------------
 *      query_server_new  ───────►   load targets + calendar, bind MHD,
 *                            ◄───────   signal 0 (or -1: not bound, logged)
 *                                       connect its own store session
 *      SIGHUP: reload, then             zmq_poll (pipe, MHD epoll fd)
 *      query_server_reload ──"RELOAD"─► load again; a refusal keeps the old
 *      zactor_destroy        ──"$TERM"──► stop MHD, close the session
 *
 *  Bounds: at most `connections` connections at once (MHD refuses more),
 *  a request line and headers within 16 KiB (MHD answers 414/431), no
 *  request body (413), only GET and HEAD (405), at most 16 query
 *  parameters of 64 bytes (400), an idle connection dropped after
 *  `timeout_s`, and each statement of a page bounded by the session's
 *  statement_timeout (timeout_s as well): a page answers or fails within
 *  its time.
 *
 *  Interface:
 *      query_server_address   parse "HOST:PORT" (IPv4) or "off"
 *      query_server_new       start (NULL: could not bind, logged)
 *      query_server_reload    re-read the targets and the calendar
 *      zactor_destroy             stop
 */
#ifndef QUERY_SERVER_H_INCLUDED
#define QUERY_SERVER_H_INCLUDED

#include <czmq.h>
#include <netinet/in.h>
#include <stdbool.h>

typedef struct {
    const char *endpoint;               /* the query ROUTER to bind */
    const char *address;                /* HTTP "127.0.0.1:5571", or NULL/"off": none */
    const char *conninfo;               /* the store (--pg), or NULL for the PG* variables */
    const char *name;                   /* instance name: application_name "analytics:NAME-http" */
    const char *targets_path, *calendars_dir;
    int min_cell;                       /* the bulletin's smallest count */
    int connections;                    /* at once */
    int timeout_s;                      /* idle connection, and each statement */
} query_server_config_t;

/* 0 with addr set; 1 for "off" (no server); -1 not HOST:PORT (an IPv4
 * address and a port 1-65535). */
int query_server_address (const char *text, struct sockaddr_in *addr);

zactor_t *query_server_new (const query_server_config_t *config);

/* Ask the actor to load the targets file and its calendar again. */
void query_server_reload (zactor_t *self);

#endif
