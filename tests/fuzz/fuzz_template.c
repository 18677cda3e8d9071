/*  fuzz_template.c — libFuzzer target for template_parse() and the two
 *  renderers on whatever it accepts.
 *
 *  Templates are written by operations, but a bad one must end in a
 *  `file:line: reason`, never in a crash, and what parses must render
 *  safely with any value a case can bring: values here carry "{{" and
 *  "}}" (they must come out as text, never be expanded again), CR/LF
 *  (they must not reach the subject, which becomes a mail header), and
 *  multi-byte UTF-8. Checked on every accepted input: the subject has no
 *  CR or LF, subject and body are valid UTF-8 (PostgreSQL stores them),
 *  and the same holds with no values at all (every placeholder "-").
 *  The field list copies the notifier's (notify_rules.c, s_fields).
 */
#include <assert.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <czmq.h>
#include "proto.h"
#include "template.h"

static const char *const s_fields [] = {
    "complaint_no", "received_at", "due_at", "product", "department", "department_name",
    "handler", "handler_name", "state", "level", "customer_name", "query_code", "outcome",
    "amount", "stage", "stage_zh", "percent", "tier", "step", "adds", "event_due_at", NULL
};

/* Values for most fields; "tier" stays missing and "step" empty, so both
 * ways to "-" are taken. */
static const char *const s_values [][2] = {
    { "complaint_no", "C20260302000001" },
    { "received_at", "2026-03-02 09:00" },
    { "due_at", "{{due_at}}" },
    { "product", "信用卡\r\nBcc: evil@example.com" },
    { "department", "}}{{" },
    { "department_name", "零售银行部 🏦" },
    { "handler", "h-7\n" },
    { "handler_name", "王\t五\x7f" },
    { "state", "{{state" },
    { "level", "major}}" },
    { "customer_name", "张三\r" },
    { "query_code", "7K3QD-M9XWA\r\n" },
    { "outcome", "退还年费 ¥200\r\n\r\n第二段" },
    { "amount", "200.00" },
    { "stage", "{{{{}}}}" },
    { "stage_zh", "处理中" },
    { "percent", "50%" },
    { "step", "" },
    { "event_due_at", "\n" },
};

static zhash_t *s_hash;

static void
s_check (const char *subject, const char *body)
{
    assert (subject && body);
    assert (!strchr (subject, '\r') && !strchr (subject, '\n'));
    assert (proto_utf8_valid (subject, strlen (subject)));
    assert (proto_utf8_valid (body, strlen (body)));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_hash) {
        s_hash = zhash_new ();
        assert (s_hash);
        for (size_t i = 0; i < sizeof s_values / sizeof s_values [0]; i++)
            zhash_insert (s_hash, s_values [i][0], (void *) s_values [i][1]);
    }
    conf_error_t err;
    memset (&err, 0, sizeof err);
    template_t *tpl = template_parse ("fuzz.txt", (const char *) data, size, s_fields, &err);
    if (!tpl) {
        assert (*err.reason);           /* a refusal always says why */
        assert (strcmp (err.file, "fuzz.txt") == 0 && err.line >= 0);
        assert (proto_utf8_valid (err.reason, strlen (err.reason)));
        return 0;
    }
    char *subject = template_render_subject (tpl, s_hash);
    char *body = template_render_body (tpl, s_hash);
    s_check (subject, body);
    free (subject);
    free (body);
    subject = template_render_subject (tpl, NULL);
    body = template_render_body (tpl, NULL);
    s_check (subject, body);
    assert (*subject);                  /* an empty subject was refused */
    free (subject);
    free (body);
    template_destroy (&tpl);
    assert (tpl == NULL);
    return 0;
}
