/*  web_page.h — the customer's pages: the complaint form, its
 *  confirmation, the status page; in Chinese and English.
 *
 *  Written to a FILE (open_memstream) as whole HTML documents that load
 *  nothing: no script, no image, no font from elsewhere, inline style
 *  only (the adapter's Content-Security-Policy says so). Everything the
 *  customer typed or intake answered goes through html_escape.
 *
 *  Accessible by construction: every field has its <label for>, fields
 *  are grouped in <fieldset>s with a <legend>, a field's limit and its
 *  error are paragraphs it names in aria-describedby (the error is also
 *  aria-invalid and listed at the top in a role="alert" summary linking
 *  to the field), the page's language is in <html lang>, and it works
 *  with the keyboard and without JavaScript (there is none).
 *
 *  The language: ?lang=zh|en, else the "lang" cookie (set when the
 *  customer switches), else the first of zh/en in Accept-Language, else
 *  Chinese.
 *
 *  Interface:
 *      web_page_lang           choose the language
 *      web_page_form           the form (empty, or again with the values and the error)
 *      web_page_confirmation   the number and the query code
 *      web_page_pending        spooled, intake has not answered yet: ask again
 *      web_page_status_form    number and code
 *      web_page_status         the public status view
 *      web_page_message        a sentence (429, 503, 404 ...)
 *      web_page_test
 */
#ifndef WEB_PAGE_H_INCLUDED
#define WEB_PAGE_H_INCLUDED

#include "http_form.h"
#include "proto.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum { WEB_ZH = 0, WEB_EN = 1 } web_lang_t;

web_lang_t web_page_lang (const char *query, const char *cookie, const char *accept_language);
const char *web_page_lang_code (web_lang_t lang);

/* values: the fields to show again (NULL: empty); err: the field refused
 * (NULL: none); notice: a sentence above the form (NULL: none). */
void web_page_form (FILE *out, web_lang_t lang, const char *csrf, const char *ref,
                    http_form_t *values, const proto_error_t *err, const char *notice);
void web_page_confirmation (FILE *out, web_lang_t lang, const char *complaint_no,
                            const char *query_code, bool duplicate);
void web_page_pending (FILE *out, web_lang_t lang, const char *csrf, const char *ref,
                       http_form_t *values);
void web_page_status_form (FILE *out, web_lang_t lang, const char *csrf, const char *number,
                           const char *error);
/* view: web_api_status_json's object. */
void web_page_status (FILE *out, web_lang_t lang, const json_t *view);
void web_page_message (FILE *out, web_lang_t lang, const char *title, const char *text);

/* The sentences the adapter answers with, in the page's language. */
typedef enum {
    WEB_T_TOO_MANY = 0, WEB_T_UNAVAILABLE, WEB_T_NOT_FOUND, WEB_T_CSRF, WEB_T_TOO_LARGE,
    WEB_T_STATUS_UNKNOWN, WEB_T_BAD_FORM, WEB_T_ERROR_TITLE, WEB_T_COUNT
} web_text_t;
const char *web_page_text (web_lang_t lang, web_text_t text);

/* issue 16 (i16-followup): the frame of a page (head with the language
 * switch to switch_path, which may carry a query; foot), for the survey's
 * pages (web_survey.h). */
void web_page_head (FILE *out, web_lang_t lang, const char *title, const char *switch_path);
void web_page_foot (FILE *out, web_lang_t lang);

int web_page_test (bool verbose, int *passed);

#endif
