/*  replay.c — `complaintctl replay --from N [--limit M] [--to S]`: print the
 *  event log after seq N as JSON lines, then exit.
 *
 *  The event client (common/event_stream.c) without a PUB endpoint: it
 *  pages through the bus replay socket, each request starting after the
 *  last seq received, until a page comes back empty (the end of the log as
 *  it is now); we stop there or at the first event past S. Events come in
 *  seq order and each seq at most once, even if the server were to repeat
 *  one. Unlike tail this reads only the log, never the live PUB stream, so
 *  its output is a snapshot: exactly the events after N that the bus had at
 *  the time.
 */
#include "ctl.h"
#include "cfg.h"
#include "event_stream.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

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
    uint64_t last_wanted = to >= 0 ? (uint64_t) to : UINT64_MAX;

    event_stream_t *stream = event_stream_new (NULL, endpoint, (int) timeout_ms, limit);
    if (!stream) {
        fprintf (stderr, "complaintctl: cannot use \"%s\" (invalid, or not secured: see"
                 " above)\n", endpoint);
        return CTL_EXIT_USAGE;
    }
    event_stream_start_after (stream, (uint64_t) from);
    int rc = CTL_EXIT_OK;
    while (!zsys_interrupted) {
        event_stream_event_t ev;
        int got = event_stream_next (stream, 0, &ev);
        if (got == 0)
            break;                      /* the end of the log */
        if (got < 0) {
            fprintf (stderr, "complaintctl replay: %s\n", event_stream_error (stream));
            rc = got == EVENT_STREAM_UNREACHABLE ? CTL_EXIT_UNREACHABLE : CTL_EXIT_REPLY;
            break;
        }
        if (ev.seq > last_wanted)
            break;
        proto_error_t err = ev.err;
        json_t *json = ev.valid ? ctl_event_json (ev.object, NULL, &err) : NULL;
        if (json)
            ctl_print_json (json, false);
        else
            fprintf (stderr, "complaintctl replay: skipping malformed event seq %" PRIu64
                     ": %s\n", ev.seq, err.message);
        json_decref (json);
    }
    event_stream_destroy (&stream);
    return rc;
}
