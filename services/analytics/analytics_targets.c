/*  analytics_targets.c — the targets file (see analytics_targets.h).
 *
 *  Why a file and not flags: targets are the bank's policy, reviewed and
 *  changed by the complaint office (quarterly, per seed 002), and a SIGHUP
 *  applies a change without a restart; a bad edit is refused whole, so a
 *  typo never leaves the daemon answering against half a policy.
 */
#include "analytics_targets.h"
#include "analytics_request.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _analytics_targets_t {
    char calendar [64];
    double target [16];             /* by analytics_rates index; -1: none */
};

static int
s_line (void *arg, conf_cursor_t *c)
{
    analytics_targets_t *self = (analytics_targets_t *) arg;
    char *words [4];
    int n = conf_split (c, words, 4);
    if (n < 0)
        return -1;
    int rc = 0;
    if (n == 2 && strcmp (words [0], "calendar") == 0) {
        if (self->calendar [0])
            rc = conf_fail (c, "a second calendar line");
        else
        if (strlen (words [1]) >= sizeof self->calendar)
            rc = conf_fail (c, "calendar name too long");
        else
            snprintf (self->calendar, sizeof self->calendar, "%s", words [1]);
    }
    else
    if (n == 4 && strcmp (words [0], "target") == 0) {
        int rate = analytics_rate_index (words [1], strlen (words [1]));
        char *end = NULL;
        double value = strtod (words [3], &end);
        if (rate < 0)
            rc = conf_fail (c, "unknown rate '%s' (answered_24h_rate, satisfaction_rate, "
                            "closure_rate, decided_15d_rate, decided_30d_rate, "
                            "decided_60d_rate, valid_rate)", words [1]);
        else
        if (strcmp (words [2], ">=") != 0)
            rc = conf_fail (c, "expected '>=' after %s, got '%s'", words [1], words [2]);
        else
        if (!end || *end || !isfinite (value) || value < 0 || value > 1)
            rc = conf_fail (c, "target '%s' is not a number from 0 to 1", words [3]);
        else
        if (self->target [rate] >= 0)
            rc = conf_fail (c, "a second target for %s", words [1]);
        else
            self->target [rate] = value;
    }
    else
        rc = conf_fail (c, "expected 'calendar NAME' or 'target RATE >= NUMBER'");
    conf_words_free (words, n);
    return rc;
}

static analytics_targets_t *
s_new (void)
{
    analytics_targets_t *self = (analytics_targets_t *) calloc (1, sizeof *self);
    for (size_t i = 0; i < sizeof self->target / sizeof self->target [0]; i++)
        self->target [i] = -1;
    return self;
}

static analytics_targets_t *
s_finish (analytics_targets_t *self, int rc, const char *file, conf_error_t *err)
{
    if (rc == 0 && !self->calendar [0])
        rc = conf_error_set (err, file, 0, "no 'calendar NAME' line");
    if (rc)
        analytics_targets_destroy (&self);
    return self;
}

analytics_targets_t *
analytics_targets_load (const char *path, conf_error_t *err)
{
    analytics_targets_t *self = s_new ();
    conf_limits_t limits = { 1024, 64 * 1024 };
    return s_finish (self, conf_read (path, &limits, err, s_line, self), path, err);
}

analytics_targets_t *
analytics_targets_parse (const char *file, const char *text, conf_error_t *err)
{
    analytics_targets_t *self = s_new ();
    conf_limits_t limits = { 1024, 64 * 1024 };
    return s_finish (self, conf_parse (file, text, strlen (text), &limits, err, s_line, self),
                     file, err);
}

void
analytics_targets_destroy (analytics_targets_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

const char *
analytics_targets_calendar (const analytics_targets_t *self)
{
    return self->calendar;
}

double
analytics_targets_get (const analytics_targets_t *self, int rate)
{
    return rate >= 0 && rate < 16 ? self->target [rate] : -1;
}

#include "selftest_tally.h"

int
analytics_targets_load_with_calendar (const char *targets_path, const char *calendars_dir,
                                      const calendar_t *current, analytics_targets_t **targets,
                                      calendars_t **calendars, const calendar_t **calendar,
                                      conf_error_t *err)
{
    analytics_targets_t *t = analytics_targets_load (targets_path, err);
    calendars_t *cs = t ? calendars_load_dir (calendars_dir, err) : NULL;
    const calendar_t *c = cs ? calendars_find (cs, analytics_targets_calendar (t)) : NULL;
    if (cs && !c)
        conf_error_set (err, targets_path, 0, "no calendar %s in %s",
                        analytics_targets_calendar (t), calendars_dir);
    if (c && current && strcmp (calendar_timezone (c), calendar_timezone (current)) != 0) {
        conf_error_set (err, targets_path, 0, "the bank's zone changed from %s to %s: "
                        "restart analytics", calendar_timezone (current), calendar_timezone (c));
        c = NULL;
    }
    if (!c) {
        analytics_targets_destroy (&t);
        calendars_destroy (&cs);
        return -1;
    }
    *targets = t;
    *calendars = cs;
    *calendar = c;
    return 0;
}

int
analytics_targets_test (bool verbose, const char *path, int *passed)
{
    selftest_tally_t t = { 0 };
    conf_error_t err;
    analytics_targets_t *self = analytics_targets_load (path, &err);
    selftest_tally_check (&t, verbose, self != NULL, "the shipped targets.conf loads");
    if (self)
        selftest_tally_check (&t, verbose, strcmp (analytics_targets_calendar (self), "cn") == 0
                              && analytics_targets_get (self, 0) == 0.90
                              && analytics_targets_get (self, 1) == 0.85
                              && analytics_targets_get (self, 2) == 0.95,
                              "the seed's targets: 90 %, 85 %, 95 %");
    analytics_targets_destroy (&self);
    static const struct { const char *text; int line; const char *reason; } bad [] = {
        { "calendar cn\ntarget nps >= 0.5\n", 2, "unknown rate" },
        { "calendar cn\ntarget closure_rate > 0.5\n", 2, "expected '>='" },
        { "calendar cn\ntarget closure_rate >= 95\n", 2, "not a number from 0 to 1" },
        { "calendar cn\ntarget closure_rate >= 0.9x\n", 2, "not a number" },
        { "calendar cn\ntarget closure_rate >= 0.9\ntarget closure_rate >= 0.8\n", 3,
          "a second target" },
        { "target closure_rate >= 0.9\n", 0, "no 'calendar NAME' line" },
        { "calendar cn\ncalendar uk\n", 2, "a second calendar" },
        { "calendar\n", 1, "expected 'calendar NAME'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        self = analytics_targets_parse ("t.conf", bad [i].text, &err);
        char what [160];
        snprintf (what, sizeof what, "refused at line %d: %s", bad [i].line, bad [i].reason);
        selftest_tally_check (&t, verbose, !self && err.line == bad [i].line
                              && strstr (err.reason, bad [i].reason), what);
        analytics_targets_destroy (&self);
    }
    return selftest_tally_end (&t, verbose, "analytics_targets", passed);
}
