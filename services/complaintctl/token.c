/*  token.c — `complaintctl token`: staff tokens, issued, revoked and listed.
 *
 *      token issue STAFF_ID [--expires-in D]   a token recorded in the store
 *      token revoke TOKEN_ID | --staff ID      revoked in the store, for good
 *      token list [STAFF_ID]                   every token's life, no hashes
 *      token new STAFF_ID [--tokens-file F]    a token for the tokens file
 *
 *  A token is 32 random bytes as 64 hex characters (common/staff_token.h).
 *  The plaintext is printed once, on stdout, for the person it belongs to
 *  (who puts it in COMPLAINTS_TOKEN); the system keeps only its SHA-256.
 *
 *  The store is the one source of truth for a token's life (migration 021,
 *  docs/security.md "Staff tokens"): `issue`, `revoke` and `list` talk to
 *  PostgreSQL as complaints_ctl (--pg, else COMPLAINTS_CTL_PG, else
 *  COMPLAINTS_PG) and go through the store functions staff_token_issue,
 *  staff_token_revoke and staff_token_list — the role has no right on the
 *  staff_token table itself, and never reads a whole hash. An issued token
 *  works at once, in every intake; a revoked one is refused at once and
 *  for good: no router's tokens file brings it back.
 *
 *  `new` is the seeding path of `make up` and the tests: it touches no
 *  store and prints the line `STAFF_ID SHA256HEX` of the router's tokens
 *  file on stderr, or appends it to --tokens-file F (created 0600 if
 *  missing; one write(2) with O_APPEND, so several issuers at once never
 *  interleave lines). The router inserts the file's hashes the store does
 *  not hold yet, never expiring; it never deletes or revives one.
 */
#include "ctl.h"
#include "cfg.h"
#include "staff_token.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MAX_STAFF_ID 63     /* the directory's limit (docs/organisation.md) */

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl token issue STAFF_ID [--expires-in D] [--by NAME]\n"
        "       complaintctl token revoke TOKEN_ID [--reason TEXT] [--by NAME]\n"
        "       complaintctl token revoke --staff STAFF_ID [--reason TEXT] [--by NAME]\n"
        "       complaintctl token list [STAFF_ID]\n"
        "       complaintctl token new STAFF_ID [--tokens-file F]\n"
        "\n"
        "A staff token proves who acts (%s). The store keeps its SHA-256\n"
        "and its life: issued, expiring, revoked (docs/security.md, \"Staff tokens\").\n"
        "\n"
        "  issue STAFF_ID   a token for the member of staff, recorded in the store and\n"
        "                   valid at once; printed on stdout, once: give it to them\n"
        "  revoke TOKEN_ID  refuse the token from now on, for good (TOKEN_ID: at least\n"
        "                   8 hex characters of its id, as `list` prints it)\n"
        "  list [STAFF_ID]  every token (or theirs): id, issued, expires, state\n"
        "  new STAFF_ID     a token for the router's tokens file, not the store: the\n"
        "                   line \"STAFF_ID SHA256HEX\" on stderr, or appended to F; the\n"
        "                   router adds it to the store when it loads the file (the way\n"
        "                   `make up` and the tests seed their first tokens)\n"
        "\n"
        "  --expires-in D   issue: lifetime, N followed by s, m, h or d, or \"never\"\n"
        "                   (default 90d)\n"
        "  --staff ID       revoke: every live token of ID\n"
        "  --reason TEXT    revoke: why (kept with the token)\n"
        "  --by NAME        who issues or revokes (default $USER, else \"operator\")\n"
        "  --tokens-file F  new: append the line to F (created, mode 0600, if missing)\n"
        "  --pg CONNINFO    PostgreSQL (COMPLAINTS_CTL_PG, else %s; \"\" = PG*)\n"
        "\n"
        "exit: 0 done, 1 refused by the store (unknown staff, no such token),\n"
        "      2 usage, 3 the store is unreachable\n",
        STAFF_TOKEN_ENV, CFG_ENV_PG);
}

