/*  hotline_call.c — a call becomes a submit (see hotline_call.h).
 *
 *  Why the packed request is decoded again with intake's own decoder
 *  (request_decode) before it is accepted: the limits and vocabularies
 *  (lengths, UTF-8, phone characters, amounts, outcomes, a refund's amount)
 *  are intake's, declared once in proto/request.c. Checking here with the
 *  same code means a row the hotline accepts is one intake accepts — a
 *  refusal comes at the desk or into the rejects file, with the field, not
 *  later as a spool entry intake bounces — and nothing is restated. Only
 *  what intake cannot know is checked here: the call id's shape, the
 *  time's format and window, yes/no, and that a first contact has a token.
 */
#include "hotline_call.h"
#include "request.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_MAX_AHEAD_MS  (15LL * 60 * 1000)          /* a call-centre clock a little fast */
#define S_MAX_BACK_MS   (90LL * 24 * 3600 * 1000)   /* a late export, not a typo'd year */

const char *const hotline_call_field_names [HOTLINE_FIELD_COUNT] = {
    [HOTLINE_CALL_ID] = "call_id",
    [HOTLINE_STARTED_AT] = "started_at",
    [HOTLINE_CALLER_NUMBER] = "caller_number",
    [HOTLINE_CUSTOMER_NAME] = "customer_name",
    [HOTLINE_CUSTOMER_EMAIL] = "customer_email",
    [HOTLINE_CUSTOMER_ACCOUNT] = "customer_account",
    [HOTLINE_COMPLAINT] = "complaint",
    [HOTLINE_DEMAND] = "demand",
    [HOTLINE_SUBJECT] = "subject",
    [HOTLINE_BRANCH] = "branch",
    [HOTLINE_PRODUCT] = "product",
    [HOTLINE_CATEGORY] = "category",
    [HOTLINE_AMOUNT] = "amount",
    [HOTLINE_LANG] = "lang",
    [HOTLINE_IVR_PATH] = "ivr_path",
    [HOTLINE_RECORDING_REF] = "recording_ref",
    [HOTLINE_AGENT_ID] = "agent_id",
    [HOTLINE_RESOLVED_ON_CALL] = "resolved_on_call",
    [HOTLINE_OUTCOME] = "outcome",
    [HOTLINE_RESOLUTION] = "resolution",
    [HOTLINE_RESOLUTION_AMOUNT] = "resolution_amount",
    [HOTLINE_STAFF_CONCERNED] = "staff_concerned",      /* issue 16 follow-up (adapters2) */
    [HOTLINE_INCIDENT_AT] = "incident_at",
    [HOTLINE_INCIDENT_PLACE] = "incident_place",
};

/* intake's field (request_decode's error) -> ours */
static const struct {
    const char *intake;
    hotline_field_t ours;
} s_field_map [] = {
    { "ref", HOTLINE_CALL_ID }, { "body", HOTLINE_COMPLAINT }, { "demand", HOTLINE_DEMAND },
    { "subject", HOTLINE_SUBJECT }, { "branch", HOTLINE_BRANCH },
    { "product", HOTLINE_PRODUCT }, { "category", HOTLINE_CATEGORY },
    { "amount", HOTLINE_AMOUNT }, { "lang", HOTLINE_LANG },
    { "received_at", HOTLINE_STARTED_AT }, { "customer", HOTLINE_CALLER_NUMBER },
    { "customer.phone", HOTLINE_CALLER_NUMBER }, { "customer.name", HOTLINE_CUSTOMER_NAME },
    { "customer.email", HOTLINE_CUSTOMER_EMAIL }, { "customer.account", HOTLINE_CUSTOMER_ACCOUNT },
    { "first_contact.outcome", HOTLINE_OUTCOME }, { "first_contact.text", HOTLINE_RESOLUTION },
    { "first_contact.amount", HOTLINE_RESOLUTION_AMOUNT },
    { "first_contact.token", HOTLINE_RESOLVED_ON_CALL },
    { "incident.staff_concerned", HOTLINE_STAFF_CONCERNED },
    { "incident.at", HOTLINE_INCIDENT_AT }, { "incident.place", HOTLINE_INCIDENT_PLACE },
};

const char *
hotline_call_field_of (const char *intake_field)
{
    for (size_t i = 0; intake_field && i < sizeof s_field_map / sizeof s_field_map [0]; i++)
        if (strcmp (intake_field, s_field_map [i].intake) == 0)
            return hotline_call_field_names [s_field_map [i].ours];
    return hotline_call_field_names [HOTLINE_COMPLAINT];
}

