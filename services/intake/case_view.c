/*  case_view.c — `get` and `queue` (see case_view.h).
 *
 *  Both replies are packed straight from libpq results through one small
 *  column table each, so what a view shows is a list to read, not code to
 *  follow. Arrays (cooperating, flags) and the audit trail's details come
 *  out of PostgreSQL as JSON text and go into msgpack through
 *  msgpack_json, the project's one bridge between the two.
 *
 *  The staff view also shows the case's SLA clocks (issue 4; the watchdog
 *  owns them, docs/watchdog.md): one JSON array built by the SLA side's
 *  store function sla_clocks_json (migration 007), each clock with its
 *  firings, and remaining_ms and the open pause measured against the
 *  store's clock, app_now (), so a test that shifted the clock sees the
 *  same "now" as the watchdog. Bounded there: at most 32 clocks and 64
 *  firings each, so a runaway case cannot blow up a reply. Intake reads
 *  no SLA table itself (invariant 9).
 *
 *  The status view (get without a token) reads only the number, the state,
 *  the dates and the query code's keyed hash, through its own column list,
 *  so nothing else can slip into it; every way of failing (unknown number,
 *  no code, wrong code, malformed code) packs the one not_found reply and
 *  counts in status_guess. The staff view opens the customer's sealed
 *  identity with the key (identity_seal.h) and wipes it once packed.
 *
 *  Open cases (the queue without --state) are complaint_is_open (state),
 *  the store's one definition (migration 007), which mirrors
 *  lifecycle_state_open; case_view_test checks the two agree.
 */
#include "case_view.h"
#include "case_evidence.h"
#include "case_kb.h"
#include "case_task.h"
#include "log.h"
#include "msgpack_json.h"
#include "query_code.h"
#include "staff_auth.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#define MS(col) "(extract (epoch FROM " col ") * 1000)::bigint"

typedef enum { COL_TEXT, COL_INT, COL_BOOL, COL_JSON } s_kind_t;

typedef struct {
    const char *key;
    s_kind_t kind;
} s_column_t;

/* The get statement's columns, in order; the scope columns follow. */
static const s_column_t s_case_columns [] = {
    { "complaint_no", COL_TEXT }, { "state", COL_TEXT },
    { "channel", COL_TEXT }, { "ref", COL_TEXT },
    { "subject", COL_TEXT }, { "body", COL_TEXT }, { "demand", COL_TEXT },
    { "branch", COL_TEXT }, { "product", COL_TEXT },
    { "category", COL_TEXT }, { "amount", COL_TEXT },
    { "lang", COL_TEXT }, { "department", COL_TEXT },
    { "routing_rule", COL_TEXT }, { "received_at", COL_INT },
    { "created_at", COL_INT }, { "updated_at", COL_INT },
    { "version", COL_INT }, { "handler", COL_TEXT },
    { "cooperating", COL_JSON }, { "business_line", COL_TEXT },
    { "cause", COL_TEXT }, { "jrt_channel", COL_TEXT },
    { "jrt_business", COL_TEXT }, { "jrt_cause", COL_TEXT },
    { "priority", COL_INT }, { "flags", COL_JSON },
    { "major", COL_BOOL }, { "level", COL_TEXT },
    { "due_at", COL_INT }, { "accepted_at", COL_INT },
    { "resolved_at", COL_INT }, { "closed_at", COL_INT },
    { "resolution_outcome", COL_TEXT }, { "resolution_amount", COL_TEXT },
    { "satisfied", COL_BOOL }, { "reject_reason", COL_TEXT },
    { "duplicate_of", COL_TEXT },
    /* a referred complaint (migration 026): who referred it, their ticket
     * and the date their reply back is due; nil when it came directly */
    { "referral_source", COL_TEXT }, { "referrer", COL_TEXT },
    { "referrer_ticket", COL_TEXT }, { "referrer_due_at", COL_INT },
    /* the cases merged into this one (issue 16, `merge`): their numbers */
    { "merged", COL_JSON },
    /* issue 16 (i16-vetting): the decision's outcomes (proposed or taken),
     * the answer for the customer, whose proposal awaits vetting */
    { "outcomes", COL_JSON }, { "customer_text", COL_TEXT }, { "proposed_by", COL_TEXT },
    /* issue 16 (i16-records): when the retention erased the identity */
    { "anonymised_at", COL_INT },
    /* issue 16 (i16-tasks): the incident (migration 046), staff view only */
    { "staff_concerned", COL_TEXT }, { "incident_at", COL_INT },
    { "incident_place", COL_TEXT },
    /* issue 16 (i16-followup): the satisfaction survey (expires_at,
     * answered_at, score, channel; never the token, the comment is in the
     * trail) and the valid-complaint determination; nil when none */
    { "survey", COL_JSON }, { "determination", COL_TEXT },
    /* issue 16 follow-up (vetting2): the vetting round as columns
     * (migration 050); a returned proposal's outcomes apart from the
     * case's (`outcomes` is then empty) */
    { "proposed_at", COL_INT }, { "approved_by", COL_TEXT }, { "approved_at", COL_INT },
    { "returned_by", COL_TEXT }, { "returned_at", COL_INT },
    { "returned_outcomes", COL_JSON },
};
#define CASE_NCOLUMNS (sizeof s_case_columns / sizeof s_case_columns [0])
#define CASE_COL_ID       ((int) CASE_NCOLUMNS)         /* complaint.id */
#define CASE_COL_SEALED   (CASE_COL_ID + 1)             /* customer_sealed, hex */
#define CASE_COL_PSEUDONYM (CASE_COL_SEALED + 1)
#define CASE_COL_SCOPE    (CASE_COL_PSEUDONYM + 1)

