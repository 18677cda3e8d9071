/*  staff_auth.h — who is asking, and may they touch this case.
 *
 *  Authentication: a request carries a staff token (common/staff_token.h);
 *  intake hashes it and looks the hash up in staff_token, joined to an
 *  active staff row and its department; a revoked or expired token
 *  (migration 021) is refused and says which. The plaintext token is never stored
 *  or logged.
 *
 *  Authorisation (issue 3, PROTOCOL.md "Authorisation"): a case is in a
 *  member of staff's scope when
 *      handler           the case is in their department, or they handle it;
 *      supervisor,
 *      manager           the case's department is in their subtree
 *                        (its department.path starts with theirs), or they
 *                        handle it;
 *      complaint_office  always.
 *  A case with no department yet is in the complaint office's scope only.
 *  A handler whose department cooperates on a case (supervisor, manager:
 *  a cooperating department in their subtree) has the narrower
 *  SCOPE_COOPERATING: they see it and may only `note`.
 *
 *  The facts the rule needs are computed by PostgreSQL next to the case row
 *  (STAFF_AUTH_SCOPE_SQL, with the staff member's department, path and id as
 *  $2, $3, $4); the decision is made here, in one place, for act and get.
 *
 *  Interface:
 *      staff_auth_lookup   token -> staff_t, or unauthenticated / unavailable
 *      staff_auth_scope    the scope rule
 *      staff_auth_scope_read   read the scope facts from a result row
 *      staff_auth_may_see  the rule applied to a case row: forbidden or not
 *      staff_auth_case     token + case row + rule: the row a reader may see
 *      staff_auth_test     self-test: the rule as a table, tokens and scope
 *                          facts against the store (intake --selftest)
 */
#ifndef STAFF_AUTH_H_INCLUDED
#define STAFF_AUTH_H_INCLUDED

#include "lifecycle.h"
#include "pg_session.h"
#include "proto.h"
#include "request.h"

typedef struct {
    char id [REQUEST_MAX_ID + 1];
    char department [REQUEST_MAX_ID + 1];
    char path [PROTO_MAX_SHORT + 1];        /* '/head_office/branch_bj/' */
    staff_role_t role;
} staff_t;

/* What the scope rule needs to know about one case, for one person. */
typedef struct {
    bool has_department;    /* the case has been given a department */
    bool same_department;   /* case.department = staff.department */
    bool in_subtree;        /* the case's department path starts with the staff's */
    bool is_handler;        /* case.handler = staff.id */
    bool coop_department;   /* staff.department is one of case.cooperating */
    bool coop_subtree;      /* a cooperating department is in the staff's subtree */
} case_scope_t;

typedef enum {
    SCOPE_NONE = 0,
    SCOPE_COOPERATING,      /* may see the case and note on it */
    SCOPE_FULL,
} staff_scope_t;

/*  Six boolean columns, in case_scope_t's order, for a query over
 *  `complaint c LEFT JOIN department cd ON cd.id = c.department` whose
 *  parameters $2, $3, $4 are the staff member's department, path and id
 *  (all NULL when nobody asks: every column is then false). */
#define STAFF_AUTH_SCOPE_SQL \
    " c.department IS NOT NULL," \
    " coalesce (c.department = $2, false)," \
    " coalesce (starts_with (cd.path, $3), false)," \
    " coalesce (c.handler = $4, false)," \
    " coalesce ($2 = ANY (c.cooperating), false)," \
    " EXISTS (SELECT 1 FROM department kd" \
    "          WHERE kd.id = ANY (c.cooperating) AND starts_with (kd.path, $3))"
#define STAFF_AUTH_SCOPE_COLUMNS 6

/* Look the token up on the session. Returns 0 with *staff filled; -1 with
 * err set to unauthenticated (field "token": unknown, malformed,
 * inactive, or revoked / expired: the message starts "token revoked" /
 * "token expired") or unavailable (the store failed: pg_statement_failed
 * statement=staff_lookup says why). */
int staff_auth_lookup (pg_session_t *pg, proto_str_t token, staff_t *staff, proto_error_t *err);

/* Read STAFF_AUTH_SCOPE_SQL's columns starting at `col` of row `row`. */
void staff_auth_scope_read (const PGresult *res, int row, int col, case_scope_t *scope);

staff_scope_t staff_auth_scope (const staff_t *staff, const case_scope_t *scope);

/* May this member of staff see the case of row 0 of `res`, whose scope
 * columns start at `col`? 0: yes (cooperating included); -1 with err set
 * to forbidden (field token), the message naming the role and department. */
int staff_auth_may_see (const staff_t *staff, const PGresult *res, int col,
                        const char *complaint_no, proto_error_t *err);

/* The case a member of staff asks for by token (a staff get, evidence_get):
 * the token looked up into *staff, then `sql` (statement `what`; parameters
 * complaint_no, and the staff's department, path and id for
 * STAFF_AUTH_SCOPE_SQL, whose columns start at scope_col) must give one
 * row in their scope. The result, or NULL with err set: unauthenticated,
 * unavailable, not_found (complaint_no), forbidden (token). */
PGresult *staff_auth_case (pg_session_t *pg, proto_str_t token, const char *complaint_no,
                           const char *what, const char *sql, int scope_col, staff_t *staff,
                           proto_error_t *err);

/* Needs test_org_create () done on the store. Returns the failures; adds
 * the passed checks to *passed. */
int staff_auth_test (bool verbose, pg_session_t *pg, int *passed);

#endif
