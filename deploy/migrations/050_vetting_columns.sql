SET LOCAL ROLE complaints_owner;
-- 050_vetting_columns.sql — who proposed, approved or returned a case's
-- decision, and when, as columns of the case (issue 16 follow-up, vetting2;
-- docs/lifecycle.md "Vetting").
--
-- Until now the approver was found by reading the audit trail backwards
-- (the last `approve` row): every reader (show, the case file, HTML and
-- JSON) repeated that search, and the notifier, which has no right to read
-- case_action, could not know it at all. Intake writes these columns in the
-- same transaction as the action (case_vetting.c), as it already wrote
-- proposed_by (migration 037):
--
--   propose   proposed_by, proposed_at; the approval and return columns of
--             an earlier round cleared
--   approve   approved_by, approved_at
--   return    returned_by, returned_at: the proposal on record (its rows of
--             complaint_outcome) is a returned one, shown as such and not as
--             the case's outcomes until the next proposal replaces it
--   resolve   (a direct decision) all six cleared: nothing was vetted
--
-- The audit trail stays the record of every round; these columns are the
-- current one. No trigger watches them (migration 029's WHEN does not list
-- them): they do not change the clocks.

ALTER TABLE complaint
    ADD COLUMN proposed_at  timestamptz,
    ADD COLUMN approved_by  text,
    ADD COLUMN approved_at  timestamptz,
    ADD COLUMN returned_by  text,
    ADD COLUMN returned_at  timestamptz;
COMMENT ON COLUMN complaint.proposed_at IS
    'when proposed_by proposed the decision on record (issue 16 follow-up); NULL after a direct resolve';
COMMENT ON COLUMN complaint.approved_by IS
    'the staff id who approved the proposal on record (never its proposer); NULL while not approved';
COMMENT ON COLUMN complaint.returned_by IS
    'the staff id who returned the proposal on record; its outcomes are then a returned proposal, not the case''s';

-- Backfill from the audit trail: the last proposal of each case still
-- carrying a proposer, and the approval or return that followed it.
UPDATE complaint c
   SET proposed_at = p.at,
       approved_by = ap.actor, approved_at = ap.at,
       returned_by = rt.actor, returned_at = rt.at
  FROM (SELECT DISTINCT ON (a.complaint_id) a.complaint_id, a.id, a.at
          FROM case_action a WHERE a.action = 'propose'
         ORDER BY a.complaint_id, a.id DESC) p
  LEFT JOIN LATERAL (SELECT a.actor, a.at FROM case_action a
                      WHERE a.complaint_id = p.complaint_id AND a.action = 'approve'
                        AND a.id > p.id ORDER BY a.id DESC LIMIT 1) ap ON true
  LEFT JOIN LATERAL (SELECT a.actor, a.at FROM case_action a
                      WHERE a.complaint_id = p.complaint_id AND a.action = 'return'
                        AND a.id > p.id ORDER BY a.id DESC LIMIT 1) rt ON true
 WHERE c.id = p.complaint_id AND c.proposed_by IS NOT NULL;
