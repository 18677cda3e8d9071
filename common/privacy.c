/*  privacy.c — pseudonyms and the scrubbing of published free text (see
 *  privacy.h).
 *
 *  Scrubbing works on code points, not bytes: the text is decoded (a byte
 *  that starts no valid UTF-8 sequence becomes U+FFFD, so nothing here
 *  trusts its input) and the rules read it in NFKC (libunistring), so
 *  "１３９１２３４５６７８" and "139 1234 5678" are the same number and the
 *  ideographic space is a space. NFKC is taken character by character,
 *  remembering where each normalised character came from (s_view): a rule
 *  marks what it would hide in the normalised reading, the marks go back
 *  to the writer's own characters, and every maximal marked run becomes
 *  one PRIVACY_MASK ("XXXX"), with any combining marks that followed it.
 *  Outside the masks the text is the writer's, full-width punctuation and
 *  all. The result is read again until nothing is marked (at most S_PASSES
 *  times: hiding one thing can make another, "张三@example.com" becomes
 *  "XXXX@example.com", an address); a text still changing then is withheld
 *  whole, as is one that would grow past PRIVACY_SCRUB_MAX. So scrubbing
 *  what privacy_scrub returned changes nothing, by construction.
 *
 *  The rules:
 *  - numbers: a run of digits (any script's decimal digits, after NFKC)
 *    whose groups are joined by one to three separators (space, tab, the
 *    characters . - / ( ) + and the Unicode dashes and middle dots), with
 *    seven digits or more in all: phones (landline without its area code
 *    too), cards, accounts, ID numbers, with a trailing check letter X of a
 *    17-digit ID and a '(' or '+' just before. A date (2026-11-23,
 *    23/11/2026, 2026.11.23, year 1900-2099) ends a run and is kept: dates
 *    matter to a complaint and identify nobody. Amounts under seven digits
 *    and times stay.
 *  - e-mail addresses: letters, digits and ._%+- around an '@' (＠ and ﹫
 *    too, after NFKC) with a dot in the domain.
 *  - the customer's own numbers (phone with and without +86/0086, account,
 *    ID number): their digits in order, with up to three characters that
 *    are neither letters nor digits between any two of them (so also
 *    "138~1234~5678" and "138，1234，5678", which the general rule would
 *    leave).
 *  - the customer's own e-mail address, and its local part (when five
 *    characters or more) as a word.
 *  - the customer's own name, case-insensitive, with up to two spaces,
 *    dots, dashes or middle dots between any two of its letters ("张 三",
 *    "张　三", "Ｚｈａｎｇ　Ｓａｎ", "ZHANG-SAN", "zhangsan"); a name of two or
 *    more words also in reverse order ("San Zhang"). A name that starts or
 *    ends with a Latin letter is matched as whole words only (Li is not
 *    hidden in "Lily"); a CJK name is matched anywhere. A one-letter name
 *    is not matched (it would hide every word that holds the letter).
 *  What is not caught: numbers spelled in words or Chinese numerals
 *  (一三九...), a surname alone, a name in another script than the one
 *  the customer gave (pinyin for 张三), a Latin name with its accents
 *  written as separate combining marks when the customer's was not (or
 *  the other way round). docs/security.md says so.
 */
#include "privacy.h"

#include <assert.h>
#include <ctype.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

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
size_t
privacy_normalise (const char *kind, proto_str_t value, char *out, size_t size)
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
        n = privacy_normalise ("id", c->id_no, norm, sizeof norm);
    else
    if (c->account.ptr)
        n = privacy_normalise ("acct", c->account, norm, sizeof norm);
    else
    if (c->phone.ptr)
        n = privacy_normalise ("tel", c->phone, norm, sizeof norm);
    else
    if (c->email.ptr)
        n = privacy_normalise ("mail", c->email, norm, sizeof norm);
    else
        n = privacy_normalise ("name", c->name, norm, sizeof norm);
    unsigned char mac [crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256 (mac, (const unsigned char *) norm, n, s_key);
    sodium_bin2hex (out, PRIVACY_PSEUDONYM_SIZE, mac, 16);
}


//  --------------------------------------------------------------------------
//  Scrubbing

#define S_PASSES     8          /* scans before a text still changing is withheld */
#define S_SEP_MAX    3          /* separators between two digit groups */
#define S_MIN_DIGITS 7          /* digits of the shortest number hidden */
#define S_OWN_GAP    3          /* non-alphanumerics between two digits of an own number */
#define S_OWN_MIN    6          /* an own number shorter than this is not looked for */
#define S_FILL_MAX   2          /* fillers between two letters of the name */
#define S_KEY_MAX    64         /* code points of one own identifier */
#define S_KEYS       8          /* phone x2, account, ID, e-mail x2, name x2 */

typedef enum { S_KEY_DIGITS, S_KEY_NAME, S_KEY_WORD } s_key_kind_t;

//  One of the customer's own identifiers as it is looked for: digit values
//  (a number), or case-folded letters (the name, an e-mail address).
typedef struct {
    s_key_kind_t kind;
    ucs4_t unit [S_KEY_MAX];
    size_t n;
    bool check_x;               /* an ID number: its check letter X follows */
} s_key_t;

