/*  case_zone.c — which zone a case's times are shown in (issue 16 §3:
 *  "Staff tools show every time in the case's calendar zone with the zone
 *  written").
 *
 *  A case is counted on a calendar (its SLA clocks': the watchdog's policy
 *  chooses one per department, deploy/sla/policy.conf), and a calendar
 *  names its zone (deploy/calendars/NAME.conf, `timezone`). A branch in
 *  Hong Kong and one in Tokyo each read their cases' times as their own
 *  wall clock, with the offset written, so a reader elsewhere is not
 *  misled. The calendars are read from the same folder the watchdog reads
 *  (--calendars DIR, as its flag; COMPLAINTS_CALENDARS), once per command.
 *  A calendar this machine does not have, or a case the watchdog has not
 *  planned yet, falls back to the bank's zone — still written.
 *
 *  Interface (ctl.h): ctl_case_zones_load, ctl_case_zone,
 *  ctl_case_calendar; ctl_show_zone lives beside the formatting it steers
 *  (options.c).
 */
#include "ctl.h"
#include "calendar.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static calendars_t *s_calendars;
static bool s_loaded;

static void
s_unload (void)
{
    calendars_destroy (&s_calendars);
}

void
ctl_case_zones_load (const char *flag)
{
    if (s_loaded)
        return;
    s_loaded = true;
    char dir [PATH_MAX];
    ctl_calendars_dir (flag, dir, sizeof dir);
    conf_error_t err = { 0 };
    s_calendars = calendars_load_dir (dir, &err);
    char why [600];
    if (!s_calendars)
        fprintf (stderr, "complaintctl: the calendars in %s cannot be read (%s): times are in"
                 " the bank's zone, %s\n", dir, conf_error_format (&err, why, sizeof why),
                 ctl_bank_zone ());
    else
        atexit (s_unload);
}

const char *
ctl_case_zone (const char *calendar)
{
    const calendar_t *cal = s_calendars && calendar ? calendars_find (s_calendars, calendar)
                                                    : NULL;
    return cal ? calendar_timezone (cal) : NULL;
}

const char *
ctl_case_calendar (const json_t *clocks)
{
    //  [0] the running clocks' earliest due, [1] the finished ones'
    const char *best [2] = { NULL, NULL };
    json_int_t due_at [2] = { 0, 0 };
    size_t i;
    json_t *k;
    json_array_foreach (clocks, i, k) {
        const char *cal = json_string_value (json_object_get (k, "calendar"));
        const char *state = json_string_value (json_object_get (k, "state"));
        const json_t *due = json_object_get (k, "due_at");
        if (!cal || !state || !json_is_integer (due))
            continue;
        int finished = strcmp (state, "met") == 0 || strcmp (state, "cancelled") == 0;
        if (!best [finished] || json_integer_value (due) < due_at [finished]) {
            best [finished] = cal;
            due_at [finished] = json_integer_value (due);
        }
    }
    return best [0] ? best [0] : best [1];
}
