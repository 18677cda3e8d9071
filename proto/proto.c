/*  proto.c — bounded decoding and small packing helpers for the wire contract.
 *
 *  Why a scanner before msgpack-c: msgpack_unpack() trusts the counts in
 *  container headers and sizes its allocations from them, so five bytes
 *  claiming a map of four billion entries make it try to allocate gigabytes.
 *  proto_scan() walks the bytes first, without allocating, and refuses any
 *  count the remaining input cannot hold, any nesting past the bound, any
 *  string that is not UTF-8 and any non-string map key. What passes is small
 *  and well-formed, and msgpack-c's zone then holds at most a few times the
 *  frame size.
 */
#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <assert.h>

void
proto_error_set (proto_error_t *err, const char *code, const char *field,
                 const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    snprintf (err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err->message, sizeof err->message, fmt, ap);
    va_end (ap);
}

/*  Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing past
 *  U+10FFFF. NUL bytes are refused too: they cannot live in a text column. */
bool
proto_utf8_valid (const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    const unsigned char *end = p + len;
    while (p < end) {
        unsigned char c = *p;
        if (c == 0)
            return false;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; }
        else
            return false;
        if ((size_t) (end - p) < need + 1)
            return false;
        for (size_t i = 1; i <= need; i++) {
            if ((p [i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p [i] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000)
        ||  (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        p += need + 1;
    }
    return true;
}

typedef struct {
    const unsigned char *cur;
    const unsigned char *end;
    int max_depth;
    proto_error_t *err;
    uint64_t objects;           /* values seen so far, keys included */
    uint64_t max_objects;       /* 0: no budget (the depth and bytes bound it) */
} s_scanner_t;

static int
s_need (s_scanner_t *sc, size_t n)
{
    if ((size_t) (sc->end - sc->cur) < n) {
        proto_error_set (sc->err, PROTO_E_MALFORMED, "", "message is truncated");
        return -1;
    }
    return 0;
}

static uint64_t
s_be (const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p [i];
    return v;
}

static int s_scan_value (s_scanner_t *sc, int depth, bool is_key);

static int
s_scan_container (s_scanner_t *sc, int depth, uint64_t count, bool is_map)
{
    if (depth + 1 > sc->max_depth) {
        proto_error_set (sc->err, PROTO_E_TOO_DEEP, "",
                         "nesting deeper than %d levels", sc->max_depth);
        return -1;
    }
    uint64_t items = is_map ? count * 2 : count;
    if (items > (uint64_t) (sc->end - sc->cur)) {
        proto_error_set (sc->err, PROTO_E_MALFORMED, "",
                         "container claims %llu items, more than the bytes left",
                         (unsigned long long) count);
        return -1;
    }
    for (uint64_t i = 0; i < items; i++)
        if (s_scan_value (sc, depth + 1, is_map && (i % 2 == 0)))
            return -1;
    return 0;
}

static int
s_scan_string (s_scanner_t *sc, uint64_t len)
{
    if (s_need (sc, len))
        return -1;
    if (!proto_utf8_valid ((const char *) sc->cur, len)) {
        proto_error_set (sc->err, PROTO_E_INVALID_UTF8, "", "a string is not valid UTF-8");
        return -1;
    }
    sc->cur += len;
    return 0;
}

static int
s_scan_value (s_scanner_t *sc, int depth, bool is_key)
{
    /* Every value becomes a 24-byte msgpack_object in msgpack-c's zone (a
     * map entry 48): 256 KiB of one-byte nils would cost ~6 MiB of heap.
     * A request has a few dozen values; the budget keeps its heap to a few
     * KiB whatever the bytes say. */
    if (sc->max_objects && ++sc->objects > sc->max_objects) {
        proto_error_set (sc->err, PROTO_E_TOO_LARGE, "",
                         "more than %llu values in one message",
                         (unsigned long long) sc->max_objects);
        return -1;
    }
    if (s_need (sc, 1))
        return -1;
    unsigned char c = *sc->cur++;
    bool is_str = (c >= 0xa0 && c <= 0xbf) || (c >= 0xd9 && c <= 0xdb);
    if (is_key && !is_str) {
        proto_error_set (sc->err, PROTO_E_MALFORMED, "", "a map key is not a string");
        return -1;
    }
    if (c <= 0x7f || c >= 0xe0)
        return 0;                                   /* fixint */
    if (c >= 0x80 && c <= 0x8f)
        return s_scan_container (sc, depth, c & 0x0f, true);
    if (c >= 0x90 && c <= 0x9f)
        return s_scan_container (sc, depth, c & 0x0f, false);
    if (c >= 0xa0 && c <= 0xbf)
        return s_scan_string (sc, c & 0x1f);

    size_t width;
    switch (c) {
        case 0xc0: case 0xc2: case 0xc3:
            return 0;                               /* nil, false, true */
        case 0xcc: case 0xd0: width = 1; break;
        case 0xcd: case 0xd1: width = 2; break;
        case 0xca: case 0xce: case 0xd2: width = 4; break;
        case 0xcb: case 0xcf: case 0xd3: width = 8; break;
        case 0xd4: width = 2; break;                /* fixext: type + data */
        case 0xd5: width = 3; break;
        case 0xd6: width = 5; break;
        case 0xd7: width = 9; break;
        case 0xd8: width = 17; break;
        case 0xc4: case 0xc5: case 0xc6: {          /* bin */
            size_t n = (size_t) 1 << (c - 0xc4);
            if (s_need (sc, n))
                return -1;
            uint64_t len = s_be (sc->cur, n);
            sc->cur += n;
            if (s_need (sc, len))
                return -1;
            sc->cur += len;
            return 0;
        }
        case 0xc7: case 0xc8: case 0xc9: {          /* ext */
            size_t n = (size_t) 1 << (c - 0xc7);
            if (s_need (sc, n + 1))
                return -1;
            uint64_t len = s_be (sc->cur, n);
            sc->cur += n + 1;
            if (s_need (sc, len))
                return -1;
            sc->cur += len;
            return 0;
        }
        case 0xd9: case 0xda: case 0xdb: {          /* str */
            size_t n = (size_t) 1 << (c - 0xd9);
            if (s_need (sc, n))
                return -1;
            uint64_t len = s_be (sc->cur, n);
            sc->cur += n;
            return s_scan_string (sc, len);
        }
        case 0xdc: case 0xdd: case 0xde: case 0xdf: {  /* array16/32, map16/32 */
            size_t n = (c == 0xdc || c == 0xde) ? 2 : 4;
            if (s_need (sc, n))
                return -1;
            uint64_t count = s_be (sc->cur, n);
            sc->cur += n;
            return s_scan_container (sc, depth, count, c >= 0xde);
        }
        default:                                    /* 0xc1: never used */
            proto_error_set (sc->err, PROTO_E_MALFORMED, "", "invalid msgpack byte 0x%02x", c);
            return -1;
    }
    if (s_need (sc, width))
        return -1;
    sc->cur += width;
    return 0;
}

static int
s_scan (const void *data, size_t size, int max_depth, uint64_t max_objects, proto_error_t *err)
{
    s_scanner_t sc = { data, (const unsigned char *) data + size, max_depth, err, 0,
                       max_objects };
    if (size == 0) {
        proto_error_set (err, PROTO_E_MALFORMED, "", "empty message");
        return -1;
    }
    if (s_scan_value (&sc, 0, false))
        return -1;
    if (sc.cur != sc.end) {
        proto_error_set (err, PROTO_E_MALFORMED, "", "trailing bytes after the message");
        return -1;
    }
    return 0;
}

int
proto_scan (const void *data, size_t size, int max_depth, proto_error_t *err)
{
    return s_scan (data, size, max_depth, 0, err);
}

static int
s_unpack (const void *data, size_t size, size_t max_size, int max_depth, uint64_t max_objects,
          msgpack_unpacked *out, proto_error_t *err)
{
    if (size > max_size) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "",
                         "message of %zu bytes is over the %zu byte limit", size, max_size);
        return -1;
    }
    if (s_scan (data, size, max_depth, max_objects, err))
        return -1;
    size_t offset = 0;
    if (msgpack_unpack_next (out, data, size, &offset) != MSGPACK_UNPACK_SUCCESS) {
        proto_error_set (err, PROTO_E_MALFORMED, "", "message is not valid msgpack");
        return -1;
    }
    return 0;
}

int
proto_unpack (const void *data, size_t size, size_t max_size, int max_depth,
              msgpack_unpacked *out, proto_error_t *err)
{
    return s_unpack (data, size, max_size, max_depth, 0, out, err);
}

int
proto_decode (const void *data, size_t size, msgpack_unpacked *out, proto_error_t *err)
{
    if (s_unpack (data, size, PROTO_MAX_MESSAGE, PROTO_MAX_DEPTH, PROTO_MAX_OBJECTS, out, err))
        return -1;
    if (out->data.type != MSGPACK_OBJECT_MAP) {
        proto_error_set (err, PROTO_E_NOT_A_MAP, "", "the request must be a msgpack map");
        return -1;
    }
    return 0;
}

const msgpack_object *
proto_map_get (const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen (key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr [i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen
        &&  memcmp (k->via.str.ptr, key, klen) == 0)
            return &map->via.map.ptr [i].val;
    }
    return NULL;
}

static const char *
s_type_name (msgpack_object_type type)
{
    switch (type) {
        case MSGPACK_OBJECT_NIL: return "nil";
        case MSGPACK_OBJECT_BOOLEAN: return "boolean";
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "integer";
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64: return "float";
        case MSGPACK_OBJECT_STR: return "string";
        case MSGPACK_OBJECT_ARRAY: return "array";
        case MSGPACK_OBJECT_MAP: return "map";
        case MSGPACK_OBJECT_BIN: return "binary";
        default: return "extension";
    }
}

int
proto_get_str (const msgpack_object *map, const char *key, const char *field,
               bool required, size_t min_len, size_t max_len,
               proto_str_t *out, proto_error_t *err)
{
    const msgpack_object *v = proto_map_get (map, key);
    if (!v || v->type == MSGPACK_OBJECT_NIL) {
        if (required) {
            proto_error_set (err, PROTO_E_MISSING_FIELD, field, "%s is required", field);
            return -1;
        }
        return 0;
    }
    if (v->type != MSGPACK_OBJECT_STR) {
        proto_error_set (err, PROTO_E_WRONG_TYPE, field, "%s must be a string, not %s",
                         field, s_type_name (v->type));
        return -1;
    }
    size_t len = v->via.str.size;
    if (len > max_len) {
        proto_error_set (err, PROTO_E_TOO_LARGE, field,
                         "%s is %zu bytes, over the %zu byte limit", field, len, max_len);
        return -1;
    }
    if (len < min_len) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                         min_len == 1 ? "%s must not be empty" : "%s is too short", field);
        return -1;
    }
    out->ptr = v->via.str.ptr;
    out->len = len;
    return 0;
}

