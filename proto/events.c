/*  events.c — the declaration of every event's payload, its packers and
 *  its validator (see events.h).
 *
 *  The table below is the one place an event's keys are written down. The
 *  packers do not write keys themselves: each fills an array of values in
 *  the declaration's order and hands it to s_pack, which walks the
 *  declaration — so a packer cannot emit a key, a type or an order the table
 *  does not have, and free text is scrubbed in one place whoever calls.
 *  A mismatch between a packer's values and the table (count or type) is a
 *  programming error and aborts; events_test runs every packer.
 *
 *  events_check is the other direction: bytes from anywhere (the outbox,
 *  the bus, a test) against the table, bounded and without trusting them.
 */
#include "events.h"
#include "event.h"
#include "lifecycle.h"
#include "privacy.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define F(name, type, presence, cls, meaning) \
    { name, EVENTS_##type, EVENTS_##presence, EVENTS_##cls, meaning }
#define N(array) (sizeof array / sizeof array [0])

//  --------------------------------------------------------------------------
//  Heads

static const events_field_t s_action_head [] = {
    F ("action", STR, REQUIRED, PLAIN, "the lifecycle action (`resolve`)"),
    F ("actor", STR, REQUIRED, PLAIN,
       "the staff id that took it; for a customer's reply, the adapter's certificate name"),
    F ("actor_role", STR, REQUIRED, PLAIN,
       "`handler`, `supervisor`, `complaint_office` or `manager`; `adapter` for a "
       "customer's reply an adapter recorded (intake `reply`)"),
    F ("from", STR, REQUIRED, PLAIN, "the state before"),
    F ("state", STR, REQUIRED, PLAIN, "the state after"),
    F ("version", INT, REQUIRED, PLAIN, "the case version the action produced"),
};

static const events_field_t s_sla_head [] = {
    F ("complaint_no", STR, REQUIRED, PLAIN, "the case"),
    F ("stage", STR, REQUIRED, PLAIN,
       "`acknowledge`, `first_response`, `service`, `solution`, `resolution`, `review` or "
       "`referral_reply`"),
    F ("round", INT, REQUIRED, PLAIN,
       "the stage's round: 0, then one per transfer (acknowledge), reopening (resolution), "
       "review"),
    F ("department", STR, NULLABLE, PLAIN, "the case's department"),
    F ("handler", STR, NULLABLE, PLAIN, "the case's handler"),
    F ("priority", INT, NULLABLE, PLAIN, "1–4"),
};

static const events_field_t s_notification_head [] = {
    F ("id", INT, REQUIRED, PLAIN, "the notification row"),
    F ("event_seq", INT, REQUIRED, PLAIN, "the event it answers"),
    F ("channel", STR, REQUIRED, PLAIN, "`email`, `sms`, `push` or `inbox`"),
    F ("recipient_kind", STR, REQUIRED, PLAIN,
       "`customer`, `handler`, `supervisor`, `department_head`, `complaint_office` or "
       "`management`"),
    F ("attempts", INT, REQUIRED, PLAIN, "tries so far"),
};

//  A hot spot (analytics): which rule found it and what it is about. The
//  dimensions a rule does not group by are nil; a repeat customer is their
//  pseudonym (identity class), never more.
static const events_field_t s_hotspot_head [] = {
    F ("kind", STR, REQUIRED, PLAIN,
       "`outlet` (same branch, same cause), `repeat_customer` or `surge`"),
    F ("rule", STR, REQUIRED, PLAIN, "the rule's name in hotspots.conf (`outlet_30d`)"),
    F ("branch", STR, NULLABLE, PLAIN, "the branch or outlet (a department id) for `outlet`"),
    F ("cause", STR, NULLABLE, PLAIN, "the cause, when the rule groups by it"),
    F ("business_line", STR, NULLABLE, PLAIN, "the business line, when the rule groups by it"),
    F ("customer", STR, OPTIONAL, IDENTITY,
       "`repeat_customer`: the customer's keyed pseudonym (32 hex), never an identifier"),
};

enum { H_ACTION, H_SLA, H_NOTIFICATION, H_HOTSPOT, H_COUNT };

static const events_head_t s_heads [H_COUNT] = {
    { "action", "every staff action's event (intake `act`); never the action's free text",
      s_action_head, N (s_action_head) },
    { "sla", "every SLA event (the watchdog)", s_sla_head, N (s_sla_head) },
    { "notification", "every notification event; never an address or the message's text",
      s_notification_head, N (s_notification_head) },
    { "hotspot", "every hot-spot event (analytics); about no single case: no `complaint_no`",
      s_hotspot_head, N (s_hotspot_head) },
};

//  --------------------------------------------------------------------------
//  Each event's own keys

static const events_field_t s_received [] = {
    F ("channel", STR, REQUIRED, PLAIN, "the submit's channel"),
    F ("customer", STR, REQUIRED, IDENTITY,
       "the customer's keyed pseudonym (32 hex), never an identifier"),
    F ("subject", STR, NULLABLE, FREE_TEXT, "the complaint's subject"),
    F ("body", STR, REQUIRED, FREE_TEXT, "the complaint text"),
    F ("demand", STR, NULLABLE, FREE_TEXT, "what the customer asks for"),
    F ("branch", STR, NULLABLE, PLAIN, "as submitted"),
    F ("product", STR, NULLABLE, PLAIN, "as submitted (a routing hint)"),
    F ("category", STR, NULLABLE, PLAIN, "as submitted (a routing hint)"),
    F ("amount", STR, NULLABLE, PLAIN, "decimal string (`\"300.00\"`)"),
    F ("lang", STR, REQUIRED, PLAIN, "`zh` or `en`"),
    F ("narrative_consent", BOOL, OPTIONAL, PLAIN,
       "the customer agreed to publish the complaint's text, scrubbed (submit "
       "`narrative_consent`); always packed, absent in events of older intakes: false"),
    F ("referral_source", STR, OPTIONAL, PLAIN,
       "who referred the complaint (submit `referral.source`): `regulator`, `association`, "
       "`consumer_association` or `media`; absent when the customer came directly. Never "
       "the referrer's name or ticket (the staff view has them)"),
    F ("received_at", INT, REQUIRED, PLAIN,
       "unix ms as stored: the adapter's time, else the store's clock"),
};

static const events_field_t s_assigned [] = {
    F ("department", STR, REQUIRED, PLAIN, "the responsible department"),
    F ("handler", STR, OPTIONAL, PLAIN, "the handler picked; absent: the department's queue"),
    F ("cooperating", STR_LIST, REQUIRED, PLAIN, "cooperating departments (cross-department)"),
    F ("outlet", STR, NULLABLE, PLAIN,
       "the branch or outlet the complaint names (a department id of kind `branch` or "
       "`outlet`, matched in the directory from its branch field, else its subject or "
       "body); nil: none matched. It is `department` when the outlet leads, one of "
       "`cooperating` when it cooperates"),
    F ("business_line", STR, REQUIRED, PLAIN, "the classification's business line"),
    F ("cause", STR, REQUIRED, PLAIN, "the classification's cause"),
    F ("jrt_channel", STR, NULLABLE, PLAIN, "JR/T 0169 channel code"),
    F ("jrt_business", STR, NULLABLE, PLAIN, "JR/T 0169 business code"),
    F ("jrt_cause", STR, NULLABLE, PLAIN, "JR/T 0169 cause code"),
    F ("priority", INT, REQUIRED, PLAIN, "1 (highest) – 4"),
    F ("flags", STR_LIST, REQUIRED, PLAIN, "`media`, `regulator`, `large_amount`, `fraud`, `vulnerable`, `repeat`"),
    F ("major", BOOL, REQUIRED, PLAIN, "a major complaint (重大投诉)"),
    F ("unroutable", BOOL, REQUIRED, PLAIN, "no rule matched: the complaint office's queue"),
    F ("rule", STR, REQUIRED, PLAIN, "the deciding rule (`rules.conf:12`)"),
    F ("router", STR, REQUIRED, PLAIN, "the router instance (`host:pid:…`)"),
    F ("version", INT, REQUIRED, PLAIN, "the case version after the assignment"),
};

static const events_field_t s_major [] = {
    F ("priority", INT, REQUIRED, PLAIN, "1 (highest) – 4"),
    F ("flags", STR_LIST, REQUIRED, PLAIN, "the case's flags"),
    F ("department", STR, REQUIRED, PLAIN, "the responsible department"),
    F ("business_line", STR, REQUIRED, PLAIN, "the business line"),
    F ("cause", STR, REQUIRED, PLAIN, "the cause"),
    F ("reason", STR, REQUIRED, PLAIN, "the priority.conf line that made it major"),
};

static const events_field_t s_cooperation [] = {
    F ("department", STR, REQUIRED, PLAIN, "the cooperating department"),
    F ("lead_department", STR, REQUIRED, PLAIN, "the responsible department"),
    F ("rule", STR, REQUIRED, PLAIN, "the cooperate rule (`rules.conf:40`)"),
};

static const events_field_t s_accepted [] = {
    F ("handler", STR, NULLABLE, PLAIN, "the case's handler after acceptance"),
};

static const events_field_t s_resolved [] = {
    F ("outcome", STR, REQUIRED, PLAIN,
       "`explanation`, `error_corrected`, `refund`, `compensation`, `apology`, "
       "`process_change`"),
    F ("cfpb_response", STR, REQUIRED, PLAIN,
       "`Closed with explanation`, `Closed with monetary relief` (any amount granted) or "
       "`Closed with non-monetary relief`"),
    F ("amount", STR, OPTIONAL, PLAIN, "decimal string, when given"),
    /* issue 16 (i16-vetting) */
    F ("outcomes", STR_LIST, OPTIONAL, PLAIN,
       "every outcome's kind when the decision gave several (`refund`, `apology`, "
       "`goodwill`, ...); `outcome` is then the first monetary one, else the first, and "
       "`amount` their total (CNY)"),
};

/* issue 16 (i16-vetting): vetting. The proposal's texts (internal and for
 * the customer) stay in the store; the stream says what was proposed. */
static const events_field_t s_proposed [] = {
    F ("outcomes", STR_LIST, REQUIRED, PLAIN, "the proposed outcomes' kinds"),
    F ("amount", STR, OPTIONAL, PLAIN, "their total (CNY), when any has an amount"),
    F ("vetted", BOOL, REQUIRED, PLAIN,
       "the vetting policy requires vetting for this case (deploy/vetting/policy.conf)"),
};
static const events_field_t s_proposal_returned [] = {
    F ("reason", STR, REQUIRED, PLAIN,
       "`facts_unverified`, `outcome_inadequate`, `amount_unjustified`, `answer_unclear`, "
       "`rules_not_followed`"),
    F ("handler", STR, OPTIONAL, PLAIN, "the handler the case goes back to"),
};

static const events_field_t s_feedback [] = {
    F ("satisfied", BOOL, REQUIRED, PLAIN, "the customer's answer at the call-back"),
};

static const events_field_t s_closed [] = {
    F ("reason", STR, REQUIRED, PLAIN, "`satisfied`, `no_answer` or `review_upheld`; issue 16: "
       "`informed_of_routes`, `referred_mediation`, `referred_arbitration`, `referred_court` "
       "(not satisfied); `no_answer` by actor_role `system` is the watchdog's closing"),
};

/* issue 16 (i16-followup): after the answer. The call-back's text, the
 * survey's comment and the determination's reason text stay in the store. */
static const events_field_t s_callback_attempted [] = {
    F ("result", STR, REQUIRED, PLAIN, "`reached`, `no_answer`, `busy` or `wrong_number`"),
    F ("satisfied", BOOL, OPTIONAL, PLAIN, "reached: the customer's answer"),
    F ("score", INT, OPTIONAL, PLAIN, "reached: the satisfaction score given, 1 – 5"),
};
static const events_field_t s_survey_answered [] = {
    F ("score", INT, REQUIRED, PLAIN, "1 (very dissatisfied) – 5 (very satisfied)"),
    F ("channel", STR, REQUIRED, PLAIN, "`callback` (the call-back's answer) or `web`"),
};
static const events_field_t s_determined [] = {
    F ("determination", STR, REQUIRED, PLAIN, "`valid` or `invalid` (有效投诉认定)"),
};

static const events_field_t s_transferred [] = {
    F ("department", STR, REQUIRED, PLAIN, "the new department"),
    F ("from_department", STR, NULLABLE, PLAIN, "the department before"),
    F ("handler", STR, NULLABLE, PLAIN, "the new handler; nil: the department's queue"),
};

static const events_field_t s_escalated [] = {
    F ("level", STR, REQUIRED, PLAIN, "`head_office` or `regulator`"),
    F ("department", STR, OPTIONAL, PLAIN,
       "the department that takes the case over: the head office's complaint office "
       "(absent in events before issue 15)"),
    F ("from_department", STR, OPTIONAL, PLAIN, "the department before"),
    F ("handler", STR, OPTIONAL, PLAIN,
       "the new handler, a supervisor of that department; absent: its queue"),
};

//  A review moves the case to the reviewing body; a reopening gives it
//  back to the department that decided (issue 15). Absent in older events.
static const events_field_t s_review_requested [] = {
    F ("department", STR, OPTIONAL, PLAIN,
       "the reviewing body: the deciding department's branch, else the complaint office"),
    F ("from_department", STR, OPTIONAL, PLAIN,
       "the department that decided (it may not decide the review)"),
    F ("handler", STR, OPTIONAL, PLAIN, "the reviewer, a supervisor; absent: the queue"),
};

static const events_field_t s_reopened [] = {
    F ("department", STR, OPTIONAL, PLAIN, "the department that decided, investigating again"),
    F ("handler", STR, OPTIONAL, PLAIN, "its handler; absent: its queue"),
};

static const events_field_t s_rejected [] = {
    F ("reason", STR, REQUIRED, PLAIN,
       "`duplicate`, `in_litigation`, `already_decided`, `not_a_complaint`, "
       "`outside_scope`, `unverifiable`"),
    F ("duplicate_of", STR, OPTIONAL, PLAIN, "the first complaint, when a duplicate"),
};

//  A complaint number is not personal data: the customer is told to quote it.
static const events_field_t s_merged [] = {
    F ("merged_into", STR, REQUIRED, PLAIN, "the open complaint it is handled in"),
};

//  The referrer's ticket is the referring body's own case number: an
//  institution's reference, not the customer's identity, and what the
//  referring body files the reply under, so it may travel; the referrer's
//  name and the reply's text stay in the store.
static const events_field_t s_referrer_replied [] = {
    F ("referral_source", STR, REQUIRED, PLAIN,
       "`regulator`, `association`, `consumer_association` or `media`"),
    F ("referrer_ticket", STR, OPTIONAL, PLAIN, "the referring body's ticket number, when given"),
};

static const events_field_t s_extended [] = {
    F ("stage", STR, REQUIRED, PLAIN, "`resolution` or `review`"),
    F ("step", INT, REQUIRED, PLAIN, "the extension's number: 1, 2, …"),
    F ("adds", STR, REQUIRED, PLAIN,
       "the policy's rule as worded: `to 30d` (the deadline becomes 30d from the round's start)"),
    F ("approver", STR, REQUIRED, PLAIN,
       "the role the policy requires (the actor's own is `actor_role`)"),
};

static const events_field_t s_contacted [] = {
    F ("via", STR, REQUIRED, PLAIN,
       "how the customer was reached: `phone`, `sms`, `email`, `letter`, `visit`, `online`"),
};

static const events_field_t s_appraisal [] = {
    F ("kind", STR, REQUIRED, PLAIN,
       "`appraisal` (鉴定), `testing` (检测) or `valuation` (评估)"),
};

static const events_field_t s_sla_reminder [] = {
    F ("step", STR, REQUIRED, PLAIN, "`remind:80`"),
    F ("percent", INT, REQUIRED, PLAIN, "80"),
    F ("due_at", INT, REQUIRED, PLAIN, "the deadline, unix ms"),
    F ("remaining_ms", INT, REQUIRED, PLAIN, "until the deadline"),
};

static const events_field_t s_sla_breached [] = {
    F ("due_at", INT, REQUIRED, PLAIN, "the deadline that passed"),
    F ("allowance", STR, REQUIRED, PLAIN, "the policy's span (`15d`)"),
    F ("extensions", INT, REQUIRED, PLAIN, "extensions approved before it"),
};

static const events_field_t s_sla_escalated [] = {
    F ("tier", INT, REQUIRED, PLAIN, "1, 2, …"),
    F ("to", STR_LIST, REQUIRED, PLAIN,
       "`supervisor`, `department_head`, `complaint_office`, `management`"),
    F ("due_at", INT, REQUIRED, PLAIN, "the deadline that passed"),
    F ("overdue_ms", INT, REQUIRED, PLAIN, "how long ago"),
};

static const events_field_t s_sla_extended [] = {
    F ("step", INT, REQUIRED, PLAIN, "the extension's number"),
    F ("adds", STR, REQUIRED, PLAIN,
       "the total from the round's start (`30d`); `+15d`: one recorded before issue 15, "
       "which added"),
    F ("previous_due_at", INT, REQUIRED, PLAIN, "the deadline before"),
    F ("due_at", INT, REQUIRED, PLAIN, "the new deadline"),
    F ("approver", STR, NULLABLE, PLAIN, "the role the policy required"),
};

static const events_field_t s_sla_met [] = {
    F ("due_at", INT, REQUIRED, PLAIN, "the deadline"),
    F ("met_at", INT, REQUIRED, PLAIN, "when the stage was met"),
    F ("late", BOOL, REQUIRED, PLAIN, "met after the deadline"),
    F ("paused_ms", INT, REQUIRED, PLAIN, "time paused waiting for the customer"),
};

static const events_field_t s_sla_deadline_moved [] = {
    F ("previous_due_at", INT, REQUIRED, PLAIN, "the deadline before the calendars were reloaded"),
    F ("due_at", INT, REQUIRED, PLAIN, "the deadline counted on the calendars now loaded"),
    F ("provisional", BOOL, REQUIRED, PLAIN,
       "the new deadline still counts on computed (not yet published) holidays"),
};

//  issue 15 (told): a new round of a stage restarted by the customer's new
//  material or a reopening, with the deadline the watchdog computed for it:
//  the date the customer is given anew (docs/watchdog.md "Events").
static const events_field_t s_sla_restarted [] = {
    F ("cause", STR, REQUIRED, PLAIN,
       "`new_material` or `reopen`: the action that started the round"),
    F ("started_at", INT, REQUIRED, PLAIN, "the new round's start, unix ms"),
    F ("due_at", INT, REQUIRED, PLAIN, "the new round's deadline, unix ms"),
};

static const events_field_t s_n_error [] = {
    F ("error", STR, REQUIRED, FREE_TEXT, "the transport's or the gateway's answer"),
};

static const events_field_t s_n_suppressed [] = {
    F ("reason", STR, REQUIRED, PLAIN,
       "why (`no e-mail address; no mobile number`, `opted out of sms`)"),
};

static const events_field_t s_n_retried [] = {
    F ("by", STR, REQUIRED, PLAIN, "the operator"),
};

static const events_field_t s_hotspot [] = {
    F ("count", INT, REQUIRED, PLAIN,
       "complaints in the window (`surge`: today so far, the bank's calendar day)"),
    F ("window", STR, REQUIRED, PLAIN, "the rule's sliding window (`30d`); `surge`: `1d`"),
    F ("first_at", INT, REQUIRED, PLAIN, "the first complaint counted, unix ms"),
    F ("last_at", INT, REQUIRED, PLAIN, "the last complaint counted, unix ms"),
    F ("samples", STR_LIST, REQUIRED, PLAIN,
       "complaint numbers among those counted, latest first (at most the rule's `samples`)"),
    F ("threshold", INT, REQUIRED, PLAIN,
       "the rule's `count` (window rules) or `min` (surge) that was reached"),
    F ("baseline", STR, NULLABLE, PLAIN,
       "`surge`: the trailing mean per day (`2.14`), the Poisson λ"),
    F ("baseline_days", INT, NULLABLE, PLAIN, "`surge`: the days the mean is over"),
    F ("p_value", STR, NULLABLE, PLAIN, "`surge`: P(X ≥ count | λ) (`4.65e-05`)"),
    F ("opened_at", INT, REQUIRED, PLAIN, "when analytics found it, unix ms"),
};

static const events_field_t s_hotspot_cleared [] = {
    F ("count", INT, REQUIRED, PLAIN, "complaints in the window now (`surge`: today so far)"),
    F ("window", STR, REQUIRED, PLAIN, "the rule's window (`30d`); `surge`: `1d`"),
    F ("opened_at", INT, REQUIRED, PLAIN, "when it was found (the `analytics.hotspot`)"),
    F ("cleared_at", INT, REQUIRED, PLAIN, "when it cooled, unix ms"),
    F ("reason", STR, REQUIRED, PLAIN,
       "`cooled` (the rule's clearing was met), `rule_removed` (its rule left "
       "hotspots.conf) or `rule_changed` (the rule of that name is now of another kind or "
       "groups by other keys); for these two `count` is the last judged"),
};

//  Evidence handed in on a case (issue 16 §3; intake `evidence_add`). The
//  file's name stays in the store: a name can carry the customer's name or
//  numbers ("张三身份证.jpg"), so the stream says what kind, how big and of
//  which type, never what it is called.
static const events_field_t s_evidence_added [] = {
    F ("seq", INT, REQUIRED, PLAIN, "the item's number on the case: 1, 2, …"),
    F ("kind", STR, REQUIRED, PLAIN, "`document`, `recording_ref` or `email_attachment`"),
    F ("media_type", STR, REQUIRED, PLAIN, "`application/pdf`, `image/jpeg`, …"),
    F ("size", INT, REQUIRED, PLAIN, "bytes stored (a `recording_ref`: 0, only its reference)"),
    F ("actor", STR, REQUIRED, PLAIN, "who handed it in: a staff id, or the adapter's key"),
    F ("actor_role", STR, REQUIRED, PLAIN, "their role, or `adapter`"),
    F ("version", INT, REQUIRED, PLAIN, "the case's version after it"),
};

//  issue 16 (i16-records): the retention erased a closed case's identity
//  (intake `retention_run`). Counts and times only: what was erased is
//  said, never what it was.
static const events_field_t s_anonymised [] = {
    F ("closed_at", INT, REQUIRED, PLAIN, "when the case closed (its last action if it was "
       "rejected or withdrawn), unix ms"),
    F ("retention_years", INT, REQUIRED, PLAIN, "the retention period it was kept for"),
    F ("evidence_erased", INT, REQUIRED, PLAIN, "items whose bytes were deleted (metadata kept)"),
    F ("actions_scrubbed", INT, REQUIRED, PLAIN, "audit rows whose free text was scrubbed"),
    F ("messages_erased", INT, REQUIRED, PLAIN,
       "the notifier's messages whose address and text were erased"),
    F ("actor", STR, REQUIRED, PLAIN, "who ran the retention"),
    F ("version", INT, REQUIRED, PLAIN, "the case's version after it"),
};

/* issue 16 (i16-mailev): an e-mail attachment intake could not keep (over
 * a limit, the case finished, parts that did not join to the declared
 * hash) is recorded on the case, not dropped; the stream says why, by
 * code, and never the name. */
static const events_field_t s_evidence_refused [] = {
    F ("seq", INT, REQUIRED, PLAIN, "the row's number on the case (it lists the refusal)"),
    F ("kind", STR, REQUIRED, PLAIN, "`email_attachment`"),
    F ("media_type", STR, REQUIRED, PLAIN, "the type the mail gave it"),
    F ("size", INT, REQUIRED, PLAIN, "the item's declared bytes (none kept)"),
    F ("reason", STR, REQUIRED, PLAIN, "`adapter_limit`, `item_too_large`, `case_bytes`, "
       "`case_items`, `case_finished` or `hash_mismatch`; `incomplete` (issue 16 follow-up, "
       "adapters2): parts that never became whole, swept by intake"),
    F ("actor", STR, REQUIRED, PLAIN, "the adapter's key; `intake` for `incomplete`"),
    F ("actor_role", STR, REQUIRED, PLAIN, "`adapter`; `system` for `incomplete`"),
    F ("version", INT, REQUIRED, PLAIN, "the case's version after it"),
};

/*  issue 16 (i16-tasks): cooperating departments' tasks (协办) and
 *  rectification items (整改); docs/tasks.md. The stream says which task,
 *  of which department, by when — never what was asked or answered (staff
 *  text, kept in case_task). */
static const events_field_t s_task_given [] = {
    F ("task", INT, REQUIRED, PLAIN, "the task's number (case_task.id)"),
    F ("department", STR, REQUIRED, PLAIN, "the cooperating department asked"),
    F ("due_at", INT, REQUIRED, PLAIN, "the task's deadline (unix ms)"),
};
static const events_field_t s_task_ref [] = {
    F ("task", INT, REQUIRED, PLAIN, "the task's number (case_task.id)"),
    F ("department", STR, REQUIRED, PLAIN, "the department the task is asked of"),
};
static const events_field_t s_rectification_opened [] = {
    F ("task", INT, REQUIRED, PLAIN, "the item's number (case_task.id, kind rectification)"),
    F ("department", STR, REQUIRED, PLAIN, "the department that must rectify"),
    F ("owner", STR, NULLABLE, PLAIN, "the staff id that owns it; nil: the department"),
    F ("due_at", INT, REQUIRED, PLAIN, "the item's deadline (unix ms)"),
};
static const events_field_t s_task_clock [] = {
    F ("task", INT, REQUIRED, PLAIN, "the task's or item's number (case_task.id)"),
    F ("kind", STR, REQUIRED, PLAIN, "`task` (协办) or `rectification` (整改)"),
    F ("complaint_no", STR, NULLABLE, PLAIN, "its case; nil for an item opened from a hot spot"),
    F ("department", STR, REQUIRED, PLAIN, "the department asked (the notifier's "
       "`task_department`)"),
    F ("lead_department", STR, NULLABLE, PLAIN, "the department that asked"),
    F ("owner", STR, NULLABLE, PLAIN, "a rectification item's owner; nil: the department"),
    F ("due_at", INT, REQUIRED, PLAIN, "the deadline (unix ms)"),
};

/*  Rectification items on no case (opened from a hot spot), and any item
 *  marked done: about no single case (caseless), so the notifier finds the
 *  people from `branch` (its supervisors and head) as for a hot spot. */
static const events_field_t s_rectification [] = {
    F ("task", INT, REQUIRED, PLAIN, "the item's number (case_task.id)"),
    F ("branch", STR, REQUIRED, PLAIN, "the department that must rectify"),
    F ("owner", STR, NULLABLE, PLAIN, "the staff id that owns it; nil: the department"),
    F ("complaint_no", STR, NULLABLE, PLAIN, "its case; nil for an item opened from a hot spot"),
    F ("rule", STR, NULLABLE, PLAIN, "the hot spot's rule (hotspots.conf), when opened from one"),
    F ("due_at", INT, REQUIRED, PLAIN, "the item's deadline (unix ms)"),
    F ("actor", STR, NULLABLE, PLAIN, "who opened it or marked it done; nil from the watchdog"),
};

/*  The accountability register (问责): a trigger met, an outcome decided.
 *  Never the staff concerned (personal data of staff) nor the note. */
static const events_field_t s_accountability [] = {
    F ("item", INT, REQUIRED, PLAIN, "the register's row (accountability_item.id)"),
    F ("trigger", STR, REQUIRED, PLAIN, "`referral_unaccepted`, `repeat_after_breach`, "
       "`hotspot_uncorrected` or `media` (issue 16 follow-up)"),
    F ("branch", STR, NULLABLE, PLAIN, "the department concerned"),
    F ("complaint_no", STR, NULLABLE, PLAIN, "the case, for a trigger about one"),
    F ("hotspot", STR, NULLABLE, PLAIN, "the hot spot's key, for a trigger about one"),
    F ("outcome", STR, NULLABLE, PLAIN, "decided: `none`, `warning`, `training`, `criticism`, "
       "`penalty` or `dismissal`; nil when opened"),
    F ("actor", STR, NULLABLE, PLAIN, "the manager who decided; nil when opened (the watchdog)"),
};

//  --------------------------------------------------------------------------
//  The events

enum {
    E_RECEIVED, E_ASSIGNED, E_MAJOR, E_COOPERATION,
    E_ACCEPTED, E_INVESTIGATING, E_NOTED, E_INFO_REQUESTED, E_CUSTOMER_REPLIED, E_RESOLVED,
    E_FEEDBACK, E_REVIEW_REQUESTED, E_REOPENED, E_CLOSED, E_TRANSFERRED, E_ESCALATED,
    E_EXTENDED, E_REJECTED, E_WITHDRAWN,
    E_CONTACTED, E_MARKED_COMPLEX, E_APPRAISAL_STARTED, E_APPRAISAL_ENDED, E_NEW_MATERIAL,
    E_REFERRER_REPLIED, E_MERGED,
    E_SLA_REMINDER, E_SLA_BREACHED, E_SLA_ESCALATED, E_SLA_EXTENDED, E_SLA_MET,
    E_SLA_DEADLINE_MOVED, E_SLA_RESTARTED,
    E_N_SENT, E_N_FAILED, E_N_DEAD, E_N_SUPPRESSED, E_N_RETRIED,
    E_HOTSPOT, E_HOTSPOT_CLEARED,
    E_EVIDENCE_ADDED,
    E_PROPOSED, E_PROPOSAL_RETURNED,        /* issue 16 (i16-vetting) */
    E_ANONYMISED,                   /* issue 16 (i16-records) */
    E_EVIDENCE_REFUSED,         /* issue 16 (i16-mailev) */
    /* issue 16 (i16-tasks) */
    E_TASK_GIVEN, E_TASK_REPLIED, E_TASK_CHASED, E_TASK_CLOSED, E_RECTIFICATION_OPENED,
    E_TASK_DUE_SOON, E_TASK_OVERDUE,
    E_RECT_OPENED, E_RECT_DONE, E_RECT_DUE_SOON, E_RECT_OVERDUE,
    E_ACC_OPENED, E_ACC_DECIDED,
    E_CALLBACK_ATTEMPTED, E_SURVEY_ANSWERED, E_DETERMINED,     /* issue 16 (i16-followup) */
    E_COUNT
};

//  The last member: is the event about a case (false) or about none (true).
#define OWN(array) array, N (array), false
#define NONE NULL, 0, false
#define OWN_CASELESS(array) array, N (array), true
#define ACT &s_heads [H_ACTION]
#define SLA &s_heads [H_SLA]
#define NOTE &s_heads [H_NOTIFICATION]
#define HOT &s_heads [H_HOTSPOT]

static const events_decl_t s_events [E_COUNT] = {
    { "complaint.received", "intake", "intake accepted a new complaint", NULL, OWN (s_received) },
    { "complaint.assigned", "router",
      "the router gave the complaint a department (no deadline: `due_at` is the watchdog's)",
      NULL, OWN (s_assigned) },
    { "complaint.major", "router",
      "a major complaint (重大投诉): management is alerted; with the assignment", NULL,
      OWN (s_major) },
    { "complaint.cooperation_requested", "router",
      "one per cooperating department of a cross-department case; with the assignment", NULL,
      OWN (s_cooperation) },
    { "complaint.accepted", "intake", "staff action `accept`", ACT, OWN (s_accepted) },
    { "complaint.investigating", "intake", "staff action `investigate`", ACT, NONE },
    { "complaint.noted", "intake", "staff action `note`, or a customer's reply (intake `reply`) "
      "on a case not waiting for the customer", ACT, NONE },
    { "complaint.info_requested", "intake", "staff action `request_info`", ACT, NONE },
    { "complaint.customer_replied", "intake", "staff action `customer_replied`, or the "
      "customer's reply itself (intake `reply`) on a case awaiting the customer", ACT, NONE },
    { "complaint.resolved", "intake", "staff action `resolve`, or `approve` of a proposal "
      "(the head's action says which)", ACT, OWN (s_resolved) },
    { "complaint.feedback", "intake", "staff action `feedback`", ACT, OWN (s_feedback) },
    { "complaint.review_requested", "intake", "staff action `review`", ACT,
      OWN (s_review_requested) },
    { "complaint.reopened", "intake", "staff action `reopen`", ACT, OWN (s_reopened) },
    { "complaint.closed", "intake", "staff action `close`", ACT, OWN (s_closed) },
    { "complaint.transferred", "intake", "staff action `transfer`", ACT, OWN (s_transferred) },
    { "complaint.escalated", "intake", "staff action `escalate`", ACT, OWN (s_escalated) },
    { "complaint.extended", "intake", "staff action `extend`", ACT, OWN (s_extended) },
    { "complaint.rejected", "intake", "staff action `reject`", ACT, OWN (s_rejected) },
    { "complaint.withdrawn", "intake", "staff action `withdraw`", ACT, NONE },
    { "complaint.contacted", "intake", "staff action `contact`: the customer was reached "
      "(meets the customer-facing first reply); what was said stays in the audit trail", ACT,
      OWN (s_contacted) },
    { "complaint.marked_complex", "intake", "staff action `mark_complex`: `complex` was added "
      "to the case's flags", ACT, NONE },
    { "complaint.appraisal_started", "intake", "staff action `appraisal_start`: a period left "
      "out of the regulatory time limit begins", ACT, OWN (s_appraisal) },
    { "complaint.appraisal_ended", "intake", "staff action `appraisal_end`: the time limit "
      "runs again", ACT, OWN (s_appraisal) },
    { "complaint.new_material", "intake", "staff action `new_material`: the customer's new "
      "facts and reasons restart the regulatory period from now", ACT, NONE },
    { "complaint.referrer_replied", "intake", "staff action `reply_referrer`: the reply back "
      "to the body that referred the complaint (对口回复); never its text", ACT,
      OWN (s_referrer_replied) },
    { "complaint.merged", "intake", "staff action `merge` (issue 16): a duplicate found after "
      "acceptance is handled in the customer's open case `merged_into`; the case is `rejected` "
      "(reject_reason `merged`), its clocks cancelled", ACT, OWN (s_merged) },
    { "sla.reminder", "watchdog", "a reminder before the deadline (催办)", SLA,
      OWN (s_sla_reminder) },
    { "sla.breached", "watchdog", "the deadline passed, the stage not met", SLA,
      OWN (s_sla_breached) },
    { "sla.escalated", "watchdog", "an escalation tier after a breach (督办)", SLA,
      OWN (s_sla_escalated) },
    { "sla.extended", "watchdog", "a deadline moved by an approved staff `extend`", SLA,
      OWN (s_sla_extended) },
    { "sla.met", "watchdog", "the stage was met (accepted, answered, resolved, closed)", SLA,
      OWN (s_sla_met) },
    { "sla.deadline_moved", "watchdog",
      "a running deadline moved because its calendar changed (a State Council notice "
      "replaced a provisional year's computed holidays); never for an action", SLA,
      OWN (s_sla_deadline_moved) },
    { "sla.restarted", "watchdog",
      "a new round of a stage began (resolution: new material or a reopening; service: a "
      "reopening), with its deadline; once per round", SLA, OWN (s_sla_restarted) },
    { "notification.sent", "notifier", "delivered (or put in the staff inbox)", NOTE, NONE },
    { "notification.failed", "notifier",
      "a try failed; retried with back-off, no sooner than the gateway's Retry-After", NOTE,
      OWN (s_n_error) },
    { "notification.dead", "notifier",
      "the last try failed, or a gateway refused for good; nothing more is tried until an "
      "operator retries it", NOTE, OWN (s_n_error) },
    { "notification.suppressed", "notifier",
      "the customer could not be told on any channel the rule allows, or opted out: for the "
      "complaint office to follow up", NOTE, OWN (s_n_suppressed) },
    { "notification.retried", "complaintctl",
      "`complaintctl notifications retry` put the row back to pending (`attempts`: before "
      "the reset)", NOTE, OWN (s_n_retried) },
    { "analytics.hotspot", "analytics",
      "a hot spot was found (accountability, seed 004 第十二條): once per hot spot while it "
      "stays hot", HOT, OWN_CASELESS (s_hotspot) },
    { "analytics.hotspot_cleared", "analytics",
      "a hot spot cooled (hotspots.conf's clearing rule): the next one is a new hot spot",
      HOT, OWN_CASELESS (s_hotspot_cleared) },
    { "complaint.evidence_added", "intake", "intake `evidence_add`: a document or a "
      "recording's reference was kept with the case (never its name or bytes)", NULL,
      OWN (s_evidence_added) },
    /* issue 16 (i16-vetting) */
    { "complaint.proposed", "intake", "staff action `propose`: a resolution awaits vetting "
      "(审核); meets a complex case's `solution` clock", ACT, OWN (s_proposed) },
    { "complaint.proposal_returned", "intake", "staff action `return`: the vetting office "
      "sent the proposal back to the handler, with the reason (退回重新处理)", ACT,
      OWN (s_proposal_returned) },
    /* issue 16 (i16-records) */
    { "complaint.anonymised", "intake", "intake `retention_run`: the retention period after "
      "closure ended; the customer's identity was erased, free text scrubbed, evidence bytes "
      "deleted, the case kept anonymised", NULL, OWN (s_anonymised) },
    /* issue 16 (i16-mailev) */
    { "complaint.evidence_refused", "intake", "intake `evidence_add` from the mail adapter: "
      "an attachment was recorded as not kept, with the reason (never its name or bytes)",
      NULL, OWN (s_evidence_refused) },
    /* issue 16 (i16-tasks) */
    { "complaint.task_given", "intake", "staff action `task_give`: a cooperating department "
      "is asked for something by its own deadline (协办); never what", ACT, OWN (s_task_given) },
    { "complaint.task_replied", "intake", "staff action `task_reply`: the cooperating "
      "department answered (the task is done); never the answer", ACT, OWN (s_task_ref) },
    { "complaint.task_chased", "intake", "staff action `task_chase`: the lead or the complaint "
      "office chased an open task (催办)", ACT, OWN (s_task_ref) },
    { "complaint.task_closed", "intake", "staff action `task_close`: the lead closed an open "
      "task without its answer", ACT, OWN (s_task_ref) },
    { "complaint.rectification_opened", "intake", "staff action `rectify`: a rectification "
      "item (整改) for a department after a closed case or in a review", ACT,
      OWN (s_rectification_opened) },
    { "task.due_soon", "watchdog", "an open task or rectification item nears its deadline: "
      "the department asked is reminded; once", NULL, OWN (s_task_clock) },
    { "task.overdue", "watchdog", "an open task or rectification item passed its deadline: "
      "chased (催办), the lead told; once", NULL, OWN (s_task_clock) },
    { "rectification.opened", "intake", "intake `rectification open`: a rectification item "
      "(整改) opened from a hot spot for its branch; never what", NULL,
      OWN_CASELESS (s_rectification) },
    { "rectification.done", "intake", "intake `rectification done`: an item was marked done; "
      "never what was done", NULL, OWN_CASELESS (s_rectification) },
    { "rectification.due_soon", "watchdog", "an item opened from a hot spot nears its "
      "deadline; once", NULL, OWN_CASELESS (s_rectification) },
    { "rectification.overdue", "watchdog", "an item opened from a hot spot passed its "
      "deadline: chased (催办); once", NULL, OWN_CASELESS (s_rectification) },
    { "accountability.opened", "watchdog", "an accountability trigger (问责, seed 004 第十二條) "
      "was met and recorded once: a referred complaint nobody accepted in time, a complaint "
      "made again higher after a breach, a hot spot left without rectification", NULL,
      OWN_CASELESS (s_accountability) },
    { "accountability.decided", "intake", "intake `accountability decide`: a manager recorded "
      "the outcome; never the note or the staff concerned", NULL,
      OWN_CASELESS (s_accountability) },
    /* issue 16 (i16-followup) */
    { "complaint.callback_attempted", "intake", "staff action `callback`: a call-back attempt "
      "(回访) and its result; reached records the customer's answer as `feedback` does", ACT,
      OWN (s_callback_attempted) },
    { "complaint.survey_answered", "intake", "the satisfaction survey was answered (once per "
      "case): at the call-back (`callback` with a score); never the comment", NULL,
      OWN (s_survey_answered) },
    { "complaint.determined", "intake", "staff action `determine`: the valid-complaint "
      "determination (有效投诉认定), once per ended case; the reason's text stays in the "
      "audit trail", ACT, OWN (s_determined) },
};

#undef OWN
#undef NONE
#undef ACT
#undef SLA
#undef NOTE
#undef HOT
#undef OWN_CASELESS

const events_decl_t *
events_all (size_t *count)
{
    *count = E_COUNT;
    return s_events;
}

const events_head_t *
events_heads (size_t *count)
{
    *count = H_COUNT;
    return s_heads;
}

static const events_decl_t *
s_find (const char *name, size_t len)
{
    for (size_t i = 0; i < E_COUNT; i++)
        if (strlen (s_events [i].name) == len && memcmp (s_events [i].name, name, len) == 0)
            return &s_events [i];
    return NULL;
}

const events_decl_t *
events_find (const char *name)
{
    return name ? s_find (name, strlen (name)) : NULL;
}

const char *
events_type_name (events_type_t type)
{
    switch (type) {
        case EVENTS_STR: return "str";
        case EVENTS_INT: return "int";
        case EVENTS_BOOL: return "bool";
        case EVENTS_STR_LIST: return "array of str";
    }
    return "?";
}

const char *
events_presence_name (events_presence_t presence)
{
    switch (presence) {
        case EVENTS_REQUIRED: return "required";
        case EVENTS_NULLABLE: return "nullable";
        case EVENTS_OPTIONAL: return "optional";
    }
    return "?";
}

const char *
events_class_name (events_class_t privacy)
{
    switch (privacy) {
        case EVENTS_PLAIN: return "plain";
        case EVENTS_FREE_TEXT: return "free text";
        case EVENTS_IDENTITY: return "identity";
    }
    return "?";
}

/* The i-th key of an event, head first. */
static const events_field_t *
s_field (const events_decl_t *decl, size_t i)
{
    size_t nhead = decl->head ? decl->head->nfields : 0;
    return i < nhead ? &decl->head->fields [i] : &decl->fields [i - nhead];
}

static size_t
s_nfields (const events_decl_t *decl)
{
    return (decl->head ? decl->head->nfields : 0) + decl->nfields;
}

//  --------------------------------------------------------------------------
//  The packing engine

typedef enum { V_ABSENT, V_STR, V_INT, V_BOOL, V_LIST, V_DEFERRED } s_kind_t;

typedef struct {
    s_kind_t kind;
    const char *s;
    size_t len;
    int64_t i;
    const char *const *list;
} s_val_t;

static s_val_t
s_str (const char *s)
{
    return s ? (s_val_t) { V_STR, s, strlen (s), 0, NULL } : (s_val_t) { V_ABSENT, NULL, 0, 0, NULL };
}

static s_val_t
s_strn (proto_str_t s)
{
    return s.ptr ? (s_val_t) { V_STR, s.ptr, s.len, 0, NULL }
                 : (s_val_t) { V_ABSENT, NULL, 0, 0, NULL };
}

static s_val_t
s_int (int64_t i)
{
    return (s_val_t) { V_INT, NULL, 0, i, NULL };
}

static s_val_t
s_bool (bool b)
{
    return (s_val_t) { V_BOOL, NULL, 0, b, NULL };
}

static s_val_t
s_list (const char *const *list, size_t n)
{
    return (s_val_t) { V_LIST, NULL, n, 0, list };
}

/*  Pack values[] (declaration order, head first) as the event's map. A
 *  value whose kind does not fit its declared type is a programming error:
 *  abort rather than publish something the table does not describe. Free
 *  text is scrubbed with `who`'s own name and numbers too (NULL: the
 *  general rules only). */
static void
s_pack (msgpack_sbuffer *buf, int event, const s_val_t *values, size_t nvalues,
        const customer_t *who)
{
    const events_decl_t *decl = &s_events [event];
    size_t n = s_nfields (decl);
    if (nvalues != n)
        abort ();
    size_t present = 0;
    for (size_t i = 0; i < n; i++)
        if (values [i].kind != V_ABSENT || s_field (decl, i)->presence != EVENTS_OPTIONAL)
            present++;
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, present);
    for (size_t i = 0; i < n; i++) {
        const events_field_t *f = s_field (decl, i);
        const s_val_t *v = &values [i];
        if (v->kind == V_ABSENT && f->presence == EVENTS_OPTIONAL)
            continue;
        proto_pack_cstr (&pk, f->name);
        bool fits = v->kind == V_ABSENT
                 || (v->kind == V_STR && f->type == EVENTS_STR)
                 || (v->kind == V_INT && f->type == EVENTS_INT)
                 || (v->kind == V_BOOL && f->type == EVENTS_BOOL)
                 || (v->kind == V_LIST && f->type == EVENTS_STR_LIST)
                 || (v->kind == V_DEFERRED && i == n - 1);
        if (!fits)
            abort ();
        switch (v->kind) {
            case V_ABSENT:
                msgpack_pack_nil (&pk);
                break;
            case V_STR:
                if (f->privacy == EVENTS_FREE_TEXT && v->len) {
                    /* the scrubbed copy has its own length (NFKC, masks):
                     * the raw bytes never reach the buffer; out of memory,
                     * the text is withheld, never published raw */
                    size_t len = 0;
                    char *clean = privacy_scrub (v->s, v->len, who, &len);
                    const char *text = clean ? clean : PRIVACY_MASK;
                    len = clean ? len : strlen (PRIVACY_MASK);
                    msgpack_pack_str (&pk, len);
                    msgpack_pack_str_body (&pk, text, len);
                    free (clean);
                }
                else {
                    msgpack_pack_str (&pk, v->len);
                    msgpack_pack_str_body (&pk, v->s, v->len);
                }
                break;
            case V_INT:
                msgpack_pack_int64 (&pk, v->i);
                break;
            case V_BOOL:
                if (v->i)
                    msgpack_pack_true (&pk);
                else
                    msgpack_pack_false (&pk);
                break;
            case V_LIST:
                msgpack_pack_array (&pk, v->len);
                for (size_t k = 0; k < v->len; k++)
                    proto_pack_cstr (&pk, v->list [k]);
                break;
            case V_DEFERRED:
                break;          /* the caller appends the value */
        }
    }
}