typedef struct {
    s_key_t key [S_KEYS];
    size_t nkeys;
} s_who_t;

static int
s_digit_value (ucs4_t c)
{
    if (c >= '0' && c <= '9')
        return (int) (c - '0');
    return c < 0x80 ? -1 : uc_decimal_value (c);
}

static bool
s_is_digit (ucs4_t c)
{
    return s_digit_value (c) >= 0;
}

static bool
s_is_letter (ucs4_t c)
{
    return c < 0x80 ? isalpha ((int) c) != 0 : uc_is_alpha (c);
}

static bool
s_is_alnum (ucs4_t c)
{
    return s_is_letter (c) || s_is_digit (c);
}

//  A Latin letter: a name made of them is matched as whole words only.
static bool
s_is_latin (ucs4_t c)
{
    return c < 0x250 && s_is_letter (c);
}

static ucs4_t
s_fold (ucs4_t c)
{
    return c < 0x80 ? (ucs4_t) tolower ((int) c) : uc_tolower (c);
}

//  What people put between the groups of a number. NFKC has already made
//  the ideographic space a space and the full-width ． － ／ （ ） plain;
//  the dashes and middle dots it leaves alone are listed.
static bool
s_is_separator (ucs4_t c)
{
    switch (c) {
        case ' ': case '\t': case '.': case '-': case '/': case '(': case ')': case '+':
        case 0xA0: case 0xB7: case 0x2022: case 0x2027: case 0x2212: case 0x3000:
        case 0x30FB:
            return true;
        default:
            return c >= 0x2010 && c <= 0x2015;
    }
}

//  What people put between the letters of a name: spaces, dots, dashes,
//  the middle dot of transliterated names (阿卜杜·热合曼).
static bool
s_is_filler (ucs4_t c)
{
    switch (c) {
        case ' ': case '\t': case '.': case '-': case '_': case 0xA0: case 0xB7:
        case 0x2022: case 0x2027: case 0x3000: case 0x30FB:
            return true;
        default:
            return c >= 0x2010 && c <= 0x2015;
    }
}

static bool
s_is_email_char (ucs4_t c, bool local)
{
    if (c < 0x80 && isalnum ((int) c))
        return true;
    return c == '.' || c == '-' || (local && (c == '_' || c == '%' || c == '+'));
}

//  Decode UTF-8 into code points; a byte that starts no valid sequence
//  (a stray continuation byte, an overlong form, a surrogate, a truncated
//  tail) becomes U+FFFD and decoding goes on at the next byte.
static ucs4_t *
s_decode (const char *in, size_t len, size_t *n)
{
    ucs4_t *t = (ucs4_t *) malloc ((len ? len : 1) * sizeof *t);
    if (!t)
        return NULL;
    const uint8_t *s = (const uint8_t *) in;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        ucs4_t c;
        int l = u8_mbtoucr (&c, s + i, len - i);
        if (l <= 0) {
            t [k++] = 0xFFFD;
            i++;
        }
        else {
            t [k++] = c;
            i += (size_t) l;
        }
    }
    *n = k;
    return t;
}

//  The text as the rules read it: each character in NFKC on its own, with
//  where it came from (origin[k] is the index in t of view[k]). A
//  character may become several (① is 1, ㈱ is (株)); a mark on any of them
//  hides the whole character. Normalising characters one by one, not the
//  text, is what lets the output keep the writer's own characters (their
//  full-width punctuation, their spelling) outside what is hidden. ASCII
//  and the common CJK ideographs are their own NFKC and skip libunistring.
static ucs4_t *
s_view (const ucs4_t *t, size_t n, size_t **origin, size_t *out_n)
{
    size_t cap = n + 16, k = 0;
    ucs4_t *v = (ucs4_t *) malloc (cap * sizeof *v);
    size_t *o = origin ? (size_t *) malloc (cap * sizeof *o) : NULL;
    if (!v || (origin && !o))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        ucs4_t one [32];
        const ucs4_t *chars = &t [i];
        size_t nchars = 1;
        ucs4_t *heap = NULL;
        if (t [i] >= 0x80 && !(t [i] >= 0x4E00 && t [i] <= 0x9FFF)) {
            nchars = sizeof one / sizeof one [0];
            heap = u32_normalize (UNINORM_NFKC, &t [i], 1, one, &nchars);
            if (!heap)
                goto fail;
            chars = heap;
            if (heap == one)
                heap = NULL;
        }
        if (k + nchars > cap) {
            cap = 2 * cap + nchars;
            ucs4_t *v2 = (ucs4_t *) realloc (v, cap * sizeof *v);
            if (v2)
                v = v2;
            size_t *o2 = origin ? (size_t *) realloc (o, cap * sizeof *o) : NULL;
            if (o2)
                o = o2;
            if (!v2 || (origin && !o2)) {
                free (heap);
                goto fail;
            }
        }
        for (size_t c = 0; c < nchars; c++) {
            if (o)
                o [k] = i;
            v [k++] = chars [c];
        }
        free (heap);
    }
    *out_n = k;
    if (origin)
        *origin = o;
    return v;
