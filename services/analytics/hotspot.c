/*  hotspot.c — the verdicts on hot spots and their events (see hotspot.h).
 *
 *  Flapping, and why two thresholds. A sliding-window count moves by one
 *  at a time: up when a complaint arrives, down when one ages out. With a
 *  single threshold (hot at >= 3, cleared at < 3) an outlet with a steady
 *  trickle of complaints — 3 in the window, one ages out, a new one comes —
 *  would open and clear every few days, and the branch head would get a
 *  "new" hot spot each time for what is one problem. So a window rule opens
 *  at `count` and clears only at `clear` or below (default count / 2): the
 *  band between them is a Schmitt trigger, and a hot spot is cleared when
 *  most of what made it hot is gone, not at the first complaint that ages
 *  out. The window count needs no memory beyond "open since when".
 *
 *  A surge is about one calendar day, and today's count starts from zero
 *  at midnight: a level threshold alone would clear every surge at 00:00.
 *  So its hysteresis is in time and in level: once open it stays open while
 *  the test still holds at the looser `keep` level on a later day (that day
 *  is hot too), and it clears `cool` after the end of the last hot day. The
 *  state keeps that end (hot_until), set from the caller's day bounds, so
 *  the verdict does not depend on how often the daemon asks.
 *
 *  The Poisson tail. P(X >= x | lambda) = P(x, lambda), the regularised
 *  lower incomplete gamma function (the Poisson-gamma duality). Summing the
 *  pmf directly (1 - sum_{k<x}) loses every digit when the tail is small —
 *  exactly the values a surge test compares with 0.001 — so: for lambda <
 *  x + 1 the series P(a, z) = exp (a ln z - z - lgamma (a + 1)) * sum_n z^n
 *  / ((a+1)...(a+n)), whose prefactor is computed in log space (no
 *  overflow of z^a or a!, no underflow before the end) and whose terms are
 *  all positive (no cancellation); above, 1 - Q (a, z) with Q by Lentz's
 *  continued fraction (there P is not small, so the subtraction is safe).
 *  Numerical Recipes 6.2 and DLMF 8.9, 8.11 describe both.
 */
#include "hotspot.h"
#include "events.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_EPS       1e-16
#define S_MAX_ITER  100000
#define S_TINY      1e-300

//  --------------------------------------------------------------------------
//  The Poisson tail

//  P(a, z) by its series; z < a + 1.
static double
s_gamma_p_series (double a, double z)
{
    double sum = 1.0 / a, term = sum, ap = a;
    for (int n = 0; n < S_MAX_ITER; n++) {
        ap += 1;
        term *= z / ap;
        sum += term;
        if (term < sum * S_EPS)
            break;
    }
    //  exp (a ln z - z - lgamma (a)) * sum, with sum = (1/a) (1 + z/(a+1) + ...)
    double log_p = a * log (z) - z - lgamma (a) + log (sum);
    return exp (log_p);
}

//  Q(a, z) = 1 - P(a, z) by Lentz's continued fraction; z >= a + 1.
static double
s_gamma_q_fraction (double a, double z)
{
    double b = z + 1 - a, c = 1 / S_TINY, d = 1 / b, h = d;
    for (int i = 1; i < S_MAX_ITER; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs (d) < S_TINY)
            d = S_TINY;
        c = b + an / c;
        if (fabs (c) < S_TINY)
            c = S_TINY;
        d = 1 / d;
        double delta = d * c;
        h *= delta;
        if (fabs (delta - 1) < S_EPS)
            break;
    }
    return exp (a * log (z) - z - lgamma (a)) * h;
}

