/*  act_outcomes.c — a decision's outcomes (see act_outcomes.h).
 *
 *  The decoder is as bounded as every other: the array's length is checked
 *  before any entry is read, each entry must be a map of known keys, the
 *  kind one of the lifecycle's outcomes, an amount a non-negative decimal
 *  of at most two places under 10^15 (the store's numeric(17, 2)), a text
 *  valid UTF-8 (proto_get_str) within ACT_OUTCOME_MAX_TEXT bytes. A refund
 *  or a compensation needs its amount, as the single outcome does.
 */
#include "act_outcomes.h"
#include "lifecycle.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *const s_keys [] = { "kind", "amount", "text", NULL };

/*  The words for each kind, read by the customer (the resolution message)
 *  and by staff (the proposer's notice, complaintctl show): so they name
 *  the outcome without addressing anyone ("致歉", not "向您致歉", which
 *  the proposer's notice made an apology to the handler). Why here and not
 *  in the notifier: the kinds are the lifecycle's. */
static const char *s_words [][3] = {
    { "explanation", "说明情况", "an explanation of what happened" },
    { "error_corrected", "更正差错", "the error corrected" },
    { "refund", "退还款项", "a refund" },
    { "compensation", "给予补偿", "compensation" },
    { "apology", "致歉", "an apology" },
    { "process_change", "改进相关流程", "a change to how we work" },
    { "goodwill", "提供额外服务或善意补偿", "a goodwill gesture or extra service" },
};

const char *
act_outcome_words (const char *kind, const char *lang)
{
    for (size_t i = 0; kind && i < sizeof s_words / sizeof s_words [0]; i++)
        if (strcmp (kind, s_words [i][0]) == 0)
            return s_words [i][lang && strcmp (lang, "en") == 0 ? 2 : 1];
    return kind ? kind : "";
}

int64_t
act_outcomes_cents (const char *amount)
{
    if (!amount || !*amount)
        return -1;
    int64_t units = 0, cents = 0;
    int digits = 0, decimals = -1;
    for (const char *p = amount; *p; p++) {
        if (*p == '.' && decimals < 0 && digits > 0)
            decimals = 0;
        else
        if (*p >= '0' && *p <= '9') {
            if (decimals >= 0) {
                if (++decimals > 2)
                    return -1;
                cents = cents * 10 + (*p - '0');
            }
            else {
                if (++digits > 15)
                    return -1;
                units = units * 10 + (*p - '0');
            }
        }
        else
            return -1;
    }
    if (digits == 0 || decimals == 0)
        return -1;
    if (decimals == 1)
        cents *= 10;
    return units * 100 + cents;
}

int64_t
act_outcomes_total_cents (const act_outcome_t *outcomes, int count)
{
    int64_t total = 0;
    for (int i = 0; i < count; i++)
        if (outcomes [i].has_amount) {
            int64_t c = act_outcomes_cents (outcomes [i].amount);
            if (c > 0)
                total += c;
        }
    return total;
}

/* One entry's amount: the same forms the single amount takes (an integer,
 * a float, a decimal string). */
static int
s_amount (const msgpack_object *v, const char *field, act_outcome_t *o, proto_error_t *err)
{
    int n = -1;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 < 1000000000000000ULL)
        n = snprintf (o->amount, sizeof o->amount, "%llu", (unsigned long long) v->via.u64);
    else
    if ((v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64)
    &&  v->via.f64 >= 0 && v->via.f64 < 1e15)
        n = snprintf (o->amount, sizeof o->amount, "%.2f", v->via.f64);
    else
    if (v->type == MSGPACK_OBJECT_STR && v->via.str.size > 0
    &&  v->via.str.size < sizeof o->amount) {
        memcpy (o->amount, v->via.str.ptr, v->via.str.size);
        o->amount [v->via.str.size] = 0;
        n = act_outcomes_cents (o->amount) >= 0 ? (int) v->via.str.size : -1;
    }
    else
    if (v->type != MSGPACK_OBJECT_STR && v->type != MSGPACK_OBJECT_POSITIVE_INTEGER
    &&  v->type != MSGPACK_OBJECT_NEGATIVE_INTEGER && v->type != MSGPACK_OBJECT_FLOAT32
    &&  v->type != MSGPACK_OBJECT_FLOAT64) {
        proto_error_set (err, PROTO_E_WRONG_TYPE, field,
                         "%s must be a number or a decimal string", field);
        return -1;
    }
    if (n < 0 || (size_t) n >= sizeof o->amount) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, field,
                         "%s must be a non-negative decimal like \"1250.50\" (CNY), under 10^15",
                         field);
        return -1;
    }
    o->has_amount = true;
    return 0;
}

