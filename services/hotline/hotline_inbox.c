/*  hotline_inbox.c — the watched folder (see hotline_inbox.h).
 *
 *  A file is taken a slice at a time (hotline_inbox_step: rows until the
 *  budget is spent), so the daemon's loop goes round between slices: the
 *  desk answers and the spool is sent to intake while a big export is
 *  still being read. One file at a time, oldest name first.
 *
 *  Order of the steps that make a file "taken", and why:
 *      1. every good row: spool_put_unsynced (the entry fsync'd), then the
 *         spool's folder fsync'd once per slice (spool_sync)
 *      2. the rejects: written to rejected/NAME.rejects.csv.part, fsync'd,
 *         renamed to their final name, rejected/ fsync'd
 *      3. the file: renamed into done/ (or rejected/ when unreadable)
 *  A crash before 3 leaves the file in the inbox and the next run does it
 *  all again (the rejects .part is started afresh, the rows come back
 *  duplicates). Step 3 itself needs no fsync: lost, it is a re-read. The
 *  rejects are fsync'd before it because they live in another folder, whose
 *  rename could otherwise reach the disk after the file's.
 */
#include "hotline_inbox.h"
#include "csv_rows.h"
#include "log.h"

#include <czmq.h>

#include <assert.h>
#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_COLUMNS 64

/* The file being taken: read a slice of rows at each step. */
typedef struct {
    hotline_inbox_t *inbox;
    char name [NAME_MAX + 1];
    char path [PATH_MAX + NAME_MAX + 2];
    char part [PATH_MAX + NAME_MAX + 32];   /* the rejects being written */
    FILE *rejects;
    FILE *in;                   /* NULL: refused before reading (too large) */
    csv_rows_t *csv;
    char *line;
    size_t cap;
    long rejected;              /* rows refused in this file */
    long spooled;
    int64_t now_ms;
    bool header_checked;
    bool unreadable;            /* not the export: the file goes to rejected/ */
    bool spool_failed;
    bool ended;                 /* every line read */
} s_file_t;

struct _hotline_inbox_t {
    char *dir;
    spool_t *spool;
    hotline_inbox_opts_t opts;
    hotline_inbox_stats_t stats;
    s_file_t *file;             /* being taken, or NULL */
    zhashx_t *skipped;          /* name -> retry-after (ms): files that would not open */
};

static int
s_mkdir (const char *path)
{
    return mkdir (path, 0750) == 0 || errno == EEXIST ? 0 : -1;
}

