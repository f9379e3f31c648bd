--
-- Pages, links and paging errors (the fixture is 01_setup's).
--
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SELECT invite_test.token(1) AS ann \gset
SELECT invite_test.token(2) AS bob \gset

-- Event 10 holds users 7, 2, 4, 6, 1, 5, 3 in page order.

-- First page: no previous, next at offset 3.
SELECT jsonb_pretty(invite_api.event_invites_page(10, 3, 0, :'ann'));

-- Middle page: previous has no offset (0 - 3 <= 0), next at 6.
SELECT invite_api.event_invites_page(10, 3, 3, :'ann');

-- Links are not aligned to pages: offset 3, limit 2 gives previous offset 1.
SELECT invite_api.event_invites_page(10, 2, 3, :'ann') - 'results';

-- Offset exactly one limit in: previous without offset.
SELECT invite_api.event_invites_page(10, 2, 2, :'ann') - 'results';

-- Last page: a partial page, no next.
SELECT invite_api.event_invites_page(10, 3, 6, :'ann');

-- A page that ends exactly at count has no next.
SELECT invite_api.event_invites_page(10, 2, 5, :'ann') - 'results';

-- Past the end: empty results, the true count, a previous link.
SELECT invite_api.event_invites_page(10, 3, 100, :'ann');
SELECT invite_api.event_invites_page(10, 3, 7, :'ann');

-- Defaults: limit NULL is invite_api.default_limit (20), offset NULL is 0,
-- and the arguments can be named.
SELECT invite_api.event_invites_page(10, token => :'ann') - 'results';
SELECT jsonb_array_length(invite_api.event_invites_page(event_id => 10, token => :'ann') -> 'results');
SET invite_api.default_limit = 2;
SELECT invite_api.event_invites_page(10, NULL, NULL, :'ann') - 'results';
RESET invite_api.default_limit;

-- A limit above invite_api.max_limit is lowered to it, and the links carry
-- the limit actually used.
SET invite_api.max_limit = 2;
SELECT invite_api.event_invites_page(10, 50, 2, :'ann') - 'results';
SELECT invite_api.event_invites_page(10, 2147483647, 0, :'ann') - 'results';
-- A default above the maximum is lowered too.
SET invite_api.default_limit = 5;
SELECT invite_api.event_invites_page(10, NULL, 0, :'ann') - 'results';
RESET invite_api.default_limit;
RESET invite_api.max_limit;

-- The largest offset does not overflow the links.
SELECT invite_api.event_invites_page(10, 100, 2147483647, :'ann');

-- Each result has exactly the five keys; NULL ext_id and avatar stay null;
-- quotes and non-ASCII survive.
SELECT r
  FROM jsonb_array_elements(invite_api.event_invites_page(10, 10, 0, :'ann') -> 'results') AS r;
SELECT DISTINCT array(SELECT jsonb_object_keys(r) ORDER BY 1)
  FROM jsonb_array_elements(invite_api.event_invites_page(10, 10, 0, :'ann') -> 'results') AS r;

-- Every page agrees with the plain SQL ground truth, for every limit and
-- offset around the edges.
SELECT l, o
  FROM generate_series(1, 8) AS l, generate_series(0, 9) AS o
 WHERE (SELECT coalesce(jsonb_agg(r -> 'id'), '[]')
          FROM jsonb_array_elements(invite_api.event_invites_page(10, l, o, :'ann') -> 'results') AS r)
       IS DISTINCT FROM
       (SELECT coalesce(jsonb_agg(to_jsonb(user_id) ORDER BY invited_at, user_id), '[]')
          FROM (SELECT user_id, invited_at FROM invite_api.event_invites
                 WHERE event_id = 10 ORDER BY invited_at, user_id LIMIT l OFFSET o) t);

-- An event without invites.
SELECT invite_api.event_invites_page(11, NULL, NULL, :'ann');
SELECT invite_api.event_invites_page(11, 5, 10, :'ann');

-- invite_api.base_url is put in front of the links; trailing slashes do not
-- double.
SET invite_api.base_url = 'https://community.example.com';
SELECT invite_api.event_invites_page(10, 2, 3, :'ann') - 'results';
SET invite_api.base_url = 'https://community.example.com//';
SELECT invite_api.event_invites_page(10, 2, 3, :'ann') - 'results';
RESET invite_api.base_url;

-- A user id beyond int4, in the token and the results.
SELECT invite_api.event_invites_page(20, NULL, NULL, invite_test.token(3000000000));

-- Paging errors: 22023 for limit and offset, 22004 for a null event.
SELECT invite_api.event_invites_page(10, 0, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, -5, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, 3, -1, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, 3, -2147483648, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(NULL, 3, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE

-- The token is checked first: a bad token with bad paging is 28000.
SELECT invite_api.event_invites_page(NULL, -1, -1, NULL);
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(NULL, -1, -1, 'not-a-token');
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Then paging, before the event: bad paging on a missing event is 22023.
SELECT invite_api.event_invites_page(999, 0, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE

-- No such event: P0002, even for a user who manages nothing.
SELECT invite_api.event_invites_page(999, NULL, NULL, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(999, NULL, NULL, invite_test.token(8));
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Not a manager of the event: 42501.  Being invited is not enough.
SELECT invite_api.event_invites_page(12, NULL, NULL, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, NULL, NULL, :'bob');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, NULL, NULL, invite_test.token(424242));
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Bob manages event 12.
SELECT invite_api.event_invites_page(12, NULL, NULL, :'bob');

-- The answer follows the tables within a transaction, and count and results
-- agree.
BEGIN;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
    VALUES (11, 8, '2024-01-01'), (11, 2, '2024-01-01');
SELECT invite_api.event_invites_page(11, 1, 1, :'ann');
DELETE FROM invite_api.users WHERE id = 8;
SELECT invite_api.event_invites_page(11, 1, 0, :'ann');
DELETE FROM invite_api.event_managers WHERE event_id = 11;
SELECT invite_api.event_invites_page(11, 1, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
DELETE FROM invite_api.events WHERE id = 11;
SELECT invite_api.event_invites_page(11, 1, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT invite_api.event_invites_page(11, 1, 0, :'ann');
