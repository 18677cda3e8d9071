/*  analytics_fact.c — one complaint's fact and the rules that change it
 *  (see analytics_fact.h).
 *
 *  Rules, by event type (docs/analytics.md has the definitions):
 *      complaint.received      received_at (the payload's, as stored), day and
 *                              hour of it on the calendar, channel, branch,
 *                              customer pseudonym, the 15/30/60-day deadlines
 *      complaint.assigned      department, business line, cause, priority, major;
 *                              outlet, and the branch becomes the outlet when
 *                              the router matched one (a re-assignment
 *                              overwrites: the case moves cell)
 *      complaint.major         major
 *      complaint.accepted      accepted_at (the first)
 *      complaint.info_requested  first_answer_at
 *      complaint.contacted     first_answer_at: staff reached the customer
 *                              (issue 15: "answered within 24 h" is the
 *                              customer-facing first reply, seeds 000/002)
 *      complaint.resolved      first_answer_at, resolved_at, decided_at (the
 *                              first of each); outcome and amount (the last)
 *      complaint.rejected      first_answer_at, decided_at; rejected
 *      complaint.closed        first_answer_at; closed_at (the last)
 *      complaint.feedback      satisfied (the last)
 *      complaint.callback_attempted  satisfied (the last), when it reached
 *                              the customer: the call-back's answer is
 *                              feedback (issue 16)
 *      complaint.survey_answered  satisfied from the score (4-5 yes, 1-2 no,
 *                              3 neither) ONLY when no answer is on record:
 *                              the customer's explicit yes/no (feedback, the
 *                              call-back) wins over the score, in either
 *                              order (docs/analytics.md "Satisfaction")
 *      complaint.resolved      also outcomes: every kind of the decision's
 *                              outcomes, once each (the last resolution's;
 *                              issue 16 follow-up, migration 052)
 *      complaint.survey_answered  also survey_score and survey_channel (the
 *                              survey is once per case: the last kept)
 *      complaint.determined    determination valid | invalid (the last)
 *      complaint.review_requested / reopened / escalated   counted
 *      complaint.transferred   counted; department (the case moves cell)
 *      complaint.withdrawn     withdrawn
 *      sla.breached            breached[stage]++
 *      sla.extended            extended_resolution / extended_review ++
 *  complaint.received also gives the consent to publish the text and, only
 *  with it, the text (body) as its packer published it, scrubbed again here
 *  (privacy_scrub is idempotent: defence in depth, never the only guard);
 *  complaint.assigned gives the JR/T 0169 codes (nil: '').
 *  Every staff action's event also carries the case's new `state`, kept.
 *  "The first" keeps the earliest; an event replayed twice cannot reach
 *  here (the cursor), but a rule that keeps the first is idempotent anyway.
 */
#include "analytics_fact.h"
#include "privacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const analytics_fact_columns [] = {
    "complaint_no", "last_seq", "received_at", "received_day", "received_hour", "channel",
    "business_line", "cause", "department", "branch", "priority", "major", "customer", "state",
    "accepted_at", "first_answer_at", "resolved_at", "decided_at", "closed_at", "rejected",
    "withdrawn", "reopened", "reviewed", "escalated", "transferred", "outcome", "amount_cents",
    "satisfied", "breached_acknowledge", "breached_first_response", "breached_resolution",
    "breached_review", "extended_resolution", "extended_review", "due_15d_at", "due_30d_at",
    "due_60d_at", "outlet", "jrt_channel", "jrt_business", "jrt_cause", "narrative_consent",
    "narrative", "outcomes", "determination", "survey_score", "survey_channel", NULL
};

const char *const analytics_time_metrics [] = { "ack", "answer", "resolve", "close", NULL };

static const char *const s_stages [AF_STAGES] = {
    "acknowledge", "first_response", "resolution", "review"
};

void
analytics_fact_init (analytics_fact_t *fact, const char *complaint_no)
{
    memset (fact, 0, sizeof *fact);
    snprintf (fact->complaint_no, sizeof fact->complaint_no, "%s", complaint_no);
    fact->satisfied = -1;
}

void
analytics_fact_clear (analytics_fact_t *fact)
{
    free (fact->narrative);
    fact->narrative = NULL;
}

/*  The text published only with the customer's consent: complaint.received's
 *  body (scrubbed by its packer), masked once more; withdrawn consent (a
 *  later received without it) drops it. */
static void
s_narrative (analytics_fact_t *fact, const msgpack_object *data)
{
    analytics_fact_clear (fact);
    proto_str_t body = { 0 };
    proto_error_t err = { 0 };
    if (!fact->narrative_consent
    ||  proto_get_str (data, "body", "body", false, 0, PRIVACY_SCRUB_MAX (PROTO_MAX_BODY),
                       &body, &err) || !body.ptr)
        return;
    size_t len = 0;
    fact->narrative = privacy_scrub (body.ptr, body.len, NULL, &len);
}

//  --------------------------------------------------------------------------
//  Reading the payload

static void
s_copy (char *dst, size_t size, const msgpack_object *data, const char *key)
{
    proto_str_t s = { 0 };
    proto_error_t err = { 0 };
    if (data && proto_get_str (data, key, key, false, 0, size - 1, &s, &err) == 0 && s.ptr)
        snprintf (dst, size, "%.*s", (int) s.len, s.ptr);
}

