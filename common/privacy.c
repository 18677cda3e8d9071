/*  privacy.c — pseudonyms and masking (see privacy.h).
 *
 *  Masking works on bytes: digits and e-mail characters are ASCII, and no
 *  byte of a multi-byte UTF-8 sequence is ASCII, so replacing ASCII bytes
 *  with 'X' keeps the text valid UTF-8 and its length unchanged.
 *
 *  Which digit runs are masked: digits joined by single spaces or dashes,
 *  where every group after the first has at least three digits, seven or
 *  more digits in all. That catches 6222 0212 3456 7890, 138-1234-5678,
 *  +86 138 1234 5678 and 11010519491231002X (the trailing X of an ID number
 *  too), and leaves dates such as 2026-11-23 and short amounts alone.
 */
#include "privacy.h"

#include <assert.h>
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static unsigned char s_key [crypto_auth_hmacsha256_KEYBYTES];
static bool s_key_set = false;

int
privacy_key_load (const char *value)
{
    if (!value || strlen (value) < 16)
        return -1;
    if (sodium_init () < 0)
        return -1;
    /* Any length of key: hash it down to the HMAC key size. */
    crypto_hash_sha256 (s_key, (const unsigned char *) value, strlen (value));
    s_key_set = true;
    return 0;
}

/*  Normalise an identifier: keep letters and digits only (upper-cased),
 *  or for e-mail, lower-case and trim. Phone numbers drop a +86/0086 prefix
 *  so the same mobile gives the same pseudonym written either way. */
static size_t
s_normalise (const char *kind, proto_str_t value, char *out, size_t size)
{
    size_t n = (size_t) snprintf (out, size, "%s:", kind);
    bool email = strcmp (kind, "mail") == 0;
    bool name = strcmp (kind, "name") == 0;
    for (size_t i = 0; i < value.len && n + 1 < size; i++) {
        unsigned char c = (unsigned char) value.ptr [i];
        if (email || name) {
            if (name && c == ' ')
                continue;
            out [n++] = (char) (email ? tolower (c) : c);
        }
        else
        if (isalnum (c))
            out [n++] = (char) toupper (c);
    }
    out [n] = 0;
    if (strcmp (kind, "tel") == 0) {
        const char *digits = out + 4;
        if (strncmp (digits, "0086", 4) == 0 && strlen (digits) == 15)
            memmove (out + 4, digits + 4, strlen (digits + 4) + 1);
        else
        if (strncmp (digits, "86", 2) == 0 && strlen (digits) == 13)
            memmove (out + 4, digits + 2, strlen (digits + 2) + 1);
        n = strlen (out);
    }
    return n;
}

