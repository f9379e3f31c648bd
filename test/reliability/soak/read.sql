-- A page of any event at any offset (one page past the end too), checked
-- against the ground truth read in the same snapshot: a wrong page is an
-- error.
\set ev random(1, 4)
SELECT coalesce((SELECT c.invites FROM invite_api.invite_counts c WHERE c.event_id = :ev), 0) + 60 AS maxoff \gset
\set off random(0, :maxoff)
\set lim random(1, 60)
SELECT invite_test.check_page(:ev, :lim, :off, :tok);
