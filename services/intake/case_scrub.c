/*  case_scrub.c — a case's free text without its customer (see
 *  case_scrub.h).
 */
#include "case_scrub.h"
#include "privacy.h"

#include <stdlib.h>
#include <string.h>

static proto_str_t
s_str (const char *s)
{
    return (proto_str_t) { s, s ? strlen (s) : 0 };
}

int
case_scrub_open (case_scrub_t *self, const identity_seal_t *seal, const char *hex,
                 const char *complaint_no)
{
    memset (self, 0, sizeof *self);
    if (!hex || !*hex) {
        self->known = true;         /* no identity was given: the general rules only */
        return 0;
    }
    size_t len = 0;
    unsigned char *sealed = identity_sealed_from_hex (hex, &len);
    int rc = sealed && identity_open_customer (seal, sealed, len, complaint_no,
                                               &self->identity) == 0 ? 0 : -1;
    free (sealed);
    if (rc)
        return -1;
    self->who = (customer_t) { s_str (self->identity.name), s_str (self->identity.phone),
                               s_str (self->identity.email), s_str (self->identity.account),
                               s_str (self->identity.id_no) };
    self->known = true;
    return 0;
}

void
case_scrub_close (case_scrub_t *self)
{
    identity_clear (&self->identity);
    memset (&self->who, 0, sizeof self->who);
}

char *
case_scrub_text (const case_scrub_t *self, const char *text, size_t len, size_t max_chars)
{
    size_t out_len = 0;
    char *out = privacy_scrub (text, len, &self->who, &out_len);
    if (!out)
        return NULL;
    //  cut at a character boundary (the scrubbed text is valid UTF-8)
    size_t chars = 0;
    for (size_t i = 0; i < out_len; i++)
        if (((unsigned char) out [i] & 0xC0) != 0x80 && ++chars > max_chars) {
            out [i] = 0;
            break;
        }
    return out;
}