fail:
    free (v);
    free (o);
    return NULL;
}

//  The digits from i on: how many, and their value (exact below ten).
static size_t
s_group (const ucs4_t *t, size_t n, size_t i, unsigned long *value)
{
    size_t k = 0;
    *value = 0;
    while (i + k < n && s_is_digit (t [i + k])) {
        if (k < 9)
            *value = *value * 10 + (unsigned long) s_digit_value (t [i + k]);
        k++;
    }
    return k;
}

static bool
s_is_year (size_t len, unsigned long v)
{
    return len == 4 && v >= 1900 && v <= 2099;
}

//  A date starting at i (2026-11-23, 2026/1/5, 23.11.2026, 11/23/2026):
//  its length in code points, or 0. The separator is the same twice.
static size_t
s_date_at (const ucs4_t *t, size_t n, size_t i)
{
    unsigned long a, b, c;
    size_t la = s_group (t, n, i, &a), j = i + la;
    if (la == 0 || j >= n || (t [j] != '-' && t [j] != '/' && t [j] != '.'))
        return 0;
    ucs4_t sep = t [j];
    size_t lb = s_group (t, n, j + 1, &b), k = j + 1 + lb;
    if (lb == 0 || lb > 2 || k >= n || t [k] != sep)
        return 0;
    size_t lc = s_group (t, n, k + 1, &c);
    if (lc == 0)
        return 0;
    bool ymd = s_is_year (la, a) && lc <= 2 && b >= 1 && b <= 12 && c >= 1 && c <= 31;
    bool dmy = la <= 2 && s_is_year (lc, c) && a >= 1 && b >= 1
            && ((a <= 31 && b <= 12) || (a <= 12 && b <= 31));
    return ymd || dmy ? k + 1 + lc - i : 0;
}

static void
s_mark_range (bool *mark, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++)
        mark [k] = true;
}

//  The end of a number with an ID number's check letter X after it (in
//  any width: the reading is NFKC), across up to `gap` characters `skip`
//  allows; `end` itself when there is none. An X that starts a word is
//  not one.
static size_t
s_check_letter (const ucs4_t *t, size_t n, size_t end, size_t gap, bool (*skip) (ucs4_t))
{
    size_t k = end, skipped = 0;
    while (k < n && skipped < gap && skip (t [k])) {
        k++;
        skipped++;
    }
    if (k < n && (t [k] == 'X' || t [k] == 'x') && !(k + 1 < n && s_is_latin (t [k + 1])))
        return k + 1;
    return end;
}

//  Any number of seven digits or more, grouped any way (the file's top).
static void
s_mark_numbers (const ucs4_t *t, size_t n, bool *mark)
{
    size_t i = 0;
    while (i < n) {
        if (!s_is_digit (t [i]) || (i > 0 && s_is_digit (t [i - 1]))) {
            i++;
            continue;
        }
        size_t date = s_date_at (t, n, i);
        if (date) {
            i += date;
            continue;
        }
        size_t start = i, end = i, digits = 0;
        //  Privacy before looks: an amount with only separators before a
        //  number (1250.50 13812345678) is hidden with it; ending a run
        //  at an amount's cents would let 13.35 7873 860 through.
        for (;;) {
            while (end < n && s_is_digit (t [end])) {
                end++;
                digits++;
            }
            size_t k = end, seps = 0;
            while (k < n && seps < S_SEP_MAX && s_is_separator (t [k])) {
                k++;
                seps++;
            }
            if (seps == 0 || k >= n || !s_is_digit (t [k]) || s_date_at (t, n, k))
                break;
            end = k;
        }
        if (digits >= S_MIN_DIGITS) {
            if (digits == 17)
                end = s_check_letter (t, n, end, S_SEP_MAX, s_is_separator);
            if (start > 0 && (t [start - 1] == '(' || t [start - 1] == '+'))
                start--;
            s_mark_range (mark, start, end);
        }
        i = end;
    }
}

static void
s_mark_emails (const ucs4_t *t, size_t n, bool *mark)
{
    for (size_t at = 0; at < n; at++) {
        if (t [at] != '@')
            continue;
        size_t start = at;
        while (start > 0 && s_is_email_char (t [start - 1], true))
            start--;
        size_t end = at + 1;
        bool dot = false;
        while (end < n && s_is_email_char (t [end], false)) {
            if (t [end] == '.' && end + 1 < n && t [end + 1] < 0x80 && isalnum ((int) t [end + 1]))
                dot = true;
            end++;
        }
        if (start < at && end > at + 1 && dot)
            s_mark_range (mark, start, end);
    }
}

static bool
s_is_not_alnum (ucs4_t c)
{
    return !s_is_alnum (c);
}

static bool
s_unit_eq (const s_key_t *key, ucs4_t c, ucs4_t unit)
{
    if (key->kind == S_KEY_DIGITS)
        return s_digit_value (c) == (int) unit;
    return s_fold (c) == unit;
}

