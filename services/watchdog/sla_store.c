/*  sla_store.c — the watchdog's transactions (see sla_store.h).
 *
 *  recompute  one transaction: claim up to `batch` dirty cases (FOR NO KEY UPDATE
 *             OF c SKIP LOCKED, through the partial index on sla_dirty) —
 *             except a case still 'received' that was stored less than
 *             settle_ms ago: a router is about to assign it, which sets its
 *             priority, business line and department and so changes its
 *             clocks again; computing them in between was a third of the
 *             watchdog's work at 1,000 complaints/s, and a first deadline
 *             is hours away (created_at and now (): real time, as the
 *             routers' pace is) —
 *             load their audit trails, clock rows and firings in three bulk
 *             statements (= ANY ($1)), plan each case (sla_plan.c, pure),
 *             upsert every clock in one statement (ON CONFLICT (complaint_id,
 *             stage, round)), record the `met`, `extended` and `started`
 *             (sla.restarted: a new round's deadline) firings with their
 *             events, clear sla_dirty and set complaint.due_at; COMMIT.
 *             The case row brings its referral (referral_source: the
 *             policy's referral= term; referrer_due_at: the referral_reply
 *             deadline); the clock rows bring the figures a deadline was
 *             last computed from, so a deadline the calendar alone moved is
 *             recorded as a `moved:<due ms>` firing with sla.deadline_moved
 *             (sla_plan.c says when), once per new deadline.
 *
 *  After a calendar load calendar_sync.c marks dirty the cases whose
 *             calendar changed (issue 16 follow-up); the upsert above writes
 *             each clock's calendar hash (sla_store_set_calendar_sync).
 *
 *  fire       one transaction: claim up to `batch` clocks whose next_fire_at
 *             has come, whose case is not dirty (a dirty case is recomputed
 *             first: its deadline may have moved), FOR NO KEY UPDATE OF k SKIP
 *             LOCKED FOR SHARE OF c SKIP LOCKED; load their firings; fire
 *             every pending step due by now, in order; set state (breached)
 *             and the next step; COMMIT. The row locks are the lease: another
 *             watchdog skips these clocks until the transaction ends, and the
 *             session's idle_in_transaction_session_timeout ends it for a
 *             hung watchdog; a killed watchdog's connection closes and its
 *             transaction rolls back, firing nothing.
 *
 *  Exactly once, by construction: a firing row and its outbox event go in
 *  ONE statement — INSERT INTO sla_firing ... ON CONFLICT DO NOTHING
 *  RETURNING feeds the INSERT INTO outbox — so an event exists only for a
 *  firing row this very transaction inserted, and the primary key
 *  (clock_id, phase, step) admits one row per step, whoever tries.
 *
 *  Times cross the wire as ms since the epoch (bigint), converted with
 *  to_timestamp (ms / 1000.0) and extract (epoch ...) * 1000; arrays are
 *  built with pg_array (one round trip per statement, whatever the batch).
 *  Event data carry no customer identity and no note text (invariant 8).
 *
 *  Connection: one pg_session (common/pg_session.c: timeouts, keepalives,
 *  reconnect with back-off, pg_connection_lost / _restored); its on-connect
 *  step sets the idle-in-transaction timeout, LISTENs on app_clock and waits
 *  for the schema.
 */
#include "sla_store.h"
#include "events.h"
#include "sla_plan.h"
#include "task_watch.h"
#include "calendar_sync.h"
#include "pg_session.h"
#include "pg_array.h"
#include "log.h"
#include "proto.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STATEMENT_TIMEOUT_MS 60000    /* a tick's statements are short */
#define S_LOCK_KEY "7305202604"          /* pg_advisory_xact_lock: extension rule syncs */
#define S_MAX_FLAGS 16

struct _sla_store_t {
    pg_session_t *pg;
    char *name;
    long idle_timeout_ms;
    sla_case_plan_t *plans;             /* one per case of a batch, kept between */
    int plans_size;                     /* batches: never zeroed, never unmapped */
    int task_pct;                       /* issue 16 (i16-tasks): task reminders at */
    const calendar_sync_t *calsync;     /* watchdog2: each clock's calendar hash */
};

#define S_MS(x) "(extract (epoch FROM " x ") * 1000)::bigint"
#define S_TS(x) "to_timestamp (nullif (" x ", 0) / 1000.0)"

#define S_SQL_NOW \
    "SELECT " S_MS ("app_now ()") ", scale FROM app_clock"

#define S_SQL_DIRTY \
    "SELECT c.id, c.complaint_no, c.state, " S_MS ("c.received_at") "," \
    "       coalesce (c.priority, 0), c.business_line, c.channel, c.major, c.level," \
    "       array_to_string (c.flags, ','), c.department, c.handler, d.path," \
    "       c.referral_source, " S_MS ("c.referrer_due_at") \
    "  FROM complaint c LEFT JOIN department d ON d.id = c.department" \
    " WHERE c.sla_dirty" \
    "   AND NOT (c.state = 'received'" \
    "            AND c.created_at > now () - $2::int * interval '1 millisecond')" \
    " ORDER BY c.id LIMIT $1::int" \
    "   FOR NO KEY UPDATE OF c SKIP LOCKED"

#define S_SQL_ACTIONS \
    "SELECT complaint_id," \
    "       CASE WHEN action = 'callback' THEN 'callback:' || (details->>'reason')" \
    "            ELSE action END," /* issue 16 (i16-followup): sla_plan.c s_callback */ \
    "       " S_MS ("at") ", state_before, state_after," \
    "       details->>'stage', details->>'adds', details->>'approver'" \
    "  FROM case_action WHERE complaint_id = ANY ($1::bigint[])" \
    " ORDER BY complaint_id, id"

