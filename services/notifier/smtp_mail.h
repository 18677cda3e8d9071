/*  smtp_mail.h — an RFC 5322 / MIME message and its delivery over SMTP with
 *  libcurl (see smtp_mail.c).
 */
#ifndef SMTP_MAIL_H_INCLUDED
#define SMTP_MAIL_H_INCLUDED

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef struct {
    const char *url;            /* smtp://host:port or smtps://host:port */
    const char *from;           /* envelope and From: address */
    const char *user, *password;    /* "" = no AUTH */
    const char *tls;            /* off, try, required (CURLOPT_USE_SSL) */
    const char *ca_file;        /* PEM CA certificates to verify the server; "" the system's */
    long timeout_ms;
} smtp_cfg_t;

/* The whole message (headers, blank line, base64 body), CRLF line ends;
 * freshly allocated. */
char *smtp_mail_build (const char *from, const char *to, const char *subject,
                       const char *body, const char *message_id, time_t date);

/* An RFC 2047 header value: ASCII as is, else =?UTF-8?B?...?= words of at
 * most 75 characters, split between UTF-8 characters, folded. Allocated. */
char *smtp_mail_encode_header (const char *text);

/* One message to one recipient, as a libcurl easy handle the caller runs
 * (curl_easy_perform, or in a multi handle). message must outlive it. NULL
 * with a reason in err when no handle could be made. */
typedef struct _smtp_send_t smtp_send_t;
smtp_send_t *smtp_send_new (const smtp_cfg_t *cfg, const char *to, const char *message,
                            char *err, size_t err_size);
CURL *smtp_send_handle (smtp_send_t *self);
/* After the transfer ended with rc: 0 when the server accepted the message,
 * else -1 with a short reason in err. */
int smtp_send_result (smtp_send_t *self, CURLcode rc, char *err, size_t err_size);
void smtp_send_destroy (smtp_send_t **self_p);

/* True when the URL's host is loopback (127.0.0.0/8, ::1, localhost): the
 * one place a plaintext conversation is the default (--smtp-tls auto). */
bool smtp_url_loopback (const char *url);

/* The --smtp-tls setting in force: "auto" (or "") becomes "required" unless
 * the host is loopback, then "off"; the old names none and all are off and
 * required. NULL when the setting is not one of these. */
const char *smtp_tls_resolve (const char *setting, const char *url);

/* Reject addresses that could inject SMTP commands or headers. */
bool smtp_mail_address_ok (const char *address);

int smtp_mail_test (bool verbose, int *passed);

#endif
