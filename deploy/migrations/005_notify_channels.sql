-- 005_notify_channels.sql — the notifier's second slice (issue 5): SMS and
-- app push through HTTP gateways, quiet hours, a rate limit per gateway, the
-- customer's opt-outs, and the operator's retry.
--
-- Quiet hours. A customer is not sent an SMS or a push at night unless the
-- rule says the event is urgent: a due row inside the quiet window is moved
-- to the window's end, in the case's own time zone (zone, copied from the
-- case's calendar when the row is created), without counting an attempt.
-- deferred_until says that it happened and until when.
--
-- Opt-outs are the customer's, not the case's: keyed by the customer's
-- pseudonym (001: the HMAC of their strongest identifier), so a customer who
-- asked for no SMS on one complaint gets none on the next, and the table
-- holds no identity. A row owed to an opted-out channel is 'suppressed'
-- with the reason (last_error), so "why was this customer not told" has an
-- answer; the same state records a customer with no address on any channel
-- the rule allows, which the complaint office follows up by phone.
--
-- Rate limit. One token bucket per gateway (channel) in the store, refilled
-- by real time (clock_timestamp (), not app_now (): a gateway's contract is
-- in real seconds), locked in the claim's transaction, so every notifier
-- instance together stays under the rate.

ALTER TABLE notification DROP CONSTRAINT notification_state_check;
ALTER TABLE notification ADD CONSTRAINT notification_state_check CHECK (state IN
    ('pending', 'sending', 'sent', 'failed', 'dead', 'suppressed'));
ALTER TABLE notification
    ADD COLUMN urgent boolean NOT NULL DEFAULT false,
    ADD COLUMN zone text NOT NULL DEFAULT 'Asia/Shanghai',
    ADD COLUMN deferred_until timestamptz,
    ADD COLUMN retried_by text;
CREATE INDEX notification_state_idx ON notification (state, id);

CREATE TABLE customer_optout (
    customer_pseudonym  text NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
    complaint_no        text,               -- the case through which they asked
    reason              text,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT app_now (),
    PRIMARY KEY (customer_pseudonym, channel)
);

CREATE TABLE notify_gateway (
    channel         text PRIMARY KEY CHECK (channel IN ('email', 'sms', 'push')),
    tokens          double precision NOT NULL DEFAULT 0,
    refilled_at     timestamptz NOT NULL DEFAULT clock_timestamp ()
);
INSERT INTO notify_gateway (channel) VALUES ('email'), ('sms'), ('push');

-- The end of the quiet window [p_from, p_to) (local times; p_from > p_to
-- spans midnight) that p_at falls in, in time zone p_zone; NULL when p_at
-- is outside it or the window is empty.
CREATE FUNCTION notify_quiet_until (p_at timestamptz, p_zone text, p_from time, p_to time)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
    local_ts timestamp := p_at AT TIME ZONE p_zone;
    t time := local_ts::time;
    d date := local_ts::date;
BEGIN
    IF p_from = p_to THEN
        RETURN NULL;
    ELSIF p_from < p_to THEN
        IF t >= p_from AND t < p_to THEN
            RETURN (d + p_to) AT TIME ZONE p_zone;
        END IF;
    ELSIF t >= p_from THEN
        RETURN (d + 1 + p_to) AT TIME ZONE p_zone;
    ELSIF t < p_to THEN
        RETURN (d + p_to) AT TIME ZONE p_zone;
    END IF;
    RETURN NULL;
END $$;

-- Refill a gateway's bucket (p_rate tokens a second, at most p_burst) and
-- return the whole tokens available. Locks the row until the caller's
-- transaction ends: the caller claims at most that many rows, then spends
-- what it claimed with notify_gateway_spend, in the same transaction.
CREATE FUNCTION notify_gateway_allow (p_channel text, p_rate double precision,
                                      p_burst double precision)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    g notify_gateway;
    now_ts timestamptz := clock_timestamp ();
    available double precision;
BEGIN
    SELECT * INTO g FROM notify_gateway WHERE channel = p_channel FOR UPDATE;
    available := least (p_burst, g.tokens
                 + greatest (0, extract (epoch FROM now_ts - g.refilled_at)) * p_rate);
    UPDATE notify_gateway SET tokens = available, refilled_at = now_ts
        WHERE channel = p_channel;
    RETURN floor (available)::integer;
END $$;

CREATE FUNCTION notify_gateway_spend (p_channel text, p_count integer)
RETURNS void LANGUAGE sql AS $$
    UPDATE notify_gateway SET tokens = tokens - p_count WHERE channel = p_channel;
$$;
