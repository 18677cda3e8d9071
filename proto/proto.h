/*  proto.h — the wire contract's shared parts: limits, error codes, and the
 *  bounded msgpack decoder every service uses for incoming requests.
 *
 *  A request frame goes through proto_decode(): the raw bytes are first walked
 *  by a bounded scanner (size, depth, container counts no larger than the bytes
 *  left, UTF-8 of every string) and only then handed to msgpack-c, so msgpack-c
 *  never allocates for a count the input cannot back. Field getters then name
 *  the field at fault in a proto_error_t, which becomes the error reply.
 *
 *  Interface:
 *      proto_unpack        bytes -> msgpack object, bounded by size and depth
 *      proto_decode        a request: bytes -> msgpack map, or an error
 *      proto_map_get       look a key up in a map
 *      proto_get_str, proto_get_int, proto_get_uint   typed, bounded getters
 *      proto_error_set     fill an error (code, field, message)
 *      proto_utf8_valid    strict UTF-8 check
 */
#ifndef PROTO_H_INCLUDED
#define PROTO_H_INCLUDED

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_SCHEMA_VERSION   1
#define PROTO_MAX_MESSAGE      (256 * 1024)    /* one request frame */
#define PROTO_MAX_BODY         (64 * 1024)     /* complaint text */
#define PROTO_MAX_DEPTH        4               /* nesting of maps/arrays in a request */
#define PROTO_MAX_OBJECTS      256             /* values (keys included) in a request */
#define PROTO_MAX_REF          128
#define PROTO_MAX_SHORT        256             /* names, subjects, branch, product... */
#define PROTO_MAX_DEMAND       8192

/* Stable error codes, used in every error reply: {"code","field","message"}. */
#define PROTO_E_MALFORMED      "malformed"        /* not decodable msgpack */
#define PROTO_E_TOO_LARGE      "too_large"        /* frame or field over its limit,
                                                     or over PROTO_MAX_OBJECTS values */
#define PROTO_E_UNKNOWN_FIELD  "unknown_field"    /* a key the request does not take */
#define PROTO_E_TOO_DEEP       "too_deep"         /* nesting over PROTO_MAX_DEPTH */
#define PROTO_E_INVALID_UTF8   "invalid_utf8"     /* a string that is not UTF-8 */
#define PROTO_E_NOT_A_MAP      "not_a_map"        /* request is not a map */
#define PROTO_E_UNKNOWN_OP     "unknown_op"       /* "op" names no operation */
#define PROTO_E_MISSING_FIELD  "missing_field"    /* a required field is absent */
#define PROTO_E_WRONG_TYPE     "wrong_type"       /* a field has the wrong msgpack type */
#define PROTO_E_INVALID_FIELD  "invalid_field"    /* right type, bad value */
#define PROTO_E_UNKNOWN_CHANNEL "unknown_channel" /* channel not in the list */
#define PROTO_E_NOT_FOUND      "not_found"        /* no such complaint */
#define PROTO_E_UNAVAILABLE    "unavailable"      /* store not reachable; retry */
#define PROTO_E_INTERNAL       "internal"         /* a bug; logged with detail */
#define PROTO_E_UNAUTHENTICATED "unauthenticated" /* no valid staff token */
#define PROTO_E_FORBIDDEN      "forbidden"        /* valid token, not allowed */
#define PROTO_E_INVALID_TRANSITION "invalid_transition" /* not from this state */
#define PROTO_E_CONFLICT       "conflict"         /* the case changed (version) */
#define PROTO_E_RATE_LIMITED   "rate_limited"     /* too many failed tries; wait */

typedef struct {
    const char *code;          /* one of PROTO_E_*; NULL when no error */
    char field[64];            /* dotted path of the field at fault, "" if none */
    char message[256];         /* a sentence for a human */
} proto_error_t;

/* A string inside a decoded message: not NUL-terminated, lives as long as
 * the msgpack_unpacked it came from. */
typedef struct {
    const char *ptr;
    size_t len;
} proto_str_t;

void proto_error_set (proto_error_t *err, const char *code, const char *field,
                      const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));

bool proto_utf8_valid (const char *s, size_t len);

/* Walk raw msgpack without allocating: one complete object, no trailing
 * bytes, depth <= max_depth, counts backed by bytes, strings valid UTF-8,
 * map keys strings. Returns 0 or -1 with err set. */
int proto_scan (const void *data, size_t size, int max_depth, proto_error_t *err);

/* Bounded unpack of any one msgpack object: refuse over max_size bytes, then
 * proto_scan with max_depth, then msgpack-c into `out` (caller calls
 * msgpack_unpacked_init before and msgpack_unpacked_destroy after). */
int proto_unpack (const void *data, size_t size, size_t max_size, int max_depth,
                  msgpack_unpacked *out, proto_error_t *err);

/* A request: proto_unpack within the request limits; the object must be a map. */
int proto_decode (const void *data, size_t size, msgpack_unpacked *out, proto_error_t *err);

const msgpack_object *proto_map_get (const msgpack_object *map, const char *key);

/* Typed getters. A missing optional field leaves *out untouched and returns 0.
 * `min_len`/`max_len` bound the byte length; field names the path in errors. */
int proto_get_str (const msgpack_object *map, const char *key, const char *field,
                   bool required, size_t min_len, size_t max_len,
                   proto_str_t *out, proto_error_t *err);
int proto_get_int (const msgpack_object *map, const char *key, const char *field,
                   bool required, int64_t min, int64_t max, int64_t *out,
                   bool *present, proto_error_t *err);

/* Compare a proto string to a C string. */
bool proto_str_eq (proto_str_t s, const char *c);
/* Copy into a NUL-terminated heap string (caller frees); NULL if absent. */
char *proto_str_dup (proto_str_t s);

/* Packing helpers over msgpack-c. */
void proto_pack_cstr (msgpack_packer *pk, const char *s);
void proto_pack_strn (msgpack_packer *pk, const char *s, size_t len);
void proto_pack_kv_cstr (msgpack_packer *pk, const char *key, const char *val);
void proto_pack_kv_int (msgpack_packer *pk, const char *key, int64_t val);
void proto_pack_kv_bool (msgpack_packer *pk, const char *key, bool val);

/* The error reply: {"ok":false,"error":{"code","field"?,"message"}}. */
void proto_pack_error (msgpack_sbuffer *buf, const proto_error_t *err);

void proto_test (bool verbose);

#endif
