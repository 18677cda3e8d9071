SET LOCAL ROLE complaints_owner;
-- 034_evidence.sql — evidence kept with a case (issue 16 §3 "Evidence").
--
-- A case's evidence is what the customer or staff hand in beside the
-- complaint's text: a bill, a contract page, a screenshot (document); a
-- call recording, held by the telephony system and referred to here
-- (recording_ref); an e-mail's attachment (email_attachment, uploaded by
-- the mail adapter). Each row keeps its name, media type, size and
-- SHA-256 (computed by intake, never taken from the client), who handed
-- it in (a staff id, or the adapter's key name), where it came from
-- (source: the e-mail's Message-ID) and when (app_now (): the store's
-- clock, as every time of a case).
--
-- Where the bytes live. A document's bytes are kept here, in `content`:
-- one store, one backup, one transaction with the audit row, and the
-- evidence is kept exactly as long as the case is (no second system whose
-- retention could drift from the case's). That is sound only while items
-- are small, so they are bounded: one item travels in one intake request
-- (REQUEST_EVIDENCE_MAX_BYTES, proto/request.h: under the 256 KiB request
-- frame) and a case holds at most EVIDENCE_MAX_CASE_BYTES
-- (services/intake/case_evidence.h). A recording is tens of megabytes and
-- already kept by the call system under its own retention: only its
-- reference (the recording system's id or URI) is stored, content NULL,
-- its sha256 that of the reference text. STORAGE EXTERNAL: the documents
-- (PDF, JPEG, PNG) are compressed already; TOAST would only spend CPU.
--
-- A re-sent attachment (the same bytes under the same name) is not stored
-- twice: UNIQUE (complaint_id, sha256, name). Append-only, like the audit
-- trail: evidence is never edited or removed while the case exists.

CREATE TABLE evidence (
    complaint_id    bigint NOT NULL REFERENCES complaint (id),
    seq             integer NOT NULL CHECK (seq > 0),
    kind            text NOT NULL
                    CHECK (kind IN ('document', 'recording_ref', 'email_attachment')),
    name            text NOT NULL CHECK (char_length (name) BETWEEN 1 AND 255),
    media_type      text NOT NULL CHECK (char_length (media_type) BETWEEN 3 AND 127),
    size            bigint NOT NULL CHECK (size >= 0),
    sha256          bytea NOT NULL CHECK (octet_length (sha256) = 32),
    uploader        text NOT NULL,
    uploader_role   text NOT NULL,
    source          text CHECK (char_length (source) <= 998),
    stored_at       timestamptz NOT NULL,
    content         bytea,
    reference       text CHECK (char_length (reference) <= 1024),
    PRIMARY KEY (complaint_id, seq),
    CONSTRAINT evidence_once UNIQUE (complaint_id, sha256, name),
    CONSTRAINT evidence_bytes_or_reference CHECK (
        CASE kind WHEN 'recording_ref' THEN content IS NULL AND reference IS NOT NULL
                  ELSE content IS NOT NULL AND reference IS NULL
                       AND octet_length (content) = size END)
);
ALTER TABLE evidence ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE FUNCTION evidence_append_only () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'evidence is append-only' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER evidence_append_only BEFORE UPDATE OR DELETE ON evidence
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only ();

COMMENT ON TABLE evidence IS
    'owner: intake | a case''s evidence: documents (bytes), recording references, e-mail '
    'attachments; append-only';

GRANT SELECT, INSERT ON evidence TO complaints_intake;
