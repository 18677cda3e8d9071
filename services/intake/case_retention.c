/*  case_retention.c — intake `retention_run` (see case_retention.h).
 *
 *  Why per case and not one statement over all of them: the free text is
 *  scrubbed with each customer's own identifiers, which only intake can
 *  open (the key is outside the store); and one transaction a case keeps
 *  the locks short and lets a case that cannot be done (its key gone) fail
 *  alone.
 *
 *  The audit trail's details are JSON written by many actions; rather than
 *  know each action's keys, every string anywhere in them is scrubbed (a
 *  staff id or a state name has no number or address in it and comes out
 *  as it went in).
 */
#include "case_retention.h"
#include "case_action.h"
#include "case_scrub.h"
#include "case_retention_texts.h"
#include "events.h"
#include "log.h"
#include "staff_auth.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(col) "(extract (epoch FROM " col ") * 1000)::bigint"

/* When a final case ended: closed_at, else (rejected, withdrawn) its last
 * action. */
#define ENDED_AT \
    "coalesce (c.closed_at, (SELECT max (a.at) FROM case_action a WHERE a.complaint_id = c.id))"

/* $1 years, $2 limit. Two branches, each on its partial index (migration
 * 048): closed cases by closed_at; the final cases without it (rejected,
 * withdrawn) dated by their last action. */
static const char *s_candidates_sql =
    "SELECT x.complaint_no, " MS ("x.ended") " FROM ("
    "  SELECT c.id, c.complaint_no, c.closed_at AS ended FROM complaint c"
    "   WHERE c.anonymised_at IS NULL AND c.closed_at IS NOT NULL"
    "     AND c.closed_at < app_now () - make_interval (years => $1::int)"
    "     AND NOT complaint_is_open (c.state)"
    "  UNION ALL"
    "  SELECT c.id, c.complaint_no,"
    "         (SELECT max (a.at) FROM case_action a WHERE a.complaint_id = c.id) FROM complaint c"
    "   WHERE c.anonymised_at IS NULL AND c.closed_at IS NULL"
    "     AND NOT complaint_is_open (c.state)) x"
    " WHERE x.ended < app_now () - make_interval (years => $1::int)"
    " ORDER BY x.id LIMIT $2";

static const char *s_cutoff_sql =
    "SELECT " MS ("app_now () - make_interval (years => $1::int)");

/* $1 complaint_no, $2 years: the case, and whether it is still due. */
static const char *s_case_sql =
    "SELECT c.id, c.state, c.version, coalesce (c.subject, ''), c.body,"
    "       coalesce (c.demand, ''), coalesce (encode (c.customer_sealed, 'hex'), ''),"
    "       c.subject IS NULL, c.demand IS NULL, " MS (ENDED_AT) ","
    "       c.anonymised_at IS NULL AND NOT complaint_is_open (c.state)"
    "       AND " ENDED_AT " < app_now () - make_interval (years => $2::int),"
    "       c.customer_text, c.staff_concerned, c.incident_place"   /* issue 16 (i16-integrate) */
    "  FROM complaint c WHERE c.complaint_no = $1 FOR NO KEY UPDATE OF c";
enum { R_ID, R_STATE, R_VERSION, R_SUBJECT, R_BODY, R_DEMAND, R_SEALED, R_NO_SUBJECT,
       R_NO_DEMAND, R_ENDED, R_DUE, R_CUSTOMER_TEXT, R_STAFF_CONCERNED, R_INCIDENT_PLACE };

static const char *s_retention_on_sql =
    "SELECT set_config ('complaints.retention', 'on', true)";

static const char *s_complaint_sql =
    "UPDATE complaint SET customer_sealed = NULL, query_code_hash = NULL,"
    "  query_code_sealed = NULL, customer_phone_hash = NULL, customer_email_hash = NULL,"
    "  customer_account_hash = NULL, customer_id_no_hash = NULL,"
    "  subject = $2, body = $3, demand = $4, ref = 'anonymised:' || id,"
    "  customer_text = $5, staff_concerned = $6, incident_place = $7,"
    "  anonymised_at = app_now (), version = version + 1, updated_at = now ()"
    " WHERE id = $1 RETURNING version";

static const char *s_actions_sql =
    "SELECT id, details::text FROM case_action WHERE complaint_id = $1 ORDER BY id";
static const char *s_action_update_sql =
    "UPDATE case_action SET details = $2::jsonb WHERE id = $1";

static const char *s_evidence_sql =
    "SELECT seq, name, content IS NOT NULL FROM evidence"
    " WHERE complaint_id = $1 AND erased_at IS NULL ORDER BY seq";
