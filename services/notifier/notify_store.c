/*  notify_store.c — every SQL statement of the notifier.
 *
 *  Consume. The notifier reads event_log itself, after its cursor row
 *  (notifier_cursor): the store is the truth, the bus only says "look". In
 *  one transaction it locks the cursor (FOR UPDATE SKIP LOCKED: when another
 *  instance holds it, this one only delivers), reads a batch of events,
 *  turns each one a rule names into notification rows, and moves the
 *  cursor. Rows are INSERT ... ON CONFLICT DO NOTHING on (event_seq,
 *  recipient, channel), and the cursor moves in the same transaction, so a
 *  crash anywhere means either nothing of the batch happened or all of it.
 *  Who is told and where comes from the store at that moment (the case row,
 *  staff, department), never from the stream: events carry no identity.
 *  Subject and body are rendered into the row, so every attempt sends the
 *  same bytes.
 *
 *  Deliver. claim marks up to a batch of due rows 'sending' with a lease
 *  (one statement, SKIP LOCKED, so instances never claim the same row); the
 *  caller sends outside any transaction, then sent / failed record the
 *  outcome with the notification.* event in the outbox, in one transaction,
 *  only while this instance still holds the lease. A row whose lease ran out
 *  in 'sending' (its sender died) is claimed again and re-sent with the same
 *  Message-ID. Times are app_now () (the store's clock, shifted by tests).
 */
#include "notify_store.h"
#include "smtp_mail.h"
#include "event.h"
#include "log.h"
#include "msgpack_json.h"
#include "pg.h"

#include <czmq.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

struct notify_store_t {
    char *conninfo, *name, *consumer;
    PGconn *conn;
};

static const char *s_sql_case =
    "SELECT c.id, c.complaint_no, c.lang, coalesce (c.customer_email, ''),"
    "  to_char (c.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
    "  to_char (c.due_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
    "  c.product, c.department, d.name, c.handler, h.name, c.state, c.level,"
    "  c.customer_name, c.resolution_outcome, c.resolution_amount::text,"
    "  CASE WHEN $2::bigint > 0 THEN to_char (to_timestamp ($2::bigint / 1000.0)"
    "       AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') END"
    "  FROM complaint c LEFT JOIN department d ON d.id = c.department"
    "  LEFT JOIN staff h ON h.id = c.handler WHERE c.complaint_no = $1";
//  The field names of s_sql_case's columns from 1 on (0 is the id).
static const char *s_case_fields [] = {
    "complaint_no", NULL, NULL, "received_at", "due_at", "product", "department",
    "department_name", "handler", "handler_name", "state", "level", "customer_name",
    "outcome", "amount", "event_due_at"
};
#define CASE_COLUMNS 17

//  Staff of a recipient kind for a case ($2 its department, $3 its handler).
static const char *s_sql_staff =
    "SELECT s.id, coalesce (s.email, '') FROM staff s JOIN department sd ON sd.id = s.department"
    " WHERE s.active AND CASE $1"
    "  WHEN 'handler' THEN s.id = $3"
    "  WHEN 'supervisor' THEN s.role = 'supervisor' AND s.department = $2"
    "  WHEN 'complaint_office' THEN s.role = 'complaint_office'"
    "  WHEN 'management' THEN s.role = 'manager' AND sd.kind = 'head_office'"
    "  WHEN 'department_head' THEN s.role = 'manager' AND sd.path = ("
    "     SELECT md.path FROM staff m JOIN department md ON md.id = m.department,"
    "            department cd WHERE cd.id = $2 AND m.active AND m.role = 'manager'"
    "        AND left (cd.path, length (md.path)) = md.path"
    "      ORDER BY length (md.path) DESC LIMIT 1)"
    "  ELSE false END ORDER BY s.id";

static const char *s_sql_insert =
    "INSERT INTO notification (event_seq, event_type, complaint_id, complaint_no,"
    "  recipient_kind, recipient, channel, address, lang, subject, body)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, nullif ($8, ''), $9, $10, $11)"
    " ON CONFLICT (event_seq, recipient, channel) DO NOTHING";

//  Only the primary message: a DETAIL line can quote a whole row, and a
//  notification row holds an address and a rendered message.
static void
s_log_pg (const char *event, PGconn *conn, PGresult *res)
{
    const char *primary = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char q [300];
    log_error (event, "sqlstate=%s error=%s", pg_sqlstate (res),
               log_quote (q, sizeof q, primary ? primary : PQerrorMessage (conn)));
}

