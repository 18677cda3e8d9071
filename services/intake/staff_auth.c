/*  staff_auth.c — staff tokens and the scope rule (see staff_auth.h). */
#include "staff_auth.h"
#include "log.h"
#include "pg.h"
#include "staff_token.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *s_lookup_sql =
    "SELECT s.id, s.role, s.department, d.path"
    "  FROM staff_token t"
    "  JOIN staff s ON s.id = t.staff_id"
    "  JOIN department d ON d.id = s.department"
    " WHERE t.token_sha256 = $1 AND s.active";

int
staff_auth_lookup (PGconn *conn, proto_str_t token, staff_t *staff, proto_error_t *err)
{
    assert (conn && staff && err);
    memset (staff, 0, sizeof *staff);
    /* A string that is not shaped like a token matches nobody: answer
     * without a query. */
    if (!token.ptr || !staff_token_valid (token.ptr, token.len)) {
        proto_error_set (err, PROTO_E_UNAUTHENTICATED, "token",
                         "token must be the 64 hex characters issued to you");
        return -1;
    }
    uint8_t hash [STAFF_TOKEN_HASH_LEN];
    staff_token_hash (token.ptr, token.len, hash);
    const char *values [] = { (const char *) hash };
    int lengths [] = { STAFF_TOKEN_HASH_LEN };
    int formats [] = { 1 };
    PGresult *res = PQexecParams (conn, s_lookup_sql, 1, NULL, values, lengths, formats, 0);
    int rc = -1;
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        char q [300];
        log_warn ("staff_lookup_failed", "error=%s",
                  log_quote (q, sizeof q, PQresultErrorMessage (res)));
        proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the store failed; retry");
    }
    else
    if (PQntuples (res) != 1)
        proto_error_set (err, PROTO_E_UNAUTHENTICATED, "token",
                         "the token belongs to no active member of staff");
    else
    if (lifecycle_role_parse (PQgetvalue (res, 0, 1), (size_t) PQgetlength (res, 0, 1),
                              &staff->role))
        proto_error_set (err, PROTO_E_INTERNAL, "", "staff %s has an unknown role",
                         PQgetvalue (res, 0, 0));
    else {
        snprintf (staff->id, sizeof staff->id, "%s", PQgetvalue (res, 0, 0));
        snprintf (staff->department, sizeof staff->department, "%s", PQgetvalue (res, 0, 2));
        snprintf (staff->path, sizeof staff->path, "%s", PQgetvalue (res, 0, 3));
        rc = 0;
    }
    PQclear (res);
    return rc;
}

static bool
s_bool (const PGresult *res, int row, int col)
{
    return !PQgetisnull (res, row, col) && PQgetvalue (res, row, col) [0] == 't';
}

void
staff_auth_scope_read (const PGresult *res, int row, int col, case_scope_t *scope)
{
    scope->has_department = s_bool (res, row, col);
    scope->same_department = s_bool (res, row, col + 1);
    scope->in_subtree = s_bool (res, row, col + 2);
    scope->is_handler = s_bool (res, row, col + 3);
    scope->coop_department = s_bool (res, row, col + 4);
    scope->coop_subtree = s_bool (res, row, col + 5);
}

staff_scope_t
staff_auth_scope (const staff_t *staff, const case_scope_t *c)
{
    assert (staff && c);
    if (staff->role == ROLE_COMPLAINT_OFFICE)
        return SCOPE_FULL;
    if (!c->has_department)
        return SCOPE_NONE;          /* not routed yet: the complaint office's */
    if (staff->role == ROLE_HANDLER) {
        if (c->same_department || c->is_handler)
            return SCOPE_FULL;
        return c->coop_department ? SCOPE_COOPERATING : SCOPE_NONE;
    }
    /* supervisor, manager: their subtree */
    if (c->in_subtree || c->is_handler)
        return SCOPE_FULL;
    return c->coop_subtree ? SCOPE_COOPERATING : SCOPE_NONE;
}
