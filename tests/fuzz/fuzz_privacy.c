/*  fuzz_privacy.c — libFuzzer target for privacy_scrub(), what every event
 *  packer runs on free text before it is published (complaint.received's
 *  subject, body and demand; notification.failed/.dead's gateway answer).
 *
 *  The input is the text, or, when it holds a NUL byte, a customer before
 *  it (name, phone, e-mail, account, ID number, one a line) and the text
 *  after it, so the customer's own rules are fuzzed as well as the
 *  general ones. Whatever the bytes:
 *      - no crash, no leak, no read outside the input (ASan, UBSan);
 *      - the result is NUL-terminated and at most PRIVACY_SCRUB_MAX bytes;
 *      - the result is valid UTF-8, even when the input is not;
 *      - scrubbing it again changes nothing, with the customer and without
 *        (the event validator checks published text the second way).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include "privacy.h"

static void
s_same_again (const char *out, size_t n, const customer_t *who)
{
    size_t n2 = 0;
    char *again = privacy_scrub (out, n, who, &n2);
    assert (again);
    assert (n2 == n && memcmp (again, out, n) == 0);
    free (again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    size_t len = size;
    customer_t who = { 0 }, *whop = NULL;
    const uint8_t *nul = memchr (data, 0, size);
    if (nul) {
        proto_str_t *fields [5] = { &who.name, &who.phone, &who.email, &who.account,
                                    &who.id_no };
        const char *p = (const char *) data, *end = (const char *) nul;
        for (int f = 0; f < 5 && p < end; f++) {
            const char *nl = memchr (p, '\n', (size_t) (end - p));
            const char *stop = nl ? nl : end;
            *fields [f] = (proto_str_t) { p, (size_t) (stop - p) };
            p = nl ? nl + 1 : end;
        }
        whop = &who;
        text = (const char *) nul + 1;
        len = size - (size_t) (nul - data) - 1;
    }
    size_t n = 0;
    char *out = privacy_scrub (text, len, whop, &n);
    assert (out);
    assert (n <= PRIVACY_SCRUB_MAX (len));
    assert (out [n] == 0);
    assert (u8_check ((const uint8_t *) out, n) == NULL);
    s_same_again (out, n, whop);
    if (whop)
        s_same_again (out, n, NULL);
    free (out);
    return 0;
}
