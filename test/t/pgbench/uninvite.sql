-- Uninvite one user, if invited.
\set ev random(1, 4)
\set u 2 + random(0, :clients - 1) * :range + :range / 2 + random(0, :range / 2 - 1)
DELETE FROM invite_api.event_invites WHERE event_id = :ev AND user_id = :u;
