/*  directory.c — the organisation directory and the staff tokens
 *  (see directory.h; the file format is in docs/organisation.md).
 *
 *      department branch_bj kind=branch parent=head_office zh="北京分行"
 *                 en="Beijing branch" alias="Beijing"
 *      staff bj_wang_a name="王芳" dept=branch_bj role=handler ab=A duty=on
 *                 capacity=20 email=wang.fang@bank.example
 *
 *  Each statement is one line (read by common/conf.c, like every policy
 *  file): a keyword, an id, then key=value pairs in any order. Departments may be listed in any order; after the whole file
 *  is read, parents are resolved, cycles refused, depths and paths computed,
 *  and the departments sorted parents first (the order the store needs,
 *  since department.parent references department.id).
 *
 *  Branch matching folds ASCII case only, like the rules (rules.c explains
 *  why byte-wise substring search is safe on UTF-8).
 */
#include "directory.h"
#include "conf.h"
#include "staff_token.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIR_MAX_ID       63
#define DIR_MAX_ALIASES  32
#define DIR_MAX_CAPACITY 10000

struct _directory_t {
    dir_dept_t  *depts;
    size_t       ndepts;
    dir_staff_t *staff;
    size_t       nstaff;
    char        *path;
};

static const char *const s_kinds [] = {
    "head_office", "department", "branch", "outlet", "complaint_office", NULL
};
static const char *const s_roles [] = {
    "handler", "supervisor", "complaint_office", "manager", NULL
};

static bool
s_in (const char *const *list, const char *s)
{
    for (int i = 0; list [i]; i++)
        if (strcmp (list [i], s) == 0)
            return true;
    return false;
}

static bool
s_valid_id (const char *s)
{
    size_t len = strlen (s);
    if (len == 0 || len > DIR_MAX_ID)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(islower ((unsigned char) s [i]) || isdigit ((unsigned char) s [i]) || s [i] == '_'))
            return false;
    return true;
}

static char *
s_folded (const char *s)
{
    char *copy = strdup (s);
    assert (copy);
    for (char *p = copy; *p; p++)
        if ((unsigned char) *p < 0x80)
            *p = (char) tolower ((unsigned char) *p);
    return copy;
}

static void
s_dept_free (dir_dept_t *d)
{
    free (d->id);
    free (d->kind);
    free (d->parent);
    free (d->name_zh);
    free (d->name_en);
    free (d->path);
    for (size_t i = 0; i < d->naliases; i++)
        free (d->aliases [i]);
    free (d->aliases);
}

static void
s_staff_free (dir_staff_t *s)
{
    free (s->id);
    free (s->name);
    free (s->department);
    free (s->role);
    free (s->email);
    free (s->phone);
}

void
directory_destroy (directory_t **self_p)
{
    assert (self_p);
    directory_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->ndepts; i++)
        s_dept_free (&self->depts [i]);
    for (size_t i = 0; i < self->nstaff; i++)
        s_staff_free (&self->staff [i]);
    free (self->depts);
    free (self->staff);
    free (self->path);
    free (self);
    *self_p = NULL;
}

const dir_dept_t *
directory_dept (const directory_t *self, const char *id)
{
    assert (self);
    if (!id)
        return NULL;
    for (size_t i = 0; i < self->ndepts; i++)
        if (strcmp (self->depts [i].id, id) == 0)
            return &self->depts [i];
    return NULL;
}

const dir_staff_t *
directory_staff (const directory_t *self, const char *id)
{
    assert (self);
    for (size_t i = 0; i < self->nstaff; i++)
        if (strcmp (self->staff [i].id, id) == 0)
            return &self->staff [i];
    return NULL;
}

size_t directory_dept_count (const directory_t *self) { return self->ndepts; }
size_t directory_staff_count (const directory_t *self) { return self->nstaff; }

const dir_dept_t *
directory_dept_at (const directory_t *self, size_t i)
{
    return i < self->ndepts ? &self->depts [i] : NULL;
}

const dir_staff_t *
directory_staff_at (const directory_t *self, size_t i)
{
    return i < self->nstaff ? &self->staff [i] : NULL;
}

//  --------------------------------------------------------------------------
//  Parsing