//  The key at i, with what may stand between two of its units skipped:
//  the end of the match, or 0.
static size_t
s_key_at (const ucs4_t *t, size_t n, size_t i, const s_key_t *key)
{
    size_t j = i;
    for (size_t k = 0; k < key->n; k++) {
        if (k > 0 && key->kind != S_KEY_WORD) {
            size_t gap = 0;
            if (key->kind == S_KEY_DIGITS)
                while (j < n && gap < S_OWN_GAP && !s_is_alnum (t [j])) {
                    j++;
                    gap++;
                }
            else
                while (j < n && gap < S_FILL_MAX && s_is_filler (t [j])) {
                    j++;
                    gap++;
                }
        }
        if (j >= n || !s_unit_eq (key, t [j], key->unit [k]))
            return 0;
        j++;
    }
    return j;
}

//  Whole words only where the key starts or ends with a Latin letter or a
//  character of an address: "Li" is not hidden in "Lily", a CJK name is
//  matched anywhere (Chinese puts no spaces round a name).
static bool
s_word_edge (const s_key_t *key, ucs4_t inside, ucs4_t outside)
{
    if (key->kind == S_KEY_DIGITS)
        return true;
    if (key->kind == S_KEY_WORD)
        return !s_is_email_char (outside, true);
    return !s_is_latin (inside) || !(s_is_latin (outside) || s_is_digit (outside));
}

static void
s_mark_key (const ucs4_t *t, size_t n, const s_key_t *key, bool *mark)
{
    size_t i = 0;
    while (i < n) {
        size_t end = s_key_at (t, n, i, key);
        if (end
        &&  (i == 0 || s_word_edge (key, t [i], t [i - 1]))
        &&  (end == n || s_word_edge (key, t [end - 1], t [end]))) {
            if (key->check_x)
                end = s_check_letter (t, n, end, S_OWN_GAP, s_is_not_alnum);
            s_mark_range (mark, i, end);
            i = end;
        }
        else
            i++;
    }
}

static bool
s_mark_all (const ucs4_t *t, size_t n, const s_who_t *who, bool *mark)
{
    s_mark_numbers (t, n, mark);
    s_mark_emails (t, n, mark);
    for (size_t k = 0; k < who->nkeys; k++)
        s_mark_key (t, n, &who->key [k], mark);
    for (size_t i = 0; i < n; i++)
        if (mark [i])
            return true;
    return false;
}

//  Every marked run becomes one PRIVACY_MASK, with the combining marks
//  that followed it (left behind, they would compose with its last X).
static ucs4_t *
s_replace (const ucs4_t *t, size_t n, bool *mark, size_t *out_n)
{
    for (size_t i = 1; i < n; i++)
        if (mark [i - 1] && !mark [i] && uc_combining_class (t [i]) != 0)
            mark [i] = true;
    const size_t mask_len = sizeof PRIVACY_MASK - 1;
    ucs4_t *r = (ucs4_t *) malloc ((mask_len * n + 1) * sizeof *r);
    if (!r)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!mark [i])
            r [k++] = t [i];
        else
        if (i == 0 || !mark [i - 1])
            for (size_t m = 0; m < mask_len; m++)
                r [k++] = (ucs4_t) PRIVACY_MASK [m];
    }
    *out_n = k;
    return r;
}

//  One own identifier, read as the text is (s_view).
static ucs4_t *
s_field (proto_str_t field, size_t *n)
{
    if (!field.ptr || field.len == 0 || field.len > 4 * S_KEY_MAX)
        return NULL;
    size_t raw = 0;
    ucs4_t *t = s_decode (field.ptr, field.len, &raw);
    ucs4_t *v = t ? s_view (t, raw, NULL, n) : NULL;
    free (t);
    return v;
}

static s_key_t *
s_key_next (s_who_t *who, s_key_kind_t kind)
{
    if (who->nkeys == S_KEYS)
        return NULL;
    s_key_t *key = &who->key [who->nkeys];
    memset (key, 0, sizeof *key);
    key->kind = kind;
    return key;
}

//  Keep a key unless it is too short to look for, or made only of x: the
//  mask itself must never match (scrubbing "XXXX" again changes nothing).
static bool
s_key_keep (s_who_t *who, s_key_t *key)
{
    size_t min = key->kind == S_KEY_DIGITS ? S_OWN_MIN : key->kind == S_KEY_WORD ? 5 : 2;
    bool all_x = true;
    for (size_t i = 0; i < key->n; i++)
        all_x &= key->unit [i] == 'x';
    if (key->n < min || (all_x && key->kind != S_KEY_DIGITS))
        return false;
    who->nkeys++;
    return true;
}

