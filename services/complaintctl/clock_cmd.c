/*  clock_cmd.c — `complaintctl clock` (being written: issue 4). */
#include "ctl.h"
#include <stdio.h>

int
ctl_clock (int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf (stderr, "complaintctl clock: not built yet\n");
    return 2;
}
