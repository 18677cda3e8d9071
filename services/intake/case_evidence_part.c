/*  case_evidence_part.c — one part of an e-mail attachment, as one
 *  transaction (see case_evidence_part.h for the sequence and why).
 *
 *  The hash that decides is the store's: the joined bytes are hashed by
 *  PostgreSQL (sha256 ()) in the transaction that keeps them, so what the
 *  row says is what the row holds, whatever the adapter declared; the
 *  declared hash only lets intake tell a mis-joined item (parts of two
 *  different sendings at the same offsets) from a whole one.
 *
 *  An item the adapter itself did not keep (over its --max-attachment)
 *  comes as one request with `refused` and no bytes: a refused row
 *  (adapter_limit) at once.
 *
 *  Refusals are rows, not errors: the adapter's spool would keep an error
 *  for an operator, and the staff would never learn the customer sent
 *  something. A refused row has the name, type, declared size and hash,
 *  and the reason ("case_bytes: ..."); no bytes. Its parts are deleted.
 *
 *  Idempotency. The item's identity is its source ("<Message-ID>#N"); a
 *  part's is (source, offset): the primary key of evidence_part makes a
 *  resent part a no-op, the partial unique index on evidence (complaint_id,
 *  source) makes a whole item once. All of it runs under the case's row
 *  lock, so two parts of one case never race each other.
 */
#include "case_evidence_part.h"
#include "case_action.h"
#include "case_evidence.h"
#include "log.h"

#include <assert.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ROLE "adapter"

typedef struct {
    pg_session_t *pg;
    const evidence_add_t *add;
    const char *actor;
    char id [24];
    case_state_t state;
    int64_t version, new_version;
    int64_t seq, received;
    unsigned char sha [crypto_hash_sha256_BYTES];
    bool duplicate, complete;
    const char *refused_code;       /* set: a refused row is written */
    char refused [400];             /* "code: sentence" (the row's, and the reply's) */
    proto_error_t err;
} s_part_t;

static const char *s_case_sql =
    "SELECT id, state, version FROM complaint WHERE complaint_no = $1 FOR NO KEY UPDATE";

static const char *s_seen_sql =
    "SELECT seq, coalesce (refused, ''), size FROM evidence"
    " WHERE complaint_id = $1 AND ((kind = 'email_attachment' AND source = $2)"
    "                              OR (sha256 = $3 AND name = $4))"
    " ORDER BY seq LIMIT 1";


/* With what the item declared (054): the sweep's row if the rest never
 * comes (case_evidence_sweep.c). */
static const char *s_part_sql =
    "INSERT INTO evidence_part (complaint_id, source, part_offset, content, name, media_type,"
    "  size, sha256, uploader)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";

static const char *s_held_sql =
    "SELECT coalesce (sum (octet_length (content)), 0) FROM evidence_part"
    " WHERE complaint_id = $1 AND source = $2";

/* The parts joined by offset: their length and hash, checked before the
 * row is written (a gap or an overlap shows as a length or hash that is
 * not the declared one). */
static const char *s_joined_sql =
    "SELECT octet_length (j), sha256 (j) = $3 FROM ("
    "  SELECT string_agg (content, ''::bytea ORDER BY part_offset) AS j FROM evidence_part"
    "   WHERE complaint_id = $1 AND source = $2) p";

static const char *s_insert_sql =
    "INSERT INTO evidence (complaint_id, seq, kind, name, media_type, size, sha256, uploader,"
    "  uploader_role, source, stored_at, content)"
    " SELECT $1, $4, 'email_attachment', $5, $6, $7, $3, $8, '" S_ROLE "', $2, app_now (),"
    "        string_agg (content, ''::bytea ORDER BY part_offset)"
    "   FROM evidence_part WHERE complaint_id = $1 AND source = $2";

/* A refused row: no bytes. ON CONFLICT: the sweep's item may meet the same
 * bytes under the same name already on the case (evidence_once); a part's
 * refusal never does (its read checked under the same lock). */
