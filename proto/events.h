/*  events.h — every event type on the stream, declared once: its name, the
 *  service that produces it, and the keys of its `data` map (ARCHITECTURE.md
 *  invariant 9). The envelope around `data` is event.h's.
 *
 *  The table is the contract. Each payload key has a msgpack type (str, int,
 *  bool, array of str), a presence (required; nullable: always packed, nil
 *  when unknown; optional: left out when absent) and a privacy class:
 *
 *      plain      facts the stream may carry as they are (states, ids of
 *                 departments and staff, times, counts);
 *      free text  what a person or a remote server wrote: the packer scrubs
 *                 it (privacy_scrub: NFKC, then numbers, e-mail addresses
 *                 and the person's own name and numbers to XXXX) whatever
 *                 the caller passed, and the validator refuses a value
 *                 that scrubbing would still change;
 *      identity   stands for the customer: only the keyed pseudonym (32 hex,
 *                 privacy_pseudonym) is carried, never a name, phone,
 *                 e-mail, account or ID number (invariant 8); the validator
 *                 refuses anything that is not a pseudonym.
 *
 *  Three groups of events share a head (the staff action's who/what/where,
 *  the SLA clock's case/stage/round, the notification row's ids): a head is
 *  declared once and each event adds its own keys after it.
 *
 *  Each event has one packer, events_<type>: typed C arguments in, the data
 *  map appended to a buffer, keys in declaration order. Every producer
 *  (intake, router, watchdog, notifier, complaintctl, analytics) calls these and packs
 *  nothing itself. A packer cannot produce a key the table lacks: all of
 *  them go through one engine that walks the declaration.
 *
 *  events_check validates a payload against its declaration (bounded: size,
 *  depth, every key declared, once, of its type, required keys present,
 *  free text scrubbed, identity a pseudonym). The self-test packs every event
 *  with its packer and checks it; tests/lib.sh checks every event of every
 *  integration test's event log with `complaintctl events --check`; and
 *  PROTOCOL.md's payload tables are printed from this table
 *  (`complaintctl events --markdown`, checked by tests/integration/
 *  events_doc.sh), the way docs/lifecycle.dot is.
 *
 *  Interface:
 *      events_all / events_find / events_heads     the declaration
 *      events_type_name / _presence_name / _class_name
 *      events_<type> (one per event type)          the packers
 *      events_check / events_check_object          the validator
 *      events_print_markdown                       PROTOCOL.md's tables
 *      events_test                                 self-test
 */
#ifndef EVENTS_H_INCLUDED
#define EVENTS_H_INCLUDED

#include "proto.h"
#include "request.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { EVENTS_STR, EVENTS_INT, EVENTS_BOOL, EVENTS_STR_LIST } events_type_t;
typedef enum { EVENTS_REQUIRED, EVENTS_NULLABLE, EVENTS_OPTIONAL } events_presence_t;
typedef enum { EVENTS_PLAIN, EVENTS_FREE_TEXT, EVENTS_IDENTITY } events_class_t;

typedef struct {
    const char *name;               /* the key in data */
    events_type_t type;
    events_presence_t presence;
    events_class_t privacy;
    const char *meaning;            /* one line for PROTOCOL.md */
} events_field_t;

/* Keys shared by a group of events, packed first. */
typedef struct {
    const char *name;               /* "action", "sla", "notification" */
    const char *summary;
    const events_field_t *fields;
    size_t nfields;
} events_head_t;

typedef struct {
    const char *name;               /* "complaint.resolved": the type and topic */
    const char *producer;           /* "intake", "router", "watchdog", ... */
    const char *summary;            /* one line for PROTOCOL.md */
    const events_head_t *head;      /* NULL: no shared keys */
    const events_field_t *fields;   /* the event's own keys, after the head */
    size_t nfields;
    bool caseless;                  /* about no single case: the envelope's complaint_no is
                                       nil (analytics.hotspot); a consumer that tells
                                       people finds them from the data, not a case */
} events_decl_t;

#define EVENTS_MAX_FIELDS  24       /* head + own keys of any one event */
#define EVENTS_MAX_LIST    64       /* elements of a str array */

const events_decl_t *events_all (size_t *count);
/* NULL when no event of that name is declared. */
const events_decl_t *events_find (const char *name);
const events_head_t *events_heads (size_t *count);

const char *events_type_name (events_type_t type);           /* "str", "int", ... */
const char *events_presence_name (events_presence_t presence);
const char *events_class_name (events_class_t privacy);      /* "plain", "free text", ... */

//  --------------------------------------------------------------------------
//  Packers. Each appends one msgpack map (the event's data) to buf. Strings
//  are NUL-terminated; NULL is "absent" (nil for a nullable key, left out for
//  an optional one). Free-text keys are scrubbed here.

