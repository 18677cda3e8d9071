/*  msgpack_json.h — convert between msgpack objects and jansson JSON values.
 *
 *  The wire speaks msgpack; people, scripts and dashboards read JSON. This
 *  module is the one bridge between the two, used by complaintctl (requests
 *  typed as JSON, replies and events printed as JSON lines) and meant for
 *  analytics and any HTTP endpoint later.
 *
 *  msgpack -> JSON:
 *      map      -> object (string keys as they are; integer keys as their
 *                  decimal text; any other key type is refused)
 *      array    -> array
 *      int      -> integer (a positive integer above INT64_MAX, which JSON
 *                  libraries cannot hold exactly, becomes a real)
 *      float    -> real (NaN and infinities, which JSON lacks, become null)
 *      bool     -> true/false,  nil -> null
 *      str      -> string (must be valid UTF-8; proto_scan guarantees it)
 *      bin, ext -> string: the bytes in standard base64 with padding
 *                  (an ext's type byte is dropped)
 *  JSON -> msgpack: object -> map, array -> array, string -> str,
 *      integer -> int, real -> float64, true/false -> bool, null -> nil.
 *
 *  Both directions recurse, bounded by MSGPACK_JSON_MAX_DEPTH, so a hostile
 *  document cannot exhaust the stack.
 *
 *  Interface:
 *      msgpack_json_from_object   msgpack_object -> new json_t reference
 *      msgpack_json_pack          json_t -> msgpack through a packer
 *      msgpack_json_decode        raw msgpack bytes -> json_t (bounded scan first)
 *      msgpack_json_encode        json_t -> msgpack bytes in an sbuffer
 *      msgpack_json_base64        bytes -> base64 text (caller frees)
 *      msgpack_json_test          self-test
 */
#ifndef MSGPACK_JSON_H_INCLUDED
#define MSGPACK_JSON_H_INCLUDED

#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>
#include "proto.h"

#define MSGPACK_JSON_MAX_DEPTH  64

/* A new reference, or NULL with err set (invalid UTF-8, unsupported key,
 * nesting over the bound). */
json_t *msgpack_json_from_object (const msgpack_object *obj, proto_error_t *err);

/* Append `json` to the packer's buffer. Returns 0, or -1 with err set (depth
 * over the bound); on -1 the buffer holds a partial value: discard it. */
int msgpack_json_pack (msgpack_packer *pk, const json_t *json, proto_error_t *err);

/* proto_scan (size <= max_size, depth <= max_depth), unpack, convert. */
json_t *msgpack_json_decode (const void *data, size_t size, size_t max_size,
                             int max_depth, proto_error_t *err);

/* Pack `json` into `buf` (appended). Returns 0 or -1 with err set. */
int msgpack_json_encode (msgpack_sbuffer *buf, const json_t *json, proto_error_t *err);

/* Standard base64 with padding, NUL-terminated, heap-allocated. */
char *msgpack_json_base64 (const void *data, size_t size);

void msgpack_json_test (bool verbose);

#endif
