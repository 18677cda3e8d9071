/*  notify_store.h — the notifier's SQL: consume events into notification
 *  rows, claim due rows, record the outcome (see notify_store.c).
 */
#ifndef NOTIFY_STORE_H_INCLUDED
#define NOTIFY_STORE_H_INCLUDED

#include "identity_seal.h"

#include "notify_rules.h"
#include "calendar.h"
#include <stdint.h>

typedef struct _notify_store_t notify_store_t;

typedef struct {
    int64_t id, event_seq;
    int attempts;               /* before this attempt */
    char *channel, *recipient_kind, *recipient, *address, *subject, *body;
    char *message_id, *complaint_no;
} notify_row_t;

/* How rows are claimed and retried. */
typedef struct {
    int batch, max_attempts;
    long lease_ms, backoff_ms, backoff_cap_ms;
    long rate [NOTIFY_CHANNELS];        /* messages a second per gateway; 0: no limit */
    unsigned quiet_channels;            /* 1 << channel held back at night; 0: none */
    const char *quiet_from, *quiet_to;  /* "21:00", "08:00" */
} notify_claim_cfg_t;

/* Connect (retrying until connected or interrupted: NULL). */
/* seal: the identity keys (the caller's; outlive the store): the case's
 * customer is opened to address and greet them, and the query code for
 * the receipt (identity_seal.h). */
notify_store_t *notify_store_new (const char *conninfo, const char *name, const char *consumer,
                                  const identity_seal_t *seal);
void notify_store_destroy (notify_store_t **self_p);

/* The calendars whose zones the cases' times are printed in (a case's
 * clock's calendar, else default_calendar). The caller keeps them alive. */
void notify_store_set_calendars (notify_store_t *self, const calendars_t *calendars,
                                 const char *default_calendar);

/* issue 16 (i16-vetting): the days after the decision a review may be
 * asked, as the resolution message says (intake --review-window-days). */
void notify_store_set_review_days (long days);
/* issue 16 (i16-followup): where the satisfaction survey is answered (the
 * web adapter's /survey page, e.g. "https://bank.example/survey"); a
 * case's survey link is this with "?t=TOKEN". NULL or "": no link
 * (templates' {{survey_url}} renders "-"). */
void notify_store_set_survey_url (notify_store_t *self, const char *url);

/* Reconnect when the connection is broken. 0, or -1 when interrupted. */
int notify_store_recover (notify_store_t *self);

/* One transaction: lock the cursor (SKIP LOCKED), read up to batch events
 * after it, create their notification rows, advance it. Returns the events
 * read (0: none, or another instance holds the cursor), -1 on a store error;
 * *created = rows inserted. */
int notify_store_consume (notify_store_t *self, notify_rules_t *rules, int batch, int *created);

/* The cursor's seq after this instance's last consume (0 before the first;
 * for the lag metric). */
int64_t notify_store_cursor (notify_store_t *self);

/* One transaction: put rows whose lease ran out back in the queue; then,
 * for each channel, take up to cfg->batch of its due rows (within the
 * gateway's rate): those the customer has opted out of become suppressed,
 * those inside quiet hours move to the morning, the rest are claimed for
 * cfg->lease_ms. Costs what it takes, never the backlog. Returns how many
 * were claimed (*rows allocated, at most NOTIFY_CHANNELS * cfg->batch), -1. */
int notify_store_claim (notify_store_t *self, const notify_claim_cfg_t *cfg, int *suppressed,
                        int *deferred, notify_row_t **rows);
void notify_store_rows_free (notify_row_t **rows, int count);

/* What became of one claimed row's attempt (the caller fills row, sent,
 * and for a failure permanent, min_delay_ms and error). */
typedef enum { NOTIFY_SENT, NOTIFY_FAILED, NOTIFY_DEAD, NOTIFY_LEASE_LOST } notify_result_t;
typedef struct {
    const notify_row_t *row;
    bool sent;
    bool permanent;                 /* refused for good: dead at once */
    long min_delay_ms;              /* the gateway's Retry-After */
    char error [512];
    int result;                     /* out: notify_result_t */
} notify_outcome_t;

/* Mask, in place, what a gateway's error text quotes of the row's address
 * (in any form: "<zhang@example.com>", "+86 139 ...") and of any other
 * identifier (privacy_scrub): the text then goes to the log, the row's
 * last_error and the notification.* event, none of which is the place for
 * the customer's contact. Truncated to the outcome's buffer if the masks
 * made it longer. */
void notify_outcome_scrub (notify_outcome_t *outcome);

/* Record a delivery batch's outcomes in one transaction, for the rows this
 * instance still leases: sent (+ staff_inbox for inbox), failed with
 * back-off (at least min_delay_ms), or dead after cfg->max_attempts or at
 * once when permanent; each with its notification.* event. Sets each
 * outcome's result (LEASE_LOST: another instance has the row now; also when
 * the store failed). 0, -1 on a store error (nothing recorded: the leases
 * run out and the rows are sent again, with the same Message-ID). */
int notify_store_record (notify_store_t *self, notify_outcome_t *outcomes, int n,
                         const notify_claim_cfg_t *cfg);

#endif
