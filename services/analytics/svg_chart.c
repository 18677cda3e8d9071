/*  svg_chart.c — line, bar and heat-map charts as SVG text (see
 *  svg_chart.h).
 *
 *  How a chart is laid out. Everything is in pixels of the viewBox, so the
 *  browser scales the drawing to the page and the print. A line chart
 *  maps the columns evenly across the plot and 0 .. the largest value (1
 *  for rates) up the plot, with four grid lines labelled on the left; a
 *  bar chart is horizontal (labels in Chinese read better on the left than
 *  slanted under a column) with the value after each bar; a heat map is a
 *  table of cells whose colour runs from white to dark blue with the value
 *  written inside, the row labels on the left and the column labels
 *  slanted on top.
 *
 *  What a test can read. Each drawn value carries data-row / data-col
 *  attributes and, unless it is hidden by the small-cell rule, data-value
 *  with the exact figure: the page is checked against the `kpi` answer by
 *  reading attributes, not by parsing drawn text. A hidden value has no
 *  data-value at all, so the count is not in the document in any form.
 *
 *  Colours are a fixed palette readable by the common colour-blind (the
 *  Okabe-Ito set); the target line is dashed vermilion.
 */
#include "svg_chart.h"
#include "html.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct _svg_chart_t {
    svg_chart_kind_t kind;
    char title [128];
    int width, height;
    int ncolumns, nrows;
    char columns [SVG_CHART_MAX_COLUMNS][SVG_CHART_LABEL];
    char rows [SVG_CHART_MAX_ROWS][SVG_CHART_LABEL];
    double *values;                 /* [row * SVG_CHART_MAX_COLUMNS + column] */
    double target;                  /* NAN: none */
    bool percent;
    int min_cell;                   /* 0: every value shown */
};

static const char *const s_palette [] = {
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"
};
#define S_NPALETTE (sizeof s_palette / sizeof s_palette [0])

/*  Copy at most size-1 bytes, never cutting a UTF-8 sequence in two. */
static void
s_copy_label (char *dest, size_t size, const char *src)
{
    size_t len = src ? strlen (src) : 0;
    if (len >= size) {
        len = size - 1;
        while (len > 0 && ((unsigned char) src [len] & 0xC0) == 0x80)
            len--;
    }
    if (len)
        memcpy (dest, src, len);
    dest [len] = 0;
}

svg_chart_t *
svg_chart_new (svg_chart_kind_t kind, const char *title)
{
    svg_chart_t *self = (svg_chart_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->values = (double *) malloc (sizeof (double) * SVG_CHART_MAX_ROWS
                                      * SVG_CHART_MAX_COLUMNS);
    if (!self->values) {
        free (self);
        return NULL;
    }
    for (size_t i = 0; i < (size_t) SVG_CHART_MAX_ROWS * SVG_CHART_MAX_COLUMNS; i++)
        self->values [i] = NAN;
    self->kind = kind;
    s_copy_label (self->title, sizeof self->title, title);
    self->width = 640;
    self->height = 240;
    self->target = NAN;
    return self;
}

void
svg_chart_destroy (svg_chart_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->values);
        free (*self_p);
        *self_p = NULL;
    }
}

int
svg_chart_add_column (svg_chart_t *self, const char *label)
{
    assert (self);
    if (self->ncolumns >= SVG_CHART_MAX_COLUMNS)
        return -1;
    s_copy_label (self->columns [self->ncolumns], SVG_CHART_LABEL, label);
    return self->ncolumns++;
}

int
svg_chart_add_row (svg_chart_t *self, const char *label)
{
    assert (self);
    if (self->nrows >= SVG_CHART_MAX_ROWS)
        return -1;
    s_copy_label (self->rows [self->nrows], SVG_CHART_LABEL, label);
    return self->nrows++;
}

int
svg_chart_set (svg_chart_t *self, int row, int column, double value)
{
    assert (self);
    if (row < 0 || row >= self->nrows || column < 0 || column >= self->ncolumns)
        return -1;
    self->values [(size_t) row * SVG_CHART_MAX_COLUMNS + (size_t) column] = value;
    return 0;
}

void
svg_chart_set_size (svg_chart_t *self, int width, int height)
{
    assert (self);
    self->width = width < 200 ? 200 : width > 4000 ? 4000 : width;
    self->height = height < 100 ? 100 : height > 4000 ? 4000 : height;
}

void
svg_chart_set_target (svg_chart_t *self, double target)
{
    assert (self);
    self->target = target;
}