static const char *s_evidence_erase_sql =
    "UPDATE evidence SET content = NULL, name = $3, erased_at = app_now (),"
    "  source = CASE WHEN source IS NULL THEN NULL ELSE 'anonymised:' || seq END"
    " WHERE complaint_id = $1 AND seq = $2";

static const char *s_messages_sql = "SELECT notification_erase_identity ($1)";

static const char *s_audit_sql =
    "INSERT INTO case_action (complaint_id, actor, actor_role, action, state_before,"
    "  state_after, version_after, at, details)"
    " VALUES ($1, $2, $3, 'anonymise', $4, $4, $5, app_now (), jsonb_build_object ("
    "  'retention_years', $6::int, 'evidence_erased', $7::int, 'actions_scrubbed', $8::int,"
    "  'messages_erased', $9::int, 'texts_scrubbed', $10::int, 'parts_deleted', $11::int))";

typedef struct {
    pg_session_t *pg;
    const case_view_cfg_t *cfg;
    const staff_t *staff;
    const char *complaint_no;
    char years [24];
    char id [24];
    char state [32];
    int64_t version, ended_at;
    case_scrub_t scrub;
    bool scrub_open;
    PGresult *row;
    bool skip;
    int evidence_erased, actions_scrubbed, messages_erased;
    case_retention_texts_t texts;          /* issue 16 (i16-integrate) */
    proto_error_t err;
} s_case_t;

static PGresult *
s_exec (s_case_t *self, const char *step, const char *sql, int n, const char *const *values)
{
    return case_action_exec (self->pg, "retention", self->complaint_no, step, sql, n, values,
                             NULL, NULL, &self->err);
}

static int
s_read (void *arg)
{
    s_case_t *self = arg;
    const char *values [] = { self->complaint_no, self->years };
    PGresult *res = case_action_read (self->pg, "retention", self->complaint_no, s_case_sql, 2,
                                      values, &self->err);
    if (!res)
        return -1;
    if (PQgetvalue (res, 0, R_DUE) [0] != 't') {
        self->skip = true;         /* anonymised by another run, or reopened since */
        PQclear (res);
        return 0;
    }
    snprintf (self->id, sizeof self->id, "%s", PQgetvalue (res, 0, R_ID));
    snprintf (self->state, sizeof self->state, "%s", PQgetvalue (res, 0, R_STATE));
    self->version = strtoll (PQgetvalue (res, 0, R_VERSION), NULL, 10);
    self->ended_at = strtoll (PQgetvalue (res, 0, R_ENDED), NULL, 10);
    if (case_scrub_open (&self->scrub, self->cfg->seal, PQgetvalue (res, 0, R_SEALED),
                         self->complaint_no)) {
        proto_error_set (&self->err, PROTO_E_UNAVAILABLE, "", "complaint %s: the customer's"
                         " identity does not open with intake's keys", self->complaint_no);
        PQclear (res);
        return -1;
    }
    self->scrub_open = true;
    self->row = res;               /* the texts, for s_write */
    return 0;
}

/* Every string in a JSON value scrubbed in place; *changed when one was. */
static int
s_scrub_json (const case_scrub_t *scrub, json_t *value, bool *changed)
{
    if (json_is_string (value)) {
        const char *text = json_string_value (value);
        size_t len = json_string_length (value);
        char *clean = case_scrub_text (scrub, text, len, (size_t) -1);
        if (!clean)
            return -1;
        if (strlen (clean) != len || memcmp (clean, text, len) != 0) {
            json_string_set (value, clean);
            *changed = true;
        }
        free (clean);
        return 0;
    }
    if (json_is_object (value)) {
        const char *key;
        json_t *member;
        json_object_foreach (value, key, member)
            if (s_scrub_json (scrub, member, changed))
                return -1;
        return 0;
    }
    if (json_is_array (value)) {
        size_t i;
        json_t *member;
        json_array_foreach (value, i, member)
            if (s_scrub_json (scrub, member, changed))
                return -1;
    }
    return 0;
}

static int
s_scrub_actions (s_case_t *self)
{
    const char *id [] = { self->id };
    PGresult *res = s_exec (self, "actions", s_actions_sql, 1, id);
    if (!res)
        return -1;
    int rc = 0;
    for (int r = 0; rc == 0 && r < PQntuples (res); r++) {
        json_t *details = json_loads (PQgetvalue (res, r, 1), JSON_DECODE_ANY, NULL);
        bool changed = false;
        char *text = NULL;
        if (!details || s_scrub_json (&self->scrub, details, &changed))
            rc = -1;
        else
        if (changed && !(text = json_dumps (details, JSON_COMPACT | JSON_ENCODE_ANY)))
            rc = -1;
        if (rc == 0 && changed) {
            const char *values [] = { PQgetvalue (res, r, 0), text };
            PGresult *u = s_exec (self, "action_scrub", s_action_update_sql, 2, values);
            rc = u ? 0 : -1;
            PQclear (u);
            self->actions_scrubbed++;
        }
        free (text);
        json_decref (details);
    }
    PQclear (res);
    if (rc && !self->err.code)
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "an audit row's details could not"
                         " be scrubbed");
    return rc;
}

