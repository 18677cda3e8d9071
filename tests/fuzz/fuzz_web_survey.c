/*  fuzz_web_survey.c — libFuzzer target for the web adapter's survey API
 *  body (services/web/web_survey.c, POST /api/v1/survey; issue 16
 *  follow-up, adapters2): a JSON object any stranger holding or guessing a
 *  link can send.
 *
 *  The first byte picks the page's language and whether the form is shown
 *  again with what was sent; the rest is the body. Whatever the bytes:
 *      - no crash, no leak, no read outside the input (ASan, UBSan);
 *      - accepted: a token of 1..SURVEY_TOKEN_MAX bytes and a score 1..5;
 *        the request the adapter then packs (survey_pack) is one intake
 *        decodes as `survey` with that score, or refuses naming the
 *        comment (longer than intake's 1000 characters: intake's rule,
 *        not repeated here) — never another field;
 *      - refused: a code, nothing handed out, and its JSON answer made;
 *      - the form shown with the token and the comment holds no "<script"
 *        (every value through html_escape).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "request.h"
#include "survey_request.h"
#include "web_api.h"
#include "web_survey.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_accepted (const char *token, int score, const char *comment)
{
    assert (token && *token && strlen (token) <= SURVEY_TOKEN_MAX);
    assert (score >= 1 && score <= 5);
    assert (!comment || *comment);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    survey_pack (&buf, token, score, comment);
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    request_t req;
    proto_error_t err;
    memset (&err, 0, sizeof err);
    if (request_decode (buf.data, buf.size, &msg, &req, &err) == 0)
        assert (req.op == REQUEST_SURVEY && req.u.survey.score == score && !req.u.survey.check);
    else
        assert (comment && strcmp (err.field, "comment") == 0);
    msgpack_unpacked_destroy (&msg);
    msgpack_sbuffer_destroy (&buf);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *) data + 1;
    size_t len = size - 1;
    char *token = NULL, *comment = NULL;
    int score = -1;
    proto_error_t err;
    memset (&err, 0, sizeof err);
    if (web_survey_json (body, len, &token, &score, &comment, &err) == 0)
        s_accepted (token, score, comment);
    else {
        assert (err.code && *err.code && !token && !comment);
        char *json = web_api_error_json (&err);
        assert (json);
        free (json);
    }
    if (data [0] & 1) {
        char *page = NULL;
        size_t page_size = 0;
        FILE *f = open_memstream (&page, &page_size);
        web_survey_form (f, (data [0] & 2) ? WEB_EN : WEB_ZH, "1.ab", token,
                         score >= 1 && score <= 5 ? score : 0, comment,
                         token ? NULL : err.message);
        fclose (f);
        assert (!strstr (page, "<script"));
        free (page);
    }
    free (token);
    free (comment);
    return 0;
}
