/*  notify_rules.c — the rules (which event goes to whom, over which
 *  channels) and the templates (what they are told), loaded together.
 *
 *  rules.conf: one rule a line, `EVENT_TYPE RECIPIENTS CHANNELS`, '#'
 *  comments; RECIPIENTS and CHANNELS are comma-separated lists (see the
 *  shipped file). Every rule needs TEMPLATES/EVENT_TYPE.zh.txt and .en.txt:
 *  first line "Subject: ...", the rest the body; {{name}} placeholders from
 *  a fixed list (s_fields) — an unknown one, or an unclosed "{{", refuses
 *  the whole load with file:line, so a typo is found at load time and not
 *  in a customer's mailbox. Rendering happens when a notification row is
 *  created, so a retry sends exactly the bytes the first attempt sent.
 */
#include "notify_rules.h"
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_MAX_RULES  64
#define NOTIFY_MAX_FILE   (64 * 1024)

//  Every placeholder a template may use. The store fills them from the case
//  row and the event's data (notify_store.c, s_fields_of).
static const char *s_fields [] = {
    "complaint_no", "received_at", "due_at", "product", "department", "department_name",
    "handler", "handler_name", "state", "level", "customer_name", "outcome", "amount",
    "stage", "stage_zh", "percent", "tier", "step", "event_due_at", NULL
};

static const char *s_kinds [NOTIFY_KINDS] = {
    "customer", "handler", "supervisor", "department_head", "complaint_office", "management"
};

typedef struct {
    char *subject, *body;
} template_t;

struct notify_rules_t {
    notify_rule_t rules [NOTIFY_MAX_RULES];
    template_t templates [NOTIFY_MAX_RULES][2];     /* [rule][0 zh, 1 en] */
    int count;
    char summary [128];
};

const char *
notify_kind_name (notify_kind_t kind)
{
    assert (kind < NOTIFY_KINDS);
    return s_kinds [kind];
}

int
notify_kind_parse (const char *name)
{
    for (int i = 0; i < NOTIFY_KINDS; i++)
        if (streq (name, s_kinds [i]))
            return i;
    return -1;
}

static int
s_error (notify_error_t *err, const char *file, int line, const char *fmt, ...)
{
    snprintf (err->file, sizeof err->file, "%s", file);
    err->line = line;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err->reason, sizeof err->reason, fmt, args);
    va_end (args);
    return -1;
}

static bool
s_known_field (const char *name, size_t len)
{
    for (int i = 0; s_fields [i]; i++)
        if (strlen (s_fields [i]) == len && memcmp (s_fields [i], name, len) == 0)
            return true;
    return false;
}

//  Check the placeholders of one line of a template.
static int
s_check_line (const char *path, int line, const char *text, size_t len, notify_error_t *err)
{
    const char *end = text + len;
    const char *p = text;
    while ((p = memmem (p, (size_t) (end - p), "{{", 2))) {
        const char *close = memmem (p + 2, (size_t) (end - p - 2), "}}", 2);
        if (!close)
            return s_error (err, path, line, "unclosed {{");
        if (!s_known_field (p + 2, (size_t) (close - p - 2)))
            return s_error (err, path, line, "unknown placeholder {{%.*s}}",
                            (int) (close - p - 2) > 40 ? 40 : (int) (close - p - 2), p + 2);
        p = close + 2;
    }
    return 0;
}