static int
s_error (hotline_call_error_t *err, hotline_field_t field, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_error (hotline_call_error_t *err, hotline_field_t field, const char *fmt, ...)
{
    snprintf (err->field, sizeof err->field, "%s", hotline_call_field_names [field]);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err->reason, sizeof err->reason, fmt, ap);
    va_end (ap);
    return -1;
}

/* Trimmed of spaces, tabs and line ends; NULL when nothing is left. */
static proto_str_t
s_trim (proto_str_t s)
{
    if (!s.ptr)
        return s;
    while (s.len && strchr (" \t\r\n", s.ptr [0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && strchr (" \t\r\n", s.ptr [s.len - 1]))
        s.len--;
    return s.len ? s : (proto_str_t) { NULL, 0 };
}

static bool
s_digits (const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p [i] < '0' || p [i] > '9')
            return false;
        v = v * 10 + (p [i] - '0');
    }
    *out = v;
    return true;
}

/*  "YYYY-MM-DD HH:MM[:SS]" or with 'T'; then nothing (the bank's zone: the
 *  process's TZ), "Z", or "+HH:MM" / "+HHMM" / "-HH:MM". */
int
hotline_call_time (proto_str_t text, int64_t *ms)
{
    const char *p = text.ptr;
    size_t len = text.len;
    int y, mo, d, h, mi, sec = 0;
    if (!p || len < 16 || len > 25
    ||  !s_digits (p, 4, &y) || p [4] != '-' || !s_digits (p + 5, 2, &mo) || p [7] != '-'
    ||  !s_digits (p + 8, 2, &d) || (p [10] != ' ' && p [10] != 'T')
    ||  !s_digits (p + 11, 2, &h) || p [13] != ':' || !s_digits (p + 14, 2, &mi))
        return -1;
    size_t at = 16;
    if (at < len && p [at] == ':') {
        if (len < 19 || !s_digits (p + 17, 2, &sec))
            return -1;
        at = 19;
    }
    if (y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
    ||  sec > 59)
        return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi, .tm_sec = sec, .tm_isdst = -1 };
    time_t t;
    if (at == len) {
        t = mktime (&tm);                   /* the bank's zone */
        if (t == (time_t) -1 || tm.tm_mday != d)
            return -1;
    }
    else {
        int oh = 0, om = 0;
        if (p [at] == 'Z' && at + 1 == len)
            ;
        else
        if ((p [at] == '+' || p [at] == '-') && s_digits (p + at + 1, 2, &oh)
        &&  ((at + 3 == len)
          || (at + 5 == len && s_digits (p + at + 3, 2, &om))
          || (at + 6 == len && p [at + 3] == ':' && s_digits (p + at + 4, 2, &om)))
        &&  oh <= 14 && om <= 59) {
            if (p [at] == '-') {
                oh = -oh;
                om = -om;
            }
        }
        else
            return -1;
        t = timegm (&tm);
        if (t == (time_t) -1 || tm.tm_mday != d)
            return -1;
        t -= (time_t) (oh * 3600 + om * 60);
    }
    *ms = (int64_t) t * 1000;
    return 0;
}

/* yes / no in the words a call-centre system or an agent writes. */
static int
s_yes_no (proto_str_t s, bool *yes)
{
    static const char *const ys [] = { "yes", "y", "true", "1", "是", "Y", "YES", "Yes", "TRUE",
                                       "True", NULL };
    static const char *const ns [] = { "no", "n", "false", "0", "否", "N", "NO", "No", "FALSE",
                                       "False", NULL };
    for (int i = 0; ys [i]; i++)
        if (proto_str_eq (s, ys [i])) {
            *yes = true;
            return 0;
        }
    for (int i = 0; ns [i]; i++)
        if (proto_str_eq (s, ns [i])) {
            *yes = false;
            return 0;
        }
    return -1;
}

/* The call id is read out and typed by people: printable ASCII, no spaces. */
static bool
s_call_id_ok (proto_str_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char) s.ptr [i] <= 0x20 || (unsigned char) s.ptr [i] >= 0x7F)
            return false;
    return true;
}

