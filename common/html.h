/*  html.h — text into HTML: every page our daemons write (the analytics
 *  dashboard, its SVG charts, the web adapter's form, the hotline desk)
 *  escapes what it did not write itself through here, once.
 *
 *  The five characters that can end a text or an attribute value (& < > "
 *  ') become references; everything else, UTF-8 included, is copied.
 *  Safe in element content and in double- or single-quoted attribute
 *  values; not in a script, a style or an unquoted attribute (we write
 *  none).
 *
 *  Interface:
 *      html_escape         to a FILE (open_memstream pages)
 *      html_escape_n       the same, a counted string
 *      html_test
 */
#ifndef HTML_H_INCLUDED
#define HTML_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* NULL writes nothing. */
void html_escape (FILE *out, const char *text);
void html_escape_n (FILE *out, const char *text, size_t len);

void html_test (bool verbose);

#endif