/* complaint.received. Request strings are (ptr, len) as decoded. */
typedef struct {
    proto_str_t channel;
    const char *customer;           /* the pseudonym */
    proto_str_t subject, body, demand, branch, product, category;
    const char *amount;             /* decimal string or NULL */
    const char *lang;               /* "zh" | "en" */
    bool narrative_consent;         /* consent to publish the scrubbed text */
    const char *referral_source;    /* who referred it; NULL: came directly */
    int64_t received_at;            /* unix ms, or EVENTS_AT_FROM_STORE */
    const customer_t *identity;     /* whose own name and numbers are scrubbed from the
                                       text as well (NULL: the general rules only); never
                                       packed */
} events_received_t;

/*  received_at = EVENTS_AT_FROM_STORE packs the map with its last key,
 *  received_at, and no value: intake's set-based submit statement appends
 *  the stored time as a msgpack int64 (0xd3 and eight big-endian bytes,
 *  int8send) from the INSERT's RETURNING, so the event and the row cannot
 *  disagree and the batch stays one statement. */
#define EVENTS_AT_FROM_STORE INT64_MIN
void events_complaint_received (msgpack_sbuffer *buf, const events_received_t *r);

/* complaint.assigned */
typedef struct {
    const char *department;
    const char *handler;            /* NULL: the department's queue */
    const char *const *cooperating;
    size_t ncooperating;
    const char *business_line, *cause;
    const char *jrt_channel, *jrt_business, *jrt_cause;
    int priority;
    const char *const *flags;
    size_t nflags;
    bool major, unroutable;
    const char *rule, *router;
    int64_t version;
    const char *outlet;             /* the directory's branch/outlet named; NULL: none */
} events_assigned_t;

void events_complaint_assigned (msgpack_sbuffer *buf, const events_assigned_t *a);
void events_complaint_major (msgpack_sbuffer *buf, int priority, const char *const *flags,
                             size_t nflags, const char *department, const char *business_line,
                             const char *cause, const char *reason);
void events_complaint_cooperation_requested (msgpack_sbuffer *buf, const char *department,
                                             const char *lead_department, const char *rule);

/* Staff actions (intake `act`): the head every action event carries. The
 * `action` key is the packer's own (complaint.resolved is `resolve`). */
typedef struct {
    const char *actor, *actor_role, *from, *state;
    int64_t version;
} events_action_t;

void events_complaint_accepted (msgpack_sbuffer *buf, const events_action_t *a,
                                const char *handler);
void events_complaint_investigating (msgpack_sbuffer *buf, const events_action_t *a);
void events_complaint_noted (msgpack_sbuffer *buf, const events_action_t *a);
void events_complaint_info_requested (msgpack_sbuffer *buf, const events_action_t *a);
void events_complaint_customer_replied (msgpack_sbuffer *buf, const events_action_t *a);
/* cfpb_response is derived from outcome and whether an amount above zero
 * was granted (lifecycle_decision_cfpb). action:
 * "resolve" (NULL) or "approve" (issue 16); outcomes: every kind when the
 * decision gave several (NULL, 0: one). */
void events_complaint_resolved (msgpack_sbuffer *buf, const events_action_t *a,
                                const char *action, const char *outcome, const char *amount,
                                const char *const *outcomes, size_t noutcomes);
/* issue 16 (i16-vetting): complaint.proposed, complaint.proposal_returned */
void events_complaint_proposed (msgpack_sbuffer *buf, const events_action_t *a,
                                const char *const *outcomes, size_t noutcomes,
                                const char *amount, bool vetted);
void events_complaint_proposal_returned (msgpack_sbuffer *buf, const events_action_t *a,
                                         const char *reason, const char *handler);
void events_complaint_feedback (msgpack_sbuffer *buf, const events_action_t *a, bool satisfied);
void events_complaint_review_requested (msgpack_sbuffer *buf, const events_action_t *a,
                                        const char *department, const char *from_department,
                                        const char *handler);
void events_complaint_reopened (msgpack_sbuffer *buf, const events_action_t *a,
                                const char *department, const char *handler);
void events_complaint_closed (msgpack_sbuffer *buf, const events_action_t *a, const char *reason);
void events_complaint_transferred (msgpack_sbuffer *buf, const events_action_t *a,
                                   const char *department, const char *from_department,
                                   const char *handler);
/* department, from_department, handler: who has the case now (issue 15:
 * an escalation and a review move it; a reopening gives it back). */
void events_complaint_escalated (msgpack_sbuffer *buf, const events_action_t *a,
                                 const char *level, const char *department,
                                 const char *from_department, const char *handler);
void events_complaint_rejected (msgpack_sbuffer *buf, const events_action_t *a,
                                const char *reason, const char *duplicate_of);
