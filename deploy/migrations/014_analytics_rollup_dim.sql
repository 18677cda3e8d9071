-- 014_analytics_rollup_dim.sql — analytics' rollups sized for a million
-- complaints (issue 12 §7; owner: analytics).
--
-- What the benchmark found (tests/bench/run.sh analytics, docs/BENCHMARKS.md):
-- the hour x 6-dimension cells of analytics_rollup are about as many as the
-- complaints (100,000 complaints: 100,000 cells), so a kpi of a year summed
-- every complaint (343 ms p50 at 100,000, seconds at a million), and each
-- batch wrote every touched cell twice (its case's contribution out, then
-- in), each time a non-HOT update (the partial index on received = 0).
--
-- 1. analytics_rollup_dim: the same sums per received day, and per received
--    month (grain 1: a day, grain 2: a month; `day` is the period's first
--    day), x ONE dimension (dim 0: everything, key ''; dim i:
--    analytics_dims[i-1] of proto/analytics_request.c, key its value). A
--    period holds 1 + the values seen in it per dimension (~100 rows),
--    whatever the volume, so a year's kpi reads 12 months and the days and
--    hours at its edges (services/analytics/analytics_query.c): a few
--    hundred rows, by a dimension times its values.
--    analytics_rollup_dim_time: the time-to-X histograms the same way.
-- 2. A case's contribution is now a function of its fact row
--    (analytics_contribution_of, analytics_contribution_time_of), so one
--    statement can take the contributions of the facts before and after a
--    batch, net them per cell and write each touched cell once
--    (analytics_store.c). The views keep their names and columns
--    (= the function over every fact): the tests' GROUP BY comparison and
--    the daemon's metric check read them as before.
-- 3. Emptied cells are deleted by the batch that empties them (it knows
--    which: RETURNING), so the partial indexes on received = 0 / cases = 0
--    go, and the rollups' updates can be HOT (fillfactor leaves them room).

DROP VIEW analytics_contribution;
DROP VIEW analytics_contribution_time;
DROP INDEX analytics_rollup_empty;
DROP INDEX analytics_rollup_time_empty;
ALTER TABLE analytics_rollup SET (fillfactor = 80);
ALTER TABLE analytics_rollup_time SET (fillfactor = 80);

-- The bucket of a span, as an expression PostgreSQL can inline (012's was a
-- subquery over the bounds, run once per span as a function call: 100,000
-- calls per 100,000 complaints rebuilt). Bucket = how many bounds are below
-- the span in ms; the bounds are whole ms, so b < x is b <= ceil (x) - 1,
-- which is what width_bucket counts.
CREATE OR REPLACE FUNCTION analytics_time_bucket (span interval) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT width_bucket (ceil (extract (epoch FROM span) * 1000)::bigint - 1,
                         analytics_time_bounds ())::smallint
$$;

