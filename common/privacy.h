/*  privacy.h — what keeps customers' identity off the event stream
 *  (ARCHITECTURE.md invariant 8).
 *
 *  privacy_pseudonym: HMAC-SHA256, keyed from configuration, over the
 *  customer's strongest identifier (ID number, else account, else phone, else
 *  e-mail, else name), normalised and prefixed by its kind so that the same
 *  person gives the same pseudonym each time they use that identifier, and
 *  analysts can count repeat complainants without learning who they are.
 *
 *  privacy_mask: the text of a complaint with card and account numbers,
 *  phone numbers, ID numbers and e-mail addresses masked with 'X', as the US
 *  consumer bureau masks published narratives. Same byte length as the input.
 */
#ifndef PRIVACY_H_INCLUDED
#define PRIVACY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include "request.h"

#define PRIVACY_PSEUDONYM_SIZE 33      /* 32 hex chars + NUL */
#define PRIVACY_KEY_ENV        "COMPLAINTS_PSEUDONYM_KEY"

/* Key from the environment (any length >= 16 bytes); returns 0 or -1. */
int  privacy_key_load (const char *value);
void privacy_pseudonym (const customer_t *customer, char out [PRIVACY_PSEUDONYM_SIZE]);
/* Mask in place into `out` (len bytes, not NUL-terminated). */
void privacy_mask (const char *in, size_t len, char *out);
void privacy_test (bool verbose);

#endif