static const char *s_get_sql =
    "SELECT c.complaint_no, c.state, c.channel, c.ref, c.subject, c.body, c.demand, c.branch,"
    " c.product, c.category, c.amount::text, c.lang, c.department, c.routing_rule,"
    " " MS ("c.received_at") ", " MS ("c.created_at") ", " MS ("c.updated_at") ", c.version,"
    " c.handler, array_to_json (c.cooperating)::text, c.business_line, c.cause,"
    " c.jrt_channel, c.jrt_business, c.jrt_cause, c.priority, array_to_json (c.flags)::text,"
    " c.major, c.level, " MS ("c.due_at") ", " MS ("c.accepted_at") ","
    " " MS ("c.resolved_at") ", " MS ("c.closed_at") ", c.resolution_outcome,"
    " c.resolution_amount::text, c.satisfied, c.reject_reason, c.duplicate_of,"
    " c.referral_source, c.referrer, c.referrer_ticket, " MS ("c.referrer_due_at") ","
    " (SELECT coalesce (json_agg (m.complaint_no ORDER BY m.complaint_no), '[]')::text"
    "    FROM complaint m WHERE m.duplicate_of = c.complaint_no"
    "     AND m.reject_reason = 'merged'),"
    " (SELECT coalesce (json_agg (json_strip_nulls (json_build_object ('kind', o.kind,"
    "          'amount', o.amount::text, 'currency', o.currency, 'text', o.text))"
    "          ORDER BY o.seq), '[]')::text"
    "    FROM complaint_outcome o WHERE o.complaint_id = c.id"
    "     AND c.returned_at IS NULL),"         /* issue 16 follow-up (vetting2) */
    " c.customer_text, c.proposed_by,"
    " " MS ("c.anonymised_at") ","
    " c.staff_concerned, " MS ("c.incident_at") ", c.incident_place,"
    " (SELECT json_build_object ('expires_at', " MS ("s.expires_at") ","
    "         'answered_at', " MS ("s.answered_at") ", 'score', s.score, 'channel', s.channel,"
    "         'comment', s.comment)::text"       /* the comment: issue 16 (i16-integrate) */
    "    FROM survey s WHERE s.complaint_id = c.id),"
    " (SELECT a.details ->> 'reason' FROM case_action a"
    "   WHERE a.complaint_id = c.id AND a.action = 'determine' ORDER BY a.id LIMIT 1),"
    /* issue 16 follow-up (vetting2) */
    " " MS ("c.proposed_at") ", c.approved_by, " MS ("c.approved_at") ","
    " c.returned_by, " MS ("c.returned_at") ","
    " CASE WHEN c.returned_at IS NOT NULL THEN"
    "  (SELECT coalesce (json_agg (json_strip_nulls (json_build_object ('kind', o.kind,"
    "          'amount', o.amount::text, 'currency', o.currency, 'text', o.text))"
    "          ORDER BY o.seq), '[]')::text"
    "     FROM complaint_outcome o WHERE o.complaint_id = c.id) END,"
    " c.id, encode (c.customer_sealed, 'hex'), c.customer_pseudonym,"
    STAFF_AUTH_SCOPE_SQL
    "  FROM complaint c LEFT JOIN department cd ON cd.id = c.department"
    " WHERE c.complaint_no = $1";

