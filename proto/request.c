/*  request.c — decoding and packing of intake requests (submit, get, act,
 *  queue). The field list and limits here are the ones proto/PROTOCOL.md
 *  documents.
 *
 *  An act is checked here as far as it can be without the store: every
 *  field typed and bounded, the action looked up in the lifecycle table,
 *  and the table's field lists and case-independent value rules applied by
 *  lifecycle_check itself (the rules are not repeated here). What depends on
 *  the case — its state, level, recorded feedback — and on who is asking is
 *  decided by intake inside the action's transaction.
 */
#include "request.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const char *const channel_names [] = {
    "hotline", "email", "web", "sms", "letter", "counter", "app", "wechat",
    "regulator", NULL
};

const char *const referral_sources [] = {
    "regulator", "association", "consumer_association", "media", NULL
};

bool
channel_valid (proto_str_t name)
{
    for (int i = 0; channel_names [i]; i++)
        if (proto_str_eq (name, channel_names [i]))
            return true;
    return false;
}

/*  Amount: an integer, a float, or a decimal string; kept as decimal text so
 *  the store's numeric column holds exactly what the customer claimed. */
static int
s_get_amount_at (const msgpack_object *map, const char *field, char out [REQUEST_AMOUNT_SIZE],
                 bool *has_amount, proto_error_t *err)
{
    const msgpack_object *v = proto_map_get (map, "amount");
    if (!v || v->type == MSGPACK_OBJECT_NIL)
        return 0;
    int n = -1;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        /* the store's numeric(17, 2) holds up to 10^15 */
        if (v->via.u64 >= 1000000000000000ULL) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                             "%s must be between 0 and 10^15", field);
            return -1;
        }
        n = snprintf (out, REQUEST_AMOUNT_SIZE, "%llu", (unsigned long long) v->via.u64);
    }
    else
    if (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64) {
        double d = v->via.f64;
        if (!(d >= 0 && d < 1e15)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                             "%s must be between 0 and 10^15", field);
            return -1;
        }
        n = snprintf (out, REQUEST_AMOUNT_SIZE, "%.2f", d);
    }
    else
    if (v->type == MSGPACK_OBJECT_STR) {
        /* digits, at most one '.', up to two decimals */
        size_t len = v->via.str.size;
        const char *p = v->via.str.ptr;
        size_t digits = 0, decimals = 0;
        bool dot = false, ok = len > 0 && len < REQUEST_AMOUNT_SIZE;
        for (size_t i = 0; ok && i < len; i++) {
            if (p [i] == '.' && !dot && digits > 0)
                dot = true;
            else
            if (p [i] >= '0' && p [i] <= '9') {
                if (dot)
                    decimals++;
                else
                    digits++;
            }
            else
                ok = false;
        }
        if (!ok || digits == 0 || digits > 15 || decimals > 2 || (dot && decimals == 0)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                             "%s must be a non-negative decimal like \"1250.50\"", field);
            return -1;
        }
        memcpy (out, p, len);
        out [len] = 0;
        n = (int) len;
    }
    else
    if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, field, "%s must not be negative", field);
        return -1;
    }
    else {
        proto_error_set (err, PROTO_E_WRONG_TYPE, field,
                         "%s must be a number or a decimal string", field);
        return -1;
    }
    if (n < 0 || (size_t) n >= REQUEST_AMOUNT_SIZE) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, field, "%s is out of range", field);
        return -1;
    }
    *has_amount = true;
    return 0;
}

static int
s_get_amount (const msgpack_object *map, char out [REQUEST_AMOUNT_SIZE], bool *has_amount,
              proto_error_t *err)
{
    return s_get_amount_at (map, "amount", out, has_amount, err);
}

/*  Every key of a request map must be one the operation takes. Why refuse
 *  instead of ignoring: an ignored key still cost its bytes and its
 *  decoded objects until the batch committed, and a misspelt optional
 *  field ("ammount") would be silently dropped from a complaint. The error
 *  names the first unknown key (its dotted path under `prefix`). */
static int
s_known_keys (const msgpack_object *map, const char *const *keys, const char *prefix,
              const char *what, proto_error_t *err)
{
    const msgpack_object_map *m = &map->via.map;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr [i].key;
        if (k->type != MSGPACK_OBJECT_STR) {
            proto_error_set (err, PROTO_E_WRONG_TYPE, prefix ? prefix : "",
                             "every key of %s must be a string", what);
            return -1;
        }
        bool known = false;
        for (size_t j = 0; keys [j] && !known; j++)
            known = proto_str_eq ((proto_str_t) { k->via.str.ptr, k->via.str.size }, keys [j]);
        if (!known) {
            /* the key is valid UTF-8 (proto_scan); a long one is cut */
            int len = k->via.str.size > 40 ? 40 : (int) k->via.str.size;
            proto_error_set (err, PROTO_E_UNKNOWN_FIELD, "", "%s takes no field \"%.*s\"",
                             what, len, k->via.str.ptr);
            snprintf (err->field, sizeof err->field, "%s%s%.*s", prefix ? prefix : "",
                      prefix ? "." : "", len, k->via.str.ptr);
            return -1;
        }
    }
    return 0;
}

static const char *const s_submit_keys [] = {
    "op", "channel", "ref", "body", "subject", "demand", "branch", "product", "category",
    "lang", "received_at", "amount", "narrative_consent", "customer", "first_contact",
    "referral",
    "incident",                                         /* issue 16 (i16-tasks) */
    NULL
};
static const char *const s_incident_keys [] = { "staff_concerned", "at", "place", NULL };
static const char *const s_referral_keys [] = { "source", "referrer", "ticket", "due_at", NULL };
static const char *const s_first_contact_keys [] = { "token", "outcome", "text", "amount", NULL };
static const char *const s_customer_keys [] = {
    "name", "phone", "email", "account", "id_no", NULL
};
static const char *const s_get_keys [] = { "op", "complaint_no", "token", "query_code", NULL };
static const char *const s_act_keys [] = {
    "op", "complaint_no", "action", "token", "version", "actor", "text", "outcome", "reason",
    "level", "department", "duplicate_of", "satisfied", "amount",
    "customer_text", "outcomes",        /* issue 16 (i16-vetting) */
    "due", "task", "owner",                             /* issue 16 (i16-tasks) */
    "score",                    /* issue 16 (i16-followup) */
    NULL
};
static const char *const s_queue_keys [] = { "op", "token", "scope", "state", "limit", NULL };
static const char *const s_reply_keys [] = {
    "op", "complaint_no", "channel", "ref", "from", "text", NULL
};

