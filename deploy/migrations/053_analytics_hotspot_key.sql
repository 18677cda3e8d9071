SET LOCAL ROLE complaints_owner;
-- 053_analytics_hotspot_key.sql — one key for a hot spot, and the reads of
-- other services through analytics' own functions (issue 16 follow-up;
-- owner: analytics; docs/analytics.md "The hot spot's key").
--
-- 1. The key. A rectification item (case_task.hotspot) and an accountability
--    item (accountability_item.hotspot) name a hot spot by
--    RULE/BRANCH/CAUSE/LINE. Intake, the watchdog and complaintctl each
--    spelled it (two SQL concatenations and a printf). It is now one
--    generated column, analytics_hotspot.hotspot_key: NULL for a
--    repeat-customer hot spot (its key is a customer pseudonym: nothing a
--    department rectifies, and never to be copied into another table).
--    The `hotspots` query returns it as `key`; complaintctl prints that.
-- 2. The reads. Intake (rectification open) checked that the hot spot
--    exists and the watchdog (the accountability sweep) looked for open
--    hot spots past their grace, both by SELECT on analytics' table
--    (migrations 044, 045). Invariant 9 routes another service's state
--    through its owner: these two functions are analytics' interface,
--    SECURITY DEFINER like kb_suggest (049) and notification_casefile
--    (047), and the direct grants are revoked.
--
--   analytics_hotspot_get (key)   the hot spot with this key (open or
--       cleared): rule, kind, branch, cause, business line, open. No row:
--       no such hot spot.
--   analytics_hotspot_overdue (grace_ms)   the open hot spots with a branch,
--       no customer, opened at least grace_ms ago (app_now: the shiftable
--       clock): key, branch, opened_at; oldest first. The caller (the
--       watchdog) leaves out those that already have a rectification or an
--       accountability item, in its own tables, and takes a batch.

ALTER TABLE analytics_hotspot
    ADD COLUMN hotspot_key text GENERATED ALWAYS AS (
        CASE WHEN customer = '' THEN rule || '/' || branch || '/' || cause || '/' || business_line
        END) STORED;
CREATE INDEX analytics_hotspot_by_key ON analytics_hotspot (hotspot_key);
COMMENT ON COLUMN analytics_hotspot.hotspot_key IS
    'RULE/BRANCH/CAUSE/LINE, the key rectification and accountability items name; NULL for a customer';

CREATE FUNCTION analytics_hotspot_get (p_key text)
RETURNS TABLE (hotspot_key text, rule text, kind text, branch text, cause text,
               business_line text, open boolean)
LANGUAGE sql STABLE AS $$
    SELECT h.hotspot_key, h.rule, h.kind, h.branch, h.cause, h.business_line, h.open
      FROM analytics_hotspot h
     WHERE h.hotspot_key = p_key
     LIMIT 1
$$;
COMMENT ON FUNCTION analytics_hotspot_get (text) IS
    'interface of analytics: the hot spot with this key (intake: rectification open)';

CREATE FUNCTION analytics_hotspot_overdue (p_grace_ms bigint)
RETURNS TABLE (hotspot_key text, branch text, opened_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT h.hotspot_key, h.branch, h.opened_at
      FROM analytics_hotspot h
     WHERE h.open AND h.branch <> '' AND h.hotspot_key IS NOT NULL
       AND h.opened_at <= app_now () - p_grace_ms * interval '1 millisecond'
     ORDER BY h.opened_at, h.hotspot_key
$$;
COMMENT ON FUNCTION analytics_hotspot_overdue (bigint) IS
    'interface of analytics: open hot spots past a grace period (watchdog: accountability)';

ALTER FUNCTION analytics_hotspot_get (text) SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION analytics_hotspot_overdue (bigint)
    SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION analytics_hotspot_get (text), analytics_hotspot_overdue (bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_hotspot_get (text) TO complaints_intake;
GRANT EXECUTE ON FUNCTION analytics_hotspot_overdue (bigint) TO complaints_watchdog;

REVOKE SELECT ON analytics_hotspot FROM complaints_intake, complaints_watchdog;
