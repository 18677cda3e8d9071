/*  case_evidence.c — a case's evidence (see case_evidence.h for the
 *  sequence and why).
 *
 *  The hash is intake's: SHA-256 (libsodium's crypto_hash_sha256) over the
 *  bytes as they arrived, so what the list shows is what the store holds,
 *  whatever a client claims. A recording_ref is hashed over its reference
 *  text, so the same reference under the same name is not kept twice.
 *
 *  The audit row keeps the name (staff read it in `show`, as they read a
 *  note); the event does not (events.c, complaint.evidence_added). The
 *  bytes are in the evidence row only.
 *
 *  Why bump the case's version: the case changed (it holds more), and a
 *  member of staff acting on the version they saw should learn of it, as
 *  for a colleague's note.
 */
#include "case_evidence.h"
#include "case_action.h"
#include "events.h"
#include "log.h"
#include "staff_auth.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(col) "(extract (epoch FROM " col ") * 1000)::bigint"

typedef struct {
    pg_session_t *pg;
    const evidence_add_t *add;
    staff_t staff;
    char id [24];
    case_state_t state;
    int64_t version, new_version;
    int64_t seq, size;
    unsigned char sha [crypto_hash_sha256_BYTES];
    char sha_hex [crypto_hash_sha256_BYTES * 2 + 1];
    bool duplicate;
    proto_error_t err;
} s_add_t;

static const char *s_case_sql =
    "SELECT c.id, c.state, c.version," STAFF_AUTH_SCOPE_SQL
    "  FROM complaint c LEFT JOIN department cd ON cd.id = c.department"
    " WHERE c.complaint_no = $1 FOR NO KEY UPDATE OF c";
#define CASE_SCOPE_COL 3

static const char *s_view_sql =
    "SELECT c.id, c.state, c.version," STAFF_AUTH_SCOPE_SQL
    "  FROM complaint c LEFT JOIN department cd ON cd.id = c.department"
    " WHERE c.complaint_no = $1";

static const char *s_seen_sql =
    "SELECT seq FROM evidence WHERE complaint_id = $1 AND sha256 = $2 AND name = $3";

static const char *s_totals_sql =
    "SELECT count (*) FILTER (WHERE refused IS NULL),"
    "       coalesce (sum (size) FILTER (WHERE content IS NOT NULL), 0),"
    "       coalesce (max (seq), 0)"
    "  FROM evidence WHERE complaint_id = $1";

static const char *s_insert_sql =
    "INSERT INTO evidence (complaint_id, seq, kind, name, media_type, size, sha256, uploader,"
    "  uploader_role, stored_at, content, reference)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, app_now (), $10, $11)";

/* Every item's audit row, uploaded or attached, kept or refused: what it
 * does not have is left out (jsonb_strip_nulls). */
static const char *s_audit_sql =
    "INSERT INTO case_action (complaint_id, actor, actor_role, action, state_before,"
    "  state_after, version_after, at, details)"
    " VALUES ($1, $2, $3, 'evidence', $4, $4, $5, app_now (), jsonb_strip_nulls ("
    "  jsonb_build_object ('seq', $6::integer, 'kind', $7::text, 'name', $8::text,"
    "  'media_type', $9::text, 'size', $10::bigint, 'sha256', $11::text,"
    "  'reference', $12::text, 'source', $13::text, 'refused', $14::text)))";

static const char *s_list_sql =
    "SELECT seq, kind, name, media_type, size, encode (sha256, 'hex'), uploader,"
    "       uploader_role, " MS ("stored_at") ", reference, refused,"
    "       " MS ("erased_at")                  /* issue 16 (i16-records): retention */
    "  FROM evidence WHERE complaint_id = $1 ORDER BY seq";

static const char *s_item_sql =
    "SELECT kind, name, media_type, size, encode (sha256, 'hex'), reference, content,"
    "       erased_at IS NOT NULL AND kind <> 'recording_ref'"     /* issue 16 (i16-records) */
    "  FROM evidence WHERE complaint_id = $1 AND seq = $2";

static PGresult *
s_exec (s_add_t *self, const char *step, const char *sql, int n, const char *const *values,
        const int *lengths, const int *formats)
{
    return case_action_exec (self->pg, "evidence", self->add->complaint_no, step, sql, n,
                             values, lengths, formats, &self->err);
}