static int
s_decode_customer (const msgpack_object *map, customer_t *c, proto_error_t *err)
{
    const msgpack_object *v = proto_map_get (map, "customer");
    if (!v || v->type == MSGPACK_OBJECT_NIL) {
        proto_error_set (err, PROTO_E_MISSING_FIELD, "customer", "customer is required");
        return -1;
    }
    if (v->type != MSGPACK_OBJECT_MAP) {
        proto_error_set (err, PROTO_E_WRONG_TYPE, "customer", "customer must be a map");
        return -1;
    }
    if (s_known_keys (v, s_customer_keys, "customer", "customer", err))
        return -1;
    if (proto_get_str (v, "name", "customer.name", false, 1, PROTO_MAX_SHORT, &c->name, err)
    ||  proto_get_str (v, "phone", "customer.phone", false, 3, 32, &c->phone, err)
    ||  proto_get_str (v, "email", "customer.email", false, 3, PROTO_MAX_SHORT, &c->email, err)
    ||  proto_get_str (v, "account", "customer.account", false, 1, 64, &c->account, err)
    ||  proto_get_str (v, "id_no", "customer.id_no", false, 1, 64, &c->id_no, err))
        return -1;
    if (c->phone.ptr) {
        for (size_t i = 0; i < c->phone.len; i++) {
            char ch = c->phone.ptr [i];
            if (!((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == ' '
               || ch == '(' || ch == ')')) {
                proto_error_set (err, PROTO_E_INVALID_FIELD, "customer.phone",
                                 "customer.phone may hold only digits, spaces and + - ( )");
                return -1;
            }
        }
    }
    if (c->email.ptr && !memchr (c->email.ptr, '@', c->email.len)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "customer.email",
                         "customer.email must contain '@'");
        return -1;
    }
    if (!c->name.ptr && !c->phone.ptr && !c->email.ptr && !c->account.ptr && !c->id_no.ptr) {
        proto_error_set (err, PROTO_E_MISSING_FIELD, "customer",
                         "customer needs at least one of name, phone, email, account, id_no");
        return -1;
    }
    return 0;
}

static int s_get_bool (const msgpack_object *map, const char *key, int *out,
                       proto_error_t *err);

/*  first_contact: the resolve action's fields, checked by the lifecycle's
 *  own rules (lifecycle_check on the resolve step, as an act's are), so a
 *  refund without an amount or an unknown outcome is refused before
 *  anything is stored. Errors name first_contact.FIELD. Who the token
 *  belongs to, and whether their role may take both steps, is intake's
 *  question, in the transaction. */
static int
s_decode_first_contact (const msgpack_object *map, first_contact_t *fc, proto_error_t *err)
{
    memset (fc, 0, sizeof *fc);
    const msgpack_object *v = proto_map_get (map, "first_contact");
    if (!v || v->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (v->type != MSGPACK_OBJECT_MAP) {
        proto_error_set (err, PROTO_E_WRONG_TYPE, "first_contact",
                         "first_contact must be a map");
        return -1;
    }
    if (s_known_keys (v, s_first_contact_keys, "first_contact", "first_contact", err))
        return -1;
    proto_str_t outcome = { 0 };
    if (proto_get_str (v, "token", "first_contact.token", true, 1, REQUEST_MAX_TOKEN,
                       &fc->token, err)
    ||  proto_get_str (v, "outcome", "first_contact.outcome", true, 1,
                       sizeof fc->outcome - 1, &outcome, err)
    ||  proto_get_str (v, "text", "first_contact.text", true, 1, REQUEST_MAX_TEXT,
                       &fc->text, err)
    ||  s_get_amount_at (v, "first_contact.amount", fc->amount, &fc->has_amount, err))
        return -1;
    memcpy (fc->outcome, outcome.ptr, outcome.len);
    fc->outcome [outcome.len] = 0;
    const lifecycle_action_t *resolve = lifecycle_first_contact (NULL) [1];
    lifecycle_fields_t fields = {
        FIELD_OUTCOME | FIELD_TEXT | (fc->has_amount ? FIELD_AMOUNT : 0), fc->outcome,
        NULL, NULL, fc->has_amount, -1
    };
    lifecycle_case_t kase = { .state = STATE_ACCEPTED,
                              .level = "branch", .recorded_satisfied = -1 };
    if (lifecycle_check (resolve, &fields, &kase, err)) {
        /* the lifecycle's field names are short ("outcome", "amount") */
        char field [32];
        snprintf (field, sizeof field, "%.31s", err->field);
        snprintf (err->field, sizeof err->field, "first_contact.%s", field);
        return -1;
    }
    fc->present = true;
    return 0;
}

/* UTF-8 characters in a decoded (valid UTF-8) string: bytes that do not
 * continue a sequence. */
static size_t
s_utf8_chars (proto_str_t s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        n += ((unsigned char) s.ptr [i] & 0xC0) != 0x80;
    return n;
}

/*  referral: a map whose `source` is required — a referrer, a ticket or a
 *  due date without saying who referred is refused (the store's own check,
 *  complaint_referral_complete_check, would refuse it less clearly). The
 *  bounds are the columns' (migration 026). due_at is checked here for
 *  type and range only: against the receipt it is checked where the
 *  receipt is known, in the submit statement. Without a referral, a
 *  complaint on channel regulator is the regulator's referral. */
static int
s_decode_referral (const msgpack_object *map, const submit_t *s, referral_t *r,
                   proto_error_t *err)
{
    memset (r, 0, sizeof *r);
    const msgpack_object *v = proto_map_get (map, "referral");
    if (!v || v->type == MSGPACK_OBJECT_NIL) {
        if (proto_str_eq (s->channel, "regulator"))
            snprintf (r->source, sizeof r->source, "regulator");
        return 0;
    }
    if (v->type != MSGPACK_OBJECT_MAP) {
        proto_error_set (err, PROTO_E_WRONG_TYPE, "referral", "referral must be a map");
        return -1;
    }
    if (s_known_keys (v, s_referral_keys, "referral", "referral", err))
        return -1;
    proto_str_t source = { 0 };
    if (proto_get_str (v, "source", "referral.source", true, 1, 32, &source, err)
    ||  proto_get_str (v, "referrer", "referral.referrer", false, 1,
                       REQUEST_REFERRER_MAX_CHARS * 4, &r->referrer, err)
    ||  proto_get_str (v, "ticket", "referral.ticket", false, 1, REQUEST_TICKET_MAX,
                       &r->ticket, err)
    ||  proto_get_int (v, "due_at", "referral.due_at", false,
                       946684800000LL, 4102444800000LL, &r->due_at, NULL, err))
        return -1;
    bool known = false;
    for (size_t i = 0; referral_sources [i] && !known; i++)
        known = proto_str_eq (source, referral_sources [i]);
    if (!known) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "referral.source",
                         "referral.source \"%.*s\" is not one of regulator, association, "
                         "consumer_association, media", (int) (source.len > 32 ? 32 : source.len),
                         source.ptr);
        return -1;
    }
    if (r->referrer.ptr && s_utf8_chars (r->referrer) > REQUEST_REFERRER_MAX_CHARS) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "referral.referrer",
                         "referral.referrer must be at most %d characters",
                         REQUEST_REFERRER_MAX_CHARS);
        return -1;
    }
    memcpy (r->source, source.ptr, source.len);
    r->source [source.len] = 0;
    return 0;
}

/*  issue 16 (i16-tasks): incident, an optional map: the staff concerned,
 *  when, where — each optional, bounded as migration 046's columns. */