void
svg_chart_set_percent (svg_chart_t *self, bool percent)
{
    assert (self);
    self->percent = percent;
}

void
svg_chart_set_min_cell (svg_chart_t *self, int k)
{
    assert (self);
    self->min_cell = k > 1 ? k : 0;
}

void
svg_chart_escape (FILE *out, const char *text)
{
    html_escape (out, text);            /* common/html.h: one escaper for every page */
}

static double
s_value (const svg_chart_t *self, int row, int column)
{
    return self->values [(size_t) row * SVG_CHART_MAX_COLUMNS + (size_t) column];
}

static bool
s_hidden (const svg_chart_t *self, double v)
{
    return self->min_cell > 0 && !isnan (v) && v > 0 && v < self->min_cell;
}

/*  The value as people read it: "–" none, "<k" hidden, "62.5%", "12". */
static const char *
s_text (const svg_chart_t *self, double v, char *buf, size_t size)
{
    if (isnan (v))
        snprintf (buf, size, "–");
    else
    if (s_hidden (self, v))
        snprintf (buf, size, "<%d", self->min_cell);
    else
    if (self->percent)
        snprintf (buf, size, "%.1f%%", v * 100);
    else
    if (v == floor (v) && fabs (v) < 1e15)
        snprintf (buf, size, "%.0f", v);
    else
        snprintf (buf, size, "%.2f", v);
    return buf;
}

/*  data-row, data-col and (when shown) data-value of one drawn value. */
static void
s_data (FILE *out, const svg_chart_t *self, int row, int column, double v)
{
    fputs (" data-row=\"", out);
    svg_chart_escape (out, self->rows [row]);
    fputs ("\" data-col=\"", out);
    svg_chart_escape (out, self->columns [column]);
    fputc ('"', out);
    if (isnan (v))
        fputs (" data-none=\"1\"", out);
    else
    if (s_hidden (self, v))
        fputs (" data-hidden=\"1\"", out);
    else
        fprintf (out, " data-value=\"%.17g\"", v);
}

/*  The largest value drawn (a hidden one counts as 0), and the target. */
static double
s_max (const svg_chart_t *self)
{
    double max = self->percent ? 1 : 0;
    for (int r = 0; r < self->nrows; r++)
        for (int c = 0; c < self->ncolumns; c++) {
            double v = s_value (self, r, c);
            if (!isnan (v) && !s_hidden (self, v) && v > max)
                max = v;
        }
    if (!isnan (self->target) && self->target > max)
        max = self->target;
    if (max <= 0)
        max = 1;
    if (!self->percent) {
        //  A round top: 1, 2, 5 x 10^n at or above the largest value.
        double step = pow (10, floor (log10 (max)));
        double top = step;
        while (top < max)
            top += step < 1 ? 1 : step;
        max = top;
    }
    return max;
}

static void
s_open (FILE *out, const svg_chart_t *self, int width, int height)
{
    fprintf (out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 %d %d\""
             " width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", width, height, width,
             height);
    svg_chart_escape (out, self->title);
    fprintf (out, "\" font-size=\"11\" font-family=\"inherit\"><title>");
    svg_chart_escape (out, self->title);
    fprintf (out, "</title>\n<text x=\"4\" y=\"14\" font-size=\"13\" font-weight=\"bold\""
             " fill=\"#222\">");
    svg_chart_escape (out, self->title);
    fprintf (out, "</text>\n");
}

