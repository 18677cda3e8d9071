/*  http_server.h — an HTTP/1.1 listener for a daemon's own loop
 *  (libmicrohttpd), with the limits a public endpoint needs: the web
 *  adapter's API and form, the hotline's agent desk (issue 14).
 *
 *  One thread. The MHD daemon runs without a thread of its own: its epoll
 *  descriptor is polled by the caller's loop (http_server_attach puts it
 *  in a zloop with a timer for idle connections), so a handler runs on
 *  the loop's thread beside the daemon's sockets and needs no lock.
 *
 *  One request, whole. The handler is called once per request, after its
 *  body has arrived (bounded by max_body: a larger body, announced or
 *  sent, is not read further and the handler is called at once with
 *  http_request_too_large true, to answer 413 in its own format). The
 *  handler answers with http_request_reply — at once, or later: a request
 *  not answered when the handler returns is suspended (it costs no
 *  polling) until http_request_reply is called from the same thread,
 *  e.g. when intake's answer comes. Every request must be answered
 *  exactly once; the request object is valid until then, and not after.
 *
 *  Limits: connections in all and per client address, an idle timeout,
 *  memory per connection (request line and headers: a longer header
 *  section is refused by MHD with 431/413), the body size above.
 *
 *  The client's address: the peer's IP, or — with trust_forwarded, for a
 *  server behind the bank's TLS reverse proxy on the same host — the last
 *  address of X-Forwarded-For when the peer is loopback (the proxy
 *  appends the address it saw; what the client wrote before it is not
 *  believed).
 *
 *  Clean stop: http_server_destroy answers every suspended request 503
 *  ("shutting down"), lets MHD send those answers, then closes the
 *  listener and every connection.
 *
 *  Interface:
 *      http_server_new / _destroy     listen on ADDRESS ("127.0.0.1:8080"; port 0: any)
 *      http_address_parse             "IPv4:PORT" into a sockaddr_in
 *      http_server_attach             poll it from a zloop
 *      http_server_run                one non-blocking turn (for another loop)
 *      http_server_fd                 its descriptor (readable: call _run)
 *      http_server_port               the port bound
 *      http_server_pending            requests waiting for an answer
 *      http_request_method, _path, _header, _query, _cookie, _client,
 *      http_request_body, _body_size, _too_large
 *      http_request_add_header        a response header (before the reply)
 *      http_request_reply             answer (copies the body)
 *      http_server_test
 */
#ifndef HTTP_SERVER_H_INCLUDED
#define HTTP_SERVER_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _http_server_t http_server_t;
typedef struct _http_request_t http_request_t;

typedef struct {
    size_t max_body;                /* bytes of a request body (default 256 KiB) */
    unsigned max_connections;       /* at once, in all (default 256) */
    unsigned per_client;            /* at once, per client IP (default 16) */
    unsigned timeout_s;             /* idle connection closed after (default 15) */
    size_t memory_limit;            /* per connection: request line + headers (default 32 KiB) */
    bool trust_forwarded;           /* X-Forwarded-For from a loopback proxy (above) */
} http_limits_t;

/* Called once per request, on the loop's thread; must lead to exactly one
 * http_request_reply, now or later. */
typedef void (http_handler_fn) (void *arg, http_request_t *request);

/* "IPv4:PORT" (port 0..65535) into addr; 0, or -1 for anything else. */
struct sockaddr_in;
int http_address_parse (const char *text, struct sockaddr_in *addr);

/* Limits with 0 fields take the defaults. NULL with the reason in err (a
 * bad address, the port in use). */
http_server_t *http_server_new (const char *address, const http_limits_t *limits,
                                http_handler_fn *handler, void *arg,
                                char *err, size_t err_size);
void http_server_destroy (http_server_t **self_p);

/* Poll the server from the loop (a reader on its descriptor and a timer of
 * one second for idle connections). 0 or -1. */
int http_server_attach (http_server_t *self, zloop_t *loop);
/* One turn without blocking: accept, read, call handlers, write. */
void http_server_run (http_server_t *self);
int http_server_fd (http_server_t *self);
int http_server_port (http_server_t *self);
size_t http_server_pending (http_server_t *self);

/* "GET", "POST" ...; the path without the query string (decoded by MHD). */
const char *http_request_method (http_request_t *self);
const char *http_request_path (http_request_t *self);
/* A request header, query parameter or cookie by name, or NULL. */
const char *http_request_header (http_request_t *self, const char *name);
const char *http_request_query (http_request_t *self, const char *name);
const char *http_request_cookie (http_request_t *self, const char *name);
/* The client's address (see above), "unknown" when none. */
const char *http_request_client (http_request_t *self);
/* The body, NUL-terminated after its bytes (it may hold NULs itself). */
const char *http_request_body (http_request_t *self);
size_t http_request_body_size (http_request_t *self);
/* The body was over max_body (and was not read). */
bool http_request_too_large (http_request_t *self);

/* A header for the response (before the reply; at most 16). 0 or -1. */
int http_request_add_header (http_request_t *self, const char *name, const char *value);
/* Answer: the status, the Content-Type, the body (copied). Every answer
 * also carries Cache-Control: no-store and X-Content-Type-Options:
 * nosniff. The request object is gone afterwards. */
void http_request_reply (http_request_t *self, int status, const char *content_type,
                         const void *body, size_t size);

void http_server_test (bool verbose);

#endif
