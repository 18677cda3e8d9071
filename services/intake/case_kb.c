/*  case_kb.c — the knowledge base: kb_promote, kb_search and the staff
 *  view's suggestions (see case_kb.h).
 *
 *  Why the texts are scrubbed in C, here, and not in SQL: the customer's
 *  own identifiers are needed to mask them, and they exist only sealed in
 *  the store; intake holds the key. Promoting again re-scrubs whatever the
 *  promoter wrote, so an edit cannot put an identity back in.
 */
#include "case_kb.h"
#include "case_action.h"
#include "case_scrub.h"
#include "log.h"
#include "staff_auth.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(col) "(extract (epoch FROM " col ") * 1000)::bigint"
#define S_TEXT_(n) #n
#define S_TEXT(n) S_TEXT_ (n)

typedef struct {
    pg_session_t *pg;
    const case_view_cfg_t *cfg;
    const kb_promote_t *req;
    staff_t staff;
    char id [24];
    case_state_t state;
    int64_t version;
    char *summary, *answer;         /* scrubbed */
    char business_line [64], cause [64], lang [16];
    int64_t kb_id;
    bool created;
    proto_error_t err;
} s_promote_t;

static const char *s_case_sql =
    "SELECT c.id, c.state, c.version, coalesce (c.business_line, ''), coalesce (c.cause, ''),"
    "       c.lang, coalesce (c.subject, ''), c.body, coalesce (encode (c.customer_sealed,"
    "       'hex'), ''),"
    /* issue 16 (i16-integrate): the default answer is the vetted,
     * customer-facing reasons (complaint.customer_text, 037) when the
     * case has them: what the customer was told, approved by the vetting
     * office; else the last decision's own text (resolve, or a proposal) */
    "       coalesce (nullif (c.customer_text, ''), (SELECT a.details->>'text' FROM case_action a"
    "         WHERE a.complaint_id = c.id AND a.action IN ('resolve', 'propose')"
    "         ORDER BY a.id DESC LIMIT 1)),"
    STAFF_AUTH_SCOPE_SQL
    "  FROM complaint c LEFT JOIN department cd ON cd.id = c.department"
    " WHERE c.complaint_no = $1 FOR NO KEY UPDATE OF c";
enum { K_ID, K_STATE, K_VERSION, K_LINE, K_CAUSE, K_LANG, K_SUBJECT, K_BODY, K_SEALED,
       K_RESOLVE, K_SCOPE };

static const char *s_upsert_sql =
    "INSERT INTO kb_entry AS k (complaint_id, business_line, cause, lang, summary, answer,"
    "  promoted_by, promoted_at)"
    " VALUES ($1, nullif ($2, ''), nullif ($3, ''), $4, $5, $6, $7, app_now ())"
    " ON CONFLICT (complaint_id) DO UPDATE SET business_line = EXCLUDED.business_line,"
    "   cause = EXCLUDED.cause, lang = EXCLUDED.lang, summary = EXCLUDED.summary,"
    "   answer = EXCLUDED.answer, promoted_by = EXCLUDED.promoted_by,"
    "   promoted_at = EXCLUDED.promoted_at"
    " RETURNING k.id, (k.xmax = 0)";

static const char *s_audit_sql =
    "INSERT INTO case_action (complaint_id, actor, actor_role, action, state_before,"
    "  state_after, version_after, at, details)"
    " VALUES ($1, $2, $3, 'kb_promote', $4, $4, $5, app_now (),"
    "  jsonb_build_object ('kb_id', $6::bigint, 'replaced', $7::boolean))";

