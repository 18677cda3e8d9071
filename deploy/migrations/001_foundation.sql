-- 001_foundation.sql — complaints, the transactional outbox, the event log.
--
-- Invariant 3: a service writes a state change and its event (an outbox row)
-- in one transaction. The bus, the single writer of event_log, moves outbox
-- rows into the log under a gap-free seq and deletes them in the same
-- transaction, then publishes. event_log is append-only.

-- Complaint numbers: each intake instance reserves a block of 100 sequence
-- values per nextval(), so instances never share a number and a crash
-- wastes at most one block.
CREATE SEQUENCE complaint_no_seq INCREMENT BY 100 MINVALUE 1 START 1;

CREATE TABLE complaint (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_no        text NOT NULL UNIQUE,
    channel             text NOT NULL,
    ref                 text NOT NULL,          -- adapter's idempotency reference
    state               text NOT NULL DEFAULT 'received',
    subject             text,
    body                text NOT NULL,
    demand              text,
    branch              text,
    product             text,
    category            text,
    amount              numeric(17, 2),
    lang                text NOT NULL DEFAULT 'zh',
    -- customer identity: only here and in replies to staff, never on the bus
    customer_name       text,
    customer_phone      text,
    customer_email      text,
    customer_account    text,
    customer_id_no      text,
    customer_pseudonym  text NOT NULL,          -- HMAC, what the bus carries
    department          text,
    routing_rule        text,
    received_at         timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1,
    -- work-queue lease (router claims a received complaint)
    lease_owner         text,
    lease_until         timestamptz,
    CONSTRAINT complaint_channel_ref_key UNIQUE (channel, ref),
    CONSTRAINT complaint_channel_check CHECK (channel IN
        ('hotline', 'email', 'web', 'sms', 'letter', 'counter', 'app', 'wechat', 'regulator')),
    CONSTRAINT complaint_lang_check CHECK (lang IN ('zh', 'en'))
);

-- The router's queue: only complaints still waiting to be routed are indexed,
-- so finding work costs what is waiting, not what is stored.
CREATE INDEX complaint_to_route_idx ON complaint (id) WHERE state = 'received';
CREATE INDEX complaint_pseudonym_idx ON complaint (customer_pseudonym, received_at);

CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type            text NOT NULL,              -- e.g. complaint.received
    complaint_no    text,
    at              timestamptz NOT NULL DEFAULT now(),
    data            bytea NOT NULL              -- msgpack map, already pseudonymised
);

-- Wake the bus as soon as a transaction with events commits (NOTIFY is
-- delivered at commit, and only if it commits). One per statement, and
-- PostgreSQL folds identical notifications within a transaction.
CREATE FUNCTION outbox_notify () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify ();

CREATE TABLE event_log (
    seq             bigint PRIMARY KEY,         -- gap-free, from 1, in commit order
    type            text NOT NULL,
    complaint_no    text,
    at              timestamptz NOT NULL,       -- when the change committed
    logged_at       timestamptz NOT NULL DEFAULT now(),
    event           bytea NOT NULL              -- the msgpack map exactly as published
);
CREATE INDEX event_log_complaint_idx ON event_log (complaint_no, seq);

CREATE FUNCTION event_log_append_only () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_log is append-only' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER event_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION event_log_append_only ();
