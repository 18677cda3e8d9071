/*  case_reply.c — the customer's reply on a case, as one transaction
 *  (see case_reply.h for the sequence and why).
 *
 *  The text is kept where a note's is: in the audit row's details, which
 *  the handler reads (complaintctl show); the event carries the action's
 *  structured head only (events.h), so no free text and no address reaches
 *  the stream. The sender's address is never stored here: it was only
 *  hashed to be compared, and the case already holds it sealed.
 *
 *  Idempotency: (complaint, actor, channel, ref) in the audit trail. The
 *  lookup runs under the case's row lock, so it cannot race its own copy.
 */
#include "case_reply.h"
#include "case_action.h"
#include "events.h"
#include "log.h"
#include "privacy.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ACTOR_ROLE "adapter"

typedef struct {
    pg_session_t *pg;
    const reply_t *reply;
    const identity_seal_t *seal;
    const char *actor;
    char id [24];
    case_state_t state, to;
    int64_t version, new_version;
    const char *action;             /* "customer_replied" | "note" */
    bool after_close;
    bool duplicate;
    proto_error_t err;
} s_reply_t;

static const char *s_case_sql =
    "SELECT id, state, version, coalesce (encode (customer_email_hash, 'hex'), '')"
    "  FROM complaint WHERE complaint_no = $1 FOR NO KEY UPDATE";

static const char *s_seen_sql =
    "SELECT action, state_after, version_after FROM case_action"
    " WHERE complaint_id = $1 AND actor = $2 AND details ->> 'channel' = $3"
    "   AND details ->> 'ref' = $4"
    " ORDER BY id LIMIT 1";

static const char *s_update_sql =
    "UPDATE complaint SET state = $2, version = version + 1, updated_at = now ()"
    " WHERE id = $1 RETURNING version";

static const char *s_audit_sql =
    "INSERT INTO case_action (complaint_id, actor, actor_role, action, state_before,"
    "  state_after, version_after, at, details)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, app_now (), jsonb_build_object ("
    "  'text', $8::text, 'channel', $9::text, 'ref', $10::text,"
    "  'on_behalf_of', 'customer', 'after_close', $11::boolean))";


static PGresult *
s_exec (s_reply_t *self, const char *step, const char *sql, int n, const char *const *values,
        const int *lengths, const int *formats)
{
    return case_action_exec (self->pg, "reply", self->reply->complaint_no, step, sql, n, values,
                             lengths, formats, &self->err);
}

/* Is `from` the case's customer? The stored hash names its key. */
static bool
s_sender_matches (const identity_seal_t *seal, proto_str_t from, const char *stored_hex)
{
    size_t len = 0;
    unsigned char *stored = *stored_hex ? identity_sealed_from_hex (stored_hex, &len) : NULL;
    if (!stored)
        return false;
    char norm [512];
    size_t n = privacy_normalise ("mail", from, norm, sizeof norm);
    bool match = identity_seal_hash_match (seal, IDENTITY_HASH_LOOKUP, norm, n, stored, len);
    sodium_memzero (norm, sizeof norm);
    free (stored);
    return match;
}

/* Read and lock the case, check the sender, look for the same ref. */
static int
s_read (void *arg)
{
    s_reply_t *self = (s_reply_t *) arg;
    const identity_seal_t *seal = self->seal;
    const reply_t *r = self->reply;
    const char *values [] = { r->complaint_no };
    PGresult *res = case_action_read (self->pg, "reply", r->complaint_no, s_case_sql, 1, values,
                                      &self->err);
    if (!res)
        return -1;
    snprintf (self->id, sizeof self->id, "%s", PQgetvalue (res, 0, 0));
    const char *state = PQgetvalue (res, 0, 1);
    int bad_state = lifecycle_state_parse (state, strlen (state), &self->state);
    self->version = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
    bool match = s_sender_matches (seal, r->from, PQgetvalue (res, 0, 3));
    PQclear (res);
    if (bad_state) {
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the case is in an unknown state");
        return -1;
    }
    if (!match) {
        proto_error_set (&self->err, PROTO_E_FORBIDDEN, "from", "the sender is not the"
                         " customer of complaint %s (the address differs from the one the"
                         " complaint was made with)", r->complaint_no);
        return -1;
    }
    const char *seen [] = { self->id, self->actor, r->channel.ptr, r->ref.ptr };
    int lengths [] = { 0, 0, (int) r->channel.len, (int) r->ref.len };
    int formats [] = { 0, 0, 1, 1 };
    res = s_exec (self, "seen", s_seen_sql, 4, seen, lengths, formats);
    if (!res)
        return -1;
    if (PQntuples (res) == 1) {
        static const char *const actions [] = { "customer_replied", "note" };
        const char *action = PQgetvalue (res, 0, 0);
        self->action = strcmp (action, actions [0]) == 0 ? actions [0] : actions [1];
        const char *after = PQgetvalue (res, 0, 1);
        if (lifecycle_state_parse (after, strlen (after), &self->to))
            self->to = self->state;
        self->new_version = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
        self->duplicate = true;
    }
    PQclear (res);
    return 0;
}

