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

//  --------------------------------------------------------------------------
//  Self-test (intake --selftest): a customer sealed as intake seals them,
//  opened from the hex the store gives, and their own name and number
//  masked in a text; the other words kept; the cut on a character.

#include "selftest_tally.h"
#include <sodium.h>
#include <stdio.h>

int
case_scrub_test (bool verbose, int *passed)
{
    selftest_tally_t tally = { 0 };
    char why [200];
    identity_seal_t *seal = identity_seal_from_text (
        "1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", why,
        sizeof why);
    customer_t who = { .name = { "王小明", strlen ("王小明") },
                       .phone = { "13900001111", 11 } };
    msgpack_sbuffer sealed;
    msgpack_sbuffer_init (&sealed);
    bool ok = seal && identity_seal_customer (seal, &who, "202612060000017", &sealed) == 0;
    char *hex = malloc (2 * sealed.size + 1);
    if (ok && hex)
        sodium_bin2hex (hex, 2 * sealed.size + 1, (unsigned char *) sealed.data, sealed.size);
    case_scrub_t scrub;
    ok = ok && hex && case_scrub_open (&scrub, seal, hex, "202612060000017") == 0;
    selftest_tally_check (&tally, verbose, ok, "case_scrub: the sealed customer opens");
    const char *text = "我是王小明，电话 139 0000 1111，信用卡年费被重复收取。";
    char *clean = ok ? case_scrub_text (&scrub, text, strlen (text), (size_t) -1) : NULL;
    selftest_tally_check (&tally, verbose, clean && !strstr (clean, "王小明")
                          && !strstr (clean, "1111") && strstr (clean, "年费被重复收取"),
                          "case_scrub: the name and the grouped phone masked, the rest kept");
    free (clean);
    clean = ok ? case_scrub_text (&scrub, "年费年费", 12, 3) : NULL;
    selftest_tally_check (&tally, verbose, clean && strcmp (clean, "年费年") == 0,
                          "case_scrub: cut at 3 characters, not inside one");
    free (clean);
    case_scrub_t bad;
    selftest_tally_check (&tally, verbose,
                          case_scrub_open (&bad, seal, "00ff", "202612060000017") == -1,
                          "case_scrub: a value that does not open is refused");
    case_scrub_t none;
    selftest_tally_check (&tally, verbose, case_scrub_open (&none, seal, "", "x") == 0
                          && none.known && !none.who.name.ptr,
                          "case_scrub: no identity: the general rules only");
    if (ok)
        case_scrub_close (&scrub);
    free (hex);
    msgpack_sbuffer_destroy (&sealed);
    identity_seal_destroy (&seal);
    return selftest_tally_end (&tally, verbose, "case_scrub", passed);
}
