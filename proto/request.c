/*  request.c — decoding and packing of intake requests (submit, get).
 *  The field list and limits here are the ones proto/PROTOCOL.md documents.
 */
#include "request.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const char *const channel_names [] = {
    "hotline", "email", "web", "sms", "letter", "counter", "app", "wechat",
    "regulator", NULL
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
s_get_amount (const msgpack_object *map, submit_t *s, proto_error_t *err)
{
    const msgpack_object *v = proto_map_get (map, "amount");
    if (!v || v->type == MSGPACK_OBJECT_NIL)
        return 0;
    int n = -1;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        n = snprintf (s->amount, sizeof s->amount, "%llu", (unsigned long long) v->via.u64);
    else
    if (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64) {
        double d = v->via.f64;
        if (!(d >= 0 && d < 1e15)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, "amount",
                             "amount must be between 0 and 10^15");
            return -1;
        }
        n = snprintf (s->amount, sizeof s->amount, "%.2f", d);
    }
    else
    if (v->type == MSGPACK_OBJECT_STR) {
        /* digits, at most one '.', up to two decimals */
        size_t len = v->via.str.size;
        const char *p = v->via.str.ptr;
        size_t digits = 0, decimals = 0;
        bool dot = false, ok = len > 0 && len < sizeof s->amount;
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
            proto_error_set (err, PROTO_E_INVALID_FIELD, "amount",
                             "amount must be a non-negative decimal like \"1250.50\"");
            return -1;
        }
        memcpy (s->amount, p, len);
        s->amount [len] = 0;
        n = (int) len;
    }
    else
    if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "amount", "amount must not be negative");
        return -1;
    }
    else {
        proto_error_set (err, PROTO_E_WRONG_TYPE, "amount",
                         "amount must be a number or a decimal string");
        return -1;
    }
    if (n < 0 || (size_t) n >= sizeof s->amount) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "amount", "amount is out of range");
        return -1;
    }
    s->has_amount = true;
    return 0;
}

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
    if (s_get_amount (map, s, err))
        return -1;
    return s_decode_customer (map, &s->customer, err);
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
        return s_decode_submit (&msg->data, &req->u.submit, err);
    }
    if (proto_str_eq (op, "get")) {
        req->op = REQUEST_GET;
        proto_str_t no = { 0 };
        if (proto_get_str (&msg->data, "complaint_no", "complaint_no", true, 1, 64, &no, err)
        ||  complaint_no_check (no.ptr, no.len, "complaint_no", err))
            return -1;
        memcpy (req->u.get.complaint_no, no.ptr, no.len);
        req->u.get.complaint_no [no.len] = 0;
        return 0;
    }
    proto_error_set (err, PROTO_E_UNKNOWN_OP, "op", "op \"%.*s\" is not one of submit, get",
                     (int) (op.len > 32 ? 32 : op.len), op.ptr);
    return -1;
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
request_submit_pack (msgpack_sbuffer *buf, const submit_t *s)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    const proto_str_t *opt [] = { &s->subject, &s->demand, &s->branch, &s->product,
                                  &s->category, &s->lang };
    const proto_str_t *cust [] = { &s->customer.name, &s->customer.phone,
                                   &s->customer.email, &s->customer.account,
                                   &s->customer.id_no };
    int size = 5 + s_count (opt, 6) + (s->has_amount ? 1 : 0) + (s->received_at ? 1 : 0);
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
    proto_pack_cstr (&pk, "customer");
    msgpack_pack_map (&pk, (size_t) s_count (cust, 5));
    s_pack_opt (&pk, "name", s->customer.name);
    s_pack_opt (&pk, "phone", s->customer.phone);
    s_pack_opt (&pk, "email", s->customer.email);
    s_pack_opt (&pk, "account", s->customer.account);
    s_pack_opt (&pk, "id_no", s->customer.id_no);
}

#define S(lit) ((proto_str_t) { lit, sizeof lit - 1 })

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
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_clear (&buf);

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
    msgpack_sbuffer_destroy (&buf);
    if (verbose)
        printf ("OK\n");
}