int
proto_get_int (const msgpack_object *map, const char *key, const char *field,
               bool required, int64_t min, int64_t max, int64_t *out,
               bool *present, proto_error_t *err)
{
    const msgpack_object *v = proto_map_get (map, key);
    if (present)
        *present = false;
    if (!v || v->type == MSGPACK_OBJECT_NIL) {
        if (required) {
            proto_error_set (err, PROTO_E_MISSING_FIELD, field, "%s is required", field);
            return -1;
        }
        return 0;
    }
    int64_t value;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (v->via.u64 > (uint64_t) INT64_MAX) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, field, "%s is out of range", field);
            return -1;
        }
        value = (int64_t) v->via.u64;
    }
    else
    if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        value = v->via.i64;
    else {
        proto_error_set (err, PROTO_E_WRONG_TYPE, field, "%s must be an integer, not %s",
                         field, s_type_name (v->type));
        return -1;
    }
    if (value < min || value > max) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                         "%s must be between %lld and %lld", field,
                         (long long) min, (long long) max);
        return -1;
    }
    *out = value;
    if (present)
        *present = true;
    return 0;
}

bool
proto_str_eq (proto_str_t s, const char *c)
{
    size_t len = strlen (c);
    return s.ptr && s.len == len && memcmp (s.ptr, c, len) == 0;
}

