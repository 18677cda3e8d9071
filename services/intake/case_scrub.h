/*  case_scrub.h — a case's free text without its customer, for what is
 *  kept longer than the identity (issue 16 §3: the knowledge base, the
 *  retention; docs/records.md).
 *
 *  The case's customer is opened from complaint.customer_sealed with the
 *  key (identity_seal.h), so privacy_scrub masks their own name, phone,
 *  e-mail, account and ID number wherever written, besides every number
 *  and address of the general rules. A name the customer did not give
 *  (a relative's, a member of staff's) is not known and stays: the
 *  scrubbing is of identifiers, not of every name (docs/security.md).
 *
 *  Interface:
 *      case_scrub_open     the customer of a case (identity and customer_t
 *                          views of it); case_scrub_close wipes it
 *      case_scrub_text     a scrubbed copy, cut at max_chars characters
 *      case_scrub_test     self-test: a sealed customer opened and masked
 *                          in a text, the cut on a character boundary
 */
#ifndef CASE_SCRUB_H_INCLUDED
#define CASE_SCRUB_H_INCLUDED

#include "identity_seal.h"
#include "request.h"

typedef struct {
    identity_t identity;
    customer_t who;
    bool known;             /* the identity opened (or there was none to open) */
} case_scrub_t;

/* hex: complaint.customer_sealed encoded hex ("" when NULL). 0, or -1
 * when the sealed value does not open (a key missing from the file): the
 * caller refuses rather than keep text scrubbed without the name. */
int case_scrub_open (case_scrub_t *self, const identity_seal_t *seal, const char *hex,
                     const char *complaint_no);
void case_scrub_close (case_scrub_t *self);
/* malloc'd, NUL-terminated; NULL when memory ran out. */
char *case_scrub_text (const case_scrub_t *self, const char *text, size_t len,
                       size_t max_chars);

/* Returns the failures; adds the passed checks to *passed. */
int case_scrub_test (bool verbose, int *passed);

#endif