-- One case's contribution to its rollup cell. The column list after
-- `priority` is the metric list of proto/analytics_request.c (analytics
-- --selftest checks they agree, through the view below).
CREATE FUNCTION analytics_contribution_of (f analytics_fact)
RETURNS TABLE (
    day date, hour smallint, channel text, business_line text, cause text,
    department text, branch text, priority smallint,
    received integer, accepted integer, rejected integer, withdrawn integer,
    resolved integer, closed integer, ended integer, reopened integer, reviewed integer,
    escalated integer, transferred integer, major integer, answered integer,
    answered_24h integer, withdrawn_unanswered integer, satisfied integer,
    not_satisfied integer, decided_15d integer, decided_30d integer, decided_60d integer,
    breached_acknowledge integer, breached_first_response integer,
    breached_resolution integer, breached_review integer,
    extended_resolution integer, extended_review integer,
    outcome_explanation integer, outcome_error_corrected integer, outcome_refund integer,
    outcome_compensation integer, outcome_apology integer, outcome_process_change integer,
    amount_cents bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT f.received_day, f.received_hour, f.channel, f.business_line, f.cause,
       f.department, f.branch, f.priority,
       1,
       analytics_n (f.accepted_at IS NOT NULL),
       analytics_n (f.rejected),
       analytics_n (f.withdrawn),
       analytics_n (f.resolved_at IS NOT NULL),
       analytics_n (f.state = 'closed'),
       analytics_n (f.state IN ('closed', 'rejected', 'withdrawn')),
       analytics_n (f.reopened > 0),
       analytics_n (f.reviewed > 0),
       analytics_n (f.escalated > 0),
       analytics_n (f.transferred > 0),
       analytics_n (f.major),
       analytics_n (f.first_answer_at IS NOT NULL),
       analytics_n (f.first_answer_at <= f.received_at + interval '24 hours'),
       analytics_n (f.withdrawn AND f.first_answer_at IS NULL),
       analytics_n (f.satisfied IS TRUE),
       analytics_n (f.satisfied IS FALSE),
       analytics_n (f.decided_at <= f.due_15d_at),
       analytics_n (f.decided_at <= f.due_30d_at),
       analytics_n (f.decided_at <= f.due_60d_at),
       f.breached_acknowledge, f.breached_first_response, f.breached_resolution,
       f.breached_review, f.extended_resolution, f.extended_review,
       analytics_n (f.outcome = 'explanation'),
       analytics_n (f.outcome = 'error_corrected'),
       analytics_n (f.outcome = 'refund'),
       analytics_n (f.outcome = 'compensation'),
       analytics_n (f.outcome = 'apology'),
       analytics_n (f.outcome = 'process_change'),
       CASE WHEN f.outcome IS NOT NULL THEN f.amount_cents ELSE 0 END
 WHERE f.received_at IS NOT NULL
$$;

-- One row per measured span of a case: which bucket its time-to-X falls in.
CREATE FUNCTION analytics_contribution_time_of (f analytics_fact)
RETURNS TABLE (
    day date, hour smallint, channel text, business_line text, cause text,
    department text, branch text, priority smallint, metric text, bucket smallint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT f.received_day, f.received_hour, f.channel, f.business_line, f.cause,
       f.department, f.branch, f.priority, t.metric, analytics_time_bucket (t.span)
  FROM (VALUES ('ack', f.accepted_at - f.received_at),
               ('answer', f.first_answer_at - f.received_at),
               ('resolve', f.resolved_at - f.received_at),
               ('close', f.closed_at - f.received_at)) AS t (metric, span)
 WHERE f.received_at IS NOT NULL AND t.span IS NOT NULL
$$;

CREATE VIEW analytics_contribution AS
SELECT f.complaint_no, c.*
  FROM analytics_fact f, analytics_contribution_of (f) c;

CREATE VIEW analytics_contribution_time AS
SELECT f.complaint_no, c.*
  FROM analytics_fact f, analytics_contribution_time_of (f) c;

-- The dimension numbers of the period rollups: 0 everything, then
-- proto/analytics_request.c's analytics_dims in order (the daemon checks
-- this list against its own at start).
CREATE FUNCTION analytics_day_dims () RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY['', 'channel', 'business_line', 'cause', 'department', 'branch', 'priority']
$$;

-- grain, dim first: a query reads one grain of one dimension over a range.
CREATE TABLE analytics_rollup_dim (LIKE analytics_rollup INCLUDING DEFAULTS)
    WITH (fillfactor = 80);
ALTER TABLE analytics_rollup_dim DROP COLUMN hour, DROP COLUMN channel,
    DROP COLUMN business_line, DROP COLUMN cause, DROP COLUMN department,
    DROP COLUMN branch, DROP COLUMN priority;
ALTER TABLE analytics_rollup_dim
    ADD COLUMN grain smallint NOT NULL DEFAULT 1 CHECK (grain IN (1, 2)),
    ADD COLUMN dim smallint NOT NULL DEFAULT 0,
    ADD COLUMN key text NOT NULL DEFAULT '';
ALTER TABLE analytics_rollup_dim ADD PRIMARY KEY (grain, dim, day, key);

CREATE TABLE analytics_rollup_dim_time (
    grain           smallint NOT NULL CHECK (grain IN (1, 2)),
    dim             smallint NOT NULL,
    day             date NOT NULL,
    key             text NOT NULL,
    metric          text NOT NULL,
    bucket          smallint NOT NULL,
    cases           bigint NOT NULL,
    PRIMARY KEY (grain, dim, day, key, metric, bucket)
) WITH (fillfactor = 80);

-- The period rollups of what is there already (a store that ran 012 before).
INSERT INTO analytics_rollup_dim (grain, dim, day, key, received, accepted, rejected,
    withdrawn, resolved, closed, ended, reopened, reviewed, escalated, transferred, major,
    answered, answered_24h, withdrawn_unanswered, satisfied, not_satisfied, decided_15d,
    decided_30d, decided_60d, breached_acknowledge, breached_first_response,
    breached_resolution, breached_review, extended_resolution, extended_review,
    outcome_explanation, outcome_error_corrected, outcome_refund, outcome_compensation,
    outcome_apology, outcome_process_change, amount_cents)
SELECT grain,
       CASE WHEN GROUPING (channel) = 0 THEN 1 WHEN GROUPING (business_line) = 0 THEN 2
            WHEN GROUPING (cause) = 0 THEN 3 WHEN GROUPING (department) = 0 THEN 4
            WHEN GROUPING (branch) = 0 THEN 5 WHEN GROUPING (priority) = 0 THEN 6 ELSE 0 END,
       period,
       coalesce (channel, business_line, cause, department, branch, priority::text, ''),
       sum (received), sum (accepted), sum (rejected), sum (withdrawn), sum (resolved),
       sum (closed), sum (ended), sum (reopened), sum (reviewed), sum (escalated),
       sum (transferred), sum (major), sum (answered), sum (answered_24h),
       sum (withdrawn_unanswered), sum (satisfied), sum (not_satisfied), sum (decided_15d),
       sum (decided_30d), sum (decided_60d), sum (breached_acknowledge),
       sum (breached_first_response), sum (breached_resolution), sum (breached_review),
       sum (extended_resolution), sum (extended_review), sum (outcome_explanation),
       sum (outcome_error_corrected), sum (outcome_refund), sum (outcome_compensation),
       sum (outcome_apology), sum (outcome_process_change), sum (amount_cents)
  FROM (SELECT g.grain, CASE WHEN g.grain = 1 THEN r.day
                             ELSE date_trunc ('month', r.day)::date END AS period, r.*
          FROM analytics_rollup r, (VALUES (1::smallint), (2::smallint)) g (grain)) r
 GROUP BY GROUPING SETS ((grain, period), (grain, period, channel),
                        (grain, period, business_line), (grain, period, cause),
                        (grain, period, department), (grain, period, branch),
                        (grain, period, priority));

INSERT INTO analytics_rollup_dim_time (grain, dim, day, key, metric, bucket, cases)
SELECT grain,
       CASE WHEN GROUPING (channel) = 0 THEN 1 WHEN GROUPING (business_line) = 0 THEN 2
            WHEN GROUPING (cause) = 0 THEN 3 WHEN GROUPING (department) = 0 THEN 4
            WHEN GROUPING (branch) = 0 THEN 5 WHEN GROUPING (priority) = 0 THEN 6 ELSE 0 END,
       period,
       coalesce (channel, business_line, cause, department, branch, priority::text, ''),
       metric, bucket, sum (cases)
  FROM (SELECT g.grain, CASE WHEN g.grain = 1 THEN r.day
                             ELSE date_trunc ('month', r.day)::date END AS period, r.*
          FROM analytics_rollup_time r, (VALUES (1::smallint), (2::smallint)) g (grain)) r
 GROUP BY GROUPING SETS ((grain, period, metric, bucket), (grain, period, channel, metric, bucket),
                        (grain, period, business_line, metric, bucket),
                        (grain, period, cause, metric, bucket),
                        (grain, period, department, metric, bucket),
                        (grain, period, branch, metric, bucket),
                        (grain, period, priority, metric, bucket));

COMMENT ON TABLE analytics_rollup_dim IS
    'owner: analytics | facts summed per received day (grain 1) and month (grain 2) x one dimension (dim: analytics_day_dims)';
COMMENT ON TABLE analytics_rollup_dim_time IS
    'owner: analytics | time-to-X histograms per received day and month x one dimension';
