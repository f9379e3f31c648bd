# Logical replication (issue 8): a subscriber with the extension serves the
# same pages as its publisher, and the count and positions hold there.
#
# A publisher and a subscriber, both with invite_api.  Two publications of
# the publisher's database, each subscribed into a database of its own on
# the subscriber:
#   "contract": the four tables of the contract (users, events,
#       event_managers, event_invites), what a user publishes.  The
#       subscriber's bookkeeping must be kept by its own triggers, which the
#       apply worker (session_replication_role = replica) must fire.
#   "everything": FOR ALL TABLES, which also publishes whatever the
#       extension keeps beside those tables.  The subscriber gets the
#       publisher's bookkeeping as well as applying the invites itself: it
#       must still answer exactly as the publisher, and the subscription must
#       not stop on a conflict.
# Writes of every kind on the publisher: rows there before the subscription
# (initial sync), a bulk COPY, upserts, MERGE, a writable CTE, moves in time
# and between events, deletes, cascades from users and events, an event
# deleted and created again, TRUNCATE.
# After each, once the subscriptions have caught up: the same rows (table
# digests), the same pages of every event on both sides (page digests at
# limits 25 and 100), every sampled page of the subscriber equal to its own
# ground truth, position_faults() empty there, and no apply error.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use InviteTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $publisher = InviteTest::new_node('publisher', "wal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\n");
my $subscriber = InviteTest::new_node('subscriber', "max_logical_replication_workers = 8\n");
$publisher->start;
$subscriber->start;

InviteTest::create_database($publisher, 'app');
InviteTest::create_database($subscriber, 'contract');
InviteTest::create_database($subscriber, 'everything');