static int
s_read (void *arg)
{
    s_promote_t *self = arg;
    const char *no = self->req->complaint_no;
    const char *values [] = { no, self->staff.department, self->staff.path, self->staff.id };
    PGresult *res = case_action_read (self->pg, "kb_promote", no, s_case_sql, 4, values,
                                      &self->err);
    if (!res)
        return -1;
    int rc = staff_auth_may_see (&self->staff, res, K_SCOPE, no, &self->err);
    snprintf (self->id, sizeof self->id, "%s", PQgetvalue (res, 0, K_ID));
    const char *state = PQgetvalue (res, 0, K_STATE);
    if (rc == 0 && lifecycle_state_parse (state, strlen (state), &self->state)) {
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the case is in an unknown state");
        rc = -1;
    }
    if (rc == 0 && self->state != STATE_RESOLVED && self->state != STATE_CLOSED) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "complaint_no",
                         "complaint %s is %s: a resolved or closed case is promoted", no, state);
        rc = -1;
    }
    proto_str_t answer = self->req->answer;
    if (rc == 0 && !answer.ptr && !PQgetisnull (res, 0, K_RESOLVE))
        answer = (proto_str_t) { PQgetvalue (res, 0, K_RESOLVE),
                                 (size_t) PQgetlength (res, 0, K_RESOLVE) };
    if (rc == 0 && (!answer.ptr || answer.len == 0)) {
        proto_error_set (&self->err, PROTO_E_MISSING_FIELD, "answer", "complaint %s has no"
                         " resolution text: give the answer", no);
        rc = -1;
    }
    case_scrub_t scrub;
    if (rc == 0 && case_scrub_open (&scrub, self->cfg->seal, PQgetvalue (res, 0, K_SEALED),
                                    no)) {
        proto_error_set (&self->err, PROTO_E_UNAVAILABLE, "", "the customer's identity does"
                         " not open with intake's keys: nothing can be scrubbed of it");
        rc = -1;
    }
    if (rc == 0) {
        self->version = strtoll (PQgetvalue (res, 0, K_VERSION), NULL, 10);
        snprintf (self->business_line, sizeof self->business_line, "%s",
                  PQgetvalue (res, 0, K_LINE));
        snprintf (self->cause, sizeof self->cause, "%s", PQgetvalue (res, 0, K_CAUSE));
        //  the summary: the promoter's, else the case's subject and text
        char *own = NULL;
        proto_str_t summary = self->req->summary;
        if (!summary.ptr) {
            const char *subject = PQgetvalue (res, 0, K_SUBJECT);
            if (asprintf (&own, "%s%s%s", subject, *subject ? "\n" : "",
                          PQgetvalue (res, 0, K_BODY)) < 0)
                own = NULL;
            summary = (proto_str_t) { own, own ? strlen (own) : 0 };
        }
        self->summary = summary.ptr ? case_scrub_text (&scrub, summary.ptr, summary.len,
                                                       CASE_KB_MAX_CHARS) : NULL;
        self->answer = case_scrub_text (&scrub, answer.ptr, answer.len, CASE_KB_MAX_CHARS);
        free (own);
        case_scrub_close (&scrub);
        if (!self->summary || !self->answer || !*self->summary || !*self->answer) {
            proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the texts could not be scrubbed");
            rc = -1;
        }
    }
    snprintf (self->lang, sizeof self->lang, "%s", PQgetvalue (res, 0, K_LANG));
    PQclear (res);
    return rc;
}

static int
s_write (void *arg)
{
    s_promote_t *self = arg;
    const char *no = self->req->complaint_no;
    const char *row [] = { self->id, self->business_line, self->cause, self->lang,
                           self->summary, self->answer, self->staff.id };
    PGresult *res = case_action_exec (self->pg, "kb_promote", no, "upsert", s_upsert_sql, 7,
                                      row, NULL, NULL, &self->err);
    if (!res)
        return -1;
    self->kb_id = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    self->created = PQgetvalue (res, 0, 1) [0] == 't';
    PQclear (res);
    char kb_id [24], version [24];
    snprintf (kb_id, sizeof kb_id, "%lld", (long long) self->kb_id);
    snprintf (version, sizeof version, "%lld", (long long) self->version);
    const char *audit [] = { self->id, self->staff.id, lifecycle_role_name (self->staff.role),
                             lifecycle_state_name (self->state), version, kb_id,
                             self->created ? "false" : "true" };
    res = case_action_exec (self->pg, "kb_promote", no, "audit", s_audit_sql, 7, audit, NULL,
                            NULL, &self->err);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

int
case_kb_promote (pg_session_t *pg, const case_view_cfg_t *cfg, const kb_promote_t *req,
                 msgpack_sbuffer *reply)
{
    assert (pg && cfg && req && reply);
    s_promote_t self = { .pg = pg, .cfg = cfg, .req = req };
    bool duplicate = false;
    int rc = -1;
    if (staff_auth_lookup (pg, req->token, &self.staff, &self.err) == 0) {
        if (self.staff.role != ROLE_COMPLAINT_OFFICE)
            proto_error_set (&self.err, PROTO_E_FORBIDDEN, "token", "a %s may not promote a"
                             " case to the knowledge base: the complaint office does",
                             lifecycle_role_name (self.staff.role));
        else
            rc = case_action_transaction (pg, "kb_promote", req->complaint_no, s_read, s_write,
                                          &self, &duplicate, &self.err);
    }
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 8);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_kv_int (&pk, "id", self.kb_id);
        proto_pack_kv_cstr (&pk, "complaint_no", req->complaint_no);
        proto_pack_kv_bool (&pk, "created", self.created);
        proto_pack_kv_cstr (&pk, "business_line", self.business_line);
        proto_pack_kv_cstr (&pk, "cause", self.cause);
        proto_pack_kv_cstr (&pk, "summary", self.summary);
        proto_pack_kv_cstr (&pk, "answer", self.answer);
        log_info ("kb_promoted", "complaint_no=%s id=%lld created=%s actor=%s",
                  req->complaint_no, (long long) self.kb_id, self.created ? "true" : "false",
                  self.staff.id);
    }
    else {
        if (!self.err.code)
            proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "",
                             "the complaint store failed; retry");
        proto_pack_error (reply, &self.err);
        log_info ("kb_promote_refused", "complaint_no=%s code=%s field=%s", req->complaint_no,
                  self.err.code, self.err.field [0] ? self.err.field : "-");
    }
    free (self.summary);
    free (self.answer);
    return rc;
}

