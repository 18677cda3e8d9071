SET LOCAL ROLE complaints_owner;
-- 026_referral.sql — where a referred complaint came from (issue 15 §1,
-- "The association's rule applied to regulator referrals").
--
-- A complaint forwarded by a regulator's hotline, the banking association,
-- a consumer association or the media carries the referring body, its own
-- ticket number and the date by which it wants the bank's answer back
-- (对口回复, seed 003_2e13b8f96210a22c.txt). The SLA policy chooses clocks
-- by referral_source (a regulator referral follows the national 15-day
-- rule, an association referral the association's), and the reply back to
-- the referring body is a tracked step with its own clock, due at
-- referrer_due_at when the referrer gave one. Intake owns these columns
-- (they are set at registration); the watchdog reads them.

ALTER TABLE complaint
    ADD COLUMN referral_source  text
        CONSTRAINT complaint_referral_source_check CHECK (referral_source IN
            ('regulator', 'association', 'consumer_association', 'media')),
    ADD COLUMN referrer         text
        CONSTRAINT complaint_referrer_check CHECK (char_length (referrer) <= 200),
    ADD COLUMN referrer_ticket  text
        CONSTRAINT complaint_referrer_ticket_check CHECK (char_length (referrer_ticket) <= 64),
    ADD COLUMN referrer_due_at  timestamptz,
    ADD CONSTRAINT complaint_referral_complete_check CHECK (
        referral_source IS NOT NULL OR (referrer IS NULL AND referrer_ticket IS NULL
                                        AND referrer_due_at IS NULL));

COMMENT ON COLUMN complaint.referral_source IS
    'owner intake: who referred the complaint to the bank (NULL: the customer came directly)';
COMMENT ON COLUMN complaint.referrer IS
    'owner intake: the referring body by name, e.g. the regulator''s hotline office';
COMMENT ON COLUMN complaint.referrer_ticket IS
    'owner intake: the referring body''s own ticket number, quoted in the reply back';
COMMENT ON COLUMN complaint.referrer_due_at IS
    'owner intake: when the referring body wants the bank''s reply back (NULL: the policy''s span)';