char *
proto_str_dup (proto_str_t s)
{
    if (!s.ptr)
        return NULL;
    char *copy = malloc (s.len + 1);
    assert (copy);
    memcpy (copy, s.ptr, s.len);
    copy [s.len] = 0;
    return copy;
}

void
proto_pack_strn (msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, s, len);
}

void
proto_pack_cstr (msgpack_packer *pk, const char *s)
{
    if (s)
        proto_pack_strn (pk, s, strlen (s));
    else
        msgpack_pack_nil (pk);
}

void
proto_pack_kv_cstr (msgpack_packer *pk, const char *key, const char *val)
{
    proto_pack_cstr (pk, key);
    proto_pack_cstr (pk, val);
}

void
proto_pack_kv_int (msgpack_packer *pk, const char *key, int64_t val)
{
    proto_pack_cstr (pk, key);
    msgpack_pack_int64 (pk, val);
}

void
proto_pack_kv_bool (msgpack_packer *pk, const char *key, bool val)
{
    proto_pack_cstr (pk, key);
    if (val)
        msgpack_pack_true (pk);
    else
        msgpack_pack_false (pk);
}

void
proto_pack_error (msgpack_sbuffer *buf, const proto_error_t *err)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    proto_pack_kv_bool (&pk, "ok", false);
    proto_pack_cstr (&pk, "error");
    bool has_field = err->field [0] != 0;
    msgpack_pack_map (&pk, has_field ? 3 : 2);
    proto_pack_kv_cstr (&pk, "code", err->code ? err->code : PROTO_E_INTERNAL);
    if (has_field)
        proto_pack_kv_cstr (&pk, "field", err->field);
    proto_pack_kv_cstr (&pk, "message", err->message);
}

