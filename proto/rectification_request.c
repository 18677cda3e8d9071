/*  rectification_request.c — decoding and packing intake's `rectification`
 *  request (see rectification_request.h).
 *
 *      do          open | list | done
 *      token       required: staff only
 *      open:  hotspot (1..200 bytes, RULE/BRANCH/CAUSE/LINE: three '/'),
 *             due (a span or a local time, 1..47 bytes: intake counts it),
 *             text (1..4096 bytes), department and owner optional ids
 *      list:  all optional boolean
 *      done:  task (a positive integer), text (what was done)
 *  A key that does not belong to the `do` given is refused (invalid_field),
 *  so a mistyped request is not half understood.
 */
#include "rectification_request.h"
#include "request.h"

#include <assert.h>
#include <string.h>

static const char *const s_keys [] = {
    "op", "do", "token", "hotspot", "department", "owner", "due", "text", "task", "all", NULL
};

static int
s_word (const msgpack_object *map, const char *key, bool required, char *out, size_t size,
        proto_error_t *err)
{
    proto_str_t v = { 0 };
    out [0] = 0;
    if (proto_get_str (map, key, key, required, 1, size - 1, &v, err))
        return -1;
    if (v.ptr) {
        memcpy (out, v.ptr, v.len);
        out [v.len] = 0;
    }
    return 0;
}

static int
s_only (const msgpack_object *map, const char *const *keys, const char *what,
        proto_error_t *err)
{
    for (int i = 0; keys [i]; i++)
        if (proto_map_get (map, keys [i])) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, keys [i],
                             "%s does not apply to rectification %s", keys [i], what);
            return -1;
        }
    return 0;
}

int
rectification_decode (const msgpack_object *map, rectification_t *r, proto_error_t *err)
{
    memset (r, 0, sizeof *r);
    char what [8];
    if (request_known_keys (map, s_keys, "rectification", err)
    ||  s_word (map, "do", true, what, sizeof what, err)
    ||  proto_get_str (map, "token", "token", true, 1, 128, &r->token, err))
        return -1;
    if (strcmp (what, "open") == 0) {
        r->what = RECTIFY_OPEN;
        static const char *const other [] = { "task", "all", NULL };
        if (s_only (map, other, "open", err)
        ||  s_word (map, "hotspot", true, r->hotspot, sizeof r->hotspot, err)
        ||  s_word (map, "department", false, r->department, sizeof r->department, err)
        ||  s_word (map, "owner", false, r->owner, sizeof r->owner, err)
        ||  s_word (map, "due", true, r->due, sizeof r->due, err)
        ||  proto_get_str (map, "text", "text", true, 1, RECTIFICATION_MAX_TEXT, &r->text, err))
            return -1;
        int slashes = 0;
        for (const char *c = r->hotspot; *c; c++)
            slashes += *c == '/';
        if (slashes != 3 || r->hotspot [0] == '/') {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "hotspot",
                             "hotspot must be a hot spot's key as `complaintctl hotspots` "
                             "prints it: RULE/BRANCH/CAUSE/BUSINESS_LINE");
            return -1;
        }
        return 0;
    }
    if (strcmp (what, "list") == 0) {
        r->what = RECTIFY_LIST;
        static const char *const other [] = { "hotspot", "department", "owner", "due", "text",
                                              "task", NULL };
        if (s_only (map, other, "list", err))
            return -1;
        const msgpack_object *all = proto_map_get (map, "all");
        if (all && all->type != MSGPACK_OBJECT_BOOLEAN) {
            proto_error_set (err, PROTO_E_WRONG_TYPE, "all", "all must be true or false");
            return -1;
        }
        r->all = all && all->via.boolean;
        return 0;
    }
    if (strcmp (what, "done") == 0) {
        r->what = RECTIFY_DONE;
        static const char *const other [] = { "hotspot", "department", "owner", "due", "all",
                                              NULL };
        if (s_only (map, other, "done", err)
        ||  proto_get_int (map, "task", "task", true, 1, INT64_MAX, &r->task, NULL, err)
        ||  proto_get_str (map, "text", "text", true, 1, RECTIFICATION_MAX_TEXT, &r->text, err))
            return -1;
        return 0;
    }
    proto_error_set (err, PROTO_E_INVALID_FIELD, "do", "do must be one of open, list, done");
    return -1;
}

