/*  conf.h — the one reader of the project's line-oriented configuration
 *  files, and the one error every loader reports.
 *
 *  The routing rules, the directory, the staff tokens, the priority
 *  thresholds, the JR/T table (services/router), the SLA policy
 *  (services/watchdog), the notification rules (services/notifier) and the
 *  calendars (common/calendar.c) share one lexical layer, described once in
 *  docs/config-files.md:
 *
 *      - UTF-8 text; a byte order mark is allowed at the very start; every
 *        line must be valid UTF-8 without NUL bytes, comments included;
 *      - one statement per line; LF or CRLF line ends;
 *      - `#` starts a comment that runs to the end of the line (outside a
 *        "quoted string"); blank and comment-only lines are skipped;
 *      - words are separated by spaces or tabs; where a format allows it, a
 *        "quoted string" holds spaces, `#`, `=` (`\"` and `\\` inside);
 *      - bounded: a line at most `max_line` bytes (its end excluded), a file
 *        at most `max_size` bytes; each format states its own bounds.
 *
 *  What a line means is the format's business: conf_read calls the format's
 *  function once per statement with a cursor on the line, and the function
 *  takes its words with the conf_* cursor calls below. The first failure
 *  stops the read.
 *
 *  Every refusal is a conf_error_t: the file as given, the 1-based line (0:
 *  the file as a whole) and the reason, printed as "file:line: reason"
 *  ("file: reason" for line 0) by conf_error_format. Daemons log it as
 *  path=... line=... reason=..., tools print it formatted.
 *
 *  Interface:
 *      conf_error_set / conf_error_format   the one error and its text
 *      conf_read        read a file, one call per statement
 *      conf_parse       the same over text in memory (tests, fuzzing)
 *      conf_slurp       a whole file into memory, bounded (templates)
 *      conf_fail        set the error at the cursor's line; returns -1
 *      conf_at_end      only a comment or nothing left on the line
 *      conf_token       next blank-separated token (heap copy)
 *      conf_split       the rest of the line as tokens (heap copies)
 *      conf_word        next bare word or "quoted string" (heap copy)
 *      conf_keyvalue    next key=value pair (heap copies)
 *      conf_punct       one punctuation character (=, ~, | ...) if next
 *      conf_rest        the rest of the line before its comment, trimmed
 *      conf_label       "file.conf:LINE" for results that cite their line
 *      conf_test        self-test
 */
#ifndef CONF_H_INCLUDED
#define CONF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define CONF_MAX_LINE   8192                /* default bound of one line */
#define CONF_MAX_SIZE   (16 * 1024 * 1024)  /* default bound of one file */

/* Why a file was refused. */
typedef struct {
    char file [256];             /* the path as given (or a label) */
    int  line;                   /* 1-based; 0 = the file as a whole */
    char reason [256];
} conf_error_t;

/* Fill err; returns -1 so that a caller can `return conf_error_set (...)`. */
int conf_error_set (conf_error_t *err, const char *file, int line, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* "file:line: reason", or "file: reason" when line is 0. Returns buf. */
const char *conf_error_format (const conf_error_t *err, char *buf, size_t size);

/* The bounds of one format; 0 = the default. */
typedef struct {
    size_t max_line;             /* bytes of one line, its end excluded */
    size_t max_size;             /* bytes of the whole file */
} conf_limits_t;

/* The cursor over one statement: [p, end) is what is left of the line,
 * without its line end. */
typedef struct {
    const char *p, *end;
    int line;
    const char *file;
    conf_error_t *err;
} conf_cursor_t;

/* Called once per statement (a line that is not blank or a comment).
 * Returns 0, or -1 after setting the error (conf_fail). */
typedef int (conf_line_fn) (void *arg, conf_cursor_t *c);

/* Read `path`. Returns 0, or -1 with err filled (line 0: cannot open, too
 * large). limits may be NULL (the defaults). err is cleared first. */
int conf_read (const char *path, const conf_limits_t *limits, conf_error_t *err,
               conf_line_fn *fn, void *arg);

/* The same over `size` bytes of text; `file` is what errors name. */
int conf_parse (const char *file, const char *text, size_t size, const conf_limits_t *limits,
                conf_error_t *err, conf_line_fn *fn, void *arg);

/* The whole file, NUL-terminated, at most max_size bytes (0: the default).
 * Returns a heap copy with *size_p set, or NULL with err set (line 0). */
char *conf_slurp (const char *path, size_t max_size, size_t *size_p, conf_error_t *err);

/* Set the error at the cursor's file and line. Returns -1. */
int conf_fail (conf_cursor_t *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Skips blanks; true when only a comment or nothing is left. */
bool conf_at_end (conf_cursor_t *c);

/* The next token: everything up to a blank or `#` (no quoting; for formats
 * whose values never hold spaces). Heap copy, or NULL at the end. */
char *conf_token (conf_cursor_t *c);

/* The rest of the line as tokens (conf_token) into words [0..max-1].
 * Returns their number, or -1 (err set, nothing to free) when there are
 * more than max. Free them with conf_words_free. */
int conf_split (conf_cursor_t *c, char **words, int max);
void conf_words_free (char **words, int count);

/* The next bare word (ends at a blank or one of # " = | ~) or quoted
 * string ("..." with \" and \\). Heap copy; NULL at the end of the line
 * (err not set) or on a malformed word (err set: c->err->reason [0]). */
char *conf_word (conf_cursor_t *c);

/* The next `key=value`: key a bare word, value a quoted string or the bytes
 * up to a blank, `#` or `"`. 0 with heap copies, 1 at the end of the line,
 * -1 on error (err set). */
int conf_keyvalue (conf_cursor_t *c, char **key, char **value);

/* When the next non-blank character is one of `set`, consume and return
 * it; else 0 (nothing consumed but blanks). */
char conf_punct (conf_cursor_t *c, const char *set);

/* The rest of the line before its comment, blanks trimmed at both ends
 * ("" when nothing). Heap copy; the cursor is left at the end. */
char *conf_rest (conf_cursor_t *c);

/* "base.conf:LINE": the file's base name and the line. */
void conf_label (char *out, size_t size, const char *file, int line);

void conf_test (bool verbose);

#endif
