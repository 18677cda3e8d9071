/*  log.c — logfmt lines on stderr (see log.h).
 *  One fprintf per line with stderr unbuffered keeps lines from two threads
 *  from interleaving mid-line.
 */
#include <stddef.h>
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char s_service [64] = "complaints";
static bool s_debug = false;

void
log_init (const char *service)
{
    snprintf (s_service, sizeof s_service, "%s", service);
}

void
log_set_debug (bool on)
{
    s_debug = on;
}

static void
s_vemit (const char *level, const char *event, const char *fmt, va_list ap)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r (&ts.tv_sec, &tm);
    char line [2048];
    int n = snprintf (line, sizeof line,
                      "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s service=%s pid=%d event=%s",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, ts.tv_nsec / 1000000, level, s_service, (int) getpid (), event);
    if (n > 0 && (size_t) n < sizeof line - 2 && fmt && *fmt) {
        line [n++] = ' ';
        int m = vsnprintf (line + n, sizeof line - (size_t) n - 1, fmt, ap);
        if (m > 0)
            n += m < (int) (sizeof line - (size_t) n - 1) ? m : (int) (sizeof line - (size_t) n - 2);
    }
    if (n < 0)
        return;
    if ((size_t) n > sizeof line - 2)
        n = (int) sizeof line - 2;
    line [n++] = '\n';
    line [n] = 0;
    fputs (line, stderr);
}

void
log_emit (const char *level, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_vemit (level, event, fmt, ap);
    va_end (ap);
}

void
log_debug (const char *event, const char *fmt, ...)
{
    if (!s_debug)
        return;
    va_list ap;
    va_start (ap, fmt);
    s_vemit ("debug", event, fmt, ap);
    va_end (ap);
}

const char *
log_quote (char *out, size_t size, const char *s)
{
    if (!s)
        s = "";
    bool plain = *s != 0 && strcspn (s, " \"=\\\n\t") == strlen (s);
    if (plain) {
        snprintf (out, size, "%s", s);
        return out;
    }
    size_t o = 0;
    if (size < 3) {
        if (size)
            out [0] = 0;
        return out;
    }
    out [o++] = '"';
    for (; *s && o + 3 < size; s++) {
        if (*s == '"' || *s == '\\') {
            out [o++] = '\\';
            out [o++] = *s;
        }
        else
        if (*s == '\n') {
            out [o++] = '\\';
            out [o++] = 'n';
        }
        else
            out [o++] = *s;
    }
    out [o++] = '"';
    out [o] = 0;
    return out;
}