#define S_SQL_CLOCKS \
    "SELECT id, complaint_id, stage, round, selector, rule, calendar, allowance," \
    "       state IN ('met', 'cancelled'), " S_MS ("started_at") ", " S_MS ("due_at") "," \
    "       paused_ms, extensions, state = 'paused'" \
    "  FROM sla_clock WHERE complaint_id = ANY ($1::bigint[])" \
    " ORDER BY complaint_id, stage, round"

#define S_SQL_FIRED \
    "SELECT k.complaint_id, k.stage, k.round, f.phase, f.step" \
    "  FROM sla_firing f JOIN sla_clock k ON k.id = f.clock_id" \
    " WHERE k.complaint_id = ANY ($1::bigint[])" \
    " ORDER BY k.complaint_id"

#define S_SQL_UPSERT \
    "INSERT INTO sla_clock (complaint_id, stage, round, selector, rule, calendar, allowance," \
    "                       extensions, extended_by, started_at, base_due_at, due_at," \
    "                       paused_ms, paused_since, state, met_at, ended_at, next_step," \
    "                       next_fire_at, provisional, calendar_hash, updated_at)" \
    "SELECT t.cid, t.stage, t.round, t.selector, t.rule, t.calendar, t.allowance, t.ext," \
    "       t.extby::text[], " S_TS ("t.started") ", " S_TS ("t.base") ", " S_TS ("t.due") "," \
    "       t.paused, " S_TS ("t.since") ", t.state, " S_TS ("t.met") ", " S_TS ("t.ended") "," \
    "       nullif (t.next, ''), " S_TS ("t.next_at") ", t.prov, nullif (t.calhash, '')," \
    "       now ()" \
    "  FROM unnest ($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[]," \
    "               $7::text[], $8::int[], $9::text[], $10::bigint[], $11::bigint[]," \
    "               $12::bigint[], $13::bigint[], $14::bigint[], $15::text[], $16::bigint[]," \
    "               $17::bigint[], $18::text[], $19::bigint[], $20::boolean[], $21::text[])" \
    "       AS t (cid, stage, round, selector, rule, calendar, allowance, ext, extby, started," \
    "             base, due, paused, since, state, met, ended, next, next_at, prov, calhash)" \
    "    ON CONFLICT (complaint_id, stage, round) DO UPDATE SET" \
    "       selector = excluded.selector, rule = excluded.rule, calendar = excluded.calendar," \
    "       allowance = excluded.allowance, extensions = excluded.extensions," \
    "       extended_by = excluded.extended_by, started_at = excluded.started_at," \
    "       base_due_at = excluded.base_due_at, due_at = excluded.due_at," \
    "       paused_ms = excluded.paused_ms, paused_since = excluded.paused_since," \
    "       state = CASE WHEN excluded.state = 'running' AND sla_clock.state = 'breached'" \
    "                     AND sla_clock.extensions = excluded.extensions" \
    "                    THEN 'breached' ELSE excluded.state END," \
    "       met_at = excluded.met_at, ended_at = excluded.ended_at," \
    "       next_step = excluded.next_step, next_fire_at = excluded.next_fire_at," \
    "       provisional = excluded.provisional, calendar_hash = excluded.calendar_hash," \
    "       updated_at = now ()" \
    " RETURNING id, complaint_id, stage, round"

//  The firing rows and their events in one statement: an event only for a
//  row this statement inserted.
#define S_SQL_RECORD \
    "WITH f AS (" \
    "    INSERT INTO sla_firing (clock_id, phase, step, due_at, fired_at, fired_by)" \
    "    SELECT t.clock_id, t.phase, t.step, to_timestamp (t.due / 1000.0)," \
    "           app_clock_timestamp (), $5::text" \
    "      FROM unnest ($1::bigint[], $2::int[], $3::text[], $4::bigint[])" \
    "           AS t (clock_id, phase, step, due)" \
    "    ON CONFLICT DO NOTHING" \
    "    RETURNING clock_id, phase, step)" \
    "INSERT INTO outbox (type, complaint_no, data, at)" \
    "SELECT t.type, t.no, decode (t.data, 'hex'), app_now ()" \
    "  FROM unnest ($1::bigint[], $2::int[], $3::text[], $6::text[], $7::text[], $8::text[])" \
    "       WITH ORDINALITY AS t (clock_id, phase, step, type, no, data, ord)" \
    "  JOIN f ON f.clock_id = t.clock_id AND f.phase = t.phase AND f.step = t.step" \
    " ORDER BY t.ord"

#define S_SQL_CLEAN \
    "UPDATE complaint c SET sla_dirty = false," \
    "       due_at = coalesce (" S_TS ("t.due") ", c.due_at)" \
    "  FROM unnest ($1::bigint[], $2::bigint[]) AS t (id, due)" \
    " WHERE c.id = t.id AND c.id = ANY ($1::bigint[])"

#define S_SQL_DUE \
    "SELECT k.id, k.stage, k.round, k.calendar, k.extensions, " S_MS ("k.started_at") "," \
    "       " S_MS ("k.due_at") ", k.allowance, c.complaint_no, c.department, c.handler," \
    "       coalesce (c.priority, 0)" \
    "  FROM sla_clock k JOIN complaint c ON c.id = k.complaint_id" \
    " WHERE k.next_fire_at <= app_now () AND NOT c.sla_dirty" \
    " ORDER BY k.next_fire_at LIMIT $1::int" \
    "   FOR NO KEY UPDATE OF k SKIP LOCKED FOR SHARE OF c SKIP LOCKED"

