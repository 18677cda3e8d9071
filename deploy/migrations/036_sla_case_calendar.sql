SET LOCAL ROLE complaints_owner;
-- 036_sla_case_calendar.sql — the calendar a case's times are shown in
-- (issue 16 §3: "Staff tools show every time in the case's calendar zone
-- with the zone written").
--
-- A case's clocks are counted on a calendar the watchdog's policy chose
-- when each round started (sla_clock.calendar: `calendar NAME
-- department=ID` in deploy/sla/policy.conf), and a calendar names its time
-- zone. The staff tools print a case's times in that zone. The clocks are
-- the watchdog's, so intake asks this function of the watchdog's side (as
-- it asks sla_clocks_json) for each row of a `queue`: the calendar of the
-- case's most urgent running clock (not met or cancelled: earliest due),
-- else of its earliest-due finished one; NULL before the watchdog has planned any (the
-- tools then use the bank's zone).

CREATE FUNCTION sla_case_calendar (p_complaint_id bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT k.calendar FROM sla_clock k WHERE k.complaint_id = p_complaint_id
     ORDER BY k.state IN ('met', 'cancelled'), k.due_at, k.id
     LIMIT 1
$$;

COMMENT ON FUNCTION sla_case_calendar (bigint) IS
    'interface of the watchdog: the calendar a case''s times are shown in (its most urgent '
    'running clock''s, else its earliest-due finished clock''s)';

REVOKE EXECUTE ON FUNCTION sla_case_calendar (bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sla_case_calendar (bigint) TO complaints_intake;
