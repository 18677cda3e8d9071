/*  log.h — one structured line per event on stderr, in logfmt:
 *
 *      ts=2026-11-23T12:00:00.123Z level=info service=intake event=batch_committed n=120 ms=3.1
 *
 *  Operators grep and ship these lines; keys are stable, values with spaces
 *  or quotes are quoted. The caller writes the key=value pairs after the
 *  event name with a printf format.
 *
 *  Interface: log_init, log_info, log_warn, log_error, log_debug
 */
#ifndef LOG_H_INCLUDED
#define LOG_H_INCLUDED

#include <stdbool.h>

void log_init (const char *service);
void log_set_debug (bool on);
void log_emit (const char *level, const char *event, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#define log_info(event, ...)  log_emit ("info", event, __VA_ARGS__)
#define log_warn(event, ...)  log_emit ("warn", event, __VA_ARGS__)
#define log_error(event, ...) log_emit ("error", event, __VA_ARGS__)
void log_debug (const char *event, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Write `s` as a logfmt value into out (quoted and escaped when needed). */
const char *log_quote (char *out, size_t size, const char *s);

#endif
