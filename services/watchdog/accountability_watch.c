/*  accountability_watch.c — the accountability triggers' sweep (see
 *  accountability_watch.h).
 *
 *  Cost. The referral query starts from the referred cases' acknowledge
 *  clocks that breached and are not yet in the register (an anti-join on
 *  its UNIQUE index); the hot spot query from the open hot spots past their
 *  grace (analytics' function analytics_hotspot_overdue over its partial
 *  index; the table is analytics' and not read here), each checked against
 *  case_task's index on hotspot. Both are bounded by `batch` a sweep; the
 *  media query (watchdog2) starts from migration 056's partial index of
 *  media cases, also anti-joined; the sweep runs on its own timer
 *  (--accountability-sweep-ms), not every tick.
 */
#include "accountability_watch.h"
#include "events.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_referral_sql =
    "SELECT c.id, c.complaint_no, coalesce (c.department, '')"
    "  FROM sla_clock k JOIN complaint c ON c.id = k.complaint_id"
    " WHERE k.stage = 'acknowledge' AND c.referral_source IS NOT NULL"
    "   AND EXISTS (SELECT 1 FROM sla_firing f WHERE f.clock_id = k.id AND f.step = 'breach')"
    "   AND NOT EXISTS (SELECT 1 FROM accountability_item a"
    "                    WHERE a.trigger = 'referral_unaccepted' AND a.complaint_id = c.id)"
    " ORDER BY c.id LIMIT $1::int";

/* issue 16 follow-up (analytics2): the open hot spots past their grace come
 * from analytics' function (053), by its one derived key; the anti-joins
 * are on the watchdog's and intake's own tables, as before. */
static const char *s_hotspot_sql =
    "SELECT h.hotspot_key, h.branch"
    "  FROM analytics_hotspot_overdue ($2::bigint) h"
    " WHERE NOT EXISTS (SELECT 1 FROM case_task t WHERE t.kind = 'rectification'"
    "                    AND t.hotspot = h.hotspot_key)"
    "   AND NOT EXISTS (SELECT 1 FROM accountability_item a"
    "                    WHERE a.trigger = 'hotspot_uncorrected' AND a.hotspot = h.hotspot_key)"
    " ORDER BY h.opened_at LIMIT $1::int";

//  A customer who complained again, higher (a review or an escalation),
//  after the bank's answer was late: a first-response or resolution clock
//  of the case had breached before that action. The department is the one
//  whose answer it was (an escalation's from_department, a review's
//  decided_by), else the case's. Driven by the review and escalation rows
//  (a partial index, migration 045), not by every case.
static const char *s_repeat_sql =
    "SELECT DISTINCT ON (c.id) c.id, c.complaint_no,"
    "       coalesce (a.details ->> 'from_department', c.decided_by, c.department, '')"
    "  FROM case_action a JOIN complaint c ON c.id = a.complaint_id"
    " WHERE a.action IN ('review', 'escalate')"
    "   AND EXISTS (SELECT 1 FROM sla_clock k JOIN sla_firing f ON f.clock_id = k.id"
    "                WHERE k.complaint_id = c.id AND k.stage IN ('first_response', 'resolution')"
    "                  AND f.step = 'breach' AND f.fired_at <= a.at)"
    "   AND NOT EXISTS (SELECT 1 FROM accountability_item i"
    "                    WHERE i.trigger = 'repeat_after_breach' AND i.complaint_id = c.id)"
    " ORDER BY c.id, a.id LIMIT $1::int";

/* issue 16 follow-up (watchdog2): a complaint that reached the media —
 * referred by a media outlet or flagged `media` by the router's rules
 * (docs/tasks.md "Escalated to the media"). Through the partial index of
 * migration 056 (its predicate word for word); once per case (the UNIQUE
 * (trigger, complaint_id) of the register; the anti-join keeps the sweep
 * from asking again). The department is the case's: a case not yet routed
 * (no department) waits for the router, so the item names the department
 * that handles it. */
static const char *s_media_sql =
    "SELECT c.id, c.complaint_no, coalesce (c.department, '')"
    "  FROM complaint c"
    " WHERE (c.referral_source = 'media' OR array_position (c.flags, 'media') IS NOT NULL)"
    "   AND c.department IS NOT NULL"
    "   AND NOT EXISTS (SELECT 1 FROM accountability_item a"
    "                    WHERE a.trigger = 'media' AND a.complaint_id = c.id)"
    " ORDER BY c.id LIMIT $1::int";

static const char *s_open_sql =
    "SELECT id FROM accountability_open ($1, nullif ($2, '')::bigint, nullif ($3, ''), $4, $5)";

/* Record one trigger; its event when this call created the row. 1 told, 0
 * already there, -1 failed. */