#define PACK(buf, event, ...) do { \
        const s_val_t values_ [] = { __VA_ARGS__ }; \
        s_pack (buf, event, values_, N (values_), NULL); \
    } while (0)

/* The same for an event whose free text is about a known person. */
#define PACK_ABOUT(buf, event, who, ...) do { \
        const s_val_t values_ [] = { __VA_ARGS__ }; \
        s_pack (buf, event, values_, N (values_), who); \
    } while (0)

//  --------------------------------------------------------------------------
//  Packers

void
events_complaint_received (msgpack_sbuffer *buf, const events_received_t *r)
{
    s_val_t at = r->received_at == EVENTS_AT_FROM_STORE
               ? (s_val_t) { V_DEFERRED, NULL, 0, 0, NULL } : s_int (r->received_at);
    PACK_ABOUT (buf, E_RECEIVED, r->identity, s_strn (r->channel), s_str (r->customer),
          s_strn (r->subject),
          s_strn (r->body), s_strn (r->demand), s_strn (r->branch), s_strn (r->product),
          s_strn (r->category), s_str (r->amount), s_str (r->lang),
          s_bool (r->narrative_consent), s_str (r->referral_source), at);
}

void
events_complaint_assigned (msgpack_sbuffer *buf, const events_assigned_t *a)
{
    PACK (buf, E_ASSIGNED, s_str (a->department), s_str (a->handler),
          s_list (a->cooperating, a->ncooperating), s_str (a->outlet), s_str (a->business_line),
          s_str (a->cause),
          s_str (a->jrt_channel), s_str (a->jrt_business), s_str (a->jrt_cause),
          s_int (a->priority), s_list (a->flags, a->nflags), s_bool (a->major),
          s_bool (a->unroutable), s_str (a->rule), s_str (a->router), s_int (a->version));
}

