/*  evidence_request.c — decoding and packing the evidence requests
 *  (see evidence_request.h).
 *
 *  evidence_add:
 *      complaint_no   required, a valid number
 *      token          required for staff (document, recording_ref); absent
 *                     from the mail adapter (email_attachment: its CURVE
 *                     key is checked by intake's request loop)
 *      kind           document | recording_ref | email_attachment (the
 *                     last is the mail adapter's: refused with a token)
 *      name           1..255 characters, no control characters and no '/'
 *                     or '\': a file's name, never a path
 *      media_type     type/subtype of RFC 6838's restricted names, stored
 *                     lower case; no parameters
 *      content        bin, 0 < size <= REQUEST_EVIDENCE_MAX_BYTES: a
 *                     document's bytes; refused with a recording_ref
 *      reference      str 1..1024: a recording_ref's id or URI; refused
 *                     with a document
 *      email_attachment only, each required:
 *      source         1..998 bytes: "<Message-ID>#<part index>"
 *      size           1..INT32_MAX: the whole item's bytes
 *      sha256         64 lower-case hex digits: the whole item's
 *      offset         0..size-1, and offset + this content's size <= size
 *      (or, instead of content and offset, `refused` 1..300 bytes: the
 *      adapter kept no bytes, over its own limit, and says why)
 *  evidence_get: complaint_no, token, seq (>= 1).
 *
 *  A size over the limit is refused here, before any store work, with the
 *  field and the limit in the message.
 */
#include "evidence_request.h"
#include "request.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *const evidence_kinds [] = { "document", "recording_ref", "email_attachment", NULL };

bool
evidence_kind_valid (proto_str_t kind)
{
    for (size_t i = 0; evidence_kinds [i]; i++)
        if (proto_str_eq (kind, evidence_kinds [i]))
            return true;
    return false;
}

static const char *const evidence_add_keys [] = {
    "op", "complaint_no", "token", "kind", "name", "media_type", "content", "reference",
    "source", "size", "sha256", "offset", "refused", NULL
};
static const char *const evidence_get_keys [] = { "op", "complaint_no", "token", "seq", NULL };

/* A file's name: characters counted, control characters and path
 * separators refused (a name someone saves the download under). */
static int
s_name (proto_str_t name, proto_error_t *err)
{
    size_t chars = 0;
    for (size_t i = 0; i < name.len; i++) {
        unsigned char c = (unsigned char) name.ptr [i];
        chars += (c & 0xC0) != 0x80;
        if (c < 0x20 || c == 0x7F || c == '/' || c == '\\') {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "name", "name must be a file's name:"
                             " no control characters, no '/' or '\\'");
            return -1;
        }
    }
    if (chars > REQUEST_EVIDENCE_NAME_CHARS) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "name", "name is %zu characters; at most %d",
                         chars, REQUEST_EVIDENCE_NAME_CHARS);
        return -1;
    }
    if (proto_str_eq (name, ".") || proto_str_eq (name, "..")) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "name", "name must be a file's name");
        return -1;
    }
    return 0;
}

/* RFC 6838 restricted-name: first character a letter or digit, then
 * letters, digits and ! # $ & - ^ _ . + */
static bool
s_restricted_name (const char *s, size_t len)
{
    if (len == 0 || len > 63 || !isalnum ((unsigned char) s [0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!isalnum ((unsigned char) s [i]) && !strchr ("!#$&-^_.+", s [i]))
            return false;
    return true;
}

static int
s_media_type (const msgpack_object *map, char out [REQUEST_EVIDENCE_MAX_TYPE + 1],
              proto_error_t *err)
{
    proto_str_t t = { 0 };
    if (proto_get_str (map, "media_type", "media_type", true, 3, REQUEST_EVIDENCE_MAX_TYPE,
                       &t, err))
        return -1;
    const char *slash = memchr (t.ptr, '/', t.len);
    size_t head = slash ? (size_t) (slash - t.ptr) : 0;
    if (!slash || !s_restricted_name (t.ptr, head)
    ||  !s_restricted_name (slash + 1, t.len - head - 1)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "media_type", "media_type must be"
                         " type/subtype, e.g. application/pdf (no parameters)");
        return -1;
    }
    for (size_t i = 0; i < t.len; i++)
        out [i] = (char) tolower ((unsigned char) t.ptr [i]);
    out [t.len] = 0;
    return 0;
}

/* An e-mail attachment's item: source, its size and hash. */
static int
s_attachment_item (const msgpack_object *map, evidence_add_t *e, proto_error_t *err)
{
    proto_str_t sha = { 0 };
    if (proto_get_str (map, "source", "source", true, 1, REQUEST_EVIDENCE_MAX_SOURCE,
                       &e->source, err)
    ||  proto_get_int (map, "size", "size", true, 1, REQUEST_EVIDENCE_MAX_DECLARED, &e->size,
                       NULL, err)
    ||  proto_get_str (map, "sha256", "sha256", true, 64, 64, &sha, err))
        return -1;
    for (size_t i = 0; i < 64; i++)
        if (!strchr ("0123456789abcdef", sha.ptr [i]) || !sha.ptr [i]) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "sha256",
                             "sha256 must be 64 lower-case hex digits");
            return -1;
        }
    memcpy (e->sha256, sha.ptr, 64);
    e->sha256 [64] = 0;
    return 0;
}

