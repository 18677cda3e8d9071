/*  replay.c — `complaintctl replay --from N [--limit M] [--to S]`: print the
 *  event log after seq N as JSON lines, then exit.
 *
 *  Pages through the bus replay socket, each request starting after the last
 *  seq received, until a page comes back empty (the end of the log as it is
 *  now) or an event past S arrives. Events are printed in seq order and each
 *  seq at most once, even if the server were to repeat one. Unlike tail this
 *  reads only the log, never the live PUB stream, so its output is a
 *  snapshot: exactly the events after N that the bus had at the time.
 */
#include "ctl.h"
#include "cfg.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

typedef struct {
    uint64_t last;          /* last seq printed (or stepped over) */
    uint64_t to;            /* stop after this seq; UINT64_MAX for no end */
    bool past_end;
    long printed;
} s_replay_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl replay [--from N] [--to S] [--limit M] [OPTIONS]\n"
        "\n"
        "Prints every event with seq > N (default 0: from the start), in order, one\n"
        "JSON line each: {\"seq\",\"type\",\"at\",\"complaint_no\",\"data\"}, then exits.\n"
        "\n"
        "  --from N           start after seq N (default 0)\n"
        "  --to S             stop after seq S (default: the end of the log)\n"
        "  --limit M          events per replay request (default: the bus's, 1000; max 10000)\n"
        "  --replay EP        bus replay endpoint (COMPLAINTS_BUS_REPLAY_ENDPOINT, default %s)\n"
        "  --timeout-ms N     per request (COMPLAINTS_TIMEOUT_MS, default %d); exit 3 on timeout\n",
        CFG_BUS_REPLAY_ENDPOINT, CTL_TIMEOUT_MS);
}

static int
s_on_event (const msgpack_object *event, void *arg)
{
    s_replay_t *self = (s_replay_t *) arg;
    uint64_t seq = 0;
    proto_error_t err = { 0 };
    json_t *json = ctl_event_json (event, &seq, &err);
    if (!json) {
        seq = ctl_event_seq (event);
        if (!seq) {
            fprintf (stderr, "complaintctl replay: unreadable event: %s\n", err.message);
            return -1;
        }
        fprintf (stderr, "complaintctl replay: skipping malformed event seq %" PRIu64 ": %s\n",
                 seq, err.message);
    }
    if (seq > self->to) {
        self->past_end = true;
        json_decref (json);
        return 1;
    }
    if (seq > self->last) {
        if (json) {
            ctl_print_json (json, false);
            self->printed++;
        }
        self->last = seq;
    }
    json_decref (json);
    return 0;
}

int
ctl_replay (int argc, char **argv)
{
    enum { O_FROM = 256, O_TO, O_LIMIT, O_REPLAY, O_TIMEOUT, O_HELP };
    static const struct option options [] = {
        { "from", required_argument, NULL, O_FROM },
        { "to", required_argument, NULL, O_TO },
        { "limit", required_argument, NULL, O_LIMIT },
        { "replay", required_argument, NULL, O_REPLAY },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    s_replay_t self = { 0, UINT64_MAX, false, 0 };
    long from = 0, to = -1, limit = 0;
    const char *endpoint = NULL, *timeout_text = NULL;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_FROM:
                if (ctl_parse_long ("--from", optarg, 0, LONG_MAX, &from))
                    return CTL_EXIT_USAGE;
                break;
            case O_TO:
                if (ctl_parse_long ("--to", optarg, 0, LONG_MAX, &to))
                    return CTL_EXIT_USAGE;
                break;
            case O_LIMIT:
                if (ctl_parse_long ("--limit", optarg, 1, 10000, &limit))
                    return CTL_EXIT_USAGE;
                break;
            case O_REPLAY: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl replay --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "complaintctl replay: unexpected argument \"%s\"\n", argv [optind]);
        return CTL_EXIT_USAGE;
    }
    long timeout_ms;
    if (ctl_timeout_ms (timeout_text, &timeout_ms))
        return CTL_EXIT_USAGE;
    endpoint = ctl_setting (endpoint, CFG_ENV_BUS_REPLAY, CFG_BUS_REPLAY_ENDPOINT);
    self.last = (uint64_t) from;
    if (to >= 0)
        self.to = (uint64_t) to;

    ctl_client_t *client = ctl_client_new (endpoint);
    if (!client)
        return CTL_EXIT_USAGE;
    int rc = CTL_EXIT_OK;
    while (rc == CTL_EXIT_OK && !self.past_end && self.last < self.to) {
        uint64_t before = self.last;
        size_t count = 0;
        rc = ctl_replay_page (client, self.last, limit, (int) timeout_ms,
                              s_on_event, &self, &count, NULL);
        if (rc != CTL_EXIT_OK || count == 0)
            break;
        if (self.last == before) {
            /* A page of nothing new would make us ask the same thing forever. */
            fprintf (stderr, "complaintctl replay: the bus returned no event after seq %"
                     PRIu64 "; stopping\n", before);
            rc = CTL_EXIT_REPLY;
        }
    }
    ctl_client_destroy (&client);
    return rc;
}
