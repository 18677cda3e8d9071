/*  case_vetting.h — vetting (审核), a decision's outcomes and the amount
 *  limits, for intake's act transaction (issue 16 §1; docs/lifecycle.md
 *  "Vetting").
 *
 *  The lifecycle table (proto/lifecycle.c) says who may propose, approve
 *  and return; the bank's policy (deploy/vetting/policy.conf, --vetting-
 *  policy, reloaded on SIGHUP) narrows it:
 *      - a case the policy names (major, priority N, flag F) is never
 *        resolved directly: resolve -> invalid_transition, field action;
 *      - a proposal is vetted by the policy's vetter role or a higher one,
 *        never by its proposer -> forbidden, field action;
 *      - a total over the actor's limit is not resolved or approved by them
 *        -> forbidden, field amount, naming the limit.
 *  The outcomes (one or several) are rows of complaint_outcome (migration
 *  037), replaced by a proposal or a resolution; approve turns the stored
 *  proposal into the decision.
 *
 *  Interface:
 *      vetting_policy_load / _destroy / _default   the policy
 *      case_vetting_check     the checks above, in the act's transaction
 *      case_vetting_write     the outcome rows and the case's columns
 *      case_vetting_test      self-test (policy parsing, limits)
 */
#ifndef CASE_VETTING_H_INCLUDED
#define CASE_VETTING_H_INCLUDED

#include "lifecycle.h"
#include "pg_session.h"
#include "request.h"
#include "staff_auth.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _vetting_policy_t vetting_policy_t;

/* NULL with why filled ("file:line: reason"). */
vetting_policy_t *vetting_policy_load (const char *path, char *why, size_t why_size);
vetting_policy_t *vetting_policy_parse (const char *text, char *why, size_t why_size);
void vetting_policy_destroy (vetting_policy_t **self_p);

/* Intake's main thread: the policy file, loaded and set (NULL with why);
 * reloaded on SIGHUP (a daemon_reload_fn: 0 swapped in, -1 refused and the
 * old kept); the policies it replaced are freed when every writer is idle
 * (vetting_holder_idle, from the main loop). */
typedef struct _vetting_holder_t vetting_holder_t;
vetting_holder_t *vetting_holder_new (const char *path, char *why, size_t why_size);
int  vetting_holder_reload (void *holder);
void vetting_holder_idle (vetting_holder_t *self);
void vetting_holder_destroy (vetting_holder_t **self_p);
/* The policy every act uses (an atomic pointer: the holder swaps it on
 * SIGHUP). NULL: nothing vetted, no limits (the lifecycle table alone). */
void vetting_policy_set (const vetting_policy_t *policy);

/* What the vetting step learnt and decided, for the event and the write. */
typedef struct {
    bool applies;               /* propose, resolve, approve or return */
    bool vetted;                /* the policy names this case */
    char why [64];              /* "every major complaint", "priority 1" */
    char proposed_by [65];      /* the pending proposal's author ("" none) */
    int  nkinds;
    char kinds [ACT_MAX_OUTCOMES][32];
    const char *kind_ptrs [ACT_MAX_OUTCOMES];
    char principal [32];        /* the first monetary outcome, else the first */
    char total [40];            /* "" when no outcome has an amount */
    int64_t total_cents;
} case_vetting_t;

/* 0 go on, -1 with err. id: the case's row id. */
int case_vetting_check (pg_session_t *pg, const act_t *act, const staff_t *staff,
                        const char *id, case_vetting_t *vet, proto_error_t *err);
/* After the case's UPDATE: outcome rows, customer_text, proposed_by, and
 * (approve) resolved_at and the principal outcome. 0, or -1 with err. */
int case_vetting_write (pg_session_t *pg, const act_t *act, const staff_t *staff,
                        const char *id, case_vetting_t *vet, proto_error_t *err);

/* First-contact resolution (first_contact.c): the agent's own limit for
 * the amount granted on the call (field: "first_contact.amount"). 0 within
 * it (or no policy), -1 with err (forbidden) over it. */
int case_vetting_limit (staff_role_t role, const char *amount, const char *field,
                        proto_error_t *err);

void case_vetting_test (bool verbose);

#endif