/* A directory id (docs/organisation.md): 1-63 characters of a-z 0-9 _. */
static bool
s_staff_id_valid (const char *id)
{
    size_t len = strlen (id);
    if (len == 0 || len > S_MAX_STAFF_ID || id [0] == '#')
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    return true;
}

static int
s_append (const char *path, const char *line, size_t len)
{
    int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf (stderr, "complaintctl token: cannot open %s: %s\n", path, strerror (errno));
        return -1;
    }
    ssize_t n = write (fd, line, len);
    int rc = n == (ssize_t) len ? 0 : -1;
    if (rc)
        fprintf (stderr, "complaintctl token: cannot write %s: %s\n", path,
                 n < 0 ? strerror (errno) : "short write");
    if (close (fd) && rc == 0) {
        fprintf (stderr, "complaintctl token: cannot write %s: %s\n", path, strerror (errno));
        rc = -1;
    }
    return rc;
}

/* ----------------------------------------------------------------- the store */

/* "90d" -> "7776000 seconds" (an interval PostgreSQL reads); "never" -> NULL
 * with *ok. */
static const char *
s_interval (const char *text, char *buf, size_t size, bool *ok)
{
    *ok = true;
    if (strcmp (text, "never") == 0)
        return NULL;
    char *end = NULL;
    errno = 0;
    long n = strtol (text, &end, 10);
    long unit = !end || end == text ? 0
              : strcmp (end, "s") == 0 ? 1 : strcmp (end, "m") == 0 ? 60
              : strcmp (end, "h") == 0 ? 3600 : strcmp (end, "d") == 0 ? 86400 : 0;
    if (errno || unit == 0 || n <= 0 || n > 3660L * 86400 / unit) {
        fprintf (stderr, "complaintctl token: --expires-in '%s' is not N followed by s, m, h "
                 "or d (at most ten years), nor \"never\"\n", text);
        *ok = false;
        return NULL;
    }
    snprintf (buf, size, "%ld seconds", n * unit);
    return buf;
}

/* Run one call of a token function; the result or NULL (reported, *rc set). */
static PGresult *
s_call (PGconn *conn, const char *what, const char *sql, int n, const char *const *values,
        int *rc)
{
    PGresult *res = PQexecParams (conn, sql, n, NULL, values, NULL, NULL, 0);
    if (PQresultStatus (res) == PGRES_TUPLES_OK)
        return res;
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "complaintctl token %s: the store went away: %s", what,
                 PQerrorMessage (conn));
        *rc = CTL_EXIT_UNREACHABLE;
    }
    else {
        const char *message = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);
        fprintf (stderr, "complaintctl token %s: the store refused: %s%s", what,
                 message ? message : PQerrorMessage (conn), message ? "\n" : "");
        *rc = CTL_EXIT_REPLY;
    }
    PQclear (res);
    return NULL;
}

#define S_TIME(col) "to_char ((" col ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static int
s_issue (PGconn *conn, const char *staff_id, const char *expires_in, const char *by)
{
    char token [STAFF_TOKEN_SIZE];
    if (staff_token_generate (token)) {
        fprintf (stderr, "complaintctl token: no random source (libsodium did not start)\n");
        return CTL_EXIT_USAGE;
    }
    char hash [2 * STAFF_TOKEN_HASH_LEN + 1];
    staff_token_hash_hex (token, STAFF_TOKEN_LEN, hash);
    const char *values [] = { staff_id, hash, expires_in, by };
    int rc = CTL_EXIT_OK;
    PGresult *res = s_call (conn, "issue",
        "SELECT " S_TIME ("i") ", " S_TIME ("i + $3::interval")
        "  FROM staff_token_issue ($1, $2, $3::interval, $4) AS i", 4, values, &rc);
    if (!res)
        return rc;
    /* recorded first, then shown: a token printed but never recorded would
     * be handed out and then refused */
    fprintf (stderr, "token %.12s issued to %s at %s, expires %s\n", hash, staff_id,
             PQgetvalue (res, 0, 0),
             PQgetisnull (res, 0, 1) ? "never" : PQgetvalue (res, 0, 1));
    PQclear (res);
    printf ("%s\n", token);
    fflush (stdout);
    return CTL_EXIT_OK;
}

