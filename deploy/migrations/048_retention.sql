SET LOCAL ROLE complaints_owner;
-- 048_retention.sql — erasing a closed case's identity after the retention
-- period, the case kept anonymised (issue 16 §3; docs/records.md).
--
-- Intake runs it (`complaintctl retention run`, services/intake/
-- case_retention.c), one case per transaction:
--   complaint     the sealed identity, the lookup hashes and the query code
--                 go (NULL); subject, body and demand are scrubbed with the
--                 customer's own identifiers (common/privacy); the adapter's
--                 reference (a Message-ID names a mailbox) becomes
--                 'anonymised:<id>'; anonymised_at says when. The pseudonym
--                 stays: the stream carried it already, and without the
--                 identity the store cannot turn it back into a person.
--   case_action   every string in an action's details is scrubbed the same
--                 way (notes, replies, the customer's own words); the rows
--                 stay, so the trail still says who did what when.
--   evidence      a document's bytes are deleted (content NULL, erased_at
--                 set), its name scrubbed; kind, type, size and SHA-256 stay:
--                 the file still proves what was handed in and when.
--   notification  asked through notification_erase_identity (047).
--   the later parts of issue 16 (services/intake/case_retention_texts.c):
--                 complaint.customer_text, staff_concerned, incident_place,
--                 complaint_outcome.text, case_task.asked / reply,
--                 survey.comment, accountability_item.outcome_note scrubbed
--                 the same way; evidence_part rows (an attachment never
--                 joined) deleted; an e-mail attachment's source (its
--                 Message-ID) becomes 'anonymised:<seq>'.
--
-- The audit trail and the evidence stay append-only for everything else:
-- their triggers let an UPDATE through only inside a transaction that set
-- complaints.retention = 'on' (SET LOCAL, intake's retention only), and only
-- on the columns above (intake's grants are column grants). That is a
-- guard against accidents, not against intake itself, which owns the rows.

ALTER TABLE complaint ADD COLUMN anonymised_at timestamptz;
COMMENT ON COLUMN complaint.anonymised_at IS
    'when the retention erased the customer''s identity (NULL: not yet)';
-- The sweep's candidates, so that its cost grows with what is due, not with
-- every case ever closed: closed and not yet anonymised, by closing time;
-- and the few final cases with no closed_at (rejected, withdrawn), which
-- the sweep dates by their last action.
CREATE INDEX complaint_retention_idx ON complaint (closed_at)
    WHERE anonymised_at IS NULL AND closed_at IS NOT NULL;
CREATE INDEX complaint_retention_unclosed_idx ON complaint (id)
    WHERE anonymised_at IS NULL AND closed_at IS NULL AND NOT complaint_is_open (state);

ALTER TABLE evidence ADD COLUMN erased_at timestamptz;
COMMENT ON COLUMN evidence.erased_at IS
    'when the retention deleted the bytes (content NULL; metadata kept)';
ALTER TABLE evidence DROP CONSTRAINT evidence_bytes_or_reference;
ALTER TABLE evidence ADD CONSTRAINT evidence_bytes_or_reference CHECK (
    CASE WHEN refused IS NOT NULL THEN content IS NULL AND reference IS NULL    -- 035
         WHEN kind = 'recording_ref' THEN content IS NULL AND reference IS NOT NULL
         WHEN erased_at IS NOT NULL THEN content IS NULL AND reference IS NULL
         ELSE content IS NOT NULL AND reference IS NULL AND octet_length (content) = size END);

CREATE OR REPLACE FUNCTION evidence_append_only () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting ('complaints.retention', true) = 'on'
       AND NEW.erased_at IS NOT NULL AND NEW.content IS NULL
       AND NEW.complaint_id = OLD.complaint_id AND NEW.seq = OLD.seq
       AND NEW.sha256 = OLD.sha256 AND NEW.size = OLD.size THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'evidence is append-only' USING ERRCODE = 'restrict_violation';
END $$;

CREATE OR REPLACE FUNCTION case_action_append_only () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting ('complaints.retention', true) = 'on' THEN
        RETURN NULL;        -- a statement trigger: the return value is ignored
    END IF;
    RAISE EXCEPTION 'case_action is append-only' USING ERRCODE = 'restrict_violation';
END $$;

GRANT UPDATE (content, name, erased_at, source) ON evidence TO complaints_intake;
GRANT UPDATE (text) ON complaint_outcome TO complaints_intake;
GRANT UPDATE (details) ON case_action TO complaints_intake;
