/*  complaint_store.h — intake's side of the store: the complaint table and
 *  its outbox rows, written in group-committed batches; and the one store
 *  session of a batch writer, which the batch's other requests (get, act,
 *  queue: case_view.h, case_action.h) use after the submits.
 *
 *  A batch is one transaction sent as one libpq pipeline: BEGIN, one prepared
 *  statement for the whole batch (insert every complaint whose (submitter,
 *  channel, ref) is new and, in the same statement, its complaint.received
 *  outbox row),
 *  COMMIT, sync — one round trip and one fsync for the whole batch. Numbers
 *  of complaints that already existed are read after COMMIT. Only after the
 *  COMMIT result arrives does the caller reply, so an acknowledged complaint
 *  is always durable (invariant 1). Not thread-safe: one store per thread.
 *
 *  Interface:
 *      complaint_store_new / _destroy
 *      complaint_store_submit_batch   write a batch, fill each item's result
 *      complaint_store_submit_in_txn  one submit in the caller's transaction
 *      complaint_store_pack_reply     a submit's answer
 *      complaint_store_session        the session, reconnected if need be
 */
#ifndef COMPLAINT_STORE_H_INCLUDED
#define COMPLAINT_STORE_H_INCLUDED

#include "pg_session.h"
#include "request.h"
#include "privacy.h"
#include "identity_seal.h"
#include "query_code.h"
#include <msgpack.h>

/* The purpose the query code is sealed under (identity_seal.h): the
 * notifier opens it for the receipt. */
#define COMPLAINT_STORE_CODE_PURPOSE IDENTITY_PURPOSE_QUERY_CODE

typedef struct complaint_store_t complaint_store_t;

typedef enum {
    SUBMIT_PENDING = 0,
    SUBMIT_ACCEPTED,        /* new complaint committed */
    SUBMIT_DUPLICATE,       /* (submitter, channel, ref) existed: its first number */
    SUBMIT_FAILED,          /* err says why; nothing was written */
} submit_status_t;

typedef struct {
    const submit_t *submit;             /* in: validated request */
    const char *submitter;              /* in: the sender's certificate name
                                           ("local" under plaintext): refs are
                                           unique per submitter and channel */
    int64_t received_at;                /* in: ms from the submit; 0: app_now () */
    submit_status_t status;             /* out */
    char complaint_no [COMPLAINT_NO_SIZE];  /* out when accepted or duplicate */
    proto_error_t err;                  /* out when failed */
    char pseudonym [PRIVACY_PSEUDONYM_SIZE];    /* computed once per item */
    char query_code [QUERY_CODE_SIZE];  /* out: the customer's code, grouped;
                                           "" for a duplicate that has none */
    /* what the key made for the item (complaint_store.c, s_seal_item) */
    unsigned char code_hash [IDENTITY_HASH_SIZE];
    unsigned char code_sealed [QUERY_CODE_SIZE - 1 + IDENTITY_SEAL_OVERHEAD];
    unsigned char phone_hash [IDENTITY_HASH_SIZE], email_hash [IDENTITY_HASH_SIZE];
    unsigned char account_hash [IDENTITY_HASH_SIZE], id_no_hash [IDENTITY_HASH_SIZE];
} submit_item_t;

/* Connects (retrying until the store answers; NULL only when interrupted).
 * Complaint-number dates use the process's local time zone (TZ). seal:
 * the identity keys (the caller's, outliving the store). */
complaint_store_t *complaint_store_new (const char *conninfo, const identity_seal_t *seal);
void complaint_store_destroy (complaint_store_t **self_p);

/* Write up to n items in one transaction. Never fails as a whole: on a
 * store error each item gets SUBMIT_FAILED with code "unavailable" (safe to
 * retry: intake is idempotent on (submitter, channel, ref)). */
void complaint_store_submit_batch (complaint_store_t *self, submit_item_t *items, size_t n);

/* One submit inside a transaction the caller opened on the session
 * (first_contact.c): the same statement, numbering and sealing as a batch,
 * without its BEGIN and COMMIT. 0 with item->status SUBMIT_ACCEPTED (this
 * statement created the complaint) or SUBMIT_DUPLICATE (the first one's
 * number and query code); -1 with item->err set (unavailable or internal:
 * the caller rolls back). Nothing is acknowledged until the caller's
 * COMMIT. */
int complaint_store_submit_in_txn (complaint_store_t *self, submit_item_t *item);

/* A submit's answer, {"ok":true, "complaint_no", "duplicate", "query_code"},
 * as the head of a map of 4 + extra pairs (the caller packs the extra). */
void complaint_store_pack_reply (msgpack_packer *pk, const submit_item_t *item, size_t extra);

/* The store's session, its connection healthy and outside any transaction,
 * for the batch's other requests; reconnects (blocking, like a submit
 * batch) when it was lost. NULL only when interrupted. */
pg_session_t *complaint_store_session (complaint_store_t *self);

#endif
