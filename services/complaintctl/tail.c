/*  tail.c — `complaintctl tail`: follow the event stream live, one JSON line
 *  per event, gap-free and in order.
 *
 *  The ordering and the repair are the event client's (common/
 *  event_stream.c): it subscribes to the bus PUB socket, drops duplicates,
 *  and fills every gap — a live event past one, a heartbeat above the last
 *  seq handled, a late start with --from N — from the replay socket before
 *  handing on what follows. This file only prints: each event as a JSON
 *  line unless the --type filter drops it (the stream still sees every seq,
 *  so a filtered event is never mistaken for a gap), until --count lines or
 *  SIGINT/SIGTERM (exit 0). Without --from, the first live event (or
 *  heartbeat) sets the starting point. A gap that cannot be filled in time
 *  (no replay answer within --timeout-ms) ends it with exit 3.
 */
#include "ctl.h"
#include "cfg.h"
#include "event_stream.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define S_REPLAY_PAGE   1000

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl tail [--from N] [--type PREFIX] [--count K] [OPTIONS]\n"
        "\n"
        "Follows the event stream, one JSON line per event, in seq order with no gaps:\n"
        "  {\"seq\":N,\"type\":\"...\",\"at\":MS,\"complaint_no\":\"...\",\"data\":{...}}\n"
        "Missed events are fetched from the replay socket. Stops on SIGINT/SIGTERM.\n"
        "\n"
        "  --from N           first print every event after seq N from the log, then go live\n"
        "                     (default: start with the next live event)\n"
        "  --type PREFIX      print only events whose type starts with PREFIX\n"
        "  --count K          exit after printing K events\n"
        "  --bus EP           bus PUB endpoint (COMPLAINTS_BUS_PUB_ENDPOINT, default %s)\n"
        "  --replay EP        bus replay endpoint (COMPLAINTS_BUS_REPLAY_ENDPOINT, default %s)\n"
        "  --timeout-ms N     per replay request (COMPLAINTS_TIMEOUT_MS, default %d); exit 3\n"
        "                     when a gap cannot be filled in time\n",
        CFG_BUS_PUB_ENDPOINT, CFG_BUS_REPLAY_ENDPOINT, CTL_TIMEOUT_MS);
}

static bool
s_type_wanted (const char *prefix, const event_view_t *ev)
{
    return !prefix || (ev->type.len >= strlen (prefix)
                       && memcmp (ev->type.ptr, prefix, strlen (prefix)) == 0);
}

int
ctl_tail (int argc, char **argv)
{
    enum { O_FROM = 256, O_TYPE, O_COUNT, O_BUS, O_REPLAY, O_TIMEOUT, O_HELP };
    static const struct option options [] = {
        { "from", required_argument, NULL, O_FROM },
        { "type", required_argument, NULL, O_TYPE },
        { "count", required_argument, NULL, O_COUNT },
        { "bus", required_argument, NULL, O_BUS },
        { "replay", required_argument, NULL, O_REPLAY },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    long from = -1, count = 0;
    const char *type_prefix = NULL;
    const char *bus = NULL, *replay = NULL, *timeout_text = NULL;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_FROM:
                if (ctl_parse_long ("--from", optarg, 0, LONG_MAX, &from))
                    return CTL_EXIT_USAGE;
                break;
            case O_TYPE: type_prefix = optarg; break;
            case O_COUNT:
                if (ctl_parse_long ("--count", optarg, 1, LONG_MAX, &count))
                    return CTL_EXIT_USAGE;
                break;
            case O_BUS: bus = optarg; break;
            case O_REPLAY: replay = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl tail --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "complaintctl tail: unexpected argument \"%s\"\n", argv [optind]);
        return CTL_EXIT_USAGE;
    }
    long timeout_ms;
    if (ctl_timeout_ms (timeout_text, &timeout_ms))
        return CTL_EXIT_USAGE;
    bus = ctl_setting (bus, CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT);
    replay = ctl_setting (replay, CFG_ENV_BUS_REPLAY, CFG_BUS_REPLAY_ENDPOINT);

    event_stream_t *stream = event_stream_new (bus, replay, (int) timeout_ms, S_REPLAY_PAGE);
    if (!stream) {
        fprintf (stderr, "complaintctl tail: cannot use \"%s\" or \"%s\" (invalid, or not"
                 " secured: see above)\n", bus, replay);
        return CTL_EXIT_USAGE;
    }
    /* Subscribed already (event_stream_new), so nothing published from now
     * on is missed: it waits in the SUB queue and is dropped as a duplicate
     * if the replay has handed it on by then. */
    if (from >= 0)
        event_stream_start_after (stream, (uint64_t) from);
    else
        event_stream_start_live (stream);

    int rc = CTL_EXIT_OK;
    long printed = 0;
    while (!zsys_interrupted && (count == 0 || printed < count)) {
        event_stream_event_t ev;
        int got = event_stream_next (stream, 1000, &ev);
        if (got == 0)
            continue;
        if (got < 0) {
            if (zsys_interrupted)
                break;
            fprintf (stderr, "complaintctl tail: %s\n", event_stream_error (stream));
            rc = got == EVENT_STREAM_UNREACHABLE ? CTL_EXIT_UNREACHABLE : CTL_EXIT_REPLY;
            break;
        }
        proto_error_t err = ev.err;
        json_t *line = ev.valid ? ctl_event_json (ev.object, NULL, &err) : NULL;
        if (!line)
            fprintf (stderr, "complaintctl tail: skipping malformed event seq %" PRIu64 ": %s\n",
                     ev.seq, err.message);
        else
        if (s_type_wanted (type_prefix, &ev.view)) {
            ctl_print_json (line, false);
            printed++;
        }
        json_decref (line);
    }
    event_stream_destroy (&stream);
    return rc;
}
