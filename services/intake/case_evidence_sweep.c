/*  case_evidence_sweep.c — parts that never became whole, recorded as not
 *  kept (see case_evidence_sweep.h for the sequence and why).
 *
 *  Why the item's age is its LAST part's: an item still arriving (a slow
 *  adapter, a large attachment over a bad link) is never cut off while its
 *  parts keep coming; only an item nobody has added to for the whole bound
 *  is given up.
 *
 *  Why the candidates are read outside a transaction and checked again
 *  under the case's lock: the first read takes no lock (a sweep must not
 *  hold every case with parts); between it and the lock the last part may
 *  have come (the item was joined) or another writer may have swept it —
 *  then the second read finds nothing stale and the item is left alone.
 */
#include "case_evidence_sweep.h"
#include "case_action.h"
#include "case_evidence.h"
#include "case_evidence_part.h"
#include "lifecycle.h"
#include "log.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_KIND  "evidence_sweep"
#define S_ACTOR "intake"
#define S_ROLE  "system"

static const char *s_candidates_sql =
    "SELECT c.complaint_no, p.source FROM evidence_part p JOIN complaint c ON c.id = p.complaint_id"
    " GROUP BY c.complaint_no, p.complaint_id, p.source"
    " HAVING max (p.received_at) < app_now () - $1::int * interval '1 hour'"
    " ORDER BY min (p.received_at) LIMIT $2";

static const char *s_case_sql =
    "SELECT id, state, version FROM complaint WHERE complaint_no = $1 FOR NO KEY UPDATE";

/* The item under the case's lock: still stale? what its parts declared. */
static const char *s_item_sql =
    "SELECT count (*), coalesce (sum (octet_length (content)), 0),"
    "       coalesce (max (name), '(unnamed)'),"
    "       coalesce (max (media_type), 'application/octet-stream'),"
    "       coalesce (max (size), sum (octet_length (content)), 0),"
    "       coalesce ((array_agg (sha256) FILTER (WHERE sha256 IS NOT NULL)) [1],"
    "                 sha256 (coalesce (string_agg (content, ''::bytea ORDER BY part_offset),"
    "                                   ''::bytea))),"
    "       encode (coalesce ((array_agg (sha256) FILTER (WHERE sha256 IS NOT NULL)) [1],"
    "                 sha256 (coalesce (string_agg (content, ''::bytea ORDER BY part_offset),"
    "                                   ''::bytea))), 'hex'),"
    "       coalesce (max (uploader), '-')"
    "  FROM evidence_part WHERE complaint_id = $1 AND source = $2"
    " HAVING max (received_at) < app_now () - $3::int * interval '1 hour'";

typedef struct {
    pg_session_t *pg;
    const char *complaint_no;
    const char *source;
    long hours;
    char id [24];
    case_state_t state;
    int64_t version, new_version;
    bool gone;                      /* nothing stale any more: leave it */
    long long parts, held, size, seq;
    char name [256 * 4 + 1], media_type [128], sha_hex [65], uploader [129];
    char refused [400];
    proto_error_t err;
} s_sweep_t;

static PGresult *
s_exec (s_sweep_t *self, const char *step, const char *sql, int n, const char *const *values)
{
    return case_action_exec (self->pg, S_KIND, self->complaint_no, step, sql, n, values, NULL,
                             NULL, &self->err);
}