static int
s_revoke (PGconn *conn, const char *token_id, const char *staff_id, const char *by,
          const char *reason)
{
    const char *values [] = { token_id, staff_id, by, reason };
    int rc = CTL_EXIT_OK;
    PGresult *res = s_call (conn, "revoke",
        "SELECT staff_id, hash_prefix, " S_TIME ("revoked_at")
        "  FROM staff_token_revoke ($1, $2, $3, $4)", 4, values, &rc);
    if (!res)
        return rc;
    int n = PQntuples (res);
    for (int i = 0; i < n; i++)
        printf ("token %s of %s revoked at %s\n", PQgetvalue (res, i, 1),
                PQgetvalue (res, i, 0), PQgetvalue (res, i, 2));
    PQclear (res);
    if (n == 0) {
        fprintf (stderr, "complaintctl token revoke: no live token %s%s%s\n",
                 token_id ? token_id : "", token_id && staff_id ? " of " : "",
                 staff_id ? staff_id : "");
        return CTL_EXIT_REPLY;
    }
    return CTL_EXIT_OK;
}

static int
s_list (PGconn *conn, const char *staff_id)
{
    const char *values [] = { staff_id };
    int rc = CTL_EXIT_OK;
    PGresult *res = s_call (conn, "list",
        "SELECT staff_id, hash_prefix, " S_TIME ("issued_at") ","
        "       coalesce (" S_TIME ("expires_at") ", 'never'),"
        "       CASE WHEN revoked_at IS NOT NULL THEN 'revoked'"
        "            WHEN expires_at <= now () THEN 'expired' ELSE 'live' END,"
        "       coalesce (issued_by, '-'),"
        "       coalesce (revoked_by || ': ' || coalesce (revoke_reason, ''), '')"
        "  FROM staff_token_list ($1)", 1, values, &rc);
    if (!res)
        return rc;
    printf ("%-24s %-12s %-20s %-20s %-7s %-12s %s\n", "STAFF", "TOKEN_ID", "ISSUED",
            "EXPIRES", "STATE", "ISSUED_BY", "REVOKED_BY: REASON");
    for (int i = 0; i < PQntuples (res); i++)
        printf ("%-24s %-12s %-20s %-20s %-7s %-12s %s\n", PQgetvalue (res, i, 0),
                PQgetvalue (res, i, 1), PQgetvalue (res, i, 2), PQgetvalue (res, i, 3),
                PQgetvalue (res, i, 4), PQgetvalue (res, i, 5), PQgetvalue (res, i, 6));
    PQclear (res);
    return CTL_EXIT_OK;
}

/* --------------------------------------------------------- the tokens file */

static int
s_new (const char *staff_id, const char *tokens_file)
{
    char token [STAFF_TOKEN_SIZE];
    if (staff_token_generate (token)) {
        fprintf (stderr, "complaintctl token: no random source (libsodium did not start)\n");
        return CTL_EXIT_USAGE;
    }
    char hash [2 * STAFF_TOKEN_HASH_LEN + 1];
    staff_token_hash_hex (token, STAFF_TOKEN_LEN, hash);
    char line [S_MAX_STAFF_ID + sizeof hash + 2];
    int len = snprintf (line, sizeof line, "%s %s\n", staff_id, hash);
    assert (len > 0 && (size_t) len < sizeof line);
    /* the hash is filed first: a token printed but never filed would be
     * handed out and then refused */
    if (tokens_file) {
        if (s_append (tokens_file, line, (size_t) len))
            return CTL_EXIT_USAGE;
    }
    else {
        fputs (line, stderr);
        fflush (stderr);
    }
    printf ("%s\n", token);
    fflush (stdout);
    return CTL_EXIT_OK;
}