static int
s_decode_incident (const msgpack_object *map, incident_t *in, proto_error_t *err)
{
    memset (in, 0, sizeof *in);
    const msgpack_object *v = proto_map_get (map, "incident");
    if (!v || v->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (v->type != MSGPACK_OBJECT_MAP) {
        proto_error_set (err, PROTO_E_WRONG_TYPE, "incident", "incident must be a map");
        return -1;
    }
    if (s_known_keys (v, s_incident_keys, "incident", "incident", err)
    ||  proto_get_str (v, "staff_concerned", "incident.staff_concerned", false, 1,
                       REQUEST_INCIDENT_MAX_CHARS * 4, &in->staff_concerned, err)
    ||  proto_get_int (v, "at", "incident.at", false, 946684800000LL, 4102444800000LL,
                       &in->at, NULL, err)
    ||  proto_get_str (v, "place", "incident.place", false, 1, REQUEST_INCIDENT_MAX_CHARS * 4,
                       &in->place, err))
        return -1;
    if (in->staff_concerned.ptr
    &&  s_utf8_chars (in->staff_concerned) > REQUEST_INCIDENT_MAX_CHARS) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "incident.staff_concerned",
                         "incident.staff_concerned must be at most %d characters",
                         REQUEST_INCIDENT_MAX_CHARS);
        return -1;
    }
    if (in->place.ptr && s_utf8_chars (in->place) > REQUEST_INCIDENT_MAX_CHARS) {
        proto_error_set (err, PROTO_E_TOO_LARGE, "incident.place",
                         "incident.place must be at most %d characters",
                         REQUEST_INCIDENT_MAX_CHARS);
        return -1;
    }
    return 0;
}

static int
s_decode_submit (const msgpack_object *map, submit_t *s, proto_error_t *err)
{
    memset (s, 0, sizeof *s);
    if (proto_get_str (map, "channel", "channel", true, 1, 32, &s->channel, err))
        return -1;
    if (!channel_valid (s->channel)) {
        proto_error_set (err, PROTO_E_UNKNOWN_CHANNEL, "channel",
                         "channel \"%.*s\" is not one of hotline, email, web, sms, letter, "
                         "counter, app, wechat, regulator", (int) s->channel.len, s->channel.ptr);
        return -1;
    }
    if (proto_get_str (map, "ref", "ref", true, 1, PROTO_MAX_REF, &s->ref, err)
    ||  proto_get_str (map, "body", "body", true, 1, PROTO_MAX_BODY, &s->body, err)
    ||  proto_get_str (map, "subject", "subject", false, 0, PROTO_MAX_SHORT, &s->subject, err)
    ||  proto_get_str (map, "demand", "demand", false, 0, PROTO_MAX_DEMAND, &s->demand, err)
    ||  proto_get_str (map, "branch", "branch", false, 0, PROTO_MAX_SHORT, &s->branch, err)
    ||  proto_get_str (map, "product", "product", false, 0, PROTO_MAX_SHORT, &s->product, err)
    ||  proto_get_str (map, "category", "category", false, 0, PROTO_MAX_SHORT, &s->category, err)
    ||  proto_get_str (map, "lang", "lang", false, 2, 2, &s->lang, err))
        return -1;
    if (s->lang.ptr && !proto_str_eq (s->lang, "zh") && !proto_str_eq (s->lang, "en")) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "lang", "lang must be \"zh\" or \"en\"");
        return -1;
    }
    /* 2000-01-01 .. 2100-01-01 in unix ms */
    if (proto_get_int (map, "received_at", "received_at", false,
                       946684800000LL, 4102444800000LL, &s->received_at, NULL, err))
        return -1;
    if (s_get_amount (map, s->amount, &s->has_amount, err))
        return -1;
    //  Consent to publish the complaint's text (scrubbed) in public
    //  statistics: only an explicit true grants it; absent or nil is no.
    int consent = -1;
    if (s_get_bool (map, "narrative_consent", &consent, err))
        return -1;
    s->narrative_consent = consent == 1;
    if (s_decode_first_contact (map, &s->first_contact, err)
    ||  s_decode_referral (map, s, &s->referral, err)
    ||  s_decode_incident (map, &s->incident, err))             /* issue 16 (i16-tasks) */
        return -1;
    return s_decode_customer (map, &s->customer, err);
}

/*  A complaint number at `key`: present (when required), a string, and a
 *  valid number (shape and check digit), copied NUL-terminated. Returns 0
 *  with out "" when it is optional and absent. */
static int
s_get_complaint_no (const msgpack_object *map, const char *key, bool required,
                    char out [COMPLAINT_NO_SIZE], proto_error_t *err)
{
    proto_str_t no = { 0 };
    out [0] = 0;
    if (proto_get_str (map, key, key, required, 1, 64, &no, err))
        return -1;
    if (!no.ptr)
        return 0;
    if (complaint_no_check (no.ptr, no.len, key, err))
        return -1;
    memcpy (out, no.ptr, no.len);
    out [no.len] = 0;
    return 0;
}

/*  A short optional string copied NUL-terminated into out (size bytes);
 *  sets `bit` in *present when there. */
static int
s_get_word (const msgpack_object *map, const char *key, char *out, size_t size,
            unsigned bit, unsigned *present, proto_error_t *err)
{
    proto_str_t v = { 0 };
    out [0] = 0;
    if (proto_get_str (map, key, key, false, 1, size - 1, &v, err))
        return -1;
    if (v.ptr) {
        memcpy (out, v.ptr, v.len);
        out [v.len] = 0;
        *present |= bit;
    }
    return 0;
}

