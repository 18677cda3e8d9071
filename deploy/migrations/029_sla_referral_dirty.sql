SET LOCAL ROLE complaints_owner;
-- 029_sla_referral_dirty.sql — what re-plans a case's clocks (issue 15 §1,
-- CLOCKS-B; docs/watchdog.md).
--
-- The SLA policy now chooses clocks by the case's flags (`flag=complex`:
-- the 48-hour solution clock, seed 002 "复杂投诉在48小时内提供解决方案") and by
-- its referral (`referral=association`, migration 026), and the reply to a
-- referring body is due at complaint.referrer_due_at. The trigger of
-- migration 003 did not look at those columns: a router rule or a
-- `mark_complex` that only changed flags, or a corrected referral date,
-- left the clocks as they were. The same trigger, with those three columns
-- added to its WHEN.

DROP TRIGGER complaint_sla_dirty ON complaint;
CREATE TRIGGER complaint_sla_dirty BEFORE UPDATE ON complaint
    FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state
       OR OLD.version IS DISTINCT FROM NEW.version
       OR OLD.department IS DISTINCT FROM NEW.department
       OR OLD.handler IS DISTINCT FROM NEW.handler
       OR OLD.priority IS DISTINCT FROM NEW.priority
       OR OLD.major IS DISTINCT FROM NEW.major
       OR OLD.business_line IS DISTINCT FROM NEW.business_line
       OR OLD.level IS DISTINCT FROM NEW.level
       OR OLD.flags IS DISTINCT FROM NEW.flags
       OR OLD.referral_source IS DISTINCT FROM NEW.referral_source
       OR OLD.referrer_due_at IS DISTINCT FROM NEW.referrer_due_at)
    EXECUTE FUNCTION complaint_sla_dirty ();

-- A reload of the calendars may move a deadline counted on a provisional
-- year: the watchdog marks the cases of such clocks dirty (it has UPDATE on
-- complaint.sla_dirty, migration 020) and finds them through this index.
CREATE INDEX sla_clock_provisional_idx ON sla_clock (complaint_id)
    WHERE provisional AND state IN ('running', 'paused', 'breached');

COMMENT ON COLUMN sla_firing.step IS
    'owner watchdog: remind:N | breach | escalate:N | extended | met | moved:<new due, unix ms> (sla.deadline_moved, once per new deadline)';
