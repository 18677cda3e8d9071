/*  orgsync.h — copy the directory and the staff tokens into the store.
 *
 *  One transaction under a transaction-level advisory lock (so two routers
 *  syncing at once take turns instead of interleaving):
 *    - departments upserted parents first, with their computed path;
 *    - staff upserted;
 *    - departments and staff missing from the file marked active = false
 *      (never deleted: cases and the audit trail still name them);
 *    - staff_token seeded with the tokens file's hashes it does not hold
 *      yet, when a tokens file is configured; never a token deleted or
 *      changed (its life is the store's, migration 021).
 *  Either all of it commits or none of it.
 *
 *  Interface: orgsync_run
 */
#ifndef ORGSYNC_H_INCLUDED
#define ORGSYNC_H_INCLUDED

#include "policy.h"
#include "pg_session.h"

/* Returns 0, or -1 (logged as org_sync_failed after the statement's
 * pg_statement_failed line; nothing changed). */
int orgsync_run (pg_session_t *session, const policy_t *policy);

#endif
