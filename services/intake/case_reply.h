/*  case_reply.h — the customer's reply on a case, brought by a channel
 *  adapter (issue 14 §3; PROTOCOL.md "reply"), as one transaction.
 *
 *  The request loop (main.c) has already checked that the sender is an
 *  `adapter` certificate whose channels include the reply's channel. Here,
 *  on a batch writer's store session:
 *
 *      BEGIN
 *      SELECT the case ... FOR NO KEY UPDATE              else not_found
 *      the keyed lookup hash of the normalised sender      else forbidden,
 *        equals the case's customer_email_hash               field "from"
 *        (identity_seal_hash_match: under the key the
 *        stored hash names, so a rotation in progress
 *        still matches)
 *      an audit row of this adapter with this channel      -> the first
 *        and ref on the case already?                        answer again,
 *                                                            "duplicate"
 *      awaiting_customer -> the lifecycle's customer_replied (state
 *                           investigating: the paused clock runs again)
 *      any other open state, or closed / rejected / withdrawn -> a note:
 *                           state unchanged ("after_close" in the audit
 *                           row when the case was finished: the handler
 *                           decides whether it asks for a review)
 *      UPDATE complaint (state, version + 1)
 *      INSERT case_action (actor: the certificate's name, actor_role
 *                          "adapter"; details: text, channel, ref,
 *                          on_behalf_of "customer", after_close)
 *      INSERT outbox (complaint.customer_replied or complaint.noted:
 *                     structured fields only, never the text or sender)
 *      COMMIT, and only then the reply.
 *
 *  The row lock makes two copies of one reply take turns: the second sees
 *  the first's audit row and answers "duplicate".
 *
 *  Interface:
 *      case_reply_apply   run one reply; the answer (ok or error) is packed
 */
#ifndef CASE_REPLY_H_INCLUDED
#define CASE_REPLY_H_INCLUDED

#include "identity_seal.h"
#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

/* Packs {"ok":true,"complaint_no","action","state","version","duplicate"?}
 * or an error reply. actor: the sending certificate's name. Returns 0 when
 * recorded (or recorded before), -1 when refused or failed. */
int case_reply_apply (pg_session_t *pg, const identity_seal_t *seal, const char *actor,
                      const reply_t *reply, msgpack_sbuffer *out);

#endif
