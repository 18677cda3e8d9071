SET LOCAL ROLE complaints_owner;
-- 028_sla_two_clocks.sql — the regulatory clock and the internal service
-- clock (issue 15 §1, "Extensions" and "The pause"; docs/watchdog.md).
--
-- 1. Extensions are counted from the round's start: the policy's rule
--    `extend resolution 1 to 30d supervisor` is synced into
--    sla_extension_rule.adds as 'to 30d' (the deadline becomes 30 days from
--    receipt, rolled to a working day only at its own end), and intake
--    copies it into the audit row's details.adds as before. A row whose adds
--    has no 'to ' was approved under the old additive rule and keeps that
--    meaning in the watchdog.
-- 2. `new_material` (the customer brought new facts and reasons) restarts
--    the regulatory period: a new resolution round starts at that action,
--    as at a `reopen`. sla_extension_next counts rounds the way the watchdog
--    does (sla_plan.c), so the step restarts at 1 in the new round.
-- 3. The staff view (sla_clocks_json) orders every stage of migration 027.
--
-- Both functions are replaced whole; SECURITY DEFINER and the search_path
-- (migration 020) are restated, since CREATE OR REPLACE resets them.

COMMENT ON COLUMN sla_extension_rule.adds IS
    'owner watchdog: the extension as the policy words it: ''to 30d'' = the deadline becomes 30d from the round''s start';

CREATE OR REPLACE FUNCTION sla_extension_next (p_complaint_id bigint, p_stage text)
RETURNS TABLE (step integer, adds text, approver text, rule text, round integer,
               deadline_passed boolean, due_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH marks AS (
        -- a round begins at a reopen or new material (resolution) or a
        -- review (review)
        SELECT coalesce (max (a.id) FILTER (WHERE a.action = ANY (m.marks)), 0) AS since,
               count (*) FILTER (WHERE a.action = ANY (m.marks)) AS rounds
          FROM case_action a,
               (SELECT CASE WHEN p_stage = 'review' THEN ARRAY['review']
                            ELSE ARRAY['reopen', 'new_material'] END AS marks) m
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

-- Bounded as before: 32 clocks, 64 firings each; every stage of 027 in the
-- order a case meets them.
CREATE OR REPLACE FUNCTION sla_clocks_json (p_complaint_id bigint) RETURNS json
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
      FROM (SELECT k.*, array_position (ARRAY['acknowledge', 'first_response', 'solution',
                                              'service', 'resolution', 'review',
                                              'referral_reply'], k.stage) AS stage_order
              FROM sla_clock k WHERE k.complaint_id = p_complaint_id
             ORDER BY stage_order, k.round LIMIT 32) k,
           (SELECT app_now () AS now) n
$$;
