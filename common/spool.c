/*  spool.c — a channel adapter's durable inbox (see spool.h).
 *
 *  Why files and not a table: the spool is what keeps an input while intake
 *  (and behind it the store) cannot take it; an adapter that needed the
 *  store to accept an input would lose it in exactly the outage the spool
 *  is for. One file per entry, written the way a mail server writes a
 *  Maildir message: tmp/, fsync, rename into new/, fsync the folder. A
 *  rename within one file system is atomic, so new/ never holds half an
 *  entry, and after the folder's fsync the name itself survives a power
 *  cut.
 *
 *  Moving an entry on (done/, rejected/) is not fsync'd: lost in a crash,
 *  the entry is back in new/ and is submitted again with the same ref, and
 *  intake answers with the first number (invariant 6). What must never
 *  happen — an input answered to the channel and then lost — needs only
 *  the one fsync'd step.
 *
 *  The pending list reads new/ and sorts it each time: cheap for the
 *  hundreds an outage leaves, and it needs no index that could disagree
 *  with the folder after a crash.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct _spool_t {
    char *dir;
    int lock_fd;
    uint32_t counter;
};

static const char *s_folders [] = { "tmp", "new", "done", "rejected" };

static int
s_mkdir (const char *path)
{
    if (mkdir (path, 0700) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

static void
s_path (spool_t *self, char *out, size_t size, const char *folder, const char *id,
        const char *suffix)
{
    snprintf (out, size, "%s/%s/%s%s", self->dir, folder, id, suffix ? suffix : "");
}

/* What tmp/ holds after a crash was never answered to the channel: gone. */
static void
s_clear_tmp (spool_t *self)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/tmp", self->dir);
    DIR *dir = opendir (path);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir (dir)) != NULL) {
        if (e->d_name [0] == '.')
            continue;
        char file [PATH_MAX + NAME_MAX + 2];
        snprintf (file, sizeof file, "%s/%s", path, e->d_name);
        unlink (file);
    }
    closedir (dir);
}

spool_t *
spool_new (const char *dir, char *err, size_t err_size)
{
    assert (dir && err);
    if (s_mkdir (dir)) {
        snprintf (err, err_size, "cannot create %s: %s", dir, strerror (errno));
        return NULL;
    }
    for (size_t i = 0; i < sizeof s_folders / sizeof s_folders [0]; i++) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", dir, s_folders [i]);
        if (s_mkdir (path)) {
            snprintf (err, err_size, "cannot create %s: %s", path, strerror (errno));
            return NULL;
        }
    }
    char lock [PATH_MAX];
    snprintf (lock, sizeof lock, "%s/lock", dir);
    int fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf (err, err_size, "cannot open %s: %s", lock, strerror (errno));
        return NULL;
    }
    if (flock (fd, LOCK_EX | LOCK_NB)) {
        snprintf (err, err_size, "%s is in use by another process (%s): one adapter per spool",
                  dir, strerror (errno));
        close (fd);
        return NULL;
    }
    spool_t *self = (spool_t *) zmalloc (sizeof *self);
    self->dir = strdup (dir);
    self->lock_fd = fd;
    s_clear_tmp (self);
    return self;
}

void
spool_destroy (spool_t **self_p)
{
    assert (self_p);
    spool_t *self = *self_p;
    if (!self)
        return;
    close (self->lock_fd);          /* releases the flock */
    free (self->dir);
    free (self);
    *self_p = NULL;
}

const char *
spool_dir (spool_t *self)
{
    assert (self);
    return self->dir;
}

