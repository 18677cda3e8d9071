/*  mail_message.h — one RFC 5322 message, as the e-mail adapter reads it.
 *
 *  mail_message_parse() takes the raw bytes of one message (from a Maildir
 *  file or an LMTP DATA) and always returns a result, never NULL and never
 *  a crash: the headers that matter (Message-ID, From, To, Date, Subject,
 *  In-Reply-To, References), the body as UTF-8 text, the attachments as
 *  evidence metadata (name, type, size, SHA-256), and one verdict:
 *
 *      MAIL_COMPLAINT    a new complaint: submit it
 *      MAIL_REPLY        the customer writing about a case they already
 *                        have: the complaint number, or the notifier
 *                        Message-ID it answers
 *      MAIL_AUTOMATIC    not written by a person for us (auto-reply, bounce,
 *                        mailing list): dropped, counted, never a complaint
 *      MAIL_UNPARSABLE   cannot be read safely: the daemon quarantines it
 *                        with `code` + `field` + `reason`
 *
 *  Every verdict carries a stable code (the MAIL_E_* / MAIL_WHY_* strings
 *  below), the field or limit at fault, and a sentence for a human.
 *  docs/adapters.md states the rules; mail_message_test() has them as a
 *  table. Parsing needs GMime initialised once per process (g_mime_init)
 *  before the first call; it is otherwise pure: no clock, no I/O.
 *
 *  Interface:
 *      mail_limits_default     the limits the adapter ships with
 *      mail_message_parse      bytes -> mail_message_t (always)
 *      mail_message_destroy
 *      mail_message_kind_name  "complaint", "reply", "automatic", "unparsable"
 *      mail_message_submit_pack  the intake submit for a complaint
 *      mail_message_reply_pack   the intake reply for a reply on a known case
 *      mail_message_test
 */
#ifndef MAIL_MESSAGE_H_INCLUDED
#define MAIL_MESSAGE_H_INCLUDED

#include "request.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MAIL_COMPLAINT = 1,
    MAIL_REPLY,
    MAIL_AUTOMATIC,
    MAIL_UNPARSABLE,
} mail_kind_t;

/* Why a message is unparsable (code; `field` names the limit or header). */
#define MAIL_E_EMPTY            "empty"             /* no bytes at all */
#define MAIL_E_TOO_LARGE        "too_large"         /* message or body over its limit */
#define MAIL_E_TOO_MANY_PARTS   "too_many_parts"    /* more MIME parts than max_parts */
#define MAIL_E_TOO_DEEP         "too_deep"          /* multiparts nested deeper than max_depth */
#define MAIL_E_TOO_MANY_ATTACHMENTS "too_many_attachments"
#define MAIL_E_TRUNCATED_HEADERS "truncated_headers" /* the header section never ends */
#define MAIL_E_MALFORMED_HEADER "malformed_header"  /* a header line that is no header */
#define MAIL_E_TRUNCATED        "truncated"         /* a multipart cut before its last boundary */
#define MAIL_E_NO_FROM          "no_from"           /* no usable sender address */
#define MAIL_E_NO_BODY          "no_body"           /* no text part, or an empty one */
#define MAIL_E_BAD_ENCODING     "bad_encoding"      /* base64 / quoted-printable that does not decode */
#define MAIL_E_UNDECODABLE      "undecodable_charset" /* unknown charset, or bytes invalid in it */
#define MAIL_E_UNDECLARED_8BIT  "undeclared_8bit"   /* 8-bit text with no charset, not UTF-8 */

/* Why a message is automatic, or a reply, or a complaint (code). */
#define MAIL_WHY_AUTO_SUBMITTED "auto_submitted"    /* Auto-Submitted other than "no" */
#define MAIL_WHY_PRECEDENCE     "precedence"        /* Precedence: bulk, list or junk */
#define MAIL_WHY_NULL_SENDER    "null_sender"       /* Return-Path: <> */
#define MAIL_WHY_SYSTEM_SENDER  "system_sender"     /* MAILER-DAEMON or postmaster */
#define MAIL_WHY_MAILING_LIST   "mailing_list"      /* List-Id or List-Unsubscribe */
#define MAIL_WHY_DELIVERY_REPORT "delivery_report"  /* multipart/report */
#define MAIL_WHY_SUBJECT_NUMBER "subject_number"    /* a valid complaint number in Subject */
#define MAIL_WHY_IN_REPLY_TO    "in_reply_to"       /* names a notifier Message-ID */
#define MAIL_WHY_REFERENCES     "references"        /* names a notifier Message-ID */
#define MAIL_WHY_NEW            "new"               /* a new complaint */

