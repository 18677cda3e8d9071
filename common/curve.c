/*  curve.c — CURVE on every ZeroMQ endpoint (see curve.h).
 *
 *  Why one zauth per process: zauth binds the process's ZAP endpoint
 *  (inproc://zeromq.zap.01) in czmq's shared context, and every socket with
 *  curve_server on asks it. A second one could not bind. So the first
 *  curve_server starts it over allow/SERVER/, and a later socket of the same
 *  process must serve the same allow list (the bus's PUB and replay both
 *  serve "bus"); asking for another is a programming error reported as -1.
 *
 *  Why the metadata travels with the certificate: zauth gives libzmq the
 *  client cert's metadata as ZMTP properties of the connection, so a
 *  request arrives with its sender's name, role and channels already on
 *  its frames (curve_peer_read). Intake needs no second key-to-name table
 *  that could disagree with the allow list.
 *
 *  Why the allow list is re-read here too: zauth checks a key when a
 *  connection is made, never after, and libzmq keeps a connection for as
 *  long as both ends live. Revoking a key (moving its public cert out of
 *  allow/SERVER/) must also stop a client that stays connected, so a
 *  server asks curve_peer_allowed on each request. A directory scan per
 *  request would cost more than the request; the directory's mtime is
 *  looked at at most once a second and the keys read again only when it
 *  changed (a rename into revoked/ changes it).
 */
#include "curve.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_RECHECK_MS 1000

struct _curve_t {
    bool on;
    char *bad_mode;             /* COMPLAINTS_CURVE neither on nor off */
    char *keys;                 /* the keys directory */
    char *name;                 /* this process's identity */
    zcert_t *cert;              /* its pair, loaded at the first curve_client */
    pthread_mutex_t lock;       /* curve_server from several threads */
    zactor_t *auth;             /* the one zauth of the process */
    char *auth_server;          /* whose allow list it serves */
    //  curve_peer_allowed's view of allow/SERVER/
    char *allow_server;
    zhashx_t *allowed;          /* public key (Z85) -> "" */
    int64_t checked_at;         /* zclock_mono of the last look */
    struct timespec mtime;      /* the directory's when last read */
    bool shrunk;                /* a key left it since curve_allow_revoked */
    char error [512];
};

static curve_t *s_default = NULL;

curve_t *
curve_new (const char *mode, const char *keys, const char *name)
{
    if (!mode || (!streq (mode, "on") && !streq (mode, "off")))
        return NULL;
    curve_t *self = (curve_t *) zmalloc (sizeof *self);
    self->on = streq (mode, "on");
    self->keys = strdup (keys && *keys ? keys : CURVE_KEYS_DIR);
    self->name = strdup (name && *name ? name : CURVE_TOOL_KEY);
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

void
curve_destroy (curve_t **self_p)
{
    assert (self_p);
    curve_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->auth);
    zcert_destroy (&self->cert);
    zhashx_destroy (&self->allowed);
    pthread_mutex_destroy (&self->lock);
    free (self->bad_mode);
    free (self->keys);
    free (self->name);
    free (self->auth_server);
    free (self->allow_server);
    free (self);
    *self_p = NULL;
}

bool curve_on (curve_t *self) { assert (self); return self->on; }
const char *curve_key_name (curve_t *self) { assert (self); return self->name; }
const char *curve_keys_dir (curve_t *self) { assert (self); return self->keys; }
const char *curve_error (curve_t *self) { assert (self); return self->error; }

static int
s_fail (curve_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
s_fail (curve_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->error, sizeof self->error, fmt, args);
    va_end (args);
    return -1;
}

bool
curve_loopback (const char *endpoint)
{
    if (!endpoint)
        return false;
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    //  A connect may name its source first: tcp://src;dst. Both must be local;
    //  the destination decides where the bytes go.
    const char *semi = strchr (host, ';');
    if (semi)
        host = semi + 1;
    if (strncmp (host, "127.", 4) == 0)
        return true;
    if (strncmp (host, "[::1]:", 6) == 0)
        return true;
    if (strncmp (host, "localhost:", 10) == 0)
        return true;
    return false;
}

