/*  smtp_sink.c — smtp-sink: a small real SMTP server that stores what it
 *  receives, for the notifier's tests, `make up` and the benchmarks.
 *
 *      smtp-sink --port N --dir DIR [--delay SECONDS] [--bind IPV4]
 *
 *  Speaks SMTP on 127.0.0.1:N (or --bind's address: a "real server" that
 *  offers no STARTTLS, for the test of the notifier's TLS default) (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
 *  QUIT). Each accepted message is stored as DIR/<ns>-<n>.eml, an
 *  "X-Rcpt-To:" line before it, written to a dot-file and renamed (a file is
 *  whole), BEFORE the 250 reply and after --delay seconds: a client killed
 *  while waiting leaves a message the server has — the one duplicate the
 *  notifier may cause. `deploy/sinks/smtp_sink.py report --dir DIR` reads
 *  them back (decoded subject, body, Message-ID, header problems).
 *
 *  Why C: a benchmark drives a thousand receipts a second through the
 *  pipeline, and the sink shares the machine's two cores with it. An
 *  asyncio server spent about half a millisecond of CPU per message (an
 *  event-loop turn per command); this one is a poll () loop over
 *  non-blocking sockets that answers every complete line in the buffer at
 *  once, a few tens of microseconds per message, so it is never the limit
 *  being measured. Bounded: a line over 4 KiB or a message over 16 MiB is
 *  refused (552/500) and the connection closed; at most 256 connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_CLIENTS   256
#define S_MAX_LINE      4096
#define S_MAX_MESSAGE   (16 * 1024 * 1024)

typedef struct {
    int fd;
    char *in;                   /* received, not yet processed */
    size_t in_len, in_cap;
    char *data;                 /* the message while in DATA */
    size_t data_len, data_cap;
    bool in_data;
    char rcpt [1024];           /* "a@b,c@d" */
    int64_t wake_at;            /* a --delay pending: store then (ms), else 0 */
} s_client_t;

static volatile sig_atomic_t s_stop = 0;
static const char *s_dir;
static double s_delay;
static unsigned long s_counter;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