double
hotspot_poisson_tail (int64_t x, double lambda)
{
    if (x <= 0)
        return 1.0;
    if (!(lambda > 0))                  /* 0, negative or NaN: nothing is expected */
        return 0.0;
    double a = (double) x;
    double p = lambda < a + 1 ? s_gamma_p_series (a, lambda)
                              : 1.0 - s_gamma_q_fraction (a, lambda);
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

const char *
hotspot_verdict_name (hotspot_verdict_t verdict)
{
    switch (verdict) {
        case HOTSPOT_QUIET: return "quiet";
        case HOTSPOT_OPENED: return "opened";
        case HOTSPOT_STILL_OPEN: return "still_open";
        case HOTSPOT_CLEARED: return "cleared";
        case HOTSPOT_UNDECIDED: return "undecided";
    }
    return "?";
}

//  --------------------------------------------------------------------------
//  The judges

//  before may point into out (a caller feeding back the last state): copied
//  before out is cleared.
static void
s_begin (const hotspot_state_t *before, hotspot_decision_t *out)
{
    hotspot_state_t judged = before ? *before : (hotspot_state_t) { false, 0, 0 };
    memset (out, 0, sizeof *out);
    out->before = judged;
    out->state = judged;
}

void
hotspot_window_judge (const hotspot_rule_t *rule, const hotspot_state_t *before,
                      const hotspot_window_t *in, hotspot_decision_t *out)
{
    assert (rule && rule->kind != HOTSPOT_SURGE && in && out);
    s_begin (before, out);
    int64_t count = in->count > 0 ? in->count : 0;
    if (!out->before.open) {
        if (count >= rule->count) {
            out->verdict = HOTSPOT_OPENED;
            out->state = (hotspot_state_t) { true, in->now, 0 };
        }
        else
            out->verdict = HOTSPOT_QUIET;
    }
    else
    if (count <= rule->clear) {
        out->verdict = HOTSPOT_CLEARED;
        out->state = (hotspot_state_t) { false, 0, 0 };
    }
    else
        out->verdict = HOTSPOT_STILL_OPEN;
}

void
hotspot_day_judge (const hotspot_rule_t *rule, const hotspot_state_t *before,
                   const hotspot_day_t *in, hotspot_decision_t *out)
{
    assert (rule && rule->kind == HOTSPOT_SURGE && in && out && (in->days || !in->ndays));
    s_begin (before, out);
    size_t used = in->ndays < (size_t) rule->baseline_days ? in->ndays
                                                           : (size_t) rule->baseline_days;
    if (used < (size_t) rule->min_days || used == 0) {
        out->verdict = HOTSPOT_UNDECIDED;
        return;
    }
    int64_t sum = 0;
    for (size_t i = 0; i < used; i++)
        sum += in->days [i] > 0 ? in->days [i] : 0;
    int64_t today = in->today > 0 ? in->today : 0;
    out->baseline = (double) sum / (double) used;
    out->baseline_days = (int) used;
    out->p_value = hotspot_poisson_tail (today, out->baseline);
    bool enough = today >= rule->min;
    if (!out->before.open) {
        if (enough && out->p_value <= rule->p) {
            out->verdict = HOTSPOT_OPENED;
            out->state = (hotspot_state_t) { true, in->now, in->day_end };
        }
        else
            out->verdict = HOTSPOT_QUIET;
        return;
    }
    if (enough && out->p_value <= rule->keep) {
        //  Today is hot too: the surge lasts at least to its end.
        if (in->day_end > out->state.hot_until)
            out->state.hot_until = in->day_end;
        out->verdict = HOTSPOT_STILL_OPEN;
    }
    else
    if (in->now >= out->state.hot_until + rule->cool_ms) {
        out->verdict = HOTSPOT_CLEARED;
        out->state = (hotspot_state_t) { false, 0, 0 };
    }
    else
        out->verdict = HOTSPOT_STILL_OPEN;
}

//  --------------------------------------------------------------------------
//  The events

//  The head: only what the rule groups by, whatever else the key holds.
static events_hotspot_t
s_head (const hotspot_rule_t *rule, const hotspot_key_t *key)
{
    events_hotspot_t h = { hotspot_kind_name (rule->kind), rule->name, NULL, NULL, NULL, NULL };
    switch (rule->by) {
        case HOTSPOT_BY_BRANCH_CAUSE: h.branch = key->branch; h.cause = key->cause; break;
        case HOTSPOT_BY_BRANCH_LINE:
            h.branch = key->branch;
            h.business_line = key->business_line;
            break;
        case HOTSPOT_BY_CUSTOMER: h.customer = key->customer; break;
        case HOTSPOT_BY_CAUSE: h.cause = key->cause; break;
        case HOTSPOT_BY_LINE: h.business_line = key->business_line; break;
        case HOTSPOT_BYS: abort ();
    }
    return h;
}

static size_t
s_nsamples (const hotspot_rule_t *rule, size_t given)
{
    return given < (size_t) rule->samples ? given : (size_t) rule->samples;
}

const char *
hotspot_window_event (msgpack_sbuffer *buf, const hotspot_rule_t *rule,
                      const hotspot_key_t *key, const hotspot_window_t *in,
                      const hotspot_decision_t *decision)
{
    assert (buf && rule && key && in && decision);
    msgpack_sbuffer_clear (buf);
    events_hotspot_t head = s_head (rule, key);
    if (decision->verdict == HOTSPOT_OPENED) {
        events_analytics_hotspot (buf, &head, in->count, rule->window, in->first_at,
                                  in->last_at, in->samples, s_nsamples (rule, in->nsamples),
                                  rule->count, NULL, 0, NULL, decision->state.opened_at);
        return "analytics.hotspot";
    }
    if (decision->verdict == HOTSPOT_CLEARED) {
        events_analytics_hotspot_cleared (buf, &head, in->count, rule->window,
                                          decision->before.opened_at, in->now, "cooled");
        return "analytics.hotspot_cleared";
    }
    return NULL;
}

const char *
hotspot_day_event (msgpack_sbuffer *buf, const hotspot_rule_t *rule, const hotspot_key_t *key,
                   const hotspot_day_t *in, const hotspot_decision_t *decision)
{
    assert (buf && rule && key && in && decision);
    msgpack_sbuffer_clear (buf);
    events_hotspot_t head = s_head (rule, key);
    if (decision->verdict == HOTSPOT_OPENED) {
        //  Text, not a float on the wire: the event table has no float type,
        //  and what people read is these digits.
        char baseline [32], p_value [32];
        snprintf (baseline, sizeof baseline, "%.2f", decision->baseline);
        snprintf (p_value, sizeof p_value, "%.3g", decision->p_value);
        events_analytics_hotspot (buf, &head, in->today, rule->window, in->first_at,
                                  in->last_at, in->samples, s_nsamples (rule, in->nsamples),
                                  rule->min, baseline, decision->baseline_days, p_value,
                                  decision->state.opened_at);
        return "analytics.hotspot";
    }
    if (decision->verdict == HOTSPOT_CLEARED) {
        events_analytics_hotspot_cleared (buf, &head, in->today, rule->window,
                                          decision->before.opened_at, in->now, "cooled");
        return "analytics.hotspot_cleared";
    }
    return NULL;
}

//  A rule gone from the file (or changed under its name) cannot judge its
//  old keys any more: without this event its open hot spots would stay
//  open forever and whoever was told of them would never hear the end. The key is read as stored: the rule
//  that wrote it grouped by exactly its non-empty values.
static const char *
s_nonempty (const char *value)
{
    return value && *value ? value : NULL;
}

const char *
hotspot_removed_event (msgpack_sbuffer *buf, const char *kind, const char *rule,
                       const hotspot_key_t *key, int64_t count, const char *window,
                       int64_t opened_at, int64_t now, const char *reason)
{
    assert (buf && kind && rule && key && window && reason);
    msgpack_sbuffer_clear (buf);
    events_hotspot_t head = { kind, rule, s_nonempty (key->branch), s_nonempty (key->cause),
                              s_nonempty (key->business_line), s_nonempty (key->customer) };
    events_analytics_hotspot_cleared (buf, &head, count, window, opened_at, now, reason);
    return "analytics.hotspot_cleared";
}

//  --------------------------------------------------------------------------
//  Self-test: the tail against values computed to 40 digits elsewhere
//  (Python's decimal, summing the pmf), then each judge as a table of
//  (state before, counts) -> (verdict, state after), then the events.
//  Checks hold whatever NDEBUG says.

#define S_CHECK(cond, ...) do { \
    if (!(cond)) { \
        fprintf (stderr, "hotspot_test: FAIL (%s:%d) ", __FILE__, __LINE__); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
        abort (); \
    } \
} while (0)

