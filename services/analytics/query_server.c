/*  query_server.c — the read side's actor (see query_server.h).
 *
 *  One query, whole: [identity][tags...][""][body] on the ROUTER, the body
 *  answered by analytics_query_answer on this thread's session, the reply
 *  sent back with the same envelope; its result and time go up the pipe.
 *
 *  One request, whole: MHD parses the request line and headers (bounded
 *  by the connection's memory limit) and calls s_request on this thread;
 *  we refuse what is not a plain GET, collect the query parameters (MHD
 *  has decoded them), set the session's statement timeout, let dashboard.c
 *  make the page, and hand its buffer to MHD without a copy. A page that
 *  failed on the store (503) rolls the session back, so the next request
 *  starts clean.
 *
 *  The store away. The session is deferred (pg_session_new_deferred): a
 *  query or a page first asks analytics_store_ready, which makes at most
 *  one connection attempt per back-off step and never sleeps, and while
 *  the store cannot be reached each is answered "unavailable" (503) at
 *  once — the loop is never held by an outage, and the analysts' tools
 *  retry.
 *
 *  The response headers say the page loads nothing: a Content-Security-
 *  Policy of default-src 'none' with inline styles only, so even a bug
 *  that let text through unescaped could not fetch or run anything.
 */
#include "query_server.h"
#include "curve.h"
#include "analytics_query.h"
#include "analytics_store.h"
#include "analytics_targets.h"
#include "calendar.h"
#include "dashboard.h"
#include "log.h"
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MEMORY_LIMIT  (16 * 1024)     /* request line + headers, per connection */

typedef struct {
    char *conninfo, *name, *targets_path, *calendars_dir;
    zsock_t *router;
    int min_cell, timeout_s;
    analytics_targets_t *targets;
    calendars_t *calendars;
    const calendar_t *calendar;
    analytics_store_t *store;
    struct MHD_Daemon *httpd;
} s_server_t;

int
query_server_address (const char *text, struct sockaddr_in *addr)
{
    if (!text || strcmp (text, "off") == 0)
        return 1;
    //  common/http_server.h parses; a dashboard needs a real port.
    if (http_address_parse (text, addr) || addr->sin_port == 0)
        return -1;
    return 0;
}

/*  The targets and the calendar they name, all or nothing; the same
 *  files, the same rules as the main thread's load (main.c s_load). A
 *  calendar in another zone is refused: the C library's zone is one per
 *  process (calendar.c sets TZ), so both threads must use the same. */
static int
s_load (s_server_t *self)
{
    conf_error_t err;
    analytics_targets_t *targets = NULL;
    calendars_t *calendars = NULL;
    const calendar_t *calendar = NULL;
    if (analytics_targets_load_with_calendar (self->targets_path, self->calendars_dir,
                                              self->calendar, &targets, &calendars, &calendar,
                                              &err)) {
        char q [300];
        log_error ("http_config_refused", "path=%s line=%d reason=%s", err.file, err.line,
                   log_quote (q, sizeof q, err.reason));
        return -1;
    }
    analytics_targets_destroy (&self->targets);
    calendars_destroy (&self->calendars);
    self->targets = targets;
    self->calendars = calendars;
    self->calendar = calendar;
    return 0;
}

