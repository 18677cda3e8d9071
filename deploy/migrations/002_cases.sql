-- 002_cases.sql — the complaint becomes a case: organisation, staff,
-- classification, assignment, actions and their audit trail.
--
-- The lifecycle itself (states, actions, who may do what) is declared once,
-- in proto/lifecycle.c; the CHECK constraints below only keep the columns
-- inside its vocabulary, so a bug can never store a state the code does not
-- know. docs/lifecycle.md draws the machine.

-- --- Organisation ----------------------------------------------------------
-- Loaded from deploy/org/directory.conf by the router (on start and SIGHUP),
-- never edited by hand here. Rows are never deleted: a department or person
-- who leaves is marked inactive, because the audit trail still names them.

CREATE TABLE department (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN
                    ('head_office', 'department', 'branch', 'outlet', 'complaint_office')),
    parent      text REFERENCES department (id),
    -- '/head_office/branch_bj/outlet_bj_haidian/': a supervisor's subtree is
    -- every department whose path starts with theirs
    path        text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    loaded_at   timestamptz NOT NULL DEFAULT now ()
);

CREATE TABLE staff (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    department  text NOT NULL REFERENCES department (id),
    role        text NOT NULL CHECK (role IN
                    ('handler', 'supervisor', 'complaint_office', 'manager')),
    ab_role     text CHECK (ab_role IN ('A', 'B')),     -- NULL: neither
    on_duty     boolean NOT NULL DEFAULT true,
    capacity    integer NOT NULL DEFAULT 20 CHECK (capacity >= 0),
    email       text,                                   -- for the notifier
    phone       text,
    active      boolean NOT NULL DEFAULT true,
    loaded_at   timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX staff_department_idx ON staff (department) WHERE active;

-- A staff member proves who they are with a random token; only its SHA-256
-- is stored (a token is 256 random bits, so a plain hash is enough: there is
-- nothing to guess that a slow hash would protect).
CREATE TABLE staff_token (
    token_sha256    bytea PRIMARY KEY CHECK (length (token_sha256) = 32),
    staff_id        text NOT NULL REFERENCES staff (id),
    loaded_at       timestamptz NOT NULL DEFAULT now ()
);

-- --- The case --------------------------------------------------------------

ALTER TABLE complaint
    ADD COLUMN handler              text REFERENCES staff (id),
    ADD COLUMN cooperating          text[] NOT NULL DEFAULT '{}',   -- departments
    ADD COLUMN business_line        text,
    ADD COLUMN cause                text,
    ADD COLUMN jrt_channel          text,       -- JR/T 0169-2018 codes
    ADD COLUMN jrt_business         text,
    ADD COLUMN jrt_cause            text,
    ADD COLUMN priority             smallint CHECK (priority BETWEEN 1 AND 4),
    ADD COLUMN flags                text[] NOT NULL DEFAULT '{}',
    ADD COLUMN major                boolean NOT NULL DEFAULT false,
    ADD COLUMN level                text NOT NULL DEFAULT 'branch'
                                    CHECK (level IN ('branch', 'head_office', 'regulator')),
    ADD COLUMN due_at               timestamptz,  -- resolution deadline (watchdog refines)
    ADD COLUMN accepted_at          timestamptz,
    ADD COLUMN resolved_at          timestamptz,
    ADD COLUMN closed_at            timestamptz,
    ADD COLUMN resolution_outcome   text,
    ADD COLUMN resolution_amount    numeric(17, 2),
    ADD COLUMN satisfied            boolean,
    ADD COLUMN reject_reason        text,
    ADD COLUMN duplicate_of         text,
    ADD CONSTRAINT complaint_state_check CHECK (state IN
        ('received', 'assigned', 'accepted', 'investigating', 'awaiting_customer',
         'resolved', 'under_review', 'reopened', 'closed', 'rejected', 'withdrawn')),
    ADD CONSTRAINT complaint_outcome_check CHECK (resolution_outcome IN
        ('explanation', 'error_corrected', 'refund', 'compensation', 'apology',
         'process_change'));

-- A handler's open cases, for load-aware assignment and `queue`: only open
-- cases are indexed, so the count costs what a person has on their desk.
CREATE INDEX complaint_handler_open_idx ON complaint (handler, priority, due_at)
    WHERE state IN ('assigned', 'accepted', 'investigating', 'awaiting_customer',
                    'under_review', 'reopened');
-- A department's queue (cases without a handler, or all of a department's).
CREATE INDEX complaint_department_open_idx ON complaint (department, priority, due_at)
    WHERE state IN ('assigned', 'accepted', 'investigating', 'awaiting_customer',
                    'resolved', 'under_review', 'reopened');

-- --- The audit trail -------------------------------------------------------
-- One row per change to a case, by a person (an action through intake) or by
-- the system (the router's assignment). Written in the same transaction as
-- the change and its outbox row; never updated, never deleted.

CREATE TABLE case_action (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id    bigint NOT NULL REFERENCES complaint (id),
    at              timestamptz NOT NULL DEFAULT now (),
    actor           text NOT NULL,      -- staff id, or 'router:<instance>'
    actor_role      text NOT NULL,      -- staff role, or 'system'
    action          text NOT NULL,      -- lifecycle action, or 'assign'
    state_before    text NOT NULL,
    state_after     text NOT NULL,
    version_after   integer NOT NULL,
    details         jsonb NOT NULL DEFAULT '{}'   -- the action's fields (notes included)
);
CREATE INDEX case_action_complaint_idx ON case_action (complaint_id, id);

CREATE FUNCTION case_action_append_only () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_action is append-only' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER case_action_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON case_action
    FOR EACH STATEMENT EXECUTE FUNCTION case_action_append_only ();

-- --- Choosing a handler ----------------------------------------------------
-- One definition, used by the router (new cases) and by intake (a transfer):
-- the department's A role on duty with the fewest open cases under capacity,
-- else its B role likewise; NULL leaves the case in the department's queue.
--
-- The department's staff rows are locked (in id order, so two callers never
-- deadlock) until the caller's transaction ends: two routers choosing for
-- one department take turns, and each sees the other's committed choice, so
-- nobody is pushed over capacity. Within one transaction, each call sees the
-- choices made before it, even by earlier rows of the same UPDATE (a VOLATILE
-- function takes a fresh snapshot for each query it runs), so a batch of
-- cases is spread over the department rather than piled on one person.
CREATE FUNCTION pick_handler (dept text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    chosen text;
BEGIN
    PERFORM 1 FROM staff WHERE department = dept AND active ORDER BY id FOR UPDATE;
    SELECT s.id INTO chosen
      FROM staff s
      CROSS JOIN LATERAL (
            SELECT count (*) AS open_cases FROM complaint c
             WHERE c.handler = s.id
               AND c.state IN ('assigned', 'accepted', 'investigating', 'awaiting_customer',
                               'under_review', 'reopened')) l
     WHERE s.department = dept AND s.active AND s.on_duty
       AND s.ab_role IS NOT NULL AND s.role IN ('handler', 'supervisor')
       AND l.open_cases < s.capacity
     ORDER BY s.ab_role, l.open_cases, s.id
     LIMIT 1;
    RETURN chosen;
END $$;