static bool
s_str_is (const msgpack_object *data, const char *key, const char *want)
{
    proto_str_t s = { 0 };
    proto_error_t err = { 0 };
    return data && proto_get_str (data, key, key, false, 0, 256, &s, &err) == 0 && s.ptr
        && proto_str_eq (s, want);
}

static int64_t
s_int (const msgpack_object *data, const char *key, int64_t def)
{
    int64_t v = def;
    proto_error_t err = { 0 };
    if (!data || proto_get_int (data, key, key, false, INT64_MIN, INT64_MAX, &v, NULL, &err))
        return def;
    return v;
}

static int
s_bool (const msgpack_object *data, const char *key)
{
    const msgpack_object *v = data ? proto_map_get (data, key) : NULL;
    return v && v->type == MSGPACK_OBJECT_BOOLEAN ? (v->via.boolean ? 1 : 0) : -1;
}

static void
s_first (int64_t *slot, int64_t at)
{
    if (*slot == 0 || at < *slot)
        *slot = at;
}

static int
s_stage (const msgpack_object *data)
{
    for (int i = 0; i < AF_STAGES; i++)
        if (s_str_is (data, "stage", s_stages [i]))
            return i;
    return -1;
}

/*  complaint.resolved's `outcomes`: every kind of the decision, each once,
 *  in the order given (a replayed or later resolution replaces the list).
 *  A decision of one outcome has no list on the stream (the packer sends
 *  `outcome` alone): the list is then that one, so every fact written
 *  since migration 052 says its kinds the same way. */
static void
s_outcomes (analytics_fact_t *fact, const msgpack_object *data)
{
    fact->noutcomes = 0;
    const msgpack_object *list = data ? proto_map_get (data, "outcomes") : NULL;
    if (!list || list->type != MSGPACK_OBJECT_ARRAY) {
        if (fact->outcome [0])
            memcpy (fact->outcomes [fact->noutcomes++], fact->outcome, sizeof fact->outcome);
        return;
    }
    for (uint32_t i = 0; i < list->via.array.size && fact->noutcomes < AF_MAX_OUTCOMES; i++) {
        const msgpack_object *o = &list->via.array.ptr [i];
        if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0
        ||  o->via.str.size >= sizeof fact->outcomes [0])
            continue;
        char kind [sizeof fact->outcomes [0]];
        snprintf (kind, sizeof kind, "%.*s", (int) o->via.str.size, o->via.str.ptr);
        bool seen = false;
        for (int j = 0; j < fact->noutcomes && !seen; j++)
            seen = strcmp (fact->outcomes [j], kind) == 0;
        if (!seen)
            memcpy (fact->outcomes [fact->noutcomes++], kind, sizeof kind);
    }
}

int64_t
analytics_amount_cents (const char *text, size_t len)
{
    int64_t units = 0, cents = 0;
    size_t i = 0;
    if (len == 0)
        return -1;
    for (; i < len && text [i] != '.'; i++) {
        if (text [i] < '0' || text [i] > '9' || units > INT64_MAX / 1000)
            return -1;
        units = units * 10 + (text [i] - '0');
    }
    if (i < len) {
        size_t decimals = len - i - 1;
        if (decimals == 0 || decimals > 2)
            return -1;
        for (size_t j = i + 1; j < len; j++) {
            if (text [j] < '0' || text [j] > '9')
                return -1;
            cents = cents * 10 + (text [j] - '0');
        }
        if (decimals == 1)
            cents *= 10;
    }
    return units * 100 + cents;
}

/*  The day and hour of receipt in the calendar's zone: calendar_format_local
 *  prints "2026-02-25 17:00 +08:00 Wed", daylight saving included. */
static void
s_local_slot (analytics_fact_t *fact, const calendar_t *calendar)
{
    char text [CALENDAR_TIME_SIZE];
    calendar_format_local (calendar, fact->received_at, false, text, sizeof text);
    snprintf (fact->received_day, sizeof fact->received_day, "%.10s", text);
    fact->received_hour = atoi (text + 11);
}

