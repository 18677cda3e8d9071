/*  survey_request.c — the intake request `survey` (see survey_request.h).
 *
 *  A token of the wrong shape is answered like a wrong one (not_found,
 *  field token) by intake: the decoder only bounds it, so a guesser learns
 *  nothing from which check failed.
 */
#include "survey_request.h"
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_keys [] = { "op", "token", "score", "comment", "check", NULL };

int
survey_token_split (const char *token, size_t len, char no [COMPLAINT_NO_SIZE],
                    char secret [SURVEY_SECRET_HEX + 1])
{
    const char *dot = token ? memchr (token, '.', len) : NULL;
    if (!dot)
        return -1;
    size_t nlen = (size_t) (dot - token), slen = len - nlen - 1;
    proto_error_t err;
    if (nlen == 0 || nlen >= COMPLAINT_NO_SIZE || slen != SURVEY_SECRET_HEX
    ||  complaint_no_check (token, nlen, "token", &err))
        return -1;
    for (size_t i = 0; i < slen; i++) {
        char c = dot [1 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
    }
    memcpy (no, token, nlen);
    no [nlen] = 0;
    memcpy (secret, dot + 1, slen);
    secret [slen] = 0;
    return 0;
}

/* UTF-8 characters in a valid UTF-8 string. */
static size_t
s_chars (proto_str_t s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        n += ((unsigned char) s.ptr [i] & 0xC0) != 0x80;
    return n;
}

int
survey_decode (const msgpack_object *map, survey_t *s, proto_error_t *err)
{
    memset (s, 0, sizeof *s);
    if (request_known_keys (map, s_keys, "survey", err))
        return -1;
    proto_str_t token = { 0 };
    //  The check (a boolean, true when present) carries the token alone.
    const msgpack_object *check = proto_map_get (map, "check");
    if (check && (check->type != MSGPACK_OBJECT_BOOLEAN || !check->via.boolean)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "check",
                         "check is true when present (the link's check) or left out");
        return -1;
    }
    s->check = check != NULL;
    if (s->check && (proto_map_get (map, "score") || proto_map_get (map, "comment"))) {
        proto_error_set (err, PROTO_E_INVALID_FIELD,
                         proto_map_get (map, "score") ? "score" : "comment",
                         "a check carries the token alone (no score, no comment)");
        return -1;
    }
    if (proto_get_str (map, "token", "token", true, 1, SURVEY_TOKEN_MAX, &token, err)
    ||  (!s->check && proto_get_int (map, "score", "score", true, 1, 5, &s->score, NULL, err))
    ||  proto_get_str (map, "comment", "comment", false, 1, SURVEY_COMMENT_MAX, &s->comment,
                       err))
        return -1;
    if (s->comment.ptr && s_chars (s->comment) > SURVEY_COMMENT_CHARS) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "comment",
                         "comment is at most %d characters", SURVEY_COMMENT_CHARS);
        return -1;
    }
    //  A token of another shape is kept empty: intake answers not_found.
    if (survey_token_split (token.ptr, token.len, s->complaint_no, s->secret)) {
        s->complaint_no [0] = 0;
        s->secret [0] = 0;
    }
    return 0;
}

void
survey_pack (msgpack_sbuffer *buf, const char *token, int64_t score, const char *comment)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, comment ? 4 : 3);
    proto_pack_kv_cstr (&pk, "op", "survey");
    proto_pack_kv_cstr (&pk, "token", token);
    proto_pack_kv_int (&pk, "score", score);
    if (comment)
        proto_pack_kv_cstr (&pk, "comment", comment);
}

void
survey_check_pack (msgpack_sbuffer *buf, const char *token)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    proto_pack_kv_cstr (&pk, "op", "survey");
    proto_pack_kv_cstr (&pk, "token", token);
    proto_pack_kv_bool (&pk, "check", true);
}

/* The self-test's checks run under -DNDEBUG too (no code inside assert:
 * STYLE.md; issue 16 integration found these in assert, which a packager's
 * build compiled out and then refused as unused variables). */
