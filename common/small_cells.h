/*  small_cells.h — the small-cell rule of every published breakdown.
 *
 *  A breakdown published for people (complaintctl report, the dashboard's
 *  bulletin) never shows a count that could point at one customer: a count
 *  from 1 to K-1 is hidden ("<K"). When exactly one count of a breakdown is
 *  hidden it would still be the total minus the others, so the smallest
 *  other published count is withheld too ("x"). Zero is shown: it points
 *  at nobody. docs/analytics.md "Privacy" states the rule; this is its one
 *  implementation, for both places that publish.
 *
 *  Interface:
 *      small_cells_sort    most complaints first, ties by key
 *      small_cells_apply   set hidden and withheld for a minimum cell K
 *      small_cells_test    self-test
 */
#ifndef SMALL_CELLS_H_INCLUDED
#define SMALL_CELLS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *key;            /* the group, as the caller will print it */
    long long n;                /* its count */
    bool hidden;                /* 1 .. K-1: shown as "<K" */
    bool withheld;              /* published, but withheld so a hidden one cannot be
                                   worked out from the total: shown as "x" */
} small_cells_row_t;

void small_cells_sort (small_cells_row_t *rows, size_t n);

/* K <= 1 hides nothing. Rows sorted by small_cells_sort: the withheld one
 * is the smallest published count, the first of equals in that order. */
void small_cells_apply (small_cells_row_t *rows, size_t n, int k);

void small_cells_test (bool verbose);

#endif
