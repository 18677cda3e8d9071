/*  token.c — `complaintctl token new STAFF_ID`: issue a staff token.
 *
 *  A token is 32 random bytes as 64 hex characters (common/staff_token.h).
 *  The plaintext is printed once, on stdout, for the person it belongs to
 *  (who puts it in COMPLAINTS_TOKEN); the system keeps only its SHA-256, as
 *  the line `STAFF_ID SHA256HEX` of the tokens file that the router loads
 *  with the directory (--tokens / COMPLAINTS_STAFF_TOKENS, docs/organisation.md).
 *
 *  The line goes to stderr, so `complaintctl token new a1 >a1.token
 *  2>>tokens` files each half in its place; or --tokens-file F appends it to
 *  F directly (created 0600 if missing; one write(2) with O_APPEND, so
 *  several issuers at once never interleave lines). Issuing does not touch
 *  the store: the new token works once the router has loaded the file (at
 *  start, or on SIGHUP). A staff member may hold several tokens; a line
 *  removed from the file revokes that token at the next load.
 *
 *  This is the only subcommand that needs no server.
 */
#include "ctl.h"
#include "staff_token.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define S_MAX_STAFF_ID 63     /* the directory's limit (docs/organisation.md) */

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl token new STAFF_ID [--tokens-file F]\n"
        "\n"
        "Issues a token for the member of staff STAFF_ID (an id from the directory,\n"
        "deploy/org/directory.conf). Prints the token on stdout, once: give it to them,\n"
        "they set %s to it. The system keeps only its SHA-256, as the\n"
        "line \"STAFF_ID SHA256HEX\" of the router's tokens file (--tokens /\n"
        "COMPLAINTS_STAFF_TOKENS), printed on stderr, or appended to F:\n"
        "\n"
        "  --tokens-file F    append the line to F (created, mode 0600, if missing)\n"
        "\n"
        "The token works once the router has loaded the file (start, or SIGHUP).\n"
        "\n"
        "  complaintctl token new card_a1 >card_a1.token 2>>deploy/org/tokens\n",
        STAFF_TOKEN_ENV);
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

int
ctl_token (int argc, char **argv)
{
    enum { O_TOKENS_FILE = 256, O_HELP };
    static const struct option options [] = {
        { "tokens-file", required_argument, NULL, O_TOKENS_FILE },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *tokens_file = NULL;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_TOKENS_FILE: tokens_file = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl token --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (argc - optind != 2 || strcmp (argv [optind], "new")) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *staff_id = argv [optind + 1];
    if (!s_staff_id_valid (staff_id)) {
        fprintf (stderr, "complaintctl token: \"%s\" is not a staff id (1-%d characters of "
                 "a-z 0-9 _)\n", staff_id, S_MAX_STAFF_ID);
        return CTL_EXIT_USAGE;
    }
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
