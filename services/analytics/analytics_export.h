/*  analytics_export.h — the regulators' exports (issue 12 section 5): the
 *  counts by JR/T 0169-2018 code (`jrt`) and the CFPB-format rows (`cfpb`),
 *  read from analytics_fact only (migration 015 added the codes, the
 *  consent and the consented narrative).
 *
 *  The daemon answers with codes and raw figures; complaintctl turns them
 *  into CSV with the codes' names and the small-cell rule
 *  (services/complaintctl/export_cmd.c), so the wire carries no
 *  presentation and every tool can apply its own threshold.
 *
 *      jrt    GROUP BY period (the received day, or its month, in the bank's
 *             zone) x the axis's codes; at most ANALYTICS_MAX_JRT_ROWS rows,
 *             else an error naming `period` (day) or `to`.
 *      cfpb   one page of at most `limit` rows after the cursor
 *             (received_at, complaint_no), in that order, and `next`: the
 *             cursor of the page after it, nil on the last page. Keyset
 *             paging on the index on received_at (ties sorted incrementally):
 *             each page costs its own rows, whatever the page number, and neither
 *             side holds more than a page (a year of data streams).
 *
 *  Each answer is one REPEATABLE READ READ ONLY snapshot with the cursor
 *  (`as_of_seq`); a cfpb export of many pages is many snapshots: a row
 *  whose case changes between two pages shows the state of its own page.
 *
 *  Interface:
 *      analytics_export_answer    a decoded jrt or cfpb request -> reply
 */
#ifndef ANALYTICS_EXPORT_H_INCLUDED
#define ANALYTICS_EXPORT_H_INCLUDED

#include "analytics_request.h"
#include "analytics_store.h"
#include "calendar.h"

#include <msgpack.h>

/* 0 with the answer in reply; -1 with err set (reply untouched). */
int analytics_export_answer (analytics_store_t *store, const calendar_t *calendar,
                             const analytics_request_t *req, msgpack_sbuffer *reply,
                             proto_error_t *err);

#endif
