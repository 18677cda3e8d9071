/*  outbox.c — append events to the transactional outbox (invariant 3).
 *
 *  A service's state change and its event commit together: the caller opens
 *  the transaction, changes its tables, appends the events here, commits.
 *  The bus drains the outbox into event_log.
 *
 *  Time. Every event's `at` is app_now (), the store's application clock
 *  (migration 003), never now () and never the process's own clock: tests
 *  shift that clock (complaintctl clock shift) and everything dated in the
 *  store must follow it. The column's default is app_now () as well
 *  (migrations 003, 008), so the set-based producers that insert in their
 *  own statement (intake's submit, the router's assignment, the watchdog's
 *  firing) get the same clock by naming no `at`, or by writing app_now ().
 *
 *  A batch holds its events as PostgreSQL array literals (pg_array) and
 *  inserts them with one INSERT … SELECT FROM unnest (…) WITH ORDINALITY,
 *  in the order added: one round trip, one plan, however many events.
 */
#include "outbox.h"
#include "pg_array.h"

#include <czmq.h>
#include <stdlib.h>

#define S_SQL_APPEND \
    "INSERT INTO outbox (type, complaint_no, data, at) VALUES ($1, $2, $3, app_now ())"

#define S_SQL_BATCH \
    "INSERT INTO outbox (type, complaint_no, data, at)" \
    " SELECT t.type, nullif (t.no, ''), decode (t.data, 'hex'), app_now ()" \
    " FROM unnest ($1::text[], $2::text[], $3::text[]) WITH ORDINALITY" \
    "      AS t (type, no, data, ord)" \
    " ORDER BY t.ord"

int
outbox_append (pg_session_t *session, const char *type, const char *complaint_no,
               const void *data, size_t size)
{
    const char *values [3] = {
        type, complaint_no && *complaint_no ? complaint_no : NULL, data
    };
    int lengths [3] = { 0, 0, (int) size };
    int formats [3] = { 0, 0, 1 };
    PGresult *res = pg_session_exec (session, "outbox_append", S_SQL_APPEND, 3, values,
                                     lengths, formats, PGRES_COMMAND_OK);
    PQclear (res);
    return res ? 0 : -1;
}

struct _outbox_batch_t {
    pg_array_t type, complaint_no, data;
};

static void
s_batch_begin (outbox_batch_t *self)
{
    pg_array_begin (&self->type);
    pg_array_begin (&self->complaint_no);
    pg_array_begin (&self->data);
}

outbox_batch_t *
outbox_batch_new (void)
{
    outbox_batch_t *self = calloc (1, sizeof *self);
    assert (self);
    s_batch_begin (self);
    return self;
}

void
outbox_batch_destroy (outbox_batch_t **self_p)
{
    assert (self_p);
    outbox_batch_t *self = *self_p;
    if (self) {
        pg_array_destroy (&self->type);
        pg_array_destroy (&self->complaint_no);
        pg_array_destroy (&self->data);
        free (self);
        *self_p = NULL;
    }
}

void
outbox_batch_add (outbox_batch_t *self, const char *type, const char *complaint_no,
                  const void *data, size_t size)
{
    pg_array_add (&self->type, type);
    pg_array_add (&self->complaint_no, complaint_no ? complaint_no : "");
    pg_array_add_hex (&self->data, data, size);
}

size_t
outbox_batch_count (outbox_batch_t *self)
{
    return self->type.count;
}

int
outbox_batch_flush (outbox_batch_t *self, pg_session_t *session)
{
    if (self->type.count == 0)
        return 0;
    const char *values [3] = {
        pg_array_end (&self->type), pg_array_end (&self->complaint_no),
        pg_array_end (&self->data)
    };
    PGresult *res = pg_session_exec (session, "outbox_batch", S_SQL_BATCH, 3, values,
                                     NULL, NULL, PGRES_COMMAND_OK);
    PQclear (res);
    s_batch_begin (self);
    return res ? 0 : -1;
}

//  --------------------------------------------------------------------------
#include "selftest.h"

void
outbox_test (bool verbose)
{
    printf (" * outbox: ");
    outbox_batch_t *batch = outbox_batch_new ();
    assert (outbox_batch_count (batch) == 0);
    outbox_batch_add (batch, "notification.sent", "202611230000421", "\x81\xa1x\x01", 4);
    outbox_batch_add (batch, "notification.suppressed", NULL, "\x80", 1);
    assert (outbox_batch_count (batch) == 2);
    assert (streq (pg_array_end (&batch->type),
                   "{\"notification.sent\",\"notification.suppressed\"}"));
    assert (streq (pg_array_end (&batch->complaint_no), "{\"202611230000421\",\"\"}"));
    assert (strstr (pg_array_end (&batch->data), "81a17801"));
    //  The statements stamp every event with the store's application clock.
    assert (strstr (S_SQL_APPEND, "app_now ()") && strstr (S_SQL_BATCH, "app_now ()"));
    if (verbose)
        printf ("(batch literals, app_now) ");
    outbox_batch_destroy (&batch);
    assert (batch == NULL);
    printf ("OK\n");
}