static int
s_add_alias (conf_cursor_t *c, dir_dept_t *d, const char *alias)
{
    if (!*alias)
        return conf_fail (c, "empty alias");
    if (d->naliases == DIR_MAX_ALIASES)
        return conf_fail (c, "more than %d aliases", DIR_MAX_ALIASES);
    d->aliases = realloc (d->aliases, (d->naliases + 1) * sizeof (char *));
    assert (d->aliases);
    d->aliases [d->naliases++] = s_folded (alias);
    return 0;
}

static int
s_parse_department (directory_t *self, conf_cursor_t *c, char *id)
{
    if (!s_valid_id (id))
        return conf_fail (c, "department id '%s' must be 1-%d characters of a-z, 0-9, _",
                          id, DIR_MAX_ID);
    const dir_dept_t *old = directory_dept (self, id);
    if (old)
        return conf_fail (c, "duplicate department id '%s' (first on line %d)", id, old->line);
    dir_dept_t d = { .id = strdup (id), .line = c->line };
    assert (d.id);
    char *key, *value;
    int rc;
    while ((rc = conf_keyvalue (c, &key, &value)) == 0) {
        char **slot = NULL;
        if (strcmp (key, "kind") == 0) {
            if (!s_in (s_kinds, value))
                rc = conf_fail (c, "unknown kind '%s' (head_office, department, branch, "
                                "outlet, complaint_office)", value);
            slot = &d.kind;
        }
        else if (strcmp (key, "parent") == 0)
            slot = &d.parent;
        else if (strcmp (key, "zh") == 0)
            slot = &d.name_zh;
        else if (strcmp (key, "en") == 0)
            slot = &d.name_en;
        else if (strcmp (key, "alias") == 0)
            rc = s_add_alias (c, &d, value);
        else
            rc = conf_fail (c, "unknown key '%s' for a department (kind, parent, zh, en, alias)",
                            key);
        if (rc == 0 && slot) {
            if (*slot)
                rc = conf_fail (c, "'%s' given twice", key);
            else {
                *slot = value;
                value = NULL;
            }
        }
        free (key);
        free (value);
        if (rc)
            break;
    }
    if (rc == 1) {
        rc = 0;
        if (!d.kind)
            rc = conf_fail (c, "department '%s' has no kind=", id);
        else if (!d.name_zh || !d.name_en)
            rc = conf_fail (c, "department '%s' needs zh=\"...\" and en=\"...\" names", id);
        else if (strcmp (d.kind, "head_office") == 0 && d.parent && strcmp (d.parent, "-") != 0)
            rc = conf_fail (c, "the head office has no parent (parent=-)");
        else if (strcmp (d.kind, "head_office") != 0 && (!d.parent || strcmp (d.parent, "-") == 0))
            rc = conf_fail (c, "department '%s' needs parent=ID", id);
    }
    if (rc == 0) {
        if (d.parent && strcmp (d.parent, "-") == 0) {
            free (d.parent);
            d.parent = NULL;
        }
        //  The display names are aliases too.
        s_add_alias (c, &d, d.name_zh);
        s_add_alias (c, &d, d.name_en);
        self->depts = realloc (self->depts, (self->ndepts + 1) * sizeof (dir_dept_t));
        assert (self->depts);
        self->depts [self->ndepts++] = d;
        return 0;
    }
    s_dept_free (&d);
    return -1;
}

