-- 003_sla.sql — the SLA clocks: the store's clock, deadlines as timer rows,
-- what has fired, and the extension rules staff actions are checked against.
--
-- The watchdog (services/watchdog, docs/watchdog.md) owns sla_clock and
-- sla_firing. Every change to a case marks it sla_dirty in the same
-- transaction (a trigger below), so the watchdog can always rebuild a case's
-- clocks from the store: the case row, its audit trail (case_action) and the
-- policy. Due timers are found through a partial index on next_fire_at, so a
-- tick costs what is due, not what is open.

-- --- The clock ---------------------------------------------------------------
-- Every timestamp the SLA depends on (when a case was received, accepted,
-- paused, resolved; when a timer is due and when it fired) comes from
-- app_now (), never from now () or a process's own clock. In production it IS
-- now (). A test database may shift it forward or scale it (one real second =
-- an hour), so a test runs days of deadlines in seconds against the real
-- daemons and the real store: `complaintctl clock shift 2d`.
--
--     app time = anchor_virtual + (now () - anchor_real) * scale
--
-- Only a database that says so may move its clock (ALTER DATABASE ... SET
-- complaints.test_clock = on, which tests/run.sh does for its databases); in
-- any other the row cannot be changed.

CREATE TABLE app_clock (
    one             boolean PRIMARY KEY DEFAULT true CHECK (one),
    anchor_real     timestamptz NOT NULL DEFAULT '2000-01-01 00:00:00+00',
    anchor_virtual  timestamptz NOT NULL DEFAULT '2000-01-01 00:00:00+00',
    scale           float8 NOT NULL DEFAULT 1 CHECK (scale > 0 AND scale <= 1000000),
    changed_at      timestamptz NOT NULL DEFAULT now ()
);
INSERT INTO app_clock DEFAULT VALUES;

-- The transaction's time (like now (): the same for every statement of one
-- transaction).
CREATE FUNCTION app_now () RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT anchor_virtual + (now () - anchor_real) * scale FROM app_clock
$$;

-- The time this very moment (like clock_timestamp ()): for measuring how
-- late a timer fired.
CREATE FUNCTION app_clock_timestamp () RETURNS timestamptz
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT anchor_virtual + (clock_timestamp () - anchor_real) * scale FROM app_clock
$$;

-- Set the app time to virtual_now, running at new_scale from here on.
-- Returns the new app time. complaintctl clock shift|scale|reset use it.
CREATE FUNCTION app_clock_set (virtual_now timestamptz, new_scale float8)
RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
    UPDATE app_clock SET anchor_real = now (), anchor_virtual = virtual_now, scale = new_scale
    RETURNING anchor_virtual
$$;

CREATE FUNCTION app_clock_guard () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'app_clock has exactly one row' USING ERRCODE = 'restrict_violation';
    END IF;
    IF coalesce (current_setting ('complaints.test_clock', true), '') <> 'on' THEN
        RAISE EXCEPTION 'the clock of this database cannot be moved'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Only a test database may shift or scale time.',
                  HINT = 'ALTER DATABASE <name> SET complaints.test_clock = on, in a test database only.';
    END IF;
    NEW.changed_at := now ();
    -- Wake every watchdog at once: deadlines just moved.
    PERFORM pg_notify ('app_clock', '');
    RETURN NEW;
END $$;
CREATE TRIGGER app_clock_guard BEFORE INSERT OR UPDATE OR DELETE ON app_clock
    FOR EACH ROW EXECUTE FUNCTION app_clock_guard ();
CREATE TRIGGER app_clock_no_truncate BEFORE TRUNCATE ON app_clock
    FOR EACH STATEMENT EXECUTE FUNCTION app_clock_guard ();

-- Domain times default to the app clock (the services set them explicitly
-- too, with app_now ()).
ALTER TABLE case_action ALTER COLUMN at SET DEFAULT app_now ();
ALTER TABLE outbox ALTER COLUMN at SET DEFAULT app_now ();

-- --- Which cases need their clocks recomputed --------------------------------
-- A new case, and any change to a case's state, version (every staff action
-- and every assignment bumps it), department, handler or classification, sets
-- sla_dirty in the same transaction as the change. The watchdog claims dirty
-- cases (FOR UPDATE SKIP LOCKED, through the partial index), recomputes their
-- clocks from the case and its audit trail, and clears the flag; its own
-- update touches none of the columns below, so it does not re-dirty the case.
-- Rows that exist when this migration runs start dirty: the first watchdog
-- builds their clocks.

ALTER TABLE complaint ADD COLUMN sla_dirty boolean NOT NULL DEFAULT true;
CREATE INDEX complaint_sla_dirty_idx ON complaint (id) WHERE sla_dirty;

CREATE FUNCTION complaint_sla_dirty () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.sla_dirty := true;
    RETURN NEW;
