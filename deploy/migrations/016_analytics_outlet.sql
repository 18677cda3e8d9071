-- 016_analytics_outlet.sql — the outlet a complaint names, as the router
-- matched it in the directory (issue 12 section 3; owner: analytics).
--
-- complaint.assigned carries `outlet`: the department id of kind branch or
-- outlet that the complaint's branch field (else its subject or body) names
-- in deploy/org/directory.conf, nil when none matched. analytics_fact keeps
-- it, and its `branch` dimension becomes that id when there is one (else
-- the text as submitted): one outlet written two ways ("上海分行",
-- "Shanghai branch") is one branch in the rollups.
--
-- Hot spots grouped by branch count facts by `outlet` only, so the hot
-- spot's `branch` is always a directory id the notifier resolves to the
-- branch's head. Before this migration they grouped by `department` (the
-- responsible department), which missed an outlet that only cooperates;
-- the indexes move with them.
--
-- Existing facts get '' (no outlet): `analytics --rebuild` fills it from
-- the stream for complaints assigned after the router sent `outlet`.
ALTER TABLE analytics_fact ADD COLUMN outlet text NOT NULL DEFAULT '';

DROP INDEX IF EXISTS analytics_fact_dept_cause;
DROP INDEX IF EXISTS analytics_fact_dept_line;
CREATE INDEX analytics_fact_outlet_cause ON analytics_fact (outlet, cause, received_at)
    WHERE outlet <> '';
CREATE INDEX analytics_fact_outlet_line ON analytics_fact (outlet, business_line, received_at)
    WHERE outlet <> '';
