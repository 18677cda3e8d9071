SET LOCAL ROLE complaints_owner;
-- 025_reply_message_id.sql — the notifier's Message-ID names the case
-- (issue 14 §3; docs/adapters.md "Replies").
--
-- A customer answering one of our e-mails sends In-Reply-To / References
-- with the Message-ID we gave it. Until now that was <nID.SEQ@complaints.local>,
-- and the e-mail adapter could only name the case by reading the
-- notification table, which is the notifier's (invariant 9). Now a
-- notification about a case carries its number, and 8 random hex digits
-- so that the id of one message does not give the ids of the others:
--
--     <nID.SEQ.COMPLAINT_NO.RANDOM@complaints.local>
--
-- The id is a way to find the case, never an authorisation: intake records
-- a reply only when its sender is the case's customer (the keyed hash of
-- the address, services/intake/case_reply.c). Rows without a case (a
-- staff digest) keep the old form; rows made before this file keep theirs
-- (the adapter still reads the old form as a reply it cannot place: it
-- quarantines it with that reason).

CREATE OR REPLACE FUNCTION notification_message_id () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.complaint_no IS NOT NULL AND NEW.complaint_no <> '' THEN
        NEW.message_id := '<n' || NEW.id || '.' || NEW.event_seq || '.' || NEW.complaint_no
                          || '.' || substr (replace (gen_random_uuid ()::text, '-', ''), 1, 8)
                          || '@complaints.local>';
    ELSE
        NEW.message_id := '<n' || NEW.id || '.' || NEW.event_seq || '@complaints.local>';
    END IF;
    RETURN NEW;
END $$;