/* One part: the item, and where this part sits. Called with e->content
 * already checked. */
static int
s_attachment_part (const msgpack_object *map, evidence_add_t *e, proto_error_t *err)
{
    if (s_attachment_item (map, e, err)
    ||  proto_get_int (map, "offset", "offset", true, 0, e->size - 1, &e->offset, NULL, err))
        return -1;
    if ((int64_t) e->content.len > e->size - e->offset) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "content", "a part of %zu bytes at offset"
                         " %lld runs past the item's size (%lld bytes)", e->content.len,
                         (long long) e->offset, (long long) e->size);
        return -1;
    }
    return 0;
}

/* The adapter kept no bytes (over its own limit): the item and why. */
static int
s_attachment_refused (const msgpack_object *map, evidence_add_t *e, proto_error_t *err)
{
    static const char *const parts [] = { "content", "offset", "reference", NULL };
    for (int i = 0; parts [i]; i++)
        if (proto_map_get (map, parts [i])) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, parts [i], "an attachment the"
                             " adapter refused carries no %s", parts [i]);
            return -1;
        }
    if (proto_get_str (map, "refused", "refused", true, 1, REQUEST_EVIDENCE_MAX_REFUSED,
                       &e->refused, err))
        return -1;
    return s_attachment_item (map, e, err);
}

int
evidence_add_decode (const msgpack_object *map, evidence_add_t *e, proto_error_t *err)
{
    memset (e, 0, sizeof *e);
    if (request_known_keys (map, evidence_add_keys, "evidence_add", err)
    ||  request_complaint_no (map, e->complaint_no, err))
        return -1;
    proto_str_t kind = { 0 };
    if (proto_get_str (map, "kind", "kind", true, 1, sizeof e->kind - 1, &kind, err))
        return -1;
    if (!evidence_kind_valid (kind)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "kind",
                         "kind must be document, recording_ref or email_attachment");
        return -1;
    }
    memcpy (e->kind, kind.ptr, kind.len);
    e->kind [kind.len] = 0;
    bool attachment = strcmp (e->kind, "email_attachment") == 0;
    if (attachment && proto_map_get (map, "token")) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "kind", "email_attachment is the mail"
                         " adapter's kind (its key, no token); staff hand in a document or a"
                         " recording_ref");
        return -1;
    }
    if (!attachment && proto_get_str (map, "token", "token", true, 1, 128, &e->token, err))
        return -1;
    if (!attachment) {
        static const char *const parts [] = { "source", "size", "sha256", "offset", "refused",
                                              NULL };
        for (int i = 0; parts [i]; i++)
            if (proto_map_get (map, parts [i])) {
                proto_error_set (err, PROTO_E_INVALID_FIELD, parts [i], "only an"
                                 " email_attachment's part carries %s", parts [i]);
                return -1;
            }
    }
    if (proto_get_str (map, "name", "name", true, 1, REQUEST_EVIDENCE_MAX_NAME, &e->name, err)
    ||  s_name (e->name, err)
    ||  s_media_type (map, e->media_type, err))
        return -1;
    if (attachment && proto_map_get (map, "refused"))
        return s_attachment_refused (map, e, err);
    bool recording = strcmp (e->kind, "recording_ref") == 0;
    const msgpack_object *content = proto_map_get (map, "content");
    if (recording) {
        if (content) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "content", "a recording_ref carries"
                             " no content: only its reference (the call system keeps it)");
            return -1;
        }
        return proto_get_str (map, "reference", "reference", true, 1, REQUEST_EVIDENCE_MAX_REF,
                              &e->reference, err);
    }
    if (proto_map_get (map, "reference")) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "reference",
                         "only a recording_ref carries a reference; a document its content");
        return -1;
    }
    if (!content) {
        proto_error_set (err, PROTO_E_MISSING_FIELD, "content", "content is required");
        return -1;
    }
    if (content->type != MSGPACK_OBJECT_BIN) {
        proto_error_set (err, PROTO_E_WRONG_TYPE, "content", "content must be binary (bin)");
        return -1;
    }
    if (content->via.bin.size == 0) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "content", "content is empty");
        return -1;
    }
    if (content->via.bin.size > REQUEST_EVIDENCE_MAX_BYTES) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "content", "content is %u bytes; one %s"
                         " may be at most %d bytes", (unsigned) content->via.bin.size,
                         attachment ? "part" : "item", REQUEST_EVIDENCE_MAX_BYTES);
        return -1;
    }
    e->content = (proto_str_t) { content->via.bin.ptr, content->via.bin.size };
    return attachment ? s_attachment_part (map, e, err) : 0;
}

