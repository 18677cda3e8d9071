/*  lmtp_session.c — one LMTP conversation as a state machine (see
 *  lmtp_session.h for the protocol and its bounds).
 *
 *  Commands are read a line at a time into a fixed buffer; DATA is read a
 *  byte at a time through a four-state scanner (line start, a dot at line
 *  start, that dot followed by CR, mid-line) that drops the stuffed dot
 *  and finds the lone "." line wherever the reads happen to split the
 *  input. Message bytes go into a buffer that grows up to max_message and
 *  no further: a message over the limit is read to its end and refused,
 *  so the conversation stays in step.
 *
 *  Input the session cannot take yet — the client pipelined commands
 *  faster than it reads the replies — waits in `pending` (the server reads
 *  only while lmtp_session_wants_input, so pending never holds more than
 *  one read).
 */
#include "lmtp_session.h"
#include "selftest_tally.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_ADDR   256

typedef enum { S_NEED_LHLO, S_READY, S_MAIL, S_RCPT, S_DATA, S_CLOSED } s_state_t;
typedef enum { D_LINE_START, D_DOT, D_DOT_CR, D_MID } s_data_t;

struct _lmtp_session_t {
    char *host;
    size_t max_message, max_recipients;
    lmtp_deliver_fn *deliver;
    void *arg;
    s_state_t state;
    int errors;
    /* the command line being read */
    char line [LMTP_MAX_LINE + 1];
    size_t line_len;
    bool overlong;
    /* the transaction */
    char sender [S_MAX_ADDR + 1];
    size_t nrcpt;
    /* DATA */
    s_data_t data_state;
    char *message;
    size_t message_len, message_cap;
    bool oversize;
    /* what to send */
    char *out;
    size_t out_len, out_cap;
    /* input not yet processed (see the top of the file) */
    char *pending;
    size_t pending_len;
};

