/*  calendar_sync.c — re-plan only the cases whose calendar changed (see
 *  calendar_sync.h; issue 16 follow-up, watchdog2).
 *
 *  Why. A load used to mark dirty every case with an open provisional
 *  clock, at every start and SIGHUP of every watchdog: with N watchdogs and
 *  100k open cases a routine restart recomputed 100k cases N times, for
 *  nothing. What a load can change is a deadline counted on a calendar
 *  whose days changed; so a calendar's content is hashed, the store keeps
 *  the hash each calendar was last loaded with and each clock the hash it
 *  was counted with, and only a difference costs anything.
 *
 *  The hash is of what the calendar says, not of its file: the name, zone,
 *  working week and business hours, the covered period, how far provisional
 *  days reach, the counts of holidays, make-up days and provisional days,
 *  and for every day from a year before the covered period to a year after
 *  the last provisional or covered day, whether it is a working day and
 *  whether it is provisional (days outside follow the working week, which
 *  is hashed). A comment or a holiday's label changes nothing. BLAKE2b
 *  (libsodium's generichash), 16 bytes, in hex.
 *
 *  What a run costs. Per calendar, three range probes of a partial index
 *  (the open clocks by calendar and hash): clocks counted on a smaller
 *  hash, on a greater one, or on none while provisional. When nothing
 *  changed each finds nothing at once, so a restart or SIGHUP of any
 *  number of watchdogs over any number of open cases costs a few index
 *  probes and marks nothing.
 *
 *  Exactly once with several watchdogs. The run is one transaction under an
 *  advisory lock: the first watchdog to load changed files marks the cases
 *  with an open clock on that calendar counted on another hash, and
 *  records the new hash in sla_calendar_state (the store's record of what
 *  each calendar is now, and the log's "was"); the next finds the clocks
 *  already re-counted (they carry the new hash) or already dirty (left as
 *  they are), and marks only those counted on the old days after the first
 *  marked them (by a watchdog that had not yet reloaded) — so a case is
 *  re-planned once, those few again, and none forgotten, whether the
 *  watchdog was reloaded or restarted. The re-planned deadline's
 *  sla.deadline_moved is told once whatever happens (the firing's primary
 *  key, sla_store.c).
 *
 *  Clocks counted before migration 057 have no hash: they are marked only
 *  when provisional (what a load re-planned before), once.
 */
#include "calendar_sync.h"
#include "log.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_LOCK_KEY "7305202657"          /* pg_advisory_xact_lock: calendar syncs */

typedef struct {
    char name [64];
    char hash [CALENDAR_SYNC_HASH_SIZE];
} s_entry_t;

struct _calendar_sync_t {
    s_entry_t *entries;
    size_t count;
};

static void
s_feed (crypto_generichash_state *st, const void *data, size_t size)
{
    crypto_generichash_update (st, (const unsigned char *) data, size);
}

static void
s_feed_text (crypto_generichash_state *st, const char *text)
{
    const char *t = text ? text : "";
    s_feed (st, t, strlen (t) + 1);                 /* with its NUL: fields never run together */
}

void
calendar_sync_hash_of (const calendar_t *cal, char *hex)
{
    assert (cal && hex);
    crypto_generichash_state st;
    unsigned char out [16];
    crypto_generichash_init (&st, NULL, 0, sizeof out);
    s_feed_text (&st, calendar_name (cal));
    s_feed_text (&st, calendar_timezone (cal));
    s_feed_text (&st, calendar_workweek_text (cal));
    s_feed_text (&st, calendar_hours_text (cal));
    int32_t from, to, prov_to = calendar_provisional_to (cal);
    calendar_covers_days (cal, &from, &to);
    uint64_t counts [3] = { calendar_holiday_days (cal), calendar_workday_count (cal),
                            calendar_provisional_days (cal) };
    int32_t ends [3] = { from, to, prov_to };
    s_feed (&st, ends, sizeof ends);
    s_feed (&st, counts, sizeof counts);
    int32_t last = (prov_to > to ? prov_to : to) + 366;
    unsigned char bits = 0;
    int nbits = 0;
    for (int32_t d = from - 366; d <= last; d++) {
        int y, m, day;
        calendar_days_date (d, &y, &m, &day);
        bits = (unsigned char) (bits << 2
             | (calendar_is_working_day (cal, y, m, day) ? 1u : 0u)
             | (calendar_day_provisional (cal, y, m, day) ? 2u : 0u));
        if (++nbits == 4) {
            s_feed (&st, &bits, 1);
            bits = 0;
            nbits = 0;
        }
    }
    s_feed (&st, &bits, 1);
    crypto_generichash_final (&st, out, sizeof out);
    sodium_bin2hex (hex, CALENDAR_SYNC_HASH_SIZE, out, sizeof out);
}

