/*  rectification.c — intake's `rectification` request (see rectification.h).
 *
 *  Why a request of its own and not a case action: an item opened from a hot
 *  spot is about a branch's repeated complaints, not one case, so it has no
 *  case to lock, version or audit. Its own row (case_task) is what is locked
 *  (FOR UPDATE, done) and what records who opened it and who did what; the
 *  stream hears of it as caseless events (rectification.*: task, branch,
 *  who — never the texts).
 */
#include "rectification.h"
#include "row_pack.h"
#include "case_action.h"
#include "case_task.h"
#include "events.h"
#include "log.h"
#include "staff_auth.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(x) "(extract (epoch FROM " x ") * 1000)::bigint"

typedef struct {
    pg_session_t *pg;
    const rectification_t *req;
    staff_t staff;
    proto_error_t err;
    int64_t task, due_ms;
    char department [REQUEST_MAX_ID + 1], rule [RECTIFICATION_MAX_KEY + 1];
} s_self_t;

static PGresult *
s_exec (s_self_t *self, const char *step, const char *sql, int n, const char *const *values,
        const int *lengths, const int *formats)
{
    return case_action_exec (self->pg, "rectification", "-", step, sql, n, values, lengths,
                             formats, &self->err);
}

static int
s_command (s_self_t *self, const char *step, const char *sql, int n, const char *const *values,
           const int *lengths, const int *formats)
{
    PGresult *res = s_exec (self, step, sql, n, values, lengths, formats);
    PQclear (res);
    return res ? 0 : -1;
}

static int
s_outbox (s_self_t *self, const char *type, const events_rectification_t *r)
{
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    if (strcmp (type, "rectification.opened") == 0)
        events_rectification_opened (&data, r);
    else
        events_rectification_done (&data, r);
    const char *values [] = { type, data.data };
    int lengths [] = { 0, (int) data.size };
    int formats [] = { 0, 1 };
    int rc = s_command (self, "outbox", "INSERT INTO outbox (type, complaint_no, data, at)"
                        " VALUES ($1, NULL, $2, app_now ())", 2, values, lengths, formats);
    msgpack_sbuffer_destroy (&data);
    return rc;
}

static int
s_open (s_self_t *self)
{
    const rectification_t *req = self->req;
    staff_role_t role = self->staff.role;
    if (role != ROLE_SUPERVISOR && role != ROLE_COMPLAINT_OFFICE && role != ROLE_MANAGER) {
        proto_error_set (&self->err, PROTO_E_FORBIDDEN, "do",
                         "a %s may not open a rectification item (supervisor, complaint_office "
                         "or manager)", lifecycle_role_name (role));
        return -1;
    }
    /* issue 16 follow-up (analytics2): asked of analytics' function (053),
     * which matches its one derived key; the table is not intake's to read */
    const char *hv [] = { req->hotspot };
    PGresult *res = s_exec (self, "hotspot",
                            "SELECT rule, branch FROM analytics_hotspot_get ($1)", 1, hv,
                            NULL, NULL);
    if (!res)
        return -1;
    bool found = PQntuples (res) == 1;
    char branch [RECTIFICATION_MAX_KEY + 1] = "";
    if (found) {
        snprintf (self->rule, sizeof self->rule, "%s", PQgetvalue (res, 0, 0));
        snprintf (branch, sizeof branch, "%s", PQgetvalue (res, 0, 1));
    }
    PQclear (res);
    if (!found) {
        proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "hotspot",
                         "no hot spot has key %s (complaintctl hotspots --all lists them)",
                         req->hotspot);
        return -1;
    }
    const char *department = req->department [0] ? req->department : branch;
    if (strlen (department) >= sizeof self->department) {
        proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "hotspot",
                         "hot spot %s names a branch id longer than %zu bytes", req->hotspot,
                         sizeof self->department - 1);
        return -1;
    }
    memcpy (self->department, department, strlen (department) + 1);
    if (!self->department [0]) {
        proto_error_set (&self->err, PROTO_E_MISSING_FIELD, "department",
                         "hot spot %s names no branch: say which department rectifies",
                         req->hotspot);
        return -1;
    }
    const char *dv [] = { self->department };
    res = s_exec (self, "department", "SELECT 1 FROM department WHERE id = $1 AND active", 1,
                  dv, NULL, NULL);
    if (!res)
        return -1;
    found = PQntuples (res) == 1;
    PQclear (res);
    if (!found) {
        proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "department",
                         "no active department has id %s", self->department);
        return -1;
    }
    if (req->owner [0]) {
        const char *ov [] = { req->owner, self->department };
        res = s_exec (self, "owner", "SELECT 1 FROM staff WHERE id = $1 AND active AND"
                      " department = $2", 2, ov, NULL, NULL);
        if (!res)
            return -1;
        found = PQntuples (res) == 1;
        PQclear (res);
        if (!found) {
            proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "owner",
                             "%s is not active staff of %s", req->owner, self->department);
            return -1;
        }
    }
    res = s_exec (self, "now", "SELECT " MS ("app_now ()"), 0, NULL, NULL, NULL);
    if (!res)
        return -1;
    int64_t now_ms = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    char why [300];
    const calendar_t *cal = case_task_default_calendar ();
    if (case_task_due (cal, req->due, now_ms, &self->due_ms, why, sizeof why)) {
        proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "due", "%s", why);
        return -1;
    }
    char due [24];
    snprintf (due, sizeof due, "%lld", (long long) self->due_ms);
    const char *iv [] = {
        req->hotspot, self->department, req->owner, self->staff.department, req->text.ptr,
        self->staff.id, lifecycle_role_name (role), due, req->due
    };
    int lengths [9] = { 0, 0, 0, 0, (int) req->text.len };
    int formats [9] = { 0, 0, 0, 0, 1 };
    res = s_exec (self, "insert",
                  "INSERT INTO case_task (kind, hotspot, department, owner, lead_department,"
                  "  asked, given_by, given_role, opened_at, due_at, due_text)"
                  " VALUES ('rectification', $1, $2, nullif ($3, ''), $4, $5, $6, $7,"
                  "         app_now (), to_timestamp ($8::bigint / 1000.0), $9)"
                  " RETURNING id", 9, iv, lengths, formats);
    if (!res)
        return -1;
    self->task = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    events_rectification_t ev = {
        .task = self->task, .branch = self->department,
        .owner = req->owner [0] ? req->owner : NULL, .rule = self->rule,
        .due_at = self->due_ms, .actor = self->staff.id
    };
    return s_outbox (self, "rectification.opened", &ev);
}

