/*  notify_owner.c — who owns an SLA clock, for the `clock_owner` recipient
 *  kind of deploy/notify/rules.conf (issue 16 follow-up, watchdog2).
 *
 *  Why. The watchdog's reminders (sla.reminder) went to the case's handler
 *  for every stage, the call-back's too; but the call-back (回访) is the
 *  complaint office's task (policy.conf, docs/followup.md: the office
 *  calls the customer after the decision), so its reminder to the handler
 *  reached someone who cannot act on it. A rule cannot filter a type's
 *  events to different recipients without a second rule and renamed
 *  templates, so the owner is a recipient kind, resolved per event from
 *  its data.stage: one rule, the templates unchanged.
 *
 *  The notification rows carry the kind it resolved to (complaint_office or
 *  handler), so the recipient_kind CHECK and every reader stay as they
 *  were.
 */
#include "notify_rules.h"

#include <string.h>

const char *
notify_clock_owner (const char *stage)
{
    return stage && strcmp (stage, "callback") == 0 ? "complaint_office" : "handler";
}
