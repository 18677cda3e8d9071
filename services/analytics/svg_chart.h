/*  svg_chart.h — charts drawn as inline SVG text, for the dashboard and the
 *  bulletin (docs/analytics.md "Dashboard", "Bulletin").
 *
 *  Why SVG written in C: the pages must work with no JavaScript and with
 *  nothing fetched from the internet (a bank's desktop, a headless printer
 *  making the PDF). An SVG element inside the HTML is drawn by every
 *  browser, prints sharp at any size, and is plain text a test can read.
 *
 *  A chart is a grid of values: columns (the x labels of a line chart, the
 *  bars of a bar chart, the columns of a heat map) and rows (the series of
 *  a line chart, the rows of a heat map; a bar chart has one). A value is a
 *  double; NAN means "no value" (a rate over no cases): a line is broken
 *  there, a bar or a cell is left empty. Nothing is computed here: the
 *  caller gives the figures, the chart only draws them.
 *
 *      svg_chart_t *c = svg_chart_new (SVG_CHART_LINE, "received per day");
 *      svg_chart_add_column (c, "12-01"); ...
 *      int r = svg_chart_add_row (c, "received");
 *      svg_chart_set (c, r, 0, 4); ...
 *      svg_chart_print (c, out);        // <svg ...>...</svg>
 *      svg_chart_destroy (&c);
 *
 *  Small cells (issue 12 §5): with svg_chart_set_min_cell (c, k), a value
 *  from 1 to k-1 is written "<k" and drawn as a hatched cell or a stub bar
 *  of no height, so neither the text nor the shape tells the count.
 *
 *  Bounded: at most SVG_CHART_MAX_COLUMNS columns and SVG_CHART_MAX_ROWS
 *  rows (add returns -1 beyond); labels are cut to SVG_CHART_LABEL bytes
 *  on a UTF-8 boundary and every text is XML-escaped.
 *
 *  Interface:
 *      svg_chart_new / _destroy
 *      svg_chart_add_column / _add_row / _set
 *      svg_chart_set_size       width and height in px (default 640 x 240)
 *      svg_chart_set_target     a dashed target line (line and bar charts)
 *      svg_chart_set_percent    values are rates 0..1, printed as percents
 *      svg_chart_set_min_cell   the small-cell rule
 *      svg_chart_print          the <svg> element to a stream
 *      svg_chart_escape         XML-escape text to a stream (the pages use it too)
 *      svg_chart_test           self-test (tests/unit/selftest.c)
 */
#ifndef SVG_CHART_H_INCLUDED
#define SVG_CHART_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>

#define SVG_CHART_MAX_COLUMNS   400
#define SVG_CHART_MAX_ROWS      40
#define SVG_CHART_LABEL         64

typedef enum {
    SVG_CHART_LINE,                 /* rows are series over the columns */
    SVG_CHART_BARS,                 /* one row: a bar per column, horizontal */
    SVG_CHART_HEAT                  /* rows x columns, colour by value */
} svg_chart_kind_t;

typedef struct _svg_chart_t svg_chart_t;

svg_chart_t *svg_chart_new (svg_chart_kind_t kind, const char *title);
void svg_chart_destroy (svg_chart_t **self_p);

/* The index of the new column or row, or -1 when full. */
int svg_chart_add_column (svg_chart_t *self, const char *label);
int svg_chart_add_row (svg_chart_t *self, const char *label);
/* NAN: no value. -1 when row or column does not exist. */
int svg_chart_set (svg_chart_t *self, int row, int column, double value);

void svg_chart_set_size (svg_chart_t *self, int width, int height);
void svg_chart_set_target (svg_chart_t *self, double target);
void svg_chart_set_percent (svg_chart_t *self, bool percent);
void svg_chart_set_min_cell (svg_chart_t *self, int k);

/* 0, or -1 when the stream failed. */
int svg_chart_print (const svg_chart_t *self, FILE *out);

/* Text with & < > " ' escaped. */
void svg_chart_escape (FILE *out, const char *text);

void svg_chart_test (bool verbose);

#endif
