/*  rectification.h — intake's `rectification` request: rectification items
 *  (整改) opened from a hot spot, listed, marked done (issue 16 §2; seed
 *  004_2f51cd16205a384a.txt 第十二條 "下發整改意見…跟蹤其整改情況";
 *  docs/tasks.md). An item on a case is opened by the staff action
 *  `rectify` (case_task.c); both live in case_task (kind rectification,
 *  migration 043) and are reminded and chased by the watchdog.
 *
 *  open   staff of role supervisor, complaint_office or manager; the hot
 *         spot exists (analytics_hotspot, read: migration 044) and names a
 *         branch, or a department is given; the owner is active staff of
 *         it; `due` counted on the bank's default calendar; INSERT case_task
 *         (complaint_id NULL, hotspot = the key) and rectification.opened,
 *         one transaction
 *  list   the items a member of staff may see (the complaint office and
 *         managers of the head office: all; others: their department's
 *         subtree), open ones by default, by deadline
 *  done   the owner, staff of the department (or above it) or the complaint
 *         office; the item open; state done with what was done, and
 *         rectification.done, one transaction
 *  Each refusal names its field.
 *
 *  Interface:
 *      rectification_apply   run one request; the reply (ok or error) is packed
 */
#ifndef RECTIFICATION_H_INCLUDED
#define RECTIFICATION_H_INCLUDED

#include "pg_session.h"
#include "request.h"
#include <msgpack.h>

int rectification_apply (pg_session_t *pg, const rectification_t *req, msgpack_sbuffer *reply);

#endif