static int
s_get_bool (const msgpack_object *map, const char *key, int *out, proto_error_t *err)
{
    const msgpack_object *v = proto_map_get (map, key);
    *out = -1;
    if (!v || v->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (v->type != MSGPACK_OBJECT_BOOLEAN) {
        proto_error_set (err, PROTO_E_WRONG_TYPE, key, "%s must be true or false", key);
        return -1;
    }
    *out = v->via.boolean ? 1 : 0;
    return 0;
}

/*  "accept, investigate, ..." from the lifecycle table, for the error that
 *  names an unknown action. */
static void
s_action_list (char *out, size_t size)
{
    size_t count, used = 0;
    const lifecycle_action_t *actions = lifecycle_actions (&count);
    out [0] = 0;
    for (size_t i = 0; i < count && used < size; i++) {
        int n = snprintf (out + used, size - used, "%s%s", i ? ", " : "", actions [i].name);
        if (n < 0)
            break;
        used += (size_t) n;
    }
}

static int
s_decode_act (const msgpack_object *map, act_t *a, proto_error_t *err)
{
    memset (a, 0, sizeof *a);
    a->satisfied = -1;
    if (s_get_complaint_no (map, "complaint_no", true, a->complaint_no, err))
        return -1;
    proto_str_t name = { 0 };
    if (proto_get_str (map, "action", "action", true, 1, 32, &name, err))
        return -1;
    a->action = lifecycle_action (name.ptr, name.len);
    if (!a->action) {
        char list [300];
        s_action_list (list, sizeof list);
        proto_error_set (err, PROTO_E_INVALID_FIELD, "action",
                         "action \"%.*s\" is not one of %s", (int) name.len, name.ptr, list);
        return -1;
    }
    /* The token is checked by intake (case_action_apply): missing_field
     * token, unless the sender is a service allowed to act without one
     * (issue 16 (i16-followup): the watchdog's no_answer closing). */
    bool has_score = false;
    if (proto_get_str (map, "token", "token", false, 1, REQUEST_MAX_TOKEN, &a->token, err)
    ||  proto_get_int (map, "version", "version", true, 1, INT32_MAX, &a->version, NULL, err)
    ||  proto_get_int (map, "score", "score", false, 1, 5, &a->score, &has_score, err)
    ||  proto_get_str (map, "actor", "actor", false, 1, REQUEST_MAX_ID, &a->actor, err)
    ||  proto_get_str (map, "text", "text", false, 1, REQUEST_MAX_TEXT, &a->text, err)
    ||  s_get_word (map, "outcome", a->outcome, sizeof a->outcome, FIELD_OUTCOME,
                    &a->present, err)
    ||  s_get_word (map, "reason", a->reason, sizeof a->reason, FIELD_REASON, &a->present, err)
    ||  s_get_word (map, "level", a->level, sizeof a->level, FIELD_LEVEL, &a->present, err)
    ||  s_get_word (map, "department", a->department, sizeof a->department, FIELD_DEPARTMENT,
                    &a->present, err)
    ||  s_get_complaint_no (map, "duplicate_of", false, a->duplicate_of, err)
    ||  s_get_bool (map, "satisfied", &a->satisfied, err)
        /* issue 16 (i16-tasks) */
    ||  s_get_word (map, "due", a->due, sizeof a->due, FIELD_DUE, &a->present, err)
    ||  s_get_word (map, "task", a->task, sizeof a->task, FIELD_TASK, &a->present, err)
    ||  s_get_word (map, "owner", a->owner, sizeof a->owner, FIELD_OWNER, &a->present, err))
        return -1;
    if (a->task [0] && strspn (a->task, "0123456789") != strlen (a->task)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "task",
                         "task must be a task's number (digits), as show lists it");
        return -1;
    }
    bool has_amount = false;
    if (s_get_amount (map, a->amount, &has_amount, err))
        return -1;
    a->present |= (a->text.ptr ? FIELD_TEXT : 0) | (has_amount ? FIELD_AMOUNT : 0)
               |  (a->duplicate_of [0] ? FIELD_DUPLICATE_OF : 0)
               |  (a->satisfied >= 0 ? FIELD_SATISFIED : 0)
               |  (has_score ? FIELD_SCORE : 0);
    /* issue 16 (i16-vetting): the customer's answer and several outcomes */
    if (proto_get_str (map, "customer_text", "customer_text", false, 1, REQUEST_MAX_TEXT,
                       &a->customer_text, err)
    ||  act_outcomes_decode (map, a->outcomes, &a->noutcomes, err))
        return -1;
    a->present |= (a->customer_text.ptr ? FIELD_CUSTOMER_TEXT : 0)
               |  (a->noutcomes > 0 ? FIELD_OUTCOMES : 0);

    /*  The table's field lists and the value rules, with a case that makes
     *  every case-dependent rule pass or answer invalid_transition: those
     *  are decided again, on the real case, in the transaction. Within one
     *  action lifecycle_check tests what needs no case first, so a
     *  case-dependent refusal here never hides a bad field. */
    lifecycle_fields_t fields = {
        a->present, a->outcome [0] ? a->outcome : NULL, a->reason [0] ? a->reason : NULL,
        a->level [0] ? a->level : NULL, has_amount, a->satisfied
    };
    lifecycle_case_t any = { .state = STATE_INVESTIGATING, .level = "branch",
                             .recorded_satisfied = -1 };
    proto_error_t check = { 0 };
    if (lifecycle_check (a->action, &fields, &any, &check)
    &&  strcmp (check.code, PROTO_E_INVALID_TRANSITION) != 0) {
        *err = check;
        return -1;
    }
    return 0;
}

static int
s_decode_queue (const msgpack_object *map, queue_t *q, proto_error_t *err)
{
    memset (q, 0, sizeof *q);
    q->limit = REQUEST_QUEUE_DEFAULT;
    proto_str_t scope = { 0 }, state = { 0 };
    if (proto_get_str (map, "token", "token", true, 1, REQUEST_MAX_TOKEN, &q->token, err)
    ||  proto_get_str (map, "scope", "scope", false, 1, 32, &scope, err)
    ||  proto_get_str (map, "state", "state", false, 1, 32, &state, err)
    ||  proto_get_int (map, "limit", "limit", false, 1, REQUEST_QUEUE_MAX, &q->limit, NULL, err))
        return -1;
    if (!scope.ptr || proto_str_eq (scope, "mine"))
        q->scope = QUEUE_MINE;
    else
    if (proto_str_eq (scope, "department"))
        q->scope = QUEUE_DEPARTMENT;
    else
    if (proto_str_eq (scope, "all"))
        q->scope = QUEUE_ALL;
    else {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "scope",
                         "scope must be one of mine, department, all");
        return -1;
    }
    if (state.ptr) {
        if (lifecycle_state_parse (state.ptr, state.len, &q->state)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "state",
                             "state \"%.*s\" is not a case state", (int) state.len, state.ptr);
            return -1;
        }
        q->has_state = true;
    }
    return 0;
}

/*  A reply: the case, a known channel, its ref, a sender address (with an
 *  '@' for e-mail; the check against the case's customer is intake's) and
 *  the text, bounded as a complaint's body is. */
static int
s_decode_reply (const msgpack_object *map, reply_t *r, proto_error_t *err)
{
    if (s_get_complaint_no (map, "complaint_no", true, r->complaint_no, err)
    ||  proto_get_str (map, "channel", "channel", true, 1, 32, &r->channel, err))
        return -1;
    if (!channel_valid (r->channel)) {
        proto_error_set (err, PROTO_E_UNKNOWN_CHANNEL, "channel",
                         "channel \"%.*s\" is not one of the channels", (int) r->channel.len,
                         r->channel.ptr);
        return -1;
    }
    if (proto_get_str (map, "ref", "ref", true, 1, PROTO_MAX_REF, &r->ref, err)
    ||  proto_get_str (map, "from", "from", true, 3, PROTO_MAX_SHORT, &r->from, err)
    ||  proto_get_str (map, "text", "text", true, 1, PROTO_MAX_BODY, &r->text, err))
        return -1;
    if (proto_str_eq (r->channel, "email") && !memchr (r->from.ptr, '@', r->from.len)) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "from",
                         "from must be an e-mail address (with '@') on the email channel");
        return -1;
    }
    return 0;
}

