/*  template.h — message templates with {{placeholders}}: a subject line
 *  and a body, checked when loaded, rendered with a table of values.
 *
 *  A template file is UTF-8 text: its first line "Subject: ...", the rest
 *  the body. {{name}} stands for a value; every name must be in the list
 *  the caller allows, so a typo is refused at load time with file:line and
 *  never reaches a customer. Errors are the config files' conf_error_t. Rendering replaces each placeholder with its
 *  value, or "-" when the value is missing or empty. The subject is one
 *  header line, so control characters a value brings into it (CR, LF, TAB
 *  ...) become spaces: no value can add a header to a message.
 *
 *  The notifier keeps one template per event type, language and form
 *  (deploy/notify/templates/, services/notifier/notify_rules.c).
 *
 *  Interface:
 *      template_parse     text -> template (bounded: TEMPLATE_MAX_SIZE)
 *      template_load      a file -> template
 *      template_destroy
 *      template_render_subject / template_render_body
 *      template_test      self-test
 */
#ifndef TEMPLATE_H_INCLUDED
#define TEMPLATE_H_INCLUDED

#include "conf.h"             /* conf_error_t: file, line, reason */
#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

#define TEMPLATE_MAX_SIZE  (64 * 1024)

typedef struct _template_t template_t;

/* A template from size bytes of text; `name` is what errors call it (a
 * path). fields: the allowed placeholder names, NULL-terminated. NULL with
 * err set (not UTF-8, a NUL byte, no "Subject: " first line, an empty
 * subject, an unclosed "{{", an unknown placeholder, too large). */
template_t *template_parse (const char *name, const char *text, size_t size,
                            const char *const *fields, conf_error_t *err);
/* The same from a file (err names the file; line 0: cannot open, too large). */
template_t *template_load (const char *path, const char *const *fields,
                           conf_error_t *err);
void template_destroy (template_t **self_p);

/* Rendered with values (name -> char *; NULL: every value missing).
 * Freshly allocated. */
char *template_render_subject (const template_t *self, zhash_t *values);
char *template_render_body (const template_t *self, zhash_t *values);

void template_test (bool verbose);

#endif