static void
s_who_digits (s_who_t *who, proto_str_t field, bool phone, bool check_x)
{
    size_t n = 0;
    ucs4_t *t = s_field (field, &n);
    if (!t)
        return;
    s_key_t *key = s_key_next (who, S_KEY_DIGITS);
    bool kept = false;
    if (key) {
        for (size_t i = 0; i < n && key->n < S_KEY_MAX; i++)
            if (s_is_digit (t [i]))
                key->unit [key->n++] = (ucs4_t) s_digit_value (t [i]);
        key->check_x = check_x;
        kept = s_key_keep (who, key);
    }
    //  A mobile given as +86 / 0086 138...: the text may well not say +86.
    if (phone && kept) {
        size_t cc = key->n == 15 && key->unit [0] == 0 && key->unit [1] == 0
                    && key->unit [2] == 8 && key->unit [3] == 6 ? 4
                  : key->n == 13 && key->unit [0] == 8 && key->unit [1] == 6 ? 2 : 0;
        s_key_t *national = cc ? s_key_next (who, S_KEY_DIGITS) : NULL;
        if (national) {
            national->n = key->n - cc;
            memcpy (national->unit, key->unit + cc, national->n * sizeof (ucs4_t));
            s_key_keep (who, national);
        }
    }
    free (t);
}

static void
s_who_email (s_who_t *who, proto_str_t field)
{
    size_t n = 0;
    ucs4_t *t = s_field (field, &n);
    if (!t)
        return;
    for (int whole = 1; whole >= 0; whole--) {
        s_key_t *key = s_key_next (who, S_KEY_WORD);
        if (!key)
            break;
        for (size_t i = 0; i < n && key->n < S_KEY_MAX && (whole || t [i] != '@'); i++)
            key->unit [key->n++] = s_fold (t [i]);
        s_key_keep (who, key);
    }
    free (t);
}

//  The name's letters, folded; with two words or more, also in reverse
//  order ("San Zhang" for "Zhang San").
static void
s_who_name (s_who_t *who, proto_str_t field)
{
    size_t n = 0;
    ucs4_t *t = s_field (field, &n);
    if (!t)
        return;
    size_t words [S_KEY_MAX], nwords = 0;     /* where each word starts */
    s_key_t *key = s_key_next (who, S_KEY_NAME);
    bool kept = false;
    if (key) {
        bool in_word = false;
        for (size_t i = 0; i < n && key->n < S_KEY_MAX; i++) {
            bool letter = s_is_letter (t [i]);
            if (letter && !in_word && nwords < S_KEY_MAX)
                words [nwords++] = key->n;
            if (letter)
                key->unit [key->n++] = s_fold (t [i]);
            in_word = letter;
        }
        kept = s_key_keep (who, key);
    }
    if (kept && nwords >= 2) {
        s_key_t *reverse = s_key_next (who, S_KEY_NAME);
        if (reverse) {
            for (size_t w = nwords; w-- > 0;) {
                size_t end = w + 1 < nwords ? words [w + 1] : key->n;
                for (size_t k = words [w]; k < end; k++)
                    reverse->unit [reverse->n++] = key->unit [k];
            }
            s_key_keep (who, reverse);
        }
    }
    free (t);
}

static void
s_who_build (const customer_t *c, s_who_t *who)
{
    who->nkeys = 0;
    if (!c)
        return;
    s_who_digits (who, c->phone, true, false);
    s_who_digits (who, c->account, false, false);
    s_who_digits (who, c->id_no, false, true);
    s_who_email (who, c->email);
    s_who_name (who, c->name);
}

static char *
s_withheld (size_t *out_len)
{
    *out_len = sizeof PRIVACY_MASK - 1;
    return strdup (PRIVACY_MASK);
}

char *
privacy_scrub (const char *in, size_t len, const customer_t *customer, size_t *out_len)
{
    assert (out_len);
    *out_len = 0;
    s_who_t who;
    s_who_build (customer, &who);
    size_t n = 0;
    ucs4_t *t = s_decode (in ? in : "", in ? len : 0, &n);
    int pass = 0;
    for (; t && pass < S_PASSES; pass++) {
        size_t vn = 0, *origin = NULL;
        ucs4_t *view = s_view (t, n, &origin, &vn);
        bool *vmark = view ? (bool *) calloc (vn + 1, sizeof (bool)) : NULL;
        bool *mark = vmark ? (bool *) calloc (n + 1, sizeof (bool)) : NULL;
        bool any = false;
        if (mark) {
            any = s_mark_all (view, vn, &who, vmark);
            for (size_t k = 0; k < vn; k++)
                if (vmark [k])
                    mark [origin [k]] = true;
        }
        free (view);
        free (origin);
        free (vmark);
        if (!mark) {
            free (t);
            return NULL;
        }
        if (!any) {
            free (mark);
            break;
        }
        size_t m = 0;
        ucs4_t *r = s_replace (t, n, mark, &m);
        free (mark);
        free (t);
        t = r;
        n = m;
    }
    if (!t)
        return NULL;
    if (pass == S_PASSES) {
        free (t);
        return s_withheld (out_len);
    }
    size_t bytes = 0;
    uint8_t *u = n ? u32_to_u8 (t, n, NULL, &bytes) : NULL;
    free (t);
    if (n && !u)
        return NULL;
    if (bytes > PRIVACY_SCRUB_MAX (len)) {
        free (u);
        return s_withheld (out_len);
    }
    char *out = (char *) realloc (u, bytes + 1);
    if (!out) {
        free (u);
        return NULL;
    }
    out [bytes] = 0;
    *out_len = bytes;
    return out;
}

