/*  selftest_tally.c — the count of a self-test (see selftest_tally.h). */
#include "selftest_tally.h"

#include <stdio.h>

void
selftest_tally_check (selftest_tally_t *self, bool verbose, bool ok, const char *what)
{
    if (ok)
        self->passed++;
    else
        self->failed++;
    if (verbose || !ok)
        printf ("  %s %s\n", ok ? "ok  " : "FAIL", what);
}

int
selftest_tally_end (selftest_tally_t *self, bool verbose, const char *name, int *passed)
{
    if (verbose && name)
        printf (" * %s: %d passed, %d failed\n", name, self->passed, self->failed);
    *passed += self->passed;
    return self->failed;
}
