/*  case_file.h — a closed case's whole file, for the archive (存档备查,
 *  seed 000_78ccecd39905920f.txt; issue 16 §3; docs/records.md).
 *
 *  intake `casefile`, on a batch writer's store session:
 *
 *      the token -> an active member of staff        else unauthenticated
 *      BEGIN
 *      SELECT the case ... FOR NO KEY UPDATE          else not_found
 *      the case is in their scope (staff_auth.h)      else forbidden
 *      complaint office or manager; or the case's
 *      own handler                                    else forbidden (token)
 *      the case is final (closed, rejected,
 *      withdrawn: lifecycle_state_open false)         else invalid_transition
 *      INSERT case_action (action `casefile`: "exported by", the case's
 *                          state and version unchanged)
 *      COMMIT
 *      the staff view (case_view_staff) with two more keys:
 *          messages   the notifier's rows for the case, through its
 *                     interface notification_casefile (migration 047)
 *          exported   {by, role, at} of the row just written
 *
 *  The export is written down before the file is read, so the file's own
 *  audit trail ends with the row that says who exported it. It changes
 *  nothing of the case (no version, no event): an export is a reading, as
 *  a `get` is, only one that must leave a trace.
 *
 *  The file is data (msgpack; JSON in complaintctl): complaintctl renders
 *  it as a print-ready HTML document (services/complaintctl/casefile_doc.c),
 *  with every time in the bank's zone.
 *
 *  Interface:
 *      case_file_export    run one casefile; the reply is packed
 */
#ifndef CASE_FILE_H_INCLUDED
#define CASE_FILE_H_INCLUDED

#include "case_view.h"
#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

/* 0 with the file packed; -1 with an error reply (nothing written). */
int case_file_export (pg_session_t *pg, const case_view_cfg_t *cfg, const casefile_t *req,
                      msgpack_sbuffer *reply);

#endif
