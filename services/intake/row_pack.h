/*  row_pack.h — intake's lists of store rows as msgpack maps.
 *
 *  Several replies list rows the same way (a case's tasks, the
 *  rectification items, the accountability register): an array of maps,
 *  one key per column, a column left out of its row's map when it holds
 *  nothing, numbers as integers. One packer, so a list's shape on the wire
 *  is declared by its column table and nowhere else.
 *
 *  Interface:
 *      row_pack_array   the rows of a result as an array of maps
 */
#ifndef ROW_PACK_H_INCLUDED
#define ROW_PACK_H_INCLUDED

#include <libpq-fe.h>
#include <msgpack.h>
#include <stdbool.h>

typedef struct {
    const char *key;            /* the map's key for this column */
    bool        number;         /* packed as an integer (the column's text, base 10) */
} row_column_t;

/* Leave a column out of a row's map when it is NULL or empty (always), and
 * also when it is "0" with ROW_PACK_ZERO_ABSENT: for queries that coalesce
 * a missing time to 0 or a missing text to ''. */
#define ROW_PACK_ZERO_ABSENT 1u

/* Pack res's rows as an array of maps of its first ncols columns. */
void row_pack_array (msgpack_packer *pk, const PGresult *res, const row_column_t *cols,
                     int ncols, unsigned flags);

#endif
