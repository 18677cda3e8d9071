/*  clock_cmd.c — `complaintctl clock`: the store's clock, shown, or moved in
 *  a test database.
 *
 *  Every domain time (received, accepted, resolved, every SLA deadline and
 *  firing) comes from the store's app_now () (deploy/migrations/003_sla.sql):
 *
 *      app time = anchor_virtual + (now () - anchor_real) * scale
 *
 *  In production it is now (). A member of the role complaints_test_clock
 *  (migration 020; tests/run.sh grants it in its own cluster, production
 *  to nobody) may shift it or scale it, so a test runs days of deadlines
 *  in seconds against the real daemons; every watchdog is woken at once
 *  (NOTIFY app_clock). Anyone else is refused by the store, and this tool
 *  prints the store's refusal (message, detail, hint) and exits 1: the
 *  tool has no opinion of its own about who may move the clock; it asks
 *  app_clock_movable () to show it.
 *
 *      clock                 app time, real time, offset, scale, movable?
 *      clock shift SPAN      app time += SPAN (PostgreSQL interval text,
 *                            "25 hours", "2 days 3 hours", or 25h / 2d /
 *                            90m / 30s / 500ms / 1w, with an optional sign)
 *      clock set TIME        app time = TIME (timestamptz text, or unix ms)
 *      clock scale F         app time runs F times as fast from now on
 *      clock reset           back to real time, scale 1
 *
 *  Each change is one statement through app_clock_set (virtual_now,
 *  scale), so the clock is never seen half-moved. It talks to PostgreSQL
 *  directly (libpq), like the services: --pg, else COMPLAINTS_CTL_PG, else
 *  COMPLAINTS_PG, else "" (libpq's PG* variables). Exit: 0 done, 1 refused by the store, 2 usage
 *  (also a SPAN or TIME the store cannot read), 3 the store unreachable.
 */
#include "ctl.h"
#include "cfg.h"

#include <ctype.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_ARG 200

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl clock [shift SPAN | set TIME | scale F | reset] [--pg CONNINFO] [--json]\n"
        "\n"
        "The store's clock, app_now (): every received, accepted and resolved time and\n"
        "every SLA deadline comes from it. Without a command: the app time, the real\n"
        "time, the offset between them, the scale, and whether you may move it (only a\n"
        "member of the role complaints_test_clock, in a test cluster).\n"
        "\n"
        "  shift SPAN   move the app time by SPAN: PostgreSQL interval text (\"25 hours\",\n"
        "               \"2 days 3 hours\", \"-1 hour\") or a short form 25h, 2d, 90m, 30s,\n"
        "               500ms, 1w (optional sign)\n"
        "  set TIME     set the app time: timestamptz text (\"2026-12-01 09:00+08\") or\n"
        "               unix milliseconds\n"
        "  scale F      from now on the app time runs F times as fast (0 < F <= 1000000)\n"
        "  reset        back to real time at scale 1\n"
        "\n"
        "  --pg CONNINFO  PostgreSQL (COMPLAINTS_CTL_PG, else %s; \"\" = the PG* variables)\n"
        "  --json         print the clock as one JSON line\n"
        "\n"
        "exit: 0 done, 1 refused by the store (not a test clock's role), 2 usage,\n"
        "      3 the store is unreachable\n", CFG_ENV_PG);
}

/* "25h" -> "25 hours" (into out); anything else is copied as it is, for
 * PostgreSQL to read as interval text. */
static void
s_span_text (const char *span, char *out, size_t size)
{
    static const struct { const char *suffix, *unit; } units [] = {
        { "ms", "milliseconds" }, { "s", "seconds" }, { "m", "minutes" },
        { "h", "hours" }, { "d", "days" }, { "w", "weeks" },
    };
    const char *p = span;
    if (*p == '+' || *p == '-')
        p++;
    const char *digits = p;
    while (isdigit ((unsigned char) *p) || *p == '.')
        p++;
    if (p > digits)
        for (size_t i = 0; i < sizeof units / sizeof units [0]; i++)
            if (strcmp (p, units [i].suffix) == 0) {
                snprintf (out, size, "%.*s %s", (int) (p - span), span, units [i].unit);
                return;
            }
    snprintf (out, size, "%s", span);
}

