/*  fuzz_mail.c — libFuzzer target for mail_message_parse(), what the e-mail
 *  adapter runs on every message a stranger can send the bank.
 *
 *  The input is one message's bytes (seeds: the corpus tests/data/mail/,
 *  copied by tests/fuzz/make_corpus.py). GMime is initialised once, in
 *  LLVMFuzzerInitialize, as the mail binary does in main. Whatever the
 *  bytes:
 *      - no crash, no leak, no read outside the input (ASan, UBSan);
 *      - a result with one of the four verdicts, a code, a reason and a
 *        ref of 1..128 bytes;
 *      - every string handed out is valid UTF-8 (no NUL inside);
 *      - a complaint's submit is one intake accepts: request_decode takes
 *        it as a submit on channel "email" — so no message, however odd,
 *        becomes a submit intake refuses and the daemon retries forever;
 *      - anything else packs no submit.
 *  The limits are small (64 KiB message, 16 parts, depth 4, 4 attachments)
 *  so the fuzzer also crosses every limit, not just the size one.
 */
#include <assert.h>
#include <gmime/gmime.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "mail_message.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    g_mime_init ();
    return 0;
}

static void
s_utf8 (const char *s)
{
    if (s)
        assert (proto_utf8_valid (s, strlen (s)));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    mail_limits_t limits = mail_limits_default ();
    limits.max_message = 64 * 1024;
    limits.max_parts = 16;
    limits.max_depth = 4;
    limits.max_attachments = 4;
    mail_message_t *m = mail_message_parse (data, size, &limits);
    assert (m);
    assert (m->kind >= MAIL_COMPLAINT && m->kind <= MAIL_UNPARSABLE);
    assert (m->code && *m->code && *m->reason);
    assert (m->ref && *m->ref && strlen (m->ref) <= PROTO_MAX_REF);
    s_utf8 (m->ref);
    s_utf8 (m->message_id);
    s_utf8 (m->from_name);
    s_utf8 (m->from_addr);
    s_utf8 (m->to);
    s_utf8 (m->subject);
    s_utf8 (m->in_reply_to);
    s_utf8 (m->body);
    s_utf8 (m->replied_id);
    for (size_t i = 0; i < m->n_references; i++)
        s_utf8 (m->references [i]);
    for (size_t i = 0; i < m->n_attachments; i++) {
        s_utf8 (m->attachments [i].filename);
        s_utf8 (m->attachments [i].content_type);
        assert (strlen (m->attachments [i].sha256) == 64);
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    int rc = mail_message_submit_pack (m, m->has_date ? m->date_ms : 1, &buf);
    if (m->kind == MAIL_COMPLAINT) {
        assert (rc == 0);
        msgpack_unpacked up;
        msgpack_unpacked_init (&up);
        request_t req;
        proto_error_t err;
        int decoded = request_decode (buf.data, buf.size, &up, &req, &err);
        if (decoded != 0) {
            fprintf (stderr, "submit refused: %s %s %s\n", err.code, err.field, err.message);
            assert (decoded == 0);
        }
        assert (req.op == REQUEST_SUBMIT);
        msgpack_unpacked_destroy (&up);
    }
    else
        assert (rc == -1 && buf.size == 0);
    msgpack_sbuffer_destroy (&buf);
    mail_message_destroy (&m);
    return 0;
}
