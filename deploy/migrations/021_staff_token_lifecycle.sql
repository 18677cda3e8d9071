SET LOCAL ROLE complaints_owner;
-- 021_staff_token_lifecycle.sql — staff tokens issued, expiring and revoked
-- in the store, one source of truth (issue 13, "Staff tokens with a
-- lifecycle"; docs/security.md, "Staff tokens").
--
-- Until now every router replaced the whole staff_token table with the
-- hashes of its own tokens file at each directory sync, so a router started
-- with an old file brought revoked tokens back, and deleted tokens another
-- router's file did not list. From here:
--
--   - a token's life is three columns of its row: issued_at, expires_at
--     (NULL: never), revoked_at (with revoked_by and revoke_reason). Intake
--     refuses a token that is revoked or past expires_at (staff_auth.c).
--   - the router only seeds: it INSERTs its file's hashes that the store does
--     not hold yet (ON CONFLICT DO NOTHING). It keeps SELECT and INSERT on
--     staff_token and loses UPDATE and DELETE, so no file of any age can
--     clear revoked_at or remove a token issued elsewhere: the store refuses.
--   - complaintctl issues, revokes and lists through the three functions
--     below (SECURITY DEFINER, executable by complaints_ctl only); it gets no
--     right on the table itself and never sees a whole hash.

ALTER TABLE staff_token
    ADD COLUMN issued_at     timestamptz NOT NULL DEFAULT now (),
    ADD COLUMN issued_by     text,
    ADD COLUMN expires_at    timestamptz,
    ADD COLUMN revoked_at    timestamptz,
    ADD COLUMN revoked_by    text,
    ADD COLUMN revoke_reason text,
    ADD CONSTRAINT staff_token_revoked_by CHECK (revoked_at IS NULL OR revoked_by IS NOT NULL);
UPDATE staff_token SET issued_at = loaded_at;
COMMENT ON COLUMN staff_token.expires_at IS 'NULL: never expires (tokens seeded from a tokens file)';
COMMENT ON COLUMN staff_token.revoked_at IS 'set once by staff_token_revoke; never cleared';

REVOKE UPDATE, DELETE ON staff_token FROM complaints_router;

-- Issue: the caller made the token and hands only its SHA-256 (hex). Returns
-- the new row's issued_at. An unknown or inactive member of staff is refused.
CREATE FUNCTION staff_token_issue (p_staff_id text, p_sha256_hex text,
                                   p_expires_in interval, p_by text)
RETURNS timestamptz LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
    issued timestamptz;
BEGIN
    IF p_sha256_hex !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'a token hash is 64 lower-case hex characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_expires_in IS NOT NULL AND p_expires_in <= interval '0' THEN
        RAISE EXCEPTION 'a token expires in the future' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM 1 FROM staff WHERE id = p_staff_id AND active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no active member of staff %', p_staff_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO staff_token (token_sha256, staff_id, issued_at, issued_by, expires_at)
    VALUES (decode (p_sha256_hex, 'hex'), p_staff_id, now (), p_by, now () + p_expires_in)
    RETURNING issued_at INTO issued;
    RETURN issued;
END $$;

-- Revoke: the tokens whose hash starts with p_hash_prefix (hex, at least 8
-- characters, as `token list` prints it; one token), or with p_hash_prefix
-- NULL every live token of p_staff_id. A revoked token stays revoked: its
-- revoked_at is never moved or cleared. Returns the rows revoked now.
CREATE FUNCTION staff_token_revoke (p_hash_prefix text, p_staff_id text, p_by text,
                                    p_reason text)
RETURNS TABLE (staff_id text, hash_prefix text, revoked_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n int;
BEGIN
    IF p_by IS NULL OR p_by = '' THEN
        RAISE EXCEPTION 'who revokes is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_hash_prefix IS NOT NULL THEN
        IF p_hash_prefix !~ '^[0-9a-f]{8,64}$' THEN
            RAISE EXCEPTION 'a token id is 8 to 64 lower-case hex characters'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT count (*) INTO n FROM staff_token t
         WHERE starts_with (encode (t.token_sha256, 'hex'), p_hash_prefix)
           AND (p_staff_id IS NULL OR t.staff_id = p_staff_id);
        IF n > 1 THEN
            RAISE EXCEPTION 'token id % is ambiguous (% tokens): give more of it', p_hash_prefix, n
                USING ERRCODE = 'cardinality_violation';
        END IF;
    ELSIF p_staff_id IS NULL THEN
        RAISE EXCEPTION 'a token id or a member of staff is required'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    UPDATE staff_token t SET revoked_at = now (), revoked_by = p_by, revoke_reason = p_reason
     WHERE t.revoked_at IS NULL
       AND (p_hash_prefix IS NULL OR starts_with (encode (t.token_sha256, 'hex'), p_hash_prefix))
       AND (p_staff_id IS NULL OR t.staff_id = p_staff_id)
    RETURNING t.staff_id, left (encode (t.token_sha256, 'hex'), 12), t.revoked_at;
END $$;

-- List: every token, or one member of staff's; the hash as its first 12 hex
-- characters (enough to revoke by, not the whole hash).
CREATE FUNCTION staff_token_list (p_staff_id text)
RETURNS TABLE (staff_id text, hash_prefix text, issued_at timestamptz, issued_by text,
               expires_at timestamptz, revoked_at timestamptz, revoked_by text,
               revoke_reason text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT t.staff_id, left (encode (t.token_sha256, 'hex'), 12), t.issued_at, t.issued_by,
           t.expires_at, t.revoked_at, t.revoked_by, t.revoke_reason
      FROM staff_token t
     WHERE p_staff_id IS NULL OR t.staff_id = p_staff_id
     ORDER BY t.staff_id, t.issued_at, 2
$$;

REVOKE EXECUTE ON FUNCTION staff_token_issue (text, text, interval, text),
    staff_token_revoke (text, text, text, text), staff_token_list (text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION staff_token_issue (text, text, interval, text),
    staff_token_revoke (text, text, text, text), staff_token_list (text) TO complaints_ctl;
