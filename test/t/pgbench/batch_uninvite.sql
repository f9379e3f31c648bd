-- Uninvite up to 300 users of this client's own range at once.
\set ev random(1, 4)
\set lo 2 + :client_id * :range + random(0, :range / 2 - 300)
DELETE FROM invite_api.event_invites
 WHERE event_id = :ev AND user_id BETWEEN :lo AND :lo + 299;
