SET LOCAL ROLE complaints_owner;
-- 033_complaint_merged.sql — merging (合并处理, issue 16; docs/lifecycle.md
-- "Merging"). A merged case is `rejected` with reject_reason 'merged' and
-- duplicate_of the open case it was merged into (proto/lifecycle.c's
-- design notes: no new state). `get` of that case lists the cases merged
-- into it: this index serves that look-up. No new column: the columns are
-- intake's (migration 002), and their comments say the new value.

CREATE INDEX complaint_merged_into_idx ON complaint (duplicate_of)
    WHERE reject_reason = 'merged';

COMMENT ON COLUMN complaint.reject_reason IS
    'why the case was not handled on its own — reject: duplicate | in_litigation | already_decided | not_a_complaint | outside_scope | unverifiable (proto/lifecycle.c); merge: merged';
COMMENT ON COLUMN complaint.duplicate_of IS
    'the complaint this one duplicates (reject, reason duplicate) or was merged into (merge)';