static void
s_out (lmtp_session_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_out (lmtp_session_t *self, const char *fmt, ...)
{
    char text [600];
    va_list args;
    va_start (args, fmt);
    int n = vsnprintf (text, sizeof text - 2, fmt, args);
    va_end (args);
    if (n < 0)
        return;
    if ((size_t) n > sizeof text - 3)
        n = (int) sizeof text - 3;
    text [n++] = '\r';
    text [n++] = '\n';
    if (self->out_len + (size_t) n > self->out_cap) {
        size_t cap = self->out_cap ? self->out_cap : 1024;
        while (cap < self->out_len + (size_t) n)
            cap *= 2;
        self->out = (char *) realloc (self->out, cap);
        assert (self->out);
        self->out_cap = cap;
    }
    memcpy (self->out + self->out_len, text, (size_t) n);
    self->out_len += (size_t) n;
}

lmtp_session_t *
lmtp_session_new (const char *host, size_t max_message, size_t max_recipients,
                  lmtp_deliver_fn *deliver, void *arg)
{
    lmtp_session_t *self = (lmtp_session_t *) calloc (1, sizeof *self);
    assert (self);
    self->host = strdup (host ? host : "localhost");
    assert (self->host);
    self->max_message = max_message;
    self->max_recipients = max_recipients ? max_recipients : 1;
    self->deliver = deliver;
    self->arg = arg;
    self->state = S_NEED_LHLO;
    s_out (self, "220 %s LMTP complaints mail adapter ready", self->host);
    return self;
}

void
lmtp_session_destroy (lmtp_session_t **self_p)
{
    assert (self_p);
    lmtp_session_t *self = *self_p;
    if (!self)
        return;
    free (self->host);
    free (self->message);
    free (self->out);
    free (self->pending);
    free (self);
    *self_p = NULL;
}

static void
s_reset (lmtp_session_t *self)
{
    self->sender [0] = 0;
    self->nrcpt = 0;
    self->message_len = 0;
    self->oversize = false;
    if (self->state != S_NEED_LHLO && self->state != S_CLOSED)
        self->state = S_READY;
}

static void
s_error (lmtp_session_t *self, const char *fmt, const char *detail)
{
    self->errors++;
    if (self->errors >= LMTP_MAX_ERRORS) {
        s_out (self, "421 4.7.0 %s closing: too many errors", self->host);
        self->state = S_CLOSED;
        return;
    }
    s_out (self, fmt, detail);
}

/* "FROM:" / "TO:" then <address>, an optional space allowed after the
 * colon. The address (without brackets) into out; -1 when malformed. */
static int
s_path (const char *args, const char *keyword, char *out, size_t size, const char **rest)
{
    size_t klen = strlen (keyword);
    if (strncasecmp (args, keyword, klen) != 0)
        return -1;
    const char *p = args + klen;
    while (*p == ' ')
        p++;
    if (*p != '<')
        return -1;
    const char *end = strchr (p, '>');
    if (!end || (size_t) (end - p - 1) >= size)
        return -1;
    memcpy (out, p + 1, (size_t) (end - p - 1));
    out [end - p - 1] = 0;
    for (char *c = out; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == '<')
            return -1;
    if (rest)
        *rest = end + 1;
    return 0;
}

static void
s_command (lmtp_session_t *self, char *line)
{
    char *args = line;
    while (*args && *args != ' ')
        args++;
    size_t verb_len = (size_t) (args - line);
    while (*args == ' ')
        args++;
#define VERB(v) (verb_len == strlen (v) && strncasecmp (line, v, verb_len) == 0)
    if (VERB ("LHLO")) {
        if (!*args) {
            s_error (self, "501 5.5.4 LHLO needs a domain%s", "");
            return;
        }
        s_reset (self);
        self->state = S_READY;
        s_out (self, "250-%s", self->host);
        s_out (self, "250-PIPELINING");
        s_out (self, "250-ENHANCEDSTATUSCODES");
        s_out (self, "250-8BITMIME");
        s_out (self, "250 SIZE %zu", self->max_message);
    }
    else
    if (VERB ("HELO") || VERB ("EHLO"))
        s_error (self, "500 5.5.1 this is LMTP: say LHLO%s", "");
    else
    if (VERB ("MAIL")) {
        const char *rest = NULL;
        char sender [S_MAX_ADDR + 1];
        if (self->state == S_NEED_LHLO)
            s_error (self, "503 5.5.1 LHLO first%s", "");
        else
        if (self->state != S_READY)
            s_error (self, "503 5.5.1 a transaction is open: RSET first%s", "");
        else
        if (s_path (args, "FROM:", sender, sizeof sender, &rest))
            s_error (self, "501 5.5.4 syntax: MAIL FROM:<address>%s", "");
        else {
            //  SIZE=n announced: refuse now what would be refused at the end.
            const char *size = strcasestr (rest, "SIZE=");
            if (size && strtoull (size + 5, NULL, 10) > self->max_message)
                s_out (self, "552 5.3.4 the message is over the limit of %zu bytes",
                       self->max_message);
            else {
                snprintf (self->sender, sizeof self->sender, "%s", sender);
                self->state = S_MAIL;
                s_out (self, "250 2.1.0 sender ok");
            }
        }
    }
    else
    if (VERB ("RCPT")) {
        char rcpt [S_MAX_ADDR + 1];
        if (self->state != S_MAIL && self->state != S_RCPT)
            s_error (self, "503 5.5.1 MAIL first%s", "");
        else
        if (s_path (args, "TO:", rcpt, sizeof rcpt, NULL) || !*rcpt)
            s_error (self, "501 5.5.4 syntax: RCPT TO:<address>%s", "");
        else
        if (self->nrcpt >= self->max_recipients)
            s_out (self, "452 4.5.3 too many recipients (at most %zu)", self->max_recipients);
        else {
            self->nrcpt++;
            self->state = S_RCPT;
            s_out (self, "250 2.1.5 recipient ok");
        }
    }
    else
    if (VERB ("DATA")) {
        if (self->state != S_RCPT)
            s_error (self, "503 5.5.1 %s first", self->state == S_MAIL ? "RCPT" : "MAIL");
        else {
            self->state = S_DATA;
            self->data_state = D_LINE_START;
            self->message_len = 0;
            self->oversize = false;
            s_out (self, "354 2.0.0 end the message with a line holding only a dot");
        }
    }
    else
    if (VERB ("RSET")) {
        s_reset (self);
        s_out (self, "250 2.0.0 reset");
    }
    else
    if (VERB ("NOOP"))
        s_out (self, "250 2.0.0 ok");
    else
    if (VERB ("VRFY"))
        s_out (self, "252 2.5.2 cannot verify; send the message");
    else
    if (VERB ("QUIT")) {
        s_out (self, "221 2.0.0 %s closing", self->host);
        self->state = S_CLOSED;
    }
    else
        s_error (self, "500 5.5.2 unknown command%s", "");
#undef VERB
}

static void
s_message_add (lmtp_session_t *self, char c)
{
    if (self->message_len >= self->max_message) {
        self->oversize = true;
        return;
    }
    if (self->message_len == self->message_cap) {
        size_t cap = self->message_cap ? self->message_cap * 2 : 16 * 1024;
        if (cap > self->max_message)
            cap = self->max_message;
        self->message = (char *) realloc (self->message, cap);
        assert (self->message);
        self->message_cap = cap;
    }
    self->message [self->message_len++] = c;
}

/* The lone dot came: answer every recipient, after the message is stored. */
static void
s_message_end (lmtp_session_t *self)
{
    lmtp_reply_t reply = { 0, "" };
    if (self->oversize) {
        reply.code = 552;
        snprintf (reply.text, sizeof reply.text,
                  "5.3.4 the message is over the limit of %zu bytes", self->max_message);
    }
    else
    if (self->deliver)
        self->deliver (self->arg, self->sender, self->message ? self->message : "",
                       self->message_len, self->nrcpt, &reply);
    if (reply.code < 200 || reply.code > 599) {
        reply.code = 451;
        snprintf (reply.text, sizeof reply.text, "4.3.0 not stored; try again later");
    }
    for (size_t i = 0; i < self->nrcpt; i++)
        s_out (self, "%d %s", reply.code, reply.text);
    self->state = S_READY;
    s_reset (self);
    /* A large buffer is not kept for an idle connection. */
    if (self->message_cap > 256 * 1024) {
        free (self->message);
        self->message = NULL;
        self->message_cap = 0;
    }
}

static void
s_data_byte (lmtp_session_t *self, char c)
{
    switch (self->data_state) {
        case D_LINE_START:
            if (c == '.') {
                self->data_state = D_DOT;
                return;
            }
            s_message_add (self, c);
            self->data_state = c == '\n' ? D_LINE_START : D_MID;
            return;
        case D_DOT:
            if (c == '\r') {
                self->data_state = D_DOT_CR;
                return;
            }
            if (c == '\n') {
                s_message_end (self);
                return;
            }
            s_message_add (self, c);            /* the stuffed dot is dropped */
            self->data_state = D_MID;
            return;
        case D_DOT_CR:
            if (c == '\n') {
                s_message_end (self);
                return;
            }
            s_message_add (self, '\r');         /* ".\rX": the dot was stuffed */
            s_message_add (self, c);
            self->data_state = D_MID;
            return;
        case D_MID:
            s_message_add (self, c);
            if (c == '\n')
                self->data_state = D_LINE_START;
            return;
    }
}

/* Process input until it is used up or the replies waiting are too many. */
static size_t
s_process (lmtp_session_t *self, const char *data, size_t size)
{
    size_t i = 0;
    while (i < size && self->state != S_CLOSED && self->out_len < LMTP_MAX_OUTPUT / 2) {
        char c = data [i++];
        if (self->state == S_DATA) {
            s_data_byte (self, c);
            continue;
        }
        if (c != '\n') {
            if (self->line_len < LMTP_MAX_LINE)
                self->line [self->line_len++] = c;
            else
                self->overlong = true;
            continue;
        }
        if (self->line_len && self->line [self->line_len - 1] == '\r')
            self->line_len--;
        self->line [self->line_len] = 0;
        bool overlong = self->overlong;
        size_t len = self->line_len;
        self->line_len = 0;
        self->overlong = false;
        if (overlong)
            s_error (self, "500 5.5.6 line too long (at most %s bytes)", "1000");
        else
        if (memchr (self->line, 0, len))
            s_error (self, "500 5.5.2 unreadable command%s", "");
        else
            s_command (self, self->line);
    }
    return i;
}

void
lmtp_session_feed (lmtp_session_t *self, const char *data, size_t size)
{
    assert (self);
    size_t used = s_process (self, data, size);
    if (used < size && self->state != S_CLOSED) {
        char *more = (char *) realloc (self->pending, self->pending_len + size - used);
        assert (more);
        self->pending = more;
        memcpy (self->pending + self->pending_len, data + used, size - used);
        self->pending_len += size - used;
    }
}

const char *
lmtp_session_output (lmtp_session_t *self, size_t *size)
{
    assert (self && size);
    *size = self->out_len;
    return self->out;
}

void
lmtp_session_consumed (lmtp_session_t *self, size_t size)
{
    assert (self && size <= self->out_len);
    memmove (self->out, self->out + size, self->out_len - size);
    self->out_len -= size;
    if (self->pending_len && self->out_len < LMTP_MAX_OUTPUT / 2) {
        size_t used = s_process (self, self->pending, self->pending_len);
        memmove (self->pending, self->pending + used, self->pending_len - used);
        self->pending_len -= used;
    }
}

bool
lmtp_session_closed (lmtp_session_t *self)
{
    assert (self);
    return self->state == S_CLOSED;
}

bool
lmtp_session_wants_input (lmtp_session_t *self)
{
    assert (self);
    return self->state != S_CLOSED && self->pending_len == 0
        && self->out_len < LMTP_MAX_OUTPUT / 2;
}

bool
lmtp_session_busy (lmtp_session_t *self)
{
    assert (self);
    return self->out_len > 0 || self->state == S_MAIL || self->state == S_RCPT
        || self->state == S_DATA;
}

/* ---- self-test ------------------------------------------------------------ */

typedef struct {
    int delivered;
    char body [256];
    char sender [64];
} s_test_sink_t;

static void
s_test_deliver (void *arg, const char *sender, const char *data, size_t size, size_t nrcpt,
                lmtp_reply_t *reply)
{
    (void) nrcpt;
    s_test_sink_t *sink = (s_test_sink_t *) arg;
    sink->delivered++;
    snprintf (sink->body, sizeof sink->body, "%.*s", (int) size, data);
    snprintf (sink->sender, sizeof sink->sender, "%s", sender);
    reply->code = 250;
    snprintf (reply->text, sizeof reply->text, "2.0.0 stored");
}

/* Everything the session said, as one string (consumed). */
static char *
s_test_take (lmtp_session_t *s)
{
    size_t n;
    const char *out = lmtp_session_output (s, &n);
    char *copy = (char *) malloc (n + 1);
    assert (copy);
    if (n)
        memcpy (copy, out, n);
    copy [n] = 0;
    lmtp_session_consumed (s, n);
    return copy;
}

void
lmtp_session_test (bool verbose, int *passed, int *failed)
{
    selftest_tally_t tally = { 0, 0 };
    s_test_sink_t sink = { 0 };
    lmtp_session_t *s = lmtp_session_new ("mx.test", 100, 3, s_test_deliver, &sink);
    char *out = s_test_take (s);
    selftest_tally_check (&tally, verbose, strncmp (out, "220 mx.test", 11) == 0, "greeting");
    free (out);

    //  A whole transaction pipelined in one write, split into two feeds in
    //  the middle of the end marker; a stuffed dot; two recipients.
    const char *talk = "MAIL FROM:<a@b>\r\nLHLO x\r\nMAIL FROM:<a@b> SIZE=20\r\n"
                       "RCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\n"
                       "Subject: x\r\n\r\n..dot\r\nend\r\n.\r\nQUIT\r\n";
    size_t half = strlen (talk) - 9;
    lmtp_session_feed (s, talk, half);
    lmtp_session_feed (s, talk + half, strlen (talk) - half);
    out = s_test_take (s);
    selftest_tally_check (&tally, verbose, strstr (out, "503 5.5.1 LHLO first") != NULL,
             "MAIL before LHLO refused");
    selftest_tally_check (&tally, verbose, strstr (out, "250 SIZE 100") != NULL, "LHLO says SIZE");
    selftest_tally_check (&tally, verbose, sink.delivered == 1
             && strcmp (sink.body, "Subject: x\r\n\r\n.dot\r\nend\r\n") == 0,
             "delivered once, dot unstuffed, end marker split across feeds");
    selftest_tally_check (&tally, verbose, strcmp (sink.sender, "a@b") == 0, "sender");
    const char *first = strstr (out, "250 2.0.0 stored");
    selftest_tally_check (&tally, verbose, first && strstr (first + 1, "250 2.0.0 stored"),
             "one reply per recipient");
    selftest_tally_check (&tally, verbose, strstr (out, "221 ") && lmtp_session_closed (s), "QUIT");
    free (out);
    lmtp_session_destroy (&s);
    lmtp_session_destroy (&s);
    selftest_tally_check (&tally, verbose, s == NULL, "destroy nulls the pointer");

    //  Over the size: read to the end, then 552 for each recipient;
    //  announced over the size: 552 at MAIL; too many recipients: 452;
    //  the null sender; an overlong line; LF-only line ends.
    memset (&sink, 0, sizeof sink);
    s = lmtp_session_new ("mx.test", 10, 1, s_test_deliver, &sink);
    free (s_test_take (s));
    const char *big = "LHLO x\nMAIL FROM:<> SIZE=999\nMAIL FROM:<>\nRCPT TO:<a@b>\n"
                      "RCPT TO:<c@d>\nDATA\n0123456789012345\n.\nNOOP\n";
    lmtp_session_feed (s, big, strlen (big));
    out = s_test_take (s);
    selftest_tally_check (&tally, verbose, strstr (out, "552 5.3.4") && sink.delivered == 0,
             "over the limit: 552, nothing delivered");
    selftest_tally_check (&tally, verbose, strstr (out, "452 4.5.3") != NULL, "recipient limit");
    selftest_tally_check (&tally, verbose, strstr (out, "250 2.0.0 ok") != NULL,
             "in step after a refused message");
    free (out);
    char longline [2100];
    memset (longline, 'A', sizeof longline - 2);
    longline [sizeof longline - 2] = '\n';
    longline [sizeof longline - 1] = 0;
    lmtp_session_feed (s, longline, strlen (longline));
    out = s_test_take (s);
    selftest_tally_check (&tally, verbose, strstr (out, "500 5.5.6") != NULL, "overlong line");
    free (out);
    for (int i = 0; i < LMTP_MAX_ERRORS; i++)
        lmtp_session_feed (s, "BOGUS\r\n", 7);
    out = s_test_take (s);
    selftest_tally_check (&tally, verbose, strstr (out, "421 ") && lmtp_session_closed (s),
             "too many errors: 421 and closed");
    free (out);
    lmtp_session_destroy (&s);

    //  Pipelining without reading: input waits, bounded by the output.
    s = lmtp_session_new ("mx.test", 10, 1, NULL, NULL);
    char noops [8000];
    for (size_t i = 0; i + 6 <= sizeof noops; i += 6)
        memcpy (noops + i, "NOOP\r\n", 6);
    for (int i = 0; i < 4; i++)
        lmtp_session_feed (s, noops, sizeof noops - sizeof noops % 6);
    size_t n;
    lmtp_session_output (s, &n);
    selftest_tally_check (&tally, verbose, n <= LMTP_MAX_OUTPUT && !lmtp_session_wants_input (s),
             "a client that does not read is not read");
    int replies = 0;
    while (true) {
        out = s_test_take (s);
        for (char *p = out; (p = strstr (p, "250 2.0.0 ok")); p++)
            replies++;
        bool empty = !*out;
        free (out);
        if (empty)
            break;
    }
    selftest_tally_check (&tally, verbose, replies == 4 * (8000 / 6), "every pipelined command answered");
    lmtp_session_destroy (&s);
    *failed += selftest_tally_end (&tally, verbose, "lmtp_session", passed);
}
