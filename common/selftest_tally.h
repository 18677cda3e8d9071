/*  selftest_tally.h — the count of a self-test that reports "N passed, M
 *  failed" (the services' --selftest classes): each check counted, and
 *  printed when it fails or when asked to be verbose.
 *
 *  Interface:
 *      selftest_tally_check   count one check; print it when failed or verbose
 *      selftest_tally_end     add the passed to the caller's total, print the
 *                             class's summary when verbose, return the failed
 */
#ifndef SELFTEST_TALLY_H_INCLUDED
#define SELFTEST_TALLY_H_INCLUDED

#include <stdbool.h>

typedef struct {
    int passed, failed;
} selftest_tally_t;

void selftest_tally_check (selftest_tally_t *self, bool verbose, bool ok, const char *what);

/* name: the class, for the " * NAME: N passed, M failed" line (NULL: none). */
int selftest_tally_end (selftest_tally_t *self, bool verbose, const char *name, int *passed);

#endif
