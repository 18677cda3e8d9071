-- 020_roles.sql — least privilege: one role per service, each with only the
-- GRANTs its SQL needs (issue 13, invariant 10; docs/security.md, "Least
-- privilege").
--
-- Until now every daemon logged in as whoever ran the migrations (in tests
-- and `make up`, the superuser), so invariant 9 — a service writes only its
-- own tables and the outbox — held only because the C code was careful;
-- tests/integration/table_owners.py checks that code, but nothing stopped a
-- wrong statement at run time. From here the store enforces it:
--
--   1. Group roles (NOLOGIN), created here if absent (roles belong to the
--      cluster, not the database: a second database of the same cluster,
--      or two migrating at once, finds them made):
--
--        complaints_owner       owns the schema, every table, view, sequence
--                               and function; no daemon logs in as it
--        complaints_intake      \
--        complaints_router       |
--        complaints_watchdog     |  one per service: what its SQL does,
--        complaints_notifier     |  nothing more (the matrix below)
--        complaints_analytics    |
--        complaints_bus          |
--        complaints_ctl         /   complaintctl's store commands (notifications,
--                                   optout, clock): staff and operators
--        complaints_test_clock  may move the store's clock (app_clock_set);
--                               granted in test clusters only
--
--      Login roles (with a password, or trust/peer on a Unix socket) are
--      made by the deploy scripts, each a member of one group:
--      deploy/scripts/roles.sh; the services find theirs in
--      COMPLAINTS_<SERVICE>_PG (common/daemon.c).
--
--   2. Ownership: everything in schema public moves to complaints_owner. A
--      later migration that creates an object starts with
--          SET LOCAL ROLE complaints_owner;
--      so what it makes belongs to the owner too (tests/integration/
--      roles.py fails on a table owned by anyone else), and ends with the
--      GRANTs its new table needs.
--
--   3. GRANTs, per table, from the owner comments of 007 and what each
--      service's C code does (grep its SQL): the owner writes its tables;
--      "also" writes are column-level (the router's assignment, the
--      watchdog's sla_dirty and due_at); every service may INSERT into the
--      outbox; only the bus deletes from it and writes event_log. Reads
--      are granted where the SQL reads. tests/integration/roles.py tries
--      every role against every table, both ways, and checks the matrix
--      in docs/security.md against the catalogue.
--
--   4. Where a caller must do one narrow thing to another's table, a store
--      function of the owner's side does it as SECURITY DEFINER (runs as
--      complaints_owner, search_path pinned), executable by that caller
--      only: intake asks the SLA side's sla_extension_next and
--      sla_clocks_json without reading sla_*; intake and the router pick a
--      handler (pick_handler locks the department's staff rows, which
--      would otherwise need UPDATE on staff); complaintctl retries a
--      notification and records opt-outs without writing the notifier's
--      tables.
--
--   5. The test clock is guarded by a role, not a setting: 003 let any
--      session of a database with complaints.test_clock = on move the
--      clock, and a database setting can be changed by its owner, or by a
--      session (SET) where the guard read current_setting. Now only a
--      member of complaints_test_clock — by an explicit GRANT: a superuser
--      is not a member by being a superuser — may; tests/run.sh grants it
--      in its own cluster, production grants it to nobody.
--
-- Running it needs a role that may create roles and hand objects to
-- another owner: a superuser, as migrate.sh is run in `make up` and the
-- tests, or the database owner with CREATEROLE.