/* A key pair: keys/NAME.cert (public) and its _secret beside it; NULL
 * with the reason in self->error. */
static zcert_t *
s_load_pair (curve_t *self, const char *name)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s.cert", self->keys, name);
    char secret [1100];
    snprintf (secret, sizeof secret, "%s_secret", path);
    struct stat st;
    if (stat (secret, &st)) {
        s_fail (self, "no secret key for identity \"%s\": %s: %s (create it with "
                "`complaintctl keys new %s --role ...` or `keys init`; --key / "
                "COMPLAINTS_KEY chooses the identity, --keys / COMPLAINTS_KEYS the "
                "directory)", name, secret, strerror (errno), name);
        return NULL;
    }
    //  ssh's rule: a secret others may read is no longer a secret.
    if (st.st_mode & 077) {
        s_fail (self, "%s is readable or writable by others (mode %03o): chmod 600 it",
                secret, (unsigned) (st.st_mode & 0777));
        return NULL;
    }
    zcert_t *cert = zcert_load (path);
    if (!cert)
        s_fail (self, "cannot read the key pair %s / %s", path, secret);
    return cert;
}

/* A server's public key, from keys/SERVER.cert. */
static zcert_t *
s_server_cert (curve_t *self, const char *server)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s.cert", self->keys, server);
    zcert_t *cert = zcert_load (path);
    if (!cert)
        s_fail (self, "no public key of the %s server: %s (copy it from the %s host's keys "
                "directory)", server, path, server);
    return cert;
}

static int
s_plaintext (curve_t *self, const char *server, const char *endpoint, const char *verb)
{
    if (self->bad_mode)
        return s_fail (self, "COMPLAINTS_CURVE must be \"on\" or \"off\", not \"%s\"",
                       self->bad_mode);
    if (!curve_loopback (endpoint))
        return s_fail (self, "plaintext (--curve off / COMPLAINTS_CURVE=off) is allowed only "
                       "on loopback (tcp://127.x, tcp://[::1], tcp://localhost, ipc://, "
                       "inproc://); %s %s endpoint %s leaves the host: turn CURVE on (the "
                       "default) or use a loopback endpoint", verb, server, endpoint);
    return 0;
}

