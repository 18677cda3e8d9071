-- 006_notify_due_by_channel.sql — the notifier's claims cost what they take
-- (issue 11).
--
-- A claim takes one channel's due rows, oldest first (notify_store.c,
-- s_sql_claim). With one index over every channel's due rows ordered by
-- time, claiming e-mail behind 100,000 SMS rows held back by the gateway's
-- rate read past all of them; the claim also suppressed and deferred over
-- every due row of the table. Now each channel's due rows are their own
-- range of this index, and opt-outs and quiet hours are decided for the
-- rows a claim takes, so a claim reads what it claims.
DROP INDEX notification_due_idx;
CREATE INDEX notification_channel_due_idx ON notification (channel, next_attempt_at, id)
    WHERE state IN ('pending', 'failed');