static int
s_done (s_self_t *self)
{
    const rectification_t *req = self->req;
    char task [24];
    snprintf (task, sizeof task, "%lld", (long long) req->task);
    const char *tv [] = { task, self->staff.id, self->staff.path, self->staff.department };
    PGresult *res = s_exec (self, "read",
        "SELECT t.state, t.department, coalesce (c.complaint_no, ''), " MS ("t.due_at") ","
        "       coalesce (t.owner, ''), coalesce (split_part (t.hotspot, '/', 1), ''),"
        "       t.owner = $2 OR t.department = $4 OR starts_with (d.path, $3)"
        "  FROM case_task t JOIN department d ON d.id = t.department"
        "  LEFT JOIN complaint c ON c.id = t.complaint_id"
        " WHERE t.id = $1::bigint AND t.kind = 'rectification'"
        "   FOR UPDATE OF t", 4, tv, NULL, NULL);
    if (!res)
        return -1;
    if (PQntuples (res) != 1) {
        PQclear (res);
        proto_error_set (&self->err, PROTO_E_INVALID_FIELD, "task",
                         "no rectification item has number %s", task);
        return -1;
    }
    char state [16], complaint_no [32], owner [REQUEST_MAX_ID + 1];
    snprintf (state, sizeof state, "%s", PQgetvalue (res, 0, 0));
    snprintf (self->department, sizeof self->department, "%s", PQgetvalue (res, 0, 1));
    snprintf (complaint_no, sizeof complaint_no, "%s", PQgetvalue (res, 0, 2));
    self->due_ms = strtoll (PQgetvalue (res, 0, 3), NULL, 10);
    snprintf (owner, sizeof owner, "%s", PQgetvalue (res, 0, 4));
    snprintf (self->rule, sizeof self->rule, "%s", PQgetvalue (res, 0, 5));
    bool theirs = PQgetvalue (res, 0, 6) [0] == 't'
               || self->staff.role == ROLE_COMPLAINT_OFFICE;
    PQclear (res);
    if (!theirs) {
        proto_error_set (&self->err, PROTO_E_FORBIDDEN, "task",
                         "item %s is %s's to rectify; you are a %s of %s", task,
                         self->department, lifecycle_role_name (self->staff.role),
                         self->staff.department);
        return -1;
    }
    if (strcmp (state, "open") != 0) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "task",
                         "item %s is %s already", task, state);
        return -1;
    }
    const char *uv [] = { task, req->text.ptr, self->staff.id };
    int lengths [3] = { 0, (int) req->text.len, 0 };
    int formats [3] = { 0, 1, 0 };
    if (s_command (self, "update", "UPDATE case_task SET state = 'done', reply = $2,"
                   " replied_by = $3, ended_at = app_now () WHERE id = $1::bigint", 3, uv,
                   lengths, formats))
        return -1;
    self->task = req->task;
    events_rectification_t ev = {
        .task = req->task, .branch = self->department, .owner = owner [0] ? owner : NULL,
        .complaint_no = complaint_no [0] ? complaint_no : NULL,
        .rule = self->rule [0] ? self->rule : NULL, .due_at = self->due_ms,
        .actor = self->staff.id
    };
    return s_outbox (self, "rectification.done", &ev);
}