//  --------------------------------------------------------------------------
//  Self-test

#define S(lit) ((proto_str_t) { lit, sizeof lit - 1 })

#include "selftest.h"

static void
s_check (const char *in, const customer_t *who, const char *expect)
{
    size_t n = 0;
    char *out = privacy_scrub (in, strlen (in), who, &n);
    assert (out);
    if (strcmp (out, expect) != 0 || n != strlen (expect)) {
        fprintf (stderr, "privacy_scrub(\"%s\") = \"%s\", expected \"%s\"\n", in, out, expect);
        assert (false);
    }
    //  and again: nothing left to change
    size_t n2 = 0;
    char *again = privacy_scrub (out, n, who, &n2);
    assert (again && n2 == n && memcmp (again, out, n) == 0);
    free (again);
    free (out);
}

//  The property test's generator: xorshift, a fixed seed (a failure
//  repeats), and the forms people write an identity in.
static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;

static unsigned
s_rand (unsigned below)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (unsigned) (s_rng % below);
}

typedef struct {
    char data [2048];
    size_t len;
} s_buf_t;

static void
s_put (s_buf_t *b, const char *text)
{
    size_t n = strlen (text);
    assert (b->len + n < sizeof b->data);
    memcpy (b->data + b->len, text, n);
    b->len += n;
    b->data [b->len] = 0;
}

static void
s_put_cp (s_buf_t *b, ucs4_t c)
{
    uint8_t u [6];
    int n = u8_uctomb (u, c, sizeof u);
    assert (n > 0 && b->len + (size_t) n < sizeof b->data);
    memcpy (b->data + b->len, u, (size_t) n);
    b->len += (size_t) n;
    b->data [b->len] = 0;
}

//  A character in plain or full-width form (style 0 plain, 1 full-width,
//  2 either at random, per character).
static void
s_put_char (s_buf_t *b, char c, int style)
{
    bool wide = style == 1 || (style == 2 && s_rand (2));
    if (wide && c > ' ' && c < 0x7f)
        s_put_cp (b, (ucs4_t) (0xFF01 + (c - '!')));
    else
        s_put_cp (b, (ucs4_t) (unsigned char) c);
}

//  What goes between two groups of a number: one or two of the
//  separators, in any width.
static void
s_put_separator (s_buf_t *b, int style)
{
    static const ucs4_t seps [] = { ' ', 0x3000, '.', '-', '/', 0xFF0E, 0xFF0D, 0xFF0F,
                                    0x2013, 0xA0 };
    unsigned n = 1 + s_rand (2);
    if (s_rand (6) == 0) {
        s_put_char (b, ')', style);
        s_put_cp (b, ' ');
        return;
    }
    for (unsigned i = 0; i < n; i++)
        s_put_cp (b, seps [s_rand (sizeof seps / sizeof seps [0])]);
}

//  A number's digits, as one run or in groups of 1-5, plain, full-width or
//  mixed; sometimes in brackets ("(021) 6543 2100") or after a +.
static void
s_put_number (s_buf_t *b, const char *digits)
{
    int style = (int) s_rand (3);
    bool grouped = s_rand (3) != 0;
    if (s_rand (8) == 0)
        s_put_char (b, s_rand (2) ? '(' : '+', style);
    size_t len = strlen (digits), next = grouped ? 1 + s_rand (5) : len;
    for (size_t i = 0; i < len; i++) {
        if (i == next) {
            s_put_separator (b, style);
            next = i + 1 + s_rand (5);
        }
        s_put_char (b, digits [i], style);
    }
}

//  A name as people write it: CJK with spaces (ideographic too) between
//  the characters; Latin in any case, any width, either word order.
static void
s_put_name (s_buf_t *b, const char *const *parts, size_t nparts, bool latin)
{
    int style = (int) s_rand (3);
    bool reverse = latin && s_rand (2);
    unsigned caps = s_rand (3);
    for (size_t p = 0; p < nparts; p++) {
        const char *part = parts [reverse ? nparts - 1 - p : p];
        if (p > 0 || !latin) {
            unsigned spaces = latin ? 1 + s_rand (2) : s_rand (3);
            if (p > 0)
                for (unsigned i = 0; i < spaces; i++)
                    s_put_cp (b, s_rand (2) ? 0x3000 : ' ');
        }
        if (latin)
            for (size_t i = 0; part [i]; i++) {
                char c = part [i];
                c = caps == 0 ? (char) tolower (c) : caps == 1 ? (char) toupper (c) : c;
                s_put_char (b, c, style);
            }
        else
            s_put (b, part);
    }
}

