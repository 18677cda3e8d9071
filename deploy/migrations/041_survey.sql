SET LOCAL ROLE complaints_owner;
-- 041_survey.sql — the satisfaction survey (issue 16 §2; docs/followup.md;
-- seed 000 "主动进行客户满意度调查", seed 002 "客户满意度调查体系").
--
-- One survey per case, made by intake in the transaction of the first
-- decision (resolve): its link goes to the customer in the resolution
-- message (the notifier opens the sealed copy, as it opens the query code)
-- and is answered through the web adapter (intake `survey`), or at the
-- call-back (`callback` with a score). It expires (intake
-- --survey-days). The token is "<complaint_no>.<128 bits hex>"; the store
-- keeps the secret's keyed hash (identity_seal_hash, key id first: a key
-- rotation leaves the hash comparable) and a sealed copy bound to the
-- complaint (identity_seal_seal, purpose "survey"), never the token.
--
--   answered_at, score, comment, channel   the answer, once (NULL: none yet)
-- The comment is the customer's free text: it stays here and in the audit
-- row, never on the stream (complaint.survey_answered: score and channel).

CREATE TABLE survey (
    complaint_id    bigint PRIMARY KEY REFERENCES complaint (id),
    token_hash      bytea NOT NULL,
    token_sealed    bytea NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    answered_at     timestamptz,
    score           smallint CHECK (score BETWEEN 1 AND 5),
    comment         text CHECK (char_length (comment) <= 1000),
    channel         text CHECK (channel IN ('web', 'callback')),
    CONSTRAINT survey_answer_whole CHECK ((answered_at IS NULL) = (score IS NULL)
                                          AND (answered_at IS NULL) = (channel IS NULL))
);

COMMENT ON TABLE survey IS
    'owner: intake | one satisfaction survey per case: the link''s hashed and sealed token, '
    'its expiry, the answer (web or call-back)';

GRANT SELECT, INSERT, UPDATE ON survey TO complaints_intake;
-- the notifier prints the link into the resolution message
GRANT SELECT (complaint_id, token_sealed, expires_at, answered_at) ON survey
    TO complaints_notifier;
