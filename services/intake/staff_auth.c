/*  staff_auth.c — staff tokens and the scope rule (see staff_auth.h). */
#include "staff_auth.h"
#include "staff_token.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

//  The token's life (migration 021) is read with it, so a revoked or expired
//  token is told apart from an unknown one: its holder learns why, and
//  revocation wins over expiry when both hold.
static const char *s_lookup_sql =
    "SELECT s.id, s.role, s.department, d.path,"
    "       t.revoked_at IS NOT NULL, coalesce (t.expires_at <= now (), false)"
    "  FROM staff_token t"
    "  JOIN staff s ON s.id = t.staff_id"
    "  JOIN department d ON d.id = s.department"
    " WHERE t.token_sha256 = $1 AND s.active";

int
staff_auth_lookup (pg_session_t *pg, proto_str_t token, staff_t *staff, proto_error_t *err)
{
    assert (pg && staff && err);
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
    PGresult *res = pg_session_exec (pg, "staff_lookup", s_lookup_sql, 1, values, lengths,
                                     formats, PGRES_TUPLES_OK);
    int rc = -1;
    if (!res)
        proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the store failed; retry");
    else
    if (PQntuples (res) != 1)
        proto_error_set (err, PROTO_E_UNAUTHENTICATED, "token",
                         "the token belongs to no active member of staff");
    else
    if (PQgetvalue (res, 0, 4) [0] == 't')
        proto_error_set (err, PROTO_E_UNAUTHENTICATED, "token",
                         "token revoked: ask for a new one");
    else
    if (PQgetvalue (res, 0, 5) [0] == 't')
        proto_error_set (err, PROTO_E_UNAUTHENTICATED, "token",
                         "token expired: ask for a new one");
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

int
staff_auth_may_see (const staff_t *staff, const PGresult *res, int col,
                    const char *complaint_no, proto_error_t *err)
{
    case_scope_t scope;
    staff_auth_scope_read (res, 0, col, &scope);
    if (staff_auth_scope (staff, &scope) == SCOPE_NONE) {
        proto_error_set (err, PROTO_E_FORBIDDEN, "token",
                         "complaint %s is not in your scope (%s of %s)", complaint_no,
                         lifecycle_role_name (staff->role), staff->department);
        return -1;
    }
    return 0;
}

PGresult *
staff_auth_case (pg_session_t *pg, proto_str_t token, const char *complaint_no,
                 const char *what, const char *sql, int scope_col, staff_t *staff,
                 proto_error_t *err)
{
    if (staff_auth_lookup (pg, token, staff, err))
        return NULL;
    const char *values [] = { complaint_no, staff->department, staff->path, staff->id };
    PGresult *res = pg_session_exec (pg, what, sql, 4, values, NULL, NULL, PGRES_TUPLES_OK);
    if (!res)
        proto_error_set (err, PROTO_E_UNAVAILABLE, "", "the complaint store failed; retry");
    else
    if (PQntuples (res) == 0)
        proto_error_set (err, PROTO_E_NOT_FOUND, "complaint_no", "no complaint has number %s",
                         complaint_no);
    else
    if (staff_auth_may_see (staff, res, scope_col, complaint_no, err) == 0)
        return res;
    PQclear (res);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Self-test (intake --selftest): the rule as a table, then the token lookup
//  and the scope facts read by the real SQL from a real case row.

#include "test_org.h"

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

/* The scope of `staff_id` (looked up by its token) on case `no`, through
 * STAFF_AUTH_SCOPE_SQL; -1 when the lookup or the query failed. */
static int
s_scope_in_store (pg_session_t *pg, const char *staff_id, const char *no)
{
    const char *token = test_org_token (staff_id);
    staff_t staff;
    proto_error_t err = { 0 };
    if (staff_auth_lookup (pg, (proto_str_t) { token, strlen (token) }, &staff, &err))
        return -1;
    const char *values [] = { no, staff.department, staff.path, staff.id };
    PGresult *res = PQexecParams (pg_session_conn (pg),
        "SELECT " STAFF_AUTH_SCOPE_SQL
        "  FROM complaint c LEFT JOIN department cd ON cd.id = c.department"
        " WHERE c.complaint_no = $1", 4, NULL, values, NULL, NULL, 0);
    int scope = -1;
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1
    &&  PQnfields (res) == STAFF_AUTH_SCOPE_COLUMNS) {
        case_scope_t facts;
        staff_auth_scope_read (res, 0, 0, &facts);
        scope = (int) staff_auth_scope (&staff, &facts);
    }
    else
        printf ("  scope query: %s", PQresultErrorMessage (res));
    PQclear (res);
    return scope;
}

int
staff_auth_test (bool verbose, pg_session_t *pg, int *passed)
{
    PGconn *conn = pg_session_conn (pg);        /* the test's own reads and rows */
    s_tally = (selftest_tally_t) { 0 };
    /* The rule itself: who sees what, from the facts alone. */
    static const struct {
        staff_role_t role;
        case_scope_t facts;     /* has_dept, same_dept, in_subtree, is_handler, coop_dept, coop_subtree */
        staff_scope_t want;
        const char *what;
    } rules [] = {
        { ROLE_COMPLAINT_OFFICE, { 0, 0, 0, 0, 0, 0 }, SCOPE_FULL,
          "the complaint office sees a case with no department yet" },
        { ROLE_COMPLAINT_OFFICE, { 1, 0, 0, 0, 0, 0 }, SCOPE_FULL,
          "the complaint office sees every department's cases" },
        { ROLE_HANDLER, { 0, 0, 0, 0, 0, 0 }, SCOPE_NONE,
          "a handler does not see a case with no department yet" },
        { ROLE_HANDLER, { 1, 1, 1, 0, 0, 0 }, SCOPE_FULL,
          "a handler sees their department's cases" },
        { ROLE_HANDLER, { 1, 0, 0, 1, 0, 0 }, SCOPE_FULL,
          "a handler sees a case they handle in another department" },
        { ROLE_HANDLER, { 1, 0, 1, 0, 0, 0 }, SCOPE_NONE,
          "a handler does not see a case below their department (no subtree for handlers)" },
        { ROLE_HANDLER, { 1, 0, 0, 0, 1, 0 }, SCOPE_COOPERATING,
          "a handler of a cooperating department may see and note" },
        { ROLE_HANDLER, { 1, 0, 0, 0, 0, 1 }, SCOPE_NONE,
          "a handler above a cooperating department does not (subtree is not theirs)" },
        { ROLE_HANDLER, { 1, 0, 0, 0, 0, 0 }, SCOPE_NONE,
          "a handler does not see another department's case" },
        { ROLE_SUPERVISOR, { 1, 0, 1, 0, 0, 0 }, SCOPE_FULL,
          "a supervisor sees their subtree" },
        { ROLE_SUPERVISOR, { 1, 0, 0, 0, 0, 1 }, SCOPE_COOPERATING,
          "a supervisor above a cooperating department may see and note" },
        { ROLE_SUPERVISOR, { 1, 0, 0, 0, 0, 0 }, SCOPE_NONE,
          "a supervisor does not see outside their subtree" },
        { ROLE_SUPERVISOR, { 0, 0, 0, 0, 0, 0 }, SCOPE_NONE,
          "a supervisor does not see a case with no department yet" },
        { ROLE_MANAGER, { 1, 0, 1, 0, 0, 0 }, SCOPE_FULL,
          "a manager sees their subtree" },
        { ROLE_MANAGER, { 1, 0, 0, 1, 0, 0 }, SCOPE_FULL,
          "a manager sees a case they handle" },
        { ROLE_MANAGER, { 1, 1, 0, 0, 0, 0 }, SCOPE_NONE,
          "a manager's scope is the subtree fact, not the department id alone" },
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules [0]; i++) {
        staff_t staff = { .role = rules [i].role };
        s_check (verbose, staff_auth_scope (&staff, &rules [i].facts) == rules [i].want,
                 rules [i].what);
    }

    /* Tokens against the store. */
    staff_t staff;
    proto_error_t err = { 0 };
    const char *token = test_org_token ("st_sup_bj");
    s_check (verbose, staff_auth_lookup (pg, (proto_str_t) { token, strlen (token) },
                                         &staff, &err) == 0
                      && strcmp (staff.id, "st_sup_bj") == 0 && staff.role == ROLE_SUPERVISOR
                      && strcmp (staff.department, "st_bj") == 0
                      && strcmp (staff.path, "/st_head/st_bj/") == 0,
             "a supervisor's token: their id, role, department and path");
    static const struct {
        const char *token;
        const char *what;
    } refused [] = {
        { NULL, "no token: unauthenticated" },
        { "", "an empty token: unauthenticated" },
        { "not-a-token", "a token that is not 64 hex: unauthenticated" },
        { "0000000000000000000000000000000000000000000000000000000000000000",
          "a well-formed token nobody holds: unauthenticated" },
        { "INACTIVE", "the token of an inactive member of staff: unauthenticated" },
        { "UPPER", "a real token in upper case (not as issued): unauthenticated" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused [0]; i++) {
        char upper [STAFF_TOKEN_SIZE];
        const char *t = refused [i].token;
        if (t && strcmp (t, "INACTIVE") == 0)
            t = test_org_token ("st_gone");
        else
        if (t && strcmp (t, "UPPER") == 0) {
            snprintf (upper, sizeof upper, "%s", test_org_token ("st_co"));
            for (char *p = upper; *p; p++)
                if (*p >= 'a' && *p <= 'f')
                    *p = (char) (*p - 'a' + 'A');
            t = upper;
        }
        memset (&err, 0, sizeof err);
        proto_str_t str = { t, t ? strlen (t) : 0 };
        s_check (verbose, staff_auth_lookup (pg, str, &staff, &err) == -1
                          && err.code && strcmp (err.code, PROTO_E_UNAUTHENTICATED) == 0
                          && strcmp (err.field, "token") == 0 && staff.id [0] == 0,
                 refused [i].what);
    }

    /* A token's life (migration 021): a revoked and an expired token of an
     * active member of staff are refused, each saying why. */
    static const struct {
        const char *life;       /* the columns set on the fresh token's row */
        const char *word;       /* the message starts "token <word>" */
        const char *what;
    } lives [] = {
        { "revoked_at = now (), revoked_by = 'selftest'", "token revoked",
          "a revoked token: unauthenticated, field token, says revoked" },
        { "expires_at = now () - interval '1 second'", "token expired",
          "an expired token: unauthenticated, field token, says expired" },
        { "revoked_at = now (), revoked_by = 'selftest', expires_at = now ()", "token revoked",
          "a token revoked and expired: revocation is what it says" },
        { "expires_at = now () + interval '1 hour'", NULL,
          "a token that expires in an hour: accepted" },
    };
    for (size_t i = 0; i < sizeof lives / sizeof lives [0]; i++) {
        char fresh [STAFF_TOKEN_SIZE];
        bool placed = test_org_token_life (conn, "st_co", lives [i].life, fresh) == 0;
        memset (&err, 0, sizeof err);
        int rc = placed ? staff_auth_lookup (pg, (proto_str_t) { fresh, STAFF_TOKEN_LEN },
                                             &staff, &err) : -2;
        bool want_ok = lives [i].word == NULL;
        s_check (verbose, want_ok
                 ? rc == 0 && strcmp (staff.id, "st_co") == 0
                 : rc == -1 && err.code && strcmp (err.code, PROTO_E_UNAUTHENTICATED) == 0
                   && strcmp (err.field, "token") == 0
                   && strncmp (err.message, lives [i].word, strlen (lives [i].word)) == 0,
                 lives [i].what);
    }

    /* The facts from the store's SQL: a case in the Haidian outlet with the
     * card centre cooperating. */
    char no [COMPLAINT_NO_SIZE];
    if (test_org_case (conn, "assigned", "st_bj_hd", "st_card", no) == 0) {
        static const struct {
            const char *staff;
            staff_scope_t want;
            const char *what;
        } cases [] = {
            { "st_h_hd",   SCOPE_FULL, "store: the outlet's handler has the outlet's case" },
            { "st_sup_bj", SCOPE_FULL, "store: the branch supervisor has the outlet's case (subtree)" },
            { "st_mgr_bj", SCOPE_FULL, "store: the branch manager has the outlet's case (subtree)" },
            { "st_co",     SCOPE_FULL, "store: the complaint office has it" },
            { "st_h_card", SCOPE_COOPERATING,
              "store: the cooperating card centre's handler may see and note only" },
            { "st_sup_sh", SCOPE_NONE, "store: another branch's supervisor has no scope" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
            s_check (verbose, s_scope_in_store (pg, cases [i].staff, no) == (int) cases [i].want,
                     cases [i].what);
    }
    else
        s_check (verbose, false, "store: a case placed for the scope checks");
    if (test_org_case (conn, "assigned", NULL, NULL, no) == 0) {
        s_check (verbose, s_scope_in_store (pg, "st_sup_bj", no) == SCOPE_NONE
                          && s_scope_in_store (pg, "st_co", no) == SCOPE_FULL,
                 "store: a case with no department is the complaint office's alone");
    }
    else
        s_check (verbose, false, "store: a case with no department placed");
    return selftest_tally_end (&s_tally, verbose, "staff_auth", passed);
}