void
events_complaint_major (msgpack_sbuffer *buf, int priority, const char *const *flags,
                        size_t nflags, const char *department, const char *business_line,
                        const char *cause, const char *reason)
{
    PACK (buf, E_MAJOR, s_int (priority), s_list (flags, nflags), s_str (department),
          s_str (business_line), s_str (cause), s_str (reason));
}

void
events_complaint_cooperation_requested (msgpack_sbuffer *buf, const char *department,
                                        const char *lead_department, const char *rule)
{
    PACK (buf, E_COOPERATION, s_str (department), s_str (lead_department), s_str (rule));
}

#define ACTION_HEAD(name, a) s_str (name), s_str ((a)->actor), s_str ((a)->actor_role), \
    s_str ((a)->from), s_str ((a)->state), s_int ((a)->version)

void
events_complaint_accepted (msgpack_sbuffer *buf, const events_action_t *a, const char *handler)
{
    PACK (buf, E_ACCEPTED, ACTION_HEAD ("accept", a), s_str (handler));
}

void
events_complaint_investigating (msgpack_sbuffer *buf, const events_action_t *a)
{
    PACK (buf, E_INVESTIGATING, ACTION_HEAD ("investigate", a));
}

void
events_complaint_noted (msgpack_sbuffer *buf, const events_action_t *a)
{
    PACK (buf, E_NOTED, ACTION_HEAD ("note", a));
}

