/*  query_code.h — the customer's query code: the secret that opens the
 *  public status view of their complaint (issue 13; PROTOCOL.md, "get";
 *  docs/security.md, "Status view").
 *
 *  Ten characters of Crockford's base32 alphabet (digits and capitals
 *  without I, L, O, U): 50 random bits from libsodium, readable over the
 *  phone, shown as two groups of five ("7K3QD-M9XWA"). What a customer types
 *  back is read leniently: case, spaces and dashes do not matter, O reads
 *  as 0 and I or L as 1. The store keeps only a keyed hash of the
 *  canonical ten characters (identity_seal_hash) and a sealed copy (for the
 *  receipt and an idempotent retry); see identity_seal.h.
 *
 *  Interface:
 *      query_code_new        a fresh code, grouped
 *      query_code_canonical  what was typed, as the ten characters hashed
 *      query_code_test       self-test
 */
#ifndef QUERY_CODE_H_INCLUDED
#define QUERY_CODE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define QUERY_CODE_CHARS  10
#define QUERY_CODE_BITS   (5 * QUERY_CODE_CHARS)
#define QUERY_CODE_SIZE   (QUERY_CODE_CHARS + 2)   /* grouped with a dash, NUL */
#define QUERY_CODE_INPUT_MAX 32                    /* bytes a request may carry */

void query_code_new (char out [QUERY_CODE_SIZE]);
/* 0 and the ten canonical characters (NUL-terminated) in out, or -1 when
 * len bytes at in are not a code of this alphabet. */
int query_code_canonical (const char *in, size_t len, char out [QUERY_CODE_CHARS + 1]);
void query_code_test (bool verbose);

#endif
