-- 008_outbox_at.sql — an event's `at` is the store's application clock
-- (issue 11).
--
-- Every event is stamped with app_now () (003: the clock tests shift with
-- `complaintctl clock shift`; in production it is now ()). Single events go
-- through common/outbox.c, which writes app_now () itself; the set-based
-- producers that insert in their own statement (intake's submit, the
-- router's assignment, the watchdog's firing) either write app_now () or
-- name no `at` and take this default. 003 set the same default; it is
-- stated again here, with the rule as the column's comment, so `\d+ outbox`
-- says it and an insert that names no `at` can never be dated by now ().
ALTER TABLE outbox ALTER COLUMN at SET DEFAULT app_now ();

COMMENT ON COLUMN outbox.at IS
    'when the change happened on the store''s application clock: app_now (), the '
    'default; never now () (tests shift app_now ()); the bus copies it to event_log.at';
