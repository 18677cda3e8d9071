SET LOCAL ROLE complaints_owner;
-- 035_evidence_parts.sql — e-mail attachments as evidence, sent in parts
-- (issue 16 §3 "Evidence ... from the e-mail adapter"; docs/adapters.md
-- "Attachments: evidence").
--
-- The mail adapter takes a message of up to 10 MiB whose attachments may
-- be 8 MiB each; one intake request stays under its 256 KiB frame (every
-- peer, every op: the frame limit is what bounds a client's hold on
-- intake's memory). So an attachment travels in parts of at most 200 KiB,
-- each its own idempotent request. A part waits here, invisible to staff,
-- until the parts cover the declared size; then, in the transaction of the
-- part that completes it, intake joins them in offset order, checks the
-- declared SHA-256 against the joined bytes, writes the one `evidence` row
-- and deletes the parts. A part sent twice (the adapter's spool resends
-- after a crash) hits the primary key and is a no-op.
--
-- An attachment that cannot be kept (over the item limit, over the case's
-- bytes or items, the case finished, parts that do not join to the declared
-- hash) is recorded, not dropped: an `evidence` row with `refused` (the
-- reason) and no bytes, so `show` lists it and the staff know what the
-- customer sent.

ALTER TABLE evidence ADD COLUMN refused text CHECK (char_length (refused) BETWEEN 1 AND 400);
ALTER TABLE evidence DROP CONSTRAINT evidence_bytes_or_reference;
ALTER TABLE evidence ADD CONSTRAINT evidence_bytes_or_reference CHECK (
    CASE WHEN refused IS NOT NULL THEN content IS NULL AND reference IS NULL
         WHEN kind = 'recording_ref' THEN content IS NULL AND reference IS NOT NULL
         ELSE content IS NOT NULL AND reference IS NULL AND octet_length (content) = size END);

-- One e-mail attachment once: source is "<Message-ID>#<part index>".
CREATE UNIQUE INDEX evidence_email_source ON evidence (complaint_id, source)
    WHERE kind = 'email_attachment';

CREATE TABLE evidence_part (
    complaint_id    bigint NOT NULL REFERENCES complaint (id),
    source          text NOT NULL CHECK (char_length (source) BETWEEN 1 AND 998),
    part_offset     bigint NOT NULL CHECK (part_offset >= 0),
    content         bytea NOT NULL CHECK (octet_length (content) > 0),
    received_at     timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (complaint_id, source, part_offset)
);
ALTER TABLE evidence_part ALTER COLUMN content SET STORAGE EXTERNAL;

COMMENT ON TABLE evidence_part IS
    'owner: intake | parts of an e-mail attachment not yet whole (035): joined into evidence '
    'and deleted by the part that completes it';
COMMENT ON COLUMN evidence.refused IS
    'why an attachment was not kept (over a limit, the case finished, a hash mismatch): '
    'the row records it, with no bytes';

GRANT SELECT, INSERT, DELETE ON evidence_part TO complaints_intake;
