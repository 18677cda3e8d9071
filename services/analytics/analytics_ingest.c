/*  analytics_ingest.c — one batch of the stream into the store (see
 *  analytics_ingest.h).
 *
 *  Why copies: the stream's pointers live until its next call, and a batch
 *  spans many calls. A copy is the event map re-packed (msgpack_pack_object),
 *  decoded again at commit with the same bounded decoder as a live frame.
 *  Events that change no fact (notifications, reminders, heartbeats) are not
 *  copied: they only move the cursor.
 */
#include "analytics_ingest.h"
#include "analytics_fact.h"
#include "log.h"
#include "pg_array.h"

#include <czmq.h>
#include <string.h>

typedef struct {
    uint64_t seq;
    msgpack_sbuffer event;
} s_copy_t;

struct _analytics_ingest_t {
    zlistx_t *events;               /* s_copy_t, in seq order */
    zhashx_t *nos;                  /* the complaint numbers they touch (a set) */
    zhashx_t *keyed;                /* those whose hot-spot keys may have moved */
    size_t count;                   /* events taken, copied or not */
    uint64_t last_seq;
    int64_t last_at;
};

static void
s_copy_destroy (void **item)
{
    s_copy_t *copy = (s_copy_t *) *item;
    msgpack_sbuffer_destroy (&copy->event);
    free (copy);
    *item = NULL;
}

analytics_ingest_t *
analytics_ingest_new (void)
{
    analytics_ingest_t *self = (analytics_ingest_t *) zmalloc (sizeof *self);
    self->events = zlistx_new ();
    zlistx_set_destructor (self->events, s_copy_destroy);
    self->nos = zhashx_new ();
    self->keyed = zhashx_new ();
    return self;
}

void
analytics_ingest_destroy (analytics_ingest_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        analytics_ingest_t *self = *self_p;
        zlistx_destroy (&self->events);
        zhashx_destroy (&self->nos);
        zhashx_destroy (&self->keyed);
        free (self);
        *self_p = NULL;
    }
}

static bool
s_matters (const event_view_t *ev)
{
    if (!ev->complaint_no.ptr || ev->complaint_no.len == 0 || ev->complaint_no.len >= AF_NO_SIZE)
        return false;
    if (ev->type.len > 10 && memcmp (ev->type.ptr, "complaint.", 10) == 0)
        return true;
    return proto_str_eq (ev->type, "sla.breached") || proto_str_eq (ev->type, "sla.extended");
}

void
analytics_ingest_add (analytics_ingest_t *self, const event_stream_event_t *event)
{
    self->count++;
    self->last_seq = event->seq;
    if (!event->valid) {
        //  The log holds it and nobody can read it: counted past, said once.
        log_warn ("event_skipped", "seq=%" PRIu64 " reason=\"%s\"", event->seq,
                  event->err.message);
        return;
    }
    self->last_at = event->view.at;
    if (!s_matters (&event->view))
        return;
    s_copy_t *copy = (s_copy_t *) zmalloc (sizeof *copy);
    copy->seq = event->seq;
    msgpack_sbuffer_init (&copy->event);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &copy->event, msgpack_sbuffer_write);
    msgpack_pack_object (&pk, *event->object);
    zlistx_add_end (self->events, copy);
    char no [AF_NO_SIZE];
    snprintf (no, sizeof no, "%.*s", (int) event->view.complaint_no.len,
              event->view.complaint_no.ptr);
    if (!zhashx_lookup (self->nos, no))
        zhashx_insert (self->nos, no, (void *) 1);
    //  A hot spot counts complaints by when they were received and by
    //  their customer, outlet, cause and business line: only
    //  complaint.received and complaint.assigned set those
    //  (analytics_fact.c), so only their complaints can change a count.
    //  The others (accepted, resolved, closed, …: most of the stream) are
    //  not judged again, which cost a batch a judge per complaint.
    if ((proto_str_eq (event->view.type, "complaint.received")
    ||   proto_str_eq (event->view.type, "complaint.assigned"))
    &&  !zhashx_lookup (self->keyed, no))
        zhashx_insert (self->keyed, no, (void *) 1);
}