#define S_DAY (24LL * 3600 * 1000)
#define S_T0  1772380800000LL          /* 2026-03-01T16:00Z: 2026-03-02 00:00 +08:00 */

static bool
s_close (double got, double want)
{
    if (want == 0)
        return got == 0;
    return fabs (got - want) <= fabs (want) * 1e-10;
}

static void
s_test_tail (int *checks)
{
    struct {
        int64_t x;
        double lambda, want;
    } cases [] = {
        { 10, 2, 4.649807501726380e-05 },       /* the example */
        { 1, 0.5, 3.934693402873666e-01 },       /* 1 - e^-0.5 */
        { 5, 1, 3.659846827343712e-03 },
        { 3, 3, 5.768099188731565e-01 },
        { 20, 5.5, 1.452374462715117e-06 },
        { 50, 10, 1.854726883869799e-19 },
        { 100, 100, 5.132987982791487e-01 },     /* the continued fraction's side */
        { 12, 0.25, 9.880770749612384e-17 },
        { 200, 150, 5.709688574208245e-05 },
        { 30, 28.5, 4.139479954482845e-01 },
        { 2, 10, 9.995006007726127e-01 },
        { 400, 100, 7.737430118170174e-113 },    /* log space: no underflow on the way */
        { 1000, 1, 0 },                          /* below the smallest double: 0, not NaN */
        { 0, 3, 1 }, { -2, 3, 1 },               /* P(X >= 0) = 1 */
        { 1, 0, 0 }, { 0, 0, 1 },                /* nothing expected */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        double got = hotspot_poisson_tail (cases [i].x, cases [i].lambda);
        S_CHECK (s_close (got, cases [i].want) && !isnan (got),
                 "P(X >= %lld | %g) = %.15e, want %.15e", (long long) cases [i].x,
                 cases [i].lambda, got, cases [i].want);
        (*checks)++;
    }
    S_CHECK (hotspot_poisson_tail (3, NAN) == 0, "NaN lambda");
    //  Monotone: more complaints are never less surprising.
    double last = 1;
    for (int64_t x = 0; x < 60; x++) {
        double p = hotspot_poisson_tail (x, 7.3);
        S_CHECK (p <= last && p >= 0, "monotone at %lld", (long long) x);
        last = p;
    }
    *checks += 2;
}

