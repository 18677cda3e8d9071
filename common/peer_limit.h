/*  peer_limit.h — how many tries one network peer may make: a token
 *  bucket per peer address, bounded in memory. Used by intake for failed
 *  status queries (issue 13; docs/security.md, "Status view") and by the
 *  HTTP adapters for submits and lookups per client address (issue 14).
 *
 *  A token bucket per peer address (intake: ZeroMQ's "Peer-Address" of the
 *  request, the IP, "local" on ipc/inproc; HTTP: the client's IP):
 *  `burst` tries at once, then one more every `refill_ms`. The caller
 *  decides what costs a token: intake charges only failures (a wrong or
 *  missing query code, an unknown number), so a customer who types the
 *  code right is never slowed; a peer with no token left is refused before
 *  the work is done (intake: `rate_limited`; HTTP: 429 with Retry-After).
 *
 *  Bounded: at most `max_peers` addresses are remembered. A full bucket
 *  holds no information and is forgotten when room is needed; when every
 *  remembered peer still owes, a new address is refused (fail closed): a
 *  flood of addresses cannot make the limiter forget the ones that
 *  guessed. One thread only (the caller's loop); no locking.
 *
 *  Interface:
 *      peer_limit_new / _destroy
 *      peer_limit_allows   may this peer try (has a token)? and in how long if not
 *      peer_limit_charge   this peer made a try that costs: take a token
 *      peer_limit_size     addresses remembered
 *      peer_limit_test     self-test
 */
#ifndef PEER_LIMIT_H_INCLUDED
#define PEER_LIMIT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEER_LIMIT_KEY_MAX 64

typedef struct peer_limit_t peer_limit_t;

peer_limit_t *peer_limit_new (size_t max_peers, long burst, long refill_ms);
void peer_limit_destroy (peer_limit_t **self_p);
/* true: the peer may try; false: not now, *retry_s (if given) seconds
 * until it may. */
bool peer_limit_allows (peer_limit_t *self, const char *peer, int64_t now_ms, long *retry_s);
void peer_limit_charge (peer_limit_t *self, const char *peer, int64_t now_ms);
size_t peer_limit_size (peer_limit_t *self);
int peer_limit_test (bool verbose, int *passed);

#endif
