-- 017_analytics_at_risk.sql — the dashboard's "cases at risk of breaching"
-- (issue 12 section 6; owner: analytics). docs/analytics.md "Dashboard"
-- defines them: complaints not yet decided (no resolution, no rejection),
-- still open, whose regulator's 15-day decision deadline (due_15d_at, on
-- the bank's calendar) has passed or falls within the next hours. The
-- dashboard asks for them ordered by that deadline
-- (services/analytics/dashboard_store.c); this partial index holds only
-- the undecided open cases, so the answer costs what is at risk, not what
-- was ever received.
CREATE INDEX analytics_fact_at_risk ON analytics_fact (due_15d_at)
    WHERE decided_at IS NULL
      AND state IN ('received', 'assigned', 'accepted', 'investigating', 'awaiting_customer');