static int
s_parse_staff (directory_t *self, conf_cursor_t *c, char *id)
{
    if (!s_valid_id (id))
        return conf_fail (c, "staff id '%s' must be 1-%d characters of a-z, 0-9, _",
                          id, DIR_MAX_ID);
    const dir_staff_t *old = directory_staff (self, id);
    if (old)
        return conf_fail (c, "duplicate staff id '%s' (first on line %d)", id, old->line);
    dir_staff_t s = { .id = strdup (id), .line = c->line, .on_duty = true, .capacity = 20 };
    assert (s.id);
    char *key, *value;
    int rc;
    while ((rc = conf_keyvalue (c, &key, &value)) == 0) {
        char **slot = NULL;
        if (strcmp (key, "name") == 0)
            slot = &s.name;
        else if (strcmp (key, "dept") == 0)
            slot = &s.department;
        else if (strcmp (key, "role") == 0) {
            if (!s_in (s_roles, value))
                rc = conf_fail (c, "bad role '%s' (handler, supervisor, complaint_office, "
                                "manager)", value);
            slot = &s.role;
        }
        else if (strcmp (key, "ab") == 0) {
            if (strcmp (value, "A") == 0 || strcmp (value, "B") == 0)
                strcpy (s.ab, value);
            else if (strcmp (value, "-") != 0)
                rc = conf_fail (c, "bad ab '%s' (A, B or -)", value);
        }
        else if (strcmp (key, "duty") == 0) {
            if (strcmp (value, "on") == 0)
                s.on_duty = true;
            else if (strcmp (value, "off") == 0)
                s.on_duty = false;
            else
                rc = conf_fail (c, "bad duty '%s' (on or off)", value);
        }
        else if (strcmp (key, "capacity") == 0) {
            char *end = NULL;
            long n = strtol (value, &end, 10);
            if (!*value || !end || *end || n < 0 || n > DIR_MAX_CAPACITY)
                rc = conf_fail (c, "capacity '%s' is not a number from 0 to %d", value,
                                DIR_MAX_CAPACITY);
            s.capacity = n;
        }
        else if (strcmp (key, "email") == 0) {
            if (!strchr (value, '@') || strchr (value, ' '))
                rc = conf_fail (c, "'%s' is not an e-mail address", value);
            slot = &s.email;
        }
        else if (strcmp (key, "phone") == 0)
            slot = &s.phone;
        else
            rc = conf_fail (c, "unknown key '%s' for staff (name, dept, role, ab, duty, "
                            "capacity, email, phone)", key);
        if (rc == 0 && slot) {
            if (*slot)
                rc = conf_fail (c, "'%s' given twice", key);
            else {
                *slot = value;
                value = NULL;
            }
        }
        free (key);
        free (value);
        if (rc)
            break;
    }
    if (rc == 1) {
        rc = 0;
        if (!s.name || !s.department || !s.role)
            rc = conf_fail (c, "staff '%s' needs name=, dept= and role=", id);
        else if (s.ab [0] && strcmp (s.role, "handler") != 0 && strcmp (s.role, "supervisor") != 0)
            rc = conf_fail (c, "ab=%s is for handlers and supervisors, not role %s", s.ab, s.role);
    }
    if (rc == 0) {
        self->staff = realloc (self->staff, (self->nstaff + 1) * sizeof (dir_staff_t));
        assert (self->staff);
        self->staff [self->nstaff++] = s;
        return 0;
    }
    s_staff_free (&s);
    return -1;
}

static int
s_parse_line (void *arg, conf_cursor_t *c)
{
    directory_t *self = (directory_t *) arg;
    char *kw = conf_word (c);
    if (!kw)
        return -1;
    char *id = conf_word (c);
    int rc;
    if (!id)
        rc = c->err->reason [0] ? -1 : conf_fail (c, "'%s' needs an id", kw);
    else if (strcmp (kw, "department") == 0)
        rc = s_parse_department (self, c, id);
    else if (strcmp (kw, "staff") == 0)
        rc = s_parse_staff (self, c, id);
    else
        rc = conf_fail (c, "unknown keyword '%s' (expected department or staff)", kw);
    free (kw);
    free (id);
    return rc;
}

//  --------------------------------------------------------------------------
//  Whole-file checks

