/*  row_pack.c — intake's lists of store rows as msgpack maps (see
 *  row_pack.h). Two passes over a row: msgpack needs a map's size before
 *  its first key, and a row's size depends on which columns hold nothing.
 */
#include "row_pack.h"
#include "proto.h"

#include <stdlib.h>
#include <string.h>

static bool
s_absent (const PGresult *res, int row, int col, unsigned flags)
{
    if (PQgetisnull (res, row, col) || PQgetlength (res, row, col) == 0)
        return true;
    return (flags & ROW_PACK_ZERO_ABSENT) && strcmp (PQgetvalue (res, row, col), "0") == 0;
}

void
row_pack_array (msgpack_packer *pk, const PGresult *res, const row_column_t *cols, int ncols,
                unsigned flags)
{
    int n = res ? PQntuples (res) : 0;
    msgpack_pack_array (pk, (size_t) n);
    for (int r = 0; r < n; r++) {
        uint32_t present = 0;
        for (int c = 0; c < ncols; c++)
            present += !s_absent (res, r, c, flags);
        msgpack_pack_map (pk, present);
        for (int c = 0; c < ncols; c++) {
            if (s_absent (res, r, c, flags))
                continue;
            proto_pack_cstr (pk, cols [c].key);
            const char *v = PQgetvalue (res, r, c);
            if (cols [c].number)
                msgpack_pack_int64 (pk, strtoll (v, NULL, 10));
            else
                proto_pack_strn (pk, v, (size_t) PQgetlength (res, r, c));
        }
    }
}
