/*  complaint_no.h — the complaint number customers quote on the phone.
 *
 *  Digits only: YYYYMMDD (the bank's local date of receipt), a sequence of at
 *  least six digits (unique across all intake instances: it comes from one
 *  PostgreSQL sequence), and one Damm check digit. The Damm check catches
 *  every single-digit error and every swap of two adjacent digits, the two
 *  mistakes people make reading numbers aloud.
 *
 *      2026112300004217     = 20261123 · 000042 · 1... (shape, not a real one)
 *
 *  Interface:
 *      complaint_no_format    date + sequence -> number string
 *      complaint_no_check     validate shape and check digit, before any lookup
 *      complaint_no_damm      the check digit of a digit string
 */
#ifndef COMPLAINT_NO_H_INCLUDED
#define COMPLAINT_NO_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto.h"

#define COMPLAINT_NO_MIN_LEN   15      /* 8 date + 6 sequence + 1 check */
#define COMPLAINT_NO_MAX_LEN   28
#define COMPLAINT_NO_SIZE      (COMPLAINT_NO_MAX_LEN + 1)

int  complaint_no_damm (const char *digits, size_t len);
/* yyyymmdd as an integer, e.g. 20261123; seq >= 0. Returns 0 or -1. */
int  complaint_no_format (char out [COMPLAINT_NO_SIZE], int yyyymmdd, uint64_t seq);
/* 0 if `no` is a well-formed number with a correct check digit; else -1 and
 * err names `field`. */
int  complaint_no_check (const char *no, size_t len, const char *field, proto_error_t *err);
void complaint_no_test (bool verbose);

#endif
