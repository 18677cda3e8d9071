/*  local_time.h — a moment as people read it: the local date and time in
 *  the process's zone (TZ: the bank's calendar zone, which every daemon
 *  that shows times to people sets from --timezone), with the offset
 *  written, "2026-12-05 10:31 +08:00".
 *
 *  One shape for every message a person reads (an error that names a
 *  receipt or a window's end, complaintctl's tables), so a time is never
 *  shown without its zone and never in two styles.
 *
 *  Interface:
 *      local_time_format   ms since the epoch -> "YYYY-MM-DD HH:MM +HH:MM"
 *      local_time_format_deadline   the same, but a deadline at the end of
 *                          a day reads "2026-12-18 24:00 +08:00", as the
 *                          notifier's messages write it, not "12-19 00:00"
 *      local_time_zone_enter / _leave   TZ set for one conversion, then
 *                          given back (a tool showing several zones)
 *      local_time_test
 */
#ifndef LOCAL_TIME_H_INCLUDED
#define LOCAL_TIME_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOCAL_TIME_SIZE 32

/* Write ms (since the epoch, may be negative) into buf in the current TZ;
 * returns buf ("?" when the time cannot be shown). */
const char *local_time_format (int64_t ms, char *buf, size_t size);

/* As local_time_format; a local midnight is written as 24:00 of the day
 * before: a deadline "by the end of Friday" reads as Friday. */
const char *local_time_format_deadline (int64_t ms, char *buf, size_t size);

/* Set TZ to zone for the conversions that follow; returns the TZ to give
 * back to local_time_zone_leave (NULL: there was none). The zone is set
 * for the one conversion and the caller's TZ put back, so a command that
 * prints times of several zones cannot leave the wrong one behind. */
char *local_time_zone_enter (const char *zone);
void local_time_zone_leave (char *saved);

void local_time_test (bool verbose);

#endif
