/*  notify_cmd.c — `complaintctl notifications` and `complaintctl optout`:
 *  the operator's view of what the notifier owes, has sent and gave up on,
 *  and the customer's opt-outs.
 *
 *      notifications [--state S] [--complaint NO] [--channel C] [--limit N]
 *                                    the newest rows first, addresses masked
 *      notifications --summary       counts by state and channel, the oldest
 *                                    row that is due and not yet sent
 *      notifications show ID         one row whole: the subject and body as
 *                                    rendered into it (what is, or was, sent)
 *      notifications retry ID...     a dead, failed or suppressed row owed
 *      notifications retry --dead    again, now, from attempt 0
 *      optout add NO CHANNEL         the customer of complaint NO wants no
 *      optout remove NO CHANNEL      more messages over CHANNEL / again
 *      optout list [NO]              every opt-out, or that customer's
 *
 *  Like `clock`, these talk to PostgreSQL directly (libpq; --pg, else
 *  COMPLAINTS_PG, else "" = the PG* variables): the notifier has no request
 *  socket, and what an operator needs here is the store's own view.
 *
 *  Privacy (invariant 8 and DOMAIN.md): a list never prints an address
 *  whole. E-mail keeps its first character and domain (z***@example.com), a
 *  phone its first 3 and last 4 digits (138****5678), anything else (a push
 *  id) its first 2 characters. `show` masks the same way; the rendered text
 *  is printed because that is what the operator must check. Opt-outs are
 *  keyed by the customer's pseudonym (the HMAC in complaint.customer_pseudonym),
 *  so one asked for on a complaint holds for the same customer's next one,
 *  and the table holds no identity; lists print its first 8 characters.
 *
 *  The notifier's tables are the notifier's (invariant 9): what this tool
 *  changes in them goes through the store functions the notifier's side
 *  declares (migration 007): notification_retry, customer_optout_set,
 *  customer_optout_remove. Reading them for the lists is fine.
 *
 *  A retry is one transaction per row: notification_retry locks the row,
 *  checks its state (only dead, failed and suppressed may be retried: a
 *  pending or sending row is owed already, a sent one was delivered), resets
 *  it to pending with attempts 0 and no deferral and records who asked
 *  (retried_by); this tool then packs the notification.retried event from
 *  what it returned and appends it to the outbox before COMMIT, so the event
 *  log says that a person, not the notifier, sent it round again. The last
 *  error stays until the next attempt replaces it.
 *
 *  Exit: 0 done, 1 refused or not found (also: any of several ids), 2 usage,
 *  3 the store unreachable.
 */
#include "ctl.h"
#include "cfg.h"
#include "complaint_no.h"
#include "events.h"

#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_ERROR_CUT     60      /* characters of last_error in a list */
#define S_MAX_TEXT      500     /* --reason, --by */
#define S_MAX_IDS       1000    /* ids on one retry command line */

static const char *s_states [] = { "pending", "sending", "sent", "failed", "dead", "suppressed" };
#define S_NSTATES (sizeof s_states / sizeof s_states [0])
static const char *s_channels [] = { "email", "sms", "push", "inbox" };
#define S_NCHANNELS (sizeof s_channels / sizeof s_channels [0])

static void
s_notifications_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl notifications [--state S] [--complaint NO] [--channel C]\n"
        "                                  [--limit N] [--json] [--pg CONNINFO]\n"
        "       complaintctl notifications --summary [--json]\n"
        "       complaintctl notifications show ID [--json]\n"
        "       complaintctl notifications retry ID... [--by NAME]\n"
        "       complaintctl notifications retry --dead [--channel C] [--by NAME]\n"
        "\n"
        "What the notifier owes, has sent, and gave up on, newest first. Addresses\n"
        "are masked: z***@example.com, 138****5678, ab*** (push ids).\n"
        "\n"
        "  --state S       pending, sending, sent, failed, dead or suppressed\n"
        "  --complaint NO  one complaint's notifications\n"
        "  --channel C     email, sms, push or inbox\n"
        "  --limit N       at most N rows (default 50)\n"
        "  --summary       counts by state and channel, and the oldest row due\n"
        "  --json          one JSON object per line (times in unix ms)\n"
        "  show ID         every column of one row, and its rendered subject and body\n"
        "  retry ID...     a dead, failed or suppressed row goes back to pending with\n"
        "                  attempts 0, due now; a notification.retried event says who\n"
        "  retry --dead    every dead row (of --channel C)\n"
        "  --by NAME       who retried (default $USER, else \"operator\")\n"
        "  --pg CONNINFO   PostgreSQL (%s; \"\" = the PG* variables)\n"
        "\n"
        "exit: 0 done, 1 not found or refused (a row in another state), 2 usage,\n"
        "      3 the store is unreachable\n", CFG_ENV_PG);
}

static void
s_optout_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl optout add NO CHANNEL [--reason TEXT] [--by NAME]\n"
        "       complaintctl optout remove NO CHANNEL\n"
        "       complaintctl optout list [NO] [--json]\n"
        "\n"
        "A customer's opt-out of a channel (email, sms, push): the notifier sends\n"
        "them nothing more over it and records the row as suppressed. NO is any of\n"
        "the customer's complaint numbers; the opt-out belongs to the customer (their\n"
        "pseudonym), so it holds for their later complaints too.\n"
        "\n"
        "  add NO CHANNEL   opt out (again: updates the reason and who)\n"
        "  remove NO CHANNEL  opt back in\n"
        "  list [NO]        every opt-out, or only that complaint's customer's\n"
        "  --reason TEXT    why (what the customer said)\n"
        "  --by NAME        who recorded it (default $USER, else \"operator\")\n"
        "  --json           one JSON object per line\n"
        "  --pg CONNINFO    PostgreSQL (%s; \"\" = the PG* variables)\n"
        "\n"
        "exit: 0 done, 1 no such complaint (or opt-out to remove), 2 usage,\n"
        "      3 the store is unreachable\n", CFG_ENV_PG);
}

