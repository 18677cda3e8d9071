/*  fuzz_request.c — libFuzzer target for request_decode(), the first code
 *  that touches every byte a client sends to intake.
 *
 *  Any input must come back as either a decoded request or an error with a
 *  stable code; never a crash, a leak, an overread or undefined behaviour
 *  (the target is built with ASan + UBSan). On success the decoded strings
 *  are read end to end so that a pointer or length past the frame shows up
 *  as an ASan report here, not in intake.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <assert.h>
#include "request.h"

static volatile unsigned s_sink;

static void
s_touch (proto_str_t s)
{
    for (size_t i = 0; s.ptr && i < s.len; i++)
        s_sink += (unsigned char) s.ptr [i];
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    request_t req;
    proto_error_t err = { 0 };
    int rc = request_decode (data, size, &msg, &req, &err);
    if (rc == 0) {
        if (req.op == REQUEST_SUBMIT) {
            submit_t *s = &req.u.submit;
            /* required fields are present on success */
            assert (s->channel.ptr && s->ref.ptr && s->body.ptr);
            assert (channel_valid (s->channel));
            s_touch (s->channel); s_touch (s->ref); s_touch (s->body);
            s_touch (s->subject); s_touch (s->demand); s_touch (s->branch);
            s_touch (s->product); s_touch (s->category); s_touch (s->lang);
            s_touch (s->customer.name); s_touch (s->customer.phone);
            s_touch (s->customer.email); s_touch (s->customer.account);
            s_touch (s->customer.id_no);
            s_touch (s->referral.referrer); s_touch (s->referral.ticket);
            s_touch (s->incident.staff_concerned); s_touch (s->incident.place);   /* i16-tasks */
            assert (s->incident.staff_concerned.len <= REQUEST_INCIDENT_MAX_CHARS * 4
                    && s->incident.place.len <= REQUEST_INCIDENT_MAX_CHARS * 4);
            /* a referrer, ticket or due date only with a known source */
            assert (memchr (s->referral.source, 0, sizeof s->referral.source));
            if (!s->referral.source [0])
                assert (!s->referral.referrer.ptr && !s->referral.ticket.ptr
                        && !s->referral.due_at);
            if (s->has_amount)
                assert (memchr (s->amount, 0, sizeof s->amount));
        }
        else
        if (req.op == REQUEST_GET) {
            size_t len = strnlen (req.u.get.complaint_no, COMPLAINT_NO_SIZE);
            assert (len < COMPLAINT_NO_SIZE);
            proto_error_t err2 = { 0 };
            assert (complaint_no_check (req.u.get.complaint_no, len, "complaint_no", &err2) == 0);
            s_touch (req.u.get.token);
        }
        else
        if (req.op == REQUEST_ACT) {
            act_t *a = &req.u.act;
            /* the action is a row of the table, the token and version present */
            assert (a->action && lifecycle_action (a->action->name, strlen (a->action->name)));
            /* the token may be absent: intake refuses it then, unless a
             * service's key sent it (issue 16: the watchdog's close) */
            assert (a->version >= 1 && !a->service [0]);
            assert (!(a->present & FIELD_SCORE) || (a->score >= 1 && a->score <= 5));
            assert (a->text.len <= REQUEST_MAX_TEXT);
            s_touch (a->token); s_touch (a->actor); s_touch (a->text);
            assert (memchr (a->outcome, 0, sizeof a->outcome));
            assert (memchr (a->reason, 0, sizeof a->reason));
            assert (memchr (a->level, 0, sizeof a->level));
            assert (memchr (a->department, 0, sizeof a->department));
            assert (memchr (a->duplicate_of, 0, sizeof a->duplicate_of));
            assert (memchr (a->amount, 0, sizeof a->amount) || !(a->present & FIELD_AMOUNT));
            /* every required field of the action is there */
            assert ((a->present & a->action->required) == a->action->required);
            /* issue 16 (i16-tasks): due, task, owner NUL-terminated; task digits */
            assert (memchr (a->due, 0, sizeof a->due) && memchr (a->owner, 0, sizeof a->owner));
            assert (memchr (a->task, 0, sizeof a->task)
                    && strspn (a->task, "0123456789") == strlen (a->task));
        }
        else
        if (req.op == REQUEST_REPLY) {
            const reply_t *r = &req.u.reply;
            size_t len = strnlen (r->complaint_no, COMPLAINT_NO_SIZE);
            assert (len < COMPLAINT_NO_SIZE);
            proto_error_t err2 = { 0 };
            assert (complaint_no_check (r->complaint_no, len, "complaint_no", &err2) == 0);
            assert (channel_valid (r->channel));
            assert (r->ref.ptr && r->ref.len >= 1 && r->ref.len <= PROTO_MAX_REF);
            assert (r->from.ptr && r->from.len >= 3 && r->from.len <= PROTO_MAX_SHORT);
            assert (r->text.ptr && r->text.len >= 1 && r->text.len <= PROTO_MAX_BODY);
            s_touch (r->ref);
            s_touch (r->from);
            s_touch (r->text);
        }
        else
        if (req.op == REQUEST_EVIDENCE_ADD) {
            const evidence_add_t *e = &req.u.evidence_add;
            /* a document's bytes or a recording's reference, never both;
             * issue 16 (i16-mailev): an attachment the adapter refused has
             * neither, only its reason, and the item's size and hash */
            if (e->refused.ptr)
                assert (e->source.ptr && !e->content.ptr && !e->reference.ptr
                        && e->refused.len >= 1 && e->refused.len <= REQUEST_EVIDENCE_MAX_REFUSED
                        && e->size >= 1);
            else
                assert ((e->content.ptr != NULL) != (e->reference.ptr != NULL));
            /* an attachment's part lies within its item, and has no token */
            if (e->source.ptr && e->content.ptr)
                assert (!e->token.ptr && e->offset >= 0
                        && e->offset + (int64_t) e->content.len <= e->size);
            assert (e->content.len <= REQUEST_EVIDENCE_MAX_BYTES);
            assert (e->name.ptr && e->name.len <= REQUEST_EVIDENCE_MAX_NAME);
            assert (memchr (e->media_type, 0, sizeof e->media_type) && strchr (e->media_type, '/'));
            s_touch (e->token); s_touch (e->name); s_touch (e->content); s_touch (e->reference);
            s_touch (e->source); s_touch (e->refused);
        }
        else
        if (req.op == REQUEST_EVIDENCE_GET) {
            assert (req.u.evidence_get.seq >= 1);
            s_touch (req.u.evidence_get.token);
        }
        /* issue 16 (i16-records): the records requests */
        else
        if (req.op == REQUEST_CASEFILE)
            s_touch (req.u.casefile.token);
        else
        if (req.op == REQUEST_RETENTION_RUN) {
            assert (req.u.retention_run.limit >= 1
                    && req.u.retention_run.limit <= RECORDS_RETENTION_LIMIT_MAX);
            s_touch (req.u.retention_run.token);
        }
        else
        if (req.op == REQUEST_KB_PROMOTE) {
            const kb_promote_t *k = &req.u.kb_promote;
            assert (k->summary.len <= RECORDS_KB_MAX_TEXT && k->answer.len <= RECORDS_KB_MAX_TEXT);
            s_touch (k->token); s_touch (k->summary); s_touch (k->answer);
        }
        else
        if (req.op == REQUEST_KB_SEARCH) {
            const kb_search_t *k = &req.u.kb_search;
            assert (k->limit >= 1 && k->limit <= RECORDS_KB_LIMIT_MAX);
            assert (k->words.len <= RECORDS_KB_MAX_WORDS);
            s_touch (k->token); s_touch (k->business_line); s_touch (k->cause);
            s_touch (k->words);
        }
        else
        if (req.op == REQUEST_RECTIFICATION) {                  /* issue 16 (i16-tasks) */
            const rectification_t *r = &req.u.rectification;
            assert (r->what == RECTIFY_OPEN || r->what == RECTIFY_LIST || r->what == RECTIFY_DONE);
            assert (memchr (r->hotspot, 0, sizeof r->hotspot) && memchr (r->due, 0, sizeof r->due));
            assert (r->what != RECTIFY_DONE || (r->task >= 1 && r->text.ptr));
            assert (r->what != RECTIFY_OPEN || (r->hotspot [0] && r->due [0] && r->text.ptr));
            assert (r->text.len <= RECTIFICATION_MAX_TEXT);
            s_touch (r->token); s_touch (r->text);
        }
        else
        if (req.op == REQUEST_ACCOUNTABILITY) {
            const accountability_t *a = &req.u.accountability;
            assert (!a->decide || (a->item >= 1 && accountability_outcome_valid (a->outcome)));
            s_touch (a->token); s_touch (a->text);
        }
        else
        if (req.op == REQUEST_SURVEY) {             /* issue 16 (i16-followup) */
            const survey_t *sv = &req.u.survey;
            /* issue 16 follow-up (adapters2): a check carries the token alone */
            if (sv->check)
                assert (sv->score == 0 && !sv->comment.ptr);
            else
                assert (sv->score >= 1 && sv->score <= 5);
            assert (sv->comment.len <= SURVEY_COMMENT_MAX);
            /* a token of the right shape, or none kept (answered not_found) */
            assert ((sv->complaint_no [0] != 0) == (strlen (sv->secret) == SURVEY_SECRET_HEX));
            s_touch (sv->comment);
        }
        else {
            assert (req.op == REQUEST_QUEUE);
            s_touch (req.u.queue.token);
            assert (req.u.queue.limit >= 1 && req.u.queue.limit <= REQUEST_QUEUE_MAX);
        }
    }
    else {
        /* every rejection carries a stable code and a message */
        assert (err.code != NULL);
        assert (err.message [0] != 0);
    }
    msgpack_unpacked_destroy (&msg);
    return 0;
}