void
events_complaint_info_requested (msgpack_sbuffer *buf, const events_action_t *a)
{
    PACK (buf, E_INFO_REQUESTED, ACTION_HEAD ("request_info", a));
}

void
events_complaint_customer_replied (msgpack_sbuffer *buf, const events_action_t *a)
{
    PACK (buf, E_CUSTOMER_REPLIED, ACTION_HEAD ("customer_replied", a));
}

void
events_complaint_resolved (msgpack_sbuffer *buf, const events_action_t *a, const char *action,
                           const char *outcome, const char *amount,
                           const char *const *outcomes, size_t noutcomes)
{
    /* an amount above zero was granted (issue 16: monetary if any outcome
     * has one); "0" and "0.00" grant nothing */
    bool granted = amount && strspn (amount, "0.") != strlen (amount);
    PACK (buf, E_RESOLVED, ACTION_HEAD (action ? action : "resolve", a), s_str (outcome),
          s_str (lifecycle_decision_cfpb (outcome, granted)), s_str (amount),
          noutcomes ? s_list (outcomes, noutcomes) : s_str (NULL));
}

/* issue 16 (i16-vetting) */
void
events_complaint_proposed (msgpack_sbuffer *buf, const events_action_t *a,
                           const char *const *outcomes, size_t noutcomes, const char *amount,
                           bool vetted)
{
    PACK (buf, E_PROPOSED, ACTION_HEAD ("propose", a), s_list (outcomes, noutcomes),
          s_str (amount), s_bool (vetted));
}

