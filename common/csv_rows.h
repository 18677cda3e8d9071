/*  csv_rows.h — RFC 4180 rows with a header, read with libcsv, each row
 *  with the line it starts on and its fields found by column name.
 *
 *  What the CSV importers share (complaintctl import's CFPB export, the
 *  hotline's call-centre export): the caller feeds physical lines (so a
 *  row's line number is known even when a quoted field spans lines), the
 *  first row is the header, and the columns the caller declared are found
 *  in it by name — case-insensitive, trimmed, a UTF-8 byte order mark on
 *  the first one ignored — so a reordered export still reads. Every later
 *  row is handed to the caller's callback; csv_rows_field gives a declared
 *  column's value in it.
 *
 *  Bounded: at most max_columns fields are kept per row (more are counted,
 *  and the row reports the count, so the caller can refuse it), and a
 *  field longer than max_field bytes stops the input (csv_rows_feed -1,
 *  "a field over N bytes"), even one whose closing quote never comes. So a
 *  hostile file costs at most max_field bytes of buffer, never the file.
 *
 *  Interface:
 *      csv_rows_new / csv_rows_destroy
 *      csv_rows_feed        one physical line (or any bytes); -1 on a CSV error
 *      csv_rows_finish      end of input: the last row without a newline
 *      csv_rows_field       a declared column's value in the current row
 *      csv_rows_count       fields in the current row (beyond the kept ones too)
 *      csv_rows_columns     fields in the header (0 before it)
 *      csv_rows_present     did the header have this declared column
 *      csv_rows_line        lines fed so far
 *      csv_rows_error       why feed or finish failed
 *      csv_rows_test
 */
#ifndef CSV_ROWS_H_INCLUDED
#define CSV_ROWS_H_INCLUDED

#include "proto.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct _csv_rows_t csv_rows_t;

/* A data row ended: `line` is where it started. The header row is not
 * handed over (csv_rows_columns is set once it was read). */
typedef void (csv_rows_fn) (csv_rows_t *rows, long line, void *arg);

/* names: the columns the caller reads, by header name (ncolumns of them).
 * The names are the caller's and must outlive the reader. */
csv_rows_t *csv_rows_new (const char *const *names, size_t ncolumns, size_t max_columns,
                          size_t max_field, csv_rows_fn *on_row, void *arg);
void csv_rows_destroy (csv_rows_t **self_p);

int csv_rows_feed (csv_rows_t *self, const char *data, size_t size);
int csv_rows_finish (csv_rows_t *self);

/* Column `column` (an index into names) of the current row; ptr NULL when
 * the header has no such column or the row is short. The bytes are
 * NUL-terminated and live until the callback returns. */
proto_str_t csv_rows_field (csv_rows_t *self, size_t column);
size_t csv_rows_count (csv_rows_t *self);
size_t csv_rows_columns (csv_rows_t *self);
bool csv_rows_present (csv_rows_t *self, size_t column);
long csv_rows_line (csv_rows_t *self);
const char *csv_rows_error (csv_rows_t *self);

void csv_rows_test (bool verbose);

#endif
