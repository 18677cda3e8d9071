/*  mail_maildir.c — take what is in a Maildir's new/ (see mail_maildir.h).
 *
 *  Names are read and sorted (Maildir names start with the delivery time,
 *  so this is roughly arrival order) and at most `max` are taken per call:
 *  the daemon's loop turns between batches, so a Maildir of ten thousand
 *  files never holds up intake's replies or an LMTP session.
 */
#include "mail_maildir.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

size_t
mail_maildir_scan (const char *dir, mail_accept_t *accept, size_t max_message, size_t max,
                   size_t *complaints)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/new", dir);
    DIR *d = opendir (path);
    if (!d)
        return 0;
    size_t count = 0, cap = 0;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir (d)) != NULL) {
        if (e->d_name [0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            names = (char **) realloc (names, cap * sizeof (char *));
            assert (names);
        }
        names [count++] = strdup (e->d_name);
    }
    closedir (d);
    if (count)
        qsort (names, count, sizeof (char *), s_compare);
    size_t taken = 0;
    for (size_t i = 0; i < count; i++) {
        if (taken < max) {
            char from [PATH_MAX + NAME_MAX + 2], to [PATH_MAX + NAME_MAX + 8];
            snprintf (from, sizeof from, "%s/new/%s", dir, names [i]);
            //  The info part ":2,S" (seen); a name that has one keeps it.
            snprintf (to, sizeof to, "%s/cur/%s%s", dir, names [i],
                      strchr (names [i], ':') ? "" : ":2,S");
            size_t size = 0;
            char *data = mail_read_file (from, max_message, &size);
            if (!data)
                log_warn ("maildir_unreadable", "file=%s reason=\"%s\"", names [i],
                          strerror (errno));
            else {
                mail_verdict_t v;
                mail_accept_take (accept, data, size, "maildir", &v);
                free (data);
                if (v.code != 451) {
                    if (rename (from, to))
                        log_warn ("maildir_move_failed", "file=%s reason=\"%s\"", names [i],
                                  strerror (errno));
                    taken++;
                    if (complaints && v.kind == MAIL_COMPLAINT)
                        (*complaints)++;
                }
            }
        }
        free (names [i]);
    }
    free (names);
    return taken;
}