void
events_complaint_proposal_returned (msgpack_sbuffer *buf, const events_action_t *a,
                                    const char *reason, const char *handler)
{
    PACK (buf, E_PROPOSAL_RETURNED, ACTION_HEAD ("return", a), s_str (reason), s_str (handler));
}

void
events_complaint_feedback (msgpack_sbuffer *buf, const events_action_t *a, bool satisfied)
{
    PACK (buf, E_FEEDBACK, ACTION_HEAD ("feedback", a), s_bool (satisfied));
}

void
events_complaint_review_requested (msgpack_sbuffer *buf, const events_action_t *a,
                                   const char *department, const char *from_department,
                                   const char *handler)
{
    PACK (buf, E_REVIEW_REQUESTED, ACTION_HEAD ("review", a), s_str (department),
          s_str (from_department), s_str (handler));
}

void
events_complaint_reopened (msgpack_sbuffer *buf, const events_action_t *a,
                           const char *department, const char *handler)
{
    PACK (buf, E_REOPENED, ACTION_HEAD ("reopen", a), s_str (department), s_str (handler));
}

void
events_complaint_closed (msgpack_sbuffer *buf, const events_action_t *a, const char *reason)
{
    PACK (buf, E_CLOSED, ACTION_HEAD ("close", a), s_str (reason));
}

void
events_complaint_transferred (msgpack_sbuffer *buf, const events_action_t *a,
                              const char *department, const char *from_department,
                              const char *handler)
{
    PACK (buf, E_TRANSFERRED, ACTION_HEAD ("transfer", a), s_str (department),
          s_str (from_department), s_str (handler));
}

void
events_complaint_escalated (msgpack_sbuffer *buf, const events_action_t *a, const char *level,
                            const char *department, const char *from_department,
                            const char *handler)
{
    PACK (buf, E_ESCALATED, ACTION_HEAD ("escalate", a), s_str (level), s_str (department),
          s_str (from_department), s_str (handler));
}

void
events_complaint_rejected (msgpack_sbuffer *buf, const events_action_t *a, const char *reason,
                           const char *duplicate_of)
{
    PACK (buf, E_REJECTED, ACTION_HEAD ("reject", a), s_str (reason), s_str (duplicate_of));
}

void
events_complaint_withdrawn (msgpack_sbuffer *buf, const events_action_t *a)
{
    PACK (buf, E_WITHDRAWN, ACTION_HEAD ("withdraw", a));
}

void
events_complaint_extended (msgpack_sbuffer *buf, const events_action_t *a, const char *stage,
                           int64_t step, const char *adds, const char *approver)
{
    PACK (buf, E_EXTENDED, ACTION_HEAD ("extend", a), s_str (stage), s_int (step), s_str (adds),
          s_str (approver));
}

void
events_complaint_contacted (msgpack_sbuffer *buf, const events_action_t *a, const char *via)
{
    PACK (buf, E_CONTACTED, ACTION_HEAD ("contact", a), s_str (via));
}

void
events_complaint_marked_complex (msgpack_sbuffer *buf, const events_action_t *a)
{
    PACK (buf, E_MARKED_COMPLEX, ACTION_HEAD ("mark_complex", a));
}

void
events_complaint_appraisal_started (msgpack_sbuffer *buf, const events_action_t *a,
                                    const char *kind)
{
    PACK (buf, E_APPRAISAL_STARTED, ACTION_HEAD ("appraisal_start", a), s_str (kind));
}

void
events_complaint_appraisal_ended (msgpack_sbuffer *buf, const events_action_t *a,
                                  const char *kind)
{
    PACK (buf, E_APPRAISAL_ENDED, ACTION_HEAD ("appraisal_end", a), s_str (kind));
}

void
events_complaint_new_material (msgpack_sbuffer *buf, const events_action_t *a)
{
    PACK (buf, E_NEW_MATERIAL, ACTION_HEAD ("new_material", a));
}

void
events_complaint_referrer_replied (msgpack_sbuffer *buf, const events_action_t *a,
                                    const char *referral_source, const char *referrer_ticket)
{
    PACK (buf, E_REFERRER_REPLIED, ACTION_HEAD ("reply_referrer", a), s_str (referral_source),
          s_str (referrer_ticket));
}

void
events_complaint_merged (msgpack_sbuffer *buf, const events_action_t *a, const char *merged_into)
{
    PACK (buf, E_MERGED, ACTION_HEAD ("merge", a), s_str (merged_into));
}

#define SLA_HEAD(h) s_str ((h)->complaint_no), s_str ((h)->stage), s_int ((h)->round), \
    s_str ((h)->department), s_str ((h)->handler), \
    (h)->priority > 0 ? s_int ((h)->priority) : s_str (NULL)

void
events_sla_reminder (msgpack_sbuffer *buf, const events_sla_t *h, const char *step,
                     int64_t percent, int64_t due_at, int64_t remaining_ms)
{
    PACK (buf, E_SLA_REMINDER, SLA_HEAD (h), s_str (step), s_int (percent), s_int (due_at),
          s_int (remaining_ms));
}

void
events_sla_breached (msgpack_sbuffer *buf, const events_sla_t *h, int64_t due_at,
                     const char *allowance, int64_t extensions)
{
    PACK (buf, E_SLA_BREACHED, SLA_HEAD (h), s_int (due_at), s_str (allowance),
          s_int (extensions));
}

void
events_sla_escalated (msgpack_sbuffer *buf, const events_sla_t *h, int64_t tier,
                      const char *const *to, size_t nto, int64_t due_at, int64_t overdue_ms)
{
    PACK (buf, E_SLA_ESCALATED, SLA_HEAD (h), s_int (tier), s_list (to, nto), s_int (due_at),
          s_int (overdue_ms));
}

void
events_sla_extended (msgpack_sbuffer *buf, const events_sla_t *h, int64_t step,
                     const char *adds, int64_t previous_due_at, int64_t due_at,
                     const char *approver)
{
    PACK (buf, E_SLA_EXTENDED, SLA_HEAD (h), s_int (step), s_str (adds),
          s_int (previous_due_at), s_int (due_at), s_str (approver));
}

void
events_sla_met (msgpack_sbuffer *buf, const events_sla_t *h, int64_t due_at, int64_t met_at,
                bool late, int64_t paused_ms)
{
    PACK (buf, E_SLA_MET, SLA_HEAD (h), s_int (due_at), s_int (met_at), s_bool (late),
          s_int (paused_ms));
}

void
events_sla_deadline_moved (msgpack_sbuffer *buf, const events_sla_t *h,
                           int64_t previous_due_at, int64_t due_at, bool provisional)
{
    PACK (buf, E_SLA_DEADLINE_MOVED, SLA_HEAD (h), s_int (previous_due_at), s_int (due_at),
          s_bool (provisional));
}

void
events_sla_restarted (msgpack_sbuffer *buf, const events_sla_t *h, const char *cause,
                      int64_t started_at, int64_t due_at)
{
    PACK (buf, E_SLA_RESTARTED, SLA_HEAD (h), s_str (cause), s_int (started_at),
          s_int (due_at));
}

#define NOTE_HEAD(n) s_int ((n)->id), s_int ((n)->event_seq), s_str ((n)->channel), \
    s_str ((n)->recipient_kind), s_int ((n)->attempts)

void
events_notification_sent (msgpack_sbuffer *buf, const events_notification_t *n)
{
    PACK (buf, E_N_SENT, NOTE_HEAD (n));
}

void
events_notification_failed (msgpack_sbuffer *buf, const events_notification_t *n,
                            const char *error, const customer_t *recipient)
{
    PACK_ABOUT (buf, E_N_FAILED, recipient, NOTE_HEAD (n), s_str (error));
}

void
events_notification_dead (msgpack_sbuffer *buf, const events_notification_t *n,
                          const char *error, const customer_t *recipient)
{
    PACK_ABOUT (buf, E_N_DEAD, recipient, NOTE_HEAD (n), s_str (error));
}

void
events_notification_suppressed (msgpack_sbuffer *buf, const events_notification_t *n,
                                const char *reason)
{
    PACK (buf, E_N_SUPPRESSED, NOTE_HEAD (n), s_str (reason));
}

void
events_notification_retried (msgpack_sbuffer *buf, const events_notification_t *n,
                             const char *by)
{
    PACK (buf, E_N_RETRIED, NOTE_HEAD (n), s_str (by));
}

#define HOTSPOT_HEAD(h) s_str ((h)->kind), s_str ((h)->rule), s_str ((h)->branch), \
    s_str ((h)->cause), s_str ((h)->business_line), s_str ((h)->customer)

void
events_analytics_hotspot (msgpack_sbuffer *buf, const events_hotspot_t *h, int64_t count,
                          const char *window, int64_t first_at, int64_t last_at,
                          const char *const *samples, size_t nsamples, int64_t threshold,
                          const char *baseline, int64_t baseline_days, const char *p_value,
                          int64_t opened_at)
{
    //  The validator refuses a list longer than EVENTS_MAX_LIST: keep the
    //  first (latest) ones rather than pack what no consumer would accept.
    if (nsamples > EVENTS_MAX_LIST)
        nsamples = EVENTS_MAX_LIST;
    PACK (buf, E_HOTSPOT, HOTSPOT_HEAD (h), s_int (count), s_str (window), s_int (first_at),
          s_int (last_at), s_list (samples, nsamples), s_int (threshold), s_str (baseline),
          baseline ? s_int (baseline_days) : s_str (NULL), s_str (p_value), s_int (opened_at));
}

void
events_analytics_hotspot_cleared (msgpack_sbuffer *buf, const events_hotspot_t *h,
                                  int64_t count, const char *window, int64_t opened_at,
                                  int64_t cleared_at, const char *reason)
{
    PACK (buf, E_HOTSPOT_CLEARED, HOTSPOT_HEAD (h), s_int (count), s_str (window),
          s_int (opened_at), s_int (cleared_at), s_str (reason));
}

void
events_complaint_evidence_added (msgpack_sbuffer *buf, const events_evidence_t *e)
{
    PACK (buf, E_EVIDENCE_ADDED, s_int (e->seq), s_str (e->kind), s_str (e->media_type),
          s_int (e->size), s_str (e->actor), s_str (e->actor_role), s_int (e->version));
}

/* issue 16 (i16-records) */
void
events_complaint_anonymised (msgpack_sbuffer *buf, const events_anonymised_t *a)
{
    PACK (buf, E_ANONYMISED, s_int (a->closed_at), s_int (a->retention_years),
          s_int (a->evidence_erased), s_int (a->actions_scrubbed), s_int (a->messages_erased),
          s_str (a->actor), s_int (a->version));
}

/* issue 16 (i16-mailev) */
void
events_complaint_evidence_refused (msgpack_sbuffer *buf, const events_evidence_t *e,
                                   const char *reason)
{
    PACK (buf, E_EVIDENCE_REFUSED, s_int (e->seq), s_str (e->kind), s_str (e->media_type),
          s_int (e->size), s_str (reason), s_str (e->actor), s_str (e->actor_role),
          s_int (e->version));
}

/* issue 16 (i16-tasks) */
void
events_complaint_task_given (msgpack_sbuffer *buf, const events_action_t *a, int64_t task,
                             const char *department, int64_t due_at)
{
    PACK (buf, E_TASK_GIVEN, ACTION_HEAD ("task_give", a), s_int (task), s_str (department),
          s_int (due_at));
}