int
evidence_get_decode (const msgpack_object *map, evidence_get_t *e, proto_error_t *err)
{
    memset (e, 0, sizeof *e);
    if (request_known_keys (map, evidence_get_keys, "evidence_get", err)
    ||  request_complaint_no (map, e->complaint_no, err)
    ||  proto_get_str (map, "token", "token", true, 1, 128, &e->token, err))
        return -1;
    return proto_get_int (map, "seq", "seq", true, 1, INT32_MAX, &e->seq, NULL, err);
}

void
evidence_add_pack (msgpack_sbuffer *buf, const evidence_add_t *e)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    bool part = e->source.ptr != NULL;
    bool refused = part && e->refused.ptr != NULL;
    msgpack_pack_map (&pk, 5 + (e->token.ptr != NULL) + (e->content.ptr != NULL)
                           + (e->reference.ptr != NULL) + (part ? 4 : 0));
    proto_pack_kv_cstr (&pk, "op", "evidence_add");
    proto_pack_kv_cstr (&pk, "complaint_no", e->complaint_no);
    if (e->token.ptr) {
        proto_pack_cstr (&pk, "token");
        proto_pack_strn (&pk, e->token.ptr, e->token.len);
    }
    if (part) {
        proto_pack_cstr (&pk, "source");
        proto_pack_strn (&pk, e->source.ptr, e->source.len);
        proto_pack_kv_int (&pk, "size", e->size);
        proto_pack_kv_cstr (&pk, "sha256", e->sha256);
        if (refused) {
            proto_pack_cstr (&pk, "refused");
            proto_pack_strn (&pk, e->refused.ptr, e->refused.len);
        }
        else
            proto_pack_kv_int (&pk, "offset", e->offset);
    }
    proto_pack_kv_cstr (&pk, "kind", e->kind);
    proto_pack_cstr (&pk, "name");
    proto_pack_strn (&pk, e->name.ptr, e->name.len);
    proto_pack_kv_cstr (&pk, "media_type", e->media_type);
    if (e->content.ptr) {
        proto_pack_cstr (&pk, "content");
        msgpack_pack_bin (&pk, e->content.len);
        msgpack_pack_bin_body (&pk, e->content.ptr, e->content.len);
    }
    if (e->reference.ptr) {
        proto_pack_cstr (&pk, "reference");
        proto_pack_strn (&pk, e->reference.ptr, e->reference.len);
    }
}

void
evidence_get_pack (msgpack_sbuffer *buf, const char *complaint_no, const char *token,
                   int64_t seq)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 4);
    proto_pack_kv_cstr (&pk, "op", "evidence_get");
    proto_pack_kv_cstr (&pk, "complaint_no", complaint_no);
    proto_pack_kv_cstr (&pk, "token", token);
    proto_pack_kv_int (&pk, "seq", seq);
}

#include "selftest.h"
#include <assert.h>
#include <stdlib.h>

#define S(lit) ((proto_str_t) { lit, sizeof lit - 1 })

/* Pack e, decode it as a whole request map; returns the decoder's result. */
static int
s_test_roundtrip (const evidence_add_t *in, evidence_add_t *out, proto_error_t *err)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    evidence_add_pack (&buf, in);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = proto_decode (buf.data, buf.size, &msg, err);
    if (rc == 0)
        rc = evidence_add_decode (&msg.data, out, err);
    msgpack_unpacked_destroy (&msg);    /* out's strings die: test scalars only */
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

