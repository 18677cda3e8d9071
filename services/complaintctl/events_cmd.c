/*  events_cmd.c — `complaintctl events`: every event type on the stream, as
 *  proto/events.c declares it, and a checker for events against it.
 *
 *  Without options: one block per event type (producer, summary, each key
 *  with its type, presence and privacy class). --markdown prints the payload
 *  tables of proto/PROTOCOL.md, which is how that part of the page is made
 *  (tests/integration/events_doc.sh fails when the page drifts):
 *
 *      complaintctl events --markdown > /tmp/events.md
 *      (then replace the part between the BEGIN/END events markers)
 *
 *  --json prints one JSON line per event type (the head's keys first), for
 *  tools. --check reads events, one per line as hex of the msgpack event map
 *  (what `psql -c "select encode(event, 'hex') from event_log"` prints) or
 *  as "TYPE HEX" of an outbox row's data (`type || ' ' || encode(data,
 *  'hex')`), and checks each one's data against its declaration with
 *  events_check_object: one line per event that fails, a summary on stderr,
 *  exit status 1 when any failed. tests/lib.sh runs it over every
 *  integration test's event log and outbox. Needs no server.
 */
#include "ctl.h"
#include "event.h"
#include "events.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl events [--markdown | --json | --check]\n"
        "\n"
        "Prints every event type on the stream as proto/events.c declares it: the\n"
        "service that produces it and each key of its data, with its msgpack type,\n"
        "presence (required, nullable, optional) and class (plain; free text, which is\n"
        "scrubbed; identity, which is the customer's keyed pseudonym).\n"
        "\n"
        "  --markdown         the payload tables of proto/PROTOCOL.md instead\n"
        "  --json             one JSON line per event type instead\n"
        "  --check            read events as hex lines (psql: encode(event, 'hex')), or\n"
        "                     outbox rows as \"TYPE HEX\" lines, on stdin and check each\n"
        "                     one's data against its declaration; exit status 1 when\n"
        "                     any fails\n");
}

static void
s_print_field (const events_field_t *f)
{
    printf ("    %-18s %-13s %-9s %-10s %s\n", f->name, events_type_name (f->type),
            events_presence_name (f->presence), events_class_name (f->privacy), f->meaning);
}

static void
s_print_table (void)
{
    size_t count;
    const events_decl_t *all = events_all (&count);
    for (size_t e = 0; e < count; e++) {
        const events_decl_t *d = &all [e];
        printf ("%s  (%s) %s\n", d->name, d->producer, d->summary);
        if (d->head)
            for (size_t i = 0; i < d->head->nfields; i++)
                s_print_field (&d->head->fields [i]);
        for (size_t i = 0; i < d->nfields; i++)
            s_print_field (&d->fields [i]);
    }
    fflush (stdout);
}

static json_t *
s_field_json (const events_field_t *f)
{
    return json_pack ("{s:s, s:s, s:s, s:s, s:s}", "name", f->name,
                      "type", events_type_name (f->type),
                      "presence", events_presence_name (f->presence),
                      "class", events_class_name (f->privacy), "meaning", f->meaning);
}

static void
s_print_json (void)
{
    size_t count;
    const events_decl_t *all = events_all (&count);
    for (size_t e = 0; e < count; e++) {
        const events_decl_t *d = &all [e];
        json_t *fields = json_array ();
        if (d->head)
            for (size_t i = 0; i < d->head->nfields; i++)
                json_array_append_new (fields, s_field_json (&d->head->fields [i]));
        for (size_t i = 0; i < d->nfields; i++)
            json_array_append_new (fields, s_field_json (&d->fields [i]));
        json_t *line = json_pack ("{s:s, s:s, s:s, s:o, s:o}", "type", d->name,
                                  "producer", d->producer, "summary", d->summary,
                                  "head", d->head ? json_string (d->head->name) : json_null (),
                                  "fields", fields);
        ctl_print_json (line, false);
        json_decref (line);
    }
}

