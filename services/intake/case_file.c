/*  case_file.c — intake `casefile`: a closed case's file (see case_file.h).
 *
 *  Who may export. The complaint office keeps the archive and managers
 *  answer for it, so both may export any case in their scope; the case's
 *  own handler may export the case they handled (they answer for it to an
 *  auditor); nobody else — a supervisor or a colleague of the department
 *  reads the case with `show`, which leaves no export trace because it
 *  makes no document that can leave the building.
 */
#include "case_file.h"
#include "case_action.h"
#include "log.h"
#include "msgpack_json.h"
#include "staff_auth.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(col) "(extract (epoch FROM " col ") * 1000)::bigint"

typedef struct {
    pg_session_t *pg;
    const case_view_cfg_t *cfg;
    const casefile_t *req;
    staff_t staff;
    char id [24];
    case_state_t state;
    int64_t version;
    int64_t exported_at;
    proto_error_t err;
} s_file_t;

static const char *s_case_sql =
    "SELECT c.id, c.state, c.version, coalesce (c.handler, '')," STAFF_AUTH_SCOPE_SQL
    "  FROM complaint c LEFT JOIN department cd ON cd.id = c.department"
    " WHERE c.complaint_no = $1 FOR NO KEY UPDATE OF c";
#define CASE_SCOPE_COL 4

static const char *s_audit_sql =
    "INSERT INTO case_action (complaint_id, actor, actor_role, action, state_before,"
    "  state_after, version_after, at, details)"
    " VALUES ($1, $2, $3, 'casefile', $4, $4, $5, app_now (),"
    "  jsonb_build_object ('format', 'casefile/1'))"
    " RETURNING " MS ("at");

/* The notifier's rows for the case, through its interface (047). */
static const char *s_messages_sql = "SELECT notification_casefile ($1)::text";

static int
s_read (void *arg)
{
    s_file_t *self = arg;
    const char *values [] = { self->req->complaint_no, self->staff.department,
                              self->staff.path, self->staff.id };
    PGresult *res = case_action_read (self->pg, "casefile", self->req->complaint_no,
                                      s_case_sql, 4, values, &self->err);
    if (!res)
        return -1;
    snprintf (self->id, sizeof self->id, "%s", PQgetvalue (res, 0, 0));
    const char *state = PQgetvalue (res, 0, 1);
    int bad_state = lifecycle_state_parse (state, strlen (state), &self->state);
    self->version = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
    bool own = strcmp (PQgetvalue (res, 0, 3), self->staff.id) == 0;
    int rc = staff_auth_may_see (&self->staff, res, CASE_SCOPE_COL, self->req->complaint_no,
                                 &self->err);
    PQclear (res);
    if (rc)
        return -1;
    if (bad_state) {
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the case is in an unknown state");
        return -1;
    }
    bool office = self->staff.role & (ROLE_COMPLAINT_OFFICE | ROLE_MANAGER);
    if (!office && !own) {
        proto_error_set (&self->err, PROTO_E_FORBIDDEN, "token", "a %s may export only a case"
                         " they handled; the complaint office and managers export any",
                         lifecycle_role_name (self->staff.role));
        return -1;
    }
    if (lifecycle_state_open (self->state)) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "complaint_no",
                         "complaint %s is %s: a case file is exported once the case is closed",
                         self->req->complaint_no, lifecycle_state_name (self->state));
        return -1;
    }
    return 0;
}

static int
s_write (void *arg)
{
    s_file_t *self = arg;
    char version [24];
    snprintf (version, sizeof version, "%lld", (long long) self->version);
    const char *values [] = { self->id, self->staff.id, lifecycle_role_name (self->staff.role),
                              lifecycle_state_name (self->state), version };
    PGresult *res = case_action_exec (self->pg, "casefile", self->req->complaint_no, "audit",
                                      s_audit_sql, 5, values, NULL, NULL, &self->err);
    if (!res)
        return -1;
    self->exported_at = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return 0;
}

/* issue 16 (i16-integrate): the resolution message carries the survey
 * link, whose token ("<complaint_no>.<32 hex>", migration 041) lets its
 * holder answer the survey as the customer. The file is for staff and
 * auditors, who must not be able to answer it for the customer (the survey
 * measures the customer's view of the staff), so the secret is withheld:
 * its hex becomes '*', in place (same length). */
static void
s_withhold_survey_token (char *text, const char *complaint_no)
{
    size_t nlen = strlen (complaint_no);
    for (char *at = strstr (text, complaint_no); at; at = strstr (at + nlen, complaint_no)) {
        char *hex = at + nlen;
        if (*hex != '.')
            continue;
        hex++;
        size_t n = 0;
        while (n < 32 && ((hex [n] >= '0' && hex [n] <= '9')
                          || (hex [n] >= 'a' && hex [n] <= 'f')))
            n++;
        if (n == 32)
            memset (hex, '*', 32);
    }
}

