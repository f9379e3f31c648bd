-- Invite 300 users at once, spread over the event's order, from this
-- client's own range of users (two batches never wait for each other's
-- rows in opposite orders, so never deadlock).
\set ev random(1, 4)
\set lo 2 + :client_id * :range + random(0, :range / 2 - 300)
\set s random(0, 80000)
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT :ev, u, 1, timestamptz '2025-01-01 00:00:00+00' + (:s + u % 97 * 60) * interval '1 second'
  FROM generate_series(:lo, :lo + 299) u
 ORDER BY u
    ON CONFLICT DO NOTHING;