void events_complaint_withdrawn (msgpack_sbuffer *buf, const events_action_t *a);
void events_complaint_extended (msgpack_sbuffer *buf, const events_action_t *a,
                                const char *stage, int64_t step, const char *adds,
                                const char *approver);
/* issue 15: contact (via: how the customer was reached), mark_complex,
 * appraisal_start (kind), appraisal_end (kind of the appraisal it ends),
 * new_material. Never the text. */
void events_complaint_contacted (msgpack_sbuffer *buf, const events_action_t *a,
                                 const char *via);
void events_complaint_marked_complex (msgpack_sbuffer *buf, const events_action_t *a);
void events_complaint_appraisal_started (msgpack_sbuffer *buf, const events_action_t *a,
                                         const char *kind);
void events_complaint_appraisal_ended (msgpack_sbuffer *buf, const events_action_t *a,
                                       const char *kind);
void events_complaint_new_material (msgpack_sbuffer *buf, const events_action_t *a);
/* complaint.referrer_replied: the source, and the referrer's ticket (NULL:
 * none was given); never the reply's text nor the referrer's name. */
void events_complaint_referrer_replied (msgpack_sbuffer *buf, const events_action_t *a,
                                        const char *referral_source,
                                        const char *referrer_ticket);
/* complaint.merged (issue 16): the open complaint it is handled in. */
void events_complaint_merged (msgpack_sbuffer *buf, const events_action_t *a,
                              const char *merged_into);
/* issue 16 (i16-followup): a call-back attempt (satisfied -1 and score 0:
 * absent); the survey's score and channel (never the comment); the
 * valid-complaint determination. */
void events_complaint_callback_attempted (msgpack_sbuffer *buf, const events_action_t *a,
                                          const char *result, int satisfied, int64_t score);
void events_complaint_survey_answered (msgpack_sbuffer *buf, int64_t score,
                                       const char *channel);
void events_complaint_determined (msgpack_sbuffer *buf, const events_action_t *a,
                                  const char *determination);

/* SLA events (the watchdog): the clock's head. */
typedef struct {
    const char *complaint_no, *stage;
    int64_t round;
    const char *department, *handler;
    int priority;                   /* 0: unknown (nil) */
} events_sla_t;

void events_sla_reminder (msgpack_sbuffer *buf, const events_sla_t *h, const char *step,
                          int64_t percent, int64_t due_at, int64_t remaining_ms);
void events_sla_breached (msgpack_sbuffer *buf, const events_sla_t *h, int64_t due_at,
                          const char *allowance, int64_t extensions);
void events_sla_escalated (msgpack_sbuffer *buf, const events_sla_t *h, int64_t tier,
                           const char *const *to, size_t nto, int64_t due_at,
                           int64_t overdue_ms);
void events_sla_extended (msgpack_sbuffer *buf, const events_sla_t *h, int64_t step,
                          const char *adds, int64_t previous_due_at, int64_t due_at,
                          const char *approver);
void events_sla_met (msgpack_sbuffer *buf, const events_sla_t *h, int64_t due_at,
                     int64_t met_at, bool late, int64_t paused_ms);
void events_sla_deadline_moved (msgpack_sbuffer *buf, const events_sla_t *h,
                                int64_t previous_due_at, int64_t due_at, bool provisional);
/* issue 15 (told): a new round > 0 of a stage, started by cause
 * ("new_material", "reopen"), with its start and deadline. */
void events_sla_restarted (msgpack_sbuffer *buf, const events_sla_t *h, const char *cause,
                           int64_t started_at, int64_t due_at);

/* Notification events (the notifier; retried: complaintctl). */
typedef struct {
    int64_t id, event_seq;
    const char *channel, *recipient_kind;
    int64_t attempts;
} events_notification_t;

void events_notification_sent (msgpack_sbuffer *buf, const events_notification_t *n);
/* recipient: whose address (and name, when known) is scrubbed from the
 * gateway's answer as well as the general rules (NULL: those only). */
void events_notification_failed (msgpack_sbuffer *buf, const events_notification_t *n,
                                 const char *error, const customer_t *recipient);
void events_notification_dead (msgpack_sbuffer *buf, const events_notification_t *n,
                               const char *error, const customer_t *recipient);
void events_notification_suppressed (msgpack_sbuffer *buf, const events_notification_t *n,
                                     const char *reason);
void events_notification_retried (msgpack_sbuffer *buf, const events_notification_t *n,
                                  const char *by);

/* Hot spots (analytics): the head every hot-spot event carries. Strings a
 * rule does not group by are NULL (nil); customer is the pseudonym
 * (repeat_customer only; NULL: left out). */
typedef struct {
    const char *kind, *rule, *branch, *cause, *business_line, *customer;
} events_hotspot_t;

