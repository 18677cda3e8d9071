/*  identity_upgrade.c — seal older rows' identity; re-seal under a new key
 *  (see identity_upgrade.h).
 *
 *  Each batch is one transaction: the rows are read FOR UPDATE in id order
 *  after the last one done (keyset, so a row that cannot be opened is
 *  reported once and passed, never re-read forever), each is sealed in C
 *  and written back with its own UPDATE. Hundreds of rows a transaction
 *  keep locks short beside a running intake.
 */
#include "identity_upgrade.h"
#include "complaint_store.h"
#include "log.h"
#include "query_code.h"

#include <assert.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BATCH "500"             /* rows a transaction */

static const char *s_has_plaintext_sql =
    "SELECT count (*) FROM information_schema.columns"
    " WHERE table_schema = current_schema () AND table_name = 'complaint'"
    "   AND column_name = 'customer_name'";

static const char *s_plain_rows_sql =
    "SELECT id, complaint_no, customer_name, customer_phone, customer_email,"
    "       customer_account, customer_id_no"
    "  FROM complaint"
    " WHERE id > $1::bigint AND (customer_name IS NOT NULL OR customer_phone IS NOT NULL"
    "    OR customer_email IS NOT NULL OR customer_account IS NOT NULL"
    "    OR customer_id_no IS NOT NULL)"
    " ORDER BY id LIMIT " S_BATCH " FOR UPDATE";

static const char *s_plain_update_sql =
    "UPDATE complaint SET customer_sealed = $2, customer_phone_hash = $3,"
    "       customer_email_hash = $4, customer_account_hash = $5, customer_id_no_hash = $6,"
    "       customer_name = NULL, customer_phone = NULL, customer_email = NULL,"
    "       customer_account = NULL, customer_id_no = NULL"
    " WHERE id = $1::bigint";

/* Rows with anything under another key than $2 (the first byte of each
 * sealed value and hash is its key id). */
static const char *s_stale_rows_sql =
    "SELECT id, complaint_no, encode (customer_sealed, 'hex'),"
    "       encode (query_code_sealed, 'hex')"
    "  FROM complaint"
    " WHERE id > $1::bigint AND ("
    "       get_byte (customer_sealed, 0) <> $2::int OR get_byte (query_code_sealed, 0) <> $2::int"
    "    OR get_byte (query_code_hash, 0) <> $2::int"
    "    OR get_byte (customer_phone_hash, 0) <> $2::int"
    "    OR get_byte (customer_email_hash, 0) <> $2::int"
    "    OR get_byte (customer_account_hash, 0) <> $2::int"
    "    OR get_byte (customer_id_no_hash, 0) <> $2::int)"
    " ORDER BY id LIMIT " S_BATCH " FOR UPDATE";

static const char *s_reseal_update_sql =
    "UPDATE complaint SET customer_sealed = $2, customer_phone_hash = $3,"
    "       customer_email_hash = $4, customer_account_hash = $5, customer_id_no_hash = $6,"
    "       query_code_sealed = coalesce ($7, query_code_sealed),"
    "       query_code_hash = coalesce ($8, query_code_hash)"
    " WHERE id = $1::bigint";

static bool
s_ok (PGconn *conn, PGresult *res, ExecStatusType want, const char *what)
{
    if (PQresultStatus (res) == want)
        return true;
    char q [400];
    log_error ("identity_upgrade_failed", "step=%s error=%s", what,
               log_quote (q, sizeof q, PQerrorMessage (conn)));
    return false;
}

static proto_str_t
s_str (const PGresult *res, int row, int col)
{
    if (PQgetisnull (res, row, col) || !*PQgetvalue (res, row, col))
        return (proto_str_t) { NULL, 0 };
    return (proto_str_t) { PQgetvalue (res, row, col), (size_t) PQgetlength (res, row, col) };
}

static proto_str_t
s_cstr (const char *value)
{
    return value && *value ? (proto_str_t) { value, strlen (value) } : (proto_str_t) { NULL, 0 };
}

