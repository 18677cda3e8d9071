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
 *  Recipients. For each channel group of the rule, the first alternative
 *  the recipient can receive: an address of that kind (e-mail, a mobile
 *  number, an app account / staff id for push) and, for a customer, no
 *  opt-out (customer_optout, by pseudonym). A customer who can be told
 *  nothing gets one 'suppressed' row with the reasons and a
 *  notification.suppressed event, so the complaint office can phone them.
 *  Times in templates are printed in the zone of the case's calendar.
 *
 *  Deliver. claim, in one transaction: suppresses due rows the customer
 *  has since opted out of; moves due customer rows on quiet channels to the
 *  end of the quiet window (in the row's zone; not an attempt); then claims
 *  due rows channel by channel, each gateway within its rate (a token bucket
 *  row, notify_gateway, locked until COMMIT so all instances share it),
 *  marking them 'sending' with a lease (SKIP LOCKED, so instances never
 *  claim the same row). The caller sends outside any transaction, then sent
 *  / failed record the outcome with the notification.* event in the outbox,
 *  in one transaction, only while this instance still holds the lease. A row
 *  whose lease ran out in 'sending' (its sender died) is claimed again and
 *  re-sent with the same Message-ID / idempotency key. Times are app_now ()
 *  (the store's clock, shifted by tests); rates are real time.
 */
#include "notify_store.h"
#include "smtp_mail.h"
#include "http_gateway.h"
#include "event.h"
#include "log.h"
#include "msgpack_json.h"
#include "pg.h"

#include <czmq.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

struct _notify_store_t {
    char *conninfo, *name, *consumer;
    PGconn *conn;
    const calendars_t *calendars;       /* the caller's: zones of the cases */
    char *default_calendar;
    int64_t cursor;                     /* last_seq of the cursor after our last consume */
};

//  The case, as the templates and the recipients need it. Times as unix ms:
//  they are printed in the zone of the case's calendar (s_event).
static const char *s_sql_case =
    "SELECT c.id, c.complaint_no, c.lang, coalesce (c.customer_email, ''),"
    "  coalesce (c.customer_phone, ''), coalesce (c.customer_account, ''),"
    "  (SELECT coalesce (string_agg (o.channel, ','), '') FROM customer_optout o"
    "    WHERE o.customer_pseudonym = c.customer_pseudonym),"
    "  coalesce ((SELECT k.calendar FROM sla_clock k WHERE k.complaint_id = c.id"
    "    ORDER BY k.id DESC LIMIT 1), ''),"
    "  (extract (epoch FROM c.received_at) * 1000)::bigint,"
    "  coalesce ((extract (epoch FROM c.due_at) * 1000)::bigint, 0),"
    "  c.department, c.handler,"
    "  c.product, d.name, h.name, c.state, c.level,"
    "  c.customer_name, c.resolution_outcome, c.resolution_amount::text"
    "  FROM complaint c LEFT JOIN department d ON d.id = c.department"
    "  LEFT JOIN staff h ON h.id = c.handler WHERE c.complaint_no = $1";
enum {
    CASE_ID, CASE_NO, CASE_LANG, CASE_EMAIL, CASE_PHONE, CASE_ACCOUNT, CASE_OPTOUTS,
    CASE_CALENDAR, CASE_RECEIVED_MS, CASE_DUE_MS, CASE_DEPARTMENT, CASE_HANDLER,
    CASE_TEXT_FIELDS        /* from here on, s_case_fields in order */
};
static const char *s_case_fields [] = {
    "product", "department_name", "handler_name", "state", "level", "customer_name",
    "outcome", "amount", NULL
};

//  Staff of a recipient kind for a case ($2 its department, $3 its handler).
static const char *s_sql_staff =
    "SELECT s.id, coalesce (s.email, ''), coalesce (s.phone, '')"
    " FROM staff s JOIN department sd ON sd.id = s.department"
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
    "  recipient_kind, recipient, channel, address, lang, subject, body, urgent, zone,"
    "  state, last_error)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, nullif ($8, ''), $9, $10, $11, $12, $13, $14,"
    "  nullif ($15, ''))"
    " ON CONFLICT (event_seq, recipient, channel) DO NOTHING"
    " RETURNING id";

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
    self->default_calendar = strdup ("cn");
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
        free (self->default_calendar);
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

void
notify_store_set_calendars (notify_store_t *self, const calendars_t *calendars,
                            const char *default_calendar)
{
    self->calendars = calendars;
    free (self->default_calendar);
    self->default_calendar = strdup (default_calendar);
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

//  A time for people: "2026-03-02 09:00" in the case's zone; a deadline at
//  the end of a day reads "2026-03-17 24:00".
static void
s_put_time (zhash_t *fields, const char *key, const calendar_t *calendar, int64_t ms,
            bool deadline)
{
    if (ms <= 0 || !calendar)
        return;
    char text [CALENDAR_TIME_SIZE];
    calendar_format_local (calendar, ms, deadline, text, sizeof text);
    text [16] = 0;                  /* "YYYY-MM-DD HH:MM": no offset, no weekday */
    s_put (fields, key, text);
}

//  The notification.* event: ids, channel and kind, attempts, the error or
//  reason; no address and no message text (invariant 8).
static int
s_outbox (notify_store_t *self, const char *type, const char *id, const char *event_seq,
          const char *channel, const char *kind, const char *complaint_no, int attempts,
          const char *error_key, const char *error)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, error ? 6 : 5);
    proto_pack_kv_int (&pk, "id", atoll (id));
    proto_pack_kv_int (&pk, "event_seq", atoll (event_seq));
    proto_pack_kv_cstr (&pk, "channel", channel);
    proto_pack_kv_cstr (&pk, "recipient_kind", kind);
    proto_pack_kv_int (&pk, "attempts", attempts);
    if (error)
        proto_pack_kv_cstr (&pk, error_key, error);
    const char *values [3] = { type, complaint_no && *complaint_no ? complaint_no : NULL,
                               buf.data };
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

//  What one event needs to create its rows.
typedef struct {
    notify_store_t *store;
    notify_rules_t *rules;
    const notify_rule_t *rule;
    PGresult *kase;
    const char *seq, *zone;
    zhash_t *fields;
} s_event_t;

//  One notification row; 1 inserted, 0 already there, -1. A suppressed row
//  (reason set) gets its notification.suppressed event with it.
static int
s_insert (s_event_t *ev, const char *kind, const char *recipient, notify_channel_t channel,
          const char *address, const char *lang, const char *reason)
{
    char *subject, *body;
    if (notify_rules_render (ev->rules, ev->rule->type, lang, channel, ev->fields, &subject,
                             &body))
        return 0;
    const char *cname = notify_channel_name (channel);
    const char *values [15] = {
        ev->seq, ev->rule->type, PQgetvalue (ev->kase, 0, CASE_ID),
        PQgetvalue (ev->kase, 0, CASE_NO), kind, recipient, cname, address, lang, subject,
        body, ev->rule->urgent ? "true" : "false", ev->zone,
        reason ? "suppressed" : "pending", reason ? reason : ""
    };
    PGresult *res = s_exec (ev->store, "notification_insert_failed", s_sql_insert, 15, values,
                            NULL, NULL);
    free (subject);
    free (body);
    if (!res)
        return -1;
    int inserted = PQntuples (res);
    int rc = 0;
    if (inserted && reason)
        rc = s_outbox (ev->store, "notification.suppressed", PQgetvalue (res, 0, 0), ev->seq,
                       cname, kind, PQgetvalue (ev->kase, 0, CASE_NO), 0, "reason", reason);
    PQclear (res);
    return rc ? -1 : inserted;
}

//  Has the customer opted out of this channel? (CASE_OPTOUTS: "sms,push")
static bool
s_opted_out (const char *optouts, const char *channel)
{
    size_t len = strlen (channel);
    for (const char *p = optouts; *p; ) {
        size_t n = strcspn (p, ",");
        if (n == len && memcmp (p, channel, len) == 0)
            return true;
        p += n + (p [n] == ',');
    }
    return false;
}

//  The rows of one recipient: for each channel group of the rule, the first
//  alternative this recipient can receive. A customer told nothing at all
//  gets one 'suppressed' row saying why, so it can be followed up by phone.
//  email, phone: the recipient's; push_id: the customer's account (what the
//  bank's app push service knows them by) or the staff id.
static int
s_recipient (s_event_t *ev, const char *kind, const char *recipient, const char *email,
             const char *phone, const char *push_id, const char *lang)
{
    bool customer = streq (kind, "customer");
    const char *optouts = customer ? PQgetvalue (ev->kase, 0, CASE_OPTOUTS) : "";
    int created = 0, told = 0, rc;
    char why [256] = "";
    for (int g = 0; g < ev->rule->groups; g++) {
        bool chosen = false;
        for (int a = 0; a < ev->rule->alternatives [g] && !chosen; a++) {
            notify_channel_t channel = ev->rule->group [g][a];
            const char *cname = notify_channel_name (channel);
            char address [256] = "", reason [64] = "";
            if (channel == NOTIFY_INBOX) {
                //  The inbox is for staff: a customer has no account in staff tools.
                if (customer)
                    continue;
            }
            else
            if (channel == NOTIFY_EMAIL) {
                if (smtp_mail_address_ok (email))
                    snprintf (address, sizeof address, "%s", email);
                else
                    snprintf (reason, sizeof reason, "no e-mail address");
            }
            else
            if (channel == NOTIFY_SMS) {
                if (!http_gateway_phone (phone, address, sizeof address))
                    snprintf (reason, sizeof reason, "no mobile number");
            }
            else
            if (*push_id)
                snprintf (address, sizeof address, "%s", push_id);
            else
                snprintf (reason, sizeof reason, "no app account");
            if (!*reason && customer && s_opted_out (optouts, cname))
                snprintf (reason, sizeof reason, "opted out of %s", cname);
            if (*reason) {
                if (strlen (why) + strlen (reason) + 3 < sizeof why)
                    snprintf (why + strlen (why), sizeof why - strlen (why), "%s%s",
                              *why ? "; " : "", reason);
                continue;
            }
            chosen = true;
            if ((rc = s_insert (ev, kind, recipient, channel, address, lang, NULL)) < 0)
                return -1;
            created += rc;
            told++;
        }
    }
    if (customer && told == 0 && ev->rule->groups > 0) {
        if ((rc = s_insert (ev, kind, recipient, ev->rule->group [0][0], "", lang,
                            *why ? why : "no channel")) < 0)
            return -1;
        created += rc;
        log_info ("suppressed", "seq=%s type=%s kind=customer reason=\"%s\"", ev->seq,
                  ev->rule->type, why);
    }
    else
    if (*why)
        log_debug ("channel_skipped", "seq=%s type=%s kind=%s reason=\"%s\"", ev->seq,
                   ev->rule->type, kind, why);
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
    const char *cvalues [1] = { complaint_no };
    PGresult *kase = s_exec (self, "case_read_failed", s_sql_case, 1, cvalues, NULL, NULL);
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
    //  The case's calendar says its time zone: the first clock's, else the
    //  default (a receipt is consumed before the watchdog starts a clock).
    const char *cal_name = PQgetvalue (kase, 0, CASE_CALENDAR);
    const calendar_t *calendar = self->calendars ? calendars_find (self->calendars,
                                                   *cal_name ? cal_name : self->default_calendar)
                                                 : NULL;
    if (!calendar && self->calendars)
        calendar = calendars_find (self->calendars, self->default_calendar);
    zhash_t *fields = zhash_new ();
    s_put (fields, "complaint_no", complaint_no);
    s_put (fields, "department", PQgetvalue (kase, 0, CASE_DEPARTMENT));
    s_put (fields, "handler", PQgetvalue (kase, 0, CASE_HANDLER));
    for (int i = 0; s_case_fields [i]; i++)
        s_put (fields, s_case_fields [i], PQgetvalue (kase, 0, CASE_TEXT_FIELDS + i));
    s_put_time (fields, "received_at", calendar, atoll (PQgetvalue (kase, 0, CASE_RECEIVED_MS)),
                false);
    s_put_time (fields, "due_at", calendar, atoll (PQgetvalue (kase, 0, CASE_DUE_MS)), true);
    json_t *due = json_object_get (data, "due_at");
    if (json_is_integer (due))
        s_put_time (fields, "event_due_at", calendar, json_integer_value (due), true);
    const char *keys [] = { "stage", "percent", "tier", "step", "adds", NULL };
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

    s_event_t ev = {
        .store = self, .rules = rules, .rule = rule, .kase = kase, .seq = seq,
        .zone = calendar ? calendar_timezone (calendar) : "Asia/Shanghai", .fields = fields
    };
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
            rc = s_recipient (&ev, kname, "customer", PQgetvalue (kase, 0, CASE_EMAIL),
                              PQgetvalue (kase, 0, CASE_PHONE), PQgetvalue (kase, 0, CASE_ACCOUNT),
                              PQgetvalue (kase, 0, CASE_LANG));
            created += rc > 0 ? rc : 0;
            continue;
        }
        const char *svalues [3] = { kname, PQgetvalue (kase, 0, CASE_DEPARTMENT),
                                    PQgetvalue (kase, 0, CASE_HANDLER) };
        PGresult *staff = s_exec (self, "staff_read_failed", s_sql_staff, 3, svalues, NULL, NULL);
        if (!staff) {
            rc = -1;
            break;
        }
        for (int r = 0; r < PQntuples (staff) && rc >= 0; r++) {
            rc = s_recipient (&ev, kname, PQgetvalue (staff, r, 0), PQgetvalue (staff, r, 1),
                              PQgetvalue (staff, r, 2), PQgetvalue (staff, r, 0), "zh");
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
    int64_t cursor = strtoll (n > 0 ? PQgetvalue (events, n - 1, 0) : last, NULL, 10);
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
    self->cursor = cursor;
    return n;
}

int64_t
notify_store_cursor (notify_store_t *self)
{
    return self->cursor;
}

//  ---------------------------------------------------------------- deliver

//  Due rows owed to a channel the customer has since opted out of become
//  'suppressed', each with its event. Returns how many, -1.
static int
s_suppress_opted_out (notify_store_t *self)
{
    PGresult *res = s_exec (self, "optout_suppress_failed",
        "UPDATE notification n SET state = 'suppressed',"
        "  last_error = 'opted out of ' || n.channel, lease_owner = NULL, lease_until = NULL"
        "  FROM complaint c, customer_optout o"
        " WHERE n.state IN ('pending', 'failed') AND n.next_attempt_at <= app_now ()"
        "   AND n.recipient = 'customer' AND c.id = n.complaint_id"
        "   AND o.customer_pseudonym = c.customer_pseudonym AND o.channel = n.channel"
        " RETURNING n.id, n.event_seq, n.channel, n.recipient_kind,"
        "   coalesce (n.complaint_no, ''), n.attempts, n.last_error",
        0, NULL, NULL, NULL);
    if (!res)
        return -1;
    int n = PQntuples (res);
    for (int i = 0; i < n; i++)
        if (s_outbox (self, "notification.suppressed", PQgetvalue (res, i, 0),
                      PQgetvalue (res, i, 1), PQgetvalue (res, i, 2), PQgetvalue (res, i, 3),
                      PQgetvalue (res, i, 4), atoi (PQgetvalue (res, i, 5)), "reason",
                      PQgetvalue (res, i, 6))) {
            PQclear (res);
            return -1;
        }
    PQclear (res);
    return n;
}

//  Quiet hours: due rows to customers on a held-back channel, not urgent,
//  move to the end of the window in the row's zone. No attempt is counted;
//  the row stays pending. Returns how many, -1.
static int
s_defer_quiet (notify_store_t *self, const notify_claim_cfg_t *cfg)
{
    if (!cfg->quiet_channels)
        return 0;
    char channels [64] = "{";
    for (int c = 0; c < NOTIFY_CHANNELS; c++)
        if (cfg->quiet_channels & (1u << c))
            snprintf (channels + strlen (channels), sizeof channels - strlen (channels), "%s%s",
                      strlen (channels) > 1 ? "," : "", notify_channel_name ((notify_channel_t) c));
    strcat (channels, "}");
    const char *values [3] = { channels, cfg->quiet_from, cfg->quiet_to };
    PGresult *res = s_exec (self, "quiet_defer_failed",
        "UPDATE notification n SET next_attempt_at = q.until, deferred_until = q.until"
        "  FROM (SELECT id, notify_quiet_until (app_now (), zone, $2::time, $3::time) AS until"
        "          FROM notification"
        "         WHERE state IN ('pending', 'failed') AND next_attempt_at <= app_now ()"
        "           AND recipient = 'customer' AND NOT urgent"
        "           AND channel = ANY ($1::text[])) q"
        " WHERE n.id = q.id AND q.until IS NOT NULL",
        3, values, NULL, NULL);
    if (!res)
        return -1;
    int n = atoi (PQcmdTuples (res));
    PQclear (res);
    return n;
}

//  Claim up to limit due rows of one channel. Returns how many (appended to
//  *rows at *count), -1.
static int
s_claim_channel (notify_store_t *self, const char *channel, int limit, long lease_ms,
                 notify_row_t **rows, int *count, int capacity)
{
    char limit_text [16], lease [24];
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    snprintf (lease, sizeof lease, "%ld", lease_ms);
    const char *values [4] = { self->name, limit_text, lease, channel };
    PGresult *res = s_exec (self, "claim_failed",
        "UPDATE notification SET state = 'sending', lease_owner = $1,"
        "  lease_until = app_now () + $3::bigint * interval '1 millisecond'"
        " WHERE id IN (SELECT id FROM notification"
        "   WHERE channel = $4"
        "     AND ((state IN ('pending', 'failed') AND next_attempt_at <= app_now ())"
        "      OR (state = 'sending' AND lease_until < app_now ()))"
        "   ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " RETURNING id, event_seq, attempts, channel, recipient_kind, recipient,"
        "  coalesce (address, ''), subject, body, message_id, coalesce (complaint_no, '')",
        4, values, NULL, NULL);
    if (!res)
        return -1;
    int n = PQntuples (res);
    assert (*count + n <= capacity);
    for (int i = 0; i < n; i++) {
        notify_row_t *row = &(*rows) [(*count)++];
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

int
notify_store_claim (notify_store_t *self, const notify_claim_cfg_t *cfg, int *suppressed,
                    int *deferred, notify_row_t **rows)
{
    *rows = NULL;
    *suppressed = *deferred = 0;
    PGresult *res = s_exec (self, "begin_failed", "BEGIN", 0, NULL, NULL, NULL);
    if (!res)
        return -1;
    PQclear (res);
    int count = 0;
    *rows = calloc ((size_t) cfg->batch, sizeof (notify_row_t));
    assert (*rows);
    if ((*suppressed = s_suppress_opted_out (self)) < 0
        || (*deferred = s_defer_quiet (self, cfg)) < 0)
        goto failed;
    //  Each gateway within its rate: the bucket row stays locked until the
    //  COMMIT, so instances claiming at once share one rate.
    for (int c = 0; c < NOTIFY_CHANNELS && count < cfg->batch; c++) {
        const char *channel = notify_channel_name ((notify_channel_t) c);
        int limit = cfg->batch - count;
        long rate = cfg->rate [c];
        if (c != NOTIFY_INBOX && rate > 0) {
            char rate_text [24];
            snprintf (rate_text, sizeof rate_text, "%ld", rate);
            const char *values [3] = { channel, rate_text, rate_text };
            res = s_exec (self, "gateway_allow_failed",
                          "SELECT notify_gateway_allow ($1, $2::float8, $3::float8)",
                          3, values, NULL, NULL);
            if (!res)
                goto failed;
            int allow = atoi (PQgetvalue (res, 0, 0));
            PQclear (res);
            if (allow < limit)
                limit = allow;
            if (limit <= 0)
                continue;
        }
        int n = s_claim_channel (self, channel, limit, cfg->lease_ms, rows, &count, cfg->batch);
        if (n < 0)
            goto failed;
        if (n > 0 && c != NOTIFY_INBOX && rate > 0) {
            char n_text [16];
            snprintf (n_text, sizeof n_text, "%d", n);
            const char *values [2] = { channel, n_text };
            res = s_exec (self, "gateway_spend_failed", "SELECT notify_gateway_spend ($1, $2)",
                          2, values, NULL, NULL);
            if (!res)
                goto failed;
            PQclear (res);
        }
    }
    res = s_exec (self, "commit_failed", "COMMIT", 0, NULL, NULL, NULL);
    if (!res)
        goto failed;
    PQclear (res);
    if (count == 0) {
        free (*rows);
        *rows = NULL;
    }
    return count;
failed:
    s_rollback (self);
    notify_store_rows_free (rows, count);
    *suppressed = *deferred = 0;
    return -1;
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

static int
s_row_outbox (notify_store_t *self, const char *type, const notify_row_t *row, int attempts,
              const char *error)
{
    char id [24], seq [24];
    snprintf (id, sizeof id, "%" PRId64, row->id);
    snprintf (seq, sizeof seq, "%" PRId64, row->event_seq);
    return s_outbox (self, type, id, seq, row->channel, row->recipient_kind, row->complaint_no,
                     attempts, "error", error);
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
    if (s_row_outbox (self, "notification.sent", row, attempts, NULL)) {
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
                     bool permanent, long min_delay_ms, const notify_claim_cfg_t *cfg)
{
    //  Exponential back-off with "equal jitter": half the delay fixed, half
    //  random, so instances that failed together do not retry together. A
    //  gateway's Retry-After is the least it gets.
    int shift = row->attempts < 30 ? row->attempts : 30;
    long delay = cfg->backoff_ms << shift;
    if (delay > cfg->backoff_cap_ms || delay <= 0)
        delay = cfg->backoff_cap_ms;
    delay = delay / 2 + (long) randof (delay / 2 + 1);
    if (delay < min_delay_ms)
        delay = min_delay_ms;
    bool dead = permanent || row->attempts + 1 >= cfg->max_attempts;
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
    if (s_row_outbox (self, dead ? "notification.dead" : "notification.failed", row, attempts,
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
