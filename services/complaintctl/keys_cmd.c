/*  keys_cmd.c — `complaintctl keys`: the CURVE certificates of every
 *  process and who may connect where (docs/security.md "Transport (CURVE)").
 *
 *      keys init                     the servers', the services' and the
 *                                    operator's identities, the allow lists
 *      keys new NAME --role R [--channels a,b] [--status]
 *                                    one client's identity, allowed where
 *                                    its role connects
 *      keys list                     every identity: role, channels, where
 *      keys revoke NAME              out of every allow list, into revoked/
 *
 *  The layout (common/curve.h), under --keys DIR (COMPLAINTS_KEYS, default
 *  var/keys):
 *
 *      NAME.cert, NAME.cert_secret   zcert pair; the secret file mode 0600
 *      allow/intake/NAME.cert        public certs intake accepts
 *      allow/bus/NAME.cert           ... the bus (PUB and replay)
 *      allow/analytics/NAME.cert     ... the analytics query endpoint
 *      revoked/NAME.cert             what `revoke` took out
 *
 *  Where a role's public cert goes: an adapter submits (intake); an analyst
 *  reads the stream and the figures (bus, analytics); staff use every
 *  endpoint (intake, bus, analytics); a service reads the stream (bus).
 *  The metadata in the public cert (name, role, channels, status) reaches
 *  the server with every request (zauth), so intake authorises a submit by
 *  its channel without a table of its own.
 *
 *  Every file is created under umask 077 (a secret is never readable by
 *  others, not even for a moment); public certs are then opened to 0644
 *  and the directories to 0755 (they are meant to be copied and read).
 *
 *  Revocation moves a file (rename), which changes the allow directory's
 *  mtime: zauth refuses the key at the next connection, intake at the next
 *  request (curve_peer_allowed). Nothing here talks to a server.
 */
#include "ctl.h"
#include "curve.h"
#include "request.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_NAME_MAX 63

static const char *const s_servers [] = { CURVE_INTAKE, CURVE_BUS, CURVE_ANALYTICS, NULL };

/* The identities `init` makes: every daemon's (its --key default is its
 * service name) and the operator's (complaintctl's default). The operator
 * is staff without the status permission: staff read a case with their
 * token; the status view is the customer's, with the query code. */
static const struct { const char *name, *role, *channels; bool status; } s_identities [] = {
    { "intake",    "service", "",  false },
    { "bus",       "service", "",  false },
    { "analytics", "service", "",  false },
    { "router",    "service", "",  false },
    { "watchdog",  "service", "",  false },
    { "notifier",  "service", "",  false },
    { CURVE_TOOL_KEY, "staff", "*", false },
};

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl keys init [--keys DIR]\n"
        "       complaintctl keys new NAME --role adapter|analyst|staff|service\n"
        "                             [--channels web,email] [--status] [--keys DIR]\n"
        "       complaintctl keys list [--keys DIR]\n"
        "       complaintctl keys revoke NAME [--keys DIR]\n"
        "\n"
        "CURVE certificates for every ZeroMQ endpoint (docs/security.md, \"Transport\n"
        "(CURVE)\"). DIR is --keys, else %s, else %s.\n"
        "\n"
        "  init         the servers' (intake, bus, analytics), the services' (router,\n"
        "               watchdog, notifier) and the operator's identities, and the\n"
        "               allow lists; what exists already is kept\n"
        "  new NAME     a client's identity, allowed where its role connects:\n"
        "                 adapter  intake (--channels required: what it may submit for)\n"
        "                 analyst  bus, analytics\n"
        "                 staff    intake, bus, analytics (every channel)\n"
        "                 service  bus\n"
        "               --status: the certificate may ask intake for the status view\n"
        "  list         every identity: role, channels, status, where it is allowed\n"
        "  revoke NAME  take its public cert out of every allow list (into revoked/):\n"
        "               refused at the next connection, and by intake at its next\n"
        "               request; a live bus subscription lasts until it reconnects\n",
        CURVE_ENV_KEYS, CURVE_KEYS_DIR);
}

