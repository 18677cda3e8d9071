SET LOCAL ROLE complaints_owner;
-- 045_accountability.sql — the accountability register (问责, issue 16 §2;
-- seed 004_2f51cd16205a384a.txt 第十二條; docs/tasks.md "Accountability").
--
-- accountability_item (owner: intake). One row per trigger met, per case or
-- per hot spot (UNIQUE: a trigger is recorded once), with the outcome a
-- manager decides (intake `accountability decide`). Triggers detected:
--   referral_unaccepted   a referred (forwarded) complaint whose acceptance
--                         clock (acknowledge) breached: nobody accepted it
--                         in time
--   hotspot_uncorrected   an open hot spot of one branch, older than the
--                         watchdog's grace, with no rectification item of
--                         its key (case_task.hotspot), open or done
--   repeat_after_breach   a review or an escalation (the customer complained
--                         again, higher) after a first-response or
--                         resolution clock of the case had breached
-- (media is in the CHECK for the plan's trigger, docs/tasks.md; nothing
-- writes it yet.)
--
-- The watchdog detects (it sweeps on the store's clock) and asks the owner
-- to record: accountability_open, intake's interface, idempotent; the
-- watchdog appends the event it returns the facts for (accountability.
-- opened, packed by its one packer in C) in the same transaction, as
-- notification_retry's callers do (migration 007).

CREATE TABLE accountability_item (
    id              bigserial PRIMARY KEY,
    trigger         text NOT NULL CHECK (trigger IN ('referral_unaccepted', 'hotspot_uncorrected',
                                                     'repeat_after_breach', 'media')),
    complaint_id    bigint REFERENCES complaint (id),
    hotspot         text CHECK (char_length (hotspot) <= 200),
    department      text,
    opened_at       timestamptz NOT NULL,
    opened_by       text NOT NULL,
    outcome         text CHECK (outcome IN ('none', 'warning', 'training', 'criticism',
                                            'penalty', 'dismissal')),
    outcome_note    text CHECK (char_length (outcome_note) <= 4000),
    decided_by      text,
    decided_at      timestamptz,
    CONSTRAINT accountability_about CHECK (complaint_id IS NOT NULL OR hotspot IS NOT NULL),
    CONSTRAINT accountability_once_case UNIQUE (trigger, complaint_id),
    CONSTRAINT accountability_once_hotspot UNIQUE (trigger, hotspot)
);
COMMENT ON TABLE accountability_item IS
    'owner: intake | the accountability register (问责): a trigger met, per case or hot spot, '
    'and the outcome a manager decided';
CREATE INDEX case_task_hotspot ON case_task (hotspot) WHERE hotspot IS NOT NULL;
-- The repeat_after_breach trigger starts from reviews and escalations.
CREATE INDEX case_action_review_escalate ON case_action (complaint_id)
    WHERE action IN ('review', 'escalate');

-- Record that a trigger was met; nothing when it was already (no row).
CREATE FUNCTION accountability_open (p_trigger text, p_complaint_id bigint, p_hotspot text,
                                     p_department text, p_by text)
RETURNS TABLE (id bigint)
LANGUAGE sql VOLATILE AS $$
    INSERT INTO accountability_item AS a (trigger, complaint_id, hotspot, department,
                                          opened_at, opened_by)
    VALUES (p_trigger, p_complaint_id, p_hotspot, nullif (p_department, ''), app_now (), p_by)
    ON CONFLICT DO NOTHING
    RETURNING a.id
$$;
COMMENT ON FUNCTION accountability_open (text, bigint, text, text, text) IS
    'interface of intake: record an accountability trigger (once)';
ALTER FUNCTION accountability_open (text, bigint, text, text, text)
    SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION accountability_open (text, bigint, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION accountability_open (text, bigint, text, text, text)
    TO complaints_watchdog;

GRANT SELECT, UPDATE ON accountability_item TO complaints_intake;
GRANT SELECT ON accountability_item, analytics_hotspot TO complaints_watchdog;