bool
analytics_fact_apply (analytics_fact_t *fact, const event_view_t *ev, const calendar_t *calendar)
{
    const msgpack_object *d = ev->data;
    proto_str_t t = ev->type;
    int64_t at = ev->at;
    bool action = d && proto_map_get (d, "action") && proto_map_get (d, "state");
    bool changed = true;

    if (proto_str_eq (t, "complaint.received")) {
        fact->received_at = s_int (d, "received_at", at);
        s_copy (fact->channel, sizeof fact->channel, d, "channel");
        s_copy (fact->branch, sizeof fact->branch, d, "branch");
        s_copy (fact->customer, sizeof fact->customer, d, "customer");
        fact->narrative_consent = s_bool (d, "narrative_consent") == 1;
        s_narrative (fact, d);
        if (!fact->state [0])
            snprintf (fact->state, sizeof fact->state, "received");
        s_local_slot (fact, calendar);
        fact->due_15d_at = calendar_add (calendar, fact->received_at, (span_t) { 15, SPAN_DAYS });
        fact->due_30d_at = calendar_add (calendar, fact->received_at, (span_t) { 30, SPAN_DAYS });
        fact->due_60d_at = calendar_add (calendar, fact->received_at, (span_t) { 60, SPAN_DAYS });
    }
    else
    if (proto_str_eq (t, "complaint.assigned")) {
        s_copy (fact->department, sizeof fact->department, d, "department");
        s_copy (fact->business_line, sizeof fact->business_line, d, "business_line");
        s_copy (fact->cause, sizeof fact->cause, d, "cause");
        //  The outlet the router found in the directory replaces the text
        //  as submitted: one outlet written two ways is one branch. Nil
        //  (nothing matched) leaves the branch as it was.
        fact->outlet [0] = '\0';
        s_copy (fact->outlet, sizeof fact->outlet, d, "outlet");
        if (fact->outlet [0])
            snprintf (fact->branch, sizeof fact->branch, "%s", fact->outlet);
        fact->jrt_channel [0] = fact->jrt_business [0] = fact->jrt_cause [0] = 0;
        s_copy (fact->jrt_channel, sizeof fact->jrt_channel, d, "jrt_channel");
        s_copy (fact->jrt_business, sizeof fact->jrt_business, d, "jrt_business");
        s_copy (fact->jrt_cause, sizeof fact->jrt_cause, d, "jrt_cause");
        fact->priority = (int) s_int (d, "priority", fact->priority);
        fact->major = s_bool (d, "major") == 1 || fact->major;
        if (!fact->state [0] || strcmp (fact->state, "received") == 0)
            snprintf (fact->state, sizeof fact->state, "assigned");
    }
    else
    if (proto_str_eq (t, "complaint.major"))
        fact->major = true;
    else
    if (proto_str_eq (t, "complaint.accepted"))
        s_first (&fact->accepted_at, at);
    else
    if (proto_str_eq (t, "complaint.info_requested")
    ||  proto_str_eq (t, "complaint.contacted"))
        s_first (&fact->first_answer_at, at);
    else
    if (proto_str_eq (t, "complaint.resolved")) {
        s_first (&fact->first_answer_at, at);
        s_first (&fact->resolved_at, at);
        s_first (&fact->decided_at, at);
        s_copy (fact->outcome, sizeof fact->outcome, d, "outcome");
        s_outcomes (fact, d);
        proto_str_t amount = { 0 };
        proto_error_t err = { 0 };
        fact->amount_cents = 0;
        if (proto_get_str (d, "amount", "amount", false, 1, 32, &amount, &err) == 0 && amount.ptr) {
            int64_t cents = analytics_amount_cents (amount.ptr, amount.len);
            fact->amount_cents = cents > 0 ? cents : 0;
        }
    }
    else
    if (proto_str_eq (t, "complaint.rejected")) {
        s_first (&fact->first_answer_at, at);
        s_first (&fact->decided_at, at);
        fact->rejected = true;
    }
    else
    if (proto_str_eq (t, "complaint.closed")) {
        s_first (&fact->first_answer_at, at);
        fact->closed_at = at;
    }
    else
    if (proto_str_eq (t, "complaint.feedback")
    ||  proto_str_eq (t, "complaint.callback_attempted")) {   /* issue 16 (i16-followup) */
        int satisfied = s_bool (d, "satisfied");
        if (satisfied >= 0)
            fact->satisfied = satisfied;
    }
    else
    if (proto_str_eq (t, "complaint.survey_answered")) {      /* issue 16 (i16-followup) */
        int64_t score = s_int (d, "score", 0);
        if (fact->satisfied < 0 && score >= 1 && score <= 5 && score != 3)
            fact->satisfied = score >= 4;
        /* issue 16 follow-up (analytics2): the score's distribution */
        if (score >= 1 && score <= 5) {
            fact->survey_score = (int) score;
            fact->survey_channel [0] = 0;
            s_copy (fact->survey_channel, sizeof fact->survey_channel, d, "channel");
        }
    }
    else
    if (proto_str_eq (t, "complaint.determined")) {          /* issue 16 follow-up (analytics2) */
        if (s_str_is (d, "determination", "valid") || s_str_is (d, "determination", "invalid"))
            s_copy (fact->determination, sizeof fact->determination, d, "determination");
    }
    else
    if (proto_str_eq (t, "complaint.review_requested"))
        fact->reviewed++;
    else
    if (proto_str_eq (t, "complaint.reopened"))
        fact->reopened++;
    else
    if (proto_str_eq (t, "complaint.escalated"))
        fact->escalated++;
    else
    if (proto_str_eq (t, "complaint.transferred")) {
        fact->transferred++;
        s_copy (fact->department, sizeof fact->department, d, "department");
    }
    else
    if (proto_str_eq (t, "complaint.withdrawn"))
        fact->withdrawn = true;
    else
    if (proto_str_eq (t, "sla.breached")) {
        int stage = s_stage (d);
        if (stage >= 0)
            fact->breached [stage]++;
        else
            changed = false;
    }
    else
    if (proto_str_eq (t, "sla.extended")) {
        int stage = s_stage (d);
        if (stage == 2)
            fact->extended_resolution++;
        else
        if (stage == 3)
            fact->extended_review++;
        else
            changed = false;
    }
    else
        changed = action;               /* other actions: the state only */
    if (action)
        s_copy (fact->state, sizeof fact->state, d, "state");
    if (changed)
        fact->last_seq = (int64_t) ev->seq;
    return changed;
}

//  --------------------------------------------------------------------------
//  JSON, the shape of a row of analytics_fact