static bool
s_name_ok (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > S_NAME_MAX || name [0] == '.' || name [0] == '-')
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
              || *c == '-' || *c == '_' || *c == '.'))
            return false;
    return !streq (name, CURVE_LOCAL);      /* the plaintext submitter's name */
}

static int
s_mkdir (const char *path, mode_t mode)
{
    if (mkdir (path, mode) && errno != EEXIST) {
        fprintf (stderr, "complaintctl keys: cannot create %s: %s\n", path, strerror (errno));
        return -1;
    }
    chmod (path, mode);
    return 0;
}

static int
s_layout (const char *dir)
{
    char path [1024];
    if (s_mkdir (dir, 0755))
        return -1;
    snprintf (path, sizeof path, "%s/allow", dir);
    if (s_mkdir (path, 0755))
        return -1;
    for (size_t i = 0; s_servers [i]; i++) {
        snprintf (path, sizeof path, "%s/allow/%s", dir, s_servers [i]);
        if (s_mkdir (path, 0755))
            return -1;
    }
    snprintf (path, sizeof path, "%s/revoked", dir);
    return s_mkdir (path, 0755);
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

/* Which allow lists a role belongs in. */
static bool
s_role_allowed (const char *role, const char *server)
{
    if (streq (role, "staff"))
        return true;
    if (streq (role, "adapter"))
        return streq (server, CURVE_INTAKE);
    if (streq (role, "analyst"))
        return streq (server, CURVE_BUS) || streq (server, CURVE_ANALYTICS);
    if (streq (role, "service"))
        return streq (server, CURVE_BUS);
    return false;
}

/* issue 16 (i16-followup): the watchdog also asks intake (it closes a case
 * whose call-back ran out: services/watchdog/callback_close.h). */
static bool
s_allowed (const char *name, const char *role, const char *server)
{
    return s_role_allowed (role, server)
        || (streq (role, "service") && streq (name, "watchdog") && streq (server, CURVE_INTAKE));
}

static int
s_create (const char *dir, const char *name, const char *role, const char *channels, bool status)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s.cert", dir, name);
    zcert_t *cert = zcert_new ();
    if (!cert) {
        fprintf (stderr, "complaintctl keys: cannot make a key pair\n");
        return -1;
    }
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    zcert_set_meta (cert, "channels", "%s", channels);
    zcert_set_meta (cert, "status", "%s", status ? "yes" : "no");
    zcert_set_meta (cert, "created", "%lld", (long long) (zclock_time () / 1000));
    //  The secret file is born 0600: never readable by others, not even
    //  between its creation and a chmod.
    mode_t old = umask (077);
    int rc = zcert_save (cert, path);
    for (size_t i = 0; rc == 0 && s_servers [i]; i++)
        if (s_allowed (name, role, s_servers [i])) {
            char allow [1100];
            snprintf (allow, sizeof allow, "%s/allow/%s/%s.cert", dir, s_servers [i], name);
            rc = zcert_save_public (cert, allow);
            if (rc == 0)
                chmod (allow, 0644);
        }
    umask (old);
    if (rc == 0)
        chmod (path, 0644);
    else
        fprintf (stderr, "complaintctl keys: cannot write %s: %s\n", path, strerror (errno));
    zcert_destroy (&cert);
    return rc;
}

static int
s_init (const char *dir)
{
    if (s_layout (dir))
        return CTL_EXIT_REPLY;
    int made = 0;
    for (size_t i = 0; i < sizeof s_identities / sizeof s_identities [0]; i++) {
        char path [1024];
        snprintf (path, sizeof path, "%s/%s.cert_secret", dir, s_identities [i].name);
        if (s_exists (path))
            continue;
        if (s_create (dir, s_identities [i].name, s_identities [i].role,
                      s_identities [i].channels, s_identities [i].status))
            return CTL_EXIT_REPLY;
        made++;
    }
    fprintf (stderr, "complaintctl keys: %d identities made in %s (%zu kept)\n", made, dir,
             sizeof s_identities / sizeof s_identities [0] - (size_t) made);
    return CTL_EXIT_OK;
}

