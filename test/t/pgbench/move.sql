-- Move one invite in time, anywhere in the event's order (the key of the
-- page order changes: a run loses it, another gains it).
\set ev random(1, 4)
\set u 2 + random(0, :clients - 1) * :range + :range / 2 + random(0, :range / 2 - 1)
\set s random(0, 90000)
UPDATE invite_api.event_invites
   SET invited_at = timestamptz '2025-01-01 00:00:00+00' + :s * interval '1 second'
 WHERE event_id = :ev AND user_id = :u;
