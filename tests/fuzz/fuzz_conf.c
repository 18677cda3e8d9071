/*  fuzz_conf.c — libFuzzer target for the config files' reader
 *  (common/conf.c): conf_parse and every cursor call a format makes.
 *
 *  Each input is a whole file. Every statement is taken apart by one of
 *  the ways the formats do it, chosen by the line number: words and
 *  punctuation (the routing rules), key=value pairs (the directory), blank
 *  tokens (the SLA policy, the notification rules), a token then the rest
 *  of the line (the calendars). Checked on every input: a refusal names the
 *  file, a line >= 0 and a reason; every string handed out is valid UTF-8
 *  (the reader promises it: quotes and escapes only remove ASCII bytes),
 *  a token holds no blank or '#', a rest of line has no comment and no
 *  blank at either end, and no call moves the cursor past the line's end.
 *  The same input is read again with a short line bound.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "proto.h"

#define S_FILE "fuzz.conf"

static void
s_check_text (const conf_cursor_t *c, const char *text)
{
    assert (c->p <= c->end);
    if (text)
        assert (proto_utf8_valid (text, strlen (text)) || !*text);
}

static int
s_line (void *arg, conf_cursor_t *c)
{
    (void) arg;
    int rc = 0;
    switch (c->line % 4) {
        case 0: {                                   /* words and punctuation */
            while (rc == 0 && !conf_at_end (c)) {
                if (conf_punct (c, "=|~")) {
                    assert (c->p <= c->end);
                    continue;
                }
                char *word = conf_word (c);
                s_check_text (c, word);
                if (!word)
                    rc = -1;
                free (word);
            }
            break;
        }
        case 1: {                                   /* key=value pairs */
            char *key, *value;
            while ((rc = conf_keyvalue (c, &key, &value)) == 0) {
                s_check_text (c, key);
                s_check_text (c, value);
                assert (*key && !strchr (key, '='));
                free (key);
                free (value);
            }
            assert (c->p <= c->end);
            rc = rc == 1 ? 0 : -1;
            break;
        }
        case 2: {                                   /* blank tokens */
            char *words [8];
            int n = conf_split (c, words, 8);
            for (int i = 0; i < n; i++) {
                s_check_text (c, words [i]);
                assert (*words [i] && !strpbrk (words [i], " \t#"));
            }
            conf_words_free (words, n < 0 ? 0 : n);
            rc = n < 0 ? -1 : 0;
            break;
        }
        default: {                                  /* a token, then the rest */
            char *token = conf_token (c);
            char *rest = conf_rest (c);
            s_check_text (c, token);
            s_check_text (c, rest);
            size_t len = strlen (rest);
            assert (!strchr (rest, '#'));
            assert (len == 0 || (rest [0] != ' ' && rest [0] != '\t'
                                 && rest [len - 1] != ' ' && rest [len - 1] != '\t'));
            assert (conf_at_end (c));
            free (token);
            free (rest);
        }
    }
    return rc;
}

static void
s_read (const uint8_t *data, size_t size, const conf_limits_t *limits)
{
    conf_error_t err;
    if (conf_parse (S_FILE, (const char *) data, size, limits, &err, s_line, NULL) == 0)
        return;
    assert (strcmp (err.file, S_FILE) == 0 && err.line >= 0 && *err.reason);
    char text [600];
    conf_error_format (&err, text, sizeof text);
    assert (strncmp (text, S_FILE ":", strlen (S_FILE) + 1) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_read (data, size, NULL);
    conf_limits_t tight = { .max_line = 40, .max_size = 4096 };
    s_read (data, size, &tight);
    return 0;
}