int
request_decode (const void *data, size_t size, msgpack_unpacked *msg,
                request_t *req, proto_error_t *err)
{
    memset (req, 0, sizeof *req);
    if (proto_decode (data, size, msg, err))
        return -1;
    proto_str_t op = { 0 };
    if (proto_get_str (&msg->data, "op", "op", true, 1, 32, &op, err))
        return -1;
    if (proto_str_eq (op, "submit")) {
        req->op = REQUEST_SUBMIT;
        if (s_known_keys (&msg->data, s_submit_keys, NULL, "submit", err))
            return -1;
        return s_decode_submit (&msg->data, &req->u.submit, err);
    }
    if (proto_str_eq (op, "get")) {
        req->op = REQUEST_GET;
        if (s_known_keys (&msg->data, s_get_keys, NULL, "get", err))
            return -1;
        if (s_get_complaint_no (&msg->data, "complaint_no", true, req->u.get.complaint_no, err))
            return -1;
        if (proto_get_str (&msg->data, "token", "token", false, 1, REQUEST_MAX_TOKEN,
                           &req->u.get.token, err))
            return -1;
        /* Any string of bounded size: a code that is not of the alphabet is
         * answered later exactly like a wrong one (not_found). */
        return proto_get_str (&msg->data, "query_code", "query_code", false, 1,
                              REQUEST_MAX_QUERY_CODE, &req->u.get.query_code, err);
    }
    if (proto_str_eq (op, "act")) {
        req->op = REQUEST_ACT;
        if (s_known_keys (&msg->data, s_act_keys, NULL, "act", err))
            return -1;
        return s_decode_act (&msg->data, &req->u.act, err);
    }
    if (proto_str_eq (op, "queue")) {
        req->op = REQUEST_QUEUE;
        if (s_known_keys (&msg->data, s_queue_keys, NULL, "queue", err))
            return -1;
        return s_decode_queue (&msg->data, &req->u.queue, err);
    }
    if (proto_str_eq (op, "reply")) {
        req->op = REQUEST_REPLY;
        if (s_known_keys (&msg->data, s_reply_keys, NULL, "reply", err))
            return -1;
        return s_decode_reply (&msg->data, &req->u.reply, err);
    }
    if (proto_str_eq (op, "evidence_add")) {
        req->op = REQUEST_EVIDENCE_ADD;
        return evidence_add_decode (&msg->data, &req->u.evidence_add, err);
    }
    if (proto_str_eq (op, "evidence_get")) {
        req->op = REQUEST_EVIDENCE_GET;
        return evidence_get_decode (&msg->data, &req->u.evidence_get, err);
    }
    /* issue 16 (i16-records): the records requests (records_request.h) */
    if (proto_str_eq (op, "casefile")) {
        req->op = REQUEST_CASEFILE;
        return records_casefile_decode (&msg->data, &req->u.casefile, err);
    }
    if (proto_str_eq (op, "retention_run")) {
        req->op = REQUEST_RETENTION_RUN;
        return records_retention_decode (&msg->data, &req->u.retention_run, err);
    }
    if (proto_str_eq (op, "kb_promote")) {
        req->op = REQUEST_KB_PROMOTE;
        return records_kb_promote_decode (&msg->data, &req->u.kb_promote, err);
    }
    if (proto_str_eq (op, "kb_search")) {
        req->op = REQUEST_KB_SEARCH;
        return records_kb_search_decode (&msg->data, &req->u.kb_search, err);
    }
    if (proto_str_eq (op, "rectification")) {              /* issue 16 (i16-tasks) */
        req->op = REQUEST_RECTIFICATION;
        return rectification_decode (&msg->data, &req->u.rectification, err);
    }
    if (proto_str_eq (op, "accountability")) {
        req->op = REQUEST_ACCOUNTABILITY;
        return accountability_decode (&msg->data, &req->u.accountability, err);
    }
    if (proto_str_eq (op, "survey")) {         /* issue 16 (i16-followup) */
        req->op = REQUEST_SURVEY;
        return survey_decode (&msg->data, &req->u.survey, err);
    }
    proto_error_set (err, PROTO_E_UNKNOWN_OP, "op",
                     "op \"%.*s\" is not one of submit, get, act, queue, reply, evidence_add,"
                     " evidence_get, casefile, retention_run, kb_promote, kb_search,"
                     " rectification, accountability, survey",
                     (int) (op.len > 32 ? 32 : op.len), op.ptr);
    return -1;
}

int
request_known_keys (const msgpack_object *map, const char *const *keys, const char *what,
                    proto_error_t *err)
{
    return s_known_keys (map, keys, NULL, what, err);
}

int
request_complaint_no (const msgpack_object *map, char out [COMPLAINT_NO_SIZE],
                      proto_error_t *err)
{
    return s_get_complaint_no (map, "complaint_no", true, out, err);
}

static int
s_count (const proto_str_t *fields [], int n)
{
    int count = 0;
    for (int i = 0; i < n; i++)
        count += fields [i]->ptr != NULL;
    return count;
}

static void
s_pack_opt (msgpack_packer *pk, const char *key, proto_str_t value)
{
    if (value.ptr) {
        proto_pack_cstr (pk, key);
        proto_pack_strn (pk, value.ptr, value.len);
    }
}

void
request_get_pack (msgpack_sbuffer *buf, const char *complaint_no, const char *token,
                  const char *query_code)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2 + (token != NULL) + (query_code != NULL));
    proto_pack_kv_cstr (&pk, "op", "get");
    proto_pack_kv_cstr (&pk, "complaint_no", complaint_no);
    if (token)
        proto_pack_kv_cstr (&pk, "token", token);
    if (query_code)
        proto_pack_kv_cstr (&pk, "query_code", query_code);
}