static const char *s_refused_sql =
    "INSERT INTO evidence (complaint_id, seq, kind, name, media_type, size, sha256, uploader,"
    "  uploader_role, source, stored_at, refused)"
    " VALUES ($1, $2, 'email_attachment', $3, $4, $5, decode ($6, 'hex'), $7, '" S_ROLE "', $8,"
    "         app_now (), $9)"
    " ON CONFLICT DO NOTHING";

static const char *s_drop_sql =
    "DELETE FROM evidence_part WHERE complaint_id = $1 AND source = $2";

static PGresult *
s_exec (s_part_t *self, const char *step, const char *sql, int n, const char *const *values,
        const int *lengths, const int *formats)
{
    return case_action_exec (self->pg, "evidence", self->add->complaint_no, step, sql, n,
                             values, lengths, formats, &self->err);
}

static void
s_refuse (s_part_t *self, const char *code, const char *fmt, ...)
{
    self->refused_code = code;
    int n = snprintf (self->refused, sizeof self->refused, "%s: ", code);
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->refused + n, sizeof self->refused - (size_t) n, fmt, args);
    va_end (args);
}

/* Lock the case; an item seen before is answered again; the limits. */
static int
s_read (void *arg)
{
    s_part_t *self = arg;
    const evidence_add_t *e = self->add;
    const char *values [] = { e->complaint_no };
    PGresult *res = case_action_read (self->pg, "evidence", e->complaint_no, s_case_sql, 1,
                                      values, &self->err);
    if (!res)
        return -1;
    snprintf (self->id, sizeof self->id, "%s", PQgetvalue (res, 0, 0));
    const char *state = PQgetvalue (res, 0, 1);
    int bad_state = lifecycle_state_parse (state, strlen (state), &self->state);
    self->version = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
    PQclear (res);
    if (bad_state) {
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the case is in an unknown state");
        return -1;
    }
    const char *seen [] = { self->id, e->source.ptr, (const char *) self->sha, e->name.ptr };
    int lengths [] = { 0, (int) e->source.len, sizeof self->sha, (int) e->name.len };
    int formats [] = { 0, 1, 1, 1 };
    res = s_exec (self, "seen", s_seen_sql, 4, seen, lengths, formats);
    if (!res)
        return -1;
    if (PQntuples (res) == 1) {
        self->seq = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
        snprintf (self->refused, sizeof self->refused, "%s", PQgetvalue (res, 0, 1));
        self->received = *self->refused ? 0 : strtoll (PQgetvalue (res, 0, 2), NULL, 10);
        self->complete = !*self->refused;
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
    if (e->refused.ptr)
        s_refuse (self, "adapter_limit", "%.*s", (int) e->refused.len, e->refused.ptr);
    else
    if (!lifecycle_state_open (self->state))
        s_refuse (self, "case_finished", "the case was %s when the attachment arrived;"
                  " evidence is added to an open case", lifecycle_state_name (self->state));
    else
    if (e->size > EVIDENCE_MAX_ITEM_BYTES)
        s_refuse (self, "item_too_large", "the attachment is %lld bytes; one item may be at"
                  " most %d", (long long) e->size, EVIDENCE_MAX_ITEM_BYTES);
    else
    if (items >= EVIDENCE_MAX_ITEMS)
        s_refuse (self, "case_items", "the case holds %lld items of evidence already; at most"
                  " %d", items, EVIDENCE_MAX_ITEMS);
    else
    if (bytes + e->size > EVIDENCE_MAX_CASE_BYTES)
        s_refuse (self, "case_bytes", "the case holds %lld bytes of evidence; %lld more would"
                  " pass its %d", bytes, (long long) e->size, EVIDENCE_MAX_CASE_BYTES);
    return 0;
}

static int
s_drop_parts (pg_session_t *pg, const case_evidence_item_t *item, proto_error_t *err)
{
    const char *parts [] = { item->case_id, item->source };
    int lengths [] = { 0, item->source_len };
    int formats [] = { 0, 1 };
    PGresult *res = case_action_exec (pg, item->kind, item->complaint_no, "drop_parts",
                                      s_drop_sql, 2, parts, lengths, formats, err);
    PQclear (res);
    return res ? 0 : -1;
}

int
case_evidence_item_refuse (pg_session_t *pg, const case_evidence_item_t *item, bool *written,
                           int64_t *new_version, proto_error_t *err)
{
    assert (item->refused_code && item->refused);
    char seq [24], size [24];
    snprintf (seq, sizeof seq, "%lld", (long long) item->seq);
    snprintf (size, sizeof size, "%lld", (long long) item->size);
    const char *row [] = { item->case_id, seq, item->name, item->media_type, size,
                           item->sha256_hex, item->uploader, item->source, item->refused };
    int lengths [9] = { [2] = item->name_len, [7] = item->source_len };
    int formats [9] = { [2] = 1, [7] = 1 };
    PGresult *res = case_action_exec (pg, item->kind, item->complaint_no, "refused",
                                      s_refused_sql, 9, row, lengths, formats, err);
    if (!res)
        return -1;
    *written = strcmp (PQcmdTuples (res), "1") == 0;
    PQclear (res);
    if (s_drop_parts (pg, item, err))
        return -1;
    if (!*written) {                /* the same item is on the case already: only the parts go */
        *new_version = item->version;
        return 0;
    }
    return case_evidence_item_done (pg, item, new_version, err);
}

/* This part's item as case_evidence_item's functions take it. */
static case_evidence_item_t
s_item (const s_part_t *self)
{
    const evidence_add_t *e = self->add;
    return (case_evidence_item_t) {
        .kind = "evidence", .case_id = self->id, .complaint_no = e->complaint_no,
        .state = self->state, .version = self->version, .seq = self->seq, .size = e->size,
        .evidence_kind = "email_attachment",
        .source = e->source.ptr, .source_len = (int) e->source.len,
        .name = e->name.ptr, .name_len = (int) e->name.len,
        .media_type = e->media_type, .sha256_hex = e->sha256, .uploader = self->actor,
        .actor = self->actor, .actor_role = S_ROLE,
        .refused_code = self->refused_code,
        .refused = self->refused_code ? self->refused : NULL,       /* kept: none */
    };
}

/* The item refused: its row, the rest as every refusal. */
static int
s_refused (s_part_t *self)
{
    case_evidence_item_t item = s_item (self);
    bool written;
    if (case_evidence_item_refuse (self->pg, &item, &written, &self->new_version, &self->err))
        return -1;
    if (!written) {                 /* cannot be: the read checked under the lock */
        proto_error_set (&self->err, PROTO_E_INTERNAL, "source",
                         "the refused item is on the case already");
        return -1;
    }
    return 0;
}

/* The item whole: the joined bytes kept, the rest as every item. */
static int
s_kept (s_part_t *self)
{
    const evidence_add_t *e = self->add;
    char seq [24], size [24];
    snprintf (seq, sizeof seq, "%lld", (long long) self->seq);
    snprintf (size, sizeof size, "%lld", (long long) e->size);
    const char *row [] = { self->id, e->source.ptr, (const char *) self->sha, seq, e->name.ptr,
                           e->media_type, size, self->actor };
    int lengths [8] = { [1] = (int) e->source.len, [2] = sizeof self->sha,
                        [4] = (int) e->name.len };
    int formats [8] = { [1] = 1, [2] = 1, [4] = 1 };
    PGresult *res = s_exec (self, "insert", s_insert_sql, 8, row, lengths, formats);
    if (!res)
        return -1;
    PQclear (res);
    case_evidence_item_t item = s_item (self);
    if (s_drop_parts (self->pg, &item, &self->err))
        return -1;
    return case_evidence_item_done (self->pg, &item, &self->new_version, &self->err);
}

static int
s_write (void *arg)
{
    s_part_t *self = arg;
    const evidence_add_t *e = self->add;
    if (self->refused_code)
        return s_refused (self);
    char offset [24], size [24];
    snprintf (offset, sizeof offset, "%lld", (long long) e->offset);
    snprintf (size, sizeof size, "%lld", (long long) e->size);
    const char *part [] = { self->id, e->source.ptr, offset, e->content.ptr, e->name.ptr,
                            e->media_type, size, (const char *) self->sha, self->actor };
    int lengths [] = { 0, (int) e->source.len, 0, (int) e->content.len, (int) e->name.len, 0, 0,
                       sizeof self->sha, 0 };
    int formats [] = { 0, 1, 0, 1, 1, 0, 0, 1, 0 };
    PGresult *res = s_exec (self, "part", s_part_sql, 9, part, lengths, formats);
    if (!res)
        return -1;
    PQclear (res);
    res = s_exec (self, "held", s_held_sql, 2, part, lengths, formats);
    if (!res)
        return -1;
    self->received = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    if (self->received < e->size) {
        self->new_version = self->version;
        return 0;                   /* more parts to come: nothing visible yet */
    }
    const char *joined [] = { self->id, e->source.ptr, (const char *) self->sha };
    int jlengths [] = { 0, (int) e->source.len, sizeof self->sha };
    int jformats [] = { 0, 1, 1 };
    res = s_exec (self, "joined", s_joined_sql, 3, joined, jlengths, jformats);
    if (!res)
        return -1;
    long long length = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    bool same = strcmp (PQgetvalue (res, 0, 1), "t") == 0;
    PQclear (res);
    if (length != e->size || !same) {
        s_refuse (self, "hash_mismatch", "the parts joined to %lld bytes whose SHA-256 is not"
                  " the declared %s", length, e->sha256);
        self->received = 0;
        return s_refused (self);
    }
    self->complete = true;
    return s_kept (self);
}

int
case_evidence_part_add (pg_session_t *pg, const char *actor, const evidence_add_t *add,
                        msgpack_sbuffer *reply)
{
    assert (pg && actor && add && reply && add->source.ptr);
    s_part_t self = { .pg = pg, .add = add, .actor = actor };
    sodium_hex2bin (self.sha, sizeof self.sha, add->sha256, 64, NULL, NULL, NULL);
    int rc = case_action_transaction (pg, "evidence", add->complaint_no, s_read, s_write, &self,
                                      &self.duplicate, &self.err);
    if (rc == 0) {
        bool versioned = self.duplicate || self.complete || self.refused_code;
        bool has_seq = self.duplicate || self.complete || self.refused_code;
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 7 + has_seq + (*self.refused != 0) + versioned
                               + self.duplicate);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_kv_cstr (&pk, "complaint_no", add->complaint_no);
        proto_pack_cstr (&pk, "source");
        proto_pack_strn (&pk, add->source.ptr, add->source.len);
        proto_pack_kv_int (&pk, "size", add->size);
        proto_pack_kv_int (&pk, "received", self.received);
        proto_pack_kv_bool (&pk, "complete", self.complete);
        proto_pack_kv_cstr (&pk, "sha256", add->sha256);
        if (has_seq)
            proto_pack_kv_int (&pk, "seq", self.seq);
        if (*self.refused)
            proto_pack_kv_cstr (&pk, "refused", self.refused);
        if (versioned)
            proto_pack_kv_int (&pk, "version", self.new_version);
        if (self.duplicate)
            proto_pack_kv_bool (&pk, "duplicate", true);
        if (self.complete || self.refused_code || self.duplicate)
            log_info ("evidence_part", "complaint_no=%s seq=%lld size=%lld actor=%s"
                      " complete=%s refused=%s duplicate=%s", add->complaint_no,
                      (long long) self.seq, (long long) add->size, actor,
                      self.complete ? "true" : "false",
                      self.refused_code ? self.refused_code : "-",
                      self.duplicate ? "true" : "false");
    }
    else {
        if (!self.err.code)
            proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "",
                             "the store did not confirm the evidence; retry");
        proto_pack_error (reply, &self.err);
        log_info ("evidence_refused", "complaint_no=%s actor=%s code=%s field=%s",
                  add->complaint_no, actor, self.err.code,
                  self.err.field [0] ? self.err.field : "-");
    }
    return rc;
}
