-- 012_analytics.sql — the analytics daemon's tables (issue 12; owner:
-- analytics). docs/analytics.md defines every figure; services/analytics/
-- analytics_store.c holds the SQL that writes them.
--
-- analytics reads nothing of another service: it consumes the bus's
-- event stream (SUB + replay) into
--
--   analytics_cursor   the last seq applied (one row). It moves in the
--                      transaction that applies the batch, so a kill -9
--                      anywhere means the batch happened whole or not at all.
--   analytics_fact     one row per complaint: what the stream said about it
--                      (times of receipt, acceptance, first answer, decision,
--                      closure; its dimensions; counts of reopenings,
--                      reviews, SLA breaches; outcome, amount, satisfaction).
--   analytics_rollup   the facts summed per cell: the received hour in the
--                      bank's zone (day, hour) x channel x business_line x
--                      cause x department x branch x priority. Queries read
--                      only this (and the _time table), so their cost grows
--                      with the cells in range, not with the complaints.
--   analytics_rollup_time  histograms of time-to-X per cell: count of cases
--                      per fixed bucket (analytics_time_bounds), so p50/p90
--                      come from counts, never from raw lists.
--
-- A case's contribution to the rollups is declared once, here, as the views
-- analytics_contribution and analytics_contribution_time over its fact row.
-- A batch subtracts the contributions of the cases it touches, updates their
-- facts, and adds their contributions back: a case whose department changed
-- (complaint.transferred) leaves its old cell and joins the new one, and the
-- rollups stay exactly what a GROUP BY over the views would give
-- (tests/integration/analytics_e2e checks that).

CREATE TABLE analytics_cursor (
    id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    last_seq    bigint NOT NULL DEFAULT 0,
    consumer    text,
    updated_at  timestamptz NOT NULL DEFAULT now ()
);
INSERT INTO analytics_cursor (id) VALUES (1);

CREATE TABLE analytics_fact (
    complaint_no            text PRIMARY KEY,
    last_seq                bigint NOT NULL,        -- the last event applied to it
    received_at             timestamptz,            -- NULL: no complaint.received seen
    received_day            date,                   -- in the bank's zone
    received_hour           smallint,
    channel                 text NOT NULL DEFAULT '',
    business_line           text NOT NULL DEFAULT '',
    cause                   text NOT NULL DEFAULT '',
    department              text NOT NULL DEFAULT '',
    branch                  text NOT NULL DEFAULT '',
    priority                smallint NOT NULL DEFAULT 0,    -- 0: not assigned yet
    major                   boolean NOT NULL DEFAULT false,
    customer                text,                   -- the keyed pseudonym, never an identity
    state                   text NOT NULL DEFAULT '',
    accepted_at             timestamptz,            -- first complaint.accepted
    first_answer_at         timestamptz,            -- first info_requested/resolved/rejected/closed
    resolved_at             timestamptz,            -- first complaint.resolved
    decided_at              timestamptz,            -- first resolved or rejected
    closed_at               timestamptz,            -- last complaint.closed
    rejected                boolean NOT NULL DEFAULT false,
    withdrawn               boolean NOT NULL DEFAULT false,
    reopened                integer NOT NULL DEFAULT 0,
    reviewed                integer NOT NULL DEFAULT 0,
    escalated               integer NOT NULL DEFAULT 0,
    transferred             integer NOT NULL DEFAULT 0,
    outcome                 text,                   -- of the last resolution
    amount_cents            bigint NOT NULL DEFAULT 0,
    satisfied               boolean,                -- the last feedback; NULL: none
    breached_acknowledge    integer NOT NULL DEFAULT 0,
    breached_first_response integer NOT NULL DEFAULT 0,
    breached_resolution     integer NOT NULL DEFAULT 0,
    breached_review         integer NOT NULL DEFAULT 0,
    extended_resolution     integer NOT NULL DEFAULT 0,
    extended_review         integer NOT NULL DEFAULT 0,
    due_15d_at              timestamptz,            -- the regulator's 15/30/60 days, on the calendar
    due_30d_at              timestamptz,
    due_60d_at              timestamptz
);
CREATE INDEX analytics_fact_received ON analytics_fact (received_at);
CREATE INDEX analytics_fact_customer ON analytics_fact (customer);