//  --------------------------------------------------------------------------
//  Search and suggestions: one row shape, one packer.

#define KB_COLUMNS \
    "k.id, c.complaint_no, coalesce (k.business_line, ''), coalesce (k.cause, ''), k.lang," \
    " k.summary, k.answer, k.promoted_by, " MS ("k.promoted_at")

/* $1 business line, $2 cause, $3 words (each NULL: any), $4 limit. A word
 * is one whitespace-separated piece, matched as a substring (LIKE's own
 * characters escaped); all of them must be in the entry, or the words as an
 * English full-text query must match. */
static const char *s_search_sql =
    "WITH q AS (SELECT $3::text AS words, ARRAY (SELECT '%' || replace (replace (replace ("
    "             w, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"
    "             FROM regexp_split_to_table (coalesce ($3::text, ''), '\\s+') w"
    "            WHERE w <> '') AS pats)"
    " SELECT " KB_COLUMNS ","
    "  round ((CASE WHEN q.words IS NULL THEN 0 ELSE greatest (word_similarity (q.words, k.doc),"
    "         ts_rank (k.tsv, plainto_tsquery ('english', q.words))) END)::numeric, 3)::text"
    "   AS score"
    "  FROM kb_entry k JOIN complaint c ON c.id = k.complaint_id, q"
    " WHERE ($1::text IS NULL OR k.business_line = $1)"
    "   AND ($2::text IS NULL OR k.cause = $2)"
    "   AND (q.words IS NULL OR k.doc ILIKE ALL (q.pats)"
    "        OR k.tsv @@ plainto_tsquery ('english', q.words))"
    " ORDER BY score DESC, k.id DESC LIMIT $4";

/* The rule is the store's, declared once (kb_suggest, migration 049): the
 * notifier's assignment notice asks the same function. */
static const char *s_suggest_sql =
    "SELECT * FROM kb_suggest ($1, " S_TEXT (CASE_KB_SUGGESTIONS) ")";

static void
s_pack_entries (msgpack_packer *pk, const PGresult *res)
{
    static const char *keys [] = { "id", "complaint_no", "business_line", "cause", "lang",
                                   "summary", "answer", "promoted_by", "promoted_at", "score" };
    int n = res ? PQntuples (res) : 0;
    msgpack_pack_array (pk, (size_t) n);
    for (int r = 0; r < n; r++) {
        msgpack_pack_map (pk, 10);
        for (int c = 0; c < 10; c++) {
            proto_pack_cstr (pk, keys [c]);
            const char *v = PQgetvalue (res, r, c);
            if (c == 0 || c == 8)
                msgpack_pack_int64 (pk, strtoll (v, NULL, 10));
            else
            if (c == 9)
                msgpack_pack_double (pk, strtod (v, NULL));
            else
                proto_pack_strn (pk, v, (size_t) PQgetlength (res, r, c));
        }
    }
}

int
case_kb_search (pg_session_t *pg, const kb_search_t *req, msgpack_sbuffer *reply)
{
    assert (pg && req && reply);
    proto_error_t err = { 0 };
    staff_t staff;
    if (staff_auth_lookup (pg, req->token, &staff, &err)) {
        proto_pack_error (reply, &err);
        return -1;
    }
    char limit [24];
    snprintf (limit, sizeof limit, "%lld", (long long) req->limit);
    const char *values [] = { req->business_line.ptr, req->cause.ptr, req->words.ptr, limit };
    int lengths [] = { (int) req->business_line.len, (int) req->cause.len,
                       (int) req->words.len, 0 };
    int formats [] = { 1, 1, 1, 0 };      /* the strings as sent: counted, not NUL-ended */
    PGresult *res = pg_session_exec (pg, "kb_search", s_search_sql, 4, values, lengths,
                                     formats, PGRES_TUPLES_OK);
    if (!res) {
        proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
        proto_pack_error (reply, &err);
        return -1;
    }
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_cstr (&pk, "entries");
    s_pack_entries (&pk, res);
    PQclear (res);
    return 0;
}

void
case_kb_suggest_pack (msgpack_packer *pk, pg_session_t *pg, const char *complaint_id)
{
    const char *values [] = { complaint_id };
    PGresult *res = pg_session_exec (pg, "kb_suggest", s_suggest_sql, 1, values, NULL, NULL,
                                     PGRES_TUPLES_OK);
    s_pack_entries (pk, res);
    PQclear (res);
}
