SET LOCAL ROLE complaints_owner;
-- 043_case_task.sql — tasks given to cooperating departments (协办, issue 16
-- §1) and rectification items (整改, §2), and the watchdog's clocks for them.
--
-- case_task (owner: intake). One row per thing asked of a department with a
-- deadline of its own:
--   kind 'task'           the lead of a case (its department's handler or
--                         supervisor, or the complaint office) asks a
--                         cooperating department for something (DOMAIN.md:
--                         one first-responsible department, others cooperate);
--                         the department's staff reply (`reply`, done) or the
--                         lead closes it (`closed`);
--   kind 'rectification'  a corrective action asked of a department after a
--                         closed case, a review or a hot spot (seed
--                         004_2f51cd16205a384a.txt 第十二條 "下發整改意見…跟蹤其
--                         整改情況"); done with what was done.
-- The two share one shape (who asked, of whom, what, by when, the answer)
-- and one clock mechanism; a rectification item opened from a hot spot has
-- no case (complaint_id NULL, hotspot the analytics key).
-- `asked` and `reply` are staff text: never on the stream (invariant 8).
--
-- task_clock, task_firing (owner: watchdog). The watchdog reads case_task
-- and writes only these. A clock row is planted when the watchdog
-- recomputes the case (every task action changes the case row, whose
-- trigger marks it sla_dirty: the durable queue the SLA clocks already
-- use), or, for an item with no case, by a sweep through the partial index
-- case_task_caseless_open. next_fire_at is the next step's time (partial
-- index: the due query's cost grows with what is due, not with what is
-- open); a firing row per (task, step), inserted with its event in one
-- statement (ON CONFLICT DO NOTHING ... RETURNING feeds the outbox), makes
-- each reminder and chase happen once whatever the number of watchdogs.

CREATE TABLE case_task (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('task', 'rectification')),
    complaint_id    bigint REFERENCES complaint (id),
    hotspot         text CHECK (char_length (hotspot) <= 200),
    department      text NOT NULL REFERENCES department (id),
    owner           text REFERENCES staff (id),          -- a person; NULL: the department
    lead_department text,                                 -- who asked (the case's department)
    asked           text NOT NULL CHECK (char_length (asked) BETWEEN 1 AND 8000),
    given_by        text NOT NULL,
    given_role      text NOT NULL,
    opened_at       timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    due_text        text NOT NULL,                        -- as asked: '2wd', '2026-12-20 18:00'
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'closed')),
    reply           text CHECK (char_length (reply) <= 8000),
    replied_by      text,
    ended_at        timestamptz,
    chases          integer NOT NULL DEFAULT 0,
    CONSTRAINT case_task_origin CHECK (complaint_id IS NOT NULL OR hotspot IS NOT NULL),
    CONSTRAINT case_task_ended CHECK ((state = 'open') = (ended_at IS NULL))
);
CREATE INDEX case_task_complaint ON case_task (complaint_id);
CREATE INDEX case_task_open_department ON case_task (department) WHERE state = 'open';
CREATE INDEX case_task_caseless_open ON case_task (id)
    WHERE complaint_id IS NULL AND state = 'open';
COMMENT ON TABLE case_task IS
    'owner: intake | tasks given to cooperating departments (协办) and rectification items '
    '(整改): what, of whom, by when, the answer';

CREATE TABLE task_clock (
    task_id         bigint PRIMARY KEY REFERENCES case_task (id),
    next_step       text CHECK (next_step IN ('due_soon', 'overdue')),
    next_fire_at    timestamptz,
    planted_at      timestamptz NOT NULL,
    planted_by      text NOT NULL
);
CREATE INDEX task_clock_due ON task_clock (next_fire_at) WHERE next_fire_at IS NOT NULL;
COMMENT ON TABLE task_clock IS
    'owner: watchdog | the next reminder or chase of each open task and rectification item';

CREATE TABLE task_firing (
    task_id         bigint NOT NULL REFERENCES case_task (id),
    step            text NOT NULL CHECK (step IN ('due_soon', 'overdue')),
    due_at          timestamptz NOT NULL,
    fired_at        timestamptz NOT NULL,
    fired_by        text NOT NULL,
    PRIMARY KEY (task_id, step)
);
COMMENT ON TABLE task_firing IS
    'owner: watchdog | each task''s reminder (due_soon) and chase (overdue): once';

GRANT SELECT, INSERT, UPDATE ON case_task TO complaints_intake;
GRANT USAGE ON SEQUENCE case_task_id_seq TO complaints_intake;
GRANT SELECT ON case_task TO complaints_watchdog;
GRANT SELECT, INSERT, UPDATE, DELETE ON task_clock, task_firing TO complaints_watchdog;

-- The notifier's recipient kind task_department (notify_rules.h: the
-- handlers and supervisors of the department a task is asked of) is a
-- recipient_kind of its rows.
ALTER TABLE notification DROP CONSTRAINT notification_recipient_kind_check;
ALTER TABLE notification ADD CONSTRAINT notification_recipient_kind_check CHECK (recipient_kind IN
    ('customer', 'handler', 'supervisor', 'department_head', 'complaint_office', 'management',
     'task_department'));
