/*  lmtp_server.h — the LMTP listener on loopback: non-blocking sockets the
 *  daemon's one poll loop watches beside intake's, each connection an
 *  lmtp_session (lmtp_session.h), so a slow MTA never holds up the spool.
 *
 *  Loopback only (127.0.0.0/8 or localhost): LMTP carries no
 *  authentication, so only an MTA on this host may deliver. At most
 *  LMTP_SERVER_MAX_CONN connections (one more is told 421 and closed); a
 *  connection idle for LMTP_SERVER_IDLE_MS is closed.
 *
 *  Interface:
 *      lmtp_server_new / lmtp_server_destroy
 *      lmtp_server_items      poll items for the listener and connections
 *      lmtp_server_handle     after the poll: accept, read, write
 *      lmtp_server_close_listener    SIGTERM: no new connections, and
 *                                    idle ones closed (421)
 *      lmtp_server_connections, lmtp_server_port
 */
#ifndef LMTP_SERVER_H_INCLUDED
#define LMTP_SERVER_H_INCLUDED

#include "lmtp_session.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

#define LMTP_SERVER_MAX_CONN   16
#define LMTP_SERVER_IDLE_MS    (5 * 60 * 1000)

typedef struct _lmtp_server_t lmtp_server_t;

/* addr: "127.0.0.1:PORT" or "localhost:PORT" (PORT 0: any free port).
 * NULL with the reason in err (not loopback, cannot bind). */
lmtp_server_t *lmtp_server_new (const char *addr, const char *host, size_t max_message,
                                size_t max_recipients, lmtp_deliver_fn *deliver, void *arg,
                                char *err, size_t err_size);
void lmtp_server_destroy (lmtp_server_t **self_p);

/* Fill up to max items; returns how many. */
int lmtp_server_items (lmtp_server_t *self, zmq_pollitem_t *items, int max);
/* The same items, with revents from the poll. */
void lmtp_server_handle (lmtp_server_t *self, zmq_pollitem_t *items, int n);
void lmtp_server_close_listener (lmtp_server_t *self);
size_t lmtp_server_connections (lmtp_server_t *self);
int lmtp_server_port (lmtp_server_t *self);

#endif
