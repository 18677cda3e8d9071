/*  web_api.c — the web adapter's decoder (see web_api.h).
 *
 *  Why through JSON, then msgpack, then intake's decoder, rather than a
 *  decoder of our own: intake's rules (lengths, the phone's characters,
 *  the amount's form, the customer's "at least one of") would otherwise
 *  exist twice and drift. The cost is one extra pack and unpack of a few
 *  kilobytes per complaint.
 */
#include "web_api.h"
#include "msgpack_json.h"
#include "request.h"

#include <assert.h>
#include <czmq.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the customer may not set: the adapter's own fields. */
static const char *const s_ours [] = { "op", "channel", "ref", "received_at", NULL };

bool
web_api_key_ok (const char *key)
{
    if (!key)
        return false;
    size_t len = strlen (key);
    if (len < WEB_API_KEY_MIN || len > WEB_API_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = key [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

/* Add ours, pack, judge with intake's decoder. Takes the object. */
static int
s_finish (json_t *object, const char *ref, int64_t received_at, msgpack_sbuffer *out,
          proto_error_t *err)
{
    for (int i = 0; s_ours [i]; i++)
        if (json_object_get (object, s_ours [i])) {
            proto_error_set (err, PROTO_E_UNKNOWN_FIELD, s_ours [i],
                             "%s is set by the web adapter, not by the request", s_ours [i]);
            json_decref (object);
            return -1;
        }
    //  issue 16 follow-up (adapters2): an incident is told after it happened
    //  (intake bounds the time to this century only); the form's and the
    //  API's alike.
    json_t *at = json_object_get (json_object_get (object, "incident"), "at");
    if (json_is_integer (at) && json_integer_value (at) > received_at) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "incident.at",
                         "incident.at cannot be later than now");
        json_decref (object);
        return -1;
    }
    json_object_set_new (object, "op", json_string ("submit"));
    json_object_set_new (object, "channel", json_string ("web"));
    json_object_set_new (object, "ref", json_string (ref));
    json_object_set_new (object, "received_at", json_integer (received_at));
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    int rc = msgpack_json_encode (&buf, object, err);
    json_decref (object);
    if (rc == 0) {
        msgpack_unpacked msg;
        msgpack_unpacked_init (&msg);
        request_t req;
        rc = request_decode (buf.data, buf.size, &msg, &req, err);
        msgpack_unpacked_destroy (&msg);
        if (rc == 0 && req.op != REQUEST_SUBMIT) {
            proto_error_set (err, PROTO_E_INTERNAL, "", "not a submit");
            rc = -1;
        }
    }
    if (rc == 0)
        msgpack_sbuffer_write (out, buf.data, buf.size);
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

int
web_api_submit_json (const char *body, size_t size, const char *ref, int64_t received_at,
                     msgpack_sbuffer *out, proto_error_t *err)
{
    assert (ref && out && err);
    json_error_t jerr;
    json_t *object = json_loadb (body, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!object) {
        //  jansson quotes the input in its text; bytes that are not UTF-8
        //  must not go back out in our (JSON) answer.
        bool printable = proto_utf8_valid (jerr.text, strlen (jerr.text));
        proto_error_set (err, PROTO_E_MALFORMED, "", "the body is not JSON: %s (line %d,"
                         " column %d)", printable ? jerr.text : "invalid UTF-8",
                         jerr.line, jerr.column);
        return -1;
    }
    if (!json_is_object (object)) {
        json_decref (object);
        proto_error_set (err, PROTO_E_NOT_A_MAP, "", "the body must be a JSON object");
        return -1;
    }
    return s_finish (object, ref, received_at, out, err);
}

/* The form's fields: the API's paths; customer.* go into "customer". */
static const char *const s_form_fields [] = {
    "subject", "body", "demand", "branch", "product", "category", "lang", "amount",
    "customer.name", "customer.phone", "customer.email", "customer.account", "customer.id_no",
    "incident.staff_concerned", "incident.place",        /* issue 16 follow-up (adapters2) */
    NULL
};
/* The form's own fields, not the complaint's. */
static const char *const s_form_own [] = { "csrf", "ref", "narrative_consent", "incident.at",
                                           NULL };

static bool
s_listed (const char *const list [], const char *name)
{
    for (int i = 0; list [i]; i++)
        if (streq (list [i], name))
            return true;
    return false;
}

/* issue 16 follow-up (adapters2): the form's incident time, as the
 * browser's datetime-local sends it or as typed ("2026-12-05 10:30"), in
 * the bank's zone (the calendar's); s_finish refuses one after now. */
static int
s_form_incident_at (const char *text, const calendar_t *calendar, json_t *incident,
                    proto_error_t *err)
{
    int64_t at;
    if (!calendar || strlen (text) > 32 || calendar_parse_local (calendar, text, &at)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "incident.at",
                         "incident.at must read YYYY-MM-DD HH:MM (%s time)",
                         calendar ? calendar_timezone (calendar) : "the bank's");
        return -1;
    }
    json_object_set_new (incident, "at", json_integer (at));    /* later than now: s_finish */
    return 0;
}

int
web_api_submit_form (http_form_t *form, const calendar_t *calendar, const char *ref,
                     int64_t received_at, msgpack_sbuffer *out, proto_error_t *err)
{
    assert (form && ref && out && err);
    json_t *object = json_object ();
    json_t *customer = json_object ();
    json_object_set_new (object, "customer", customer);
    json_t *incident = json_object ();
    //  Any field we did not write is refused: the form is ours.
    zlist_t *names = http_form_names (form);
    for (const char *name = zlist_first (names); name; name = zlist_next (names))
        if (!s_listed (s_form_fields, name) && !s_listed (s_form_own, name)) {
            proto_error_set (err, PROTO_E_UNKNOWN_FIELD, name, "%s is not a field of the form",
                             name);
            zlist_destroy (&names);
            json_decref (incident);
            json_decref (object);
            return -1;
        }
    zlist_destroy (&names);
    for (int i = 0; s_form_fields [i]; i++) {
        const char *value = http_form_get (form, s_form_fields [i]);
        if (!value || !*value)
            continue;                   /* an empty field was not filled in */
        if (strncmp (s_form_fields [i], "customer.", 9) == 0)
            json_object_set_new (customer, s_form_fields [i] + 9, json_string (value));
        else
        if (strncmp (s_form_fields [i], "incident.", 9) == 0)
            json_object_set_new (incident, s_form_fields [i] + 9, json_string (value));
        else
            json_object_set_new (object, s_form_fields [i], json_string (value));
    }
    const char *consent = http_form_get (form, "narrative_consent");
    if (consent && *consent)
        json_object_set_new (object, "narrative_consent", json_true ());
    const char *at = http_form_get (form, "incident.at");
    if (at && *at && s_form_incident_at (at, calendar, incident, err)) {
        json_decref (incident);
        json_decref (object);
        return -1;
    }
    //  The section left empty: no incident at all (intake's absent map).
    if (json_object_size (incident))
        json_object_set_new (object, "incident", incident);
    else
        json_decref (incident);
    return s_finish (object, ref, received_at, out, err);
}

static const char *const s_dates [] = {
    "received_at", "accepted_at", "due_at", "resolved_at", "closed_at", NULL
};

char *
web_api_status_json (const msgpack_object *complaint, const calendar_t *calendar)
{
    if (!complaint || complaint->type != MSGPACK_OBJECT_MAP)
        return NULL;
    proto_error_t err;
    json_t *view = msgpack_json_from_object (complaint, &err);
    if (!view)
        return NULL;
    //  Only the public view's fields, whatever else a reply may carry.
    json_t *out = json_object ();
    static const char *const plain [] = { "complaint_no", "state", "next_step",
                                          "next_step_text", NULL };
    for (int i = 0; plain [i]; i++) {
        json_t *v = json_object_get (view, plain [i]);
        json_object_set (out, plain [i], json_is_string (v) ? v : json_null ());
    }
    if (!json_is_string (json_object_get (out, "complaint_no"))
    ||  !json_is_string (json_object_get (out, "state"))) {
        json_decref (view);
        json_decref (out);
        return NULL;
    }
    json_t *local = json_object ();
    for (int i = 0; s_dates [i]; i++) {
        json_t *v = json_object_get (view, s_dates [i]);
        if (json_is_integer (v)) {
            json_object_set (out, s_dates [i], v);
            char text [64];
            calendar_format_local (calendar, (int64_t) json_integer_value (v),
                                   streq (s_dates [i], "due_at"), text, sizeof text);
            json_object_set_new (local, s_dates [i], json_string (text));
        }
        else
            json_object_set_new (out, s_dates [i], json_null ());
    }
    json_object_set_new (out, "local", local);
    json_object_set_new (out, "time_zone", json_string (calendar_timezone (calendar)));
    char *text = json_dumps (out, JSON_COMPACT);
    json_decref (view);
    json_decref (out);
    return text;
}

char *
web_api_error_json (const proto_error_t *err)
{
    json_t *out = json_pack ("{s:{s:s,s:s,s:s}}", "error", "code", err->code, "field",
                             err->field, "message", err->message);
    if (!out)                           /* a field or message that is not UTF-8 */
        out = json_pack ("{s:{s:s,s:s,s:s}}", "error", "code", err->code, "field", "",
                         "message", "the request was refused (its details are not UTF-8)");
    char *text = out ? json_dumps (out, JSON_COMPACT) : NULL;
    json_decref (out);
    return text;
}

//  --------------------------------------------------------------------------
//  Self-test (web --selftest)

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

static int
s_json (const char *body, proto_error_t *err, msgpack_sbuffer *out)
{
    memset (err, 0, sizeof *err);
    return web_api_submit_json (body, strlen (body), "key-0123456789abcdef", 1764979200000LL,
                                out, err);
}

int
web_api_test (bool verbose, int *passed)
{
    s_tally = (selftest_tally_t) { 0 };
    s_check (verbose, web_api_key_ok ("3f2b9c1e-8a4d-4e7f-9b2a-0c6d5e4f3a21"), "a UUID is a key");
    s_check (verbose, !web_api_key_ok ("short") && !web_api_key_ok (NULL)
                      && !web_api_key_ok ("0123456789abcdef/") && !web_api_key_ok ("0123456789 abcdef"),
             "short, missing or odd keys are not");

    msgpack_sbuffer out;
    msgpack_sbuffer_init (&out);
    proto_error_t err;
    const char *good = "{\"customer\":{\"name\":\"王小明\",\"phone\":\"13912345678\"},"
                       "\"body\":\"年费扣了两次\",\"product\":\"信用卡\",\"lang\":\"zh\","
                       "\"amount\":\"300.00\",\"narrative_consent\":true}";
    s_check (verbose, s_json (good, &err, &out) == 0 && out.size > 0, "a good body packs");
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    request_t req;
    proto_error_t e2;
    bool ok = out.size && request_decode (out.data, out.size, &msg, &req, &e2) == 0
              && req.op == REQUEST_SUBMIT && proto_str_eq (req.u.submit.channel, "web")
              && proto_str_eq (req.u.submit.ref, "key-0123456789abcdef")
              && req.u.submit.received_at == 1764979200000LL
              && req.u.submit.narrative_consent && req.u.submit.has_amount;
    msgpack_unpacked_destroy (&msg);
    s_check (verbose, ok, "as intake's submit: channel web, the key as ref, received_at ours");

    static const struct { const char *body, *code, *field; } bad [] = {
        { "{", PROTO_E_MALFORMED, "" },
        { "[1]", PROTO_E_NOT_A_MAP, "" },
        { "{\"body\":\"x\",\"body\":\"y\",\"customer\":{\"name\":\"a\"}}", PROTO_E_MALFORMED, "" },
        { "{\"customer\":{\"name\":\"a\"}}", PROTO_E_MISSING_FIELD, "body" },
        { "{\"body\":\"x\"}", PROTO_E_MISSING_FIELD, "customer" },
        { "{\"body\":7,\"customer\":{\"name\":\"a\"}}", PROTO_E_WRONG_TYPE, "body" },
        { "{\"body\":\"x\",\"customer\":{\"phone\":\"abc\"}}", PROTO_E_INVALID_FIELD,
          "customer.phone" },
        { "{\"body\":\"x\",\"customer\":{\"name\":\"a\"},\"colour\":\"red\"}",
          PROTO_E_UNKNOWN_FIELD, "colour" },
        { "{\"body\":\"x\",\"customer\":{\"name\":\"a\"},\"ref\":\"mine\"}",
          PROTO_E_UNKNOWN_FIELD, "ref" },
        { "{\"body\":\"x\",\"customer\":{\"name\":\"a\"},\"channel\":\"app\"}",
          PROTO_E_UNKNOWN_FIELD, "channel" },
        { "{\"body\":\"x\",\"customer\":{\"name\":\"a\"},\"lang\":\"fr\"}",
          PROTO_E_INVALID_FIELD, "lang" },
        { "{\"body\":\"\\u0000\",\"customer\":{\"name\":\"a\"}}", PROTO_E_MALFORMED, "" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        msgpack_sbuffer_clear (&out);
        int rc = s_json (bad [i].body, &err, &out);
        bool right = rc == -1 && streq (err.code, bad [i].code) && streq (err.field, bad [i].field)
                     && out.size == 0;
        if (!right && verbose)
            printf ("   %s -> %s %s (%s)\n", bad [i].body, err.code, err.field, err.message);
        s_check (verbose, right, "a bad body is refused with its code and field");
    }
    //  Bytes that are not UTF-8 (found by fuzz_web_request): refused, and
    //  the refusal itself is still JSON.
    msgpack_sbuffer_clear (&out);
    const char *latin1 = "{\"body\":\"\\u\xc5\x99\"}";
    char *answer = NULL;
    s_check (verbose, s_json (latin1, &err, &out) == -1 && (answer = web_api_error_json (&err))
                      && strstr (answer, "malformed"),
             "not UTF-8: malformed, and the answer is JSON");
    free (answer);
    //  A body of 64 KiB + 1 byte: intake's limit, named.
    size_t n = PROTO_MAX_BODY + 1;
    char *big = malloc (n + 64);
    int len = snprintf (big, n + 64, "{\"customer\":{\"name\":\"a\"},\"body\":\"");
    memset (big + len, 'x', n);
    strcpy (big + len + n, "\"}");
    msgpack_sbuffer_clear (&out);
    s_check (verbose, s_json (big, &err, &out) == -1 && streq (err.code, PROTO_E_TOO_LARGE)
                      && streq (err.field, "body"), "a body over 64 KiB: too_large, body");
    free (big);

    //  The form.
    const char *fields = "csrf=t&ref=r&customer.name=%E7%8E%8B&customer.phone=&body=hi"
                         "&narrative_consent=on&lang=zh";
    http_form_t *form = http_form_parse (fields, strlen (fields), 32, 1024, &err);
    msgpack_sbuffer_clear (&out);
    s_check (verbose, form && web_api_submit_form (form, NULL, "form-0123456789abcdef", 1, &out, &err)
                      == -1 && streq (err.field, "received_at"),
             "the form goes through the same judge (received_at out of range here)");
    msgpack_sbuffer_clear (&out);
    s_check (verbose, web_api_submit_form (form, NULL, "form-0123456789abcdef", 1764979200000LL, &out,
                                           &err) == 0, "a filled form packs; empty fields left out");
    http_form_destroy (&form);
    form = http_form_parse ("body=x&customer.name=a&evil=1", 29, 32, 1024, &err);
    s_check (verbose, form && web_api_submit_form (form, NULL, "form-0123456789abcdef", 1764979200000LL,
                                                   &out, &err) == -1
                      && streq (err.code, PROTO_E_UNKNOWN_FIELD) && streq (err.field, "evil"),
             "a field the form does not have is refused");
    http_form_destroy (&form);
    form = http_form_parse ("body=&customer.name=a", 21, 32, 1024, &err);
    s_check (verbose, form && web_api_submit_form (form, NULL, "form-0123456789abcdef", 1764979200000LL,
                                                   &out, &err) == -1
                      && streq (err.code, PROTO_E_MISSING_FIELD) && streq (err.field, "body"),
             "an empty required field is missing, named");
    http_form_destroy (&form);

    //  issue 16 follow-up (adapters2): the staff section, its time local
    conf_error_t ferr;
    calendars_t *fcals = calendars_load_dir ("deploy/calendars", &ferr);
    const calendar_t *fcal = fcals ? calendars_find (fcals, "cn") : NULL;
    const char *staff = "body=x&customer.name=a&incident.staff_concerned=%E6%9F%9C%E5%91%98"
                        "&incident.at=2025-12-05T10%3A30&incident.place=%E6%9C%9D%E9%98%B3";
    form = http_form_parse (staff, strlen (staff), 32, 1024, &err);
    msgpack_sbuffer_clear (&out);
    bool staff_ok = fcal && form
                    && web_api_submit_form (form, fcal, "form-0123456789abcdef",
                                            1764979200000LL, &out, &err) == 0;
    if (staff_ok) {
        msgpack_unpacked_init (&msg);
        staff_ok = request_decode (out.data, out.size, &msg, &req, &e2) == 0
                   && req.u.submit.incident.at == 1764901800000LL      /* 02:30 UTC */
                   && proto_str_eq (req.u.submit.incident.staff_concerned, "柜员")
                   && proto_str_eq (req.u.submit.incident.place, "朝阳");
        msgpack_unpacked_destroy (&msg);
    }
    s_check (verbose, staff_ok, "the staff section packs as intake's incident, the time local");
    http_form_destroy (&form);
    static const char *const bad_at [] = { "incident.at=yesterday&body=x&customer.name=a",
                                           "incident.at=2025-12-07T10%3A30&body=x&customer.name=a",
                                           NULL };
    for (int i = 0; bad_at [i]; i++) {
        form = http_form_parse (bad_at [i], strlen (bad_at [i]), 32, 1024, &err);
        msgpack_sbuffer_clear (&out);
        s_check (verbose, form && web_api_submit_form (form, fcal, "form-0123456789abcdef",
                                                       1764979200000LL, &out, &err) == -1
                          && streq (err.field, "incident.at") && out.size == 0,
                 "a time that is not one, or later than now: refused, incident.at");
        http_form_destroy (&form);
    }
    form = http_form_parse ("body=x&customer.name=a&incident.place=", 38, 32, 1024, &err);
    msgpack_sbuffer_clear (&out);
    if (form && web_api_submit_form (form, fcal, "form-0123456789abcdef", 1764979200000LL, &out,
                                     &err) == 0) {
        msgpack_unpacked_init (&msg);
        staff_ok = request_decode (out.data, out.size, &msg, &req, &e2) == 0
                   && !req.u.submit.incident.place.ptr && !req.u.submit.incident.at;
        msgpack_unpacked_destroy (&msg);
    }
    else
        staff_ok = false;
    s_check (verbose, staff_ok, "the staff section left empty: no incident");
    http_form_destroy (&form);
    calendars_destroy (&fcals);
    msgpack_sbuffer_destroy (&out);

    //  The status view.
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 5);
    proto_pack_kv_cstr (&pk, "complaint_no", "202612050000017");
    proto_pack_kv_cstr (&pk, "state", "accepted");
    proto_pack_kv_cstr (&pk, "next_step", "investigation");
    proto_pack_kv_cstr (&pk, "secret", "not shown");
    msgpack_pack_str (&pk, 11);
    msgpack_pack_str_body (&pk, "received_at", 11);
    msgpack_pack_int64 (&pk, 1764979200000LL);
    msgpack_unpacked_init (&msg);
    size_t off = 0;
    msgpack_unpack_next (&msg, buf.data, buf.size, &off);
    conf_error_t cerr;
    calendars_t *calendars = calendars_load_dir ("deploy/calendars", &cerr);
    const calendar_t *cal = calendars ? calendars_find (calendars, "cn") : NULL;
    char *text = cal ? web_api_status_json (&msg.data, cal) : NULL;
    if (verbose && text)
        printf ("   %s\n", text);
    s_check (verbose, text && strstr (text, "\"complaint_no\":\"202612050000017\"")
                      && strstr (text, "\"received_at\":1764979200000")
                      && strstr (text, "\"received_at\":\"2025-12-06 08:00 +08:00")
                      && strstr (text, "\"time_zone\":\"Asia/Shanghai\"")
                      && strstr (text, "\"closed_at\":null") && !strstr (text, "secret"),
             "the status view: its fields only, dates also local with the zone");
    free (text);
    s_check (verbose, !web_api_status_json (NULL, cal), "no view, no JSON");
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);
    calendars_destroy (&calendars);
    proto_error_set (&err, "x", "f", "a \"quoted\" message");
    text = web_api_error_json (&err);
    s_check (verbose, text && streq (text, "{\"error\":{\"code\":\"x\",\"field\":\"f\","
                                           "\"message\":\"a \\\"quoted\\\" message\"}}"),
             "an error as JSON");
    free (text);
    return selftest_tally_end (&s_tally, verbose, "web_api", passed);
}
