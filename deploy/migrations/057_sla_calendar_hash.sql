SET LOCAL ROLE complaints_owner;
-- 057_sla_calendar_hash.sql — re-plan only the cases whose calendar changed
-- (issue 16 follow-up; docs/watchdog.md "Reload: which cases are
-- re-planned").
--
-- Until now every watchdog, at start and on each SIGHUP, marked dirty every
-- case with an open provisional clock: a restart of N watchdogs over 100k
-- open cases recomputed them N times though nothing had changed. Now:
--
-- sla_calendar_state (owner: watchdog): the content hash of each calendar
--   as last loaded by any watchdog (services/watchdog/calendar_sync.c
--   hashes what the calendar says — zone, week, hours, every day's working
--   or not and provisional or not — not the file's bytes, so a comment
--   edit changes nothing). A watchdog whose loaded hash equals the stored
--   one, and whose own previous load had that hash too, does nothing.
-- sla_clock.calendar_hash: the hash of the calendar each clock was last
--   counted on, written by the recompute's upsert. When a calendar changed,
--   the cases marked are those with an open clock on it whose hash is not
--   the new one: each case is re-planned once however many watchdogs load
--   the new files (the first marks and records the new hash under the
--   advisory lock; the others find the clocks already counted on it, or
--   being counted), and a watchdog that counted clocks on the old files
--   after another loaded the new ones marks exactly those when it reloads.
--   NULL: counted before this migration; such a clock is marked only when
--   provisional (the old rule), once, on the first load after it.
CREATE TABLE sla_calendar_state (
    calendar        text PRIMARY KEY,
    hash            text NOT NULL CHECK (char_length (hash) BETWEEN 1 AND 128),
    loaded_at       timestamptz NOT NULL,
    loaded_by       text NOT NULL
);
COMMENT ON TABLE sla_calendar_state IS
    'owner: watchdog | the content hash of each calendar as last loaded (a change re-plans '
    'the cases counted on it)';
GRANT SELECT, INSERT, UPDATE ON sla_calendar_state TO complaints_watchdog;

ALTER TABLE sla_clock ADD COLUMN calendar_hash text;
COMMENT ON COLUMN sla_clock.calendar_hash IS
    'the content hash of the calendar this clock was last counted on (sla_calendar_state)';
-- The open clocks of one calendar, by the hash they were counted with.
CREATE INDEX sla_clock_open_calendar_idx ON sla_clock (calendar, calendar_hash)
    WHERE state IN ('running', 'paused', 'breached');
