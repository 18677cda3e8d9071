/*  case_evidence_part.h — an e-mail attachment kept with its case, sent by
 *  the mail adapter in parts (issue 16 §3; deploy/migrations/
 *  035_evidence_parts.sql; PROTOCOL.md "evidence_add from the mail
 *  adapter"; docs/adapters.md "Attachments: evidence").
 *
 *  Why parts. The adapter accepts an attachment of up to 8 MiB; an intake
 *  request is at most 256 KiB (the frame limit that bounds every peer's
 *  hold on intake's memory). Raising the frame limit for one op would
 *  raise it for every peer; so an item travels as parts of at most
 *  REQUEST_EVIDENCE_MAX_BYTES, each its own bounded, idempotent request,
 *  and the store joins them.
 *
 *  One part, on a batch writer's store session, as one transaction (the
 *  request loop has already checked that the sender is an adapter key
 *  whose channels include `email`):
 *
 *      BEGIN
 *      SELECT the case ... FOR NO KEY UPDATE               else not_found
 *      the item already on the case (its source, or the
 *      same sha256 under the same name)?                   answer it again,
 *                                                          "duplicate", write nothing
 *      may the case keep it?  the adapter kept it (else
 *      adapter_limit: a request with `refused`, no bytes),
 *      open (else case_finished),
 *      size <= EVIDENCE_MAX_ITEM_BYTES (item_too_large),
 *      items < EVIDENCE_MAX_ITEMS (case_items), bytes +
 *      size <= EVIDENCE_MAX_CASE_BYTES (case_bytes)        else a refused row:
 *                                                          evidence (no bytes, `refused`),
 *                                                          its parts deleted, version + 1,
 *                                                          audit, complaint.evidence_refused
 *      INSERT evidence_part ON CONFLICT DO NOTHING         (a part sent twice: a no-op)
 *      the parts cover `size`?                             no: COMMIT, "complete":false
 *      join them by offset; length and SHA-256 are the
 *      declared ones?                                      else a refused row (hash_mismatch)
 *      INSERT evidence (the joined bytes), DELETE the parts,
 *      version + 1, audit row, complaint.evidence_added
 *      COMMIT, and only then the reply.
 *
 *  A part that is not the last changes nothing anyone sees (no version, no
 *  event): the item appears whole or not at all.
 *
 *  Interface:
 *      case_evidence_part_add   one part; the reply is packed
 *      case_evidence_item_refuse   a refused row for an item and the rest
 *                               (its parts gone, case_evidence_item_done):
 *                               a part's own refusal and the sweep's
 *                               (case_evidence_sweep.c), one spelling
 */
#ifndef CASE_EVIDENCE_PART_H_INCLUDED
#define CASE_EVIDENCE_PART_H_INCLUDED

#include "case_evidence.h"
#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

/* One e-mail attachment: what the mail adapter accepts (its
 * --max-attachment default), so the limit that refuses is the case's. */
#define EVIDENCE_MAX_ITEM_BYTES  (8 * 1024 * 1024)

/* actor: the adapter certificate's name. Packs {"ok":true, "complaint_no",
 * "source", "size", "received", "complete", "seq"?, "sha256", "refused"?,
 * "version"?, "duplicate"?} or an error; 0, or -1 on an error reply. */
int case_evidence_part_add (pg_session_t *pg, const char *actor, const evidence_add_t *add,
                            msgpack_sbuffer *reply);

/* The refused row (no bytes), unless the same item is on the case already
 * (*written false: only its parts deleted); then its parts deleted and
 * case_evidence_item_done. 0, or -1 with err. */
int case_evidence_item_refuse (pg_session_t *pg, const case_evidence_item_t *item,
                               bool *written, int64_t *new_version, proto_error_t *err);

#endif
