/*  staff_token.c — staff tokens: generation and hashing (see staff_token.h).
 *
 *  SHA-256 comes from libsodium (crypto_hash_sha256), already a dependency
 *  for the customer pseudonym, so no second crypto library is needed.
 */
#include "staff_token.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int
staff_token_generate (char out [STAFF_TOKEN_SIZE])
{
    if (sodium_init () < 0)
        return -1;
    uint8_t raw [STAFF_TOKEN_LEN / 2];
    randombytes_buf (raw, sizeof raw);
    sodium_bin2hex (out, STAFF_TOKEN_SIZE, raw, sizeof raw);
    sodium_memzero (raw, sizeof raw);
    return 0;
}

void
staff_token_hash (const char *token, size_t len, uint8_t out [STAFF_TOKEN_HASH_LEN])
{
    crypto_hash_sha256 (out, (const unsigned char *) token, len);
}

void
staff_token_hash_hex (const char *token, size_t len, char out [2 * STAFF_TOKEN_HASH_LEN + 1])
{
    uint8_t hash [STAFF_TOKEN_HASH_LEN];
    staff_token_hash (token, len, hash);
    sodium_bin2hex (out, 2 * STAFF_TOKEN_HASH_LEN + 1, hash, sizeof hash);
}

bool
staff_token_valid (const char *token, size_t len)
{
    if (!token || len != STAFF_TOKEN_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((token [i] >= '0' && token [i] <= '9') || (token [i] >= 'a' && token [i] <= 'f')))
            return false;
    return true;
}

#include "selftest.h"

void
staff_token_test (bool verbose)
{
    if (verbose)
        printf (" * staff_token: ");
    char a [STAFF_TOKEN_SIZE], b [STAFF_TOKEN_SIZE];
    assert (staff_token_generate (a) == 0);
    assert (staff_token_generate (b) == 0);
    assert (strlen (a) == STAFF_TOKEN_LEN);
    assert (staff_token_valid (a, strlen (a)));
    assert (strcmp (a, b) != 0);
    assert (!staff_token_valid ("abc", 3));
    char upper [STAFF_TOKEN_SIZE];
    memcpy (upper, a, sizeof upper);
    upper [0] = 'G';
    assert (!staff_token_valid (upper, STAFF_TOKEN_LEN));

    /* SHA-256 ("abc"), FIPS 180-2 appendix B.1 */
    char hex [2 * STAFF_TOKEN_HASH_LEN + 1];
    staff_token_hash_hex ("abc", 3, hex);
    assert (strcmp (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    if (verbose)
        printf ("OK\n");
}
