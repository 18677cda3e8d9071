/*  hotline_call.h — one call to the call centre, as the agent desk's form
 *  and the call centre's CSV export both give it, turned into intake's
 *  submit: the one place the hotline's fields are checked, so the desk and
 *  the import refuse the same things with the same words (docs/adapters.md,
 *  "Hotline").
 *
 *  Pure: no I/O, no clock (the caller passes now), no store. Every refusal
 *  names the field (the form's input name, the CSV's column) and a
 *  sentence, for the message beside the field or the rejects file.
 *
 *      call_id          required, 1-128 bytes, printable: the submit's ref
 *                       (the same call from the desk and from the export
 *                       is one complaint: intake's idempotency)
 *      started_at       when the call began: "YYYY-MM-DD HH:MM[:SS]" in the
 *                       bank's zone (TZ), or with "Z" / "+08:00"; at most
 *                       15 minutes ahead of now, at most 90 days back.
 *                       Absent (the desk): intake stamps its own clock
 *      caller_number    the number that called: customer.phone
 *      customer_name    customer.name; one of the two is required
 *      customer_email, customer_account   customer.email, customer.account
 *      complaint        required: the customer's words (body, <= 60 KiB)
 *      demand           what the customer asks for
 *      subject, branch, product, category   as intake takes them
 *      amount           the amount in dispute, decimal
 *      lang             zh (default) or en
 *      ivr_path, recording_ref, agent_id    kept with the words, on lines
 *                       of their own after them (evidence for the handler)
 *      resolved_on_call yes/no (是/否, true/false, 1/0): first contact
 *      outcome, resolution, resolution_amount   the first contact's
 *                       outcome, what was said or done, and the amount
 *                       paid when the outcome needs one
 *      staff_concerned, incident_at, incident_place   the complaint is
 *                       about a member of staff (issue 16 follow-up,
 *                       adapters2): submit's optional `incident` (migration
 *                       046, the accountability register); incident_at in
 *                       started_at's format, not in the future; each
 *                       optional, at most 200 characters (intake's rule)
 *
 *  Interface:
 *      hotline_call_submit     call -> submit request (msgpack), or the field at fault
 *      hotline_call_field_names  the fields, in the order the CSV documents them
 *      hotline_call_field_of   intake's field name -> ours
 *      hotline_call_test
 */
#ifndef HOTLINE_CALL_H_INCLUDED
#define HOTLINE_CALL_H_INCLUDED

#include "proto.h"
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    HOTLINE_CALL_ID = 0,
    HOTLINE_STARTED_AT,
    HOTLINE_CALLER_NUMBER,
    HOTLINE_CUSTOMER_NAME,
    HOTLINE_CUSTOMER_EMAIL,
    HOTLINE_CUSTOMER_ACCOUNT,
    HOTLINE_COMPLAINT,
    HOTLINE_DEMAND,
    HOTLINE_SUBJECT,
    HOTLINE_BRANCH,
    HOTLINE_PRODUCT,
    HOTLINE_CATEGORY,
    HOTLINE_AMOUNT,
    HOTLINE_LANG,
    HOTLINE_IVR_PATH,
    HOTLINE_RECORDING_REF,
    HOTLINE_AGENT_ID,
    HOTLINE_RESOLVED_ON_CALL,
    HOTLINE_OUTCOME,
    HOTLINE_RESOLUTION,
    HOTLINE_RESOLUTION_AMOUNT,
    HOTLINE_STAFF_CONCERNED,        /* issue 16 follow-up (adapters2): the incident */
    HOTLINE_INCIDENT_AT,
    HOTLINE_INCIDENT_PLACE,
    HOTLINE_FIELD_COUNT
} hotline_field_t;

/* The field names (CSV columns, form inputs), indexed by hotline_field_t. */
extern const char *const hotline_call_field_names [HOTLINE_FIELD_COUNT];

typedef struct {
    proto_str_t f [HOTLINE_FIELD_COUNT];    /* ptr NULL: absent */
} hotline_call_t;

typedef struct {
    int64_t now_ms;             /* the clock, for started_at's window */
    proto_str_t token;          /* the staff token a first contact is
                                   resolved under; ptr NULL: none */
    bool started_required;      /* the CSV: yes; the desk: no */
} hotline_call_ctx_t;

typedef struct {
    char field [32];            /* a hotline_call_field_names entry */
    char reason [256];
} hotline_call_error_t;

/* Build the submit (channel hotline) into out. 0, or -1 with err set and
 * out untouched. */
int hotline_call_submit (const hotline_call_t *call, const hotline_call_ctx_t *ctx,
                         msgpack_sbuffer *out, hotline_call_error_t *err);

/* Our field for a field intake named in a refusal ("customer.phone" ->
 * "caller_number"); "complaint" when intake named none we know. */
const char *hotline_call_field_of (const char *intake_field);

/* started_at as unix ms (exported for the desk's and the tests' use):
 * 0 or -1 for a malformed time. */
int hotline_call_time (proto_str_t text, int64_t *ms);

void hotline_call_test (bool verbose);

#endif