static int
s_depth_cmp (const void *a, const void *b)
{
    const dir_dept_t *x = (const dir_dept_t *) a, *y = (const dir_dept_t *) b;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int
s_check_tree (directory_t *self, const char *path, conf_error_t *err)
{
    size_t roots = 0;
    for (size_t i = 0; i < self->ndepts; i++) {
        dir_dept_t *d = &self->depts [i];
        if (!d->parent) {
            roots++;
            if (roots > 1)
                return conf_error_set (err, path, d->line, "a second head office '%s'", d->id);
            continue;
        }
        const dir_dept_t *parent = directory_dept (self, d->parent);
        if (!parent)
            return conf_error_set (err, path, d->line, "unknown parent '%s' of department '%s'",
                                 d->parent, d->id);
        if (strcmp (d->kind, "outlet") == 0 && strcmp (parent->kind, "branch") != 0)
            return conf_error_set (err, path, d->line, "outlet '%s' must belong to a branch, "
                                 "not to %s '%s'", d->id, parent->kind, parent->id);
    }
    if (roots == 0)
        return conf_error_set (err, path, 0, "no head office (kind=head_office parent=-)");
    //  Depth by walking up; more steps than departments means a cycle.
    for (size_t i = 0; i < self->ndepts; i++) {
        dir_dept_t *d = &self->depts [i];
        int depth = 0;
        const dir_dept_t *up = d;
        while (up->parent) {
            up = directory_dept (self, up->parent);
            if (++depth > (int) self->ndepts)
                return conf_error_set (err, path, d->line, "department '%s' is in a cycle of "
                                     "parents", d->id);
        }
        d->depth = depth;
    }
    qsort (self->depts, self->ndepts, sizeof (dir_dept_t), s_depth_cmp);
    //  Paths, parents first (sorted), so a parent's path is ready.
    for (size_t i = 0; i < self->ndepts; i++) {
        dir_dept_t *d = &self->depts [i];
        const dir_dept_t *parent = d->parent ? directory_dept (self, d->parent) : NULL;
        size_t len = (parent ? strlen (parent->path) : 1) + strlen (d->id) + 2;
        d->path = malloc (len);
        assert (d->path);
        snprintf (d->path, len, "%s%s/", parent ? parent->path : "/", d->id);
    }
    return 0;
}

static int
s_check_staff (directory_t *self, const char *path, conf_error_t *err)
{
    bool manager = false;
    for (size_t i = 0; i < self->nstaff; i++) {
        dir_staff_t *s = &self->staff [i];
        const dir_dept_t *d = directory_dept (self, s->department);
        if (!d)
            return conf_error_set (err, path, s->line, "staff '%s' is in unknown department '%s'",
                                 s->id, s->department);
        if (strcmp (s->role, "manager") == 0 && strcmp (d->kind, "head_office") == 0)
            manager = true;
    }
    for (size_t i = 0; i < self->ndepts; i++) {
        dir_dept_t *d = &self->depts [i];
        if (strcmp (d->kind, "complaint_office") != 0)
            continue;
        bool staffed = false;
        for (size_t j = 0; j < self->nstaff; j++)
            if (strcmp (self->staff [j].department, d->id) == 0
            &&  strcmp (self->staff [j].role, "complaint_office") == 0)
                staffed = true;
        if (!staffed)
            return conf_error_set (err, path, d->line, "complaint office '%s' has no staff with "
                                 "role=complaint_office", d->id);
    }
    if (!manager)
        return conf_error_set (err, path, 0, "no manager at the head office (role=manager in "
                             "the head_office department)");
    return 0;
}

directory_t *
directory_load (const char *path, conf_error_t *err)
{
    assert (path && err);
    directory_t *self = calloc (1, sizeof *self);
    assert (self);
    self->path = strdup (path);
    int rc = conf_read (path, NULL, err, s_parse_line, self);
    if (rc == 0)
        rc = s_check_tree (self, path, err);
    if (rc == 0)
        rc = s_check_staff (self, path, err);
    if (rc)
        directory_destroy (&self);
    return self;
}

bool
directory_routable (const directory_t *self, const char *id)
{
    const dir_dept_t *d = directory_dept (self, id);
    if (!d)
        return false;
    if (strcmp (d->kind, "complaint_office") == 0)
        return true;
    bool a = false, b = false, supervisor = false;
    for (size_t i = 0; i < self->nstaff; i++) {
        const dir_staff_t *s = &self->staff [i];
        if (strcmp (s->department, id) != 0)
            continue;
        a = a || strcmp (s->ab, "A") == 0;
        b = b || strcmp (s->ab, "B") == 0;
        supervisor = supervisor || strcmp (s->role, "supervisor") == 0;
    }
    return a && b && supervisor;
}

const char *
directory_match_branch (const directory_t *self, const char *text)
{
    assert (self);
    if (!text || !*text)
        return NULL;
    char *hay = s_folded (text);
    const dir_dept_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < self->ndepts; i++) {
        const dir_dept_t *d = &self->depts [i];
        if (strcmp (d->kind, "branch") != 0 && strcmp (d->kind, "outlet") != 0)
            continue;
        for (size_t k = 0; k < d->naliases; k++) {
            size_t len = strlen (d->aliases [k]);
            if (!strstr (hay, d->aliases [k]))
                continue;
            if (!best || d->depth > best->depth || (d->depth == best->depth && len > best_len)) {
                best = d;
                best_len = len;
            }
        }
    }
    free (hay);
    return best ? best->id : NULL;
}

//  --------------------------------------------------------------------------
//  Tokens

typedef struct {
    const directory_t *dir;
    dir_tokens_t *tokens;
} s_tokens_ctx_t;

