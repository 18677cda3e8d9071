/*  ctl.h — complaintctl's internal interface: exit codes, the subcommands,
 *  and the request/reply client they share.
 *
 *  complaintctl is a thin client: every subcommand builds msgpack requests,
 *  sends them over ZeroMQ and prints what comes back as JSON (one object per
 *  line unless a person asked for pretty output). It holds no state of its
 *  own, so it can be killed at any moment; the only thing it must never do
 *  is hang, hence a timeout on every wait.
 *
 *  Files, one job each:
 *      main.c        dispatch to a subcommand, top-level usage
 *      options.c     option parsing helpers shared by the subcommands
 *      client.c      DEALER request/reply with correlation tags and timeouts
 *      submit.c      submit (flags or JSON on stdin) and get
 *      act.c         act: one staff action on a case (lifecycle.h's table)
 *      queue.c       queue: the cases on my desk / my department's, by priority
 *      show.c        show: one case with its audit trail, for people or as JSON
 *      token.c       token new: issue a staff token (hash for the tokens file)
 *      lifecycle_cmd.c  lifecycle: the action table, or the Graphviz diagram
 *      events_cmd.c  events: every event type's payload (proto/events.c), PROTOCOL.md's
 *                    tables, and a checker of events against the declaration
 *      calendar_cmd.c   calendar add|show|check: deadline arithmetic, no store needed
 *      clock_cmd.c   clock: the store's clock; shift/scale/reset in a test database
 *      notify_cmd.c  notifications (list, summary, show, retry) and optout: the
 *                    notifier's rows and the customers' opt-outs, in the store
 *      import_csv.c  import the consumer bureau's CSV export, pipelined
 *      stream.c      events as JSON lines (shared by tail and replay)
 *      tail.c        live tail of the bus, gap-free (common/event_stream.c)
 *      replay.c      print a range of the event log
 *      hotspots_cmd.c   hotspots: the analytics daemon's hot spots, for people or JSON
 */
#ifndef CTL_H_INCLUDED
#define CTL_H_INCLUDED

#include <czmq.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include "proto.h"
#include "staff_token.h"

/* Exit codes, the same for every subcommand (documented in docs/complaintctl.md). */
#define CTL_EXIT_OK           0    /* done; every request acknowledged */
#define CTL_EXIT_REPLY        1    /* the server replied with an error (or rows failed) */
#define CTL_EXIT_USAGE        2    /* bad arguments or unreadable input */
#define CTL_EXIT_UNREACHABLE  3    /* no reply within the timeout */

#define CTL_TIMEOUT_MS        5000
/* Replies may carry a page of up to 10000 events; allow for that, and no more. */
#define CTL_MAX_REPLY         (64 * 1024 * 1024)

/* Subcommands: argv [0] is the subcommand name. Each returns an exit code. */
int ctl_submit (int argc, char **argv);
int ctl_get (int argc, char **argv);
int ctl_import (int argc, char **argv);
int ctl_tail (int argc, char **argv);
int ctl_replay (int argc, char **argv);
int ctl_act (int argc, char **argv);
int ctl_queue (int argc, char **argv);
int ctl_show (int argc, char **argv);
int ctl_token (int argc, char **argv);
int ctl_lifecycle (int argc, char **argv);
int ctl_events (int argc, char **argv);
int ctl_calendar (int argc, char **argv);
int ctl_clock (int argc, char **argv);
int ctl_notifications (int argc, char **argv);
int ctl_optout (int argc, char **argv);
int ctl_hotspots (int argc, char **argv);

/* ---- options.c ---------------------------------------------------------- */

/* The flag's value if given, else the environment variable if set and
 * non-empty, else the default. */
const char *ctl_setting (const char *flag_value, const char *env, const char *def);
/* Parse a whole decimal number into *out; 0 or -1 (prints a usage error). */
int ctl_parse_long (const char *flag, const char *text, long min, long max, long *out);
/* --timeout-ms, else COMPLAINTS_TIMEOUT_MS, else CTL_TIMEOUT_MS; -1 on a bad value. */
int ctl_timeout_ms (const char *flag_value, long *timeout_ms);
/* Print one JSON value on stdout (compact, one line, or indented) and flush,
 * so a reader on the other end of a pipe sees each line as it happens. */
