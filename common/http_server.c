/*  http_server.c — an HTTP/1.1 listener for a daemon's own loop (see
 *  http_server.h).
 *
 *  libmicrohttpd in "external epoll" mode: MHD_USE_EPOLL without an
 *  internal thread, its one epoll descriptor polled by our loop, MHD_run
 *  when it is readable. MHD_ALLOW_SUSPEND_RESUME turns on MHD's
 *  inter-thread channel inside that epoll set, so a resumed connection
 *  makes the descriptor readable and the loop turns by itself.
 *
 *  MHD calls the access handler several times per request: first with
 *  the headers only (we make our request object then, and refuse an
 *  announced body over the limit at once — MHD 0.9.75 takes a response
 *  only then or after the whole body), then once per piece of body, then
 *  once with none left (the request is complete: the handler runs). A
 *  body that grows over the limit without announcing it (chunked) is
 *  thrown away as it comes and the handler runs at the end with
 *  too_large: we never hold more than max_body of it.
 *
 *  A request the handler did not answer is suspended; http_request_reply
 *  later stores the answer and resumes it, and MHD calls the access
 *  handler once more, which queues the stored answer. The object lives
 *  until MHD says the request is complete (NOTIFY_COMPLETED).
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define S_MAX_HEADERS 16

typedef enum { S_READING, S_HANDLING, S_SUSPENDED, S_ANSWERED } s_state_t;

struct _http_request_t {
    http_server_t *server;
    struct MHD_Connection *conn;
    s_state_t state;
    char *method, *path;
    char client [INET6_ADDRSTRLEN];
    char *body;
    size_t body_size;
    bool too_large;
    void *handle;                       /* in server->pending while suspended */
    int status;                         /* the answer, once given */
    char *content_type;
    char *reply;
    size_t reply_size;
    char *headers [S_MAX_HEADERS][2];
    int header_count;
};

struct _http_server_t {
    struct MHD_Daemon *httpd;
    http_limits_t limits;
    http_handler_fn *handler;
    void *arg;
    zlistx_t *pending;                  /* suspended requests */
    zloop_t *loop;
    int timer_id;
    int port;
    int fd;
};

static void
s_request_free (http_request_t *req)
{
    free (req->method);
    free (req->path);
    free (req->body);
    free (req->content_type);
    free (req->reply);
    for (int i = 0; i < req->header_count; i++) {
        free (req->headers [i][0]);
        free (req->headers [i][1]);
    }
    free (req);
}

/* The peer's IP, or the proxy's word for it (see the header). */
static void
s_client (http_server_t *self, http_request_t *req)
{
    snprintf (req->client, sizeof req->client, "unknown");
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    bool loopback = false;
    if (info && info->client_addr) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *) sa;
            inet_ntop (AF_INET, &in->sin_addr, req->client, sizeof req->client);
            loopback = (ntohl (in->sin_addr.s_addr) >> 24) == 127;
        }
        else
        if (sa->sa_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;
            inet_ntop (AF_INET6, &in6->sin6_addr, req->client, sizeof req->client);
            loopback = IN6_IS_ADDR_LOOPBACK (&in6->sin6_addr);
        }
    }
    if (!self->limits.trust_forwarded || !loopback)
        return;
    const char *xff = MHD_lookup_connection_value (req->conn, MHD_HEADER_KIND,
                                                   "X-Forwarded-For");
    if (!xff)
        return;
    const char *last = strrchr (xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ' || *last == '\t')
        last++;
    char text [INET6_ADDRSTRLEN];
    size_t len = strcspn (last, " \t");
    if (len == 0 || len >= sizeof text)
        return;
    memcpy (text, last, len);
    text [len] = 0;
    unsigned char bin [sizeof (struct in6_addr)];
    if (inet_pton (AF_INET, text, bin) == 1 || inet_pton (AF_INET6, text, bin) == 1)
        snprintf (req->client, sizeof req->client, "%s", text);
}

static enum MHD_Result
s_queue (http_request_t *req)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer (req->reply_size, req->reply, MHD_RESPMEM_MUST_FREE);
    if (!response)
        return MHD_NO;
    req->reply = NULL;                  /* MHD frees it */
    MHD_add_response_header (response, "Content-Type", req->content_type);
    MHD_add_response_header (response, "Cache-Control", "no-store");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    for (int i = 0; i < req->header_count; i++)
        MHD_add_response_header (response, req->headers [i][0], req->headers [i][1]);
    enum MHD_Result rc = MHD_queue_response (req->conn, (unsigned int) req->status, response);
    MHD_destroy_response (response);
    return rc;
}