/* ------------------------------------------------------------- the store */

static PGconn *
s_connect (const char *what, const char *pg)
{
    const char *conninfo = ctl_pg_conninfo (pg);
    const char *const keys [] = { "dbname", "application_name", "connect_timeout", NULL };
    const char *const values [] = { conninfo, "complaintctl", "5", NULL };
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "complaintctl %s: cannot reach the store: %s", what,
                 PQerrorMessage (conn));
        PQfinish (conn);
        return NULL;
    }
    return conn;
}

/* The store's refusal. Returns the exit code: 3 when the connection went
 * away, else 1. */
static int
s_report (const char *what, const PGresult *res, PGconn *conn)
{
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "complaintctl %s: the store went away: %s", what,
                 PQerrorMessage (conn));
        return CTL_EXIT_UNREACHABLE;
    }
    const char *message = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    fprintf (stderr, "complaintctl %s: the store refused: %s%s", what,
             message ? message : PQerrorMessage (conn), message ? "\n" : "");
    return CTL_EXIT_REPLY;
}

/* PQexecParams with text parameters (NULL = SQL NULL); NULL result on
 * failure (reported, *rc set). */
static PGresult *
s_query (PGconn *conn, const char *what, const char *sql, int n, const char *const *values,
         int *rc)
{
    PGresult *res = PQexecParams (conn, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus (res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        *rc = s_report (what, res, conn);
        PQclear (res);
        return NULL;
    }
    return res;
}

static int
s_exec (PGconn *conn, const char *what, const char *sql)
{
    int rc = CTL_EXIT_OK;
    PGresult *res = s_query (conn, what, sql, 0, NULL, &rc);
    if (!res)
        return rc;
    PQclear (res);
    return CTL_EXIT_OK;
}

static bool
s_null (const PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) != 0;
}

/* A column that holds unix ms, or NULL. */
static json_t *
s_ms_json (const PGresult *res, int row, int col)
{
    if (s_null (res, row, col))
        return json_null ();
    return json_integer ((json_int_t) strtoll (PQgetvalue (res, row, col), NULL, 10));
}

static json_t *
s_text_json (const PGresult *res, int row, int col)
{
    if (s_null (res, row, col))
        return json_null ();
    return json_string (PQgetvalue (res, row, col));
}

/* A unix-ms column as "YYYY-MM-DD HH:MM" in local time (TZ); "-" for NULL. */
static const char *
s_time (const PGresult *res, int row, int col, char *buf, size_t size)
{
    json_t *ms = s_ms_json (res, row, col);
    const char *text = ctl_format_time (ms, buf, size);
    json_decref (ms);
    return text;
}

/* ------------------------------------------------------------ text helpers */

/* Bytes in the UTF-8 character starting at s (1 for a stray byte). */
static size_t
s_utf8_len (const char *s)
{
    unsigned char c = (unsigned char) *s;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
    for (size_t i = 1; i < n; i++)
        if (!s [i])
            return i;
    return n;
}

/* The first `chars` characters of s (whole UTF-8 sequences). */
static size_t
s_utf8_prefix (const char *s, size_t chars)
{
    size_t bytes = 0;
    while (chars-- > 0 && s [bytes])
        bytes += s_utf8_len (s + bytes);
    return bytes;
}

/* A customer's message is sealed in the store like their address (the
 * query code is in it): complaintctl holds no key and says so. */
#define S_SEALED_BODY "(sealed: a message to the customer; only the notifier can open it)\n"

static bool
s_sealed (const PGresult *res, int row, int col)
{
    return strncmp (PQgetvalue (res, row, col), "sealed:", 7) == 0;
}

/* An address for a list: never whole. out holds at least 8 + strlen. */
static void
s_mask (const char *address, char *out, size_t size)
{
    size_t len = strlen (address);
    const char *at = strrchr (address, '@');
    if (len == 0) {
        snprintf (out, size, "-");
        return;
    }
    /* A customer's address is sealed in the store (identity_seal.h), and
     * complaintctl holds no key: it cannot show even a part of it. */
    if (strncmp (address, "sealed:", 7) == 0) {
        snprintf (out, size, "(sealed)");
        return;
    }
    if (at && at > address) {
        size_t first = s_utf8_prefix (address, 1);
        if (address + first > at)
            first = 1;
        snprintf (out, size, "%.*s***%s", (int) first, address, at);
        return;
    }
    bool phone = len >= 8;
    size_t digits = 0;
    for (const char *c = address; *c; c++) {
        if (isdigit ((unsigned char) *c))
            digits++;
        else
        if (!strchr ("+- ()", *c))
            phone = false;
    }
    if (phone && digits >= 8) {
        //  keep the first 3 and last 4 characters, each other digit a '*'
        size_t o = 0;
        for (size_t i = 0; i < len && o + 1 < size; i++)
            out [o++] = (i < 3 || i >= len - 4 || !isdigit ((unsigned char) address [i]))
                      ? address [i] : '*';
        out [o] = 0;
        return;
    }
    size_t keep = s_utf8_prefix (address, 2);
    if (keep >= len)
        keep = len > 1 ? 1 : 0;     //  a 1- or 2-character id: show less than all of it
    snprintf (out, size, "%.*s***", (int) keep, address);
}

/* The first `chars` characters of text on one line (control characters as
 * spaces), "..." when cut. */
static void
s_cut (const char *text, size_t chars, char *out, size_t size)
{
    size_t o = 0, n = 0;
    const char *p = text;
    while (*p && n < chars) {
        size_t len = s_utf8_len (p);
        if (o + len + 4 >= size)
            break;
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            out [o++] = ' ';
        else {
            memcpy (out + o, p, len);
            o += len;
        }
        p += len;
        n++;
    }
    if (*p) {
        memcpy (out + o, "...", 3);
        o += 3;
    }
    out [o] = 0;
}

static bool
s_one_of (const char *value, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (value, list [i]) == 0)
            return true;
    return false;
}