static PGresult *
s_exec (notify_store_t *self, const char *what, const char *sql, int n, const char *const *values,
        const int *lengths, const int *formats)
{
    PGresult *res = PQexecParams (self->conn, sql, n, NULL, values, lengths, formats, 0);
    ExecStatusType status = PQresultStatus (res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        s_log_pg (what, self->conn, res);
        PQclear (res);
        return NULL;
    }
    return res;
}

static void
s_rollback (notify_store_t *self)
{
    if (pg_healthy (self->conn))
        PQclear (PQexec (self->conn, "ROLLBACK"));
}

notify_store_t *
notify_store_new (const char *conninfo, const char *name, const char *consumer)
{
    notify_store_t *self = calloc (1, sizeof *self);
    assert (self);
    self->conninfo = strdup (conninfo);
    self->name = strdup (name);
    self->consumer = strdup (consumer);
    if (notify_store_recover (self)) {
        notify_store_destroy (&self);
        return NULL;
    }
    return self;
}

void
notify_store_destroy (notify_store_t **self_p)
{
    assert (self_p);
    notify_store_t *self = *self_p;
    if (self) {
        PQfinish (self->conn);
        free (self->conninfo);
        free (self->name);
        free (self->consumer);
        free (self);
        *self_p = NULL;
    }
}

int
notify_store_recover (notify_store_t *self)
{
    if (pg_healthy (self->conn))
        return 0;
    PQfinish (self->conn);
    self->conn = pg_connect (self->conninfo, "notifier");
    if (!self->conn)
        return -1;
    const char *values [1] = { self->consumer };
    PGresult *res = s_exec (self, "cursor_create_failed",
                            "INSERT INTO notifier_cursor (consumer) VALUES ($1)"
                            " ON CONFLICT DO NOTHING", 1, values, NULL, NULL);
    PQclear (res);
    return 0;
}

//  ---------------------------------------------------------------- consume

static void
s_put (zhash_t *fields, const char *key, const char *value)
{
    if (value && *value) {
        zhash_update (fields, key, strdup (value));
        zhash_freefn (fields, key, free);
    }
}

//  An event data value as template text (strings and integers only).
static void
s_put_json (zhash_t *fields, const char *key, json_t *value)
{
    char text [64];
    if (json_is_string (value))
        s_put (fields, key, json_string_value (value));
    else
    if (json_is_integer (value)) {
        snprintf (text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value (value));
        s_put (fields, key, text);
    }
}

//  One notification row; 1 inserted, 0 already there, -1.
static int
s_insert (notify_store_t *self, notify_rules_t *rules, PGresult *kase, const char *seq,
          const char *type, const char *kind, const char *recipient, const char *channel,
          const char *address, const char *lang, zhash_t *fields)
{
    char *subject, *body;
    if (notify_rules_render (rules, type, lang, fields, &subject, &body))
        return 0;
    const char *values [11] = {
        seq, type, PQgetvalue (kase, 0, 0), PQgetvalue (kase, 0, 1), kind, recipient,
        channel, address, lang, subject, body
    };
    PGresult *res = s_exec (self, "notification_insert_failed", s_sql_insert, 11, values,
                            NULL, NULL);
    free (subject);
    free (body);
    if (!res)
        return -1;
    int inserted = atoi (PQcmdTuples (res));
    PQclear (res);
    return inserted;
}

//  The rows of one recipient (every channel of the rule that fits).
static int
s_recipient (notify_store_t *self, notify_rules_t *rules, const notify_rule_t *rule,
             PGresult *kase, const char *seq, const char *kind, const char *recipient,
             const char *address, const char *lang, zhash_t *fields)
{
    int created = 0, rc;
    bool customer = streq (kind, "customer");
    if (rule->channels & NOTIFY_CH_EMAIL) {
        if (smtp_mail_address_ok (address)) {
            if ((rc = s_insert (self, rules, kase, seq, rule->type, kind, recipient, "email",
                                address, lang, fields)) < 0)
                return -1;
            created += rc;
        }
        else
            log_debug ("no_email", "seq=%s kind=%s recipient=%s", seq, kind,
                       customer ? "customer" : recipient);
    }
    //  The inbox is for staff only: a customer has no account in staff tools.
    if ((rule->channels & NOTIFY_CH_INBOX) && !customer) {
        if ((rc = s_insert (self, rules, kase, seq, rule->type, kind, recipient, "inbox", "",
                            "zh", fields)) < 0)
            return -1;
        created += rc;
    }
    return created;
}