int
curve_server (curve_t *self, zsock_t *sock, const char *server, const char *endpoint)
{
    assert (self && sock && server && endpoint);
    if (!self->on)
        return s_plaintext (self, server, endpoint, "binding the");
    pthread_mutex_lock (&self->lock);
    //  A server's identity is its own name, whatever --key says about the
    //  client side of the process (the analytics daemon is both).
    zcert_t *server_cert = s_load_pair (self, server);
    int rc = server_cert ? 0 : -1;
    if (rc == 0) {
        char allow [1024];
        snprintf (allow, sizeof allow, "%s/allow/%s", self->keys, server);
        struct stat st;
        if (stat (allow, &st) || !S_ISDIR (st.st_mode))
            rc = s_fail (self, "no allow list for the %s server: %s is not a directory "
                         "(`complaintctl keys init` makes it)", server, allow);
        else
        if (self->auth && !streq (self->auth_server, server))
            rc = s_fail (self, "one process serves one allow list: %s already, not %s",
                         self->auth_server, server);
        else
        if (!self->auth) {
            //  Synchronous: once zsock_wait returns, the store is loaded
            //  and the ZAP handler answers.
            self->auth = zactor_new (zauth, NULL);
            assert (self->auth);
            zstr_sendx (self->auth, "CURVE", allow, NULL);
            zsock_wait (self->auth);
            self->auth_server = strdup (server);
        }
    }
    if (rc == 0) {
        zcert_apply (server_cert, sock);
        zsock_set_curve_server (sock, 1);
        zsock_set_zap_domain (sock, server);
    }
    zcert_destroy (&server_cert);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
curve_client (curve_t *self, zsock_t *sock, const char *server, const char *endpoint)
{
    assert (self && sock && server && endpoint);
    if (!self->on)
        return s_plaintext (self, server, endpoint, "connecting to the");
    pthread_mutex_lock (&self->lock);
    if (!self->cert)
        self->cert = s_load_pair (self, self->name);
    int rc = self->cert ? 0 : -1;
    zcert_t *server_cert = rc == 0 ? s_server_cert (self, server) : NULL;
    if (rc == 0 && !server_cert)
        rc = -1;
    if (rc == 0) {
        zcert_apply (self->cert, sock);
        zsock_set_curve_serverkey (sock, zcert_public_txt (server_cert));
    }
    zcert_destroy (&server_cert);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

//  --------------------------------------------------------------------------
//  Peers

static void
s_copy (char *dst, size_t size, const char *src)
{
    snprintf (dst, size, "%s", src ? src : "");
}

/* Both kinds of frame carry the connection's properties; one reader. */
typedef const char *(s_property_fn) (void *frame, const char *property);

static const char *
s_msg_property (void *frame, const char *property)
{
    return zmq_msg_gets ((zmq_msg_t *) frame, property);
}

static const char *
s_frame_property (void *frame, const char *property)
{
    return zframe_meta ((zframe_t *) frame, property);
}

static void
s_peer_read (curve_t *self, void *frame, s_property_fn *gets, curve_peer_t *peer)
{
    assert (self && frame && peer);
    memset (peer, 0, sizeof *peer);
    if (!self->on) {
        s_copy (peer->name, sizeof peer->name, CURVE_LOCAL);
        s_copy (peer->role, sizeof peer->role, CURVE_LOCAL);
        s_copy (peer->channels, sizeof peer->channels, "*");
        peer->status = true;
        return;
    }
    const char *key = gets (frame, "User-Id");
    if (!key || strlen (key) != 40)
        return;                         /* not authenticated: nothing allowed */
    peer->authenticated = true;
    s_copy (peer->key, sizeof peer->key, key);
    const char *name = gets (frame, "name");
    //  A cert without a name (made by hand) is named by its key: two such
    //  certs never share references.
    s_copy (peer->name, sizeof peer->name, name && *name ? name : key);
    s_copy (peer->role, sizeof peer->role, gets (frame, "role"));
    s_copy (peer->channels, sizeof peer->channels, gets (frame, "channels"));
    const char *status = gets (frame, "status");
    peer->status = status && (streq (status, "yes") || streq (status, "true"));
}

void
curve_peer_read (curve_t *self, zmq_msg_t *frame, curve_peer_t *peer)
{
    s_peer_read (self, frame, s_msg_property, peer);
}

void
curve_peer_read_frame (curve_t *self, zframe_t *frame, curve_peer_t *peer)
{
    s_peer_read (self, frame, s_frame_property, peer);
}

/* Read allow/SERVER/ into a new key set. */
static zhashx_t *
s_allow_load (const char *dir)
{
    zhashx_t *keys = zhashx_new ();
    assert (keys);
    zhashx_set_destructor (keys, NULL);
    zhashx_set_duplicator (keys, NULL);
    DIR *d = opendir (dir);
    if (!d)
        return keys;
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t len = strlen (e->d_name);
        if (len < 6 || strcmp (e->d_name + len - 5, ".cert") != 0)
            continue;
        char *path = zsys_sprintf ("%s/%s", dir, e->d_name);
        zcert_t *cert = path ? zcert_load (path) : NULL;
        zstr_free (&path);
        if (cert) {
            zhashx_update (keys, zcert_public_txt (cert), (void *) "");
            zcert_destroy (&cert);
        }
    }
    closedir (d);
    return keys;
}

/* Bring the view of allow/SERVER/ up to date (at most one look a second)
 * and note whether a key left it since the last load of the same list.
 * Called under the lock. */
static void
s_allow_refresh (curve_t *self, const char *server)
{
    char dir [1024];
    snprintf (dir, sizeof dir, "%s/allow/%s", self->keys, server);
    int64_t now = zclock_mono ();
    bool fresh = self->allowed && self->allow_server && streq (self->allow_server, server);
    if (fresh && now - self->checked_at < S_RECHECK_MS)
        return;
    struct stat st;
    struct timespec mtime = { 0, 0 };
    if (stat (dir, &st) == 0)
        mtime = st.st_mtim;
    //  A directory changed within the last two seconds is read again
    //  even when its mtime looks the same: a filesystem with coarse
    //  timestamps could hide a second change in the same tick.
    bool recent = (int64_t) mtime.tv_sec >= zclock_time () / 1000 - 2;
    if (!fresh || recent || mtime.tv_sec != self->mtime.tv_sec
    ||  mtime.tv_nsec != self->mtime.tv_nsec) {
        zhashx_t *keys = s_allow_load (dir);
        if (fresh)
            for (void *v = zhashx_first (self->allowed); v; v = zhashx_next (self->allowed))
                if (!zhashx_lookup (keys, zhashx_cursor (self->allowed)))
                    self->shrunk = true;
        zhashx_destroy (&self->allowed);
        self->allowed = keys;
        free (self->allow_server);
        self->allow_server = strdup (server);
        self->mtime = mtime;
    }
    self->checked_at = now;
}

bool
curve_peer_allowed (curve_t *self, const char *server, const curve_peer_t *peer)
{
    assert (self && server && peer);
    if (!self->on)
        return true;
    if (!peer->authenticated)
        return false;
    pthread_mutex_lock (&self->lock);
    s_allow_refresh (self, server);
    bool allowed = zhashx_lookup (self->allowed, peer->key) != NULL;
    pthread_mutex_unlock (&self->lock);
    return allowed;
}

bool
curve_allow_revoked (curve_t *self, const char *server)
{
    assert (self && server);
    if (!self->on)
        return false;
    pthread_mutex_lock (&self->lock);
    s_allow_refresh (self, server);
    bool shrunk = self->shrunk;
    self->shrunk = false;
    pthread_mutex_unlock (&self->lock);
    return shrunk;
}

void
curve_log_revoked (const char *server, const curve_peer_t *peer)
{
    assert (server && peer);
    /* One line a second at most, per process: a revoked client that keeps
     * sending must not fill the log (the servers' metrics count them all). */
    static _Atomic int64_t logged_at = 0;
    int64_t now = zclock_mono (), last = atomic_load (&logged_at);
    if (now - last >= 1000 && atomic_compare_exchange_strong (&logged_at, &last, now))
        log_warn ("request_refused", "reason=revoked_key server=%s peer=%s", server, peer->name);
}

bool
curve_peer_may_submit (const curve_peer_t *peer, const char *channel, size_t len)
{
    assert (peer);
    const char *list = peer->channels;
    while (*list) {
        size_t n = strcspn (list, ",");
        if ((n == 1 && *list == '*') || (n == len && channel && memcmp (list, channel, len) == 0))
            return true;
        list += n + (list [n] == ',');
    }
    return false;
}

//  --------------------------------------------------------------------------
//  The process's curve

static void
s_default_destroy (void)
{
    curve_destroy (&s_default);
}

curve_t *
curve_default (void)
{
    if (!s_default) {
        const char *mode = getenv (CURVE_ENV_MODE);
        if (!mode || !*mode)
            mode = "on";
        curve_t *self = curve_new (mode, getenv (CURVE_ENV_KEYS), getenv (CURVE_ENV_KEY));
        if (!self) {
            //  Refuse, do not fall back to plaintext: the first socket
            //  fails with the reason.
            self = curve_new ("off", getenv (CURVE_ENV_KEYS), getenv (CURVE_ENV_KEY));
            self->bad_mode = strdup (mode);
        }
        curve_set_default (self);
    }
    return s_default;
}

void
curve_set_default (curve_t *self)
{
    static bool registered = false;
    if (!registered) {
        //  zsys registers its own atexit at zsys_init; handlers run in
        //  reverse order, so ours (later) runs first and zauth's sockets
        //  are closed before zsys_shutdown looks for dangling ones.
        zsys_init ();
        atexit (s_default_destroy);
        registered = true;
    }
    if (s_default != self)
        curve_destroy (&s_default);
    s_default = self;
}

//  --------------------------------------------------------------------------
//  Self-test: real sockets over loopback TCP, real certificates on disk.

#include "selftest.h"

static void
s_test_cert (const char *dir, const char *name, const char *role, const char *channels)
{
    zcert_t *cert = zcert_new ();
    assert (cert);
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    zcert_set_meta (cert, "channels", "%s", channels);
    zcert_set_meta (cert, "status", "no");
    char path [512];
    snprintf (path, sizeof path, "%s/%s.cert", dir, name);
    mode_t old = umask (077);
    int rc = zcert_save (cert, path);
    umask (old);
    assert (rc == 0);
    zcert_destroy (&cert);
}

static void
s_test_allow (const char *dir, const char *name, const char *server)
{
    char from [512], to [512];
    snprintf (from, sizeof from, "%s/%s.cert", dir, name);
    snprintf (to, sizeof to, "%s/allow/%s/%s.cert", dir, server, name);
    zcert_t *cert = zcert_load (from);
    assert (cert);
    int rc = zcert_save_public (cert, to);
    assert (rc == 0);
    zcert_destroy (&cert);
}

/* Send one request from client, return the peer the server saw, or false
 * when nothing arrived within timeout_ms. */
static bool
s_test_exchange (curve_t *server_curve, zsock_t *router, zsock_t *dealer, curve_peer_t *peer,
                 int timeout_ms)
{
    zstr_send (dealer, "hello");
    zmq_pollitem_t item = { zsock_resolve (router), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return false;
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    int rc = zmq_msg_recv (&frame, zsock_resolve (router), 0);
    assert (rc >= 0);
    //  The identity frame is the ROUTER's own: the peer's metadata comes
    //  on the frames the peer sent.
    while (zmq_msg_more (&frame)) {
        zmq_msg_close (&frame);
        zmq_msg_init (&frame);
        zmq_msg_recv (&frame, zsock_resolve (router), 0);
    }
    curve_peer_read (server_curve, &frame, peer);
    zmq_msg_close (&frame);
    return true;
}

void
curve_test (bool verbose)
{
    if (verbose)
        printf (" * curve: ");

    //  The loopback rule.
    assert (curve_loopback ("tcp://127.0.0.1:5550"));
    assert (curve_loopback ("tcp://127.1.2.3:1"));
    assert (curve_loopback ("tcp://[::1]:5550"));
    assert (curve_loopback ("tcp://localhost:5550"));
    assert (curve_loopback ("ipc:///tmp/x"));
    assert (curve_loopback ("inproc://x"));
    assert (!curve_loopback ("tcp://0.0.0.0:5550"));
    assert (!curve_loopback ("tcp://*:5550"));
    assert (!curve_loopback ("tcp://10.0.0.1:5550"));
    assert (!curve_loopback ("tcp://127.0.0.1;10.0.0.1:5550"));
    assert (!curve_loopback ("tcp://localhost.example.com:5550"));
    assert (!curve_loopback ("pgm://eth0;239.192.1.1:5555"));
    assert (!curve_loopback (NULL));

    //  Channels.
    curve_peer_t p = { .channels = "web,email" };
    assert (curve_peer_may_submit (&p, "web", 3));
    assert (curve_peer_may_submit (&p, "email", 5));
    assert (!curve_peer_may_submit (&p, "hotline", 7));
    assert (!curve_peer_may_submit (&p, "we", 2));
    snprintf (p.channels, sizeof p.channels, "*");
    assert (curve_peer_may_submit (&p, "hotline", 7));
    snprintf (p.channels, sizeof p.channels, "%s", "");
    assert (!curve_peer_may_submit (&p, "web", 3));

    //  Modes.
    assert (curve_new ("maybe", NULL, NULL) == NULL);
    curve_t *off = curve_new ("off", "/nonexistent", "x");
    zsock_t *s = zsock_new (ZMQ_ROUTER);
    assert (curve_server (off, s, CURVE_INTAKE, "tcp://127.0.0.1:1") == 0);
    assert (curve_server (off, s, CURVE_INTAKE, "tcp://0.0.0.0:1") == -1);
    assert (strstr (curve_error (off), "--curve off"));
    assert (curve_client (off, s, CURVE_BUS, "tcp://192.168.1.1:1") == -1);
    zsock_destroy (&s);
    curve_destroy (&off);

    //  Keys on disk: a server, an allowed client, an unknown one.
    char dir [] = "/tmp/curve_test_XXXXXX";
    assert (mkdtemp (dir));
    char sub [600];
    snprintf (sub, sizeof sub, "%s/allow", dir);
    mkdir (sub, 0700);
    snprintf (sub, sizeof sub, "%s/allow/intake", dir);
    mkdir (sub, 0700);
    s_test_cert (dir, "intake", "service", "");
    s_test_cert (dir, "web-1", "adapter", "web");
    s_test_cert (dir, "stranger", "adapter", "web");
    s_test_allow (dir, "web-1", CURVE_INTAKE);

    curve_t *server = curve_new ("on", dir, "intake");
    curve_t *client = curve_new ("on", dir, "web-1");
    curve_t *stranger = curve_new ("on", dir, "stranger");
    curve_t *nobody = curve_new ("on", dir, "nobody");

    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (curve_server (server, router, CURVE_INTAKE, "tcp://127.0.0.1:*") == 0);
    //  Another allow list in the same process is refused.
    zsock_t *other = zsock_new (ZMQ_ROUTER);
    assert (curve_server (server, other, CURVE_BUS, "tcp://127.0.0.1:*") == -1);
    zsock_destroy (&other);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    assert (port > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);

    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert (curve_client (client, dealer, CURVE_INTAKE, endpoint) == 0);
    zsock_connect (dealer, "%s", endpoint);
    curve_peer_t peer;
    assert (s_test_exchange (server, router, dealer, &peer, 5000));
    assert (peer.authenticated);
    assert (streq (peer.name, "web-1"));
    assert (streq (peer.role, "adapter"));
    assert (streq (peer.channels, "web"));
    assert (!peer.status);
    assert (strlen (peer.key) == 40);
    assert (curve_peer_allowed (server, CURVE_INTAKE, &peer));
    assert (!curve_allow_revoked (server, CURVE_INTAKE));     /* nothing left it */

    //  A key not in the allow list never gets a frame through.
    zsock_t *bad = zsock_new (ZMQ_DEALER);
    assert (curve_client (stranger, bad, CURVE_INTAKE, endpoint) == 0);
    zsock_connect (bad, "%s", endpoint);
    curve_peer_t none;
    assert (!s_test_exchange (server, router, bad, &none, 300));
    zsock_destroy (&bad);
    //  Neither does a plaintext client.
    zsock_t *plain = zsock_new (ZMQ_DEALER);
    zsock_connect (plain, "%s", endpoint);
    assert (!s_test_exchange (server, router, plain, &none, 300));
    zsock_destroy (&plain);
    //  An identity without a secret key is refused before connecting.
    zsock_t *nokey = zsock_new (ZMQ_DEALER);
    assert (curve_client (nobody, nokey, CURVE_INTAKE, endpoint) == -1);
    assert (strstr (curve_error (nobody), "no secret key"));
    zsock_destroy (&nokey);

    //  Revoked while connected: refused at the next look (within a second).
    char from [700], to [700];
    snprintf (from, sizeof from, "%s/allow/intake/web-1.cert", dir);
    snprintf (to, sizeof to, "%s/web-1.revoked", dir);
    assert (rename (from, to) == 0);
    zclock_sleep (S_RECHECK_MS + 100);
    assert (s_test_exchange (server, router, dealer, &peer, 5000));
    assert (!curve_peer_allowed (server, CURVE_INTAKE, &peer));
    //  ... and the list is known to have lost a key, once.
    assert (curve_allow_revoked (server, CURVE_INTAKE));
    assert (!curve_allow_revoked (server, CURVE_INTAKE));

    zsock_destroy (&dealer);
    zsock_destroy (&router);
    curve_destroy (&server);
    curve_destroy (&client);
    curve_destroy (&stranger);
    curve_destroy (&nobody);
    curve_destroy (&server);

    char cmd [700];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    int rc = system (cmd);
    assert (rc == 0);
    if (verbose)
        printf ("OK\n");
}
