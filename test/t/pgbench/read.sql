-- A page of any event at any offset (one page past the end too, as far as
-- the event's count says), checked against the ground truth read in the
-- same snapshot: a wrong page is an error.
\set ev random(1, 4)
SELECT (invite_api.event_invites_page(:ev, 1, 0, :tok) ->> 'count')::int + 60 AS maxoff \gset
\set off random(0, :maxoff)
\set lim random(1, 60)
SELECT invite_test.check_page(:ev, :lim, :off, :tok);
