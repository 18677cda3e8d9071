/*  csv_rows.c — header-mapped CSV rows over libcsv (see csv_rows.h).
 *
 *  libcsv calls back once per field (its buffer is reused: we copy) and once
 *  per row end. The line a row starts on is the last line fed while no row
 *  was in progress (nothing in libcsv's buffer, no field yet) — which is
 *  why the caller feeds lines: libcsv itself counts nothing, and calls back
 *  only when a field ends, maybe lines later. The field bound is checked on libcsv's own growing
 *  buffer (entry_pos, public in csv.h) after every feed, so a quoted field
 *  that never closes is refused as soon as it passes the bound.
 */
#include "csv_rows.h"

#include <assert.h>
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct _csv_rows_t {
    struct csv_parser parser;
    const char *const *names;
    size_t ncolumns, max_columns, max_field;
    csv_rows_fn *on_row;
    void *arg;
    int *index;                 /* header position of each declared column; -1 absent */
    char **fields;              /* the current row's kept fields */
    size_t *lengths;
    size_t nfields;             /* fields seen in the current row (kept or not) */
    size_t header_count;        /* 0 until the header row was read */
    long line;                  /* lines fed */
    long row_line;              /* where the current row started; 0: no field yet */
    long start_line;            /* the last line fed while no row was in progress */
    bool failed;
    char error [128];
};

csv_rows_t *
csv_rows_new (const char *const *names, size_t ncolumns, size_t max_columns, size_t max_field,
              csv_rows_fn *on_row, void *arg)
{
    assert (names && max_columns > 0 && max_field > 0 && on_row);
    csv_rows_t *self = calloc (1, sizeof *self);
    assert (self);
    if (csv_init (&self->parser, 0) != 0) {
        free (self);
        return NULL;
    }
    self->names = names;
    self->ncolumns = ncolumns;
    self->max_columns = max_columns;
    self->max_field = max_field;
    self->on_row = on_row;
    self->arg = arg;
    self->index = malloc ((ncolumns ? ncolumns : 1) * sizeof *self->index);
    self->fields = calloc (max_columns, sizeof *self->fields);
    self->lengths = calloc (max_columns, sizeof *self->lengths);
    assert (self->index && self->fields && self->lengths);
    for (size_t c = 0; c < ncolumns; c++)
        self->index [c] = -1;
    return self;
}

static void
s_clear_fields (csv_rows_t *self)
{
    size_t kept = self->nfields < self->max_columns ? self->nfields : self->max_columns;
    for (size_t i = 0; i < kept; i++) {
        free (self->fields [i]);
        self->fields [i] = NULL;
    }
    self->nfields = 0;
    self->row_line = 0;
}

void
csv_rows_destroy (csv_rows_t **self_p)
{
    assert (self_p);
    csv_rows_t *self = *self_p;
    if (!self)
        return;
    s_clear_fields (self);
    csv_free (&self->parser);
    free (self->index);
    free (self->fields);
    free (self->lengths);
    free (self);
    *self_p = NULL;
}

/* The header: each declared column's position, by name. */
static void
s_take_header (csv_rows_t *self)
{
    self->header_count = self->nfields;
    size_t kept = self->nfields < self->max_columns ? self->nfields : self->max_columns;
    for (size_t i = 0; i < kept; i++) {
        const char *name = self->fields [i];
        size_t len = self->lengths [i];
        /* Spreadsheet exports often start with a UTF-8 byte order mark. */
        if (i == 0 && len >= 3 && memcmp (name, "\xEF\xBB\xBF", 3) == 0) {
            name += 3;
            len -= 3;
        }
        while (len && (*name == ' ' || *name == '\t')) {
            name++;
            len--;
        }
        while (len && (name [len - 1] == ' ' || name [len - 1] == '\t' || name [len - 1] == '\r'))
            len--;
        for (size_t c = 0; c < self->ncolumns; c++)
            if (self->index [c] < 0 && strlen (self->names [c]) == len
            &&  strncasecmp (name, self->names [c], len) == 0)
                self->index [c] = (int) i;
    }
}

static void
s_on_field (void *data, size_t len, void *arg)
{
    csv_rows_t *self = (csv_rows_t *) arg;
    if (self->nfields == 0 && self->row_line == 0)
        self->row_line = self->start_line ? self->start_line : self->line;
    if (self->nfields >= self->max_columns) {
        self->nfields++;                    /* counted, not kept */
        return;
    }
    char *copy = malloc (len + 1);
    assert (copy);
    if (len)
        memcpy (copy, data, len);
    copy [len] = 0;
    self->fields [self->nfields] = copy;
    self->lengths [self->nfields] = len;
    self->nfields++;
}

static void
s_on_row (int terminator, void *arg)
{
    (void) terminator;
    csv_rows_t *self = (csv_rows_t *) arg;
    long line = self->row_line ? self->row_line : self->line;
    if (self->header_count == 0)
        s_take_header (self);
    else
        self->on_row (self, line, self->arg);
    s_clear_fields (self);
}

static int
s_fail (csv_rows_t *self, const char *what)
{
    self->failed = true;
    snprintf (self->error, sizeof self->error, "%s", what);
    return -1;
}

