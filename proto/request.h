/*  request.h — the intake requests: op dispatch, submit and get.
 *
 *  request_decode() turns one request frame into a request_t whose strings
 *  point into the caller's msgpack_unpacked: validated, bounded, UTF-8, with
 *  the field at fault named on any error. It does no I/O, so it is fuzzed
 *  directly (tests/fuzz/fuzz_request.c).
 *
 *  Interface:
 *      request_decode          frame -> request_t, or proto_error_t
 *      channel_valid           is this one of the channels
 *      request_submit_pack     build a submit request (clients, tests, bench)
 */
#ifndef REQUEST_H_INCLUDED
#define REQUEST_H_INCLUDED

#include "proto.h"
#include "complaint_no.h"

typedef enum {
    REQUEST_SUBMIT = 1,
    REQUEST_GET,
} request_op_t;

/* Channels a complaint can arrive through (DOMAIN.md, "Channels"). */
extern const char *const channel_names [];   /* NULL-terminated */
bool channel_valid (proto_str_t name);

typedef struct {
    proto_str_t name, phone, email, account, id_no;
} customer_t;

typedef struct {
    proto_str_t channel;
    proto_str_t ref;               /* adapter's idempotency reference */
    proto_str_t body;
    proto_str_t subject, demand, branch, product, category, lang;
    customer_t  customer;
    bool        has_amount;
    char        amount [32];       /* decimal text, e.g. "1250.50" */
    int64_t     received_at;       /* unix ms; 0 when absent */
} submit_t;

typedef struct {
    char complaint_no [COMPLAINT_NO_SIZE];
} get_t;

typedef struct {
    request_op_t op;
    union {
        submit_t submit;
        get_t get;
    } u;
} request_t;

/* Decode a frame. On success *msg holds the object the strings point into;
 * the caller destroys it after use either way. */
int request_decode (const void *data, size_t size, msgpack_unpacked *msg,
                    request_t *req, proto_error_t *err);

/* Pack a submit request from a submit_t (fields with ptr == NULL are left
 * out; amount if has_amount; received_at if non-zero). */
void request_submit_pack (msgpack_sbuffer *buf, const submit_t *submit);

void request_test (bool verbose);

#endif
