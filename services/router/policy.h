/*  policy.h — everything the router decides by: the rules, the directory,
 *  the staff tokens, the priority thresholds and the JR/T code table,
 *  loaded and validated together, and the decision they make for one
 *  complaint.
 *
 *  The five files are one unit: the rules name departments of the directory,
 *  the tokens name its staff. policy_load reads them all (directory first)
 *  and returns a policy only when every file is valid; otherwise the error
 *  names the file, the line and the reason. The router swaps a policy in as
 *  a whole, so a bad edit to any file never leaves it with a mixture.
 *
 *  policy_decide classifies one complaint: business line, cause, flags
 *  (from keyword rules, the channel, the amount and the store's repeat
 *  check), JR/T codes, priority, major, department and cooperating
 *  departments, each with the rule that decided it.
 *
 *  Interface: policy_load, policy_destroy, policy_decide, policy_directory,
 *  policy_tokens, policy_priority, policy_summary, policy_test
 */
#ifndef POLICY_H_INCLUDED
#define POLICY_H_INCLUDED

#include "rules.h"
#include "directory.h"
#include "priority.h"
#include "jrt.h"

typedef struct _policy_t policy_t;

typedef struct {
    const char *rules, *directory, *tokens, *thresholds, *jrt;   /* tokens may be NULL */
} policy_paths_t;

typedef struct {
    const char *channel, *product, *category, *subject, *body, *branch;
    const char *amount;          /* decimal text or NULL */
    bool repeat;                 /* the store found an earlier complaint (repeat_days) */
    const char *referral;        /* who referred it (complaint.referral_source); NULL: nobody */
} policy_input_t;

typedef struct {
    rules_result_t r;            /* line, cause, department, cooperating, rules */
    const char *flags [RULES_MAX_FLAGS];   /* every flag, in the taxonomy's order */
    size_t nflags;
    const char *jrt_channel, *jrt_business, *jrt_cause;
    priority_result_t p;
} policy_decision_t;

policy_t *policy_load (const policy_paths_t *paths, conf_error_t *err);
void policy_destroy (policy_t **self_p);
void policy_decide (const policy_t *self, const policy_input_t *in, policy_decision_t *out);

const directory_t *policy_directory (const policy_t *self);
/* NULL when no tokens file is configured: the store's tokens are left alone. */
const dir_tokens_t *policy_tokens (const policy_t *self);
const priority_t *policy_priority (const policy_t *self);
/* "rules=N departments=N staff=N tokens=N" for the log. */
const char *policy_summary (const policy_t *self);

/* Self-test of every part against the shipped files (paths may be NULL). */
int policy_test (bool verbose, const policy_paths_t *shipped, int *passed);

#endif
