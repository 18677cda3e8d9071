/*  web_reply.c — intake's answer, read once (see web_reply.h).
 *
 *  Every field is optional: a reply without an error map, or with one
 *  whose code is not a string, reads as "no code" and each caller answers
 *  it as intake being unavailable (503), never as a success.
 */
#include "web_reply.h"

#include <string.h>

void
web_reply_read (web_reply_t *self, zframe_t *frame, size_t max)
{
    memset (self, 0, sizeof *self);
    msgpack_unpacked_init (&self->msg);
    proto_error_t err;
    if (frame && proto_unpack (zframe_data (frame), zframe_size (frame), max, PROTO_MAX_DEPTH,
                               &self->msg, &err) == 0
    &&  self->msg.data.type == MSGPACK_OBJECT_MAP)
        self->map = &self->msg.data;
    if (!self->map)
        return;
    const msgpack_object *ok = proto_map_get (self->map, "ok");
    self->ok = ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
    const msgpack_object *error = proto_map_get (self->map, "error");
    if (error && error->type == MSGPACK_OBJECT_MAP) {
        proto_get_str (error, "code", "code", false, 0, 64, &self->code, &err);
        proto_get_str (error, "field", "field", false, 0, 64, &self->field, &err);
        proto_get_str (error, "message", "message", false, 0, 1000, &self->message, &err);
    }
}

void
web_reply_done (web_reply_t *self)
{
    msgpack_unpacked_destroy (&self->msg);
    self->map = NULL;
}

bool
web_reply_code_is (const web_reply_t *self, const char *code)
{
    return self->code.ptr && proto_str_eq (self->code, code);
}
