-- 007_table_owners.sql — one owner per table (issue 11, invariant 9).
--
-- A service writes only its own tables (and the outbox); another service's
-- state is changed, or its rules asked, through a store function its side
-- declares. This migration
--
--   1. says who owns each table, as the table's COMMENT ("owner: NAME", then
--      "also: NAME (what)" for the columns another service still writes; see
--      below), so `\dt+` shows it and tests/integration/table_owners.py can
--      compare it with what the services' C sources write;
--   2. gives the SLA side (the watchdog, 003) the interface intake needs:
--      sla_extension_next (the step, rule and deadline of an extension) and
--      sla_clocks_json (the clocks of the staff view), so intake no longer
--      recounts rounds and extension steps or reads sla_clock itself;
--   3. gives the notifier's side (004, 005) the interface complaintctl
--      needs: notification_retry, customer_optout_set, customer_optout_remove;
--   4. defines an open case once: complaint_is_open (state), the SQL mirror
--      of lifecycle_state_open in proto/lifecycle.c (intake --selftest
--      compares them state by state), used by the queue, pick_handler and the
--      partial indexes of open cases, which are rebuilt on it.
--
-- Migrations are append-only (deploy/scripts/migrate.sh refuses a changed
-- file), so the ownership of the tables of 001-006 is written down here, not
-- in their files.
--
-- --- Who owns what ------------------------------------------------------------
--
--   table                owner     written by others, as declared ("also")
--   complaint            intake    router: the assignment (received -> assigned,
--                                  classification, department, handler, its
--                                  routing lease); watchdog: sla_dirty, due_at
--   case_action          intake    router: the 'assign' audit row
--   outbox               bus       every service appends its events (invariant 3);
--                                  only the bus drains it
--   event_log            bus
--   department, staff,   router    loaded from deploy/org/directory.conf
--   staff_token
--   app_clock            watchdog  only through app_clock_set (003; `complaintctl clock`)
--   sla_clock,           watchdog
--   sla_firing,
--   sla_extension_rule
--   notifier_cursor,     notifier
--   notification,
--   staff_inbox,
--   customer_optout,
--   notify_gateway
--
-- The "also" entries are the writes that remain across owners: the router's
-- assignment of a new case and the watchdog's bookkeeping columns on the case
-- row. They are declared rather than hidden, and the test fails on any write
-- that is neither the owner's nor declared.

COMMENT ON TABLE complaint IS
    'owner: intake | also: router (assignment: state received->assigned, classification, '
    'department, handler, lease), watchdog (sla_dirty, due_at) | the complaint and its case';
COMMENT ON TABLE case_action IS
    'owner: intake | also: router (the assign audit row) | the audit trail, append-only';
COMMENT ON TABLE outbox IS
    'owner: bus | every service appends its events in the transaction of the change; '
    'the bus drains it into event_log';
COMMENT ON TABLE event_log IS
    'owner: bus | the sequenced event stream, append-only';
COMMENT ON TABLE department IS
    'owner: router | loaded from deploy/org/directory.conf';
COMMENT ON TABLE staff IS
    'owner: router | loaded from deploy/org/directory.conf';
COMMENT ON TABLE staff_token IS
    'owner: router | SHA-256 of staff tokens, loaded with the directory';
COMMENT ON TABLE app_clock IS
    'owner: watchdog | the store''s clock; moved only through app_clock_set, in a test database';
COMMENT ON TABLE sla_clock IS
    'owner: watchdog | one row per clock of a case (stage, round)';
COMMENT ON TABLE sla_firing IS
    'owner: watchdog | each reminder, breach, escalation, extension, met: once';
COMMENT ON TABLE sla_extension_rule IS
    'owner: watchdog | the SLA policy''s extension rules; ask sla_extension_next';
COMMENT ON TABLE notifier_cursor IS
    'owner: notifier | how far each consumer read event_log';
COMMENT ON TABLE notification IS
    'owner: notifier | one row per (event, recipient, channel); retries through notification_retry';
COMMENT ON TABLE staff_inbox IS
    'owner: notifier | the in-app inbox of staff tools';
COMMENT ON TABLE customer_optout IS
    'owner: notifier | a customer''s opt-outs, by pseudonym; changed through '
    'customer_optout_set / customer_optout_remove';