static json_t *
s_time_json (int64_t ms)
{
    if (ms == 0)
        return json_null ();
    time_t secs = (time_t) (ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int millis = (int) (ms - (int64_t) secs * 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    char text [96];
    snprintf (text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return json_string (text);
}

/*  PostgreSQL's JSON form of a timestamptz ("2026-12-05T08:34:00.123+00:00",
 *  fraction optional, any offset) -> unix ms; 0 for null or nonsense. */
static int64_t
s_time_parse (const json_t *value)
{
    const char *s = json_string_value (value);
    if (!s)
        return 0;
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    int consumed = 0;
    if (sscanf (s, "%d-%d-%dT%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                &tm.tm_min, &tm.tm_sec, &consumed) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t ms = (int64_t) timegm (&tm) * 1000;
    const char *p = s + consumed;
    if (*p == '.') {
        int scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            ms += (*p - '0') * scale;       /* digits past the ms add 0 */
    }
    if (*p == '+' || *p == '-') {
        int oh = 0, om = 0;
        sscanf (p + 1, "%d:%d", &oh, &om);
        int64_t offset = ((int64_t) oh * 3600 + om * 60) * 1000;
        ms += *p == '+' ? -offset : offset;
    }
    return ms;
}

static json_t *
s_text_or_null (const char *s)
{
    return s [0] ? json_string (s) : json_null ();
}

json_t *
analytics_fact_to_json (const analytics_fact_t *f)
{
    json_t *o = json_object ();
    json_object_set_new (o, "complaint_no", json_string (f->complaint_no));
    json_object_set_new (o, "last_seq", json_integer (f->last_seq));
    json_object_set_new (o, "received_at", s_time_json (f->received_at));
    json_object_set_new (o, "received_day", s_text_or_null (f->received_day));
    json_object_set_new (o, "received_hour", f->received_day [0]
                                             ? json_integer (f->received_hour) : json_null ());
    json_object_set_new (o, "channel", json_string (f->channel));
    json_object_set_new (o, "business_line", json_string (f->business_line));
    json_object_set_new (o, "cause", json_string (f->cause));
    json_object_set_new (o, "department", json_string (f->department));
    json_object_set_new (o, "branch", json_string (f->branch));
    json_object_set_new (o, "priority", json_integer (f->priority));
    json_object_set_new (o, "major", json_boolean (f->major));
    json_object_set_new (o, "customer", s_text_or_null (f->customer));
    json_object_set_new (o, "state", json_string (f->state));
    json_object_set_new (o, "accepted_at", s_time_json (f->accepted_at));
    json_object_set_new (o, "first_answer_at", s_time_json (f->first_answer_at));
    json_object_set_new (o, "resolved_at", s_time_json (f->resolved_at));
    json_object_set_new (o, "decided_at", s_time_json (f->decided_at));
    json_object_set_new (o, "closed_at", s_time_json (f->closed_at));
    json_object_set_new (o, "rejected", json_boolean (f->rejected));
    json_object_set_new (o, "withdrawn", json_boolean (f->withdrawn));
    json_object_set_new (o, "reopened", json_integer (f->reopened));
    json_object_set_new (o, "reviewed", json_integer (f->reviewed));
    json_object_set_new (o, "escalated", json_integer (f->escalated));
    json_object_set_new (o, "transferred", json_integer (f->transferred));
    json_object_set_new (o, "outcome", s_text_or_null (f->outcome));
    json_object_set_new (o, "amount_cents", json_integer (f->amount_cents));
    json_object_set_new (o, "satisfied", f->satisfied < 0 ? json_null ()
                                                          : json_boolean (f->satisfied));
    for (int i = 0; i < AF_STAGES; i++) {
        char key [48];
        snprintf (key, sizeof key, "breached_%s", s_stages [i]);
        json_object_set_new (o, key, json_integer (f->breached [i]));
    }
    json_object_set_new (o, "extended_resolution", json_integer (f->extended_resolution));
    json_object_set_new (o, "extended_review", json_integer (f->extended_review));
    json_object_set_new (o, "due_15d_at", s_time_json (f->due_15d_at));
    json_object_set_new (o, "due_30d_at", s_time_json (f->due_30d_at));
    json_object_set_new (o, "due_60d_at", s_time_json (f->due_60d_at));
    json_object_set_new (o, "outlet", json_string (f->outlet));
    json_object_set_new (o, "jrt_channel", json_string (f->jrt_channel));
    json_object_set_new (o, "jrt_business", json_string (f->jrt_business));
    json_object_set_new (o, "jrt_cause", json_string (f->jrt_cause));
    json_object_set_new (o, "narrative_consent", json_boolean (f->narrative_consent));
    json_object_set_new (o, "narrative", f->narrative && f->narrative_consent
                                         ? json_string (f->narrative) : json_null ());
    json_t *outcomes = json_array ();
    for (int i = 0; i < f->noutcomes; i++)
        json_array_append_new (outcomes, json_string (f->outcomes [i]));
    json_object_set_new (o, "outcomes", outcomes);
    json_object_set_new (o, "determination", s_text_or_null (f->determination));
    json_object_set_new (o, "survey_score", f->survey_score ? json_integer (f->survey_score)
                                                            : json_null ());
    json_object_set_new (o, "survey_channel", json_string (f->survey_channel));
    return o;
}

static void
s_text (char *dst, size_t size, const json_t *o, const char *key)
{
    const char *s = json_string_value (json_object_get (o, key));
    snprintf (dst, size, "%s", s ? s : "");
}

static int64_t
s_json_int (const json_t *o, const char *key)
{
    return json_integer_value (json_object_get (o, key));
}

int
analytics_fact_from_json (analytics_fact_t *f, const json_t *o)
{
    if (!json_is_object (o) || !json_is_string (json_object_get (o, "complaint_no")))
        return -1;
    analytics_fact_init (f, json_string_value (json_object_get (o, "complaint_no")));
    f->last_seq = s_json_int (o, "last_seq");
    f->received_at = s_time_parse (json_object_get (o, "received_at"));
    s_text (f->received_day, sizeof f->received_day, o, "received_day");
    f->received_hour = (int) s_json_int (o, "received_hour");
    s_text (f->channel, sizeof f->channel, o, "channel");
    s_text (f->business_line, sizeof f->business_line, o, "business_line");
    s_text (f->cause, sizeof f->cause, o, "cause");
    s_text (f->department, sizeof f->department, o, "department");
    s_text (f->branch, sizeof f->branch, o, "branch");
    s_text (f->outlet, sizeof f->outlet, o, "outlet");
    f->priority = (int) s_json_int (o, "priority");
    f->major = json_is_true (json_object_get (o, "major"));
    s_text (f->customer, sizeof f->customer, o, "customer");
    s_text (f->state, sizeof f->state, o, "state");
    f->accepted_at = s_time_parse (json_object_get (o, "accepted_at"));
    f->first_answer_at = s_time_parse (json_object_get (o, "first_answer_at"));
    f->resolved_at = s_time_parse (json_object_get (o, "resolved_at"));
    f->decided_at = s_time_parse (json_object_get (o, "decided_at"));
    f->closed_at = s_time_parse (json_object_get (o, "closed_at"));
    f->rejected = json_is_true (json_object_get (o, "rejected"));
    f->withdrawn = json_is_true (json_object_get (o, "withdrawn"));
    f->reopened = (int) s_json_int (o, "reopened");
    f->reviewed = (int) s_json_int (o, "reviewed");
    f->escalated = (int) s_json_int (o, "escalated");
    f->transferred = (int) s_json_int (o, "transferred");
    s_text (f->outcome, sizeof f->outcome, o, "outcome");
    f->amount_cents = s_json_int (o, "amount_cents");
    const json_t *satisfied = json_object_get (o, "satisfied");
    f->satisfied = json_is_boolean (satisfied) ? json_is_true (satisfied) : -1;
    for (int i = 0; i < AF_STAGES; i++) {
        char key [48];
        snprintf (key, sizeof key, "breached_%s", s_stages [i]);
        f->breached [i] = (int) s_json_int (o, key);
    }
    f->extended_resolution = (int) s_json_int (o, "extended_resolution");
    f->extended_review = (int) s_json_int (o, "extended_review");
    f->due_15d_at = s_time_parse (json_object_get (o, "due_15d_at"));
    f->due_30d_at = s_time_parse (json_object_get (o, "due_30d_at"));
    f->due_60d_at = s_time_parse (json_object_get (o, "due_60d_at"));
    s_text (f->jrt_channel, sizeof f->jrt_channel, o, "jrt_channel");
    s_text (f->jrt_business, sizeof f->jrt_business, o, "jrt_business");
    s_text (f->jrt_cause, sizeof f->jrt_cause, o, "jrt_cause");
    f->narrative_consent = json_is_true (json_object_get (o, "narrative_consent"));
    const char *narrative = json_string_value (json_object_get (o, "narrative"));
    if (narrative && f->narrative_consent)
        f->narrative = strdup (narrative);
    size_t i;
    const json_t *kind;
    json_array_foreach (json_object_get (o, "outcomes"), i, kind)
        if (json_is_string (kind) && f->noutcomes < AF_MAX_OUTCOMES)
            snprintf (f->outcomes [f->noutcomes++], sizeof f->outcomes [0], "%s",
                      json_string_value (kind));
    s_text (f->determination, sizeof f->determination, o, "determination");
    f->survey_score = (int) s_json_int (o, "survey_score");
    s_text (f->survey_channel, sizeof f->survey_channel, o, "survey_channel");
    return 0;
}

int64_t
analytics_hist_quantile (const int64_t *counts, const int64_t *bounds, size_t nbounds, double q)
{
    int64_t total = 0;
    for (size_t i = 0; i <= nbounds; i++)
        total += counts [i];
    if (total <= 0)
        return -1;
    //  The smallest bucket whose cumulative count reaches ceil (q * total):
    //  the q-quantile is at most its upper bound.
    int64_t rank = (int64_t) (q * (double) total);
    if ((double) rank < q * (double) total)
        rank++;
    if (rank < 1)
        rank = 1;
    int64_t seen = 0;
    for (size_t i = 0; i < nbounds; i++) {
        seen += counts [i];
        if (seen >= rank)
            return bounds [i];
    }
    return INT64_MAX;
}

//  --------------------------------------------------------------------------
//  Self-test

#include "selftest_tally.h"

static void
s_event (msgpack_sbuffer *buf, uint64_t seq, const char *type, int64_t at, const char *data_kv [],
         msgpack_unpacked *msg, event_view_t *ev)
{
    //  data_kv: "key", "s:text" | "i:123" | "b:1" | "a:one,two", ... NULL
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &data, msgpack_sbuffer_write);
    size_t n = 0;
    while (data_kv [n * 2])
        n++;
    msgpack_pack_map (&pk, (uint32_t) n);
    for (size_t i = 0; i < n; i++) {
        const char *v = data_kv [i * 2 + 1];
        proto_pack_cstr (&pk, data_kv [i * 2]);
        if (v [0] == 's')
            proto_pack_cstr (&pk, v + 2);
        else
        if (v [0] == 'i')
            msgpack_pack_int64 (&pk, atoll (v + 2));
        else
        if (v [0] == 'a') {
            uint32_t items = 1;
            for (const char *c = v + 2; *c; c++)
                items += *c == ',';
            msgpack_pack_array (&pk, items);
            for (const char *c = v + 2; ; ) {
                const char *comma = strchr (c, ',');
                size_t len = comma ? (size_t) (comma - c) : strlen (c);
                msgpack_pack_str (&pk, len);
                msgpack_pack_str_body (&pk, c, len);
                if (!comma)
                    break;
                c = comma + 1;
            }
        }
        else
        if (v [1] == ':' && v [2] == '1')
            msgpack_pack_true (&pk);
        else
            msgpack_pack_false (&pk);
    }
    msgpack_sbuffer_clear (buf);
    event_pack (buf, seq, type, at, "202612050000011", data.data, data.size);
    msgpack_sbuffer_destroy (&data);
    proto_error_t err = { 0 };
    msgpack_unpacked_destroy (msg);
    msgpack_unpacked_init (msg);
    int rc = event_decode (buf->data, buf->size, msg, ev, &err);
    (void) rc;
}

int
analytics_fact_test (bool verbose, const char *calendars_dir, int *passed)
{
    selftest_tally_t t = { 0 };
    char path [512];
    snprintf (path, sizeof path, "%s/cn.conf", calendars_dir);
    conf_error_t cerr;
    calendar_t *cal = calendar_load (path, &cerr);
    selftest_tally_check (&t, verbose, cal != NULL, "the cn calendar loads");
    if (!cal)
        return selftest_tally_end (&t, verbose, "analytics_fact", passed);

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    event_view_t ev;
    analytics_fact_t f;
    analytics_fact_init (&f, "202612050000011");
    //  2026-12-05 16:34 +08:00 (08:34 UTC), a Saturday
    int64_t t0 = 1796459640000;
    s_event (&buf, 1, "complaint.received", t0, (const char *[]) {
        "channel", "s:hotline", "customer", "s:0123456789abcdef0123456789abcdef",
        "body", "s:电话 13812345678 x", "lang", "s:zh", "branch", "s:上海分行",
        "narrative_consent", "b:1", "received_at", "i:1796459640000", NULL }, &msg, &ev);
    selftest_tally_check (&t, verbose, analytics_fact_apply (&f, &ev, cal)
                          && f.received_at == t0 && strcmp (f.channel, "hotline") == 0
                          && strcmp (f.branch, "上海分行") == 0, "received: time, channel, branch");
    selftest_tally_check (&t, verbose, strcmp (f.received_day, "2026-12-05") == 0
                          && f.received_hour == 16, "received: the local day and hour (+08:00)");
    selftest_tally_check (&t, verbose, f.narrative_consent && f.narrative
                          && strstr (f.narrative, "电话 ") && !strstr (f.narrative, "138123"),
                          "received with consent: the narrative kept, masked");
    //  15 days after Sat 12-05: the end of Sun 12-20, not a working day ->
    //  the end of Mon 12-21 (24:00 +08:00 = 12-21T16:00Z)
    int64_t due = 0;
    calendar_parse_local (cal, "2026-12-22 00:00", &due);
    selftest_tally_check (&t, verbose, f.due_15d_at == due,
                          "the 15-day deadline rolls over the weekend (24:00 Mon 12-21)");
    s_event (&buf, 2, "complaint.assigned", t0 + 1000, (const char *[]) {
        "department", "s:card_center", "business_line", "s:cards", "cause", "s:fees",
        "jrt_channel", "s:A0302", "jrt_business", "s:B03", "jrt_cause", "s:C03",
        "priority", "i:2", "major", "b:0", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, strcmp (f.jrt_channel, "A0302") == 0
                          && strcmp (f.jrt_business, "B03") == 0
                          && strcmp (f.jrt_cause, "C03") == 0, "assigned: the JR/T codes");
    selftest_tally_check (&t, verbose, strcmp (f.department, "card_center") == 0 && f.priority == 2
                          && strcmp (f.state, "assigned") == 0, "assigned: the dimensions");
    selftest_tally_check (&t, verbose, strcmp (f.branch, "上海分行") == 0 && !f.outlet [0],
                          "assigned, no outlet matched: the branch as submitted");
    s_event (&buf, 2, "complaint.assigned", t0 + 1000, (const char *[]) {
        "department", "s:card_center", "business_line", "s:cards", "cause", "s:fees",
        "priority", "i:2", "major", "b:0", "outlet", "s:branch_sh", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, strcmp (f.branch, "branch_sh") == 0
                          && strcmp (f.outlet, "branch_sh") == 0,
                          "assigned with an outlet: the branch is the outlet's id");
    s_event (&buf, 3, "complaint.accepted", t0 + 3600000, (const char *[]) {
        "action", "s:accept", "state", "s:accepted", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, f.accepted_at == t0 + 3600000 && f.first_answer_at == 0,
                          "accepted is not an answer");
    {   /* a contact is the first answer; a later one does not move it */
        analytics_fact_t g = f;
        g.narrative = NULL;             /* f keeps its own */
        s_event (&buf, 31, "complaint.contacted", t0 + 2 * 3600000LL, (const char *[]) {
            "action", "s:contact", "state", "s:accepted", "via", "s:phone", NULL }, &msg, &ev);
        analytics_fact_apply (&g, &ev, cal);
        s_event (&buf, 32, "complaint.contacted", t0 + 5 * 3600000LL, (const char *[]) {
            "action", "s:contact", "state", "s:accepted", "via", "s:sms", NULL }, &msg, &ev);
        analytics_fact_apply (&g, &ev, cal);
        selftest_tally_check (&t, verbose, g.first_answer_at == t0 + 2 * 3600000LL,
                              "contacted: the first contact is the first answer");
    }
    s_event (&buf, 4, "complaint.transferred", t0 + 7200000, (const char *[]) {
        "action", "s:transfer", "state", "s:assigned", "department", "s:ebanking", NULL },
        &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, strcmp (f.department, "ebanking") == 0 && f.transferred == 1,
                          "transferred: the department moves");
    s_event (&buf, 5, "complaint.resolved", t0 + 30 * 3600000LL, (const char *[]) {
        "action", "s:resolve", "state", "s:resolved", "outcome", "s:refund",
        "amount", "s:300.5", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, f.first_answer_at == t0 + 30 * 3600000LL
                          && f.decided_at == f.resolved_at && f.amount_cents == 30050
                          && strcmp (f.outcome, "refund") == 0 && f.noutcomes == 1
                          && strcmp (f.outcomes [0], "refund") == 0,
                          "resolved: answer, decision, outcome (a list of one without outcomes)");
    s_event (&buf, 6, "complaint.feedback", t0 + 31 * 3600000LL, (const char *[]) {
        "action", "s:feedback", "state", "s:resolved", "satisfied", "b:0", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    s_event (&buf, 7, "complaint.review_requested", t0 + 32 * 3600000LL, (const char *[]) {
        "action", "s:review", "state", "s:under_review", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    s_event (&buf, 8, "complaint.reopened", t0 + 33 * 3600000LL, (const char *[]) {
        "action", "s:reopen", "state", "s:reopened", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    s_event (&buf, 9, "complaint.resolved", t0 + 40 * 3600000LL, (const char *[]) {
        "action", "s:resolve", "state", "s:resolved", "outcome", "s:apology", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    s_event (&buf, 10, "complaint.feedback", t0 + 41 * 3600000LL, (const char *[]) {
        "action", "s:feedback", "state", "s:resolved", "satisfied", "b:1", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, f.satisfied == 1 && f.reviewed == 1 && f.reopened == 1
                          && f.resolved_at == t0 + 30 * 3600000LL && f.amount_cents == 0
                          && strcmp (f.outcome, "apology") == 0,
                          "the last feedback and outcome count, the first resolution's time");
    /* issue 16 (i16-followup): a survey score after an explicit answer
     * changes nothing; alone, 4-5 is satisfied, 1-2 not, 3 neither */
    s_event (&buf, 10, "complaint.survey_answered", t0 + 42 * 3600000LL, (const char *[]) {
        "score", "i:1", "channel", "s:web", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, f.satisfied == 1,
                          "survey: the explicit answer on record wins over a score");
    {
        analytics_fact_t g;
        analytics_fact_init (&g, "202612050000029");
        s_event (&buf, 1, "complaint.survey_answered", t0, (const char *[]) {
            "score", "i:3", "channel", "s:web", NULL }, &msg, &ev);
        analytics_fact_apply (&g, &ev, cal);
        bool neutral = g.satisfied == -1;
        s_event (&buf, 2, "complaint.survey_answered", t0, (const char *[]) {
            "score", "i:2", "channel", "s:web", NULL }, &msg, &ev);
        analytics_fact_apply (&g, &ev, cal);
        bool low = g.satisfied == 0;
        s_event (&buf, 3, "complaint.callback_attempted", t0, (const char *[]) {
            "action", "s:callback", "state", "s:resolved", "result", "s:reached",
            "satisfied", "b:1", NULL }, &msg, &ev);
        analytics_fact_apply (&g, &ev, cal);
        selftest_tally_check (&t, verbose, neutral && low && g.satisfied == 1,
                              "survey alone: 3 neither, 2 not satisfied; the call-back's "
                              "answer then wins");
        analytics_fact_clear (&g);
    }
    s_event (&buf, 11, "sla.breached", t0 + 50 * 3600000LL, (const char *[]) {
        "complaint_no", "s:202612050000011", "stage", "s:first_response", "round", "i:0", NULL },
        &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    s_event (&buf, 12, "sla.reminder", t0 + 50 * 3600000LL, (const char *[]) {
        "stage", "s:resolution", NULL }, &msg, &ev);
    selftest_tally_check (&t, verbose, !analytics_fact_apply (&f, &ev, cal)
                          && f.breached [1] == 1 && f.last_seq == 11,
                          "a breach counted by stage; a reminder changes nothing");
    /* issue 16 follow-up (analytics2): every outcome, the score, the
     * determination */
    s_event (&buf, 12, "complaint.resolved", t0 + 44 * 3600000LL, (const char *[]) {
        "action", "s:approve", "state", "s:resolved", "outcome", "s:refund", "amount", "s:20",
        "outcomes", "a:refund,apology,refund,goodwill", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, f.noutcomes == 3 && strcmp (f.outcomes [0], "refund") == 0
                          && strcmp (f.outcomes [1], "apology") == 0
                          && strcmp (f.outcomes [2], "goodwill") == 0
                          && f.survey_score == 1 && strcmp (f.survey_channel, "web") == 0,
                          "resolved: every outcome kind once; the survey's score kept");
    s_event (&buf, 12, "complaint.determined", t0 + 45 * 3600000LL, (const char *[]) {
        "action", "s:determine", "state", "s:closed", "determination", "s:bogus", NULL },
        &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    bool ignored = f.determination [0] == 0;
    s_event (&buf, 12, "complaint.determined", t0 + 45 * 3600000LL, (const char *[]) {
        "action", "s:determine", "state", "s:closed", "determination", "s:valid", NULL },
        &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, ignored && strcmp (f.determination, "valid") == 0,
                          "determined: valid kept, a word outside valid|invalid ignored");
    s_event (&buf, 13, "complaint.closed", t0 + 60 * 3600000LL, (const char *[]) {
        "action", "s:close", "state", "s:closed", "reason", "s:satisfied", NULL }, &msg, &ev);
    analytics_fact_apply (&f, &ev, cal);
    selftest_tally_check (&t, verbose, f.closed_at == t0 + 60 * 3600000LL
                          && strcmp (f.state, "closed") == 0, "closed: the time and the state");

    //  JSON round trip, with PostgreSQL's own time form on the way back
    json_t *j = analytics_fact_to_json (&f);
    analytics_fact_t g;
    json_object_set_new (j, "received_at", json_string ("2026-12-05T16:34:00+08:00"));
    json_object_set_new (j, "closed_at", json_string ("2026-12-08T04:34:00.000123+08:00"));
    int rc = analytics_fact_from_json (&g, j);
    json_decref (j);
    //  Compared as JSON: the bytes after a string's NUL may differ.
    json_t *jf = analytics_fact_to_json (&f), *jg = analytics_fact_to_json (&g);
    selftest_tally_check (&t, verbose, rc == 0 && json_equal (jf, jg)
                          && g.received_at == f.received_at && g.closed_at == f.closed_at
                          && g.narrative && strcmp (g.narrative, f.narrative) == 0,
                          "a fact survives JSON and the store's time text");
    analytics_fact_clear (&g);
    json_decref (jf);
    json_decref (jg);
    size_t ncolumns = 0;
    while (analytics_fact_columns [ncolumns])
        ncolumns++;
    j = analytics_fact_to_json (&f);
    selftest_tally_check (&t, verbose, json_object_size (j) == ncolumns,
                          "the JSON has exactly the table's columns");
    json_decref (j);

    //  Amounts and quantiles
    selftest_tally_check (&t, verbose, analytics_amount_cents ("300.00", 6) == 30000
                          && analytics_amount_cents ("7", 1) == 700
                          && analytics_amount_cents ("1.5", 3) == 150
                          && analytics_amount_cents ("1.555", 5) == -1
                          && analytics_amount_cents ("-1", 2) == -1
                          && analytics_amount_cents ("1.", 2) == -1, "amounts to cents");
    int64_t bounds [] = { 10, 20, 30 };
    int64_t counts [] = { 1, 1, 2, 0 };
    selftest_tally_check (&t, verbose, analytics_hist_quantile (counts, bounds, 3, 0.5) == 20
                          && analytics_hist_quantile (counts, bounds, 3, 0.9) == 30
                          && analytics_hist_quantile (counts, bounds, 3, 0.25) == 10,
                          "quantiles from bucket counts (the bucket's upper bound)");
    int64_t over [] = { 0, 0, 0, 3 };
    int64_t none [] = { 0, 0, 0, 0 };
    selftest_tally_check (&t, verbose, analytics_hist_quantile (over, bounds, 3, 0.5) == INT64_MAX
                          && analytics_hist_quantile (none, bounds, 3, 0.5) == -1,
                          "above every bound; no cases");

    //  Without consent: no narrative, whatever the body says.
    analytics_fact_t h;
    analytics_fact_init (&h, "202612050000011");
    s_event (&buf, 20, "complaint.received", t0, (const char *[]) {
        "channel", "s:web", "customer", "s:0123456789abcdef0123456789abcdef",
        "body", "s:my story", "lang", "s:en", "received_at", "i:1796459640000", NULL },
        &msg, &ev);
    analytics_fact_apply (&h, &ev, cal);
    j = analytics_fact_to_json (&h);
    selftest_tally_check (&t, verbose, !h.narrative_consent && !h.narrative
                          && json_is_null (json_object_get (j, "narrative"))
                          && strcmp (h.jrt_channel, "") == 0,
                          "received without consent: no narrative");
    json_decref (j);
    analytics_fact_clear (&h);
    analytics_fact_clear (&f);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);
    calendar_destroy (&cal);
    return selftest_tally_end (&t, verbose, "analytics_fact", passed);
}
