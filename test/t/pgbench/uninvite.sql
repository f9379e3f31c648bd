-- Uninvite one user, if invited.
\set ev random(1, 4)
\set u random(2, :users)
DELETE FROM invite_api.event_invites WHERE event_id = :ev AND user_id = :u;