static int
s_write (void *arg)
{
    s_reply_t *self = (s_reply_t *) arg;
    const reply_t *r = self->reply;
    if (self->state == STATE_AWAITING_CUSTOMER) {
        const lifecycle_action_t *replied = lifecycle_action ("customer_replied", 16);
        self->action = replied->name;
        self->to = replied->to;
    }
    else {
        self->action = "note";
        self->to = self->state;
        self->after_close = !lifecycle_state_open (self->state);
    }
    const char *values [] = { self->id, lifecycle_state_name (self->to) };
    if (case_action_update (self->pg, "reply", r->complaint_no, s_update_sql, 2, values,
                            self->version, &self->new_version, &self->err))
        return -1;
    char version [24];
    snprintf (version, sizeof version, "%lld", (long long) self->new_version);
    const char *audit [] = {
        self->id, self->actor, S_ACTOR_ROLE, self->action, lifecycle_state_name (self->state),
        lifecycle_state_name (self->to), version, r->text.ptr, r->channel.ptr, r->ref.ptr,
        self->after_close ? "true" : "false"
    };
    int lengths [11] = { [7] = (int) r->text.len, [8] = (int) r->channel.len,
                         [9] = (int) r->ref.len };
    int formats [11] = { [7] = 1, [8] = 1, [9] = 1 };
    PGresult *res = s_exec (self, "audit", s_audit_sql, 11, audit, lengths, formats);
    if (!res)
        return -1;
    PQclear (res);

    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    const events_action_t a = {
        .actor = self->actor, .actor_role = S_ACTOR_ROLE,
        .from = lifecycle_state_name (self->state), .state = lifecycle_state_name (self->to),
        .version = self->new_version
    };
    bool replied = strcmp (self->action, "customer_replied") == 0;
    if (replied)
        events_complaint_customer_replied (&data, &a);
    else
        events_complaint_noted (&data, &a);
    int rc = case_action_outbox (self->pg, "reply",
                                 replied ? "complaint.customer_replied" : "complaint.noted",
                                 r->complaint_no, &data, &self->err);
    msgpack_sbuffer_destroy (&data);
    return rc;
}

int
case_reply_apply (pg_session_t *pg, const identity_seal_t *seal, const char *actor,
                  const reply_t *reply, msgpack_sbuffer *out)
{
    assert (pg && seal && actor && reply && out);
    s_reply_t self = { .pg = pg, .reply = reply, .seal = seal, .actor = actor };
    //  A duplicate (recorded before) reads, writes nothing and answers 0.
    int rc = case_action_transaction (pg, "reply", reply->complaint_no, s_read, s_write, &self,
                                      &self.duplicate, &self.err);
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, self.duplicate ? 6 : 5);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_kv_cstr (&pk, "complaint_no", reply->complaint_no);
        proto_pack_kv_cstr (&pk, "action", self.action);
        proto_pack_kv_cstr (&pk, "state", lifecycle_state_name (self.to));
        proto_pack_kv_int (&pk, "version", self.new_version);
        if (self.duplicate)
            proto_pack_kv_bool (&pk, "duplicate", true);
        log_info ("case_reply", "complaint_no=%s action=%s actor=%s from=%s to=%s version=%lld"
                  " duplicate=%s", reply->complaint_no, self.action, actor,
                  lifecycle_state_name (self.state), lifecycle_state_name (self.to),
                  (long long) self.new_version, self.duplicate ? "true" : "false");
    }
    else {
        if (!self.err.code)
            proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "",
                             "the store did not confirm the reply; retry");
        proto_pack_error (out, &self.err);
        log_info ("reply_refused", "complaint_no=%s actor=%s code=%s field=%s",
                  reply->complaint_no, actor, self.err.code,
                  self.err.field [0] ? self.err.field : "-");
    }
    return rc;
}
