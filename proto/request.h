/*  request.h — the intake requests: op dispatch, submit, get, act, queue.
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
 *      request_get_pack        build a get request (complaintctl status, the web adapter)
 *      request_reply_pack      build a reply request (the channel adapters)
 *      request_known_keys, request_complaint_no   shared with evidence_request.c
 */
#ifndef REQUEST_H_INCLUDED
#define REQUEST_H_INCLUDED

#include "proto.h"
#include "complaint_no.h"
#include "lifecycle.h"
#include "act_outcomes.h"
#include "evidence_request.h"
#include "records_request.h"     /* issue 16 (i16-records) */
#include "rectification_request.h"     /* issue 16 (i16-tasks) */
#include "accountability_request.h"
#include "survey_request.h"         /* issue 16 (i16-followup) */

typedef enum {
    REQUEST_SUBMIT = 1,
    REQUEST_GET,
    REQUEST_ACT,                /* a staff action on a case */
    REQUEST_QUEUE,              /* a member of staff's work list */
    REQUEST_REPLY,              /* an adapter: the customer's reply on a case */
    REQUEST_EVIDENCE_ADD,       /* staff hand evidence in on a case (evidence_request.h) */
    REQUEST_EVIDENCE_GET,       /* staff take one item's bytes back out */
    /* issue 16 (i16-records): records_request.h */
    REQUEST_CASEFILE,           /* a closed case's whole file */
    REQUEST_RETENTION_RUN,      /* erase identity after the retention period */
    REQUEST_KB_PROMOTE,         /* a case into the knowledge base */
    REQUEST_KB_SEARCH,          /* the knowledge base searched */
    REQUEST_RECTIFICATION,      /* issue 16 (i16-tasks): rectification items (整改) */
    REQUEST_ACCOUNTABILITY,     /* issue 16 (i16-tasks): the accountability register (问责) */
    REQUEST_SURVEY,             /* issue 16 (i16-followup): the survey's answer */
} request_op_t;

#define REQUEST_MAX_QUERY_CODE 32  /* bytes; a code is 10 characters (query_code.h) */
#define REQUEST_MAX_TOKEN   128     /* bytes; a real token is 64 hex (staff_token.h) */
#define REQUEST_MAX_TEXT    4096    /* an action's free text (a note, a reply) */
#define REQUEST_MAX_ID      64      /* staff and department ids */
#define REQUEST_QUEUE_MAX   500     /* most cases one queue reply lists */
#define REQUEST_QUEUE_DEFAULT 50
#define REQUEST_AMOUNT_SIZE 32      /* decimal text with NUL */

/* Channels a complaint can arrive through (DOMAIN.md, "Channels"). */
extern const char *const channel_names [];   /* NULL-terminated */
bool channel_valid (proto_str_t name);

typedef struct {
    proto_str_t name, phone, email, account, id_no;
} customer_t;

/*  First-contact resolution (一次解决, DOMAIN.md): the front-line agent who
 *  took the call solved it on the call. A submit carrying this is
 *  registered, accepted and resolved in one transaction by the agent whose
 *  token it carries (lifecycle_first_contact, proto/lifecycle.h), or not at
 *  all. The fields are the resolve action's: outcome and text required,
 *  amount when the outcome needs one. */
typedef struct {
    bool        present;
    proto_str_t token;
    char        outcome [32];
    proto_str_t text;
    bool        has_amount;
    char        amount [REQUEST_AMOUNT_SIZE];
} first_contact_t;

/*  A referred complaint (issue 15 §1; migration 026): forwarded by a
 *  regulator's hotline, the banking association, a consumer association
 *  or the media, with the referring body's own ticket number and the date
 *  by which it wants the bank's reply back (对口回复, seed
 *  003_2e13b8f96210a22c.txt). `source` is one of referral_sources ("" when
 *  the complaint came directly); referrer and ticket are optional, due_at
 *  0 when absent. Whether due_at is after receipt and within a year of it
 *  is intake's check (the receipt may be the store's clock): see
 *  services/intake/complaint_store.c. */
#define REQUEST_REFERRER_MAX_CHARS 200  /* characters, as complaint.referrer */
#define REQUEST_TICKET_MAX         64   /* bytes (complaint.referrer_ticket: 64 characters) */
typedef struct {
    char        source [24];
    proto_str_t referrer;          /* the referring body by name */
    proto_str_t ticket;            /* its own ticket number */
    int64_t     due_at;            /* unix ms; 0 when absent */
} referral_t;

/*  issue 16 (i16-tasks): the incident as the customer tells it (问责's
 *  registration fields; migration 046): the staff concerned (names or
 *  staff numbers, ≤ 200 characters: personal data of staff, never on the
 *  stream), when (unix ms, 0 absent) and where (≤ 200 characters). */
#define REQUEST_INCIDENT_MAX_CHARS 200
typedef struct {
    proto_str_t staff_concerned;
    int64_t     at;
    proto_str_t place;
} incident_t;

/* Referral sources, as complaint.referral_source (NULL-terminated). */
extern const char *const referral_sources [];

typedef struct {
    proto_str_t channel;
    proto_str_t ref;               /* adapter's idempotency reference */
    proto_str_t body;
    proto_str_t subject, demand, branch, product, category, lang;
    customer_t  customer;
    bool        has_amount;
    char        amount [REQUEST_AMOUNT_SIZE];  /* decimal text, e.g. "1250.50" */
    int64_t     received_at;       /* unix ms; 0 when absent */
    bool        narrative_consent; /* the customer agreed to publish the (scrubbed)
                                      text; false when absent */
    first_contact_t first_contact; /* optional: solved on the call */
    incident_t  incident;          /* issue 16 (i16-tasks): optional, ptr NULL / 0 absent */
    referral_t  referral;          /* source "" when not referred; channel regulator
                                      without a referral decodes as source regulator */
} submit_t;