/* Read with binary results, so the stored event bytes come as they are;
 * pg_session_exec gives text, so this one runs on the session's
 * connection directly. */
static const char *s_events_sql =
    "SELECT event FROM event_log WHERE complaint_no = $1 ORDER BY seq";

/* The clocks are the watchdog's: its store function builds their JSON
 * (migration 007). */
static const char *s_clocks_sql = "SELECT sla_clocks_json ($1::bigint)::text";

static const char *s_actions_sql =
    "SELECT " MS ("at") ", actor, actor_role, action, state_before, state_after,"
    " version_after, details::text"
    "  FROM case_action WHERE complaint_id = $1 ORDER BY id";

static void
s_pack_value (msgpack_packer *pk, const PGresult *res, int row, int col, s_kind_t kind)
{
    if (PQgetisnull (res, row, col)) {
        msgpack_pack_nil (pk);
        return;
    }
    const char *v = PQgetvalue (res, row, col);
    if (kind == COL_INT)
        msgpack_pack_int64 (pk, strtoll (v, NULL, 10));
    else
    if (kind == COL_BOOL) {
        if (v [0] == 't')
            msgpack_pack_true (pk);
        else
            msgpack_pack_false (pk);
    }
    else
    if (kind == COL_JSON) {
        /* text PostgreSQL wrote as JSON itself; nil if it ever did not parse */
        json_error_t jerr;
        json_t *json = json_loadb (v, (size_t) PQgetlength (res, row, col), 0, &jerr);
        proto_error_t err = { 0 };
        msgpack_sbuffer tmp;
        msgpack_sbuffer_init (&tmp);
        msgpack_packer tpk;
        msgpack_packer_init (&tpk, &tmp, msgpack_sbuffer_write);
        if (json && msgpack_json_pack (&tpk, json, &err) == 0)
            pk->callback (pk->data, tmp.data, tmp.size);   /* one whole value */
        else
            msgpack_pack_nil (pk);
        msgpack_sbuffer_destroy (&tmp);
        json_decref (json);
    }
    else
        proto_pack_strn (pk, v, (size_t) PQgetlength (res, row, col));
}

/* The customer map of the staff view: the identity opened with the key
 * (identity_seal.h), each field nil when the customer did not give it; all
 * five nil, and a warning, when it does not open (a key missing from the
 * file). The plaintext is wiped as soon as it is packed. */
static void
s_pack_customer (msgpack_packer *pk, const case_view_cfg_t *cfg, const PGresult *res,
                 const char *complaint_no, bool identity)
{
    identity_t id = { 0 };
    const char *hex = PQgetvalue (res, 0, CASE_COL_SEALED);
    if (*hex && identity) {
        size_t len = 0;
        unsigned char *sealed = identity_sealed_from_hex (hex, &len);
        if (!sealed || identity_open_customer (cfg->seal, sealed, len, complaint_no, &id))
            log_warn ("identity_unopened", "complaint_no=%s reason=\"its key is not in the key"
                      " file, or the value was altered\"", complaint_no);
        free (sealed);
    }
    const char *fields [] = { id.name, id.phone, id.email, id.account, id.id_no };
    static const char *keys [] = { "name", "phone", "email", "account", "id_no" };
    proto_pack_cstr (pk, "customer");
    msgpack_pack_map (pk, 6);
    for (int c = 0; c < 5; c++) {
        proto_pack_cstr (pk, keys [c]);
        if (fields [c])
            proto_pack_cstr (pk, fields [c]);
        else
            msgpack_pack_nil (pk);
    }
    proto_pack_cstr (pk, "pseudonym");
    s_pack_value (pk, res, 0, CASE_COL_PSEUDONYM, COL_TEXT);
    identity_clear (&id);
}

