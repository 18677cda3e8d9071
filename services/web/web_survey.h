/*  web_survey.h — the satisfaction survey's pages (issue 16 §2;
 *  docs/followup.md): the form the resolution message links to, and its
 *  answer; in Chinese and English, like the complaint form (web_page.h:
 *  no script, inline style, every field labelled, errors named).
 *
 *      GET  /survey?t=TOKEN      the form: a score 1-5 and a comment
 *      POST /survey              the form's answer (CSRF as the complaint form)
 *      POST /api/v1/survey       JSON {"token", "score", "comment"?}
 *
 *  The answer goes to intake as its `survey` request (services/web/main.c);
 *  what intake says back is shown here: recorded, already answered,
 *  expired, or not a valid link.
 *
 *  Interface:
 *      web_survey_form     the form (again with the error and the values)
 *      web_survey_done     the outcome page
 *      web_survey_json     the API's body -> the request's fields, or the error
 *      web_survey_test     self-test
 */
#ifndef WEB_SURVEY_H_INCLUDED
#define WEB_SURVEY_H_INCLUDED

#include "web_page.h"

#include <stdbool.h>
#include <stdio.h>

typedef enum {
    WEB_SURVEY_RECORDED = 0, WEB_SURVEY_ANSWERED, WEB_SURVEY_EXPIRED, WEB_SURVEY_INVALID,
    WEB_SURVEY_UNAVAILABLE
} web_survey_outcome_t;

/* error: a sentence above the form (NULL: none); score 0: none chosen. */
void web_survey_form (FILE *out, web_lang_t lang, const char *csrf, const char *token,
                      int score, const char *comment, const char *error);
void web_survey_done (FILE *out, web_lang_t lang, web_survey_outcome_t outcome);
/* A sentence for a refused form (score missing, comment too long). */
const char *web_survey_text_bad_score (web_lang_t lang);
const char *web_survey_text_too_long (web_lang_t lang);

/* The API body: 0 with *token, *score, *comment (malloc'd; comment NULL
 * when absent), or -1 with err naming the field. */
int web_survey_json (const char *body, size_t size, char **token, int *score, char **comment,
                     proto_error_t *err);

int web_survey_test (bool verbose, int *passed);

#endif
