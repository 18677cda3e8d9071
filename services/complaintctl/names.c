/*  names.c — the names people read for the router's ids, from the shared
 *  deploy files; the one place complaintctl turns an id into words.
 *
 *  An id the router assigns (a department, a business line, a cause, a
 *  channel, a JR/T 0169 code) is printed for people by its name in their
 *  language. The names live in the deploy data the router itself reads,
 *  never copied into C:
 *
 *      deploy/org/directory.conf     department ID ... zh="…" en="…"
 *                                    (COMPLAINTS_DIRECTORY, as the router)
 *      deploy/routing/jrt0169.conf   code CODE "中文名"
 *                                    (COMPLAINTS_ROUTER_JRT, as the router)
 *      deploy/routing/labels.conf    line|cause|channel ID zh="…" en="…",
 *                                    jrt CODE en="…" (COMPLAINTS_LABELS)
 *
 *  Only the statements that name something are read; the rest of each
 *  file (staff, mappings, rules) is the router's business and skipped, so
 *  a format the router extends does not break the names. A file that
 *  cannot be read is reported once on stderr and its ids print as
 *  themselves: a report with ids is better than no report.
 *
 *  Interface (ctl.h): ctl_names_load, ctl_names_get, ctl_names_destroy
 */
#include "ctl.h"
#include "conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DIRECTORY_ENV   "COMPLAINTS_DIRECTORY"
#define S_DIRECTORY       "deploy/org/directory.conf"
#define S_JRT_ENV         "COMPLAINTS_ROUTER_JRT"
#define S_JRT             "deploy/routing/jrt0169.conf"
#define S_LABELS_ENV      "COMPLAINTS_LABELS"
#define S_LABELS          "deploy/routing/labels.conf"

struct _ctl_names_t {
    zhashx_t *zh, *en;              /* "kind:id" -> name (strings owned) */
};

typedef struct {
    ctl_names_t *names;
    int file;                       /* 0 directory, 1 jrt, 2 labels */
} s_reader_t;

static void
s_put (zhashx_t *table, const char *kind, const char *id, const char *name)
{
    if (!name || !*name)
        return;
    char key [160];
    snprintf (key, sizeof key, "%s:%s", kind, id);
    zhashx_update (table, key, strdup (name));
}

static void
s_free_name (void **item)
{
    free (*item);
    *item = NULL;
}

/*  The key=value names of a statement; other keys (kind, parent, alias)
 *  are the router's. */
static int
s_keyvalues (s_reader_t *r, conf_cursor_t *c, const char *kind, const char *id)
{
    char *key = NULL, *value = NULL;
    int rc;
    while ((rc = conf_keyvalue (c, &key, &value)) == 0) {
        if (strcmp (key, "zh") == 0)
            s_put (r->names->zh, kind, id, value);
        else
        if (strcmp (key, "en") == 0)
            s_put (r->names->en, kind, id, value);
        free (key);
        free (value);
    }
    return rc < 0 ? -1 : 0;
}

static int
s_line (void *arg, conf_cursor_t *c)
{
    s_reader_t *r = (s_reader_t *) arg;
    char *kw = conf_word (c);
    char *id = kw ? conf_word (c) : NULL;
    int rc = 0;
    if (!kw || !id)
        ;                               /* not a naming statement */
    else
    if (r->file == 0 && strcmp (kw, "department") == 0)
        rc = s_keyvalues (r, c, "department", id);
    else
    if (r->file == 1 && strcmp (kw, "code") == 0) {
        char *name = conf_word (c);
        s_put (r->names->zh, "jrt", id, name);
        free (name);
    }
    else
    if (r->file == 2 && (strcmp (kw, "line") == 0 || strcmp (kw, "cause") == 0
                         || strcmp (kw, "channel") == 0 || strcmp (kw, "jrt") == 0))
        rc = s_keyvalues (r, c, strcmp (kw, "line") == 0 ? "business_line" : kw, id);
    free (kw);
    free (id);
    //  A malformed word in a line we skip is the router's to refuse.
    if (c->err)
        c->err->reason [0] = 0;
    return rc < 0 && r->file == 2 ? -1 : 0;
}

ctl_names_t *
ctl_names_load (void)
{
    ctl_names_t *self = (ctl_names_t *) zmalloc (sizeof *self);
    self->zh = zhashx_new ();
    self->en = zhashx_new ();
    zhashx_set_destructor (self->zh, s_free_name);
    zhashx_set_destructor (self->en, s_free_name);
    const char *paths [3] = {
        ctl_setting (NULL, S_DIRECTORY_ENV, S_DIRECTORY),
        ctl_setting (NULL, S_JRT_ENV, S_JRT),
        ctl_setting (NULL, S_LABELS_ENV, S_LABELS),
    };
    for (int f = 0; f < 3; f++) {
        s_reader_t r = { self, f };
        conf_error_t err;
        if (conf_read (paths [f], NULL, &err, s_line, &r)) {
            char text [600];
            fprintf (stderr, "complaintctl: names: %s (ids print as themselves)\n",
                     conf_error_format (&err, text, sizeof text));
        }
    }
    return self;
}

void
ctl_names_destroy (ctl_names_t **self_p)
{
    if (self_p && *self_p) {
        zhashx_destroy (&(*self_p)->zh);
        zhashx_destroy (&(*self_p)->en);
        free (*self_p);
        *self_p = NULL;
    }
}

const char *
ctl_names_get (const ctl_names_t *self, const char *kind, const char *id, const char *lang)
{
    if (!id || !*id)
        return "";
    char key [160];
    snprintf (key, sizeof key, "%s:%s", kind, id);
    bool zh = lang && strcmp (lang, "zh") == 0;
    const char *name = (const char *) zhashx_lookup (zh ? self->zh : self->en, key);
    if (!name)
        name = (const char *) zhashx_lookup (zh ? self->en : self->zh, key);
    return name ? name : id;
}
