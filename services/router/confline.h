/*  confline.h — the small lexer shared by the router's policy files.
 *
 *  The directory (deploy/org/directory.conf), the tokens file, the priority
 *  thresholds and the JR/T code table are all line-oriented like the rules
 *  file: `#` comments, blank lines, UTF-8, a byte order mark allowed at the
 *  very start, CRLF accepted, bare words or "quoted strings" (\" and \\
 *  inside quotes), and `key=value` pairs. One lexer keeps their syntax the
 *  same, and every refusal names the file and the line.
 *
 *  conf_read calls the caller's function once per non-blank line with a
 *  cursor; the function takes words with conf_word / conf_keyvalue and
 *  returns 0, or -1 after conf_fail set the reason. The first failure stops
 *  the read.
 *
 *  Interface:
 *      conf_read        read a file line by line
 *      conf_fail        set the error (file:line and reason); returns -1
 *      conf_at_end      only a comment or nothing left on the line
 *      conf_word        next word or quoted string (heap copy)
 *      conf_keyvalue    next key=value pair (heap copies)
 *      conf_label       "file.conf:LINE" for results that cite their line
 */
#ifndef CONFLINE_H_INCLUDED
#define CONFLINE_H_INCLUDED

#include "rules.h"       /* rules_error_t: file, line, reason */
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *p, *end;
    int line;
    const char *path;
    rules_error_t *err;
} conf_cursor_t;

typedef int (conf_line_fn) (void *arg, conf_cursor_t *c);

/* Read `path`, calling fn for each line that is not blank or a comment.
 * Returns 0, or -1 with err filled (line 0: the file as a whole). */
int conf_read (const char *path, rules_error_t *err, conf_line_fn *fn, void *arg);

int conf_fail (conf_cursor_t *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Set an error that belongs to no single line (line may be 0). */
int conf_fail_at (rules_error_t *err, const char *path, int line, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

bool conf_at_end (conf_cursor_t *c);

/* The next bare word (ends at whitespace, '=', '#' or '"') or quoted
 * string. Returns a heap copy, or NULL at the end of the line (err not set)
 * or on a malformed string (err set: check c->err->reason[0]). */
char *conf_word (conf_cursor_t *c);

/* The next `key=value`. Returns 0 with heap copies, 1 at the end of the
 * line, -1 on error (err set). */
int conf_keyvalue (conf_cursor_t *c, char **key, char **value);

void conf_label (char *out, size_t size, const char *path, int line);

#endif
