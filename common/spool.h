/*  spool.h — a channel adapter's durable inbox: what a channel handed over
 *  is on disk before the channel is answered, and stays there until intake
 *  has acknowledged it (issue 14: nothing lost between the customer and
 *  intake).
 *
 *  An entry is one submit request (the msgpack body intake takes), under
 *  DIR:
 *
 *      tmp/        being written; never answered to the channel, never sent
 *      new/        durable, not yet acknowledged: the submitter's work
 *      done/       acknowledged; ID.reply beside it (intake's answer: the
 *                  complaint number), kept for --keep-done then pruned
 *      rejected/   refused by intake for good (a bad field): ID.reply holds
 *                  the error, kept for an operator to read — never dropped
 *
 *  spool_put writes tmp/ID, fsyncs it, renames it into new/ and fsyncs the
 *  directory: once it returns 0 the entry survives a crash or a power cut,
 *  and only then may the adapter say "accepted" to the channel. Killed
 *  between a submit and its acknowledgement, the entry is still in new/ and
 *  is submitted again with the same ref — intake's idempotency (invariant 6)
 *  makes that once. IDs sort in the order entries were put (time, then a
 *  counter), so the submitter sends the oldest first.
 *
 *  One process owns a spool directory (an flock on DIR/lock, taken by
 *  spool_new): two adapters on one spool would send each entry twice.
 *
 *  Interface:
 *      spool_new / spool_destroy
 *      spool_put           durable, then answer the channel
 *      spool_put_unsynced, spool_sync   the same for a batch, one folder fsync
 *      spool_pending       up to max IDs of new/, oldest first
 *      spool_read          an entry's bytes
 *      spool_done          acknowledged: to done/ with the reply
 *      spool_reject        refused: to rejected/ with the reason
 *      spool_answer        intake's answer to a finished entry
 *      spool_count         entries in new/
 *      spool_prune         done/ entries older than a given age
 *      spool_file_put      any file written the same durable way (an
 *                          adapter's quarantine, kept mail)
 *      spool_names         a folder's file names, sorted, at most max
 *      spool_test
 */
#ifndef SPOOL_H_INCLUDED
#define SPOOL_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

#define SPOOL_ID_SIZE   48          /* an ID and its NUL */

typedef struct _spool_t spool_t;

/* Creates DIR and its folders (mode 0700) when missing and takes the lock.
 * NULL with a reason in err (a folder that cannot be made, the lock held by
 * another process). */
spool_t *spool_new (const char *dir, char *err, size_t err_size);
void spool_destroy (spool_t **self_p);

/* Write an entry durably (see above). 0 with its ID, or -1 with errno set
 * (ENOSPC, EIO ...): then nothing is in new/, and the channel must be told
 * to try again later. */
int spool_put (spool_t *self, const void *data, size_t size, char id [SPOOL_ID_SIZE]);

/* The same for a batch (an export read a slice at a time): each entry's
 * bytes are fsync'd, but not the folder; the entries are durable — and the
 * channel may be answered — only once spool_sync has returned 0. One folder
 * fsync for the batch instead of one an entry. A crash before it may lose
 * entries whose channel was not answered yet: it sends them again. */
int spool_put_unsynced (spool_t *self, const void *data, size_t size, char id [SPOOL_ID_SIZE]);
int spool_sync (spool_t *self);

/* Up to max IDs of new/, oldest first, as a list of strings the caller
 * destroys (zlist with autofree). */
zlist_t *spool_pending (spool_t *self, size_t max);

/* An entry's bytes (new/ID), or NULL (gone, unreadable). */
zchunk_t *spool_read (spool_t *self, const char *id);

/* Move new/ID to done/ (reply: intake's answer, may be NULL) or to
 * rejected/ (reply: the error answer). 0 or -1 (errno). */
int spool_done (spool_t *self, const char *id, const void *reply, size_t reply_size);
int spool_reject (spool_t *self, const char *id, const void *reply, size_t reply_size);

/* issue 16 (i16-mailev): intake's answer to a finished entry: done/ID.reply
 * (*rejected false) or rejected/ID.reply (true); NULL when the entry is not
 * finished (still in new/) or was pruned. */
zchunk_t *spool_answer (spool_t *self, const char *id, bool *rejected);

size_t spool_count (spool_t *self);

/* Delete done/ entries (and their replies) older than age_s seconds;
 * returns how many. */
int spool_prune (spool_t *self, long age_s);

const char *spool_dir (spool_t *self);

/* Write folder/name durably, as spool_put writes an entry: a temporary
 * name in folder, fsync, rename, fsync the folder. 0, or -1 (errno) with
 * nothing left behind. For what an adapter keeps beside its spool. */
int spool_file_put (const char *folder, const char *name, const void *data, size_t size);

/* The names in folder (not those starting with a dot), sorted, the first
 * max of them, as a list the caller destroys (autofree); empty when the
 * folder cannot be read. What spool_pending reads new/ with, and a
 * Maildir reader its new/. */
zlist_t *spool_names (const char *folder, size_t max);

void spool_test (bool verbose);

#endif
