/*  intake_calendars.c — intake's calendars, reloaded on SIGHUP (see
 *  intake_calendars.h).
 *
 *  The set in use is case_task's (an atomic pointer the writers read once
 *  per deadline); this holder owns it and the sets it replaced. A reload
 *  that fails, or whose folder has no calendar of the default's name (a
 *  case with no clock yet counts on it), keeps the old set: half a folder
 *  is never swapped in. At most S_MAX_RETIRED sets wait for the writers;
 *  a reload beyond that is refused (try again), as the vetting policy's.
 */
#include "intake_calendars.h"
#include "calendar.h"
#include "case_task.h"
#include "log.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_RETIRED 8

struct _intake_calendars_t {
    char *dir, *default_name;
    calendars_t *current;
    calendars_t *retired [S_MAX_RETIRED];
    int nretired;
};

static void
s_log_refused (const intake_calendars_t *self, const conf_error_t *err, const char *keeping)
{
    char q [400];
    log_error ("calendars_refused", "dir=%s path=%s line=%d reason=%s keeping=%s", self->dir,
               err->file, err->line, log_quote (q, sizeof q, err->reason), keeping);
}

/* The folder, whole, with the default calendar in it; NULL with err. */
static calendars_t *
s_load (const intake_calendars_t *self, conf_error_t *err)
{
    calendars_t *set = calendars_load_dir (self->dir, err);
    if (set && !calendars_find (set, self->default_name)) {
        conf_error_set (err, self->dir, 0, "no calendar named %s (--default-calendar)",
                        self->default_name);
        calendars_destroy (&set);
    }
    return set;
}

intake_calendars_t *
intake_calendars_new (const char *dir, const char *default_name)
{
    intake_calendars_t *self = calloc (1, sizeof *self);
    assert (self);
    self->dir = strdup (dir);
    self->default_name = strdup (default_name && *default_name ? default_name : "cn");
    assert (self->dir && self->default_name);
    conf_error_t err;
    self->current = calendars_load_dir (dir, &err);
    if (!self->current)
        log_error ("calendars_not_loaded", "dir=%s reason=task deadlines cannot be counted",
                   dir);
    case_task_calendars (self->current, self->default_name);
    return self;
}

int
intake_calendars_reload (void *arg)
{
    intake_calendars_t *self = arg;
    conf_error_t err;
    if (self->nretired == S_MAX_RETIRED) {
        conf_error_set (&err, self->dir, 0, "older calendars still in use; try again");
        s_log_refused (self, &err, "old");
        return -1;
    }
    calendars_t *fresh = s_load (self, &err);
    if (!fresh) {
        s_log_refused (self, &err, self->current ? "old" : "none");
        return -1;
    }
    if (self->current)
        self->retired [self->nretired++] = self->current;
    self->current = fresh;
    case_task_calendars (fresh, self->default_name);
    log_info ("calendars_loaded", "dir=%s calendars=%zu default=%s", self->dir,
              calendars_count (fresh), self->default_name);
    return 0;
}

void
intake_calendars_idle (intake_calendars_t *self)
{
    while (self && self->nretired > 0)
        calendars_destroy (&self->retired [--self->nretired]);
}

void
intake_calendars_destroy (intake_calendars_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_calendars_t *self = *self_p;
    case_task_calendars (NULL, NULL);
    intake_calendars_idle (self);
    calendars_destroy (&self->current);
    free (self->dir);
    free (self->default_name);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Self-test (no store): the shipped folder loads and is set; a reload of a
//  folder without the default calendar is refused and the old one kept; a
//  good reload swaps and retires, freed when idle.

#define S_CHECK(what, cond) do { \
        bool ok_ = (cond); \
        if (verbose || !ok_) \
            printf ("  %s intake_calendars: %s\n", ok_ ? "ok  " : "FAIL", what); \
        failed += !ok_; \
        *passed += ok_; \
    } while (0)

int
intake_calendars_test (bool verbose, int *passed)
{
    int failed = 0;
    intake_calendars_t *self = intake_calendars_new ("deploy/calendars", "cn");
    const calendar_t *first = case_task_default_calendar ();
    S_CHECK ("the shipped folder is loaded and its cn calendar set", first != NULL);
    free (self->dir);
    self->dir = strdup ("tests/data/calendars");        /* gb and cn_hours: no cn */
    S_CHECK ("a folder without the default calendar is refused",
             intake_calendars_reload (self) == -1);
    S_CHECK ("... and the old set kept", case_task_default_calendar () == first
                                          && self->nretired == 0);
    free (self->dir);
    self->dir = strdup ("deploy/calendars");
    S_CHECK ("the folder read again is swapped in", intake_calendars_reload (self) == 0
             && case_task_default_calendar () != NULL && case_task_default_calendar () != first);
    S_CHECK ("the replaced set waits for the writers", self->nretired == 1);
    intake_calendars_idle (self);
    S_CHECK ("... and is freed when they are idle", self->nretired == 0);
    intake_calendars_destroy (&self);
    intake_calendars_destroy (&self);
    S_CHECK ("destroyed: no calendar set", case_task_default_calendar () == NULL && !self);
    return failed;
}
