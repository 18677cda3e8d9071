SET LOCAL ROLE complaints_owner;
-- 040_followup.sql — after the answer (issue 16 §2; docs/followup.md).
--
-- The call-back (回访) has a clock of its own: stage `callback`, started by
-- each decision (resolve), met by the customer's answer (feedback, a
-- call-back that reached them, a review) or the close; when it breaches —
-- its period ran out, or the policy's last unanswered attempt came — the
-- watchdog asks intake to close the case as no_answer
-- (services/watchdog/callback_close.h). Nothing else changes in the
-- schema: the attempts, the survey's score given at the call-back and the
-- valid-complaint determination are audit rows (case_action.details:
-- reason, satisfied, score), read from the trail like every other action.

ALTER TABLE sla_clock DROP CONSTRAINT sla_clock_stage_check;
ALTER TABLE sla_clock ADD CONSTRAINT sla_clock_stage_check CHECK (stage IN
    ('acknowledge', 'first_response', 'solution', 'service', 'resolution', 'review',
     'referral_reply', 'callback'));
ALTER TABLE sla_extension_rule DROP CONSTRAINT sla_extension_rule_stage_check;
ALTER TABLE sla_extension_rule ADD CONSTRAINT sla_extension_rule_stage_check CHECK (stage IN
    ('acknowledge', 'first_response', 'solution', 'service', 'resolution', 'review',
     'referral_reply', 'callback'));

-- What the watchdog's closing sweep reads (sla_store_callback_due): the few
-- breached call-back clocks, not every clock.
CREATE INDEX sla_clock_callback_breached_idx ON sla_clock (id)
    WHERE stage = 'callback' AND state = 'breached';
