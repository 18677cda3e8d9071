/*  calendar_cmd.c — `complaintctl calendar` (being written: issue 4). */
#include "ctl.h"
#include <stdio.h>

int
ctl_calendar (int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf (stderr, "complaintctl calendar: not built yet\n");
    return 2;
}