static int
s_load_template (const char *path, template_t *tpl, notify_error_t *err)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return s_error (err, path, 0, "cannot open: %s", strerror (errno));
    char *text = malloc (NOTIFY_MAX_FILE + 1);
    assert (text);
    size_t size = fread (text, 1, NOTIFY_MAX_FILE + 1, file);
    fclose (file);
    if (size > NOTIFY_MAX_FILE) {
        free (text);
        return s_error (err, path, 0, "larger than %d bytes", NOTIFY_MAX_FILE);
    }
    text [size] = 0;
    if (strlen (text) != size) {
        free (text);
        return s_error (err, path, 0, "contains a NUL byte");
    }
    //  Checked here: a row PostgreSQL refuses (invalid UTF-8) would stop the
    //  consumer at that event for good.
    if (!proto_utf8_valid (text, size)) {
        free (text);
        return s_error (err, path, 0, "not valid UTF-8");
    }
    if (strncmp (text, "Subject: ", 9) != 0) {
        free (text);
        return s_error (err, path, 1, "the first line must be \"Subject: ...\"");
    }
    int line = 1;
    for (char *p = text; *p; line++) {
        size_t len = strcspn (p, "\n");
        if (s_check_line (path, line, p, len, err)) {
            free (text);
            return -1;
        }
        p += len + (p [len] == '\n');
    }
    size_t subject_len = strcspn (text + 9, "\r\n");
    tpl->subject = strndup (text + 9, subject_len);
    const char *body = text + 9 + subject_len;
    body += strspn (body, "\r");
    if (*body == '\n')
        body++;
    tpl->body = strdup (body);
    assert (tpl->subject && tpl->body);
    free (text);
    if (!*tpl->subject)
        return s_error (err, path, 1, "empty subject");
    return 0;
}

static void
s_free (notify_rules_t *self)
{
    for (int i = 0; i < self->count; i++)
        for (int l = 0; l < 2; l++) {
            free (self->templates [i][l].subject);
            free (self->templates [i][l].body);
        }
    free (self);
}

//  Parse one rules line (already stripped of its comment). 0 blank, 1 a
//  rule, -1 an error.
static int
s_parse_rule (notify_rules_t *self, const char *path, int line, char *text,
              const char *templates_dir, notify_error_t *err)
{
    char *save = NULL;
    char *type = strtok_r (text, " \t\r", &save);
    if (!type)
        return 0;
    char *kinds = strtok_r (NULL, " \t\r", &save);
    char *channels = strtok_r (NULL, " \t\r", &save);
    if (!kinds || !channels || strtok_r (NULL, " \t\r", &save))
        return s_error (err, path, line, "want: EVENT_TYPE RECIPIENTS CHANNELS");
    if (strlen (type) >= sizeof self->rules [0].type)
        return s_error (err, path, line, "event type too long");
    if (notify_rules_find (self, type))
        return s_error (err, path, line, "a second rule for %s", type);
    if (self->count == NOTIFY_MAX_RULES)
        return s_error (err, path, line, "more than %d rules", NOTIFY_MAX_RULES);
    notify_rule_t *rule = &self->rules [self->count];
    memset (rule, 0, sizeof *rule);
    snprintf (rule->type, sizeof rule->type, "%s", type);
    for (char *k = strtok_r (kinds, ",", &save); k; k = strtok_r (NULL, ",", &save)) {
        int kind = notify_kind_parse (k);
        if (streq (k, "escalation"))
            rule->escalation = true;
        else
        if (kind < 0)
            return s_error (err, path, line, "unknown recipient kind %.40s", k);
        else
            rule->kinds |= 1u << kind;
    }
    for (char *c = strtok_r (channels, ",", &save); c; c = strtok_r (NULL, ",", &save)) {
        if (streq (c, "email"))
            rule->channels |= NOTIFY_CH_EMAIL;
        else
        if (streq (c, "inbox"))
            rule->channels |= NOTIFY_CH_INBOX;
        else
            return s_error (err, path, line, "unknown or unsupported channel %.40s", c);
    }
    if (!rule->channels || (!rule->kinds && !rule->escalation))
        return s_error (err, path, line, "no recipients or no channels");
    const char *langs [2] = { "zh", "en" };
    for (int l = 0; l < 2; l++) {
        char tpath [512];
        snprintf (tpath, sizeof tpath, "%s/%s.%s.txt", templates_dir, type, langs [l]);
        if (s_load_template (tpath, &self->templates [self->count][l], err)) {
            self->count++;          /* so s_free releases what was loaded */
            return -1;
        }
    }
    self->count++;
    return 1;
}

