--
-- The owner may change the type of a page column (issue 8: with
-- users.ext_id an integer, a page call crashed the backend).  After each
-- change a page is right or a clear error, in a backend that had already
-- served pages and in a new one, and the backend lives on.  "Right": every
-- field as page_truth() has it, except that ext_id may come as a JSON
-- number or string when its text is the column's text.  "A clear error":
-- any SQLSTATE outside class XX (internal errors).
--
-- Users 7060001-7060060 and event 7130, managed by user 7060000.
--
SELECT invite_test.token(7060000) AS tok \gset
INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar)
SELECT 7060000 + g, 'i8y-' || g, 'User ' || g, CASE WHEN g % 4 <> 0 THEN g * 10 END,
       CASE WHEN g % 3 = 0 THEN 'https://img.example.com/' || g END
  FROM generate_series(0, 60) AS g;
INSERT INTO invite_api.events VALUES (7130, 'column types');
INSERT INTO invite_api.event_managers VALUES (7130, 7060000);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7130, 7060000 + g, timestamptz '2025-01-01 00:00+00' + (g % 7) * interval '1 hour'
  FROM generate_series(1, 60) AS g;
CREATE TABLE regress_users_before AS SELECT * FROM invite_api.users;

-- 'right', 'clear error' or what else happened, over a few pages (in
-- schema public, as they outlive the sessions of this test).
CREATE FUNCTION regress_page_verdict(p_token text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    o int;
    got jsonb;
    want jsonb;
    verdicts text[] := '{}';
BEGIN
    FOREACH o IN ARRAY ARRAY[0, 17, 55] LOOP
        BEGIN
            SELECT invite_api.event_invites_page(7130, 10, o, p_token),
                   invite_test.page_truth(7130, 10, o)
              INTO got, want;
            -- ext_id by its text, then everything else exactly.
            IF (SELECT array_agg(r ->> 'ext_id' ORDER BY n) FROM jsonb_array_elements(got -> 'results')
                       WITH ORDINALITY AS x(r, n))
               IS DISTINCT FROM
               (SELECT array_agg(r ->> 'ext_id' ORDER BY n) FROM jsonb_array_elements(want -> 'results')
                       WITH ORDINALITY AS x(r, n))
               OR jsonb_set(got, '{results}', (SELECT coalesce(jsonb_agg(r - 'ext_id' ORDER BY n), '[]')
                                                 FROM jsonb_array_elements(got -> 'results')
                                                      WITH ORDINALITY AS x(r, n)))
                  IS DISTINCT FROM
                  jsonb_set(want, '{results}', (SELECT coalesce(jsonb_agg(r - 'ext_id' ORDER BY n), '[]')
                                                  FROM jsonb_array_elements(want -> 'results')
                                                       WITH ORDINALITY AS x(r, n))) THEN
                verdicts := verdicts || ('wrong at ' || o || ': ' || left(got::text, 200));
            ELSE
                verdicts := verdicts || 'right'::text;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            verdicts := verdicts || CASE WHEN SQLSTATE LIKE 'XX%' THEN 'internal error ' || SQLSTATE || ': ' || SQLERRM
                                         ELSE 'clear error' END;
        END;
    END LOOP;
    RETURN (SELECT string_agg(DISTINCT v, '; ') FROM unnest(verdicts) AS v);
END;
$$;
-- True when the page is right or a clear error (the choice is the
-- extension's); otherwise what happened.
CREATE FUNCTION regress_right_or_clear(p_token text) RETURNS text
LANGUAGE sql AS $$
    SELECT CASE WHEN v IN ('right', 'clear error', 'clear error; right') THEN 'right or clear error' ELSE v END
      FROM regress_page_verdict(p_token) AS v
$$;

SELECT regress_page_verdict(:'tok');
SELECT pg_backend_pid() AS pid \gset

-- integer: the case found.
ALTER TABLE invite_api.users ALTER ext_id TYPE integer;
SELECT regress_right_or_clear(:'tok');
SELECT pg_backend_pid() = :pid AS same_backend;
\c
SELECT pg_backend_pid() AS pid \gset
SELECT invite_test.token(7060000) AS tok \gset
SELECT regress_right_or_clear(:'tok');
SELECT pg_backend_pid() = :pid AS same_backend;
ALTER TABLE invite_api.users ALTER ext_id TYPE bigint;

-- text, numeric: castable to bigint.
ALTER TABLE invite_api.users ALTER ext_id TYPE text;
SELECT regress_right_or_clear(:'tok');
SELECT pg_backend_pid() = :pid AS same_backend;
ALTER TABLE invite_api.users ALTER ext_id TYPE numeric USING ext_id::numeric;
SELECT regress_right_or_clear(:'tok');
SELECT pg_backend_pid() = :pid AS same_backend;
ALTER TABLE invite_api.users ALTER ext_id TYPE bigint USING ext_id::bigint;

-- boolean and uuid: not castable to bigint.
ALTER TABLE invite_api.users ALTER ext_id TYPE boolean USING ext_id % 20 = 0;
SELECT regress_right_or_clear(:'tok');
SELECT pg_backend_pid() = :pid AS same_backend;
ALTER TABLE invite_api.users ALTER ext_id TYPE bigint USING NULL;
UPDATE invite_api.users u SET ext_id = b.ext_id FROM regress_users_before b WHERE b.id = u.id;
ALTER TABLE invite_api.users ALTER ext_id TYPE uuid USING lpad(to_hex(ext_id), 32, '0')::uuid;
SELECT regress_right_or_clear(:'tok');
SELECT pg_backend_pid() = :pid AS same_backend;
\c
SELECT pg_backend_pid() AS pid \gset
SELECT invite_test.token(7060000) AS tok \gset
SELECT regress_right_or_clear(:'tok');
SELECT pg_backend_pid() = :pid AS same_backend;
ALTER TABLE invite_api.users ALTER ext_id TYPE bigint USING NULL;

-- The text columns as varchar: nothing changes.
ALTER TABLE invite_api.users ALTER username TYPE varchar(64), ALTER avatar TYPE varchar;
SELECT regress_right_or_clear(:'tok');
SELECT pg_backend_pid() = :pid AS same_backend;
ALTER TABLE invite_api.users ALTER username TYPE text, ALTER avatar TYPE text;

-- Put the values back, and check the table is as it was.
UPDATE invite_api.users u SET ext_id = b.ext_id FROM regress_users_before b WHERE b.id = u.id
   AND u.ext_id IS DISTINCT FROM b.ext_id;
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'invite_api.users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT count(*) AS users_changed
  FROM regress_users_before b FULL JOIN invite_api.users u USING (id)
 WHERE (b.*) IS DISTINCT FROM (u.*);
SELECT regress_page_verdict(:'tok');
SELECT invite_test.check_pages(7130, 10, ARRAY(SELECT generate_series(0, 60, 5)), :'tok');

DROP TABLE regress_users_before;
DROP FUNCTION regress_right_or_clear(text), regress_page_verdict(text);
DELETE FROM invite_api.events WHERE id = 7130;
DELETE FROM invite_api.users WHERE id BETWEEN 7060000 AND 7060060;
SELECT * FROM invite_test.position_faults();