size_t analytics_ingest_count (analytics_ingest_t *self) { return self->count; }
uint64_t analytics_ingest_last_seq (analytics_ingest_t *self) { return self->last_seq; }
int64_t analytics_ingest_last_at (analytics_ingest_t *self) { return self->last_at; }


void
analytics_ingest_clear (analytics_ingest_t *self)
{
    zlistx_purge (self->events);
    zhashx_purge (self->nos);
    zhashx_purge (self->keyed);
    self->count = 0;
}

static void
s_fact_destroy (void **item)
{
    analytics_fact_clear ((analytics_fact_t *) *item);
    free (*item);
    *item = NULL;
}

/*  Apply every copied event to its fact (facts: complaint_no -> fact). */
static void
s_apply (analytics_ingest_t *self, zhashx_t *facts, const calendar_t *calendar)
{
    for (s_copy_t *copy = (s_copy_t *) zlistx_first (self->events); copy;
         copy = (s_copy_t *) zlistx_next (self->events)) {
        msgpack_unpacked msg;
        msgpack_unpacked_init (&msg);
        event_view_t ev;
        proto_error_t err = { 0 };
        if (event_decode (copy->event.data, copy->event.size, &msg, &ev, &err) == 0) {
            char no [AF_NO_SIZE];
            snprintf (no, sizeof no, "%.*s", (int) ev.complaint_no.len, ev.complaint_no.ptr);
            analytics_fact_t *fact = (analytics_fact_t *) zhashx_lookup (facts, no);
            if (!fact) {
                fact = (analytics_fact_t *) zmalloc (sizeof *fact);
                analytics_fact_init (fact, no);
                zhashx_insert (facts, no, fact);
            }
            analytics_fact_apply (fact, &ev, calendar);
        }
        msgpack_unpacked_destroy (&msg);
    }
}

int
analytics_ingest_commit (analytics_ingest_t *self, analytics_store_t *store,
                         const calendar_t *calendar, int64_t cursor,
                         analytics_ingest_judge_fn *judge, void *arg)
{
    pg_array_t nos = { 0 };
    pg_array_begin (&nos);
    for (void *item = zhashx_first (self->nos); item; item = zhashx_next (self->nos))
        pg_array_add (&nos, (const char *) zhashx_cursor (self->nos));
    const char *nos_text = pg_array_end (&nos);

    zhashx_t *facts = zhashx_new ();
    zhashx_set_destructor (facts, s_fact_destroy);
    json_t *rows = NULL, *out = NULL;
    char *out_text = NULL;
    int rc = analytics_store_batch_begin (store, cursor);
    if (rc)
        goto done;
    rc = -1;
    if (!(rows = analytics_store_batch_load (store, nos_text))) {
        analytics_store_rollback (store);
        goto done;
    }
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row) {
        analytics_fact_t *fact = (analytics_fact_t *) zmalloc (sizeof *fact);
        if (analytics_fact_from_json (fact, row) == 0
        &&  zhashx_insert (facts, fact->complaint_no, fact) == 0)
            continue;
        analytics_fact_clear (fact);
        free (fact);                    /* not a fact row: cannot happen with our table */
    }
    s_apply (self, facts, calendar);
    out = json_array ();
    for (analytics_fact_t *fact = (analytics_fact_t *) zhashx_first (facts); fact;
         fact = (analytics_fact_t *) zhashx_next (facts))
        json_array_append_new (out, analytics_fact_to_json (fact));
    out_text = json_dumps (out, JSON_COMPACT);
    if (analytics_store_batch_write (store, out_text, (int64_t) self->last_seq))
        goto done;
    if (judge && zhashx_size (self->keyed)) {
        pg_array_t keyed = { 0 };
        pg_array_begin (&keyed);
        for (void *item = zhashx_first (self->keyed); item; item = zhashx_next (self->keyed))
            pg_array_add (&keyed, (const char *) zhashx_cursor (self->keyed));
        int judged = judge (store, pg_array_end (&keyed), arg);
        pg_array_destroy (&keyed);
        if (judged) {
            analytics_store_rollback (store);
            goto done;
        }
    }
    if (analytics_store_batch_commit (store))
        goto done;
    rc = 0;
done:
    free (out_text);
    json_decref (out);
    json_decref (rows);
    zhashx_destroy (&facts);
    pg_array_destroy (&nos);
    analytics_ingest_clear (self);
    return rc;
}