static int
s_erase_evidence (s_case_t *self)
{
    const char *id [] = { self->id };
    PGresult *res = s_exec (self, "evidence", s_evidence_sql, 1, id);
    if (!res)
        return -1;
    int rc = 0;
    for (int r = 0; rc == 0 && r < PQntuples (res); r++) {
        char *name = case_scrub_text (&self->scrub, PQgetvalue (res, r, 1),
                                      (size_t) PQgetlength (res, r, 1), 255);
        if (!name) {
            proto_error_set (&self->err, PROTO_E_INTERNAL, "", "out of memory");
            rc = -1;
            break;
        }
        const char *values [] = { self->id, PQgetvalue (res, r, 0), *name ? name : "-" };
        PGresult *u = s_exec (self, "evidence_erase", s_evidence_erase_sql, 3, values);
        rc = u ? 0 : -1;
        PQclear (u);
        free (name);
        /* issue 16 (i16-integrate): counted when there were bytes to
         * delete; a refused attachment (035) or a recording's reference
         * has none, and only its name and source change */
        self->evidence_erased += PQgetvalue (res, r, 2) [0] == 't';
    }
    PQclear (res);
    return rc;
}

static int
s_write (void *arg)
{
    s_case_t *self = arg;
    if (self->skip)
        return 0;
    PGresult *res = s_exec (self, "retention_on", s_retention_on_sql, 0, NULL);
    if (!res)
        return -1;
    PQclear (res);
    //  the case's own texts, scrubbed (a NULL subject or demand stays NULL)
    const PGresult *row = self->row;
    //  and (issue 16, i16-integrate) the answer for the customer and the
    //  incident's fields, each cut to its CHECK (a mask may be longer)
    enum { NTEXTS = 6 };
    char *texts [NTEXTS] = { NULL };
    static const int cols [NTEXTS] = { R_SUBJECT, R_BODY, R_DEMAND, R_CUSTOMER_TEXT,
                                       R_STAFF_CONCERNED, R_INCIDENT_PLACE };
    static const size_t max_chars [NTEXTS] = { (size_t) -1, (size_t) -1, (size_t) -1, 4096,
                                               200, 200 };
    int rc = 0;
    for (int t = 0; t < NTEXTS; t++) {
        if (t >= 3 && PQgetisnull (row, 0, cols [t]))
            continue;
        texts [t] = case_scrub_text (&self->scrub, PQgetvalue (row, 0, cols [t]),
                                     (size_t) PQgetlength (row, 0, cols [t]), max_chars [t]);
        if (!texts [t])
            rc = -1;
    }
    if (rc == 0) {
        const char *values [] = {
            self->id, PQgetvalue (row, 0, R_NO_SUBJECT) [0] == 't' ? NULL : texts [0],
            texts [1], PQgetvalue (row, 0, R_NO_DEMAND) [0] == 't' ? NULL : texts [2],
            texts [3], texts [4], texts [5]
        };
        res = s_exec (self, "complaint", s_complaint_sql, 7, values);
        rc = res ? 0 : -1;
        if (res)
            self->version = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
        PQclear (res);
    }
    for (int t = 0; t < NTEXTS; t++)
        free (texts [t]);
    if (rc || s_scrub_actions (self) || s_erase_evidence (self)
    ||  case_retention_texts (self->pg, &self->scrub, self->id, self->complaint_no,
                              &self->texts, &self->err))
        return -1;
    const char *no [] = { self->complaint_no };
    res = s_exec (self, "messages", s_messages_sql, 1, no);
    if (!res)
        return -1;
    self->messages_erased = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    char version [24], evidence [16], actions [16], messages [16], texts_n [16], parts [16];
    snprintf (version, sizeof version, "%lld", (long long) self->version);
    snprintf (evidence, sizeof evidence, "%d", self->evidence_erased);
    snprintf (actions, sizeof actions, "%d", self->actions_scrubbed);
    snprintf (messages, sizeof messages, "%d", self->messages_erased);
    snprintf (texts_n, sizeof texts_n, "%d", self->texts.texts_scrubbed);
    snprintf (parts, sizeof parts, "%d", self->texts.parts_deleted);
    const char *role = lifecycle_role_name (self->staff->role);
    const char *audit [] = { self->id, self->staff->id, role, self->state, version,
                             self->years, evidence, actions, messages, texts_n, parts };
    res = s_exec (self, "audit", s_audit_sql, 11, audit);
    if (!res)
        return -1;
    PQclear (res);
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    events_anonymised_t ev = { self->ended_at, self->cfg->retention_years,
                               self->evidence_erased, self->actions_scrubbed,
                               self->messages_erased, self->staff->id, self->version };
    events_complaint_anonymised (&data, &ev);
    rc = case_action_outbox (self->pg, "retention", "complaint.anonymised", self->complaint_no,
                             &data, &self->err);
    msgpack_sbuffer_destroy (&data);
    return rc;
}

