/*  spool_writer.h — spool_put on worker threads, so that submissions
 *  arriving together are made durable together.
 *
 *  spool_put costs two fsyncs (the entry, then its folder): some
 *  milliseconds each on a real disk. Done in an adapter's one loop,
 *  one after another, they cap it near a hundred submissions a second
 *  however fast intake is (measured: tests/bench/web.sh). Here `threads`
 *  workers each take a job (the request's bytes and a token), run
 *  spool_put, and send back the token with the ID or the errno; the file
 *  system commits concurrent fsyncs in one journal transaction, so N
 *  submissions in flight cost about one disk flush, not N.
 *
 *  (The web adapter uses it; any adapter whose inputs arrive concurrently
 *  can.) The loop polls spool_writer_sock and calls spool_writer_handle, which
 *  runs the done function for each finished put — on the loop's thread,
 *  so the caller needs no lock. The spool's own counter is atomic
 *  (spool.c), so puts on several threads never share an ID.
 *
 *  One ordering note: an entry is in new/ before the loop hears its ID, so
 *  the sender's periodic look at new/ may submit it first; its outcome then
 *  finds no one waiting, and the customer's request is answered 202 when
 *  its wait ends. Nothing is lost; the same request again gets the number.
 *
 *  Interface:
 *      spool_writer_new / _destroy    (destroy waits for puts in progress)
 *      spool_writer_put               queue a put (copies the bytes)
 *      spool_writer_sock              poll it (ZMQ_POLLIN)
 *      spool_writer_handle            run the done functions of finished puts
 *      spool_writer_pending
 *      spool_writer_test
 */
#ifndef SPOOL_WRITER_H_INCLUDED
#define SPOOL_WRITER_H_INCLUDED

#include "spool.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _spool_writer_t spool_writer_t;

/* rc 0 with the entry's id, or -1 with err (errno of spool_put). */
typedef void (spool_writer_fn) (void *arg, void *token, int rc, const char *id, int err);

spool_writer_t *spool_writer_new (spool_t *spool, int threads, spool_writer_fn *fn, void *arg);
void spool_writer_destroy (spool_writer_t **self_p);

/* 0, or -1 when it could not be queued (then fn is not called). */
int spool_writer_put (spool_writer_t *self, const void *data, size_t size, void *token);
zsock_t *spool_writer_sock (spool_writer_t *self);
void spool_writer_handle (spool_writer_t *self);
size_t spool_writer_pending (spool_writer_t *self);

void spool_writer_test (bool verbose);

#endif
