/*  notify_store.c — every SQL statement of the notifier.
 *
 *  Consume. The notifier reads event_log itself, after its cursor row
 *  (notifier_cursor): the store is the truth, the bus only says "look". In
 *  one transaction it locks the cursor (FOR NO KEY UPDATE SKIP LOCKED: when another
 *  instance holds it, this one only delivers), reads a batch of events
 *  (only those a rule names carry their payload), reads every case they
 *  concern in one query, turns them into rows in C, inserts all the rows
 *  in one statement from arrays (INSERT ... SELECT FROM unnest ... ON
 *  CONFLICT (event_seq, recipient, channel) DO NOTHING) and moves the
 *  cursor, so a crash anywhere means either nothing of the batch happened
 *  or all of it, and a batch costs a handful of statements however many
 *  rows it makes. Who is told and where comes from the store at that
 *  moment (the case row, staff, department), never from the stream: events
 *  carry no identity. Subject and body are rendered into the row, so every
 *  attempt sends the same bytes.
 *
 *  Recipients. For each channel group of the rule, the first alternative
 *  the recipient can receive: an address of that kind (e-mail, a mobile
 *  number, an app account / staff id for push) and, for a customer, no
 *  opt-out (customer_optout, by pseudonym). A customer who can be told
 *  nothing gets one 'suppressed' row with the reasons and a
 *  notification.suppressed event, so the complaint office can phone them.
 *  Times in templates are printed in the zone of the case's calendar.
 *
 *  Events about no case (proto/events.c: caseless, analytics.hotspot) take
 *  another path, s_event_caseless: no case row; the template's values are
 *  the event's data (and the branch's name from the directory), times in
 *  the bank's default calendar zone; department_head and supervisor are
 *  those of the event's `branch`; the rows carry no complaint.
 *
 *  Deliver. claim, in one transaction: rows whose lease ran out in
 *  'sending' (their sender died) go back to the queue; then each channel on
 *  its own takes its oldest due rows through the partial index (channel,
 *  next_attempt_at, id) of rows still owed — at most a batch, within its
 *  gateway's rate (a token bucket row, notify_gateway, locked until COMMIT
 *  so all instances share it), SKIP LOCKED so instances never take the same
 *  row. Of those, a customer's row on a channel they have opted out of
 *  becomes 'suppressed', a customer's row on a quiet channel inside quiet
 *  hours moves to the window's end (in the row's zone; not an attempt), the
 *  rest become 'sending' with a lease. So a claim costs what it takes, and
 *  one channel's backlog never holds back another. The caller sends outside
 *  any transaction; record then writes a batch of outcomes (sent, failed
 *  with back-off, dead) with their notification.* events in one
 *  transaction, each only while this instance still holds its lease. A row
 *  re-sent after its lease ran out carries the same Message-ID /
 *  idempotency key. Times are app_now () (the store's clock, shifted by
 *  tests); rates are real time.
 *
 *  Connection: one pg_session (common/pg_session.c: timeouts, keepalives,
 *  reconnect with back-off, the pg_connection_lost / _restored lines); its
 *  on-connect step makes the cursor row. Events go through common/outbox.c.
 */
#include "notify_store.h"
#include "smtp_mail.h"
#include "http_gateway.h"
#include "identity_seal.h"
#include "query_code.h"
#include "event.h"
#include "events.h"
#include "act_outcomes.h"
#include "log.h"
#include "msgpack_json.h"
#include "outbox.h"
#include "pg_array.h"
#include "pg_session.h"
#include "privacy.h"
#include "review_window.h"

#include <czmq.h>
#include <jansson.h>
#include <msgpack.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

/* issue 16 (i16-vetting): the review window the resolution message names
 * (the same setting as intake's --review-window-days) */
static long s_review_days = 30;

void
notify_store_set_review_days (long days)
{
    s_review_days = days;
}

struct _notify_store_t {
    char *name, *consumer;
    pg_session_t *pg;
    const calendars_t *calendars;       /* the caller's: zones of the cases */
    const identity_seal_t *seal;        /* the caller's: opens the customer's identity */
    char *default_calendar;
    char *survey_url;                   /* issue 16 (i16-followup); NULL: none */
    int64_t cursor;                     /* last_seq of the cursor after our last consume */
};

//  The cases of a batch of events, as the templates and the recipients need
//  them. Times as unix ms: they are printed in the zone of the case's
//  calendar (s_event). The calendar is the latest clock's: an aggregate over
//  the case's few clocks (the sla_clock_round_key index), not ORDER BY id
//  LIMIT 1, which the planner may answer by walking the whole table's
//  primary key backwards when the case has no clock yet.
static const char *s_sql_cases =
    "SELECT c.id, c.complaint_no, c.lang, coalesce (encode (c.customer_sealed, 'hex'), ''),"
    "  coalesce (encode (c.query_code_sealed, 'hex'), ''),"
    "  (SELECT coalesce (string_agg (o.channel, ','), '') FROM customer_optout o"
    "    WHERE o.customer_pseudonym = c.customer_pseudonym),"
    "  coalesce ((SELECT (array_agg (k.calendar ORDER BY k.id DESC)) [1] FROM sla_clock k"
    "    WHERE k.complaint_id = c.id), ''),"
    "  (extract (epoch FROM c.received_at) * 1000)::bigint,"
    "  coalesce ((extract (epoch FROM c.due_at) * 1000)::bigint, 0),"
    "  c.department, c.handler,"
    "  c.product, d.name, h.name, c.state, c.level,"
    "  c.resolution_outcome, c.resolution_amount::text,"
    /* issue 16 (i16-vetting): the answer for the customer, every outcome */
    "  coalesce (c.customer_text, ''),"
    "  (SELECT coalesce (string_agg (o.kind || '=' || coalesce (o.amount::text, ''), ';'"
    "                                ORDER BY o.seq), '')"
    "     FROM complaint_outcome o WHERE o.complaint_id = c.id),"
    "  coalesce ((extract (epoch FROM c.resolved_at) * 1000)::bigint, 0),"
    /* the open survey's expiry (the notice says until when its link works:
     * intake's --survey-days decides, not the template) */
    "  coalesce ((extract (epoch FROM s.expires_at) * 1000)::bigint, 0),"
    //  issue 16 (i16-records): the knowledge base's suggestions, intake's
    //  rule (kb_suggest, migration 049), for the handler's assignment
    //  notice; asked only while the case waits in `assigned`, so the other
    //  events' batches pay nothing for it
    "  CASE WHEN c.state = 'assigned' THEN (SELECT string_agg ('kb#' || k.id || ' '"
    "       || k.business_line || ' / ' || k.cause || ': ' || left (k.summary, 60)"
    "       || ' -> ' || left (k.answer, 80), E'\\n') FROM kb_suggest (c.id, 3) k) END,"
    /* issue 16 (i16-followup): the survey link's sealed token, while open */
    "  coalesce (encode (s.token_sealed, 'hex'), ''),"
    /* issue 16 follow-up (vetting2): the author of the proposal on record
     * (recipient kind proposer; migration 051) */
    "  coalesce (c.proposed_by, '')"
    "  FROM complaint c LEFT JOIN department d ON d.id = c.department"
    "  LEFT JOIN staff h ON h.id = c.handler"
    /* the case's survey while it can be answered: one row or none (its key
     * is the complaint), read once for the link and its expiry */
    "  LEFT JOIN survey s ON s.complaint_id = c.id AND s.answered_at IS NULL"
    "                    AND s.expires_at > app_now ()"
    " WHERE c.complaint_no = ANY ($1::text[])";
enum {
    CASE_ID, CASE_NO, CASE_LANG, CASE_SEALED, CASE_CODE_SEALED, CASE_OPTOUTS,
    CASE_CALENDAR, CASE_RECEIVED_MS, CASE_DUE_MS, CASE_DEPARTMENT, CASE_HANDLER,
    CASE_TEXT_FIELDS        /* from here on, s_case_fields in order */
};
static const char *s_case_fields [] = {
    "product", "department_name", "handler_name", "state", "level",
    "outcome", "amount",
    "customer_text", "outcome_list",    /* issue 16 (i16-vetting) */
    "resolved_ms", "survey_expires_ms",
    "kb_suggestions",           /* issue 16 (i16-records) */
    NULL
};
/* issue 16 (i16-followup): the column after the text fields */
#define CASE_SURVEY_SEALED \
    (CASE_TEXT_FIELDS + (int) (sizeof s_case_fields / sizeof s_case_fields [0]) - 1)
#define NOTIFY_SURVEY_PURPOSE "survey"      /* as intake seals it (case_survey.c) */
#define CASE_PROPOSED_BY (CASE_SURVEY_SEALED + 1)     /* issue 16 follow-up (vetting2) */