void ctl_print_json (const json_t *json, bool pretty);
/* The staff token from COMPLAINTS_TOKEN. NULL when unset; when `required`,
 * a message naming the variable goes to stderr first. A set but malformed
 * token is reported and *bad set (a usage error: it can never work). */
const char *ctl_staff_token (const char *what, bool required, bool *bad);
/* A time from a reply for people: unix milliseconds (or an ISO string, kept
 * as it is) as "YYYY-MM-DD HH:MM" in the local time zone (TZ); "-" for
 * null or absent. */
const char *ctl_format_time (const json_t *value, char *buf, size_t size);

/* ---- client.c ----------------------------------------------------------- */

typedef struct _ctl_client_t ctl_client_t;

/* A DEALER connected to `endpoint`; NULL (message on stderr) if the
 * endpoint is not a valid ZeroMQ address. */
ctl_client_t *ctl_client_new (const char *endpoint);
void ctl_client_destroy (ctl_client_t **self_p);

/* Queue one request as [tag]["" ][request]. Never blocks: returns -1 if
 * the socket cannot take it now (the caller's timeout will retry it). */
int ctl_client_send (ctl_client_t *self, uint64_t tag, const void *data, size_t size);

/* Wait up to timeout_ms for one reply. Returns 1 with *tag and *reply (a
 * frame the caller destroys), 0 on timeout, -1 when interrupted (SIGINT or
 * SIGTERM). Replies without a tag of ours are dropped. */
int ctl_client_recv (ctl_client_t *self, int timeout_ms, uint64_t *tag, zframe_t **reply);

/* One request, one reply, matched by a fresh tag, waiting at most
 * timeout_ms in all. Returns CTL_EXIT_OK with *reply set, or
 * CTL_EXIT_UNREACHABLE (timeout or interrupted, message on stderr). */
int ctl_client_call (ctl_client_t *self, const void *data, size_t size, int timeout_ms,
                     zframe_t **reply);

/* Bounded decode of a reply frame (proto_scan at EVENT_MAX_DEPTH, a map).
 * The caller has called msgpack_unpacked_init and destroys msg either way;
 * the frame must outlive msg (strings point into it). */
int ctl_reply_decode (zframe_t *frame, msgpack_unpacked *msg, proto_error_t *err);

/* One request to `endpoint` on a fresh client, reply decoded. On
 * CTL_EXIT_OK *frame and msg hold the reply (the caller frees both);
 * otherwise the reason is already on stderr. */
int ctl_request (const char *endpoint, const msgpack_sbuffer *buf, int timeout_ms,
                 zframe_t **frame, msgpack_unpacked *msg);
/* The same, with the reply converted to JSON (*reply: a new reference). */
int ctl_request_json (const char *endpoint, const msgpack_sbuffer *buf, int timeout_ms,
                      json_t **reply);
/* Print an error reply (JSON form) on stderr: code, field, message, and the
 * case's current "state" and "version" when the reply carries them
 * (conflict, invalid_transition). Returns the exit code: CTL_EXIT_UNREACHABLE
 * for `unavailable` (the store is down: run it again), else CTL_EXIT_REPLY. */
int ctl_reply_json_error (const char *what, const json_t *reply);

/* true when a JSON reply is {"ok":true,...} */
bool ctl_json_ok (const json_t *reply);

/* true when the reply is {"ok":true,...} */
bool ctl_reply_ok (const msgpack_object *reply);

/* Print an error reply's code, field and message on stderr, prefixed by
 * `what` (e.g. "submit"). */
void ctl_reply_print_error (const char *what, const msgpack_object *reply);

/* ---- show.c ------------------------------------------------------------- */

/* {"op":"get","complaint_no":NO,"token"?:token}: the whole reply as JSON in
 * *reply (ok or not; the caller checks ctl_json_ok). Returns CTL_EXIT_OK or
 * the exit code of a failed exchange (reason on stderr). */
int ctl_case_get (const char *endpoint, const char *number, const char *token,
                  int timeout_ms, json_t **reply);


/* ---- stream.c ----------------------------------------------------------- */

/* The output line for an event: {"seq","type","at","complaint_no","data"}.
 * NULL with err set when the event is malformed. */
json_t *ctl_event_json (const msgpack_object *event, uint64_t *seq, proto_error_t *err);

#endif