static void
s_line (const svg_chart_t *self, FILE *out)
{
    //  Several series: a legend row each under the title.
    const int left = 52, right = 16, bottom = 34;
    const int top = self->nrows > 1 ? 30 + 14 * self->nrows : 30;
    int w = self->width, h = self->height;
    double pw = w - left - right, ph = h - top - bottom;
    double max = s_max (self);
    s_open (out, self, w, h);
    char text [32];
    //  Grid and y labels.
    for (int i = 0; i <= 4; i++) {
        double y = top + ph - ph * i / 4;
        fprintf (out, "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                 "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>\n",
                 left, left + pw, y, y, left - 4, y + 4, s_text (self, max * i / 4, text,
                                                                  sizeof text));
    }
    int n = self->ncolumns;
    #define S_X(c) (n > 1 ? left + pw * (c) / (n - 1) : left + pw / 2)
    #define S_Y(v) (top + ph - ph * ((v) / max))
    //  x labels: at most about eight, evenly spaced, the last one always
    //  (and the one before it dropped when they would touch).
    int step = n > 8 ? (n + 7) / 8 : 1;
    for (int c = 0; c < n; c++) {
        bool regular = c % step == 0 && (step == 1 || n - 1 - c > step / 2);
        if (regular || c == n - 1) {
            fprintf (out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">",
                     S_X (c), h - bottom + 16);
            svg_chart_escape (out, self->columns [c]);
            fputs ("</text>\n", out);
        }
    }
    if (!isnan (self->target)) {
        fprintf (out, "<line class=\"target\" x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\""
                 " stroke=\"#D55E00\" stroke-dasharray=\"6 4\" data-target=\"%.17g\"/>"
                 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#D55E00\">%s</text>\n",
                 left, left + pw, S_Y (self->target), S_Y (self->target), self->target,
                 left + pw, S_Y (self->target) - 3, s_text (self, self->target, text,
                                                            sizeof text));
    }
    for (int r = 0; r < self->nrows; r++) {
        const char *colour = s_palette [(size_t) r % S_NPALETTE];
        //  One path; a missing or hidden value breaks the line (M again).
        fprintf (out, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", colour);
        bool pen = false;
        for (int c = 0; c < n; c++) {
            double v = s_value (self, r, c);
            if (isnan (v) || s_hidden (self, v)) {
                pen = false;
                continue;
            }
            fprintf (out, "%s%.1f %.1f ", pen ? "L" : "M", S_X (c), S_Y (v));
            pen = true;
        }
        fputs ("\"/>\n", out);
        for (int c = 0; c < n; c++) {
            double v = s_value (self, r, c);
            if (isnan (v))
                continue;
            bool hidden = s_hidden (self, v);
            fprintf (out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"", S_X (c),
                     hidden ? top + ph : S_Y (v), n > 60 ? "1.5" : "3",
                     hidden ? "#bbb" : colour);
            s_data (out, self, r, c, v);
            fputs ("><title>", out);
            svg_chart_escape (out, self->columns [c]);
            fputs (": ", out);
            svg_chart_escape (out, s_text (self, v, text, sizeof text));
            fputs ("</title></circle>\n", out);
        }
        if (self->nrows > 1) {
            fprintf (out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                     "<text x=\"%d\" y=\"%d\" fill=\"#333\">", left, 20 + 14 * r, colour,
                     left + 14, 29 + 14 * r);
            svg_chart_escape (out, self->rows [r]);
            fputs ("</text>\n", out);
        }
    }
    #undef S_X
    #undef S_Y
    fputs ("</svg>\n", out);
}

static void
s_bars (const svg_chart_t *self, FILE *out)
{
    const int top = 26, bar = 22, label = (int) (self->width * 0.34), after = 70;
    int w = self->width, h = top + bar * (self->ncolumns ? self->ncolumns : 1) + 8;
    double pw = w - label - after;
    double max = s_max (self);
    s_open (out, self, w, h);
    char text [32];
    if (self->ncolumns == 0 || self->nrows == 0)
        fprintf (out, "<text x=\"4\" y=\"%d\" fill=\"#777\">–</text>\n", top + 14);
    for (int c = 0; c < self->ncolumns && self->nrows > 0; c++) {
        double v = s_value (self, 0, c);
        double y = top + bar * c;
        bool shown = !isnan (v) && !s_hidden (self, v);
        fprintf (out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333\">", label - 6,
                 y + 15);
        svg_chart_escape (out, self->columns [c]);
        fprintf (out, "</text><rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\""
                 " fill=\"%s\"", label, y + 3, shown ? pw * v / max : 0.0, bar - 6,
                 s_palette [0]);
        s_data (out, self, 0, c, v);
        fprintf (out, "/><text x=\"%.1f\" y=\"%.1f\" fill=\"#222\">",
                 label + (shown ? pw * v / max : 0) + 4, y + 15);
        svg_chart_escape (out, s_text (self, v, text, sizeof text));
        fputs ("</text>\n", out);
    }
    if (!isnan (self->target)) {
        double x = label + pw * self->target / max;
        fprintf (out, "<line class=\"target\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\""
                 " stroke=\"#D55E00\" stroke-dasharray=\"4 3\" data-target=\"%.17g\"/>\n",
                 x, x, top, h - 6, self->target);
    }
    fputs ("</svg>\n", out);
}

static void
s_heat (const svg_chart_t *self, FILE *out)
{
    const int label = 150, head = 96, cw = 46, ch = 24;
    //  The slanted column labels reach right of the last column.
    int w = label + cw * self->ncolumns + 110, h = head + ch * self->nrows + 8;
    if (w < 260)
        w = 260;
    double max = s_max (self);
    s_open (out, self, w, h);
    char text [32];
    if (self->ncolumns == 0 || self->nrows == 0)
        fprintf (out, "<text x=\"4\" y=\"40\" fill=\"#777\">–</text>\n");
    for (int c = 0; c < self->ncolumns; c++) {
        double x = label + cw * c + cw / 2.0;
        fprintf (out, "<text transform=\"translate(%.1f %d) rotate(-40)\" fill=\"#333\">", x,
                 head - 6);
        svg_chart_escape (out, self->columns [c]);
        fputs ("</text>\n", out);
    }
    for (int r = 0; r < self->nrows; r++) {
        int y = head + ch * r;
        fprintf (out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#333\">", label - 6,
                 y + 16);
        svg_chart_escape (out, self->rows [r]);
        fputs ("</text>\n", out);
        for (int c = 0; c < self->ncolumns; c++) {
            double v = s_value (self, r, c);
            bool hidden = s_hidden (self, v);
            //  White (0) to #08306b (the largest), linear in the value.
            double t = isnan (v) || hidden ? 0 : v / max;
            if (t > 1)
                t = 1;
            int red = (int) (255 - t * (255 - 8)), green = (int) (255 - t * (255 - 48)),
                blue = (int) (255 - t * (255 - 107));
            fprintf (out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" stroke=\"#fff\"",
                     label + cw * c, y, cw, ch);
            if (hidden)
                fputs (" fill=\"#d9d9d9\"", out);
            else
                fprintf (out, " fill=\"#%02x%02x%02x\"", red, green, blue);
            s_data (out, self, r, c, v);
            fprintf (out, "/>");
            if (!isnan (v) && v != 0)
                fprintf (out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s"
                         "</text>", label + cw * c + cw / 2.0, y + 16, t > 0.55 ? "#fff" : "#222",
                         hidden ? (snprintf (text, sizeof text, "&lt;%d", self->min_cell), text)
                                : s_text (self, v, text, sizeof text));
            fputc ('\n', out);
        }
    }
    fputs ("</svg>\n", out);
}

int
svg_chart_print (const svg_chart_t *self, FILE *out)
{
    assert (self);
    assert (out);
    if (self->kind == SVG_CHART_LINE)
        s_line (self, out);
    else
    if (self->kind == SVG_CHART_BARS)
        s_bars (self, out);
    else
        s_heat (self, out);
    return ferror (out) ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  Self-test: each kind drawn into memory and read back. Checks hold
//  whatever NDEBUG says.

#define S_CHECK(cond, ...) do { \
    if (!(cond)) { \
        fprintf (stderr, "svg_chart_test: FAIL (%s:%d) ", __FILE__, __LINE__); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
        abort (); \
    } \
} while (0)

static char *
s_draw (const svg_chart_t *chart)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    S_CHECK (out, "open_memstream");
    S_CHECK (svg_chart_print (chart, out) == 0, "print");
    fclose (out);
    S_CHECK (strncmp (text, "<svg ", 5) == 0, "starts with <svg: %.20s", text);
    S_CHECK (size > 7 && strcmp (text + size - 7, "</svg>\n") == 0, "ends with </svg>");
    return text;
}

