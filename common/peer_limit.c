/*  peer_limit.c — tries per peer, a token bucket each (see peer_limit.h).
 *
 *  A bucket is two numbers: the tokens at `at` (a fraction accrues between
 *  refills, so refills are exact however often the bucket is looked at).
 */
#include "peer_limit.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double tokens;
    int64_t at;
} s_bucket_t;

struct peer_limit_t {
    zhashx_t *buckets;          /* peer -> s_bucket_t (owned) */
    size_t max_peers;
    double burst;
    double per_ms;              /* tokens gained per millisecond */
};

peer_limit_t *
peer_limit_new (size_t max_peers, long burst, long refill_ms)
{
    assert (max_peers > 0 && burst > 0 && refill_ms > 0);
    peer_limit_t *self = calloc (1, sizeof *self);
    assert (self);
    self->buckets = zhashx_new ();
    zhashx_set_destructor (self->buckets, (zhashx_destructor_fn *) zstr_free);
    self->max_peers = max_peers;
    self->burst = (double) burst;
    self->per_ms = 1.0 / (double) refill_ms;
    return self;
}

void
peer_limit_destroy (peer_limit_t **self_p)
{
    assert (self_p);
    peer_limit_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->buckets);
    free (self);
    *self_p = NULL;
}

/* The bucket's tokens now (not stored). */
static double
s_tokens (const peer_limit_t *self, const s_bucket_t *b, int64_t now_ms)
{
    double t = b->tokens + (double) (now_ms - b->at) * self->per_ms;
    return t > self->burst ? self->burst : t;
}

/* Forget every full bucket; returns how many. */
static size_t
s_purge (peer_limit_t *self, int64_t now_ms)
{
    zlistx_t *full = zlistx_new ();
    for (s_bucket_t *b = zhashx_first (self->buckets); b; b = zhashx_next (self->buckets))
        if (s_tokens (self, b, now_ms) >= self->burst)
            zlistx_add_end (full, (void *) zhashx_cursor (self->buckets));
    size_t n = zlistx_size (full);
    for (const char *key = zlistx_first (full); key; key = zlistx_next (full))
        zhashx_delete (self->buckets, key);
    zlistx_destroy (&full);
    return n;
}

bool
peer_limit_allows (peer_limit_t *self, const char *peer, int64_t now_ms, long *retry_s)
{
    assert (self && peer);
    s_bucket_t *b = zhashx_lookup (self->buckets, peer);
    double tokens = self->burst;
    if (b)
        tokens = s_tokens (self, b, now_ms);
    else
    if (zhashx_size (self->buckets) >= self->max_peers && s_purge (self, now_ms) == 0)
        tokens = 0;             /* full of peers that owe: a new one waits */
    if (tokens >= 1.0)
        return true;
    if (retry_s) {
        *retry_s = ((long) ((1.0 - tokens) / self->per_ms) + 999) / 1000;   /* ms, rounded up */
        if (*retry_s < 1)
            *retry_s = 1;
    }
    return false;
}

void
peer_limit_charge (peer_limit_t *self, const char *peer, int64_t now_ms)
{
    assert (self && peer);
    s_bucket_t *b = zhashx_lookup (self->buckets, peer);
    if (!b) {
        if (zhashx_size (self->buckets) >= self->max_peers && s_purge (self, now_ms) == 0)
            return;             /* cannot happen: allows () said no first */
        b = malloc (sizeof *b);
        assert (b);
        b->tokens = self->burst;
        b->at = now_ms;
        zhashx_insert (self->buckets, peer, b);
    }
    double t = s_tokens (self, b, now_ms) - 1.0;
    b->tokens = t < 0 ? 0 : t;
    b->at = now_ms;
}

size_t
peer_limit_size (peer_limit_t *self)
{
    assert (self);
    return zhashx_size (self->buckets);
}

//  --------------------------------------------------------------------------
//  Self-test (intake --selftest, and selftest peer_limit): no store, no clock (times are given).

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

int
peer_limit_test (bool verbose, int *passed)
{
    s_tally = (selftest_tally_t) { 0 };
    peer_limit_t *limit = peer_limit_new (2, 3, 1000);     /* 3 at once, 1 a second */
    int64_t t = 1000000;
    bool all = true;
    for (int i = 0; i < 3; i++) {
        all &= peer_limit_allows (limit, "10.0.0.1", t, NULL);
        peer_limit_charge (limit, "10.0.0.1", t);
    }
    s_check (verbose, all, "a peer has its burst of failures");
    long retry = 0;
    s_check (verbose, !peer_limit_allows (limit, "10.0.0.1", t, &retry) && retry == 1,
             "then it is refused, and told to retry in 1 s");
    s_check (verbose, peer_limit_allows (limit, "10.0.0.2", t, NULL),
             "another peer is not");
    s_check (verbose, peer_limit_allows (limit, "10.0.0.1", t + 1000, NULL),
             "one token back after the refill time");
    peer_limit_charge (limit, "10.0.0.2", t);
    s_check (verbose, peer_limit_size (limit) == 2, "two peers remembered");
    s_check (verbose, !peer_limit_allows (limit, "10.0.0.3", t, NULL),
             "a third is refused while both owe (bounded, fail closed)");
    s_check (verbose, peer_limit_allows (limit, "10.0.0.3", t + 10000, NULL)
                      && peer_limit_size (limit) == 0,
             "once they are refilled they are forgotten and room is made");
    peer_limit_destroy (&limit);
    peer_limit_destroy (&limit);
    s_check (verbose, limit == NULL, "destroy nulls the pointer, twice is safe");
    return selftest_tally_end (&s_tally, verbose, "peer_limit", passed);
}