#define S_SQL_DUE_FIRED \
    "SELECT clock_id, phase, step FROM sla_firing WHERE clock_id = ANY ($1::bigint[])" \
    " ORDER BY clock_id"

#define S_SQL_ADVANCE \
    "UPDATE sla_clock k SET state = CASE WHEN t.breached THEN 'breached' ELSE k.state END," \
    "       next_step = nullif (t.next, ''), next_fire_at = " S_TS ("t.next_at") "," \
    "       updated_at = now ()" \
    "  FROM unnest ($1::bigint[], $2::text[], $3::bigint[], $4::boolean[])" \
    "       AS t (id, next, next_at, breached)" \
    " WHERE k.id = t.id AND k.id = ANY ($1::bigint[])"

#define S_SQL_NEXT \
    "SELECT " S_MS ("(SELECT min (next_fire_at) FROM sla_clock WHERE next_fire_at IS NOT NULL)" \
                    " - app_now ()") "," \
    "       (SELECT count (*) FROM sla_clock WHERE next_fire_at <= app_now ())," \
    "       (SELECT scale FROM app_clock)"

//  --------------------------------------------------------------------------
//  Connection

//  On every (re)connect: the session's idle_in_transaction_session_timeout,
//  LISTEN app_clock, and a wait for the schema (app_clock may not exist yet:
//  the session retries with back-off until it does).
static int
s_on_connect (pg_session_t *pg, void *arg)
{
    sla_store_t *self = (sla_store_t *) arg;
    char sql [128];
    snprintf (sql, sizeof sql, "SET idle_in_transaction_session_timeout = %ld",
              self->idle_timeout_ms);
    if (pg_session_command (pg, "set_idle_timeout", sql, 0, NULL) == 0
    &&  pg_session_command (pg, "listen", "LISTEN app_clock", 0, NULL) == 0
    &&  pg_session_command (pg, "schema_check", "SELECT 1 FROM app_clock, sla_clock LIMIT 0",
                            0, NULL) == 0)
        return 0;
    return -1;
}

sla_store_t *
sla_store_new (const char *conninfo, const char *name, long idle_timeout_ms)
{
    sla_store_t *self = calloc (1, sizeof *self);
    assert (self);
    self->name = strdup (name);
    self->idle_timeout_ms = idle_timeout_ms;
    assert (self->name);
    self->pg = pg_session_new (conninfo, "watchdog", S_STATEMENT_TIMEOUT_MS);
    if (!self->pg || pg_session_on_connect (self->pg, s_on_connect, self)) {
        sla_store_destroy (&self);
        return NULL;
    }
    return self;
}

void
sla_store_destroy (sla_store_t **self_p)
{
    assert (self_p);
    sla_store_t *self = *self_p;
    if (!self)
        return;
    pg_session_destroy (&self->pg);
    free (self->name);
    free (self->plans);
    free (self);
    *self_p = NULL;
}

/* issue 16 (i16-tasks) */
void
sla_store_task_setup (sla_store_t *self, int remind_pct)
{
    self->task_pct = remind_pct;
}

pg_session_t *
sla_store_session (sla_store_t *self)
{
    return self->pg;
}

int
sla_store_recover (sla_store_t *self)
{
    //  Rolls back a failed transaction, or reconnects (on-connect again).
    return pg_session_recover (self->pg);
}

int
sla_store_socket (sla_store_t *self)
{
    return pg_session_conn (self->pg) ? PQsocket (pg_session_conn (self->pg)) : -1;
}

int
sla_store_take_notifies (sla_store_t *self)
{
    if (!pg_session_conn (self->pg) || !PQconsumeInput (pg_session_conn (self->pg)))
        return -1;
    int n = 0;
    PGnotify *notify;
    while ((notify = PQnotifies (pg_session_conn (self->pg)))) {
        n++;
        PQfreemem (notify);
    }
    return n > 0;
}

static PGresult *
s_query (sla_store_t *self, const char *what, const char *sql, int n, const char *const *params,
         ExecStatusType want)
{
    return pg_session_exec (self->pg, what, sql, n, params, NULL, NULL, want);
}

static int
s_command (sla_store_t *self, const char *what, const char *sql, int n,
           const char *const *params)
{
    return pg_session_command (self->pg, what, sql, n, params);
}

static void
s_rollback (sla_store_t *self)
{
    pg_session_rollback (self->pg);
}

static const char *
s_val (PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) ? NULL : PQgetvalue (res, row, col);
}

static int64_t
s_i64 (PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) ? 0 : strtoll (PQgetvalue (res, row, col), NULL, 10);
}

static void
s_add_i64 (pg_array_t *a, int64_t v)
{
    char buf [24];
    snprintf (buf, sizeof buf, "%" PRId64, v);
    pg_array_add (a, buf);
}

//  --------------------------------------------------------------------------
//  Extension rules