/* baseline NULL (not a surge): baseline, baseline_days and p_value nil.
 * More than EVENTS_MAX_LIST samples: the first EVENTS_MAX_LIST are packed. */
void events_analytics_hotspot (msgpack_sbuffer *buf, const events_hotspot_t *h, int64_t count,
                               const char *window, int64_t first_at, int64_t last_at,
                               const char *const *samples, size_t nsamples, int64_t threshold,
                               const char *baseline, int64_t baseline_days,
                               const char *p_value, int64_t opened_at);
void events_analytics_hotspot_cleared (msgpack_sbuffer *buf, const events_hotspot_t *h,
                                       int64_t count, const char *window, int64_t opened_at,
                                       int64_t cleared_at, const char *reason);

/* Evidence kept with a case (intake `evidence_add`): never its name. */
typedef struct {
    int64_t seq;
    const char *kind, *media_type;
    int64_t size;
    const char *actor, *actor_role;
    int64_t version;
} events_evidence_t;
void events_complaint_evidence_added (msgpack_sbuffer *buf, const events_evidence_t *e);
/* issue 16 (i16-mailev): an attachment recorded as not kept; reason a code */
void events_complaint_evidence_refused (msgpack_sbuffer *buf, const events_evidence_t *e,
                                        const char *reason);

/* issue 16 (i16-records): a closed case anonymised (intake `retention_run`). */
typedef struct {
    int64_t closed_at, retention_years, evidence_erased, actions_scrubbed, messages_erased;
    const char *actor;
    int64_t version;
} events_anonymised_t;
void events_complaint_anonymised (msgpack_sbuffer *buf, const events_anonymised_t *a);

/* issue 16 (i16-tasks): tasks to cooperating departments, rectification
 * items (docs/tasks.md). */
void events_complaint_task_given (msgpack_sbuffer *buf, const events_action_t *a, int64_t task,
                                  const char *department, int64_t due_at);
void events_complaint_task_replied (msgpack_sbuffer *buf, const events_action_t *a,
                                    int64_t task, const char *department);
void events_complaint_task_chased (msgpack_sbuffer *buf, const events_action_t *a,
                                   int64_t task, const char *department);
void events_complaint_task_closed (msgpack_sbuffer *buf, const events_action_t *a,
                                   int64_t task, const char *department);
void events_complaint_rectification_opened (msgpack_sbuffer *buf, const events_action_t *a,
                                            int64_t task, const char *department,
                                            const char *owner, int64_t due_at);
/* task.due_soon, task.overdue (watchdog) */
typedef struct {
    int64_t task;
    const char *kind;               /* "task" | "rectification" */
    const char *complaint_no;       /* NULL: an item opened from a hot spot */
    const char *department, *lead_department, *owner;
    int64_t due_at;                 /* unix ms */
} events_task_t;
void events_task_due_soon (msgpack_sbuffer *buf, const events_task_t *t);
void events_task_overdue (msgpack_sbuffer *buf, const events_task_t *t);
/* rectification.opened, .done, .due_soon, .overdue: about no single case */
typedef struct {
    int64_t task;
    const char *branch;             /* the department that must rectify */
    const char *owner, *complaint_no, *rule, *actor;    /* NULL: nil */
    int64_t due_at;
} events_rectification_t;
void events_rectification_opened (msgpack_sbuffer *buf, const events_rectification_t *r);
void events_rectification_done (msgpack_sbuffer *buf, const events_rectification_t *r);
void events_rectification_due_soon (msgpack_sbuffer *buf, const events_rectification_t *r);
void events_rectification_overdue (msgpack_sbuffer *buf, const events_rectification_t *r);
/* accountability.opened (watchdog), .decided (intake): about no single case */
typedef struct {
    int64_t item;
    const char *trigger;
    const char *branch, *complaint_no, *hotspot, *outcome, *actor;     /* NULL: nil */
} events_accountability_t;
void events_accountability_opened (msgpack_sbuffer *buf, const events_accountability_t *a);
void events_accountability_decided (msgpack_sbuffer *buf, const events_accountability_t *a);

//  --------------------------------------------------------------------------
//  Validation

/* Check a packed data map against the declaration of `type`. Returns 0, or
 * -1 with err set: the code (malformed, too_large, too_deep, not_a_map,
 * unknown_op for an undeclared type, missing_field, wrong_type,
 * invalid_field for an undeclared key, a repeated key, unscrubbed free text
 * or a bad pseudonym), the field as "data.KEY", and a sentence. */
int events_check (const char *type, const void *data, size_t size, proto_error_t *err);
/* The same for an already-unpacked data object (NULL: no data). */
int events_check_object (const char *type, size_t type_len, const msgpack_object *data,
                         proto_error_t *err);

/* PROTOCOL.md's payload tables, from the declaration. */
void events_print_markdown (FILE *out);

void events_test (bool verbose);

#endif
