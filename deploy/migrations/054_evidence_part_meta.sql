SET LOCAL ROLE complaints_owner;
-- 054_evidence_part_meta.sql — parts that never become whole are swept
-- (issue 16 follow-up, adapters2; docs/adapters.md "Attachments: evidence",
-- "Parts that never become whole").
--
-- Parts of an e-mail attachment wait in evidence_part (035) until the part
-- that completes the item joins them. When the rest never comes (the
-- adapter's spool lost, its disk replaced, a bug), the parts stayed there
-- until the retention erased the case: bytes held for years that no one
-- could see, and a customer's attachment the staff never learned of.
-- Intake now sweeps an item whose last part is older than a bound
-- (--evidence-part-hours, 24) into a refused `evidence` row `incomplete`
-- (shown NOT KEPT, complaint.evidence_refused), as every other attachment
-- that could not be kept.
--
-- For that row the sweep needs what the parts' requests declared: the
-- name, the media type, the declared size and SHA-256, and the adapter's
-- key that sent them. They were not stored with the parts (the completing
-- part's request carried them); they are now, on every part (NULL on the
-- parts written before this migration: the sweep writes what it can).
--
-- received_at follows the store's clock (app_now (), as every time of a
-- case), so that the sweep's age is measured on the clock the tests shift.

ALTER TABLE evidence_part
    ADD COLUMN name        text CHECK (char_length (name) BETWEEN 1 AND 255),
    ADD COLUMN media_type  text CHECK (char_length (media_type) BETWEEN 3 AND 127),
    ADD COLUMN size        bigint CHECK (size >= 0),
    ADD COLUMN sha256      bytea CHECK (octet_length (sha256) = 32),
    ADD COLUMN uploader    text CHECK (char_length (uploader) BETWEEN 1 AND 128);
ALTER TABLE evidence_part ALTER COLUMN received_at SET DEFAULT app_now ();

-- The sweep looks for the oldest items; the table is small (items in
-- flight), but the sweep runs every few minutes forever.
CREATE INDEX evidence_part_received ON evidence_part (received_at);

COMMENT ON COLUMN evidence_part.name IS
    'the item''s name as its part request declared it (054): the sweep''s refused row';
COMMENT ON COLUMN evidence_part.size IS
    'the item''s declared size (054), not this part''s';
COMMENT ON COLUMN evidence_part.sha256 IS
    'the item''s declared SHA-256 (054)';
COMMENT ON COLUMN evidence_part.uploader IS
    'the adapter key that sent the part (054)';
