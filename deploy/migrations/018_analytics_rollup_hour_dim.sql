-- 018_analytics_rollup_hour_dim.sql — hours x one dimension in the period
-- rollups (issue 12 §7; owner: analytics).
--
-- What the benchmark found at a million complaints (docs/BENCHMARKS.md,
-- "The analytics daemon"): a range is cut into hours, days and months
-- (services/analytics/analytics_query.c), and its edge hours were read from
-- analytics_rollup, whose hour cells are per channel x business line x
-- cause x department x branch x priority: about one cell per complaint. A
-- year's kpi from a time of day read two edge days' complaints (~5,500
-- cells), an hour series of a week every complaint of the week (~19,000):
-- p99 540 ms and 269 ms, over the 200 ms target.
--
-- Grain 0 of analytics_rollup_dim / _dim_time is an hour (`day` its day,
-- `hour` its hour in the bank's zone) x one dimension, like grains 1 and 2:
-- an hour holds 1 + the values seen in it per dimension, so an edge hour
-- of a kpi costs a row (a few per value with `by`), whatever the volume.
-- analytics_rollup stays: the heat map (branch x cause) and the exports
-- read two dimensions at once, and the tests compare every rollup with a
-- GROUP BY over the facts.

ALTER TABLE analytics_rollup_dim ADD COLUMN hour smallint NOT NULL DEFAULT 0;
ALTER TABLE analytics_rollup_dim DROP CONSTRAINT analytics_rollup_dim_grain_check,
    ADD CONSTRAINT analytics_rollup_dim_grain_check CHECK (grain IN (0, 1, 2)),
    ADD CONSTRAINT analytics_rollup_dim_hour_check CHECK (hour = 0 OR grain = 0),
    DROP CONSTRAINT analytics_rollup_dim_pkey,
    ADD PRIMARY KEY (grain, dim, day, hour, key);

ALTER TABLE analytics_rollup_dim_time ADD COLUMN hour smallint NOT NULL DEFAULT 0;
ALTER TABLE analytics_rollup_dim_time DROP CONSTRAINT analytics_rollup_dim_time_grain_check,
    ADD CONSTRAINT analytics_rollup_dim_time_grain_check CHECK (grain IN (0, 1, 2)),
    ADD CONSTRAINT analytics_rollup_dim_time_hour_check CHECK (hour = 0 OR grain = 0),
    DROP CONSTRAINT analytics_rollup_dim_time_pkey,
    ADD PRIMARY KEY (grain, dim, day, hour, key, metric, bucket);

-- The hours of what is there already.
INSERT INTO analytics_rollup_dim (grain, dim, day, hour, key, received, accepted, rejected,
    withdrawn, resolved, closed, ended, reopened, reviewed, escalated, transferred, major,
    answered, answered_24h, withdrawn_unanswered, satisfied, not_satisfied, decided_15d,
    decided_30d, decided_60d, breached_acknowledge, breached_first_response,
    breached_resolution, breached_review, extended_resolution, extended_review,
    outcome_explanation, outcome_error_corrected, outcome_refund, outcome_compensation,
    outcome_apology, outcome_process_change, amount_cents)
SELECT 0,
       CASE WHEN GROUPING (channel) = 0 THEN 1 WHEN GROUPING (business_line) = 0 THEN 2
            WHEN GROUPING (cause) = 0 THEN 3 WHEN GROUPING (department) = 0 THEN 4
            WHEN GROUPING (branch) = 0 THEN 5 WHEN GROUPING (priority) = 0 THEN 6 ELSE 0 END,
       day, hour,
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
  FROM analytics_rollup
 GROUP BY GROUPING SETS ((day, hour), (day, hour, channel), (day, hour, business_line),
                        (day, hour, cause), (day, hour, department), (day, hour, branch),
                        (day, hour, priority));

INSERT INTO analytics_rollup_dim_time (grain, dim, day, hour, key, metric, bucket, cases)
SELECT 0,
       CASE WHEN GROUPING (channel) = 0 THEN 1 WHEN GROUPING (business_line) = 0 THEN 2
            WHEN GROUPING (cause) = 0 THEN 3 WHEN GROUPING (department) = 0 THEN 4
            WHEN GROUPING (branch) = 0 THEN 5 WHEN GROUPING (priority) = 0 THEN 6 ELSE 0 END,
       day, hour,
       coalesce (channel, business_line, cause, department, branch, priority::text, ''),
       metric, bucket, sum (cases)
  FROM analytics_rollup_time
 GROUP BY GROUPING SETS ((day, hour, metric, bucket), (day, hour, channel, metric, bucket),
                        (day, hour, business_line, metric, bucket),
                        (day, hour, cause, metric, bucket),
                        (day, hour, department, metric, bucket),
                        (day, hour, branch, metric, bucket),
                        (day, hour, priority, metric, bucket));

COMMENT ON TABLE analytics_rollup_dim IS
    'owner: analytics | facts summed per received hour (grain 0), day (1) and month (2) x one dimension (dim: analytics_day_dims)';
COMMENT ON TABLE analytics_rollup_dim_time IS
    'owner: analytics | time-to-X histograms per received hour, day and month x one dimension';