//  Staff of a recipient kind for a case ($2 its department, $3 its handler).
static const char *s_sql_staff =
    "SELECT s.id, coalesce (s.email, ''), coalesce (s.phone, '')"
    " FROM staff s JOIN department sd ON sd.id = s.department"
    " WHERE s.active AND CASE $1"
    "  WHEN 'handler' THEN s.id = $3"
    "  WHEN 'supervisor' THEN s.role = 'supervisor' AND s.department = $2"
    "  WHEN 'complaint_office' THEN s.role = 'complaint_office'"
    "  WHEN 'management' THEN s.role = 'manager' AND sd.kind = 'head_office'"
    //  issue 16 (i16-tasks): $2 is then the event's data.department (the
    //  department a task is asked of): its handlers and supervisors
    "  WHEN 'task_department' THEN s.department = $2 AND s.role IN ('handler', 'supervisor')"
    //  issue 16 follow-up (vetting2): $3 is then the proposal's author
    "  WHEN 'proposer' THEN s.id = $3"
    "  WHEN 'department_head' THEN s.role = 'manager' AND sd.path = ("
    "     SELECT md.path FROM staff m JOIN department md ON md.id = m.department,"
    "            department cd WHERE cd.id = $2 AND m.active AND m.role = 'manager'"
    "        AND left (cd.path, length (md.path)) = md.path"
    "      ORDER BY length (md.path) DESC LIMIT 1)"
    "  ELSE false END ORDER BY s.id";

//  Every row of a batch of events in one statement. A row already there
//  (the batch was consumed before, and its COMMIT lost) is skipped. The
//  case's id and number are text, '' for an event about no case (NULL).
static const char *s_sql_insert =
    "INSERT INTO notification (event_seq, event_type, complaint_id, complaint_no,"
    "  recipient_kind, recipient, channel, address, lang, subject, body, urgent, zone,"
    "  state, last_error)"
    " SELECT t.seq, t.type, nullif (t.cid, '')::bigint, nullif (t.no, ''), t.kind,"
    "  t.recipient, t.channel,"
    "  nullif (t.address, ''), t.lang, t.subject, t.body, t.urgent, t.zone, t.state,"
    "  nullif (t.error, '')"
    " FROM unnest ($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],"
    "  $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],"
    "  $12::boolean[], $13::text[], $14::text[], $15::text[])"
    "  AS t (seq, type, cid, no, kind, recipient, channel, address, lang, subject, body,"
    "        urgent, zone, state, error)"
    " ON CONFLICT (event_seq, recipient, channel) DO NOTHING"
    " RETURNING id, event_seq, channel, recipient_kind, coalesce (complaint_no, ''),"
    "  coalesce (last_error, ''), state = 'suppressed'";

//  The columns of s_sql_insert, one array each.
enum {
    ROW_SEQ, ROW_TYPE, ROW_CID, ROW_NO, ROW_KIND, ROW_RECIPIENT, ROW_CHANNEL, ROW_ADDRESS,
    ROW_LANG, ROW_SUBJECT, ROW_BODY, ROW_URGENT, ROW_ZONE, ROW_STATE, ROW_ERROR, ROW_COLUMNS
};

//  Statements of the notifier are short; one that hangs (a lock held by
//  someone else's forgotten transaction) is cut off rather than stalling
//  every delivery.
#define S_STATEMENT_TIMEOUT_MS 60000

//  pg_session_exec: any success, text results; failures are logged by the
//  session with the statement's name (primary message only: a DETAIL line
//  can quote a notification row, which holds an address and a message).
#define s_exec(self, what, sql, n, values, lengths, formats) \
    pg_session_exec ((self)->pg, what, sql, n, values, lengths, formats, 0)

//  The cursor row this consumer locks; made on every (re)connect.
static int
s_on_connect (pg_session_t *pg, void *arg)
{
    notify_store_t *self = (notify_store_t *) arg;
    const char *values [1] = { self->consumer };
    return pg_session_command (pg, "cursor_create",
                               "INSERT INTO notifier_cursor (consumer) VALUES ($1)"
                               " ON CONFLICT DO NOTHING", 1, values);
}

notify_store_t *
notify_store_new (const char *conninfo, const char *name, const char *consumer,
                  const identity_seal_t *seal)
{
    assert (seal);
    notify_store_t *self = calloc (1, sizeof *self);
    assert (self);
    self->name = strdup (name);
    self->consumer = strdup (consumer);
    self->seal = seal;
    self->default_calendar = strdup ("cn");
    self->pg = pg_session_new (conninfo, "notifier", S_STATEMENT_TIMEOUT_MS);
    if (!self->pg || pg_session_on_connect (self->pg, s_on_connect, self)) {
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
        pg_session_destroy (&self->pg);
        free (self->name);
        free (self->consumer);
        free (self->default_calendar);
        free (self->survey_url);
        free (self);
        *self_p = NULL;
    }
}

int
notify_store_recover (notify_store_t *self)
{
    return pg_session_recover (self->pg);
}

void
notify_store_set_calendars (notify_store_t *self, const calendars_t *calendars,
                            const char *default_calendar)
{
    self->calendars = calendars;
    free (self->default_calendar);
    self->default_calendar = strdup (default_calendar);
}

