/*  hotline_desk.h — the agent desk over HTTP (issue 14 §4): an agent signs
 *  in with their staff token and registers calls; a call solved on the
 *  phone is registered, accepted and resolved in one step under that
 *  token (first contact, proto/lifecycle.h).
 *
 *      GET  /          sign-in page, or the call form when signed in
 *      POST /signin    token=…  — checked by asking intake for the agent's
 *                      own queue (one case): intake is the one judge of a
 *                      token; a session cookie (random, HttpOnly,
 *                      SameSite=Strict) then stands for it, kept in memory
 *                      (bounded; 12 hours; a restart signs everyone out)
 *      POST /signout
 *      POST /call      the call form: 303 nowhere — the answer is the page:
 *                      201 confirmation (number, query code, state, time
 *                      in the bank's zone), 202 taken but not yet
 *                      answered, 422 the form again with the message beside
 *                      the field, 401 not signed in, 403 bad CSRF token,
 *                      413 too large, 429 too many from one address
 *
 *  Every post carries a CSRF token bound to the session cookie (csrf.h).
 *  A call is checked (hotline_call.h), written to the spool (durable)
 *  and only then submitted (spool_sender); the page waits up to wait_ms
 *  for intake's answer (the request is suspended meanwhile, the loop goes
 *  on), then says "taken": the spool delivers it later, once.
 *
 *  Interface:
 *      hotline_desk_new / _destroy
 *      hotline_desk_run        one non-blocking HTTP turn
 *      hotline_desk_fd         the descriptor to poll
 *      hotline_desk_port
 *      hotline_desk_outcome    spool_sender's answer for an entry
 *      hotline_desk_tick       time out waits, expire sessions
 */
#ifndef HOTLINE_DESK_H_INCLUDED
#define HOTLINE_DESK_H_INCLUDED

#include "intake_client.h"
#include "spool.h"
#include "spool_sender.h"

#include <msgpack.h>
#include <stdint.h>

typedef struct _hotline_desk_t hotline_desk_t;

typedef struct {
    const char *address;        /* "127.0.0.1:8081" */
    const char *timezone;       /* shown with every time */
    long wait_ms;               /* for intake's answer before "taken" */
    long rate_burst;            /* posts one address may make at once */
    long rate_refill_ms;        /* ... and then one per this */
} hotline_desk_opts_t;

/* spool, client and *sender are the caller's and outlive the desk (sender
 * is read at each call: the caller may make it after the desk). */
hotline_desk_t *hotline_desk_new (const hotline_desk_opts_t *opts, spool_t *spool,
                                  intake_client_t *client, spool_sender_t **sender,
                                  char *err, size_t err_size);
void hotline_desk_destroy (hotline_desk_t **self_p);

void hotline_desk_run (hotline_desk_t *self);
int hotline_desk_fd (hotline_desk_t *self);
int hotline_desk_port (hotline_desk_t *self);

/* An entry's answer (spool_sender_fn's arguments); entries the desk did not
 * put are ignored. */
void hotline_desk_outcome (hotline_desk_t *self, const char *id,
                           spool_sender_outcome_t outcome, const msgpack_object *reply);
void hotline_desk_tick (hotline_desk_t *self, int64_t now_ms);

#endif
