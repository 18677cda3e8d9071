/*  act_outcomes.h — a decision's outcomes: the `outcomes` field of an act
 *  (propose, resolve) and the words people read for each kind.
 *
 *  Issue 16 (i16-vetting). A decision may give the customer more than one
 *  thing (a refund AND an apology, seed 002's "补偿/道歉"): `outcomes` is an
 *  array of maps, each {kind, amount?, text?}, bounded (ACT_MAX_OUTCOMES
 *  entries, each text ACT_OUTCOME_MAX_TEXT bytes). A refusal names the
 *  entry: outcomes[1].amount. The single outcome/amount fields stay for old
 *  clients; a request carries one form or the other (lifecycle_check).
 *
 *  Amounts are decimal text in CNY, kept exact for the store's numeric
 *  column; act_outcomes_total_cents adds them for the approval limits.
 *
 *  Interface:
 *      act_outcomes_decode     the request's `outcomes`, if any
 *      act_outcomes_total_cents  the sum of the amounts, in fen
 *      act_outcomes_cents      one decimal amount in fen (-1: not one)
 *      act_outcome_words       a kind's words for the customer (zh, en)
 *      act_outcomes_test       self-test
 */
#ifndef ACT_OUTCOMES_H_INCLUDED
#define ACT_OUTCOMES_H_INCLUDED

#include "proto.h"
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#define ACT_MAX_OUTCOMES      8
#define ACT_OUTCOME_MAX_TEXT  1000      /* bytes of one outcome's text */
#define ACT_AMOUNT_SIZE       32        /* decimal text with NUL (REQUEST_AMOUNT_SIZE) */

typedef struct {
    char        kind [32];              /* lifecycle_outcomes */
    char        amount [ACT_AMOUNT_SIZE];
    bool        has_amount;
    proto_str_t text;                   /* ptr NULL when absent */
} act_outcome_t;

/* Decode map["outcomes"] into out [0..*count). Absent: 0 with *count 0.
 * -1 with err naming outcomes or outcomes[i].FIELD. */
int act_outcomes_decode (const msgpack_object *map, act_outcome_t out [ACT_MAX_OUTCOMES],
                         int *count, proto_error_t *err);

/* "1250.5" -> 125050; -1 when not a decimal of at most two places. */
int64_t act_outcomes_cents (const char *amount);
int64_t act_outcomes_total_cents (const act_outcome_t *outcomes, int count);

/* The customer's words for a kind: lang "zh" or "en"; the kind itself when
 * unknown. */
const char *act_outcome_words (const char *kind, const char *lang);

void act_outcomes_test (bool verbose);

#endif
