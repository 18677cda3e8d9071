/*  case_vetting.c — vetting (审核), outcomes and amount limits in the act
 *  transaction (see case_vetting.h; issue 16 §1).
 *
 *  Why intake decides it and not the lifecycle table: the table knows
 *  roles and states, not the bank's delegation of authority. Which cases
 *  must be vetted and each role's limit are policy (deploy/vetting/
 *  policy.conf), and whether a proposal is the actor's own, or what total
 *  the stored proposal grants, only the store knows; so the checks run
 *  here, under the case's row lock, after the table's checks passed.
 *
 *  Amounts are compared in fen (int64): the decimal text the request
 *  carried (act_outcomes_cents) against the policy's limits; the store's
 *  numeric column keeps the text exactly.
 *
 *  The outcome rows: a proposal and a resolution replace the case's rows
 *  (DELETE, INSERT in the order given); a single outcome/amount (older
 *  clients) is one row. approve keeps the rows the proposal wrote and
 *  makes them the decision: resolved_at, the principal outcome and the
 *  total on the complaint, as a direct resolve writes them.
 *
 *  Who and when (issue 16 follow-up, vetting2; migration 050): the same
 *  UPDATE writes proposed_by/_at, approved_by/_at and returned_by/_at, so
 *  the case file and show read the round from the case row, not by
 *  searching the audit trail. A return leaves the proposal's rows where
 *  they are (the handler reworks them) but returned_at marks them: the
 *  staff view lists them as the returned proposal, not as the case's
 *  outcomes, until the next proposal replaces them (case_view.c).
 */
#include "case_vetting.h"
#include "case_action.h"
#include "conf.h"
#include "log.h"

#include <assert.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ROLES 4                       /* handler, supervisor, complaint_office, manager */
#define S_MAX_FLAGS 16
#define S_UNLIMITED INT64_MAX

struct _vetting_policy_t {
    staff_role_t vetter;
    bool vet_major;
    bool vet_priority [5];              /* [1..4] */
    int nflags;
    char flags [S_MAX_FLAGS][32];
    int64_t limit [S_ROLES];            /* fen, by lifecycle_role_rank */
};

/* The policy every act reads (the writers' threads); swapped by the main
 * thread on SIGHUP (vetting_holder_reload), so the pointer is atomic and
 * each check reads it once. */
static _Atomic (const vetting_policy_t *) s_current;

void
vetting_policy_set (const vetting_policy_t *policy)
{
    atomic_store (&s_current, policy);
}

/*  Reload (SIGHUP). The new policy is read whole and swapped in, or refused
 *  with the old one kept (daemon.h's rule). The old one may still be read
 *  by a writer busy with a batch, so it is retired, and freed only when the
 *  main loop sees every writer idle (vetting_holder_idle): a writer reads
 *  the policy only while it holds a batch. */
#define S_MAX_RETIRED 8

struct _vetting_holder_t {
    char *path;
    vetting_policy_t *current;
    vetting_policy_t *retired [S_MAX_RETIRED];
    int nretired;
};

vetting_holder_t *
vetting_holder_new (const char *path, char *why, size_t why_size)
{
    vetting_policy_t *policy = vetting_policy_load (path, why, why_size);
    if (!policy)
        return NULL;
    vetting_holder_t *self = calloc (1, sizeof *self);
    assert (self);
    self->path = strdup (path);
    assert (self->path);
    self->current = policy;
    vetting_policy_set (policy);
    return self;
}

int
vetting_holder_reload (void *arg)
{
    vetting_holder_t *self = arg;
    char why [400], q [500];
    if (self->nretired == S_MAX_RETIRED) {
        log_warn ("vetting_policy_refused", "path=%s reason=\"older policies still in use; "
                  "try again\"", self->path);
        return -1;
    }
    vetting_policy_t *policy = vetting_policy_load (self->path, why, sizeof why);
    if (!policy) {
        log_warn ("vetting_policy_refused", "path=%s reason=%s action=keep_old", self->path,
                  log_quote (q, sizeof q, why));
        return -1;
    }
    self->retired [self->nretired++] = self->current;
    self->current = policy;
    vetting_policy_set (policy);
    log_info ("vetting_policy_loaded", "path=%s", self->path);
    return 0;
}