void
notify_store_set_survey_url (notify_store_t *self, const char *url)
{
    free (self->survey_url);
    self->survey_url = url && *url ? strdup (url) : NULL;
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

//  A time for people: "2026-03-02 09:00 +08:00" in the case's zone, the
//  zone written; a deadline at the end of a day reads "2026-03-17 24:00
//  +08:00". To the minute: no seconds, no weekday.
static void
s_put_time (zhash_t *fields, const char *key, const calendar_t *calendar, int64_t ms,
            bool deadline)
{
    if (ms <= 0 || !calendar)
        return;
    char text [CALENDAR_TIME_SIZE], shown [CALENDAR_TIME_SIZE];
    calendar_format_local (calendar, ms, deadline, text, sizeof text);
    //  "YYYY-MM-DD HH:MM[:SS[.mmm]] +HH:MM Wkd": the minute, then the offset.
    char *weekday = strrchr (text, ' ');
    if (weekday)
        *weekday = 0;
    const char *offset = strrchr (text, ' ');
    snprintf (shown, sizeof shown, "%.16s%s", text, offset ? offset : "");
    s_put (fields, key, shown);
}

//  The recipient as the scrubber knows a customer: an address with an @
//  is an e-mail, any other a phone (SMS) or device token (push).
static customer_t
s_address_owner (const char *address)
{
    customer_t to = { 0 };
    if (address && *address) {
        proto_str_t a = { address, strlen (address) };
        if (strchr (address, '@'))
            to.email = a;
        else
            to.phone = a;
    }
    return to;
}

void
notify_outcome_scrub (notify_outcome_t *outcome)
{
    assert (outcome && outcome->row);
    if (!*outcome->error)
        return;
    customer_t to = s_address_owner (outcome->row->address);
    size_t len;
    char *clean = privacy_scrub (outcome->error, strlen (outcome->error), &to, &len);
    if (clean)
        snprintf (outcome->error, sizeof outcome->error, "%s", clean);
    else            /* out of memory: withhold the text rather than keep it */
        snprintf (outcome->error, sizeof outcome->error, "%s", PRIVACY_MASK);
    free (clean);
}

//  The notification.* event's data, from its packer (proto/events.c): ids,
//  channel and kind, attempts, the error (scrubbed) or reason; no address
//  and no message text (invariant 8). `detail` is the error of failed and
//  dead, the reason of suppressed, NULL for sent. A gateway's answer may
//  quote the address it was given, in its own format (a mail server's
//  "<zhang@example.com>", an SMS gateway's "+86 139..."): the packer scrubs
//  the row's address from it in any form, beside the general rules.
static void
s_event_pack (msgpack_sbuffer *buf, const char *type, int64_t id, int64_t event_seq,
              const char *channel, const char *kind, int attempts, const char *detail,
              const char *address)
{
    msgpack_sbuffer_clear (buf);
    const events_notification_t n = { id, event_seq, channel, kind, attempts };
    customer_t to = s_address_owner (address);
    if (streq (type, "notification.sent"))
        events_notification_sent (buf, &n);
    else if (streq (type, "notification.failed"))
        events_notification_failed (buf, &n, detail, &to);
    else if (streq (type, "notification.dead"))
        events_notification_dead (buf, &n, detail, &to);
    else if (streq (type, "notification.suppressed"))
        events_notification_suppressed (buf, &n, detail);
    else
        abort ();       /* not a notifier event: a programming error */
}

//  notification.* events gathered in a transaction, inserted into the outbox
//  together by outbox_batch_flush: one statement, however many.
typedef struct {
    outbox_batch_t *batch;
    msgpack_sbuffer buf;
} s_events_t;

//  self must start zeroed ({ 0 }).
static void
s_events_begin (s_events_t *self)
{
    self->batch = outbox_batch_new ();
    msgpack_sbuffer_init (&self->buf);
}

static void
s_events_add (s_events_t *self, const char *type, const char *complaint_no, int64_t id,
              int64_t event_seq, const char *channel, const char *kind, int attempts,
              const char *detail, const char *address)
{
    s_event_pack (&self->buf, type, id, event_seq, channel, kind, attempts, detail, address);
    outbox_batch_add (self->batch, type, complaint_no, self->buf.data, self->buf.size);
}

static void
s_events_end (s_events_t *self)
{
    outbox_batch_destroy (&self->batch);
    msgpack_sbuffer_destroy (&self->buf);
}

//  Insert the gathered events (none: nothing to do). 0, -1.
static int
s_events_flush (notify_store_t *self, s_events_t *events)
{
    return outbox_batch_flush (events->batch, self->pg);
}

//  A batch of events being turned into rows: the cases they concern (one
//  query), the staff of each (kind, department, handler) asked for (one
//  query each, cached for the batch), the rows as arrays (one INSERT).
//  What a customer's address is sealed as in notification.address.
#define NOTIFY_ADDRESS_PURPOSE IDENTITY_PURPOSE_NOTIFY_ADDRESS   /* identity_seal.h */
#define NOTIFY_BODY_PURPOSE    IDENTITY_PURPOSE_NOTIFY_BODY

//  A case's customer, opened (identity_seal.h) once per batch: where to
//  reach them, their name for the greeting, the query code for the receipt.
//  Wiped when the batch ends.
typedef struct {
    identity_t id;
    char query_code [QUERY_CODE_SIZE];
    char survey_token [SURVEY_TOKEN_SIZE + 1];      /* issue 16 (i16-followup) */
} s_who_t;

typedef struct {
    notify_store_t *store;
    notify_rules_t *rules;
    PGresult *cases;                /* s_sql_cases */
    s_who_t *who;                   /* one per row of cases */
    zhash_t *case_index;            /* complaint_no -> row + 1 */
    zhash_t *staff;                 /* "kind|department|handler" -> PGresult */
    pg_array_t rows [ROW_COLUMNS];
    size_t nrows;
} s_batch_t;

//  What one event needs to create its rows.
typedef struct {
    s_batch_t *batch;
    const notify_rule_t *rule;
    int kase;                       /* row in batch->cases; -1: about no case */
    const char *seq, *zone;
    zhash_t *fields;
} s_event_t;

//  A field of the event's customer; "" when absent or about no case.
static const char *
s_who (const s_event_t *ev, size_t offset)
{
    if (ev->kase < 0 || !ev->batch->who)
        return "";
    const char *value = *(char **) ((char *) &ev->batch->who [ev->kase].id + offset);
    return value ? value : "";
}
#define S_WHO(ev, field) s_who ((ev), offsetof (identity_t, field))

//  A column of the event's case; "" for an event about no case (kase -1).
static const char *
s_case (const s_event_t *ev, int column)
{
    return ev->kase < 0 ? "" : PQgetvalue (ev->batch->cases, ev->kase, column);
}

//  One notification row, rendered and added to the batch's arrays. A
//  suppressed row (reason set) gets its notification.suppressed event when
//  the INSERT says it was created.
static void
s_insert (s_event_t *ev, const char *kind, const char *recipient, notify_channel_t channel,
          const char *address, const char *lang, const char *reason)
{
    char *subject, *body;
    if (notify_rules_render_rule (ev->batch->rules, ev->rule, lang, channel, ev->fields,
                             &subject, &body))
        return;
    //  A customer's address is their identity, and their message holds
    //  their query code: the row keeps both sealed (identity_seal.h),
    //  opened again when the row is claimed to send.
    char *sealed = NULL;
    if (streq (kind, "customer")) {
        char *sealed_body = identity_seal_text (ev->batch->store->seal, body,
                                                s_case (ev, CASE_NO), NOTIFY_BODY_PURPOSE);
        if (address && *address)
            sealed = identity_seal_text (ev->batch->store->seal, address, s_case (ev, CASE_NO),
                                         NOTIFY_ADDRESS_PURPOSE);
        if (!sealed_body || (address && *address && !sealed)) {
            free (sealed_body);
            free (sealed);
            free (subject);
            free (body);
            return;
        }
        free (body);
        body = sealed_body;
        if (sealed)
            address = sealed;
    }
    const char *values [ROW_COLUMNS] = {
        ev->seq, ev->rule->type, s_case (ev, CASE_ID), s_case (ev, CASE_NO), kind, recipient,
        notify_channel_name (channel), address, lang, subject, body,
        ev->rule->urgent ? "true" : "false", ev->zone, reason ? "suppressed" : "pending",
        reason ? reason : ""
    };
    for (int i = 0; i < ROW_COLUMNS; i++)
        pg_array_add (&ev->batch->rows [i], values [i]);
    ev->batch->nrows++;
    free (sealed);
    free (subject);
    free (body);
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
static void
s_recipient (s_event_t *ev, const char *kind, const char *recipient, const char *email,
             const char *phone, const char *push_id, const char *lang)
{
    bool customer = streq (kind, "customer");
    const char *optouts = customer ? s_case (ev, CASE_OPTOUTS) : "";
    int told = 0;
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
            s_insert (ev, kind, recipient, channel, address, lang, NULL);
            told++;
        }
    }
    if (customer && told == 0 && ev->rule->groups > 0) {
        s_insert (ev, kind, recipient, ev->rule->group [0][0], "", lang,
                  *why ? why : "no channel");
        log_info ("suppressed", "seq=%s type=%s kind=customer reason=\"%s\"", ev->seq,
                  ev->rule->type, why);
    }
    else
    if (*why)
        log_debug ("channel_skipped", "seq=%s type=%s kind=%s reason=\"%s\"", ev->seq,
                   ev->rule->type, kind, why);
}

static void
s_pgresult_free (void *item)
{
    PQclear ((PGresult *) item);
}

//  The staff of a recipient kind for a case, asked once per batch for each
//  (kind, department, handler). NULL when the store failed.
static PGresult *
s_staff (s_batch_t *batch, const char *kind, const char *department, const char *handler)
{
    char key [256];
    snprintf (key, sizeof key, "%s|%s|%s", kind, department, handler);
    PGresult *staff = zhash_lookup (batch->staff, key);
    if (staff)
        return staff;
    const char *values [3] = { kind, department, handler };
    staff = s_exec (batch->store, "staff_read", s_sql_staff, 3, values, NULL, NULL);
    if (staff) {
        zhash_insert (batch->staff, key, staff);
        zhash_freefn (batch->staff, key, s_pgresult_free);
    }
    return staff;
}

//  The bank's calendar: the zone of times in messages about no case.
static const calendar_t *
s_default_calendar (notify_store_t *self)
{
    return self->calendars ? calendars_find (self->calendars, self->default_calendar) : NULL;
}

//  The staff of a recipient kind for an event about no case: department_head
//  and supervisor of the event's branch (none when it names none), the
//  complaint office and management as always. Then one row per person and
//  channel, as for a case. -1 when the store failed.
static int
s_caseless_recipients (s_event_t *ev, unsigned kinds, const char *branch)
{
    for (int kind = 0; kind < NOTIFY_KINDS; kind++) {
        if (!(kinds & (1u << kind)))
            continue;
        //  notify_rules refuses customer, handler and escalation for these.
        if (kind == NOTIFY_CUSTOMER || kind == NOTIFY_HANDLER)
            continue;
        const char *kname = notify_kind_name ((notify_kind_t) kind);
        PGresult *staff = s_staff (ev->batch, kname, branch, "");
        if (!staff)
            return -1;
        if (PQntuples (staff) == 0)
            log_info ("no_recipient", "seq=%s type=%s kind=%s branch=%s", ev->seq,
                      ev->rule->type, kname, *branch ? branch : "-");
        for (int r = 0; r < PQntuples (staff); r++)
            s_recipient (ev, kname, PQgetvalue (staff, r, 0), PQgetvalue (staff, r, 1),
                         PQgetvalue (staff, r, 2), PQgetvalue (staff, r, 0), "zh");
    }
    return 0;
}

//  A code's words for people: when fields[key] is one of table's codes,
//  key_zh and key_en get its Chinese and English words.
static void
s_put_words (zhash_t *fields, const char *key, const char *(*table) [3], size_t n)
{
    const char *code = zhash_lookup (fields, key);
    char name [32];
    for (size_t k = 0; code && k < n; k++)
        if (streq (code, table [k][0])) {
            snprintf (name, sizeof name, "%s_zh", key);
            s_put (fields, name, table [k][1]);
            snprintf (name, sizeof name, "%s_en", key);
            s_put (fields, name, table [k][2]);
        }
}
#define S_PUT_WORDS(fields, key, table) \
    s_put_words ((fields), (key), (table), sizeof (table) / sizeof (table) [0])

