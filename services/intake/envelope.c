/*  envelope.c — the first step of every request on intake's ROUTER socket
 *  (see envelope.h): can it be answered, and does its body decode?
 *
 *  Kept apart from main.c's loop so the self-test runs the very function
 *  the loop runs on every frame list: the shapes a broken or hostile peer
 *  can send (no delimiter, two delimiters, a body after the body, nothing
 *  but an identity) and the bodies (not msgpack, over the frame limit, not
 *  a map, an unknown op) each get the verdict the loop acts on.
 */
#include "envelope.h"

#include <assert.h>
#include <string.h>

zmsg_t *
envelope_recv (zsock_t *router, bool *dropped)
{
    return envelope_recv_from (router, dropped, NULL, 0, NULL, NULL);
}

zmsg_t *
envelope_recv_from (zsock_t *router, bool *dropped, char *address, size_t address_size,
                    curve_t *curve, curve_peer_t *peer)
{
    assert (router && dropped);
    if (address && address_size)
        *address = 0;
    *dropped = false;
    if (peer)
        memset (peer, 0, sizeof *peer);
    void *sock = zsock_resolve (router);
    zmsg_t *msg = NULL;
    size_t frames = 0;
    while (true) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, sock, frames ? 0 : ZMQ_DONTWAIT) < 0) {
            /* EAGAIN before the first frame: nothing queued. Later frames
             * of a message are always there (libzmq delivers a message
             * whole), so a failure then is an interruption. */
            zmq_msg_close (&part);
            zmsg_destroy (&msg);
            return NULL;
        }
        bool more = zmq_msg_more (&part);
        /* The identity part is made by the ROUTER socket and carries no
         * metadata; the parts from the wire do. */
        if (frames == 1 && address && address_size) {
            const char *from = zmq_msg_gets (&part, "Peer-Address");
            snprintf (address, address_size, "%s", from ? from : "");
        }
        if (frames == 1 && curve && peer)
            curve_peer_read (curve, &part, peer);
        if (++frames <= ENVELOPE_MAX_FRAMES) {
            if (!msg)
                msg = zmsg_new ();
            zmsg_addmem (msg, zmq_msg_data (&part), zmq_msg_size (&part));
        }
        else
            zmsg_destroy (&msg);        /* over the limit: read on, keep nothing */
        zmq_msg_close (&part);
        if (!more)
            break;
    }
    *dropped = msg == NULL;
    return msg;
}

bool
envelope_valid (zmsg_t *msg)
{
    assert (msg);
    size_t n = zmsg_size (msg);
    if (n < 3 || n > ENVELOPE_MAX_FRAMES)
        return false;
    /* Frame 0 is the identity the ROUTER socket added (never inspected);
     * the first empty frame after it must be the one just before the body.
     * Every frame before the body is echoed in the reply: bounded. */
    zframe_t *frame = zmsg_first (msg);
    for (size_t i = 0; i < n - 1; i++, frame = zmsg_next (msg)) {
        if (zframe_size (frame) > ENVELOPE_MAX_FRAME_SIZE)
            return false;
        if (i > 0 && zframe_size (frame) == 0)
            return i == n - 2;
    }
    return false;
}

envelope_verdict_t
envelope_read (zmsg_t *msg, msgpack_unpacked *unpacked, request_t *req, proto_error_t *err)
{
    assert (msg && unpacked && req && err);
    if (!envelope_valid (msg))
        return ENVELOPE_DROP;
    zframe_t *body = zmsg_last (msg);
    if (request_decode (zframe_data (body), zframe_size (body), unpacked, req, err))
        return ENVELOPE_REJECT;
    return ENVELOPE_OK;
}

//  --------------------------------------------------------------------------
//  Self-test

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

/* A message of `n` frames from a pattern: 'i' identity, 't' a tag, 'e' an
 * empty frame, 'b' the body (`body`, `size`). */
static zmsg_t *
s_msg (const char *pattern, const void *body, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    for (const char *p = pattern; *p; p++) {
        if (*p == 'i')
            zmsg_addmem (msg, "\0\x80\x01\x02\x03", 5);
        else
        if (*p == 't')
            zmsg_addstr (msg, "t42");
        else
        if (*p == 'e')
            zmsg_addmem (msg, NULL, 0);
        else
            zmsg_addmem (msg, body, size);
    }
    return msg;
}

/* The verdict (and error code, "" without one) for one frame list. */
static envelope_verdict_t
s_read (const char *pattern, const void *body, size_t size, request_t *req, proto_error_t *err)
{
    zmsg_t *msg = s_msg (pattern, body, size);
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    memset (req, 0, sizeof *req);
    memset (err, 0, sizeof *err);
    envelope_verdict_t verdict = envelope_read (msg, &unpacked, req, err);
    msgpack_unpacked_destroy (&unpacked);
    zmsg_destroy (&msg);
    return verdict;
}

static bool
s_rejected (envelope_verdict_t verdict, const proto_error_t *err, const char *code,
            const char *field)
{
    return verdict == ENVELOPE_REJECT && err->code && strcmp (err->code, code) == 0
        && (!field || strcmp (err->field, field) == 0) && err->message [0];
}