int
sla_store_sync_rules (sla_store_t *self, const sla_policy_t *policy)
{
    if (!pg_session_conn (self->pg))
        return -1;
    const sla_extension_t *rules;
    int n = sla_policy_extensions (policy, &rules);
    pg_array_t a [5] = { { 0 } };
    for (int i = 0; i < 5; i++)
        pg_array_begin (&a [i]);
    for (int i = 0; i < n; i++) {
        pg_array_add (&a [0], sla_stage_name (rules [i].stage));
        s_add_i64 (&a [1], rules [i].step);
        pg_array_add (&a [2], rules [i].adds_text);
        pg_array_add (&a [3], rules [i].approver);
        pg_array_add (&a [4], rules [i].rule);
    }
    const char *params [5];
    for (int i = 0; i < 5; i++)
        params [i] = pg_array_end (&a [i]);
    //  Under an advisory lock, so two watchdogs reloading at once do not
    //  interleave their delete and insert.
    int rc = s_command (self, "begin", "BEGIN", 0, NULL);
    if (rc == 0) {
        PGresult *res = s_query (self, "lock", "SELECT pg_advisory_xact_lock (" S_LOCK_KEY ")",
                                 0, NULL, PGRES_TUPLES_OK);
        rc = res ? 0 : -1;
        PQclear (res);
    }
    if (rc == 0)
        rc = s_command (self, "delete_rules", "DELETE FROM sla_extension_rule", 0, NULL);
    if (rc == 0)
        rc = s_command (self, "insert_rules",
                        "INSERT INTO sla_extension_rule (stage, step, adds, approver, rule)"
                        " SELECT * FROM unnest ($1::text[], $2::smallint[], $3::text[],"
                        "                       $4::text[], $5::text[])", 5, params);
    if (rc == 0)
        rc = s_command (self, "commit", "COMMIT", 0, NULL);
    else
        s_rollback (self);
    for (int i = 0; i < 5; i++)
        pg_array_destroy (&a [i]);
    if (rc == 0)
        log_info ("extension_rules_synced", "rules=%d", n);
    return rc;
}

//  --------------------------------------------------------------------------
//  Events

typedef struct {
    const char *complaint_no, *department, *handler;
    int priority;
    sla_stage_t stage;
    int round;
} s_head_t;

/* The SLA events' shared keys (proto/events.c). */
static events_sla_t
s_sla_head (const s_head_t *h)
{
    return (events_sla_t) { h->complaint_no, sla_stage_name (h->stage), h->round,
                            h->department, h->handler, h->priority };
}

/* Firing rows with their events, as arrays for S_SQL_RECORD. */
typedef struct {
    pg_array_t clock, phase, step, due, type, no, data;
    int n;
    msgpack_sbuffer buf;
} s_record_t;

static void
s_record_begin (s_record_t *r)
{
    pg_array_t *all [] = { &r->clock, &r->phase, &r->step, &r->due, &r->type, &r->no, &r->data };
    for (size_t i = 0; i < sizeof all / sizeof all [0]; i++)
        pg_array_begin (all [i]);
    r->n = 0;
    msgpack_sbuffer_init (&r->buf);
}

static void
s_record_destroy (s_record_t *r)
{
    pg_array_t *all [] = { &r->clock, &r->phase, &r->step, &r->due, &r->type, &r->no, &r->data };
    for (size_t i = 0; i < sizeof all / sizeof all [0]; i++)
        pg_array_destroy (all [i]);
    msgpack_sbuffer_destroy (&r->buf);
}

/* Start one firing: the caller packs its event into the returned buffer
 * (with the event's packer), then calls s_record_data. */
static msgpack_sbuffer *
s_record_add (s_record_t *r, int64_t clock_id, int phase, const char *step, int64_t due,
              const char *type, const char *complaint_no)
{
    s_add_i64 (&r->clock, clock_id);
    s_add_i64 (&r->phase, phase);
    pg_array_add (&r->step, step);
    s_add_i64 (&r->due, due);
    pg_array_add (&r->type, type);
    pg_array_add (&r->no, complaint_no);
    msgpack_sbuffer_clear (&r->buf);
    r->n++;
    return &r->buf;
}

static void
s_record_data (s_record_t *r)
{
    pg_array_add_hex (&r->data, r->buf.data, r->buf.size);
}

/* Insert the firings; returns the events written, or -1. */
static int
s_record_flush (sla_store_t *self, s_record_t *r)
{
    if (r->n == 0)
        return 0;
    const char *params [8] = {
        pg_array_end (&r->clock), pg_array_end (&r->phase), pg_array_end (&r->step),
        pg_array_end (&r->due), self->name, pg_array_end (&r->type), pg_array_end (&r->no),
        pg_array_end (&r->data)
    };
    PGresult *res = s_query (self, "record_firings", S_SQL_RECORD, 8, params, PGRES_COMMAND_OK);
    if (!res)
        return -1;
    int n = atoi (PQcmdTuples (res));
    PQclear (res);
    return n;
}

//  --------------------------------------------------------------------------
//  Recompute