static int
s_occurrences (const char *text, const char *what)
{
    int n = 0;
    for (const char *p = strstr (text, what); p; p = strstr (p + 1, what))
        n++;
    return n;
}

void
svg_chart_test (bool verbose)
{
    printf (" * svg_chart: ");
    int checks = 0;

    //  A line with a gap: two path pieces, the target, escaped title.
    svg_chart_t *c = svg_chart_new (SVG_CHART_LINE, "rate <24h> & \"more\"");
    S_CHECK (c, "new");
    int r = svg_chart_add_row (c, "answered_24h_rate");
    for (int i = 0; i < 5; i++) {
        char day [16];
        snprintf (day, sizeof day, "12-0%d", i + 1);
        S_CHECK (svg_chart_add_column (c, day) == i, "column %d", i);
    }
    double line [5] = { 0.5, 0.75, NAN, 1, 0.25 };
    for (int i = 0; i < 5; i++)
        S_CHECK (svg_chart_set (c, r, i, line [i]) == 0, "set %d", i);
    S_CHECK (svg_chart_set (c, r, 5, 1) == -1, "set past the columns");
    S_CHECK (svg_chart_set (c, 1, 0, 1) == -1, "set past the rows");
    svg_chart_set_percent (c, true);
    svg_chart_set_target (c, 0.9);
    char *text = s_draw (c);
    S_CHECK (strstr (text, "rate &lt;24h&gt; &amp; &quot;more&quot;"), "title escaped");
    S_CHECK (!strstr (text, "<24h>"), "no raw title");
    S_CHECK (s_occurrences (text, "d=\"M") == 1 && s_occurrences (text, " M") == 1,
             "the gap breaks the line in two pieces: %s", text);
    S_CHECK (strstr (text, "data-target=\"0.90000000000000002\""), "target line");
    S_CHECK (strstr (text, "data-value=\"0.75\""), "exact value in data-value");
    S_CHECK (s_occurrences (text, "data-value=") == 4, "four points with a value");
    S_CHECK (!strstr (text, "data-none"), "the missing one not drawn");
    S_CHECK (strstr (text, "75.0%"), "percent text");
    checks += 10;
    free (text);
    svg_chart_destroy (&c);
    svg_chart_destroy (&c);
    S_CHECK (c == NULL, "destroy nulls, twice is safe");

    //  Bars with the small-cell rule: 3 is "<5" and nowhere as a number.
    c = svg_chart_new (SVG_CHART_BARS, "by cause");
    r = svg_chart_add_row (c, "received");
    const char *causes [3] = { "service_attitude", "system_fault", "费用" };
    double counts [3] = { 12, 3, 0 };
    for (int i = 0; i < 3; i++) {
        svg_chart_add_column (c, causes [i]);
        svg_chart_set (c, r, i, counts [i]);
    }
    svg_chart_set_min_cell (c, 5);
    text = s_draw (c);
    S_CHECK (strstr (text, "&lt;5"), "hidden shown as <5");
    S_CHECK (!strstr (text, "data-value=\"3\""), "hidden value not in the document");
    S_CHECK (strstr (text, "data-hidden=\"1\""), "hidden marked");
    S_CHECK (strstr (text, "data-value=\"12\"") && strstr (text, "data-value=\"0\""),
             "shown values (0 identifies nobody)");
    S_CHECK (strstr (text, "费用"), "UTF-8 label kept");
    checks += 5;
    free (text);
    svg_chart_destroy (&c);

    //  Heat map: rows x columns, hidden cells grey, bounded labels.
    c = svg_chart_new (SVG_CHART_HEAT, "branch x cause");
    char long_label [200];
    memset (long_label, 0, sizeof long_label);
    for (int i = 0; i < 60; i++)
        strcat (long_label, "网");             /* 3 bytes each: 180 bytes */
    S_CHECK (svg_chart_add_row (c, long_label) == 0, "row");
    svg_chart_add_row (c, "b2");
    svg_chart_add_column (c, "c1");
    svg_chart_add_column (c, "c2");
    svg_chart_set (c, 0, 0, 7);
    svg_chart_set (c, 0, 1, 1);
    svg_chart_set (c, 1, 0, 0);
    svg_chart_set (c, 1, 1, 20);
    svg_chart_set_min_cell (c, 5);
    text = s_draw (c);
    S_CHECK (s_occurrences (text, "<rect ") == 4, "four cells");
    S_CHECK (s_occurrences (text, "data-hidden=\"1\"") == 1 && strstr (text, "#d9d9d9"),
             "one hidden cell, grey");
    S_CHECK (strstr (text, "fill=\"#08306b\""), "the largest is the darkest");
    //  The label was cut to 63 bytes = 21 whole characters.
    char cut [SVG_CHART_LABEL];
    memset (cut, 0, sizeof cut);
    for (int i = 0; i < 21; i++)
        strcat (cut, "网");
    S_CHECK (strstr (text, cut) && !strstr (text, long_label), "label cut on a character");
    checks += 4;
    free (text);
    for (int i = 2; i < SVG_CHART_MAX_ROWS; i++)
        S_CHECK (svg_chart_add_row (c, "x") == i, "row %d", i);
    S_CHECK (svg_chart_add_row (c, "x") == -1, "rows bounded");
    for (int i = 2; i < SVG_CHART_MAX_COLUMNS; i++)
        svg_chart_add_column (c, "y");
    S_CHECK (svg_chart_add_column (c, "y") == -1, "columns bounded");
    checks += 2;
    svg_chart_destroy (&c);

    //  Empty charts draw (a dash), never crash.
    for (int k = 0; k < 3; k++) {
        c = svg_chart_new ((svg_chart_kind_t) k, NULL);
        text = s_draw (c);
        free (text);
        svg_chart_destroy (&c);
        checks++;
    }
    if (verbose)
        printf ("%d checks ", checks);
    printf ("OK\n");
}
