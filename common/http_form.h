/*  http_form.h — an HTML form's answer (application/x-www-form-urlencoded)
 *  read with limits: the web adapter's complaint form, the hotline desk.
 *
 *  name=value pairs joined by '&'; '+' is a space, %XX a byte. Bounded:
 *  at most max_fields pairs, names up to 64 bytes of [A-Za-z0-9_.-], each
 *  value up to max_value bytes once decoded. Every value must be UTF-8
 *  without NUL or control characters other than tab, CR and LF (a form
 *  field holds text a person typed); CR LF becomes LF. A name given twice
 *  is refused: a form we wrote never does that, and which one to believe
 *  would be a guess.
 *
 *  A refusal fills a proto_error_t: the stable code (too_large,
 *  invalid_utf8, invalid_field, malformed), the field at fault (the
 *  name, when it is known) and a sentence.
 *
 *  Interface:
 *      http_form_parse     bytes -> form, or NULL with the error
 *      http_form_destroy
 *      http_form_get       a field's value, or NULL
 *      http_form_size      fields
 *      http_form_names     every field's name
 *      http_form_test
 */
#ifndef HTTP_FORM_H_INCLUDED
#define HTTP_FORM_H_INCLUDED

#include "proto.h"

#include <czmq.h>

#include <stdbool.h>
#include <stddef.h>

#define HTTP_FORM_MAX_NAME 64

typedef struct _http_form_t http_form_t;

http_form_t *http_form_parse (const char *data, size_t size, size_t max_fields,
                              size_t max_value, proto_error_t *err);
void http_form_destroy (http_form_t **self_p);
const char *http_form_get (http_form_t *self, const char *name);
size_t http_form_size (http_form_t *self);
/* The names, as a list of strings the caller destroys (autofree). */
zlist_t *http_form_names (http_form_t *self);

void http_form_test (bool verbose);

#endif
