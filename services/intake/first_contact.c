/*  first_contact.c — registered, accepted and resolved in one transaction
 *  (see first_contact.h for the sequence and why).
 *
 *  The steps are the lifecycle table's own accept and resolve
 *  (lifecycle_first_contact): their events, audit rows and columns are the
 *  ones case_action.c writes for the separate steps, so the stream, the
 *  watchdog and analytics see a case that was accepted and resolved, in
 *  that order, by the agent — just at the same instant, and from received
 *  (the router never claims it: it takes `received` cases only). The case
 *  goes to the agent's own department, with the agent as its handler: they
 *  are who solved it, and who a later review goes back to.
 */
#include "first_contact.h"
#include "case_vetting.h"               /* issue 16 (i16-vetting) */
#include "case_followup.h"
#include "events.h"
#include "log.h"
#include "staff_auth.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The submit statement left the case received, version 1, nowhere. */
static const char *s_update_sql =
    "UPDATE complaint SET state = 'resolved', version = version + 2, updated_at = now (),"
    "  department = $2, handler = $3, accepted_at = app_now (), resolved_at = app_now (),"
    "  resolution_outcome = $4, resolution_amount = $5::numeric, satisfied = NULL"
    " WHERE complaint_no = $1 AND state = 'received'"
    " RETURNING id, version";

static const char *s_audit_sql =
    "INSERT INTO case_action (complaint_id, actor, actor_role, action, state_before,"
    "  state_after, version_after, at, details)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, app_now (), jsonb_strip_nulls (jsonb_build_object ("
    "  'first_contact', true, 'handler', $8::text, 'text', $9::text, 'outcome', $10::text,"
    "  'amount', $11::numeric)))";

static const char *s_outbox_sql =
    "INSERT INTO outbox (type, complaint_no, data, at) VALUES ($1, $2, $3, app_now ())";

/* A duplicate: where the first case is now. */
static const char *s_where_sql =
    "SELECT state, version FROM complaint WHERE complaint_no = $1";

typedef struct {
    pg_session_t *pg;
    submit_item_t *item;
    staff_t staff;
    bool have_staff;
    char state [32];
    int64_t version;
    proto_error_t err;
} s_fc_t;

static PGresult *
s_exec (s_fc_t *self, const char *step, const char *sql, int n, const char *const *values,
        const int *lengths, const int *formats)
{
    char what [40];
    snprintf (what, sizeof what, "first_contact_%s", step);
    PGresult *res = pg_session_exec (self->pg, what, sql, n, values, lengths, formats, 0);
    if (res)
        return res;
    if (pg_session_retryable (self->pg))
        proto_error_set (&self->err, PROTO_E_UNAVAILABLE, "",
                         "the store failed; nothing was written; retry");
    else
        proto_error_set (&self->err, PROTO_E_INTERNAL, "",
                         "the store refused the complaint; nothing was written");
    return NULL;
}

