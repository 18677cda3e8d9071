/*  case_retention_texts.c — the later parts' texts scrubbed at retention
 *  (see case_retention_texts.h).
 *
 *  One table of rows, each a SELECT of (key, text columns) and an UPDATE
 *  of the same columns by (complaint id, key): a row is written only when
 *  a text changed, and a NULL stays NULL. Each text is cut to its
 *  column's CHECK limit, because a mask may be longer than what it
 *  covers and the retention must not fail on a constraint years later.
 *  Why scrub and not erase: the texts are the case's record (what was
 *  decided, asked, replied), which the bank keeps; only the customer's
 *  identifiers in them go, as in the complaint's body.
 *
 *  staff_concerned (046) is scrubbed the same way but kept: it names
 *  staff, not the customer, and the accountability register's decisions
 *  about them must stay understandable for as long as the case is kept
 *  (seed 004_2f51cd16205a384a.txt 第十二條, 问责); staff records follow
 *  the bank's personnel rules, not the customer's retention.
 */
#include "case_retention_texts.h"
#include "case_action.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_TEXTS 2

typedef struct {
    const char *step;
    const char *select_sql;         /* $1 complaint id -> key, texts... */
    const char *update_sql;         /* $1 complaint id, $2 key, $3.. texts */
    int ntexts;
    size_t max_chars [S_MAX_TEXTS];
} s_rows_t;

static const s_rows_t s_rows [] = {
    { "outcome_texts",
      "SELECT seq::text, text FROM complaint_outcome"
      " WHERE complaint_id = $1 AND text IS NOT NULL ORDER BY seq",
      "UPDATE complaint_outcome SET text = $3 WHERE complaint_id = $1 AND seq = $2::smallint",
      1, { 1000 } },
    { "task_texts",
      "SELECT id::text, asked, reply FROM case_task WHERE complaint_id = $1 ORDER BY id",
      "UPDATE case_task SET asked = $3, reply = $4 WHERE complaint_id = $1 AND id = $2::bigint",
      2, { 8000, 8000 } },
    { "survey_comment",
      "SELECT complaint_id::text, comment FROM survey"
      " WHERE complaint_id = $1 AND comment IS NOT NULL",
      "UPDATE survey SET comment = $3 WHERE complaint_id = $1 AND complaint_id = $2::bigint",
      1, { 1000 } },
    { "accountability_note",
      "SELECT id::text, outcome_note FROM accountability_item"
      " WHERE complaint_id = $1 AND outcome_note IS NOT NULL ORDER BY id",
      "UPDATE accountability_item SET outcome_note = $3"
      " WHERE complaint_id = $1 AND id = $2::bigint",
      1, { 4000 } },
};

static const char *s_parts_sql = "DELETE FROM evidence_part WHERE complaint_id = $1";

/* One row: its texts scrubbed; 1 when one changed (written), 0, -1. */
static int
s_row (pg_session_t *pg, const case_scrub_t *scrub, const s_rows_t *rows, const char *id,
       const char *complaint_no, const PGresult *res, int r, proto_error_t *err)
{
    char *clean [S_MAX_TEXTS] = { NULL };
    const char *values [2 + S_MAX_TEXTS] = { id, PQgetvalue (res, r, 0) };
    bool changed = false;
    int rc = 0;
    for (int t = 0; t < rows->ntexts; t++) {
        if (PQgetisnull (res, r, 1 + t))
            continue;
        const char *text = PQgetvalue (res, r, 1 + t);
        size_t len = (size_t) PQgetlength (res, r, 1 + t);
        clean [t] = case_scrub_text (scrub, text, len, rows->max_chars [t]);
        if (!clean [t]) {
            proto_error_set (err, PROTO_E_INTERNAL, "", "out of memory");
            rc = -1;
            break;
        }
        values [2 + t] = clean [t];
        changed = changed || strlen (clean [t]) != len || memcmp (clean [t], text, len) != 0;
    }
    if (rc == 0 && changed) {
        PGresult *u = case_action_exec (pg, "retention", complaint_no, rows->step,
                                        rows->update_sql, 2 + rows->ntexts, values, NULL,
                                        NULL, err);
        rc = u ? 1 : -1;
        PQclear (u);
    }
    for (int t = 0; t < rows->ntexts; t++)
        free (clean [t]);
    return rc;
}

int
case_retention_texts (pg_session_t *pg, const case_scrub_t *scrub, const char *id,
                      const char *complaint_no, case_retention_texts_t *counts,
                      proto_error_t *err)
{
    const char *values [] = { id };
    for (size_t k = 0; k < sizeof s_rows / sizeof s_rows [0]; k++) {
        PGresult *res = case_action_exec (pg, "retention", complaint_no, s_rows [k].step,
                                          s_rows [k].select_sql, 1, values, NULL, NULL, err);
        if (!res)
            return -1;
        int rc = 0;
        for (int r = 0; rc >= 0 && r < PQntuples (res); r++) {
            rc = s_row (pg, scrub, &s_rows [k], id, complaint_no, res, r, err);
            counts->texts_scrubbed += rc == 1;
        }
        PQclear (res);
        if (rc < 0)
            return -1;
    }
    PGresult *res = case_action_exec (pg, "retention", complaint_no, "evidence_parts",
                                      s_parts_sql, 1, values, NULL, NULL, err);
    if (!res)
        return -1;
    counts->parts_deleted = atoi (PQcmdTuples (res));
    PQclear (res);
    return 0;
}