static void
s_pack_actions (msgpack_packer *pk, const PGresult *actions, bool details)
{
    int n = PQntuples (actions);
    msgpack_pack_array (pk, (size_t) n);
    static const char *keys [] = { "at", "actor", "actor_role", "action", "from", "to", "version" };
    static const s_kind_t kinds [] = { COL_INT, COL_TEXT, COL_TEXT, COL_TEXT, COL_TEXT,
                                       COL_TEXT, COL_INT };
    for (int r = 0; r < n; r++) {
        msgpack_pack_map (pk, details ? 8 : 7);
        for (int c = 0; c < 7; c++) {
            proto_pack_cstr (pk, keys [c]);
            s_pack_value (pk, actions, r, c, kinds [c]);
        }
        if (details) {
            proto_pack_cstr (pk, "details");
            s_pack_value (pk, actions, r, 7, COL_JSON);
        }
    }
}

/* ------------------------------------------------------------ status view */

/* The status view's columns: the number, the state and the dates. */
static const char *s_status_sql =
    "SELECT c.complaint_no, c.state, " MS ("c.received_at") ", " MS ("c.accepted_at") ","
    " " MS ("c.due_at") ", " MS ("c.resolved_at") ", " MS ("c.closed_at") ","
    " encode (c.query_code_hash, 'hex'), c.reject_reason, c.duplicate_of"
    "  FROM complaint c WHERE c.complaint_no = $1";
static const s_column_t s_status_columns [] = {
    { "complaint_no", COL_TEXT }, { "state", COL_TEXT },
    { "received_at", COL_INT }, { "accepted_at", COL_INT },
    { "due_at", COL_INT }, { "resolved_at", COL_INT },
    { "closed_at", COL_INT },
};
#define STATUS_NCOLUMNS (sizeof s_status_columns / sizeof s_status_columns [0])
#define STATUS_COL_STATE 1
#define STATUS_COL_DUE   4
#define STATUS_COL_HASH  ((int) STATUS_NCOLUMNS)
#define STATUS_COL_REASON (STATUS_COL_HASH + 1)       /* not packed: the next step's */
#define STATUS_COL_DUPLICATE (STATUS_COL_HASH + 2)

/* Failures this hour for a number, known or not (status_guess, migration
 * 022); a row of a past hour counts nothing. */
static const char *s_guess_read_sql =
    "SELECT failures FROM status_guess"
    " WHERE complaint_no = $1 AND window_start > now () - interval '1 hour'";
/* One more failure for the number; a past hour's count starts again, and
 * past hours' rows of other numbers go (the table holds one hour). */
static const char *s_guess_add_sql =
    "WITH gone AS (DELETE FROM status_guess"
    "               WHERE window_start <= now () - interval '1 hour' AND complaint_no <> $1)"
    " INSERT INTO status_guess AS g (complaint_no, window_start, failures)"
    " VALUES ($1, now (), 1)"
    " ON CONFLICT (complaint_no) DO UPDATE SET"
    "   window_start = CASE WHEN g.window_start <= now () - interval '1 hour'"
    "                       THEN now () ELSE g.window_start END,"
    "   failures = CASE WHEN g.window_start <= now () - interval '1 hour'"
    "                   THEN 1 ELSE g.failures + 1 END";

/* The one answer for an unknown number, a wrong code and a missing one. */
static void
s_not_found (proto_error_t *err, const char *complaint_no)
{
    proto_error_set (err, PROTO_E_NOT_FOUND, "complaint_no", "no complaint has number %s",
                     complaint_no);
}

/* Does the code asked with match the case's hash? Every path runs the
 * same keyed hash, so a malformed code costs what a wrong one does. */
static bool
s_code_matches (const case_view_cfg_t *cfg, proto_str_t code, const char *stored_hex)
{
    char canon [QUERY_CODE_CHARS + 1] = "";
    bool wellformed = code.ptr && query_code_canonical (code.ptr, code.len, canon) == 0;
    unsigned char stored [IDENTITY_HASH_SIZE];
    size_t stored_len = 0;
    bool known = stored_hex && sodium_hex2bin (stored, sizeof stored, stored_hex,
                                               strlen (stored_hex), NULL, &stored_len, NULL) == 0
              && stored_len == IDENTITY_HASH_SIZE;
    if (!known) {
        /* no case, or one without a code: compare with a hash nothing
         * matches, under the current key, so the time taken is the same */
        memset (stored, 0, sizeof stored);
        stored [0] = (unsigned char) identity_seal_key_id (cfg->seal);
    }
    bool match = identity_seal_hash_match (cfg->seal, IDENTITY_HASH_QUERY, canon,
                                           QUERY_CODE_CHARS, stored, sizeof stored);
    return known && wellformed && match;
}

