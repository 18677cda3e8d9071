/*  analytics_fact.h — what the event stream says about one complaint, and
 *  how each event changes it. Pure: no store, no clock, no I/O (the
 *  calendar is read, never the time of day), so every rule is a table in
 *  the self-test.
 *
 *  A fact is the complaint as analytics sees it: when it was received (and
 *  the bank's calendar day and hour of that), its dimensions (channel,
 *  business line, cause, department, branch, priority, major; the branch
 *  is the directory outlet the router matched, else the text submitted), the
 *  customer's pseudonym, and what has happened to it since: first
 *  acceptance, first answer to the customer, first resolution, first
 *  decision, last closure; reopenings, reviews, escalations, transfers;
 *  rejected or withdrawn; the outcome and amount of the last resolution;
 *  the last satisfaction feedback; SLA breaches and extensions by stage;
 *  the regulator's 15/30/60-day deadlines counted from receipt on the
 *  calendar; the JR/T 0169 codes of the assignment; the customer's consent
 *  to publish the text and, only with it, the text as complaint.received
 *  published it (scrubbed). docs/analytics.md defines each and names its seed.
 *
 *  "First answer" is the first event that reaches the customer with
 *  substance: complaint.info_requested (the bank asks what it needs),
 *  complaint.resolved (the answer), complaint.rejected (the refusal, with
 *  its reason) or complaint.closed. The same set meets the watchdog's
 *  first_response clock (docs/watchdog.md), so the KPI and the SLA agree on
 *  what "answered" means; the automatic receipt (notification of the
 *  complaint number) and acceptance by a handler are not answers.
 *
 *  A fact travels to and from the store as a JSON object whose keys are
 *  analytics_fact's columns (analytics_store.c: jsonb_populate_recordset
 *  in, to_jsonb out); times as ISO 8601 UTC text.
 *
 *  The metrics a fact contributes to its rollup cell are declared in SQL
 *  (migration 012, view analytics_contribution); their names, in the view's
 *  order, are the wire vocabulary (proto/analytics_request.h).
 *
 *  Interface:
 *      analytics_fact_init / _clear  an empty fact; free its narrative
 *      analytics_fact_apply          one event -> the fact changes (or not)
 *      analytics_fact_to_json / _from_json
 *      analytics_fact_columns        the column names, in table order
 *      analytics_hist_quantile       p-quantile's bucket bound from counts
 *      analytics_amount_cents        "300.50" -> 30050
 *      analytics_fact_test           self-test
 */
#ifndef ANALYTICS_FACT_H_INCLUDED
#define ANALYTICS_FACT_H_INCLUDED

#include "calendar.h"
#include "event.h"
#include "analytics_request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define AF_NO_SIZE    32
#define AF_DIM_SIZE   128
#define AF_CODE_SIZE  16          /* a JR/T 0169 code, A0302 */
#define AF_STAGES     4         /* acknowledge, first_response, resolution, review */

#define AF_MAX_OUTCOMES 8                   /* the request's limit (issue 16) */

typedef struct {
    char complaint_no [AF_NO_SIZE];
    int64_t last_seq;
    int64_t received_at;                /* unix ms; 0: not seen */
    char received_day [12];             /* YYYY-MM-DD in the calendar's zone */
    int received_hour;
    char channel [AF_DIM_SIZE], business_line [AF_DIM_SIZE], cause [AF_DIM_SIZE],
         department [AF_DIM_SIZE], branch [AF_DIM_SIZE];
    /* outlet: the directory's branch or outlet the router matched
     * (complaint.assigned), "" when none; branch: that outlet when there is
     * one, else the text as submitted (complaint.received) */
    char outlet [AF_DIM_SIZE];
    int priority;                       /* 0: not assigned */
    bool major;
    char customer [40];
    char state [24];
    int64_t accepted_at, first_answer_at, resolved_at, decided_at, closed_at;
    bool rejected, withdrawn;
    int reopened, reviewed, escalated, transferred;
    char outcome [24];                  /* "" none */
    int64_t amount_cents;
    int satisfied;                      /* -1 none, 0 no, 1 yes */
    int breached [AF_STAGES];
    int extended_resolution, extended_review;
    int64_t due_15d_at, due_30d_at, due_60d_at;
    char jrt_channel [AF_CODE_SIZE], jrt_business [AF_CODE_SIZE], jrt_cause [AF_CODE_SIZE];
    bool narrative_consent;
    char *narrative;                    /* heap: the scrubbed body, only with consent */
    /* issue 16 follow-up (analytics2), migration 052: every outcome's kind
     * of the last resolution (a set), the valid-complaint determination,
     * the survey's score and the way it was answered */
    char outcomes [AF_MAX_OUTCOMES][24];
    int noutcomes;
    char determination [8];             /* "valid", "invalid", "" none */
    int survey_score;                   /* 1..5, 0 none */
    char survey_channel [16];           /* "web", "callback", "" none */
} analytics_fact_t;

extern const char *const analytics_fact_columns [];      /* NULL-terminated */

/* Time-to-X histograms (analytics_contribution_time's metrics). */
extern const char *const analytics_time_metrics [];       /* NULL-terminated */

void analytics_fact_init (analytics_fact_t *fact, const char *complaint_no);
/* Frees what the fact holds on the heap (the narrative); init may follow. */
void analytics_fact_clear (analytics_fact_t *fact);

/* Apply one event (ev->complaint_no names this fact). The calendar gives
 * the local day and hour of receipt and the 15/30/60-day deadlines.
 * Returns true when the fact changed. */
bool analytics_fact_apply (analytics_fact_t *fact, const event_view_t *ev,
                           const calendar_t *calendar);

json_t *analytics_fact_to_json (const analytics_fact_t *fact);
/* 0, or -1 when the object is not a fact (a key of the wrong type). */
int analytics_fact_from_json (analytics_fact_t *fact, const json_t *json);

/* The bound (ms) of the bucket holding the q-quantile of counts [0..nbounds]
 * (bucket i: (bounds [i-1], bounds [i]], the last: above every bound).
 * -1 when there are no counts; INT64_MAX when it is in the last bucket. */
int64_t analytics_hist_quantile (const int64_t *counts, const int64_t *bounds, size_t nbounds,
                                 double q);

/* Decimal text with at most two decimals -> cents; -1 when not such text. */
int64_t analytics_amount_cents (const char *text, size_t len);

int analytics_fact_test (bool verbose, const char *calendars_dir, int *passed);

#endif
