SET LOCAL ROLE complaints_owner;
-- 046_incident.sql — the registration fields accountability needs (问责,
-- issue 16 §2; DOMAIN.md "Receive & register": the staff concerned, the
-- time and place of the incident): who the customer says was involved,
-- when and where it happened. Optional submit fields (`incident`:
-- staff_concerned, at, place), bounded here as in the request.
--
-- staff_concerned is personal data of staff: it stays in the store and the
-- staff view, never on the stream (complaint.received has no such key) nor
-- in analytics' facts; the accountability register shows it to the
-- managers who decide.
ALTER TABLE complaint
    ADD COLUMN staff_concerned text CHECK (char_length (staff_concerned) <= 200),
    ADD COLUMN incident_at     timestamptz,
    ADD COLUMN incident_place  text CHECK (char_length (incident_place) <= 200);
