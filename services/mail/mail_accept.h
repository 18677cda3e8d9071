/*  mail_accept.h — one message in, one durable place, one answer for the
 *  channel: what the Maildir scanner and the LMTP listener share.
 *
 *  mail_accept_take parses the message (mail_message.h) and puts it where
 *  its verdict says, durably (fsync) before it returns:
 *
 *      complaint    its intake submit into the spool (spool_put): the
 *                   spool_sender takes it from there          -> 250
 *      reply        its intake `reply` request into the spool, then the
 *                   message into replies/ as SPOOL_ID.eml with a .meta
 *                   (the case, the Message-ID it answers)     -> 250;
 *                   intake refusing it for good (the sender is not the
 *                   case's customer...) moves it to quarantine/ with
 *                   intake's reason (mail_accept_outcome). A reply whose
 *                   case is unknown: quarantine/, code unknown_case -> 550
 *      automatic    into automatic/ (auto-replies, bounces, lists: never
 *                   a complaint, never answered)               -> 250
 *      unparsable   into quarantine/, NAME.eml with NAME.reason beside
 *                   it (code, field, reason)                   -> 550 (552
 *                   over the size), the reason in the reply: the MTA's
 *                   bounce tells the sender
 *
 *  A write that fails (disk full) keeps nothing and answers 451: the MTA
 *  tries again later, the Maildir scanner leaves the file in new/.
 *
 *  Interface:
 *      mail_accept_new / mail_accept_destroy
 *      mail_accept_set_evidence   where attachments are kept for intake
 *      mail_accept_take       parse, store, answer
 *      mail_accept_outcome    intake's answer to a spooled entry
 *      mail_read_file         a file's bytes, at most max + 1
 */
#ifndef MAIL_ACCEPT_H_INCLUDED
#define MAIL_ACCEPT_H_INCLUDED

#include "mail_evidence.h"
#include "mail_message.h"
#include "metrics.h"
#include "spool.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct _mail_accept_t mail_accept_t;

typedef struct {
    int code;                   /* 250 stored, 451 not stored (retry), 550/552 refused */
    char text [400];            /* "2.0.0 ..." : the enhanced code, then a sentence */
    mail_kind_t kind;
    char spool_id [SPOOL_ID_SIZE];  /* a complaint: its spool entry */
} mail_verdict_t;

/* dir: the adapter's folder (quarantine/, automatic/, replies/ are made
 * under it); spool: where complaints go (not owned). NULL with err. */
mail_accept_t *mail_accept_new (const char *dir, spool_t *spool, const mail_limits_t *limits,
                                metrics_t *metrics, char *err, size_t err_size);
void mail_accept_destroy (mail_accept_t **self_p);

/* issue 16 (i16-mailev): a complaint or reply with attachments is kept
 * for them (mail_evidence_keep) before the channel hears 250; a write
 * that fails answers 451. evidence: not owned; NULL: attachments not sent. */
void mail_accept_set_evidence (mail_accept_t *self, mail_evidence_t *evidence);

/* source: "maildir" or "lmtp" (logs and metrics). Always fills v. */
void mail_accept_take (mail_accept_t *self, const char *data, size_t size, const char *source,
                       mail_verdict_t *v);

/* A spool entry was answered (spool_sender_fn): a reply refused for good
 * moves from replies/ to quarantine/ with intake's code, field and reason
 * in ID.reason. Anything else: nothing to do. */
void mail_accept_outcome (mail_accept_t *self, const char *id, bool rejected,
                          const msgpack_object *reply);

/* The whole file ("-": stdin), at most max + 1 bytes (one over is enough
 * for the parser to refuse it by size). NULL (errno) when unreadable. */
char *mail_read_file (const char *path, size_t max, size_t *size);

#endif