//  What a case event's `kind` (an appraisal's: complaint.appraisal_started,
//  _ended) and `reason` (complaint.closed's) say, for the customer: the
//  closing template words the reason rather than branching on it.
static const char *s_appraisal_kinds [][3] = {
    { "appraisal", "鉴定", "an appraisal" },
    { "testing", "检测", "testing" },
    { "valuation", "评估", "a valuation" },
};
//  Why a complaint was not accepted (complaint.rejected's `reason`, the codes
//  of lifecycle_reject_reasons), for the customer. `duplicate` is worded
//  with the open complaint it duplicates when the event names it
//  (s_reject_duplicate).
static const char *s_reject_reasons [][3] = {
    { "duplicate", "与您另一件尚在处理中的投诉内容相同",
      "it is the same as another complaint of yours that we are still handling" },
    { "in_litigation", "该事项已进入诉讼或仲裁程序，应由法院或仲裁机构处理",
      "the matter is already before a court or an arbitration body, which will decide it" },
    { "already_decided", "该事项此前已处理答复，本次未提出新的事实或理由",
      "we already answered this matter and no new facts or reasons were given" },
    { "not_a_complaint", "所反映的内容属于咨询或建议，不属于投诉，我们已转交相关部门",
      "what you wrote is a question or a suggestion rather than a complaint; we passed it on" },
    { "outside_scope", "该事项不属于本行业务范围",
      "the matter is not part of this bank's business" },
    { "unverifiable", "我们无法核实您的身份或与您取得联系",
      "we could not verify who you are or reach you" },
};
static const char *s_close_reasons [][3] = {
    { "satisfied", "您对处理结果表示满意", "you told us you were satisfied with the outcome" },
    { "no_answer", "回访期限内未收到您的答复",
      "we did not hear from you within the follow-up period" },
    { "review_upheld", "经复核，维持原处理决定（复核由原处理部门以外的人员进行）",
      "the review upheld our decision (it was done by officers outside the department that "
      "decided)" },
    /* issue 16 (i16-followup): closed although not satisfied */
    { "informed_of_routes", "您对处理结果不满意，我们已告知您可选择的其他途径（调解、仲裁、诉讼或向监管部门反映）",
      "you were not satisfied; we told you of the other routes open to you (mediation, "
      "arbitration, a court, the regulator)" },
    { "referred_mediation", "您对处理结果不满意，已按您的意愿转入调解",
      "you were not satisfied; the matter was referred to mediation as you chose" },
    { "referred_arbitration", "您对处理结果不满意，已按您的意愿转入仲裁",
      "you were not satisfied; the matter was referred to arbitration as you chose" },
    { "referred_court", "您对处理结果不满意，您已选择通过诉讼解决",
      "you were not satisfied; you chose to take the matter to court" },
};

//  issue 16 (i16-vetting): why the vetting office returned a proposal
//  (complaint.proposal_returned's `reason`), for the handler.
static const char *s_return_reasons [][3] = {
    { "facts_unverified", "调查事实不清，结论缺乏依据", "the facts found do not support the decision" },
    { "outcome_inadequate", "处理结果未回应客户诉求", "the outcome does not answer the customer's demand" },
    { "amount_unjustified", "金额依据不足或有误", "the amount is not justified, or wrong" },
    { "answer_unclear", "给客户的答复未讲清理由", "the answer to the customer does not explain the reasons" },
    { "rules_not_followed", "未按规定程序处理", "a procedure or rule was not followed" },
};

//  issue 16 (i16-vetting): where a customer may turn besides the bank's
//  own review, for every notice of a decision (complaint.rejected,
//  complaint.resolved): one wording, so the notices cannot drift apart
//  (seed 000_78ccecd39905920f.txt: a clear explanation and the reasons;
//  the 2020 rules: the customer is told of the other routes).
static void
s_put_routes (zhash_t *fields)
{
    s_put (fields, "routes_zh",
           "拨打本行客服热线或到任一网点反映；申请第三方调解（如银行业纠纷调解组织），"
           "或按双方约定申请仲裁；依法向银行保险监督管理机构（监管部门）反映，"
           "或向人民法院提起诉讼");
    s_put (fields, "routes_en",
           "call the bank's complaint line or visit any branch; turn to mediation (a banking "
           "dispute mediation body), or to arbitration where agreed; complain to the regulator "
           "(the banking and insurance regulator), or go to court");
}

//  issue 16 (i16-vetting): the decision's outcomes in words, with their
//  amounts ("kind=amount;kind=" as the case row gives them), and the
//  reasons the customer_text gives (a fallback sentence when none).
static void
s_put_outcomes (zhash_t *fields, const calendar_t *calendar)
{
    const char *list = zhash_lookup (fields, "outcome_list");
    char zh [1024] = "", en [1024] = "";
    size_t zl = 0, el = 0;
    char copy [512];
    snprintf (copy, sizeof copy, "%s", list ? list : "");
    char *save = NULL;
    for (char *item = strtok_r (copy, ";", &save); item; item = strtok_r (NULL, ";", &save)) {
        char *eq = strchr (item, '=');
        const char *amount = eq && eq [1] ? eq + 1 : NULL;
        if (eq)
            *eq = 0;
        int n = snprintf (zh + zl, sizeof zh - zl, "%s%s%s%s%s", zl ? "；" : "",
                          act_outcome_words (item, "zh"), amount ? " " : "",
                          amount ? amount : "", amount ? " 元" : "");
        if (n > 0 && (size_t) n < sizeof zh - zl)
            zl += (size_t) n;
        n = snprintf (en + el, sizeof en - el, "%s%s%s%s%s", el ? "; " : "",
                      act_outcome_words (item, "en"), amount ? " of " : "",
                      amount ? amount : "", amount ? " CNY" : "");
        if (n > 0 && (size_t) n < sizeof en - el)
            el += (size_t) n;
    }
    if (zl == 0) {          /* a case decided before issue 16: its one outcome */
        const char *outcome = zhash_lookup (fields, "outcome");
        const char *amount = zhash_lookup (fields, "amount");
        bool money = amount && *amount;
        snprintf (zh, sizeof zh, "%s%s%s%s", act_outcome_words (outcome, "zh"),
                  money ? " " : "", money ? amount : "", money ? " 元" : "");
        snprintf (en, sizeof en, "%s%s%s%s", act_outcome_words (outcome, "en"),
                  money ? " of " : "", money ? amount : "", money ? " CNY" : "");
    }
    s_put (fields, "outcomes_zh", zh);
    s_put (fields, "outcomes_en", en);
    const char *text = zhash_lookup (fields, "customer_text");
    bool has_text = text && *text;
    s_put (fields, "reasons_zh", has_text ? text : "处理经过和理由已由经办人员向您说明");
    s_put (fields, "reasons_en", has_text ? text
                                          : "the officer handling your complaint explained them"
                                            " to you");
    char days [24];
    snprintf (days, sizeof days, "%ld", s_review_days);
    s_put (fields, "review_days", days);
    //  The last day a review may be asked, on the case's calendar: the
    //  function intake enforces the window with (common/review_window.c;
    //  issue 16 follow-up, watchdog2): a window ending on a day off ends
    //  on the next working day.
    const char *ms = zhash_lookup (fields, "resolved_ms");
    int64_t resolved = ms ? atoll (ms) : 0;
    char until [16];
    if (resolved > 0 && calendar
    &&  *review_window_last_day (calendar, resolved, s_review_days, until, sizeof until))
        s_put (fields, "review_until", until);
}

//  The words of a hot spot's kind, for people.
static const char *s_hotspot_kinds [][3] = {
    { "outlet", "同一网点同类投诉", "repeated complaints of one kind at one outlet" },
    { "repeat_customer", "同一客户多次投诉", "one customer complaining repeatedly" },
    { "surge", "投诉量激增", "a surge of complaints" },
};

//  A duplicate's reason names the open complaint (a complaint number is not
//  personal data), so the customer knows which number to quote from now on.
static void
s_reject_duplicate (zhash_t *fields)
{
    const char *reason = zhash_lookup (fields, "reason");
    const char *first = zhash_lookup (fields, "duplicate_of");
    if (!reason || !first || !streq (reason, "duplicate"))
        return;
    char words [256];
    snprintf (words, sizeof words, "与您尚在处理中的投诉 %s 内容相同，将在该投诉中一并处理", first);
    s_put (fields, "reason_zh", words);
    snprintf (words, sizeof words,
              "it is the same as your complaint %s, which we are still handling and in which "
              "we will deal with it", first);
    s_put (fields, "reason_en", words);
}

//  Why a hot spot was cleared (analytics.hotspot_cleared's `reason`), for people.
static const char *s_hotspot_reasons [][3] = {
    { "cooled", "已降至规则的消退线", "it fell to the rule's clearing level" },
    { "rule_removed", "其规则已从 hotspots.conf 删除", "its rule was removed from hotspots.conf" },
    { "rule_changed", "hotspots.conf 中同名规则已改为其他类型或分组",
      "the rule of that name in hotspots.conf now is of another kind or grouping" },
};

