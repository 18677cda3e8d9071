SET LOCAL ROLE complaints_owner;
-- 023_identity_plaintext_drop.sql — the customer's identity is held only
-- sealed (022, common/identity_seal.h): the plaintext columns of migration
-- 001 go.
--
-- A store with complaints from before 022 still has plaintext in them, and
-- a migration cannot seal it (the key is outside the database). So this
-- file refuses while any remains, and says what to run: stop intake, run
--     intake --seal-identity          (seals in batches, empties the columns)
-- as intake's role with the key file, then migrate again (docs/security.md,
-- "Identity at rest", the upgrade). On a new store it passes at once.
DO $$
DECLARE
    left_over bigint;
BEGIN
    SELECT count (*) INTO left_over FROM complaint
     WHERE customer_name IS NOT NULL OR customer_phone IS NOT NULL
        OR customer_email IS NOT NULL OR customer_account IS NOT NULL
        OR customer_id_no IS NOT NULL;
    IF left_over > 0 THEN
        RAISE EXCEPTION '% complaints still hold the customer''s identity in plaintext', left_over
            USING HINT = 'Run `intake --seal-identity` (with --identity-key-file), then migrate again.';
    END IF;
END $$;

ALTER TABLE complaint
    DROP COLUMN customer_name,
    DROP COLUMN customer_phone,
    DROP COLUMN customer_email,
    DROP COLUMN customer_account,
    DROP COLUMN customer_id_no;
