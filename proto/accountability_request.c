/*  accountability_request.c — decoding and packing intake's `accountability`
 *  request (see accountability_request.h). Bounded; a key that does not
 *  belong to the `do` given is refused, naming it.
 */
#include "accountability_request.h"
#include "request.h"

#include <assert.h>
#include <string.h>

const char *const accountability_outcomes [] = {
    "none", "warning", "training", "criticism", "penalty", "dismissal", NULL
};

bool
accountability_outcome_valid (const char *s)
{
    for (int i = 0; s && accountability_outcomes [i]; i++)
        if (strcmp (s, accountability_outcomes [i]) == 0)
            return true;
    return false;
}

static const char *const s_keys [] = {
    "op", "do", "token", "item", "outcome", "text", "all", NULL
};

int
accountability_decode (const msgpack_object *map, accountability_t *a, proto_error_t *err)
{
    memset (a, 0, sizeof *a);
    proto_str_t what = { 0 }, outcome = { 0 };
    if (request_known_keys (map, s_keys, "accountability", err)
    ||  proto_get_str (map, "do", "do", true, 1, 8, &what, err)
    ||  proto_get_str (map, "token", "token", true, 1, 128, &a->token, err))
        return -1;
    if (proto_str_eq (what, "list")) {
        static const char *const other [] = { "item", "outcome", "text", NULL };
        for (int i = 0; other [i]; i++)
            if (proto_map_get (map, other [i])) {
                proto_error_set (err, PROTO_E_INVALID_FIELD, other [i],
                                 "%s does not apply to accountability list", other [i]);
                return -1;
            }
        const msgpack_object *all = proto_map_get (map, "all");
        if (all && all->type != MSGPACK_OBJECT_BOOLEAN) {
            proto_error_set (err, PROTO_E_WRONG_TYPE, "all", "all must be true or false");
            return -1;
        }
        a->all = all && all->via.boolean;
        return 0;
    }
    if (!proto_str_eq (what, "decide")) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "do", "do must be list or decide");
        return -1;
    }
    a->decide = true;
    if (proto_map_get (map, "all")) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "all",
                         "all does not apply to accountability decide");
        return -1;
    }
    if (proto_get_int (map, "item", "item", true, 1, INT64_MAX, &a->item, NULL, err)
    ||  proto_get_str (map, "outcome", "outcome", true, 1, sizeof a->outcome - 1, &outcome, err)
    ||  proto_get_str (map, "text", "text", false, 1, 4000, &a->text, err))
        return -1;
    memcpy (a->outcome, outcome.ptr, outcome.len);
    a->outcome [outcome.len] = 0;
    if (!accountability_outcome_valid (a->outcome)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "outcome",
                         "outcome must be one of none, warning, training, criticism, penalty, "
                         "dismissal");
        return -1;
    }
    return 0;
}

void
accountability_pack (msgpack_sbuffer *buf, const accountability_t *a, const char *token,
                     const char *text)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    uint32_t n = 3 + (a->decide ? 2 + (text && *text) : a->all);
    msgpack_pack_map (&pk, n);
    proto_pack_kv_cstr (&pk, "op", "accountability");
    proto_pack_kv_cstr (&pk, "do", a->decide ? "decide" : "list");
    proto_pack_kv_cstr (&pk, "token", token);
    if (a->decide) {
        proto_pack_kv_int (&pk, "item", a->item);
        proto_pack_kv_cstr (&pk, "outcome", a->outcome);
        if (text && *text)
            proto_pack_kv_cstr (&pk, "text", text);
    }
    else
    if (a->all)
        proto_pack_kv_bool (&pk, "all", true);
}

void
accountability_request_test (bool verbose)
{
    if (verbose)
        printf (" * accountability_request: ");
    const char *tok = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    accountability_t in = { .decide = true, .item = 4, .outcome = "training" }, out;
    proto_error_t err = { 0 };
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    accountability_pack (&buf, &in, tok, "组织服务规范培训");
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = msgpack_unpack_next (&msg, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS
           ? accountability_decode (&msg.data, &out, &err) : -2;
    assert (rc == 0 && out.decide && out.item == 4 && strcmp (out.outcome, "training") == 0);
    msgpack_sbuffer_clear (&buf);
    snprintf (in.outcome, sizeof in.outcome, "flogging");
    accountability_pack (&buf, &in, tok, NULL);
    rc = msgpack_unpack_next (&msg, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS
       ? accountability_decode (&msg.data, &out, &err) : -2;
    assert (rc == -1 && strcmp (err.field, "outcome") == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);
    (void) rc;
    if (verbose)
        printf ("OK\n");
}
