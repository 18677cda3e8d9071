SET LOCAL ROLE complaints_owner;
-- 022_status_view_identity.sql — the customer's query code for the public
-- status view, and the columns that hold the customer's identity encrypted
-- (issue 13; docs/security.md, "Status view" and "Identity at rest").
--
-- Nothing here can encrypt: the keys are outside the database (the 0600
-- file of --identity-key-file, common/identity_seal.h). The store only
-- keeps what intake computed with them:
--
--   query_code_hash      keyed BLAKE2b of the code (key id first), compared
--                        by intake in constant time; never the code itself
--   query_code_sealed    the code sealed (XChaCha20-Poly1305, the complaint
--                        number in the associated data): an idempotent retry
--                        of the submit answers the same code, and the
--                        notifier puts it in the receipt
--   customer_sealed      name, phone, e-mail, account and ID number as one
--                        sealed msgpack map; NULL when the customer gave none
--   customer_*_hash      keyed hashes of the normalised identifiers, to find
--                        a customer's cases without decrypting anything
--
-- The plaintext columns of migration 001 stay until 023 drops them, after
-- `intake --seal-identity` has sealed the rows written before this file.
--
-- status_guess counts failed status queries per complaint number in the
-- current hour, so many addresses together cannot try many codes against
-- one case. Keyed by the number as asked, whether a complaint has it or not:
-- a refusal must not tell an unknown number from a known one.

ALTER TABLE complaint
    ADD COLUMN query_code_hash        bytea,
    ADD COLUMN query_code_sealed      bytea,
    ADD COLUMN customer_sealed        bytea,
    ADD COLUMN customer_phone_hash    bytea,
    ADD COLUMN customer_email_hash    bytea,
    ADD COLUMN customer_account_hash  bytea,
    ADD COLUMN customer_id_no_hash    bytea;
COMMENT ON COLUMN complaint.query_code_hash IS
    'keyed hash of the customer''s query code (identity_seal.h); NULL: none issued';
COMMENT ON COLUMN complaint.customer_sealed IS
    'the customer''s identity, sealed with the key outside the database (identity_seal.h)';

CREATE INDEX complaint_customer_phone_hash_idx ON complaint (customer_phone_hash)
    WHERE customer_phone_hash IS NOT NULL;
CREATE INDEX complaint_customer_email_hash_idx ON complaint (customer_email_hash)
    WHERE customer_email_hash IS NOT NULL;
CREATE INDEX complaint_customer_account_hash_idx ON complaint (customer_account_hash)
    WHERE customer_account_hash IS NOT NULL;
CREATE INDEX complaint_customer_id_no_hash_idx ON complaint (customer_id_no_hash)
    WHERE customer_id_no_hash IS NOT NULL;

CREATE TABLE status_guess (
    complaint_no  text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    failures      integer NOT NULL CHECK (failures >= 0)
);
COMMENT ON TABLE status_guess IS
    'owner: intake | failed status queries (wrong or missing query code) per complaint number'
    ' in the current hour; rows of past hours are deleted by intake';

GRANT SELECT, INSERT, UPDATE, DELETE ON status_guess TO complaints_intake;
