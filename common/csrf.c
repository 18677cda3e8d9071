/*  csrf.c — form tokens bound to a cookie (see csrf.h). */
#include "csrf.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _csrf_t {
    uint8_t key [crypto_auth_hmacsha256_KEYBYTES];
    long max_age_s;
};

csrf_t *
csrf_new (const uint8_t *key, long max_age_s)
{
    assert (max_age_s > 0);
    if (sodium_init () < 0)
        return NULL;
    csrf_t *self = calloc (1, sizeof *self);
    assert (self);
    if (key)
        memcpy (self->key, key, CSRF_KEY_SIZE);
    else
        randombytes_buf (self->key, sizeof self->key);
    self->max_age_s = max_age_s;
    return self;
}

void
csrf_destroy (csrf_t **self_p)
{
    assert (self_p);
    csrf_t *self = *self_p;
    if (!self)
        return;
    sodium_memzero (self->key, sizeof self->key);
    free (self);
    *self_p = NULL;
}

void
csrf_session_new (char session [CSRF_SESSION_SIZE])
{
    uint8_t bytes [16];
    randombytes_buf (bytes, sizeof bytes);
    sodium_bin2hex (session, CSRF_SESSION_SIZE, bytes, sizeof bytes);
}

static void
s_mac (csrf_t *self, const char *session, int64_t t, char hex [65])
{
    char text [CSRF_SESSION_SIZE + 32];
    int n = snprintf (text, sizeof text, "%s|%" PRId64, session, t);
    uint8_t mac [crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256 (mac, (const uint8_t *) text, (size_t) n, self->key);
    sodium_bin2hex (hex, 65, mac, sizeof mac);
}

static bool
s_session_ok (const char *session)
{
    if (!session || strlen (session) != CSRF_SESSION_SIZE - 1)
        return false;
    for (const char *p = session; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

void
csrf_token (csrf_t *self, const char *session, int64_t now_s, char token [CSRF_TOKEN_SIZE])
{
    assert (self && session);
    char hex [65];
    s_mac (self, session, now_s, hex);
    snprintf (token, CSRF_TOKEN_SIZE, "%" PRId64 ".%s", now_s, hex);
}

bool
csrf_verify (csrf_t *self, const char *session, const char *token, int64_t now_s)
{
    assert (self);
    if (!s_session_ok (session) || !token || strlen (token) >= CSRF_TOKEN_SIZE)
        return false;
    const char *dot = strchr (token, '.');
    if (!dot || dot == token || dot - token > 19 || strlen (dot + 1) != 64)
        return false;
    int64_t t = 0;
    for (const char *p = token; p < dot; p++) {
        if (*p < '0' || *p > '9')
            return false;
        t = t * 10 + (*p - '0');
    }
    if (t > now_s + 60 || now_s - t > self->max_age_s)
        return false;
    char hex [65];
    s_mac (self, session, t, hex);
    return sodium_memcmp (hex, dot + 1, 64) == 0;
}

#include "selftest.h"

void
csrf_test (bool verbose)
{
    (void) verbose;
    printf (" * csrf: ");
    csrf_t *csrf = csrf_new (NULL, 3600);
    assert (csrf);
    char session [CSRF_SESSION_SIZE], other [CSRF_SESSION_SIZE];
    csrf_session_new (session);
    csrf_session_new (other);
    assert (strlen (session) == 32 && !streq (session, other));
    char token [CSRF_TOKEN_SIZE];
    int64_t now = 1764979200;
    csrf_token (csrf, session, now, token);
    assert (csrf_verify (csrf, session, token, now));
    assert (csrf_verify (csrf, session, token, now + 3600));
    assert (!csrf_verify (csrf, session, token, now + 3601));       /* stale */
    assert (!csrf_verify (csrf, session, token, now - 61));         /* from the future */
    assert (!csrf_verify (csrf, other, token, now));                /* another cookie */
    assert (!csrf_verify (csrf, NULL, token, now));
    assert (!csrf_verify (csrf, session, NULL, now));
    assert (!csrf_verify (csrf, session, "", now));
    assert (!csrf_verify (csrf, "not-hex", token, now));
    char forged [CSRF_TOKEN_SIZE];
    snprintf (forged, sizeof forged, "%s", token);
    forged [strlen (forged) - 1] ^= 1;
    assert (!csrf_verify (csrf, session, forged, now));
    //  The time is under the MAC: a token made older cannot be made younger.
    snprintf (forged, sizeof forged, "%" PRId64 "%s", now + 10, strchr (token, '.'));
    assert (!csrf_verify (csrf, session, forged, now + 10));
    //  Another server's key (a restart) does not verify.
    csrf_t *second = csrf_new (NULL, 3600);
    assert (!csrf_verify (second, session, token, now));
    uint8_t key [CSRF_KEY_SIZE] = { 1, 2, 3 };
    csrf_t *keyed = csrf_new (key, 60), *same = csrf_new (key, 60);
    csrf_token (keyed, session, now, token);
    assert (csrf_verify (same, session, token, now));
    csrf_destroy (&keyed);
    csrf_destroy (&same);
    csrf_destroy (&second);
    csrf_destroy (&csrf);
    csrf_destroy (&csrf);
    assert (!csrf);
    printf ("OK\n");
}
