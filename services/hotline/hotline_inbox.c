/*  hotline_inbox.c — the watched folder (see hotline_inbox.h).
 *
 *  Order of the steps that make a file "taken", and why:
 *      1. every good row: spool_put (fsync'd file, fsync'd folder)
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

struct _hotline_inbox_t {
    char *dir;
    spool_t *spool;
    hotline_inbox_opts_t opts;
    hotline_inbox_stats_t stats;
};

/* One file being read. */
typedef struct {
    hotline_inbox_t *inbox;
    const char *name;
    FILE *rejects;              /* the .part file */
    long rejected;              /* rows refused in this file */
    long spooled;
    int64_t now_ms;
    bool header_checked;
    bool unreadable;            /* not the export: the file goes to rejected/ */
    bool spool_failed;
} s_file_t;

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
    return self;
}

void
hotline_inbox_destroy (hotline_inbox_t **self_p)
{
    assert (self_p);
    hotline_inbox_t *self = *self_p;
    if (!self)
        return;
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
        if (spool_put (f->inbox->spool, buf.data, buf.size, id)) {
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

/* Read one file into the spool; then move it on. -1: the spool failed. */
static int
s_take_file (hotline_inbox_t *self, const char *name, int64_t size, int64_t now_ms)
{
    char path [PATH_MAX + NAME_MAX + 2], part [PATH_MAX + NAME_MAX + 32];
    char rejected_dir [PATH_MAX], done_dir [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", self->dir, name);
    snprintf (rejected_dir, sizeof rejected_dir, "%s/rejected", self->dir);
    snprintf (done_dir, sizeof done_dir, "%s/done", self->dir);
    snprintf (part, sizeof part, "%s/%s.rejects.csv.part", rejected_dir, name);
    s_file_t f = { .inbox = self, .name = name, .now_ms = now_ms };
    f.rejects = fopen (part, "w");
    if (!f.rejects) {
        log_error ("rejects_unwritable", "file=%s error=\"%s\"", part, strerror (errno));
        return 0;
    }
    fputs ("line,call_id,field,reason\n", f.rejects);
    FILE *in = NULL;
    if (size > self->opts.max_file) {
        char reason [128];
        snprintf (reason, sizeof reason, "the file is %lld bytes, over the limit of %lld",
                  (long long) size, (long long) self->opts.max_file);
        s_reject (&f, 0, (proto_str_t) { NULL, 0 }, "file", reason);
        f.unreadable = true;
    }
    else
    if (!(in = fopen (path, "r"))) {
        log_warn ("file_unreadable", "file=%s error=\"%s\"", name, strerror (errno));
        fclose (f.rejects);
        unlink (part);
        return 0;
    }
    if (in) {
        csv_rows_t *csv = csv_rows_new (hotline_call_field_names, HOTLINE_FIELD_COUNT, S_MAX_COLUMNS,
                                        HOTLINE_INBOX_MAX_FIELD, s_on_row, &f);
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        int rc = 0;
        while (rc == 0 && !f.unreadable && !f.spool_failed
           &&  (n = getline (&line, &cap, in)) >= 0) {
            rc = csv_rows_feed (csv, line, (size_t) n);
            s_check_header (&f, csv);
        }
        if (rc == 0 && !f.unreadable && !f.spool_failed)
            rc = csv_rows_finish (csv);
        if (rc == 0 && !f.unreadable && !f.spool_failed && csv_rows_columns (csv) == 0) {
            s_reject (&f, 0, (proto_str_t) { NULL, 0 }, "file", "the file is empty");
            f.unreadable = true;
        }
        if (rc) {
            char reason [256];
            snprintf (reason, sizeof reason, "%s; the rest of the file was not read (the rows"
                      " before were taken)", csv_rows_error (csv));
            s_reject (&f, csv_rows_line (csv), (proto_str_t) { NULL, 0 }, "file", reason);
            f.unreadable = true;
        }
        csv_rows_destroy (&csv);
        free (line);
        fclose (in);
    }
    if (f.spool_failed) {
        fclose (f.rejects);
        unlink (part);
        return -1;
    }
    /* the rejects on disk before the file moves (see the top) */
    fflush (f.rejects);
    bool synced = fsync (fileno (f.rejects)) == 0;
    fclose (f.rejects);
    char final [sizeof part + 32], moved [sizeof part + 32];
    if (f.rejected) {
        s_free_name (rejected_dir, name, ".rejects.csv", final, sizeof final);
        if (!synced || rename (part, final) || s_sync_folder (rejected_dir)) {
            log_error ("rejects_unwritable", "file=%s error=\"%s\" action=\"the file stays in"
                       " the inbox\"", final, strerror (errno));
            return 0;
        }
    }
    else
        unlink (part);
    s_free_name (f.unreadable ? rejected_dir : done_dir, name, "", moved, sizeof moved);
    if (rename (path, moved))
        log_error ("file_not_moved", "file=%s error=\"%s\"", name, strerror (errno));
    self->stats.rows_spooled += (uint64_t) f.spooled;
    self->stats.rows_rejected += (uint64_t) f.rejected;
    if (f.unreadable)
        self->stats.files_refused++;
    else
        self->stats.files_done++;
    log_info (f.unreadable ? "file_refused" : "file_taken", "file=%s rows=%ld rejected=%ld"
              " moved_to=%s", name, f.spooled, f.rejected, moved);
    return (int) (f.spooled > INT_MAX ? INT_MAX : f.spooled);
}

static bool
s_is_csv (const char *name)
{
    size_t len = strlen (name);
    return name [0] != '.' && len > 4 && strcasecmp (name + len - 4, ".csv") == 0;
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

long
hotline_inbox_scan (hotline_inbox_t *self, int64_t now_ms)
{
    assert (self);
    DIR *dir = opendir (self->dir);
    if (!dir)
        return 0;
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir (dir)) != NULL) {
        if (!s_is_csv (e->d_name))
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            names = realloc (names, cap * sizeof *names);
            assert (names);
        }
        names [count++] = strdup (e->d_name);
    }
    closedir (dir);
    if (count)
        qsort (names, count, sizeof *names, s_compare);
    long rows = 0;
    for (size_t i = 0; i < count; i++) {
        char path [PATH_MAX + NAME_MAX + 2];
        snprintf (path, sizeof path, "%s/%s", self->dir, names [i]);
        struct stat st;
        if (rows >= 0 && stat (path, &st) == 0 && S_ISREG (st.st_mode)) {
            int64_t mtime_ms = (int64_t) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
            int64_t wall = (int64_t) time (NULL) * 1000;
            if (wall - mtime_ms >= self->opts.settle_ms) {
                int n = s_take_file (self, names [i], (int64_t) st.st_size, now_ms);
                rows = n < 0 ? -1 : rows + n;
            }
        }
        free (names [i]);
    }
    free (names);
    return rows;
}
