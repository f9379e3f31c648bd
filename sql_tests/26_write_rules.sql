--
-- Rules on event_invites that would change what the write functions do.
-- A DO INSTEAD rule ON DELETE replaces the uninvite's DELETE (with nothing,
-- or with another statement, or for some rows): the uninvite cannot say
-- what it removed, and refuses with 55000 before writing.  PostgreSQL
-- cannot run the invite's INSERT ... ON CONFLICT on a table with rules ON
-- INSERT or ON UPDATE: the invite refuses with 55000 too.  A DO ALSO rule
-- ON DELETE leaves the uninvite's DELETE as it is.  Once the rule is
-- dropped the same backend writes again, whether its plans were made
-- before the rule or while it was there.
--
CREATE TABLE regress_rule_log (user_id bigint);
GRANT INSERT, DELETE ON regress_rule_log TO PUBLIC;

-- Event 2601, managed by user 1, with users 5..9 invited.
INSERT INTO invite_api.events VALUES (2601, 'rules');
INSERT INTO invite_api.event_managers VALUES (2601, 1);
INSERT INTO invite_api.event_invites (event_id, user_id) SELECT 2601, g FROM generate_series(5, 9) AS g;
SELECT invite_test.token(1) AS tok \gset
CREATE VIEW regress_rule_invites AS
    SELECT array_agg(user_id ORDER BY user_id) AS invited
      FROM invite_api.event_invites WHERE event_id = 2601;

-- Plans made before any rule: both functions work.
SELECT invite_api.event_uninvite_users(2601, ARRAY[9], :'tok') AS removed;
SELECT invite_api.event_invite_users(2601, ARRAY[9], :'tok') AS created;

-- DO INSTEAD NOTHING ON DELETE: refused, nothing removed.
CREATE RULE regress_keep AS ON DELETE TO invite_api.event_invites DO INSTEAD NOTHING;
SELECT invite_api.event_uninvite_users(2601, ARRAY[5], :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT * FROM regress_rule_invites;
-- The invite is not concerned.
SELECT invite_api.event_invite_users(2601, ARRAY[10], :'tok') AS created;
DROP RULE regress_keep ON invite_api.event_invites;
SELECT invite_api.event_uninvite_users(2601, ARRAY[5, 10], :'tok') AS removed;
SELECT * FROM regress_rule_invites;

-- A new backend whose first uninvite meets the rule, then writes once the
-- rule is gone (its plan made while the rule was there would never see
-- the DROP RULE: a rule of NOTHING leaves the plan no table to depend on).
\c
CREATE RULE regress_keep AS ON DELETE TO invite_api.event_invites DO INSTEAD NOTHING;
SELECT invite_api.event_uninvite_users(2601, ARRAY[6], :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
DROP RULE regress_keep ON invite_api.event_invites;
SELECT invite_api.event_uninvite_users(2601, ARRAY[6], :'tok') AS removed;
SELECT * FROM regress_rule_invites;

-- DO INSTEAD another DELETE (which PostgreSQL reports as a DELETE, of
-- another table's rows), and a conditional DO INSTEAD: refused.
CREATE RULE regress_elsewhere AS ON DELETE TO invite_api.event_invites
    DO INSTEAD DELETE FROM public.regress_rule_log WHERE user_id = old.user_id;
SELECT invite_api.event_uninvite_users(2601, ARRAY[7], :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
DROP RULE regress_elsewhere ON invite_api.event_invites;
CREATE RULE regress_some AS ON DELETE TO invite_api.event_invites
    WHERE old.user_id = 8 DO INSTEAD NOTHING;
SELECT invite_api.event_uninvite_users(2601, ARRAY[7, 8], :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
DROP RULE regress_some ON invite_api.event_invites;
SELECT * FROM regress_rule_invites;

-- DO ALSO ON DELETE: the uninvite removes the invite and the rule logs it.
CREATE RULE regress_log AS ON DELETE TO invite_api.event_invites
    DO ALSO INSERT INTO public.regress_rule_log VALUES (old.user_id);
SELECT invite_api.event_uninvite_users(2601, ARRAY[7, 100], :'tok') AS removed;
DROP RULE regress_log ON invite_api.event_invites;
SELECT * FROM regress_rule_log;
SELECT * FROM regress_rule_invites;

-- Rules ON INSERT or ON UPDATE, DO INSTEAD or DO ALSO: the invite refuses,
-- nothing created; the uninvite is not concerned.
CREATE RULE regress_no_insert AS ON INSERT TO invite_api.event_invites DO INSTEAD NOTHING;
SELECT invite_api.event_invite_users(2601, ARRAY[20], :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(2601, ARRAY[8], :'tok') AS removed;
DROP RULE regress_no_insert ON invite_api.event_invites;
CREATE RULE regress_log_update AS ON UPDATE TO invite_api.event_invites
    DO ALSO INSERT INTO public.regress_rule_log VALUES (new.user_id);
SELECT invite_api.event_invite_users(2601, ARRAY[20], :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
DROP RULE regress_log_update ON invite_api.event_invites;
SELECT invite_api.event_invite_users(2601, ARRAY[20], :'tok') AS created;
SELECT * FROM regress_rule_invites;

-- The page and its bookkeeping agree with the invites throughout.
SELECT (invite_api.event_invites_page(2601, 10, 0, :'tok'))->'count' AS count;
SELECT count(*) AS faults FROM invite_test.position_faults();

DROP VIEW regress_rule_invites;
DROP TABLE regress_rule_log;
DELETE FROM invite_api.events WHERE id = 2601;
