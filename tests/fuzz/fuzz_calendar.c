/*  fuzz_calendar.c — libFuzzer target for calendar_load() and the deadline
 *  arithmetic on whatever it accepts.
 *
 *  A calendar file is written by operations, not by customers, but a typo
 *  in one must still end in a `file:line: reason` (a conf_error_t), never in a crash or a
 *  walk that does not end. Each input is written to f.conf in a private
 *  folder (calendar_load reads a path, and the calendar's name must be the
 *  file's: seeds say `name f`); what loads is then driven through every
 *  unit of calendar_add, a pause credit and shift, and the formatter, from
 *  instants inside and outside its `covers` period.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "calendar.h"

static char s_dir [64];
static char s_path [80];

/* The folder goes when the fuzzer exits (libFuzzer ends with exit ()). */
static void
s_cleanup (void)
{
    unlink (s_path);
    rmdir (s_dir);
}

static void
s_setup (void)
{
    snprintf (s_dir, sizeof s_dir, "%s", "/tmp/fuzz_calendar.XXXXXX");
    char *made = mkdtemp (s_dir);
    assert (made);
    snprintf (s_path, sizeof s_path, "%s/f.conf", s_dir);
    atexit (s_cleanup);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!*s_path)
        s_setup ();
    FILE *file = fopen (s_path, "wb");
    assert (file);
    size_t written = size ? fwrite (data, 1, size, file) : 0;
    assert (written == size);
    fclose (file);

    conf_error_t err;
    calendar_t *cal = calendar_load (s_path, &err);
    if (!cal) {
        /* a refusal always says why, and names the file */
        assert (*err.reason && strcmp (err.file, s_path) == 0 && err.line >= 0);
        return 0;
    }
    /* 2026-02-13 02:00Z, 2031-07-01 00:00Z (beyond covers), 1999-12-31 16:00Z */
    const int64_t from [] = { INT64_C(1770948000000), INT64_C(1940716800000),
                              INT64_C(946656000000) };
    const span_t spans [] = { { 0, SPAN_HOURS }, { 24, SPAN_HOURS }, { 8, SPAN_WORKING_HOURS },
                              { 5, SPAN_WORKING_DAYS }, { 15, SPAN_DAYS }, { 400, SPAN_WORKING_DAYS } };
    char text [CALENDAR_TIME_SIZE];
    for (size_t f = 0; f < sizeof from / sizeof from [0]; f++)
        for (size_t s = 0; s < sizeof spans / sizeof spans [0]; s++) {
            int64_t due = calendar_add (cal, from [f], spans [s]);
            assert (due >= from [f]);
            int64_t credit = calendar_pause_credit (cal, spans [s].unit, from [f], due);
            assert (credit >= 0);
            assert (calendar_shift (cal, spans [s].unit, due, credit) >= due);
            calendar_format_local (cal, due, span_is_days (spans [s].unit), text, sizeof text);
        }
    calendar_destroy (&cal);
    return 0;
}
