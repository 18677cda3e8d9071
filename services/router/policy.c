/*  policy.c — the router's policy files as one unit (see policy.h). */
#include "policy.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _policy_t {
    directory_t *dir;
    rules_t *rules;
    priority_t *priority;
    jrt_t *jrt;
    dir_tokens_t tokens;
    bool tokens_managed;
    char summary [160];
};

policy_t *
policy_load (const policy_paths_t *paths, conf_error_t *err)
{
    assert (paths && err);
    policy_t *self = calloc (1, sizeof *self);
    assert (self);
    self->dir = directory_load (paths->directory, err);
    if (self->dir)
        self->rules = rules_load_with (paths->rules, self->dir, err);
    if (self->rules)
        self->priority = priority_load (paths->thresholds, err);
    if (self->priority)
        self->jrt = jrt_load (paths->jrt, err);
    if (self->jrt) {
        self->tokens_managed = paths->tokens && *paths->tokens;
        if (directory_tokens_load (self->dir, paths->tokens, &self->tokens, err) == 0) {
            snprintf (self->summary, sizeof self->summary,
                      "rules=%zu departments=%zu staff=%zu tokens=%s%zu", rules_count (self->rules),
                      directory_dept_count (self->dir), directory_staff_count (self->dir),
                      self->tokens_managed ? "" : "unmanaged:", self->tokens.count);
            return self;
        }
    }
    policy_destroy (&self);
    return NULL;
}

void
policy_destroy (policy_t **self_p)
{
    assert (self_p);
    policy_t *self = *self_p;
    if (!self)
        return;
    //  The rules point into the directory: free them first.
    rules_destroy (&self->rules);
    priority_destroy (&self->priority);
    jrt_destroy (&self->jrt);
    directory_tokens_destroy (&self->tokens);
    directory_destroy (&self->dir);
    free (self);
    *self_p = NULL;
}

const directory_t *policy_directory (const policy_t *self) { return self->dir; }
const priority_t *policy_priority (const policy_t *self) { return self->priority; }
const char *policy_summary (const policy_t *self) { return self->summary; }

const dir_tokens_t *
policy_tokens (const policy_t *self)
{
    return self->tokens_managed ? &self->tokens : NULL;
}

void
policy_decide (const policy_t *self, const policy_input_t *in, policy_decision_t *out)
{
    assert (self && in && out);
    memset (out, 0, sizeof *out);
    rules_input_t rin = { in->product, in->category, in->channel, in->subject, in->body,
                          in->branch, in->referral };
    rules_classify (self->rules, &rin, &out->r);

    //  Flags: the keyword rules' plus the facts — a complaint forwarded by
    //  a regulator, an amount over the threshold, a repeat complainant.
    bool has_amount = false;
    double amount = 0;
    if (in->amount && *in->amount) {
        char *end = NULL;
        amount = strtod (in->amount, &end);
        has_amount = end && *end == 0;
    }
    for (int i = 0; rules_all_flags [i]; i++) {
        const char *flag = rules_all_flags [i];
        bool set = false;
        for (size_t k = 0; k < out->r.nflags; k++)
            set = set || strcmp (out->r.flags [k], flag) == 0;
        if (strcmp (flag, "regulator") == 0)
            set = set || (in->channel && strcmp (in->channel, "regulator") == 0);
        if (strcmp (flag, "large_amount") == 0)
            set = has_amount && amount >= priority_large_amount (self->priority);
        if (strcmp (flag, "repeat") == 0)
            set = in->repeat;
        if (set && out->nflags < RULES_MAX_FLAGS)
            out->flags [out->nflags++] = flag;
    }
    out->jrt_channel = jrt_channel (self->jrt, in->channel);
    out->jrt_business = jrt_business (self->jrt, out->r.business_line);
    out->jrt_cause = jrt_cause (self->jrt, out->r.cause);
    priority_input_t pin = { in->channel, out->r.business_line, out->r.cause, out->flags,
                             out->nflags, has_amount, amount, in->referral };
    priority_decide (self->priority, &pin, &out->p);
}

#include "selftest.h"

int
policy_test (bool verbose, const policy_paths_t *shipped, int *passed)
{
    int failed = 0;
    if (verbose)
        printf (" * directory\n");
    failed += directory_test (verbose, shipped ? shipped->directory : NULL, passed);
    if (verbose)
        printf (" * rules\n");
    failed += rules_test (verbose, shipped ? shipped->rules : NULL,
                          shipped ? shipped->directory : NULL, passed);
    if (verbose)
        printf (" * priority\n");
    failed += priority_test (verbose, shipped ? shipped->thresholds : NULL, passed);
    if (verbose)
        printf (" * jrt\n");
    failed += jrt_test (verbose, shipped ? shipped->jrt : NULL, passed);
    if (shipped) {
        conf_error_t err;
        policy_t *policy = policy_load (shipped, &err);
        if (policy)
            (*passed)++;
        else {
            failed++;
            fprintf (stderr, "policy_test: FAIL shipped policy refused: %s:%d: %s\n",
                     err.file, err.line, err.reason);
        }
        if (policy) {
            //  Facts that are not keywords: the channel, the amount, repeat.
            policy_input_t in = { .channel = "regulator", .subject = "x", .body = "y",
                                  .amount = "80000.00", .repeat = true };
            policy_decision_t d;
            policy_decide (policy, &in, &d);
            char flags [200] = "";
            for (size_t i = 0; i < d.nflags; i++) {
                strcat (flags, d.flags [i]);
                strcat (flags, " ");
            }
            if (strcmp (flags, "regulator large_amount repeat ") == 0 && d.p.major
            &&  d.p.priority == 1 && d.r.unroutable
            &&  strcmp (d.r.department, "complaint_office") == 0)
                (*passed)++;
            else {
                failed++;
                fprintf (stderr, "policy_test: FAIL facts: flags '%s' major %d P%d dept %s\n",
                         flags, d.p.major, d.p.priority, d.r.department);
            }
            policy_destroy (&policy);
        }
    }
    return failed;
}
