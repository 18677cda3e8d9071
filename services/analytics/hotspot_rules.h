/*  hotspot_rules.h — deploy/analytics/hotspots.conf: what counts as a hot
 *  spot (see hotspot_rules.c for the format, docs/analytics.md "Hot spots"
 *  for the meaning). PURE: text in, validated rules out.
 *
 *  Three kinds of rule, each from the seeds' accountability triggers (seed
 *  004, 第十二條 问责机制):
 *
 *      outlet           the same branch/outlet and the same cause (or
 *                       business line) at least `count` times within a
 *                       sliding `window` — "同一银行网点，发生客户多次投诉同类
 *                       问题" (item 3);
 *      repeat_customer  one customer (their pseudonym) at least `count`
 *                       times within `window` — "导致客户多次投诉" (item 2);
 *      surge            today's count for a cause or a business line far
 *                       above its trailing baseline: a Poisson upper-tail
 *                       test (hotspot.h).
 *
 *  A file is taken whole or not at all: the first mistake refuses it with
 *  file:line, the field at fault and why (conf_error_t), so a daemon that
 *  reloads on SIGHUP keeps the rules in force.
 *
 *  Interface:
 *      hotspot_rules_load / hotspot_rules_parse   a file / text -> rules
 *      hotspot_rules_destroy
 *      hotspot_rules_count / _get / _find         the rules, in file order
 *      hotspot_rules_summary                      one log line's worth
 *      hotspot_kind_name / hotspot_by_name        "outlet", "branch_cause"
 *      hotspot_span_format                        ms -> "30d", "12h"
 *      hotspot_rules_test                         self-test
 */
#ifndef HOTSPOT_RULES_H_INCLUDED
#define HOTSPOT_RULES_H_INCLUDED

#include "conf.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOTSPOT_MAX_RULES    64
#define HOTSPOT_NAME_SIZE    64
#define HOTSPOT_SPAN_SIZE    16

typedef enum {
    HOTSPOT_OUTLET, HOTSPOT_REPEAT_CUSTOMER, HOTSPOT_SURGE, HOTSPOT_KINDS
} hotspot_kind_t;

/* What a rule groups complaints by: the key of one hot spot. */
typedef enum {
    HOTSPOT_BY_BRANCH_CAUSE,    /* outlet: (branch, cause) */
    HOTSPOT_BY_BRANCH_LINE,     /* outlet: (branch, business line) */
    HOTSPOT_BY_CUSTOMER,        /* repeat_customer: the pseudonym */
    HOTSPOT_BY_CAUSE,           /* surge: the cause */
    HOTSPOT_BY_LINE,            /* surge: the business line */
    HOTSPOT_BYS
} hotspot_by_t;

typedef struct {
    char name [HOTSPOT_NAME_SIZE];      /* `name`, else KIND.BY; unique in the file */
    char label [HOTSPOT_NAME_SIZE];     /* "hotspots.conf:12", for logs */
    hotspot_kind_t kind;
    hotspot_by_t by;
    int samples;                        /* complaint numbers in the event, 1..EVENTS_MAX_LIST */
    //  outlet, repeat_customer: open at >= count in (now - window, now];
    //  clear at <= clear (the hysteresis band: clear < count)
    int64_t count, clear;
    int64_t window_ms;
    char window [HOTSPOT_SPAN_SIZE];    /* "30d", as the events print it */
    //  surge: open when P(X >= today | lambda) <= p and today >= min; stays
    //  open through any later day where P <= keep and today >= min; clears
    //  `cool` after the end of the last such day
    int baseline_days;                  /* trailing days the mean is over */
    int min_days;                       /* fewer days of history: no verdict */
    double p, keep;
    int64_t min;
    int64_t cool_ms;
} hotspot_rule_t;

typedef struct _hotspot_rules_t hotspot_rules_t;

/* NULL with err set (file, line, "FIELD: reason") on any mistake. */
hotspot_rules_t *hotspot_rules_load (const char *path, conf_error_t *err);
hotspot_rules_t *hotspot_rules_parse (const char *file, const char *text, size_t size,
                                      conf_error_t *err);
void hotspot_rules_destroy (hotspot_rules_t **self_p);

size_t hotspot_rules_count (const hotspot_rules_t *self);
const hotspot_rule_t *hotspot_rules_get (const hotspot_rules_t *self, size_t index);
/* NULL when no rule has that name. */
const hotspot_rule_t *hotspot_rules_find (const hotspot_rules_t *self, const char *name);
/* "rules=4 outlet=1 repeat_customer=1 surge=2" */
const char *hotspot_rules_summary (const hotspot_rules_t *self);

const char *hotspot_kind_name (hotspot_kind_t kind);
const char *hotspot_by_name (hotspot_by_t by);

/* A span as the file writes it: whole days "30d", else whole hours "12h",
 * else minutes "90m". */
void hotspot_span_format (int64_t ms, char *out, size_t size);

void hotspot_rules_test (bool verbose);

#endif
