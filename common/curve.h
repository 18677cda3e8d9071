/*  curve.h — CURVE on every ZeroMQ endpoint: who a process is, which
 *  servers it trusts, and who may talk to it (ARCHITECTURE.md invariant 10;
 *  docs/security.md "Transport (CURVE)").
 *
 *  Every process has one identity: a zcert pair in the keys directory,
 *  NAME.cert (public, with the metadata name, role, channels, status) and
 *  NAME.cert_secret (mode 0600). A server (intake, bus, analytics) applies
 *  its own pair to the sockets it binds, turns on curve_server with its name
 *  as the ZAP domain, and starts one zauth actor per process over the
 *  allow-list directory allow/SERVER/ of public certs: a client whose key
 *  is not there never completes the handshake. A client applies its own
 *  pair and the server's public key, SERVER.cert, before it connects.
 *
 *      keys/NAME.cert, NAME.cert_secret    identities (on a host: its own)
 *      keys/SERVER.cert                     servers' public keys (every host)
 *      keys/allow/intake/, allow/bus/, allow/analytics/   who may connect
 *      keys/revoked/                        public certs taken out of allow/
 *
 *  Plaintext only when the operator turned CURVE off (--curve off,
 *  COMPLAINTS_CURVE=off) *and* the endpoint stays on the host (tcp://127.x,
 *  tcp://[::1], tcp://localhost, ipc://, inproc://); anything else is
 *  refused with the reason (curve_error), and the daemon does not start.
 *
 *  Peers. zauth hands libzmq the client's public key ("User-Id") and its
 *  cert's metadata, which arrive on every frame that peer sent (not on the
 *  identity frame a ROUTER adds: that one is the socket's own);
 *  curve_peer_read turns them into a curve_peer_t (name, role, channels,
 *  status). A server re-checks a peer against its allow list on each
 *  request (curve_peer_allowed), so a key revoked while its connection
 *  stays open is refused on its next request; the list is read again at
 *  most once a second, and only when the directory changed.
 *
 *  The process's curve. Tools (complaintctl, the benchmarks) and library
 *  code (event_stream, the daemon's bus SUB) use curve_default (): made on
 *  first use from COMPLAINTS_CURVE, COMPLAINTS_KEYS and COMPLAINTS_KEY
 *  (default identity "operator"), destroyed at exit. Daemons replace it
 *  from their flags first (common/daemon.c: --curve, --keys, --key).
 *
 *  Interface:
 *      curve_new / curve_destroy
 *      curve_server          before bind: own cert, curve_server, ZAP, zauth
 *      curve_client          before connect: own cert and the server's key
 *      curve_on, curve_key_name, curve_keys_dir, curve_error
 *      curve_peer_read       who sent this frame
 *      curve_peer_read_frame the same, for a czmq frame
 *      curve_peer_allowed    still in the allow list (cached <= 1 s)
 *      curve_allow_revoked   did a key leave the allow list (the bus's PUB)
 *      curve_log_revoked     one log line a second for refused requests
 *      curve_peer_may_submit is this channel among the cert's channels
 *      curve_loopback        does this endpoint stay on the host
 *      curve_default, curve_set_default
 *      curve_test
 */
#ifndef CURVE_H_INCLUDED
#define CURVE_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

/* The servers, as named in keys/ and allow/. */
#define CURVE_INTAKE     "intake"
#define CURVE_BUS        "bus"
#define CURVE_ANALYTICS  "analytics"

#define CURVE_ENV_MODE   "COMPLAINTS_CURVE"      /* on (default) | off */
#define CURVE_ENV_KEYS   "COMPLAINTS_KEYS"       /* the keys directory */
#define CURVE_ENV_KEY    "COMPLAINTS_KEY"        /* a tool's identity */
#define CURVE_KEYS_DIR   "var/keys"
#define CURVE_TOOL_KEY   "operator"

/* The name a plaintext peer gets (submitter of its complaints). */
#define CURVE_LOCAL      "local"

typedef struct _curve_t curve_t;

/* Who is on the other end of a request. */
typedef struct {
    bool authenticated;         /* CURVE with a known key; false: plaintext */
    char key [41];              /* the client's public key, Z85 ("" plaintext) */
    char name [64];             /* the cert's name ("local" under plaintext) */
    char role [16];             /* adapter, analyst, staff, service ("local") */
    char channels [256];        /* "web,email", or "*": any */
    bool status;                /* the cert allows the status view */
} curve_peer_t;

/* mode: "on" or "off" (anything else: NULL); keys: the directory; name:
 * this process's identity. Nothing is read until a socket is secured. */
curve_t *curve_new (const char *mode, const char *keys, const char *name);
void curve_destroy (curve_t **self_p);

/* Secure a socket before it binds at endpoint as server (CURVE_INTAKE, ...).
 * 0, or -1 with curve_error: plaintext off loopback, a missing or unreadable
 * key, no allow directory. Thread-safe (the bus's replay thread). */
int curve_server (curve_t *self, zsock_t *sock, const char *server, const char *endpoint);
/* Secure a socket before it connects to server at endpoint; 0 or -1 as above. */
int curve_client (curve_t *self, zsock_t *sock, const char *server, const char *endpoint);

bool curve_on (curve_t *self);
const char *curve_key_name (curve_t *self);
const char *curve_keys_dir (curve_t *self);
const char *curve_error (curve_t *self);

/* The peer of a frame received on a socket secured by curve_server. Under
 * plaintext: "local", every channel, status allowed (the operator trusts
 * whatever runs on the host). */
void curve_peer_read (curve_t *self, zmq_msg_t *frame, curve_peer_t *peer);
/* The same for a frame czmq received (zmsg_recv): a frame from the wire,
 * not the identity frame a ROUTER adds. */
void curve_peer_read_frame (curve_t *self, zframe_t *frame, curve_peer_t *peer);
/* false when the peer's key left allow/server/ (revoked) since it
 * connected. Reads the directory at most once a second. */
bool curve_peer_allowed (curve_t *self, const char *server, const curve_peer_t *peer);
/* Did a key leave allow/server/ since the last call (or since the list was
 * first read)? Reads the directory at most once a second, like
 * curve_peer_allowed; false under plaintext. For a server that cannot ask
 * per request (the bus's PUB: a subscriber sends nothing) and must drop
 * its connections instead, so that every client passes zauth again. */
bool curve_allow_revoked (curve_t *self, const char *server);
/* Log a request refused for a revoked key: one line a second at most. */
void curve_log_revoked (const char *server, const curve_peer_t *peer);
bool curve_peer_may_submit (const curve_peer_t *peer, const char *channel, size_t len);

/* Does endpoint stay on this host (plaintext allowed with --curve off)? */
bool curve_loopback (const char *endpoint);

/* The process's curve (see above); never NULL (an invalid COMPLAINTS_CURVE
 * counts as on, and curve_error says so at the first socket). */
curve_t *curve_default (void);
/* Take ownership of self as the process's curve (the old one is destroyed).
 * NULL destroys it now: a program that calls zsys_shutdown itself must do
 * so first, or the zauth actor would outlive czmq's context. */
void curve_set_default (curve_t *self);

void curve_test (bool verbose);

#endif
