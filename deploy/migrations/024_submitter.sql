SET LOCAL ROLE complaints_owner;
-- 024_submitter.sql — a reference belongs to the client that submitted it
-- (issue 13, "Authenticated, encrypted transport"; docs/security.md
-- "Transport (CURVE)", proto/PROTOCOL.md "Idempotency").
--
-- Until now a complaint was unique on (channel, ref): any client that could
-- reach intake and guessed (or saw) another adapter's reference got that
-- adapter's complaint number back as a "duplicate" — and an adapter could
-- squat references another would use later, so their complaints were never
-- created. Now every client has its own CURVE certificate, and intake knows
-- who sent each submit (the certificate's name). A complaint is unique on
-- (submitter, channel, ref): adapter B sending adapter A's reference gets a
-- complaint of its own and never learns A's number; A's retries still find
-- A's.
--
-- Why the channel stays in the key: a staff or operator certificate may
-- submit for every channel (an import of a CFPB export whose references are
-- unique per channel only), and every row already stored satisfies the new
-- key because it satisfied (channel, ref).
--
-- submitter is the certificate's name ("local" for a plaintext client on
-- loopback with --curve off). Rows from before this migration came through
-- plaintext: they get "local", so a client retrying a reference from before
-- the switch to CURVE creates a new complaint under its own name (a
-- one-time effect of the switch, docs/security.md).

ALTER TABLE complaint
    ADD COLUMN submitter text NOT NULL DEFAULT 'local',
    ADD CONSTRAINT complaint_submitter_nonempty CHECK (submitter <> '');
ALTER TABLE complaint DROP CONSTRAINT complaint_channel_ref_key;
ALTER TABLE complaint
    ADD CONSTRAINT complaint_submitter_channel_ref_key UNIQUE (submitter, channel, ref);
COMMENT ON COLUMN complaint.submitter IS
    'the CURVE certificate name of the client that submitted it (local: plaintext on loopback); '
    'ref is unique per submitter and channel';