# Rows there before the subscription: 6,000 users, events 1-3 of 2,600,
# 700 and 40 invites managed by user 1, event 4 empty, event 5 managed by
# user 2 with 300, event 6 of 1,500 invites all at the same instant.
$publisher->safe_psql('app', q{
SELECT invite_test.load_community(6000, '{2600,700,40}');
INSERT INTO invite_api.events VALUES (4, 'empty'), (5, 'not ours'), (6, 'ties');
INSERT INTO invite_api.event_managers VALUES (4, 1), (5, 2), (6, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 5, g, timestamptz '2025-02-01 00:00+00' + g * interval '1 s' FROM generate_series(2, 301) g;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 6, g, 1, timestamptz '2025-03-01 00:00+00' FROM generate_series(2, 1501) g;
CREATE PUBLICATION contract FOR TABLE invite_api.users, invite_api.events,
    invite_api.event_managers, invite_api.event_invites;
CREATE PUBLICATION everything FOR ALL TABLES;
});

my $pub_conn = $publisher->connstr . ' dbname=app';
$subscriber->safe_psql('contract',
	"CREATE SUBSCRIPTION contract CONNECTION '$pub_conn' PUBLICATION contract");
$subscriber->safe_psql('everything',
	"CREATE SUBSCRIPTION everything CONNECTION '$pub_conn' PUBLICATION everything");
$subscriber->wait_for_subscription_sync($publisher, 'contract', 'contract');
$subscriber->wait_for_subscription_sync($publisher, 'everything', 'everything');

my %token = map { $_ => InviteTest::token($_ eq 'app' ? $publisher : $subscriber, $_, 1) }
  qw(app contract everything);

# What a database answers, as text: its rows, and the pages of every event
# user 1 manages (or the error that came instead).
sub answers
{
	my ($node, $db) = @_;
	my ($rc, $out, $err) = $node->psql($db, qq{
SELECT 'table ' || name || ' ' || rows || ' ' || digest FROM invite_test.table_digests();
SELECT 'pages ' || event_id || ' ' || pages || ' ' || digest FROM invite_test.page_digests(1, '$token{$db}', 25, 7);
SELECT 'pages ' || event_id || ' ' || pages || ' ' || digest FROM invite_test.page_digests(1, '$token{$db}', 100, 50);
});
	return $rc == 0 ? $out : "$out\nerror: $err";
}

# The subscriber's own pages against its own ground truth, its position
# faults, and its subscription's apply errors.
sub subscriber_faults
{
	my ($db) = @_;
	my ($rc, $out, $err) = $subscriber->psql($db, qq{
SELECT e.id || ': ' || invite_test.check_pages(e.id, 20, invite_test.probe_offsets(e.id, 20), '$token{$db}')
  FROM invite_api.events e JOIN invite_api.event_managers m ON m.event_id = e.id AND m.user_id = 1
 ORDER BY e.id;
SELECT 'position fault: ' || event_id || ' ' || fault FROM invite_test.position_faults();
SELECT 'apply errors: ' || apply_error_count || ', sync errors: ' || sync_error_count
  FROM pg_stat_subscription_stats WHERE apply_error_count + sync_error_count > 0;
});
	return $rc == 0 ? join("\n", grep { !/pages right$/ } split /\n/, $out) : "$out\nerror: $err";
}

my $step = 0;

# Write on the publisher (every statement must succeed there), wait for
# both subscribers, then compare.
sub publish
{
	my ($what, $sql) = @_;
	$step++;
	my ($rc, $out, $err) = $publisher->psql('app', $sql, on_error_stop => 0);
	my @errors = grep { /ERROR/ } split /\n/, $err;
	is(join("\n", @errors), '', "$step. $what: no error on the publisher");
	compare($what);
	return;
}

sub compare
{
	my ($what) = @_;
	$publisher->wait_for_catchup($_) for qw(contract everything);
	my $want = answers($publisher, 'app');
	for my $db (qw(contract everything))
	{
		is(answers($subscriber, $db), $want, "$step. $what: $db: the same rows and pages as the publisher");
		is(subscriber_faults($db), '', "$step. $what: $db: every page right, positions hold, no apply error");
	}
	return;
}

$step++;
compare('initial sync');

# A bulk COPY (3,000 invites into the empty event 4, ties among them).
my $copy = join('', map { "4\t$_\t1\t2025-04-01 00:" . sprintf('%02d', $_ % 60) . ":00+00\n" } 2 .. 3001);
publish('bulk COPY', "COPY invite_api.event_invites (event_id, user_id, invited_by, invited_at) FROM STDIN;\n$copy\\.\n");

# A rebuild on the subscriber of the four tables changes nothing there
# (what it computes is what it has); the changes applied after it must
# still be kept.
$subscriber->safe_psql('contract', 'SELECT invite_api.rebuild_invite_positions()');
$step++;
compare('rebuild on the subscriber');

# The upsert of issue 8 (1,600 moved to the end, 100 new among them), a
# MERGE with every action, and a writable CTE whose insert lands where its
# delete removes.
publish('upsert, MERGE, writable CTE', q{
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 1, s.u, 1, timestamptz '2026-01-01 00:00+00'
  FROM ((SELECT user_id AS u FROM invite_api.event_invites WHERE event_id = 1
          ORDER BY invited_at, user_id LIMIT 1600)
        UNION ALL
        (SELECT g FROM generate_series(2, 6000) AS g
          WHERE NOT EXISTS (SELECT FROM invite_api.event_invites i WHERE i.event_id = 1 AND i.user_id = g)
          LIMIT 100)) AS s
    ON CONFLICT (event_id, user_id) DO UPDATE SET invited_at = excluded.invited_at, invited_by = excluded.invited_by;
MERGE INTO invite_api.event_invites AS i
USING (SELECT 2 AS event_id, g AS user_id FROM generate_series(2, 3000) AS g) AS s
   ON i.event_id = s.event_id AND i.user_id = s.user_id
 WHEN MATCHED AND i.user_id % 5 = 0 THEN DELETE
 WHEN MATCHED THEN UPDATE SET invited_at = timestamptz '2020-01-01 00:00+00' + (i.user_id % 9) * interval '1 s'
 WHEN NOT MATCHED AND s.user_id % 2 = 0 THEN
      INSERT (event_id, user_id, invited_by, invited_at)
      VALUES (s.event_id, s.user_id, NULL, timestamptz '2020-01-01 00:00+00' + (s.user_id % 9) * interval '1 s');
WITH ins AS (
    INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
    SELECT 6, g, 1, timestamptz '2027-01-01 00:00+00' + g * interval '1 s' FROM generate_series(3001, 3600) AS g
    RETURNING 1)
DELETE FROM invite_api.event_invites
 WHERE event_id = 6 AND user_id IN (SELECT user_id FROM invite_api.event_invites WHERE event_id = 6
                                     ORDER BY invited_at DESC, user_id DESC LIMIT 600)
   AND (SELECT count(*) FROM ins) > 0;
});

# Moves in time and between events, single-row writes, deletes, and
# cascades from deleting users and an event.
publish('moves, deletes, cascades', q{
UPDATE invite_api.event_invites SET invited_at = invited_at - interval '2 years'
 WHERE event_id = 1 AND user_id % 7 = 0;
UPDATE invite_api.event_invites SET event_id = 4
 WHERE event_id = 2 AND user_id % 3 = 0
   AND NOT EXISTS (SELECT FROM invite_api.event_invites j WHERE j.event_id = 4 AND j.user_id = event_invites.user_id);
UPDATE invite_api.event_invites SET invited_at = 'infinity' WHERE event_id = 6 AND user_id = 77;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at) VALUES (3, 5999, '-infinity');
DELETE FROM invite_api.event_invites WHERE event_id = 1 AND user_id % 11 = 0;
DELETE FROM invite_api.event_invites WHERE event_id = 4 AND user_id = 100;
DELETE FROM invite_api.users WHERE id BETWEEN 2000 AND 2300;
DELETE FROM invite_api.events WHERE id = 5;
});

# Changes in one transaction with a savepoint rolled back.
publish('a transaction with a savepoint rolled back', q{
BEGIN;
DELETE FROM invite_api.event_invites WHERE event_id = 1;
SAVEPOINT s;
DELETE FROM invite_api.event_invites WHERE event_id = 6;
ROLLBACK TO SAVEPOINT s;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 1, g, timestamptz '2025-06-01 00:00+00' + (g % 13) * interval '1 minute' FROM generate_series(2400, 4400) AS g
    ON CONFLICT DO NOTHING;
COMMIT;
});

# An event deleted and created again in one transaction: its old invites go
# by cascade (on the subscriber, as deletes after the event's), its new ones
# must be counted.
publish('an event deleted and created again', q{
BEGIN;
DELETE FROM invite_api.events WHERE id = 3;
INSERT INTO invite_api.events VALUES (3, 'again');
INSERT INTO invite_api.event_managers VALUES (3, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 3, g, timestamptz '2025-07-01 00:00+00' + (g % 17) * interval '1 s' FROM generate_series(10, 700) AS g;
COMMIT;
});

# TRUNCATE, then invites again.
publish('TRUNCATE and invites again', q{
TRUNCATE invite_api.event_invites;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT e, g, timestamptz '2025-07-01 00:00+00' + ((g * e) % 300) * interval '1 minute'
  FROM generate_series(1, 4) AS e, generate_series(2, 1200 * e) AS g
 WHERE g NOT BETWEEN 2000 AND 2300;
});

$subscriber->stop;
$publisher->stop;
done_testing();
