-- 049_knowledge_base.sql — typical cases and their answers (业务知识库, seed
-- 003_2e13b8f96210a22c.txt: "…提交到业务知识库"; issue 16 §3; docs/records.md).
--
-- pg_trgm first, as the migrating role (a trusted extension since
-- PostgreSQL 13: the database owner may create it; complaints_owner, the
-- role the rest of the file runs as, need not own the database).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SET LOCAL ROLE complaints_owner;

-- A resolved or closed case promoted by the complaint office (complaintctl
-- kb promote; services/intake/case_kb.c): its business line and cause, a
-- summary of the complaint and the answer, both scrubbed of the customer's
-- identity by intake (common/privacy, with the case's own identifiers)
-- whether the promoter wrote them or they came from the case. One entry per
-- case: promoting again replaces the texts (the promoter's edit).
--
-- Search (kb search, and the staff view's suggestions) works in two
-- languages without a Chinese tokenizer (Debian's PostgreSQL has none):
--   English   full text: `tsv`, to_tsvector ('english'), so "charged" finds
--             "charge"; GIN index.
--   Chinese   substring and trigram: `doc` ILIKE '%年费%' for each word,
--             and similarity () for the ranking; a pg_trgm GIN index serves
--             ILIKE for words of three characters or more. The cluster is
--             UTF8 with locale C.UTF-8 (deploy/scripts/lib.sh), under which
--             pg_trgm counts CJK ideographs as word characters (the records
--             test checks show_trgm on Chinese). A two-character word (年费)
--             has no whole trigram, so it is matched by a scan of the
--             entries: fine for a knowledge base of thousands of entries.
CREATE TABLE kb_entry (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id    bigint NOT NULL UNIQUE REFERENCES complaint (id),
    business_line   text,
    cause           text,
    lang            text NOT NULL,
    summary         text NOT NULL CHECK (char_length (summary) BETWEEN 1 AND 4000),
    answer          text NOT NULL CHECK (char_length (answer) BETWEEN 1 AND 4000),
    promoted_by     text NOT NULL,
    promoted_at     timestamptz NOT NULL,
    doc             text GENERATED ALWAYS AS (summary || ' ' || answer) STORED,
    tsv             tsvector GENERATED ALWAYS AS
                        (to_tsvector ('english'::regconfig, summary || ' ' || answer)) STORED
);
CREATE INDEX kb_entry_class_idx ON kb_entry (business_line, cause);
CREATE INDEX kb_entry_tsv_idx ON kb_entry USING gin (tsv);
CREATE INDEX kb_entry_doc_trgm_idx ON kb_entry USING gin (doc gin_trgm_ops);

COMMENT ON TABLE kb_entry IS
    'owner: intake | the knowledge base of typical cases: a promoted case''s class, '
    'summary and answer, identity scrubbed';

GRANT SELECT, INSERT, UPDATE ON kb_entry TO complaints_intake;

-- The suggestions of a case (issue 16 §3: "the router suggests matching
-- entries on assignment"), declared once and asked by two: intake's staff
-- view (case_kb.c) and the notifier's assignment notice to the handler
-- (notify_store.c, placeholder {{kb_suggestions}}). Computed when asked —
-- the router writes none of intake's tables, and an entry promoted after
-- the assignment is suggested too. Up to p_limit entries of the case's
-- business line, its cause first, then by trigram similarity of the entry
-- to the case's subject and text; never the entry made from the case
-- itself. promoted_at in ms since the epoch; score rounded to 3 places.
CREATE FUNCTION kb_suggest (p_complaint_id bigint, p_limit integer)
RETURNS TABLE (id bigint, complaint_no text, business_line text, cause text, lang text,
               summary text, answer text, promoted_by text, promoted_at bigint, score text)
LANGUAGE sql STABLE AS $$
    SELECT k.id, c.complaint_no, coalesce (k.business_line, ''), coalesce (k.cause, ''),
           k.lang, k.summary, k.answer, k.promoted_by,
           (extract (epoch FROM k.promoted_at) * 1000)::bigint,
           round (similarity (k.doc, coalesce (s.subject, '') || ' ' || s.body)::numeric,
                  3)::text
      FROM complaint s
      JOIN kb_entry k ON k.business_line = s.business_line
      JOIN complaint c ON c.id = k.complaint_id
     WHERE s.id = p_complaint_id AND k.complaint_id <> s.id
     ORDER BY (k.cause IS NOT DISTINCT FROM s.cause) DESC,
              similarity (k.doc, coalesce (s.subject, '') || ' ' || s.body) DESC, k.id DESC
     LIMIT least (greatest (p_limit, 0), 10)
$$;
COMMENT ON FUNCTION kb_suggest (bigint, integer) IS
    'interface of the intake: the knowledge-base entries suggested for a case';
ALTER FUNCTION kb_suggest (bigint, integer) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION kb_suggest (bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kb_suggest (bigint, integer) TO complaints_intake, complaints_notifier;
