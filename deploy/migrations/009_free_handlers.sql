-- 009_free_handlers.sql — who can take one more case, defined once; the
-- routers lock only departments where someone can (issue 11).
--
-- Measured (tests/bench/pipeline.sh, 1000/s): the two routers spent most of
-- their time on the staff rows. Every assignment batch locked the staff of
-- every department it touched and called pick_handler per complaint, which
-- counted each handler's desk again — also when every handler of the
-- department was full and the answer could only be "nobody" (the usual
-- case under load: the demo directory's handlers are full after a few dozen
-- cases). The routers queued behind each other's staff locks (72 ms mean
-- wait per batch) and the assignment cost ~0.8 ms a complaint.
--
-- Now "free" is one view, staff_free_capacity; pick_handler chooses among
-- its rows, and free_handler_departments tells a router, without a lock,
-- which of its departments have anyone free. The router locks and picks
-- only there; a complaint for a department with nobody free goes to the
-- department's queue without touching a staff row. A handler freed between
-- that check and the router's commit is seen by the next batch — as if the
-- case had come a moment earlier; nothing waits on a lock to learn it.

-- A member of staff who may be given one more case now: active, on duty,
-- with an A/B role, a handler or supervisor, with fewer cases on their desk
-- (complaint_on_desk, 007) than their capacity.
CREATE VIEW staff_free_capacity AS
SELECT s.id, s.department, s.ab_role, l.open_cases, s.capacity
  FROM staff s
 CROSS JOIN LATERAL (
        SELECT count (*) AS open_cases FROM complaint c
         WHERE c.handler = s.id AND complaint_on_desk (c.state)) l
 WHERE s.active AND s.on_duty AND s.ab_role IS NOT NULL
   AND s.role IN ('handler', 'supervisor')
   AND l.open_cases < s.capacity;
COMMENT ON VIEW staff_free_capacity IS
    'staff who may be given one more case now (the one definition: pick_handler, '
    'free_handler_departments)';

-- pick_handler (002, 007): the same choice — A role before B, then the
-- emptiest desk, then id — from the view. The staff rows are locked FOR NO
-- KEY UPDATE, not FOR UPDATE: pickers still queue behind each other, but
-- the foreign-key check of a complaint naming a handler (FOR KEY SHARE on
-- the staff row) no longer waits for them. The daemons lock complaints the
-- same way, for the same reason: notification, sla_clock and case_action
-- rows reference the case, and their inserts must not wait for a watchdog
-- or a router holding it.
CREATE OR REPLACE FUNCTION pick_handler (dept text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    chosen text;
BEGIN
    PERFORM 1 FROM staff WHERE department = dept AND active ORDER BY id FOR NO KEY UPDATE;
    SELECT f.id INTO chosen
      FROM staff_free_capacity f
     WHERE f.department = dept
     ORDER BY f.ab_role, f.open_cases, f.id
     LIMIT 1;
    RETURN chosen;
END $$;

-- Of the departments given, those with someone free now. No lock: a hint
-- for whom to lock (the router), the choice itself stays pick_handler's.
CREATE FUNCTION free_handler_departments (depts text[]) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT f.department FROM staff_free_capacity f WHERE f.department = ANY (depts)
$$;
COMMENT ON FUNCTION free_handler_departments (text[]) IS
    'the departments of $1 with a member of staff free now (staff_free_capacity); no lock';

-- The routers' lease (lease_owner, lease_until) changes no indexed column,
-- so it can be a HOT update — if the page has room. A complaint row is
-- written 4–5 times in its first second (intake, the router's lease and
-- assignment, the watchdog's due_at); leave a fifth of each new page free
-- so the lease at least stays on its page without new index entries.
ALTER TABLE complaint SET (fillfactor = 80);
