/*  first_contact.h — a complaint solved on the call: registered, accepted
 *  and resolved in one transaction (issue 14 §4; lifecycle_first_contact,
 *  proto/lifecycle.h).
 *
 *  A submit carrying `first_contact` (token, outcome, text, amount?) does
 *  not join the group-committed batch: it runs on the batch writer's
 *  session like an act, after the batch's submits:
 *
 *      BEGIN
 *      the token -> an active member of staff            else unauthenticated
 *      their role may take accept and resolve             else forbidden
 *      the submit statement (complaint_store.c), one row  (complaint.received)
 *      a duplicate (submitter, channel, ref): COMMIT nothing more, answer the
 *          first complaint's number, state and query code — a retry of the
 *          same call is the same case, whatever became of it since
 *      UPDATE complaint: state resolved, version + 2, department and handler
 *          the agent's, accepted_at, resolved_at, outcome, amount
 *      INSERT case_action: accept (received -> accepted), resolve
 *          (accepted -> resolved), the agent as actor, details flag
 *          first_contact
 *      INSERT outbox: complaint.accepted, complaint.resolved (their packers)
 *      COMMIT, and only then the reply.
 *
 *  Why one transaction, not three requests from the adapter: three round
 *  trips can stop half-way (the adapter killed after the submit), leaving a
 *  case the router then hands to a department for work that was already
 *  done on the call. Here it is all or nothing, and idempotent on the call
 *  id like any submit.
 *
 *  The reply is a submit's plus where the case is:
 *  {"ok":true,"complaint_no","duplicate","query_code","state","version"}.
 *
 *  Interface:
 *      first_contact_apply     run one; the reply (ok or error) is packed
 */
#ifndef FIRST_CONTACT_H_INCLUDED
#define FIRST_CONTACT_H_INCLUDED

#include "complaint_store.h"
#include <msgpack.h>

/* item->submit carries first_contact (present); item->submitter is the
 * sender's certificate name. Returns 0 when committed (new or duplicate),
 * -1 when refused or failed (nothing written; the reply says why). */
int first_contact_apply (complaint_store_t *store, submit_item_t *item, msgpack_sbuffer *reply);

#endif
