SET LOCAL ROLE complaints_owner;
-- 052_analytics_outcomes_scores.sql — every outcome of a case, the
-- valid-complaint determination and the survey's score in analytics' facts
-- and rollups (issue 16 follow-up; owner: analytics; docs/analytics.md
-- "Outcomes", "Valid complaints", "Survey scores").
--
-- 1. Every outcome. complaint.resolved carries `outcomes`, the kinds of
--    every outcome of the decision (a refund AND an apology, issue 16 §1);
--    analytics kept `outcome` only (the first monetary one). The fact now
--    keeps the list too (analytics_fact.outcomes, the last resolution's, a
--    set: a kind once), and outcome_<kind> counts the cases whose decision
--    had that kind among its outcomes. A case is one fact row, so a replayed
--    or repeated complaint.resolved overwrites the list and counts nothing
--    twice: the (complaint, kind) pairs are the fact's array, keyed by the
--    fact's primary key, and they reach the rollups through the same netted
--    contribution as every other figure (by channel, line, branch, period).
--    A fact from before this migration has '{}' and still counts its
--    `outcome`: the rollups stay what a GROUP BY over the facts gives.
--    New kind goodwill (issue 16 §1, 善意/额外服务) gets its metric.
-- 2. The valid-complaint determination (有效投诉认定, complaint.determined):
--    analytics_fact.determination 'valid' | 'invalid', metrics
--    determined_valid / determined_invalid (the rate valid_rate is made
--    from them at query time, proto/analytics_request.c).
-- 3. The survey's score (complaint.survey_answered, once per case: 1..5):
--    analytics_fact.survey_score and survey_channel (web or callback, the
--    way it was answered), metrics score_1 .. score_5: the distribution, by
--    every dimension and period the rollups have.
--
-- The metric columns are appended to both metric rollups and to the
-- contribution function, in the order of proto/analytics_request.c's
-- analytics_metrics (the daemon checks the view against it at start).

ALTER TABLE analytics_fact
    ADD COLUMN outcomes text[] NOT NULL DEFAULT '{}',
    ADD COLUMN determination text CHECK (determination IN ('valid', 'invalid')),
    ADD COLUMN survey_score smallint CHECK (survey_score BETWEEN 1 AND 5),
    ADD COLUMN survey_channel text NOT NULL DEFAULT '';

ALTER TABLE analytics_rollup
    ADD COLUMN outcome_goodwill bigint NOT NULL DEFAULT 0,
    ADD COLUMN determined_valid bigint NOT NULL DEFAULT 0,
    ADD COLUMN determined_invalid bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_1 bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_2 bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_3 bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_4 bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_5 bigint NOT NULL DEFAULT 0;
ALTER TABLE analytics_rollup_dim
    ADD COLUMN outcome_goodwill bigint NOT NULL DEFAULT 0,
    ADD COLUMN determined_valid bigint NOT NULL DEFAULT 0,
    ADD COLUMN determined_invalid bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_1 bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_2 bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_3 bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_4 bigint NOT NULL DEFAULT 0,
    ADD COLUMN score_5 bigint NOT NULL DEFAULT 0;

-- Did the case's last decision have this outcome? The main one or any of
-- the list.
CREATE FUNCTION analytics_has_outcome (f analytics_fact, kind text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT analytics_n (f.outcome = kind OR kind = ANY (f.outcomes))
$$;

DROP VIEW analytics_contribution;
DROP FUNCTION analytics_contribution_of (analytics_fact);

-- 014's function with 052's columns appended (the list after `priority` is
-- analytics_metrics, in order) and the outcome metrics counting the list.
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
    amount_cents bigint,
    outcome_goodwill integer, determined_valid integer, determined_invalid integer,
    score_1 integer, score_2 integer, score_3 integer, score_4 integer, score_5 integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT f.received_day, f.received_hour, f.channel, f.business_line, f.cause,
       f.department, f.branch, f.priority,
       1,
       analytics_n (f.accepted_at IS NOT NULL),
       analytics_n (f.rejected),
       analytics_n (f.withdrawn),
       analytics_n (f.resolved_at IS NOT NULL),
       analytics_n (f.state = 'closed'),
       analytics_n (NOT complaint_is_open (f.state)),
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
       analytics_has_outcome (f, 'explanation'),
       analytics_has_outcome (f, 'error_corrected'),
       analytics_has_outcome (f, 'refund'),
       analytics_has_outcome (f, 'compensation'),
       analytics_has_outcome (f, 'apology'),
       analytics_has_outcome (f, 'process_change'),
       CASE WHEN f.outcome IS NOT NULL THEN f.amount_cents ELSE 0 END,
       analytics_has_outcome (f, 'goodwill'),
       analytics_n (f.determination = 'valid'),
       analytics_n (f.determination = 'invalid'),
       analytics_n (f.survey_score = 1),
       analytics_n (f.survey_score = 2),
       analytics_n (f.survey_score = 3),
       analytics_n (f.survey_score = 4),
       analytics_n (f.survey_score = 5)
 WHERE f.received_at IS NOT NULL
$$;

CREATE VIEW analytics_contribution AS
SELECT f.complaint_no, c.*
  FROM analytics_fact f, analytics_contribution_of (f) c;
GRANT SELECT ON analytics_contribution TO complaints_analytics;