static int
s_write_all (int fd, const void *data, size_t size)
{
    const char *p = (const char *) data;
    while (size > 0) {
        ssize_t n = write (fd, p, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        size -= (size_t) n;
    }
    return 0;
}

static int
s_fsync_dir (const char *path)
{
    int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

static int
s_put (spool_t *self, const void *data, size_t size, char id [SPOOL_ID_SIZE], bool sync)
{
    assert (self && (data || size == 0) && id);
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    uint64_t ns = (uint64_t) now.tv_sec * 1000000000u + (uint64_t) now.tv_nsec;
    //  Fixed widths, so that names sort as the entries were put.
    //  Atomic: spool_writer.h puts from several threads.
    snprintf (id, SPOOL_ID_SIZE, "%020" PRIu64 "-%010" PRIu32, ns,
              __atomic_fetch_add (&self->counter, 1, __ATOMIC_RELAXED));
    char tmp [PATH_MAX], final [PATH_MAX], folder [PATH_MAX];
    s_path (self, tmp, sizeof tmp, "tmp", id, NULL);
    s_path (self, final, sizeof final, "new", id, NULL);
    snprintf (folder, sizeof folder, "%s/new", self->dir);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (s_write_all (fd, data, size) || fsync (fd)) {
        int saved = errno;
        close (fd);
        unlink (tmp);
        errno = saved;
        return -1;
    }
    if (close (fd) || rename (tmp, final)) {
        int saved = errno;
        unlink (tmp);
        errno = saved;
        return -1;
    }
    if (sync && s_fsync_dir (folder)) {
        //  The name may not be durable: say so, and do not keep an entry
        //  the channel will be told to send again.
        int saved = errno;
        unlink (final);
        errno = saved;
        return -1;
    }
    return 0;
}

int
spool_put (spool_t *self, const void *data, size_t size, char id [SPOOL_ID_SIZE])
{
    return s_put (self, data, size, id, true);
}

int
spool_put_unsynced (spool_t *self, const void *data, size_t size, char id [SPOOL_ID_SIZE])
{
    return s_put (self, data, size, id, false);
}

int
spool_sync (spool_t *self)
{
    assert (self);
    char folder [PATH_MAX];
    snprintf (folder, sizeof folder, "%s/new", self->dir);
    return s_fsync_dir (folder);
}

int
spool_file_put (const char *folder, const char *name, const void *data, size_t size)
{
    assert (folder && name && (data || size == 0));
    char tmp [PATH_MAX], final [PATH_MAX];
    snprintf (tmp, sizeof tmp, "%s/.%s.tmp", folder, name);
    snprintf (final, sizeof final, "%s/%s", folder, name);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = s_write_all (fd, data, size) || fsync (fd) ? -1 : 0;
    int saved = errno;
    if (close (fd) && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc) {
        unlink (tmp);
        errno = saved;
        return -1;
    }
    if (rename (tmp, final) || s_fsync_dir (folder)) {
        saved = errno;
        unlink (tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/*  Sorted in an array and cut there: dropping the excess one by one off a
 *  zlist's tail would cost O(N^2) on the backlog an outage leaves. */
zlist_t *
spool_names (const char *folder, size_t max)
{
    assert (folder);
    zlist_t *ids = zlist_new ();
    zlist_autofree (ids);
    DIR *dir = opendir (folder);
    if (!dir)
        return ids;
    size_t count = 0, capacity = 0;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir (dir)) != NULL) {
        if (e->d_name [0] == '.')
            continue;
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            names = (char **) realloc (names, capacity * sizeof (char *));
            assert (names);
        }
        names [count] = strdup (e->d_name);
        assert (names [count]);
        count++;
    }
    closedir (dir);
    if (count)
        qsort (names, count, sizeof (char *), s_compare);
    for (size_t i = 0; i < count; i++) {
        if (i < max)
            zlist_append (ids, names [i]);      /* copied: autofree */
        free (names [i]);
    }
    free (names);
    return ids;
}

zlist_t *
spool_pending (spool_t *self, size_t max)
{
    assert (self);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/new", self->dir);
    return spool_names (path, max);
}

zchunk_t *
spool_read (spool_t *self, const char *id)
{
    assert (self && id);
    char path [PATH_MAX];
    s_path (self, path, sizeof path, "new", id, NULL);
    return zchunk_slurp (path, 0);
}

/* issue 16 (i16-mailev): intake's answer kept beside a finished entry,
 * for what an adapter does after it (the mail adapter's attachments,
 * resumed after a restart). */
zchunk_t *
spool_answer (spool_t *self, const char *id, bool *rejected)
{
    assert (self && id && rejected);
    char path [PATH_MAX];
    s_path (self, path, sizeof path, "done", id, ".reply");
    *rejected = false;
    if (access (path, F_OK) == 0)
        return zchunk_slurp (path, 0);
    s_path (self, path, sizeof path, "rejected", id, ".reply");
    *rejected = access (path, F_OK) == 0;
    return *rejected ? zchunk_slurp (path, 0) : NULL;
}

static int
s_move (spool_t *self, const char *folder, const char *id, const void *reply, size_t size)
{
    char from [PATH_MAX], to [PATH_MAX];
    s_path (self, from, sizeof from, "new", id, NULL);
    s_path (self, to, sizeof to, folder, id, NULL);
    if (reply) {
        char rpath [PATH_MAX];
        s_path (self, rpath, sizeof rpath, folder, id, ".reply");
        int fd = open (rpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        int rc = s_write_all (fd, reply, size);
        int saved = errno;
        close (fd);
        errno = saved;
        if (rc)
            return -1;
    }
    return rename (from, to);
}

int
spool_done (spool_t *self, const char *id, const void *reply, size_t reply_size)
{
    assert (self && id);
    return s_move (self, "done", id, reply, reply_size);
}

int
spool_reject (spool_t *self, const char *id, const void *reply, size_t reply_size)
{
    assert (self && id);
    return s_move (self, "rejected", id, reply, reply_size);
}

size_t
spool_count (spool_t *self)
{
    assert (self);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/new", self->dir);
    DIR *dir = opendir (path);
    if (!dir)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir (dir)) != NULL)
        n += e->d_name [0] != '.';
    closedir (dir);
    return n;
}

int
spool_prune (spool_t *self, long age_s)
{
    assert (self);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/done", self->dir);
    DIR *dir = opendir (path);
    if (!dir)
        return 0;
    time_t cut = time (NULL) - age_s;
    int n = 0;
    struct dirent *e;
    while ((e = readdir (dir)) != NULL) {
        if (e->d_name [0] == '.')
            continue;
        char file [PATH_MAX + NAME_MAX + 2];
        snprintf (file, sizeof file, "%s/%s", path, e->d_name);
        struct stat st;
        if (stat (file, &st) == 0 && st.st_mtime <= cut && unlink (file) == 0)
            n += strstr (e->d_name, ".reply") == NULL;
    }
    closedir (dir);
    return n;
}

//  --------------------------------------------------------------------------
//  Self-test

#include "selftest.h"

void
spool_test (bool verbose)
{
    (void) verbose;
    printf (" * spool: ");
    char dir [] = "/tmp/spool-test-XXXXXX";
    assert (mkdtemp (dir));
    char err [256];
    spool_t *spool = spool_new (dir, err, sizeof err);
    assert (spool);
    //  One owner: a second spool on the same folder is refused, by name.
    spool_t *twin = spool_new (dir, err, sizeof err);
    assert (!twin && strstr (err, "in use"));

    char ids [3][SPOOL_ID_SIZE];
    const char *bodies [3] = { "first", "second", "third" };
    for (int i = 0; i < 3; i++)
        assert (spool_put (spool, bodies [i], strlen (bodies [i]), ids [i]) == 0);
    assert (spool_count (spool) == 3);
    //  Oldest first, and bounded.
    zlist_t *pending = spool_pending (spool, 2);
    assert (zlist_size (pending) == 2);
    assert (streq ((char *) zlist_first (pending), ids [0]));
    assert (streq ((char *) zlist_next (pending), ids [1]));
    zlist_destroy (&pending);
    zchunk_t *chunk = spool_read (spool, ids [1]);
    assert (chunk && zchunk_size (chunk) == 6 && memcmp (zchunk_data (chunk), "second", 6) == 0);
    zchunk_destroy (&chunk);
    //  Acknowledged and refused entries leave new/, with their replies.
    assert (spool_done (spool, ids [0], "no 1", 4) == 0);
    assert (spool_reject (spool, ids [2], "bad", 3) == 0);
    assert (spool_count (spool) == 1);
    //  A batch: entries put unsynced are in new/ at once, in order after
    //  the others; one folder fsync makes them all durable.
    char batch [2][SPOOL_ID_SIZE];
    assert (spool_put_unsynced (spool, "b1", 2, batch [0]) == 0);
    assert (spool_put_unsynced (spool, "b2", 2, batch [1]) == 0);
    assert (spool_sync (spool) == 0);
    assert (spool_count (spool) == 3 && strcmp (batch [0], ids [1]) > 0
            && strcmp (batch [1], batch [0]) > 0);
    assert (spool_reject (spool, batch [0], "x", 1) == 0
            && spool_reject (spool, batch [1], "x", 1) == 0);
    assert (spool_count (spool) == 1);
    assert (spool_read (spool, ids [0]) == NULL);
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/rejected/%s.reply", dir, ids [2]);
    chunk = zchunk_slurp (path, 0);
    assert (chunk && zchunk_size (chunk) == 3);
    zchunk_destroy (&chunk);
    //  A crash mid-put leaves tmp/: never answered, so cleared at start;
    //  new/ survives a restart.
    spool_destroy (&spool);
    snprintf (path, sizeof path, "%s/tmp/half", dir);
    FILE *half = fopen (path, "w");
    assert (half);
    fputs ("half an entry", half);
    fclose (half);
    spool = spool_new (dir, err, sizeof err);
    assert (spool);
    assert (access (path, F_OK) != 0);
    assert (spool_count (spool) == 1);
    pending = spool_pending (spool, 10);
    assert (zlist_size (pending) == 1 && streq ((char *) zlist_first (pending), ids [1]));
    zlist_destroy (&pending);
    //  Pruning: done/ entries older than the age go, with their replies.
    assert (spool_prune (spool, 3600) == 0);
    assert (spool_prune (spool, -1) == 1);
    snprintf (path, sizeof path, "%s/done/%s.reply", dir, ids [0]);
    assert (access (path, F_OK) != 0);
    spool_destroy (&spool);
    spool_destroy (&spool);             /* safe twice */

    zdir_t *tree = zdir_new (dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
    printf ("OK\n");
}