COMMENT ON TABLE notify_gateway IS
    'owner: notifier | one token bucket per gateway';

-- --- An open case -------------------------------------------------------------
-- Open: not in a final state. proto/lifecycle.c declares the states and which
-- are final (lifecycle_state_open); this is its SQL mirror, and intake
-- --selftest fails when the two disagree on any state. IMMUTABLE and a
-- single expression, so PostgreSQL inlines it: a partial index built on it
-- serves every query that says complaint_is_open (state) too.
CREATE FUNCTION complaint_is_open (state text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN state NOT IN ('closed', 'rejected', 'withdrawn');
COMMENT ON FUNCTION complaint_is_open (text) IS
    'an open case: not closed, rejected or withdrawn (proto/lifecycle.c, lifecycle_state_open)';

-- On a handler's desk: open, routed, and not resolved. A resolved case waits
-- for the customer's call-back; it does not count against the handler's
-- capacity (pick_handler). Built on complaint_is_open, not a second list.
CREATE FUNCTION complaint_on_desk (state text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN complaint_is_open (state) AND state NOT IN ('received', 'resolved');
COMMENT ON FUNCTION complaint_on_desk (text) IS
    'open, routed and not resolved: what counts against a handler''s capacity';

-- The partial indexes of 002 listed states by hand; rebuilt on the
-- definitions, with the same rows (the handler's) or the open cases (the
-- department's: received cases have no department yet, so nothing more of
-- use is indexed).
DROP INDEX complaint_handler_open_idx;
CREATE INDEX complaint_handler_open_idx ON complaint (handler, priority, due_at)
    WHERE complaint_on_desk (state);
DROP INDEX complaint_department_open_idx;
CREATE INDEX complaint_department_open_idx ON complaint (department, priority, due_at)
    WHERE complaint_is_open (state);

-- pick_handler (002), unchanged but for its count: the cases on a person's
-- desk, through the one definition (and so through the index above).
CREATE OR REPLACE FUNCTION pick_handler (dept text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    chosen text;
BEGIN
    PERFORM 1 FROM staff WHERE department = dept AND active ORDER BY id FOR UPDATE;
    SELECT s.id INTO chosen
      FROM staff s
      CROSS JOIN LATERAL (
            SELECT count (*) AS open_cases FROM complaint c
             WHERE c.handler = s.id AND complaint_on_desk (c.state)) l
     WHERE s.department = dept AND s.active AND s.on_duty
       AND s.ab_role IS NOT NULL AND s.role IN ('handler', 'supervisor')
       AND l.open_cases < s.capacity
     ORDER BY s.ab_role, l.open_cases, s.id
     LIMIT 1;
    RETURN chosen;
END $$;

-- --- The SLA side's interface (owner: watchdog) -------------------------------
-- Intake approves an extension (`extend`) and shows a case's clocks; the
-- rules behind both are the watchdog's: how rounds are counted (sla_plan.c:
-- resolution, one round per reopen; review, one per review, from 0), which
-- extension step a case is at, the policy's rule for it, and when a clock's
-- deadline has passed. Intake asks these two functions and keeps only its
-- own checks (the approver's rank against the actor's, in proto/lifecycle.c).

-- Where the next extension of a case's stage stands ('resolution' or
-- 'review'). Always one row:
--   step             1 + the extensions of this stage in the current round
--   adds, approver,  the policy's rule for that step (sla_extension_rule);
--   rule             NULL when the policy allows no such step
--   round            the current round, counted as the watchdog counts it, so
--                    a clock row it has not rebuilt yet after a reopen is not
--                    taken for the current one
--   deadline_passed  the current round's clock passed its due time (a paused
--                    clock only if it breached before the pause: its stored
--                    due_at is as of the last recompute and runs on while the
--                    pause lasts); false when there is no clock row yet
--   due_at           that clock's deadline (NULL: no clock row)
-- Read it under the case's row lock, in the transaction that records the
-- extension: the watchdog rebuilds clocks from the audit trail, so the count
-- cannot move while the lock is held.
CREATE FUNCTION sla_extension_next (p_complaint_id bigint, p_stage text)
RETURNS TABLE (step integer, adds text, approver text, rule text, round integer,
               deadline_passed boolean, due_at timestamptz)