/* Seal `customer` for complaint_no and write it (and its hashes) to row id;
 * code: the opened query code to seal again, or NULL. 0, -1. */
static int
s_write_row (PGconn *conn, const char *sql, const char *id, const char *complaint_no,
             const identity_seal_t *seal, const customer_t *customer, const char *code)
{
    msgpack_sbuffer sealed;
    msgpack_sbuffer_init (&sealed);
    int rc = identity_seal_customer (seal, customer, complaint_no, &sealed);
    unsigned char hashes [4][IDENTITY_HASH_SIZE];
    const proto_str_t ids [4] = { customer->phone, customer->email, customer->account,
                                  customer->id_no };
    static const char *kinds [4] = { "tel", "mail", "acct", "id" };
    const char *values [8] = { id, sealed.size ? sealed.data : NULL };
    int lengths [8] = { 0, (int) sealed.size };
    int formats [8] = { 0, 1, 1, 1, 1, 1, 1, 1 };
    for (int k = 0; k < 4; k++) {
        if (ids [k].ptr) {
            identity_seal_lookup (seal, kinds [k], ids [k], hashes [k]);
            values [2 + k] = (const char *) hashes [k];
            lengths [2 + k] = IDENTITY_HASH_SIZE;
        }
    }
    unsigned char code_sealed [QUERY_CODE_SIZE - 1 + IDENTITY_SEAL_OVERHEAD];
    unsigned char code_hash [IDENTITY_HASH_SIZE];
    char canon [QUERY_CODE_CHARS + 1];
    if (code && strlen (code) == QUERY_CODE_SIZE - 1
    &&  query_code_canonical (code, strlen (code), canon) == 0
    &&  identity_seal_seal (seal, code, QUERY_CODE_SIZE - 1, complaint_no,
                            COMPLAINT_STORE_CODE_PURPOSE, code_sealed) == 0) {
        identity_seal_hash (seal, IDENTITY_HASH_QUERY, canon, QUERY_CODE_CHARS, code_hash);
        values [6] = (const char *) code_sealed;
        lengths [6] = sizeof code_sealed;
        values [7] = (const char *) code_hash;
        lengths [7] = IDENTITY_HASH_SIZE;
    }
    int n = sql == s_reseal_update_sql ? 8 : 6;
    if (rc == 0) {
        PGresult *res = PQexecParams (conn, sql, n, NULL, values, lengths, formats, 0);
        if (!s_ok (conn, res, PGRES_COMMAND_OK, "update"))
            rc = -1;
        PQclear (res);
    }
    sodium_memzero (sealed.data, sealed.size);
    msgpack_sbuffer_destroy (&sealed);
    return rc;
}

