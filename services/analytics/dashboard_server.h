/*  dashboard_server.h — the analytics daemon's HTTP side: a zactor that
 *  owns a libmicrohttpd server and a store session of its own, and serves
 *  the pages of dashboard.c (docs/analytics.md "Dashboard").
 *
 *  Why an actor. The daemon's main thread consumes the stream and answers
 *  the ROUTER with its store session; a pg_session is not thread-safe, and
 *  a slow page must never hold up ingest. So the actor thread has its own
 *  session (read only: it only runs queries), its own copy of the targets
 *  and calendar, and drives MHD itself: MHD runs in external-poll mode
 *  with epoll, and the actor polls MHD's epoll descriptor and its pipe
 *  together (zmq_poll takes plain descriptors), so every handler runs on
 *  the actor's thread and nothing is shared with the main thread but the
 *  pipe.
 *
 *      main thread                      actor thread
 *      -----------                      ------------
 *      dashboard_server_new  ───────►   load targets + calendar, bind MHD,
 *                            ◄───────   signal 0 (or -1: not bound, logged)
 *                                       connect its own store session
 *      SIGHUP: reload, then             zmq_poll (pipe, MHD epoll fd)
 *      dashboard_server_reload ──"RELOAD"─► load again; a refusal keeps the old
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
 *      dashboard_server_address   parse "HOST:PORT" (IPv4) or "off"
 *      dashboard_server_new       start (NULL: could not start, logged)
 *      dashboard_server_reload    re-read the targets and the calendar
 *      zactor_destroy             stop
 */
#ifndef DASHBOARD_SERVER_H_INCLUDED
#define DASHBOARD_SERVER_H_INCLUDED

#include <czmq.h>
#include <netinet/in.h>
#include <stdbool.h>

typedef struct {
    const char *address;                /* "127.0.0.1:5571" */
    const char *conninfo;               /* the store (--pg), or NULL for the PG* variables */
    const char *name;                   /* instance name: application_name "analytics:NAME-http" */
    const char *targets_path, *calendars_dir;
    int min_cell;                       /* the bulletin's smallest count */
    int connections;                    /* at once */
    int timeout_s;                      /* idle connection, and each statement */
} dashboard_server_config_t;

/* 0 with addr set; 1 for "off" (no server); -1 not HOST:PORT (an IPv4
 * address and a port 1-65535). */
int dashboard_server_address (const char *text, struct sockaddr_in *addr);

zactor_t *dashboard_server_new (const dashboard_server_config_t *config);

/* Ask the actor to load the targets file and its calendar again. */
void dashboard_server_reload (zactor_t *self);

#endif
