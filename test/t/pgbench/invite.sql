-- Invite one user, anyone (another client may invite the same one: no
-- unique violation under READ COMMITTED with ON CONFLICT DO NOTHING).
\set ev random(1, 4)
\set u 2 + random(0, :clients - 1) * :range + :range / 2 + random(0, :range / 2 - 1)
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by)
VALUES (:ev, :u, 1) ON CONFLICT DO NOTHING;