/* The next step as a sentence: the lifecycle's, with the due date when
 * it is that step's date (in the bank's zone, intake's TZ). */
static void
s_pack_next_step (msgpack_packer *pk, const PGresult *res)
{
    case_state_t state = STATE_RECEIVED;
    const char *name = PQgetvalue (res, 0, STATUS_COL_STATE);
    lifecycle_state_parse (name, strlen (name), &state);
    const lifecycle_next_step_t *next = lifecycle_next_step (state);
    char text [200];
    snprintf (text, sizeof text, "%s", next->text);
    //  A merged case (issue 16) was taken up, in another case: say which,
    //  the number the customer is to quote (a complaint number is not
    //  personal data), not "not taken up".
    if (state == STATE_REJECTED && strcmp (PQgetvalue (res, 0, STATUS_COL_REASON), "merged") == 0)
        snprintf (text, sizeof text, "merged into your complaint %s and handled there;"
                  " please quote %s", PQgetvalue (res, 0, STATUS_COL_DUPLICATE),
                  PQgetvalue (res, 0, STATUS_COL_DUPLICATE));
    if (next->due && !PQgetisnull (res, 0, STATUS_COL_DUE)) {
        time_t due = (time_t) (strtoll (PQgetvalue (res, 0, STATUS_COL_DUE), NULL, 10) / 1000);
        struct tm tm;
        localtime_r (&due, &tm);
        size_t n = strlen (text);
        strftime (text + n, sizeof text - n, " by %Y-%m-%d", &tm);
    }
    proto_pack_kv_cstr (pk, "next_step", next->code);
    proto_pack_kv_cstr (pk, "next_step_text", text);
}

static int
s_status_get (pg_session_t *pg, const case_view_cfg_t *cfg, const get_t *get,
              bool adapter_status, msgpack_sbuffer *reply, bool *status_miss)
{
    proto_error_t err = { 0 };
    const char *values [] = { get->complaint_no };
    PGresult *guesses = pg_session_exec (pg, "status_guess_read", s_guess_read_sql, 1, values,
                                         NULL, NULL, PGRES_TUPLES_OK);
    PGresult *res = NULL;
    int rc = -1;
    if (!guesses)
        proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
    else
    if (!adapter_status && PQntuples (guesses) == 1
    &&  strtol (PQgetvalue (guesses, 0, 0), NULL, 10) >= cfg->case_failures)
        proto_error_set (&err, PROTO_E_RATE_LIMITED, "query_code",
                         "too many wrong query codes for complaint %s in the last hour;"
                         " try again later", get->complaint_no);
    else
    if (!(res = pg_session_exec (pg, "status_case", s_status_sql, 1, values, NULL, NULL,
                                 PGRES_TUPLES_OK)))
        proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
    else {
        bool found = PQntuples (res) == 1;
        bool match = s_code_matches (cfg, get->query_code,
                                     found && !PQgetisnull (res, 0, STATUS_COL_HASH)
                                     ? PQgetvalue (res, 0, STATUS_COL_HASH) : NULL);
        if (found && (adapter_status || match))
            rc = 0;
        else {
            *status_miss = true;
            s_not_found (&err, get->complaint_no);
            if (pg_session_command (pg, "status_guess_add", s_guess_add_sql, 1, values))
                proto_error_set (&err, PROTO_E_UNAVAILABLE, "",
                                 "the complaint store failed; retry");
        }
    }
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 2);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_cstr (&pk, "complaint");
        msgpack_pack_map (&pk, STATUS_NCOLUMNS + 2);
        for (size_t c = 0; c < STATUS_NCOLUMNS; c++) {
            proto_pack_cstr (&pk, s_status_columns [c].key);
            s_pack_value (&pk, res, 0, (int) c, s_status_columns [c].kind);
        }
        s_pack_next_step (&pk, res);
    }
    else
        proto_pack_error (reply, &err);
    PQclear (res);
    PQclear (guesses);
    return rc;
}