void
rectification_pack (msgpack_sbuffer *buf, const rectification_t *r, const char *token,
                    const char *text)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    const char *words [] = { r->hotspot, r->department, r->owner, r->due };
    static const char *const keys [] = { "hotspot", "department", "owner", "due" };
    uint32_t n = 3 + (text && *text) + (r->what == RECTIFY_DONE) + (r->all ? 1 : 0);
    for (int i = 0; i < 4; i++)
        n += words [i][0] != 0;
    msgpack_pack_map (&pk, n);
    proto_pack_kv_cstr (&pk, "op", "rectification");
    proto_pack_kv_cstr (&pk, "do", r->what == RECTIFY_OPEN ? "open"
                                 : r->what == RECTIFY_LIST ? "list" : "done");
    proto_pack_kv_cstr (&pk, "token", token);
    for (int i = 0; i < 4; i++)
        if (words [i][0])
            proto_pack_kv_cstr (&pk, keys [i], words [i]);
    if (text && *text)
        proto_pack_kv_cstr (&pk, "text", text);
    if (r->what == RECTIFY_DONE)
        proto_pack_kv_int (&pk, "task", r->task);
    if (r->all)
        proto_pack_kv_bool (&pk, "all", true);
}

//  --------------------------------------------------------------------------
//  Self-test

static int
s_decode (const msgpack_sbuffer *buf, rectification_t *r, proto_error_t *err)
{
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = -1;
    if (msgpack_unpack_next (&msg, buf->data, buf->size, NULL) == MSGPACK_UNPACK_SUCCESS)
        rc = rectification_decode (&msg.data, r, err);
    //  strings point into buf, not msg: safe to destroy msg here
    msgpack_unpacked_destroy (&msg);
    return rc;
}

void
rectification_request_test (bool verbose)
{
    if (verbose)
        printf (" * rectification_request: ");
    const char *tok = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    rectification_t in = { .what = RECTIFY_OPEN, .due = "10wd" }, out;
    snprintf (in.hotspot, sizeof in.hotspot, "outlet_cause/outlet_bj_haidian/service_attitude/");
    proto_error_t err = { 0 };
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    rectification_pack (&buf, &in, tok, "整改");
    int rc = s_decode (&buf, &out, &err);
    assert (rc == 0);
    assert (out.what == RECTIFY_OPEN && strcmp (out.due, "10wd") == 0);
    assert (strcmp (out.hotspot, in.hotspot) == 0);
    msgpack_sbuffer_clear (&buf);
    snprintf (in.hotspot, sizeof in.hotspot, "no-slashes");
    rectification_pack (&buf, &in, tok, "x");
    rc = s_decode (&buf, &out, &err);
    assert (rc == -1 && strcmp (err.field, "hotspot") == 0);
    msgpack_sbuffer_clear (&buf);
    rectification_t done = { .what = RECTIFY_DONE, .task = 7 };
    rectification_pack (&buf, &done, tok, "已修订规则");
    rc = s_decode (&buf, &out, &err);
    assert (rc == 0 && out.task == 7 && out.text.len > 0);
    msgpack_sbuffer_clear (&buf);
    rectification_pack (&buf, &done, tok, NULL);
    rc = s_decode (&buf, &out, &err);
    assert (rc == -1 && strcmp (err.field, "text") == 0);
    msgpack_sbuffer_destroy (&buf);
    (void) rc;
    if (verbose)
        printf ("OK\n");
}
