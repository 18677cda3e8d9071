/*  case_evidence_sweep.h — parts of an e-mail attachment that never became
 *  whole, recorded as not kept (issue 16 follow-up, adapters2; migration
 *  054; docs/adapters.md "Parts that never become whole").
 *
 *  The mail adapter sends an attachment in parts (case_evidence_part.h);
 *  intake keeps them in evidence_part until the part that completes the
 *  item. If the rest never comes, the parts would wait there until the
 *  retention — bytes no one sees, and an attachment the staff never hear
 *  of. So one of intake's writers sweeps, every --evidence-sweep-s, each
 *  item whose LAST part is older than --evidence-part-hours (store clock,
 *  app_now ()): per item, one transaction, as a refused part is recorded:
 *
 *      BEGIN
 *      SELECT the case ... FOR NO KEY UPDATE
 *      the item's parts still there and still stale?     no: nothing (a part
 *                                                        came meanwhile, or
 *                                                        another writer swept)
 *      INSERT evidence: refused "incomplete: ...", the name, type, declared
 *        size and SHA-256 the parts carried (NULL on parts from before 054:
 *        "(unnamed)", application/octet-stream, the bytes held, the hash of
 *        the bytes held), no bytes
 *      DELETE the parts
 *      version + 1, audit row 'evidence' (actor intake, role system),
 *      complaint.evidence_refused (reason incomplete)
 *      COMMIT
 *
 *  A part of the item arriving after the sweep is answered as a duplicate
 *  of the refused row (case_evidence_part.c's "seen" check: the source),
 *  never stored again.
 *
 *  Interface:
 *      case_evidence_sweep     one sweep: the items swept, or -1 (the store)
 */
#ifndef CASE_EVIDENCE_SWEEP_H_INCLUDED
#define CASE_EVIDENCE_SWEEP_H_INCLUDED

#include "pg_session.h"

/* Items swept per run at most: a backlog is taken over several runs, so
 * the writer is back to requests quickly. */
#define CASE_EVIDENCE_SWEEP_LIMIT 50

/* Sweep the items whose last part is older than max_age_hours. Returns
 * the number swept, or -1 when the store failed (logged). */
int case_evidence_sweep (pg_session_t *pg, long max_age_hours);

#endif
