/*  http_gateway.h — SMS and app push through a provider's HTTP gateway,
 *  with libcurl (see http_gateway.c).
 *
 *  One notification is one POST of a JSON document to the gateway's URL,
 *  with the configured Authorization header and an Idempotency-Key header
 *  (the same key in the body): every attempt at one notification, from any
 *  notifier process, carries the same key, so a gateway that accepted it
 *  once can drop a repeat.
 *
 *      SMS:  {"to":PHONE,"text":TEXT,"idempotency_key":KEY,"reference":NO}
 *      push: {"to":ID,"title":TITLE,"body":TEXT,"idempotency_key":KEY,
 *             "reference":NO}
 *
 *  The answer decides what happens next: 2xx accepted; 408, 425, 429, 5xx,
 *  or no answer at all (refused, reset, timed out) is worth retrying, with a
 *  Retry-After (seconds) honoured as the shortest wait; any other status is
 *  a refusal that no retry will change (a bad number, a bad key) and the
 *  notification goes straight to dead with the gateway's reason.
 */
#ifndef HTTP_GATEWAY_H_INCLUDED
#define HTTP_GATEWAY_H_INCLUDED

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *url;            /* http://host:port/path or https:// */
    const char *auth;           /* the Authorization header's value; "" none */
    const char *ca_file;        /* PEM CA certificates for https://; "" the system's */
    long timeout_ms;
} http_gateway_cfg_t;

typedef enum {
    HTTP_GATEWAY_OK = 0,        /* 2xx: accepted */
    HTTP_GATEWAY_RETRY,         /* no answer, 408, 425, 429, 5xx */
    HTTP_GATEWAY_REFUSED        /* any other answer: do not retry */
} http_gateway_result_t;

/* The JSON bodies (freshly allocated, compact, UTF-8). */
char *http_gateway_sms_json (const char *to, const char *text, const char *key,
                             const char *reference);
char *http_gateway_push_json (const char *to, const char *title, const char *text,
                              const char *key, const char *reference);

/* One POST as a libcurl easy handle the caller runs (curl_easy_perform, or
 * in a multi handle); key and json must outlive it. NULL when the request
 * cannot be made (no URL, a key or Authorization value that would inject a
 * header, no handle): then *result and err say what it comes to. */
typedef struct _http_gateway_call_t http_gateway_call_t;
http_gateway_call_t *http_gateway_call_new (const http_gateway_cfg_t *cfg, const char *key,
                                            const char *json, http_gateway_result_t *result,
                                            char *err, size_t err_size);
CURL *http_gateway_call_handle (http_gateway_call_t *self);
/* After the transfer ended with rc: what the answer means, as for
 * http_gateway_post. */
http_gateway_result_t http_gateway_call_result (http_gateway_call_t *self, CURLcode rc,
                                                long *retry_after_ms, char *err,
                                                size_t err_size);
void http_gateway_call_destroy (http_gateway_call_t **self_p);

/* POST json to cfg->url, synchronously. On anything but OK, err holds a short reason
 * ("HTTP 503: <first 200 bytes of the answer, one line>", or curl's error);
 * *retry_after_ms is the gateway's Retry-After in ms, else 0. */
http_gateway_result_t http_gateway_post (const http_gateway_cfg_t *cfg, const char *key,
                                         const char *json, long *retry_after_ms,
                                         char *err, size_t err_size);

/* A phone number a gateway can take: digits with an optional leading '+',
 * 5 to 20 digits, after dropping spaces, '-', '(' and ')'. Writes the
 * normalised form to out (at least 24 bytes) when ok. */
bool http_gateway_phone (const char *text, char *out, size_t size);

int http_gateway_test (bool verbose, int *passed);

#endif