//  Every row of one event. Returns rows created, -1.
static int
s_event (notify_store_t *self, notify_rules_t *rules, const char *seq, const char *type,
         const char *complaint_no, const unsigned char *bytes, size_t size)
{
    const notify_rule_t *rule = notify_rules_find (rules, type);
    if (!rule || !*complaint_no)
        return 0;
    proto_error_t perr;
    json_t *event = msgpack_json_decode (bytes, size, EVENT_MAX_SIZE, EVENT_MAX_DEPTH, &perr);
    if (!event) {
        log_warn ("event_undecodable", "seq=%s type=%s action=skip", seq, type);
        return 0;
    }
    json_t *data = json_object_get (event, "data");
    char due_ms [32] = "0";
    json_t *due = json_object_get (data, "due_at");
    if (json_is_integer (due))
        snprintf (due_ms, sizeof due_ms, "%" JSON_INTEGER_FORMAT, json_integer_value (due));
    const char *cvalues [2] = { complaint_no, due_ms };
    PGresult *kase = s_exec (self, "case_read_failed", s_sql_case, 2, cvalues, NULL, NULL);
    if (!kase) {
        json_decref (event);
        return -1;
    }
    if (PQntuples (kase) != 1) {
        log_warn ("case_missing", "seq=%s type=%s complaint_no=%s action=skip", seq, type,
                  complaint_no);
        PQclear (kase);
        json_decref (event);
        return 0;
    }
    zhash_t *fields = zhash_new ();
    for (int col = 1; col < CASE_COLUMNS; col++)
        if (s_case_fields [col - 1])
            s_put (fields, s_case_fields [col - 1], PQgetvalue (kase, 0, col));
    const char *keys [] = { "stage", "percent", "tier", "step", NULL };
    for (int i = 0; keys [i]; i++)
        s_put_json (fields, keys [i], json_object_get (data, keys [i]));
    //  The stage's name for Chinese readers (the event says "acknowledge").
    static const char *stages [][2] = {
        { "acknowledge", "受理" }, { "first_response", "首次响应" },
        { "resolution", "办结" }, { "review", "复核" }
    };
    const char *stage = zhash_lookup (fields, "stage");
    for (size_t i = 0; stage && i < sizeof stages / sizeof stages [0]; i++)
        if (streq (stage, stages [i][0]))
            s_put (fields, "stage_zh", stages [i][1]);
    if (!zhash_lookup (fields, "outcome"))
        s_put_json (fields, "outcome", json_object_get (data, "outcome"));

    unsigned kinds = rule->kinds;
    if (rule->escalation) {
        size_t i;
        json_t *to;
        json_array_foreach (json_object_get (data, "to"), i, to) {
            int kind = json_is_string (to) ? notify_kind_parse (json_string_value (to)) : -1;
            if (kind > NOTIFY_CUSTOMER)         /* never the customer from an escalation */
                kinds |= 1u << kind;
        }
    }
    int created = 0, rc = 0;
    for (int kind = 0; kind < NOTIFY_KINDS && rc >= 0; kind++) {
        if (!(kinds & (1u << kind)))
            continue;
        const char *kname = notify_kind_name ((notify_kind_t) kind);
        if (kind == NOTIFY_CUSTOMER) {
            rc = s_recipient (self, rules, rule, kase, seq, kname, "customer",
                              PQgetvalue (kase, 0, 3), PQgetvalue (kase, 0, 2), fields);
            created += rc > 0 ? rc : 0;
            continue;
        }
        const char *svalues [3] = { kname, PQgetvalue (kase, 0, 7), PQgetvalue (kase, 0, 9) };
        PGresult *staff = s_exec (self, "staff_read_failed", s_sql_staff, 3, svalues, NULL, NULL);
        if (!staff) {
            rc = -1;
            break;
        }
        for (int r = 0; r < PQntuples (staff) && rc >= 0; r++) {
            rc = s_recipient (self, rules, rule, kase, seq, kname, PQgetvalue (staff, r, 0),
                              PQgetvalue (staff, r, 1), "zh", fields);
            created += rc > 0 ? rc : 0;
        }
        PQclear (staff);
    }
    zhash_destroy (&fields);
    PQclear (kase);
    json_decref (event);
    return rc < 0 ? -1 : created;
}