/* "+1d 01:00:00.000" */
static void
s_format_offset (long long ms, char *out, size_t size)
{
    char sign = ms < 0 ? '-' : '+';
    unsigned long long a = (unsigned long long) (ms < 0 ? -ms : ms);
    unsigned long long days = a / 86400000ULL;
    a %= 86400000ULL;
    snprintf (out, size, "%c%llud %02llu:%02llu:%02llu.%03llu", sign, days, a / 3600000ULL,
              a / 60000ULL % 60, a / 1000ULL % 60, a % 1000ULL);
}

/* The store's refusal, as it gave it. Returns the exit code. */
static int
s_report (const char *what, const PGresult *res, PGconn *conn)
{
    const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
    const char *message = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_HINT) : NULL;
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "complaintctl clock: the store went away: %s", PQerrorMessage (conn));
        return CTL_EXIT_UNREACHABLE;
    }
    if (!message)
        message = PQerrorMessage (conn);
    /* 22xxx: the store could not read the SPAN, TIME or scale we passed */
    if (state && strncmp (state, "22", 2) == 0) {
        fprintf (stderr, "complaintctl clock %s: %s\n", what, message);
        return CTL_EXIT_USAGE;
    }
    fprintf (stderr, "complaintctl clock %s: refused by the store: %s\n", what, message);
    if (detail)
        fprintf (stderr, "  %s\n", detail);
    if (hint)
        fprintf (stderr, "  hint: %s\n", hint);
    /* the guard trigger's refusal (42501), or the store refusing anything
     * else (no app_clock: the migrations were not run) */
    return CTL_EXIT_REPLY;
}

static const char *s_show_sql =
    "SELECT app_now ()::text, now ()::text,"
    "       (extract (epoch FROM app_now ()) * 1000)::bigint,"
    "       (extract (epoch FROM now ()) * 1000)::bigint,"
    "       (extract (epoch FROM app_now () - now ()) * 1000)::bigint,"
    "       scale, app_clock_movable (),"
    "       current_database ()"
    "  FROM app_clock";

static int
s_show (PGconn *conn, bool json_out)
{
    PGresult *res = PQexec (conn, s_show_sql);
    if (PQresultStatus (res) != PGRES_TUPLES_OK || PQntuples (res) != 1) {
        int rc = s_report ("", res, conn);
        PQclear (res);
        return rc;
    }
    const char *app = PQgetvalue (res, 0, 0), *real = PQgetvalue (res, 0, 1);
    long long app_ms = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
    long long real_ms = strtoll (PQgetvalue (res, 0, 3), NULL, 10);
    long long offset_ms = strtoll (PQgetvalue (res, 0, 4), NULL, 10);
    double scale = strtod (PQgetvalue (res, 0, 5), NULL);
    bool movable = PQgetvalue (res, 0, 6) [0] == 't';
    const char *db = PQgetvalue (res, 0, 7);
    if (json_out) {
        json_t *j = json_pack ("{s:s, s:I, s:s, s:I, s:I, s:f, s:b, s:s}",
                               "app_now", app, "app_now_ms", (json_int_t) app_ms,
                               "real_now", real, "real_now_ms", (json_int_t) real_ms,
                               "offset_ms", (json_int_t) offset_ms, "scale", scale,
                               "movable", movable, "database", db);
        ctl_print_json (j, false);
        json_decref (j);
    }
    else {
        char offset [64];
        s_format_offset (offset_ms, offset, sizeof offset);
        printf ("app time   %s\n", app);
        printf ("real time  %s\n", real);
        printf ("offset     %s\n", offset);
        printf ("scale      %g%s\n", scale, scale == 1 ? "" : " (app seconds per real second)");
        printf ("movable    %s\n", movable ? "yes (a member of complaints_test_clock)"
                                           : "no (not a member of complaints_test_clock)");
        fflush (stdout);
    }
    PQclear (res);
    return CTL_EXIT_OK;
}

/* One app_clock_set call; $1 is the argument, as text. */
static int
s_change (PGconn *conn, const char *what, const char *sql, const char *arg)
{
    const char *values [] = { arg };
    PGresult *res = PQexecParams (conn, sql, arg ? 1 : 0, NULL, arg ? values : NULL,
                                  NULL, NULL, 0);
    int rc = CTL_EXIT_OK;
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        rc = s_report (what, res, conn);
    PQclear (res);
    return rc;
}

