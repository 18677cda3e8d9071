/*  privacy.h — what keeps customers' identity off the event stream
 *  (ARCHITECTURE.md invariant 8).
 *
 *  privacy_pseudonym: HMAC-SHA256, keyed from configuration, over the
 *  customer's strongest identifier (ID number, else account, else phone, else
 *  e-mail, else name), normalised and prefixed by its kind so that the same
 *  person gives the same pseudonym each time they use that identifier, and
 *  analysts can count repeat complainants without learning who they are.
 *
 *  privacy_scrub: a free text as it may be published (invariant 8), CFPB
 *  style. The text is read in Unicode NFKC (full-width digits and letters,
 *  the ideographic space, circled digits ... as their plain forms), and
 *  every phone, card, account and ID number however it is grouped, every
 *  e-mail address, and the customer's own name, phone, e-mail, account and
 *  ID number in the forms people write them, are each replaced by
 *  PRIVACY_MASK ("XXXX"). The rules are at the top of privacy.c and in
 *  docs/security.md ("Scrubbing").
 *
 *  Outside the masks the writer's own characters are kept. The result is a
 *  new buffer of its own length (masks change the length): at most
 *  PRIVACY_SCRUB_MAX (len) bytes, valid UTF-8 whatever the input (a bad
 *  byte becomes U+FFFD), NUL-terminated, and scrubbing it again changes
 *  nothing (the validator in proto/events.c relies on that).
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
/* An identifier as the pseudonym and the lookup hashes (identity_seal.h)
 * read it: "KIND:" then the value normalised for its kind ("id", "acct",
 * "tel", "mail", "name": letters and digits upper-cased, a +86 prefix
 * dropped, an e-mail lower-cased). Returns the length written (< size). */
size_t privacy_normalise (const char *kind, proto_str_t value, char *out, size_t size);
#define PRIVACY_MASK           "XXXX"
/* The most bytes privacy_scrub returns for len bytes in: a text that
 * normalising would blow up past this is withheld whole (PRIVACY_MASK). */
#define PRIVACY_SCRUB_MAX(len) (2 * (size_t) (len) + 16)

/* The scrubbed copy of in (len bytes, any content). who: the complaint's
 * customer, whose own name and numbers are masked wherever they occur;
 * NULL: the general rules only. The copy is malloc'd and NUL-terminated,
 * its length in *out_len; NULL only when memory ran out. */
char *privacy_scrub (const char *in, size_t len, const customer_t *who, size_t *out_len);
void privacy_test (bool verbose);

#endif
