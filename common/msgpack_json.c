/*  msgpack_json.c — msgpack <-> JSON (see msgpack_json.h for the mapping).
 *
 *  Two recursive walkers with an explicit depth bound. msgpack -> JSON builds
 *  a jansson tree from an already-unpacked msgpack_object; JSON -> msgpack
 *  writes straight into a msgpack_packer, so a request typed as JSON becomes a
 *  wire frame without an intermediate msgpack_object. Binary data has no JSON
 *  type, so it is shown as base64 text (compact, and every language decodes
 *  it); the reverse direction never produces bin, since JSON text cannot say
 *  which strings were bytes.
 */
#include "msgpack_json.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
msgpack_json_base64 (const void *data, size_t size)
{
    static const char alphabet [] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = data;
    char *out = malloc ((size + 2) / 3 * 4 + 1);
    assert (out);
    char *p = out;
    size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        uint32_t v = (uint32_t) in [i] << 16 | (uint32_t) in [i + 1] << 8 | in [i + 2];
        *p++ = alphabet [v >> 18];
        *p++ = alphabet [(v >> 12) & 63];
        *p++ = alphabet [(v >> 6) & 63];
        *p++ = alphabet [v & 63];
    }
    if (size - i == 1) {
        uint32_t v = (uint32_t) in [i] << 16;
        *p++ = alphabet [v >> 18];
        *p++ = alphabet [(v >> 12) & 63];
        *p++ = '=';
        *p++ = '=';
    }
    else
    if (size - i == 2) {
        uint32_t v = (uint32_t) in [i] << 16 | (uint32_t) in [i + 1] << 8;
        *p++ = alphabet [v >> 18];
        *p++ = alphabet [(v >> 12) & 63];
        *p++ = alphabet [(v >> 6) & 63];
        *p++ = '=';
    }
    *p = 0;
    return out;
}

static json_t *
s_base64_string (const char *data, size_t size)
{
    char *text = msgpack_json_base64 (data, size);
    json_t *json = json_string (text);
    free (text);
    return json;
}

static json_t *s_from (const msgpack_object *obj, int depth, proto_error_t *err);

static json_t *
s_from_map (const msgpack_object *obj, int depth, proto_error_t *err)
{
    json_t *json = json_object ();
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object *key = &obj->via.map.ptr [i].key;
        char number [32];
        const char *kptr;
        size_t klen;
        if (key->type == MSGPACK_OBJECT_STR) {
            kptr = key->via.str.ptr;
            klen = key->via.str.size;
        }
        else
        if (key->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            klen = (size_t) snprintf (number, sizeof number, "%" PRIu64, key->via.u64);
            kptr = number;
        }
        else
        if (key->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            klen = (size_t) snprintf (number, sizeof number, "%" PRId64, key->via.i64);
            kptr = number;
        }
        else {
            proto_error_set (err, PROTO_E_MALFORMED, "", "a map key is neither string nor integer");
            json_decref (json);
            return NULL;
        }
        json_t *value = s_from (&obj->via.map.ptr [i].val, depth + 1, err);
        if (!value) {
            json_decref (json);
            return NULL;
        }
        /* json_object_setn_new checks the key's UTF-8 and takes the value
         * reference even when it fails. */
        if (json_object_setn_new (json, kptr, klen, value)) {
            proto_error_set (err, PROTO_E_INVALID_UTF8, "", "a map key is not valid UTF-8");
            json_decref (json);
            return NULL;
        }
    }
    return json;
}

static json_t *
s_from (const msgpack_object *obj, int depth, proto_error_t *err)
{
    if (depth > MSGPACK_JSON_MAX_DEPTH) {
        proto_error_set (err, PROTO_E_TOO_DEEP, "", "nesting deeper than %d levels",
                         MSGPACK_JSON_MAX_DEPTH);
        return NULL;
    }
    switch (obj->type) {
        case MSGPACK_OBJECT_NIL:
            return json_null ();
        case MSGPACK_OBJECT_BOOLEAN:
            return json_boolean (obj->via.boolean);
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            if (obj->via.u64 > (uint64_t) INT64_MAX)
                return json_real ((double) obj->via.u64);
            return json_integer ((json_int_t) obj->via.u64);
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            return json_integer ((json_int_t) obj->via.i64);
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            /* json_real refuses non-finite numbers: JSON has no spelling for them */
            return isfinite (obj->via.f64) ? json_real (obj->via.f64) : json_null ();
        case MSGPACK_OBJECT_STR: {
            json_t *json = json_stringn (obj->via.str.ptr, obj->via.str.size);
            if (!json)
                proto_error_set (err, PROTO_E_INVALID_UTF8, "", "a string is not valid UTF-8");
            return json;
        }
        case MSGPACK_OBJECT_BIN:
            return s_base64_string (obj->via.bin.ptr, obj->via.bin.size);
        case MSGPACK_OBJECT_EXT:
            return s_base64_string (obj->via.ext.ptr, obj->via.ext.size);
        case MSGPACK_OBJECT_ARRAY: {
            json_t *json = json_array ();
            for (uint32_t i = 0; i < obj->via.array.size; i++) {
                json_t *item = s_from (&obj->via.array.ptr [i], depth + 1, err);
                if (!item) {
                    json_decref (json);
                    return NULL;
                }
                json_array_append_new (json, item);
            }
            return json;
        }
        case MSGPACK_OBJECT_MAP:
            return s_from_map (obj, depth, err);
    }
    proto_error_set (err, PROTO_E_MALFORMED, "", "unknown msgpack type %d", (int) obj->type);
    return NULL;
}