void
request_submit_pack (msgpack_sbuffer *buf, const submit_t *s)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    const proto_str_t *opt [] = { &s->subject, &s->demand, &s->branch, &s->product,
                                  &s->category, &s->lang };
    const proto_str_t *cust [] = { &s->customer.name, &s->customer.phone,
                                   &s->customer.email, &s->customer.account,
                                   &s->customer.id_no };
    int size = 5 + s_count (opt, 6) + (s->has_amount ? 1 : 0) + (s->received_at ? 1 : 0)
             + (s->narrative_consent ? 1 : 0) + (s->first_contact.present ? 1 : 0)
             + (s->referral.source [0] ? 1 : 0);
    const incident_t *inc = &s->incident;                       /* issue 16 (i16-tasks) */
    bool incident = inc->staff_concerned.ptr || inc->at || inc->place.ptr;
    size += incident;
    msgpack_pack_map (&pk, (size_t) size);
    proto_pack_kv_cstr (&pk, "op", "submit");
    s_pack_opt (&pk, "channel", s->channel);
    s_pack_opt (&pk, "ref", s->ref);
    s_pack_opt (&pk, "body", s->body);
    s_pack_opt (&pk, "subject", s->subject);
    s_pack_opt (&pk, "demand", s->demand);
    s_pack_opt (&pk, "branch", s->branch);
    s_pack_opt (&pk, "product", s->product);
    s_pack_opt (&pk, "category", s->category);
    s_pack_opt (&pk, "lang", s->lang);
    if (s->has_amount)
        proto_pack_kv_cstr (&pk, "amount", s->amount);
    if (s->received_at)
        proto_pack_kv_int (&pk, "received_at", s->received_at);
    if (s->narrative_consent)
        proto_pack_kv_bool (&pk, "narrative_consent", true);
    if (s->first_contact.present) {
        const first_contact_t *fc = &s->first_contact;
        proto_pack_cstr (&pk, "first_contact");
        msgpack_pack_map (&pk, 1 + (fc->token.ptr ? 1 : 0) + (fc->text.ptr ? 1 : 0)
                               + (fc->has_amount ? 1 : 0));
        s_pack_opt (&pk, "token", fc->token);
        proto_pack_kv_cstr (&pk, "outcome", fc->outcome);
        s_pack_opt (&pk, "text", fc->text);
        if (fc->has_amount)
            proto_pack_kv_cstr (&pk, "amount", fc->amount);
    }
    if (s->referral.source [0]) {
        const referral_t *r = &s->referral;
        proto_pack_cstr (&pk, "referral");
        msgpack_pack_map (&pk, 1 + (r->referrer.ptr ? 1 : 0) + (r->ticket.ptr ? 1 : 0)
                               + (r->due_at ? 1 : 0));
        proto_pack_kv_cstr (&pk, "source", r->source);
        s_pack_opt (&pk, "referrer", r->referrer);
        s_pack_opt (&pk, "ticket", r->ticket);
        if (r->due_at)
            proto_pack_kv_int (&pk, "due_at", r->due_at);
    }
    if (incident) {
        proto_pack_cstr (&pk, "incident");
        msgpack_pack_map (&pk, (inc->staff_concerned.ptr ? 1 : 0) + (inc->at ? 1 : 0)
                               + (inc->place.ptr ? 1 : 0));
        s_pack_opt (&pk, "staff_concerned", inc->staff_concerned);
        if (inc->at)
            proto_pack_kv_int (&pk, "at", inc->at);
        s_pack_opt (&pk, "place", inc->place);
    }
    proto_pack_cstr (&pk, "customer");
    msgpack_pack_map (&pk, (size_t) s_count (cust, 5));
    s_pack_opt (&pk, "name", s->customer.name);
    s_pack_opt (&pk, "phone", s->customer.phone);
    s_pack_opt (&pk, "email", s->customer.email);
    s_pack_opt (&pk, "account", s->customer.account);
    s_pack_opt (&pk, "id_no", s->customer.id_no);
}

void
request_reply_pack (msgpack_sbuffer *buf, const reply_t *r)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    const proto_str_t *opt [] = { &r->channel, &r->ref, &r->from, &r->text };
    msgpack_pack_map (&pk, (size_t) (2 + s_count (opt, 4)));
    proto_pack_kv_cstr (&pk, "op", "reply");
    proto_pack_kv_cstr (&pk, "complaint_no", r->complaint_no);
    s_pack_opt (&pk, "channel", r->channel);
    s_pack_opt (&pk, "ref", r->ref);
    s_pack_opt (&pk, "from", r->from);
    s_pack_opt (&pk, "text", r->text);
}

#include "selftest.h"

#define S(lit) ((proto_str_t) { lit, sizeof lit - 1 })

/* Pack a request of string pairs (NULL value: skip), plus "version" when
 * version > 0, for the self-test. */
static void
s_test_pack (msgpack_sbuffer *buf, const char *const *kv, int64_t version)
{
    size_t n = 0;
    for (size_t i = 0; kv [i]; i += 2)
        n += kv [i + 1] != NULL;
    msgpack_packer pk;
    msgpack_sbuffer_clear (buf);
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, n + (version > 0));
    for (size_t i = 0; kv [i]; i += 2)
        if (kv [i + 1])
            proto_pack_kv_cstr (&pk, kv [i], kv [i + 1]);
    if (version > 0)
        proto_pack_kv_int (&pk, "version", version);
}

/* Decode what s_test_pack packed; returns request_decode's result. */
static int
s_test_decode (msgpack_sbuffer *buf, request_t *req, proto_error_t *err)
{
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = request_decode (buf->data, buf->size, &msg, req, err);
    msgpack_unpacked_destroy (&msg);     /* strings die here: test scalars only */
    return rc;
}

static bool
s_test_err (const proto_error_t *err, const char *code, const char *field)
{
    return strcmp (err->code, code) == 0 && strcmp (err->field, field) == 0;
}