END $$;
CREATE TRIGGER complaint_sla_dirty BEFORE UPDATE ON complaint
    FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state
       OR OLD.version IS DISTINCT FROM NEW.version
       OR OLD.department IS DISTINCT FROM NEW.department
       OR OLD.handler IS DISTINCT FROM NEW.handler
       OR OLD.priority IS DISTINCT FROM NEW.priority
       OR OLD.major IS DISTINCT FROM NEW.major
       OR OLD.business_line IS DISTINCT FROM NEW.business_line
       OR OLD.level IS DISTINCT FROM NEW.level)
    EXECUTE FUNCTION complaint_sla_dirty ();

-- --- Clocks --------------------------------------------------------------------
-- One row per clock of a case: stage (acknowledge, first_response,
-- resolution, review) and round (a transfer restarts acknowledge, a reopening
-- restarts resolution, each review is a round of its own). The allowance and
-- calendar are chosen from the policy when the round starts and kept, unless
-- the case is reclassified (selector changes); a policy reload does not move
-- a deadline already running.

CREATE TABLE sla_clock (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id    bigint NOT NULL REFERENCES complaint (id),
    stage           text NOT NULL CHECK (stage IN
                        ('acknowledge', 'first_response', 'resolution', 'review')),
    round           smallint NOT NULL DEFAULT 0 CHECK (round >= 0),
    selector        text NOT NULL,          -- the case attributes the rule was chosen by
    rule            text NOT NULL,          -- where the allowance comes from: 'policy.conf:31'
    calendar        text NOT NULL,          -- calendar name: 'cn'
    allowance       text NOT NULL,          -- as in the policy: '24h', '8wh', '2wd', '15d'
    extensions      smallint NOT NULL DEFAULT 0 CHECK (extensions >= 0),
    extended_by     text[] NOT NULL DEFAULT '{}',   -- each extension's span, in order
    started_at      timestamptz NOT NULL,
    base_due_at     timestamptz NOT NULL,   -- start + allowance + extensions, no pauses
    due_at          timestamptz NOT NULL,   -- the deadline: base_due_at + the paused time
    paused_ms       bigint NOT NULL DEFAULT 0 CHECK (paused_ms >= 0),  -- closed pauses, elapsed
    paused_since    timestamptz,            -- set while paused
    state           text NOT NULL CHECK (state IN
                        ('running', 'paused', 'breached', 'met', 'cancelled')),
    met_at          timestamptz,            -- when its stage was met (late when > due_at)
    ended_at        timestamptz,            -- met or cancelled
    next_step       text,                   -- 'remind:50', 'breach', 'escalate:2' ...
    next_fire_at    timestamptz,            -- when next_step is due; NULL: nothing left
    updated_at      timestamptz NOT NULL DEFAULT now (),
    CONSTRAINT sla_clock_round_key UNIQUE (complaint_id, stage, round),
    CONSTRAINT sla_clock_next_check CHECK ((next_step IS NULL) = (next_fire_at IS NULL))
);

-- What is due: only clocks with something left to fire are indexed, so
-- finding due timers costs what is due, not what is open.
CREATE INDEX sla_clock_due_idx ON sla_clock (next_fire_at) WHERE next_fire_at IS NOT NULL;

-- Every reminder, breach, escalation tier, extension and met a clock has
-- recorded, once: the primary key is the exactly-once guarantee (two
-- watchdogs, or one restarted after SIGKILL, cannot both insert it), and the
-- row goes in the same transaction as its outbox event. phase = how many
-- extensions the clock had: an extension moves the deadline, and the
-- reminders of the new deadline are new steps.
CREATE TABLE sla_firing (
    clock_id        bigint NOT NULL REFERENCES sla_clock (id),
    phase           smallint NOT NULL CHECK (phase >= 0),
    step            text NOT NULL,          -- 'remind:50' | 'breach' | 'escalate:1' | 'extended' | 'met'
    due_at          timestamptz NOT NULL,   -- when the step was due
    fired_at        timestamptz NOT NULL,   -- app_clock_timestamp () when it fired
    fired_by        text NOT NULL,          -- watchdog instance
    PRIMARY KEY (clock_id, phase, step)
);

-- --- Extensions --------------------------------------------------------------
-- Loaded from the SLA policy by the watchdog (on start and SIGHUP, under an
-- advisory lock), read by intake when a supervisor or manager approves an
-- extension (`extend`): step N of a stage may be approved by `approver` or a
-- higher role (supervisor < complaint_office < manager) and adds `adds`.
CREATE TABLE sla_extension_rule (
    stage           text NOT NULL CHECK (stage IN
                        ('acknowledge', 'first_response', 'resolution', 'review')),
    step            smallint NOT NULL CHECK (step >= 1),
    adds            text NOT NULL,          -- a span: '15d', '30d', '5wd'
    approver        text NOT NULL CHECK (approver IN
                        ('supervisor', 'complaint_office', 'manager')),
    rule            text NOT NULL,          -- 'policy.conf:58'
    loaded_at       timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (stage, step)
);
