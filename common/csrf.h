/*  csrf.h — tokens that prove a form was posted from a page we served
 *  (cross-site request forgery): the web adapter's complaint form, the
 *  hotline desk.
 *
 *  Stateless: the page sets a cookie holding a random session value
 *  (csrf_session_new; HttpOnly, SameSite=Strict) and writes into the form
 *  a token bound to it: the time it was made and an HMAC-SHA-256
 *  (libsodium) of the session and that time under the server's key. A
 *  post is accepted when its token verifies against its own cookie and is
 *  younger than max_age_s. Another site can make the browser post, but
 *  can neither read our cookie nor make a token for it; nothing is kept
 *  per visitor, so a flood of page views costs no memory.
 *
 *  The key is made at random by csrf_new unless given: a restart makes
 *  the forms open in browsers fail the check (the page then asks again,
 *  with the customer's words kept).
 *
 *      token: "T.HEX"  (T = unix seconds in decimal, HEX = 64 hex digits)
 *
 *  Interface:
 *      csrf_new / csrf_destroy
 *      csrf_session_new    a random session value for the cookie
 *      csrf_token          the token for a session, now
 *      csrf_verify         does the token belong to this session, and is it fresh?
 *      csrf_test
 */
#ifndef CSRF_H_INCLUDED
#define CSRF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSRF_SESSION_SIZE 33            /* 32 hex digits and a NUL */
#define CSRF_TOKEN_SIZE   96            /* "T.HEX" and a NUL, with room */
#define CSRF_KEY_SIZE     32

typedef struct _csrf_t csrf_t;

/* key: CSRF_KEY_SIZE bytes, or NULL for a random one. */
csrf_t *csrf_new (const uint8_t *key, long max_age_s);
void csrf_destroy (csrf_t **self_p);

void csrf_session_new (char session [CSRF_SESSION_SIZE]);
void csrf_token (csrf_t *self, const char *session, int64_t now_s, char token [CSRF_TOKEN_SIZE]);
/* false for a NULL or malformed session or token, a wrong HMAC, a token
 * from the future (more than a minute) or older than max_age_s. */
bool csrf_verify (csrf_t *self, const char *session, const char *token, int64_t now_s);

void csrf_test (bool verbose);

#endif