-- --- 1. The roles --------------------------------------------------------------

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['complaints_owner', 'complaints_intake', 'complaints_router',
                             'complaints_watchdog', 'complaints_notifier',
                             'complaints_analytics', 'complaints_bus', 'complaints_ctl',
                             'complaints_test_clock'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format ('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                -- Another database of the cluster migrating at the same
                -- moment made it first: the same role, nothing to do.
                NULL;
            END;
        END IF;
    END LOOP;
END $$;

-- --- 2. Ownership --------------------------------------------------------------
-- Tables, views and free sequences; a sequence of an identity column follows
-- its table. Then functions (trigger functions included).

DO $$
DECLARE
    o record;
    owner_oid oid := (SELECT oid FROM pg_roles WHERE rolname = 'complaints_owner');
BEGIN
    FOR o IN SELECT c.relname, c.relkind FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace
                AND c.relkind IN ('r', 'p', 'v', 'm')
                AND c.relowner <> owner_oid
              ORDER BY c.relname LOOP
        EXECUTE format ('ALTER %s %I OWNER TO complaints_owner',
                        CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                       ELSE 'TABLE' END, o.relname);
    END LOOP;
    FOR o IN SELECT c.relname FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
                AND c.relowner <> owner_oid
                AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                   AND d.deptype IN ('a', 'i'))
              ORDER BY c.relname LOOP
        EXECUTE format ('ALTER SEQUENCE %I OWNER TO complaints_owner', o.relname);
    END LOOP;
    FOR o IN SELECT p.oid::regprocedure AS f FROM pg_proc p
              WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> owner_oid LOOP
        EXECUTE format ('ALTER ROUTINE %s OWNER TO complaints_owner', o.f);
    END LOOP;
END $$;
ALTER SCHEMA public OWNER TO complaints_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO complaints_intake, complaints_router, complaints_watchdog,
    complaints_notifier, complaints_analytics, complaints_bus, complaints_ctl,
    complaints_test_clock;

-- --- 3. What every service may do ------------------------------------------------
-- The store's clock is read by app_now (), which every service calls (and
-- the outbox's default `at`); every service appends its events to the
-- outbox in the transaction of its change (invariant 3).

GRANT SELECT ON app_clock TO complaints_intake, complaints_router, complaints_watchdog,
    complaints_notifier, complaints_analytics, complaints_bus, complaints_ctl,
    complaints_test_clock;
GRANT INSERT ON outbox TO complaints_intake, complaints_router, complaints_watchdog,
    complaints_notifier, complaints_analytics, complaints_bus, complaints_ctl;

-- --- intake: the complaint and its audit trail ---------------------------------
-- Reads the directory (staff tokens, who may act where) and the events of a
-- case for the staff view (case_view.c); not the SLA tables (it asks
-- sla_clocks_json / sla_extension_next) nor the notifier's (addresses).
GRANT SELECT, INSERT, UPDATE ON complaint TO complaints_intake;
GRANT SELECT, INSERT ON case_action TO complaints_intake;
GRANT USAGE ON SEQUENCE complaint_no_seq TO complaints_intake;
GRANT SELECT ON department, staff, staff_token, event_log TO complaints_intake;

-- --- router: the directory; the assignment of a new case ------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON department, staff, staff_token TO complaints_router;
GRANT SELECT ON staff_free_capacity TO complaints_router;
GRANT SELECT ON complaint TO complaints_router;
GRANT UPDATE (state, department, routing_rule, handler, cooperating, business_line, cause,
              jrt_channel, jrt_business, jrt_cause, priority, flags, major, version,
              updated_at)
    ON complaint TO complaints_router;
GRANT SELECT, INSERT ON case_action TO complaints_router;

-- --- watchdog: the SLA clocks --------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON sla_clock, sla_firing, sla_extension_rule
    TO complaints_watchdog;
GRANT SELECT ON complaint, case_action, department TO complaints_watchdog;
GRANT UPDATE (sla_dirty, due_at) ON complaint TO complaints_watchdog;

-- --- notifier: notifications, the inbox, opt-outs, gateways ---------------------
-- Reads the event log (its cursor), the case's contacts and clocks, the
-- directory's people.
GRANT SELECT, INSERT, UPDATE, DELETE ON notification, notifier_cursor, staff_inbox,
    customer_optout, notify_gateway TO complaints_notifier;
GRANT SELECT ON event_log, complaint, staff, department, sla_clock TO complaints_notifier;

-- --- analytics: its facts and rollups, from the stream (bus replay) -------------
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON analytics_cursor, analytics_fact,
    analytics_rollup, analytics_rollup_time, analytics_rollup_dim,
    analytics_rollup_dim_time, analytics_hotspot TO complaints_analytics;
GRANT SELECT ON analytics_contribution, analytics_contribution_time TO complaints_analytics;

-- --- bus: the outbox into the event log ----------------------------------------
GRANT SELECT, DELETE ON outbox TO complaints_bus;
GRANT SELECT, INSERT ON event_log TO complaints_bus;

-- --- complaintctl: notifications and opt-outs, read; changed through the
-- notifier side's functions. Of the complaint, only what finds a customer's
-- opt-outs (never the identity).
GRANT SELECT ON notification, customer_optout TO complaints_ctl;
GRANT SELECT (complaint_no, customer_pseudonym) ON complaint TO complaints_ctl;

-- --- 4. Narrow doors into another side's tables --------------------------------

ALTER FUNCTION sla_extension_next (bigint, text) SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION sla_clocks_json (bigint) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION sla_extension_next (bigint, text), sla_clocks_json (bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sla_extension_next (bigint, text), sla_clocks_json (bigint)
    TO complaints_intake;

ALTER FUNCTION pick_handler (text) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION pick_handler (text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pick_handler (text) TO complaints_intake, complaints_router;

ALTER FUNCTION notification_retry (bigint, text) SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION customer_optout_set (text, text, text, text)
    SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION customer_optout_remove (text, text) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION notification_retry (bigint, text),
    customer_optout_set (text, text, text, text), customer_optout_remove (text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION notification_retry (bigint, text),
    customer_optout_set (text, text, text, text), customer_optout_remove (text, text)
    TO complaints_ctl;

-- --- 5. The test clock, by role ------------------------------------------------
-- Membership is looked up in pg_auth_members, not with pg_has_role: a
-- superuser "has" every role, and the migrations' and the tests' own
-- superuser must not be able to move a production clock by accident.
CREATE FUNCTION app_clock_movable () RETURNS boolean
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE m (roleid) AS (
        SELECT oid FROM pg_roles WHERE rolname = 'complaints_test_clock'
        UNION
        SELECT a.member FROM pg_auth_members a JOIN m ON a.roleid = m.roleid)
    SELECT EXISTS (SELECT 1 FROM m, pg_roles r
                    WHERE r.rolname = current_user AND m.roleid = r.oid)
$$;
COMMENT ON FUNCTION app_clock_movable () IS
    'may this role move the store''s clock: a member of complaints_test_clock (test clusters only)';
ALTER FUNCTION app_clock_movable () OWNER TO complaints_owner;

CREATE OR REPLACE FUNCTION app_clock_guard () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'app_clock has exactly one row' USING ERRCODE = 'restrict_violation';
    END IF;
    IF NOT app_clock_movable () THEN
        RAISE EXCEPTION 'the clock of this database cannot be moved'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format ('Role %s is not a member of complaints_test_clock.', current_user),
                  HINT = 'GRANT complaints_test_clock TO <login role>, in a test cluster only.';
    END IF;
    NEW.changed_at := now ();
    -- Wake every watchdog at once: deadlines just moved.
    PERFORM pg_notify ('app_clock', '');
    RETURN NEW;
END $$;

-- plpgsql now, so the guard's clear refusal comes before the table's
-- "permission denied" for a role without UPDATE on app_clock.
CREATE OR REPLACE FUNCTION app_clock_set (virtual_now timestamptz, new_scale float8)
RETURNS timestamptz LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    moved timestamptz;
BEGIN
    IF NOT app_clock_movable () THEN
        RAISE EXCEPTION 'the clock of this database cannot be moved'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format ('Role %s is not a member of complaints_test_clock.', current_user),
                  HINT = 'GRANT complaints_test_clock TO <login role>, in a test cluster only.';
    END IF;
    UPDATE app_clock SET anchor_real = now (), anchor_virtual = virtual_now, scale = new_scale
     RETURNING anchor_virtual INTO moved;
    RETURN moved;
END $$;
-- Anyone may call it and be told why not (the check above); only a member
-- of complaints_test_clock gets past it, and has UPDATE on the row.
GRANT UPDATE ON app_clock TO complaints_test_clock;