/* A folder's entries (a rename into it) survive a power cut. */
static int
s_sync_folder (const char *path)
{
    int fd = open (path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    close (fd);
    return rc;
}

static void
s_free_item (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

hotline_inbox_t *
hotline_inbox_new (const char *dir, spool_t *spool, const hotline_inbox_opts_t *opts,
                   char *err, size_t err_size)
{
    assert (dir && spool && opts);
    char path [PATH_MAX];
    const char *subs [] = { "", "/done", "/rejected" };
    for (size_t i = 0; i < 3; i++) {
        snprintf (path, sizeof path, "%s%s", dir, subs [i]);
        if (s_mkdir (path)) {
            snprintf (err, err_size, "cannot make %s: %s", path, strerror (errno));
            return NULL;
        }
    }
    hotline_inbox_t *self = calloc (1, sizeof *self);
    assert (self);
    self->dir = strdup (dir);
    self->spool = spool;
    self->opts = *opts;
    self->skipped = zhashx_new ();
    zhashx_set_destructor (self->skipped, s_free_item);
    return self;
}

void
hotline_inbox_destroy (hotline_inbox_t **self_p)
{
    assert (self_p);
    hotline_inbox_t *self = *self_p;
    if (!self)
        return;
    if (self->file) {
        /* stopped half-way: the file stays in the inbox, read again at start */
        s_file_t *f = self->file;
        fclose (f->rejects);
        unlink (f->part);
        if (f->in)
            fclose (f->in);
        csv_rows_destroy (&f->csv);
        free (f->line);
        free (f);
    }
    zhashx_destroy (&self->skipped);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

hotline_inbox_stats_t
hotline_inbox_stats (hotline_inbox_t *self)
{
    assert (self);
    return self->stats;
}

/* One rejects row: line, call_id, field, reason (CSV, libcsv's quoting). */
static void
s_reject (s_file_t *f, long line, proto_str_t call_id, const char *field, const char *reason)
{
    fprintf (f->rejects, "%ld,", line);
    csv_fwrite (f->rejects, call_id.ptr ? call_id.ptr : "", call_id.ptr ? call_id.len : 0);
    fputc (',', f->rejects);
    csv_fwrite (f->rejects, field, strlen (field));
    fputc (',', f->rejects);
    csv_fwrite (f->rejects, reason, strlen (reason));
    fputc ('\n', f->rejects);
    f->rejected++;
    char q [300];
    log_info ("row_rejected", "file=%s line=%ld field=%s reason=%s", f->name, line, field,
              log_quote (q, sizeof q, reason));
}

/* Once the header is read: the columns must include call_id. Unknown
 * columns are ignored (an export may carry more than we read). */
static void
s_check_header (s_file_t *f, csv_rows_t *csv)
{
    if (f->header_checked || csv_rows_columns (csv) == 0)
        return;
    f->header_checked = true;
    static const hotline_field_t required [] = { HOTLINE_CALL_ID, HOTLINE_COMPLAINT };
    for (size_t i = 0; i < sizeof required / sizeof required [0]; i++)
        if (!csv_rows_present (csv, required [i])) {
            char reason [160];
            snprintf (reason, sizeof reason, "the header has no %s column: not the call"
                      " centre's export (docs/adapters.md, \"Hotline\")",
                      hotline_call_field_names [required [i]]);
            s_reject (f, 1, (proto_str_t) { NULL, 0 }, "header", reason);
            f->unreadable = true;
            return;
        }
}

static void
s_on_row (csv_rows_t *csv, long line, void *arg)
{
    s_file_t *f = (s_file_t *) arg;
    s_check_header (f, csv);
    if (f->unreadable || f->spool_failed)
        return;
    hotline_call_t call;
    for (int i = 0; i < HOTLINE_FIELD_COUNT; i++)
        call.f [i] = csv_rows_field (csv, (size_t) i);
    proto_str_t call_id = call.f [HOTLINE_CALL_ID];
    if (csv_rows_count (csv) != csv_rows_columns (csv)) {
        char reason [96];
        snprintf (reason, sizeof reason, "expected %zu columns, found %zu",
                  csv_rows_columns (csv), csv_rows_count (csv));
        s_reject (f, line, call_id, "row", reason);
        return;
    }
    hotline_call_ctx_t ctx = { .now_ms = f->now_ms, .token = f->inbox->opts.token,
                               .started_required = true };
    hotline_call_error_t err;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (hotline_call_submit (&call, &ctx, &buf, &err))
        s_reject (f, line, call_id, err.field, err.reason);
    else {
        char id [SPOOL_ID_SIZE];
        if (spool_put_unsynced (f->inbox->spool, buf.data, buf.size, id)) {
            log_error ("spool_failed", "file=%s line=%ld error=\"%s\" action=\"the file stays"
                       " in the inbox\"", f->name, line, strerror (errno));
            f->spool_failed = true;
        }
        else
            f->spooled++;
    }
    msgpack_sbuffer_destroy (&buf);
}

/* dir/NAME, or dir/STEM.N.EXT when NAME is taken: never overwrite what an
 * earlier drop of the same name left. */
static void
s_free_name (const char *dir, const char *name, const char *suffix, char *out, size_t size)
{
    snprintf (out, size, "%s/%s%s", dir, name, suffix);
    struct stat st;
    for (int n = 1; n < 100000 && stat (out, &st) == 0; n++) {
        const char *dot = strrchr (name, '.');
        int stem = dot ? (int) (dot - name) : (int) strlen (name);
        snprintf (out, size, "%s/%.*s.%d%s%s", dir, stem, name, n, dot ? dot : "", suffix);
    }
}

/* Start taking NAME: its rejects file, and the file opened. NULL when it
 * cannot be opened now (tried again later). */
static s_file_t *
s_file_open (hotline_inbox_t *self, const char *name, int64_t size, int64_t now_ms)
{
    s_file_t *f = calloc (1, sizeof *f);
    assert (f);
    f->inbox = self;
    f->now_ms = now_ms;
    snprintf (f->name, sizeof f->name, "%s", name);
    snprintf (f->path, sizeof f->path, "%s/%s", self->dir, name);
    snprintf (f->part, sizeof f->part, "%s/rejected/%s.rejects.csv.part", self->dir, name);
    f->rejects = fopen (f->part, "w");
    if (!f->rejects) {
        log_error ("rejects_unwritable", "file=%s error=\"%s\"", f->part, strerror (errno));
        free (f);
        return NULL;
    }
    fputs ("line,call_id,field,reason\n", f->rejects);
    if (size > self->opts.max_file) {
        char reason [128];
        snprintf (reason, sizeof reason, "the file is %lld bytes, over the limit of %lld",
                  (long long) size, (long long) self->opts.max_file);
        s_reject (f, 0, (proto_str_t) { NULL, 0 }, "file", reason);
        f->unreadable = f->ended = true;
        return f;
    }
    if (!(f->in = fopen (f->path, "r"))) {
        log_warn ("file_unreadable", "file=%s error=\"%s\"", name, strerror (errno));
        fclose (f->rejects);
        unlink (f->part);
        free (f);
        return NULL;
    }
    f->csv = csv_rows_new (hotline_call_field_names, HOTLINE_FIELD_COUNT, S_MAX_COLUMNS,
                           HOTLINE_INBOX_MAX_FIELD, s_on_row, f);
    log_info ("file_started", "file=%s bytes=%lld", name, (long long) size);
    return f;
}

/* Read lines until the file ends or budget_ms has passed. */
static void
s_file_feed (s_file_t *f, int64_t budget_ms)
{
    int64_t until = zclock_mono () + budget_ms;
    int rc = 0;
    for (long n = 0; !f->ended && !f->spool_failed; n++) {
        if ((n & 15) == 15 && zclock_mono () >= until)
            return;
        ssize_t len = getline (&f->line, &f->cap, f->in);
        if (len < 0) {
            rc = csv_rows_finish (f->csv);
            if (rc == 0 && !f->unreadable && csv_rows_columns (f->csv) == 0) {
                s_reject (f, 0, (proto_str_t) { NULL, 0 }, "file", "the file is empty");
                f->unreadable = true;
            }
            f->ended = true;
        }
        else {
            rc = csv_rows_feed (f->csv, f->line, (size_t) len);
            s_check_header (f, f->csv);
            f->ended = f->unreadable;
        }
        if (rc) {
            char reason [256];
            snprintf (reason, sizeof reason, "%s; the rest of the file was not read (the rows"
                      " before were taken)", csv_rows_error (f->csv));
            s_reject (f, csv_rows_line (f->csv), (proto_str_t) { NULL, 0 }, "file", reason);
            f->unreadable = f->ended = true;
        }
    }
}

/* The file is read (or the spool failed): move it on, or leave it in the
 * inbox. Frees f. */
static void
s_file_close (hotline_inbox_t *self, s_file_t *f)
{
    char rejected_dir [PATH_MAX], done_dir [PATH_MAX];
    snprintf (rejected_dir, sizeof rejected_dir, "%s/rejected", self->dir);
    snprintf (done_dir, sizeof done_dir, "%s/done", self->dir);
    if (f->in)
        fclose (f->in);
    csv_rows_destroy (&f->csv);
    free (f->line);
    bool moved_on = false;
    char final [sizeof f->part + 32], moved [sizeof f->part + 32];
    if (f->spool_failed) {
        fclose (f->rejects);
        unlink (f->part);
    }
    else {
        /* the rejects on disk before the file moves (see the top) */
        fflush (f->rejects);
        bool synced = fsync (fileno (f->rejects)) == 0;
        fclose (f->rejects);
        bool rejects_ok = true;
        if (f->rejected) {
            s_free_name (rejected_dir, f->name, ".rejects.csv", final, sizeof final);
            rejects_ok = synced && rename (f->part, final) == 0
                      && s_sync_folder (rejected_dir) == 0;
            if (!rejects_ok)
                log_error ("rejects_unwritable", "file=%s error=\"%s\" action=\"the file stays"
                           " in the inbox\"", final, strerror (errno));
        }
        else
            unlink (f->part);
        if (rejects_ok) {
            s_free_name (f->unreadable ? rejected_dir : done_dir, f->name, "", moved,
                         sizeof moved);
            if (rename (f->path, moved))
                log_error ("file_not_moved", "file=%s error=\"%s\"", f->name, strerror (errno));
            moved_on = true;
        }
    }
    self->stats.rows_spooled += (uint64_t) f->spooled;
    if (moved_on) {
        self->stats.rows_rejected += (uint64_t) f->rejected;
        if (f->unreadable)
            self->stats.files_refused++;
        else
            self->stats.files_done++;
        log_info (f->unreadable ? "file_refused" : "file_taken", "file=%s rows=%ld"
                  " rejected=%ld moved_to=%s", f->name, f->spooled, f->rejected, moved);
    }
    free (f);
}

static bool
s_is_csv (const char *name)
{
    size_t len = strlen (name);
    return name [0] != '.' && len > 4 && strcasecmp (name + len - 4, ".csv") == 0;
}


/* The first *.csv by name that has settled and is not being skipped;
 * "" when none. */
static void
s_next_file (hotline_inbox_t *self, char name [NAME_MAX + 1], int64_t *size)
{
    *name = 0;
    DIR *dir = opendir (self->dir);
    if (!dir)
        return;
    int64_t wall = (int64_t) time (NULL) * 1000;
    int64_t mono = zclock_mono ();
    struct dirent *e;
    while ((e = readdir (dir)) != NULL) {
        if (!s_is_csv (e->d_name) || (*name && strcmp (e->d_name, name) >= 0))
            continue;
        int64_t *retry = (int64_t *) zhashx_lookup (self->skipped, e->d_name);
        if (retry && *retry > mono)
            continue;
        char path [PATH_MAX + NAME_MAX + 2];
        snprintf (path, sizeof path, "%s/%s", self->dir, e->d_name);
        struct stat st;
        if (stat (path, &st) || !S_ISREG (st.st_mode))
            continue;
        int64_t mtime_ms = (int64_t) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        if (wall - mtime_ms < self->opts.settle_ms)
            continue;
        snprintf (name, NAME_MAX + 1, "%s", e->d_name);
        *size = (int64_t) st.st_size;
    }
    closedir (dir);
}

long
hotline_inbox_step (hotline_inbox_t *self, int64_t now_ms, int64_t budget_ms)
{
    assert (self);
    if (!self->file) {
        char name [NAME_MAX + 1];
        int64_t size = 0;
        s_next_file (self, name, &size);
        if (!*name)
            return 0;
        self->file = s_file_open (self, name, size, now_ms);
        if (!self->file) {
            /* it would not open: the others go first for a while */
            int64_t *retry = malloc (sizeof *retry);
            assert (retry);
            *retry = zclock_mono () + 10000;
            zhashx_update (self->skipped, name, retry);
            return 0;
        }
        zhashx_delete (self->skipped, name);
    }
    s_file_t *f = self->file;
    long before = f->spooled;
    s_file_feed (f, budget_ms);
    long rows = f->spooled - before;
    /* the slice's entries durable (one folder fsync), before the file can
     * be moved on and before the sender is told */
    if (rows > 0 && spool_sync (self->spool)) {
        log_error ("spool_failed", "file=%s error=\"%s\" action=\"the file stays in the"
                   " inbox\"", f->name, strerror (errno));
        f->spool_failed = true;
    }
    bool failed = f->spool_failed;
    if (f->ended || failed) {
        self->file = NULL;
        s_file_close (self, f);
    }
    return failed ? -1 : rows;
}

bool
hotline_inbox_busy (hotline_inbox_t *self)
{
    assert (self);
    return self->file != NULL;
}
