/*  test_org.h — the small bank intake's self-tests act in (intake
 *  --selftest, against the migrated database the test runner gives it).
 *
 *      st_head/                 head office
 *        st_office/             complaint office      st_co (complaint_office)
 *        st_card/               card centre           st_h_card (handler),
 *                                                      st_gone (handler, inactive)
 *        st_bj/                 Beijing branch        st_sup_bj (supervisor),
 *                                                      st_mgr_bj (manager)
 *          st_bj_hd/            Haidian outlet        st_h_hd (handler)
 *        st_sh/                 Shanghai branch       st_sup_sh (supervisor)
 *
 *  Every member of staff gets a fresh token (only its SHA-256 is stored, as
 *  `complaintctl token new` does); test_org_token gives the plaintext. Rows
 *  that already exist (a second run on one database) are kept; the tokens
 *  are new each run.
 *
 *      test_org_create      write it (0, or -1 with the error printed)
 *      test_org_token       a member of staff's plaintext token
 *      test_org_token_life  a fresh token with its life set (revoked, expired)
 *      test_org_case        a case placed with SQL: state, department (NULL:
 *                           none yet), cooperating department (NULL: none);
 *                           its number in `no`, version 1
 */
#ifndef TEST_ORG_H_INCLUDED
#define TEST_ORG_H_INCLUDED

#include "complaint_no.h"
#include "staff_token.h"
#include <libpq-fe.h>

int test_org_create (PGconn *conn);
const char *test_org_token (const char *staff_id);
/* A fresh token of `staff_id` into *token, its row then given `life` (the
 * SET list of an UPDATE of staff_token: fixed test text, not input).
 * 0 or -1 (printed). */
int test_org_token_life (PGconn *conn, const char *staff_id, const char *life,
                         char token [STAFF_TOKEN_SIZE]);
int test_org_case (PGconn *conn, const char *state, const char *department,
                   const char *cooperating, char no [COMPLAINT_NO_SIZE]);

#endif