-- Upper bounds (ms) of the time-to-X buckets: bucket i holds (b[i-1], b[i]],
-- bucket 0 everything up to b[0] (a negative span too), bucket
-- array_length(b) everything above the last. The daemon reads them on
-- connect: declared once.
CREATE FUNCTION analytics_time_bounds () RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- 1, 2, 4, 8, 12, 24, 48, 72 hours; 5, 7, 10, 15, 20, 30, 45, 60, 90 days
    SELECT ARRAY[3600000, 7200000, 14400000, 28800000, 43200000, 86400000, 172800000, 259200000, 432000000, 604800000, 864000000, 1296000000, 1728000000, 2592000000, 3888000000, 5184000000, 7776000000]::bigint[]
$$;

CREATE FUNCTION analytics_time_bucket (span interval) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT count (*)::smallint FROM unnest (analytics_time_bounds ()) b
     WHERE b < extract (epoch FROM span) * 1000
$$;

CREATE FUNCTION analytics_n (b boolean) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE WHEN b THEN 1 ELSE 0 END $$;

-- One case's contribution to its rollup cell. The column list after
-- `priority` is the metric list of services/analytics/analytics_fact.c
-- (analytics --selftest checks they agree).
CREATE VIEW analytics_contribution AS
SELECT complaint_no,
       received_day AS day, received_hour AS hour, channel, business_line, cause,
       department, branch, priority,
       1 AS received,
       analytics_n (accepted_at IS NOT NULL) AS accepted,
       analytics_n (rejected) AS rejected,
       analytics_n (withdrawn) AS withdrawn,
       analytics_n (resolved_at IS NOT NULL) AS resolved,
       analytics_n (state = 'closed') AS closed,
       analytics_n (state IN ('closed', 'rejected', 'withdrawn')) AS ended,
       analytics_n (reopened > 0) AS reopened,
       analytics_n (reviewed > 0) AS reviewed,
       analytics_n (escalated > 0) AS escalated,
       analytics_n (transferred > 0) AS transferred,
       analytics_n (major) AS major,
       analytics_n (first_answer_at IS NOT NULL) AS answered,
       analytics_n (first_answer_at <= received_at + interval '24 hours') AS answered_24h,
       analytics_n (withdrawn AND first_answer_at IS NULL) AS withdrawn_unanswered,
       analytics_n (satisfied IS TRUE) AS satisfied,
       analytics_n (satisfied IS FALSE) AS not_satisfied,
       analytics_n (decided_at <= due_15d_at) AS decided_15d,
       analytics_n (decided_at <= due_30d_at) AS decided_30d,
       analytics_n (decided_at <= due_60d_at) AS decided_60d,
       breached_acknowledge, breached_first_response, breached_resolution, breached_review,
       extended_resolution, extended_review,
       analytics_n (outcome = 'explanation') AS outcome_explanation,
       analytics_n (outcome = 'error_corrected') AS outcome_error_corrected,
       analytics_n (outcome = 'refund') AS outcome_refund,
       analytics_n (outcome = 'compensation') AS outcome_compensation,
       analytics_n (outcome = 'apology') AS outcome_apology,
       analytics_n (outcome = 'process_change') AS outcome_process_change,
       CASE WHEN outcome IS NOT NULL THEN amount_cents ELSE 0 END AS amount_cents
  FROM analytics_fact
 WHERE received_at IS NOT NULL;

-- One row per (case, measured span): which bucket its time-to-X falls in.
CREATE VIEW analytics_contribution_time AS
SELECT f.complaint_no,
       f.received_day AS day, f.received_hour AS hour, f.channel, f.business_line, f.cause,
       f.department, f.branch, f.priority, t.metric, analytics_time_bucket (t.span) AS bucket
  FROM analytics_fact f,
       LATERAL (VALUES ('ack', f.accepted_at - f.received_at),
                       ('answer', f.first_answer_at - f.received_at),
                       ('resolve', f.resolved_at - f.received_at),
                       ('close', f.closed_at - f.received_at)) AS t (metric, span)
 WHERE f.received_at IS NOT NULL AND t.span IS NOT NULL;

