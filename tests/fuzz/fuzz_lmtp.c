/*  fuzz_lmtp.c — libFuzzer target for the e-mail adapter's LMTP session
 *  (services/mail/lmtp_session.c), what any local process can connect to.
 *
 *  The input is a client's bytes; its first byte sets the size of the
 *  reads the server would make (1..256), so the fuzzer also splits
 *  commands, CRLFs and the end-of-data dot across reads. The session is
 *  driven as lmtp_server.c drives it: fed only while it wants input, its
 *  output taken after each feed. Whatever the bytes:
 *      - no crash, no leak, no read outside the input (ASan, UBSan);
 *      - a delivered message is never over max_message, and is delivered
 *        only to at least one recipient;
 *      - every reply line is three digits, then a space or a dash, and
 *        ends in CRLF; the output never grows past LMTP_MAX_OUTPUT;
 *      - the conversation ends (QUIT, too many errors, or the input used
 *        up): the loop cannot spin.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "lmtp_session.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_MAX_MESSAGE 4096

static void
s_deliver (void *arg, const char *sender, const char *data, size_t size, size_t nrcpt,
           lmtp_reply_t *reply)
{
    (void) sender;
    (void) data;
    int *delivered = (int *) arg;
    assert (size <= S_MAX_MESSAGE);
    assert (nrcpt >= 1 && nrcpt <= 4);
    (*delivered)++;
    reply->code = (size & 1) ? 250 : 451;
    strcpy (reply->text, "2.0.0 fuzz");
}

static void
s_check_output (const char *out, size_t n)
{
    assert (n <= LMTP_MAX_OUTPUT + 4096);
    size_t i = 0;
    while (i < n) {
        assert (n - i >= 6);
        for (int k = 0; k < 3; k++)
            assert (out [i + k] >= '0' && out [i + k] <= '9');
        assert (out [i + 3] == ' ' || out [i + 3] == '-');
        const char *lf = memchr (out + i, '\n', n - i);
        assert (lf && lf > out + i && lf [-1] == '\r');
        i = (size_t) (lf - out) + 1;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t) data [0] + 1;
    data++;
    size--;
    int delivered = 0;
    lmtp_session_t *s = lmtp_session_new ("fuzz.test", S_MAX_MESSAGE, 4, s_deliver, &delivered);
    size_t at = 0;
    int idle = 0;
    while (idle < 3) {
        bool fed = false;
        if (at < size && lmtp_session_wants_input (s)) {
            size_t n = size - at < chunk ? size - at : chunk;
            lmtp_session_feed (s, (const char *) data + at, n);
            at += n;
            fed = true;
        }
        size_t n;
        const char *out = lmtp_session_output (s, &n);
        s_check_output (out, n);
        lmtp_session_consumed (s, n);
        if (lmtp_session_closed (s))
            break;
        idle = fed || n ? 0 : idle + 1;
    }
    lmtp_session_destroy (&s);
    return 0;
}