static bool
s_token_id_valid (const char *id)
{
    size_t len = strlen (id);
    if (len < 8 || len > 2 * STAFF_TOKEN_HASH_LEN)
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return false;
    return true;
}

int
ctl_token (int argc, char **argv)
{
    enum { O_TOKENS_FILE = 256, O_EXPIRES_IN, O_STAFF, O_REASON, O_BY, O_PG, O_HELP };
    static const struct option options [] = {
        { "tokens-file", required_argument, NULL, O_TOKENS_FILE },
        { "expires-in", required_argument, NULL, O_EXPIRES_IN },
        { "staff", required_argument, NULL, O_STAFF },
        { "reason", required_argument, NULL, O_REASON },
        { "by", required_argument, NULL, O_BY },
        { "pg", required_argument, NULL, O_PG },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *tokens_file = NULL, *expires = "90d", *staff = NULL, *reason = NULL;
    const char *by = NULL, *pg = NULL;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_TOKENS_FILE: tokens_file = optarg; break;
            case O_EXPIRES_IN: expires = optarg; break;
            case O_STAFF: staff = optarg; break;
            case O_REASON: reason = optarg; break;
            case O_BY: by = optarg; break;
            case O_PG: pg = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl token --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    int nargs = argc - optind;
    const char *cmd = nargs > 0 ? argv [optind] : "";
    const char *arg = nargs > 1 ? argv [optind + 1] : NULL;
    bool is_new = strcmp (cmd, "new") == 0, is_issue = strcmp (cmd, "issue") == 0;
    bool is_revoke = strcmp (cmd, "revoke") == 0, is_list = strcmp (cmd, "list") == 0;
    bool usage_ok = ((is_new || is_issue) && nargs == 2)
                 || (is_revoke && ((nargs == 2) != (staff != NULL)) && nargs <= 2)
                 || (is_list && nargs <= 2);
    if (!usage_ok) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *staff_id = is_revoke ? staff : arg;
    if (staff_id && !s_staff_id_valid (staff_id)) {
        fprintf (stderr, "complaintctl token: \"%s\" is not a staff id (1-%d characters of "
                 "a-z 0-9 _)\n", staff_id, S_MAX_STAFF_ID);
        return CTL_EXIT_USAGE;
    }
    if (is_revoke && arg && !s_token_id_valid (arg)) {
        fprintf (stderr, "complaintctl token revoke: \"%s\" is not a token id (8-64 lower-case "
                 "hex characters, as `token list` prints it)\n", arg);
        return CTL_EXIT_USAGE;
    }
    if (is_new)
        return s_new (staff_id, tokens_file);

    char interval [48];
    bool ok = true;
    const char *expires_in = is_issue ? s_interval (expires, interval, sizeof interval, &ok)
                                      : NULL;
    if (!ok)
        return CTL_EXIT_USAGE;
    if (!by)
        by = ctl_setting (NULL, "USER", "operator");
    const char *const keys [] = { "dbname", "application_name", "connect_timeout", NULL };
    const char *const values [] = { ctl_pg_conninfo (pg), "complaintctl", "5", NULL };
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "complaintctl token %s: cannot reach the store: %s", cmd,
                 PQerrorMessage (conn));
        PQfinish (conn);
        return CTL_EXIT_UNREACHABLE;
    }
    int rc = is_issue ? s_issue (conn, staff_id, expires_in, by)
           : is_revoke ? s_revoke (conn, arg, staff_id, by, reason)
           : s_list (conn, staff_id);
    PQfinish (conn);
    return rc;
}
