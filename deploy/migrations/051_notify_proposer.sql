SET LOCAL ROLE complaints_owner;
-- 051_notify_proposer.sql — the notifier's recipient kind `proposer` (issue
-- 16 follow-up, vetting2; docs/notifier.md "Recipient kinds").
--
-- The handler whose proposal is approved is told (they were already told
-- when it was returned). A rule cannot filter on the action that made an
-- event, and complaint.resolved is made by a direct resolve and by an
-- approval alike; so the approval is told through who receives it: the
-- kind `proposer` is the author of the case's proposal on record
-- (complaint.proposed_by, read when the event is consumed, as the handler
-- is) and nobody for an event of a direct resolve (data.action 'resolve',
-- which also clears proposed_by). Its rows carry the kind.
ALTER TABLE notification DROP CONSTRAINT notification_recipient_kind_check;
ALTER TABLE notification ADD CONSTRAINT notification_recipient_kind_check CHECK (recipient_kind IN
    ('customer', 'handler', 'supervisor', 'department_head', 'complaint_office', 'management',
     'task_department', 'proposer'));
