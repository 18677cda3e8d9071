SET LOCAL ROLE complaints_owner;
-- 044_rectification_hotspot.sql — a rectification item (整改) opened from a
-- hot spot (issue 16 §2; intake `rectification open`, docs/tasks.md).
--
-- Intake checks that the hot spot named by the request exists before it
-- writes the item (case_task.hotspot keeps its key, RULE/BRANCH/CAUSE/LINE),
-- so it reads the analytics daemon's hot spots. A read, never a write: the
-- table stays analytics' own (invariant 9).
GRANT SELECT ON analytics_hotspot TO complaints_intake;
