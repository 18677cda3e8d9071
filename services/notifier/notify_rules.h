/*  notify_rules.h — what is sent to whom: deploy/notify/rules.conf and the
 *  templates deploy/notify/templates/EVENT.LANG.txt (see notify_rules.c).
 */
#ifndef NOTIFY_RULES_H_INCLUDED
#define NOTIFY_RULES_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

typedef enum {
    NOTIFY_CUSTOMER, NOTIFY_HANDLER, NOTIFY_SUPERVISOR, NOTIFY_DEPARTMENT_HEAD,
    NOTIFY_COMPLAINT_OFFICE, NOTIFY_MANAGEMENT, NOTIFY_KINDS
} notify_kind_t;

#define NOTIFY_CH_EMAIL  1
#define NOTIFY_CH_INBOX  2

typedef struct {
    char file [256];
    int line;                       /* 0: the file as a whole */
    char reason [200];
} notify_error_t;

typedef struct notify_rules_t notify_rules_t;

typedef struct {
    char type [64];                 /* event type */
    unsigned kinds;                 /* 1 << notify_kind_t */
    bool escalation;                /* the kinds are the event's data.to */
    unsigned channels;              /* NOTIFY_CH_* */
} notify_rule_t;

/* Load the rules and every template they need; NULL with err set (file, line,
 * reason) on any mistake, unknown placeholders included. */
notify_rules_t *notify_rules_load (const char *rules_path, const char *templates_dir,
                                   notify_error_t *err);
void notify_rules_destroy (notify_rules_t **self_p);
const char *notify_rules_summary (notify_rules_t *self);

/* The rule for an event type, or NULL (the notifier ignores the event). */
const notify_rule_t *notify_rules_find (notify_rules_t *self, const char *type);

/* Render the event type's template in lang ("zh"/"en"; anything else: zh)
 * with fields (name -> char *; a missing one renders as "-"). Returns 0 with
 * *subject and *body freshly allocated, or -1. */
int notify_rules_render (notify_rules_t *self, const char *type, const char *lang,
                         zhash_t *fields, char **subject, char **body);

const char *notify_kind_name (notify_kind_t kind);
int notify_kind_parse (const char *name);      /* -1 when unknown */

int notify_rules_test (bool verbose, const char *rules_path, const char *templates_dir,
                       int *passed);

#endif