//  Every row of an event about no single case (proto/events.c: caseless):
//  the template's values and the recipients come from the event's data and
//  the directory, never from a case. Times in the bank's calendar zone (the
//  default calendar's). -1 when the store failed.
static int
s_event_caseless (s_batch_t *batch, const notify_rule_t *rule, const char *seq, json_t *data)
{
    notify_store_t *self = batch->store;
    const calendar_t *calendar = s_default_calendar (self);
    s_event_t ev = { .batch = batch, .rule = rule, .kase = -1, .seq = seq };
    ev.zone = calendar ? calendar_timezone (calendar) : "Asia/Shanghai";
    zhash_t *fields = zhash_new ();
    ev.fields = fields;
    const char *keys [] = { "kind", "rule", "branch", "cause", "business_line", "customer",
                            "count", "window", "threshold", "baseline", "baseline_days",
                            "p_value", "reason", NULL };
    for (int i = 0; keys [i]; i++)
        s_put_json (fields, keys [i], json_object_get (data, keys [i]));
    const char *times [] = { "first_at", "last_at", "opened_at", "cleared_at", NULL };
    for (int i = 0; times [i]; i++) {
        json_t *at = json_object_get (data, times [i]);
        if (json_is_integer (at))
            s_put_time (fields, times [i], calendar, json_integer_value (at), false);
    }
    //  issue 16 (i16-tasks): a rectification item's number and deadline; an
    //  accountability item's number and its trigger (as `task`, `reason`)
    s_put_json (fields, "task", json_object_get (data, "task"));
    s_put_json (fields, "task", json_object_get (data, "item"));
    s_put_json (fields, "reason", json_object_get (data, "trigger"));
    json_t *due = json_object_get (data, "due_at");
    if (json_is_integer (due))
        s_put_time (fields, "event_due_at", calendar, json_integer_value (due), true);
    //  Sample complaint numbers, as one line.
    char samples [EVENTS_MAX_LIST * 24] = "";
    size_t i;
    json_t *no;
    json_array_foreach (json_object_get (data, "samples"), i, no)
        if (json_is_string (no) && strlen (samples) + json_string_length (no) + 3 < sizeof samples)
            snprintf (samples + strlen (samples), sizeof samples - strlen (samples), "%s%s",
                      *samples ? ", " : "", json_string_value (no));
    s_put (fields, "samples", samples);
    S_PUT_WORDS (fields, "kind", s_hotspot_kinds);
    S_PUT_WORDS (fields, "reason", s_hotspot_reasons);
    //  The branch's name from the directory (the event carries its id).
    const char *branch = zhash_lookup (fields, "branch");
    if (branch) {
        const char *values [1] = { branch };
        PGresult *res = s_exec (self, "department_name",
                                "SELECT name FROM department WHERE id = $1", 1, values, NULL,
                                NULL);
        if (!res) {
            zhash_destroy (&fields);
            return -1;
        }
        if (PQntuples (res) == 1)
            s_put (fields, "branch_name", PQgetvalue (res, 0, 0));
        PQclear (res);
    }
    //  What it is about, in a word or three: the subject line's.
    char about [256] = "";
    const char *branch_name = zhash_lookup (fields, "branch_name");
    const char *parts [] = { branch_name ? branch_name : branch, zhash_lookup (fields, "cause"),
                             zhash_lookup (fields, "business_line"),
                             zhash_lookup (fields, "customer") };
    for (size_t p = 0; p < sizeof parts / sizeof parts [0]; p++)
        if (parts [p])
            snprintf (about + strlen (about), sizeof about - strlen (about), "%s%s",
                      *about ? " / " : "", parts [p]);
    s_put (fields, "about", about);
    int rc = s_caseless_recipients (&ev, rule->kinds, branch ? branch : "");
    zhash_destroy (&fields);
    return rc;
}

static int s_event_recipients (s_event_t *ev, json_t *data);

//  Every row of one event, added to the batch. -1 when the store failed.
static int
s_event (s_batch_t *batch, const char *seq, const char *type, const char *complaint_no,
         const unsigned char *bytes, size_t size)
{
    notify_store_t *self = batch->store;
    const notify_rule_t *rule = notify_rules_find (batch->rules, type);
    if (!rule)
        return 0;
    const events_decl_t *decl = events_find (type);
    if (decl && decl->caseless) {
        proto_error_t perr;
        json_t *event = msgpack_json_decode (bytes, size, EVENT_MAX_SIZE, EVENT_MAX_DEPTH, &perr);
        if (!event) {
            log_warn ("event_undecodable", "seq=%s type=%s action=skip", seq, type);
            return 0;
        }
        int rc = 0;
        for (; rule && rc == 0; rule = notify_rules_next (batch->rules, rule))
            rc = s_event_caseless (batch, rule, seq, json_object_get (event, "data"));
        json_decref (event);
        return rc;
    }
    if (!*complaint_no)
        return 0;
    uintptr_t kase = (uintptr_t) zhash_lookup (batch->case_index, complaint_no);
    if (!kase) {
        log_warn ("case_missing", "seq=%s type=%s complaint_no=%s action=skip", seq, type,
                  complaint_no);
        return 0;
    }
    proto_error_t perr;
    json_t *event = msgpack_json_decode (bytes, size, EVENT_MAX_SIZE, EVENT_MAX_DEPTH, &perr);
    if (!event) {
        log_warn ("event_undecodable", "seq=%s type=%s action=skip", seq, type);
        return 0;
    }
    json_t *data = json_object_get (event, "data");
    s_event_t ev = { .batch = batch, .rule = rule, .kase = (int) kase - 1, .seq = seq };
    //  The case's calendar says its time zone: the first clock's, else the
    //  default (a receipt is consumed before the watchdog starts a clock).
    const char *cal_name = s_case (&ev, CASE_CALENDAR);
    const calendar_t *calendar = self->calendars ? calendars_find (self->calendars,
                                                   *cal_name ? cal_name : self->default_calendar)
                                                 : NULL;
    if (!calendar && self->calendars)
        calendar = calendars_find (self->calendars, self->default_calendar);
    zhash_t *fields = zhash_new ();
    s_put (fields, "complaint_no", complaint_no);
    s_put (fields, "department", s_case (&ev, CASE_DEPARTMENT));
    s_put (fields, "handler", s_case (&ev, CASE_HANDLER));
    for (int i = 0; s_case_fields [i]; i++)
        s_put (fields, s_case_fields [i], s_case (&ev, CASE_TEXT_FIELDS + i));
    s_put (fields, "customer_name", S_WHO (&ev, name));
    s_put (fields, "query_code", batch->who ? batch->who [ev.kase].query_code : "");
    /* issue 16 (i16-followup): the survey link, while the survey is open */
    const char *survey = batch->who ? batch->who [ev.kase].survey_token : "";
    char survey_url [512] = "";
    if (self->survey_url && *survey)
        snprintf (survey_url, sizeof survey_url, "%s?t=%s", self->survey_url, survey);
    s_put (fields, "survey_url", survey_url);
    const char *expires = zhash_lookup (fields, "survey_expires_ms");
    if (*survey_url && expires)
        s_put_time (fields, "survey_until", calendar, atoll (expires), false);
    s_put_time (fields, "received_at", calendar, atoll (s_case (&ev, CASE_RECEIVED_MS)), false);
    s_put_time (fields, "due_at", calendar, atoll (s_case (&ev, CASE_DUE_MS)), true);
    json_t *due = json_object_get (data, "due_at");
    if (json_is_integer (due))
        s_put_time (fields, "event_due_at", calendar, json_integer_value (due), true);
    json_t *previous = json_object_get (data, "previous_due_at");
    if (json_is_integer (previous))
        s_put_time (fields, "event_previous_due_at", calendar, json_integer_value (previous),
                    true);
    const char *keys [] = { "stage", "percent", "tier", "step", "adds", NULL };
    for (int i = 0; keys [i]; i++)
        s_put_json (fields, keys [i], json_object_get (data, keys [i]));
    //  issue 16 (i16-tasks): a task's number and the department asked
    s_put_json (fields, "task", json_object_get (data, "task"));
    s_put_json (fields, "task_department", json_object_get (data, "department"));
    //  An extension's span as people read it ("30日", "30 days"), not the
    //  policy's "30d" (sla.extended; a pre-issue-15 "+15d" reads alike).
    const char *adds = json_string_value (json_object_get (data, "adds"));
    span_t adds_span;
    char why [CALENDAR_ERR_SIZE], words [64];
    if (adds && span_parse (adds, &adds_span, why, sizeof why) == 0) {
        span_words (adds_span, "zh", words, sizeof words);
        s_put (fields, "adds_zh", words);
        span_words (adds_span, "en", words, sizeof words);
        s_put (fields, "adds_en", words);
    }
    //  The stage's name for Chinese readers (the event says "acknowledge").
    static const char *stages [][2] = {
        { "acknowledge", "受理" }, { "first_response", "首次响应" },
        { "resolution", "办结" }, { "review", "复核" },
        { "solution", "解决方案" }, { "referral_reply", "对口回复" },
        { "service", "内部处理" },         /* the bank's internal clock (issue 15) */
        { "callback", "回访" }             /* issue 16 (i16-followup) */
    };
    const char *stage = zhash_lookup (fields, "stage");
    for (size_t i = 0; stage && i < sizeof stages / sizeof stages [0]; i++)
        if (streq (stage, stages [i][0]))
            s_put (fields, "stage_zh", stages [i][1]);
    if (!zhash_lookup (fields, "outcome"))
        s_put_json (fields, "outcome", json_object_get (data, "outcome"));
    s_put_json (fields, "kind", json_object_get (data, "kind"));
    s_put_json (fields, "reason", json_object_get (data, "reason"));
    S_PUT_WORDS (fields, "kind", s_appraisal_kinds);
    S_PUT_WORDS (fields, "reason", s_close_reasons);
    s_put_json (fields, "duplicate_of", json_object_get (data, "duplicate_of"));
    s_put_json (fields, "merged_into", json_object_get (data, "merged_into"));
    if (streq (type, "complaint.rejected")) {
        S_PUT_WORDS (fields, "reason", s_reject_reasons);
        s_reject_duplicate (fields);
    }
    /* issue 16 (i16-vetting) */
    if (streq (type, "complaint.proposal_returned"))
        S_PUT_WORDS (fields, "reason", s_return_reasons);
    if (streq (type, "complaint.resolved") || streq (type, "complaint.proposed"))
        s_put_outcomes (fields, calendar);
    if (streq (type, "complaint.resolved") || streq (type, "complaint.rejected"))
        s_put_routes (fields);
    ev.zone = calendar ? calendar_timezone (calendar) : "Asia/Shanghai";
    ev.fields = fields;

    //  Every rule of the type (told: one per recipient kind), each only for
    //  the stages it names.
    int rc = 0;
    for (; rule && rc == 0; rule = notify_rules_next (batch->rules, rule))
        if (notify_rule_takes_stage (rule, stage)) {
            ev.rule = rule;
            rc = s_event_recipients (&ev, data);
        }
    zhash_destroy (&fields);
    json_decref (event);
    return rc;
}

