-- Uninvite 50 users of this client's own range through the write function:
-- afterwards, in the same transaction, none of them is invited.
\set ev random(1, 4)
\set lo 2 + :client_id * :range + random(0, :range / 2 - 50)
BEGIN;
SELECT invite_api.event_uninvite_users(:ev, ARRAY(SELECT generate_series(:lo, :lo + 49)), :tok) AS gone \gset
SELECT invite_test.require((:gone)::int BETWEEN 0 AND 50 AND count(*) = 0,
                           format('removed %s, %s left', (:gone)::int, count(*)))
  FROM invite_api.event_invites WHERE event_id = :ev AND user_id BETWEEN :lo AND :lo + 49;
COMMIT;