/* A decimal field copied into a fixed buffer (intake's decoder checks it). */
static int
s_copy_amount (proto_str_t s, char out [REQUEST_AMOUNT_SIZE], hotline_call_error_t *err,
               hotline_field_t field)
{
    if (s.len >= REQUEST_AMOUNT_SIZE)
        return s_error (err, field, "%s is too long for an amount",
                        hotline_call_field_names [field]);
    memcpy (out, s.ptr, s.len);
    out [s.len] = 0;
    return 0;
}

/* The words, then the evidence on lines of their own. */
static char *
s_body (const hotline_call_t *c, proto_str_t words, size_t *len)
{
    static const struct { hotline_field_t f; const char *label; } extra [] = {
        { HOTLINE_IVR_PATH, "IVR" }, { HOTLINE_RECORDING_REF, "录音 recording" },
        { HOTLINE_AGENT_ID, "坐席 agent" },
    };
    size_t cap = words.len + 64;
    for (size_t i = 0; i < sizeof extra / sizeof extra [0]; i++)
        cap += s_trim (c->f [extra [i].f]).len + 32;
    char *body = malloc (cap);
    assert (body);
    size_t used = 0;
    memcpy (body, words.ptr, words.len);
    used = words.len;
    bool first = true;
    for (size_t i = 0; i < sizeof extra / sizeof extra [0]; i++) {
        proto_str_t v = s_trim (c->f [extra [i].f]);
        if (!v.ptr)
            continue;
        int n = snprintf (body + used, cap - used, "%s%s: %.*s", first ? "\n\n" : "\n",
                          extra [i].label, (int) v.len, v.ptr);
        assert (n > 0 && (size_t) n < cap - used);
        used += (size_t) n;
        first = false;
    }
    *len = used;
    return body;
}

