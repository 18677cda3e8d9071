/*  notify_store.h — the notifier's SQL: consume events into notification
 *  rows, claim due rows, record the outcome (see notify_store.c).
 */
#ifndef NOTIFY_STORE_H_INCLUDED
#define NOTIFY_STORE_H_INCLUDED

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
notify_store_t *notify_store_new (const char *conninfo, const char *name, const char *consumer);
void notify_store_destroy (notify_store_t **self_p);

/* The calendars whose zones the cases' times are printed in (a case's
 * clock's calendar, else default_calendar). The caller keeps them alive. */
void notify_store_set_calendars (notify_store_t *self, const calendars_t *calendars,
                                 const char *default_calendar);

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

/* One transaction: suppress due rows the customer has opted out of, move due
 * rows inside quiet hours to the morning, then claim up to cfg->batch due
 * rows (pending/failed and due, or sending with an expired lease), each
 * gateway within its rate, for cfg->lease_ms. Returns how many (*rows
 * allocated), -1. */
int notify_store_claim (notify_store_t *self, const notify_claim_cfg_t *cfg, int *suppressed,
                        int *deferred, notify_row_t **rows);
void notify_store_rows_free (notify_row_t **rows, int count);

/* The row was delivered: sent (+ staff_inbox for inbox), notification.sent.
 * 0, 1 when the lease was lost (someone else has the row), -1. */
int notify_store_sent (notify_store_t *self, const notify_row_t *row);

/* The attempt failed: failed with back-off (at least min_delay_ms), or dead
 * after cfg->max_attempts or at once when permanent; notification.failed /
 * .dead. 0 failed, 1 dead, 2 lease lost, -1. */
int notify_store_failed (notify_store_t *self, const notify_row_t *row, const char *error,
                         bool permanent, long min_delay_ms, const notify_claim_cfg_t *cfg);

#endif