static int
s_hexval (char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

static int
s_token_line (void *arg, conf_cursor_t *c)
{
    s_tokens_ctx_t *ctx = (s_tokens_ctx_t *) arg;
    char *id = conf_word (c);
    if (!id)
        return -1;
    char *hex = conf_word (c);
    int rc = 0;
    if (!hex)
        rc = c->err->reason [0] ? -1 : conf_fail (c, "expected STAFF_ID SHA256HEX");
    else if (!directory_staff (ctx->dir, id))
        rc = conf_fail (c, "unknown staff id '%s' (not in the directory)", id);
    else if (strlen (hex) != 64)
        rc = conf_fail (c, "the hash must be 64 lowercase hex characters (SHA-256 of the "
                        "token), not %zu characters", strlen (hex));
    else if (!conf_at_end (c))
        rc = conf_fail (c, "unexpected text after the hash");
    if (rc == 0) {
        dir_token_t token;
        memset (&token, 0, sizeof token);
        snprintf (token.staff_id, sizeof token.staff_id, "%s", id);
        for (int i = 0; rc == 0 && i < 32; i++) {
            int hi = s_hexval (hex [2 * i]), lo = s_hexval (hex [2 * i + 1]);
            if (hi < 0 || lo < 0)
                rc = conf_fail (c, "the hash must be 64 lowercase hex characters");
            token.sha256 [i] = (uint8_t) (hi << 4 | lo);
        }
        for (size_t i = 0; rc == 0 && i < ctx->tokens->count; i++)
            if (memcmp (ctx->tokens->items [i].sha256, token.sha256, 32) == 0)
                rc = conf_fail (c, "the same token hash is listed twice");
        if (rc == 0) {
            ctx->tokens->items = realloc (ctx->tokens->items,
                                          (ctx->tokens->count + 1) * sizeof (dir_token_t));
            assert (ctx->tokens->items);
            ctx->tokens->items [ctx->tokens->count++] = token;
        }
    }
    free (id);
    free (hex);
    return rc;
}

int
directory_tokens_load (const directory_t *self, const char *path, dir_tokens_t *tokens,
                       conf_error_t *err)
{
    assert (self && tokens && err);
    memset (tokens, 0, sizeof *tokens);
    memset (err, 0, sizeof *err);
    if (!path || !*path)
        return 0;
    s_tokens_ctx_t ctx = { self, tokens };
    int rc = conf_read (path, NULL, err, s_token_line, &ctx);
    if (rc)
        directory_tokens_destroy (tokens);
    return rc;
}

void
directory_tokens_destroy (dir_tokens_t *tokens)
{
    free (tokens->items);
    tokens->items = NULL;
    tokens->count = 0;
}

//  --------------------------------------------------------------------------
#include "selftest.h"

//  Self-test

#define S_CHECK(cond, ...) do { \
    if (cond) \
        (*passed)++; \
    else { \
        failed++; \
        fprintf (stderr, "directory_test: FAIL (%s:%d) ", __FILE__, __LINE__); \
        fprintf (stderr, __VA_ARGS__); \
        fputc ('\n', stderr); \
    } \
} while (0)

static char *
s_write_temp (const char *text)
{
    char *path = strdup ("/tmp/directory_test_XXXXXX");
    assert (path);
    int fd = mkstemp (path);
    assert (fd >= 0);
    size_t len = strlen (text);
    ssize_t n = write (fd, text, len);
    if (!(n == (ssize_t) len))          /* checked under NDEBUG too */
        abort ();
    close (fd);
    return path;
}

static const char *s_small =
    "department ho kind=head_office parent=- zh=\"总行\" en=\"Head office\"\n"           /* 1 */
    "department co kind=complaint_office parent=ho zh=\"消保部\" en=\"Complaint office\"\n" /* 2 */
    "department bj kind=branch parent=ho zh=\"北京分行\" en=\"Beijing branch\"\n"         /* 3 */
    "department hd kind=outlet parent=bj zh=\"北京分行海淀支行\" en=\"Haidian sub-branch\" alias=海淀支行\n"
    "staff boss name=\"老板\" dept=ho role=manager\n"                                       /* 5 */
    "staff c1 name=\"甲\" dept=co role=complaint_office\n"                                  /* 6 */
    "staff a1 name=\"乙\" dept=hd role=handler ab=A capacity=3 email=a1@bank.example\n"     /* 7 */
    "staff b1 name=\"丙\" dept=hd role=handler ab=B duty=off\n"                             /* 8 */
    "staff s1 name=\"丁\" dept=hd role=supervisor\n";                                       /* 9 */

