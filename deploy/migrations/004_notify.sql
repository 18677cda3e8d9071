-- 004_notify.sql — the notifier (issue 5): who is told what, and whether it
-- got there.
--
-- The notifier reads event_log directly after its cursor (the store is the
-- truth; the bus only wakes it). One transaction locks the cursor row (FOR
-- UPDATE SKIP LOCKED: one instance consumes at a time, the others deliver),
-- creates the notification rows of a batch of events and advances the
-- cursor, so a row is created once per (event, recipient, channel) whatever
-- dies when. Delivery claims due rows with SKIP LOCKED and a lease; a row
-- stuck in 'sending' past its lease (its process died) is claimed again and
-- re-sent with the same message_id, which is what lets a receiver drop the
-- one duplicate that can happen (sent, then the process died before COMMIT).

CREATE TABLE notifier_cursor (
    consumer        text PRIMARY KEY,
    last_seq        bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now ()
);

CREATE TABLE notification (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_seq       bigint NOT NULL,
    event_type      text NOT NULL,
    complaint_id    bigint REFERENCES complaint (id),
    complaint_no    text,
    recipient_kind  text NOT NULL CHECK (recipient_kind IN
                        ('customer', 'handler', 'supervisor', 'department_head',
                         'complaint_office', 'management')),
    recipient       text NOT NULL,          -- a staff id, or 'customer'
    channel         text NOT NULL CHECK (channel IN ('email', 'sms', 'push', 'inbox')),
    address         text,                   -- resolved at creation from the store
    lang            text NOT NULL DEFAULT 'zh',
    subject         text NOT NULL,
    body            text NOT NULL,          -- rendered at creation: a retry sends the same bytes
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN
                        ('pending', 'sending', 'sent', 'failed', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT app_now (),
    last_error      text,
    lease_owner     text,
    lease_until     timestamptz,
    message_id      text NOT NULL,          -- set by notification_message_id ()
    created_at      timestamptz NOT NULL DEFAULT app_now (),
    sent_at         timestamptz,
    CONSTRAINT notification_once_key UNIQUE (event_seq, recipient, channel)
);
-- What is due: only rows still owed are indexed.
CREATE INDEX notification_due_idx ON notification (next_attempt_at)
    WHERE state IN ('pending', 'failed');
-- Rows whose sender may have died.
CREATE INDEX notification_sending_idx ON notification (lease_until) WHERE state = 'sending';
CREATE INDEX notification_complaint_idx ON notification (complaint_no, id);

-- The in-app inbox of staff tools: written in the transaction that marks the
-- notification sent.
CREATE TABLE staff_inbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id        text NOT NULL REFERENCES staff (id),
    notification_id bigint NOT NULL UNIQUE REFERENCES notification (id),
    complaint_no    text,
    subject         text NOT NULL,
    body            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT app_now (),
    read_at         timestamptz
);
CREATE INDEX staff_inbox_unread_idx ON staff_inbox (staff_id, id) WHERE read_at IS NULL;

-- The Message-ID is the row's own, fixed when the row is created: every
-- attempt at this notification, in whatever process, carries the same one.
CREATE FUNCTION notification_message_id () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.message_id := '<n' || NEW.id || '.' || NEW.event_seq || '@complaints.local>';
    RETURN NEW;
END $$;
CREATE TRIGGER notification_message_id BEFORE INSERT ON notification
    FOR EACH ROW EXECUTE FUNCTION notification_message_id ();
