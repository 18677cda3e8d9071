/*  case_survey.c — the survey's link and answer (see case_survey.h).
 *
 *  Why the token carries the complaint number: the row is found by the
 *  case, and only then is the secret compared, with the hash under the key
 *  its own id names (identity_seal_hash_match). A lookup by hash would tie
 *  every link to the key current when it was made: a key rotation would
 *  break the links still out.
 *
 *  Why a refusal says exactly why (answered, expired, not valid): the
 *  customer holds the link; telling them it expired is the service, and a
 *  guesser without the secret never gets past not_found.
 */
#include "case_survey.h"
#include "case_action.h"
#include "events.h"
#include "local_time.h"
#include "log.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PURPOSE    "survey"
#define S_ACTOR_ROLE "adapter"

static const char *s_create_sql =
    "INSERT INTO survey (complaint_id, token_hash, token_sealed, created_at, expires_at)"
    " VALUES ($1, $2, $3, app_now (), app_now () + $4::int * interval '1 day')"
    " ON CONFLICT (complaint_id) DO NOTHING";

int
case_survey_create (pg_session_t *pg, const identity_seal_t *seal, const char *complaint_no,
                    const char *case_id, long days, proto_error_t *err)
{
    assert (pg && seal && complaint_no && case_id);
    unsigned char bits [SURVEY_SECRET_HEX / 2];
    randombytes_buf (bits, sizeof bits);
    char secret [SURVEY_SECRET_HEX + 1];
    sodium_bin2hex (secret, sizeof secret, bits, sizeof bits);
    char token [SURVEY_TOKEN_SIZE + 1];
    snprintf (token, sizeof token, "%s.%s", complaint_no, secret);
    unsigned char hash [IDENTITY_HASH_SIZE];
    identity_seal_hash (seal, IDENTITY_HASH_QUERY, secret, SURVEY_SECRET_HEX, hash);
    size_t tlen = strlen (token);
    unsigned char sealed [SURVEY_TOKEN_SIZE + 1 + IDENTITY_SEAL_OVERHEAD];
    int rc = identity_seal_seal (seal, token, tlen, complaint_no, S_PURPOSE, sealed);
    sodium_memzero (secret, sizeof secret);
    sodium_memzero (token, sizeof token);
    if (rc) {
        proto_error_set (err, PROTO_E_INTERNAL, "", "the survey link could not be sealed");
        return -1;
    }
    char ndays [16];
    snprintf (ndays, sizeof ndays, "%ld", days);
    const char *values [] = { case_id, (const char *) hash, (const char *) sealed, ndays };
    int lengths [] = { 0, IDENTITY_HASH_SIZE, (int) (tlen + IDENTITY_SEAL_OVERHEAD), 0 };
    int formats [] = { 0, 1, 1, 0 };
    PGresult *res = case_action_exec (pg, "act", complaint_no, "survey_create", s_create_sql, 4,
                                      values, lengths, formats, err);
    if (!res)
        return -1;
    PQclear (res);
    return 0;
}

typedef struct {
    pg_session_t *pg;
    const identity_seal_t *seal;
    const char *actor;
    const survey_t *s;
    char id [24];
    char state [24];
    int64_t version, new_version;
    bool duplicate;
    proto_error_t err;
} s_answer_t;

/* The answer reads under the case's row lock; the check (GET /survey) reads
 * the same row without it: it changes nothing. */
#define S_READ_SELECT \
    "SELECT c.id, c.state, c.version, encode (s.token_hash, 'hex'), s.expires_at <= app_now ()," \
    "       s.answered_at IS NOT NULL, coalesce (s.channel, '')," \
    "       s.channel = 'web' AND s.score = $2::int" \
    "         AND s.comment IS NOT DISTINCT FROM $3::text," \
    "       (extract (epoch FROM s.expires_at) * 1000)::bigint" \
    "  FROM complaint c JOIN survey s ON s.complaint_id = c.id" \
    " WHERE c.complaint_no = $1"