/* ------------------------------------------------------------- staff view */

int
case_view_get (pg_session_t *pg, const case_view_cfg_t *cfg, const get_t *get,
               bool adapter_status, msgpack_sbuffer *reply, bool *status_miss)
{
    assert (pg && cfg && get && reply && status_miss);
    *status_miss = false;
    if (!get->token.ptr)
        return s_status_get (pg, cfg, get, adapter_status, reply, status_miss);
    return case_view_staff (pg, cfg, get, NULL, reply);
}

int
case_view_staff (pg_session_t *pg, const case_view_cfg_t *cfg, const get_t *get,
                 const case_view_extra_t *extra, msgpack_sbuffer *reply)
{
    assert (pg && cfg && get && get->token.ptr && reply);
    proto_error_t err = { 0 };
    staff_t staff = { 0 };
    PGresult *res = staff_auth_case (pg, get->token, get->complaint_no, "get_case", s_get_sql,
                                     CASE_COL_SCOPE, &staff, &err);
    PGresult *events = NULL, *actions = NULL, *clocks = NULL, *evidence = NULL;
    PGresult *tasks = NULL;                                     /* issue 16 (i16-tasks) */
    int rc = -1;
    if (res) {
        const char *values [] = { get->complaint_no };
        const char *id [] = { PQgetvalue (res, 0, CASE_COL_ID) };
        events = PQexecParams (pg_session_conn (pg), s_events_sql, 1, NULL, values, NULL, NULL, 1);
        actions = pg_session_exec (pg, "get_actions", s_actions_sql, 1, id, NULL, NULL,
                                   PGRES_TUPLES_OK);
        clocks = pg_session_exec (pg, "get_clocks", s_clocks_sql, 1, id, NULL, NULL,
                                  PGRES_TUPLES_OK);
        evidence = case_evidence_list_read (pg, id [0]);
        tasks = case_task_list_read (pg, id [0]);
        if (PQresultStatus (events) != PGRES_TUPLES_OK || !actions
        ||  !clocks || PQntuples (clocks) != 1 || !evidence || !tasks)
            proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
        else
            rc = 0;
    }
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 2);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_cstr (&pk, "complaint");
        /* + suggestions (i16-records), tasks (i16-tasks) */
        msgpack_pack_map (&pk, CASE_NCOLUMNS + 7 + (extra ? extra->count : 0));
        for (size_t c = 0; c < CASE_NCOLUMNS; c++) {
            proto_pack_cstr (&pk, s_case_columns [c].key);
            s_pack_value (&pk, res, 0, (int) c, s_case_columns [c].kind);
        }
        /* issue 16 (i16-tasks): a cooperating department sees the case as
         * far as its task needs, not who complained (DOMAIN.md: only those
         * handling a complaint see the customer's identity): nil there,
         * the pseudonym still */
        case_scope_t scope;
        staff_auth_scope_read (res, 0, CASE_COL_SCOPE, &scope);
        s_pack_customer (&pk, cfg, res, get->complaint_no,
                         staff_auth_scope (&staff, &scope) == SCOPE_FULL);
        proto_pack_cstr (&pk, "events");
        int nevents = PQntuples (events);
        msgpack_pack_array (&pk, (size_t) nevents);
        for (int i = 0; i < nevents; i++)
            msgpack_sbuffer_write (reply, PQgetvalue (events, i, 0),
                                   (size_t) PQgetlength (events, i, 0));
        proto_pack_cstr (&pk, "actions");
        s_pack_actions (&pk, actions, true);
        proto_pack_cstr (&pk, "clocks");
        s_pack_value (&pk, clocks, 0, 0, COL_JSON);
        proto_pack_cstr (&pk, "evidence");
        case_evidence_list_pack (&pk, evidence);
        /* issue 16 (i16-records): knowledge-base entries of the case's
         * class, computed now (case_kb.h); and the case file's keys */
        proto_pack_cstr (&pk, "suggestions");
        case_kb_suggest_pack (&pk, pg, PQgetvalue (res, 0, CASE_COL_ID));
        if (extra)
            extra->pack (&pk, pg, PQgetvalue (res, 0, CASE_COL_ID), extra->arg);
        proto_pack_cstr (&pk, "tasks");                         /* issue 16 (i16-tasks) */
        case_task_list_pack (&pk, tasks);
    }
    else
        proto_pack_error (reply, &err);
    PQclear (tasks);
    PQclear (evidence);
    PQclear (clocks);
    PQclear (actions);
    PQclear (events);
    PQclear (res);
    return rc;
}