/* Run the handler; queue its answer, or suspend until it comes. */
static enum MHD_Result
s_dispatch (http_server_t *self, http_request_t *req)
{
    req->state = S_HANDLING;
    self->handler (self->arg, req);
    if (req->state == S_ANSWERED)
        return s_queue (req);
    req->state = S_SUSPENDED;
    req->handle = zlistx_add_end (self->pending, req);
    MHD_suspend_connection (req->conn);
    return MHD_YES;
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size,
          void **con_cls)
{
    (void) version;
    http_server_t *self = (http_server_t *) cls;
    http_request_t *req = (http_request_t *) *con_cls;
    if (!req) {
        req = calloc (1, sizeof *req);
        if (!req)
            return MHD_NO;
        req->server = self;
        req->conn = conn;
        req->method = strdup (method);
        req->path = strdup (url);
        req->body = malloc (1);
        if (!req->method || !req->path || !req->body) {
            s_request_free (req);
            return MHD_NO;
        }
        req->body [0] = 0;
        *con_cls = req;
        s_client (self, req);
        const char *length = MHD_lookup_connection_value (conn, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length) {
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull (length, &end, 10);
            if (errno || end == length || n > self->limits.max_body) {
                req->too_large = true;
                return s_dispatch (self, req);     /* before a byte of it is read */
            }
        }
        return MHD_YES;
    }
    if (req->state == S_ANSWERED)       /* resumed with its answer */
        return s_queue (req);
    if (req->state != S_READING)        /* suspended: nothing to do yet */
        return MHD_YES;
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->too_large || req->body_size + n > self->limits.max_body) {
            req->too_large = true;      /* thrown away as it comes */
            return MHD_YES;
        }
        char *grown = realloc (req->body, req->body_size + n + 1);
        if (!grown)
            return MHD_NO;
        req->body = grown;
        memcpy (req->body + req->body_size, upload_data, n);
        req->body_size += n;
        req->body [req->body_size] = 0;
        return MHD_YES;
    }
    return s_dispatch (self, req);
}

static void
s_completed (void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode code)
{
    (void) cls;
    (void) conn;
    (void) code;
    http_request_t *req = (http_request_t *) *con_cls;
    if (!req)
        return;
    //  Never while suspended: destroy answers every suspended request
    //  before it stops MHD.
    assert (req->state != S_SUSPENDED);
    s_request_free (req);
    *con_cls = NULL;
}