#define S_CHECK(cond) do { \
        if (!(cond)) { \
            fprintf (stderr, "survey_request_test: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort (); \
        } \
    } while (0)

void
survey_request_test (bool verbose)
{
    char no [COMPLAINT_NO_SIZE], secret [SURVEY_SECRET_HEX + 1];
    const char *good = "202611230000427.0123456789abcdef0123456789abcdef";
    S_CHECK (survey_token_split (good, strlen (good), no, secret) == 0
            && strcmp (no, "202611230000427") == 0 && strlen (secret) == 32);
    const char *bad [] = { "202611230000428.0123456789abcdef0123456789abcdef",   /* check digit */
                           "202611230000427.0123456789ABCDEF0123456789abcdef",   /* upper */
                           "202611230000427.0123", "202611230000427", ".", "", NULL };
    for (int i = 0; bad [i]; i++)
        S_CHECK (survey_token_split (bad [i], strlen (bad [i]), no, secret) == -1);

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    survey_pack (&buf, good, 4, "解释很清楚");
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    request_t req;
    proto_error_t err = { 0 };
    S_CHECK (request_decode (buf.data, buf.size, &msg, &req, &err) == 0
            && req.op == REQUEST_SURVEY && req.u.survey.score == 4
            && strcmp (req.u.survey.complaint_no, "202611230000427") == 0
            && req.u.survey.comment.len == strlen ("解释很清楚"));
    msgpack_sbuffer_clear (&buf);
    survey_pack (&buf, good, 6, NULL);
    S_CHECK (request_decode (buf.data, buf.size, &msg, &req, &err) == -1
            && strcmp (err.field, "score") == 0);
    msgpack_sbuffer_clear (&buf);
    char long_comment [3 * (SURVEY_COMMENT_CHARS + 1) + 1];
    for (int i = 0; i <= SURVEY_COMMENT_CHARS; i++)
        memcpy (long_comment + 3 * i, "好", 3);
    long_comment [3 * (SURVEY_COMMENT_CHARS + 1)] = 0;
    survey_pack (&buf, good, 3, long_comment);
    S_CHECK (request_decode (buf.data, buf.size, &msg, &req, &err) == -1
            && strcmp (err.code, PROTO_E_TOO_LARGE) == 0 && strcmp (err.field, "comment") == 0);
    long_comment [3 * SURVEY_COMMENT_CHARS] = 0;          /* exactly 1000 characters */
    msgpack_sbuffer_clear (&buf);
    survey_pack (&buf, good, 3, long_comment);
    S_CHECK (request_decode (buf.data, buf.size, &msg, &req, &err) == 0);
    msgpack_sbuffer_clear (&buf);
    survey_pack (&buf, "not a token", 3, NULL);             /* bounded, answered later */
    S_CHECK (request_decode (buf.data, buf.size, &msg, &req, &err) == 0
            && req.u.survey.complaint_no [0] == 0);
    //  issue 16 follow-up (adapters2): the read-only check
    msgpack_sbuffer_clear (&buf);
    survey_check_pack (&buf, good);
    S_CHECK (request_decode (buf.data, buf.size, &msg, &req, &err) == 0
            && req.op == REQUEST_SURVEY && req.u.survey.check && req.u.survey.score == 0
            && strcmp (req.u.survey.complaint_no, "202611230000427") == 0);
    msgpack_sbuffer_clear (&buf);
    {
        msgpack_packer pk;
        msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 4);
        proto_pack_kv_cstr (&pk, "op", "survey");
        proto_pack_kv_cstr (&pk, "token", good);
        proto_pack_kv_bool (&pk, "check", true);
        proto_pack_kv_int (&pk, "score", 5);
    }
    S_CHECK (request_decode (buf.data, buf.size, &msg, &req, &err) == -1
            && strcmp (err.field, "score") == 0);
    msgpack_sbuffer_clear (&buf);
    {
        msgpack_packer pk;
        msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 3);
        proto_pack_kv_cstr (&pk, "op", "survey");
        proto_pack_kv_cstr (&pk, "token", good);
        proto_pack_kv_bool (&pk, "check", false);
    }
    S_CHECK (request_decode (buf.data, buf.size, &msg, &req, &err) == -1
            && strcmp (err.field, "check") == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);
    if (verbose)
        printf ("OK\n");
}