void
vetting_holder_idle (vetting_holder_t *self)
{
    while (self && self->nretired > 0)
        vetting_policy_destroy (&self->retired [--self->nretired]);
}

void
vetting_holder_destroy (vetting_holder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vetting_holder_t *self = *self_p;
    vetting_policy_set (NULL);
    vetting_holder_idle (self);
    vetting_policy_destroy (&self->current);
    free (self->path);
    free (self);
    *self_p = NULL;
}

static int
s_parse_cents (const char *word, int64_t *out)
{
    if (strcmp (word, "unlimited") == 0) {
        *out = S_UNLIMITED;
        return 0;
    }
    *out = act_outcomes_cents (word);
    return *out < 0 ? -1 : 0;
}

static int
s_line (void *arg, conf_cursor_t *c)
{
    vetting_policy_t *self = arg;
    char *words [4] = { NULL };
    int n = conf_split (c, words, 4);
    if (n < 0)
        return -1;
    int rc = 0;
    staff_role_t role;
    if (n == 2 && strcmp (words [0], "vetter") == 0) {
        if (lifecycle_role_parse (words [1], strlen (words [1]), &role)
        ||  (role != ROLE_SUPERVISOR && role != ROLE_COMPLAINT_OFFICE))
            rc = conf_fail (c, "vetter must be complaint_office or supervisor");
        else
            self->vetter = role;
    }
    else
    if (n == 2 && strcmp (words [0], "vet") == 0 && strcmp (words [1], "major") == 0)
        self->vet_major = true;
    else
    if (n == 3 && strcmp (words [0], "vet") == 0 && strcmp (words [1], "priority") == 0) {
        char *end;
        long p = strtol (words [2], &end, 10);
        if (*end || p < 1 || p > 4)
            rc = conf_fail (c, "priority must be 1 to 4");
        else
            self->vet_priority [p] = true;
    }
    else
    if (n == 3 && strcmp (words [0], "vet") == 0 && strcmp (words [1], "flag") == 0) {
        if (self->nflags == S_MAX_FLAGS || strlen (words [2]) >= sizeof self->flags [0])
            rc = conf_fail (c, "at most %d flags of under 32 bytes", S_MAX_FLAGS);
        else
            snprintf (self->flags [self->nflags++], sizeof self->flags [0], "%s", words [2]);
    }
    else
    if (n == 3 && strcmp (words [0], "limit") == 0) {
        int64_t cents;
        if (lifecycle_role_parse (words [1], strlen (words [1]), &role))
            rc = conf_fail (c, "unknown role \"%s\" (handler, supervisor, complaint_office, "
                            "manager)", words [1]);
        else
        if (s_parse_cents (words [2], &cents))
            rc = conf_fail (c, "limit must be a decimal amount (CNY) or unlimited");
        else
            self->limit [lifecycle_role_rank (role)] = cents;
    }
    else
        rc = conf_fail (c, "expected vetter ROLE, vet major | priority N | flag NAME, "
                        "or limit ROLE AMOUNT");
    conf_words_free (words, n);
    return rc;
}

static vetting_policy_t *
s_new (void)
{
    vetting_policy_t *self = calloc (1, sizeof *self);
    assert (self);
    self->vetter = ROLE_COMPLAINT_OFFICE;
    for (int i = 0; i < S_ROLES; i++)
        self->limit [i] = S_UNLIMITED;          /* no limit line: no limit */
    return self;
}

static vetting_policy_t *
s_finish (vetting_policy_t *self, int rc, const conf_error_t *err, char *why, size_t why_size)
{
    if (rc == 0)
        return self;
    conf_error_format (err, why, why_size);
    free (self);
    return NULL;
}

vetting_policy_t *
vetting_policy_load (const char *path, char *why, size_t why_size)
{
    vetting_policy_t *self = s_new ();
    conf_error_t err;
    conf_limits_t limits = { 1024, 64 * 1024 };
    return s_finish (self, conf_read (path, &limits, &err, s_line, self), &err, why, why_size);
}

vetting_policy_t *
vetting_policy_parse (const char *text, char *why, size_t why_size)
{
    vetting_policy_t *self = s_new ();
    conf_error_t err;
    return s_finish (self, conf_parse ("policy", text, strlen (text), NULL, &err, s_line, self),
                     &err, why, why_size);
}