static int
s_read (void *arg)
{
    s_add_t *self = arg;
    const evidence_add_t *e = self->add;
    const char *values [] = { e->complaint_no, self->staff.department, self->staff.path,
                              self->staff.id };
    PGresult *res = case_action_read (self->pg, "evidence", e->complaint_no, s_case_sql, 4,
                                      values, &self->err);
    if (!res)
        return -1;
    snprintf (self->id, sizeof self->id, "%s", PQgetvalue (res, 0, 0));
    const char *state = PQgetvalue (res, 0, 1);
    int bad_state = lifecycle_state_parse (state, strlen (state), &self->state);
    self->version = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
    int rc = staff_auth_may_see (&self->staff, res, CASE_SCOPE_COL, e->complaint_no,
                                 &self->err);
    PQclear (res);
    if (rc)
        return -1;
    if (bad_state) {
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the case is in an unknown state");
        return -1;
    }
    if (!lifecycle_allows (lifecycle_action ("note", 4), self->state)) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "complaint_no",
                         "complaint %s is %s: evidence is added to an open case",
                         e->complaint_no, lifecycle_state_name (self->state));
        return -1;
    }
    const char *seen [] = { self->id, (const char *) self->sha, e->name.ptr };
    int lengths [] = { 0, sizeof self->sha, (int) e->name.len };
    int formats [] = { 0, 1, 1 };
    res = s_exec (self, "seen", s_seen_sql, 3, seen, lengths, formats);
    if (!res)
        return -1;
    if (PQntuples (res) == 1) {
        self->seq = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
        self->new_version = self->version;
        self->duplicate = true;
    }
    PQclear (res);
    if (self->duplicate)
        return 0;
    case_evidence_totals_t totals;
    if (case_evidence_totals (self->pg, e->complaint_no, self->id, &totals, &self->err))
        return -1;
    long long items = totals.items, bytes = totals.bytes;
    self->seq = totals.next_seq;
    if (items >= EVIDENCE_MAX_ITEMS) {
        proto_error_set (&self->err, PROTO_E_TOO_LARGE, "complaint_no", "complaint %s holds"
                         " %lld items of evidence already: at most %d", e->complaint_no, items,
                         EVIDENCE_MAX_ITEMS);
        return -1;
    }
    if (bytes + self->size > EVIDENCE_MAX_CASE_BYTES) {
        proto_error_set (&self->err, PROTO_E_TOO_LARGE, "content", "complaint %s holds %lld"
                         " bytes of evidence; %lld more would pass the case's %d",
                         e->complaint_no, bytes, (long long) self->size,
                         EVIDENCE_MAX_CASE_BYTES);
        return -1;
    }
    return 0;
}

static int
s_write (void *arg)
{
    s_add_t *self = arg;
    const evidence_add_t *e = self->add;
    const char *role = lifecycle_role_name (self->staff.role);
    char seq [24], size [24];
    snprintf (seq, sizeof seq, "%lld", (long long) self->seq);
    snprintf (size, sizeof size, "%lld", (long long) self->size);
    const char *row [] = {
        self->id, seq, e->kind, e->name.ptr, e->media_type, size, (const char *) self->sha,
        self->staff.id, role, e->content.ptr, e->reference.ptr
    };
    int lengths [11] = { [3] = (int) e->name.len, [6] = sizeof self->sha,
                         [9] = (int) e->content.len, [10] = (int) e->reference.len };
    int formats [11] = { [3] = 1, [6] = 1, [9] = 1, [10] = 1 };
    PGresult *res = s_exec (self, "insert", s_insert_sql, 11, row, lengths, formats);
    if (!res)
        return -1;
    PQclear (res);
    case_evidence_item_t item = {
        .kind = "evidence", .case_id = self->id, .complaint_no = e->complaint_no,
        .state = self->state, .version = self->version, .seq = self->seq, .size = self->size,
        .evidence_kind = e->kind, .name = e->name.ptr, .name_len = (int) e->name.len,
        .reference = e->reference.ptr, .reference_len = (int) e->reference.len,
        .media_type = e->media_type, .sha256_hex = self->sha_hex, .uploader = self->staff.id,
        .actor = self->staff.id, .actor_role = role,
    };
    return case_evidence_item_done (self->pg, &item, &self->new_version, &self->err);
}

