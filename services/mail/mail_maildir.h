/*  mail_maildir.h — the Maildir the adapter reads (default var/mail/inbox,
 *  made by `make up`): whatever an MTA or a person drops into new/ is taken
 *  (mail_accept.h) and then moved to cur/ with the Maildir "seen" flag
 *  (NAME:2,S), so new/ holds only what is still to be read.
 *
 *  Durable before it moves: mail_accept_take has spooled (or kept) the
 *  message with fsync before the rename out of new/. Killed between the
 *  two, the message is taken again at the next start: a complaint is
 *  spooled a second time with the same ref (its Message-ID) and intake
 *  answers "duplicate" (invariant 6) — once in the store. A message that
 *  could not be stored (451: disk full) stays in new/ for the next scan.
 *
 *  Interface:
 *      mail_maildir_ensure   make DIR/{tmp,new,cur}
 *      mail_maildir_scan     take up to max messages of new/, oldest name first
 */
#ifndef MAIL_MAILDIR_H_INCLUDED
#define MAIL_MAILDIR_H_INCLUDED

#include "mail_accept.h"

#include <stddef.h>

/* 0, or -1 with the reason in err. */
int mail_maildir_ensure (const char *dir, char *err, size_t err_size);
/* Returns how many were taken (moved out of new/); *complaints counts the
 * entries spooled among them (complaints and replies). */
size_t mail_maildir_scan (const char *dir, mail_accept_t *accept, size_t max_message,
                          size_t max, size_t *complaints);

#endif
