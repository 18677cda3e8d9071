SET LOCAL ROLE complaints_owner;
-- 037_vetting_outcomes.sql — vetting, several outcomes, the answer for the
-- customer (issue 16 §1; docs/lifecycle.md "Vetting"; proto/lifecycle.c's
-- design notes).
--
-- A new open state, `proposed`: a handler's proposed decision awaits the
-- vetting office (seed 003_2e13b8f96210a22c.txt, "如不符合要求那么退回…
-- 重新处理"). complaint_is_open (007) lists the final states, so it already
-- answers true for it; complaint_on_desk likewise (a proposal is still the
-- handler's case until it is approved). Only the CHECK lists every state.
--
-- The outcomes of a decision (proposed or taken) are rows of
-- complaint_outcome, in the order given: a refund AND an apology, each
-- with its amount in CNY and a line of text. A new proposal or resolution
-- replaces the case's rows in the same transaction; the audit trail keeps
-- every proposal (case_action.details.outcomes). The complaint's own
-- resolution_outcome / resolution_amount keep the principal outcome (the
-- first monetary one, else the first) and the total, so every reader of
-- those columns (notifier, analytics through the event, exports) keeps
-- working.

ALTER TABLE complaint DROP CONSTRAINT complaint_state_check;
ALTER TABLE complaint ADD CONSTRAINT complaint_state_check CHECK (state IN
    ('received', 'assigned', 'accepted', 'investigating', 'awaiting_customer',
     'resolved', 'under_review', 'reopened', 'closed', 'rejected', 'withdrawn',
     'proposed'));
ALTER TABLE complaint DROP CONSTRAINT complaint_outcome_check;
ALTER TABLE complaint ADD CONSTRAINT complaint_outcome_check CHECK (resolution_outcome IN
    ('explanation', 'error_corrected', 'refund', 'compensation', 'apology',
     'process_change', 'goodwill'));

ALTER TABLE complaint
    ADD COLUMN customer_text text CHECK (char_length (customer_text) <= 4096),
    ADD COLUMN proposed_by   text;
COMMENT ON COLUMN complaint.customer_text IS
    'the answer the customer reads (propose / resolve customer_text): the decision''s reasons; vetted with the proposal; the internal text stays in the audit trail';
COMMENT ON COLUMN complaint.proposed_by IS
    'the staff id whose proposal awaits vetting or was last approved (never its own approver)';

CREATE TABLE complaint_outcome (
    complaint_id    bigint NOT NULL REFERENCES complaint (id),
    seq             smallint NOT NULL CHECK (seq BETWEEN 1 AND 8),
    kind            text NOT NULL CHECK (kind IN ('explanation', 'error_corrected', 'refund',
                        'compensation', 'apology', 'process_change', 'goodwill')),
    amount          numeric(17, 2) CHECK (amount >= 0),
    currency        text NOT NULL DEFAULT 'CNY' CHECK (currency = 'CNY'),
    text            text CHECK (char_length (text) <= 1000),
    PRIMARY KEY (complaint_id, seq)
);
COMMENT ON TABLE complaint_outcome IS
    'owner: intake | the outcomes of a case''s decision, proposed or taken (issue 16): kind, amount (CNY), text; replaced by a new proposal or resolution';

GRANT SELECT, INSERT, DELETE ON complaint_outcome TO complaints_intake;
GRANT SELECT ON complaint_outcome TO complaints_notifier;