static void
s_test_act_queue (msgpack_sbuffer *buf)
{
    const char *tok = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    request_t req;
    proto_error_t err = { 0 };
    const char *resolve [] = { "op", "act", "complaint_no", "202611230000427",
        "action", "resolve", "token", tok, "outcome", "refund", "amount", "300.5",
        "text", "refunded the fee", NULL };
    s_test_pack (buf, resolve, 3);
    assert (s_test_decode (buf, &req, &err) == 0 && req.op == REQUEST_ACT);
    assert (strcmp (req.u.act.action->name, "resolve") == 0 && req.u.act.version == 3);
    assert (req.u.act.present == (FIELD_OUTCOME | FIELD_AMOUNT | FIELD_TEXT));
    assert (strcmp (req.u.act.amount, "300.5") == 0 && strcmp (req.u.act.outcome, "refund") == 0);
    assert (req.u.act.satisfied == -1 && req.u.act.duplicate_of [0] == 0);

    /* the table's rules, through lifecycle_check: refund needs an amount */
    resolve [11] = NULL;
    s_test_pack (buf, resolve, 3);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_MISSING_FIELD, "amount"));
    /* no version */
    s_test_pack (buf, resolve, 0);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_MISSING_FIELD, "version"));

    /* an unknown action lists the known ones */
    const char *fly [] = { "op", "act", "complaint_no", "202611230000427", "action", "fly",
        "token", tok, NULL };
    s_test_pack (buf, fly, 1);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_INVALID_FIELD, "action"));
    assert (strstr (err.message, "accept") && strstr (err.message, "withdraw"));

    /* issue 16 (i16-vetting): propose with several outcomes and the
     * customer's text; a bad entry is named by its index */
    for (int round = 0; round < 3; round++) {
        msgpack_sbuffer_clear (buf);
        msgpack_packer pk;
        msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 8);
        proto_pack_kv_cstr (&pk, "op", "act");
        proto_pack_kv_cstr (&pk, "complaint_no", "202611230000427");
        proto_pack_kv_cstr (&pk, "action", "propose");
        proto_pack_kv_cstr (&pk, "token", tok);
        proto_pack_kv_int (&pk, "version", 3);
        proto_pack_kv_cstr (&pk, "text", "internal");
        proto_pack_kv_cstr (&pk, "customer_text", "why");
        proto_pack_cstr (&pk, "outcomes");
        msgpack_pack_array (&pk, 2);
        msgpack_pack_map (&pk, 2);
        proto_pack_kv_cstr (&pk, "kind", "refund");
        proto_pack_kv_cstr (&pk, "amount", round == 1 ? "3.141" : "300.5");
        msgpack_pack_map (&pk, 1);
        proto_pack_kv_cstr (&pk, "kind", round == 2 ? "bribe" : "goodwill");
        int rc = s_test_decode (buf, &req, &err);
        if (round == 0)
            assert (rc == 0 && req.u.act.noutcomes == 2
                    && req.u.act.present == (FIELD_TEXT | FIELD_CUSTOMER_TEXT | FIELD_OUTCOMES)
                    && strcmp (req.u.act.outcomes [1].kind, "goodwill") == 0
                    && strcmp (req.u.act.outcomes [0].amount, "300.5") == 0);
        else
            assert (rc == -1 && strcmp (err.field, round == 1 ? "outcomes[0].amount"
                                                              : "outcomes[1].kind") == 0);
    }

    /* a field the action does not take; no token */
    const char *note [] = { "op", "act", "complaint_no", "202611230000427", "action", "note",
        "token", tok, "text", "called back", "level", "regulator", NULL };
    s_test_pack (buf, note, 1);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_INVALID_FIELD, "level"));
    note [11] = NULL;
    note [7] = NULL;
    s_test_pack (buf, note, 1);
    /* issue 16 (i16-followup): no token decodes; intake refuses it
     * (missing_field token) unless a service sent it */
    assert (s_test_decode (buf, &req, &err) == 0 && req.u.act.token.ptr == NULL);

    /* case-dependent rules wait for the case: close as satisfied decodes */
    const char *close_ [] = { "op", "act", "complaint_no", "202611230000427", "action", "close",
        "token", tok, "reason", "satisfied", NULL };
    s_test_pack (buf, close_, 2);
    assert (s_test_decode (buf, &req, &err) == 0);
    close_ [9] = "bored";
    s_test_pack (buf, close_, 2);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_INVALID_FIELD, "reason"));

    /* duplicate_of is a complaint number with its check digit */
    const char *reject [] = { "op", "act", "complaint_no", "202611230000427", "action", "reject",
        "token", tok, "reason", "duplicate", "duplicate_of", "202611230000430", NULL };
    s_test_pack (buf, reject, 1);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_INVALID_FIELD, "duplicate_of"));

    /* queue */
    const char *queue [] = { "op", "queue", "token", tok, "scope", "department",
        "state", "investigating", NULL };
    s_test_pack (buf, queue, 0);
    assert (s_test_decode (buf, &req, &err) == 0 && req.op == REQUEST_QUEUE);
    assert (req.u.queue.scope == QUEUE_DEPARTMENT && req.u.queue.has_state
            && req.u.queue.state == STATE_INVESTIGATING && req.u.queue.limit == REQUEST_QUEUE_DEFAULT);
    queue [5] = "everything";
    s_test_pack (buf, queue, 0);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_INVALID_FIELD, "scope"));
    queue [5] = NULL;
    queue [7] = "sleeping";
    s_test_pack (buf, queue, 0);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_INVALID_FIELD, "state"));
}

/* reply: the packer's output decodes; each field's rule names it */
static void
s_test_reply (msgpack_sbuffer *buf)
{
    request_t req;
    proto_error_t err = { 0 };
    reply_t in = { .complaint_no = "202611230000427", .channel = S ("email"),
                   .ref = S ("abc@mail.example"), .from = S ("li@example.com"),
                   .text = S ("附件是账单截图。") };
    msgpack_sbuffer_clear (buf);
    request_reply_pack (buf, &in);
    assert (s_test_decode (buf, &req, &err) == 0 && req.op == REQUEST_REPLY);
    assert (strcmp (req.u.reply.complaint_no, "202611230000427") == 0);
    in.from = S ("li.example.com");
    msgpack_sbuffer_clear (buf);
    request_reply_pack (buf, &in);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_INVALID_FIELD, "from"));
    in.from = S ("li@example.com");
    in.text = (proto_str_t) { NULL, 0 };
    msgpack_sbuffer_clear (buf);
    request_reply_pack (buf, &in);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_MISSING_FIELD, "text"));
    in.text = S ("ok");
    in.channel = S ("pigeon");
    msgpack_sbuffer_clear (buf);
    request_reply_pack (buf, &in);
    assert (s_test_decode (buf, &req, &err) == -1 && s_test_err (&err, PROTO_E_UNKNOWN_CHANNEL, "channel"));
    snprintf (in.complaint_no, sizeof in.complaint_no, "202611230000428");
    in.channel = S ("email");
    msgpack_sbuffer_clear (buf);
    request_reply_pack (buf, &in);
    assert (s_test_decode (buf, &req, &err) == -1 && strcmp (err.field, "complaint_no") == 0);
}

/* referral: round-trips; each bad field is refused by name; channel
 * regulator alone is the regulator's referral */
static void
s_test_referral (msgpack_sbuffer *buf, submit_t in)
{
    request_t req;
    proto_error_t err = { 0 };
    msgpack_unpacked msg;
    snprintf (in.referral.source, sizeof in.referral.source, "association");
    in.referral.referrer = S ("上海市银行同业公会");
    in.referral.ticket = S ("SHBA-2026-0193");
    in.referral.due_at = 1795438798831LL;
    msgpack_sbuffer_clear (buf);
    request_submit_pack (buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf->data, buf->size, &msg, &req, &err) == 0);
    assert (strcmp (req.u.submit.referral.source, "association") == 0);
    assert (proto_str_eq (req.u.submit.referral.referrer, "上海市银行同业公会"));
    assert (proto_str_eq (req.u.submit.referral.ticket, "SHBA-2026-0193"));
    assert (req.u.submit.referral.due_at == 1795438798831LL);
    msgpack_unpacked_destroy (&msg);

    struct { const char *source; proto_str_t ticket, referrer; const char *code, *field; } bad [] = {
        { "newspaper", S ("T1"), S ("x"), PROTO_E_INVALID_FIELD, "referral.source" },
        { "media", S ("T12345678901234567890123456789012345678901234567890123456789012345"),
          S ("x"), PROTO_E_TOO_LARGE, "referral.ticket" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        snprintf (in.referral.source, sizeof in.referral.source, "%s", bad [i].source);
        in.referral.ticket = bad [i].ticket;
        in.referral.referrer = bad [i].referrer;
        msgpack_sbuffer_clear (buf);
        request_submit_pack (buf, &in);
        msgpack_unpacked_init (&msg);
        assert (request_decode (buf->data, buf->size, &msg, &req, &err) == -1);
        assert (s_test_err (&err, bad [i].code, bad [i].field));
        msgpack_unpacked_destroy (&msg);
    }
    /* 201 characters (603 bytes) of referrer: too large, in characters */
    char name [201 * 3 + 1] = "";
    for (int i = 0; i < 201; i++)
        strcat (name, "会");
    in.referral.referrer = (proto_str_t) { name, strlen (name) };
    in.referral.ticket = S ("T1");
    msgpack_sbuffer_clear (buf);
    request_submit_pack (buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf->data, buf->size, &msg, &req, &err) == -1);
    assert (s_test_err (&err, PROTO_E_TOO_LARGE, "referral.referrer"));
    msgpack_unpacked_destroy (&msg);

    /* a ticket without a source; a due date that is not a time */
    static const char nosource [] = "\x86\xa2op\xa6submit\xa7" "channel\xa3web\xa3ref\xa1r"
                                    "\xa4" "body\xa1" "b\xa8referral\x81\xa6ticket\xa2T1"
                                    "\xa8" "customer\x81\xa4name\xa1n";
    msgpack_unpacked_init (&msg);
    assert (request_decode (nosource, sizeof nosource - 1, &msg, &req, &err) == -1);
    assert (s_test_err (&err, PROTO_E_MISSING_FIELD, "referral.source"));
    msgpack_unpacked_destroy (&msg);
    static const char early [] = "\x86\xa2op\xa6submit\xa7" "channel\xa3web\xa3ref\xa1r"
                                 "\xa4" "body\xa1" "b\xa8referral\x82\xa6source\xa5media"
                                 "\xa6" "due_at\x01\xa8" "customer\x81\xa4name\xa1n";
    msgpack_unpacked_init (&msg);
    assert (request_decode (early, sizeof early - 1, &msg, &req, &err) == -1);
    assert (s_test_err (&err, PROTO_E_INVALID_FIELD, "referral.due_at"));
    msgpack_unpacked_destroy (&msg);

    /* channel regulator without a referral: the regulator referred it */
    memset (&in.referral, 0, sizeof in.referral);
    in.channel = S ("regulator");
    msgpack_sbuffer_clear (buf);
    request_submit_pack (buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf->data, buf->size, &msg, &req, &err) == 0);
    assert (strcmp (req.u.submit.referral.source, "regulator") == 0);
    assert (!req.u.submit.referral.ticket.ptr && req.u.submit.referral.due_at == 0);
    msgpack_unpacked_destroy (&msg);
    in.channel = S ("web");
    msgpack_sbuffer_clear (buf);
    request_submit_pack (buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf->data, buf->size, &msg, &req, &err) == 0);
    assert (req.u.submit.referral.source [0] == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_clear (buf);
}

