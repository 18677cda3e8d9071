/*  records_request.c — decoding and packing the records requests (see
 *  records_request.h).
 *
 *  casefile:       complaint_no, token (both required)
 *  retention_run:  token; dry_run (bool, default false); limit
 *                  (1..RECORDS_RETENTION_LIMIT_MAX, default 200)
 *  kb_promote:     complaint_no, token; summary and answer (1..16000 bytes
 *                  of UTF-8 each: the promoter's edit, scrubbed by intake
 *                  all the same)
 *  kb_search:      token; business_line, cause (1..64 bytes); words
 *                  (1..200 bytes); limit (1..50, default 10)
 *
 *  Every text is checked as UTF-8 by proto_get_str; the sizes are bounded
 *  here, before any store work.
 */
#include "records_request.h"
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_casefile_keys [] = { "op", "complaint_no", "token", NULL };
static const char *const s_retention_keys [] = { "op", "token", "dry_run", "limit", NULL };
static const char *const s_promote_keys [] = {
    "op", "complaint_no", "token", "summary", "answer", NULL
};
static const char *const s_search_keys [] = {
    "op", "token", "business_line", "cause", "words", "limit", NULL
};

static int
s_token (const msgpack_object *map, proto_str_t *token, proto_error_t *err)
{
    return proto_get_str (map, "token", "token", true, 1, REQUEST_MAX_TOKEN, token, err);
}

int
records_casefile_decode (const msgpack_object *map, casefile_t *c, proto_error_t *err)
{
    memset (c, 0, sizeof *c);
    if (request_known_keys (map, s_casefile_keys, "casefile", err)
    ||  request_complaint_no (map, c->complaint_no, err)
    ||  s_token (map, &c->token, err))
        return -1;
    return 0;
}

int
records_retention_decode (const msgpack_object *map, retention_run_t *r, proto_error_t *err)
{
    memset (r, 0, sizeof *r);
    r->limit = RECORDS_RETENTION_LIMIT_DEFAULT;
    if (request_known_keys (map, s_retention_keys, "retention_run", err)
    ||  s_token (map, &r->token, err)
    ||  proto_get_int (map, "limit", "limit", false, 1, RECORDS_RETENTION_LIMIT_MAX, &r->limit,
                       NULL, err))
        return -1;
    const msgpack_object *dry = proto_map_get (map, "dry_run");
    if (dry && dry->type != MSGPACK_OBJECT_NIL) {
        if (dry->type != MSGPACK_OBJECT_BOOLEAN) {
            proto_error_set (err, PROTO_E_WRONG_TYPE, "dry_run", "dry_run must be true or false");
            return -1;
        }
        r->dry_run = dry->via.boolean;
    }
    return 0;
}

int
records_kb_promote_decode (const msgpack_object *map, kb_promote_t *k, proto_error_t *err)
{
    memset (k, 0, sizeof *k);
    if (request_known_keys (map, s_promote_keys, "kb_promote", err)
    ||  request_complaint_no (map, k->complaint_no, err)
    ||  s_token (map, &k->token, err)
    ||  proto_get_str (map, "summary", "summary", false, 1, RECORDS_KB_MAX_TEXT, &k->summary,
                       err)
    ||  proto_get_str (map, "answer", "answer", false, 1, RECORDS_KB_MAX_TEXT, &k->answer, err))
        return -1;
    return 0;
}

int
records_kb_search_decode (const msgpack_object *map, kb_search_t *k, proto_error_t *err)
{
    memset (k, 0, sizeof *k);
    k->limit = RECORDS_KB_LIMIT_DEFAULT;
    if (request_known_keys (map, s_search_keys, "kb_search", err)
    ||  s_token (map, &k->token, err)
    ||  proto_get_str (map, "business_line", "business_line", false, 1, RECORDS_KB_MAX_CLASS,
                       &k->business_line, err)
    ||  proto_get_str (map, "cause", "cause", false, 1, RECORDS_KB_MAX_CLASS, &k->cause, err)
    ||  proto_get_str (map, "words", "words", false, 1, RECORDS_KB_MAX_WORDS, &k->words, err)
    ||  proto_get_int (map, "limit", "limit", false, 1, RECORDS_KB_LIMIT_MAX, &k->limit, NULL,
                       err))
        return -1;
    return 0;
}

//  --------------------------------------------------------------------------
//  Packing

static void
s_kv_str (msgpack_packer *pk, const char *key, proto_str_t value)
{
    proto_pack_cstr (pk, key);
    proto_pack_strn (pk, value.ptr, value.len);
}

void
records_casefile_pack (msgpack_sbuffer *buf, const char *complaint_no, const char *token)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    proto_pack_kv_cstr (&pk, "op", "casefile");
    proto_pack_kv_cstr (&pk, "complaint_no", complaint_no);
    proto_pack_kv_cstr (&pk, "token", token);
}

void
records_retention_pack (msgpack_sbuffer *buf, const char *token, bool dry_run, int64_t limit)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 4);
    proto_pack_kv_cstr (&pk, "op", "retention_run");
    proto_pack_kv_cstr (&pk, "token", token);
    proto_pack_kv_bool (&pk, "dry_run", dry_run);
    proto_pack_kv_int (&pk, "limit", limit);
}