static const char *s_list_sql =
    "SELECT t.id, coalesce (c.complaint_no, ''), coalesce (t.hotspot, ''), t.department,"
    "       coalesce (t.owner, ''), t.asked, " MS ("t.due_at") ", t.state,"
    "       coalesce (t.reply, ''), coalesce (t.replied_by, ''), t.given_by,"
    "       coalesce (" MS ("t.ended_at") ", 0)"
    "  FROM case_task t JOIN department d ON d.id = t.department"
    "  LEFT JOIN complaint c ON c.id = t.complaint_id"
    " WHERE t.kind = 'rectification' AND ($1::boolean OR t.state = 'open')"
    "   AND ($2::boolean OR t.department = $3 OR starts_with (d.path, $4))"
    " ORDER BY t.due_at, t.id LIMIT 500";

static int
s_list (s_self_t *self, msgpack_sbuffer *reply)
{
    bool everyone = self->staff.role == ROLE_COMPLAINT_OFFICE
                 || (self->staff.role == ROLE_MANAGER
                     && strchr (self->staff.path + 1, '/') == self->staff.path
                                                             + strlen (self->staff.path) - 1);
    const char *values [] = { self->req->all ? "true" : "false", everyone ? "true" : "false",
                              self->staff.department, self->staff.path };
    PGresult *res = s_exec (self, "list", s_list_sql, 4, values, NULL, NULL);
    if (!res)
        return -1;
    static const row_column_t cols [] = {
        { "task", true }, { "complaint_no", false }, { "hotspot", false },
        { "department", false }, { "owner", false }, { "asked", false }, { "due_at", true },
        { "state", false }, { "reply", false }, { "replied_by", false }, { "given_by", false },
        { "ended_at", true },
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

int
rectification_apply (pg_session_t *pg, const rectification_t *req, msgpack_sbuffer *reply)
{
    assert (pg && req && reply);
    s_self_t self = { .pg = pg, .req = req };
    int rc = -1;
    if (s_command (&self, "begin", "BEGIN", 0, NULL, NULL, NULL) == 0) {
        if (staff_auth_lookup (pg, req->token, &self.staff, &self.err) == 0) {
            if (req->what == RECTIFY_LIST)
                rc = s_list (&self, reply);
            else
                rc = req->what == RECTIFY_OPEN ? s_open (&self) : s_done (&self);
            if (rc == 0)
                rc = s_command (&self, "commit", "COMMIT", 0, NULL, NULL, NULL);
        }
        if (rc != 0)
            pg_session_rollback (pg);
    }
    if (rc == 0 && req->what != RECTIFY_LIST) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 4);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_kv_int (&pk, "task", self.task);
        proto_pack_kv_cstr (&pk, "state", req->what == RECTIFY_OPEN ? "open" : "done");
        proto_pack_kv_int (&pk, "due_at", self.due_ms);
        log_info ("rectification", "do=%s task=%lld department=%s actor=%s",
                  req->what == RECTIFY_OPEN ? "open" : "done", (long long) self.task,
                  self.department, self.staff.id);
    }
    if (rc != 0) {
        if (!self.err.code)
            proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "",
                             "the store did not confirm it; retry");
        msgpack_sbuffer_clear (reply);
        proto_pack_error (reply, &self.err);
        log_info ("rectification_refused", "code=%s field=%s actor=%s", self.err.code,
                  self.err.field [0] ? self.err.field : "-",
                  self.staff.id [0] ? self.staff.id : "-");
    }
    return rc;
}
