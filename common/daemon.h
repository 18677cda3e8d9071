/*  daemon.h — the skeleton every daemon is built on: its settings, its
 *  signals, its wait, its health and its metrics endpoint.
 *
 *  Settings (12-factor). A daemon declares its flags once, in a table: the
 *  flag's name, its environment variable, its default, its help. Parsing
 *  takes `--name value` and `--name=value`; a flag wins over its variable,
 *  an empty variable counts as unset. The usage text is generated from the
 *  same table, so it cannot drift from what is parsed. An unknown flag, a
 *  stray argument, a missing value or a number out of range is refused:
 *  daemon_parse prints the reason and the usage on stderr and returns -1,
 *  and main returns 2. Library code never exits. Every daemon also gets
 *  --pg, --metrics-port (COMPLAINTS_<SERVICE>_METRICS_PORT), --debug
 *  (COMPLAINTS_DEBUG), --help, and the transport's: --curve on|off
 *  (COMPLAINTS_CURVE, default on), --keys DIR (COMPLAINTS_KEYS) and --key
 *  NAME (COMPLAINTS_<SERVICE>_KEY, default the service's name), which
 *  daemon_start makes the process's curve (common/curve.h).
 *
 *      static const daemon_opt_t opts [] = {
 *          DAEMON_LONG ("batch", "COMPLAINTS_BUS_BATCH", 1000, 1, 100000, "rows per drain"),
 *          DAEMON_END
 *      };
 *      daemon_t *d = daemon_new ("bus", opts, "bus --selftest");
 *      int rc = daemon_parse (d, argc, argv);       // 1: --help; -1: refused
 *      ...
 *      if (daemon_start (d)) ...                     // signals, logging, /metrics
 *
 *  Signals. SIGINT and SIGTERM belong to czmq (zsys_interrupted): the
 *  daemon stops taking new work, finishes the batch in hand, and returns 0
 *  from main. SIGHUP sets a flag; the next daemon_wait (or daemon_reload
 *  between batches) runs the reload callback, which loads everything anew
 *  and either swaps it in (0) or refuses it (-1) and keeps the old
 *  configuration; each outcome is logged and counted.
 *
 *  The wait. daemon_wait polls the bus SUB (when one was connected), the
 *  caller's own sockets and file descriptors, until one is readable, a
 *  signal arrives, or the timeout passes. Bus frames are all drained at
 *  once: every one means "look at the store", so a burst of a thousand
 *  events costs one pass. The highest sequence number seen on the bus is
 *  kept (heartbeats carry the bus's last seq) for lag metrics. A worker
 *  may coalesce wake-ups (daemon_set_coalesce_ms): under a steady stream
 *  it then runs one pass per interval over everything that came, instead
 *  of one per event, and a single event after a quiet spell goes at once.
 *
 *  Health. /healthz answers 200 "ok" while the store connection is up (the
 *  daemon says so after each pass: daemon_store_up / daemon_store_down)
 *  and the loop has turned within the stale limit (60 s unless changed);
 *  otherwise 503 with the reason. Before the first connection the store
 *  counts as down ("connecting").
 *
 *  Metrics every daemon exports (docs/operations.md lists them all):
 *      complaints_store_round_trip_seconds{op}   histogram, daemon_observe
 *      complaints_last_pass_timestamp_seconds   gauge, daemon_pass_done
 *      complaints_store_up                       gauge
 *      complaints_reloads_total{result}          counter
 *      complaints_wakeups_total{by}              counter: bus, socket, timeout
 *      complaints_bus_seq_seen                   gauge (daemons with a bus SUB)
 *
 *  Interface:
 *      daemon_new / daemon_destroy      declare
 *      daemon_parse, daemon_usage       the command line and environment
 *      daemon_str, daemon_long, daemon_bool
 *      daemon_refuse                    a cross-field check failed: say why
 *      daemon_start                     signals, log level, metrics endpoint
 *      daemon_on_reload, daemon_reload  SIGHUP
 *      daemon_stopping                  SIGINT/SIGTERM seen
 *      daemon_bus_connect, daemon_wait, daemon_bus_seq
 *      daemon_metrics, daemon_observe, daemon_pass_done, daemon_alive
 *      daemon_store_up, daemon_store_down, daemon_set_stale_ms
 *      daemon_test
 */
#ifndef DAEMON_H_INCLUDED
#define DAEMON_H_INCLUDED

#include "metrics.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { DAEMON_OPT_STR = 1, DAEMON_OPT_LONG, DAEMON_OPT_BOOL } daemon_opt_type_t;

typedef struct {
    daemon_opt_type_t type;     /* 0 ends the table */
    const char *name;           /* the flag without its dashes: "batch" */
    const char *env;            /* its environment variable, or NULL */
    const char *def;            /* the default as text; NULL: none */
    long min, max;              /* DAEMON_OPT_LONG: the accepted range */
    const char *metavar;        /* in the usage: --batch N */
    const char *help;
} daemon_opt_t;