void
privacy_pseudonym (const customer_t *c, char out [PRIVACY_PSEUDONYM_SIZE])
{
    assert (s_key_set);
    char norm [512];
    size_t n;
    if (c->id_no.ptr)
        n = s_normalise ("id", c->id_no, norm, sizeof norm);
    else
    if (c->account.ptr)
        n = s_normalise ("acct", c->account, norm, sizeof norm);
    else
    if (c->phone.ptr)
        n = s_normalise ("tel", c->phone, norm, sizeof norm);
    else
    if (c->email.ptr)
        n = s_normalise ("mail", c->email, norm, sizeof norm);
    else
        n = s_normalise ("name", c->name, norm, sizeof norm);
    unsigned char mac [crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256 (mac, (const unsigned char *) norm, n, s_key);
    sodium_bin2hex (out, PRIVACY_PSEUDONYM_SIZE, mac, 16);
}

static bool
s_email_local (unsigned char c)
{
    return isalnum (c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static bool
s_email_domain (unsigned char c)
{
    return isalnum (c) || c == '.' || c == '-';
}

static bool
s_digit (const char *s, size_t len, size_t i)
{
    return i < len && s [i] >= '0' && s [i] <= '9';
}

void
privacy_mask (const char *in, size_t len, char *out)
{
    memcpy (out, in, len);
    /* e-mail addresses */
    for (size_t at = 0; at < len; at++) {
        if (in [at] != '@')
            continue;
        size_t start = at;
        while (start > 0 && s_email_local ((unsigned char) in [start - 1]))
            start--;
        size_t end = at + 1;
        bool dot = false;
        while (end < len && s_email_domain ((unsigned char) in [end])) {
            dot |= in [end] == '.';
            end++;
        }
        if (start == at || end == at + 1 || !dot)
            continue;
        for (size_t i = start; i < end; i++)
            if (i != at)
                out [i] = 'X';
    }
    /* digit runs */
    size_t i = 0;
    while (i < len) {
        if (!s_digit (in, len, i) || (i > 0 && s_digit (in, len, i - 1))) {
            i++;
            continue;
        }
        size_t start = i, end = i, digits = 0;
        /* first group */
        while (s_digit (in, len, end)) {
            end++;
            digits++;
        }
        /* further groups of >= 3 digits after one space or dash */
        for (;;) {
            if (end < len && (in [end] == ' ' || in [end] == '-')) {
                size_t g = end + 1, gd = 0;
                while (s_digit (in, len, g)) {
                    g++;
                    gd++;
                }
                if (gd >= 3) {
                    end = g;
                    digits += gd;
                    continue;
                }
            }
            break;
        }
        /* an ID number's final check character */
        if (digits == 17 && end < len && (in [end] == 'X' || in [end] == 'x'))
            end++;
        if (digits >= 7)
            for (size_t k = start; k < end; k++)
                if (in [k] != ' ' && in [k] != '-')
                    out [k] = 'X';
        i = end;
    }
}

static void
s_check_mask (const char *in, const char *expect)
{
    char out [256];
    size_t len = strlen (in);
    assert (len < sizeof out);
    privacy_mask (in, len, out);
    out [len] = 0;
    if (strcmp (out, expect) != 0) {
        fprintf (stderr, "privacy_mask(\"%s\") = \"%s\", expected \"%s\"\n", in, out, expect);
        assert (false);
    }
}

#define S(lit) ((proto_str_t) { lit, sizeof lit - 1 })

#include "selftest.h"

void
privacy_test (bool verbose)
{
    if (verbose)
        printf (" * privacy: ");
    s_check_mask ("card 6222 0212 3456 7890 lost", "card XXXX XXXX XXXX XXXX lost");
    s_check_mask ("call 138-1234-5678 now", "call XXX-XXXX-XXXX now");
    s_check_mask ("+86 138 1234 5678", "+XX XXX XXXX XXXX");
    s_check_mask ("身份证11010519491231002X号", "身份证XXXXXXXXXXXXXXXXXX号");
    s_check_mask ("mail zhang.san@example.com.cn please", "mail XXXXXXXXX@XXXXXXXXXXXXXX please");
    s_check_mask ("on 2026-11-23 I paid 300.00", "on 2026-11-23 I paid 300.00");
    s_check_mask ("account 6222021234567890123", "account XXXXXXXXXXXXXXXXXXX");
    s_check_mask ("short 123456 stays", "short 123456 stays");
    s_check_mask ("a@b is no address", "a@b is no address");

    assert (privacy_key_load ("short") == -1);
    assert (privacy_key_load ("test-key-0123456789abcdef") == 0);
    customer_t a = { 0 }, b = { 0 }, c = { 0 };
    a.phone = S ("+86 138-1234-5678");
    b.phone = S ("13812345678");
    b.name = S ("张三");
    c.phone = S ("13812345679");
    char pa [PRIVACY_PSEUDONYM_SIZE], pb [PRIVACY_PSEUDONYM_SIZE], pc [PRIVACY_PSEUDONYM_SIZE];
    privacy_pseudonym (&a, pa);
    privacy_pseudonym (&b, pb);
    privacy_pseudonym (&c, pc);
    assert (strlen (pa) == 32);
    assert (strcmp (pa, pb) == 0);
    assert (strcmp (pa, pc) != 0);
    assert (!strstr (pa, "1381234"));
    /* a different key gives a different pseudonym */
    assert (privacy_key_load ("another-key-0123456789") == 0);
    privacy_pseudonym (&a, pc);
    assert (strcmp (pa, pc) != 0);
    if (verbose)
        printf ("OK\n");
}