json_t *
msgpack_json_from_object (const msgpack_object *obj, proto_error_t *err)
{
    assert (obj);
    return s_from (obj, 0, err);
}

static int
s_pack (msgpack_packer *pk, const json_t *json, int depth, proto_error_t *err)
{
    if (depth > MSGPACK_JSON_MAX_DEPTH) {
        proto_error_set (err, PROTO_E_TOO_DEEP, "", "nesting deeper than %d levels",
                         MSGPACK_JSON_MAX_DEPTH);
        return -1;
    }
    switch (json_typeof (json)) {
        case JSON_OBJECT: {
            msgpack_pack_map (pk, json_object_size (json));
            const char *key;
            size_t key_len;
            json_t *value;
            json_object_keylen_foreach ((json_t *) json, key, key_len, value) {
                proto_pack_strn (pk, key, key_len);
                if (s_pack (pk, value, depth + 1, err))
                    return -1;
            }
            return 0;
        }
        case JSON_ARRAY: {
            size_t index;
            json_t *value;
            msgpack_pack_array (pk, json_array_size (json));
            json_array_foreach (json, index, value)
                if (s_pack (pk, value, depth + 1, err))
                    return -1;
            return 0;
        }
        case JSON_STRING:
            proto_pack_strn (pk, json_string_value (json), json_string_length (json));
            return 0;
        case JSON_INTEGER:
            msgpack_pack_int64 (pk, (int64_t) json_integer_value (json));
            return 0;
        case JSON_REAL:
            msgpack_pack_double (pk, json_real_value (json));
            return 0;
        case JSON_TRUE:
            msgpack_pack_true (pk);
            return 0;
        case JSON_FALSE:
            msgpack_pack_false (pk);
            return 0;
        case JSON_NULL:
            msgpack_pack_nil (pk);
            return 0;
    }
    proto_error_set (err, PROTO_E_INTERNAL, "", "unknown JSON type");
    return -1;
}

int
msgpack_json_pack (msgpack_packer *pk, const json_t *json, proto_error_t *err)
{
    assert (pk);
    assert (json);
    return s_pack (pk, json, 0, err);
}

int
msgpack_json_encode (msgpack_sbuffer *buf, const json_t *json, proto_error_t *err)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    return msgpack_json_pack (&pk, json, err);
}

json_t *
msgpack_json_decode (const void *data, size_t size, size_t max_size, int max_depth,
                     proto_error_t *err)
{
    if (size > max_size) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "",
                         "message of %zu bytes is over the %zu byte limit", size, max_size);
        return NULL;
    }
    if (proto_scan (data, size, max_depth, err))
        return NULL;
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    size_t offset = 0;
    json_t *json = NULL;
    if (msgpack_unpack_next (&msg, data, size, &offset) == MSGPACK_UNPACK_SUCCESS)
        json = msgpack_json_from_object (&msg.data, err);
    else
        proto_error_set (err, PROTO_E_MALFORMED, "", "message is not valid msgpack");
    msgpack_unpacked_destroy (&msg);
    return json;
}

/* ------------------------------------------------------------------------ */