static int
s_now (sla_store_t *self, int64_t *now, double *scale)
{
    PGresult *res = s_query (self, "now", S_SQL_NOW, 0, NULL, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    *now = s_i64 (res, 0, 0);
    if (scale)
        *scale = strtod (PQgetvalue (res, 0, 1), NULL);
    PQclear (res);
    return 0;
}

static bool
s_is_true (PGresult *res, int row, int col)
{
    const char *v = s_val (res, row, col);
    return v && *v == 't';
}

/* Record the met, extended, moved and started firings a case plan calls for. */
static void
s_plan_firings (s_record_t *rec, const sla_case_plan_t *plan, const int64_t *ids,
                const s_head_t *head0)
{
    for (int i = 0; i < plan->nclocks; i++) {
        const sla_clock_plan_t *c = &plan->clocks [i];
        if (!c->has_rule || ids [i] <= 0)
            continue;
        s_head_t h = *head0;
        h.stage = c->stage;
        h.round = c->round;
        for (int k = 0; k < c->extensions; k++) {
            msgpack_sbuffer *buf = s_record_add (rec, ids [i], k + 1, "extended", c->ext_due [k],
                                                 "sla.extended", h.complaint_no);
            const events_sla_t head = s_sla_head (&h);
            events_sla_extended (buf, &head, k + 1, c->extended_by [k], c->ext_previous_due [k],
                                 c->ext_due [k], *c->approver [k] ? c->approver [k] : NULL);
            s_record_data (rec);
        }
        if (c->moved_from) {
            //  One event per new deadline: the step names it, so the same
            //  move seen by two watchdogs (or twice) is one row.
            char step [SLA_STEP_SIZE];
            snprintf (step, sizeof step, "moved:%" PRId64, c->due_at);
            msgpack_sbuffer *buf = s_record_add (rec, ids [i], c->extensions, step, c->due_at,
                                                 "sla.deadline_moved", h.complaint_no);
            const events_sla_t head = s_sla_head (&h);
            events_sla_deadline_moved (buf, &head, c->moved_from, c->due_at, c->provisional);
            s_record_data (rec);
        }
        if (c->restarted) {
            //  told: a new round's deadline, for the customer (the rules
            //  choose the stage); phase 0, step `started`: once per round.
            msgpack_sbuffer *buf = s_record_add (rec, ids [i], 0, "started", c->due_at,
                                                 "sla.restarted", h.complaint_no);
            const events_sla_t head = s_sla_head (&h);
            events_sla_restarted (buf, &head, c->cause, c->started_at, c->due_at);
            s_record_data (rec);
        }
        if (c->met_at && strcmp (c->state, "met") == 0) {
            msgpack_sbuffer *buf = s_record_add (rec, ids [i], c->extensions, "met", c->due_at,
                                                 "sla.met", h.complaint_no);
            const events_sla_t head = s_sla_head (&h);
            events_sla_met (buf, &head, c->due_at, c->met_at, c->late, c->paused_ms);
            s_record_data (rec);
        }
    }
}

int
sla_store_recompute (sla_store_t *self, const sla_policy_t *policy, int batch, int settle_ms,
                     int *events)
{
    *events = 0;
    if (!pg_session_conn (self->pg))
        return -1;
    if (s_command (self, "begin", "BEGIN", 0, NULL))
        return -1;
    PGresult *cases = NULL, *acts = NULL, *clocks = NULL, *fired = NULL, *ups = NULL;
    sla_case_plan_t *plans = NULL;
    int rc = -1;
    int64_t now;
    char lim [16], settle [16];
    snprintf (lim, sizeof lim, "%d", batch);
    snprintf (settle, sizeof settle, "%d", settle_ms);
    const char *p_lim [2] = { lim, settle };
    if (s_now (self, &now, NULL))
        goto fail;
    cases = s_query (self, "claim_dirty", S_SQL_DIRTY, 2, p_lim, PGRES_TUPLES_OK);
    if (!cases)
        goto fail;
    int n = PQntuples (cases);
    if (n == 0) {
        PQclear (cases);
        return s_command (self, "commit", "COMMIT", 0, NULL) ? -1 : 0;
    }
    pg_array_t ids = { 0 };
    pg_array_begin (&ids);
    for (int i = 0; i < n; i++)
        pg_array_add (&ids, PQgetvalue (cases, i, 0));
    const char *p_ids [1] = { pg_array_end (&ids) };
    acts = s_query (self, "load_actions", S_SQL_ACTIONS, 1, p_ids, PGRES_TUPLES_OK);
    clocks = acts ? s_query (self, "load_clocks", S_SQL_CLOCKS, 1, p_ids, PGRES_TUPLES_OK)
                  : NULL;
    fired = clocks ? s_query (self, "load_firings", S_SQL_FIRED, 1, p_ids, PGRES_TUPLES_OK)
                   : NULL;
    pg_array_destroy (&ids);
    if (!fired)
        goto fail;

    //  Plan every case. The three result sets are ordered by complaint id,
    //  like the cases: walk them side by side.
    //  One plan a case, from the buffer the store keeps: a plan is large
    //  (room for SLA_PLAN_MAX_CLOCKS clocks) and mostly unused, so a fresh
    //  zeroed array per batch cost more than the planning.
    if (n > self->plans_size) {
        free (self->plans);
        self->plans = malloc ((size_t) n * sizeof *self->plans);
        assert (self->plans);
        self->plans_size = n;
    }
    plans = self->plans;
    int na = PQntuples (acts), nk = PQntuples (clocks), nf = PQntuples (fired);
    sla_action_t *av = calloc ((size_t) na + 1, sizeof *av);
    sla_existing_t *kv = calloc ((size_t) nk + 1, sizeof *kv);
    sla_fired_t *fv = calloc ((size_t) nf + 1, sizeof *fv);
    assert (av && kv && fv);
    int ia = 0, ik = 0, iff = 0;
    for (int i = 0; i < n; i++) {
        int64_t id = s_i64 (cases, i, 0);
        size_t a0 = (size_t) ia, k0 = (size_t) ik, f0 = (size_t) iff;
        while (ia < na && s_i64 (acts, ia, 0) < id) ia++;
        a0 = (size_t) ia;
        for (; ia < na && s_i64 (acts, ia, 0) == id; ia++)
            av [ia] = (sla_action_t) { s_val (acts, ia, 1), s_i64 (acts, ia, 2),
                                       s_val (acts, ia, 3), s_val (acts, ia, 4),
                                       s_val (acts, ia, 5), s_val (acts, ia, 6),
                                       s_val (acts, ia, 7) };
        while (ik < nk && s_i64 (clocks, ik, 1) < id) ik++;
        k0 = (size_t) ik;
        for (; ik < nk && s_i64 (clocks, ik, 1) == id; ik++) {
            int stage = sla_stage_parse (s_val (clocks, ik, 2));
            kv [ik] = (sla_existing_t) { s_i64 (clocks, ik, 0),
                                         (sla_stage_t) (stage < 0 ? 0 : stage),
                                         (int) s_i64 (clocks, ik, 3), s_val (clocks, ik, 4),
                                         s_val (clocks, ik, 5), s_val (clocks, ik, 6),
                                         s_val (clocks, ik, 7), s_is_true (clocks, ik, 8),
                                         s_i64 (clocks, ik, 9), s_i64 (clocks, ik, 10),
                                         s_i64 (clocks, ik, 11), (int) s_i64 (clocks, ik, 12),
                                         s_is_true (clocks, ik, 13) };
        }
        while (iff < nf && s_i64 (fired, iff, 0) < id) iff++;
        f0 = (size_t) iff;
        for (; iff < nf && s_i64 (fired, iff, 0) == id; iff++) {
            int stage = sla_stage_parse (s_val (fired, iff, 1));
            fv [iff] = (sla_fired_t) { (sla_stage_t) (stage < 0 ? 0 : stage),
                                       (int) s_i64 (fired, iff, 2), (int) s_i64 (fired, iff, 3),
                                       s_val (fired, iff, 4) };
        }
        const char *flags [S_MAX_FLAGS];
        char flagbuf [512];
        size_t nflags = 0;
        snprintf (flagbuf, sizeof flagbuf, "%s", s_val (cases, i, 9) ? s_val (cases, i, 9) : "");
        for (char *save = NULL, *tok = strtok_r (flagbuf, ",", &save);
             tok && nflags < S_MAX_FLAGS; tok = strtok_r (NULL, ",", &save))
            flags [nflags++] = tok;
        sla_case_attrs_t attrs = {
            .priority = (int) s_i64 (cases, i, 4), .business_line = s_val (cases, i, 5),
            .channel = s_val (cases, i, 6), .major = s_is_true (cases, i, 7),
            .level = s_val (cases, i, 8), .flags = flags, .nflags = nflags,
            .department = s_val (cases, i, 10), .department_path = s_val (cases, i, 12),
            .referral = s_val (cases, i, 13),
        };
        sla_case_input_t in = {
            .attrs = &attrs, .received_at = s_i64 (cases, i, 3),
            .actions = av + a0, .nactions = (size_t) ia - a0,
            .existing = kv + k0, .nexisting = (size_t) ik - k0,
            .fired = fv + f0, .nfired = (size_t) iff - f0, .now = now,
            .referrer_due_at = s_i64 (cases, i, 14),
        };
        sla_plan_case (policy, &in, &plans [i]);
        if (plans [i].truncated)
            log_warn ("too_many_rounds", "complaint_no=%s kept=%d", s_val (cases, i, 1),
                      SLA_PLAN_MAX_CLOCKS);
    }
    free (av);
    free (kv);
    free (fv);

    //  Upsert every clock of every case.
    enum { U_CID, U_STAGE, U_ROUND, U_SEL, U_RULE, U_CAL, U_ALLOW, U_EXT, U_EXTBY, U_START,
           U_BASE, U_DUE, U_PAUSED, U_SINCE, U_STATE, U_MET, U_ENDED, U_NEXT, U_NEXTAT,
           U_PROV, U_CALHASH, U_N };
    pg_array_t u [U_N];
    memset (u, 0, sizeof u);
    for (int j = 0; j < U_N; j++)
        pg_array_begin (&u [j]);
    pg_array_t extby;
    memset (&extby, 0, sizeof extby);
    int nrows = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < plans [i].nclocks; j++) {
            const sla_clock_plan_t *c = &plans [i].clocks [j];
            pg_array_add (&u [U_CID], PQgetvalue (cases, i, 0));
            pg_array_add (&u [U_STAGE], sla_stage_name (c->stage));
            s_add_i64 (&u [U_ROUND], c->round);
            pg_array_add (&u [U_SEL], c->selector);
            pg_array_add (&u [U_RULE], *c->rule ? c->rule : "none");
            pg_array_add (&u [U_CAL], *c->calendar ? c->calendar : "none");
            pg_array_add (&u [U_ALLOW], *c->allowance ? c->allowance : "0");
            s_add_i64 (&u [U_EXT], c->extensions);
            pg_array_begin (&extby);
            for (int k = 0; k < c->extensions; k++)
                pg_array_add (&extby, c->extended_by [k]);
            pg_array_add (&u [U_EXTBY], pg_array_end (&extby));
            s_add_i64 (&u [U_START], c->started_at);
            s_add_i64 (&u [U_BASE], c->base_due_at);
            s_add_i64 (&u [U_DUE], c->due_at);
            s_add_i64 (&u [U_PAUSED], c->paused_ms);
            s_add_i64 (&u [U_SINCE], c->paused_since);
            pg_array_add (&u [U_STATE], c->state);
            s_add_i64 (&u [U_MET], c->met_at);
            s_add_i64 (&u [U_ENDED], c->ended_at);
            pg_array_add (&u [U_NEXT], c->next_step);
            s_add_i64 (&u [U_NEXTAT], c->next_fire_at);
            pg_array_add (&u [U_PROV], c->provisional ? "t" : "f");
            pg_array_add (&u [U_CALHASH], calendar_sync_hash (self->calsync, c->calendar));
            nrows++;
        }
    pg_array_destroy (&extby);
    const char *p_up [U_N];
    for (int j = 0; j < U_N; j++)
        p_up [j] = pg_array_end (&u [j]);
    if (nrows > 0)
        ups = s_query (self, "upsert_clocks", S_SQL_UPSERT, U_N, p_up, PGRES_TUPLES_OK);
    for (int j = 0; j < U_N; j++)
        pg_array_destroy (&u [j]);
    if (nrows > 0 && !ups)
        goto fail;

    //  met / extended firings, by the ids the upsert returned.
    s_record_t rec;
    memset (&rec, 0, sizeof rec);
    s_record_begin (&rec);
    int nu = ups ? PQntuples (ups) : 0;
    for (int i = 0; i < n; i++) {
        int64_t cid = s_i64 (cases, i, 0);
        int64_t clock_ids [SLA_PLAN_MAX_CLOCKS] = { 0 };
        for (int j = 0; j < plans [i].nclocks; j++)
            for (int r = 0; r < nu; r++)
                if (s_i64 (ups, r, 1) == cid
                &&  sla_stage_parse (PQgetvalue (ups, r, 2)) == (int) plans [i].clocks [j].stage
                &&  s_i64 (ups, r, 3) == plans [i].clocks [j].round) {
                    clock_ids [j] = s_i64 (ups, r, 0);
                    break;
                }
        s_head_t head = { s_val (cases, i, 1), s_val (cases, i, 10), s_val (cases, i, 11),
                          (int) s_i64 (cases, i, 4), SLA_ACKNOWLEDGE, 0 };
        s_plan_firings (&rec, &plans [i], clock_ids, &head);
    }
    int written = s_record_flush (self, &rec);
    s_record_destroy (&rec);
    if (written < 0)
        goto fail;

    pg_array_t c_ids = { 0 }, c_due = { 0 };
    pg_array_begin (&c_ids);
    pg_array_begin (&c_due);
    for (int i = 0; i < n; i++) {
        pg_array_add (&c_ids, PQgetvalue (cases, i, 0));
        s_add_i64 (&c_due, plans [i].resolution_due);
    }
    const char *p_clean [2] = { pg_array_end (&c_ids), pg_array_end (&c_due) };
    int clean = s_command (self, "clean_dirty", S_SQL_CLEAN, 2, p_clean);
    /* issue 16 (i16-tasks): the open tasks of these cases get their clocks
     * (task_watch.h), in this transaction: a task action dirtied its case */
    if (!clean)
        clean = task_watch_plant (self->pg, p_clean [0], self->task_pct, self->name);
    pg_array_destroy (&c_ids);
    pg_array_destroy (&c_due);
    if (clean || s_command (self, "commit", "COMMIT", 0, NULL))
        goto fail;
    *events = written;
    rc = n;
    goto done;
fail:
    s_rollback (self);
    rc = -1;
done:
    PQclear (cases);
    PQclear (acts);
    PQclear (clocks);
    PQclear (fired);
    PQclear (ups);
    return rc;
}