static int
s_outbox (s_fc_t *self, const char *type, const msgpack_sbuffer *data)
{
    const char *values [] = { type, self->item->complaint_no, data->data };
    int lengths [] = { 0, 0, (int) data->size };
    int formats [] = { 0, 0, 1 };
    PGresult *res = s_exec (self, "outbox", s_outbox_sql, 3, values, lengths, formats);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

/* The two steps, written on the case the submit statement just created. */
static int
s_write (s_fc_t *self)
{
    const first_contact_t *fc = &self->item->submit->first_contact;
    const char *amount = fc->has_amount ? fc->amount : NULL;
    const char *update [] = { self->item->complaint_no, self->staff.department, self->staff.id,
                              fc->outcome, amount };
    PGresult *res = s_exec (self, "update", s_update_sql, 5, update, NULL, NULL);
    if (!res)
        return -1;
    if (PQntuples (res) != 1) {
        PQclear (res);
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the new case was not found");
        return -1;
    }
    char id [24];
    snprintf (id, sizeof id, "%s", PQgetvalue (res, 0, 0));
    self->version = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
    PQclear (res);
    snprintf (self->state, sizeof self->state, "%s", lifecycle_state_name (STATE_RESOLVED));

    const lifecycle_action_t *const *steps = lifecycle_first_contact (NULL);
    const char *role = lifecycle_role_name (self->staff.role);
    char accepted_v [24], resolved_v [24];
    snprintf (accepted_v, sizeof accepted_v, "%lld", (long long) self->version - 1);
    snprintf (resolved_v, sizeof resolved_v, "%lld", (long long) self->version);
    const char *received = lifecycle_state_name (STATE_RECEIVED);
    const char *accepted = lifecycle_state_name (STATE_ACCEPTED);
    const char *resolved = lifecycle_state_name (STATE_RESOLVED);
    const char *accept_row [] = { id, self->staff.id, role, steps [0]->name, received, accepted,
                                  accepted_v, self->staff.id, NULL, NULL, NULL };
    const char *resolve_row [] = { id, self->staff.id, role, steps [1]->name, accepted,
                                   resolved, resolved_v, NULL, fc->text.ptr, fc->outcome, amount };
    int lengths [11] = { 0 };
    int formats [11] = { 0 };
    lengths [8] = (int) fc->text.len;       /* the text is not NUL-terminated */
    formats [8] = 1;
    res = s_exec (self, "audit", s_audit_sql, 11, accept_row, NULL, NULL);
    if (!res)
        return -1;
    PQclear (res);
    res = s_exec (self, "audit", s_audit_sql, 11, resolve_row, lengths, formats);
    if (!res)
        return -1;
    PQclear (res);

    /* The events of the separate steps, by their packers: never the text,
     * never the customer. */
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    events_action_t a = { .actor = self->staff.id, .actor_role = role, .from = received,
                          .state = accepted, .version = self->version - 1 };
    events_complaint_accepted (&data, &a, self->staff.id);
    int rc = s_outbox (self, steps [0]->event, &data);
    if (rc == 0) {
        msgpack_sbuffer_clear (&data);
        a = (events_action_t) { .actor = self->staff.id, .actor_role = role, .from = accepted,
                                .state = resolved, .version = self->version };
        events_complaint_resolved (&data, &a, NULL, fc->outcome, amount, NULL, 0);
        rc = s_outbox (self, steps [1]->event, &data);
    }
    /* issue 16 (i16-followup): a decision makes the case's survey */
    if (rc == 0)
        rc = case_followup_survey (self->pg, self->item->complaint_no, id, &self->err);
    msgpack_sbuffer_destroy (&data);
    return rc;
}

/* A duplicate's state and version, read in the transaction. */
static int
s_read_where (s_fc_t *self)
{
    const char *values [] = { self->item->complaint_no };
    PGresult *res = s_exec (self, "where", s_where_sql, 1, values, NULL, NULL);
    if (!res)
        return -1;
    if (PQntuples (res) == 1) {
        snprintf (self->state, sizeof self->state, "%s", PQgetvalue (res, 0, 0));
        self->version = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
    }
    PQclear (res);
    return 0;
}

static void
s_pack_reply (s_fc_t *self, msgpack_sbuffer *reply)
{
    const submit_item_t *item = self->item;
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    complaint_store_pack_reply (&pk, item, 2);
    proto_pack_kv_cstr (&pk, "state", self->state);
    proto_pack_kv_int (&pk, "version", self->version);
}

/* The token's holder, and whether their role may take both steps. */
static int
s_authorise (s_fc_t *self)
{
    const first_contact_t *fc = &self->item->submit->first_contact;
    if (staff_auth_lookup (self->pg, fc->token, &self->staff, &self->err)) {
        /* the token is the first_contact's */
        if (strcmp (self->err.field, "token") == 0)
            snprintf (self->err.field, sizeof self->err.field, "first_contact.token");
        return -1;
    }
    self->have_staff = true;
    if (!(lifecycle_first_contact_roles () & self->staff.role)) {
        proto_error_set (&self->err, PROTO_E_FORBIDDEN, "first_contact.token",
                         "a %s may not accept and resolve a case", 
                         lifecycle_role_name (self->staff.role));
        return -1;
    }
    /* issue 16 (i16-vetting): the amount granted on the call is within the
     * agent's own limit (the vetting policy), else it goes up */
    if (fc->has_amount
    &&  case_vetting_limit (self->staff.role, fc->amount, "first_contact.amount", &self->err))
        return -1;
    return 0;
}

int
first_contact_apply (complaint_store_t *store, submit_item_t *item, msgpack_sbuffer *reply)
{
    assert (store && item && item->submit && item->submit->first_contact.present && reply);
    s_fc_t self = { .item = item };
    int rc = -1;
    self.pg = complaint_store_session (store);
    if (!self.pg)
        proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "",
                         "the complaint store is not reachable; retry");
    else {
        PGresult *res = s_exec (&self, "begin", "BEGIN", 0, NULL, NULL, NULL);
        if (res) {
            PQclear (res);
            if (s_authorise (&self) == 0) {
                if (complaint_store_submit_in_txn (store, item))
                    self.err = item->err;
                else
                if ((item->status == SUBMIT_DUPLICATE ? s_read_where (&self) : s_write (&self)) == 0
                &&  (res = s_exec (&self, "commit", "COMMIT", 0, NULL, NULL, NULL))) {
                    PQclear (res);
                    rc = 0;
                }
            }
            if (rc != 0)
                pg_session_rollback (self.pg);
        }
    }
    const submit_t *s = item->submit;
    if (rc == 0) {
        s_pack_reply (&self, reply);
        log_info ("first_contact", "complaint_no=%s duplicate=%s actor=%s role=%s state=%s"
                  " outcome=%s", item->complaint_no,
                  item->status == SUBMIT_DUPLICATE ? "true" : "false", self.staff.id,
                  lifecycle_role_name (self.staff.role), self.state, s->first_contact.outcome);
    }
    else {
        item->status = SUBMIT_FAILED;
        if (!self.err.code)
            proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "",
                             "the store did not confirm the complaint; retry");
        item->err = self.err;
        proto_pack_error (reply, &self.err);
        log_info ("first_contact_refused", "channel=%.*s actor=%s code=%s field=%s",
                  (int) s->channel.len, s->channel.ptr, self.have_staff ? self.staff.id : "-",
                  self.err.code, self.err.field [0] ? self.err.field : "-");
    }
    return rc;
}