static bool
s_test_err (const proto_error_t *err, const char *code, const char *field)
{
    return err->code && strcmp (err->code, code) == 0 && strcmp (err->field, field) == 0;
}

void
evidence_request_test (bool verbose)
{
    printf (" * evidence_request: ");
    static char bytes [REQUEST_EVIDENCE_MAX_BYTES + 1];
    memset (bytes, 'x', sizeof bytes);
    evidence_add_t in = { .complaint_no = "202611230000427", .token = S ("t0k"),
                          .kind = "document", .name = S ("账单 2026-11.pdf"),
                          .media_type = "Application/PDF",
                          .content = { bytes, REQUEST_EVIDENCE_MAX_BYTES } };
    evidence_add_t out;
    proto_error_t err = { 0 };
    assert (s_test_roundtrip (&in, &out, &err) == 0);
    assert (strcmp (out.media_type, "application/pdf") == 0);
    assert (strcmp (out.kind, "document") == 0);
    in.content.len++;
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_TOO_LARGE, "content"));
    in.content.len = 0;
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "content"));
    in.content.len = 10;
    in.name = S ("../etc/passwd");
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "name"));
    in.name = S ("a.pdf");
    snprintf (in.media_type, sizeof in.media_type, "pdf");
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "media_type"));
    snprintf (in.media_type, sizeof in.media_type, "text/plain; charset=utf-8");
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "media_type"));
    snprintf (in.media_type, sizeof in.media_type, "audio/mpeg");
    snprintf (in.kind, sizeof in.kind, "email_attachment");
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "kind"));
    //  The adapter's part: no token; source, size, sha256, offset required
    in.token = (proto_str_t) { NULL, 0 };
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_MISSING_FIELD, "source"));
    in.source = S ("<a1@mail.example>#1");
    in.size = 25;
    in.offset = 10;
    snprintf (in.sha256, sizeof in.sha256, "%064d", 7);
    assert (s_test_roundtrip (&in, &out, &err) == 0 && out.offset == 10 && out.size == 25
            && out.content.len == 10 && !out.token.ptr && strcmp (out.sha256, in.sha256) == 0);
    in.offset = 16;                     /* 16 + 10 > 25 */
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "content"));
    in.offset = 25;
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "offset"));
    in.offset = 0;
    in.sha256 [3] = 'G';
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "sha256"));
    in.sha256 [3] = '0';
    //  Refused by the adapter: no content, no offset; a reason
    in.refused = S ("attachment_too_large: 9 MiB over the adapter's 8 MiB");
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "content"));
    proto_str_t kept = in.content;
    in.content = (proto_str_t) { NULL, 0 };
    assert (s_test_roundtrip (&in, &out, &err) == 0 && out.refused.len == in.refused.len
            && out.size == 25 && !out.content.ptr);
    in.content = kept;
    in.refused = (proto_str_t) { NULL, 0 };
    in.token = S ("t0k");               /* the adapter's kind never with a token */
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "kind"));
    snprintf (in.kind, sizeof in.kind, "document");   /* a part's fields: not a document's */
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "source"));
    in.source = (proto_str_t) { NULL, 0 };
    snprintf (in.kind, sizeof in.kind, "recording_ref");
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "content"));
    in.content = (proto_str_t) { NULL, 0 };
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_MISSING_FIELD, "reference"));
    in.reference = S ("ivr://calls/2026/11/23/0000427-1.mp3");
    assert (s_test_roundtrip (&in, &out, &err) == 0 && !out.content.ptr);
    snprintf (in.kind, sizeof in.kind, "document");
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_INVALID_FIELD, "reference"));
    in.reference = (proto_str_t) { NULL, 0 };
    assert (s_test_roundtrip (&in, &out, &err) == -1
            && s_test_err (&err, PROTO_E_MISSING_FIELD, "content"));

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    evidence_get_pack (&buf, "202611230000427", "t0k", 2);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    evidence_get_t get;
    assert (proto_decode (buf.data, buf.size, &msg, &err) == 0
            && evidence_get_decode (&msg.data, &get, &err) == 0 && get.seq == 2);
    msgpack_sbuffer_clear (&buf);
    evidence_get_pack (&buf, "202611230000427", "t0k", 0);
    assert (proto_decode (buf.data, buf.size, &msg, &err) == 0
            && evidence_get_decode (&msg.data, &get, &err) == -1
            && strcmp (err.field, "seq") == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);
    if (verbose)
        printf ("round trip, size limit, name, media type, kind/content rules, parts ");
    printf ("OK\n");
}