int
case_evidence_item_done (pg_session_t *pg, const case_evidence_item_t *item,
                         int64_t *new_version, proto_error_t *err)
{
    bool kept = !item->refused_code;
    if (case_action_bump (pg, item->kind, item->complaint_no, item->case_id, item->version,
                          new_version, err))
        return -1;
    char seq [24], size [24], version [24];
    snprintf (seq, sizeof seq, "%lld", (long long) item->seq);
    snprintf (size, sizeof size, "%lld", (long long) item->size);
    snprintf (version, sizeof version, "%lld", (long long) *new_version);
    const char *audit [] = {
        item->case_id, item->actor, item->actor_role, lifecycle_state_name (item->state),
        version, seq, item->evidence_kind, item->name, item->media_type, size,
        item->sha256_hex, item->reference, item->source, item->refused
    };
    int lengths [14] = { [7] = item->name_len, [11] = item->reference_len,
                         [12] = item->source_len };
    int formats [14] = { [7] = 1, [11] = 1, [12] = 1 };
    PGresult *res = case_action_exec (pg, item->kind, item->complaint_no, "audit", s_audit_sql,
                                      14, audit, lengths, formats, err);
    if (!res)
        return -1;
    PQclear (res);
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    events_evidence_t ev = { item->seq, item->evidence_kind, item->media_type,
                             kept ? item->size : 0, item->actor, item->actor_role,
                             *new_version };
    if (kept)
        events_complaint_evidence_added (&data, &ev);
    else
        events_complaint_evidence_refused (&data, &ev, item->refused_code);
    int rc = case_action_outbox (pg, item->kind, kept ? "complaint.evidence_added"
                                 : "complaint.evidence_refused", item->complaint_no, &data,
                                 err);
    msgpack_sbuffer_destroy (&data);
    return rc;
}

int
case_evidence_add (pg_session_t *pg, const evidence_add_t *add, msgpack_sbuffer *reply)
{
    assert (pg && add && reply);
    s_add_t self = { .pg = pg, .add = add };
    proto_str_t hashed = add->content.ptr ? add->content : add->reference;
    self.size = add->content.ptr ? (int64_t) add->content.len : 0;
    crypto_hash_sha256 (self.sha, (const unsigned char *) hashed.ptr, hashed.len);
    sodium_bin2hex (self.sha_hex, sizeof self.sha_hex, self.sha, sizeof self.sha);
    int rc = -1;
    if (staff_auth_lookup (pg, add->token, &self.staff, &self.err) == 0) {
        if (!(lifecycle_action ("note", 4)->roles & self.staff.role))
            proto_error_set (&self.err, PROTO_E_FORBIDDEN, "token", "a %s may not add"
                             " evidence", lifecycle_role_name (self.staff.role));
        else {
            rc = case_action_transaction (pg, "evidence", add->complaint_no, s_read, s_write,
                                          &self, &self.duplicate, &self.err);
        }
    }
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, self.duplicate ? 7 : 6);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_kv_cstr (&pk, "complaint_no", add->complaint_no);
        proto_pack_kv_int (&pk, "seq", self.seq);
        proto_pack_kv_int (&pk, "size", self.size);
        proto_pack_kv_cstr (&pk, "sha256", self.sha_hex);
        proto_pack_kv_int (&pk, "version", self.new_version);
        if (self.duplicate)
            proto_pack_kv_bool (&pk, "duplicate", true);
        log_info ("evidence_added", "complaint_no=%s seq=%lld kind=%s size=%lld actor=%s"
                  " duplicate=%s", add->complaint_no, (long long) self.seq, add->kind,
                  (long long) self.size, self.staff.id, self.duplicate ? "true" : "false");
    }
    else {
        if (!self.err.code)
            proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "",
                             "the store did not confirm the evidence; retry");
        proto_pack_error (reply, &self.err);
        log_info ("evidence_refused", "complaint_no=%s code=%s field=%s", add->complaint_no,
                  self.err.code, self.err.field [0] ? self.err.field : "-");
    }
    return rc;
}

