/*  case_retention.h — the retention period: a closed case's customer
 *  identity erased, the case kept anonymised (issue 16 §3, seed
 *  000_78ccecd39905920f.txt "存档备查"; deploy/migrations/048_retention.sql,
 *  docs/records.md).
 *
 *  The period is the bank's choice (intake --retention-years, default 5:
 *  the record-keeping term Chinese banking rules most often set for
 *  complaint files; a bank sets its own), counted from closure (for a
 *  rejected or withdrawn case, from its last action).
 *
 *  intake `retention_run` (the complaint office; complaintctl retention
 *  run [--dry-run]), an operator's command that cron or a systemd timer
 *  repeats (nothing is lost by running it late: a case is only kept a
 *  little longer):
 *
 *      the token -> the complaint office               else forbidden
 *      the candidates: final, not anonymised, closed before now - period
 *      (the store's clock, app_now ()), by id, at most `limit`
 *      dry_run: the list, nothing written
 *      else for each, its own transaction:
 *          SELECT the case ... FOR NO KEY UPDATE; still a candidate?
 *          (another run, a reopening: skipped, not an error)
 *          open the identity (case_scrub.h) to scrub with it
 *          SET LOCAL complaints.retention = 'on'   (048's triggers)
 *          UPDATE complaint: identity, hashes, query code NULL; subject,
 *              body, demand scrubbed; ref 'anonymised:<id>';
 *              anonymised_at, version + 1
 *          UPDATE case_action: each action's details, every string scrubbed
 *          UPDATE evidence: bytes deleted, name scrubbed, erased_at (an
 *              e-mail attachment's source 'anonymised:<seq>')
 *          issue 16's later parts (case_retention_texts.h): customer_text,
 *              staff_concerned, incident_place with the complaint row;
 *              outcome texts, tasks' asked/reply, the survey comment, the
 *              accountability note scrubbed; evidence_part deleted
 *          notification_erase_identity (the notifier's interface, 047)
 *          INSERT case_action (action `anonymise`: what was erased)
 *          INSERT outbox (complaint.anonymised: counts and times, no text)
 *          COMMIT
 *  Idempotent: an anonymised case is no candidate; running twice erases
 *  nothing more. One case failing (its identity does not open) is logged
 *  and counted, and the others go on.
 *
 *  Interface:
 *      case_retention_run   run one retention_run; the reply is packed
 */
#ifndef CASE_RETENTION_H_INCLUDED
#define CASE_RETENTION_H_INCLUDED

#include "case_view.h"
#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

/* {"ok":true,"dry_run","retention_years","cutoff","cases":[{complaint_no,
 * closed_at, anonymised}],"anonymised":N,"failed":N}, or an error. */
int case_retention_run (pg_session_t *pg, const case_view_cfg_t *cfg,
                        const retention_run_t *req, msgpack_sbuffer *reply);

#endif
