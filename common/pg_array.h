/*  pg_array.h — PostgreSQL array literals ('{"a","b"}') built in memory.
 *
 *  Set-based statements take a whole batch as arrays (… FROM unnest ($1::
 *  text[], $2::bigint[]) …): one round trip, one plan, however many rows.
 *  This builds the text form of such an array, every element quoted and
 *  escaped, so any string — a department name in Chinese, a JSON document,
 *  a nested array literal — passes through intact. Raw bytes go in as hex
 *  text for decode (x, 'hex') on the server.
 *
 *  Interface:
 *      pg_array_begin     start (or restart) an empty literal
 *      pg_array_add       append an element (a C string)
 *      pg_array_add_hex   append bytes as one hex-text element
 *      pg_array_end       close the literal; returns the text
 *      pg_array_destroy   free the buffer
 *      pg_array_test      self-test
 */
#ifndef PG_ARRAY_H_INCLUDED
#define PG_ARRAY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;             /* the literal so far, NUL-terminated */
    size_t len, cap;
    size_t count;           /* elements added */
} pg_array_t;

void pg_array_begin (pg_array_t *self);
void pg_array_add (pg_array_t *self, const char *value);
void pg_array_add_hex (pg_array_t *self, const void *data, size_t size);
const char *pg_array_end (pg_array_t *self);
void pg_array_destroy (pg_array_t *self);
void pg_array_test (bool verbose);

#endif