/* A customer's message keeps its address and text sealed (the notifier
 * seals them with the identity key, identity_seal.h): opened here, for
 * the file's reader, who may see the identity as in the staff view. One
 * that does not open (a key gone) says so rather than show the cipher. */
static void
s_open_messages (const s_file_t *self, json_t *messages)
{
    static const char *const keys [] = { "address", "body" };
    static const char *const purposes [] = { IDENTITY_PURPOSE_NOTIFY_ADDRESS,
                                             IDENTITY_PURPOSE_NOTIFY_BODY };
    size_t i;
    json_t *m;
    json_array_foreach (messages, i, m) {
        for (int k = 0; k < 2; k++) {
            const char *text = json_string_value (json_object_get (m, keys [k]));
            if (!text || strncmp (text, IDENTITY_TEXT_PREFIX, strlen (IDENTITY_TEXT_PREFIX)))
                continue;
            char *plain = identity_open_text (self->cfg->seal, text, self->req->complaint_no,
                                              purposes [k]);
            if (plain)
                s_withhold_survey_token (plain, self->req->complaint_no);
            json_object_set_new (m, keys [k], json_string (plain ? plain
                                 : "(sealed under a key intake does not hold)"));
            if (plain) {
                sodium_memzero (plain, strlen (plain));
                free (plain);
            }
        }
    }
}

/* The case file's own keys in the staff view's complaint map. */
static void
s_pack_extra (msgpack_packer *pk, pg_session_t *pg, const char *complaint_id, void *arg)
{
    (void) complaint_id;
    s_file_t *self = arg;
    const char *values [] = { self->req->complaint_no };
    PGresult *res = pg_session_exec (pg, "casefile_messages", s_messages_sql, 1, values, NULL,
                                     NULL, PGRES_TUPLES_OK);
    proto_pack_cstr (pk, "messages");
    json_t *json = NULL;
    proto_error_t err = { 0 };
    if (res && PQntuples (res) == 1)
        json = json_loads (PQgetvalue (res, 0, 0), 0, NULL);
    s_open_messages (self, json);
    //  packed aside first, so a failure half-way leaves nil, not half a value
    msgpack_sbuffer tmp;
    msgpack_sbuffer_init (&tmp);
    msgpack_packer tpk;
    msgpack_packer_init (&tpk, &tmp, msgpack_sbuffer_write);
    if (json && msgpack_json_pack (&tpk, json, &err) == 0)
        pk->callback (pk->data, tmp.data, tmp.size);
    else {
        msgpack_pack_nil (pk);
        log_warn ("casefile_messages", "complaint_no=%s reason=\"the notifier's messages could"
                  " not be read\"", self->req->complaint_no);
    }
    msgpack_sbuffer_destroy (&tmp);
    json_decref (json);
    PQclear (res);
    proto_pack_cstr (pk, "exported");
    msgpack_pack_map (pk, 3);
    proto_pack_kv_cstr (pk, "by", self->staff.id);
    proto_pack_kv_cstr (pk, "role", lifecycle_role_name (self->staff.role));
    proto_pack_kv_int (pk, "at", self->exported_at);
}

int
case_file_export (pg_session_t *pg, const case_view_cfg_t *cfg, const casefile_t *req,
                  msgpack_sbuffer *reply)
{
    assert (pg && cfg && req && reply);
    s_file_t self = { .pg = pg, .cfg = cfg, .req = req };
    bool duplicate = false;
    int rc = -1;
    if (staff_auth_lookup (pg, req->token, &self.staff, &self.err) == 0)
        rc = case_action_transaction (pg, "casefile", req->complaint_no, s_read, s_write, &self,
                                      &duplicate, &self.err);
    if (rc == 0) {
        get_t get = { .token = req->token };
        memcpy (get.complaint_no, req->complaint_no, sizeof get.complaint_no);
        case_view_extra_t extra = { 2, s_pack_extra, &self };
        rc = case_view_staff (pg, cfg, &get, &extra, reply);
        log_info ("casefile_exported", "complaint_no=%s actor=%s role=%s", req->complaint_no,
                  self.staff.id, lifecycle_role_name (self.staff.role));
        return rc;
    }
    if (!self.err.code)
        proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
    proto_pack_error (reply, &self.err);
    log_info ("casefile_refused", "complaint_no=%s code=%s field=%s", req->complaint_no,
              self.err.code, self.err.field [0] ? self.err.field : "-");
    return -1;
}