static int
s_read (void *arg)
{
    s_sweep_t *self = arg;
    const char *no [] = { self->complaint_no };
    PGresult *res = case_action_read (self->pg, S_KIND, self->complaint_no, s_case_sql, 1, no,
                                      &self->err);
    if (!res)
        return -1;
    snprintf (self->id, sizeof self->id, "%s", PQgetvalue (res, 0, 0));
    const char *state = PQgetvalue (res, 0, 1);
    int bad_state = lifecycle_state_parse (state, strlen (state), &self->state);
    self->version = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
    PQclear (res);
    if (bad_state) {
        proto_error_set (&self->err, PROTO_E_INTERNAL, "", "the case is in an unknown state");
        return -1;
    }
    char hours [24];
    snprintf (hours, sizeof hours, "%ld", self->hours);
    const char *item [] = { self->id, self->source, hours };
    res = s_exec (self, "item", s_item_sql, 3, item);
    if (!res)
        return -1;
    self->gone = PQntuples (res) != 1;
    if (!self->gone) {
        self->parts = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
        self->held = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
        snprintf (self->name, sizeof self->name, "%s", PQgetvalue (res, 0, 2));
        snprintf (self->media_type, sizeof self->media_type, "%s", PQgetvalue (res, 0, 3));
        self->size = strtoll (PQgetvalue (res, 0, 4), NULL, 10);
        snprintf (self->sha_hex, sizeof self->sha_hex, "%s", PQgetvalue (res, 0, 6));
        snprintf (self->uploader, sizeof self->uploader, "%s", PQgetvalue (res, 0, 7));
    }
    PQclear (res);
    if (self->gone)
        return 0;
    case_evidence_totals_t totals;
    if (case_evidence_totals (self->pg, self->complaint_no, self->id, &totals, &self->err))
        return -1;
    self->seq = totals.next_seq;
    snprintf (self->refused, sizeof self->refused, "incomplete: %lld of %lld bytes came in %lld"
              " part%s; the rest did not come within %ld hours", self->held, self->size,
              self->parts, self->parts == 1 ? "" : "s", self->hours);
    return 0;
}

/* The refused row and the rest as every refused attachment's
 * (case_evidence_part.c); the same item on the case already: only the
 * parts go. */
static int
s_write (void *arg)
{
    s_sweep_t *self = arg;
    case_evidence_item_t item = {
        .kind = S_KIND, .case_id = self->id, .complaint_no = self->complaint_no,
        .state = self->state, .version = self->version, .seq = self->seq, .size = self->size,
        .evidence_kind = "email_attachment", .source = self->source, .source_len = (int) strlen (self->source),
        .name = self->name, .name_len = (int) strlen (self->name),
        .media_type = self->media_type, .sha256_hex = self->sha_hex,
        .uploader = self->uploader, .actor = S_ACTOR, .actor_role = S_ROLE,
        .refused_code = "incomplete", .refused = self->refused,
    };
    bool written;
    return case_evidence_item_refuse (self->pg, &item, &written, &self->new_version,
                                      &self->err);
}

int
case_evidence_sweep (pg_session_t *pg, long max_age_hours)
{
    assert (pg);
    char hours [24], limit [24];
    snprintf (hours, sizeof hours, "%ld", max_age_hours);
    snprintf (limit, sizeof limit, "%d", CASE_EVIDENCE_SWEEP_LIMIT);
    const char *values [] = { hours, limit };
    proto_error_t err;
    PGresult *res = case_action_exec (pg, S_KIND, "-", "candidates", s_candidates_sql, 2, values,
                                      NULL, NULL, &err);
    if (!res)
        return -1;
    int swept = 0, failed = 0;
    for (int i = 0; i < PQntuples (res); i++) {
        s_sweep_t self = { .pg = pg, .complaint_no = PQgetvalue (res, i, 0),
                           .source = PQgetvalue (res, i, 1), .hours = max_age_hours };
        if (case_action_transaction (pg, S_KIND, self.complaint_no, s_read, s_write, &self,
                                     &self.gone, &self.err)) {
            failed++;
            continue;
        }
        if (self.gone)
            continue;
        swept++;
        //  the source is the e-mail's Message-ID#N: not the customer's words
        log_info ("evidence_swept", "complaint_no=%s seq=%lld parts=%lld held=%lld size=%lld"
                  " reason=incomplete", self.complaint_no, self.seq, self.parts, self.held,
                  self.size);
    }
    PQclear (res);
    return failed ? -1 : swept;
}
