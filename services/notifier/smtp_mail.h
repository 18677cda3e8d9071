/*  smtp_mail.h — an RFC 5322 / MIME message and its delivery over SMTP with
 *  libcurl (see smtp_mail.c).
 */
#ifndef SMTP_MAIL_H_INCLUDED
#define SMTP_MAIL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef struct {
    const char *url;            /* smtp://host:port or smtps://host:port */
    const char *from;           /* envelope and From: address */
    const char *user, *password;    /* "" = no AUTH */
    const char *tls;            /* none, try, all (CURLOPT_USE_SSL) */
    long timeout_ms;
    void *share;                /* a CURLSH sharing connections, or NULL */
} smtp_cfg_t;

/* The whole message (headers, blank line, base64 body), CRLF line ends;
 * freshly allocated. */
char *smtp_mail_build (const char *from, const char *to, const char *subject,
                       const char *body, const char *message_id, time_t date);

/* An RFC 2047 header value: ASCII as is, else =?UTF-8?B?...?= words of at
 * most 75 characters, split between UTF-8 characters, folded. Allocated. */
char *smtp_mail_encode_header (const char *text);

/* Send one message to one recipient. 0 when the server accepted it, else -1
 * with a short reason in err. */
int smtp_mail_send (const smtp_cfg_t *cfg, const char *to, const char *message,
                    char *err, size_t err_size);

/* Reject addresses that could inject SMTP commands or headers. */
bool smtp_mail_address_ok (const char *address);

int smtp_mail_test (bool verbose, int *passed);

#endif