int
ctl_clock (int argc, char **argv)
{
    enum { O_PG = 256, O_JSON, O_HELP };
    static const struct option options [] = {
        { "pg", required_argument, NULL, O_PG },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *pg = NULL;
    bool json_out = false;
    optind = 1;
    int opt;
    /* "+" : stop at the first non-option, so "shift -1h" keeps its sign */
    while ((opt = getopt_long (argc, argv, "+h", options, NULL)) != -1) {
        switch (opt) {
            case O_PG: pg = optarg; break;
            case O_JSON: json_out = true; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl clock --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    const char *cmd = optind < argc ? argv [optind] : "show";
    const char *arg = NULL;
    /* after the command: its argument (which may start with '-': "shift
     * -1h"), and --pg / --json, e.g. "shift 2d --pg X" */
    for (int i = optind + 1; i < argc; i++) {
        if (strcmp (argv [i], "--json") == 0)
            json_out = true;
        else
        if (strcmp (argv [i], "--pg") == 0 && i + 1 < argc)
            pg = argv [++i];
        else
        if (strncmp (argv [i], "--pg=", 5) == 0)
            pg = argv [i] + 5;
        else
        if (!arg)
            arg = argv [i];
        else {
            fprintf (stderr, "complaintctl clock: unexpected argument '%s'\n", argv [i]);
            return CTL_EXIT_USAGE;
        }
    }
    bool needs_arg = strcmp (cmd, "shift") == 0 || strcmp (cmd, "set") == 0
                  || strcmp (cmd, "scale") == 0;
    bool known = needs_arg || strcmp (cmd, "show") == 0 || strcmp (cmd, "reset") == 0;
    if (!known) {
        fprintf (stderr, "complaintctl clock: unknown command '%s' (shift, set, scale, reset)\n",
                 cmd);
        return CTL_EXIT_USAGE;
    }
    if (needs_arg && !arg) {
        fprintf (stderr, "complaintctl clock %s: needs an argument\n", cmd);
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (!needs_arg && arg) {
        fprintf (stderr, "complaintctl clock %s: takes no argument\n", cmd);
        return CTL_EXIT_USAGE;
    }
    if (arg && strlen (arg) > S_MAX_ARG) {
        fprintf (stderr, "complaintctl clock %s: argument too long\n", cmd);
        return CTL_EXIT_USAGE;
    }
    const char *sql = NULL;
    char text [S_MAX_ARG + 32];
    if (strcmp (cmd, "shift") == 0) {
        s_span_text (arg, text, sizeof text);
        arg = text;
        sql = "SELECT app_clock_set (app_now () + $1::interval, scale) FROM app_clock";
    }
    else
    if (strcmp (cmd, "set") == 0) {
        bool ms = *arg != 0;
        for (const char *c = arg; *c; c++)
            ms &= isdigit ((unsigned char) *c) != 0;
        sql = ms ? "SELECT app_clock_set (to_timestamp ($1::bigint / 1000.0), scale) FROM app_clock"
                 : "SELECT app_clock_set ($1::timestamptz, scale) FROM app_clock";
    }
    else
    if (strcmp (cmd, "scale") == 0) {
        char *end;
        double f = strtod (arg, &end);
        if (end == arg || *end || !(f > 0 && f <= 1e6)) {
            fprintf (stderr, "complaintctl clock scale: '%s' is not a number above 0 and at "
                     "most 1000000\n", arg);
            return CTL_EXIT_USAGE;
        }
        sql = "SELECT app_clock_set (app_now (), $1::float8)";
    }
    else
    if (strcmp (cmd, "reset") == 0)
        sql = "SELECT app_clock_set (now (), 1)";

    const char *conninfo = ctl_pg_conninfo (pg);
    const char *const keys [] = { "dbname", "application_name", "connect_timeout", NULL };
    const char *const values [] = { conninfo, "complaintctl", "5", NULL };
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "complaintctl clock: cannot reach the store: %s", PQerrorMessage (conn));
        PQfinish (conn);
        return CTL_EXIT_UNREACHABLE;
    }
    int rc = CTL_EXIT_OK;
    if (sql)
        rc = s_change (conn, cmd, sql, arg);
    if (rc == CTL_EXIT_OK) {
        if (sql && !json_out)
            printf ("clock %s%s%s: done\n", cmd, arg ? " " : "", arg ? arg : "");
        rc = s_show (conn, json_out);
    }
    PQfinish (conn);
    return rc;
}
