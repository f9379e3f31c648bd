--
-- The uninvite's planner hook plans its own DELETE and no other statement.
-- A trigger on event_invites runs while the uninvite's DELETE does; a
-- DELETE it plans of another table with a two-column primary key and
-- conditions of the same form ("a = value AND b = ANY (value)") is the
-- trigger's own, for the planner to plan as it would anywhere else.  With
-- index scans disabled the planner reads such a table sequentially, in the
-- trigger as outside it.  The same after an uninvite that failed: the
-- hook is off again.
--
CREATE TABLE regress_scope (a int, b int, PRIMARY KEY (a, b));
INSERT INTO regress_scope SELECT 1, g FROM generate_series(1, 100) AS g;
CREATE TABLE regress_scope_plans (at text, plan text);

-- The scan of the plan of a DELETE of regress_scope, recorded as "at".
CREATE FUNCTION regress_scope_explain(at text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    SET LOCAL enable_indexscan = off;
    SET LOCAL enable_bitmapscan = off;
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) DELETE FROM public.regress_scope WHERE a = 1 AND b = ANY (''{1,2}'')'
    LOOP
        IF line ~ 'Scan' THEN
            INSERT INTO public.regress_scope_plans VALUES (at, btrim(line, ' ->'));
        END IF;
    END LOOP;
END;
$$;
CREATE FUNCTION regress_scope_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_scope_explain(TG_WHEN || ' ' || TG_LEVEL || ' trigger');
    IF OLD.user_id = 6 THEN
        RAISE EXCEPTION 'uninvite of user 6 refused';
    END IF;
    RETURN OLD;
END;
$$;

-- Event 2501, managed by user 1, with users 5 and 6 invited.
INSERT INTO invite_api.events VALUES (2501, 'scope');
INSERT INTO invite_api.event_managers VALUES (2501, 1);
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (2501, 5), (2501, 6);
SELECT invite_test.token(1) AS tok \gset
BEGIN;
SELECT regress_scope_explain('outside');
CREATE TRIGGER regress_scope_before BEFORE DELETE ON invite_api.event_invites
    FOR EACH ROW EXECUTE FUNCTION regress_scope_trigger();
CREATE TRIGGER regress_scope_after AFTER DELETE ON invite_api.event_invites
    FOR EACH ROW EXECUTE FUNCTION regress_scope_trigger();
SELECT invite_api.event_uninvite_users(2501, ARRAY[5], :'tok');
SAVEPOINT refused;
SELECT invite_api.event_uninvite_users(2501, ARRAY[6], :'tok');
ROLLBACK TO refused;
SELECT regress_scope_explain('after a failed uninvite');
SELECT at, plan FROM regress_scope_plans ORDER BY at;
ROLLBACK;

DROP FUNCTION regress_scope_trigger();
DROP FUNCTION regress_scope_explain(text);
DROP TABLE regress_scope, regress_scope_plans;
DELETE FROM invite_api.events WHERE id = 2501;
