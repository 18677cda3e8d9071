/*  mail_evidence.h — an e-mail's attachments to intake as the case's
 *  evidence, after the complaint (or the reply) is acknowledged, without
 *  losing one to a crash (issue 16 §3; docs/adapters.md "Attachments:
 *  evidence").
 *
 *  The complaint number is intake's answer to the submit, so the
 *  attachments cannot go with it. The order of durable steps:
 *
 *    1. taking the message (mail_accept_take), before the MTA hears 250:
 *       the submit (or reply) into the spool as ever, then the whole
 *       message into evidence/SPOOL_ID.eml (fsync'd: spool_file_put);
 *    2. intake acknowledges SPOOL_ID (spool_sender's outcome): the message
 *       is parsed again with its attachments' bytes, and every attachment
 *       is cut in parts of MAIL_EVIDENCE_PART bytes, each an intake
 *       `evidence_add` (kind email_attachment, source "<Message-ID>#N",
 *       the item's size and SHA-256, the part's offset) put into the
 *       same spool; the spool is synced; then evidence/SPOOL_ID.eml goes;
 *    3. the spool_sender sends the parts like any entry: resent until
 *       answered, in any order — intake joins them (case_evidence_part.h).
 *
 *  Killed after 1 and before 2: at the next start (mail_evidence_resume)
 *  the spool still holds the submit's answer (done/SPOOL_ID.reply): step 2
 *  runs then. Killed inside 2: the .eml is still there, step 2 runs again,
 *  and the parts already spooled are duplicates at intake (a part is
 *  idempotent by source and offset). Intake refusing the submit or reply
 *  for good: the .eml is renamed SPOOL_ID.rejected and left for an
 *  operator (the complaint is in the spool's rejected/ with the reason).
 *
 *  An attachment's name is sanitised for intake's rule (a file's name, no
 *  path, no control character, 1..255 characters; none: "attachment-N");
 *  its type kept when it is type/subtype, else application/octet-stream.
 *
 *  Interface:
 *      mail_evidence_new / mail_evidence_destroy
 *      mail_evidence_keep      step 1 (after the spool_put)
 *      mail_evidence_outcome   step 2 (from the spool_sender's outcome)
 *      mail_evidence_resume    step 2 for what a crash left (at start)
 *      mail_evidence_test
 */
#ifndef MAIL_EVIDENCE_H_INCLUDED
#define MAIL_EVIDENCE_H_INCLUDED

#include "mail_message.h"
#include "spool.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#define MAIL_EVIDENCE_PART  (192 * 1024)    /* under intake's 200 KiB a part */

typedef struct _mail_evidence_t mail_evidence_t;

/* dir: the adapter's folder (evidence/ is made under it); spool: where the
 * parts go (not owned); limits: the parser's. NULL with err. */
mail_evidence_t *mail_evidence_new (const char *dir, spool_t *spool, const mail_limits_t *limits,
                                    char *err, size_t err_size);
void mail_evidence_destroy (mail_evidence_t **self_p);

/* The message with attachments, durably, under the spool ID of its submit
 * or reply. 0, or -1 (errno): the channel must be told to retry. */
int mail_evidence_keep (mail_evidence_t *self, const char *spool_id, const void *data,
                        size_t size);

/* The spool entry id was answered (accepted: reply holds "complaint_no").
 * Returns the parts spooled (0: nothing kept for id, or refused). */
size_t mail_evidence_outcome (mail_evidence_t *self, const char *id, bool accepted,
                              const msgpack_object *reply);

/* Every kept message whose entry was answered before a restart. Returns
 * the parts spooled. */
size_t mail_evidence_resume (mail_evidence_t *self);

void mail_evidence_test (bool verbose, int *passed, int *failed);

#endif