/* ------------------------------------------------------------------------ */

static int
s_scan_bytes (const char *bytes, size_t size, proto_error_t *err)
{
    return proto_scan (bytes, size, PROTO_MAX_DEPTH, err);
}

#include "selftest.h"

void
proto_test (bool verbose)
{
    if (verbose)
        printf (" * proto: ");
    proto_error_t err = { 0 };

    /* UTF-8 */
    assert (proto_utf8_valid ("hello", 5));
    assert (proto_utf8_valid ("\xe6\x8a\x95\xe8\xaf\x89", 6));         /* 投诉 */
    assert (!proto_utf8_valid ("\xe6\x8a", 2));                          /* truncated */
    assert (!proto_utf8_valid ("\xc0\xaf", 2));                          /* overlong */
    assert (!proto_utf8_valid ("\xed\xa0\x80", 3));                      /* surrogate */
    assert (!proto_utf8_valid ("\xf4\x90\x80\x80", 4));                  /* > U+10FFFF */
    assert (!proto_utf8_valid ("a\0b", 3));

    /* scanner: good map {"a":1} */
    assert (s_scan_bytes ("\x81\xa1" "a" "\x01", 4, &err) == 0);
    /* map claiming 2^32-1 entries in 5 bytes */
    assert (s_scan_bytes ("\xdf\xff\xff\xff\xff", 5, &err) == -1);
    assert (strcmp (err.code, PROTO_E_MALFORMED) == 0);
    /* trailing byte */
    assert (s_scan_bytes ("\x80\x00", 2, &err) == -1);
    /* reserved byte */
    assert (s_scan_bytes ("\xc1", 1, &err) == -1);
    /* non-string key */
    assert (s_scan_bytes ("\x81\x01\x01", 3, &err) == -1);
    /* too deep: [[[[[1]]]]] */
    assert (s_scan_bytes ("\x91\x91\x91\x91\x91\x01", 6, &err) == -1);
    assert (strcmp (err.code, PROTO_E_TOO_DEEP) == 0);
    assert (s_scan_bytes ("\x91\x91\x91\x91\x01", 5, &err) == 0);
    /* invalid UTF-8 string */
    assert (s_scan_bytes ("\xa2\xc0\xaf", 3, &err) == -1);
    assert (strcmp (err.code, PROTO_E_INVALID_UTF8) == 0);
    /* str8 length past end */
    assert (s_scan_bytes ("\xd9\x05" "ab", 4, &err) == -1);

    /* decode + getters */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    proto_pack_kv_cstr (&pk, "op", "submit");
    proto_pack_kv_int (&pk, "n", 42);
    proto_pack_kv_int (&pk, "s", 7);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    assert (proto_decode (buf.data, buf.size, &msg, &err) == 0);
    proto_str_t op = { 0 };
    assert (proto_get_str (&msg.data, "op", "op", true, 1, 16, &op, &err) == 0);
    assert (proto_str_eq (op, "submit"));
    int64_t n = 0;
    assert (proto_get_int (&msg.data, "n", "n", true, 0, 100, &n, NULL, &err) == 0 && n == 42);
    assert (proto_get_int (&msg.data, "n", "n", true, 0, 10, &n, NULL, &err) == -1);
    assert (strcmp (err.code, PROTO_E_INVALID_FIELD) == 0 && strcmp (err.field, "n") == 0);
    assert (proto_get_str (&msg.data, "n", "n", true, 1, 16, &op, &err) == -1);
    assert (strcmp (err.code, PROTO_E_WRONG_TYPE) == 0);
    assert (proto_get_str (&msg.data, "x", "x", true, 1, 16, &op, &err) == -1);
    assert (strcmp (err.code, PROTO_E_MISSING_FIELD) == 0);
    msgpack_unpacked_destroy (&msg);

    /* not a map */
    msgpack_unpacked_init (&msg);
    assert (proto_decode ("\x01", 1, &msg, &err) == -1);
    assert (strcmp (err.code, PROTO_E_NOT_A_MAP) == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);

    if (verbose)
        printf ("OK\n");
}
