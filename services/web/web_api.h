/*  web_api.h — the web adapter's decoder: what a customer sent (the API's
 *  JSON body, or the form's fields) into the submit request intake takes,
 *  checked by intake's own decoder before it is spooled; and intake's
 *  public status view into the API's JSON. Pure: no sockets, no files, no
 *  clock (the time of receipt is given), so every rule is tested as a
 *  table and fuzzed (tests/fuzz/fuzz_web_request.c).
 *
 *  The body is JSON (jansson): one object, no duplicate keys, UTF-8
 *  (jansson refuses invalid UTF-8 and \u0000), at most max_body bytes
 *  (the HTTP server does not read more), nesting bounded by msgpack_json.
 *  The adapter adds what is its own and the customer may not set —
 *  "op" submit, "channel" web, "ref" the Idempotency-Key, "received_at"
 *  the time the request arrived (the regulatory clock starts when the
 *  customer handed the complaint over, not when intake took it from the
 *  spool) — and packs the object into msgpack with the one bridge
 *  (msgpack_json). Then request_decode, intake's decoder, judges it: the
 *  customer's errors are intake's errors, with intake's codes and field
 *  paths (customer.phone ...), found before anything is spooled.
 *
 *  The form's fields are named by those paths ("customer.name", "body",
 *  ...): an empty field is left out, "narrative_consent" is a checkbox,
 *  anything else is refused as unknown. issue 16 follow-up (adapters2):
 *  "incident.staff_concerned", "incident.at", "incident.place" are the
 *  optional staff section (submit's `incident`); incident.at is a local
 *  time in the calendar's zone ("YYYY-MM-DD HH:MM" or the browser's
 *  "YYYY-MM-DDTHH:MM"), not later than received_at; calendar NULL refuses
 *  it. The JSON body carries `incident` as intake takes it (at: unix ms).
 *
 *  Errors, and the HTTP status the adapter answers with:
 *      400  malformed (not JSON, not an object), idempotency_key
 *      422  every field refusal (intake's codes: missing_field,
 *           wrong_type, invalid_field, too_large, unknown_field, ...)
 *
 *  Interface:
 *      web_api_key_ok          an Idempotency-Key we take as the ref
 *      web_api_submit_json     JSON body -> submit (msgpack), or the error
 *      web_api_submit_form     form fields -> the same
 *      web_api_status_json     intake's status view -> the API's JSON
 *      web_api_error_json      {"error":{"code","field","message"}}
 *      web_api_test
 */
#ifndef WEB_API_H_INCLUDED
#define WEB_API_H_INCLUDED

#include "calendar.h"
#include "http_form.h"
#include "proto.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_API_KEY_MIN 16
#define WEB_API_KEY_MAX 128             /* PROTO_MAX_REF */
#define WEB_API_E_KEY   "idempotency_key"

/* 16-128 characters of [A-Za-z0-9._:-] (a UUID is): the key is the ref,
 * and a ref someone else can guess would answer them with another
 * customer's number and code. */
bool web_api_key_ok (const char *key);

/* 0 with the request appended to out, or -1 with err (see above). */
int web_api_submit_json (const char *body, size_t size, const char *ref, int64_t received_at,
                         msgpack_sbuffer *out, proto_error_t *err);
int web_api_submit_form (http_form_t *form, const calendar_t *calendar, const char *ref,
                         int64_t received_at, msgpack_sbuffer *out, proto_error_t *err);

/* The complaint of intake's `get` reply (a map) as the API's JSON, its
 * dates also written in the calendar's zone; heap string, or NULL when
 * the reply is not a status view. */
char *web_api_status_json (const msgpack_object *complaint, const calendar_t *calendar);

/* Heap string. */
char *web_api_error_json (const proto_error_t *err);

int web_api_test (bool verbose, int *passed);

#endif
