/*  query_code.c — make and read query codes (see query_code.h).
 *
 *  Why ten characters: 50 bits against an attacker held to a few guesses
 *  an hour per complaint (intake's limits) is out of reach for the life of
 *  a case, and ten characters still fit a phone call or a receipt line.
 *  Each character is randombytes_uniform (32), uniform without bias.
 */
#include "query_code.h"

#include <assert.h>
#include <ctype.h>
#include <sodium.h>
#include <string.h>

static const char s_alphabet [] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
query_code_new (char out [QUERY_CODE_SIZE])
{
    int rc = sodium_init ();
    assert (rc >= 0);
    (void) rc;
    size_t n = 0;
    for (int i = 0; i < QUERY_CODE_CHARS; i++) {
        if (i == QUERY_CODE_CHARS / 2)
            out [n++] = '-';
        out [n++] = s_alphabet [randombytes_uniform (32)];
    }
    out [n] = 0;
}

int
query_code_canonical (const char *in, size_t len, char out [QUERY_CODE_CHARS + 1])
{
    size_t n = 0;
    for (size_t i = 0; in && i < len; i++) {
        int c = toupper ((unsigned char) in [i]);
        if (c == ' ' || c == '-')
            continue;
        if (c == 'O')
            c = '0';
        else
        if (c == 'I' || c == 'L')
            c = '1';
        if (!c || !strchr (s_alphabet, c) || n == QUERY_CODE_CHARS)
            return -1;
        out [n++] = (char) c;
    }
    out [n] = 0;
    return n == QUERY_CODE_CHARS ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Self-test

#include "selftest.h"
#include <stdio.h>

void
query_code_test (bool verbose)
{
    if (verbose)
        printf (" * query_code: ");
    char code [QUERY_CODE_SIZE], canon [QUERY_CODE_CHARS + 1], again [QUERY_CODE_CHARS + 1];
    query_code_new (code);
    assert (strlen (code) == QUERY_CODE_CHARS + 1 && code [5] == '-');
    assert (query_code_canonical (code, strlen (code), canon) == 0);
    assert (strlen (canon) == QUERY_CODE_CHARS);
    /* lenient reading: case, spaces, dashes, O for 0, I and L for 1 */
    assert (query_code_canonical ("7k3qd m9xwa", 11, again) == 0 && !strcmp (again, "7K3QDM9XWA"));
    assert (query_code_canonical ("O1ILo-23456", 11, again) == 0 && !strcmp (again, "0111023456"));
    assert (query_code_canonical ("O1ILo23456", 10, again) == 0 && !strcmp (again, "0111023456"));
    assert (query_code_canonical ("7K3QD-M9XW", 10, again) == -1);       /* too short */
    assert (query_code_canonical ("7K3QD-M9XWAA", 12, again) == -1);     /* too long */
    assert (query_code_canonical ("7K3QD-M9XWU", 11, again) == -1);      /* U: not ours */
    assert (query_code_canonical ("7K3QD\0M9XW", 10, again) == -1);
    assert (query_code_canonical (NULL, 0, again) == -1);
    /* every character drawn: 200 codes use most of the alphabet, never repeat */
    char seen [256] = { 0 };
    char first [QUERY_CODE_SIZE];
    query_code_new (first);
    int repeats = 0;
    for (int i = 0; i < 200; i++) {
        query_code_new (code);
        repeats += !strcmp (code, first);
        for (const char *p = code; *p; p++)
            seen [(unsigned char) *p] = 1;
    }
    int distinct = 0;
    for (const char *p = s_alphabet; *p; p++)
        distinct += seen [(unsigned char) *p];
    assert (distinct == 32 && repeats == 0);
    assert (!seen ['I'] && !seen ['L'] && !seen ['O'] && !seen ['U']);
    if (verbose)
        printf ("OK\n");
}