/* ------------------------------------------------------------------ queue */

static const s_column_t s_queue_columns [] = {
    { "complaint_no", COL_TEXT }, { "state", COL_TEXT },
    { "priority", COL_INT }, { "business_line", COL_TEXT },
    { "cause", COL_TEXT }, { "department", COL_TEXT },
    { "handler", COL_TEXT }, { "due_at", COL_INT },
    { "received_at", COL_INT }, { "version", COL_INT },
    { "flags", COL_JSON }, { "major", COL_BOOL },
    { "subject", COL_TEXT },
    { "calendar", COL_TEXT },   /* issue 16 (i16-mailev): the zone its times are shown in */
};
#define QUEUE_NCOLUMNS (sizeof s_queue_columns / sizeof s_queue_columns [0])

#define QUEUE_SELECT \
    "SELECT c.complaint_no, c.state, c.priority, c.business_line, c.cause, c.department," \
    " c.handler, " MS ("c.due_at") ", " MS ("c.received_at") ", c.version," \
    " array_to_json (c.flags)::text, c.major, c.subject, sla_case_calendar (c.id)" \
    "  FROM complaint c LEFT JOIN department cd ON cd.id = c.department" \
    " WHERE (CASE WHEN $1::text IS NULL" \
    "             THEN complaint_is_open (c.state)" \
    "             ELSE c.state = $1 END)"
#define QUEUE_ORDER \
    " ORDER BY c.priority, c.due_at, c.received_at, c.id LIMIT $2"

/* One statement per kind of list, chosen by scope and role; the filters
 * are fixed text, every value a parameter: $1 state, $2 limit, and $3 the
 * one value the list is filtered on (the staff id, their department, or
 * its path; the complaint office's list has none). Each statement uses
 * every parameter it is given, so PostgreSQL infers all their types. */
static const char *s_queue_mine_sql =
    QUEUE_SELECT " AND c.handler = $3" QUEUE_ORDER;
static const char *s_queue_department_sql =
    QUEUE_SELECT " AND c.department = $3" QUEUE_ORDER;
static const char *s_queue_subtree_sql =
    QUEUE_SELECT " AND starts_with (cd.path, $3)" QUEUE_ORDER;
static const char *s_queue_every_sql =
    QUEUE_SELECT QUEUE_ORDER;

