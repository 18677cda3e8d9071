SET LOCAL ROLE complaints_owner;
-- 030_review_owner.sql — an independent review needs to remember whose
-- decision it reviews (issue 15 §1 "Review is not independent";
-- docs/lifecycle.md "Review").
--
-- A `review` moves the case to the reviewing body (the deciding
-- department's superior branch, else the head office's complaint office)
-- and its decision — `reopen`, or `close` as review_upheld — may be taken
-- only by staff not of the department that decided. That department and
-- the handler it had are kept here when the review starts: the reviewer's
-- independence is checked against them, and a `reopen` sends the case back
-- to them for the new investigation. Intake writes both (the act's
-- transaction, services/intake/case_action.c); NULL on a case never
-- reviewed (a review begun before this file falls back to the case's
-- department).

ALTER TABLE complaint
    ADD COLUMN decided_by        text REFERENCES department (id),
    ADD COLUMN decided_handler   text REFERENCES staff (id);

COMMENT ON COLUMN complaint.decided_by IS
    'owner intake: the department whose decision is (or was last) under review; its staff may not decide the review';
COMMENT ON COLUMN complaint.decided_handler IS
    'owner intake: the handler of that decision; a reopen gives the case back to them';