/* One case, its own transaction: 1 anonymised, 0 skipped, -1 failed. */
static int
s_anonymise (pg_session_t *pg, const case_view_cfg_t *cfg, const staff_t *staff,
             const char *complaint_no)
{
    s_case_t self = { .pg = pg, .cfg = cfg, .staff = staff, .complaint_no = complaint_no };
    snprintf (self.years, sizeof self.years, "%ld", cfg->retention_years);
    int rc = case_action_transaction (pg, "retention", complaint_no, s_read, s_write, &self,
                                      &self.skip, &self.err);
    if (self.scrub_open)
        case_scrub_close (&self.scrub);
    PQclear (self.row);
    if (rc) {
        log_warn ("anonymise_failed", "complaint_no=%s code=%s reason=\"%s\"", complaint_no,
                  self.err.code ? self.err.code : "-", self.err.message);
        return -1;
    }
    if (self.skip)
        return 0;
    log_info ("anonymised", "complaint_no=%s evidence_erased=%d actions_scrubbed=%d"
              " messages_erased=%d texts_scrubbed=%d parts_deleted=%d actor=%s", complaint_no,
              self.evidence_erased, self.actions_scrubbed, self.messages_erased,
              self.texts.texts_scrubbed, self.texts.parts_deleted, staff->id);
    return 1;
}

int
case_retention_run (pg_session_t *pg, const case_view_cfg_t *cfg, const retention_run_t *req,
                    msgpack_sbuffer *reply)
{
    assert (pg && cfg && req && reply);
    proto_error_t err = { 0 };
    staff_t staff;
    if (staff_auth_lookup (pg, req->token, &staff, &err) == 0
    &&  staff.role != ROLE_COMPLAINT_OFFICE)
        proto_error_set (&err, PROTO_E_FORBIDDEN, "token", "a %s may not run the retention:"
                         " the complaint office does", lifecycle_role_name (staff.role));
    char years [24], limit [24];
    snprintf (years, sizeof years, "%ld", cfg->retention_years);
    snprintf (limit, sizeof limit, "%lld", (long long) req->limit);
    const char *values [] = { years, limit };
    PGresult *list = NULL, *cutoff = NULL;
    if (!err.code
    &&  (!(cutoff = pg_session_exec (pg, "retention_cutoff", s_cutoff_sql, 1, values, NULL,
                                     NULL, PGRES_TUPLES_OK))
         || !(list = pg_session_exec (pg, "retention_candidates", s_candidates_sql, 2, values,
                                      NULL, NULL, PGRES_TUPLES_OK))))
        proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
    if (err.code) {
        proto_pack_error (reply, &err);
        PQclear (list);
        PQclear (cutoff);
        return -1;
    }
    int n = PQntuples (list);
    int anonymised = 0, failed = 0;
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_kv_bool (&pk, "dry_run", req->dry_run);
    proto_pack_kv_int (&pk, "retention_years", cfg->retention_years);
    proto_pack_kv_int (&pk, "cutoff", strtoll (PQgetvalue (cutoff, 0, 0), NULL, 10));
    proto_pack_cstr (&pk, "cases");
    msgpack_pack_array (&pk, (size_t) n);
    for (int r = 0; r < n; r++) {
        const char *no = PQgetvalue (list, r, 0);
        int done = req->dry_run ? 0 : s_anonymise (pg, cfg, &staff, no);
        anonymised += done == 1;
        failed += done < 0;
        msgpack_pack_map (&pk, 3);
        proto_pack_kv_cstr (&pk, "complaint_no", no);
        proto_pack_kv_int (&pk, "closed_at", strtoll (PQgetvalue (list, r, 1), NULL, 10));
        proto_pack_kv_cstr (&pk, "result", req->dry_run ? "due" : done == 1 ? "anonymised"
                            : done == 0 ? "skipped" : "failed");
    }
    proto_pack_kv_int (&pk, "anonymised", anonymised);
    proto_pack_kv_int (&pk, "failed", failed);
    log_info ("retention_run", "dry_run=%s due=%d anonymised=%d failed=%d actor=%s",
              req->dry_run ? "true" : "false", n, anonymised, failed, staff.id);
    PQclear (list);
    PQclear (cutoff);
    return 0;
}