void
events_complaint_task_replied (msgpack_sbuffer *buf, const events_action_t *a, int64_t task,
                               const char *department)
{
    PACK (buf, E_TASK_REPLIED, ACTION_HEAD ("task_reply", a), s_int (task), s_str (department));
}

void
events_complaint_task_chased (msgpack_sbuffer *buf, const events_action_t *a, int64_t task,
                              const char *department)
{
    PACK (buf, E_TASK_CHASED, ACTION_HEAD ("task_chase", a), s_int (task), s_str (department));
}

void
events_complaint_task_closed (msgpack_sbuffer *buf, const events_action_t *a, int64_t task,
                              const char *department)
{
    PACK (buf, E_TASK_CLOSED, ACTION_HEAD ("task_close", a), s_int (task), s_str (department));
}

void
events_complaint_rectification_opened (msgpack_sbuffer *buf, const events_action_t *a,
                                       int64_t task, const char *department, const char *owner,
                                       int64_t due_at)
{
    PACK (buf, E_RECTIFICATION_OPENED, ACTION_HEAD ("rectify", a), s_int (task),
          s_str (department), s_str (owner), s_int (due_at));
}

#define TASK_CLOCK(t) s_int ((t)->task), s_str ((t)->kind), s_str ((t)->complaint_no), \
    s_str ((t)->department), s_str ((t)->lead_department), s_str ((t)->owner), \
    s_int ((t)->due_at)

void
events_task_due_soon (msgpack_sbuffer *buf, const events_task_t *t)
{
    PACK (buf, E_TASK_DUE_SOON, TASK_CLOCK (t));
}

void
events_task_overdue (msgpack_sbuffer *buf, const events_task_t *t)
{
    PACK (buf, E_TASK_OVERDUE, TASK_CLOCK (t));
}

static void
s_rectification_pack (msgpack_sbuffer *buf, int event, const events_rectification_t *r)
{
    PACK (buf, event, s_int (r->task), s_str (r->branch), s_str (r->owner),
          s_str (r->complaint_no), s_str (r->rule), s_int (r->due_at), s_str (r->actor));
}

void
events_rectification_opened (msgpack_sbuffer *buf, const events_rectification_t *r)
{
    s_rectification_pack (buf, E_RECT_OPENED, r);
}

void
events_rectification_done (msgpack_sbuffer *buf, const events_rectification_t *r)
{
    s_rectification_pack (buf, E_RECT_DONE, r);
}

void
events_rectification_due_soon (msgpack_sbuffer *buf, const events_rectification_t *r)
{
    s_rectification_pack (buf, E_RECT_DUE_SOON, r);
}

void
events_rectification_overdue (msgpack_sbuffer *buf, const events_rectification_t *r)
{
    s_rectification_pack (buf, E_RECT_OVERDUE, r);
}

void
events_accountability_opened (msgpack_sbuffer *buf, const events_accountability_t *a)
{
    PACK (buf, E_ACC_OPENED, s_int (a->item), s_str (a->trigger), s_str (a->branch),
          s_str (a->complaint_no), s_str (a->hotspot), s_str (a->outcome), s_str (a->actor));
}

void
events_accountability_decided (msgpack_sbuffer *buf, const events_accountability_t *a)
{
    PACK (buf, E_ACC_DECIDED, s_int (a->item), s_str (a->trigger), s_str (a->branch),
          s_str (a->complaint_no), s_str (a->hotspot), s_str (a->outcome), s_str (a->actor));
}

/* issue 16 (i16-followup) */
void
events_complaint_callback_attempted (msgpack_sbuffer *buf, const events_action_t *a,
                                     const char *result, int satisfied, int64_t score)
{
    PACK (buf, E_CALLBACK_ATTEMPTED, ACTION_HEAD ("callback", a), s_str (result),
          satisfied >= 0 ? s_bool (satisfied == 1) : s_str (NULL),
          score > 0 ? s_int (score) : s_str (NULL));
}

void
events_complaint_survey_answered (msgpack_sbuffer *buf, int64_t score, const char *channel)
{
    PACK (buf, E_SURVEY_ANSWERED, s_int (score), s_str (channel));
}

void
events_complaint_determined (msgpack_sbuffer *buf, const events_action_t *a,
                             const char *determination)
{
    PACK (buf, E_DETERMINED, ACTION_HEAD ("determine", a), s_str (determination));
}

//  --------------------------------------------------------------------------
//  Validation

#define S_MAX_DEPTH 3           /* data map, an array in it, its strings */

static bool
s_is_pseudonym (const msgpack_object_str *s)
{
    if (s->size != PRIVACY_PSEUDONYM_SIZE - 1)
        return false;
    for (uint32_t i = 0; i < s->size; i++) {
        char c = s->ptr [i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* Free text on the stream must already be scrubbed: scrubbing it again
 * (the general rules: the validator does not know the customer) changes
 * nothing. The packers' output always passes: privacy_scrub's result is a
 * fixed point, and the customer's own rules only add masks. */
static bool
s_is_scrubbed (const msgpack_object_str *s)
{
    if (s->size == 0)
        return true;
    size_t len = 0;
    char *again = privacy_scrub (s->ptr, s->size, NULL, &len);
    bool same = again && len == s->size && memcmp (again, s->ptr, len) == 0;
    free (again);
    return same;
}

static int
s_check_value (const events_field_t *f, const msgpack_object *v, char *path,
               proto_error_t *err)
{
    switch (f->type) {
        case EVENTS_STR:
            if (v->type != MSGPACK_OBJECT_STR)
                break;
            if (!proto_utf8_valid (v->via.str.ptr, v->via.str.size)) {
                proto_error_set (err, PROTO_E_INVALID_UTF8, path, "%s is not UTF-8", path);
                return -1;
            }
            if (f->privacy == EVENTS_IDENTITY && !s_is_pseudonym (&v->via.str)) {
                proto_error_set (err, PROTO_E_INVALID_FIELD, path,
                                 "%s must be a keyed pseudonym (32 lowercase hex), never the "
                                 "identity itself", path);
                return -1;
            }
            if (f->privacy == EVENTS_FREE_TEXT && !s_is_scrubbed (&v->via.str)) {
                proto_error_set (err, PROTO_E_INVALID_FIELD, path,
                                 "%s is free text that is not scrubbed (a number or an e-mail "
                                 "address in clear)", path);
                return -1;
            }
            return 0;
        case EVENTS_INT:
            if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER
            ||  (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX))
                return 0;
            break;
        case EVENTS_BOOL:
            if (v->type == MSGPACK_OBJECT_BOOLEAN)
                return 0;
            break;
        case EVENTS_STR_LIST:
            if (v->type != MSGPACK_OBJECT_ARRAY)
                break;
            if (v->via.array.size > EVENTS_MAX_LIST) {
                proto_error_set (err, PROTO_E_TOO_LARGE, path, "%s has more than %d elements",
                                 path, EVENTS_MAX_LIST);
                return -1;
            }
            for (uint32_t k = 0; k < v->via.array.size; k++) {
                const msgpack_object *e = &v->via.array.ptr [k];
                if (e->type != MSGPACK_OBJECT_STR
                ||  !proto_utf8_valid (e->via.str.ptr, e->via.str.size)) {
                    proto_error_set (err, PROTO_E_WRONG_TYPE, path,
                                     "%s must hold UTF-8 strings only", path);
                    return -1;
                }
            }
            return 0;
    }
    proto_error_set (err, PROTO_E_WRONG_TYPE, path, "%s must be %s", path,
                     events_type_name (f->type));
    return -1;
}

int
events_check_object (const char *type, size_t type_len, const msgpack_object *data,
                     proto_error_t *err)
{
    const events_decl_t *decl = s_find (type, type_len);
    if (!decl) {
        proto_error_set (err, PROTO_E_UNKNOWN_OP, "type",
                         "no event of type %.*s is declared (proto/events.c)",
                         (int) (type_len > 80 ? 80 : type_len), type);
        return -1;
    }
    if (!data || data->type != MSGPACK_OBJECT_MAP) {
        proto_error_set (err, PROTO_E_NOT_A_MAP, "data", "%s: data must be a map", decl->name);
        return -1;
    }
    size_t n = s_nfields (decl);
    bool seen [EVENTS_MAX_FIELDS] = { false };
    const msgpack_object_map *map = &data->via.map;
    /* more keys than declared: the loop meets an undeclared or repeated one
     * within n + 1 keys, so the work is bounded by the declaration */
    for (uint32_t k = 0; k < map->size; k++) {
        const msgpack_object *key = &map->ptr [k].key;
        if (key->type != MSGPACK_OBJECT_STR) {
            proto_error_set (err, PROTO_E_MALFORMED, "data", "%s: a key is not a string",
                             decl->name);
            return -1;
        }
        size_t i = 0;
        while (i < n && !(strlen (s_field (decl, i)->name) == key->via.str.size
                          && memcmp (s_field (decl, i)->name, key->via.str.ptr,
                                     key->via.str.size) == 0))
            i++;
        char path [64];
        snprintf (path, sizeof path, "data.%.*s",
                  (int) (key->via.str.size > 50 ? 50 : key->via.str.size), key->via.str.ptr);
        if (i == n) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, path,
                             "%s: %s is not declared for this event", decl->name, path);
            return -1;
        }
        if (seen [i]) {
            proto_error_set (err, PROTO_E_INVALID_FIELD, path, "%s: %s appears twice",
                             decl->name, path);
            return -1;
        }
        seen [i] = true;
        const events_field_t *f = s_field (decl, i);
        const msgpack_object *v = &map->ptr [k].val;
        if (v->type == MSGPACK_OBJECT_NIL) {
            if (f->presence == EVENTS_REQUIRED) {
                proto_error_set (err, PROTO_E_MISSING_FIELD, path, "%s: %s is required, got nil",
                                 decl->name, path);
                return -1;
            }
            continue;
        }
        if (s_check_value (f, v, path, err))
            return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!seen [i] && s_field (decl, i)->presence == EVENTS_REQUIRED) {
            char path [64];
            snprintf (path, sizeof path, "data.%s", s_field (decl, i)->name);
            proto_error_set (err, PROTO_E_MISSING_FIELD, path, "%s: %s is required",
                             decl->name, path);
            return -1;
        }
    return 0;
}

int
events_check (const char *type, const void *data, size_t size, proto_error_t *err)
{
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    int rc = proto_unpack (data, size, EVENT_MAX_SIZE, S_MAX_DEPTH, &msg, err);
    if (rc == 0)
        rc = events_check_object (type, strlen (type), &msg.data, err);
    msgpack_unpacked_destroy (&msg);
    return rc;
}

//  --------------------------------------------------------------------------
//  PROTOCOL.md