/* A usage error naming the field and the values it takes. */
static int
s_bad_value (const char *what, const char *field, const char *value,
             const char *const *list, size_t n)
{
    fprintf (stderr, "complaintctl %s: %s '%s' is not one of", what, field, value);
    for (size_t i = 0; i < n; i++)
        fprintf (stderr, "%s %s", i ? "," : "", list [i]);
    fprintf (stderr, "\n");
    return CTL_EXIT_USAGE;
}

static int
s_check_no (const char *what, const char *no)
{
    proto_error_t err = { NULL, "", "" };
    if (complaint_no_check (no, strlen (no), "complaint_no", &err)) {
        fprintf (stderr, "complaintctl %s: complaint_no '%s': %s\n", what, no, err.message);
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

static int
s_check_text (const char *what, const char *field, const char *text)
{
    if (!*text || strlen (text) > S_MAX_TEXT || !proto_utf8_valid (text, strlen (text))) {
        fprintf (stderr, "complaintctl %s: %s must be 1-%d bytes of UTF-8\n", what, field,
                 S_MAX_TEXT);
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

static const char *
s_default_by (void)
{
    const char *user = getenv ("USER");
    return user && *user ? user : "operator";
}

/* -------------------------------------------------------- notifications */

/* The list's columns; times as unix ms. */
static const char *s_list_sql =
    "SELECT id, (extract (epoch FROM created_at) * 1000)::bigint, complaint_no, event_type,"
    "       recipient_kind, recipient, channel, coalesce (address, ''), state, attempts,"
    "       CASE WHEN state IN ('pending', 'failed')"
    "            THEN (extract (epoch FROM next_attempt_at) * 1000)::bigint END,"
    "       (extract (epoch FROM deferred_until) * 1000)::bigint,"
    "       CASE WHEN state = 'sent' THEN (extract (epoch FROM sent_at) * 1000)::bigint END,"
    "       last_error"
    "  FROM notification"
    " WHERE ($1::text IS NULL OR state = $1)"
    "   AND ($2::text IS NULL OR complaint_no = $2)"
    "   AND ($3::text IS NULL OR channel = $3)"
    " ORDER BY id DESC LIMIT $4::bigint";

static int
s_list (PGconn *conn, const char *state, const char *complaint, const char *channel,
        long limit, bool json_out)
{
    char limit_text [24];
    snprintf (limit_text, sizeof limit_text, "%ld", limit);
    const char *values [4] = { state, complaint, channel, limit_text };
    int rc = CTL_EXIT_OK;
    PGresult *res = s_query (conn, "notifications", s_list_sql, 4, values, &rc);
    if (!res)
        return rc;
    int rows = PQntuples (res);
    if (!json_out && rows > 0)
        printf ("%-6s %-23s %-16s %-18s %-22s %-7s %-22s %-10s %3s  %-29s %s\n",
                "ID", "CREATED", "COMPLAINT", "EVENT", "TO", "CHANNEL", "ADDRESS", "STATE",
                "ATT", "WHEN", "LAST ERROR");
    for (int i = 0; i < rows; i++) {
        const char *address = PQgetvalue (res, i, 7);
        char masked [512];
        s_mask (address, masked, sizeof masked);
        if (json_out) {
            json_t *j = json_object ();
            json_object_set_new (j, "id", json_integer ((json_int_t) strtoll (PQgetvalue (res, i, 0), NULL, 10)));
            json_object_set_new (j, "created", s_ms_json (res, i, 1));
            json_object_set_new (j, "complaint_no", s_text_json (res, i, 2));
            json_object_set_new (j, "event_type", s_text_json (res, i, 3));
            json_object_set_new (j, "recipient_kind", s_text_json (res, i, 4));
            json_object_set_new (j, "recipient", s_text_json (res, i, 5));
            json_object_set_new (j, "channel", s_text_json (res, i, 6));
            json_object_set_new (j, "address", *address ? json_string (masked) : json_null ());
            json_object_set_new (j, "state", s_text_json (res, i, 8));
            json_object_set_new (j, "attempts", json_integer (atoi (PQgetvalue (res, i, 9))));
            json_object_set_new (j, "next_attempt_at", s_ms_json (res, i, 10));
            json_object_set_new (j, "deferred_until", s_ms_json (res, i, 11));
            json_object_set_new (j, "sent_at", s_ms_json (res, i, 12));
            json_object_set_new (j, "last_error", s_text_json (res, i, 13));
            ctl_print_json (j, false);
            json_decref (j);
            continue;
        }
        char created [32], when_time [32], when [64], to [160], error [S_ERROR_CUT * 4 + 8];
        const char *kind = PQgetvalue (res, i, 4), *recipient = PQgetvalue (res, i, 5);
        if (strcmp (kind, "customer") == 0)
            snprintf (to, sizeof to, "customer");
        else
            snprintf (to, sizeof to, "%s:%s", kind, recipient);
        if (!s_null (res, i, 12))
            snprintf (when, sizeof when, "sent %s", s_time (res, i, 12, when_time, sizeof when_time));
        else
        if (!s_null (res, i, 11) && !s_null (res, i, 10))
            snprintf (when, sizeof when, "deferred %s",
                      s_time (res, i, 11, when_time, sizeof when_time));
        else
        if (!s_null (res, i, 10))
            snprintf (when, sizeof when, "next %s", s_time (res, i, 10, when_time, sizeof when_time));
        else
            snprintf (when, sizeof when, "-");
        s_cut (s_null (res, i, 13) ? "" : PQgetvalue (res, i, 13), S_ERROR_CUT, error, sizeof error);
        printf ("%-6s %-23s %-16s %-18s %-22s %-7s %-22s %-10s %3s  %-29s %s\n",
                PQgetvalue (res, i, 0), s_time (res, i, 1, created, sizeof created),
                s_null (res, i, 2) ? "-" : PQgetvalue (res, i, 2), PQgetvalue (res, i, 3), to,
                PQgetvalue (res, i, 6), masked, PQgetvalue (res, i, 8), PQgetvalue (res, i, 9),
                when, *error ? error : "-");
    }
    if (!json_out && rows == 0)
        printf ("no notifications%s\n", state || complaint || channel ? " match" : "");
    fflush (stdout);
    PQclear (res);
    return CTL_EXIT_OK;
}

static int
s_summary (PGconn *conn, bool json_out)
{
    int rc = CTL_EXIT_OK;
    PGresult *res = s_query (conn, "notifications --summary",
        "SELECT state, channel, count(*) FROM notification GROUP BY 1, 2", 0, NULL, &rc);
    if (!res)
        return rc;
    long counts [S_NSTATES + 1][S_NCHANNELS + 1];
    memset (counts, 0, sizeof counts);
    for (int i = 0; i < PQntuples (res); i++) {
        size_t s = 0, c = 0;
        while (s < S_NSTATES && strcmp (s_states [s], PQgetvalue (res, i, 0)))
            s++;
        while (c < S_NCHANNELS && strcmp (s_channels [c], PQgetvalue (res, i, 1)))
            c++;
        if (s == S_NSTATES || c == S_NCHANNELS)
            continue;       //  a state or channel this tool does not know yet
        long n = atol (PQgetvalue (res, i, 2));
        counts [s][c] += n;
        counts [s][S_NCHANNELS] += n;
        counts [S_NSTATES][c] += n;
        counts [S_NSTATES][S_NCHANNELS] += n;
    }
    PQclear (res);
    res = s_query (conn, "notifications --summary",
        "SELECT id, state, channel,"
        "       (extract (epoch FROM app_now () - next_attempt_at) * 1000)::bigint"
        "  FROM notification"
        " WHERE state IN ('pending', 'failed') AND next_attempt_at <= app_now ()"
        " ORDER BY next_attempt_at, id LIMIT 1", 0, NULL, &rc);
    if (!res)
        return rc;
    bool due = PQntuples (res) == 1;
    long long age_ms = due ? strtoll (PQgetvalue (res, 0, 3), NULL, 10) : 0;
    if (json_out) {
        json_t *j = json_object (), *by_state = json_object ();
        for (size_t s = 0; s < S_NSTATES; s++) {
            json_t *row = json_object ();
            for (size_t c = 0; c < S_NCHANNELS; c++)
                json_object_set_new (row, s_channels [c], json_integer (counts [s][c]));
            json_object_set_new (row, "total", json_integer (counts [s][S_NCHANNELS]));
            json_object_set_new (by_state, s_states [s], row);
        }
        json_object_set_new (j, "counts", by_state);
        json_object_set_new (j, "total", json_integer (counts [S_NSTATES][S_NCHANNELS]));
        json_object_set_new (j, "oldest_due", due
            ? json_pack ("{s:I, s:s, s:s, s:I}",
                         "id", (json_int_t) strtoll (PQgetvalue (res, 0, 0), NULL, 10),
                         "state", PQgetvalue (res, 0, 1), "channel", PQgetvalue (res, 0, 2),
                         "age_ms", (json_int_t) age_ms)
            : json_null ());
        ctl_print_json (j, false);
        json_decref (j);
    }
    else {
        printf ("%-11s", "STATE");
        for (size_t c = 0; c < S_NCHANNELS; c++)
            printf (" %7s", s_channels [c]);
        printf (" %7s\n", "total");
        for (size_t s = 0; s <= S_NSTATES; s++) {
            printf ("%-11s", s < S_NSTATES ? s_states [s] : "total");
            for (size_t c = 0; c <= S_NCHANNELS; c++)
                printf (" %7ld", counts [s][c]);
            printf ("\n");
        }
        if (due) {
            long long secs = age_ms / 1000;
            printf ("oldest due: #%s (%s, %s), due for %lldh%02lldm%02llds\n",
                    PQgetvalue (res, 0, 0), PQgetvalue (res, 0, 1), PQgetvalue (res, 0, 2),
                    secs / 3600, secs / 60 % 60, secs % 60);
        }
        else
            printf ("oldest due: none (nothing pending or failed is due)\n");
    }
    fflush (stdout);
    PQclear (res);
    return CTL_EXIT_OK;
}

static const char *s_show_sql =
    "SELECT id, event_seq, event_type, complaint_id, complaint_no, recipient_kind, recipient,"
    "       channel, coalesce (address, ''), lang, state, attempts, urgent, zone,"
    "       (extract (epoch FROM created_at) * 1000)::bigint,"
    "       (extract (epoch FROM next_attempt_at) * 1000)::bigint,"
    "       (extract (epoch FROM deferred_until) * 1000)::bigint,"
    "       (extract (epoch FROM sent_at) * 1000)::bigint,"
    "       last_error, lease_owner, (extract (epoch FROM lease_until) * 1000)::bigint,"
    "       message_id, retried_by, subject, body"
    "  FROM notification WHERE id = $1::bigint";

static int
s_show (PGconn *conn, const char *id, bool json_out)
{
    const char *values [1] = { id };
    int rc = CTL_EXIT_OK;
    PGresult *res = s_query (conn, "notifications show", s_show_sql, 1, values, &rc);
    if (!res)
        return rc;
    if (PQntuples (res) != 1) {
        fprintf (stderr, "complaintctl notifications show: no notification %s\n", id);
        PQclear (res);
        return CTL_EXIT_REPLY;
    }
    const char *address = PQgetvalue (res, 0, 8);
    char masked [512];
    s_mask (address, masked, sizeof masked);
    if (json_out) {
        json_t *j = json_object ();
        json_object_set_new (j, "id", json_integer ((json_int_t) strtoll (PQgetvalue (res, 0, 0), NULL, 10)));
        json_object_set_new (j, "event_seq", json_integer ((json_int_t) strtoll (PQgetvalue (res, 0, 1), NULL, 10)));
        json_object_set_new (j, "event_type", s_text_json (res, 0, 2));
        json_object_set_new (j, "complaint_id", s_ms_json (res, 0, 3));
        json_object_set_new (j, "complaint_no", s_text_json (res, 0, 4));
        json_object_set_new (j, "recipient_kind", s_text_json (res, 0, 5));
        json_object_set_new (j, "recipient", s_text_json (res, 0, 6));
        json_object_set_new (j, "channel", s_text_json (res, 0, 7));
        json_object_set_new (j, "address", *address ? json_string (masked) : json_null ());
        json_object_set_new (j, "lang", s_text_json (res, 0, 9));
        json_object_set_new (j, "state", s_text_json (res, 0, 10));
        json_object_set_new (j, "attempts", json_integer (atoi (PQgetvalue (res, 0, 11))));
        json_object_set_new (j, "urgent", json_boolean (PQgetvalue (res, 0, 12) [0] == 't'));
        json_object_set_new (j, "zone", s_text_json (res, 0, 13));
        json_object_set_new (j, "created", s_ms_json (res, 0, 14));
        json_object_set_new (j, "next_attempt_at", s_ms_json (res, 0, 15));
        json_object_set_new (j, "deferred_until", s_ms_json (res, 0, 16));
        json_object_set_new (j, "sent_at", s_ms_json (res, 0, 17));
        json_object_set_new (j, "last_error", s_text_json (res, 0, 18));
        json_object_set_new (j, "lease_owner", s_text_json (res, 0, 19));
        json_object_set_new (j, "lease_until", s_ms_json (res, 0, 20));
        json_object_set_new (j, "message_id", s_text_json (res, 0, 21));
        json_object_set_new (j, "retried_by", s_text_json (res, 0, 22));
        json_object_set_new (j, "subject", s_text_json (res, 0, 23));
        json_object_set_new (j, "body", s_sealed (res, 0, 24)
                                        ? json_string (S_SEALED_BODY) : s_text_json (res, 0, 24));
        ctl_print_json (j, false);
        json_decref (j);
    }
    else {
        char t [32];
        const char *kind = PQgetvalue (res, 0, 5), *recipient = PQgetvalue (res, 0, 6);
        printf ("notification %s\n", PQgetvalue (res, 0, 0));
        printf ("  complaint       %s\n", s_null (res, 0, 4) ? "-" : PQgetvalue (res, 0, 4));
        printf ("  event           %s (seq %s)\n", PQgetvalue (res, 0, 2), PQgetvalue (res, 0, 1));
        if (strcmp (kind, "customer") == 0)
            printf ("  to              customer\n");
        else
            printf ("  to              %s %s\n", kind, recipient);
        printf ("  channel         %s\n", PQgetvalue (res, 0, 7));
        printf ("  address         %s\n", masked);
        printf ("  lang            %s\n", PQgetvalue (res, 0, 9));
        printf ("  state           %s\n", PQgetvalue (res, 0, 10));
        printf ("  attempts        %s\n", PQgetvalue (res, 0, 11));
        printf ("  urgent          %s\n", PQgetvalue (res, 0, 12) [0] == 't' ? "yes" : "no");
        printf ("  zone            %s\n", PQgetvalue (res, 0, 13));
        printf ("  created         %s\n", s_time (res, 0, 14, t, sizeof t));
        printf ("  next attempt    %s\n", s_time (res, 0, 15, t, sizeof t));
        printf ("  deferred until  %s\n", s_time (res, 0, 16, t, sizeof t));
        printf ("  sent            %s\n", s_time (res, 0, 17, t, sizeof t));
        printf ("  last error      %s\n", s_null (res, 0, 18) ? "-" : PQgetvalue (res, 0, 18));
        printf ("  lease           %s until %s\n",
                s_null (res, 0, 19) ? "-" : PQgetvalue (res, 0, 19), s_time (res, 0, 20, t, sizeof t));
        printf ("  message id      %s\n", PQgetvalue (res, 0, 21));
        printf ("  retried by      %s\n", s_null (res, 0, 22) ? "-" : PQgetvalue (res, 0, 22));
        printf ("subject: %s\n", PQgetvalue (res, 0, 23));
        const char *body = s_sealed (res, 0, 24) ? S_SEALED_BODY : PQgetvalue (res, 0, 24);
        printf ("body:\n%s", body);
        size_t blen = strlen (body);
        if (blen == 0 || body [blen - 1] != '\n')
            printf ("\n");
    }
    fflush (stdout);
    PQclear (res);
    return CTL_EXIT_OK;
}

/* One row back to pending, and its notification.retried event, in one
 * transaction. Returns the exit code (1: no such row, or a state that may
 * not be retried). */
static int
s_retry_one (PGconn *conn, const char *id, const char *by, bool json_out)
{
    const char *what = "notifications retry";
    int rc = s_exec (conn, what, "BEGIN");
    if (rc)
        return rc;
    //  The notifier's own function locks the row, checks its state and
    //  resets it (migration 007); what it returns is what the event says.
    const char *values [2] = { id, by };
    PGresult *res = s_query (conn, what,
        "SELECT retried, was, attempts, event_seq, channel, recipient_kind, complaint_no"
        "  FROM notification_retry ($1::bigint, $2)", 2, values, &rc);
    if (!res)
        goto rollback;
    if (PQntuples (res) != 1) {
        fprintf (stderr, "complaintctl %s: no notification %s\n", what, id);
        rc = CTL_EXIT_REPLY;
        goto rollback;
    }
    if (PQgetvalue (res, 0, 0) [0] != 't') {
        fprintf (stderr, "complaintctl %s: notification %s is %s; only a dead, failed or "
                 "suppressed one can be retried\n", what, id, PQgetvalue (res, 0, 1));
        rc = CTL_EXIT_REPLY;
        goto rollback;
    }
    char old_state [16], channel [16], kind [32], complaint [COMPLAINT_NO_SIZE + 8];
    snprintf (old_state, sizeof old_state, "%s", PQgetvalue (res, 0, 1));
    snprintf (channel, sizeof channel, "%s", PQgetvalue (res, 0, 4));
    snprintf (kind, sizeof kind, "%s", PQgetvalue (res, 0, 5));
    snprintf (complaint, sizeof complaint, "%s", PQgetvalue (res, 0, 6));
    bool has_complaint = !s_null (res, 0, 6);
    int attempts = atoi (PQgetvalue (res, 0, 2));
    int64_t event_seq = strtoll (PQgetvalue (res, 0, 3), NULL, 10);
    PQclear (res);

    //  The event, from its packer (proto/events.c): the same head as the
    //  notifier's notification.* events (no address, no text), and who asked.
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    const events_notification_t n = { strtoll (id, NULL, 10), event_seq, channel, kind,
                                      attempts };
    events_notification_retried (&buf, &n, by);
    const char *ovalues [3] = { "notification.retried", has_complaint ? complaint : NULL, buf.data };
    int lengths [3] = { 0, 0, (int) buf.size };
    int formats [3] = { 0, 0, 1 };
    //  at: the store's app time, like every staff action's event
    res = PQexecParams (conn, "INSERT INTO outbox (type, complaint_no, data, at)"
                        " VALUES ($1, $2, $3, app_now ())", 3, NULL, ovalues, lengths, formats, 0);
    msgpack_sbuffer_destroy (&buf);
    if (PQresultStatus (res) != PGRES_COMMAND_OK) {
        rc = s_report (what, res, conn);
        goto rollback;
    }
    PQclear (res);
    rc = s_exec (conn, what, "COMMIT");
    if (rc)
        return rc;
    if (json_out) {
        json_t *j = json_pack ("{s:I, s:s, s:s, s:s, s:o, s:i, s:s}",
                               "id", (json_int_t) strtoll (id, NULL, 10), "was", old_state,
                               "channel", channel, "recipient_kind", kind,
                               "complaint_no", has_complaint ? json_string (complaint) : json_null (),
                               "attempts", attempts, "by", by);
        ctl_print_json (j, false);
        json_decref (j);
    }
    else
        printf ("retried %s: was %s after %d attempt%s (%s, %s%s%s), pending now, by %s\n",
                id, old_state, attempts, attempts == 1 ? "" : "s", channel, kind,
                has_complaint ? ", " : "", has_complaint ? complaint : "", by);
    fflush (stdout);
    return CTL_EXIT_OK;

rollback:
    PQclear (res);
    if (PQstatus (conn) == CONNECTION_OK) {
        PGresult *rb = PQexec (conn, "ROLLBACK");
        PQclear (rb);
    }
    return rc;
}

static int
s_retry (PGconn *conn, char **ids, int nids, bool dead, const char *channel, const char *by,
         bool json_out)
{
    int rc = CTL_EXIT_OK;
    if (!dead) {
        for (int i = 0; i < nids; i++) {
            int one = s_retry_one (conn, ids [i], by, json_out);
            if (one == CTL_EXIT_UNREACHABLE)
                return one;
            if (one)
                rc = one;
        }
        return rc;
    }
    const char *values [1] = { channel };
    PGresult *res = s_query (conn, "notifications retry --dead",
        "SELECT id FROM notification WHERE state = 'dead'"
        "   AND ($1::text IS NULL OR channel = $1) ORDER BY id", 1, values, &rc);
    if (!res)
        return rc;
    int n = PQntuples (res), retried = 0;
    for (int i = 0; i < n; i++) {
        int one = s_retry_one (conn, PQgetvalue (res, i, 0), by, json_out);
        if (one == CTL_EXIT_UNREACHABLE) {
            PQclear (res);
            return one;
        }
        if (one == CTL_EXIT_OK)
            retried++;
        //  a row that changed state since the list (another operator, a
        //  notifier) was reported; it is not this command's failure
    }
    PQclear (res);
    if (!json_out)
        printf ("retried %d dead notification%s%s%s\n", retried, retried == 1 ? "" : "s",
                channel ? " of channel " : "", channel ? channel : "");
    return CTL_EXIT_OK;
}

static bool
s_is_id (const char *text)
{
    if (!*text || strlen (text) > 18)
        return false;
    for (const char *c = text; *c; c++)
        if (!isdigit ((unsigned char) *c))
            return false;
    return true;
}

int
ctl_notifications (int argc, char **argv)
{
    enum { O_STATE = 256, O_COMPLAINT, O_CHANNEL, O_LIMIT, O_JSON, O_SUMMARY, O_DEAD, O_BY,
           O_PG, O_HELP };
    static const struct option options [] = {
        { "state", required_argument, NULL, O_STATE },
        { "complaint", required_argument, NULL, O_COMPLAINT },
        { "channel", required_argument, NULL, O_CHANNEL },
        { "limit", required_argument, NULL, O_LIMIT },
        { "json", no_argument, NULL, O_JSON },
        { "summary", no_argument, NULL, O_SUMMARY },
        { "dead", no_argument, NULL, O_DEAD },
        { "by", required_argument, NULL, O_BY },
        { "pg", required_argument, NULL, O_PG },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *state = NULL, *complaint = NULL, *channel = NULL, *by = NULL, *pg = NULL;
    const char *limit_text = NULL;
    bool json_out = false, summary = false, dead = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_STATE: state = optarg; break;
            case O_COMPLAINT: complaint = optarg; break;
            case O_CHANNEL: channel = optarg; break;
            case O_LIMIT: limit_text = optarg; break;
            case O_JSON: json_out = true; break;
            case O_SUMMARY: summary = true; break;
            case O_DEAD: dead = true; break;
            case O_BY: by = optarg; break;
            case O_PG: pg = optarg; break;
            case 'h':
            case O_HELP:
                s_notifications_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl notifications --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    const char *cmd = optind < argc ? argv [optind++] : "list";
    char **args = argv + optind;
    int nargs = argc - optind;
    const char *what = "notifications";
    bool is_list = strcmp (cmd, "list") == 0, is_show = strcmp (cmd, "show") == 0,
         is_retry = strcmp (cmd, "retry") == 0;
    if (!is_list && !is_show && !is_retry) {
        fprintf (stderr, "complaintctl %s: unknown command '%s' (show ID, retry ID... | "
                 "--dead, or flags to list)\n", what, cmd);
        return CTL_EXIT_USAGE;
    }
    if (state && !s_one_of (state, s_states, S_NSTATES))
        return s_bad_value (what, "--state", state, s_states, S_NSTATES);
    if (channel && !s_one_of (channel, s_channels, S_NCHANNELS))
        return s_bad_value (what, "--channel", channel, s_channels, S_NCHANNELS);
    if (complaint && s_check_no (what, complaint))
        return CTL_EXIT_USAGE;
    long limit = 50;
    if (limit_text && ctl_parse_long ("--limit", limit_text, 1, 100000, &limit))
        return CTL_EXIT_USAGE;
    if (!by)
        by = s_default_by ();
    else
    if (s_check_text (what, "--by", by))
        return CTL_EXIT_USAGE;
    //  which flags go with which form
    if ((is_show || is_retry) && (state || complaint || limit_text || summary)) {
        fprintf (stderr, "complaintctl %s %s: --state, --complaint, --limit and --summary "
                 "are for the list\n", what, cmd);
        return CTL_EXIT_USAGE;
    }
    if (is_list && (nargs || dead)) {
        fprintf (stderr, "complaintctl %s: unexpected %s\n", what, nargs ? args [0] : "--dead");
        return CTL_EXIT_USAGE;
    }
    if (summary && (state || complaint || channel || limit_text)) {
        fprintf (stderr, "complaintctl %s --summary: counts everything; no filters\n", what);
        return CTL_EXIT_USAGE;
    }
    if (is_show && (nargs != 1 || channel || dead)) {
        fprintf (stderr, "complaintctl %s show: needs exactly one ID\n", what);
        return CTL_EXIT_USAGE;
    }
    if (is_retry && (dead ? nargs != 0 : (nargs == 0 || channel))) {
        fprintf (stderr, "complaintctl %s retry: give ID... or --dead [--channel C]\n", what);
        return CTL_EXIT_USAGE;
    }
    if (nargs > S_MAX_IDS) {
        fprintf (stderr, "complaintctl %s %s: at most %d ids at once\n", what, cmd, S_MAX_IDS);
        return CTL_EXIT_USAGE;
    }
    for (int i = 0; i < nargs; i++)
        if (!s_is_id (args [i])) {
            fprintf (stderr, "complaintctl %s %s: id '%s' is not a notification id (a number)\n",
                     what, cmd, args [i]);
            return CTL_EXIT_USAGE;
        }
    PGconn *conn = s_connect (what, pg);
    if (!conn)
        return CTL_EXIT_UNREACHABLE;
    int rc;
    if (is_show)
        rc = s_show (conn, args [0], json_out);
    else
    if (is_retry)
        rc = s_retry (conn, args, nargs, dead, channel, by, json_out);
    else
    if (summary)
        rc = s_summary (conn, json_out);
    else
        rc = s_list (conn, state, complaint, channel, limit, json_out);
    PQfinish (conn);
    return rc;
}

/* ---------------------------------------------------------------- optout */

static const char *s_optout_channels [] = { "email", "sms", "push" };
#define S_NOPTOUT (sizeof s_optout_channels / sizeof s_optout_channels [0])

/* 1 when the complaint exists, 0 when not, -1 on a store error (*rc set). */
static int
s_complaint_exists (PGconn *conn, const char *what, const char *no, int *rc)
{
    const char *values [1] = { no };
    PGresult *res = s_query (conn, what, "SELECT 1 FROM complaint WHERE complaint_no = $1",
                             1, values, rc);
    if (!res)
        return -1;
    int found = PQntuples (res) > 0;
    PQclear (res);
    return found;
}

static int
s_optout_add (PGconn *conn, const char *no, const char *channel, const char *reason,
              const char *by, bool json_out)
{
    const char *what = "optout add";
    const char *values [4] = { no, channel, reason, by };
    int rc = CTL_EXIT_OK;
    //  the notifier's function (migration 007); no row: no such complaint
    PGresult *res = s_query (conn, what,
        "SELECT created, left (pseudonym, 8) FROM customer_optout_set ($1, $2, $3, $4)",
        4, values, &rc);
    if (!res)
        return rc;
    if (PQntuples (res) != 1) {
        fprintf (stderr, "complaintctl %s: no complaint %s\n", what, no);
        PQclear (res);
        return CTL_EXIT_REPLY;
    }
    bool inserted = PQgetvalue (res, 0, 0) [0] == 't';
    if (json_out) {
        json_t *j = json_pack ("{s:s, s:s, s:s, s:b}", "complaint_no", no, "channel", channel,
                               "pseudonym", PQgetvalue (res, 0, 1), "new", inserted);
        ctl_print_json (j, false);
        json_decref (j);
    }
    else
        printf ("opted out: the customer of %s (%s…) gets no %s%s\n", no, PQgetvalue (res, 0, 1),
                channel, inserted ? "" : " (already opted out: reason and by updated)");
    fflush (stdout);
    PQclear (res);
    return CTL_EXIT_OK;
}

static int
s_optout_remove (PGconn *conn, const char *no, const char *channel)
{
    const char *what = "optout remove";
    const char *values [2] = { no, channel };
    int rc = CTL_EXIT_OK;
    //  the notifier's function (migration 007): removed, none, no_complaint
    PGresult *res = s_query (conn, what, "SELECT customer_optout_remove ($1, $2)",
                             2, values, &rc);
    if (!res)
        return rc;
    char outcome [16];
    snprintf (outcome, sizeof outcome, "%s", PQntuples (res) == 1 ? PQgetvalue (res, 0, 0) : "");
    PQclear (res);
    if (strcmp (outcome, "removed") != 0) {
        if (strcmp (outcome, "none") == 0)
            fprintf (stderr, "complaintctl %s: the customer of %s has no opt-out of %s\n",
                     what, no, channel);
        else
            fprintf (stderr, "complaintctl %s: no complaint %s\n", what, no);
        return CTL_EXIT_REPLY;
    }
    printf ("opted in again: the customer of %s gets %s\n", no, channel);
    fflush (stdout);
    return CTL_EXIT_OK;
}

static int
s_optout_list (PGconn *conn, const char *no, bool json_out)
{
    const char *what = "optout list";
    int rc = CTL_EXIT_OK;
    if (no) {
        int exists = s_complaint_exists (conn, what, no, &rc);
        if (exists < 0)
            return rc;
        if (!exists) {
            fprintf (stderr, "complaintctl %s: no complaint %s\n", what, no);
            return CTL_EXIT_REPLY;
        }
    }
    const char *values [1] = { no };
    PGresult *res = s_query (conn, what,
        "SELECT left (o.customer_pseudonym, 8), o.channel, o.complaint_no, o.reason,"
        "       o.created_by, (extract (epoch FROM o.created_at) * 1000)::bigint"
        "  FROM customer_optout o"
        " WHERE $1::text IS NULL OR o.customer_pseudonym ="
        "       (SELECT customer_pseudonym FROM complaint WHERE complaint_no = $1)"
        " ORDER BY o.created_at, o.customer_pseudonym, o.channel", 1, values, &rc);
    if (!res)
        return rc;
    int rows = PQntuples (res);
    if (!json_out && rows > 0)
        printf ("%-10s %-7s %-16s %-16s %-16s %s\n", "CUSTOMER", "CHANNEL", "COMPLAINT",
                "CREATED", "BY", "REASON");
    for (int i = 0; i < rows; i++) {
        if (json_out) {
            json_t *j = json_object ();
            json_object_set_new (j, "pseudonym", s_text_json (res, i, 0));
            json_object_set_new (j, "channel", s_text_json (res, i, 1));
            json_object_set_new (j, "complaint_no", s_text_json (res, i, 2));
            json_object_set_new (j, "reason", s_text_json (res, i, 3));
            json_object_set_new (j, "by", s_text_json (res, i, 4));
            json_object_set_new (j, "created", s_ms_json (res, i, 5));
            ctl_print_json (j, false);
            json_decref (j);
            continue;
        }
        char created [32], reason [S_ERROR_CUT * 4 + 8];
        s_cut (s_null (res, i, 3) ? "-" : PQgetvalue (res, i, 3), S_ERROR_CUT, reason, sizeof reason);
        printf ("%s…%*s %-7s %-16s %-16s %-16s %s\n", PQgetvalue (res, i, 0),
                (int) (9 - strlen (PQgetvalue (res, i, 0))), "", PQgetvalue (res, i, 1),
                s_null (res, i, 2) ? "-" : PQgetvalue (res, i, 2),
                s_time (res, i, 5, created, sizeof created), PQgetvalue (res, i, 4), reason);
    }
    if (!json_out && rows == 0)
        printf ("no opt-outs%s%s\n", no ? " for the customer of " : "", no ? no : "");
    fflush (stdout);
    PQclear (res);
    return CTL_EXIT_OK;
}

int
ctl_optout (int argc, char **argv)
{
    enum { O_REASON = 256, O_BY, O_JSON, O_PG, O_HELP };
    static const struct option options [] = {
        { "reason", required_argument, NULL, O_REASON },
        { "by", required_argument, NULL, O_BY },
        { "json", no_argument, NULL, O_JSON },
        { "pg", required_argument, NULL, O_PG },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *reason = NULL, *by = NULL, *pg = NULL;
    bool json_out = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_REASON: reason = optarg; break;
            case O_BY: by = optarg; break;
            case O_JSON: json_out = true; break;
            case O_PG: pg = optarg; break;
            case 'h':
            case O_HELP:
                s_optout_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl optout --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        s_optout_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *cmd = argv [optind++];
    char **args = argv + optind;
    int nargs = argc - optind;
    bool is_add = strcmp (cmd, "add") == 0, is_remove = strcmp (cmd, "remove") == 0,
         is_list = strcmp (cmd, "list") == 0;
    char what [32];
    snprintf (what, sizeof what, "optout %s", cmd);
    if (!is_add && !is_remove && !is_list) {
        fprintf (stderr, "complaintctl optout: unknown command '%s' (add, remove, list)\n", cmd);
        return CTL_EXIT_USAGE;
    }
    if ((is_list && nargs > 1) || (!is_list && nargs != 2)) {
        fprintf (stderr, "complaintctl %s: expects %s\n", what, is_list ? "[NO]" : "NO CHANNEL");
        return CTL_EXIT_USAGE;
    }
    if ((reason || by) && !is_add) {
        fprintf (stderr, "complaintctl %s: --reason and --by are for add\n", what);
        return CTL_EXIT_USAGE;
    }
    const char *no = nargs > 0 ? args [0] : NULL;
    const char *channel = nargs > 1 ? args [1] : NULL;
    if (no && s_check_no (what, no))
        return CTL_EXIT_USAGE;
    if (channel && !s_one_of (channel, s_optout_channels, S_NOPTOUT))
        return s_bad_value (what, "channel", channel, s_optout_channels, S_NOPTOUT);
    if (reason && s_check_text (what, "--reason", reason))
        return CTL_EXIT_USAGE;
    if (!by)
        by = s_default_by ();
    else
    if (s_check_text (what, "--by", by))
        return CTL_EXIT_USAGE;
    PGconn *conn = s_connect (what, pg);
    if (!conn)
        return CTL_EXIT_UNREACHABLE;
    int rc;
    if (is_add)
        rc = s_optout_add (conn, no, channel, reason, by, json_out);
    else
    if (is_remove)
        rc = s_optout_remove (conn, no, channel);
    else
        rc = s_optout_list (conn, no, json_out);
    PQfinish (conn);
    return rc;
}