LANGUAGE sql STABLE AS $$
    WITH marks AS (
        -- a round begins at a reopen (resolution) or a review (review)
        SELECT coalesce (max (a.id) FILTER (WHERE a.action = m.mark), 0) AS since,
               count (*) FILTER (WHERE a.action = m.mark) AS rounds
          FROM case_action a,
               (SELECT CASE WHEN p_stage = 'review' THEN 'review' ELSE 'reopen' END AS mark) m
         WHERE a.complaint_id = p_complaint_id),
    s AS (
        SELECT (1 + count (*))::int AS step,
               ((SELECT rounds FROM marks) - CASE WHEN p_stage = 'review' THEN 1 ELSE 0 END)::int
                   AS round
          FROM case_action a
         WHERE a.complaint_id = p_complaint_id AND a.action = 'extend'
           AND a.details->>'stage' = p_stage
           AND a.id > (SELECT since FROM marks))
    SELECT s.step, r.adds, r.approver, r.rule, s.round,
           CASE WHEN k.id IS NULL THEN false
                WHEN k.paused_since IS NULL THEN k.due_at <= app_now ()
                ELSE EXISTS (SELECT 1 FROM sla_firing f WHERE f.clock_id = k.id
                                AND f.phase = k.extensions AND f.step = 'breach') END,
           k.due_at
      FROM s
      LEFT JOIN sla_extension_rule r ON r.stage = p_stage AND r.step = s.step
      LEFT JOIN sla_clock k ON k.complaint_id = p_complaint_id AND k.stage = p_stage
                           AND k.round = s.round
$$;
COMMENT ON FUNCTION sla_extension_next (bigint, text) IS
    'interface of the watchdog: the step, policy rule and deadline of a case''s next extension';

-- A case's clocks for the staff view, as one JSON array: each clock with its
-- firings, remaining_ms and the open pause measured against the store's
-- clock (app_now ()), so a test that shifted it sees the watchdog's "now".
-- Bounded: at most 32 clocks (four stages, a round per transfer, review or
-- reopening) and 64 firings each, so a runaway case cannot blow up a reply.
-- Times are ms since the epoch.
CREATE FUNCTION sla_clocks_json (p_complaint_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce (json_agg (json_build_object (
               'stage', k.stage, 'round', k.round, 'state', k.state, 'allowance', k.allowance,
               'calendar', k.calendar, 'rule', k.rule,
               'started_at', (extract (epoch FROM k.started_at) * 1000)::bigint,
               'due_at', (extract (epoch FROM k.due_at) * 1000)::bigint,
               'remaining_ms', CASE WHEN k.state IN ('met', 'cancelled') THEN NULL
                                    ELSE (extract (epoch FROM k.due_at - n.now) * 1000)::bigint END,
               'paused_ms', k.paused_ms + CASE WHEN k.paused_since IS NULL THEN 0
                              ELSE greatest (0, (extract (epoch FROM n.now - k.paused_since)
                                                 * 1000)::bigint) END,
               'paused_since', (extract (epoch FROM k.paused_since) * 1000)::bigint,
               'extensions', k.extensions, 'extended_by', k.extended_by,
               'met_at', (extract (epoch FROM k.met_at) * 1000)::bigint,
               'late', CASE WHEN k.met_at IS NULL THEN NULL ELSE k.met_at > k.due_at END,
               'next_step', k.next_step,
               'next_fire_at', (extract (epoch FROM k.next_fire_at) * 1000)::bigint,
               'firings', (SELECT coalesce (json_agg (json_build_object (
                                      'step', f.step, 'phase', f.phase,
                                      'due_at', (extract (epoch FROM f.due_at) * 1000)::bigint,
                                      'fired_at', (extract (epoch FROM f.fired_at) * 1000)::bigint)
                                  ORDER BY f.fired_at, f.step), '[]')
                             FROM (SELECT * FROM sla_firing WHERE clock_id = k.id
                                    ORDER BY fired_at, step LIMIT 64) f))
             ORDER BY k.stage_order, k.round), '[]')
      FROM (SELECT k.*, array_position (ARRAY['acknowledge', 'first_response', 'resolution',
                                              'review'], k.stage) AS stage_order
              FROM sla_clock k WHERE k.complaint_id = p_complaint_id
             ORDER BY stage_order, k.round LIMIT 32) k,
           (SELECT app_now () AS now) n
$$;
COMMENT ON FUNCTION sla_clocks_json (bigint) IS
    'interface of the watchdog: a case''s clocks and firings for the staff view (JSON)';

-- --- The notifier's interface (owner: notifier) -------------------------------
-- What an operator changes in the notifier's tables (complaintctl
-- notifications retry, optout add / remove) goes through these. Events stay
-- packed by their one packer in C: notification_retry returns what the
-- notification.retried event says, and the caller appends that event to the
-- outbox in the same transaction.