//  The code points of s, folded, without anything but letters and digits:
//  where a survivor would show whatever the spacing.
static size_t
s_compact (const char *s, size_t len, ucs4_t *out, size_t size)
{
    size_t n = 0, k = 0;
    ucs4_t *raw = s_decode (s, len, &n);
    assert (raw);
    ucs4_t *t = s_view (raw, n, NULL, &n);
    assert (t);
    free (raw);
    for (size_t i = 0; i < n && k < size; i++)
        if (s_is_alnum (t [i]))
            out [k++] = s_is_digit (t [i]) ? (ucs4_t) ('0' + s_digit_value (t [i]))
                                           : s_fold (t [i]);
    free (t);
    return k;
}

static bool
s_survives (const ucs4_t *text, size_t n, const char *needle)
{
    ucs4_t key [128];
    size_t k = s_compact (needle, strlen (needle), key, 128);
    assert (k > 0);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp (text + i, key, k * sizeof (ucs4_t)) == 0)
            return true;
    return false;
}

static void
s_random_digits (char *out, size_t len, const char *prefix)
{
    size_t p = strlen (prefix);
    memcpy (out, prefix, p);
    for (size_t i = p; i < len; i++)
        out [i] = (char) ('0' + s_rand (10));
    out [len] = 0;
}

//  Random identities in random texts, every form above, and the checks:
//  none survives scrubbing (compared with letters and digits only, so no
//  spacing hides a survivor), the result is valid UTF-8 and bounded, and
//  scrubbing it again changes nothing.
static void
s_property (int rounds)
{
    static const char *const surnames [] = { "张", "王", "李", "赵", "刘", "陈", "杨", "黄" };
    static const char *const given [] = { "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军" };
    static const char *const py_sur [] = { "Zhang", "Wang", "Zhao", "Liu", "Chen", "Yang" };
    static const char *const py_given [] = { "Wei", "Fang", "Mingyu", "Jing", "Qiang", "Lei" };
    static const char *const filler [] = {
        "我的信用卡被多扣了一笔年费，", "客服说会在三个工作日内回电，", "请尽快处理。",
        "On 2026-11-23 I paid 300.00 at the counter; ", "the branch refused to refund. ",
        "联系电话：", "卡号", "身份证号码 ", " tel ", " mail: ", "本人", "Dear bank, ",
        "金额 1250.50 元，", "时间 14:30，", "第 3 次投诉。", "\n", "（", "）", " ",
    };
#define PICK(a) a [s_rand (sizeof a / sizeof a [0])]
    for (int round = 0; round < rounds; round++) {
        char phone [16], card [20], account [20], id [19], email [64], name [32];
        s_random_digits (phone, 11, s_rand (2) ? "13" : "18");
        s_random_digits (card, 16 + s_rand (4), "62");
        s_random_digits (account, 12 + s_rand (6), "");
        s_random_digits (id, 17, s_rand (2) ? "110" : "44");
        if (s_rand (2)) {
            id [17] = 'X';
            id [18] = 0;
        }
        bool latin = s_rand (2);
        const char *parts [3];
        size_t nparts;
        if (latin) {
            parts [0] = PICK (py_sur);
            parts [1] = PICK (py_given);
            nparts = 2;
        }
        else {
            parts [0] = PICK (surnames);
            parts [1] = PICK (given);
            parts [2] = PICK (given);
            nparts = 2 + s_rand (2);
        }
        snprintf (name, sizeof name, "%s%s%s%s%s", parts [0], latin ? " " : "", parts [1],
                  nparts > 2 ? parts [2] : "", "");
        snprintf (email, sizeof email, "%s.%s%u@example%u.com.cn", latin ? parts [1] : "kh",
                  latin ? parts [0] : "user", s_rand (1000), s_rand (10));
        customer_t who = { 0 };
        who.name = (proto_str_t) { name, strlen (name) };
        who.phone = (proto_str_t) { phone, strlen (phone) };
        who.account = (proto_str_t) { account, strlen (account) };
        who.id_no = (proto_str_t) { id, strlen (id) };
        who.email = (proto_str_t) { email, strlen (email) };

        s_buf_t b = { .len = 0 };
        unsigned pieces = 3 + s_rand (8);
        for (unsigned p = 0; p < pieces; p++) {
            s_put (&b, PICK (filler));
            switch (s_rand (7)) {
                case 0: s_put_number (&b, phone); break;
                case 1: s_put_number (&b, card); break;
                case 2: s_put_number (&b, account); break;
                case 3: s_put_number (&b, id); break;
                case 4:
                    //  a Latin name is a word of its own (the rule's
                    //  word edges), a CJK one may touch anything
                    if (latin)
                        s_put (&b, " ");
                    s_put_name (&b, parts, nparts, latin);
                    if (latin)
                        s_put (&b, s_rand (2) ? " " : ", ");
                    break;
                case 5:
                    for (size_t i = 0; email [i]; i++)
                        s_put_char (&b, email [i], (int) s_rand (3));
                    break;
                default:
                    s_put (&b, PICK (filler));
            }
        }
        //  the general rules (no customer) and the customer's own
        for (int own = 0; own < 2; own++) {
            size_t n = 0;
            char *out = privacy_scrub (b.data, b.len, own ? &who : NULL, &n);
            assert (out && n <= PRIVACY_SCRUB_MAX (b.len));
            assert (u8_check ((const uint8_t *) out, n) == NULL);
            ucs4_t text [2048];
            size_t tn = s_compact (out, n, text, 2048);
            bool leak = s_survives (text, tn, phone + 3) || s_survives (text, tn, card + 4)
                     || s_survives (text, tn, account + 2) || s_survives (text, tn, id + 4)
                     || s_survives (text, tn, email)
                     || (own && s_survives (text, tn, name));
            if (leak) {
                fprintf (stderr, "privacy: a seeded identity survived (%s):\n  in:  %s\n"
                         "  out: %s\n", own ? "own" : "general", b.data, out);
                assert (false);
            }
            size_t n2 = 0;
            char *again = privacy_scrub (out, n, own ? &who : NULL, &n2);
            assert (again && n2 == n && memcmp (again, out, n) == 0);
            free (again);
            free (out);
        }
    }
#undef PICK
}

