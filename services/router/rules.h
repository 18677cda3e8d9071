/*  rules.h — the router's rules: how a complaint is classified and which
 *  department answers it.
 *
 *  A rules file (deploy/routing/rules.conf, format in docs/routing.md) holds
 *  one statement per line:
 *
 *      line   BUSINESS_LINE  CONDITION...    business line (first match wins)
 *      cause  CAUSE          CONDITION...    cause (first match wins)
 *      flag   FLAG           CONDITION...    sensitivity flag (every match adds)
 *      route  DEPT|@branch   CONDITION...    responsible department (first match)
 *      cooperate DEPT|@branch CONDITION...   a cooperating department (every match)
 *      default DEPT                          the department when no route matches
 *      department ID name...                 a local department (files without
 *                                            a directory: tests, old files)
 *
 *  Conditions test the complaint's product, category, channel, subject,
 *  body, text (subject or body) and branch fields, and the classification
 *  already made: `line` (for cause, flag, route and cooperate rules) and
 *  `cause` (for flag, route and cooperate rules). `@branch` is the branch
 *  or outlet the complaint names (directory aliases over its branch field,
 *  else its text); a rule with it matches only when there is one.
 *
 *  Cross-department cases: when the deciding route names @branch, the branch
 *  leads and the department the non-@branch route rules would have chosen
 *  (unless it is the default) cooperates; every matching `cooperate` line
 *  adds its department too.
 *
 *  The loaded rules are immutable: reloading builds a new rules_t and swaps it
 *  in only when the whole file is valid. Every decision names its rule as
 *  "file:line".
 *
 *  Interface:
 *      rules_load / rules_load_with   parse and validate (with a directory)
 *      rules_classify  complaint fields -> line, cause, flags, department,
 *                      cooperating departments, and the deciding rules
 *      rules_route     the department alone (tests, --route-csv)
 *      rules_count, rules_department_name, rules_destroy, rules_test
 *      rules_business_lines, rules_causes, rules_text_flags, rules_all_flags
 */
#ifndef RULES_H_INCLUDED
#define RULES_H_INCLUDED

#include "conf.h"         /* conf_error_t: why a file was refused */
#include <stdbool.h>
#include <stddef.h>

typedef struct _rules_t rules_t;
typedef struct _directory_t directory_t;


/* The fixed taxonomy (docs/routing.md), NULL-terminated. */
extern const char *const rules_business_lines [];
extern const char *const rules_causes [];
extern const char *const rules_all_flags [];    /* every flag */
extern const char *const rules_text_flags [];   /* those a `flag` rule may set */
bool rules_word_in (const char *const *list, const char *word);

#define RULES_MAX_FLAGS 8
#define RULES_MAX_COOP  8

typedef struct {
    const char *product, *category, *channel, *subject, *body, *branch;
    const char *referral;        /* complaint.referral_source; NULL: came directly */
} rules_input_t;

/* Strings live as long as the rules_t (and its directory). */
typedef struct {
    const char *business_line, *line_rule;     /* rule NULL: no line rule matched */
    const char *cause, *cause_rule;
    const char *flags [RULES_MAX_FLAGS];
    const char *flag_rules [RULES_MAX_FLAGS];
    size_t      nflags;
    const char *department, *rule;
    bool        unroutable;                     /* the default took it */
    const char *branch;                         /* the branch or outlet named, or NULL */
    const char *cooperating [RULES_MAX_COOP];
    const char *cooperating_rules [RULES_MAX_COOP];
    size_t      ncooperating;
} rules_result_t;

/* Parse `path`. NULL on any error, with err filled; the caller keeps
 * whatever rules it had. With a directory, every department a rule names
 * must be in it and routable; the directory must outlive the rules. */
rules_t *rules_load_with (const char *path, const directory_t *dir, conf_error_t *err);
rules_t *rules_load (const char *path, conf_error_t *err);

void rules_classify (rules_t *self, const rules_input_t *in, rules_result_t *out);

/* The department alone; *rule_p gets its "file:line". */
const char *rules_route (rules_t *self, const char *product, const char *category,
                         const char *channel, const char *subject, const char *body,
                         const char **rule_p);

size_t rules_count (rules_t *self);

/* The department's display name from its `department` line (NULL with a
 * directory-only department). */
const char *rules_department_name (rules_t *self, const char *department);

void rules_destroy (rules_t **self_p);

/* Self-test. `shipped` / `shipped_dir` are the production rules and
 * directory to check against a table of known complaints (NULL skips). */
int rules_test (bool verbose, const char *shipped, const char *shipped_dir, int *passed);

#endif