void
vetting_policy_destroy (vetting_policy_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

/* "1250.50" from fen. */
static void
s_money (int64_t cents, char *out, size_t size)
{
    if (cents == S_UNLIMITED)
        snprintf (out, size, "unlimited");
    else
        snprintf (out, size, "%" PRId64 ".%02d", cents / 100, (int) (cents % 100));
}

static int64_t
s_limit (const vetting_policy_t *p, staff_role_t role)
{
    return p ? p->limit [lifecycle_role_rank (role)] : S_UNLIMITED;
}

/* The lowest role whose limit covers `cents`, for the refusal's advice. */
static void
s_who_covers (const vetting_policy_t *p, int64_t cents, char *out, size_t size)
{
    static const staff_role_t order [] = { ROLE_SUPERVISOR, ROLE_COMPLAINT_OFFICE, ROLE_MANAGER };
    for (size_t i = 0; i < 3; i++)
        if (s_limit (p, order [i]) >= cents) {
            char limit [40];
            s_money (s_limit (p, order [i]), limit, sizeof limit);
            snprintf (out, size, "a %s (limit %s CNY)", lifecycle_role_name (order [i]), limit);
            return;
        }
    snprintf (out, size, "nobody: it exceeds every role's limit");
}

/* Does the policy name the case? why gets the rule. */
static bool
s_vetted (const vetting_policy_t *p, int priority, bool major, const char *flags,
          char *why, size_t size)
{
    if (!p)
        return false;
    if (p->vet_major && major) {
        snprintf (why, size, "every major complaint");
        return true;
    }
    if (priority >= 1 && priority <= 4 && p->vet_priority [priority]) {
        snprintf (why, size, "every priority %d complaint", priority);
        return true;
    }
    for (int i = 0; i < p->nflags; i++) {
        char quoted [40];
        snprintf (quoted, sizeof quoted, ",%s,", p->flags [i]);
        if (strstr (flags, quoted)) {
            snprintf (why, size, "every complaint flagged %s", p->flags [i]);
            return true;
        }
    }
    return false;
}

/* The outcomes the act carries (one or several) into vet. */
static void
s_act_outcomes (const act_t *act, case_vetting_t *vet)
{
    vet->nkinds = 0;
    vet->total_cents = 0;
    bool any_amount = false;
    if (act->noutcomes > 0) {
        for (int i = 0; i < act->noutcomes; i++) {
            snprintf (vet->kinds [i], sizeof vet->kinds [i], "%s", act->outcomes [i].kind);
            if (act->outcomes [i].has_amount) {
                any_amount = true;
                vet->total_cents += act_outcomes_cents (act->outcomes [i].amount);
            }
        }
        vet->nkinds = act->noutcomes;
    }
    else
    if (act->outcome [0]) {
        snprintf (vet->kinds [0], sizeof vet->kinds [0], "%s", act->outcome);
        vet->nkinds = 1;
        if (act->present & FIELD_AMOUNT) {
            any_amount = true;
            vet->total_cents = act_outcomes_cents (act->amount);
        }
    }
    if (any_amount)
        s_money (vet->total_cents, vet->total, sizeof vet->total);
}

/* The principal outcome: the first monetary, else the first. */
static void
s_principal (case_vetting_t *vet)
{
    vet->principal [0] = 0;
    for (int i = 0; i < vet->nkinds; i++) {
        vet->kind_ptrs [i] = vet->kinds [i];
        if (!vet->principal [0] && lifecycle_outcome_needs_amount (vet->kinds [i]))
            snprintf (vet->principal, sizeof vet->principal, "%s", vet->kinds [i]);
    }
    if (!vet->principal [0] && vet->nkinds > 0)
        snprintf (vet->principal, sizeof vet->principal, "%s", vet->kinds [0]);
}

static const char *s_case_sql =
    "SELECT coalesce (c.priority, 0), c.major, ',' || array_to_string (c.flags, ',') || ',',"
    "       coalesce (c.proposed_by, ''),"
    "       (SELECT coalesce (string_agg (o.kind, ',' ORDER BY o.seq), '')"
    "          FROM complaint_outcome o WHERE o.complaint_id = c.id),"
    "       (SELECT count (o.amount) FROM complaint_outcome o WHERE o.complaint_id = c.id),"
    "       (SELECT coalesce ((sum (o.amount) * 100)::bigint, 0)"
    "          FROM complaint_outcome o WHERE o.complaint_id = c.id)"
    "  FROM complaint c WHERE c.id = $1";

int
case_vetting_check (pg_session_t *pg, const act_t *act, const staff_t *staff, const char *id,
                    case_vetting_t *vet, proto_error_t *err)
{
    const char *name = act->action->name;
    const vetting_policy_t *s_policy = atomic_load (&s_current);    /* once per act */
    memset (vet, 0, sizeof *vet);
    bool resolve = strcmp (name, "resolve") == 0, propose = strcmp (name, "propose") == 0;
    bool approve = strcmp (name, "approve") == 0, ret = strcmp (name, "return") == 0;
    vet->applies = resolve || propose || approve || ret;
    if (!vet->applies)
        return 0;
    const char *values [] = { id };
    PGresult *res = case_action_exec (pg, "act", act->complaint_no, "vetting", s_case_sql, 1,
                                      values, NULL, NULL, err);
    if (!res)
        return -1;
    if (PQntuples (res) != 1) {
        PQclear (res);
        proto_error_set (err, PROTO_E_INTERNAL, "", "the case vanished under its lock");
        return -1;
    }
    int priority = atoi (PQgetvalue (res, 0, 0));
    bool major = PQgetvalue (res, 0, 1) [0] == 't';
    vet->vetted = s_vetted (s_policy, priority, major, PQgetvalue (res, 0, 2), vet->why,
                            sizeof vet->why);
    snprintf (vet->proposed_by, sizeof vet->proposed_by, "%s", PQgetvalue (res, 0, 3));
    char stored [ACT_MAX_OUTCOMES * 32 + 1];
    snprintf (stored, sizeof stored, "%s", PQgetvalue (res, 0, 4));
    bool stored_amount = atoi (PQgetvalue (res, 0, 5)) > 0;
    int64_t stored_cents = strtoll (PQgetvalue (res, 0, 6), NULL, 10);
    PQclear (res);

    if (resolve || propose)
        s_act_outcomes (act, vet);
    else {
        /* the proposal on record */
        char *save = NULL;
        for (char *k = strtok_r (stored, ",", &save); k && vet->nkinds < ACT_MAX_OUTCOMES;
             k = strtok_r (NULL, ",", &save))
            snprintf (vet->kinds [vet->nkinds++], sizeof vet->kinds [0], "%s", k);
        vet->total_cents = stored_cents;
        if (stored_amount)
            s_money (stored_cents, vet->total, sizeof vet->total);
    }
    s_principal (vet);

    char limit [40], total [40], who [80];
    int64_t mine = s_limit (s_policy, staff->role);
    s_money (mine, limit, sizeof limit);
    s_money (vet->total_cents, total, sizeof total);
    if (resolve && vet->vetted) {
        proto_error_set (err, PROTO_E_INVALID_TRANSITION, "action",
                         "complaint %s must be vetted before the customer is answered (policy: "
                         "%s): propose the resolution; the %s approves it",
                         act->complaint_no, vet->why,
                         lifecycle_role_name (s_policy->vetter));
        return -1;
    }
    if (resolve && vet->total_cents > mine) {
        s_who_covers (s_policy, vet->total_cents, who, sizeof who);
        proto_error_set (err, PROTO_E_FORBIDDEN, "amount",
                         "the total %s CNY exceeds your limit as %s (%s CNY): propose it, to be "
                         "approved by %s", total, lifecycle_role_name (staff->role), limit, who);
        return -1;
    }
    if (approve || ret) {
        if (vet->proposed_by [0] && strcmp (vet->proposed_by, staff->id) == 0) {
            proto_error_set (err, PROTO_E_FORBIDDEN, "action",
                             "you proposed this resolution: another person vets it (the %s)",
                             s_policy ? lifecycle_role_name (s_policy->vetter)
                                      : "complaint_office");
            return -1;
        }
        staff_role_t vetter = s_policy ? s_policy->vetter : ROLE_SUPERVISOR;
        if (lifecycle_role_rank (staff->role) < lifecycle_role_rank (vetter)) {
            proto_error_set (err, PROTO_E_FORBIDDEN, "action",
                             "proposals are vetted by the %s or a higher role (vetting "
                             "policy); you are a %s", lifecycle_role_name (vetter),
                             lifecycle_role_name (staff->role));
            return -1;
        }
    }
    if (approve && vet->total_cents > mine) {
        s_who_covers (s_policy, vet->total_cents, who, sizeof who);
        proto_error_set (err, PROTO_E_FORBIDDEN, "amount",
                         "the proposal grants %s CNY, over your approval limit as %s (%s CNY): "
                         "it must be approved by %s", total, lifecycle_role_name (staff->role),
                         limit, who);
        return -1;
    }
    return 0;
}

int
case_vetting_limit (staff_role_t role, const char *amount, const char *field, proto_error_t *err)
{
    const vetting_policy_t *s_policy = atomic_load (&s_current);
    int64_t cents = act_outcomes_cents (amount);
    int64_t mine = s_limit (s_policy, role);
    if (cents <= mine)
        return 0;
    char total [40], limit [40], who [80];
    s_money (cents, total, sizeof total);
    s_money (mine, limit, sizeof limit);
    s_who_covers (s_policy, cents, who, sizeof who);
    proto_error_set (err, PROTO_E_FORBIDDEN, field,
                     "%s CNY exceeds your limit as %s (%s CNY): register the complaint without "
                     "first_contact; its resolution is then proposed and approved by %s",
                     total, lifecycle_role_name (role), limit, who);
    return -1;
}

static const char *s_delete_sql = "DELETE FROM complaint_outcome WHERE complaint_id = $1";
static const char *s_insert_sql =
    "INSERT INTO complaint_outcome (complaint_id, seq, kind, amount, text)"
    " VALUES ($1, $2, $3, $4::numeric, $5)";
static const char *s_case_update_sql =
    "UPDATE complaint SET"
    "  customer_text = CASE WHEN $2 IN ('approve', 'return') THEN customer_text ELSE $3 END,"
    "  proposed_by = CASE WHEN $2 = 'propose' THEN $4"
    "                     WHEN $2 = 'resolve' THEN NULL ELSE proposed_by END,"
    /* issue 16 follow-up (vetting2): who and when, as columns (migration
     * 050): a proposal starts a round, approve and return end it, a direct
     * resolve has none */
    "  proposed_at = CASE WHEN $2 = 'propose' THEN app_now ()"
    "                     WHEN $2 = 'resolve' THEN NULL ELSE proposed_at END,"
    "  approved_by = CASE WHEN $2 = 'approve' THEN $4"
    "                     WHEN $2 IN ('propose', 'resolve') THEN NULL ELSE approved_by END,"
    "  approved_at = CASE WHEN $2 = 'approve' THEN app_now ()"
    "                     WHEN $2 IN ('propose', 'resolve') THEN NULL ELSE approved_at END,"
    "  returned_by = CASE WHEN $2 = 'return' THEN $4"
    "                     WHEN $2 IN ('propose', 'resolve') THEN NULL ELSE returned_by END,"
    "  returned_at = CASE WHEN $2 = 'return' THEN app_now ()"
    "                     WHEN $2 IN ('propose', 'resolve') THEN NULL ELSE returned_at END,"
    "  resolved_at = CASE WHEN $2 = 'approve' THEN app_now () ELSE resolved_at END,"
    "  satisfied = CASE WHEN $2 = 'approve' THEN NULL ELSE satisfied END,"
    "  resolution_outcome = CASE WHEN $2 IN ('approve', 'resolve') THEN $5"
    "                            ELSE resolution_outcome END,"
    "  resolution_amount = CASE WHEN $2 IN ('approve', 'resolve') THEN $6::numeric"
    "                           ELSE resolution_amount END"
    " WHERE id = $1";

static int
s_run (pg_session_t *pg, const act_t *act, const char *step, const char *sql, int n,
       const char *const *values, const int *lengths, const int *formats, proto_error_t *err)
{
    PGresult *res = case_action_exec (pg, "act", act->complaint_no, step, sql, n, values,
                                      lengths, formats, err);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

int
case_vetting_write (pg_session_t *pg, const act_t *act, const staff_t *staff, const char *id,
                    case_vetting_t *vet, proto_error_t *err)
{
    const char *name = act->action->name;
    if (!vet->applies)
        return 0;
    /* a return writes only who returned it (the outcome rows stay, marked
     * returned by returned_at: issue 16 follow-up, vetting2) */
    bool replace = strcmp (name, "approve") != 0 && strcmp (name, "return") != 0;
    if (replace) {
        const char *del [] = { id };
        if (s_run (pg, act, "outcomes_delete", s_delete_sql, 1, del, NULL, NULL, err))
            return -1;
        int n = act->noutcomes > 0 ? act->noutcomes : 1;
        for (int i = 0; i < n; i++) {
            char seq [16];
            snprintf (seq, sizeof seq, "%d", i + 1);
            const act_outcome_t *o = act->noutcomes > 0 ? &act->outcomes [i] : NULL;
            const char *values [] = {
                id, seq, o ? o->kind : act->outcome,
                o ? (o->has_amount ? o->amount : NULL)
                  : (act->present & FIELD_AMOUNT ? act->amount : NULL),
                o && o->text.ptr ? o->text.ptr : NULL
            };
            int lengths [5] = { 0, 0, 0, 0, o && o->text.ptr ? (int) o->text.len : 0 };
            int formats [5] = { 0, 0, 0, 0, 1 };
            if (s_run (pg, act, "outcomes_insert", s_insert_sql, 5, values, lengths, formats,
                       err))
                return -1;
        }
    }
    const char *values [] = {
        id, name, act->customer_text.ptr, staff->id, vet->principal [0] ? vet->principal : NULL,
        vet->total [0] ? vet->total : NULL
    };
    int lengths [6] = { 0, 0, act->customer_text.ptr ? (int) act->customer_text.len : 0, 0, 0, 0 };
    int formats [6] = { 0, 0, 1, 0, 0, 0 };
    return s_run (pg, act, "vetting_update", s_case_update_sql, 6, values, lengths, formats, err);
}

#include "selftest.h"

void
case_vetting_test (bool verbose)
{
    if (verbose)
        printf (" * case_vetting: ");
    char why [300];
    vetting_policy_t *p = vetting_policy_parse (
        "vetter complaint_office\nvet major\nvet priority 1\nvet flag media\n"
        "limit handler 500\nlimit supervisor 5000.50\nlimit manager unlimited\n", why, sizeof why);
    assert (p);
    char rule [64];
    assert (s_vetted (p, 3, true, ",", rule, sizeof rule) && strcmp (rule, "every major complaint") == 0);
    assert (s_vetted (p, 1, false, ",", rule, sizeof rule));
    assert (!s_vetted (p, 2, false, ",repeat,", rule, sizeof rule));
    assert (s_vetted (p, 2, false, ",repeat,media,", rule, sizeof rule));
    assert (!s_vetted (p, 2, false, ",social_media,", rule, sizeof rule));
    assert (s_limit (p, ROLE_HANDLER) == 50000 && s_limit (p, ROLE_SUPERVISOR) == 500050);
    assert (s_limit (p, ROLE_COMPLAINT_OFFICE) == S_UNLIMITED);      /* no line: none */
    char who [80];
    s_who_covers (p, 600000, who, sizeof who);
    assert (strstr (who, "complaint_office"));
    vetting_policy_destroy (&p);
    vetting_policy_destroy (&p);
    assert (!vetting_policy_parse ("vetter handler\n", why, sizeof why) && strstr (why, ":1:"));
    assert (!vetting_policy_parse ("vet priority 7\n", why, sizeof why));
    assert (!vetting_policy_parse ("limit clerk 5\n", why, sizeof why));
    assert (!vetting_policy_parse ("limit handler -5\n", why, sizeof why));
    assert (!vetting_policy_parse ("approve everything\n", why, sizeof why));
    /* the principal outcome: the first monetary one */
    case_vetting_t vet = { 0 };
    vet.nkinds = 3;
    strcpy (vet.kinds [0], "apology");
    strcpy (vet.kinds [1], "refund");
    strcpy (vet.kinds [2], "compensation");
    s_principal (&vet);
    assert (strcmp (vet.principal, "refund") == 0 && vet.kind_ptrs [2] == vet.kinds [2]);
    char money [40];
    s_money (30050, money, sizeof money);
    assert (strcmp (money, "300.50") == 0);
    if (verbose)
        printf ("OK\n");
}