//  --------------------------------------------------------------------------
//  Fire

typedef struct {
    PGresult *res;
    int from, to;                       /* this clock's rows of res */
} s_fired_rows_t;

static bool
s_fired_cb (void *arg, int phase, const char *step)
{
    s_fired_rows_t *f = (s_fired_rows_t *) arg;
    for (int i = f->from; i < f->to; i++)
        if (atoi (PQgetvalue (f->res, i, 1)) == phase && strcmp (PQgetvalue (f->res, i, 2), step)
            == 0)
            return true;
    return false;
}

int
sla_store_fire (sla_store_t *self, const sla_policy_t *policy, int batch, int *events)
{
    *events = 0;
    if (!pg_session_conn (self->pg))
        return -1;
    if (s_command (self, "begin", "BEGIN", 0, NULL))
        return -1;
    PGresult *due = NULL, *fired = NULL;
    int64_t now;
    char lim [16];
    snprintf (lim, sizeof lim, "%d", batch);
    const char *p_lim [1] = { lim };
    if (s_now (self, &now, NULL))
        goto fail;
    due = s_query (self, "claim_due", S_SQL_DUE, 1, p_lim, PGRES_TUPLES_OK);
    if (!due)
        goto fail;
    int n = PQntuples (due);
    if (n == 0) {
        PQclear (due);
        return s_command (self, "commit", "COMMIT", 0, NULL) ? -1 : 0;
    }
    //  Firings of these clocks, ordered by clock id; the due rows are in
    //  next_fire_at order, so index each clock's range.
    pg_array_t ids = { 0 };
    pg_array_begin (&ids);
    for (int i = 0; i < n; i++)
        pg_array_add (&ids, PQgetvalue (due, i, 0));
    const char *p_ids [1] = { pg_array_end (&ids) };
    fired = s_query (self, "load_due_firings", S_SQL_DUE_FIRED, 1, p_ids, PGRES_TUPLES_OK);
    pg_array_destroy (&ids);
    if (!fired)
        goto fail;
    int nf = PQntuples (fired);

    s_record_t rec;
    memset (&rec, 0, sizeof rec);
    s_record_begin (&rec);
    pg_array_t a_id = { 0 }, a_next = { 0 }, a_at = { 0 }, a_breach = { 0 };
    pg_array_begin (&a_id);
    pg_array_begin (&a_next);
    pg_array_begin (&a_at);
    pg_array_begin (&a_breach);
    const sla_tier_t *tiers;
    int ntiers = sla_policy_tiers (policy, &tiers);
    for (int i = 0; i < n; i++) {
        int64_t id = s_i64 (due, i, 0);
        s_fired_rows_t fr = { fired, 0, 0 };
        while (fr.from < nf && s_i64 (fired, fr.from, 0) != id)
            fr.from++;
        fr.to = fr.from;
        while (fr.to < nf && s_i64 (fired, fr.to, 0) == id)
            fr.to++;
        int stage = sla_stage_parse (PQgetvalue (due, i, 1));
        if (stage < 0)
            continue;
        const calendar_t *cal = sla_policy_calendar (policy, PQgetvalue (due, i, 3));
        int phase = (int) s_i64 (due, i, 4);
        int64_t started = s_i64 (due, i, 5), due_at = s_i64 (due, i, 6);
        sla_step_t fire [SLA_PLAN_MAX_STEPS], next;
        int nfire = sla_plan_fire (policy, cal, (sla_stage_t) stage, started, due_at, phase,
                                   s_fired_cb, &fr, now, fire, SLA_PLAN_MAX_STEPS, &next);
        s_head_t h = { PQgetvalue (due, i, 8), s_val (due, i, 9), s_val (due, i, 10),
                       (int) s_i64 (due, i, 11), (sla_stage_t) stage, (int) s_i64 (due, i, 2) };
        bool breached = false;
        for (int j = 0; j < nfire; j++) {
            const sla_step_t *s = &fire [j];
            const events_sla_t head = s_sla_head (&h);
            if (s->percent) {
                msgpack_sbuffer *buf = s_record_add (&rec, id, phase, s->step, s->at,
                                                     "sla.reminder", h.complaint_no);
                events_sla_reminder (buf, &head, s->step, s->percent, due_at, due_at - now);
            }
            else
            if (s->tier) {
                msgpack_sbuffer *buf = s_record_add (&rec, id, phase, s->step, s->at,
                                                     "sla.escalated", h.complaint_no);
                const sla_tier_t *t = s->tier <= ntiers ? &tiers [s->tier - 1] : NULL;
                events_sla_escalated (buf, &head, s->tier,
                                      t ? (const char *const *) t->to : NULL,
                                      t ? (size_t) t->nto : 0, due_at, now - due_at);
            }
            else {
                breached = true;
                msgpack_sbuffer *buf = s_record_add (&rec, id, phase, s->step, s->at,
                                                     "sla.breached", h.complaint_no);
                events_sla_breached (buf, &head, due_at, PQgetvalue (due, i, 7), phase);
            }
            s_record_data (&rec);
        }
        pg_array_add (&a_id, PQgetvalue (due, i, 0));
        pg_array_add (&a_next, next.step);
        s_add_i64 (&a_at, *next.step ? next.at : 0);
        pg_array_add (&a_breach, breached ? "t" : "f");
    }
    int written = s_record_flush (self, &rec);
    s_record_destroy (&rec);
    const char *p_adv [4] = { pg_array_end (&a_id), pg_array_end (&a_next), pg_array_end (&a_at),
                              pg_array_end (&a_breach) };
    int adv = written < 0 ? -1 : s_command (self, "advance", S_SQL_ADVANCE, 4, p_adv);
    pg_array_destroy (&a_id);
    pg_array_destroy (&a_next);
    pg_array_destroy (&a_at);
    pg_array_destroy (&a_breach);
    if (adv || s_command (self, "commit", "COMMIT", 0, NULL))
        goto fail;
    PQclear (due);
    PQclear (fired);
    *events = written;
    return n;
fail:
    s_rollback (self);
    PQclear (due);
    PQclear (fired);
    return -1;
}