int
csv_rows_feed (csv_rows_t *self, const char *data, size_t size)
{
    assert (self);
    if (self->failed)
        return -1;
    self->line++;
    /* libcsv reports a field when it ends: a row whose first field spans
     * lines started on the last line fed with nothing in progress. */
    if (self->nfields == 0 && self->parser.entry_pos == 0 && !self->parser.quoted)
        self->start_line = self->line;
    /* A long line is fed in pieces no bigger than the bound, so one line
     * that is all field cannot grow libcsv's buffer far past it. */
    size_t done = 0;
    while (done < size) {
        size_t piece = size - done < self->max_field ? size - done : self->max_field;
        if (csv_parse (&self->parser, data + done, piece, s_on_field, s_on_row, self) != piece)
            return s_fail (self, csv_strerror (csv_error (&self->parser)));
        if (self->parser.entry_pos > self->max_field) {
            char why [96];
            snprintf (why, sizeof why, "a field over %zu bytes (an unclosed quote?)",
                      self->max_field);
            return s_fail (self, why);
        }
        done += piece;
    }
    return 0;
}

int
csv_rows_finish (csv_rows_t *self)
{
    assert (self);
    if (self->failed)
        return -1;
    if (csv_fini (&self->parser, s_on_field, s_on_row, self) != 0)
        return s_fail (self, csv_strerror (csv_error (&self->parser)));
    return 0;
}

proto_str_t
csv_rows_field (csv_rows_t *self, size_t column)
{
    assert (self);
    if (column >= self->ncolumns || self->index [column] < 0)
        return (proto_str_t) { NULL, 0 };
    size_t i = (size_t) self->index [column];
    if (i >= self->nfields || i >= self->max_columns)
        return (proto_str_t) { NULL, 0 };
    return (proto_str_t) { self->fields [i], self->lengths [i] };
}

size_t
csv_rows_count (csv_rows_t *self)
{
    assert (self);
    return self->nfields;
}

size_t
csv_rows_columns (csv_rows_t *self)
{
    assert (self);
    return self->header_count;
}

bool
csv_rows_present (csv_rows_t *self, size_t column)
{
    assert (self);
    return column < self->ncolumns && self->index [column] >= 0;
}

long
csv_rows_line (csv_rows_t *self)
{
    assert (self);
    return self->line;
}

const char *
csv_rows_error (csv_rows_t *self)
{
    assert (self);
    return self->error;
}

#include "selftest.h"

typedef struct {
    int rows;
    long lines [8];
    char text [8][64];
} s_test_seen_t;

static void
s_test_row (csv_rows_t *rows, long line, void *arg)
{
    s_test_seen_t *seen = (s_test_seen_t *) arg;
    if (seen->rows < 8) {
        proto_str_t a = csv_rows_field (rows, 0), b = csv_rows_field (rows, 1);
        seen->lines [seen->rows] = line;
        snprintf (seen->text [seen->rows], sizeof seen->text [0], "%.*s|%.*s|%zu",
                  (int) a.len, a.ptr ? a.ptr : "", (int) b.len, b.ptr ? b.ptr : "",
                  csv_rows_count (rows));
    }
    seen->rows++;
}

static int
s_test_feed (csv_rows_t *rows, const char *text)
{
    /* line by line, as the importers feed */
    const char *p = text;
    while (*p) {
        const char *nl = strchr (p, '\n');
        size_t len = nl ? (size_t) (nl - p) + 1 : strlen (p);
        if (csv_rows_feed (rows, p, len))
            return -1;
        p += len;
    }
    return csv_rows_finish (rows);
}

void
csv_rows_test (bool verbose)
{
    if (verbose)
        printf (" * csv_rows: ");
    static const char *const names [] = { "call_id", "complaint", "missing" };
    /* reordered header with a BOM and spaces; a quoted field over two
     * lines; Chinese text; the last row without a newline */
    s_test_seen_t seen = { 0 };
    csv_rows_t *rows = csv_rows_new (names, 3, 8, 1024, s_test_row, &seen);
    assert (rows);
    assert (s_test_feed (rows, "\xEF\xBB\xBF" "Complaint , CALL_ID,x\r\n"
                               "\"年费\n扣两次\",c-1,1\r\n"
                               "hello,c-2,2\n"
                               "short\n"
                               "last,c-4,4") == 0);
    assert (csv_rows_columns (rows) == 3);
    assert (csv_rows_present (rows, 0) && csv_rows_present (rows, 1) && !csv_rows_present (rows, 2));
    assert (seen.rows == 4);
    assert (seen.lines [0] == 2 && strcmp (seen.text [0], "c-1|年费\n扣两次|3") == 0);
    assert (seen.lines [1] == 4 && strcmp (seen.text [1], "c-2|hello|3") == 0);
    assert (seen.lines [2] == 5 && strcmp (seen.text [2], "|short|1") == 0);
    assert (seen.lines [3] == 6 && strcmp (seen.text [3], "c-4|last|3") == 0);
    csv_rows_destroy (&rows);
    csv_rows_destroy (&rows);           /* safe twice */

    /* too many columns are counted, not kept */
    memset (&seen, 0, sizeof seen);
    rows = csv_rows_new (names, 2, 2, 1024, s_test_row, &seen);
    assert (s_test_feed (rows, "call_id,complaint\na,b,c,d\n") == 0);
    assert (seen.rows == 1 && strcmp (seen.text [0], "a|b|4") == 0);
    csv_rows_destroy (&rows);

    /* an unclosed quote stops at the field bound, with the reason */
    memset (&seen, 0, sizeof seen);
    rows = csv_rows_new (names, 2, 8, 16, s_test_row, &seen);
    assert (csv_rows_feed (rows, "call_id,complaint\n", 18) == 0);
    assert (csv_rows_feed (rows, "x,\"never closed\n", 16) == 0);
    assert (csv_rows_feed (rows, "and on and on and on\n", 21) == -1);
    assert (strstr (csv_rows_error (rows), "over 16 bytes"));
    assert (csv_rows_feed (rows, "a,b\n", 4) == -1);     /* stays failed */
    csv_rows_destroy (&rows);
    if (verbose)
        printf ("OK\n");
}