static const char *s_read_sql = S_READ_SELECT "   FOR NO KEY UPDATE OF c";
static const char *s_check_sql = S_READ_SELECT;

static int
s_read (void *arg)
{
    s_answer_t *self = (s_answer_t *) arg;
    const survey_t *s = self->s;
    char score [8];
    snprintf (score, sizeof score, "%lld", (long long) s->score);
    const char *values [] = { s->complaint_no, score, s->comment.ptr };
    int lengths [] = { 0, 0, (int) s->comment.len };
    int formats [] = { 0, 0, 1 };
    PGresult *res = case_action_exec (self->pg, "survey", s->complaint_no,
                                      s->check ? "check" : "read",
                                      s->check ? s_check_sql : s_read_sql, 3, values, lengths,
                                      formats, &self->err);
    if (!res)
        return -1;
    bool found = PQntuples (res) == 1;
    bool match = false;
    if (found) {
        size_t len = 0;
        unsigned char *stored = identity_sealed_from_hex (PQgetvalue (res, 0, 3), &len);
        match = stored && identity_seal_hash_match (self->seal, IDENTITY_HASH_QUERY, s->secret,
                                                    SURVEY_SECRET_HEX, stored, len);
        free (stored);
    }
    if (!match) {
        PQclear (res);
        proto_error_set (&self->err, PROTO_E_NOT_FOUND, "token",
                         "this survey link is not valid (check that it was copied whole)");
        return -1;
    }
    snprintf (self->id, sizeof self->id, "%s", PQgetvalue (res, 0, 0));
    snprintf (self->state, sizeof self->state, "%s", PQgetvalue (res, 0, 1));
    self->version = strtoll (PQgetvalue (res, 0, 2), NULL, 10);
    bool expired = PQgetvalue (res, 0, 4) [0] == 't';
    bool answered = PQgetvalue (res, 0, 5) [0] == 't';
    bool same = PQgetvalue (res, 0, 7) [0] == 't';
    char channel [16], expires [LOCAL_TIME_SIZE];
    snprintf (channel, sizeof channel, "%s", PQgetvalue (res, 0, 6));
    local_time_format (strtoll (PQgetvalue (res, 0, 8), NULL, 10), expires, sizeof expires);
    PQclear (res);
    if (answered && same) {
        self->duplicate = true;             /* a retry of the answer recorded */
        self->new_version = self->version;
        return 0;
    }
    if (answered) {
        proto_error_set (&self->err, PROTO_E_CONFLICT, "token",
                         "the survey of complaint %s was already answered (%s); a survey is "
                         "answered once", s->complaint_no,
                         strcmp (channel, "web") == 0 ? "online" : "at the call-back");
        return -1;
    }
    if (expired) {
        proto_error_set (&self->err, PROTO_E_INVALID_TRANSITION, "token",
                         "the survey of complaint %s expired at %s", s->complaint_no, expires);
        return -1;
    }
    return 0;
}

static const char *s_answer_sql =
    "UPDATE survey SET answered_at = app_now (), score = $2::int, comment = $3::text,"
    "  channel = 'web' WHERE complaint_id = $1";
static const char *s_audit_sql =
    "INSERT INTO case_action (complaint_id, actor, actor_role, action, state_before,"
    "  state_after, version_after, at, details)"
    " VALUES ($1, $2, $3, 'survey', $4, $4, $5, app_now (), jsonb_strip_nulls ("
    "  jsonb_build_object ('score', $6::int, 'comment', $7::text, 'channel', 'web',"
    "                      'on_behalf_of', 'customer')))";

