/*  lmtp_server.c — LMTP over non-blocking TCP sockets (see lmtp_server.h).
 *
 *  The protocol is lmtp_session's; this file only moves bytes. A
 *  connection is read only while its session wants input (its replies are
 *  written), and written whenever the session has output, so a client that
 *  pipelines without reading is slowed, not buffered without end. Delivery
 *  happens inside lmtp_server_handle, synchronously: the deliver function
 *  stores the message (fsync) and returns the reply, which is queued after
 *  it — the MTA hears 250 only for a message on disk.
 */
#include "lmtp_server.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int fd;                     /* -1: free */
    lmtp_session_t *session;
    int64_t active_at;
} s_conn_t;

struct _lmtp_server_t {
    int listener;               /* -1 once closed */
    int port;
    char *host;
    size_t max_message, max_recipients;
    lmtp_deliver_fn *deliver;
    void *arg;
    s_conn_t conns [LMTP_SERVER_MAX_CONN];
};

static int
s_nonblocking (int fd)
{
    int flags = fcntl (fd, F_GETFL, 0);
    return flags < 0 ? -1 : fcntl (fd, F_SETFL, flags | O_NONBLOCK);
}

lmtp_server_t *
lmtp_server_new (const char *addr, const char *host, size_t max_message, size_t max_recipients,
                 lmtp_deliver_fn *deliver, void *arg, char *err, size_t err_size)
{
    assert (addr && err);
    const char *colon = strrchr (addr, ':');
    char ip [64];
    if (!colon || (size_t) (colon - addr) >= sizeof ip) {
        snprintf (err, err_size, "--lmtp \"%s\": expected HOST:PORT, e.g. 127.0.0.1:2424", addr);
        return NULL;
    }
    memcpy (ip, addr, (size_t) (colon - addr));
    ip [colon - addr] = 0;
    if (streq (ip, "localhost"))
        snprintf (ip, sizeof ip, "127.0.0.1");
    char *end = NULL;
    long port = strtol (colon + 1, &end, 10);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    if (!*(colon + 1) || *end || port < 0 || port > 65535) {
        snprintf (err, err_size, "--lmtp \"%s\": the port must be 0-65535", addr);
        return NULL;
    }
    if (inet_pton (AF_INET, ip, &sa.sin_addr) != 1
    ||  (ntohl (sa.sin_addr.s_addr) >> 24) != 127) {
        snprintf (err, err_size, "--lmtp \"%s\": LMTP has no authentication, so it listens on"
                  " loopback only (127.0.0.0/8 or localhost)", addr);
        return NULL;
    }
    sa.sin_port = htons ((uint16_t) port);
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)
    ||  bind (fd, (struct sockaddr *) &sa, sizeof sa) || listen (fd, 64) || s_nonblocking (fd)) {
        snprintf (err, err_size, "--lmtp %s: cannot listen: %s", addr, strerror (errno));
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    socklen_t len = sizeof sa;
    getsockname (fd, (struct sockaddr *) &sa, &len);
    lmtp_server_t *self = (lmtp_server_t *) zmalloc (sizeof *self);
    self->listener = fd;
    self->port = ntohs (sa.sin_port);
    self->host = strdup (host ? host : "localhost");
    self->max_message = max_message;
    self->max_recipients = max_recipients;
    self->deliver = deliver;
    self->arg = arg;
    for (int i = 0; i < LMTP_SERVER_MAX_CONN; i++)
        self->conns [i].fd = -1;
    return self;
}

static void
s_conn_close (s_conn_t *conn)
{
    if (conn->fd >= 0)
        close (conn->fd);
    conn->fd = -1;
    lmtp_session_destroy (&conn->session);
}

void
lmtp_server_destroy (lmtp_server_t **self_p)
{
    assert (self_p);
    lmtp_server_t *self = *self_p;
    if (!self)
        return;
    lmtp_server_close_listener (self);
    for (int i = 0; i < LMTP_SERVER_MAX_CONN; i++)
        s_conn_close (&self->conns [i]);
    free (self->host);
    free (self);
    *self_p = NULL;
}

