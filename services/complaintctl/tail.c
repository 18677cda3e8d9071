/*  tail.c — `complaintctl tail`: follow the event stream live, one JSON line
 *  per event, gap-free and in order.
 *
 *  The live stream (SUB on the bus PUB socket) is fast but lossy: a slow
 *  reader past its high-water mark, a reconnect, or the few milliseconds
 *  before a subscription takes effect all drop messages. The event log is
 *  complete. So tail prints from the live stream and repairs it from the log:
 *
 *    - It keeps `last`, the highest seq it has handled (printed, or skipped
 *      by the --type filter). Anything at or below `last` is a duplicate and
 *      is dropped.
 *    - A live event with seq > last + 1 means events were missed: before
 *      printing it, tail asks the replay socket for everything after `last`
 *      up to it, and prints those first.
 *    - The bus's heartbeat ["$heartbeat"][last committed seq] catches the
 *      case no later event reveals: the tail end of a burst was dropped and
 *      the stream then went quiet. A heartbeat above `last` triggers the same
 *      catch-up.
 *    - With --from N, `last` starts at N: tail subscribes first, then replays
 *      everything after N, then carries on live; live events that arrived
 *      during the replay are duplicates by then and are dropped. Without
 *      --from, the first live event (or heartbeat) sets the starting point.
 *
 *  It subscribes to every topic even with --type, because the filter must
 *  see every seq to tell a gap from an event of another type.
 *  SIGINT/SIGTERM (czmq's handler sets zsys_interrupted) end it cleanly
 *  with exit 0; --count K ends it after K printed events.
 */
#include "ctl.h"
#include "cfg.h"
#include "event.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define S_REPLAY_PAGE   1000

typedef struct {
    uint64_t last;              /* highest seq handled */
    bool have_last;             /* false until the starting point is known */
    const char *type_prefix;    /* print only types starting with this; NULL = all */
    long count;                 /* stop after this many printed; 0 = never */
    long printed;
    ctl_client_t *replay;
    int timeout_ms;
} s_tail_t;

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
s_done (s_tail_t *self)
{
    return self->count > 0 && self->printed >= self->count;
}

static bool
s_type_wanted (s_tail_t *self, const json_t *line)
{
    if (!self->type_prefix)
        return true;
    const char *type = json_string_value (json_object_get (line, "type"));
    return type && strncmp (type, self->type_prefix, strlen (self->type_prefix)) == 0;
}

/*  Handle one event in order: print it unless filtered, advance `last`.
 *  Returns 1 when --count is reached. */
static int
s_handle (s_tail_t *self, uint64_t seq, json_t *line)
{
    if (line && s_type_wanted (self, line)) {
        ctl_print_json (line, false);
        self->printed++;
    }
    self->last = seq;
    self->have_last = true;
    return s_done (self) ? 1 : 0;
}

static int
s_on_replayed (const msgpack_object *event, void *arg)
{
    s_tail_t *self = (s_tail_t *) arg;
    uint64_t seq = 0;
    proto_error_t err = { 0 };
    json_t *line = ctl_event_json (event, &seq, &err);
    if (!line) {
        seq = ctl_event_seq (event);
        if (!seq) {
            fprintf (stderr, "complaintctl tail: unreadable replayed event: %s\n", err.message);
            return -1;
        }
        fprintf (stderr, "complaintctl tail: skipping malformed event seq %" PRIu64 ": %s\n",
                 seq, err.message);
    }
    int rc = 0;
    if (seq > self->last)
        rc = s_handle (self, seq, line);
    json_decref (line);
    return rc;
}

/*  Print everything after `last` up to at least `target` from the log (or
 *  to the end of the log when target is UINT64_MAX). */
static int
s_catch_up (s_tail_t *self, uint64_t target)
{
    while (self->last < target && !s_done (self) && !zsys_interrupted) {
        uint64_t before = self->last;
        size_t count = 0;
        bool stopped = false;
        int rc = ctl_replay_page (self->replay, self->last, S_REPLAY_PAGE, self->timeout_ms,
                                  s_on_replayed, self, &count, &stopped);
        if (rc != CTL_EXIT_OK)
            return zsys_interrupted ? CTL_EXIT_OK : rc;
        if (count == 0 || stopped)
            break;
        if (self->last == before) {
            fprintf (stderr, "complaintctl tail: the bus returned no event after seq %"
                     PRIu64 "\n", before);
            return CTL_EXIT_REPLY;
        }
    }
    if (target != UINT64_MAX && self->last < target && !s_done (self) && !zsys_interrupted)
        /* The stream showed a seq the log does not (yet) hold. Say so, and go
         * on: the next live event or heartbeat tries again. */
        fprintf (stderr, "complaintctl tail: replay has no events after seq %" PRIu64
                 " yet (wanted up to %" PRIu64 ")\n", self->last, target);
    return CTL_EXIT_OK;
}

