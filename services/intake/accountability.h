/*  accountability.h — intake's `accountability` request: the accountability
 *  register (问责; migration 045, owner intake; docs/tasks.md).
 *
 *  list    the complaint office and managers: every item (open ones — no
 *          outcome yet — unless `all`), newest first, at most 500
 *  decide  a manager records the outcome (none, warning, training,
 *          criticism, penalty, dismissal) and a note, once: the row locked,
 *          an item already decided is invalid_transition; and
 *          accountability.decided, one transaction
 *  The watchdog opens the items (accountability_open, migration 045).
 *
 *  Interface:
 *      accountability_apply   run one request; the reply (ok or error) is packed
 */
#ifndef ACCOUNTABILITY_H_INCLUDED
#define ACCOUNTABILITY_H_INCLUDED

#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

int accountability_apply (pg_session_t *pg, const accountability_t *req,
                          msgpack_sbuffer *reply);

#endif
