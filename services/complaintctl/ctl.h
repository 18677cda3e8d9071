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
 *      client.c      one request/reply through common/intake_client, decoded
 *      submit.c      submit (flags or JSON on stdin) and get
 *      act.c         act: one staff action on a case (lifecycle.h's table)
 *      queue.c       queue: the cases on my desk / my department's, by priority
 *      show.c        show: one case with its audit trail, for people or as JSON
 *      token.c       token issue/revoke/list (the store), new (the tokens file)
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
 *      analytics_ask.c  the period in the bank's zone, one analytics query,
 *                    rates and times for people (kpi, series, report)
 *      kpi_cmd.c     kpi: the KPIs against their targets, whole or by a dimension
 *      series_cmd.c  series: one metric per day or hour
 *      report_cmd.c  report: the management summary of a period, small cells hidden
 *      report_doc.c  report --format html|pdf: the bulletin from the daemon's HTTP side
 *      export_cmd.c  export jrt|cfpb: the regulators' CSV files (RFC 4180)
 *      names.c       the names of the router's ids, from the deploy files
 */
#ifndef CTL_H_INCLUDED
#define CTL_H_INCLUDED

#include <czmq.h>
#include <getopt.h>
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
int ctl_status (int argc, char **argv);
int ctl_import (int argc, char **argv);
int ctl_tail (int argc, char **argv);
int ctl_replay (int argc, char **argv);
int ctl_act (int argc, char **argv);
int ctl_queue (int argc, char **argv);
int ctl_show (int argc, char **argv);
int ctl_evidence (int argc, char **argv);
/* issue 16 (i16-records): casefile_cmd.c, retention_cmd.c, kb_cmd.c */
int ctl_casefile (int argc, char **argv);
int ctl_retention (int argc, char **argv);
int ctl_kb (int argc, char **argv);
/* Knowledge-base entries one block each (kb search; show's suggestions):
 * texts: the summary and answer too. */
void ctl_kb_print_entries (const json_t *entries, bool texts);
int ctl_rectification (int argc, char **argv);     /* issue 16 (i16-tasks) */
int ctl_accountability (int argc, char **argv);
int ctl_token (int argc, char **argv);
int ctl_keys (int argc, char **argv);
int ctl_lifecycle (int argc, char **argv);
int ctl_events (int argc, char **argv);
int ctl_calendar (int argc, char **argv);
/* `complaintctl calendar statutory` (statutory_cmd.c: liblunar-date). */
int ctl_calendar_statutory (int argc, char **argv);
int ctl_clock (int argc, char **argv);
int ctl_notifications (int argc, char **argv);
int ctl_optout (int argc, char **argv);
int ctl_hotspots (int argc, char **argv);
int ctl_kpi (int argc, char **argv);
int ctl_series (int argc, char **argv);
int ctl_report (int argc, char **argv);
int ctl_export (int argc, char **argv);

/* ---- options.c ---------------------------------------------------------- */

/* The flag's value if given, else the environment variable if set and
 * non-empty, else the default. */
const char *ctl_setting (const char *flag_value, const char *env, const char *def);
/* --pg, else COMPLAINTS_CTL_PG, else COMPLAINTS_PG, else "". */
const char *ctl_pg_conninfo (const char *flag_value);
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
/* What a staff command needs to ask intake: the token (required), the
 * timeout (--timeout-ms, else COMPLAINTS_TIMEOUT_MS) and the endpoint
 * (--intake, else the environment's). */
typedef struct {
    const char *token;
    const char *endpoint;
    int timeout_ms;
} ctl_intake_call_t;
/* CTL_EXIT_OK, or CTL_EXIT_USAGE with the reason on stderr. */
int ctl_intake_call_begin (const char *what, const char *endpoint, const char *timeout_text,
                           ctl_intake_call_t *call);
/* Send buf; CTL_EXIT_OK with *reply an {"ok":true} reply (the caller's
 * reference), else the exit code with the reason on stderr (an error
 * reply printed as ctl_reply_json_error does) and *reply NULL. */
int ctl_intake_call (const char *what, const ctl_intake_call_t *call, const msgpack_sbuffer *buf,
                     json_t **reply);
/* The bank's calendar zone: COMPLAINTS_TIMEZONE, else Asia/Shanghai
 * (common/cfg.h; intake's --timezone reads the same variable). */
const char *ctl_bank_zone (void);
/* Unix ms as "YYYY-MM-DD HH:MM +08:00" in zone (NULL: the bank's), the
 * offset written: every time complaintctl shows people goes through it. */
const char *ctl_time_in (int64_t ms, const char *zone, char *buf, size_t size);
/* A time people typed, in zone (NULL: the bank's): "YYYY-MM-DD HH:MM", or
 * a date alone meaning the end of that day; to unix ms. -1 with a usage
 * message naming flag. */
int ctl_time_parse (const char *flag, const char *text, const char *zone, int64_t *ms);
/* A time from a reply for people: unix milliseconds (or an ISO string, kept
 * as it is) as ctl_time_in in the bank's zone; "-" for null or absent. */
const char *ctl_format_time (const json_t *value, char *buf, size_t size);
/* The same for a deadline: the end of a day reads "2026-12-18 24:00 +08:00"
 * (local_time_format_deadline), as the customer's messages write it. */
const char *ctl_format_deadline (const json_t *value, char *buf, size_t size);

/* ---- case_zone.c (issue 16, i16-mailev) ---------------------------------- */

/* The calendars folder (calendar_cmd.c): flag, COMPLAINTS_CALENDARS,
 * ./deploy/calendars, or the checkout's. */
void ctl_calendars_dir (const char *flag, char *buf, size_t size);
/* Load the calendars of the folder (flag as ctl_calendars_dir) once, so a
 * case's calendar names its zone. A folder that cannot be read is told on
 * stderr once; the times are then shown in the bank's zone. */
void ctl_case_zones_load (const char *flag);
/* The zone of a calendar (NULL: unknown or not loaded). */
const char *ctl_case_zone (const char *calendar);
/* Show the times that follow (ctl_format_time, ctl_format_deadline) in
 * zone; NULL: the bank's again. Returns the zone now in use. */
const char *ctl_show_zone (const char *zone);
/* The zone ctl_show_zone set (NULL: the bank's). */
const char *ctl_shown_zone (void);
/* The calendar a case's times are shown in, from its clocks as `get`
 * gives them: the most urgent running clock's (earliest due, not met or
 * cancelled), else the earliest-due finished one's; NULL without clocks. The rule of
 * the watchdog's sla_case_calendar (migration 036), which `queue` rows
 * carry. */
const char *ctl_case_calendar (const json_t *clocks);

/* ---- analytics_ask.c ---------------------------------------------------- */

typedef struct {
    int year, month, day;
} ctl_day_t;

/* "YYYY-MM-DD", a real day in 2000-2099; -1 with a usage message naming flag. */
int ctl_day_parse (const char *flag, const char *text, ctl_day_t *day);
/* A --by value: one of analytics_dims; -1 with a usage message naming flag. */
int ctl_dim_check (const char *flag, const char *text);
/* Learn the bank's zone from the daemon (and apply it as TZ), then turn the
 * days into [from, to): from's midnight to the midnight after to_day. NULL
 * days: the last 30 days, today included. Returns an exit code. */
int ctl_analytics_period (const char *what, const char *endpoint, int timeout_ms,
                          const ctl_day_t *from_day, const ctl_day_t *to_day,
                          int64_t *from, int64_t *to);
/* One kpi or series query; *reply the answer as JSON when ok. An error reply
 * is printed (code, field, message) and its exit code returned. */
int ctl_analytics_ask (const char *what, const char *endpoint, int timeout_ms, const char *op,
                       int64_t from, int64_t to, const char *by, const char *metric,
                       const char *bucket, json_t **reply);
/* ms as "2026-12-05 00:00 +08:00" in the zone applied by ctl_analytics_period. */
const char *ctl_zone_time (int64_t ms, char *buf, size_t size);
/* The printf width that pads `text` (UTF-8, narrow characters) to `width` columns. */
int ctl_text_width (const char *text, int width);
/* A rate 0-1 as "60.0%", nil as "—". */
const char *ctl_rate_text (const json_t *rate, char *buf, size_t size);
/* The counts a rate of this kpi object is made of. */
void ctl_rate_counts (const json_t *kpi, const char *rate, int64_t *num, int64_t *den);
/* The KPIs shown to people, in order: name, label (lang "en", "zh", or
 * "head" for a column heading). */
size_t ctl_rate_count (void);
const char *ctl_rate_name (size_t i);
const char *ctl_rate_label (size_t i, const char *lang);
/* 1 met, 0 missed, -1 no rate or no target. */
int ctl_rate_met (const json_t *rate, const json_t *target);

/*  The flags the analytics commands share (kpi, series, report, hotspots,
 *  export): parsed in one place, resolved in one place. A command lists
 *  the CTL_AOPT_* entries it takes in its getopt_long table beside its own,
 *  hands every option to ctl_aopts_take first, then calls
 *  ctl_aopts_finish. */
enum {
    CTL_O_FROM = 0x1000, CTL_O_TO, CTL_O_ANALYTICS, CTL_O_TIMEOUT, CTL_O_MIN_CELL, CTL_O_LANG,
    CTL_O_JSON, CTL_O_HELP
};
#define CTL_AOPT_PERIOD \
    { "from", required_argument, NULL, CTL_O_FROM }, \
    { "to", required_argument, NULL, CTL_O_TO }
#define CTL_AOPT_ENDPOINT \
    { "analytics", required_argument, NULL, CTL_O_ANALYTICS }, \
    { "timeout-ms", required_argument, NULL, CTL_O_TIMEOUT }, \
    { "help", no_argument, NULL, CTL_O_HELP }
#define CTL_AOPT_MIN_CELL { "min-cell", required_argument, NULL, CTL_O_MIN_CELL }
#define CTL_AOPT_LANG     { "lang", required_argument, NULL, CTL_O_LANG }
#define CTL_AOPT_JSON     { "json", no_argument, NULL, CTL_O_JSON }

#define CTL_MIN_CELL_DEFAULT  5
#define CTL_MIN_CELL_ENV      "COMPLAINTS_REPORT_MIN_CELL"

typedef struct {
    bool has_from, has_to;
    ctl_day_t from_day, to_day;
    const char *endpoint;           /* after finish: --analytics, env, default */
    const char *timeout_text;
    long timeout_ms;                /* after finish */
    const char *min_cell_text;
    int min_cell;                   /* after finish: --min-cell, env, 5 */
    const char *lang;               /* "en" unless --lang zh */
    bool json;
} ctl_aopts_t;

#define CTL_AOPT_TAKEN  1
#define CTL_AOPT_HELP   2
/* Before the getopt loop. */
void ctl_aopts_init (ctl_aopts_t *o);
/* One option from getopt_long: CTL_AOPT_TAKEN, CTL_AOPT_HELP (-h or
 * --help: print the command's usage), 0 (not a shared one: the command's
 * own), or -1 (a bad value, the message printed: exit 2). */
int ctl_aopts_take (ctl_aopts_t *o, int opt, const char *arg);
/* After the loop: no argument left over, then the timeout, the endpoint,
 * K and the language resolved. CTL_EXIT_OK or CTL_EXIT_USAGE (printed). */
int ctl_aopts_finish (ctl_aopts_t *o, const char *what, int argc, char **argv);
/* A command's own option (not a shared one): 0, or -1 after printing why
 * (a usage error). */
typedef int (ctl_own_option_fn) (void *arg, int opt, const char *value);
#define CTL_AOPT_STOP  (-1)
/* The whole getopt loop of an analytics command: shared options into o,
 * its own to own (NULL: it has none), -h/--help prints usage, then
 * ctl_aopts_finish. CTL_EXIT_OK: go on; CTL_AOPT_STOP: help was printed
 * (exit 0); else the exit code (CTL_EXIT_USAGE, message printed). */
int ctl_aopts_parse (ctl_aopts_t *o, const char *what, int argc, char **argv,
                     const struct option *options, void (*usage) (FILE *out),
                     ctl_own_option_fn *own, void *arg);
/* ctl_analytics_period over the options' days. */
int ctl_aopts_period (const ctl_aopts_t *o, const char *what, int64_t *from, int64_t *to);
/* The usage lines of the shared flags a command takes (CTL_AOPT_* bits). */
#define CTL_AUSAGE_PERIOD    1u
#define CTL_AUSAGE_MIN_CELL  2u
#define CTL_AUSAGE_LANG      4u
#define CTL_AUSAGE_JSON      8u
void ctl_aopts_usage (FILE *out, unsigned which);
/* A count as it may be published: "<K" from 1 to K-1, else the number. */
const char *ctl_small_cell (long long n, int k, char *buf, size_t size);

/* ---- names.c ------------------------------------------------------------ */

/* The names people read for the router's ids (directory.conf, jrt0169.conf,
 * labels.conf): kind "department", "business_line", "cause", "channel" or
 * "jrt"; lang "zh" or "en". An unknown id is returned as itself, "" for
 * NULL or "". */
typedef struct _ctl_names_t ctl_names_t;
ctl_names_t *ctl_names_load (void);
const char *ctl_names_get (const ctl_names_t *self, const char *kind, const char *id,
                           const char *lang);
void ctl_names_destroy (ctl_names_t **self_p);

/* ---- client.c ----------------------------------------------------------- */

/* Bounded decode of a reply frame (proto_scan at EVENT_MAX_DEPTH, a map).
 * The caller has called msgpack_unpacked_init and destroys msg either way;
 * the frame must outlive msg (strings point into it). */
int ctl_reply_decode (zframe_t *frame, msgpack_unpacked *msg, proto_error_t *err);

/* One request to `endpoint` on a fresh client, reply decoded. On
 * CTL_EXIT_OK *frame and msg hold the reply (the caller frees both);
 * otherwise the reason is already on stderr. */
int ctl_request (const char *server, const char *endpoint, const msgpack_sbuffer *buf,
                 int timeout_ms, zframe_t **frame, msgpack_unpacked *msg);
/* The same, with the reply converted to JSON (*reply: a new reference). */
int ctl_request_json (const char *server, const char *endpoint, const msgpack_sbuffer *buf,
                      int timeout_ms, json_t **reply);
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

/* ---- report_doc.c ------------------------------------------------------- */

/* The bulletin from http (HOST:PORT or a URL) as format "html" or "pdf"
 * into out; from/to NULL: the daemon's default period; min_cell <= 0: the
 * daemon's. Returns an exit code (messages on stderr). */
int ctl_report_document (const char *format, const char *out, const char *http,
                         const ctl_day_t *from, const ctl_day_t *to, const char *lang,
                         int min_cell, long timeout_ms);

#endif
