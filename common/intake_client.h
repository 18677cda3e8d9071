/*  intake_client.h — the one request/reply client to intake (and the other
 *  ROUTER endpoints: analytics): a window of requests in flight, each
 *  retried until it is answered, over a DEALER that is replaced when the
 *  server stops answering (the Lazy Pirate pattern, zguide chapter 4).
 *
 *  Wire. Intake echoes every frame up to the empty delimiter (PROTOCOL.md,
 *  "Request/reply envelope"), so each request goes as [tag]["" ][request]
 *  and comes back as [tag]["" ][reply], the tag an 8-byte counter. Every
 *  attempt gets a fresh tag: a late reply to an attempt already resent is
 *  recognised and dropped, so each request is answered to its caller once.
 *
 *  The window. Up to `window` requests are in flight at once; more wait in
 *  a queue, oldest first, and go as answers free places. Intake batches
 *  concurrent requests into one transaction, so a full window turns into a
 *  few group commits rather than one round trip and one fsync per request.
 *
 *  Retries. An attempt without a reply by its deadline (`timeout_ms`) is sent
 *  again: the same request bytes under a new tag, so a retry is never a
 *  second complaint (intake deduplicates on channel and ref, invariant 6).
 *  After `attempts` tries (0: forever) the caller is told it timed out. The
 *  caller may also ask for a request to be sent again after a reply (an
 *  `unavailable` answer: the store is down for a moment), after a delay it
 *  chooses: the answer function returns the delay.
 *
 *  Reconnection. When an attempt times out and nothing at all has come back
 *  since it was sent, the connection itself is suspect (intake restarted
 *  with a new key exchange, a TCP connection dead without a reset): after
 *  `reconnect_after` such timeouts the socket is destroyed (linger 0: what
 *  it still held is dropped, not delivered late) and a fresh one connected.
 *  Requests in flight are sent again on it after a back-off that starts at
 *  `backoff_min_ms` and doubles up to `backoff_max_ms` while the server
 *  stays silent; any reply resets it. Nothing here blocks for long: a
 *  daemon polls intake_client_sock () beside its own sockets (the socket
 *  changes on reconnection, so ask for it before each poll), waits at most
 *  intake_client_timeout () ms, and calls intake_client_handle (). A tool
 *  uses intake_client_call (one request, blocking) or intake_client_wait.
 *
 *  Interface:
 *      intake_client_new / intake_client_destroy
 *      intake_client_send          queue a request with its answer function
 *      intake_client_cancel        forget a request (no answer)
 *      intake_client_sock          the socket to poll (changes on reconnect)
 *      intake_client_timeout       ms until the next deadline (-1: none)
 *      intake_client_handle        read replies, act on deadlines (no wait)
 *      intake_client_wait          block until something happened or timeout
 *      intake_client_call          one request, one reply, blocking
 *      intake_client_pending, _room, _replies, _reconnects, _endpoint
 *      intake_client_test
 */
#ifndef INTAKE_CLIENT_H_INCLUDED
#define INTAKE_CLIENT_H_INCLUDED

#include "curve.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _intake_client_t intake_client_t;

typedef struct {
    int window;                 /* requests in flight at once (default 64; <= 256) */
    int timeout_ms;             /* per attempt (default 5000) */
    int attempts;               /* tries before "timed out"; 0: forever (default 3) */
    int reconnect_after;        /* silent timeouts before a new socket (default 2:
                                   one plain resend first, as Lazy Pirate does) */
    int backoff_min_ms;         /* first wait after a reconnection (default 250) */
    int backoff_max_ms;         /* longest (default 10000) */
    size_t max_reply;           /* bytes; a longer reply is refused by ZeroMQ
                                   (default 1 MiB) */
} intake_client_opts_t;

/* The answer to one request. reply: the reply frame (borrowed; dup it to
 * keep it), or NULL when `attempts` tries all timed out. attempts: how many
 * were sent. Return 0 when done (the request is forgotten), or a delay in
 * ms (> 0) to send the same request again after it (a retry counts as an
 * attempt). Runs inside intake_client_handle/wait/call. */
typedef int (intake_client_fn) (void *arg, zframe_t *reply, int attempts);

/* A DEALER connected to `endpoint` where `server` (CURVE_INTAKE: NULL;
 * CURVE_ANALYTICS) listens, secured by curve (NULL: curve_default ()).
 * opts NULL or fields 0: the defaults. NULL with the reason in err (an
 * endpoint ZeroMQ cannot parse, a key that cannot be read). */
intake_client_t *intake_client_new (curve_t *curve, const char *server, const char *endpoint,
                                     const intake_client_opts_t *opts, char *err,
                                     size_t err_size);
/* Pending requests are forgotten without an answer. */
void intake_client_destroy (intake_client_t **self_p);

/* Queue a copy of the request; it is sent at once if the window has room.
 * Returns its id (> 0), for intake_client_cancel. */
uint64_t intake_client_send (intake_client_t *self, const void *data, size_t size,
                             intake_client_fn *fn, void *arg);
/* Forget a request (its answer function is not called); 0, or -1 when
 * there is no such request (already answered). */
int intake_client_cancel (intake_client_t *self, uint64_t id);

/* The socket to poll for input (ZMQ_POLLIN). It changes when the client
 * reconnects: take it afresh before each poll. */
zsock_t *intake_client_sock (intake_client_t *self);
/* ms until the earliest deadline (a resend, a timeout); -1 when nothing is
 * pending. A poll should wait no longer than this. */
long intake_client_timeout (intake_client_t *self);
/* Read every reply waiting (no blocking), answer them, then resend or give
 * up what is past its deadline, and fill the window from the queue. */
void intake_client_handle (intake_client_t *self);
/* Poll the socket up to timeout_ms (or the next deadline, if sooner), then
 * handle. 0, or -1 when interrupted (SIGINT/SIGTERM: zsys_interrupted). */
int intake_client_wait (intake_client_t *self, long timeout_ms);

/* One request, its reply in *reply (the caller destroys it), waiting at
 * most timeout_ms in all (resending per the options meanwhile). 0 with
 * the reply; -1 no reply in time; -2 interrupted. */
int intake_client_call (intake_client_t *self, const void *data, size_t size,
                        long timeout_ms, zframe_t **reply);

/* Requests not yet answered (in flight and queued). */
size_t intake_client_pending (intake_client_t *self);
/* Places free in the window (0 when the caller should stop queueing). */
size_t intake_client_room (intake_client_t *self);
/* Replies received since the client was made: 0 after a timeout means
 * the server was never reached. */
uint64_t intake_client_replies (intake_client_t *self);
/* Times the socket was replaced. */
uint64_t intake_client_reconnects (intake_client_t *self);
const char *intake_client_endpoint (intake_client_t *self);

void intake_client_test (bool verbose);

#endif