void
privacy_test (bool verbose)
{
    if (verbose)
        printf (" * privacy: ");
    //  the general rules
    s_check ("card 6222 0212 3456 7890 lost", NULL, "card XXXX lost");
    s_check ("call 138-1234-5678 now", NULL, "call XXXX now");
    s_check ("+86 138 1234 5678", NULL, "XXXX");
    s_check ("身份证11010519491231002X号", NULL, "身份证XXXX号");
    s_check ("mail zhang.san@example.com.cn please", NULL, "mail XXXX please");
    s_check ("on 2026-11-23 I paid 300.00", NULL, "on 2026-11-23 I paid 300.00");
    s_check ("on 23/11/2026 at 14:30, 1250.50 yuan", NULL, "on 23/11/2026 at 14:30, 1250.50 yuan");
    s_check ("account 6222021234567890123", NULL, "account XXXX");
    s_check ("short 123456 stays", NULL, "short 123456 stays");
    s_check ("paid 1250.50元, 13812345678", NULL, "paid 1250.50元, XXXX");
    s_check ("paid 1250.50 13812345678", NULL, "paid XXXX");
    s_check ("id 110105 19491231 002 x.", NULL, "id XXXX.");
    s_check ("a@b is no address", NULL, "a@b is no address");
    //  what the outside client found (issue 13)
    s_check ("电话１３９１２３４５６７８。", NULL, "电话XXXX。");
    s_check ("card 6222.0212.3456.7891.", NULL, "card XXXX.");
    s_check ("phone 021/6543/2100", NULL, "phone XXXX");
    s_check ("(021) 6543 2100", NULL, "XXXX");
    s_check ("１３９　１２３４　５６７８", NULL, "XXXX");
    s_check ("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", NULL, "XXXX");
    s_check ("2026-11-23 13812345678", NULL, "2026-11-23 XXXX");
    //  the writer's own characters stay outside what is hidden
    s_check ("ＡＴＭ吞卡（２０２６－１１－２３）", NULL, "ＡＴＭ吞卡（２０２６－１１－２３）");
    //  invalid UTF-8: never a crash, U+FFFD instead
    s_check ("bad \xff\xc3 byte", NULL, "bad \xef\xbf\xbd\xef\xbf\xbd byte");
    //  the customer's own
    customer_t me = { 0 };
    me.name = S ("张三");
    me.phone = S ("+86 139-1234-5678");
    me.email = S ("zhang.san1990@example.com");
    me.account = S ("6222 0212 3456 7891");
    s_check ("我是张三，张 三，张　三", &me, "我是XXXX，XXXX，XXXX");
    s_check ("张三丰", NULL, "张三丰");
    s_check ("call 139~1234~5678 or 139，1234，5678", &me, "call XXXX or XXXX");
    s_check ("wechat zhang.san1990 thanks", &me, "wechat XXXX thanks");
    s_check ("张三@example.com", &me, "XXXX");
    customer_t en = { 0 };
    en.name = S ("Zhang San");
    s_check ("Dear ZHANG SAN, dear San Zhang, dear Ｚｈａｎｇ　Ｓａｎ, zhangsan", &en,
             "Dear XXXX, dear XXXX, dear XXXX, XXXX");
    s_check ("Zhangsanfeng is not him", &en, "Zhangsanfeng is not him");
    customer_t li = { 0 };
    li.name = S ("Li");
    s_check ("Lily met Li and LI.", &li, "Lily met XXXX and XXXX.");
    customer_t x = { 0 };
    x.name = S ("X X");
    s_check ("XXXX", &x, "XXXX");
    //  empty and NULL text
    size_t n = 1;
    char *out = privacy_scrub (NULL, 0, NULL, &n);
    assert (out && n == 0 && *out == 0);
    free (out);
    //  a character whose NFKC is long is read whole, and kept
    s_check ("\xef\xb7\xba", NULL, "\xef\xb7\xba");         /* U+FDFA: 18 letters */
    s_check ("circled ①②③④⑤⑥⑦⑧", NULL, "circled XXXX");

    s_property (3000);

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
