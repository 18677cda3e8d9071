/*  case_retention_texts.h — the retention's second half: the free text
 *  and documents that issue 16's later parts store beside the case
 *  (docs/records.md "What the retention erases").
 *
 *  case_retention.c erases the identity and scrubs the complaint's own
 *  texts and the audit trail; the vetting, the tasks, the follow-up and
 *  the accountability register each added rows of their own that hold
 *  the customer's words or staff text quoting them. These are scrubbed
 *  here, in the same per-case transaction, with the same customer
 *  (case_scrub.h), so that an anonymised case has no copy of the
 *  customer's identifiers left anywhere intake owns:
 *
 *      complaint_outcome.text            vetting: each outcome's line
 *      case_task.asked, reply            tasks and rectification items
 *      survey.comment                    the customer's own comment
 *      accountability_item.outcome_note  the manager's note
 *      evidence_part                     parts of an attachment never joined:
 *                                        the customer's bytes, deleted
 *
 *  The complaint's own new columns (customer_text, staff_concerned,
 *  incident_place) are scrubbed with subject, body and demand in
 *  case_retention.c's UPDATE of the complaint row.
 *
 *  Interface:
 *      case_retention_texts   scrub the rows above; counts what changed
 */
#ifndef CASE_RETENTION_TEXTS_H_INCLUDED
#define CASE_RETENTION_TEXTS_H_INCLUDED

#include "case_scrub.h"
#include "pg_session.h"

typedef struct {
    int texts_scrubbed;     /* rows whose text changed */
    int parts_deleted;      /* evidence_part rows */
} case_retention_texts_t;

/* id: complaint.id; complaint_no for the log. 0, or -1 with err set (the
 * caller's transaction rolls back). */
int case_retention_texts (pg_session_t *pg, const case_scrub_t *scrub, const char *id,
                          const char *complaint_no, case_retention_texts_t *counts,
                          proto_error_t *err);

#endif