int
case_evidence_get (pg_session_t *pg, const evidence_get_t *get, msgpack_sbuffer *reply)
{
    assert (pg && get && reply);
    proto_error_t err = { 0 };
    staff_t staff = { 0 };
    PGresult *res = staff_auth_case (pg, get->token, get->complaint_no, "evidence_case",
                                     s_view_sql, CASE_SCOPE_COL, &staff, &err);
    PGresult *item = NULL;
    int rc = -1;
    if (res) {
        char seq [24];
        snprintf (seq, sizeof seq, "%lld", (long long) get->seq);
        const char *args [] = { PQgetvalue (res, 0, 0), seq };
        //  Binary results: the content comes back as its bytes, not hex.
        item = PQexecParams (pg_session_conn (pg), s_item_sql, 2, NULL, args, NULL, NULL, 1);
        if (PQresultStatus (item) != PGRES_TUPLES_OK)
            proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
        else
        if (PQntuples (item) == 0)
            proto_error_set (&err, PROTO_E_NOT_FOUND, "seq", "complaint %s has no evidence %s",
                             get->complaint_no, seq);
        else
        if (*PQgetvalue (item, 0, 7))       /* binary bool: 1 when the retention erased it */
            proto_error_set (&err, PROTO_E_NOT_FOUND, "seq", "the bytes of evidence %s of"
                             " complaint %s were deleted under the retention rule; its name,"
                             " type, size and SHA-256 are kept", seq, get->complaint_no);
        else
        if (PQgetisnull (item, 0, 5) && PQgetisnull (item, 0, 6))
            /* issue 16 (i16-mailev): a refused attachment has no bytes */
            proto_error_set (&err, PROTO_E_NOT_FOUND, "seq", "evidence %s of complaint %s was"
                             " not kept (refused; complaintctl show says why)", seq,
                             get->complaint_no);
        else
            rc = 0;
    }
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 9);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_kv_cstr (&pk, "complaint_no", get->complaint_no);
        proto_pack_kv_int (&pk, "seq", get->seq);
        static const char *keys [] = { "kind", "name", "media_type" };
        for (int c = 0; c < 3; c++) {
            proto_pack_cstr (&pk, keys [c]);
            proto_pack_strn (&pk, PQgetvalue (item, 0, c), (size_t) PQgetlength (item, 0, c));
        }
        //  bigint in network order (binary result format)
        const unsigned char *b = (const unsigned char *) PQgetvalue (item, 0, 3);
        uint64_t size = 0;
        for (int i = 0; i < 8; i++)
            size = size << 8 | b [i];
        proto_pack_kv_int (&pk, "size", (int64_t) size);
        proto_pack_cstr (&pk, "sha256");
        proto_pack_strn (&pk, PQgetvalue (item, 0, 4), (size_t) PQgetlength (item, 0, 4));
        if (PQgetisnull (item, 0, 6)) {
            proto_pack_cstr (&pk, "reference");
            proto_pack_strn (&pk, PQgetvalue (item, 0, 5), (size_t) PQgetlength (item, 0, 5));
        }
        else {
            proto_pack_cstr (&pk, "content");
            msgpack_pack_bin (&pk, (size_t) PQgetlength (item, 0, 6));
            msgpack_pack_bin_body (&pk, PQgetvalue (item, 0, 6),
                                   (size_t) PQgetlength (item, 0, 6));
        }
    }
    else
        proto_pack_error (reply, &err);
    PQclear (item);
    PQclear (res);
    return rc;
}

PGresult *
case_evidence_list_read (pg_session_t *pg, const char *complaint_id)
{
    const char *values [] = { complaint_id };
    return pg_session_exec (pg, "get_evidence", s_list_sql, 1, values, NULL, NULL,
                            PGRES_TUPLES_OK);
}

int
case_evidence_totals (pg_session_t *pg, const char *complaint_no, const char *complaint_id,
                      case_evidence_totals_t *totals, proto_error_t *err)
{
    const char *id [] = { complaint_id };
    PGresult *res = case_action_exec (pg, "evidence", complaint_no, "totals", s_totals_sql, 1, id,
                                      NULL, NULL, err);
    if (!res)
        return -1;
    totals->items = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    totals->bytes = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
    totals->next_seq = strtoll (PQgetvalue (res, 0, 2), NULL, 10) + 1;
    PQclear (res);
    return 0;
}

void
case_evidence_list_pack (msgpack_packer *pk, const PGresult *res)
{
    /* issue 16 (i16-mailev): "refused" (an attachment not kept, and why) */
    static const char *keys [] = { "seq", "kind", "name", "media_type", "size", "sha256",
                                   "uploader", "uploader_role", "stored_at", "reference",
                                   "refused" };
    static const bool number [] = { true, false, false, false, true, false, false, false,
                                    true, false, false };
    int n = PQntuples (res);
    msgpack_pack_array (pk, (size_t) n);
    for (int r = 0; r < n; r++) {
        /* reference, refused (i16-mailev) and erased_at (i16-records) only
         * when set */
        bool erased = !PQgetisnull (res, r, 11);
        int cols = erased;
        for (int c = 0; c < 11; c++)
            cols += c < 9 || !PQgetisnull (res, r, c);
        msgpack_pack_map (pk, (size_t) cols);
        if (erased)
            proto_pack_kv_int (pk, "erased_at", strtoll (PQgetvalue (res, r, 11), NULL, 10));
        for (int c = 0; c < 11; c++) {
            if (c >= 9 && PQgetisnull (res, r, c))
                continue;
            proto_pack_cstr (pk, keys [c]);
            const char *v = PQgetvalue (res, r, c);
            if (number [c])
                msgpack_pack_int64 (pk, strtoll (v, NULL, 10));
            else
                proto_pack_strn (pk, v, (size_t) PQgetlength (res, r, c));
        }
    }
}