int
notify_store_consume (notify_store_t *self, notify_rules_t *rules, int batch, int *created)
{
    *created = 0;
    PGresult *res = s_exec (self, "begin_failed", "BEGIN", 0, NULL, NULL, NULL);
    if (!res)
        return -1;
    PQclear (res);
    const char *values [2] = { self->consumer, NULL };
    res = s_exec (self, "cursor_lock_failed",
                  "SELECT last_seq FROM notifier_cursor WHERE consumer = $1"
                  " FOR UPDATE SKIP LOCKED", 1, values, NULL, NULL);
    if (!res || PQntuples (res) == 0) {
        //  Another instance consumes now (or the store failed).
        PQclear (res);
        s_rollback (self);
        return res ? 0 : -1;
    }
    char last [32], limit [16];
    snprintf (last, sizeof last, "%s", PQgetvalue (res, 0, 0));
    snprintf (limit, sizeof limit, "%d", batch);
    PQclear (res);
    const char *evalues [2] = { last, limit };
    PGresult *events = s_exec (self, "events_read_failed",
                               "SELECT seq, type, coalesce (complaint_no, ''), event FROM event_log"
                               " WHERE seq > $1 ORDER BY seq LIMIT $2", 2, evalues, NULL, NULL);
    if (!events) {
        s_rollback (self);
        return -1;
    }
    int n = PQntuples (events);
    for (int i = 0; i < n; i++) {
        size_t size = 0;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (events, i, 3),
                                                &size);
        int rc = bytes ? s_event (self, rules, PQgetvalue (events, i, 0),
                                  PQgetvalue (events, i, 1), PQgetvalue (events, i, 2),
                                  bytes, size) : 0;
        PQfreemem (bytes);
        if (rc < 0) {
            PQclear (events);
            s_rollback (self);
            *created = 0;
            return -1;
        }
        *created += rc;
    }
    if (n > 0) {
        values [1] = PQgetvalue (events, n - 1, 0);
        res = s_exec (self, "cursor_update_failed",
                      "UPDATE notifier_cursor SET last_seq = $2, updated_at = now ()"
                      " WHERE consumer = $1", 2, values, NULL, NULL);
        if (!res) {
            PQclear (events);
            s_rollback (self);
            *created = 0;
            return -1;
        }
        PQclear (res);
    }
    PQclear (events);
    res = s_exec (self, "commit_failed", "COMMIT", 0, NULL, NULL, NULL);
    if (!res) {
        *created = 0;
        return -1;
    }
    PQclear (res);
    return n;
}

//  ---------------------------------------------------------------- deliver

int
notify_store_claim (notify_store_t *self, int batch, long lease_ms, notify_row_t **rows)
{
    *rows = NULL;
    char limit [16], lease [24];
    snprintf (limit, sizeof limit, "%d", batch);
    snprintf (lease, sizeof lease, "%ld", lease_ms);
    const char *values [3] = { self->name, limit, lease };
    PGresult *res = s_exec (self, "claim_failed",
        "UPDATE notification SET state = 'sending', lease_owner = $1,"
        "  lease_until = app_now () + $3::bigint * interval '1 millisecond'"
        " WHERE id IN (SELECT id FROM notification"
        "   WHERE (state IN ('pending', 'failed') AND next_attempt_at <= app_now ())"
        "      OR (state = 'sending' AND lease_until < app_now ())"
        "   ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " RETURNING id, event_seq, attempts, channel, recipient_kind, recipient,"
        "  coalesce (address, ''), subject, body, message_id, coalesce (complaint_no, '')",
        3, values, NULL, NULL);
    if (!res)
        return -1;
    int n = PQntuples (res);
    if (n > 0) {
        *rows = calloc ((size_t) n, sizeof (notify_row_t));
        assert (*rows);
    }
    for (int i = 0; i < n; i++) {
        notify_row_t *row = &(*rows) [i];
        row->id = atoll (PQgetvalue (res, i, 0));
        row->event_seq = atoll (PQgetvalue (res, i, 1));
        row->attempts = atoi (PQgetvalue (res, i, 2));
        row->channel = strdup (PQgetvalue (res, i, 3));
        row->recipient_kind = strdup (PQgetvalue (res, i, 4));
        row->recipient = strdup (PQgetvalue (res, i, 5));
        row->address = strdup (PQgetvalue (res, i, 6));
        row->subject = strdup (PQgetvalue (res, i, 7));
        row->body = strdup (PQgetvalue (res, i, 8));
        row->message_id = strdup (PQgetvalue (res, i, 9));
        row->complaint_no = strdup (PQgetvalue (res, i, 10));
    }
    PQclear (res);
    return n;
}

void
notify_store_rows_free (notify_row_t **rows, int count)
{
    if (!*rows)
        return;
    for (int i = 0; i < count; i++) {
        notify_row_t *row = &(*rows) [i];
        free (row->channel);
        free (row->recipient_kind);
        free (row->recipient);
        free (row->address);
        free (row->subject);
        free (row->body);
        free (row->message_id);
        free (row->complaint_no);
    }
    free (*rows);
    *rows = NULL;
}