int
http_address_parse (const char *text, struct sockaddr_in *addr)
{
    const char *colon = text ? strrchr (text, ':') : NULL;
    if (!colon || colon == text || colon - text > 15)
        return -1;
    char host [16];
    memcpy (host, text, (size_t) (colon - text));
    host [colon - text] = 0;
    char *end = NULL;
    errno = 0;
    long port = strtol (colon + 1, &end, 10);
    if (errno || !colon [1] || *end || port < 0 || port > 65535)
        return -1;
    memset (addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons ((uint16_t) port);
    return inet_pton (AF_INET, host, &addr->sin_addr) == 1 ? 0 : -1;
}

http_server_t *
http_server_new (const char *address, const http_limits_t *limits, http_handler_fn *handler,
                 void *arg, char *err, size_t err_size)
{
    assert (handler);
    struct sockaddr_in addr;
    if (http_address_parse (address, &addr)) {
        snprintf (err, err_size, "the address \"%s\" is not IPv4:PORT", address ? address : "");
        return NULL;
    }
    http_server_t *self = calloc (1, sizeof *self);
    assert (self);
    if (limits)
        self->limits = *limits;
    if (!self->limits.max_body)
        self->limits.max_body = 256 * 1024;
    if (!self->limits.max_connections)
        self->limits.max_connections = 256;
    if (!self->limits.per_client)
        self->limits.per_client = 16;
    if (!self->limits.timeout_s)
        self->limits.timeout_s = 15;
    if (!self->limits.memory_limit)
        self->limits.memory_limit = 32 * 1024;
    self->handler = handler;
    self->arg = arg;
    self->pending = zlistx_new ();
    self->timer_id = -1;
    //  Behind a proxy every connection is the proxy's: a per-address
    //  connection limit would then be one limit for every customer.
    unsigned per_ip = self->limits.trust_forwarded ? 0 : self->limits.per_client;
    self->httpd = MHD_start_daemon (MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
                                    s_access, self,
                                    MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int) 1,
                                    MHD_OPTION_CONNECTION_LIMIT,
                                    (unsigned int) self->limits.max_connections,
                                    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
                                    MHD_OPTION_CONNECTION_TIMEOUT,
                                    (unsigned int) self->limits.timeout_s,
                                    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                    self->limits.memory_limit,
                                    MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
                                    MHD_OPTION_END);
    if (!self->httpd) {
        snprintf (err, err_size, "cannot listen on %s: %s", address, strerror (errno));
        zlistx_destroy (&self->pending);
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->httpd,
                                                            MHD_DAEMON_INFO_EPOLL_FD);
    self->fd = info ? info->epoll_fd : -1;
    info = MHD_get_daemon_info (self->httpd, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_in bound;
    socklen_t len = sizeof bound;
    if (info && getsockname (info->listen_fd, (struct sockaddr *) &bound, &len) == 0)
        self->port = ntohs (bound.sin_port);
    return self;
}

void
http_server_run (http_server_t *self)
{
    assert (self);
    //  MHD keeps connections that still have bytes to read or write on a
    //  list of its own (edge-triggered epoll) and says so with a timeout
    //  of 0: turn again, a bounded number of times, before going back to
    //  the poll.
    for (int turn = 0; turn < 64; turn++) {
        MHD_run (self->httpd);
        MHD_UNSIGNED_LONG_LONG timeout = 0;
        if (MHD_get_timeout (self->httpd, &timeout) != MHD_YES || timeout > 0)
            break;
    }
}

static int
s_on_ready (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    http_server_run ((http_server_t *) arg);
    return 0;
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    http_server_run ((http_server_t *) arg);
    return 0;
}

int
http_server_attach (http_server_t *self, zloop_t *loop)
{
    assert (self && loop && !self->loop);
    zmq_pollitem_t item = { NULL, self->fd, ZMQ_POLLIN, 0 };
    if (zloop_poller (loop, &item, s_on_ready, self))
        return -1;
    self->timer_id = zloop_timer (loop, 250, 0, s_on_timer, self);
    if (self->timer_id < 0) {
        zloop_poller_end (loop, &item);
        return -1;
    }
    self->loop = loop;
    return 0;
}

int
http_server_fd (http_server_t *self)
{
    assert (self);
    return self->fd;
}

int
http_server_port (http_server_t *self)
{
    assert (self);
    return self->port;
}

size_t
http_server_pending (http_server_t *self)
{
    assert (self);
    return zlistx_size (self->pending);
}

void
http_server_destroy (http_server_t **self_p)
{
    assert (self_p);
    http_server_t *self = *self_p;
    if (!self)
        return;
    if (self->loop) {
        zmq_pollitem_t item = { NULL, self->fd, ZMQ_POLLIN, 0 };
        zloop_poller_end (self->loop, &item);
        zloop_timer_end (self->loop, self->timer_id);
    }
    static const char busy [] = "{\"error\":{\"code\":\"unavailable\",\"field\":\"\","
                                "\"message\":\"the server is shutting down; retry\"}}\n";
    http_request_t *req;
    while ((req = zlistx_first (self->pending)))
        http_request_reply (req, 503, "application/json", busy, strlen (busy));
    //  Let MHD write those answers (bounded: a client that reads nothing
    //  is cut off when MHD stops).
    MHD_quiesce_daemon (self->httpd);
    for (int i = 0; i < 20; i++) {
        http_server_run (self);
        zclock_sleep (5);
    }
    MHD_stop_daemon (self->httpd);
    zlistx_destroy (&self->pending);
    free (self);
    *self_p = NULL;
}

const char *
http_request_method (http_request_t *self)
{
    assert (self);
    return self->method;
}

const char *
http_request_path (http_request_t *self)
{
    assert (self);
    return self->path;
}

const char *
http_request_header (http_request_t *self, const char *name)
{
    assert (self && name);
    return MHD_lookup_connection_value (self->conn, MHD_HEADER_KIND, name);
}

const char *
http_request_query (http_request_t *self, const char *name)
{
    assert (self && name);
    return MHD_lookup_connection_value (self->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_request_cookie (http_request_t *self, const char *name)
{
    assert (self && name);
    return MHD_lookup_connection_value (self->conn, MHD_COOKIE_KIND, name);
}

const char *
http_request_client (http_request_t *self)
{
    assert (self);
    return self->client;
}

const char *
http_request_body (http_request_t *self)
{
    assert (self);
    return self->body;
}

size_t
http_request_body_size (http_request_t *self)
{
    assert (self);
    return self->body_size;
}

bool
http_request_too_large (http_request_t *self)
{
    assert (self);
    return self->too_large;
}

int
http_request_add_header (http_request_t *self, const char *name, const char *value)
{
    assert (self && name && value);
    if (self->header_count >= S_MAX_HEADERS || self->state == S_ANSWERED)
        return -1;
    char *n = strdup (name), *v = strdup (value);
    if (!n || !v) {
        free (n);
        free (v);
        return -1;
    }
    self->headers [self->header_count][0] = n;
    self->headers [self->header_count][1] = v;
    self->header_count++;
    return 0;
}

void
http_request_reply (http_request_t *self, int status, const char *content_type,
                    const void *body, size_t size)
{
    assert (self && content_type);
    assert (self->state == S_HANDLING || self->state == S_SUSPENDED);
    self->status = status;
    self->content_type = strdup (content_type);
    self->reply = malloc (size ? size : 1);
    if (self->content_type && self->reply) {
        if (size)
            memcpy (self->reply, body, size);
        self->reply_size = size;
    }
    else {                              /* out of memory: an empty 500 */
        self->status = 500;
        self->reply_size = 0;
        if (!self->content_type)
            self->content_type = strdup ("text/plain");
    }
    bool suspended = self->state == S_SUSPENDED;
    self->state = S_ANSWERED;
    if (suspended) {
        zlistx_delete (self->server->pending, self->handle);
        self->handle = NULL;
        MHD_resume_connection (self->conn);
    }
}

#include "selftest.h"

//  --------------------------------------------------------------------------
//  Self-test: a server on a free loopback port, a client thread speaking
//  raw HTTP over a socket, the main thread turning the server.

#include <pthread.h>
#include <unistd.h>

typedef struct {
    int port;
    int done;
    char answers [8][1024];
} s_client_t;

static http_request_t *s_deferred;

static void
s_test_handler (void *arg, http_request_t *req)
{
    (void) arg;
    const char *path = http_request_path (req);
    char text [512];
    if (http_request_too_large (req)) {
        snprintf (text, sizeof text, "too large");
        http_request_reply (req, 413, "text/plain", text, strlen (text));
    }
    else
    if (streq (path, "/later")) {
        s_deferred = req;               /* answered by the loop below */
    }
    else {
        const char *q = http_request_query (req, "q");
        const char *h = http_request_header (req, "X-Test");
        const char *c = http_request_cookie (req, "sid");
        snprintf (text, sizeof text, "%s %s q=%s h=%s c=%s body=%zu:%s client=%s",
                  http_request_method (req), path, q ? q : "-", h ? h : "-", c ? c : "-",
                  http_request_body_size (req), http_request_body (req),
                  http_request_client (req));
        http_request_add_header (req, "X-Answer", "yes");
        http_request_reply (req, 200, "text/plain", text, strlen (text));
    }
}

static void
s_exchange (int port, const char *request, size_t size, char *answer, size_t answer_size)
{
    answer [0] = 0;
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0) {
        size_t sent = 0;
        while (sent < size) {
            ssize_t n = send (fd, request + sent, size - sent, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            sent += (size_t) n;
        }
        size_t got = 0;
        ssize_t n;
        while (got + 1 < answer_size && (n = recv (fd, answer + got, answer_size - 1 - got, 0)) > 0)
            got += (size_t) n;
        answer [got] = 0;
    }
    close (fd);
}

static void *
s_client_thread (void *arg)
{
    s_client_t *c = (s_client_t *) arg;
    const char *get = "GET /echo?q=%E4%B8%AD HTTP/1.1\r\nHost: x\r\nX-Test: t1\r\n"
                      "Cookie: sid=abc\r\nX-Forwarded-For: 10.9.9.9\r\nConnection: close\r\n\r\n";
    s_exchange (c->port, get, strlen (get), c->answers [0], sizeof c->answers [0]);
    const char *post = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                       "Connection: close\r\n\r\nhello";
    s_exchange (c->port, post, strlen (post), c->answers [1], sizeof c->answers [1]);
    const char *big = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                      "Connection: close\r\n\r\n";
    s_exchange (c->port, big, strlen (big), c->answers [2], sizeof c->answers [2]);
    //  chunked, over the limit of 64 without announcing it
    char chunked [512];
    int len = snprintf (chunked, sizeof chunked, "POST /echo HTTP/1.1\r\nHost: x\r\n"
                        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                        "28\r\n%040d\r\n28\r\n%040d\r\n0\r\n\r\n", 0, 0);
    s_exchange (c->port, chunked, (size_t) len, c->answers [3], sizeof c->answers [3]);
    const char *later = "GET /later HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    s_exchange (c->port, later, strlen (later), c->answers [4], sizeof c->answers [4]);
    //  one left waiting when the server stops
    s_exchange (c->port, later, strlen (later), c->answers [5], sizeof c->answers [5]);
    __atomic_store_n (&c->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

void
http_server_test (bool verbose)
{
    printf (" * http_server: ");
    char err [256];
    assert (!http_server_new ("nowhere", NULL, s_test_handler, NULL, err, sizeof err));
    assert (strstr (err, "IPv4:PORT"));
    http_limits_t limits = { .max_body = 64 };
    http_server_t *server = http_server_new ("127.0.0.1:0", &limits, s_test_handler, NULL,
                                             err, sizeof err);
    assert (server);
    assert (http_server_port (server) > 0 && http_server_fd (server) >= 0);
    s_client_t client = { .port = http_server_port (server) };
    pthread_t thread;
    assert (pthread_create (&thread, NULL, s_client_thread, &client) == 0);
    int64_t deadline = zclock_mono () + 10000;
    int deferred_seen = 0;
    while (zclock_mono () < deadline) {
        zmq_pollitem_t item = { NULL, http_server_fd (server), ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 20);
        http_server_run (server);
        if (s_deferred && deferred_seen == 0) {
            //  Answered after the handler returned, from the loop.
            assert (http_server_pending (server) == 1);
            http_request_reply (s_deferred, 202, "text/plain", "later", 5);
            s_deferred = NULL;
            deferred_seen = 1;
        }
        if (s_deferred && deferred_seen == 1)
            break;                      /* the second stays for destroy */
    }
    assert (http_server_pending (server) == 1);
    http_server_destroy (&server);      /* answers the one left waiting */
    s_deferred = NULL;
    http_server_destroy (&server);
    assert (server == NULL);
    pthread_join (thread, NULL);
    (void) verbose;
    assert (strstr (client.answers [0], "HTTP/1.1 200"));
    assert (strstr (client.answers [0], "GET /echo q=\xe4\xb8\xad h=t1 c=abc body=0: "
                                        "client=127.0.0.1"));   /* X-Forwarded-For not trusted */
    assert (strstr (client.answers [0], "X-Answer: yes"));
    assert (strstr (client.answers [0], "Cache-Control: no-store"));
    assert (strstr (client.answers [1], "body=5:hello"));
    assert (strstr (client.answers [2], "HTTP/1.1 413"));
    assert (strstr (client.answers [3], "HTTP/1.1 413"));
    assert (strstr (client.answers [4], "HTTP/1.1 202") && strstr (client.answers [4], "later"));
    assert (strstr (client.answers [5], "HTTP/1.1 503") && strstr (client.answers [5], "shutting"));

    //  Behind a proxy: the proxy's last X-Forwarded-For address is the client.
    limits.trust_forwarded = true;
    server = http_server_new ("127.0.0.1:0", &limits, s_test_handler, NULL, err, sizeof err);
    assert (server);
    s_client_t second = { .port = http_server_port (server) };
    pthread_t thread2;
    //  Only the first exchange matters; run the thread, stop at its first answer.
    assert (pthread_create (&thread2, NULL, s_client_thread, &second) == 0);
    deadline = zclock_mono () + 10000;
    while (zclock_mono () < deadline && !__atomic_load_n (&second.done, __ATOMIC_SEQ_CST)) {
        zmq_pollitem_t item = { NULL, http_server_fd (server), ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 20);
        http_server_run (server);
        if (s_deferred) {
            http_request_reply (s_deferred, 202, "text/plain", "later", 5);
            s_deferred = NULL;
        }
    }
    pthread_join (thread2, NULL);
    http_server_destroy (&server);
    assert (strstr (second.answers [0], "client=10.9.9.9"));
    printf ("OK\n");
}