-- Send a dead, failed or suppressed notification again, now, from attempt 0,
-- recording who asked. Locks the row. No row: no such notification. A row
-- with retried = false: its state (was) may not be retried (a pending or
-- sending row is owed already, a sent one was delivered); nothing changed.
-- Otherwise the row is pending again and the columns say what it was: the
-- caller puts the notification.retried event in the outbox before COMMIT.
-- The last error stays until the next attempt replaces it.
CREATE FUNCTION notification_retry (p_id bigint, p_by text)
RETURNS TABLE (retried boolean, was text, attempts integer, event_seq bigint, channel text,
               recipient_kind text, complaint_no text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n notification;
BEGIN
    SELECT * INTO n FROM notification WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    retried := n.state IN ('dead', 'failed', 'suppressed');
    IF retried THEN
        UPDATE notification SET state = 'pending', attempts = 0,
               next_attempt_at = app_now (), deferred_until = NULL, retried_by = p_by,
               lease_owner = NULL, lease_until = NULL
         WHERE id = p_id;
    END IF;
    was := n.state;
    attempts := n.attempts;
    event_seq := n.event_seq;
    channel := n.channel;
    recipient_kind := n.recipient_kind;
    complaint_no := n.complaint_no;
    RETURN NEXT;
END $$;
COMMENT ON FUNCTION notification_retry (bigint, text) IS
    'interface of the notifier: send a dead, failed or suppressed notification again';

-- The customer of complaint p_complaint_no opts out of p_channel (again:
-- the reason and who are updated). No row: no such complaint. created is
-- false when the opt-out existed already.
CREATE FUNCTION customer_optout_set (p_complaint_no text, p_channel text, p_reason text,
                                     p_by text)
RETURNS TABLE (created boolean, pseudonym text)
LANGUAGE sql VOLATILE AS $$
    -- xmax = 0: the row was inserted, not updated (PostgreSQL's idiom)
    INSERT INTO customer_optout AS o (customer_pseudonym, channel, complaint_no, reason,
                                      created_by)
    SELECT c.customer_pseudonym, p_channel, c.complaint_no, p_reason, p_by
      FROM complaint c WHERE c.complaint_no = p_complaint_no
    ON CONFLICT (customer_pseudonym, channel)
       DO UPDATE SET reason = EXCLUDED.reason, created_by = EXCLUDED.created_by
    RETURNING (o.xmax = 0), o.customer_pseudonym
$$;
COMMENT ON FUNCTION customer_optout_set (text, text, text, text) IS
    'interface of the notifier: a customer opts out of a channel';

-- The customer of complaint p_complaint_no opts back in to p_channel:
-- 'removed', 'none' (the customer had no such opt-out) or 'no_complaint'.
CREATE FUNCTION customer_optout_remove (p_complaint_no text, p_channel text)
RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    DELETE FROM customer_optout o USING complaint c
     WHERE c.complaint_no = p_complaint_no AND o.customer_pseudonym = c.customer_pseudonym
       AND o.channel = p_channel;
    IF FOUND THEN
        RETURN 'removed';
    END IF;
    IF EXISTS (SELECT 1 FROM complaint WHERE complaint_no = p_complaint_no) THEN
        RETURN 'none';
    END IF;
    RETURN 'no_complaint';
END $$;
COMMENT ON FUNCTION customer_optout_remove (text, text) IS
    'interface of the notifier: a customer opts back in to a channel';
