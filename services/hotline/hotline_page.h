/*  hotline_page.h — the agent desk's pages: sign in, register a call, the
 *  confirmation, a message. Chinese and English side by side (a call
 *  centre's agents read either), whole HTML documents that load nothing
 *  (no script, no image, inline style only), written to a FILE.
 *
 *  Fast to fill: the field order is the order of a call (the call id
 *  first, focused; the caller's number; the customer's words; their
 *  demand; where and what; how it ended), the keyboard alone reaches
 *  everything (tab order is the document's, the submit is the Enter of any
 *  one-line field), and the call id is pre-filled with a fresh desk id the
 *  agent may overwrite with the telephony system's: a form posted twice is
 *  still one complaint.
 *
 *  Accessible as the web form is: every input has its <label for>, its
 *  hint and its error are named in aria-describedby, an error sets
 *  aria-invalid and is listed in a role="alert" summary at the top
 *  linking to the field; <html lang="zh">, English parts lang="en".
 *  Everything typed or answered goes through html_escape.
 *
 *  Interface:
 *      hotline_page_signin         the token form (with an error, or not)
 *      hotline_page_call           the call form (empty, or again with values and error)
 *      hotline_page_confirmation   number, query code, state, time and zone
 *      hotline_page_pending        spooled; intake has not answered yet
 *      hotline_page_message        a title and a sentence
 *      hotline_page_test
 */
#ifndef HOTLINE_PAGE_H_INCLUDED
#define HOTLINE_PAGE_H_INCLUDED

#include "http_form.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void hotline_page_signin (FILE *out, const char *csrf, const char *error);
/* values: NULL for an empty form; call_id: the pre-filled id for an empty
 * one; err_field/err_reason: the field refused (NULL: none). */
void hotline_page_call (FILE *out, const char *csrf, const char *call_id, http_form_t *values,
                        const char *err_field, const char *err_reason);
/* at_ms: when it was registered; tz: the bank's zone (its name is shown). */
void hotline_page_confirmation (FILE *out, const char *csrf, const char *call_id,
                                const char *complaint_no, const char *query_code,
                                const char *state, bool duplicate, int64_t at_ms,
                                const char *tz);
void hotline_page_pending (FILE *out, const char *csrf, const char *call_id);
void hotline_page_message (FILE *out, const char *title, const char *text);

void hotline_page_test (bool verbose);

#endif
