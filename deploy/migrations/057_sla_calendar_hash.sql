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
--   edit changes nothing): the store's record of what each calendar is now.
-- sla_clock.calendar_hash: the hash of the calendar each clock was last
--   counted on, written by the recompute's upsert. After a load, the cases
--   marked are those with an open clock on a calendar counted on another
--   hash than the loaded one: three range probes of the index below
--   (smaller, greater, none), which find nothing at once when nothing
--   changed, so a restart of any number of watchdogs costs nothing; when a
--   calendar changed, the first watchdog to load it marks every case counted
--   on the old days (under an advisory lock), the others find them
--   re-counted or dirty already: each case is re-planned once.
--   NULL: counted before this migration; such a clock is marked only when
--   provisional (what a load re-planned before), once, on the first load.
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
