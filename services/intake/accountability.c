/*  accountability.c — intake's `accountability` request (see
 *  accountability.h). The note stays in the store; the event says which
 *  item, which trigger, which department, what outcome and who decided.
 */
#include "accountability.h"
#include "case_action.h"
#include "events.h"
#include "log.h"
#include "row_pack.h"
#include "staff_auth.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(x) "(extract (epoch FROM " x ") * 1000)::bigint"

static const char *s_list_sql =
    "SELECT a.id, a.trigger, coalesce (c.complaint_no, ''), coalesce (a.hotspot, ''),"
    "       coalesce (a.department, ''), " MS ("a.opened_at") ", coalesce (a.outcome, ''),"
    "       coalesce (a.outcome_note, ''), coalesce (a.decided_by, ''),"
    "       coalesce (" MS ("a.decided_at") ", 0),"
    /* issue 16 (i16-integrate): the staff the customer named (046), which
     * the managers who decide need to see (migration 046 says so) */
    "       coalesce (c.staff_concerned, '')"
    "  FROM accountability_item a LEFT JOIN complaint c ON c.id = a.complaint_id"
    " WHERE $1::boolean OR a.outcome IS NULL"
    " ORDER BY a.id DESC LIMIT 500";

static int
s_list (pg_session_t *pg, const accountability_t *req, msgpack_sbuffer *reply,
        proto_error_t *err)
{
    const char *values [] = { req->all ? "true" : "false" };
    PGresult *res = case_action_exec (pg, "accountability", "-", "list", s_list_sql, 1, values,
                                      NULL, NULL, err);
    if (!res)
        return -1;
    static const row_column_t cols [] = {
        { "item", true }, { "trigger", false }, { "complaint_no", false },
        { "hotspot", false }, { "department", false }, { "opened_at", true },
        { "outcome", false }, { "note", false }, { "decided_by", false },
        { "decided_at", true }, { "staff_concerned", false },
    };
    msgpack_packer pk;
    msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_cstr (&pk, "items");
    row_pack_array (&pk, res, cols, (int) (sizeof cols / sizeof cols [0]), ROW_PACK_ZERO_ABSENT);
    PQclear (res);
    return 0;
}

static int
s_decide (pg_session_t *pg, const accountability_t *req, const staff_t *staff,
          proto_error_t *err)
{
    char item [24];
    snprintf (item, sizeof item, "%lld", (long long) req->item);
    const char *iv [] = { item };
    PGresult *res = case_action_exec (pg, "accountability", "-", "read",
        "SELECT a.trigger, coalesce (a.department, ''), coalesce (c.complaint_no, ''),"
        "       coalesce (a.hotspot, ''), a.outcome IS NOT NULL"
        "  FROM accountability_item a LEFT JOIN complaint c ON c.id = a.complaint_id"
        " WHERE a.id = $1::bigint FOR UPDATE OF a", 1, iv, NULL, NULL, err);
    if (!res)
        return -1;
    if (PQntuples (res) != 1) {
        PQclear (res);
        proto_error_set (err, PROTO_E_INVALID_FIELD, "item", "no accountability item has "
                         "number %s", item);
        return -1;
    }
    char trigger [32], department [REQUEST_MAX_ID + 1], complaint_no [32], hotspot [256];
    snprintf (trigger, sizeof trigger, "%s", PQgetvalue (res, 0, 0));
    snprintf (department, sizeof department, "%s", PQgetvalue (res, 0, 1));
    snprintf (complaint_no, sizeof complaint_no, "%s", PQgetvalue (res, 0, 2));
    snprintf (hotspot, sizeof hotspot, "%s", PQgetvalue (res, 0, 3));
    bool decided = PQgetvalue (res, 0, 4) [0] == 't';
    PQclear (res);
    if (decided) {
        proto_error_set (err, PROTO_E_INVALID_TRANSITION, "item",
                         "item %s was decided already", item);
        return -1;
    }
    const char *uv [] = { item, req->outcome, req->text.ptr, staff->id };
    int lengths [4] = { 0, 0, req->text.ptr ? (int) req->text.len : 0, 0 };
    int formats [4] = { 0, 0, 1, 0 };
    res = case_action_exec (pg, "accountability", "-", "update",
                            "UPDATE accountability_item SET outcome = $2, outcome_note = $3,"
                            " decided_by = $4, decided_at = app_now () WHERE id = $1::bigint",
                            4, uv, lengths, formats, err);
    if (!res)
        return -1;
    PQclear (res);
    events_accountability_t ev = {
        .item = req->item, .trigger = trigger, .branch = *department ? department : NULL,
        .complaint_no = *complaint_no ? complaint_no : NULL,
        .hotspot = *hotspot ? hotspot : NULL, .outcome = req->outcome, .actor = staff->id
    };
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    events_accountability_decided (&data, &ev);
    const char *ov [] = { data.data };
    int olen [] = { (int) data.size };
    int ofmt [] = { 1 };
    res = case_action_exec (pg, "accountability", "-", "outbox",
                            "INSERT INTO outbox (type, complaint_no, data, at)"
                            " VALUES ('accountability.decided', NULL, $1, app_now ())", 1, ov,
                            olen, ofmt, err);
    msgpack_sbuffer_destroy (&data);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

int
accountability_apply (pg_session_t *pg, const accountability_t *req, msgpack_sbuffer *reply)
{
    assert (pg && req && reply);
    proto_error_t err = { 0 };
    staff_t staff = { 0 };
    int rc = -1;
    PGresult *res = case_action_exec (pg, "accountability", "-", "begin", "BEGIN", 0, NULL,
                                      NULL, NULL, &err);
    if (res) {
        PQclear (res);
        if (staff_auth_lookup (pg, req->token, &staff, &err) == 0) {
            bool may = req->decide ? staff.role == ROLE_MANAGER
                                   : staff.role == ROLE_MANAGER
                                     || staff.role == ROLE_COMPLAINT_OFFICE;
            if (!may)
                proto_error_set (&err, PROTO_E_FORBIDDEN, "do", req->decide
                                 ? "the outcome of an accountability item is a manager's to decide"
                                 : "the register is the complaint office's and managers'");
            else
                rc = req->decide ? s_decide (pg, req, &staff, &err)
                                 : s_list (pg, req, reply, &err);
            if (rc == 0) {
                res = case_action_exec (pg, "accountability", "-", "commit", "COMMIT", 0, NULL,
                                        NULL, NULL, &err);
                rc = res ? 0 : -1;
                PQclear (res);
            }
        }
        if (rc != 0)
            pg_session_rollback (pg);
    }
    if (rc == 0 && req->decide) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 3);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_kv_int (&pk, "item", req->item);
        proto_pack_kv_cstr (&pk, "outcome", req->outcome);
        log_info ("accountability_decided", "item=%lld outcome=%s actor=%s",
                  (long long) req->item, req->outcome, staff.id);
    }
    if (rc != 0) {
        if (!err.code)
            proto_error_set (&err, PROTO_E_UNAVAILABLE, "", "the store did not confirm it; retry");
        msgpack_sbuffer_clear (reply);
        proto_pack_error (reply, &err);
    }
    return rc;
}