int
act_outcomes_decode (const msgpack_object *map, act_outcome_t out [ACT_MAX_OUTCOMES],
                     int *count, proto_error_t *err)
{
    assert (map && out && count && err);
    *count = 0;
    const msgpack_object *v = proto_map_get (map, "outcomes");
    if (!v || v->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (v->type != MSGPACK_OBJECT_ARRAY) {
        proto_error_set (err, PROTO_E_WRONG_TYPE, "outcomes",
                         "outcomes must be an array of maps {kind, amount, text}");
        return -1;
    }
    if (v->via.array.size == 0 || v->via.array.size > ACT_MAX_OUTCOMES) {
        proto_error_set (err, PROTO_E_INVALID_FIELD, "outcomes",
                         "outcomes must hold 1 to %d entries", ACT_MAX_OUTCOMES);
        return -1;
    }
    for (uint32_t i = 0; i < v->via.array.size; i++) {
        const msgpack_object *e = &v->via.array.ptr [i];
        act_outcome_t *o = &out [i];
        memset (o, 0, sizeof *o);
        char field [40];
        snprintf (field, sizeof field, "outcomes[%u]", i);
        if (e->type != MSGPACK_OBJECT_MAP) {
            proto_error_set (err, PROTO_E_WRONG_TYPE, field, "%s must be a map", field);
            return -1;
        }
        for (uint32_t k = 0; k < e->via.map.size; k++) {
            const msgpack_object *key = &e->via.map.ptr [k].key;
            bool known = false;
            for (int j = 0; key->type == MSGPACK_OBJECT_STR && s_keys [j]; j++)
                known |= key->via.str.size == strlen (s_keys [j])
                      && memcmp (key->via.str.ptr, s_keys [j], key->via.str.size) == 0;
            if (!known) {
                proto_error_set (err, PROTO_E_UNKNOWN_FIELD, field,
                                 "%s takes only kind, amount and text", field);
                return -1;
            }
        }
        char kfield [48], afield [48], tfield [48];
        snprintf (kfield, sizeof kfield, "%s.kind", field);
        snprintf (afield, sizeof afield, "%s.amount", field);
        snprintf (tfield, sizeof tfield, "%s.text", field);
        proto_str_t kind = { 0 };
        if (proto_get_str (e, "kind", kfield, true, 1, sizeof o->kind - 1, &kind, err)
        ||  proto_get_str (e, "text", tfield, false, 1, ACT_OUTCOME_MAX_TEXT, &o->text, err))
            return -1;
        if (!lifecycle_outcome_valid (kind.ptr, kind.len)) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, kfield,
                             "%s must be one of explanation, error_corrected, refund, "
                             "compensation, apology, process_change, goodwill", kfield);
            return -1;
        }
        memcpy (o->kind, kind.ptr, kind.len);
        o->kind [kind.len] = 0;
        const msgpack_object *a = proto_map_get (e, "amount");
        if (a && a->type != MSGPACK_OBJECT_NIL && s_amount (a, afield, o, err))
            return -1;
        if (lifecycle_outcome_needs_amount (o->kind) && !o->has_amount) {
            proto_error_set (err, PROTO_E_MISSING_FIELD, afield,
                             "a %s needs the amount paid to the customer (%s)", o->kind, afield);
            return -1;
        }
        *count = (int) i + 1;
    }
    return 0;
}

#include "selftest.h"