static int
s_hex (int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Check every event on stdin; the exit status says whether all passed. */
static int
s_check (void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned char *bytes = NULL;
    size_t checked = 0, failed = 0, lineno = 0;
    while ((len = getline (&line, &cap, stdin)) != -1) {
        lineno++;
        while (len > 0 && (line [len - 1] == '\n' || line [len - 1] == '\r'
                           || line [len - 1] == ' '))
            len--;
        if (len == 0)
            continue;
        checked++;
        /* "TYPE HEX": an outbox row's type and data; else an event map */
        const char *type = NULL;
        size_t type_len = 0;
        char *hex = line;
        char *space = memchr (line, ' ', (size_t) len);
        if (space) {
            type = line;
            type_len = (size_t) (space - line);
            hex = space + 1;
            len -= (ssize_t) (type_len + 1);
        }
        size_t size = (size_t) len / 2;
        bool ok = len % 2 == 0 && size <= EVENT_MAX_SIZE;
        if (ok) {
            unsigned char *grown = realloc (bytes, size ? size : 1);
            if (!grown) {
                fprintf (stderr, "complaintctl events --check: out of memory\n");
                free (bytes);
                free (line);
                return CTL_EXIT_USAGE;
            }
            bytes = grown;
            for (size_t i = 0; i < size && ok; i++) {
                int hi = s_hex (hex [2 * i]), lo = s_hex (hex [2 * i + 1]);
                ok = hi >= 0 && lo >= 0;
                bytes [i] = (unsigned char) (hi << 4 | lo);
            }
        }
        if (!ok) {
            printf ("line %zu: not the hex of an event of at most %d bytes\n", lineno,
                    EVENT_MAX_SIZE);
            failed++;
            continue;
        }
        msgpack_unpacked msg;
        msgpack_unpacked_init (&msg);
        event_view_t ev;
        memset (&ev, 0, sizeof ev);
        proto_error_t err = { 0 };
        if (type) {
            ev.type = (proto_str_t) { type, type_len };
            if (proto_unpack (bytes, size, EVENT_MAX_SIZE, EVENT_MAX_DEPTH, &msg, &err) == 0)
                events_check_object (type, type_len, &msg.data, &err);
        }
        else
        if (event_decode (bytes, size, &msg, &ev, &err) == 0)
            events_check_object (ev.type.ptr, ev.type.len, ev.data, &err);
        if (err.code) {
            printf ("line %zu: seq %llu %.*s: %s (%s)\n", lineno, (unsigned long long) ev.seq,
                    ev.type.ptr ? (int) (ev.type.len > 64 ? 64 : ev.type.len) : 1,
                    ev.type.ptr ? ev.type.ptr : "?", err.message, err.code);
            failed++;
        }
        msgpack_unpacked_destroy (&msg);
    }
    free (bytes);
    free (line);
    fflush (stdout);
    fprintf (stderr, "complaintctl events --check: %zu events checked, %zu failed\n", checked,
             failed);
    return failed ? CTL_EXIT_REPLY : CTL_EXIT_OK;
}

int
ctl_events (int argc, char **argv)
{
    enum { O_MARKDOWN = 256, O_JSON, O_CHECK, O_HELP };
    static const struct option options [] = {
        { "markdown", no_argument, NULL, O_MARKDOWN },
        { "json", no_argument, NULL, O_JSON },
        { "check", no_argument, NULL, O_CHECK },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    int mode = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_MARKDOWN:
            case O_JSON:
            case O_CHECK:
                if (mode && mode != opt) {
                    s_usage (stderr);
                    return CTL_EXIT_USAGE;
                }
                mode = opt;
                break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl events --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    switch (mode) {
        case O_MARKDOWN:
            events_print_markdown (stdout);
            fflush (stdout);
            return CTL_EXIT_OK;
        case O_JSON:
            s_print_json ();
            return CTL_EXIT_OK;
        case O_CHECK:
            return s_check ();
        default:
            s_print_table ();
            return CTL_EXIT_OK;
    }
}
