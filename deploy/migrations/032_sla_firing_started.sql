SET LOCAL ROLE complaints_owner;
-- 032_sla_firing_started.sql — the step the watchdog records when a
-- restarted period's new round is first stored (issue 15, "told";
-- docs/watchdog.md "A period restarted"). No new column or constraint:
-- sla_firing.step is free text; its comment lists the steps.

COMMENT ON COLUMN sla_firing.step IS
    'owner watchdog: remind:N | breach | escalate:N | extended | met | moved:<new due, unix ms> (sla.deadline_moved, once per new deadline) | started (phase 0: sla.restarted, a new round''s deadline, once per round)';