/* Decode {"outcomes": ...} given as JSON-ish msgpack built by the caller. */
static int
s_try (void (*build) (msgpack_packer *pk), act_outcome_t *out, int *n, proto_error_t *err)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 1);
    proto_pack_cstr (&pk, "outcomes");
    build (&pk);
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    int rc = -2;
    if (msgpack_unpack_next (&u, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS)
        rc = act_outcomes_decode (&u.data, out, n, err);
    msgpack_unpacked_destroy (&u);
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

static void
s_two (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    msgpack_pack_map (pk, 3);
    proto_pack_kv_cstr (pk, "kind", "refund");
    proto_pack_kv_cstr (pk, "amount", "300.5");
    proto_pack_kv_cstr (pk, "text", "年费退还");
    msgpack_pack_map (pk, 1);
    proto_pack_kv_cstr (pk, "kind", "apology");
}

static void
s_no_amount (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    msgpack_pack_map (pk, 1);
    proto_pack_kv_cstr (pk, "kind", "goodwill");
    msgpack_pack_map (pk, 1);
    proto_pack_kv_cstr (pk, "kind", "compensation");
}

static void
s_bad_amount (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_map (pk, 2);
    proto_pack_kv_cstr (pk, "kind", "refund");
    proto_pack_kv_cstr (pk, "amount", "12.345");
}

static void
s_bad_kind (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    msgpack_pack_map (pk, 1);
    proto_pack_kv_cstr (pk, "kind", "apology");
    msgpack_pack_map (pk, 1);
    proto_pack_kv_cstr (pk, "kind", "bribe");
}

static void
s_unknown_key (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_map (pk, 2);
    proto_pack_kv_cstr (pk, "kind", "apology");
    proto_pack_kv_cstr (pk, "colour", "red");
}

static void
s_too_many (msgpack_packer *pk)
{
    msgpack_pack_array (pk, ACT_MAX_OUTCOMES + 1);
    for (int i = 0; i < ACT_MAX_OUTCOMES + 1; i++) {
        msgpack_pack_map (pk, 1);
        proto_pack_kv_cstr (pk, "kind", "apology");
    }
}

static void
s_not_array (msgpack_packer *pk)
{
    proto_pack_cstr (pk, "refund");
}

static void
s_int_amount (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_map (pk, 2);
    proto_pack_kv_cstr (pk, "kind", "compensation");
    proto_pack_cstr (pk, "amount");
    msgpack_pack_uint64 (pk, 600);
}

void
act_outcomes_test (bool verbose)
{
    if (verbose)
        printf (" * act_outcomes: ");
    act_outcome_t out [ACT_MAX_OUTCOMES];
    int n = -1;
    proto_error_t err = { 0 };
    assert (s_try (s_two, out, &n, &err) == 0 && n == 2);
    assert (strcmp (out [0].kind, "refund") == 0 && strcmp (out [0].amount, "300.5") == 0
            && out [0].text.len == strlen ("年费退还") && !out [1].has_amount);
    assert (act_outcomes_total_cents (out, n) == 30050);
    assert (s_try (s_no_amount, out, &n, &err) == -1
            && strcmp (err.field, "outcomes[1].amount") == 0
            && strcmp (err.code, PROTO_E_MISSING_FIELD) == 0);
    assert (s_try (s_bad_amount, out, &n, &err) == -1
            && strcmp (err.field, "outcomes[0].amount") == 0);
    assert (s_try (s_bad_kind, out, &n, &err) == -1 && strcmp (err.field, "outcomes[1].kind") == 0);
    assert (s_try (s_unknown_key, out, &n, &err) == -1
            && strcmp (err.code, PROTO_E_UNKNOWN_FIELD) == 0);
    assert (s_try (s_too_many, out, &n, &err) == -1 && strcmp (err.field, "outcomes") == 0);
    assert (s_try (s_not_array, out, &n, &err) == -1
            && strcmp (err.code, PROTO_E_WRONG_TYPE) == 0);
    assert (s_try (s_int_amount, out, &n, &err) == 0 && n == 1
            && act_outcomes_total_cents (out, n) == 60000);
    assert (act_outcomes_cents ("0.1") == 10 && act_outcomes_cents ("7") == 700
            && act_outcomes_cents ("1.") == -1 && act_outcomes_cents (".5") == -1
            && act_outcomes_cents ("1.234") == -1 && act_outcomes_cents ("-1") == -1);
    assert (strcmp (act_outcome_words ("goodwill", "en"), "a goodwill gesture or extra service") == 0);
    assert (strcmp (act_outcome_words ("refund", "zh"), "退还款项") == 0);
    if (verbose)
        printf ("OK\n");
}