void
lmtp_server_close_listener (lmtp_server_t *self)
{
    assert (self);
    if (self->listener >= 0)
        close (self->listener);
    self->listener = -1;
    //  Sessions between transactions are told and closed; one in the middle
    //  of a message is let finish (the daemon waits up to its drain time).
    const char *bye = "421 4.3.2 shutting down; try again later\r\n";
    for (int i = 0; i < LMTP_SERVER_MAX_CONN; i++) {
        s_conn_t *c = &self->conns [i];
        if (c->fd >= 0 && !lmtp_session_busy (c->session)) {
            if (write (c->fd, bye, strlen (bye)) < 0)
                log_debug ("lmtp_write_failed", "errno=%d", errno);
            s_conn_close (c);
        }
    }
}

int
lmtp_server_port (lmtp_server_t *self)
{
    assert (self);
    return self->port;
}

size_t
lmtp_server_connections (lmtp_server_t *self)
{
    assert (self);
    size_t n = 0;
    for (int i = 0; i < LMTP_SERVER_MAX_CONN; i++)
        n += self->conns [i].fd >= 0;
    return n;
}

int
lmtp_server_items (lmtp_server_t *self, zmq_pollitem_t *items, int max)
{
    assert (self);
    int n = 0;
    //  Idle connections send nothing that would wake their handling: closed here.
    int64_t now = zclock_mono ();
    for (int i = 0; i < LMTP_SERVER_MAX_CONN; i++)
        if (self->conns [i].fd >= 0 && now - self->conns [i].active_at > LMTP_SERVER_IDLE_MS)
            s_conn_close (&self->conns [i]);
    if (self->listener >= 0 && n < max)
        items [n++] = (zmq_pollitem_t) { NULL, self->listener, ZMQ_POLLIN, 0 };
    for (int i = 0; i < LMTP_SERVER_MAX_CONN && n < max; i++) {
        s_conn_t *c = &self->conns [i];
        if (c->fd < 0)
            continue;
        size_t out = 0;
        lmtp_session_output (c->session, &out);
        short events = (short) ((lmtp_session_wants_input (c->session) ? ZMQ_POLLIN : 0)
                              | (out ? ZMQ_POLLOUT : 0));
        items [n++] = (zmq_pollitem_t) { NULL, c->fd, events, 0 };
    }
    return n;
}

static void
s_accept (lmtp_server_t *self)
{
    int fd = accept4 (self->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    for (int i = 0; i < LMTP_SERVER_MAX_CONN; i++)
        if (self->conns [i].fd < 0) {
            self->conns [i].fd = fd;
            self->conns [i].session = lmtp_session_new (self->host, self->max_message,
                                                        self->max_recipients, self->deliver,
                                                        self->arg);
            self->conns [i].active_at = zclock_mono ();
            return;
        }
    const char *busy = "421 4.3.2 too many connections; try again later\r\n";
    if (write (fd, busy, strlen (busy)) < 0)
        log_debug ("lmtp_write_failed", "errno=%d", errno);
    close (fd);
    log_warn ("lmtp_refused", "reason=too_many_connections max=%d", LMTP_SERVER_MAX_CONN);
}

/* Write what the session has; false when the connection is done with. */
static bool
s_flush (s_conn_t *c)
{
    size_t size;
    const char *out = lmtp_session_output (c->session, &size);
    while (size) {
        ssize_t n = write (c->fd, out, size);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        lmtp_session_consumed (c->session, (size_t) n);
        out = lmtp_session_output (c->session, &size);
    }
    return !lmtp_session_closed (c->session);
}

static int
s_conn_of (lmtp_server_t *self, int fd)
{
    for (int i = 0; i < LMTP_SERVER_MAX_CONN; i++)
        if (self->conns [i].fd == fd)
            return i;
    return -1;
}

void
lmtp_server_handle (lmtp_server_t *self, zmq_pollitem_t *items, int n)
{
    assert (self);
    int64_t now = zclock_mono ();
    for (int k = 0; k < n; k++) {
        if (self->listener >= 0 && items [k].fd == self->listener) {
            if (items [k].revents & ZMQ_POLLIN)
                s_accept (self);
            continue;
        }
        int i = s_conn_of (self, items [k].fd);
        if (i < 0)
            continue;
        s_conn_t *c = &self->conns [i];
        bool alive = true;
        if (items [k].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
            char buf [16 * 1024];
            ssize_t got = read (c->fd, buf, sizeof buf);
            if (got > 0) {
                c->active_at = now;
                lmtp_session_feed (c->session, buf, (size_t) got);
            }
            else
            if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                alive = false;
        }
        if (alive)
            alive = s_flush (c);
        if (!alive)
            s_conn_close (c);
    }
}
