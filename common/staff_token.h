/*  staff_token.h — how a member of staff proves who they are.
 *
 *  A token is 32 random bytes written as 64 lowercase hex characters
 *  (libsodium's randombytes). It is shown once, to the person it is issued
 *  to, and kept only as its SHA-256: in the tokens file that the router loads
 *  with the directory (deploy/org/, docs/organisation.md), and in the store's
 *  staff_token table. Intake hashes the token a request carries and looks the
 *  hash up. Because a token has 256 bits of entropy, a plain hash is as safe
 *  as a slow password hash and costs one lookup.
 *
 *  Interface:
 *      staff_token_generate   a fresh token (hex)
 *      staff_token_hash       token -> 32-byte SHA-256
 *      staff_token_hash_hex   token -> 64-hex SHA-256 (the tokens file form)
 *      staff_token_valid      is this string shaped like a token
 *      staff_token_test       self-test
 */
#ifndef STAFF_TOKEN_H_INCLUDED
#define STAFF_TOKEN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STAFF_TOKEN_LEN      64     /* hex characters */
#define STAFF_TOKEN_SIZE     65     /* with NUL */
#define STAFF_TOKEN_HASH_LEN 32     /* SHA-256 bytes */
#define STAFF_TOKEN_ENV      "COMPLAINTS_TOKEN"     /* complaintctl reads it */

/* Returns 0, or -1 when libsodium could not start. */
int  staff_token_generate (char out [STAFF_TOKEN_SIZE]);
/* Hash `len` bytes of token text (any text: a malformed token simply
 * matches nobody). */
void staff_token_hash (const char *token, size_t len, uint8_t out [STAFF_TOKEN_HASH_LEN]);
void staff_token_hash_hex (const char *token, size_t len, char out [2 * STAFF_TOKEN_HASH_LEN + 1]);
/* 64 lowercase hex characters. */
bool staff_token_valid (const char *token, size_t len);
void staff_token_test (bool verbose);

#endif