//  issue 16 follow-up (vetting2): the recipient kind `proposer` — the
//  author of the case's proposal on record, read with the case when the
//  event is consumed (as the handler is). A rule cannot filter on the
//  action that made an event, and complaint.resolved comes from a direct
//  resolve as from an approval: a direct resolve (data.action "resolve")
//  has no proposer, so "" (nobody) — the resolve also cleared the column,
//  this says it for an event consumed after a later proposal.
static const char *
s_proposer (s_event_t *ev, json_t *data)
{
    const char *action = json_string_value (json_object_get (data, "action"));
    if (action && streq (action, "resolve"))
        return "";
    return s_case (ev, CASE_PROPOSED_BY);
}

//  The rows of one rule for one event about a case. -1 when the store failed.
static int
s_event_recipients (s_event_t *evp, json_t *data)
{
    s_event_t ev = *evp;
    s_batch_t *batch = ev.batch;
    const notify_rule_t *rule = ev.rule;
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
    int rc = 0;
    for (int kind = 0; kind < NOTIFY_KINDS && rc == 0; kind++) {
        if (!(kinds & (1u << kind)))
            continue;
        const char *kname = notify_kind_name ((notify_kind_t) kind);
        if (kind == NOTIFY_CLOCK_OWNER)     /* issue 16 follow-up (watchdog2) */
            kname = notify_clock_owner (json_string_value (json_object_get (data, "stage")));
        if (kind == NOTIFY_CUSTOMER) {
            s_recipient (&ev, kname, "customer", S_WHO (&ev, email), S_WHO (&ev, phone),
                         S_WHO (&ev, account), s_case (&ev, CASE_LANG));
            continue;
        }
        const char *department = s_case (&ev, CASE_DEPARTMENT);
        json_t *asked = json_object_get (data, "department");       /* issue 16 (i16-tasks) */
        if (kind == NOTIFY_TASK_DEPARTMENT)
            department = json_is_string (asked) ? json_string_value (asked) : "";
        const char *person = s_case (&ev, CASE_HANDLER);
        if (kind == NOTIFY_PROPOSER) {          /* issue 16 follow-up (vetting2) */
            person = s_proposer (&ev, data);
            if (!*person)
                continue;
        }
        PGresult *staff = s_staff (batch, kname, department, person);
        if (!staff) {
            rc = -1;
            break;
        }
        for (int r = 0; r < PQntuples (staff); r++)
            s_recipient (&ev, kname, PQgetvalue (staff, r, 0), PQgetvalue (staff, r, 1),
                         PQgetvalue (staff, r, 2), PQgetvalue (staff, r, 0), "zh");
    }
    return rc;
}

//  Open each case's customer and query code. One that does not open (its
//  key is not in the file) leaves the customer unreachable, logged: the
//  suppressed row says so and the complaint office phones them.
static void
s_batch_open (s_batch_t *batch)
{
    int n = PQntuples (batch->cases);
    batch->who = calloc ((size_t) n + 1, sizeof *batch->who);
    assert (batch->who);
    for (int r = 0; r < n; r++) {
        const char *no = PQgetvalue (batch->cases, r, CASE_NO);
        size_t len = 0, code_len = 0, got = 0;
        unsigned char *sealed = identity_sealed_from_hex (PQgetvalue (batch->cases, r, CASE_SEALED), &len);
        unsigned char *code = identity_sealed_from_hex (PQgetvalue (batch->cases, r, CASE_CODE_SEALED), &code_len);
        s_who_t *who = &batch->who [r];
        bool opened = !sealed
                   || identity_open_customer (batch->store->seal, sealed, len, no, &who->id) == 0;
        if (code) {
            if (code_len == QUERY_CODE_SIZE - 1 + IDENTITY_SEAL_OVERHEAD
            &&  identity_seal_open (batch->store->seal, code, code_len, no, IDENTITY_PURPOSE_QUERY_CODE,
                                    (unsigned char *) who->query_code, &got) == 0)
                who->query_code [got] = 0;
            else
                opened = false;
        }
        /* issue 16 (i16-followup): the survey link's token */
        size_t slen = 0;
        unsigned char *survey = identity_sealed_from_hex (
            PQgetvalue (batch->cases, r, CASE_SURVEY_SEALED), &slen);
        if (survey && slen > IDENTITY_SEAL_OVERHEAD
        &&  slen - IDENTITY_SEAL_OVERHEAD <= SURVEY_TOKEN_SIZE
        &&  identity_seal_open (batch->store->seal, survey, slen, no, NOTIFY_SURVEY_PURPOSE,
                                (unsigned char *) who->survey_token, &got) == 0)
            who->survey_token [got] = 0;
        free (survey);
        if (!opened)
            log_warn ("identity_unopened", "complaint_no=%s reason=\"its key is not in the key"
                      " file, or the value was altered\"", no);
        free (sealed);
        free (code);
    }
}

static void
s_batch_wipe (s_batch_t *batch)
{
    if (!batch->who)
        return;
    for (int r = 0; batch->cases && r < PQntuples (batch->cases); r++) {
        identity_clear (&batch->who [r].id);
        sodium_memzero (batch->who [r].query_code, QUERY_CODE_SIZE);
        sodium_memzero (batch->who [r].survey_token, sizeof batch->who [r].survey_token);
    }
    free (batch->who);
    batch->who = NULL;
}

//  The cases the batch's events concern, in one query. 0, -1.
static int
s_batch_cases (s_batch_t *batch, PGresult *events)
{
    pg_array_t nos = { 0 };
    pg_array_begin (&nos);
    zhash_t *seen = zhash_new ();
    for (int i = 0; i < PQntuples (events); i++) {
        const char *no = PQgetvalue (events, i, 2);
        if (*no && !PQgetisnull (events, i, 3) && !zhash_lookup (seen, no)) {
            zhash_insert (seen, no, (void *) 1);
            pg_array_add (&nos, no);
        }
    }
    zhash_destroy (&seen);
    int rc = 0;
    if (nos.count > 0) {
        const char *values [1] = { pg_array_end (&nos) };
        batch->cases = s_exec (batch->store, "case_read", s_sql_cases, 1, values, NULL,
                               NULL);
        if (!batch->cases)
            rc = -1;
        for (int r = 0; batch->cases && r < PQntuples (batch->cases); r++)
            zhash_insert (batch->case_index, PQgetvalue (batch->cases, r, CASE_NO),
                          (void *) (uintptr_t) (r + 1));
        if (batch->cases)
            s_batch_open (batch);
    }
    pg_array_destroy (&nos);
    return rc;
}