static bool
s_channels_ok (const char *channels)
{
    if (streq (channels, "*"))
        return true;
    const char *p = channels;
    while (*p) {
        size_t n = strcspn (p, ",");
        if (!channel_valid ((proto_str_t) { p, n }))
            return false;
        p += n + (p [n] == ',');
    }
    return *channels != 0;
}

static int
s_new (const char *dir, const char *name, const char *role, const char *channels, bool status)
{
    if (!s_name_ok (name)) {
        fprintf (stderr, "complaintctl keys: a name is 1-%d letters, digits, '-', '_' or '.',"
                 " not starting with '.' or '-', and not \"%s\": \"%s\"\n", S_NAME_MAX,
                 CURVE_LOCAL, name);
        return CTL_EXIT_USAGE;
    }
    if (!role || !(streq (role, "adapter") || streq (role, "analyst") || streq (role, "staff")
                   || streq (role, "service"))) {
        fprintf (stderr, "complaintctl keys: --role adapter|analyst|staff|service is required\n");
        return CTL_EXIT_USAGE;
    }
    if (!channels)
        channels = streq (role, "staff") ? "*" : "";
    if ((streq (role, "adapter") || *channels) && !s_channels_ok (channels)) {
        if (*channels)
            fprintf (stderr, "complaintctl keys: unknown channel in --channels \"%s\": ",
                     channels);
        else
            fprintf (stderr, "complaintctl keys: an adapter needs --channels: ");
        fprintf (stderr, "a comma-separated list of ");
        for (size_t i = 0; channel_names [i]; i++)
            fprintf (stderr, "%s%s", i ? ", " : "", channel_names [i]);
        fprintf (stderr, ", or *\n");
        return CTL_EXIT_USAGE;
    }
    if (s_layout (dir))
        return CTL_EXIT_REPLY;
    char path [1024];
    snprintf (path, sizeof path, "%s/%s.cert", dir, name);
    if (s_exists (path)) {
        fprintf (stderr, "complaintctl keys: %s exists: an identity is made once (revoke it"
                 " and choose another name to replace it)\n", path);
        return CTL_EXIT_REPLY;
    }
    if (s_create (dir, name, role, channels, status))
        return CTL_EXIT_REPLY;
    printf ("%s\n", path);
    return CTL_EXIT_OK;
}

static int
s_list (const char *dir)
{
    DIR *d = opendir (dir);
    if (!d) {
        fprintf (stderr, "complaintctl keys: cannot read %s: %s\n", dir, strerror (errno));
        return CTL_EXIT_REPLY;
    }
    zlistx_t *names = zlistx_new ();
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (names, (zlistx_comparator_fn *) strcmp);
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t len = strlen (e->d_name);
        if (len > 5 && streq (e->d_name + len - 5, ".cert"))
            zlistx_add_end (names, zsys_sprintf ("%.*s", (int) (len - 5), e->d_name));
    }
    closedir (d);
    zlistx_sort (names);
    printf ("%-20s %-8s %-20s %-6s %s\n", "NAME", "ROLE", "CHANNELS", "STATUS", "ALLOWED AT");
    for (char *name = (char *) zlistx_first (names); name; name = (char *) zlistx_next (names)) {
        char path [1024];
        snprintf (path, sizeof path, "%s/%s.cert", dir, name);
        zcert_t *cert = zcert_load (path);
        if (!cert)
            continue;
        char where [128] = "";
        for (size_t i = 0; s_servers [i]; i++) {
            char allow [1100];
            snprintf (allow, sizeof allow, "%s/allow/%s/%s.cert", dir, s_servers [i], name);
            if (s_exists (allow))
                snprintf (where + strlen (where), sizeof where - strlen (where), "%s%s",
                          *where ? "," : "", s_servers [i]);
        }
        snprintf (path, sizeof path, "%s/revoked/%s.cert", dir, name);
        if (s_exists (path))
            snprintf (where + strlen (where), sizeof where - strlen (where), "%s",
                      *where ? " (revoked once)" : "revoked");
        const char *role = zcert_meta (cert, "role");
        const char *channels = zcert_meta (cert, "channels");
        const char *status = zcert_meta (cert, "status");
        printf ("%-20s %-8s %-20s %-6s %s\n", name, role ? role : "?",
                channels && *channels ? channels : "-", status ? status : "no",
                *where ? where : "-");
        zcert_destroy (&cert);
    }
    zlistx_destroy (&names);
    return CTL_EXIT_OK;
}