void
records_kb_promote_pack (msgpack_sbuffer *buf, const kb_promote_t *k)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3 + (k->summary.ptr != NULL) + (k->answer.ptr != NULL));
    proto_pack_kv_cstr (&pk, "op", "kb_promote");
    proto_pack_kv_cstr (&pk, "complaint_no", k->complaint_no);
    s_kv_str (&pk, "token", k->token);
    if (k->summary.ptr)
        s_kv_str (&pk, "summary", k->summary);
    if (k->answer.ptr)
        s_kv_str (&pk, "answer", k->answer);
}

void
records_kb_search_pack (msgpack_sbuffer *buf, const kb_search_t *k)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3 + (k->business_line.ptr != NULL) + (k->cause.ptr != NULL)
                         + (k->words.ptr != NULL));
    proto_pack_kv_cstr (&pk, "op", "kb_search");
    s_kv_str (&pk, "token", k->token);
    if (k->business_line.ptr)
        s_kv_str (&pk, "business_line", k->business_line);
    if (k->cause.ptr)
        s_kv_str (&pk, "cause", k->cause);
    if (k->words.ptr)
        s_kv_str (&pk, "words", k->words);
    proto_pack_kv_int (&pk, "limit", k->limit);
}

//  --------------------------------------------------------------------------
//  Self-test: each request round-trips through request_decode (the op
//  dispatch included), and each bound is refused naming its field.

#define S(text) ((proto_str_t) { text, sizeof text - 1 })

static int s_failed;

static void
s_expect (bool ok, const char *what)
{
    if (!ok) {
        printf ("\n   FAIL: %s", what);
        s_failed++;
    }
}

/* Decode buf as a request: 0 or -1, err set. */
static int
s_decode (msgpack_sbuffer *buf, request_t *req, proto_error_t *err)
{
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    *err = (proto_error_t) { 0 };
    int rc = request_decode (buf->data, buf->size, &msg, req, err);
    msgpack_unpacked_destroy (&msg);       /* the test reads only numbers and flags after */
    msgpack_sbuffer_clear (buf);
    return rc;
}

void
records_request_test (bool verbose)
{
    printf (" * records_request: ");
    s_failed = 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    request_t req;
    proto_error_t err;

    records_casefile_pack (&buf, "202611230000427", "t0k");
    s_expect (s_decode (&buf, &req, &err) == 0 && req.op == REQUEST_CASEFILE
              && strcmp (req.u.casefile.complaint_no, "202611230000427") == 0, "casefile");
    records_casefile_pack (&buf, "202611230000428", "t0k");
    s_expect (s_decode (&buf, &req, &err) == -1 && strcmp (err.field, "complaint_no") == 0,
              "casefile: a bad check digit names complaint_no");

    records_retention_pack (&buf, "t0k", true, 5);
    s_expect (s_decode (&buf, &req, &err) == 0 && req.op == REQUEST_RETENTION_RUN
              && req.u.retention_run.dry_run && req.u.retention_run.limit == 5, "retention_run");
    records_retention_pack (&buf, "t0k", false, RECORDS_RETENTION_LIMIT_MAX + 1);
    s_expect (s_decode (&buf, &req, &err) == -1 && strcmp (err.field, "limit") == 0,
              "retention_run: limit bounded");

    kb_promote_t p = { .complaint_no = "202611230000427", .token = S ("t0k"),
                       .summary = S ("信用卡年费重复收取"), .answer = S ("已退还") };
    records_kb_promote_pack (&buf, &p);
    s_expect (s_decode (&buf, &req, &err) == 0 && req.op == REQUEST_KB_PROMOTE
              && req.u.kb_promote.summary.len == p.summary.len, "kb_promote");
    static char big [RECORDS_KB_MAX_TEXT + 1];
    memset (big, 'x', sizeof big);
    p.answer = (proto_str_t) { big, sizeof big };
    records_kb_promote_pack (&buf, &p);
    s_expect (s_decode (&buf, &req, &err) == -1 && strcmp (err.field, "answer") == 0,
              "kb_promote: answer bounded");

    kb_search_t s = { .token = S ("t0k"), .business_line = S ("cards"), .words = S ("年费"),
                      .limit = 3 };
    records_kb_search_pack (&buf, &s);
    s_expect (s_decode (&buf, &req, &err) == 0 && req.op == REQUEST_KB_SEARCH
              && req.u.kb_search.limit == 3 && !req.u.kb_search.cause.ptr, "kb_search");
    s.words = (proto_str_t) { big, RECORDS_KB_MAX_WORDS + 1 };
    records_kb_search_pack (&buf, &s);
    s_expect (s_decode (&buf, &req, &err) == -1 && strcmp (err.field, "words") == 0,
              "kb_search: words bounded");
    s.words = S ("fee");
    s.limit = 0;
    records_kb_search_pack (&buf, &s);
    s_expect (s_decode (&buf, &req, &err) == -1 && strcmp (err.field, "limit") == 0,
              "kb_search: limit from 1");
    msgpack_sbuffer_destroy (&buf);
    if (s_failed) {
        printf ("\n   %d failed\n", s_failed);
        abort ();
    }
    if (verbose)
        printf ("round trips, bounds named ");
    printf ("OK\n");
}
