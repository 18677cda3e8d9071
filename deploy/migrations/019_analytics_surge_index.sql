-- 019_analytics_surge_index.sql — a surge's today by (key, received_at)
-- (issue 12 §7; owner: analytics).
--
-- The surge judge (services/analytics/analytics_hotspot.c s_day_sql) now
-- takes today's count of a cause or business line from the day rollup,
-- and from the facts only the first complaint of the day (one index probe)
-- and the newest samples (an index range of `samples` rows, newest first).
-- Both are ranges of received_at within the key, which the (key,
-- received_day) indexes of migration 013 cannot give in order: they are
-- replaced, so a fact update maintains as many indexes as before.
DROP INDEX analytics_fact_cause_day;
DROP INDEX analytics_fact_line_day;
CREATE INDEX analytics_fact_cause_at ON analytics_fact (cause, received_at);
CREATE INDEX analytics_fact_line_at ON analytics_fact (business_line, received_at);
