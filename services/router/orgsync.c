/*  orgsync.c — the directory and tokens into the store (see orgsync.h).
 *
 *  Each table is written with one statement over arrays (unnest), so a sync
 *  costs a handful of round trips whatever the size of the bank. The
 *  advisory lock key is a constant of this file: only directory syncs use
 *  it.
 */
#include "orgsync.h"
#include "pg_array.h"
#include "log.h"
#include "pg_session.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORGSYNC_LOCK_KEY "7305202603"    /* pg_advisory_xact_lock key */

#define S_SQL_DEPTS \
    "WITH input AS (SELECT * FROM unnest ($1::text[], $2::text[], $3::text[], $4::text[]," \
    "                                     $5::text[]) WITH ORDINALITY" \
    "                 AS t (id, name, kind, parent, path, ord))," \
    " up AS (INSERT INTO department (id, name, kind, parent, path, active, loaded_at)" \
    "        SELECT id, name, kind, nullif (parent, ''), path, true, now ()" \
    "          FROM input ORDER BY ord" \
    "        ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind," \
    "           parent = excluded.parent, path = excluded.path, active = true," \
    "           loaded_at = excluded.loaded_at" \
    "        RETURNING 1)" \
    "UPDATE department SET active = false" \
    " WHERE active AND id <> ALL ($1::text[])"

#define S_SQL_STAFF \
    "WITH input AS (SELECT * FROM unnest ($1::text[], $2::text[], $3::text[], $4::text[]," \
    "                                     $5::text[], $6::boolean[], $7::int[], $8::text[]," \
    "                                     $9::text[])" \
    "                 AS t (id, name, department, role, ab, on_duty, capacity, email, phone))," \
    " up AS (INSERT INTO staff (id, name, department, role, ab_role, on_duty, capacity," \
    "                           email, phone, active, loaded_at)" \
    "        SELECT id, name, department, role, nullif (ab, ''), on_duty, capacity," \
    "               nullif (email, ''), nullif (phone, ''), true, now () FROM input" \
    "        ON CONFLICT (id) DO UPDATE SET name = excluded.name," \
    "           department = excluded.department, role = excluded.role," \
    "           ab_role = excluded.ab_role, on_duty = excluded.on_duty," \
    "           capacity = excluded.capacity, email = excluded.email, phone = excluded.phone," \
    "           active = true, loaded_at = excluded.loaded_at" \
    "        RETURNING 1)" \
    "UPDATE staff SET active = false WHERE active AND id <> ALL ($1::text[])"

//  The tokens file only seeds (migration 021): a hash the store does not
//  hold yet is inserted, one it holds is left as it is, revoked or not, and
//  none is deleted. The store is the one source of truth for a token's life;
//  the router's role has no UPDATE or DELETE on staff_token to do otherwise.
#define S_SQL_TOKENS \
    "INSERT INTO staff_token (token_sha256, staff_id)" \
    " SELECT decode (h, 'hex'), s FROM unnest ($1::text[], $2::text[]) AS t (s, h)" \
    " ON CONFLICT (token_sha256) DO NOTHING"

static int
s_exec (pg_session_t *session, const char *what, const char *sql, int n,
        const char *const *params)
{
    char name [64];
    snprintf (name, sizeof name, "org_sync_%s", what);
    return pg_session_command (session, name, sql, n, params);
}