/* Pack a map of string pairs: key, value, ..., NULL. */
static void
s_pack_map (msgpack_sbuffer *buf, const char *const *kv)
{
    size_t n = 0;
    while (kv [2 * n])
        n++;
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_str_with_body (&pk, kv [2 * i], strlen (kv [2 * i]));
        msgpack_pack_str_with_body (&pk, kv [2 * i + 1], strlen (kv [2 * i + 1]));
    }
}

int
envelope_test (bool verbose, int *passed)
{
    s_tally = (selftest_tally_t) { 0 };
    msgpack_sbuffer get;
    msgpack_sbuffer_init (&get);
    char no [COMPLAINT_NO_SIZE];
    complaint_no_format (no, 20260302, 1);
    s_pack_map (&get, (const char *const []) { "op", "get", "complaint_no", no, NULL });

    /* Shapes: the body is a good `get`, so only the frames decide. */
    static const struct {
        const char *pattern;
        bool valid;
        const char *what;
    } shapes [] = {
        { "ieb",   true,  "[identity][\"\"][body] is answerable" },
        { "iteb",  true,  "[identity][tag][\"\"][body] (a DEALER's tag) is answerable" },
        { "ittteb", true, "several correlation frames before the delimiter are answerable" },
        { "ib",    false, "[identity][body], no delimiter: dropped" },
        { "ie",    false, "[identity][\"\"], no body: dropped" },
        { "i",     false, "[identity] alone: dropped" },
        { "itb",   false, "[identity][tag][body], no empty delimiter: dropped" },
        { "ieeb",  false, "two delimiters before the body: dropped" },
        { "iebb",  false, "a frame after the body: dropped" },
        { "iebe",  false, "a delimiter after the body: dropped" },
        { "itbtb", false, "no delimiter among five frames: dropped" },
        { "itttteb", false, "four correlation frames (over ENVELOPE_MAX_ROUTING): dropped" },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes [0]; i++) {
        zmsg_t *msg = s_msg (shapes [i].pattern, get.data, get.size);
        bool valid = envelope_valid (msg);
        zmsg_destroy (&msg);
        request_t req;
        proto_error_t err;
        envelope_verdict_t verdict = s_read (shapes [i].pattern, get.data, get.size, &req, &err);
        s_check (verbose, valid == shapes [i].valid
                          && verdict == (shapes [i].valid ? ENVELOPE_OK : ENVELOPE_DROP),
                 shapes [i].what);
    }
    request_t req;
    proto_error_t err;
    s_check (verbose, s_read ("ieb", get.data, get.size, &req, &err) == ENVELOPE_OK
                      && req.op == REQUEST_GET && strcmp (req.u.get.complaint_no, no) == 0,
             "a good get decodes to op get with its complaint number");

    /* Bodies: a well-shaped envelope, a bad body → answered with the code. */
    s_check (verbose, s_rejected (s_read ("ieb", "", 0, &req, &err), &err, PROTO_E_MALFORMED, NULL),
             "an empty body: malformed");
    s_check (verbose, s_rejected (s_read ("ieb", "\xc1", 1, &req, &err), &err,
                                  PROTO_E_MALFORMED, NULL),
             "a body that is not msgpack (0xc1): malformed");
    s_check (verbose, s_rejected (s_read ("ieb", get.data, get.size - 1, &req, &err), &err,
                                  PROTO_E_MALFORMED, NULL),
             "a truncated body: malformed");
    size_t big_size = PROTO_MAX_MESSAGE + 1;
    char *big = malloc (big_size);
    assert (big);
    memset (big, 0x90, big_size);       /* any bytes: the size alone decides */
    s_check (verbose, s_rejected (s_read ("iteb", big, big_size, &req, &err), &err,
                                  PROTO_E_TOO_LARGE, NULL),
             "a body one byte over PROTO_MAX_MESSAGE: too_large");
    free (big);
    s_check (verbose, s_rejected (s_read ("ieb", "\x92\x01\x02", 3, &req, &err), &err,
                                  PROTO_E_NOT_A_MAP, NULL),
             "an array body: not_a_map");

    msgpack_sbuffer body;
    msgpack_sbuffer_init (&body);
    s_pack_map (&body, (const char *const []) { "op", "delete", "complaint_no", no, NULL });
    s_check (verbose, s_rejected (s_read ("ieb", body.data, body.size, &req, &err), &err,
                                  PROTO_E_UNKNOWN_OP, "op"),
             "op \"delete\": unknown_op, field op");
    msgpack_sbuffer_clear (&body);
    s_pack_map (&body, (const char *const []) { "complaint_no", no, NULL });
    s_check (verbose, s_rejected (s_read ("ieb", body.data, body.size, &req, &err), &err,
                                  PROTO_E_MISSING_FIELD, "op"),
             "no op: missing_field, field op");
    msgpack_sbuffer_clear (&body);
    s_pack_map (&body, (const char *const []) { "op", "get", "complaint_no", "12345", NULL });
    s_check (verbose, s_rejected (s_read ("ieb", body.data, body.size, &req, &err), &err,
                                  PROTO_E_INVALID_FIELD, "complaint_no"),
             "get with a malformed complaint number: invalid_field, field complaint_no");
    /* A token one byte over its bound is refused before any lookup. */
    char token [REQUEST_MAX_TOKEN + 2];
    memset (token, 'a', sizeof token - 1);
    token [sizeof token - 1] = 0;
    msgpack_sbuffer_clear (&body);
    s_pack_map (&body, (const char *const []) { "op", "queue", "token", token, NULL });
    s_check (verbose, s_rejected (s_read ("ieb", body.data, body.size, &req, &err), &err,
                                  PROTO_E_TOO_LARGE, "token"),
             "queue with a token over REQUEST_MAX_TOKEN: too_large, field token");
    msgpack_sbuffer_clear (&body);
    s_pack_map (&body, (const char *const []) { "op", "act", "complaint_no", no,
                                                "action", "demolish", "token", "x", NULL });
    s_check (verbose, s_read ("ieb", body.data, body.size, &req, &err) == ENVELOPE_REJECT
                      && strcmp (err.field, "action") == 0,
             "act with an action the lifecycle does not know: rejected, field action");
    /* An envelope frame over 255 bytes is not echoed: dropped. */
    {
        zmsg_t *msg = zmsg_new ();
        zmsg_addmem (msg, "\0\x80\x01\x02\x03", 5);
        char tag [ENVELOPE_MAX_FRAME_SIZE + 1];
        memset (tag, 't', sizeof tag);
        zmsg_addmem (msg, tag, sizeof tag);
        zmsg_addmem (msg, NULL, 0);
        zmsg_addmem (msg, get.data, get.size);
        s_check (verbose, !envelope_valid (msg), "a 256-byte correlation frame: dropped");
        zmsg_destroy (&msg);
    }
    /* envelope_recv keeps at most ENVELOPE_MAX_FRAMES: a 1000-frame message
     * is read whole and dropped, the next good one comes through. */
    {
        zsock_t *router = zsock_new_router ("inproc://envelope-test");
        zsock_t *dealer = zsock_new_dealer (">inproc://envelope-test");
        assert (router && dealer);
        zsock_set_rcvtimeo (router, 2000);
        zmsg_t *bomb = zmsg_new ();
        for (int i = 0; i < 1000; i++)
            zmsg_addstr (bomb, "t");
        zmsg_addmem (bomb, NULL, 0);
        zmsg_addmem (bomb, get.data, get.size);
        zmsg_send (&bomb, dealer);
        zmsg_t *good = zmsg_new ();
        zmsg_addstr (good, "t42");
        zmsg_addmem (good, NULL, 0);
        zmsg_addmem (good, get.data, get.size);
        zmsg_send (&good, dealer);
        zpoller_t *poller = zpoller_new (router, NULL);
        zpoller_wait (poller, 2000);
        bool dropped = false;
        zmsg_t *first = envelope_recv (router, &dropped);
        s_check (verbose, !first && dropped, "envelope_recv: 1002 frames are dropped, not kept");
        zpoller_wait (poller, 2000);
        zmsg_t *second = envelope_recv (router, &dropped);
        s_check (verbose, second && !dropped && zmsg_size (second) == 4 && envelope_valid (second),
                 "envelope_recv: the next request arrives whole (4 frames)");
        zmsg_destroy (&first);
        zmsg_destroy (&second);
        zpoller_destroy (&poller);
        zsock_destroy (&dealer);
        zsock_destroy (&router);
    }
    /* Unknown keys are refused, named; a body of many values is refused
     * before msgpack-c allocates an object for each. */
    msgpack_sbuffer_clear (&body);
    s_pack_map (&body, (const char *const []) { "op", "get", "complaint_no", no,
                                                "colour", "red", NULL });
    s_check (verbose, s_rejected (s_read ("ieb", body.data, body.size, &req, &err), &err,
                                  PROTO_E_UNKNOWN_FIELD, "colour"),
             "get with a key it does not take: unknown_field, field colour");
    msgpack_sbuffer_clear (&body);
    {
        msgpack_packer pk;
        msgpack_packer_init (&pk, &body, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 2);
        proto_pack_kv_cstr (&pk, "op", "get");
        proto_pack_cstr (&pk, "x");
        msgpack_pack_array (&pk, PROTO_MAX_OBJECTS);
        for (int i = 0; i < PROTO_MAX_OBJECTS; i++)
            msgpack_pack_nil (&pk);
    }
    s_check (verbose, s_rejected (s_read ("ieb", body.data, body.size, &req, &err), &err,
                                  PROTO_E_TOO_LARGE, ""),
             "a request of more than PROTO_MAX_OBJECTS values: too_large");
    /* A bad body in a bad envelope is dropped, not answered: no address. */
    s_check (verbose, s_read ("ib", "\xc1", 1, &req, &err) == ENVELOPE_DROP && !err.code,
             "a bad body without a delimiter is dropped, not answered");
    msgpack_sbuffer_destroy (&body);
    msgpack_sbuffer_destroy (&get);
    return selftest_tally_end (&s_tally, verbose, "envelope", passed);
}
