/*  hotspot.h — is this a hot spot, is it still one, has it cooled: PURE
 *  (no store, no clock, no I/O), so every rule is tested as a table, the way
 *  services/watchdog/sla_plan.c is.
 *
 *  The analytics daemon owns the counting and the state; this decides. For
 *  each rule (hotspot_rules.h) and each key it groups by — (branch, cause),
 *  a customer's pseudonym, a cause — the daemon reads what the store counts
 *  and the key's state (open or not, since when), calls a judge, keeps the
 *  state it returns, and appends the event it packs to the outbox in the
 *  same transaction (invariant 3):
 *
 *      window rules (outlet, repeat_customer)   hotspot_window_judge
 *          in: complaints of the key in (now - window, now], the first and
 *              last of them, up to rule->samples complaint numbers
 *          opened      count >= rule->count and it was not open
 *          still open  open, and count > rule->clear
 *          cleared     open, and count <= rule->clear
 *
 *      surge                                    hotspot_day_judge
 *          in: today's count so far (the bank's calendar day), the counts
 *              of the complete days before it, today's bounds
 *          lambda = mean of the last min (ndays, rule->baseline_days) days;
 *          P = P(X >= today | X ~ Poisson (lambda)), hotspot_poisson_tail
 *          opened      P <= rule->p and today >= rule->min
 *          still open  P <= rule->keep and today >= rule->min (the hot day
 *                      is extended to today's end), or less than rule->cool
 *                      after the end of the last hot day
 *          cleared     open, and rule->cool has passed since the last hot day
 *          undecided   fewer than rule->min_days days of history
 *
 *  Why a whole-day lambda for a part of a day: today's count only grows, so
 *  "today so far >= x" implies "the whole day >= x", and P(so far >= x) <=
 *  P(day >= x) <= p: the test keeps its level at any hour, without a model
 *  of how complaints spread over the day, and looking a hundred times a day
 *  is no multiple testing (the day is significant at some moment exactly
 *  when it is at its end). The price: a morning surge is seen later than a
 *  test with an hourly profile would see it.
 *
 *  Each hot spot is told once (opened) while it stays hot and once when it
 *  clears; "still open" tells nothing. hotspot_*_event packs the event of a
 *  decision with the one packer proto/events.c declares.
 *
 *  Interface:
 *      hotspot_window_judge / hotspot_day_judge   the verdicts
 *      hotspot_window_event / hotspot_day_event   their events (or none)
 *      hotspot_removed_event                      a removed rule's open row, cleared
 *      hotspot_poisson_tail                       P(X >= x | lambda)
 *      hotspot_verdict_name
 *      hotspot_test                               self-test
 */
#ifndef HOTSPOT_H_INCLUDED
#define HOTSPOT_H_INCLUDED

#include "hotspot_rules.h"
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

/* One key's state, kept by the store between judgements. Zeroed: never hot. */
typedef struct {
    bool open;
    int64_t opened_at;              /* unix ms: when analytics.hotspot was told */
    int64_t hot_until;              /* surge: the end of the last day the test held */
} hotspot_state_t;

/* The key of one hot spot. Only the values the rule groups by are read
 * (outlet: branch and cause or business_line; repeat_customer: customer,
 * the pseudonym; surge: cause or business_line); the events carry nil for
 * the others, whatever the caller passed. */
typedef struct {
    const char *branch, *cause, *business_line, *customer;
} hotspot_key_t;

/* A window rule's counts at `now`. */
typedef struct {
    int64_t now;                    /* unix ms: the store's app_now () */
    int64_t count;                  /* complaints of the key in (now - window, now] */
    int64_t first_at, last_at;      /* the first and last of them */
    const char *const *samples;     /* complaint numbers among them, latest first */
    size_t nsamples;                /* the first rule->samples are told */
} hotspot_window_t;

/* A surge rule's counts at `now`. */
typedef struct {
    int64_t now;
    int64_t day_start, day_end;     /* today in the bank's calendar zone: [start, end) */
    int64_t today;                  /* complaints of the key in [day_start, now] */
    int64_t first_at, last_at;      /* today's first and last */
    const int64_t *days;            /* complete days before today, the latest first; */
    size_t ndays;                   /*   only days the store has data for (history) */
    const char *const *samples;     /* today's complaint numbers, latest first */
    size_t nsamples;
} hotspot_day_t;

typedef enum {
    HOTSPOT_QUIET,                  /* not hot, was not hot */
    HOTSPOT_OPENED,                 /* tell: analytics.hotspot */
    HOTSPOT_STILL_OPEN,             /* hot, already told */
    HOTSPOT_CLEARED,                /* tell: analytics.hotspot_cleared */
    HOTSPOT_UNDECIDED               /* surge: too little history; state unchanged */
} hotspot_verdict_t;

typedef struct {
    hotspot_verdict_t verdict;
    hotspot_state_t before;         /* the state judged (for the cleared event) */
    hotspot_state_t state;          /* what the store keeps for the key now */
    double baseline;                /* surge: lambda, complaints a day */
    int baseline_days;              /* surge: the days lambda is over */
    double p_value;                 /* surge: P(X >= today | lambda); else 0 */
} hotspot_decision_t;

void hotspot_window_judge (const hotspot_rule_t *rule, const hotspot_state_t *before,
                           const hotspot_window_t *in, hotspot_decision_t *out);
void hotspot_day_judge (const hotspot_rule_t *rule, const hotspot_state_t *before,
                        const hotspot_day_t *in, hotspot_decision_t *out);

/* The event a decision calls for, packed into buf (cleared first): returns
 * its type ("analytics.hotspot", "analytics.hotspot_cleared"), or NULL when
 * there is nothing to tell (buf left empty). */
const char *hotspot_window_event (msgpack_sbuffer *buf, const hotspot_rule_t *rule,
                                  const hotspot_key_t *key, const hotspot_window_t *in,
                                  const hotspot_decision_t *decision);
const char *hotspot_day_event (msgpack_sbuffer *buf, const hotspot_rule_t *rule,
                               const hotspot_key_t *key, const hotspot_day_t *in,
                               const hotspot_decision_t *decision);

/* The analytics.hotspot_cleared of an open hot spot whose rule is no longer
 * in hotspots.conf (reason "rule_removed"), or whose rule of that name now
 * is of another kind or groups by other keys ("rule_changed"), packed into
 * buf (cleared first) from its stored row: the kind and rule name as
 * stored, the key's non-empty values ('' is what the rule did not group
 * by), the count and window last told. Returns the event's type. */
const char *hotspot_removed_event (msgpack_sbuffer *buf, const char *kind, const char *rule,
                                   const hotspot_key_t *key, int64_t count, const char *window,
                                   int64_t opened_at, int64_t now, const char *reason);

/* P(X >= x) for X ~ Poisson (lambda): 1 for x <= 0, 0 for lambda = 0 and
 * x >= 1; else the regularised lower incomplete gamma P(x, lambda), summed
 * in log space (series below x + 1, Lentz's continued fraction above), to
 * ~1e-14 relative and without underflow down to ~1e-300. */
double hotspot_poisson_tail (int64_t x, double lambda);

const char *hotspot_verdict_name (hotspot_verdict_t verdict);

void hotspot_test (bool verbose);

#endif