int
orgsync_run (pg_session_t *session, const policy_t *policy)
{
    assert (policy);
    if (!pg_session_healthy (session))
        return -1;
    const directory_t *dir = policy_directory (policy);
    enum { D_ID, D_NAME, D_KIND, D_PARENT, D_PATH, D_COUNT };
    enum { S_ID, S_NAME, S_DEPT, S_ROLE, S_AB, S_DUTY, S_CAP, S_EMAIL, S_PHONE, S_COUNT };
    pg_array_t d [D_COUNT], s [S_COUNT], tok_ids = { 0 }, tok_hex = { 0 };
    memset (d, 0, sizeof d);
    memset (s, 0, sizeof s);
    for (int k = 0; k < D_COUNT; k++)
        pg_array_begin (&d [k]);
    for (int k = 0; k < S_COUNT; k++)
        pg_array_begin (&s [k]);
    pg_array_begin (&tok_ids);
    pg_array_begin (&tok_hex);
    for (size_t i = 0; i < directory_dept_count (dir); i++) {
        const dir_dept_t *dept = directory_dept_at (dir, i);    /* parents first */
        pg_array_add (&d [D_ID], dept->id);
        pg_array_add (&d [D_NAME], dept->name_zh);
        pg_array_add (&d [D_KIND], dept->kind);
        pg_array_add (&d [D_PARENT], dept->parent ? dept->parent : "");
        pg_array_add (&d [D_PATH], dept->path);
    }
    for (size_t i = 0; i < directory_staff_count (dir); i++) {
        const dir_staff_t *st = directory_staff_at (dir, i);
        char cap [24];
        snprintf (cap, sizeof cap, "%ld", st->capacity);
        pg_array_add (&s [S_ID], st->id);
        pg_array_add (&s [S_NAME], st->name);
        pg_array_add (&s [S_DEPT], st->department);
        pg_array_add (&s [S_ROLE], st->role);
        pg_array_add (&s [S_AB], st->ab);
        pg_array_add (&s [S_DUTY], st->on_duty ? "t" : "f");
        pg_array_add (&s [S_CAP], cap);
        pg_array_add (&s [S_EMAIL], st->email ? st->email : "");
        pg_array_add (&s [S_PHONE], st->phone ? st->phone : "");
    }
    const dir_tokens_t *tokens = policy_tokens (policy);
    for (size_t i = 0; tokens && i < tokens->count; i++) {
        char hex [65];
        for (int b = 0; b < 32; b++)
            snprintf (hex + 2 * b, 3, "%02x", tokens->items [i].sha256 [b]);
        pg_array_add (&tok_ids, tokens->items [i].staff_id);
        pg_array_add (&tok_hex, hex);
    }
    for (int k = 0; k < D_COUNT; k++)
        pg_array_end (&d [k]);
    for (int k = 0; k < S_COUNT; k++)
        pg_array_end (&s [k]);
    pg_array_end (&tok_ids);
    pg_array_end (&tok_hex);

    int rc = s_exec (session, "begin", "BEGIN", 0, NULL);
    if (rc == 0)
        rc = s_exec (session, "lock", "SELECT pg_advisory_xact_lock (" ORGSYNC_LOCK_KEY ")", 0, NULL);
    if (rc == 0) {
        const char *params [D_COUNT] = { d [0].data, d [1].data, d [2].data, d [3].data,
                                         d [4].data };
        rc = s_exec (session, "departments", S_SQL_DEPTS, D_COUNT, params);
    }
    if (rc == 0) {
        const char *params [S_COUNT];
        for (int k = 0; k < S_COUNT; k++)
            params [k] = s [k].data;
        rc = s_exec (session, "staff", S_SQL_STAFF, S_COUNT, params);
    }
    if (rc == 0 && tokens) {
        const char *params [2] = { tok_ids.data, tok_hex.data };
        rc = s_exec (session, "tokens", S_SQL_TOKENS, 2, params);
    }
    if (rc == 0)
        rc = s_exec (session, "commit", "COMMIT", 0, NULL);
    else {
        pg_session_rollback (session);
        log_warn ("org_sync_failed", "action=retry");
    }
    for (int k = 0; k < D_COUNT; k++)
        pg_array_destroy (&d [k]);
    for (int k = 0; k < S_COUNT; k++)
        pg_array_destroy (&s [k]);
    pg_array_destroy (&tok_ids);
    pg_array_destroy (&tok_hex);
    if (rc == 0)
        log_info ("org_synced", "departments=%zu staff=%zu tokens=%s",
                  directory_dept_count (dir), directory_staff_count (dir),
                  tokens ? "seeded" : "unmanaged");
    return rc;
}