calendar_sync_t *
calendar_sync_new (const sla_policy_t *policy)
{
    assert (policy);
    calendar_sync_t *self = calloc (1, sizeof *self);
    assert (self);
    const calendars_t *cals = sla_policy_calendars (policy);
    size_t n = cals ? calendars_count (cals) : 0;
    self->entries = calloc (n ? n : 1, sizeof *self->entries);
    assert (self->entries);
    for (size_t i = 0; i < n; i++) {
        const calendar_t *cal = calendars_at (cals, i);
        snprintf (self->entries [i].name, sizeof self->entries [i].name, "%s",
                  calendar_name (cal));
        calendar_sync_hash_of (cal, self->entries [i].hash);
    }
    self->count = n;
    return self;
}

void
calendar_sync_destroy (calendar_sync_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->entries);
        free (*self_p);
        *self_p = NULL;
    }
}

const char *
calendar_sync_hash (const calendar_sync_t *self, const char *calendar)
{
    if (!self || !calendar)
        return "";
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->entries [i].name, calendar) == 0)
            return self->entries [i].hash;
    return "";
}

//  The cases to re-plan: an open clock on the calendar counted on another
//  hash (NULL: before migration 057, then only a provisional one). Three
//  range probes of the partial index (calendar, calendar_hash) rather than
//  `<>`, which no index serves: when nothing changed, each finds nothing at
//  once, whatever the number of open clocks. Cases already dirty are left
//  as they are.
static const char *s_mark_sql =
    "UPDATE complaint c SET sla_dirty = true"
    "  FROM (SELECT complaint_id FROM sla_clock"
    "         WHERE state IN ('running', 'paused', 'breached') AND calendar = $1"
    "           AND calendar_hash < $2"
    "        UNION"
    "        SELECT complaint_id FROM sla_clock"
    "         WHERE state IN ('running', 'paused', 'breached') AND calendar = $1"
    "           AND calendar_hash > $2"
    "        UNION"
    "        SELECT complaint_id FROM sla_clock"
    "         WHERE state IN ('running', 'paused', 'breached') AND calendar = $1"
    "           AND calendar_hash IS NULL AND provisional) k"
    " WHERE c.id = k.complaint_id AND NOT c.sla_dirty";

static const char *s_record_sql =
    "INSERT INTO sla_calendar_state (calendar, hash, loaded_at, loaded_by)"
    " VALUES ($1, $2, now (), $3)"
    " ON CONFLICT (calendar) DO UPDATE SET hash = excluded.hash,"
    "    loaded_at = excluded.loaded_at, loaded_by = excluded.loaded_by";