notify_rules_t *
notify_rules_load (const char *rules_path, const char *templates_dir, notify_error_t *err)
{
    FILE *file = fopen (rules_path, "r");
    if (!file) {
        s_error (err, rules_path, 0, "cannot open: %s", strerror (errno));
        return NULL;
    }
    notify_rules_t *self = calloc (1, sizeof *self);
    assert (self);
    char text [1024];
    int line = 0, rc = 0;
    while (rc >= 0 && fgets (text, sizeof text, file)) {
        line++;
        if (!strchr (text, '\n') && !feof (file)) {
            rc = s_error (err, rules_path, line, "line longer than %d bytes", (int) sizeof text);
            break;
        }
        text [strcspn (text, "#\n")] = 0;
        rc = s_parse_rule (self, rules_path, line, text, templates_dir, err);
    }
    fclose (file);
    if (rc >= 0 && self->count == 0)
        rc = s_error (err, rules_path, 0, "no rules");
    if (rc < 0) {
        s_free (self);
        return NULL;
    }
    snprintf (self->summary, sizeof self->summary, "rules=%d templates=%d", self->count,
              self->count * 2);
    return self;
}

void
notify_rules_destroy (notify_rules_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        s_free (*self_p);
        *self_p = NULL;
    }
}

const char *
notify_rules_summary (notify_rules_t *self)
{
    return self->summary;
}

const notify_rule_t *
notify_rules_find (notify_rules_t *self, const char *type)
{
    for (int i = 0; i < self->count; i++)
        if (streq (self->rules [i].type, type))
            return &self->rules [i];
    return NULL;
}

static char *
s_render (const char *tpl, zhash_t *fields)
{
    char *out = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&out, &size);
    assert (stream);
    const char *p = tpl;
    const char *open;
    while ((open = strstr (p, "{{"))) {
        fwrite (p, 1, (size_t) (open - p), stream);
        const char *close = strstr (open + 2, "}}");
        assert (close);             /* checked at load */
        char name [64];
        snprintf (name, sizeof name, "%.*s", (int) (close - open - 2), open + 2);
        const char *value = fields ? zhash_lookup (fields, name) : NULL;
        fputs (value && *value ? value : "-", stream);
        p = close + 2;
    }
    fputs (p, stream);
    fclose (stream);
    return out;
}

int
notify_rules_render (notify_rules_t *self, const char *type, const char *lang,
                     zhash_t *fields, char **subject, char **body)
{
    const notify_rule_t *rule = notify_rules_find (self, type);
    if (!rule)
        return -1;
    int l = lang && streq (lang, "en") ? 1 : 0;
    const template_t *tpl = &self->templates [rule - self->rules][l];
    *subject = s_render (tpl->subject, fields);
    *body = s_render (tpl->body, fields);
    return 0;
}

//  --------------------------------------------------------------------------
//  Self-test: the shipped rules and templates load and render; mistakes are
//  refused with file:line.

static int s_passed, s_failed;

static void
s_check (bool verbose, bool ok, const char *what)
{
    if (ok)
        s_passed++;
    else
        s_failed++;
    if (verbose || !ok)
        printf ("  %s %s\n", ok ? "ok  " : "FAIL", what);
}

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert (file);
    fputs (text, file);
    fclose (file);
}

