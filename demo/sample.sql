-- A small community for the demo: 60 users, two events, their managers and
-- invites.  Loaded into the extension's tables like any client would.
INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar)
SELECT i,
       'user' || i,
       (ARRAY['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay'])[1 + i % 6] || ' ' ||
       (ARRAY['Lee', 'Roe', 'Ng', 'Diaz', 'Kim'])[1 + i % 5],
       CASE WHEN i % 3 <> 0 THEN 1000 + i END,
       CASE WHEN i % 2 = 0 THEN 'https://img.example.com/u/' || i || '.png' END
  FROM generate_series(1, 60) AS i;

INSERT INTO invite_api.events (id, name) VALUES
    (42, 'Community meetup'),
    (43, 'Board meeting');

-- User 1 manages the meetup; user 2 manages the board meeting.
INSERT INTO invite_api.event_managers (event_id, user_id) VALUES (42, 1), (43, 2);

-- 45 invites to the meetup, a few per hour (some at the same instant), and
-- three to the board meeting.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 42, u, 1, timestamptz '2026-11-01 09:00+00' + (u / 3) * interval '1 hour'
  FROM generate_series(10, 54) AS u;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 43, u, 2, timestamptz '2026-11-02 09:00+00' + u * interval '1 minute'
  FROM generate_series(3, 5) AS u;
