/*  hotspots_cmd.c — `complaintctl hotspots`: the analytics daemon's hot
 *  spots, for people (a table, times in the bank's zone with the offset
 *  written) or as JSON lines for tools.
 *
 *  One request to the analytics ROUTER ({"op":"hotspots","state":...},
 *  proto/analytics_request.h); the reply names the bank's zone, and every
 *  time is printed in it, "2026-12-05 16:34 +08:00", whatever this
 *  machine's TZ: a hot spot is about the bank's days.
 */
#include "ctl.h"
#include "curve.h"
#include "analytics_request.h"
#include "cfg.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl hotspots [--all] [--json] [--lang zh|en] [--analytics EP]\n"
        "                             [--timeout-ms N]\n"
        "\n"
        "Lists the hot spots the analytics daemon detected (docs/analytics.md, \"Hot spots\"):\n"
        "  kind, rule, key (branch, cause, business line or customer pseudonym), count in\n"
        "  the window, first and last complaint, opened and cleared, samples.\n"
        "\n"
        "  --all              the cleared ones too (default: those open now)\n"
        "  --json             one JSON line per hot spot (times as unix ms)\n"
        "  --endpoint EP      the same as --analytics (the name it had first)\n");
    ctl_aopts_usage (out, CTL_AUSAGE_LANG);
}

//  unix ms -> "2026-12-05 16:34 +08:00" in zone; "-" for null.
static const char *
s_time (const json_t *value, const char *zone, char *buf, size_t size)
{
    if (!json_is_integer (value))
        return "-";
    return ctl_time_in (json_integer_value (value), zone, buf, size);
}

static const char *
s_str (const json_t *obj, const char *key)
{
    const char *s = json_string_value (json_object_get (obj, key));
    return s && *s ? s : NULL;
}

static void
s_print (const json_t *spots, const char *zone, const char *lang)
{
    ctl_names_t *labels = ctl_names_load ();
    static const char *const kinds [4] = { "department", "cause", "business_line", NULL };
    size_t i;
    json_t *h;
    if (json_array_size (spots) == 0)
        printf ("no hot spots\n");
    json_array_foreach (spots, i, h) {
        char first [40], last [40], opened [40], cleared [40];
        const char *key [4] = { s_str (h, "branch"), s_str (h, "cause"),
                                s_str (h, "business_line"), s_str (h, "customer") };
        static const char *const names [4] = { "branch", "cause", "business_line", "customer" };
        printf ("%s  %s (%s)\n", json_is_integer (json_object_get (h, "cleared_at"))
                ? "cleared" : "OPEN   ", s_str (h, "rule") ? s_str (h, "rule") : "-",
                s_str (h, "kind") ? s_str (h, "kind") : "-");
        printf ("   ");
        for (int k = 0; k < 4; k++)
            if (key [k] && kinds [k]
            &&  strcmp (ctl_names_get (labels, kinds [k], key [k], lang), key [k]) != 0)
                printf (" %s=%s (%s)", names [k], key [k],
                        ctl_names_get (labels, kinds [k], key [k], lang));
            else
            if (key [k])
                printf (" %s=%s", names [k], key [k]);
        printf ("\n    %" JSON_INTEGER_FORMAT " complaints in %s, %s .. %s\n",
                json_integer_value (json_object_get (h, "count")),
                s_str (h, "window") ? s_str (h, "window") : "-",
                s_time (json_object_get (h, "first_at"), zone, first, sizeof first),
                s_time (json_object_get (h, "last_at"), zone, last, sizeof last));
        /* issue 16 (i16-tasks): the key `rectification open --hotspot` takes;
         * issue 16 follow-up (analytics2): as analytics derives it (053), nil
         * for a customer's hot spot */
        if (s_str (h, "key"))
            printf ("    key %s\n", s_str (h, "key"));
        printf ("    opened %s, cleared %s\n",
                s_time (json_object_get (h, "opened_at"), zone, opened, sizeof opened),
                s_time (json_object_get (h, "cleared_at"), zone, cleared, sizeof cleared));
        const json_t *samples = json_object_get (h, "samples");
        size_t j;
        json_t *no;
        printf ("    samples:");
        json_array_foreach (samples, j, no)
            printf (" %s", json_string_value (no) ? json_string_value (no) : "?");
        printf ("\n");
    }
    ctl_names_destroy (&labels);
}

typedef struct {
    bool all;
    const char *endpoint;
} s_hotspots_t;

enum { O_ALL = 256, O_ENDPOINT };

static int
s_option (void *arg, int opt, const char *value)
{
    s_hotspots_t *own = (s_hotspots_t *) arg;
    if (opt == O_ALL)
        own->all = true;
    else
        own->endpoint = value;
    return 0;
}

int
ctl_hotspots (int argc, char **argv)
{
    static const struct option options [] = {
        CTL_AOPT_JSON, CTL_AOPT_LANG, CTL_AOPT_ENDPOINT,
        { "all", no_argument, NULL, O_ALL },
        { "endpoint", required_argument, NULL, O_ENDPOINT },
        { NULL, 0, NULL, 0 }
    };
    ctl_aopts_t o;
    s_hotspots_t own = { false, NULL };
    int rc = ctl_aopts_parse (&o, "hotspots", argc, argv, options, s_usage, s_option, &own);
    if (rc != CTL_EXIT_OK)
        return rc == CTL_AOPT_STOP ? CTL_EXIT_OK : rc;
    bool all = own.all;
    if (own.endpoint)
        o.endpoint = own.endpoint;      /* --endpoint: --analytics's first name */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    analytics_hotspots_request_pack (&buf, all);
    json_t *reply = NULL;
    rc = ctl_request_json (CURVE_ANALYTICS, o.endpoint, &buf, (int) o.timeout_ms, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    const json_t *spots = json_object_get (reply, "hotspots");
    const char *zone = s_str (reply, "zone");
    if (!ctl_json_ok (reply))
        rc = ctl_reply_json_error ("hotspots", reply);
    else
    if (!json_is_array (spots) || !zone) {
        fprintf (stderr, "complaintctl hotspots: the reply holds no hotspots or zone\n");
        rc = CTL_EXIT_REPLY;
    }
    else
    if (o.json) {
        size_t i;
        json_t *h;
        json_array_foreach (spots, i, h)
            ctl_print_json (h, false);
    }
    else
        s_print (spots, zone, o.lang);
    json_decref (reply);
    return rc;
}
