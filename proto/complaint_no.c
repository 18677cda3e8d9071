/*  complaint_no.c — complaint numbers: format and Damm check digit.
 *  See complaint_no.h for the shape and why Damm.
 */
#include "complaint_no.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* The Damm quasigroup of order 10 (totally anti-symmetric). */
static const unsigned char s_damm [10][10] = {
    { 0, 3, 1, 7, 5, 9, 8, 6, 4, 2 },
    { 7, 0, 9, 2, 1, 5, 4, 8, 6, 3 },
    { 4, 2, 0, 6, 8, 7, 1, 3, 5, 9 },
    { 1, 7, 5, 0, 9, 8, 3, 4, 2, 6 },
    { 6, 1, 2, 3, 0, 4, 5, 9, 7, 8 },
    { 3, 6, 7, 4, 2, 0, 9, 5, 8, 1 },
    { 5, 8, 6, 9, 7, 2, 0, 1, 3, 4 },
    { 8, 9, 4, 5, 3, 6, 2, 0, 1, 7 },
    { 9, 4, 3, 8, 6, 1, 7, 2, 0, 5 },
    { 2, 5, 8, 1, 4, 3, 6, 7, 9, 0 },
};

int
complaint_no_damm (const char *digits, size_t len)
{
    int interim = 0;
    for (size_t i = 0; i < len; i++) {
        assert (digits [i] >= '0' && digits [i] <= '9');
        interim = s_damm [interim][digits [i] - '0'];
    }
    return interim;
}

int
complaint_no_format (char out [COMPLAINT_NO_SIZE], int yyyymmdd, uint64_t seq)
{
    if (yyyymmdd < 19700101 || yyyymmdd > 99991231)
        return -1;
    int n = snprintf (out, COMPLAINT_NO_SIZE, "%08d%06llu", yyyymmdd,
                      (unsigned long long) seq);
    if (n < 0 || n + 1 >= COMPLAINT_NO_SIZE)
        return -1;
    out [n] = (char) ('0' + complaint_no_damm (out, (size_t) n));
    out [n + 1] = 0;
    return 0;
}

int
complaint_no_check (const char *no, size_t len, const char *field, proto_error_t *err)
{
    if (len < COMPLAINT_NO_MIN_LEN || len > COMPLAINT_NO_MAX_LEN) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                         "%s must be %d to %d digits", field,
                         COMPLAINT_NO_MIN_LEN, COMPLAINT_NO_MAX_LEN);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if (no [i] < '0' || no [i] > '9') {
            proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                             "%s must contain digits only", field);
            return -1;
        }
    int month = (no [4] - '0') * 10 + (no [5] - '0');
    int day = (no [6] - '0') * 10 + (no [7] - '0');
    if (month < 1 || month > 12 || day < 1 || day > 31) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                         "%s does not start with a valid date", field);
        return -1;
    }
    if (complaint_no_damm (no, len) != 0) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                         "%s has a wrong check digit: please read the number again", field);
        return -1;
    }
    return 0;
}

#include "selftest.h"

void
complaint_no_test (bool verbose)
{
    if (verbose)
        printf (" * complaint_no: ");
    /* Published Damm example: 572 -> check digit 4. */
    assert (complaint_no_damm ("572", 3) == 4);
    assert (complaint_no_damm ("5724", 4) == 0);

    char no [COMPLAINT_NO_SIZE];
    assert (complaint_no_format (no, 20261123, 42) == 0);
    assert (strlen (no) == 15);
    assert (strncmp (no, "20261123000042", 14) == 0);
    proto_error_t err = { 0 };
    assert (complaint_no_check (no, strlen (no), "complaint_no", &err) == 0);

    /* Every single-digit error and every adjacent swap is caught. */
    size_t len = strlen (no);
    for (size_t i = 0; i < len; i++) {
        char bad [COMPLAINT_NO_SIZE];
        for (char d = '0'; d <= '9'; d++) {
            if (d == no [i])
                continue;
            memcpy (bad, no, len + 1);
            bad [i] = d;
            assert (complaint_no_damm (bad, len) != 0);
        }
        if (i + 1 < len && no [i] != no [i + 1]) {
            memcpy (bad, no, len + 1);
            bad [i] = no [i + 1];
            bad [i + 1] = no [i];
            assert (complaint_no_damm (bad, len) != 0);
        }
    }
    /* Long sequences widen the number instead of wrapping. */
    assert (complaint_no_format (no, 20261123, 1234567890ULL) == 0);
    assert (strlen (no) == 19);
    assert (complaint_no_check (no, strlen (no), "complaint_no", &err) == 0);

    assert (complaint_no_check ("2026112300004", 13, "complaint_no", &err) == -1);
    assert (strcmp (err.field, "complaint_no") == 0);
    assert (complaint_no_check ("20261123000x421", 15, "complaint_no", &err) == -1);
    assert (complaint_no_check ("202613230000421", 15, "complaint_no", &err) == -1);
    assert (complaint_no_format (no, 1, 1) == -1);
    if (verbose)
        printf ("OK\n");
}