#define DAEMON_STR(name, env, def, metavar, help) \
    { DAEMON_OPT_STR, name, env, def, 0, 0, metavar, help }
#define DAEMON_LONG(name, env, def, min, max, help) \
    { DAEMON_OPT_LONG, name, env, #def, min, max, "N", help }
#define DAEMON_BOOL(name, env, help) \
    { DAEMON_OPT_BOOL, name, env, NULL, 0, 0, NULL, help }
#define DAEMON_END { 0, NULL, NULL, NULL, 0, 0, NULL, NULL }

/* What woke daemon_wait (bits); 0: the timeout passed. */
#define DAEMON_WOKE_BUS     1       /* bus frames arrived (all drained) */
#define DAEMON_WOKE_ITEM    2       /* one of the caller's items is ready */
#define DAEMON_WOKE_SIGNAL  4       /* SIGINT/SIGTERM, or SIGHUP (reload ran) */

typedef struct daemon_t daemon_t;

/* Loads everything anew; 0 when swapped in, -1 when refused (the callee
 * logged why; the old configuration stays). */
typedef int (daemon_reload_fn) (void *arg);

/* service: "bus", "intake", ... (logs, metrics, the metrics-port variable);
 * opts: the service's own flags; synopsis: extra usage lines, or NULL. */
daemon_t *daemon_new (const char *service, const daemon_opt_t *opts, const char *synopsis);
void daemon_destroy (daemon_t **self_p);

/* 0: go on; 1: --help was printed on stdout (exit 0); -1: refused, the
 * reason and the usage are on stderr (exit 2). */
int daemon_parse (daemon_t *self, int argc, char **argv);
void daemon_usage (daemon_t *self, FILE *out);

/* A setting after parsing. Asks for an undeclared name are a bug (assert). */
const char *daemon_str (daemon_t *self, const char *name);
long daemon_long (daemon_t *self, const char *name);
bool daemon_bool (daemon_t *self, const char *name);

/* Say on stderr why the settings cannot work together, with a pointer to
 * --help. Returns -1 (main returns 2). */
int daemon_refuse (daemon_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* After parsing: czmq (SIGINT/SIGTERM), SIGHUP, the debug level, and the
 * metrics endpoint when --metrics-port is set. -1 when the port could not
 * be bound (main returns 1). */
int daemon_start (daemon_t *self);

void daemon_on_reload (daemon_t *self, daemon_reload_fn *fn, void *arg);
/* Run the reload callback now if SIGHUP came since the last call; true
 * if it ran. Services call it between batches (daemon_wait calls it too). */
bool daemon_reload (daemon_t *self);
bool daemon_stopping (daemon_t *self);

/* SUBscribe to the bus at endpoint for the topic prefixes (NULL-ended).
 * "" or "none": no bus (daemon_wait then waits on the rest and the timer).
 * 0, or -1 when the endpoint is unusable (logged; the daemon goes on
 * without wake-ups, the sweep still finds the work), or DAEMON_BUS_REFUSED
 * when the transport cannot be secured (plaintext off loopback, no key:
 * logged; the daemon must not start, main returns 2). */
#define DAEMON_BUS_REFUSED  -2
int daemon_bus_connect (daemon_t *self, const char *endpoint, const char *const topics []);
/* Wait as described above; items (may be NULL) are the caller's own, their
 * revents set on return. DAEMON_WOKE_* bits, 0 on timeout. */
int daemon_wait (daemon_t *self, long timeout_ms, zmq_pollitem_t *items, int nitems);
/* Coalesce bus wake-ups: a wake-up within ms of the previous one waits out
 * the rest of ms (draining what else arrives), so a steady stream gets one
 * pass per ms with a batch of work, not one pass per event. 0: off. */
void daemon_set_coalesce_ms (daemon_t *self, int64_t ms);
/* The highest event seq seen on the bus (0: none yet). */
uint64_t daemon_bus_seq (daemon_t *self);

metrics_t *daemon_metrics (daemon_t *self);
/* One store round trip (a transaction, a pass) of kind op took seconds. */
void daemon_observe (daemon_t *self, const char *op, double seconds);
/* A pass over the work finished: the last-pass gauge, and the loop is alive. */
void daemon_pass_done (daemon_t *self);
/* The loop is alive (a daemon blocked on purpose, e.g. a standby bus). */
void daemon_alive (daemon_t *self);
void daemon_store_up (daemon_t *self);
void daemon_store_down (daemon_t *self, const char *reason);
void daemon_set_stale_ms (daemon_t *self, int64_t ms);

void daemon_test (bool verbose);

#endif