static int
s_write (void *arg)
{
    s_answer_t *self = (s_answer_t *) arg;
    const survey_t *s = self->s;
    char score [8];
    snprintf (score, sizeof score, "%lld", (long long) s->score);
    const char *answer [] = { self->id, score, s->comment.ptr };
    int lengths [] = { 0, 0, (int) s->comment.len };
    int formats [] = { 0, 0, 1 };
    PGresult *res = case_action_exec (self->pg, "survey", s->complaint_no, "answer",
                                      s_answer_sql, 3, answer, lengths, formats, &self->err);
    if (!res)
        return -1;
    PQclear (res);
    if (case_action_bump (self->pg, "survey", s->complaint_no, self->id, self->version,
                          &self->new_version, &self->err))
        return -1;
    char version [24];
    snprintf (version, sizeof version, "%lld", (long long) self->new_version);
    const char *audit [] = { self->id, self->actor, S_ACTOR_ROLE, self->state, version, score,
                             s->comment.ptr };
    int alengths [] = { 0, 0, 0, 0, 0, 0, (int) s->comment.len };
    int aformats [] = { 0, 0, 0, 0, 0, 0, 1 };
    res = case_action_exec (self->pg, "survey", s->complaint_no, "audit", s_audit_sql, 7, audit,
                            alengths, aformats, &self->err);
    if (!res)
        return -1;
    PQclear (res);
    msgpack_sbuffer data;
    msgpack_sbuffer_init (&data);
    events_complaint_survey_answered (&data, s->score, "web");
    int rc = case_action_outbox (self->pg, "survey", "complaint.survey_answered",
                                 s->complaint_no, &data, &self->err);
    msgpack_sbuffer_destroy (&data);
    return rc;
}

/* issue 16 follow-up (adapters2): the check — the answer's own read (the
 * same refusals, word for word), outside a transaction, writing nothing. */
static int
s_check (s_answer_t *self, msgpack_sbuffer *reply)
{
    const survey_t *survey = self->s;
    int rc = -1;
    if (!survey->complaint_no [0])
        proto_error_set (&self->err, PROTO_E_NOT_FOUND, "token",
                         "this survey link is not valid (check that it was copied whole)");
    else
        rc = s_read (self);
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 3);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_kv_cstr (&pk, "complaint_no", survey->complaint_no);
        proto_pack_kv_bool (&pk, "check", true);
    }
    else {
        if (!self->err.code)
            proto_error_set (&self->err, PROTO_E_UNAVAILABLE, "",
                             "the store did not answer the check; retry");
        proto_pack_error (reply, &self->err);
    }
    log_info ("survey_checked", "complaint_no=%s answer=%s",
              survey->complaint_no [0] ? survey->complaint_no : "-",
              rc == 0 ? "open" : self->err.code);
    return rc;
}

int
case_survey_answer (pg_session_t *pg, const identity_seal_t *seal, const char *actor,
                    const survey_t *survey, msgpack_sbuffer *reply)
{
    assert (pg && seal && actor && survey && reply);
    s_answer_t self = { .pg = pg, .seal = seal, .actor = actor, .s = survey };
    if (survey->check)
        return s_check (&self, reply);
    int rc;
    if (!survey->complaint_no [0]) {
        proto_error_set (&self.err, PROTO_E_NOT_FOUND, "token",
                         "this survey link is not valid (check that it was copied whole)");
        rc = -1;
    }
    else
        rc = case_action_transaction (pg, "survey", survey->complaint_no, s_read, s_write,
                                      &self, &self.duplicate, &self.err);
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, reply, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, self.duplicate ? 4 : 3);
        proto_pack_kv_bool (&pk, "ok", true);
        proto_pack_kv_cstr (&pk, "complaint_no", survey->complaint_no);
        proto_pack_kv_int (&pk, "score", survey->score);
        if (self.duplicate)
            proto_pack_kv_bool (&pk, "duplicate", true);
        log_info ("survey_answered", "complaint_no=%s score=%lld channel=web duplicate=%s",
                  survey->complaint_no, (long long) survey->score,
                  self.duplicate ? "true" : "false");
    }
    else {
        if (!self.err.code)
            proto_error_set (&self.err, PROTO_E_UNAVAILABLE, "",
                             "the store did not confirm the answer; retry");
        proto_pack_error (reply, &self.err);
        log_info ("survey_refused", "complaint_no=%s code=%s field=%s",
                  survey->complaint_no [0] ? survey->complaint_no : "-", self.err.code,
                  self.err.field [0] ? self.err.field : "-");
    }
    return rc;
}
