/*  hotline_inbox.h — the call centre's CSV export, taken from a watched
 *  folder, each row into the hotline's spool (issue 14 §4; the columns are
 *  hotline_call.h's, documented in docs/adapters.md "Hotline").
 *
 *      INBOX/              the call centre drops NAME.csv here (written
 *                          under another name, then renamed: a file is
 *                          taken only once it has not changed for
 *                          settle_ms)
 *      INBOX/done/         NAME.csv once every good row is in the spool
 *                          (NAME.N.csv when that name was taken before)
 *      INBOX/rejected/     NAME.rejects.csv: one CSV row per refused row —
 *                          line, call_id, field, reason — never dropped;
 *                          a file that cannot be read as the export at all
 *                          (no call_id column, broken quoting) is moved
 *                          here whole, with its rejects file saying why
 *
 *  Exactly once. A row is "taken" when it is in the spool (its entry and,
 *  once per slice, the spool's folder fsync'd); the file moves to done/ only after every row of it was taken
 *  and its rejects file is on disk. Killed in the middle, the file is still
 *  in INBOX and is read again from its first line: the rows already
 *  spooled are spooled again, and intake answers them as duplicates of the
 *  same call id (the ref: invariant 6). The same file, or an overlapping
 *  export, dropped twice: the same. So each call id is one complaint
 *  whatever is dropped, killed or retried; what the spool costs for it is
 *  a second entry per repeated row, answered "duplicate".
 *
 *  Bounded: files over max_file bytes are refused whole; rows by
 *  csv_rows.h's limits (HOTLINE_INBOX_MAX_FIELD a field).
 *
 *  Interface:
 *      hotline_inbox_new / _destroy
 *      hotline_inbox_step      take the next slice of rows (a file at a time)
 *      hotline_inbox_busy      a file is in hand
 *      hotline_inbox_stats     rows spooled / rejected, files done / refused
 */
#ifndef HOTLINE_INBOX_H_INCLUDED
#define HOTLINE_INBOX_H_INCLUDED

#include "hotline_call.h"
#include "spool.h"

#include <stdbool.h>
#include <stdint.h>

#define HOTLINE_INBOX_MAX_FIELD (128 * 1024)

typedef struct _hotline_inbox_t hotline_inbox_t;

typedef struct {
    int64_t settle_ms;          /* unchanged this long before it is taken */
    int64_t max_file;           /* bytes */
    proto_str_t token;          /* first-contact rows are resolved under it;
                                   ptr NULL: such rows are refused */
} hotline_inbox_opts_t;

typedef struct {
    uint64_t rows_spooled, rows_rejected, files_done, files_refused;
} hotline_inbox_stats_t;

/* Makes INBOX, done/ and rejected/ when missing. NULL with the reason. */
hotline_inbox_t *hotline_inbox_new (const char *dir, spool_t *spool,
                                    const hotline_inbox_opts_t *opts, char *err,
                                    size_t err_size);
void hotline_inbox_destroy (hotline_inbox_t **self_p);

/* Take the next slice: with no file in hand, the first *.csv by name that
 * has been unchanged for settle_ms is opened; then rows are read into the
 * spool until it ends or budget_ms has passed, and a file read to its end
 * is moved on. Returns the rows spooled, or -1 when the spool refused a row
 * (a full disk): that file stays in INBOX for a later step. now_ms: the
 * clock (started_at's window). */
long hotline_inbox_step (hotline_inbox_t *self, int64_t now_ms, int64_t budget_ms);

/* A file is in hand: step again soon. */
bool hotline_inbox_busy (hotline_inbox_t *self);

hotline_inbox_stats_t hotline_inbox_stats (hotline_inbox_t *self);

#endif