int
notify_rules_test (bool verbose, const char *rules_path, const char *templates_dir, int *passed)
{
    s_passed = s_failed = 0;
    notify_error_t err;
    notify_rules_t *rules = notify_rules_load (rules_path, templates_dir, &err);
    if (!rules)
        printf ("  shipped rules refused: %s:%d: %s\n", err.file, err.line, err.reason);
    s_check (verbose, rules != NULL, "the shipped rules and templates load");
    if (rules) {
        const notify_rule_t *rule = notify_rules_find (rules, "complaint.received");
        s_check (verbose, rule && rule->kinds == (1u << NOTIFY_CUSTOMER)
                          && rule->channels == NOTIFY_CH_EMAIL,
                 "complaint.received -> customer email");
        rule = notify_rules_find (rules, "sla.escalated");
        s_check (verbose, rule && rule->escalation
                          && rule->channels == (NOTIFY_CH_EMAIL | NOTIFY_CH_INBOX),
                 "sla.escalated -> the tier's roles, inbox and email");
        s_check (verbose, notify_rules_find (rules, "complaint.noted") == NULL,
                 "an event without a rule is not found");
        zhash_t *fields = zhash_new ();
        zhash_insert (fields, "complaint_no", "C20260302000001");
        zhash_insert (fields, "received_at", "2026-03-02 09:00");
        char *subject, *body;
        int rc = notify_rules_render (rules, "complaint.received", "zh", fields, &subject, &body);
        s_check (verbose, rc == 0 && strstr (subject, "C20260302000001")
                          && strstr (subject, "受理") && strstr (body, "15日内")
                          && strstr (body, "2026-03-02 09:00") && !strstr (body, "{{"),
                 "the zh receipt renders with the number, the time and the deadline");
        if (rc == 0) {
            free (subject);
            free (body);
        }
        rc = notify_rules_render (rules, "complaint.resolved", "en", fields, &subject, &body);
        s_check (verbose, rc == 0 && strstr (subject, "resolved")
                          && strstr (body, "Outcome: -") && strstr (body, "review"),
                 "the en result renders; a missing field is \"-\"; it says how to ask for review");
        if (rc == 0) {
            free (subject);
            free (body);
        }
        zhash_destroy (&fields);
        notify_rules_destroy (&rules);
    }
    //  Mistakes, in a scratch folder.
    char dir [] = "/tmp/notifier-selftest-XXXXXX";
    if (mkdtemp (dir)) {
        char rpath [300], tpath [300], tpath2 [300];
        snprintf (rpath, sizeof rpath, "%s/rules.conf", dir);
        snprintf (tpath, sizeof tpath, "%s/x.y.zh.txt", dir);
        snprintf (tpath2, sizeof tpath2, "%s/x.y.en.txt", dir);
        s_write (rpath, "# test\nx.y customer email\n");
        s_write (tpath, "Subject: {{complaint_no}}\nline two\nhello {{complaint_nr}}\n");
        s_write (tpath2, "Subject: ok\nbody\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && err.line == 3 && streq (err.file, tpath)
                          && strstr (err.reason, "unknown placeholder {{complaint_nr}}"),
                 "an unknown placeholder is refused with file:line");
        notify_rules_destroy (&rules);
        s_write (tpath, "Subject: fine\nunclosed {{tier\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && err.line == 2 && strstr (err.reason, "unclosed"),
                 "an unclosed {{ is refused with its line");
        notify_rules_destroy (&rules);
        s_write (tpath, "Subject: fine {{tier}}\nbody\n");
        s_write (rpath, "x.y customer email\nx.z boss email\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && err.line == 2 && streq (err.file, rpath)
                          && strstr (err.reason, "unknown recipient kind boss"),
                 "an unknown recipient kind is refused with rules file:line");
        notify_rules_destroy (&rules);
        s_write (tpath, "Subject: fine\nbad \xff byte\n");
        s_write (rpath, "x.y customer email\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && strstr (err.reason, "UTF-8"),
                 "a template that is not UTF-8 is refused");
        notify_rules_destroy (&rules);
        s_write (tpath, "Subject: fine {{tier}}\nbody\n");
        s_write (rpath, "x.y customer sms\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, !rules && err.line == 1 && strstr (err.reason, "channel"),
                 "an unsupported channel is refused");
        notify_rules_destroy (&rules);
        s_write (rpath, "x.y customer,escalation inbox\n");
        rules = notify_rules_load (rpath, dir, &err);
        s_check (verbose, rules != NULL, "a good scratch rule loads");
        notify_rules_destroy (&rules);
        unlink (tpath);
        unlink (tpath2);
        unlink (rpath);
        rmdir (dir);
    }
    *passed += s_passed;
    return s_failed;
}