/* One batch of one kind; returns rows done, -1 on a store failure. */
static int
s_batch (PGconn *conn, const identity_seal_t *seal, bool reseal, int64_t *after,
         uint64_t *unopened)
{
    PGresult *res = PQexec (conn, "BEGIN");
    bool ok = s_ok (conn, res, PGRES_COMMAND_OK, "begin");
    PQclear (res);
    if (!ok)
        return -1;
    char after_text [24], key_text [8];
    snprintf (after_text, sizeof after_text, "%" PRId64, *after);
    snprintf (key_text, sizeof key_text, "%d", identity_seal_key_id (seal));
    const char *params [] = { after_text, key_text };
    res = PQexecParams (conn, reseal ? s_stale_rows_sql : s_plain_rows_sql, reseal ? 2 : 1,
                        NULL, params, NULL, NULL, 0);
    int done = 0;
    if (!s_ok (conn, res, PGRES_TUPLES_OK, "read"))
        done = -1;
    for (int r = 0; done >= 0 && r < PQntuples (res); r++) {
        const char *id = PQgetvalue (res, r, 0), *no = PQgetvalue (res, r, 1);
        *after = strtoll (id, NULL, 10);
        int rc;
        if (!reseal) {
            customer_t c = { s_str (res, r, 2), s_str (res, r, 3), s_str (res, r, 4),
                             s_str (res, r, 5), s_str (res, r, 6) };
            rc = s_write_row (conn, s_plain_update_sql, id, no, seal, &c, NULL);
        }
        else {
            identity_t who = { 0 };
            size_t len = 0, code_len = 0;
            unsigned char *sealed = identity_sealed_from_hex (PQgetvalue (res, r, 2), &len);
            unsigned char *code_sealed = identity_sealed_from_hex (PQgetvalue (res, r, 3), &code_len);
            char code [QUERY_CODE_SIZE] = "";
            size_t got = 0;
            bool opened = (!sealed || identity_open_customer (seal, sealed, len, no, &who) == 0)
                       && (!code_sealed || (code_len == sizeof code - 1 + IDENTITY_SEAL_OVERHEAD
                           && identity_seal_open (seal, code_sealed, code_len, no,
                                                  COMPLAINT_STORE_CODE_PURPOSE,
                                                  (unsigned char *) code, &got) == 0));
            code [got < sizeof code ? got : 0] = 0;
            if (!opened) {
                (*unopened)++;
                log_warn ("identity_unopened", "complaint_no=%s reason=\"its key is not in"
                          " the key file, or the value was altered\" action=skip", no);
                rc = 0;
            }
            else {
                customer_t c = { s_cstr (who.name), s_cstr (who.phone), s_cstr (who.email),
                                 s_cstr (who.account), s_cstr (who.id_no) };
                rc = s_write_row (conn, s_reseal_update_sql, id, no, seal, &c,
                                  *code ? code : NULL);
                done += rc == 0;
            }
            identity_clear (&who);
            sodium_memzero (code, sizeof code);
            free (sealed);
            free (code_sealed);
            if (rc)
                done = -1;
            continue;
        }
        if (rc)
            done = -1;
        else
            done++;
    }
    bool more = done >= 0 && PQntuples (res) > 0;
    PQclear (res);
    res = PQexec (conn, done >= 0 ? "COMMIT" : "ROLLBACK");
    if (!s_ok (conn, res, PGRES_COMMAND_OK, done >= 0 ? "commit" : "rollback"))
        done = -1;
    PQclear (res);
    if (done < 0)
        return -1;
    return more ? done : -2;        /* -2: the read found no row left */
}

int
identity_upgrade_run (const char *conninfo, const identity_seal_t *seal, bool reseal)
{
    PGconn *conn = PQconnectdb (conninfo ? conninfo : "");
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "intake --seal-identity: cannot connect: %s", PQerrorMessage (conn));
        PQfinish (conn);
        return -1;
    }
    PGresult *res = PQexec (conn, s_has_plaintext_sql);
    bool has_plaintext = PQresultStatus (res) == PGRES_TUPLES_OK
                      && strtol (PQgetvalue (res, 0, 0), NULL, 10) > 0;
    PQclear (res);
    uint64_t sealed = 0, resealed = 0, unopened = 0;
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        bool resealing = pass == 1;
        if ((!resealing && !has_plaintext) || (resealing && !reseal))
            continue;
        int64_t after = 0;
        while (true) {
            int n = s_batch (conn, seal, resealing, &after, &unopened);
            if (n == -1) {
                rc = -1;
                break;
            }
            if (n == -2)
                break;          /* nothing left */
            if (resealing)
                resealed += (uint64_t) n;
            else
                sealed += (uint64_t) n;
        }
    }
    printf ("intake --seal-identity: %" PRIu64 " rows sealed, %" PRIu64 " re-sealed under key %d,"
            " %" PRIu64 " could not be opened%s%s\n", sealed, resealed,
            identity_seal_key_id (seal), unopened,
            has_plaintext ? "" : " (no plaintext columns: migration 023 ran)",
            rc ? "; FAILED, run it again" : "");
    log_info ("identity_sealed", "sealed=%" PRIu64 " resealed=%" PRIu64 " unopened=%" PRIu64
              " key=%d ok=%s", sealed, resealed, unopened, identity_seal_key_id (seal),
              rc ? "false" : "true");
    PQfinish (conn);
    return rc;
}
