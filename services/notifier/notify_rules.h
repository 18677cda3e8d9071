/*  notify_rules.h — what is sent to whom, over which channels:
 *  deploy/notify/rules.conf and the templates deploy/notify/templates/ (see
 *  notify_rules.c).
 */
#ifndef NOTIFY_RULES_H_INCLUDED
#define NOTIFY_RULES_H_INCLUDED

#include "template.h"
#include <czmq.h>
#include <stdbool.h>

typedef enum {
    NOTIFY_CUSTOMER, NOTIFY_HANDLER, NOTIFY_SUPERVISOR, NOTIFY_DEPARTMENT_HEAD,
    NOTIFY_COMPLAINT_OFFICE, NOTIFY_MANAGEMENT,
    NOTIFY_TASK_DEPARTMENT,         /* issue 16 (i16-tasks): staff of data.department */
    /* issue 16 follow-up (watchdog2): whose clock an SLA event's stage is —
     * the complaint office for a call-back (回访 is its task), the case's
     * handler for every other stage */
    NOTIFY_CLOCK_OWNER,
    NOTIFY_PROPOSER,                /* issue 16 follow-up (vetting2): the proposal's author */
    NOTIFY_KINDS
} notify_kind_t;

typedef enum {
    NOTIFY_EMAIL, NOTIFY_INBOX, NOTIFY_SMS, NOTIFY_PUSH, NOTIFY_CHANNELS
} notify_channel_t;

#define NOTIFY_MAX_GROUPS 4

typedef struct _notify_rules_t notify_rules_t;

/* One rule: every group of channels is sent; within a group the first
 * alternative the recipient can receive is used ("email|sms": e-mail, else
 * SMS). */
typedef struct {
    char type [64];                 /* event type */
    unsigned kinds;                 /* 1 << notify_kind_t */
    bool escalation;                /* the kinds are also the event's data.to */
    bool urgent;                    /* quiet hours do not hold it back */
    int groups;
    int alternatives [NOTIFY_MAX_GROUPS];
    notify_channel_t group [NOTIFY_MAX_GROUPS][NOTIFY_CHANNELS];
    unsigned channels;              /* 1 << notify_channel_t, every group's */
    //  told (issue 15): `stage=resolution[,review]` — only events whose
    //  data.stage is one of these (1 << index in notify_rules_stage_name);
    //  0: any. The recipients as written name the templates of a type with
    //  more than one rule (EVENT_TYPE.RECIPIENTS.zh.txt).
    unsigned stages;
    char recipients [64];
} notify_rule_t;

/* Load the rules and every template they need; NULL with err set (file, line,
 * reason) on any mistake, unknown placeholders included. */
notify_rules_t *notify_rules_load (const char *rules_path, const char *templates_dir,
                                   conf_error_t *err);
void notify_rules_destroy (notify_rules_t **self_p);
const char *notify_rules_summary (notify_rules_t *self);

/* The (first) rule for an event type, or NULL (the notifier ignores the
 * event); notify_rules_next: the type's next rule after rule, or NULL. A type
 * may have several rules, each to other recipients. */
const notify_rule_t *notify_rules_find (notify_rules_t *self, const char *type);
const notify_rule_t *notify_rules_next (notify_rules_t *self, const notify_rule_t *rule);

/* Does the rule take an event of this stage (data.stage; NULL: none)? A
 * rule without a stage filter takes every event of its type. */
bool notify_rule_takes_stage (const notify_rule_t *rule, const char *stage);

/* Every event type a rule names, as a PostgreSQL array literal
 * ('{"complaint.received",...}'), for the store to filter by. */
const char *notify_rules_types (notify_rules_t *self);

/* The quiet hours ("21:00", "08:00") and the channels (1 << channel) they
 * hold back; false when rules.conf has no `quiet` line. */
bool notify_rules_quiet (notify_rules_t *self, const char **from, const char **to,
                         unsigned *channels);

/* Render the event type's template for a channel (the short form for sms and
 * push) in lang ("en"; anything else: zh) with fields (name -> char *; a
 * missing one renders as "-"). Returns 0 with *subject and *body freshly
 * allocated, or -1 (no rule for the type). */
int notify_rules_render (notify_rules_t *self, const char *type, const char *lang,
                         notify_channel_t channel, zhash_t *fields, char **subject,
                         char **body);
/* The same with one rule's templates (a type with several rules has a set
 * per rule). */
int notify_rules_render_rule (notify_rules_t *self, const notify_rule_t *rule,
                              const char *lang, notify_channel_t channel, zhash_t *fields,
                              char **subject, char **body);

const char *notify_kind_name (notify_kind_t kind);
int notify_kind_parse (const char *name);      /* -1 when unknown */
/* issue 16 follow-up (watchdog2; notify_owner.c): the kind that owns an SLA
 * event's stage, for a `clock_owner` rule: "complaint_office" for callback,
 * "handler" for any other stage (or none). */
const char *notify_clock_owner (const char *stage);
const char *notify_channel_name (notify_channel_t channel);
int notify_channel_parse (const char *name);   /* -1 when unknown */

int notify_rules_test (bool verbose, const char *rules_path, const char *templates_dir,
                       int *passed);

#endif
