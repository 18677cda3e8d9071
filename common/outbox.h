/*  outbox.h — append events to the transactional outbox (see outbox.c).
 *
 *  Interface:
 *      outbox_append         one event, in the caller's transaction
 *      outbox_batch_new      events gathered in memory …
 *      outbox_batch_add      … one more (bytes copied)
 *      outbox_batch_count    how many are waiting
 *      outbox_batch_flush    … inserted in one statement, then forgotten
 *      outbox_batch_destroy
 *      outbox_test           self-test (needs no server)
 */
#ifndef OUTBOX_H_INCLUDED
#define OUTBOX_H_INCLUDED

#include "pg_session.h"
#include <stddef.h>

/* One event (data: its msgpack bytes; complaint_no NULL or "": none),
 * stamped at = app_now (). 0, -1 (logged as pg_statement_failed). */
int outbox_append (pg_session_t *session, const char *type, const char *complaint_no,
                   const void *data, size_t size);

typedef struct _outbox_batch_t outbox_batch_t;
outbox_batch_t *outbox_batch_new (void);
void outbox_batch_destroy (outbox_batch_t **self_p);
void outbox_batch_add (outbox_batch_t *self, const char *type, const char *complaint_no,
                       const void *data, size_t size);
size_t outbox_batch_count (outbox_batch_t *self);
/* Insert every gathered event in one statement, in the order added, each
 * at = app_now (); none: nothing to do. The batch is empty afterwards,
 * whatever the outcome. 0, -1. */
int outbox_batch_flush (outbox_batch_t *self, pg_session_t *session);

void outbox_test (bool verbose);

#endif