CREATE TABLE analytics_rollup (
    day                     date NOT NULL,
    hour                    smallint NOT NULL,
    channel                 text NOT NULL,
    business_line           text NOT NULL,
    cause                   text NOT NULL,
    department              text NOT NULL,
    branch                  text NOT NULL,
    priority                smallint NOT NULL,
    received                bigint NOT NULL DEFAULT 0,
    accepted                bigint NOT NULL DEFAULT 0,
    rejected                bigint NOT NULL DEFAULT 0,
    withdrawn               bigint NOT NULL DEFAULT 0,
    resolved                bigint NOT NULL DEFAULT 0,
    closed                  bigint NOT NULL DEFAULT 0,
    ended                   bigint NOT NULL DEFAULT 0,
    reopened                bigint NOT NULL DEFAULT 0,
    reviewed                bigint NOT NULL DEFAULT 0,
    escalated               bigint NOT NULL DEFAULT 0,
    transferred             bigint NOT NULL DEFAULT 0,
    major                   bigint NOT NULL DEFAULT 0,
    answered                bigint NOT NULL DEFAULT 0,
    answered_24h            bigint NOT NULL DEFAULT 0,
    withdrawn_unanswered    bigint NOT NULL DEFAULT 0,
    satisfied               bigint NOT NULL DEFAULT 0,
    not_satisfied           bigint NOT NULL DEFAULT 0,
    decided_15d             bigint NOT NULL DEFAULT 0,
    decided_30d             bigint NOT NULL DEFAULT 0,
    decided_60d             bigint NOT NULL DEFAULT 0,
    breached_acknowledge    bigint NOT NULL DEFAULT 0,
    breached_first_response bigint NOT NULL DEFAULT 0,
    breached_resolution     bigint NOT NULL DEFAULT 0,
    breached_review         bigint NOT NULL DEFAULT 0,
    extended_resolution     bigint NOT NULL DEFAULT 0,
    extended_review         bigint NOT NULL DEFAULT 0,
    outcome_explanation     bigint NOT NULL DEFAULT 0,
    outcome_error_corrected bigint NOT NULL DEFAULT 0,
    outcome_refund          bigint NOT NULL DEFAULT 0,
    outcome_compensation    bigint NOT NULL DEFAULT 0,
    outcome_apology         bigint NOT NULL DEFAULT 0,
    outcome_process_change  bigint NOT NULL DEFAULT 0,
    amount_cents            bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, hour, channel, business_line, cause, department, branch, priority)
);
-- Cells left with no case (every one moved out) are deleted at once.
CREATE INDEX analytics_rollup_empty ON analytics_rollup (day) WHERE received = 0;

CREATE TABLE analytics_rollup_time (
    day             date NOT NULL,
    hour            smallint NOT NULL,
    channel         text NOT NULL,
    business_line   text NOT NULL,
    cause           text NOT NULL,
    department      text NOT NULL,
    branch          text NOT NULL,
    priority        smallint NOT NULL,
    metric          text NOT NULL,          -- ack, answer, resolve, close
    bucket          smallint NOT NULL,
    cases           bigint NOT NULL,
    PRIMARY KEY (day, hour, channel, business_line, cause, department, branch, priority,
                 metric, bucket)
);
CREATE INDEX analytics_rollup_time_empty ON analytics_rollup_time (day) WHERE cases = 0;

COMMENT ON TABLE analytics_cursor IS
    'owner: analytics | the last event seq applied, moved with each batch';
COMMENT ON TABLE analytics_fact IS
    'owner: analytics | one row per complaint from the event stream; pseudonyms only';
COMMENT ON TABLE analytics_rollup IS
    'owner: analytics | facts summed per received hour x dimensions (= GROUP BY of analytics_contribution)';
COMMENT ON TABLE analytics_rollup_time IS
    'owner: analytics | time-to-X histograms per cell (= GROUP BY of analytics_contribution_time)';