//  mkdir -p: the mailbox may not exist yet. 0, -1.
static int
s_mkdirs (const char *dir)
{
    char path [4096];
    snprintf (path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (path, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir (path, 0755) && errno != EEXIST ? -1 : 0;
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_append (char **buf, size_t *len, size_t *cap, const char *data, size_t size)
{
    if (*len + size + 1 > *cap) {
        *cap = (*len + size + 1) * 2;
        *buf = realloc (*buf, *cap);
        if (!*buf) {
            perror ("smtp-sink: realloc");
            exit (1);
        }
    }
    memcpy (*buf + *len, data, size);
    *len += size;
    (*buf) [*len] = 0;
}

static void
s_say (s_client_t *c, const char *text)
{
    size_t len = strlen (text), off = 0;
    //  Replies are short and the client waits for each: a blocking-ish loop
    //  on a non-blocking socket is enough (EAGAIN only with a full buffer).
    while (off < len) {
        ssize_t n = send (c->fd, text + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = { c->fd, POLLOUT, 0 };
            poll (&p, 1, 1000);
            continue;
        }
        if (n <= 0)
            return;
        off += (size_t) n;
    }
}

static void
s_close (s_client_t *c)
{
    close (c->fd);
    free (c->in);
    free (c->data);
    memset (c, 0, sizeof *c);
    c->fd = -1;
}

//  Write the message, then answer 250. 0, -1 when it could not be stored.
static int
s_store (s_client_t *c)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    char name [64], tmp [4200], path [4200];
    snprintf (name, sizeof name, "%lld-%lu",
              (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec, ++s_counter);
    snprintf (tmp, sizeof tmp, "%s/.%s", s_dir, name);
    snprintf (path, sizeof path, "%s/%s.eml", s_dir, name);
    FILE *f = fopen (tmp, "wb");
    bool ok = f != NULL;
    if (f) {
        ok = fprintf (f, "X-Rcpt-To: %s\r\n", c->rcpt) > 0
          && fwrite (c->data, 1, c->data_len, f) == c->data_len;
        ok = fclose (f) == 0 && ok;
    }
    if (ok)
        ok = rename (tmp, path) == 0;
    c->data_len = 0;
    c->rcpt [0] = 0;
    char reply [128];
    snprintf (reply, sizeof reply, ok ? "250 OK stored %s\r\n" : "451 cannot store %s\r\n", name);
    s_say (c, reply);
    return ok ? 0 : -1;
}

static void
s_command (s_client_t *c, const char *line)
{
    char verb [5] = "";
    for (int i = 0; i < 4 && line [i]; i++)
        verb [i] = (char) (line [i] >= 'a' && line [i] <= 'z' ? line [i] - 32 : line [i]);
    if (!strcmp (verb, "EHLO"))
        s_say (c, "250-notify-smtpd\r\n250 8BITMIME\r\n");
    else
    if (!strcmp (verb, "HELO"))
        s_say (c, "250 notify-smtpd\r\n");
    else
    if (!strcmp (verb, "MAIL") || !strcmp (verb, "RSET")) {
        c->rcpt [0] = 0;
        s_say (c, "250 OK\r\n");
    }
    else
    if (!strcmp (verb, "RCPT")) {
        const char *p = strchr (line, ':');
        p = p ? p + 1 : "";
        while (*p == ' ' || *p == '<')
            p++;
        size_t n = strcspn (p, ">");
        size_t used = strlen (c->rcpt);
        if (used + n + 2 < sizeof c->rcpt)
            snprintf (c->rcpt + used, sizeof c->rcpt - used, "%s%.*s", used ? "," : "",
                      (int) n, p);
        s_say (c, "250 OK\r\n");
    }
    else
    if (!strcmp (verb, "DATA")) {
        c->in_data = true;
        c->data_len = 0;
        s_say (c, "354 go ahead\r\n");
    }
    else
    if (!strcmp (verb, "NOOP"))
        s_say (c, "250 OK\r\n");
    else
    if (!strcmp (verb, "QUIT")) {
        s_say (c, "221 bye\r\n");
        s_close (c);
    }
    else
        s_say (c, "502 not implemented\r\n");
}

//  Every complete line in the buffer, unless a --delay holds the session.
static void
s_process (s_client_t *c)
{
    size_t start = 0;
    while (c->fd >= 0 && !c->wake_at) {
        char *nl = memchr (c->in + start, '\n', c->in_len - start);
        if (!nl) {
            if (c->in_len - start > S_MAX_LINE) {
                s_say (c, "500 line too long\r\n");
                s_close (c);
                return;
            }
            break;
        }
        size_t len = (size_t) (nl - (c->in + start)) + 1;
        char *line = c->in + start;
        start += len;
        if (c->in_data) {
            if ((len == 3 && !memcmp (line, ".\r\n", 3)) || (len == 2 && !memcmp (line, ".\n", 2))) {
                c->in_data = false;
                if (s_delay > 0)
                    c->wake_at = s_now_ms () + (int64_t) (s_delay * 1000);
                else
                    s_store (c);
                continue;
            }
            if (len >= 2 && line [0] == '.' && line [1] == '.') {
                line++;
                len--;
            }
            if (c->data_len + len > S_MAX_MESSAGE) {
                s_say (c, "552 message too large\r\n");
                s_close (c);
                return;
            }
            s_append (&c->data, &c->data_len, &c->data_cap, line, len);
            continue;
        }
        char text [S_MAX_LINE + 1];
        size_t n = len > S_MAX_LINE ? S_MAX_LINE : len;
        memcpy (text, line, n);
        text [n] = 0;
        text [strcspn (text, "\r\n")] = 0;
        s_command (c, text);
    }
    if (c->fd >= 0) {
        memmove (c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
    }
}

int
main (int argc, char **argv)
{
    int port = 0;
    const char *bind_to = "127.0.0.1";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp (argv [i], "--port"))
            port = atoi (argv [i + 1]);
        else
        if (!strcmp (argv [i], "--dir"))
            s_dir = argv [i + 1];
        else
        if (!strcmp (argv [i], "--delay"))
            s_delay = atof (argv [i + 1]);
        else
        if (!strcmp (argv [i], "--bind"))
            bind_to = argv [i + 1];
        else {
            fprintf (stderr, "smtp-sink: unknown flag %s\n", argv [i]);
            return 2;
        }
    }
    if (port <= 0 || port > 65535 || !s_dir || s_delay < 0 || argc % 2 == 0) {
        fprintf (stderr, "usage: smtp-sink --port N --dir DIR [--delay SECONDS] [--bind IPV4]\n");
        return 2;
    }
    if (s_mkdirs (s_dir)) {
        fprintf (stderr, "smtp-sink: cannot create %s: %s\n", s_dir, strerror (errno));
        return 1;
    }
    signal (SIGTERM, s_on_signal);
    signal (SIGINT, s_on_signal);
    int listener = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt (listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    if (inet_pton (AF_INET, bind_to, &addr.sin_addr) != 1) {
        fprintf (stderr, "smtp-sink: --bind %s is not an IPv4 address\n", bind_to);
        return 2;
    }
    if (bind (listener, (struct sockaddr *) &addr, sizeof addr) || listen (listener, 128)) {
        fprintf (stderr, "smtp-sink: cannot listen on %s:%d: %s\n", bind_to, port,
                 strerror (errno));
        return 1;
    }
    printf ("listening on %s:%d\n", bind_to, port);
    fflush (stdout);
    static s_client_t clients [S_MAX_CLIENTS];
    for (int i = 0; i < S_MAX_CLIENTS; i++)
        clients [i].fd = -1;
    struct pollfd fds [S_MAX_CLIENTS + 1];
    int slot [S_MAX_CLIENTS + 1];
    while (!s_stop) {
        int n = 0, timeout = -1;
        int64_t now = s_now_ms ();
        fds [n++] = (struct pollfd) { listener, POLLIN, 0 };
        for (int i = 0; i < S_MAX_CLIENTS; i++) {
            s_client_t *c = &clients [i];
            if (c->fd < 0)
                continue;
            if (c->wake_at) {
                int left = c->wake_at > now ? (int) (c->wake_at - now) : 0;
                if (timeout < 0 || left < timeout)
                    timeout = left;
            }
            slot [n] = i;
            fds [n++] = (struct pollfd) { c->fd, POLLIN, 0 };
        }
        if (poll (fds, (nfds_t) n, timeout) < 0 && errno != EINTR)
            break;
        now = s_now_ms ();
        //  Delays that ran out: store, answer, go on with what is buffered.
        for (int i = 0; i < S_MAX_CLIENTS; i++) {
            s_client_t *c = &clients [i];
            if (c->fd >= 0 && c->wake_at && c->wake_at <= now) {
                c->wake_at = 0;
                s_store (c);
                s_process (c);
            }
        }
        for (int k = 1; k < n; k++) {
            if (!(fds [k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            s_client_t *c = &clients [slot [k]];
            if (c->fd != fds [k].fd)
                continue;               /* closed meanwhile */
            char buf [65536];
            ssize_t got = recv (c->fd, buf, sizeof buf, 0);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                s_close (c);
                continue;
            }
            if (got > 0) {
                s_append (&c->in, &c->in_len, &c->in_cap, buf, (size_t) got);
                s_process (c);
            }
        }
        if (fds [0].revents & POLLIN) {
            int fd;
            while ((fd = accept4 (listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                int i = 0;
                while (i < S_MAX_CLIENTS && clients [i].fd >= 0)
                    i++;
                if (i == S_MAX_CLIENTS) {
                    const char *busy = "421 too many connections\r\n";
                    if (send (fd, busy, strlen (busy), MSG_NOSIGNAL) < 0)
                        (void) 0;       /* closing anyway */
                    close (fd);
                    continue;
                }
                setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                clients [i].fd = fd;
                s_say (&clients [i], "220 notify-smtpd ready\r\n");
            }
        }
    }
    for (int i = 0; i < S_MAX_CLIENTS; i++)
        if (clients [i].fd >= 0)
            s_close (&clients [i]);
    close (listener);
    return 0;
}
