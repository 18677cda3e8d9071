SET LOCAL ROLE complaints_owner;
-- 027_sla_stages.sql — the clocks the rules ask for (issue 15; docs/watchdog.md).
--
-- New stages beside acknowledge, first_response, resolution and review:
--   solution        a complex case's proposed solution (seed 002: "复杂投诉
--                   48小时内提出解决方案")
--   service         the bank's own internal service clock for a decision,
--                   which may pause while the bank waits for the customer;
--                   `resolution` becomes the regulatory clock, which pauses
--                   only for a recorded appraisal period (鉴定、检测、评估)
--                   and restarts when the customer brings new material
--   referral_reply  the reply back to the body that referred the complaint
--                   (对口回复, seed 003), due when the referrer asked
-- An extension's approver may be `superior`: a manager of the superior
-- institution (an ancestor of the case's department) or of the head
-- office, as the 2020 rules ask of the second extension.
-- A clock counted on a calendar year that is computed, not yet published
-- by the State Council, is `provisional` (common/calendar.h): a reload of
-- the calendar may move it, and the handler is told when it does.

ALTER TABLE sla_clock DROP CONSTRAINT sla_clock_stage_check;
ALTER TABLE sla_clock ADD CONSTRAINT sla_clock_stage_check CHECK (stage IN
    ('acknowledge', 'first_response', 'solution', 'service', 'resolution', 'review',
     'referral_reply'));
ALTER TABLE sla_clock ADD COLUMN provisional boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN sla_clock.provisional IS
    'owner watchdog: the deadline falls on or is counted across a computed (provisional) calendar year';

ALTER TABLE sla_extension_rule DROP CONSTRAINT sla_extension_rule_stage_check;
ALTER TABLE sla_extension_rule ADD CONSTRAINT sla_extension_rule_stage_check CHECK (stage IN
    ('acknowledge', 'first_response', 'solution', 'service', 'resolution', 'review',
     'referral_reply'));
ALTER TABLE sla_extension_rule DROP CONSTRAINT sla_extension_rule_approver_check;
ALTER TABLE sla_extension_rule ADD CONSTRAINT sla_extension_rule_approver_check CHECK (approver IN
    ('supervisor', 'complaint_office', 'manager', 'superior'));