typedef struct {
    const char *text;     /* appended to s_small */
    int line;
    const char *reason;
} s_bad_t;

static const s_bad_t s_bad [] = {
    { "department hd kind=outlet parent=bj zh=x en=y\n", 10, "duplicate department id 'hd'" },
    { "department x1 kind=branch parent=nowhere zh=x en=y\n", 10, "unknown parent 'nowhere'" },
    { "department x1 kind=branch parent=x2 zh=x en=y\n"
      "department x2 kind=branch parent=x1 zh=x en=y\n", 10, "cycle" },
    { "department x1 kind=shop parent=ho zh=x en=y\n", 10, "unknown kind 'shop'" },
    { "department x1 kind=branch parent=ho zh=x\n", 10, "needs zh=" },
    { "department x1 kind=outlet parent=ho zh=x en=y\n", 10, "must belong to a branch" },
    { "department x1 kind=branch parent=ho zh=x en=y colour=red\n", 10, "unknown key 'colour'" },
    { "department X1 kind=branch parent=ho zh=x en=y\n", 10, "must be 1-" },
    { "department ho2 kind=head_office parent=- zh=x en=y\n", 10, "second head office" },
    { "staff a1 name=x dept=hd role=handler\n", 10, "duplicate staff id 'a1'" },
    { "staff z1 name=x dept=nowhere role=handler\n", 10, "unknown department 'nowhere'" },
    { "staff z1 name=x dept=hd role=boss\n", 10, "bad role 'boss'" },
    { "staff z1 name=x dept=hd role=handler ab=C\n", 10, "bad ab 'C'" },
    { "staff z1 name=x dept=hd role=handler capacity=ten\n", 10, "capacity 'ten' is not a number" },
    { "staff z1 name=x dept=hd role=handler capacity=-1\n", 10, "not a number" },
    { "staff z1 name=x dept=hd role=handler duty=maybe\n", 10, "bad duty" },
    { "staff z1 name=x dept=hd role=manager ab=A\n", 10, "for handlers and supervisors" },
    { "staff z1 name=x dept=hd\n", 10, "needs name=, dept= and role=" },
    { "staff z1 name=\"x dept=hd role=handler\n", 10, "unterminated" },
    { "staff z1 name=x dept=hd role=handler email=nobody\n", 10, "not an e-mail" },
    { "person z1\n", 10, "unknown keyword 'person'" },
    { "staff z1 name=x dept=hd role=handler oops\n", 10, "expected key=value" },
};