//  Insert the batch's rows; the suppressed ones created get their event.
//  Returns rows created, -1.
static int
s_batch_insert (s_batch_t *batch)
{
    if (batch->nrows == 0)
        return 0;
    const char *values [ROW_COLUMNS];
    for (int i = 0; i < ROW_COLUMNS; i++)
        values [i] = pg_array_end (&batch->rows [i]);
    PGresult *res = s_exec (batch->store, "notification_insert", s_sql_insert,
                            ROW_COLUMNS, values, NULL, NULL);
    if (!res)
        return -1;
    int created = PQntuples (res);
    s_events_t events = { 0 };
    s_events_begin (&events);
    for (int i = 0; i < created; i++)
        if (streq (PQgetvalue (res, i, 6), "t"))
            s_events_add (&events, "notification.suppressed", PQgetvalue (res, i, 4),
                          atoll (PQgetvalue (res, i, 0)), atoll (PQgetvalue (res, i, 1)),
                          PQgetvalue (res, i, 2), PQgetvalue (res, i, 3), 0,
                          PQgetvalue (res, i, 5), NULL);
    int rc = s_events_flush (batch->store, &events);
    s_events_end (&events);
    PQclear (res);
    return rc ? -1 : created;
}

//  Turn a batch of events (seq, type, complaint_no, event or NULL when no
//  rule wants it) into rows. Returns rows created, -1.
static int
s_consume_events (notify_store_t *self, notify_rules_t *rules, PGresult *events)
{
    s_batch_t batch = { .store = self, .rules = rules };
    batch.case_index = zhash_new ();
    batch.staff = zhash_new ();
    for (int i = 0; i < ROW_COLUMNS; i++)
        pg_array_begin (&batch.rows [i]);
    int rc = s_batch_cases (&batch, events);
    for (int i = 0; rc == 0 && i < PQntuples (events); i++) {
        if (PQgetisnull (events, i, 3))
            continue;
        size_t size = 0;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (events, i, 3),
                                                &size);
        if (bytes)
            rc = s_event (&batch, PQgetvalue (events, i, 0), PQgetvalue (events, i, 1),
                          PQgetvalue (events, i, 2), bytes, size);
        PQfreemem (bytes);
    }
    int created = rc == 0 ? s_batch_insert (&batch) : -1;
    for (int i = 0; i < ROW_COLUMNS; i++)
        pg_array_destroy (&batch.rows [i]);
    zhash_destroy (&batch.staff);
    zhash_destroy (&batch.case_index);
    s_batch_wipe (&batch);
    PQclear (batch.cases);
    return created;
}

int
notify_store_consume (notify_store_t *self, notify_rules_t *rules, int batch, int *created)
{
    *created = 0;
    PGresult *res = s_exec (self, "begin", "BEGIN", 0, NULL, NULL, NULL);
    if (!res)
        return -1;
    PQclear (res);
    const char *values [2] = { self->consumer, NULL };
    res = s_exec (self, "cursor_lock",
                  "SELECT last_seq FROM notifier_cursor WHERE consumer = $1"
                  " FOR NO KEY UPDATE SKIP LOCKED", 1, values, NULL, NULL);
    if (!res || PQntuples (res) == 0) {
        //  Another instance consumes now (or the store failed).
        PQclear (res);
        pg_session_rollback (self->pg);
        return res ? 0 : -1;
    }
    char last [32], limit [16];
    snprintf (last, sizeof last, "%s", PQgetvalue (res, 0, 0));
    snprintf (limit, sizeof limit, "%d", batch);
    PQclear (res);
    //  Only the events a rule wants carry their payload (most of the stream
    //  is notification.* events this notifier caused itself). An event about
    //  a case without its complaint_no is skipped in s_event; one about no
    //  case (analytics.hotspot) has none.
    const char *types = notify_rules_types (rules);
    const char *evalues [3] = { last, limit, types };
    PGresult *events = s_exec (self, "events_read",
        "SELECT seq, type, coalesce (complaint_no, ''),"
        "  CASE WHEN type = ANY ($3::text[]) THEN event END"
        " FROM event_log WHERE seq > $1 ORDER BY seq LIMIT $2", 3, evalues, NULL, NULL);
    if (!events) {
        pg_session_rollback (self->pg);
        return -1;
    }
    int n = PQntuples (events);
    int64_t cursor = strtoll (n > 0 ? PQgetvalue (events, n - 1, 0) : last, NULL, 10);
    int rc = n > 0 ? s_consume_events (self, rules, events) : 0;
    if (rc >= 0 && n > 0) {
        *created = rc;
        values [1] = PQgetvalue (events, n - 1, 0);
        res = s_exec (self, "cursor_update",
                      "UPDATE notifier_cursor SET last_seq = $2, updated_at = now ()"
                      " WHERE consumer = $1", 2, values, NULL, NULL);
        PQclear (res);
        rc = res ? 0 : -1;
    }
    PQclear (events);
    if (rc < 0) {
        pg_session_rollback (self->pg);
        *created = 0;
        return -1;
    }
    res = s_exec (self, "commit", "COMMIT", 0, NULL, NULL, NULL);
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

//  Rows whose sender died (still 'sending' after the lease) go back to the
//  queue as they were — no attempt counted — and are claimed like any other
//  due row: through the rate, the opt-outs and quiet hours. Through the
//  partial index on leases: costs what expired. Returns how many, -1.
static int
s_release_expired (notify_store_t *self, int limit)
{
    char limit_text [16];
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    const char *values [1] = { limit_text };
    PGresult *res = s_exec (self, "lease_release",
        "UPDATE notification SET state = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END,"
        "  lease_owner = NULL, lease_until = NULL, next_attempt_at = app_now ()"
        " WHERE id IN (SELECT id FROM notification"
        "   WHERE state = 'sending' AND lease_until < app_now ()"
        "   ORDER BY lease_until LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED)",
        1, values, NULL, NULL);
    if (!res)
        return -1;
    int n = atoi (PQcmdTuples (res));
    PQclear (res);
    if (n > 0)
        log_info ("leases_expired", "rows=%d action=requeue", n);
    return n;
}

//  Every channel's claim in one call of notify_claim (migration 011): each
//  channel its own share of at most cfg->batch rows, oldest due first,
//  through the partial index on (channel, next_attempt_at) of rows still
//  owed — so a claim's cost is what it claims, never the backlog of this
//  or another channel — each rated gateway within its token bucket (the
//  bucket row locked to the COMMIT: notifiers claiming at once share one
//  rate). Of the rows taken, each comes back as
//      's'  suppressed: a customer who has since opted out of the channel;
//      'd'  deferred: a customer's, not urgent, on a quiet channel, inside
//           quiet hours in the row's zone: moved to the window's end (no
//           attempt counted; deferred_until says so);
//      'c'  claimed: 'sending' with a lease, returned to be sent.
//  It was up to ten statements a pass (bucket, claim, spend per channel),
//  each a round trip; the steps are the function's, unchanged.
static const char *s_sql_claim =
    "SELECT what, id, event_seq, attempts, channel, recipient_kind, recipient, address,"
    "  subject, body, message_id, complaint_no, last_error"
    " FROM notify_claim ($1, $2::int, $3::bigint, $4::text[], $5::float8[], $6::boolean[],"
    "                    $7::time, $8::time)";

//  The claim of every channel. Rows to send are appended to rows at
//  *count; suppressed ones get their event in events. -1 on failure.
static int
s_claim_channels (notify_store_t *self, const notify_claim_cfg_t *cfg, notify_row_t *rows,
                  int *count, s_events_t *events, int *suppressed, int *deferred)
{
    pg_array_t channels = { 0 }, rates = { 0 }, quiet = { 0 };
    pg_array_begin (&channels);
    pg_array_begin (&rates);
    pg_array_begin (&quiet);
    for (int c = 0; c < NOTIFY_CHANNELS; c++) {
        char rate [24];
        snprintf (rate, sizeof rate, "%ld", c == NOTIFY_INBOX ? 0 : cfg->rate [c]);
        pg_array_add (&channels, notify_channel_name ((notify_channel_t) c));
        pg_array_add (&rates, rate);
        pg_array_add (&quiet, cfg->quiet_from && (cfg->quiet_channels & (1u << c)) ? "t" : "f");
    }
    char batch [16], lease [24];
    snprintf (batch, sizeof batch, "%d", cfg->batch);
    snprintf (lease, sizeof lease, "%ld", cfg->lease_ms);
    const char *values [8] = {
        self->name, batch, lease, pg_array_end (&channels), pg_array_end (&rates),
        pg_array_end (&quiet), cfg->quiet_from ? cfg->quiet_from : "00:00",
        cfg->quiet_from ? cfg->quiet_to : "00:00"
    };
    PGresult *res = s_exec (self, "claim", s_sql_claim, 8, values, NULL, NULL);
    pg_array_destroy (&channels);
    pg_array_destroy (&rates);
    pg_array_destroy (&quiet);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples (res); i++) {
        char what = *PQgetvalue (res, i, 0);
        if (what == 'd') {
            (*deferred)++;
            continue;
        }
        if (what == 's') {
            (*suppressed)++;
            s_events_add (events, "notification.suppressed", PQgetvalue (res, i, 11),
                          atoll (PQgetvalue (res, i, 1)), atoll (PQgetvalue (res, i, 2)),
                          PQgetvalue (res, i, 4), PQgetvalue (res, i, 5),
                          atoi (PQgetvalue (res, i, 3)), PQgetvalue (res, i, 12), NULL);
            continue;
        }
        notify_row_t *row = &rows [(*count)++];
        row->id = atoll (PQgetvalue (res, i, 1));
        row->event_seq = atoll (PQgetvalue (res, i, 2));
        row->attempts = atoi (PQgetvalue (res, i, 3));
        row->channel = strdup (PQgetvalue (res, i, 4));
        row->recipient_kind = strdup (PQgetvalue (res, i, 5));
        row->recipient = strdup (PQgetvalue (res, i, 6));
        row->subject = strdup (PQgetvalue (res, i, 8));
        row->message_id = strdup (PQgetvalue (res, i, 10));
        row->complaint_no = strdup (PQgetvalue (res, i, 11));
        //  A customer's address and message were sealed at creation: opened
        //  for the send. One that does not open is sent nowhere ("no
        //  address": retried, then dead), and said so.
        row->body = identity_open_text (self->seal, PQgetvalue (res, i, 9), row->complaint_no,
                                        NOTIFY_BODY_PURPOSE);
        row->address = identity_open_text (self->seal, PQgetvalue (res, i, 7),
                                           row->complaint_no, NOTIFY_ADDRESS_PURPOSE);
        if (!row->body) {
            row->body = strdup ("");
            free (row->address);
            row->address = NULL;
        }
        if (!row->address) {
            log_warn ("address_unopened", "id=%" PRId64 " complaint_no=%s reason=\"its key is"
                      " not in the key file, or the value was altered\"", row->id,
                      row->complaint_no);
            row->address = strdup ("");
        }
    }
    PQclear (res);
    return 0;
}