//  The notification.* event: ids, channel and kind, attempts, the error; no
//  address and no message text (invariant 8).
static int
s_outbox (notify_store_t *self, const char *type, const notify_row_t *row, int attempts,
          const char *error)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, error ? 6 : 5);
    proto_pack_kv_int (&pk, "id", row->id);
    proto_pack_kv_int (&pk, "event_seq", row->event_seq);
    proto_pack_kv_cstr (&pk, "channel", row->channel);
    proto_pack_kv_cstr (&pk, "recipient_kind", row->recipient_kind);
    proto_pack_kv_int (&pk, "attempts", attempts);
    if (error)
        proto_pack_kv_cstr (&pk, "error", error);
    const char *values [3] = { type, *row->complaint_no ? row->complaint_no : NULL, buf.data };
    int lengths [3] = { 0, 0, (int) buf.size };
    int formats [3] = { 0, 0, 1 };
    PGresult *res = s_exec (self, "outbox_insert_failed",
                            "INSERT INTO outbox (type, complaint_no, data) VALUES ($1, $2, $3)",
                            3, values, lengths, formats);
    msgpack_sbuffer_destroy (&buf);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

int
notify_store_sent (notify_store_t *self, const notify_row_t *row)
{
    PGresult *res = s_exec (self, "begin_failed", "BEGIN", 0, NULL, NULL, NULL);
    if (!res)
        return -1;
    PQclear (res);
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, row->id);
    const char *values [2] = { id, self->name };
    res = s_exec (self, "mark_sent_failed",
                  "UPDATE notification SET state = 'sent', sent_at = app_now (),"
                  "  attempts = attempts + 1, lease_owner = NULL, lease_until = NULL,"
                  "  last_error = NULL"
                  " WHERE id = $1 AND state = 'sending' AND lease_owner = $2 RETURNING attempts",
                  2, values, NULL, NULL);
    if (!res || PQntuples (res) == 0) {
        PQclear (res);
        s_rollback (self);
        return res ? 1 : -1;
    }
    int attempts = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    if (streq (row->channel, "inbox")) {
        const char *ivalues [5] = { row->recipient, id,
                                    *row->complaint_no ? row->complaint_no : NULL,
                                    row->subject, row->body };
        res = s_exec (self, "inbox_insert_failed",
                      "INSERT INTO staff_inbox (staff_id, notification_id, complaint_no,"
                      " subject, body) VALUES ($1, $2, $3, $4, $5)", 5, ivalues, NULL, NULL);
        if (!res) {
            s_rollback (self);
            return -1;
        }
        PQclear (res);
    }
    if (s_outbox (self, "notification.sent", row, attempts, NULL)) {
        s_rollback (self);
        return -1;
    }
    res = s_exec (self, "commit_failed", "COMMIT", 0, NULL, NULL, NULL);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

int
notify_store_failed (notify_store_t *self, const notify_row_t *row, const char *error,
                     int max_attempts, long base_ms, long cap_ms)
{
    //  Exponential back-off with "equal jitter": half the delay fixed, half
    //  random, so instances that failed together do not retry together.
    int shift = row->attempts < 30 ? row->attempts : 30;
    long delay = base_ms << shift;
    if (delay > cap_ms || delay <= 0)
        delay = cap_ms;
    delay = delay / 2 + (long) randof (delay / 2 + 1);
    bool dead = row->attempts + 1 >= max_attempts;
    PGresult *res = s_exec (self, "begin_failed", "BEGIN", 0, NULL, NULL, NULL);
    if (!res)
        return -1;
    PQclear (res);
    char id [24], delay_text [24];
    snprintf (id, sizeof id, "%" PRId64, row->id);
    snprintf (delay_text, sizeof delay_text, "%ld", delay);
    const char *values [5] = { id, self->name, dead ? "dead" : "failed", delay_text, error };
    res = s_exec (self, "mark_failed_failed",
                  "UPDATE notification SET state = $3, attempts = attempts + 1,"
                  "  next_attempt_at = app_now () + $4::bigint * interval '1 millisecond',"
                  "  last_error = $5, lease_owner = NULL, lease_until = NULL"
                  " WHERE id = $1 AND state = 'sending' AND lease_owner = $2 RETURNING attempts",
                  5, values, NULL, NULL);
    if (!res || PQntuples (res) == 0) {
        PQclear (res);
        s_rollback (self);
        return res ? 2 : -1;
    }
    int attempts = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    if (s_outbox (self, dead ? "notification.dead" : "notification.failed", row, attempts,
                  error)) {
        s_rollback (self);
        return -1;
    }
    res = s_exec (self, "commit_failed", "COMMIT", 0, NULL, NULL, NULL);
    if (!res)
        return -1;
    PQclear (res);
    return dead ? 1 : 0;
}
