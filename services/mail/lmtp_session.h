/*  lmtp_session.h — one LMTP conversation (RFC 2033), as a pure state
 *  machine: bytes in, bytes out, a message handed over when its DATA ends.
 *
 *  No sockets, no clock: lmtp_server.c reads a connection into
 *  lmtp_session_feed and writes out what lmtp_session_output holds; the
 *  fuzz target (tests/fuzz/fuzz_lmtp.c) feeds it anything.
 *
 *      S: 220 HOST LMTP ready
 *      C: LHLO mta.example          S: 250-HOST / 250-PIPELINING /
 *                                      250-ENHANCEDSTATUSCODES / 250-8BITMIME /
 *                                      250 SIZE max_message
 *      C: MAIL FROM:<a@b> [SIZE=n]  S: 250 (552 when SIZE is over the limit)
 *      C: RCPT TO:<c@d>             S: 250 (452 past max_recipients)
 *      C: DATA                      S: 354
 *      C: ...lines, dot-stuffed...
 *      C: .                         S: one reply PER RECIPIENT (LMTP), given
 *                                      by the deliver function, which runs
 *                                      only after the whole message is in:
 *                                      the adapter answers 250 only once the
 *                                      message is durable (spooled)
 *      C: RSET / NOOP / QUIT        S: 250 / 250 / 221 (then closed)
 *
 *  Bounds: a command line at most LMTP_MAX_LINE bytes (longer: 500 5.5.6,
 *  the rest of the line discarded); message bytes at most max_message
 *  (more: read on and thrown away, then 552 5.3.4 for every recipient);
 *  at most max_recipients; after LMTP_MAX_ERRORS bad commands, 421 and
 *  closed. The output buffer holds at most one reply set per command, and
 *  a client that pipelines without reading is not read further
 *  (lmtp_session_wants_input) until its replies are written.
 *  Lines end in CRLF; a bare LF is taken too (lenient, as Postfix is).
 *
 *  Interface:
 *      lmtp_session_new / lmtp_session_destroy
 *      lmtp_session_feed          bytes from the client
 *      lmtp_session_output        what to send; lmtp_session_consumed
 *      lmtp_session_closed        QUIT, or too many errors: close after output
 *      lmtp_session_wants_input   false while replies wait to be written
 *      lmtp_session_busy          a transaction open (MAIL given) or replies unsent
 *      lmtp_session_test
 */
#ifndef LMTP_SESSION_H_INCLUDED
#define LMTP_SESSION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define LMTP_MAX_LINE        1000       /* RFC 5321 4.5.3.1.6: a text line with CRLF */
#define LMTP_MAX_ERRORS      10
#define LMTP_MAX_OUTPUT      (64 * 1024)

/* One recipient's reply: code (250, 451, 550, 552...) and text (the
 * enhanced status code first: "2.0.0 queued as ..."). */
typedef struct {
    int code;
    char text [400];
} lmtp_reply_t;

/* A message is complete: data/size are the unstuffed bytes (CRLF line
 * ends, as received), sender the MAIL FROM address ("" for the null
 * sender <>), nrcpt recipients. Fill reply (one reply for all recipients:
 * the message is stored once). */
typedef void (lmtp_deliver_fn) (void *arg, const char *sender, const char *data, size_t size,
                                size_t nrcpt, lmtp_reply_t *reply);

typedef struct _lmtp_session_t lmtp_session_t;

/* host: the name in the greeting; max_message: bytes of one message. */
lmtp_session_t *lmtp_session_new (const char *host, size_t max_message, size_t max_recipients,
                                  lmtp_deliver_fn *deliver, void *arg);
void lmtp_session_destroy (lmtp_session_t **self_p);

void lmtp_session_feed (lmtp_session_t *self, const char *data, size_t size);
const char *lmtp_session_output (lmtp_session_t *self, size_t *size);
void lmtp_session_consumed (lmtp_session_t *self, size_t size);
bool lmtp_session_closed (lmtp_session_t *self);
bool lmtp_session_wants_input (lmtp_session_t *self);
/* A transaction is open (MAIL given, DATA not ended) or output waits:
 * what a stopping server lets finish. */
bool lmtp_session_busy (lmtp_session_t *self);

void lmtp_session_test (bool verbose, int *passed, int *failed);

#endif
