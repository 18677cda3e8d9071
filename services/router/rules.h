/*  rules.h — the router's routing rules: which department answers a complaint.
 *
 *  A rules file (deploy/routing/rules.conf, format in docs/routing.md) names
 *  the bank's departments, then lists rules, one per line. Each rule is a
 *  department and one or more conditions on the complaint's product,
 *  category hint, channel, subject and body; the first rule, in file order,
 *  whose conditions all hold picks the department. A `default` line names the
 *  department for everything no rule matches (the complaint office).
 *
 *  The loaded rules are immutable: reloading builds a new rules_t and swaps it
 *  in only when the whole file is valid, so a bad edit never leaves the router
 *  with half a rule set. Every result names the rule that matched as
 *  "file:line", which the router stores with the assignment for the audit.
 *
 *  Interface:
 *      rules_load      parse and validate a file -> rules_t, or the line and reason
 *      rules_route     complaint fields -> department and the matching rule
 *      rules_count     how many rules (not counting the default)
 *      rules_destroy   free, null the caller's pointer
 *      rules_test      self-test (parser, matcher, and the shipped rules file)
 */
#ifndef RULES_H_INCLUDED
#define RULES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct _rules_t rules_t;

/* Why a file was refused: the 1-based line (0 = the file as a whole). */
typedef struct {
    int  line;
    char reason [256];
} rules_error_t;

/* Parse `path`. NULL on any error, with err filled; the caller keeps
 * whatever rules it had. */
rules_t *rules_load (const char *path, rules_error_t *err);

/* Route one complaint. Every field may be NULL (absent). Returns the
 * department id and sets *rule_p to "file:line" of the rule that matched
 * (the `default` line when none did). Both strings live as long as `self`. */
const char *rules_route (rules_t *self, const char *product, const char *category,
                         const char *channel, const char *subject, const char *body,
                         const char **rule_p);

size_t rules_count (rules_t *self);

/* The department's display name from its `department` line. */
const char *rules_department_name (rules_t *self, const char *department);

void rules_destroy (rules_t **self_p);

/* Self-test. `shipped` is the path of the production rules file to check
 * against a table of known complaints (NULL skips that part). Returns the
 * number of failed checks and adds the passed ones to *passed. */
int rules_test (bool verbose, const char *shipped, int *passed);

#endif