void
request_test (bool verbose)
{
    if (verbose)
        printf (" * request: ");
    submit_t in = { 0 };
    in.channel = S ("hotline");
    in.ref = S ("call-0001");
    in.body = S ("信用卡被重复扣年费，要求退还。");
    in.lang = S ("zh");
    in.customer.name = S ("张三");
    in.customer.phone = S ("13812345678");
    in.has_amount = true;
    strcpy (in.amount, "300.00");

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    request_submit_pack (&buf, &in);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    request_t req;
    proto_error_t err = { 0 };
    assert (request_decode (buf.data, buf.size, &msg, &req, &err) == 0);
    assert (req.op == REQUEST_SUBMIT);
    submit_t *out = &req.u.submit;
    assert (proto_str_eq (out->channel, "hotline"));
    assert (proto_str_eq (out->ref, "call-0001"));
    assert (proto_str_eq (out->customer.phone, "13812345678"));
    assert (out->has_amount && strcmp (out->amount, "300.00") == 0);
    assert (out->customer.email.ptr == NULL);
    assert (!out->narrative_consent);               /* absent: no consent */
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_clear (&buf);

    /* narrative_consent: true round-trips; a string is refused, named */
    in.narrative_consent = true;
    request_submit_pack (&buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf.data, buf.size, &msg, &req, &err) == 0);
    assert (req.u.submit.narrative_consent);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_clear (&buf);
    in.narrative_consent = false;

    /* first_contact round-trips; a refund without an amount is refused,
     * named under first_contact */
    in.first_contact.present = true;
    in.first_contact.token = S ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    strcpy (in.first_contact.outcome, "explanation");
    in.first_contact.text = S ("已在电话中解释年费规则，客户接受。");
    request_submit_pack (&buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf.data, buf.size, &msg, &req, &err) == 0);
    assert (req.u.submit.first_contact.present && !req.u.submit.first_contact.has_amount);
    assert (strcmp (req.u.submit.first_contact.outcome, "explanation") == 0);
    assert (proto_str_eq (req.u.submit.first_contact.text, "已在电话中解释年费规则，客户接受。"));
    assert (strcmp (req.u.submit.amount, "300.00") == 0);   /* the claim stays the claim */
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_clear (&buf);
    strcpy (in.first_contact.outcome, "refund");
    request_submit_pack (&buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf.data, buf.size, &msg, &req, &err) == -1);
    assert (strcmp (err.code, PROTO_E_MISSING_FIELD) == 0
            && strcmp (err.field, "first_contact.amount") == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_clear (&buf);
    in.first_contact.has_amount = true;
    strcpy (in.first_contact.amount, "120.5");
    request_submit_pack (&buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf.data, buf.size, &msg, &req, &err) == 0);
    assert (strcmp (req.u.submit.first_contact.amount, "120.5") == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_clear (&buf);
    strcpy (in.first_contact.outcome, "magic");
    request_submit_pack (&buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf.data, buf.size, &msg, &req, &err) == -1);
    assert (strcmp (err.code, PROTO_E_INVALID_FIELD) == 0
            && strcmp (err.field, "first_contact.outcome") == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_clear (&buf);
    memset (&in.first_contact, 0, sizeof in.first_contact);
    s_test_referral (&buf, in);
    {
        static const char yes [] = "\x86\xa2op\xa6submit\xa7" "channel\xa3web\xa3ref\xa1r"
                                   "\xa4" "body\xa1" "b\xb1narrative_consent\xa3yes"
                                   "\xa8" "customer\x81\xa4name\xa1n";
        msgpack_unpacked_init (&msg);
        assert (request_decode (yes, sizeof yes - 1, &msg, &req, &err) == -1);
        assert (strcmp (err.code, PROTO_E_WRONG_TYPE) == 0
                && strcmp (err.field, "narrative_consent") == 0);
        msgpack_unpacked_destroy (&msg);
    }

    /* unknown channel names the field */
    in.channel = S ("fax");
    request_submit_pack (&buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf.data, buf.size, &msg, &req, &err) == -1);
    assert (strcmp (err.code, PROTO_E_UNKNOWN_CHANNEL) == 0 && strcmp (err.field, "channel") == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_clear (&buf);

    /* empty customer */
    in.channel = S ("web");
    memset (&in.customer, 0, sizeof in.customer);
    request_submit_pack (&buf, &in);
    msgpack_unpacked_init (&msg);
    assert (request_decode (buf.data, buf.size, &msg, &req, &err) == -1);
    assert (strcmp (err.code, PROTO_E_MISSING_FIELD) == 0 && strcmp (err.field, "customer") == 0);
    msgpack_unpacked_destroy (&msg);
    s_test_act_queue (&buf);
    s_test_reply (&buf);
    msgpack_sbuffer_destroy (&buf);
    if (verbose)
        printf ("OK\n");
}
