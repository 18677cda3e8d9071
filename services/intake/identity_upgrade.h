/*  identity_upgrade.h — `intake --seal-identity [--reseal]`: the one step
 *  of the upgrade to identity at rest that SQL cannot take, because the key
 *  is outside the database (issue 13; docs/security.md, "Identity at rest").
 *
 *  --seal-identity: every complaint row that still holds the customer's
 *  identity in the plaintext columns of migration 001 (a store that had
 *  complaints before migration 022) gets it sealed into customer_sealed,
 *  with its lookup hashes, and the plaintext columns set to NULL — in
 *  transactions of S_BATCH rows, so intake can keep running beside it and
 *  an interruption loses nothing (run it again: it takes what is left).
 *  Migration 023 then drops the plaintext columns; it refuses while any
 *  row still holds plaintext. On a store where 023 ran there is nothing to
 *  do.
 *
 *  --reseal (key rotation): also every row whose sealed identity or query
 *  code, or one of whose hashes, is under another key than the file's
 *  first is opened with its own key and sealed and hashed again under the
 *  first. Afterwards the old key can leave the file.
 *
 *  Runs as intake's role (it owns the complaint table), prints one line of
 *  figures, returns 0 or -1.
 */
#ifndef IDENTITY_UPGRADE_H_INCLUDED
#define IDENTITY_UPGRADE_H_INCLUDED

#include <stdbool.h>
#include "identity_seal.h"

int identity_upgrade_run (const char *conninfo, const identity_seal_t *seal, bool reseal);

#endif