static void
s_print_fields (FILE *out, const events_field_t *fields, size_t n)
{
    fprintf (out, "| key | type | presence | class | meaning |\n");
    fprintf (out, "| --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < n; i++)
        fprintf (out, "| `%s` | %s | %s | %s | %s |\n", fields [i].name,
                 events_type_name (fields [i].type), events_presence_name (fields [i].presence),
                 events_class_name (fields [i].privacy), fields [i].meaning);
}

void
events_print_markdown (FILE *out)
{
    fprintf (out,
        "<!-- BEGIN events: printed by `complaintctl events --markdown` from"
        " proto/events.c; tests/integration/events_doc.sh fails when they differ -->\n"
        "\n"
        "#### Payloads\n"
        "\n"
        "Every event's `data`, as declared in `proto/events.c` and packed by one\n"
        "function per event. Presence: *required* (never nil), *nullable* (always\n"
        "there, nil when unknown), *optional* (left out when not given). Class:\n"
        "*plain*; *free text* (scrubbed: numbers of seven or more digits in any\n"
        "grouping or width, e-mail addresses and the customer's own name and\n"
        "numbers each replaced by `XXXX`, docs/security.md); *identity* (the\n"
        "customer's keyed pseudonym, never an identifier). No other key appears.\n");
    for (size_t h = 0; h < H_COUNT; h++) {
        fprintf (out, "\n##### Head `%s`\n\nFirst in %s:\n\n", s_heads [h].name,
                 s_heads [h].summary);
        s_print_fields (out, s_heads [h].fields, s_heads [h].nfields);
    }
    for (size_t e = 0; e < E_COUNT; e++) {
        const events_decl_t *d = &s_events [e];
        /* summaries are phrases; a sentence in the page starts with a capital */
        fprintf (out, "\n##### `%s` (%s)\n\n%c%s", d->name, d->producer,
                 toupper ((unsigned char) d->summary [0]), d->summary + 1);
        if (d->caseless)
            fprintf (out, " (about no single case: the envelope's `complaint_no` is nil)");
        if (d->head && d->nfields == 0)
            fprintf (out, ". The `%s` head only.\n", d->head->name);
        else {
            if (d->head)
                fprintf (out, ". The `%s` head, then:\n\n", d->head->name);
            else
                fprintf (out, ".\n\n");
            s_print_fields (out, d->fields, d->nfields);
        }
    }
    fprintf (out, "\n<!-- END events -->\n");
}

//  --------------------------------------------------------------------------
//  Self-test

/* Holds under NDEBUG too: a self-test that checks nothing is no test. */
#define S_EXPECT(cond) do { \
        if (!(cond)) { \
            fprintf (stderr, "events_test: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort (); \
        } \
    } while (0)

/* Pack one event, check it against the declaration, and decode it. */
static void
s_verify (const char *type, msgpack_sbuffer *buf, msgpack_unpacked *msg)
{
    proto_error_t err = { 0 };
    int rc = events_check (type, buf->data, buf->size, &err);
    if (rc)
        fprintf (stderr, "events_test: %s: %s: %s\n", type, err.field, err.message);
    S_EXPECT (rc == 0);
    msgpack_unpacked_destroy (msg);
    msgpack_unpacked_init (msg);
    S_EXPECT (proto_unpack (buf->data, buf->size, EVENT_MAX_SIZE, S_MAX_DEPTH, msg, &err) == 0);
}

static bool
s_has_str (const msgpack_object *map, const char *key, const char *want)
{
    proto_str_t s;
    proto_error_t err;
    return proto_get_str (map, key, key, true, 0, 1024, &s, &err) == 0
        && (want ? proto_str_eq (s, want) : s.ptr == NULL);
}

static void
s_expect_refused (const char *type, msgpack_sbuffer *buf, const char *code, const char *field)
{
    proto_error_t err = { 0 };
    S_EXPECT (events_check (type, buf->data, buf->size, &err) == -1);
    if (strcmp (err.code, code) != 0 || (field && strcmp (err.field, field) != 0))
        fprintf (stderr, "events_test: %s refused as %s %s: %s\n", type, err.code, err.field,
                 err.message);
    S_EXPECT (strcmp (err.code, code) == 0);
    S_EXPECT (!field || strcmp (err.field, field) == 0);
}

void
events_test (bool verbose)
{
    printf (" * events: ");
    //  The table: unique names, known producers, no identity key in clear,
    //  every head and event small enough for the validator.
    static const char *const identity_keys [] = {
        "name", "phone", "email", "account", "id_no", "customer_name", "customer_phone",
        "customer_email", "customer_account", "customer_id_no", "address", "text", NULL
    };
    static const char *const producers [] = {
        "intake", "router", "watchdog", "notifier", "complaintctl", "analytics", NULL
    };
    for (size_t e = 0; e < E_COUNT; e++) {
        const events_decl_t *d = &s_events [e];
        S_EXPECT (events_find (d->name) == d);
        S_EXPECT (s_nfields (d) <= EVENTS_MAX_FIELDS);
        bool known = false;
        for (size_t p = 0; producers [p]; p++)
            known |= strcmp (producers [p], d->producer) == 0;
        S_EXPECT (known);
        for (size_t i = 0; i < s_nfields (d); i++) {
            const events_field_t *f = s_field (d, i);
            for (size_t k = 0; identity_keys [k]; k++)
                S_EXPECT (strcmp (f->name, identity_keys [k]) != 0);
            for (size_t j = 0; j < i; j++)
                S_EXPECT (strcmp (f->name, s_field (d, j)->name) != 0);
            S_EXPECT (f->privacy != EVENTS_IDENTITY || f->type == EVENTS_STR);
        }
    }
    S_EXPECT (events_find ("complaint.nonsense") == NULL);
    S_EXPECT (events_find (NULL) == NULL);

    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    size_t packed = 0;
#define S_BEGIN() (msgpack_sbuffer_clear (&buf), packed++)

    //  complaint.received: free text scrubbed by the packer; and the
    //  deferred received_at that intake's statement completes.
    const char *body = "卡号 6222 0212 3456 7890 扣费，电话 13812345678，zhang@example.com";
    events_received_t r = {
        { "hotline", 7 }, "45db60af30e8adf3f661da481c70bad3", { "年费", strlen ("年费") },
        { body, strlen (body) }, { NULL, 0 }, { "上海分行", strlen ("上海分行") },
        { "信用卡", strlen ("信用卡") }, { NULL, 0 }, "300.00", "zh", true, NULL,
        1795438798831LL, NULL
    };
    S_BEGIN ();
    events_complaint_received (&buf, &r);
    s_verify ("complaint.received", &buf, &msg);
    S_EXPECT (!memmem (buf.data, buf.size, "13812345678", 11));
    S_EXPECT (!memmem (buf.data, buf.size, "zhang", 5));
    S_EXPECT (!memmem (buf.data, buf.size, "6222", 4));
    S_EXPECT (proto_map_get (&msg.data, "demand")->type == MSGPACK_OBJECT_NIL);
    S_EXPECT (!proto_map_get (&msg.data, "referral_source"));     /* came directly */
    r.referral_source = "association";
    S_BEGIN ();
    events_complaint_received (&buf, &r);
    s_verify ("complaint.received", &buf, &msg);
    S_EXPECT (proto_map_get (&msg.data, "referral_source")
              && proto_map_get (&msg.data, "referral_source")->type == MSGPACK_OBJECT_STR);
    r.referral_source = NULL;
    //  the customer's own name, and a full-width phone, with the identity
    customer_t who = { 0 };
    who.name = (proto_str_t) { "张三", strlen ("张三") };
    const char *own = "我是张　三，电话１３９１２３４５６７８";
    r.body = (proto_str_t) { own, strlen (own) };
    r.identity = &who;
    S_BEGIN ();
    events_complaint_received (&buf, &r);
    s_verify ("complaint.received", &buf, &msg);
    S_EXPECT (!memmem (buf.data, buf.size, "张", strlen ("张")));
    S_EXPECT (!memmem (buf.data, buf.size, "１３９", strlen ("１３９")));
    S_EXPECT (memmem (buf.data, buf.size, "我是XXXX，电话XXXX", strlen ("我是XXXX，电话XXXX")));
    r.identity = NULL;
    r.body = (proto_str_t) { body, strlen (body) };
    r.received_at = EVENTS_AT_FROM_STORE;
    S_BEGIN ();
    events_complaint_received (&buf, &r);
    static const unsigned char at [9] = { 0xd3, 0, 0, 0x01, 0xa2, 0x0b, 0x5c, 0x8e, 0xef };
    msgpack_sbuffer_write (&buf, (const char *) at, sizeof at);
    s_verify ("complaint.received", &buf, &msg);
    r.customer = "13812345678";
    r.received_at = 1795438798831LL;
    S_BEGIN ();
    events_complaint_received (&buf, &r);
    s_expect_refused ("complaint.received", &buf, PROTO_E_INVALID_FIELD, "data.customer");

    //  The router's.
    const char *coop [] = { "retail_banking" }, *flags [] = { "repeat", "vulnerable" };
    events_assigned_t a = {
        "card_center", NULL, coop, 1, "credit_card", "fees", "01", NULL, "0201", 2, flags, 2,
        true, false, "rules.conf:12", "host:1:abc", 2, NULL
    };
    S_BEGIN ();
    events_complaint_assigned (&buf, &a);
    s_verify ("complaint.assigned", &buf, &msg);
    S_EXPECT (!proto_map_get (&msg.data, "handler"));      /* optional: left out */
    a.handler = "zhang.wei";
    S_BEGIN ();
    events_complaint_assigned (&buf, &a);
    s_verify ("complaint.assigned", &buf, &msg);
    S_EXPECT (s_has_str (&msg.data, "handler", "zhang.wei"));
    S_EXPECT (proto_map_get (&msg.data, "outlet")->type == MSGPACK_OBJECT_NIL);
    a.outlet = "outlet_bj_haidian";
    S_BEGIN ();
    events_complaint_assigned (&buf, &a);
    s_verify ("complaint.assigned", &buf, &msg);
    S_EXPECT (s_has_str (&msg.data, "outlet", "outlet_bj_haidian"));
    S_BEGIN ();
    events_complaint_major (&buf, 1, flags, 2, "card_center", "credit_card", "fees",
                            "priority.conf:30");
    s_verify ("complaint.major", &buf, &msg);
    S_BEGIN ();
    events_complaint_cooperation_requested (&buf, "retail_banking", "card_center",
                                            "rules.conf:40");
    s_verify ("complaint.cooperation_requested", &buf, &msg);

    //  Every staff action: declared, and packed with its own action name.
    events_action_t act = { "zhang.wei", "handler", "investigating", "resolved", 7 };
    size_t nactions;
    const lifecycle_action_t *actions = lifecycle_actions (&nactions);
    for (size_t i = 0; i < nactions; i++) {
        const char *type = actions [i].event;
        const events_decl_t *d = events_find (type);
        S_EXPECT (d && d->head == &s_heads [H_ACTION] && strcmp (d->producer, "intake") == 0);
        S_BEGIN ();
        switch ((int) (d - s_events)) {
            case E_ACCEPTED: events_complaint_accepted (&buf, &act, "zhang.wei"); break;
            case E_INVESTIGATING: events_complaint_investigating (&buf, &act); break;
            case E_NOTED: events_complaint_noted (&buf, &act); break;
            case E_INFO_REQUESTED: events_complaint_info_requested (&buf, &act); break;
            case E_CUSTOMER_REPLIED: events_complaint_customer_replied (&buf, &act); break;
            case E_RESOLVED:
                events_complaint_resolved (&buf, &act, actions [i].name, "refund", "300.00",
                                           NULL, 0);
                break;
            case E_PROPOSED: {       /* issue 16 (i16-vetting) */
                const char *const kinds [] = { "refund", "apology" };
                events_complaint_proposed (&buf, &act, kinds, 2, "300.00", true);
                break;
            }
            case E_PROPOSAL_RETURNED:
                events_complaint_proposal_returned (&buf, &act, "answer_unclear", "zhang.wei");
                break;
            case E_FEEDBACK: events_complaint_feedback (&buf, &act, true); break;
            case E_REVIEW_REQUESTED:
                events_complaint_review_requested (&buf, &act, "branch_bj", "outlet_bj_haidian",
                                                   NULL);
                break;
            case E_REOPENED: events_complaint_reopened (&buf, &act, NULL, NULL); break;
            case E_CLOSED: events_complaint_closed (&buf, &act, "satisfied"); break;
            case E_TRANSFERRED:
                events_complaint_transferred (&buf, &act, "retail_banking", "card_center", NULL);
                break;
            case E_ESCALATED:
                events_complaint_escalated (&buf, &act, "head_office", "complaint_office",
                                            "card_center", "yang_lei");
                break;
            case E_EXTENDED:
                events_complaint_extended (&buf, &act, "resolution", 1, "15d", "supervisor");
                break;
            case E_REJECTED: events_complaint_rejected (&buf, &act, "duplicate", NULL); break;
            case E_WITHDRAWN: events_complaint_withdrawn (&buf, &act); break;
            case E_CONTACTED: events_complaint_contacted (&buf, &act, "phone"); break;
            case E_MARKED_COMPLEX: events_complaint_marked_complex (&buf, &act); break;
            case E_APPRAISAL_STARTED:
                events_complaint_appraisal_started (&buf, &act, "testing");
                break;
            case E_APPRAISAL_ENDED:
                events_complaint_appraisal_ended (&buf, &act, "testing");
                break;
            case E_NEW_MATERIAL: events_complaint_new_material (&buf, &act); break;
            case E_REFERRER_REPLIED:
                events_complaint_referrer_replied (&buf, &act, "regulator", "12378-2026-0042");
                break;
            case E_MERGED: events_complaint_merged (&buf, &act, "C20260302000001"); break;
            /* issue 16 (i16-tasks) */
            case E_TASK_GIVEN:
                events_complaint_task_given (&buf, &act, 12, "card_center", 1795438798831LL);
                break;
            case E_TASK_REPLIED: events_complaint_task_replied (&buf, &act, 12, "card_center");
                break;
            case E_TASK_CHASED: events_complaint_task_chased (&buf, &act, 12, "card_center");
                break;
            case E_TASK_CLOSED: events_complaint_task_closed (&buf, &act, 12, "card_center");
                break;
            case E_RECTIFICATION_OPENED:
                events_complaint_rectification_opened (&buf, &act, 13, "branch_bj", NULL,
                                                       1795438798831LL);
                break;
            /* issue 16 (i16-followup) */
            case E_CALLBACK_ATTEMPTED:
                events_complaint_callback_attempted (&buf, &act, "reached", 0, 2);
                break;
            case E_DETERMINED: events_complaint_determined (&buf, &act, "valid"); break;
            default: S_EXPECT (!"an action event without a packer");
        }
        s_verify (type, &buf, &msg);
        S_EXPECT (s_has_str (&msg.data, "action", actions [i].name));
    }
    S_BEGIN ();
    events_complaint_resolved (&buf, &act, NULL, "explanation", NULL, NULL, 0);
    s_verify ("complaint.resolved", &buf, &msg);
    S_EXPECT (s_has_str (&msg.data, "cfpb_response", "Closed with explanation"));
    S_EXPECT (!proto_map_get (&msg.data, "amount"));

    //  The watchdog's.
    events_sla_t h = { "202611230000013", "resolution", 0, "card_center", NULL, 0 };
    const char *to [] = { "supervisor", "department_head" };
    S_BEGIN ();
    events_sla_reminder (&buf, &h, "remind:80", 80, 1795438798831LL, 3600000);
    s_verify ("sla.reminder", &buf, &msg);
    S_EXPECT (proto_map_get (&msg.data, "priority")->type == MSGPACK_OBJECT_NIL);
    h.priority = 2;
    S_BEGIN ();
    events_sla_breached (&buf, &h, 1795438798831LL, "15d", 0);
    s_verify ("sla.breached", &buf, &msg);
    S_BEGIN ();
    events_sla_escalated (&buf, &h, 1, to, 2, 1795438798831LL, 60000);
    s_verify ("sla.escalated", &buf, &msg);
    S_BEGIN ();
    events_sla_extended (&buf, &h, 1, "15d", 1795438798831LL, 1796734798831LL, NULL);
    s_verify ("sla.extended", &buf, &msg);
    S_BEGIN ();
    events_sla_met (&buf, &h, 1795438798831LL, 1795438000000LL, false, 0);
    s_verify ("sla.met", &buf, &msg);
    S_BEGIN ();
    events_sla_deadline_moved (&buf, &h, 1795438798831LL, 1795525198831LL, false);
    s_verify ("sla.deadline_moved", &buf, &msg);
    S_BEGIN ();
    events_sla_restarted (&buf, &h, "new_material", 1795438798831LL, 1796734798831LL);
    s_verify ("sla.restarted", &buf, &msg);
    S_EXPECT (s_has_str (&msg.data, "cause", "new_material"));

    //  The notifier's and complaintctl's; a transport error is free text.
    events_notification_t n = { 12, 345, "email", "customer", 1 };
    S_BEGIN ();
    events_notification_sent (&buf, &n);
    s_verify ("notification.sent", &buf, &msg);
    S_BEGIN ();
    events_notification_failed (&buf, &n, "550 5.1.1 <zhang@example.com>: unknown", NULL);
    s_verify ("notification.failed", &buf, &msg);
    S_EXPECT (!memmem (buf.data, buf.size, "zhang", 5));
    //  a gateway that echoes the recipient's number in another form
    customer_t gw_to = { 0 };
    gw_to.phone = (proto_str_t) { "+8613912345678", 14 };
    S_BEGIN ();
    events_notification_dead (&buf, &n, "HTTP 400 {\"to\":\"139~1234~5678\"}", &gw_to);
    s_verify ("notification.dead", &buf, &msg);
    S_EXPECT (!memmem (buf.data, buf.size, "1234", 4));
    S_BEGIN ();
    events_notification_dead (&buf, &n, "HTTP 400", NULL);
    s_verify ("notification.dead", &buf, &msg);
    S_BEGIN ();
    events_notification_suppressed (&buf, &n, "opted out of sms");
    s_verify ("notification.suppressed", &buf, &msg);
    S_BEGIN ();
    events_notification_retried (&buf, &n, "ops.li");
    s_verify ("notification.retried", &buf, &msg);

    //  Analytics' hot spots: dimensions not grouped by are nil, the repeat
    //  customer only as a pseudonym, samples bounded.
    const char *samples [EVENTS_MAX_LIST + 2];
    for (size_t i = 0; i < N (samples); i++)
        samples [i] = "202611230000013";
    events_hotspot_t hs = { "outlet", "outlet_30d", "outlet_bj_haidian", "service_attitude",
                            NULL, NULL };
    S_BEGIN ();
    events_analytics_hotspot (&buf, &hs, 3, "30d", 1795438798831LL, 1795538798831LL, samples, 3,
                              3, NULL, 0, NULL, 1795538798900LL);
    s_verify ("analytics.hotspot", &buf, &msg);
    S_EXPECT (proto_map_get (&msg.data, "business_line")->type == MSGPACK_OBJECT_NIL);
    S_EXPECT (proto_map_get (&msg.data, "p_value")->type == MSGPACK_OBJECT_NIL);
    S_EXPECT (!proto_map_get (&msg.data, "customer"));
    S_EXPECT (proto_map_get (&msg.data, "samples")->via.array.size == 3);
    hs = (events_hotspot_t) { "surge", "surge_cause", NULL, "fees", NULL, NULL };
    S_BEGIN ();
    events_analytics_hotspot (&buf, &hs, 10, "1d", 1795438798831LL, 1795538798831LL, samples,
                              N (samples), 5, "2.00", 28, "4.65e-05", 1795538798900LL);
    s_verify ("analytics.hotspot", &buf, &msg);
    S_EXPECT (proto_map_get (&msg.data, "samples")->via.array.size == EVENTS_MAX_LIST);
    S_EXPECT (s_has_str (&msg.data, "p_value", "4.65e-05"));
    hs = (events_hotspot_t) { "repeat_customer", "repeat_90d", NULL, NULL, NULL,
                              "45db60af30e8adf3f661da481c70bad3" };
    S_BEGIN ();
    events_analytics_hotspot_cleared (&buf, &hs, 1, "90d", 1795438798831LL, 1795538798831LL,
                                      "cooled");
    s_verify ("analytics.hotspot_cleared", &buf, &msg);
    S_EXPECT (s_has_str (&msg.data, "customer", "45db60af30e8adf3f661da481c70bad3"));
    hs.customer = "13812345678";
    S_BEGIN ();
    events_analytics_hotspot_cleared (&buf, &hs, 1, "90d", 1795438798831LL, 1795538798831LL,
                                      "rule_removed");
    s_expect_refused ("analytics.hotspot_cleared", &buf, PROTO_E_INVALID_FIELD, "data.customer");
    S_EXPECT (events_find ("analytics.hotspot")->caseless
              && !events_find ("complaint.received")->caseless);
    events_evidence_t ev = { 2, "document", "application/pdf", 48213, "zhang.wei", "handler", 8 };
    S_BEGIN ();
    events_complaint_evidence_added (&buf, &ev);
    s_verify ("complaint.evidence_added", &buf, &msg);
    S_BEGIN ();                                     /* issue 16 (i16-followup) */
    events_complaint_survey_answered (&buf, 4, "callback");
    s_verify ("complaint.survey_answered", &buf, &msg);
    S_EXPECT (!proto_map_get (&msg.data, "name"));
    /* issue 16 (i16-records) */
    events_anonymised_t an = { 1606000000000LL, 5, 2, 7, 3, "li_na", 12 };
    S_BEGIN ();
    events_complaint_anonymised (&buf, &an);
    s_verify ("complaint.anonymised", &buf, &msg);
    /* issue 16 (i16-mailev) */
    S_BEGIN ();
    events_complaint_evidence_refused (&buf, &ev, "case_bytes");
    s_verify ("complaint.evidence_refused", &buf, &msg);
    /* issue 16 (i16-tasks): the watchdog's task clock events */
    events_task_t tk = { 12, "task", "C20260302000001", "card_center", "outlet_bj_haidian",
                         NULL, 1795438798831LL };
    S_BEGIN ();
    events_task_due_soon (&buf, &tk);
    s_verify ("task.due_soon", &buf, &msg);
    tk.complaint_no = NULL;
    tk.kind = "rectification";
    S_BEGIN ();
    events_task_overdue (&buf, &tk);
    s_verify ("task.overdue", &buf, &msg);
    events_rectification_t rc = { .task = 13, .branch = "outlet_bj_haidian",
                                  .rule = "outlet_cause", .due_at = 1795438798831LL,
                                  .actor = "li_na" };
    S_BEGIN ();
    events_rectification_opened (&buf, &rc);
    s_verify ("rectification.opened", &buf, &msg);
    S_BEGIN ();
    events_rectification_done (&buf, &rc);
    s_verify ("rectification.done", &buf, &msg);
    rc.actor = NULL;
    S_BEGIN ();
    events_rectification_due_soon (&buf, &rc);
    s_verify ("rectification.due_soon", &buf, &msg);
    S_BEGIN ();
    events_rectification_overdue (&buf, &rc);
    s_verify ("rectification.overdue", &buf, &msg);
    S_EXPECT (events_find ("rectification.overdue")->caseless);
    events_accountability_t ac = { .item = 3, .trigger = "referral_unaccepted",
                                   .branch = "outlet_bj_haidian",
                                   .complaint_no = "202611230000427" };
    S_BEGIN ();
    events_accountability_opened (&buf, &ac);
    s_verify ("accountability.opened", &buf, &msg);
    ac.outcome = "warning";
    ac.actor = "deng_hao";
    S_BEGIN ();
    events_accountability_decided (&buf, &ac);
    s_verify ("accountability.decided", &buf, &msg);
    S_EXPECT (packed >= E_COUNT);

    //  The validator refuses what the table does not describe.
    msgpack_packer pk;
    S_BEGIN ();
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 0);
    s_expect_refused ("complaint.surprise", &buf, PROTO_E_UNKNOWN_OP, "type");
    s_expect_refused ("notification.sent", &buf, PROTO_E_MISSING_FIELD, "data.id");
    S_BEGIN ();
    events_notification_retried (&buf, &n, "ops.li");
    s_expect_refused ("notification.sent", &buf, PROTO_E_INVALID_FIELD, "data.by");
    S_BEGIN ();                                 /* a wrong type */
    msgpack_pack_map (&pk, 3);
    proto_pack_kv_cstr (&pk, "department", "a");
    proto_pack_kv_cstr (&pk, "lead_department", "b");
    proto_pack_kv_int (&pk, "rule", 3);
    s_expect_refused ("complaint.cooperation_requested", &buf, PROTO_E_WRONG_TYPE, "data.rule");
    S_BEGIN ();                                 /* a key twice */
    msgpack_pack_map (&pk, 3);
    proto_pack_kv_cstr (&pk, "department", "a");
    proto_pack_kv_cstr (&pk, "department", "b");
    proto_pack_kv_cstr (&pk, "rule", "c");
    s_expect_refused ("complaint.cooperation_requested", &buf, PROTO_E_INVALID_FIELD,
                      "data.department");
    S_BEGIN ();                                 /* free text in clear */
    msgpack_pack_map (&pk, 6);
    proto_pack_kv_int (&pk, "id", 1);
    proto_pack_kv_int (&pk, "event_seq", 1);
    proto_pack_kv_cstr (&pk, "channel", "sms");
    proto_pack_kv_cstr (&pk, "recipient_kind", "customer");
    proto_pack_kv_int (&pk, "attempts", 1);
    proto_pack_kv_cstr (&pk, "error", "no route to 13812345678");
    s_expect_refused ("notification.dead", &buf, PROTO_E_INVALID_FIELD, "data.error");
    S_BEGIN ();                                 /* not a map, truncated */
    msgpack_pack_array (&pk, 0);
    s_expect_refused ("notification.sent", &buf, PROTO_E_NOT_A_MAP, "data");
    S_BEGIN ();
    events_notification_sent (&buf, &n);
    proto_error_t err;
    S_EXPECT (events_check ("notification.sent", buf.data, buf.size - 1, &err) == -1);

    //  The printed tables name every event.
    char *text = NULL;
    size_t text_size = 0;
    FILE *out = open_memstream (&text, &text_size);
    S_EXPECT (out);
    events_print_markdown (out);
    fclose (out);
    for (size_t e = 0; e < E_COUNT; e++) {
        char heading [96];
        snprintf (heading, sizeof heading, "##### `%s` (%s)", s_events [e].name,
                  s_events [e].producer);
        S_EXPECT (strstr (text, heading));
    }
    free (text);

    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);
    if (verbose)
        printf ("%zu event types, %zu payloads packed and checked ", (size_t) E_COUNT, packed);
    printf ("OK\n");
}