typedef struct {
    size_t max_message;         /* bytes of the whole message */
    size_t max_body;            /* bytes of the UTF-8 body text (intake's limit) */
    size_t max_attachment;      /* decoded bytes of one attachment */
    int    max_parts;           /* MIME parts in all, containers included */
    int    max_depth;           /* multipart / message/rfc822 nesting */
    int    max_attachments;
    bool   keep_attachments;    /* keep each attachment's decoded bytes (data):
                                 * the adapter re-reads a kept message to send
                                 * them as evidence (mail_evidence.h) */
} mail_limits_t;

/* 10 MiB message, 64 KiB body, 8 MiB an attachment, 64 parts, depth 8,
 * 20 attachments. */
mail_limits_t mail_limits_default (void);

typedef struct {
    char  *filename;            /* decoded (RFC 2231 / 2047), UTF-8; "" when none */
    char  *content_type;        /* "application/pdf" */
    size_t size;                /* decoded bytes */
    char   sha256 [65];         /* hex of the decoded bytes */
    unsigned char *data;        /* the decoded bytes, only with keep_attachments */
    bool   over_limit;          /* over max_attachment: listed, never kept (the
                                 * case records it as refused) */
} mail_attachment_t;

/* Every string is UTF-8 and NUL-terminated, NULL when absent. Read only. */
typedef struct {
    mail_kind_t kind;
    const char *code;           /* MAIL_E_* for unparsable, MAIL_WHY_* otherwise */
    char   field [64];          /* the header, part or limit at fault ("" if none) */
    char   reason [256];        /* a sentence for a human (and the bounce) */

    char  *message_id;          /* without angle brackets */
    char  *ref;                 /* the submit's ref: Message-ID, else "sha256:<hex of the bytes>" */
    char  *from_name;           /* display name, decoded */
    char  *from_addr;
    char  *to;                  /* addresses, ", "-joined */
    bool   has_date;
    int64_t date_ms;            /* unix ms from Date: */
    char  *subject;             /* decoded */
    char  *in_reply_to;
    char **references;          /* n_references ids, without brackets */
    size_t n_references;
    char  *body;                /* UTF-8 text */
    bool   body_from_html;      /* the text came from an HTML part */
    char  *body_charset;        /* the charset it was declared in ("utf-8", "gbk", ...) */
    mail_attachment_t *attachments;
    size_t n_attachments;
    int    n_parts;             /* MIME parts seen */

    char   complaint_no [COMPLAINT_NO_SIZE];  /* MAIL_REPLY by number: the case */
    char  *replied_id;          /* MAIL_REPLY by header: the notifier Message-ID */
} mail_message_t;

/* Parse `size` bytes. Never NULL (an out-of-memory aborts, as czmq does). */
mail_message_t *mail_message_parse (const void *data, size_t size, const mail_limits_t *limits);
void mail_message_destroy (mail_message_t **self_p);

const char *mail_message_kind_name (mail_kind_t kind);

/* The intake submit for a MAIL_COMPLAINT (channel "email", ref, subject,
 * body, customer name + email, lang, received_at). received_at is the
 * Date: header when it lies within [now_ms - 7 days, now_ms + 15 min],
 * else left out (intake stamps its own clock): a wrong or forged Date must
 * not move the regulatory deadline. now_ms 0: never from Date. Returns 0,
 * or -1 when the message is not a complaint (nothing packed). */
int mail_message_submit_pack (const mail_message_t *self, int64_t now_ms, msgpack_sbuffer *buf);

/* The intake reply for a MAIL_REPLY whose case is known (complaint_no:
 * from the Subject, or the notifier Message-ID it answers): channel
 * "email", ref (as a submit's), from (the sender's address), text (the
 * body). -1 when it is not such a reply (nothing packed). */
int mail_message_reply_pack (const mail_message_t *self, msgpack_sbuffer *buf);

void mail_message_test (bool verbose, int *passed, int *failed);

#endif