/*  One message from the SUB socket: [topic][seq: 8 bytes][event map]. */
static int
s_on_live (s_tail_t *self, zmsg_t *msg)
{
    zframe_t *topic = zmsg_first (msg);
    zframe_t *seq_frame = zmsg_next (msg);
    zframe_t *body = zmsg_next (msg);
    if (zmsg_size (msg) != 3 || zframe_size (seq_frame) != 8) {
        fprintf (stderr, "complaintctl tail: ignoring a message that is not [topic][seq][event]\n");
        return CTL_EXIT_OK;
    }
    uint64_t seq = event_seq_get (zframe_data (seq_frame));
    if (zframe_streq (topic, EVENT_HEARTBEAT_TOPIC)) {
        if (!self->have_last) {
            /* Live from here: the next event is the first we print. */
            self->last = seq;
            self->have_last = true;
            return CTL_EXIT_OK;
        }
        return seq > self->last ? s_catch_up (self, seq) : CTL_EXIT_OK;
    }
    if (!self->have_last) {
        self->last = seq ? seq - 1 : 0;
        self->have_last = true;
    }
    if (seq <= self->last)
        return CTL_EXIT_OK;                         /* already printed */
    if (seq > self->last + 1) {
        int rc = s_catch_up (self, seq - 1);
        if (rc != CTL_EXIT_OK || s_done (self) || seq <= self->last)
            return rc;
    }
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    event_view_t ev;
    proto_error_t err = { 0 };
    json_t *line = NULL;
    if (event_decode (zframe_data (body), zframe_size (body), &unpacked, &ev, &err) == 0)
        line = ctl_event_json (&unpacked.data, NULL, &err);
    if (!line)
        fprintf (stderr, "complaintctl tail: skipping malformed event seq %" PRIu64 ": %s\n",
                 seq, err.message);
    s_handle (self, seq, line);
    json_decref (line);
    msgpack_unpacked_destroy (&unpacked);
    return CTL_EXIT_OK;
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
    s_tail_t self;
    memset (&self, 0, sizeof self);
    long from = -1;
    const char *bus = NULL, *replay = NULL, *timeout_text = NULL;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_FROM:
                if (ctl_parse_long ("--from", optarg, 0, LONG_MAX, &from))
                    return CTL_EXIT_USAGE;
                break;
            case O_TYPE: self.type_prefix = optarg; break;
            case O_COUNT:
                if (ctl_parse_long ("--count", optarg, 1, LONG_MAX, &self.count))
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
    self.timeout_ms = (int) timeout_ms;
    bus = ctl_setting (bus, CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT);
    replay = ctl_setting (replay, CFG_ENV_BUS_REPLAY, CFG_BUS_REPLAY_ENDPOINT);

    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (!sub)
        return CTL_EXIT_UNREACHABLE;
    /* A deep queue so a burst does not overflow while we print; whatever
     * still overflows is recovered through replay. */
    zsock_set_rcvhwm (sub, 100000);
    zsock_set_maxmsgsize (sub, EVENT_MAX_SIZE + 64);
    if (zsock_connect (sub, "%s", bus)) {
        fprintf (stderr, "complaintctl tail: invalid endpoint \"%s\"\n", bus);
        zsock_destroy (&sub);
        return CTL_EXIT_USAGE;
    }
    zsock_set_subscribe (sub, "");
    self.replay = ctl_client_new (replay);
    if (!self.replay) {
        zsock_destroy (&sub);
        return CTL_EXIT_USAGE;
    }

    int rc = CTL_EXIT_OK;
    if (from >= 0) {
        /* Subscribed already, so nothing published from now on is missed:
         * it waits in the SUB queue and is dropped as a duplicate if the
         * replay has printed it by the time we read it. */
        self.last = (uint64_t) from;
        self.have_last = true;
        rc = s_catch_up (&self, UINT64_MAX);
    }
    zpoller_t *poller = zpoller_new (sub, NULL);
    while (rc == CTL_EXIT_OK && !s_done (&self) && !zsys_interrupted) {
        void *which = zpoller_wait (poller, -1);
        if (!which) {
            if (zpoller_terminated (poller))
                break;
            continue;
        }
        zmsg_t *msg = zmsg_recv (sub);
        if (!msg)
            break;
        rc = s_on_live (&self, msg);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    ctl_client_destroy (&self.replay);
    zsock_destroy (&sub);
    return rc;
}