int
case_view_queue (pg_session_t *pg, const queue_t *queue, msgpack_sbuffer *reply)
{
    assert (pg && queue && reply);
    proto_error_t err = { 0 };
    staff_t staff;
    if (staff_auth_lookup (pg, queue->token, &staff, &err)) {
        proto_pack_error (reply, &err);
        return -1;
    }
    const char *sql = s_queue_mine_sql;
    const char *filter = staff.id;
    if (queue->scope != QUEUE_MINE) {
        if (staff.role == ROLE_COMPLAINT_OFFICE) {
            sql = s_queue_every_sql;
            filter = NULL;
        }
        else
        if (staff.role == ROLE_HANDLER) {
            if (queue->scope == QUEUE_ALL) {
                proto_error_set (&err, PROTO_E_FORBIDDEN, "scope",
                                 "a handler sees their own cases and their department's");
                proto_pack_error (reply, &err);
                return -1;
            }
            sql = s_queue_department_sql;
            filter = staff.department;
        }
        else {
            sql = s_queue_subtree_sql;      /* supervisor, manager */
            filter = staff.path;
        }
    }
    char limit [24];
    snprintf (limit, sizeof limit, "%lld", (long long) queue->limit);
    const char *values [] = { queue->has_state ? lifecycle_state_name (queue->state) : NULL,
                              limit, filter };
    PGresult *res = pg_session_exec (pg, "queue", sql, filter ? 3 : 2, values, NULL, NULL,
                                     PGRES_TUPLES_OK);
    if (!res) {
        proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
        proto_pack_error (reply, &err);
        return -1;
    }
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_cstr (&pk, "cases");
    int n = PQntuples (res);
    msgpack_pack_array (&pk, (size_t) n);
    for (int r = 0; r < n; r++) {
        msgpack_pack_map (&pk, QUEUE_NCOLUMNS);
        for (size_t c = 0; c < QUEUE_NCOLUMNS; c++) {
            proto_pack_cstr (&pk, s_queue_columns [c].key);
            s_pack_value (&pk, res, r, (int) c, s_queue_columns [c].kind);
        }
    }
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------
//  Self-test (intake --selftest): "open" is defined once. The store's
//  complaint_is_open (migration 007) must answer for every state exactly as
//  proto/lifecycle.c's lifecycle_state_open does, complaint_on_desk (a
//  handler's load) must be a part of it, and a department's queue must list
//  a case placed in each open state and none of those in a final state.

#include "test_org.h"

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

/* Is complaint `no` in the queue reply? -1 when the reply is not a list. */
static int
s_queue_has (const msgpack_sbuffer *reply, const char *no)
{
    msgpack_unpacked out;
    msgpack_unpacked_init (&out);
    int found = -1;
    if (msgpack_unpack_next (&out, reply->data, reply->size, NULL) == MSGPACK_UNPACK_SUCCESS
    &&  out.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *cases = proto_map_get (&out.data, "cases");
        if (cases && cases->type == MSGPACK_OBJECT_ARRAY) {
            found = 0;
            for (uint32_t i = 0; i < cases->via.array.size; i++) {
                const msgpack_object *c = proto_map_get (&cases->via.array.ptr [i],
                                                         "complaint_no");
                if (c && c->type == MSGPACK_OBJECT_STR && c->via.str.size == strlen (no)
                &&  memcmp (c->via.str.ptr, no, c->via.str.size) == 0)
                    found = 1;
            }
        }
    }
    msgpack_unpacked_destroy (&out);
    return found;
}

int
case_view_test (bool verbose, pg_session_t *pg, int *passed)
{
    s_tally = (selftest_tally_t) { 0 };
    PGconn *conn = pg_session_conn (pg);        /* the test's own reads and rows */
    char what [200];
    char nos [STATE_COUNT][COMPLAINT_NO_SIZE];
    bool placed = true;
    for (int s = 0; s < STATE_COUNT; s++) {
        const char *state = lifecycle_state_name ((case_state_t) s);
        const char *values [] = { state };
        PGresult *res = PQexecParams (conn, "SELECT complaint_is_open ($1), complaint_on_desk ($1)",
                                      1, NULL, values, NULL, NULL, 0);
        bool answered = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1;
        bool open = answered && PQgetvalue (res, 0, 0) [0] == 't';
        bool on_desk = answered && PQgetvalue (res, 0, 1) [0] == 't';
        PQclear (res);
        bool want = lifecycle_state_open ((case_state_t) s);
        snprintf (what, sizeof what, "complaint_is_open ('%s') is %s, as the lifecycle says",
                  state, want ? "true" : "false");
        s_check (verbose, answered && open == want, what);
        snprintf (what, sizeof what, "complaint_on_desk ('%s') only if open", state);
        s_check (verbose, answered && (!on_desk || open), what);
        if (test_org_case (conn, state, "st_card", NULL, nos [s]))
            placed = false;
    }
    s_check (verbose, placed, "a case of department st_card placed in every state");

    /* The department queue without --state: exactly the open ones. */
    const char *token = test_org_token ("st_h_card");
    queue_t queue = { { token, strlen (token) }, QUEUE_DEPARTMENT, false, STATE_RECEIVED,
                      REQUEST_QUEUE_MAX };
    msgpack_sbuffer reply;
    msgpack_sbuffer_init (&reply);
    int rc = case_view_queue (pg, &queue, &reply);
    for (int s = 0; placed && s < STATE_COUNT; s++) {
        bool want = lifecycle_state_open ((case_state_t) s);
        int has = rc == 0 ? s_queue_has (&reply, nos [s]) : -1;
        snprintf (what, sizeof what, "the department's queue %s the %s case (got %d)",
                  want ? "lists" : "leaves out", lifecycle_state_name ((case_state_t) s), has);
        s_check (verbose, has == (want ? 1 : 0), what);
    }
    msgpack_sbuffer_destroy (&reply);
    return selftest_tally_end (&s_tally, verbose, "case_view", passed);
}
