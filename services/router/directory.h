/*  directory.h — the bank's organisation: departments and staff, and the
 *  staff tokens, loaded from files under deploy/org/ (docs/organisation.md).
 *
 *  The directory is a tree of departments (head office -> branches ->
 *  outlets, plus head-office business departments and the complaint office)
 *  and the staff who work in them, with their role, A/B role, duty and
 *  capacity. Each department carries aliases — the words a complaint's free
 *  `branch` field uses for it ("北京分行海淀支行", "Haidian sub-branch") — so
 *  the router can tell which branch or outlet a complaint names.
 *
 *  Loading validates the whole file (duplicate ids, unknown parent, cycles,
 *  staff in unknown departments, bad role, A/B, duty or capacity, missing
 *  complaint office staff or head-office manager) and refuses it with the
 *  file, line and reason. A loaded directory is immutable; a reload builds a
 *  new one. The tokens file is checked against a loaded directory.
 *
 *  Interface:
 *      directory_load          parse and validate -> directory_t, or error
 *      directory_dept          a department by id
 *      directory_dept_at       the i-th department, parents before children
 *      directory_staff_at      the i-th staff member
 *      directory_routable      may routing choose this department (it has
 *                              an A and a B handler and a supervisor)
 *      directory_match_branch  text -> the branch or outlet it names
 *      directory_tokens_load   the tokens file, checked against the directory
 *      directory_destroy, directory_tokens_destroy
 *      directory_test          self-test
 */
#ifndef DIRECTORY_H_INCLUDED
#define DIRECTORY_H_INCLUDED

#include "rules.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _directory_t directory_t;

typedef struct {
    char  *id;
    char  *kind;          /* head_office | department | branch | outlet | complaint_office */
    char  *parent;        /* NULL for the head office */
    char  *name_zh, *name_en;
    char  *path;          /* "/head_office/branch_bj/" */
    int    depth;         /* head office 0 */
    char **aliases;       /* ASCII-folded; names included */
    size_t naliases;
    int    line;
} dir_dept_t;

typedef struct {
    char *id, *name, *department, *role;
    char  ab [2];         /* "A", "B" or "" */
    bool  on_duty;
    long  capacity;
    char *email, *phone;  /* NULL when not given */
    int   line;
} dir_staff_t;

typedef struct {
    char    staff_id [64];
    uint8_t sha256 [32];
} dir_token_t;

typedef struct {
    dir_token_t *items;
    size_t count;
} dir_tokens_t;

directory_t *directory_load (const char *path, conf_error_t *err);
void directory_destroy (directory_t **self_p);

const dir_dept_t *directory_dept (const directory_t *self, const char *id);
size_t directory_dept_count (const directory_t *self);
const dir_dept_t *directory_dept_at (const directory_t *self, size_t i);
size_t directory_staff_count (const directory_t *self);
const dir_staff_t *directory_staff_at (const directory_t *self, size_t i);
const dir_staff_t *directory_staff (const directory_t *self, const char *id);

/* An A-role and a B-role handler and a supervisor; or the complaint office
 * (its cases wait in its queue for the complaint office staff). */
bool directory_routable (const directory_t *self, const char *id);

/* The branch or outlet `text` names (aliases matched as substrings,
 * ignoring ASCII case): the deepest department that matches, then the
 * longest alias. NULL when none. */
const char *directory_match_branch (const directory_t *self, const char *text);

/* Tokens file: `STAFF_ID SHA256HEX` lines. NULL path: no tokens (count 0). */
int directory_tokens_load (const directory_t *self, const char *path, dir_tokens_t *tokens,
                           conf_error_t *err);
void directory_tokens_destroy (dir_tokens_t *tokens);

int directory_test (bool verbose, const char *shipped, int *passed);

#endif
