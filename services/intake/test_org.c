/*  test_org.c — the self-tests' organisation (see test_org.h). Plain SQL,
 *  parameterised, in one transaction so a failure leaves nothing half made.
 */
#include "test_org.h"
#include "staff_token.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *id, *kind, *parent, *path;
} s_departments [] = {
    { "st_head",   "head_office",      NULL,      "/st_head/" },
    { "st_office", "complaint_office", "st_head", "/st_head/st_office/" },
    { "st_card",   "department",       "st_head", "/st_head/st_card/" },
    { "st_bj",     "branch",           "st_head", "/st_head/st_bj/" },
    { "st_bj_hd",  "outlet",           "st_bj",   "/st_head/st_bj/st_bj_hd/" },
    { "st_sh",     "branch",           "st_head", "/st_head/st_sh/" },
};

static struct {
    const char *id, *department, *role;
    bool active;
    char token [STAFF_TOKEN_SIZE];
} s_staff [] = {
    { "st_co",     "st_office", "complaint_office", true,  "" },
    { "st_h_card", "st_card",   "handler",          true,  "" },
    { "st_gone",   "st_card",   "handler",          false, "" },
    { "st_sup_bj", "st_bj",     "supervisor",       true,  "" },
    { "st_mgr_bj", "st_bj",     "manager",          true,  "" },
    { "st_h_hd",   "st_bj_hd",  "handler",          true,  "" },
    { "st_sup_sh", "st_sh",     "supervisor",       true,  "" },
};

#define S_COUNT(a) (sizeof (a) / sizeof (a) [0])

static int
s_exec (PGconn *conn, const char *sql, int n, const char *const *values)
{
    PGresult *res = PQexecParams (conn, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus (res);
    int rc = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? 0 : -1;
    if (rc)
        printf ("  test_org: %s\n    %s", sql, PQresultErrorMessage (res));
    PQclear (res);
    return rc;
}

int
test_org_create (PGconn *conn)
{
    if (s_exec (conn, "BEGIN", 0, NULL))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < S_COUNT (s_departments) && rc == 0; i++) {
        const char *v [] = { s_departments [i].id, s_departments [i].kind,
                             s_departments [i].parent, s_departments [i].path };
        rc = s_exec (conn, "INSERT INTO department (id, name, kind, parent, path)"
                           " VALUES ($1, upper ($1), $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                     4, v);
    }
    for (size_t i = 0; i < S_COUNT (s_staff) && rc == 0; i++) {
        rc = staff_token_generate (s_staff [i].token);
        char hex [2 * STAFF_TOKEN_HASH_LEN + 1];
        staff_token_hash_hex (s_staff [i].token, STAFF_TOKEN_LEN, hex);
        const char *v [] = { s_staff [i].id, s_staff [i].department, s_staff [i].role,
                             s_staff [i].active ? "true" : "false" };
        if (rc == 0)
            rc = s_exec (conn, "INSERT INTO staff (id, name, department, role, active)"
                               " VALUES ($1, 'Staff ' || $1, $2, $3, $4)"
                               " ON CONFLICT (id) DO NOTHING", 4, v);
        const char *t [] = { hex, s_staff [i].id };
        if (rc == 0)
            rc = s_exec (conn, "INSERT INTO staff_token (token_sha256, staff_id)"
                               " VALUES (decode ($1, 'hex'), $2)", 2, t);
    }
    if (s_exec (conn, rc == 0 ? "COMMIT" : "ROLLBACK", 0, NULL))
        rc = -1;
    return rc;
}

const char *
test_org_token (const char *staff_id)
{
    for (size_t i = 0; i < S_COUNT (s_staff); i++)
        if (strcmp (s_staff [i].id, staff_id) == 0)
            return s_staff [i].token;
    return "";
}

int
test_org_token_life (PGconn *conn, const char *staff_id, const char *life,
                     char token [STAFF_TOKEN_SIZE])
{
    if (staff_token_generate (token))
        return -1;
    char hex [2 * STAFF_TOKEN_HASH_LEN + 1], sql [256];
    staff_token_hash_hex (token, STAFF_TOKEN_LEN, hex);
    const char *v [] = { hex, staff_id };
    snprintf (sql, sizeof sql, "UPDATE staff_token SET %s WHERE token_sha256 = decode ($1, 'hex')",
              life);
    if (s_exec (conn, "INSERT INTO staff_token (token_sha256, staff_id)"
                      " VALUES (decode ($1, 'hex'), $2)", 2, v)
    ||  s_exec (conn, sql, 1, v))
        return -1;
    return 0;
}

int
test_org_case (PGconn *conn, const char *state, const char *department,
               const char *cooperating, char no [COMPLAINT_NO_SIZE])
{
    /* A number nobody else has: the date a test date, the sequence from the
     * pid and a counter, so a second run on one database does not collide. */
    static unsigned counter;
    counter++;
    if (complaint_no_format (no, 20000101, (uint64_t) (getpid () % 10000) * 100 + counter % 100))
        return -1;
    const char *v [] = { no, state, department, cooperating };
    return s_exec (conn,
        "INSERT INTO complaint (complaint_no, channel, ref, body,"
        "                       customer_pseudonym, received_at, state, department, cooperating)"
        " VALUES ($1, 'web', 'selftest-' || $1, 'a complaint for the self-test',"
        "         repeat ('0', 32), now (), $2, $3,"
        "         CASE WHEN $4::text IS NULL THEN '{}'::text[] ELSE ARRAY [$4::text] END)",
        4, v);
}