static int
s_record (pg_session_t *pg, const char *name, const char *trigger, const char *case_id,
          const char *complaint_no, const char *hotspot, const char *department)
{
    const char *values [] = { trigger, case_id, hotspot, department, name };
    PGresult *res = pg_session_exec (pg, "accountability_open", s_open_sql, 5, values, NULL,
                                     NULL, PGRES_TUPLES_OK);
    if (!res)
        return -1;
    if (PQntuples (res) == 0) {
        PQclear (res);
        return 0;
    }
    events_accountability_t a = {
        .item = strtoll (PQgetvalue (res, 0, 0), NULL, 10), .trigger = trigger,
        .branch = *department ? department : NULL,
        .complaint_no = *complaint_no ? complaint_no : NULL,
        .hotspot = *hotspot ? hotspot : NULL,
    };
    PQclear (res);
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    events_accountability_opened (&data, &a);
    const char *ov [] = { data.data };
    int lengths [] = { (int) data.size };
    int formats [] = { 1 };
    res = pg_session_exec (pg, "accountability_outbox",
                           "INSERT INTO outbox (type, complaint_no, data, at)"
                           " VALUES ('accountability.opened', NULL, $1, app_now ())", 1, ov,
                           lengths, formats, PGRES_COMMAND_OK);
    msgpack_sbuffer_destroy (&data);
    if (!res)
        return -1;
    PQclear (res);
    log_info ("accountability_opened", "item=%lld trigger=%s complaint_no=%s hotspot=%s",
              (long long) a.item, trigger, *complaint_no ? complaint_no : "-",
              *hotspot ? hotspot : "-");
    return 1;
}

int
accountability_watch_sweep (pg_session_t *pg, const char *name, int batch, int64_t grace_ms)
{
    if (!pg_session_conn (pg))
        return -1;
    if (pg_session_command (pg, "accountability_begin", "BEGIN", 0, NULL))
        return -1;
    char lim [16], grace [24];
    snprintf (lim, sizeof lim, "%d", batch);
    snprintf (grace, sizeof grace, "%lld", (long long) grace_ms);
    const char *p_ref [] = { lim };
    const char *p_hot [] = { lim, grace };
    int told = 0;
    PGresult *res = pg_session_exec (pg, "accountability_referrals", s_referral_sql, 1, p_ref,
                                     NULL, NULL, PGRES_TUPLES_OK);
    if (!res)
        goto fail;
    for (int r = 0; r < PQntuples (res); r++) {
        int n = s_record (pg, name, "referral_unaccepted", PQgetvalue (res, r, 0),
                          PQgetvalue (res, r, 1), "", PQgetvalue (res, r, 2));
        if (n < 0) {
            PQclear (res);
            goto fail;
        }
        told += n;
    }
    PQclear (res);
    res = pg_session_exec (pg, "accountability_repeats", s_repeat_sql, 1, p_ref, NULL, NULL,
                           PGRES_TUPLES_OK);
    if (!res)
        goto fail;
    for (int r = 0; r < PQntuples (res); r++) {
        int n = s_record (pg, name, "repeat_after_breach", PQgetvalue (res, r, 0),
                          PQgetvalue (res, r, 1), "", PQgetvalue (res, r, 2));
        if (n < 0) {
            PQclear (res);
            goto fail;
        }
        told += n;
    }
    PQclear (res);
    res = pg_session_exec (pg, "accountability_media", s_media_sql, 1, p_ref, NULL, NULL,
                           PGRES_TUPLES_OK);               /* watchdog2 */
    if (!res)
        goto fail;
    for (int r = 0; r < PQntuples (res); r++) {
        int n = s_record (pg, name, "media", PQgetvalue (res, r, 0), PQgetvalue (res, r, 1),
                          "", PQgetvalue (res, r, 2));
        if (n < 0) {
            PQclear (res);
            goto fail;
        }
        told += n;
    }
    PQclear (res);
    res = pg_session_exec (pg, "accountability_hotspots", s_hotspot_sql, 2, p_hot, NULL, NULL,
                           PGRES_TUPLES_OK);
    if (!res)
        goto fail;
    for (int r = 0; r < PQntuples (res); r++) {
        int n = s_record (pg, name, "hotspot_uncorrected", "", "", PQgetvalue (res, r, 0),
                          PQgetvalue (res, r, 1));
        if (n < 0) {
            PQclear (res);
            goto fail;
        }
        told += n;
    }
    PQclear (res);
    if (pg_session_command (pg, "accountability_commit", "COMMIT", 0, NULL))
        goto fail;
    return told;
fail:
    pg_session_rollback (pg);
    return -1;
}
