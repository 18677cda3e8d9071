SET LOCAL ROLE complaints_owner;
-- 031_sla_clocks_provisional.sql — the staff view says which deadlines are
-- provisional (issue 15 §1, "Calendars end at 2026"; docs/watchdog.md
-- "Provisional years").
--
-- A deadline counted on a year whose holidays are computed, not yet
-- published by the State Council (sla_clock.provisional, migration 027),
-- may move when the year's notice is loaded; the handler sees that in
-- `complaintctl show` and in intake's `get` (`clocks[].provisional`). The
-- function is replaced whole, as in 028; SECURITY DEFINER and the
-- search_path are restated, since CREATE OR REPLACE resets them.

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
               'provisional', k.provisional,
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