int
sla_store_next (sla_store_t *self, int64_t *wait_ms, int64_t *due_now)
{
    *wait_ms = -1;
    *due_now = 0;
    if (!pg_session_conn (self->pg))
        return -1;
    PGresult *res = s_query (self, "next_due", S_SQL_NEXT, 0, NULL, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    double scale = strtod (PQgetvalue (res, 0, 2), NULL);
    if (scale <= 0)
        scale = 1;
    if (!PQgetisnull (res, 0, 0)) {
        int64_t virt = s_i64 (res, 0, 0);
        //  A virtual wait is a real wait divided by the clock's scale.
        *wait_ms = virt <= 0 ? 0 : (int64_t) ((double) virt / scale) + 1;
    }
    *due_now = s_i64 (res, 0, 1);
    PQclear (res);
    return 0;
}

/* issue 16 follow-up (watchdog2): the hashes the upsert writes. */
void
sla_store_set_calendar_sync (sla_store_t *self, const calendar_sync_t *sync)
{
    if (self)
        self->calsync = sync;
}

//  --------------------------------------------------------------------------
//  issue 16 (i16-followup): the call-back closings to ask for. Read only:
//  the case is intake's, and intake decides again under its row lock. A
//  breached callback clock is met by the close (recompute), so the set is
//  what is due now, not every case ever resolved.

static const char *s_callback_due_sql =
    "SELECT c.complaint_no, c.version"
    "  FROM sla_clock k JOIN complaint c ON c.id = k.complaint_id"
    " WHERE k.stage = 'callback' AND k.state = 'breached'"
    "   AND c.state = 'resolved' AND c.satisfied IS NULL AND NOT c.sla_dirty"
    " ORDER BY k.id LIMIT $1::int";

int
sla_store_callback_due (sla_store_t *self, int max, char (*nos) [SLA_STORE_NO_SIZE],
                        int64_t *versions)
{
    assert (self && nos && versions);
    char limit [16];
    snprintf (limit, sizeof limit, "%d", max);
    const char *params [] = { limit };
    PGresult *res = s_query (self, "callback_due", s_callback_due_sql, 1, params,
                             PGRES_TUPLES_OK);
    if (!res)
        return -1;
    int n = PQntuples (res);
    for (int i = 0; i < n && i < max; i++) {
        snprintf (nos [i], SLA_STORE_NO_SIZE, "%s", PQgetvalue (res, i, 0));
        versions [i] = strtoll (PQgetvalue (res, i, 1), NULL, 10);
    }
    PQclear (res);
    return n;
}