static void
s_assert_dump (const json_t *json, const char *expected)
{
    char *text = json_dumps (json, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    assert (text);
    if (strcmp (text, expected) != 0) {
        fprintf (stderr, "msgpack_json: got %s, expected %s\n", text, expected);
        assert (false);
    }
    free (text);
}

#include "selftest.h"

void
msgpack_json_test (bool verbose)
{
    if (verbose)
        printf (" * msgpack_json: ");
    proto_error_t err = { 0 };

    /* base64 against RFC 4648's test vectors */
    const char *vectors [][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" }
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors [0]; i++) {
        char *b64 = msgpack_json_base64 (vectors [i][0], strlen (vectors [i][0]));
        assert (strcmp (b64, vectors [i][1]) == 0);
        free (b64);
    }

    /* msgpack -> JSON: every type */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 9);
    proto_pack_kv_cstr (&pk, "s", "投诉");
    proto_pack_kv_int (&pk, "i", -42);
    proto_pack_cstr (&pk, "u");
    msgpack_pack_uint64 (&pk, 7);
    proto_pack_cstr (&pk, "f");
    msgpack_pack_double (&pk, 1.5);
    proto_pack_kv_bool (&pk, "t", true);
    proto_pack_cstr (&pk, "n");
    msgpack_pack_nil (&pk);
    proto_pack_cstr (&pk, "b");
    msgpack_pack_bin_with_body (&pk, "foo", 3);
    proto_pack_cstr (&pk, "a");
    msgpack_pack_array (&pk, 2);
    msgpack_pack_int (&pk, 1);
    msgpack_pack_map (&pk, 1);
    proto_pack_kv_bool (&pk, "x", false);
    proto_pack_cstr (&pk, "inf");
    msgpack_pack_double (&pk, INFINITY);

    json_t *json = msgpack_json_decode (buf.data, buf.size, 1024, 8, &err);
    assert (json);
    s_assert_dump (json, "{\"a\":[1,{\"x\":false}],\"b\":\"Zm9v\",\"f\":1.5,\"i\":-42,"
                         "\"inf\":null,\"n\":null,\"s\":\"投诉\",\"t\":true,\"u\":7}");

    /* JSON -> msgpack -> JSON: the same document (bin came back as a string) */
    msgpack_sbuffer again;
    msgpack_sbuffer_init (&again);
    assert (msgpack_json_encode (&again, json, &err) == 0);
    json_t *round = msgpack_json_decode (again.data, again.size, 1024, 8, &err);
    assert (round && json_equal (json, round));
    json_decref (round);
    json_decref (json);
    msgpack_sbuffer_destroy (&again);

    /* a JSON request becomes a frame the intake decoder accepts */
    json_error_t jerr;
    json = json_loads ("{\"op\":\"get\",\"complaint_no\":\"x\",\"n\":[1,2.5,null]}", 0, &jerr);
    assert (json);
    msgpack_sbuffer_clear (&buf);
    assert (msgpack_json_encode (&buf, json, &err) == 0);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    assert (proto_decode (buf.data, buf.size, &msg, &err) == 0);
    proto_str_t op = { 0 };
    assert (proto_get_str (&msg.data, "op", "op", true, 1, 8, &op, &err) == 0);
    assert (proto_str_eq (op, "get"));
    msgpack_unpacked_destroy (&msg);
    json_decref (json);

    /* limits: too large, too deep, bad UTF-8 are refused, not crashed on */
    assert (msgpack_json_decode (buf.data, buf.size, 4, 8, &err) == NULL);
    assert (strcmp (err.code, PROTO_E_TOO_LARGE) == 0);
    assert (msgpack_json_decode ("\x91\x91\x91\x01", 4, 64, 2, &err) == NULL);
    assert (strcmp (err.code, PROTO_E_TOO_DEEP) == 0);
    assert (msgpack_json_decode ("\xa2\xc3\x28", 3, 64, 2, &err) == NULL);
    assert (strcmp (err.code, PROTO_E_INVALID_UTF8) == 0);

    /* an unscanned object with a non-UTF-8 string: the converter refuses it too */
    msgpack_object bad = { .type = MSGPACK_OBJECT_STR };
    bad.via.str.ptr = "\xff";
    bad.via.str.size = 1;
    assert (msgpack_json_from_object (&bad, &err) == NULL);

    /* the packer's own bound on depth */
    json = json_array ();
    json_t *inner = json;
    for (int i = 0; i < MSGPACK_JSON_MAX_DEPTH + 2; i++) {
        json_t *next = json_array ();
        json_array_append_new (inner, next);
        inner = next;
    }
    msgpack_sbuffer_clear (&buf);
    assert (msgpack_json_encode (&buf, json, &err) == -1);
    assert (strcmp (err.code, PROTO_E_TOO_DEEP) == 0);
    json_decref (json);
    msgpack_sbuffer_destroy (&buf);
    if (verbose)
        printf ("OK\n");
}
