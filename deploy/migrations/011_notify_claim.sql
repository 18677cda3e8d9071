-- 011_notify_claim.sql — a notifier's claim of every channel in one round
-- trip (issue 11).
--
-- Measured (tests/bench/pipeline.sh, statement statistics at 300/s): a
-- claim pass was up to ten statements — for each of the four channels the
-- gateway's token bucket (notify_gateway_allow), the claim, the spend —
-- and with two notifiers passing every coalescing window they were the
-- notifier's most frequent statements (6,664 claims and 3,332 bucket calls
-- for 9,000 complaints), each paying a round trip. notify_claim runs the
-- same steps, in the same order and with the same statement, inside the
-- server: one call a pass. What each step does is unchanged:
--
--   * every channel gets its own share (at most p_batch rows), so a backlog
--     on one (SMS behind its gateway's rate) never holds back another;
--   * a rated channel takes at most what its bucket allows, and the bucket
--     row stays locked to the COMMIT, so notifiers claiming at once share
--     one rate; what was claimed to send is spent from it;
--   * of the rows a channel's claim takes (oldest due first, through
--     notification_channel_due_idx: it reads what it claims), each is
--     's' suppressed (a customer who has since opted out of the channel),
--     'd' deferred (a customer's, not urgent, on a quiet channel inside
--     quiet hours in the row's zone: moved to the window's end, no attempt
--     counted) or 'c' claimed ('sending' with a lease, returned to be sent).
--
-- The caller packs the events of what was suppressed (one packer per event,
-- proto/events.c) and writes them in the same transaction.

CREATE FUNCTION notify_claim (p_owner text, p_batch integer, p_lease_ms bigint,
                              p_channels text[], p_rates double precision[],
                              p_quiet boolean[], p_quiet_from time, p_quiet_to time)
RETURNS TABLE (what text, id bigint, event_seq bigint, attempts integer, channel text,
               recipient_kind text, recipient text, address text, subject text, body text,
               message_id text, complaint_no text, last_error text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    i integer;
    lim integer;
BEGIN
    FOR i IN 1 .. coalesce (array_length (p_channels, 1), 0) LOOP
        lim := p_batch;
        IF p_rates [i] > 0 THEN
            lim := least (lim, notify_gateway_allow (p_channels [i], p_rates [i], p_rates [i]));
            CONTINUE WHEN lim <= 0;
        END IF;
        RETURN QUERY
        WITH due AS (
            SELECT n.id,
                   n.recipient = 'customer' AND EXISTS (
                       SELECT 1 FROM complaint c
                         JOIN customer_optout o ON o.customer_pseudonym = c.customer_pseudonym
                        WHERE c.id = n.complaint_id AND o.channel = n.channel) AS opted_out,
                   CASE WHEN p_quiet [i] AND n.recipient = 'customer' AND NOT n.urgent
                        THEN notify_quiet_until (app_now (), n.zone, p_quiet_from, p_quiet_to)
                   END AS quiet_until
              FROM notification n
             WHERE n.channel = p_channels [i] AND n.state IN ('pending', 'failed')
               AND n.next_attempt_at <= app_now ()
             ORDER BY n.next_attempt_at, n.id LIMIT lim
               FOR NO KEY UPDATE SKIP LOCKED),
        outcome AS (
            SELECT d.id, d.quiet_until,
                   CASE WHEN d.opted_out THEN 's' WHEN d.quiet_until IS NOT NULL THEN 'd'
                        ELSE 'c' END AS what
              FROM due d),
        taken AS (
            UPDATE notification n SET
                   state = CASE o.what WHEN 's' THEN 'suppressed' WHEN 'c' THEN 'sending'
                                ELSE n.state END,
                   last_error = CASE o.what WHEN 's' THEN 'opted out of ' || n.channel
                                     ELSE n.last_error END,
                   lease_owner = CASE o.what WHEN 'c' THEN p_owner END,
                   lease_until = CASE o.what WHEN 'c'
                                      THEN app_now () + p_lease_ms * interval '1 millisecond' END,
                   next_attempt_at = CASE o.what WHEN 'd' THEN o.quiet_until
                                          ELSE n.next_attempt_at END,
                   deferred_until = CASE o.what WHEN 'd' THEN o.quiet_until
                                         ELSE n.deferred_until END
              FROM outcome o WHERE n.id = o.id
            RETURNING o.what, n.id, n.event_seq, n.attempts, n.channel, n.recipient_kind,
                      n.recipient, coalesce (n.address, '') AS address, n.subject, n.body,
                      n.message_id, coalesce (n.complaint_no, '') AS complaint_no,
                      coalesce (n.last_error, '') AS last_error),
        spent AS (
            UPDATE notify_gateway g SET tokens = g.tokens
                   - (SELECT count (*) FROM taken t WHERE t.what = 'c')
             WHERE p_rates [i] > 0 AND g.channel = p_channels [i])
        SELECT * FROM taken;
    END LOOP;
END $$;
COMMENT ON FUNCTION notify_claim (text, integer, bigint, text[], double precision[], boolean[],
                                  time, time) IS
    'the notifier''s claim of every channel, each within its share and its gateway''s rate';