int
notify_store_claim (notify_store_t *self, const notify_claim_cfg_t *cfg, int *suppressed,
                    int *deferred, notify_row_t **rows)
{
    *rows = NULL;
    *suppressed = *deferred = 0;
    PGresult *res = s_exec (self, "begin", "BEGIN", 0, NULL, NULL, NULL);
    if (!res)
        return -1;
    PQclear (res);
    int count = 0;
    *rows = calloc ((size_t) cfg->batch * NOTIFY_CHANNELS, sizeof (notify_row_t));
    assert (*rows);
    s_events_t events = { 0 };
    s_events_begin (&events);
    if (s_release_expired (self, cfg->batch) < 0)
        goto failed;
    if (s_claim_channels (self, cfg, *rows, &count, &events, suppressed, deferred))
        goto failed;
    if (s_events_flush (self, &events))
        goto failed;
    res = s_exec (self, "commit", "COMMIT", 0, NULL, NULL, NULL);
    if (!res)
        goto failed;
    PQclear (res);
    s_events_end (&events);
    if (count == 0) {
        free (*rows);
        *rows = NULL;
    }
    return count;
failed:
    s_events_end (&events);
    pg_session_rollback (self->pg);
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

//  Exponential back-off with "equal jitter": half the delay fixed, half
//  random, so instances that failed together do not retry together. A
//  gateway's Retry-After is the least it gets.
static long
s_backoff (const notify_row_t *row, long min_delay_ms, const notify_claim_cfg_t *cfg)
{
    int shift = row->attempts < 30 ? row->attempts : 30;
    long delay = cfg->backoff_ms << shift;
    if (delay > cfg->backoff_cap_ms || delay <= 0)
        delay = cfg->backoff_cap_ms;
    delay = delay / 2 + (long) randof (delay / 2 + 1);
    return delay < min_delay_ms ? min_delay_ms : delay;
}

//  Every outcome of a delivery batch in one transaction: one UPDATE from
//  arrays (only rows this instance still leases), the inbox rows of those
//  sent to the inbox, one outbox INSERT of their notification.* events.
int
notify_store_record (notify_store_t *self, notify_outcome_t *outcomes, int n,
                     const notify_claim_cfg_t *cfg)
{
    if (n == 0)
        return 0;
    pg_array_t ids = { 0 }, states = { 0 }, delays = { 0 }, errors = { 0 };
    pg_array_begin (&ids);
    pg_array_begin (&states);
    pg_array_begin (&delays);
    pg_array_begin (&errors);
    zhash_t *by_id = zhash_new ();
    int *intended = calloc ((size_t) n, sizeof (int));
    assert (intended);
    for (int i = 0; i < n; i++) {
        notify_outcome_t *o = &outcomes [i];
        const notify_row_t *row = o->row;
        char id [24], delay [24];
        snprintf (id, sizeof id, "%" PRId64, row->id);
        bool dead = !o->sent && (o->permanent || row->attempts + 1 >= cfg->max_attempts);
        intended [i] = o->sent ? NOTIFY_SENT : dead ? NOTIFY_DEAD : NOTIFY_FAILED;
        //  Until the store says this instance still held the row.
        o->result = NOTIFY_LEASE_LOST;
        snprintf (delay, sizeof delay, "%ld", o->sent ? 0 : s_backoff (row, o->min_delay_ms, cfg));
        pg_array_add (&ids, id);
        pg_array_add (&states, o->sent ? "sent" : dead ? "dead" : "failed");
        pg_array_add (&delays, delay);
        pg_array_add (&errors, o->sent ? "" : *o->error ? o->error : "failed");
        zhash_insert (by_id, id, (void *) (uintptr_t) (i + 1));
    }
    int rc = -1;
    s_events_t events = { 0 };
    s_events_begin (&events);
    PGresult *res = s_exec (self, "begin", "BEGIN", 0, NULL, NULL, NULL);
    if (!res)
        goto done;
    PQclear (res);
    const char *values [5] = {
        self->name, pg_array_end (&ids), pg_array_end (&states), pg_array_end (&delays),
        pg_array_end (&errors)
    };
    res = s_exec (self, "record",
        "UPDATE notification n SET state = t.state, attempts = n.attempts + 1,"
        "  sent_at = CASE WHEN t.state = 'sent' THEN app_now () END,"
        "  next_attempt_at = CASE WHEN t.state = 'sent' THEN n.next_attempt_at"
        "    ELSE app_now () + t.delay * interval '1 millisecond' END,"
        "  last_error = nullif (t.error, ''), lease_owner = NULL, lease_until = NULL"
        " FROM unnest ($2::bigint[], $3::text[], $4::bigint[], $5::text[])"
        "   AS t (id, state, delay, error)"
        " WHERE n.id = t.id AND n.state = 'sending' AND n.lease_owner = $1"
        " RETURNING n.id, n.attempts",
        5, values, NULL, NULL);
    if (!res)
        goto rollback;
    //  What is not returned was taken over by another instance (our lease
    //  ran out): its outcome is theirs to record, and stays LEASE_LOST here.
    pg_array_t inbox = { 0 };
    pg_array_begin (&inbox);
    for (int i = 0; i < PQntuples (res); i++) {
        uintptr_t k = (uintptr_t) zhash_lookup (by_id, PQgetvalue (res, i, 0));
        if (!k)
            continue;
        notify_outcome_t *o = &outcomes [k - 1];
        o->result = intended [k - 1];
        const notify_row_t *row = o->row;
        const char *type = o->result == NOTIFY_SENT ? "notification.sent"
                         : o->result == NOTIFY_DEAD ? "notification.dead" : "notification.failed";
        s_events_add (&events, type, row->complaint_no, row->id, row->event_seq, row->channel,
                      row->recipient_kind, atoi (PQgetvalue (res, i, 1)),
                      o->sent ? NULL : *o->error ? o->error : "failed", row->address);
        if (o->sent && streq (row->channel, "inbox"))
            pg_array_add (&inbox, PQgetvalue (res, i, 0));
    }
    PQclear (res);
    if (inbox.count > 0) {
        const char *ivalues [1] = { pg_array_end (&inbox) };
        res = s_exec (self, "inbox_insert",
                      "INSERT INTO staff_inbox (staff_id, notification_id, complaint_no,"
                      " subject, body) SELECT recipient, id, complaint_no, subject, body"
                      " FROM notification WHERE id = ANY ($1::bigint[])", 1, ivalues, NULL, NULL);
        PQclear (res);
        if (!res) {
            pg_array_destroy (&inbox);
            goto rollback;
        }
    }
    pg_array_destroy (&inbox);
    if (s_events_flush (self, &events))
        goto rollback;
    res = s_exec (self, "commit", "COMMIT", 0, NULL, NULL, NULL);
    if (!res)
        goto done;
    PQclear (res);
    rc = 0;
    goto done;
rollback:
    pg_session_rollback (self->pg);
done:
    if (rc)
        for (int i = 0; i < n; i++)
            outcomes [i].result = NOTIFY_LEASE_LOST;    /* nothing recorded */
    free (intended);
    s_events_end (&events);
    zhash_destroy (&by_id);
    pg_array_destroy (&ids);
    pg_array_destroy (&states);
    pg_array_destroy (&delays);
    pg_array_destroy (&errors);
    return rc;
}