int
hotline_call_submit (const hotline_call_t *c, const hotline_call_ctx_t *ctx,
                     msgpack_sbuffer *out, hotline_call_error_t *err)
{
    assert (c && ctx && out && err);
    memset (err, 0, sizeof *err);
    proto_str_t f [HOTLINE_FIELD_COUNT];
    for (int i = 0; i < HOTLINE_FIELD_COUNT; i++)
        f [i] = s_trim (c->f [i]);

    if (!f [HOTLINE_CALL_ID].ptr)
        return s_error (err, HOTLINE_CALL_ID, "the call id is required");
    if (f [HOTLINE_CALL_ID].len > PROTO_MAX_REF || !s_call_id_ok (f [HOTLINE_CALL_ID]))
        return s_error (err, HOTLINE_CALL_ID, "a call id is 1 to %d printable characters"
                        " without spaces", PROTO_MAX_REF);
    int64_t started = 0;
    if (f [HOTLINE_STARTED_AT].ptr) {
        if (hotline_call_time (f [HOTLINE_STARTED_AT], &started))
            return s_error (err, HOTLINE_STARTED_AT, "the time must read YYYY-MM-DD HH:MM[:SS],"
                            " in the bank's zone or with Z or +08:00");
        if (started > ctx->now_ms + S_MAX_AHEAD_MS)
            return s_error (err, HOTLINE_STARTED_AT, "the call cannot start in the future");
        if (started < ctx->now_ms - S_MAX_BACK_MS)
            return s_error (err, HOTLINE_STARTED_AT, "the call is more than 90 days old;"
                            " register it by hand with its real date");
    }
    else
    if (ctx->started_required)
        return s_error (err, HOTLINE_STARTED_AT, "when the call began is required");
    if (!f [HOTLINE_COMPLAINT].ptr)
        return s_error (err, HOTLINE_COMPLAINT, "the customer's words are required");
    if (!f [HOTLINE_CALLER_NUMBER].ptr && !f [HOTLINE_CUSTOMER_NAME].ptr)
        return s_error (err, HOTLINE_CALLER_NUMBER, "the caller's number or name is required");
    bool resolved = false;
    if (f [HOTLINE_RESOLVED_ON_CALL].ptr && s_yes_no (f [HOTLINE_RESOLVED_ON_CALL], &resolved))
        return s_error (err, HOTLINE_RESOLVED_ON_CALL, "resolved_on_call must be yes or no");
    if (!resolved && (f [HOTLINE_OUTCOME].ptr || f [HOTLINE_RESOLUTION_AMOUNT].ptr))
        return s_error (err, f [HOTLINE_OUTCOME].ptr ? HOTLINE_OUTCOME : HOTLINE_RESOLUTION_AMOUNT,
                        "an outcome is given only for a call resolved on the call");
    int64_t incident_at = 0;
    if (f [HOTLINE_INCIDENT_AT].ptr) {
        if (hotline_call_time (f [HOTLINE_INCIDENT_AT], &incident_at))
            return s_error (err, HOTLINE_INCIDENT_AT, "the time must read YYYY-MM-DD HH:MM[:SS],"
                            " in the bank's zone or with Z or +08:00");
        if (incident_at > ctx->now_ms + S_MAX_AHEAD_MS)
            return s_error (err, HOTLINE_INCIDENT_AT, "the incident cannot be in the future");
    }
    if (resolved && !ctx->token.ptr)
        return s_error (err, HOTLINE_RESOLVED_ON_CALL, "a call resolved on the call needs a"
                        " staff token to resolve it under (the desk's sign-in, or the import's"
                        " --import-token-file)");

    submit_t s;
    memset (&s, 0, sizeof s);
    s.channel = (proto_str_t) { "hotline", 7 };
    s.ref = f [HOTLINE_CALL_ID];
    s.subject = f [HOTLINE_SUBJECT];
    s.demand = f [HOTLINE_DEMAND];
    s.branch = f [HOTLINE_BRANCH];
    s.product = f [HOTLINE_PRODUCT];
    s.category = f [HOTLINE_CATEGORY];
    s.lang = f [HOTLINE_LANG];
    s.customer.name = f [HOTLINE_CUSTOMER_NAME];
    s.customer.phone = f [HOTLINE_CALLER_NUMBER];
    s.customer.email = f [HOTLINE_CUSTOMER_EMAIL];
    s.customer.account = f [HOTLINE_CUSTOMER_ACCOUNT];
    s.received_at = started;
    s.incident.staff_concerned = f [HOTLINE_STAFF_CONCERNED];
    s.incident.at = incident_at;
    s.incident.place = f [HOTLINE_INCIDENT_PLACE];
    if (f [HOTLINE_AMOUNT].ptr) {
        if (s_copy_amount (f [HOTLINE_AMOUNT], s.amount, err, HOTLINE_AMOUNT))
            return -1;
        s.has_amount = true;
    }
    if (resolved) {
        first_contact_t *fc = &s.first_contact;
        fc->present = true;
        fc->token = ctx->token;
        proto_str_t outcome = f [HOTLINE_OUTCOME];
        if (!outcome.ptr)
            return s_error (err, HOTLINE_OUTCOME, "the outcome of a call resolved on the call"
                            " is required");
        if (outcome.len >= sizeof fc->outcome)
            return s_error (err, HOTLINE_OUTCOME, "unknown outcome");
        memcpy (fc->outcome, outcome.ptr, outcome.len);
        fc->outcome [outcome.len] = 0;
        fc->text = f [HOTLINE_RESOLUTION];
        if (f [HOTLINE_RESOLUTION_AMOUNT].ptr) {
            if (s_copy_amount (f [HOTLINE_RESOLUTION_AMOUNT], fc->amount, err,
                               HOTLINE_RESOLUTION_AMOUNT))
                return -1;
            fc->has_amount = true;
        }
    }
    size_t body_len = 0;
    char *body = s_body (c, f [HOTLINE_COMPLAINT], &body_len);
    s.body = (proto_str_t) { body, body_len };

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    request_submit_pack (&buf, &s);
    free (body);

    /* intake's own decoder is the judge (see the top of this file) */
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    request_t req;
    proto_error_t perr = { 0 };
    int rc = 0;
    if (request_decode (buf.data, buf.size, &msg, &req, &perr)) {
        rc = -1;
        snprintf (err->field, sizeof err->field, "%s", hotline_call_field_of (perr.field));
        snprintf (err->reason, sizeof err->reason, "%s", perr.message);
    }
    msgpack_unpacked_destroy (&msg);
    if (rc == 0)
        msgpack_sbuffer_write (out, buf.data, buf.size);
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

#include "selftest.h"

static hotline_call_t
s_test_call (void)
{
    hotline_call_t c;
    memset (&c, 0, sizeof c);
#define SET(F, V) c.f [F] = (proto_str_t) { V, sizeof V - 1 }
    SET (HOTLINE_CALL_ID, "CC-20261205-0001");
    SET (HOTLINE_STARTED_AT, "2026-12-05 10:31:07");
    SET (HOTLINE_CALLER_NUMBER, " 13812345678 ");
    SET (HOTLINE_CUSTOMER_NAME, "张三");
    SET (HOTLINE_COMPLAINT, "信用卡年费被扣两次，\n要求退还。");
    SET (HOTLINE_PRODUCT, "信用卡");
    SET (HOTLINE_IVR_PATH, "1-3-2");
    SET (HOTLINE_RECORDING_REF, "REC-0001");
    return c;
}

void
hotline_call_test (bool verbose)
{
    if (verbose)
        printf (" * hotline_call: ");
    const char *tz = getenv ("TZ");
    char saved [64] = "";
    if (tz)
        snprintf (saved, sizeof saved, "%s", tz);
    setenv ("TZ", "Asia/Shanghai", 1);
    tzset ();

    int64_t ms = 0;
    assert (hotline_call_time ((proto_str_t) { "2026-12-05 10:31:07", 19 }, &ms) == 0);
    assert (ms == 1796437867000LL);                     /* 02:31:07 UTC */
    assert (hotline_call_time ((proto_str_t) { "2026-12-05T02:31:07Z", 20 }, &ms) == 0
            && ms == 1796437867000LL);
    assert (hotline_call_time ((proto_str_t) { "2026-12-05 10:31+08:00", 22 }, &ms) == 0
            && ms == 1796437860000LL);
    assert (hotline_call_time ((proto_str_t) { "2026-02-30 10:31", 16 }, &ms) == -1);
    assert (hotline_call_time ((proto_str_t) { "2026-12-05 10:31:07+8", 21 }, &ms) == -1);
    assert (hotline_call_time ((proto_str_t) { "05/12/2026 10:31", 16 }, &ms) == -1);

    hotline_call_ctx_t ctx = { .now_ms = 1796437867000LL + 3600000, .started_required = true };
    hotline_call_error_t err;
    msgpack_sbuffer out;
    msgpack_sbuffer_init (&out);
    hotline_call_t c = s_test_call ();
    assert (hotline_call_submit (&c, &ctx, &out, &err) == 0);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    request_t req;
    proto_error_t perr;
    assert (request_decode (out.data, out.size, &msg, &req, &perr) == 0);
    const submit_t *s = &req.u.submit;
    assert (proto_str_eq (s->channel, "hotline") && proto_str_eq (s->ref, "CC-20261205-0001"));
    assert (proto_str_eq (s->customer.phone, "13812345678"));
    assert (s->received_at == 1796437867000LL && !s->first_contact.present);
    assert (proto_str_eq (s->body, "信用卡年费被扣两次，\n要求退还。\n\nIVR: 1-3-2\n录音 recording: REC-0001"));
    msgpack_unpacked_destroy (&msg);

    /* refusals name the field */
    struct { hotline_field_t f; const char *value; const char *field; } bad [] = {
        { HOTLINE_CALL_ID, "CC 1", "call_id" },
        { HOTLINE_CALL_ID, "", "call_id" },
        { HOTLINE_STARTED_AT, "yesterday", "started_at" },
        { HOTLINE_STARTED_AT, "2027-01-01 00:00", "started_at" },
        { HOTLINE_STARTED_AT, "2020-01-01 00:00", "started_at" },
        { HOTLINE_CALLER_NUMBER, "call me", "caller_number" },
        { HOTLINE_CUSTOMER_EMAIL, "no-at-sign", "customer_email" },
        { HOTLINE_COMPLAINT, "  ", "complaint" },
        { HOTLINE_AMOUNT, "12.345", "amount" },
        { HOTLINE_LANG, "fr", "lang" },
        { HOTLINE_RESOLVED_ON_CALL, "maybe", "resolved_on_call" },
        { HOTLINE_RESOLVED_ON_CALL, "是", "resolved_on_call" },     /* no token */
        { HOTLINE_OUTCOME, "refund", "outcome" },                  /* not resolved */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        c = s_test_call ();
        c.f [bad [i].f] = (proto_str_t) { bad [i].value, strlen (bad [i].value) };
        msgpack_sbuffer_clear (&out);
        assert (hotline_call_submit (&c, &ctx, &out, &err) == -1);
        if (strcmp (err.field, bad [i].field) != 0)
            printf ("case %zu: field %s reason %s\n", i, err.field, err.reason);
        assert (strcmp (err.field, bad [i].field) == 0 && *err.reason);
        assert (out.size == 0);
    }
    /* neither number nor name */
    c = s_test_call ();
    c.f [HOTLINE_CALLER_NUMBER] = c.f [HOTLINE_CUSTOMER_NAME] = (proto_str_t) { NULL, 0 };
    assert (hotline_call_submit (&c, &ctx, &out, &err) == -1
            && strcmp (err.field, "caller_number") == 0);

    /* first contact with a token: the resolve fields, a refund's amount */
    ctx.token = (proto_str_t) { "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64 };
    c = s_test_call ();
    c.f [HOTLINE_RESOLVED_ON_CALL] = (proto_str_t) { "是", 3 };
    c.f [HOTLINE_OUTCOME] = (proto_str_t) { "refund", 6 };
    c.f [HOTLINE_RESOLUTION] = (proto_str_t) { "已退还年费", 15 };
    assert (hotline_call_submit (&c, &ctx, &out, &err) == -1
            && strcmp (err.field, "resolution_amount") == 0);
    c.f [HOTLINE_RESOLUTION_AMOUNT] = (proto_str_t) { "300.00", 6 };
    msgpack_sbuffer_clear (&out);
    assert (hotline_call_submit (&c, &ctx, &out, &err) == 0);
    msgpack_unpacked_init (&msg);
    assert (request_decode (out.data, out.size, &msg, &req, &perr) == 0);
    assert (req.u.submit.first_contact.present
            && strcmp (req.u.submit.first_contact.amount, "300.00") == 0);
    msgpack_unpacked_destroy (&msg);
    c.f [HOTLINE_RESOLUTION] = (proto_str_t) { NULL, 0 };
    assert (hotline_call_submit (&c, &ctx, &out, &err) == -1
            && strcmp (err.field, "resolution") == 0);
    /* the desk: no time needed */
    ctx.started_required = false;
    c = s_test_call ();
    c.f [HOTLINE_STARTED_AT] = (proto_str_t) { NULL, 0 };
    msgpack_sbuffer_clear (&out);
    assert (hotline_call_submit (&c, &ctx, &out, &err) == 0);
    /* issue 16 follow-up (adapters2): the incident, in the bank's zone */
    c.f [HOTLINE_STAFF_CONCERNED] = (proto_str_t) { "客户经理李某", 18 };
    c.f [HOTLINE_INCIDENT_AT] = (proto_str_t) { "2026-12-04 15:00", 16 };
    c.f [HOTLINE_INCIDENT_PLACE] = (proto_str_t) { "朝阳支行", 12 };
    msgpack_sbuffer_clear (&out);
    assert (hotline_call_submit (&c, &ctx, &out, &err) == 0);
    msgpack_unpacked_init (&msg);
    assert (request_decode (out.data, out.size, &msg, &req, &perr) == 0);
    assert (req.u.submit.incident.at == 1796367600000LL            /* 07:00 UTC */
            && proto_str_eq (req.u.submit.incident.staff_concerned, "客户经理李某")
            && proto_str_eq (req.u.submit.incident.place, "朝阳支行"));
    msgpack_unpacked_destroy (&msg);
    c.f [HOTLINE_INCIDENT_AT] = (proto_str_t) { "yesterday", 9 };
    assert (hotline_call_submit (&c, &ctx, &out, &err) == -1
            && strcmp (err.field, "incident_at") == 0);
    c.f [HOTLINE_INCIDENT_AT] = (proto_str_t) { "2026-12-06 15:00", 16 };   /* after now */
    assert (hotline_call_submit (&c, &ctx, &out, &err) == -1
            && strcmp (err.field, "incident_at") == 0);
    c.f [HOTLINE_INCIDENT_AT] = (proto_str_t) { NULL, 0 };
    char long_place [3 * 201 + 1];
    for (int i = 0; i < 201; i++)
        memcpy (long_place + 3 * i, "地", 3);
    c.f [HOTLINE_INCIDENT_PLACE] = (proto_str_t) { long_place, 3 * 201 };
    assert (hotline_call_submit (&c, &ctx, &out, &err) == -1
            && strcmp (err.field, "incident_place") == 0);
    msgpack_sbuffer_destroy (&out);

    if (*saved)
        setenv ("TZ", saved, 1);
    else
        unsetenv ("TZ");
    tzset ();
    if (verbose)
        printf ("OK\n");
}