static int
s_revoke (const char *dir, const char *name)
{
    if (!s_name_ok (name)) {
        fprintf (stderr, "complaintctl keys: no such identity name \"%s\"\n", name);
        return CTL_EXIT_USAGE;
    }
    char revoked [1024];
    snprintf (revoked, sizeof revoked, "%s/revoked", dir);
    if (s_mkdir (revoked, 0755))
        return CTL_EXIT_REPLY;
    snprintf (revoked, sizeof revoked, "%s/revoked/%s.cert", dir, name);
    int moved = 0;
    for (size_t i = 0; s_servers [i]; i++) {
        char allow [1024];
        snprintf (allow, sizeof allow, "%s/allow/%s/%s.cert", dir, s_servers [i], name);
        if (!s_exists (allow))
            continue;
        //  One rename per list: the directory's mtime changes, which is what
        //  zauth and intake look at. The first copy is kept in revoked/.
        if (s_exists (revoked) ? unlink (allow) : rename (allow, revoked)) {
            fprintf (stderr, "complaintctl keys: cannot move %s: %s\n", allow, strerror (errno));
            return CTL_EXIT_REPLY;
        }
        moved++;
    }
    if (moved == 0) {
        fprintf (stderr, "complaintctl keys: %s is in no allow list under %s\n", name, dir);
        return CTL_EXIT_REPLY;
    }
    fprintf (stderr, "complaintctl keys: %s revoked from %d allow list%s\n", name, moved,
             moved == 1 ? "" : "s");
    return CTL_EXIT_OK;
}

int
ctl_keys (int argc, char **argv)
{
    enum { O_KEYS = 1, O_ROLE, O_CHANNELS, O_STATUS, O_HELP };
    static const struct option longopts [] = {
        { "keys", required_argument, NULL, O_KEYS },
        { "role", required_argument, NULL, O_ROLE },
        { "channels", required_argument, NULL, O_CHANNELS },
        { "status", no_argument, NULL, O_STATUS },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL, *role = NULL, *channels = NULL;
    bool status = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
            case O_KEYS: dir = optarg; break;
            case O_ROLE: role = optarg; break;
            case O_CHANNELS: channels = optarg; break;
            case O_STATUS: status = true; break;
            case O_HELP: case 'h': s_usage (stdout); return CTL_EXIT_OK;
            default: s_usage (stderr); return CTL_EXIT_USAGE;
        }
    }
    dir = ctl_setting (dir, CURVE_ENV_KEYS, CURVE_KEYS_DIR);
    if (optind >= argc) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    const char *verb = argv [optind];
    int rest = argc - optind - 1;
    if (streq (verb, "init") && rest == 0)
        return s_init (dir);
    if (streq (verb, "new") && rest == 1)
        return s_new (dir, argv [optind + 1], role, channels, status);
    if (streq (verb, "list") && rest == 0)
        return s_list (dir);
    if (streq (verb, "revoke") && rest == 1)
        return s_revoke (dir, argv [optind + 1]);
    s_usage (stderr);
    return CTL_EXIT_USAGE;
}