int
directory_test (bool verbose, const char *shipped, int *passed)
{
    int failed = 0;
    conf_error_t err;
    char *path = s_write_temp (s_small);
    directory_t *dir = directory_load (path, &err);
    S_CHECK (dir != NULL, "small directory refused: %s:%d %s", err.file, err.line, err.reason);
    if (dir) {
        S_CHECK (directory_dept_count (dir) == 4 && directory_staff_count (dir) == 5,
                 "counts %zu %zu", directory_dept_count (dir), directory_staff_count (dir));
        const dir_dept_t *hd = directory_dept (dir, "hd");
        S_CHECK (hd && strcmp (hd->path, "/ho/bj/hd/") == 0 && hd->depth == 2,
                 "path %s", hd ? hd->path : "?");
        S_CHECK (strcmp (directory_dept_at (dir, 0)->id, "ho") == 0, "parents first");
        S_CHECK (directory_routable (dir, "hd"), "hd routable");
        S_CHECK (!directory_routable (dir, "bj"), "bj has nobody: not routable");
        S_CHECK (directory_routable (dir, "co"), "the complaint office is routable (queue)");
        const char *m = directory_match_branch (dir, "北京分行海淀支行营业部");
        S_CHECK (m && strcmp (m, "hd") == 0, "match 北京分行海淀支行 -> %s", m);
        m = directory_match_branch (dir, "the HAIDIAN SUB-BRANCH");
        S_CHECK (m && strcmp (m, "hd") == 0, "match Haidian -> %s", m);
        m = directory_match_branch (dir, "北京分行");
        S_CHECK (m && strcmp (m, "bj") == 0, "match 北京分行 -> %s", m);
        m = directory_match_branch (dir, "上海");
        S_CHECK (m == NULL, "no match -> %s", m);
        const dir_staff_t *b1 = directory_staff (dir, "b1");
        S_CHECK (b1 && !b1->on_duty && b1->capacity == 20 && strcmp (b1->ab, "B") == 0, "b1");

        //  Tokens.
        char hash [65];
        staff_token_hash_hex ("t", 1, hash);
        char text [512];
        snprintf (text, sizeof text, "# tokens\na1 %s\n", hash);
        char *tpath = s_write_temp (text);
        dir_tokens_t tokens;
        S_CHECK (directory_tokens_load (dir, tpath, &tokens, &err) == 0 && tokens.count == 1
                 && strcmp (tokens.items [0].staff_id, "a1") == 0, "tokens: %s", err.reason);
        directory_tokens_destroy (&tokens);
        unlink (tpath);
        free (tpath);
        snprintf (text, sizeof text, "a1 %s\nghost %s\n", hash, hash);
        tpath = s_write_temp (text);
        S_CHECK (directory_tokens_load (dir, tpath, &tokens, &err) == -1 && err.line == 2
                 && strstr (err.reason, "unknown staff id 'ghost'"), "ghost: %d %s",
                 err.line, err.reason);
        unlink (tpath);
        free (tpath);
        tpath = s_write_temp ("a1 abc\n");
        S_CHECK (directory_tokens_load (dir, tpath, &tokens, &err) == -1 && err.line == 1
                 && strstr (err.reason, "64 lowercase hex"), "short hash: %s", err.reason);
        unlink (tpath);
        free (tpath);
        directory_destroy (&dir);
    }
    unlink (path);
    free (path);

    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad [0]; i++) {
        char text [4096];
        snprintf (text, sizeof text, "%s%s", s_small, s_bad [i].text);
        path = s_write_temp (text);
        dir = directory_load (path, &err);
        S_CHECK (dir == NULL, "bad directory %zu accepted", i);
        directory_destroy (&dir);
        S_CHECK (err.line == s_bad [i].line && strstr (err.reason, s_bad [i].reason),
                 "bad directory %zu: line %d '%s', expected %d '%s'", i, err.line, err.reason,
                 s_bad [i].line, s_bad [i].reason);
        S_CHECK (strcmp (err.file, path) == 0, "error names the file");
        if (verbose)
            printf ("  refused as expected: line %d: %s\n", err.line, err.reason);
        unlink (path);
        free (path);
    }
    //  Whole-file conditions: no manager; a complaint office without staff.
    const char *no_manager =
        "department ho kind=head_office parent=- zh=总行 en=HO\n"
        "department co kind=complaint_office parent=ho zh=消保 en=CO\n"
        "staff c1 name=x dept=co role=complaint_office\n";
    path = s_write_temp (no_manager);
    dir = directory_load (path, &err);
    S_CHECK (!dir && err.line == 0 && strstr (err.reason, "no manager"), "no manager: %s",
             err.reason);
    unlink (path);
    free (path);
    const char *empty_office =
        "department ho kind=head_office parent=- zh=总行 en=HO\n"
        "department co kind=complaint_office parent=ho zh=消保 en=CO\n"
        "staff m name=x dept=ho role=manager\n";
    path = s_write_temp (empty_office);
    dir = directory_load (path, &err);
    S_CHECK (!dir && err.line == 2 && strstr (err.reason, "no staff with role=complaint_office"),
             "empty office: %d %s", err.line, err.reason);
    unlink (path);
    free (path);

    if (shipped) {
        dir = directory_load (shipped, &err);
        S_CHECK (dir != NULL, "shipped directory %s refused: line %d: %s", shipped, err.line,
                 err.reason);
        if (dir) {
            const char *ids [] = { "card_center", "retail_lending", "deposits_accounts",
                                   "payments", "wealth_insurance", "ebanking",
                                   "complaint_office", "branch_bj", "branch_sh", "branch_gz",
                                   "outlet_bj_haidian", NULL };
            for (int i = 0; ids [i]; i++)
                S_CHECK (directory_routable (dir, ids [i]), "shipped: %s routable", ids [i]);
            const char *m = directory_match_branch (dir, "北京分行海淀支行");
            S_CHECK (m && strcmp (m, "outlet_bj_haidian") == 0, "shipped 海淀支行 -> %s", m);
            m = directory_match_branch (dir, "Haidian sub-branch");
            S_CHECK (m && strcmp (m, "outlet_bj_haidian") == 0, "shipped Haidian -> %s", m);
            directory_destroy (&dir);
        }
    }
    return failed;
}