int
calendar_sync_run (const calendar_sync_t *self, pg_session_t *pg, const char *name)
{
    assert (self && pg);
    if (!pg_session_conn (pg))
        return -1;
    if (pg_session_command (pg, "calendar_sync_begin", "BEGIN", 0, NULL)
    ||  pg_session_command (pg, "calendar_sync_lock",
                            "SELECT pg_advisory_xact_lock (" S_LOCK_KEY ")", 0, NULL))
        goto fail;
    PGresult *stored = pg_session_exec (pg, "calendar_sync_read",
                                        "SELECT calendar, hash FROM sla_calendar_state", 0,
                                        NULL, NULL, NULL, PGRES_TUPLES_OK);
    if (!stored)
        goto fail;
    int marked = 0, changed = 0;
    for (size_t i = 0; i < self->count; i++) {
        const s_entry_t *e = &self->entries [i];
        const char *was = NULL;
        for (int r = 0; r < PQntuples (stored); r++)
            if (strcmp (PQgetvalue (stored, r, 0), e->name) == 0)
                was = PQgetvalue (stored, r, 1);
        bool store_differs = !was || strcmp (was, e->hash) != 0;
        const char *mv [] = { e->name, e->hash };
        PGresult *res = pg_session_exec (pg, "calendar_sync_mark", s_mark_sql, 2, mv, NULL,
                                         NULL, PGRES_COMMAND_OK);
        if (!res) {
            PQclear (stored);
            goto fail;
        }
        int n = atoi (PQcmdTuples (res));
        PQclear (res);
        marked += n;
        if (store_differs || n > 0)
            log_info ("calendar_changed", "calendar=%s hash=%s was=%s by=%s cases=%d", e->name,
                      e->hash, was ? was : "-", store_differs ? "store" : "clocks", n);
        if (store_differs) {
            changed++;
            const char *rv [] = { e->name, e->hash, name };
            if (pg_session_command (pg, "calendar_sync_record", s_record_sql, 3, rv)) {
                PQclear (stored);
                goto fail;
            }
        }
    }
    PQclear (stored);
    if (pg_session_command (pg, "calendar_sync_commit", "COMMIT", 0, NULL))
        goto fail;
    log_info ("calendars_synced", "calendars=%zu changed=%d cases=%d", self->count, changed,
              marked);
    return marked;
fail:
    pg_session_rollback (pg);
    return -1;
}

int
calendar_sync_test (bool verbose, const char *calendars_dir, int *passed)
{
    char path [512];
    snprintf (path, sizeof path, "%s/cn.conf", calendars_dir ? calendars_dir
                                                              : "deploy/calendars");
    conf_error_t err;
    calendar_t *a = calendar_load (path, &err);
    calendar_t *b = calendar_load (path, &err);
    int failed = 0;
    if (!a || !b) {
        printf ("  FAIL calendar_sync: %s not loaded\n", path);
        calendar_destroy (&a);
        calendar_destroy (&b);
        return 1;
    }
    char ha [CALENDAR_SYNC_HASH_SIZE], hb [CALENDAR_SYNC_HASH_SIZE];
    calendar_sync_hash_of (a, ha);
    calendar_sync_hash_of (b, hb);
    bool same = strlen (ha) == 32 && strcmp (ha, hb) == 0;
    //  The same days under another comment: the same hash; one more day
    //  off (the same file name, so the same calendar name): another.
    char tmp [] = "/tmp/calendar_sync_XXXXXX";
    char *dir = mkdtemp (tmp);
    bool comment = false, holiday = false;
    const char *extra [2] = { "# a comment changes nothing\n",
                              "holiday   2026-06-02               test day off\n" };
    char hx [2][CALENDAR_SYNC_HASH_SIZE] = { "", "" };
    char p1 [600];
    snprintf (p1, sizeof p1, "%s/cn.conf", dir ? dir : "/nonexistent");
    for (int k = 0; dir && k < 2; k++) {
        FILE *in = fopen (path, "r"), *out = fopen (p1, "w");
        char line [1024];
        while (in && out && fgets (line, sizeof line, in))
            fputs (line, out);
        if (out) {
            fputs (extra [k], out);
            fclose (out);
        }
        if (in)
            fclose (in);
        calendar_t *c = calendar_load (p1, &err);
        if (c)
            calendar_sync_hash_of (c, hx [k]);
        calendar_destroy (&c);
    }
    comment = *hx [0] && strcmp (hx [0], ha) == 0;
    holiday = *hx [1] && strcmp (hx [1], ha) != 0;
    if (dir) {
        remove (p1);
        rmdir (dir);
    }
    const struct { bool ok; const char *what; } checks [] = {
        { same, "calendar_sync: one calendar loaded twice hashes the same (32 hex)" },
        { comment, "calendar_sync: a comment added: the same hash" },
        { holiday, "calendar_sync: a day off added: another hash" },
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks [0]; i++) {
        if (checks [i].ok)
            (*passed)++;
        else
            failed++;
        if (verbose || !checks [i].ok)
            printf ("  %s %s\n", checks [i].ok ? "ok  " : "FAIL", checks [i].what);
    }
    calendar_destroy (&a);
    calendar_destroy (&b);
    return failed;
}
