-- Invite 50 users of this client's own range through the write function,
-- a few of them listed twice: afterwards, in the same transaction, every
-- one is invited and the page still agrees with the ground truth.
\set ev random(1, 4)
\set lo 2 + :client_id * :range + random(0, :range / 2 - 50)
BEGIN;
SELECT invite_api.event_invite_users(:ev,
           ARRAY(SELECT generate_series(:lo, :lo + 49)) || ARRAY[:lo, :lo + 7], :tok) AS made \gset
SELECT invite_test.require((:made)::int BETWEEN 0 AND 50 AND count(*) = 50,
                           format('invited %s, %s of the 50 found', (:made)::int, count(*)))
  FROM invite_api.event_invites WHERE event_id = :ev AND user_id BETWEEN :lo AND :lo + 49;
SELECT invite_test.check_page(:ev, 25, 0, :tok);
COMMIT;