static enum MHD_Result
s_respond (struct MHD_Connection *conn, dashboard_reply_t *reply)
{
    //  MHD frees the body with free () once sent (it came from malloc).
    struct MHD_Response *response = MHD_create_response_from_buffer (reply->size, reply->body,
                                                                     MHD_RESPMEM_MUST_FREE);
    if (!response) {
        dashboard_reply_free (reply);
        return MHD_NO;
    }
    reply->body = NULL;
    MHD_add_response_header (response, "Content-Type", reply->content_type);
    MHD_add_response_header (response, "Cache-Control", "no-store");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'");
    if (reply->status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header (response, "Allow", "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned int) reply->status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_error (struct MHD_Connection *conn, int status, const char *text)
{
    dashboard_reply_t reply = { .status = status, .content_type = "text/plain; charset=utf-8",
                                .body = strdup (text), .size = strlen (text) };
    if (!reply.body)
        return MHD_NO;
    return s_respond (conn, &reply);
}

typedef struct {
    dashboard_param_t params [DASHBOARD_MAX_PARAMS];
    size_t count;                       /* all seen, may exceed the array */
} s_params_t;

static enum MHD_Result
s_collect (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void) kind;
    s_params_t *params = (s_params_t *) cls;
    if (params->count < DASHBOARD_MAX_PARAMS)
        params->params [params->count] = (dashboard_param_t) { key, value };
    params->count++;
    return params->count <= DASHBOARD_MAX_PARAMS ? MHD_YES : MHD_NO;
}

static enum MHD_Result
s_request (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **con_cls)
{
    (void) version;
    (void) upload_data;
    (void) con_cls;
    s_server_t *self = (s_server_t *) cls;
    if (strcmp (method, MHD_HTTP_METHOD_GET) != 0 && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_error (conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                        "method_not_allowed: the pages are read with GET\n");
    //  No body is read: one announced (or sent) is refused at once.
    const char *length = MHD_lookup_connection_value (conn, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_CONTENT_LENGTH);
    if ((length && strcmp (length, "0") != 0) || *upload_data_size > 0
    ||  MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return s_error (conn, MHD_HTTP_CONTENT_TOO_LARGE,
                        "too_large: a GET carries no request body\n");
    s_params_t params = { .count = 0 };
    MHD_get_connection_values (conn, MHD_GET_ARGUMENT_KIND, s_collect, &params);
    int64_t t0 = zclock_usecs ();
    dashboard_reply_t reply;
    if (!analytics_store_ready (self->store)) {
        //  The store is away: say so now, not when it is back.
        return s_error (conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                        "unavailable: the store cannot be reached; retry\n");
    }
    //  Each page's statements are bounded; set per request, so a
    //  reconnected session gets it too.
    char set [64];
    snprintf (set, sizeof set, "SET statement_timeout = %d", self->timeout_s * 1000);
    pg_session_command (analytics_store_session (self->store), "http_timeout", set, 0, NULL);
    dashboard_env_t env = { .store = self->store, .calendar = self->calendar,
                            .targets = self->targets, .min_cell = self->min_cell };
    //  A page that failed on the store leaves no transaction open (a quiet
    //  ROLLBACK, nothing when the link is gone); the next request's
    //  analytics_store_ready reconnects, one attempt per back-off step, so
    //  no request waits out an outage.
    dashboard_render (&env, url, params.params, params.count, &reply);
    if (reply.status == MHD_HTTP_SERVICE_UNAVAILABLE)
        pg_session_rollback (analytics_store_session (self->store));
    char q [200];
    log_info ("http_request", "method=%s path=%s status=%d bytes=%zu ms=%.1f", method,
              log_quote (q, sizeof q, url), reply.status, reply.size,
              (double) (zclock_usecs () - t0) / 1000);
    return s_respond (conn, &reply);
}

/*  Answer every query waiting on the ROUTER: [identity][tags...][""][body]. */
static void
s_answer (s_server_t *self, zsock_t *pipe)
{
    while (zsock_events (self->router) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->router);
        if (!msg)
            return;
        //  The first empty frame after the identity must be the one right
        //  before the body; anything else cannot be addressed back.
        size_t n = zmsg_size (msg), i = 0;
        zframe_t *frame = zmsg_first (msg);
        bool valid = false;
        for (; frame && i + 1 < n; i++, frame = zmsg_next (msg))
            if (i > 0 && zframe_size (frame) == 0) {
                valid = i == n - 2;
                break;
            }
        if (!valid) {
            log_warn ("query_dropped", "reason=no_delimiter frames=%zu", n);
            zmsg_destroy (&msg);
            continue;
        }
        zframe_t *body = zmsg_last (msg);
        msgpack_sbuffer reply;
        msgpack_sbuffer_init (&reply);
        int64_t t0 = zclock_usecs ();
        const char *code;
        //  A key revoked since the peer connected is refused on its next
        //  query (docs/security.md "Revocation"); zauth checked it only
        //  at the handshake.
        curve_peer_t peer;
        curve_peer_read_frame (curve_default (), body, &peer);
        if (!curve_peer_allowed (curve_default (), CURVE_ANALYTICS, &peer)) {
            proto_error_t err = { 0 };
            proto_error_set (&err, PROTO_E_UNAUTHENTICATED, "key", "this client's key (%s) is"
                             " no longer allowed at analytics: it was revoked", peer.name);
            proto_pack_error (&reply, &err);
            code = err.code;
            curve_log_revoked (CURVE_ANALYTICS, &peer);
        }
        else
        if (analytics_store_ready (self->store))
            code = analytics_query_answer (self->store, self->calendar, self->targets,
                                           zframe_data (body), zframe_size (body), &reply);
        else {
            //  The store is away: answer now; the client retries.
            proto_error_t err = { 0 };
            proto_error_set (&err, PROTO_E_UNAVAILABLE, "",
                             "the store cannot be reached; retry");
            proto_pack_error (&reply, &err);
            code = err.code;
        }
        char usecs [24];
        snprintf (usecs, sizeof usecs, "%" PRId64, zclock_usecs () - t0);
        zmsg_remove (msg, body);
        zframe_destroy (&body);
        zmsg_addmem (msg, reply.data, reply.size);
        msgpack_sbuffer_destroy (&reply);
        if (zmsg_send (&msg, self->router))
            zmsg_destroy (&msg);        /* the peer went away */
        zstr_sendx (pipe, "QUERY", code ? code : "ok", usecs, NULL);
    }
}

static void
s_actor (zsock_t *pipe, void *args)
{
    const query_server_config_t *config = (const query_server_config_t *) args;
    //  Copies: the caller's config is gone once we have signalled.
    s_server_t self = {
        .conninfo = config->conninfo ? strdup (config->conninfo) : NULL,
        .name = zsys_sprintf ("%s-query", config->name ? config->name : "analytics"),
        .targets_path = strdup (config->targets_path),
        .calendars_dir = strdup (config->calendars_dir),
        .min_cell = config->min_cell,
        .timeout_s = config->timeout_s,
    };
    self.router = zsock_new (ZMQ_ROUTER);
    zsock_set_maxmsgsize (self.router, PROTO_MAX_MESSAGE);
    zsock_set_linger (self.router, 1000);
    int ok = s_load (&self) == 0;
    //  CURVE (common/curve.h): analysts' and staff's keys in allow/analytics/.
    if (ok && curve_server (curve_default (), self.router, CURVE_ANALYTICS, config->endpoint)) {
        char q [600];
        log_error ("curve_refused", "endpoint=%s reason=%s", config->endpoint,
                   log_quote (q, sizeof q, curve_error (curve_default ())));
        ok = 0;
    }
    if (ok && zsock_bind (self.router, "%s", config->endpoint) < 0) {
        log_error ("bind_failed", "endpoint=%s error=\"%s\"", config->endpoint,
                   zmq_strerror (errno));
        ok = 0;
    }
    struct sockaddr_in addr;
    bool http = ok && query_server_address (config->address, &addr) == 0;
    if (http) {
        //  No MHD_OPTION_LISTENING_ADDRESS_REUSE: its 1 is SO_REUSEPORT, with
        //  which a second daemon binds the same port and the kernel shares
        //  the connections between them. MHD's default is SO_REUSEADDR
        //  only: a restart binds at once, a second instance is refused.
        self.httpd = MHD_start_daemon (MHD_USE_EPOLL, ntohs (addr.sin_port), NULL, NULL,
                                       s_request, &self,
                                       MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                       MHD_OPTION_CONNECTION_LIMIT,
                                       (unsigned int) config->connections,
                                       MHD_OPTION_CONNECTION_TIMEOUT,
                                       (unsigned int) config->timeout_s,
                                       MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                       (size_t) S_MEMORY_LIMIT,
                                       MHD_OPTION_END);
        if (!self.httpd)
            log_error ("http_bind_failed", "address=%s", config->address);
        else
            log_info ("http_listening", "address=%s pages=/,/bulletin connections=%d "
                      "timeout_s=%d min_cell=%d", config->address, config->connections,
                      config->timeout_s, config->min_cell);
    }
    const union MHD_DaemonInfo *info = self.httpd
        ? MHD_get_daemon_info (self.httpd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (http)
        ok = info != NULL;
    //  Twice: zactor_new takes the first (its handshake, whose status it
    //  drops), query_server_new the second: bound or not.
    zsock_signal (pipe, 0);
    zsock_signal (pipe, ok ? 0 : 1);
    config = NULL;
    //  Deferred: connected on the first request (and after each loss) by
    //  analytics_store_ready, so a store that is down never holds the
    //  loop — queries and pages are answered "unavailable" meanwhile.
    if (ok)
        self.store = analytics_store_new_deferred (self.conninfo, self.name);

    while (ok && self.store) {
        MHD_UNSIGNED_LONG_LONG mhd_ms = 0;
        long wait_ms = 1000;
        if (self.httpd && MHD_get_timeout (self.httpd, &mhd_ms) == MHD_YES && mhd_ms < 1000)
            wait_ms = (long) mhd_ms;
        zmq_pollitem_t items [3] = {
            { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 },
            { zsock_resolve (self.router), 0, ZMQ_POLLIN, 0 },
            { NULL, info ? info->epoll_fd : -1, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll (items, info ? 3 : 2, wait_ms) < 0 && errno != EINTR)
            break;
        if (items [0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv (pipe);
            bool stop = !command || streq (command, "$TERM");
            if (command && streq (command, "RELOAD") && s_load (&self) == 0)
                log_info ("http_config_loaded", "targets=%s calendar=%s", self.targets_path,
                          calendar_name (self.calendar));
            zstr_free (&command);
            if (stop)
                break;
        }
        s_answer (&self, pipe);
        if (self.httpd)
            MHD_run (self.httpd);
    }
    //  No session could be made: wait for $TERM (zactor_destroy's).
    if (ok && !self.store) {
        char *command = zstr_recv (pipe);
        zstr_free (&command);
    }
    if (self.httpd)
        MHD_stop_daemon (self.httpd);
    zsock_destroy (&self.router);
    analytics_store_destroy (&self.store);
    analytics_targets_destroy (&self.targets);
    calendars_destroy (&self.calendars);
    free (self.conninfo);
    free (self.name);
    free (self.targets_path);
    free (self.calendars_dir);
}

zactor_t *
query_server_new (const query_server_config_t *config)
{
    assert (config);
    //  zactor_new waits for the actor's first signal; the second says
    //  whether it bound.
    zactor_t *actor = zactor_new (s_actor, (void *) config);
    if (actor && zsock_wait (actor) != 0)
        zactor_destroy (&actor);
    return actor;
}

void
query_server_reload (zactor_t *self)
{
    if (self)
        zstr_send (self, "RELOAD");
}
