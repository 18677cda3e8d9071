/*  mail_maildir.c — take what is in a Maildir's new/ (see mail_maildir.h).
 *
 *  Names are read and sorted (Maildir names start with the delivery time,
 *  so this is roughly arrival order) and at most `max` are taken per call:
 *  the daemon's loop turns between batches, so a Maildir of ten thousand
 *  files never holds up intake's replies or an LMTP session.
 */
#include "mail_maildir.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int
mail_maildir_ensure (const char *dir, char *err, size_t err_size)
{
    const char *subs [] = { "", "/tmp", "/new", "/cur" };
    for (size_t i = 0; i < sizeof subs / sizeof subs [0]; i++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s%s", dir, subs [i]);
        if (mkdir (path, 0700) && errno != EEXIST) {
            snprintf (err, err_size, "cannot create %s: %s", path, strerror (errno));
            return -1;
        }
    }
    return 0;
}

size_t
mail_maildir_scan (const char *dir, mail_accept_t *accept, size_t max_message, size_t max,
                   size_t *complaints)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/new", dir);
    zlist_t *names = spool_names (path, max);
    size_t taken = 0;
    for (const char *name = (const char *) zlist_first (names); name;
         name = (const char *) zlist_next (names)) {
        char from [PATH_MAX + NAME_MAX + 2], to [PATH_MAX + NAME_MAX + 8];
        snprintf (from, sizeof from, "%s/new/%s", dir, name);
        //  The info part ":2,S" (seen); a name that has one keeps it.
        snprintf (to, sizeof to, "%s/cur/%s%s", dir, name, strchr (name, ':') ? "" : ":2,S");
        size_t size = 0;
        char *data = mail_read_file (from, max_message, &size);
        if (!data) {
            log_warn ("maildir_unreadable", "file=%s reason=\"%s\"", name, strerror (errno));
            continue;
        }
        mail_verdict_t v;
        mail_accept_take (accept, data, size, "maildir", &v);
        free (data);
        if (v.code == 451)
            continue;               /* not stored: stays in new/ for the next scan */
        if (rename (from, to))
            log_warn ("maildir_move_failed", "file=%s reason=\"%s\"", name, strerror (errno));
        taken++;
        if (complaints && *v.spool_id)        /* a complaint or a reply: spooled */
            (*complaints)++;
    }
    zlist_destroy (&names);
    return taken;
}
