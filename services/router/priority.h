/*  priority.h — priority (P1-P4), the amount and repeat thresholds, the
 *  default priority, and what makes a complaint major, from a policy file
 *  (deploy/routing/priority.conf, format in docs/routing.md):
 *
 *      set large_amount 50000           # amount >= this: flag large_amount
 *      set repeat_days 30               # same pseudonym within: flag repeat
 *      set default_priority 4
 *      major flag media                 # any matching line: major
 *      major flag fraud  amount >= 50000
 *      priority 1 major                 # first matching line wins
 *      priority 2 flag regulator
 *
 *  A `major` or `priority` line is a list of terms, all of which must hold:
 *  `major`, `flag NAME`, `amount OP NUMBER` (OP: >= > <= <), `channel = A|B`,
 *  `line = A|B`, `cause = A|B`, `always`. Every decision names its line.
 *
 *  Deadlines are not routing: the SLA watchdog sets them from
 *  deploy/sla/policy.conf, and `set resolution_days` (the router's old
 *  calendar-day due date) is refused with a message pointing there.
 *
 *  Interface: priority_load, priority_decide, priority_large_amount,
 *  priority_repeat_days, priority_destroy, priority_test
 */
#ifndef PRIORITY_H_INCLUDED
#define PRIORITY_H_INCLUDED

#include "rules.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct _priority_t priority_t;

typedef struct {
    const char *channel, *business_line, *cause;
    const char *const *flags;     /* all flags, large_amount and repeat included */
    size_t nflags;
    bool has_amount;
    double amount;
    const char *referral;         /* complaint.referral_source; NULL: came directly */
} priority_input_t;

typedef struct {
    int priority;                  /* 1..4 */
    const char *priority_rule;     /* "priority.conf:12", or "default" */
    bool major;
    const char *major_rule;        /* the first major line that held, or NULL */
} priority_result_t;

priority_t *priority_load (const char *path, conf_error_t *err);
void priority_destroy (priority_t **self_p);
void priority_decide (const priority_t *self, const priority_input_t *in,
                      priority_result_t *out);
double priority_large_amount (const priority_t *self);
int priority_repeat_days (const priority_t *self);
int priority_test (bool verbose, const char *shipped, int *passed);

#endif
