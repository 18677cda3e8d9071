/*  small_cells.c — the small-cell rule (see small_cells.h). */
#include "small_cells.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_compare (const void *a, const void *b)
{
    const small_cells_row_t *x = (const small_cells_row_t *) a;
    const small_cells_row_t *y = (const small_cells_row_t *) b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;            /* most complaints first */
    return strcmp (x->key ? x->key : "", y->key ? y->key : "");
}

void
small_cells_sort (small_cells_row_t *rows, size_t n)
{
    if (n > 1)
        qsort (rows, n, sizeof *rows, s_compare);
}

void
small_cells_apply (small_cells_row_t *rows, size_t n, int k)
{
    size_t hidden = 0;
    for (size_t i = 0; i < n; i++) {
        rows [i].hidden = k > 1 && rows [i].n > 0 && rows [i].n < k;
        rows [i].withheld = false;
        hidden += rows [i].hidden;
    }
    if (hidden != 1)
        return;
    size_t best = n;
    for (size_t i = 0; i < n; i++)
        if (!rows [i].hidden && rows [i].n > 0 && (best == n || rows [i].n < rows [best].n))
            best = i;
    if (best < n)
        rows [best].withheld = true;
}

#include "selftest.h"

void
small_cells_test (bool verbose)
{
    if (verbose)
        printf (" * small_cells: ");
    //  One hidden: the smallest published other is withheld (the first of
    //  two equal ones in sorted order).
    small_cells_row_t a [] = {
        { "b", 7, false, false }, { "a", 3, false, false }, { "d", 12, false, false },
        { "c", 7, false, false }, { "e", 0, false, false } };
    small_cells_sort (a, 5);
    assert (strcmp (a [0].key, "d") == 0 && strcmp (a [1].key, "b") == 0
            && strcmp (a [2].key, "c") == 0 && strcmp (a [3].key, "a") == 0);
    small_cells_apply (a, 5, 5);
    assert (a [3].hidden && !a [3].withheld);
    assert (a [1].withheld && !a [2].withheld && !a [0].withheld);
    assert (!a [4].hidden && !a [4].withheld);  /* zero points at nobody */
    //  Two hidden: nothing withheld (neither can be worked out alone).
    small_cells_row_t b [] = { { "x", 10, 0, 0 }, { "y", 2, 0, 0 }, { "z", 1, 0, 0 } };
    small_cells_apply (b, 3, 5);
    assert (b [1].hidden && b [2].hidden && !b [0].withheld);
    //  K 1: nothing hidden; applying again resets.
    small_cells_apply (a, 5, 1);
    for (size_t i = 0; i < 5; i++)
        assert (!a [i].hidden && !a [i].withheld);
    //  The only published count next to one hidden is withheld.
    small_cells_row_t c [] = { { "p", 9, 0, 0 }, { "q", 4, 0, 0 } };
    small_cells_apply (c, 2, 5);
    assert (c [0].withheld && c [1].hidden);
    if (verbose)
        printf ("OK\n");
}