static const hotspot_rule_t *
s_rule (hotspot_rules_t *rules, const char *name)
{
    const hotspot_rule_t *rule = hotspot_rules_find (rules, name);
    S_CHECK (rule, "no rule %s", name);
    return rule;
}

static void
s_test_window (hotspot_rules_t *rules, int *checks)
{
    //  outlet: open at 3 in 30 days, clear at 1 or fewer.
    const hotspot_rule_t *outlet = s_rule (rules, "o");
    const hotspot_state_t closed = { false, 0, 0 };
    const hotspot_state_t open = { true, S_T0, 0 };
    struct {
        const char *what;
        const hotspot_state_t *before;
        int64_t count;
        hotspot_verdict_t verdict;
        bool open_after;
        int64_t opened_after;
    } cases [] = {
        { "nothing", &closed, 0, HOTSPOT_QUIET, false, 0 },
        { "two: below count", &closed, 2, HOTSPOT_QUIET, false, 0 },
        { "three: opened now", &closed, 3, HOTSPOT_OPENED, true, S_T0 + S_DAY },
        { "ten at once: opened once", &closed, 10, HOTSPOT_OPENED, true, S_T0 + S_DAY },
        { "no state given: as closed", NULL, 3, HOTSPOT_OPENED, true, S_T0 + S_DAY },
        { "open, four: still open, opened_at kept", &open, 4, HOTSPOT_STILL_OPEN, true, S_T0 },
        { "open, two (one aged out): still open (the band)", &open, 2, HOTSPOT_STILL_OPEN,
          true, S_T0 },
        { "open, one: cleared", &open, 1, HOTSPOT_CLEARED, false, 0 },
        { "open, none: cleared", &open, 0, HOTSPOT_CLEARED, false, 0 },
        { "a negative count is none", &open, -5, HOTSPOT_CLEARED, false, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        hotspot_window_t in = { .now = S_T0 + S_DAY, .count = cases [i].count };
        hotspot_decision_t d;
        hotspot_window_judge (outlet, cases [i].before, &in, &d);
        S_CHECK (d.verdict == cases [i].verdict && d.state.open == cases [i].open_after
                 && d.state.opened_at == cases [i].opened_after,
                 "%s: %s open=%d opened_at=%lld", cases [i].what, hotspot_verdict_name (d.verdict),
                 d.state.open, (long long) d.state.opened_at);
        (*checks)++;
    }
    //  A trickle — 3 in the window, one ages out, one arrives, and so on —
    //  opens once and never flaps; it clears when the trickle stops.
    int64_t trickle [] = { 1, 2, 3, 2, 3, 2, 3, 2, 2, 1, 0 };
    hotspot_state_t state = closed;
    int opened = 0, cleared = 0;
    for (size_t i = 0; i < sizeof trickle / sizeof trickle [0]; i++) {
        hotspot_window_t in = { .now = S_T0 + (int64_t) i * S_DAY, .count = trickle [i] };
        hotspot_decision_t d;
        hotspot_window_judge (outlet, &state, &in, &d);
        opened += d.verdict == HOTSPOT_OPENED;
        cleared += d.verdict == HOTSPOT_CLEARED;
        state = d.state;
    }
    S_CHECK (opened == 1 && cleared == 1 && !state.open, "trickle: opened %d cleared %d",
             opened, cleared);
    (*checks)++;
}

static void
s_test_day (hotspot_rules_t *rules, int *checks)
{
    //  surge: baseline 28d, p 0.001, min 5, keep 0.01, cool 1d, history 7d.
    const hotspot_rule_t *surge = s_rule (rules, "s");
    int64_t two [28], zero [28], seven [7];
    for (int i = 0; i < 28; i++) {
        two [i] = 2;
        zero [i] = 0;
    }
    for (int i = 0; i < 7; i++)
        seven [i] = 2;
    int64_t day_start = S_T0, day_end = S_T0 + S_DAY, noon = S_T0 + S_DAY / 2;
    const hotspot_state_t closed = { false, 0, 0 };
    //  Opened on the day before "today", hot until today's start.
    const hotspot_state_t open = { true, S_T0 - S_DAY / 2, S_T0 };
    struct {
        const char *what;
        const hotspot_state_t *before;
        int64_t today, now;
        const int64_t *days;
        size_t ndays;
        hotspot_verdict_t verdict;
        bool open_after;
        int64_t hot_until;
    } cases [] = {
        //  P(X >= 10 | 2) = 4.65e-05 <= 0.001, and 10 >= 5.
        { "10 on a baseline of 2/day: a surge", &closed, 10, noon, two, 28, HOTSPOT_OPENED,
          true, day_end },
        //  P(X >= 7 | 2) = 4.5e-03 > 0.001.
        { "7 on 2/day: not significant", &closed, 7, noon, two, 28, HOTSPOT_QUIET, false, 0 },
        //  P(X >= 4 | 0) = 0, but 4 < min 5.
        { "4 where there were none: below min", &closed, 4, noon, zero, 28, HOTSPOT_QUIET,
          false, 0 },
        { "5 where there were none: a surge", &closed, 5, noon, zero, 28, HOTSPOT_OPENED, true,
          day_end },
        { "six days of history: undecided", &closed, 50, noon, two, 6, HOTSPOT_UNDECIDED,
          false, 0 },
        { "seven days of history: decided", &closed, 10, noon, seven, 7, HOTSPOT_OPENED, true,
          day_end },
        { "no history at all: undecided", &closed, 10, noon, NULL, 0, HOTSPOT_UNDECIDED, false,
          0 },
        //  Open since yesterday: today P(X >= 7 | 2) = 4.5e-03 <= keep 0.01.
        { "open, 7 today: still hot (keep), to today's end", &open, 7, noon, two, 28,
          HOTSPOT_STILL_OPEN, true, day_end },
        { "open, quiet today, within cool: still open", &open, 1, noon, two, 28,
          HOTSPOT_STILL_OPEN, true, S_T0 },
        { "open, quiet, a day after the hot day ended: cleared", &open, 1, S_T0 + S_DAY, two, 28,
          HOTSPOT_CLEARED, false, 0 },
        //  P(X >= 6 | 2) = 1.7e-02 > keep.
        { "open, 6 today (not at keep), cool passed: cleared", &open, 6, S_T0 + S_DAY, two, 28,
          HOTSPOT_CLEARED, false, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        hotspot_day_t in = { .now = cases [i].now, .day_start = day_start, .day_end = day_end,
                             .today = cases [i].today, .days = cases [i].days,
                             .ndays = cases [i].ndays };
        if (cases [i].now >= day_end) {      /* the next day: its own bounds */
            in.day_start = day_end;
            in.day_end = day_end + S_DAY;
        }
        hotspot_decision_t d;
        hotspot_day_judge (surge, cases [i].before, &in, &d);
        S_CHECK (d.verdict == cases [i].verdict && d.state.open == cases [i].open_after
                 && d.state.hot_until == cases [i].hot_until,
                 "%s: %s open=%d hot_until=%lld p=%g", cases [i].what,
                 hotspot_verdict_name (d.verdict), d.state.open, (long long) d.state.hot_until,
                 d.p_value);
        (*checks)++;
    }
    //  The baseline is over at most `baseline` days: a spike 30 days ago
    //  is not in it.
    int64_t old [40];
    for (int i = 0; i < 40; i++)
        old [i] = i >= 28 ? 1000 : 2;
    hotspot_day_t in = { .now = noon, .day_start = day_start, .day_end = day_end, .today = 10,
                         .days = old, .ndays = 40 };
    hotspot_decision_t d;
    hotspot_day_judge (surge, &closed, &in, &d);
    S_CHECK (d.verdict == HOTSPOT_OPENED && d.baseline == 2 && d.baseline_days == 28
             && s_close (d.p_value, 4.649807501726380e-05),
             "baseline window: %g over %d, p %g", d.baseline, d.baseline_days, d.p_value);
    (*checks)++;
    //  A week of surges, then quiet: opened once, cleared once, a day
    //  after the last hot day.
    hotspot_state_t state = closed;
    int64_t week [] = { 10, 8, 7, 1, 0, 0 };
    int opened = 0, cleared = 0, cleared_day = -1;
    for (int day = 0; day < 6; day++) {
        //  Asked every six hours: the verdicts do not depend on how often.
        for (int q = 1; q <= 4; q++) {
            hotspot_day_t t = { .now = S_T0 + day * S_DAY + q * S_DAY / 4 - 1,
                                .day_start = S_T0 + day * S_DAY,
                                .day_end = S_T0 + (day + 1) * S_DAY,
                                .today = week [day] * q / 4, .days = two, .ndays = 28 };
            hotspot_day_judge (surge, &state, &t, &d);
            opened += d.verdict == HOTSPOT_OPENED;
            if (d.verdict == HOTSPOT_CLEARED) {
                cleared++;
                cleared_day = day;
            }
            state = d.state;
        }
    }
    //  Day 0 hot (10), day 1 kept (8: 1.1e-03), day 2 kept (7: 4.5e-03),
    //  day 3 quiet: hot until the end of day 2, cleared a day later, on day 4.
    S_CHECK (opened == 1 && cleared == 1 && cleared_day == 4, "week: opened %d cleared %d on %d",
             opened, cleared, cleared_day);
    (*checks)++;
}

static void
s_test_events (hotspot_rules_t *rules, int *checks)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_error_t err;
    const char *samples [] = { "202603020000017", "202603010000013", "202602280000011",
                               "202602270000019" };
    //  outlet: only branch and cause, whatever else the key holds; samples
    //  capped at the rule's 2.
    const hotspot_rule_t *outlet = s_rule (rules, "o");
    hotspot_key_t key = { "outlet_bj_haidian", "service_attitude", "cards",
                          "45db60af30e8adf3f661da481c70bad3" };
    hotspot_window_t in = { S_T0, 3, S_T0 - 3 * S_DAY, S_T0 - S_DAY, samples, 4 };
    hotspot_decision_t d;
    hotspot_window_judge (outlet, NULL, &in, &d);
    const char *type = hotspot_window_event (&buf, outlet, &key, &in, &d);
    S_CHECK (type && strcmp (type, "analytics.hotspot") == 0
             && events_check (type, buf.data, buf.size, &err) == 0, "outlet event: %s",
             type ? err.message : "none");
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    S_CHECK (msgpack_unpack_next (&msg, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS,
             "unpack");
    const msgpack_object *v = proto_map_get (&msg.data, "business_line");
    S_CHECK (v && v->type == MSGPACK_OBJECT_NIL && !proto_map_get (&msg.data, "customer")
             && proto_map_get (&msg.data, "samples")->via.array.size == 2
             && proto_map_get (&msg.data, "count")->via.i64 == 3
             && proto_map_get (&msg.data, "threshold")->via.i64 == 3
             && proto_map_get (&msg.data, "opened_at")->via.i64 == S_T0,
             "outlet event: what the rule groups by, two samples");
    //  Still open: nothing to tell.
    hotspot_window_judge (outlet, &d.state, &in, &d);
    S_CHECK (d.verdict == HOTSPOT_STILL_OPEN
             && !hotspot_window_event (&buf, outlet, &key, &in, &d) && buf.size == 0,
             "still open: no event");
    //  Cleared: opened_at from the state judged.
    in.count = 1;
    in.now = S_T0 + 20 * S_DAY;
    hotspot_window_judge (outlet, &d.state, &in, &d);
    type = hotspot_window_event (&buf, outlet, &key, &in, &d);
    S_CHECK (type && strcmp (type, "analytics.hotspot_cleared") == 0
             && events_check (type, buf.data, buf.size, &err) == 0, "cleared event");
    msgpack_unpacked_destroy (&msg);
    msgpack_unpacked_init (&msg);
    msgpack_unpack_next (&msg, buf.data, buf.size, NULL);
    S_CHECK (proto_map_get (&msg.data, "opened_at")->via.i64 == S_T0
             && proto_map_get (&msg.data, "cleared_at")->via.i64 == S_T0 + 20 * S_DAY,
             "cleared: opened_at, cleared_at");
    //  repeat_customer: the pseudonym, and nothing else.
    const hotspot_rule_t *repeat = s_rule (rules, "r");
    in = (hotspot_window_t) { S_T0, 3, S_T0 - 3 * S_DAY, S_T0 - S_DAY, samples, 3 };
    hotspot_window_judge (repeat, NULL, &in, &d);
    type = hotspot_window_event (&buf, repeat, &key, &in, &d);
    msgpack_unpacked_destroy (&msg);
    msgpack_unpacked_init (&msg);
    msgpack_unpack_next (&msg, buf.data, buf.size, NULL);
    S_CHECK (type && events_check (type, buf.data, buf.size, &err) == 0
             && proto_map_get (&msg.data, "branch")->type == MSGPACK_OBJECT_NIL
             && proto_map_get (&msg.data, "customer")->type == MSGPACK_OBJECT_STR,
             "repeat customer event: the pseudonym only");
    //  A surge: baseline and p as text.
    const hotspot_rule_t *surge = s_rule (rules, "s");
    int64_t two [28];
    for (int i = 0; i < 28; i++)
        two [i] = 2;
    hotspot_day_t day = { S_T0 + 3600000, S_T0, S_T0 + S_DAY, 10, S_T0 + 60000, S_T0 + 3000000,
                          two, 28, samples, 4 };
    hotspot_day_judge (surge, NULL, &day, &d);
    type = hotspot_day_event (&buf, surge, &key, &day, &d);
    msgpack_unpacked_destroy (&msg);
    msgpack_unpacked_init (&msg);
    msgpack_unpack_next (&msg, buf.data, buf.size, NULL);
    const msgpack_object *p = proto_map_get (&msg.data, "p_value");
    const msgpack_object *b = proto_map_get (&msg.data, "baseline");
    S_CHECK (type && events_check (type, buf.data, buf.size, &err) == 0
             && p->via.str.size == 8 && memcmp (p->via.str.ptr, "4.65e-05", 8) == 0
             && b->via.str.size == 4 && memcmp (b->via.str.ptr, "2.00", 4) == 0
             && proto_map_get (&msg.data, "baseline_days")->via.i64 == 28
             && proto_map_get (&msg.data, "threshold")->via.i64 == 5
             && proto_map_get (&msg.data, "branch")->type == MSGPACK_OBJECT_NIL
             && proto_map_get (&msg.data, "business_line")->type == MSGPACK_OBJECT_NIL,
             "surge event: p 4.65e-05, baseline 2.00 over 28 days, the cause only");
    //  Undecided: nothing.
    day.ndays = 3;
    hotspot_day_judge (surge, NULL, &day, &d);
    S_CHECK (d.verdict == HOTSPOT_UNDECIDED && !hotspot_day_event (&buf, surge, &key, &day, &d),
             "undecided: no event");
    //  A removed rule's open row: cleared, reason rule_removed, its stored
    //  key's non-empty values only (a repeat customer's pseudonym kept).
    hotspot_key_t stored = { "", "", "", "45db60af30e8adf3f661da481c70bad3" };
    type = hotspot_removed_event (&buf, "repeat_customer", "gone_90d", &stored, 3, "90d", S_T0,
                                  S_T0 + S_DAY, "rule_removed");
    msgpack_unpacked_destroy (&msg);
    msgpack_unpacked_init (&msg);
    msgpack_unpack_next (&msg, buf.data, buf.size, NULL);
    const msgpack_object *reason = proto_map_get (&msg.data, "reason");
    S_CHECK (strcmp (type, "analytics.hotspot_cleared") == 0
             && events_check (type, buf.data, buf.size, &err) == 0
             && reason && reason->via.str.size == 12
             && memcmp (reason->via.str.ptr, "rule_removed", 12) == 0
             && proto_map_get (&msg.data, "branch")->type == MSGPACK_OBJECT_NIL
             && proto_map_get (&msg.data, "customer")->type == MSGPACK_OBJECT_STR
             && proto_map_get (&msg.data, "cleared_at")->via.i64 == S_T0 + S_DAY,
             "removed rule: cleared, reason rule_removed, the stored key");
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);
    *checks += 9;
}

void
hotspot_test (bool verbose)
{
    printf (" * hotspot: ");
    int checks = 0;
    s_test_tail (&checks);
    const char *text =
        "outlet branch_cause count 3 window 30d clear 1 samples 2 name o\n"
        "repeat_customer customer count 3 window 90d name r\n"
        "surge cause baseline 28d p 0.001 min 5 keep 0.01 cool 1d history 7d name s\n";
    conf_error_t err;
    hotspot_rules_t *rules = hotspot_rules_parse ("t.conf", text, strlen (text), &err);
    S_CHECK (rules, "test rules: %s", err.reason);
    s_test_window (rules, &checks);
    s_test_day (rules, &checks);
    s_test_events (rules, &checks);
    hotspot_rules_destroy (&rules);
    if (verbose)
        printf ("%d checks ", checks);
    printf ("OK\n");
}
