SET LOCAL ROLE complaints_owner;
-- 047_notify_casefile.sql — the notifier's interface for the case file and
-- for retention (issue 16 §3, "Case file export and retention";
-- docs/records.md).
--
-- The notification table is the notifier's (migration 007). Intake builds a
-- closed case's file (complaintctl casefile) and runs the retention sweep,
-- and both need the messages a case caused: the file lists them, the
-- retention erases the customer's address and the rendered text (which
-- holds the customer's name and, in a receipt, the query code). Neither
-- reads or writes the table itself: they ask these two functions, declared
-- here on the notifier's side, SECURITY DEFINER like the interface of 007.
--
--   notification_casefile (complaint_no)   the messages of a case as one JSON
--       array, oldest first, at most 500: recipient kind and id, channel,
--       address, language, subject, body, state, attempts, created and sent
--       (ms since the epoch). The address and body are shown to whoever may
--       export the file (intake's rule), as the staff view shows identity.
--   notification_erase_identity (complaint_no)   the case's rows lose the
--       address and the rendered body ('' and a note in last_error say so);
--       subject, channel, state and times stay, so the file still says what
--       was sent when. Returns the rows changed. Idempotent.

CREATE FUNCTION notification_casefile (p_complaint_no text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce (json_agg (json_build_object (
               'id', n.id, 'event_type', n.event_type, 'recipient_kind', n.recipient_kind,
               'recipient', n.recipient, 'channel', n.channel, 'address', n.address,
               'lang', n.lang, 'subject', n.subject, 'body', n.body, 'state', n.state,
               'attempts', n.attempts,
               'created_at', (extract (epoch FROM n.created_at) * 1000)::bigint,
               'sent_at', (extract (epoch FROM n.sent_at) * 1000)::bigint)
             ORDER BY n.id), '[]')
      FROM (SELECT * FROM notification WHERE complaint_no = p_complaint_no
             ORDER BY id LIMIT 500) n
$$;
COMMENT ON FUNCTION notification_casefile (text) IS
    'interface of the notifier: the messages of a case for its case file (JSON)';

CREATE FUNCTION notification_erase_identity (p_complaint_no text) RETURNS integer
LANGUAGE sql VOLATILE AS $$
    WITH erased AS (
        UPDATE notification SET address = NULL, body = '',
               last_error = 'address and text erased under the retention rule'
         WHERE complaint_no = p_complaint_no AND (address IS NOT NULL OR body <> '')
           AND state NOT IN ('pending', 'sending')
        RETURNING 1)
    SELECT count (*)::int FROM erased
$$;
COMMENT ON FUNCTION notification_erase_identity (text) IS
    'interface of the notifier: erase the address and rendered text of a case''s messages';

ALTER FUNCTION notification_casefile (text) SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION notification_erase_identity (text)
    SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION notification_casefile (text), notification_erase_identity (text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION notification_casefile (text), notification_erase_identity (text)
    TO complaints_intake;