typedef struct {
    char complaint_no [COMPLAINT_NO_SIZE];
    proto_str_t token;             /* optional: ptr NULL without one */
    proto_str_t query_code;        /* optional: the customer's code (status view) */
} get_t;

/*  An action. Vocabulary fields (outcome, reason, level, department,
 *  duplicate_of) are copied NUL-terminated ("" when absent) because the
 *  lifecycle rules and the SQL parameters want C strings; `present` holds
 *  the action_field_t bits the request carried. The field list and the
 *  value rules that do not depend on the case were already checked against
 *  proto/lifecycle.c at decode time. */
typedef struct {
    char complaint_no [COMPLAINT_NO_SIZE];
    const lifecycle_action_t *action;
    proto_str_t token;
    proto_str_t actor;             /* optional: must be the token's holder */
    int64_t     version;           /* the case version the client saw */
    unsigned    present;           /* action_field_t bits */
    proto_str_t text;
    char        outcome [32];
    char        reason [32];
    char        level [16];
    char        department [REQUEST_MAX_ID + 1];
    char        duplicate_of [COMPLAINT_NO_SIZE];
    char        amount [REQUEST_AMOUNT_SIZE];  /* decimal text when FIELD_AMOUNT */
    int         satisfied;         /* -1 absent, 0 no, 1 yes */
    /* issue 16 (i16-vetting): the answer for the customer, several outcomes */
    proto_str_t customer_text;     /* FIELD_CUSTOMER_TEXT */
    int         noutcomes;         /* FIELD_OUTCOMES when > 0 */
    act_outcome_t outcomes [ACT_MAX_OUTCOMES];
    /* issue 16 (i16-tasks): FIELD_DUE, FIELD_TASK, FIELD_OWNER */
    char        due [48];          /* a span ("2wd") or a local time */
    char        task [24];         /* the task's id, digits */
    char        owner [REQUEST_MAX_ID + 1];
    /* issue 16 (i16-followup) */
    int64_t     score;             /* 1..5 when FIELD_SCORE */
    char        service [64];      /* set by intake, never decoded: the CURVE
                                      name of a service acting without a token */
} act_t;

typedef enum {
    QUEUE_MINE = 0,                /* cases whose handler is me */
    QUEUE_DEPARTMENT,              /* my department (supervisors: their subtree) */
    QUEUE_ALL,                     /* every case I may see */
} queue_scope_t;

typedef struct {
    proto_str_t   token;
    queue_scope_t scope;
    bool          has_state;
    case_state_t  state;
    int64_t       limit;
} queue_t;

/*  The customer's reply on a case, sent by the channel's adapter (issue 14
 *  §3; PROTOCOL.md "reply"): the case, the channel and its ref (the e-mail's
 *  Message-ID: the same ref twice records once), the sender's address as
 *  the channel gave it, and the text. Intake checks the sender against the
 *  case's customer (services/intake/case_reply.c). */
typedef struct {
    char complaint_no [COMPLAINT_NO_SIZE];
    proto_str_t channel;
    proto_str_t ref;
    proto_str_t from;              /* the sender's address */
    proto_str_t text;              /* the customer's words, up to PROTO_MAX_BODY */
} reply_t;

typedef struct {
    request_op_t op;
    union {
        submit_t submit;
        get_t get;
        act_t act;
        queue_t queue;
        reply_t reply;
        evidence_add_t evidence_add;
        evidence_get_t evidence_get;
        /* issue 16 (i16-records) */
        casefile_t casefile;
        retention_run_t retention_run;
        kb_promote_t kb_promote;
        kb_search_t kb_search;
        rectification_t rectification;      /* issue 16 (i16-tasks) */
        accountability_t accountability;
        survey_t survey;            /* issue 16 (i16-followup) */
    } u;
} request_t;

/* Decode a frame. On success *msg holds the object the strings point into;
 * the caller destroys it after use either way. */
int request_decode (const void *data, size_t size, msgpack_unpacked *msg,
                    request_t *req, proto_error_t *err);

/* Pack a submit request from a submit_t (fields with ptr == NULL are left
 * out; amount if has_amount; received_at if non-zero; first_contact if
 * present; referral when its source is set). */
void request_submit_pack (msgpack_sbuffer *buf, const submit_t *submit);

/* Pack a get: the staff view with a token, the public status view with
 * the customer's query code (either may be NULL). */
void request_get_pack (msgpack_sbuffer *buf, const char *complaint_no, const char *token,
                       const char *query_code);
/* Pack a reply request (ptr == NULL fields are left out). */
void request_reply_pack (msgpack_sbuffer *buf, const reply_t *reply);

/* What the decoders of other request files share (evidence_request.c):
 * every key of map one of keys (else unknown_field naming it), and a
 * required complaint number at "complaint_no" (shape and check digit). */
int request_known_keys (const msgpack_object *map, const char *const *keys, const char *what,
                        proto_error_t *err);
int request_complaint_no (const msgpack_object *map, char out [COMPLAINT_NO_SIZE],
                          proto_error_t *err);

void request_test (bool verbose);

#endif
