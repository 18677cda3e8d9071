/*  case_evidence.h — a case's evidence: intake's `evidence_add` and
 *  `evidence_get`, and the list the staff view shows (issue 16 §3;
 *  deploy/migrations/034_evidence.sql, PROTOCOL.md "evidence").
 *
 *  evidence_add, on a batch writer's store session, as one transaction:
 *
 *      BEGIN
 *      the token -> an active member of staff             else unauthenticated
 *      their role may `note` (the lifecycle's note row)     else forbidden
 *      SELECT the case ... FOR NO KEY UPDATE                else not_found
 *      the case is in their scope (staff_auth.h; a
 *      cooperating department too, as for a note)           else forbidden
 *      the case is open (note's states)                     else invalid_transition
 *      sha256 (content, or the reference's text) by intake
 *      the same (sha256, name) on the case already?         answer it again,
 *                                                           "duplicate", write nothing
 *      the case's items < EVIDENCE_MAX_ITEMS and its bytes
 *      + this item's <= EVIDENCE_MAX_CASE_BYTES            else too_large (content)
 *      INSERT evidence (seq = the case's last + 1: the row lock serialises it)
 *      UPDATE complaint (version + 1: the case changed, as for a note)
 *      INSERT case_action (action `evidence`; details: seq, kind, name,
 *                          media type, size, sha256, reference — never the bytes)
 *      INSERT outbox (complaint.evidence_added: seq, kind, media type, size,
 *                     who — never the name)
 *      COMMIT, and only then the reply.
 *
 *  evidence_get: the same token and scope rule as the staff `get`, then
 *  the one item with its bytes (a recording_ref: its reference).
 *
 *  Interface:
 *      case_evidence_add    run one evidence_add; the reply is packed
 *      case_evidence_get    one item's bytes, or an error
 *      case_evidence_list_read / _pack   the case's items (metadata only),
 *                           for case_view's staff `get`
 */
#ifndef CASE_EVIDENCE_H_INCLUDED
#define CASE_EVIDENCE_H_INCLUDED

#include "lifecycle.h"
#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

/* What one case may hold: bytes of content (a recording's reference counts
 * nothing) and items. Bounded so that the case's evidence is a few
 * database pages of TOAST, not an archive, and the staff view's list stays
 * small. */
#define EVIDENCE_MAX_CASE_BYTES  (10 * 1024 * 1024)
#define EVIDENCE_MAX_ITEMS       100

/* Each packs its reply, success or error, into reply: 0 on success (a
 * duplicate included), -1 on an error reply. */
int case_evidence_add (pg_session_t *pg, const evidence_add_t *add, msgpack_sbuffer *reply);
int case_evidence_get (pg_session_t *pg, const evidence_get_t *get, msgpack_sbuffer *reply);

/* An item of evidence as its row is written, inside the caller's
 * transaction with the case locked: a staff upload, an e-mail attachment
 * kept or refused (case_evidence_part.c). name, source and reference may
 * be unterminated (their lengths given); the rest are C strings, source
 * and reference NULL when the item has none. uploader is the row's (the
 * adapter's key for an attachment); actor and actor_role the audit row's
 * and the event's (the sweep's are intake/system). */
typedef struct {
    const char *kind;               /* the action's name in logs: evidence, evidence_sweep */
    const char *case_id, *complaint_no;
    case_state_t state;
    int64_t version;                /* the case's before */
    int64_t seq, size;
    const char *evidence_kind;      /* document, recording_ref, email_attachment, ... */
    const char *source, *name, *reference;
    int source_len, name_len, reference_len;
    const char *media_type, *sha256_hex, *uploader, *actor, *actor_role;
    const char *refused_code, *refused;     /* "code", "code: sentence"; NULL: kept */
} case_evidence_item_t;

/* The row is written: the case's version + 1, the audit row,
 * complaint.evidence_added or _refused (refused_code set). 0, or -1 with
 * err. */
int case_evidence_item_done (pg_session_t *pg, const case_evidence_item_t *item,
                             int64_t *new_version, proto_error_t *err);

/* The case's evidence (complaint id as text), metadata only, by seq; NULL
 * when the store failed. Then packed as an array of maps {seq, kind, name,
 * media_type, size, sha256, uploader, uploader_role, stored_at, reference}. */
PGresult *case_evidence_list_read (pg_session_t *pg, const char *complaint_id);
void case_evidence_list_pack (msgpack_packer *pk, const PGresult *res);

/*  What a case holds already, for the limits (the staff's evidence_add and
 *  the mail adapter's parts count alike): items kept (a refused row holds
 *  nothing and is not counted), their bytes, and the next seq. 0, or -1
 *  with err set (the store failed). */
typedef struct {
    long long items;
    long long bytes;
    long long next_seq;
} case_evidence_totals_t;
int case_evidence_totals (pg_session_t *pg, const char *complaint_no, const char *complaint_id,
                          case_evidence_totals_t *totals, proto_error_t *err);

#endif
