# Read replicas: a streaming hot standby of the primary, made from a base
# backup, serves the same pages as the primary.
#
#   0. Settings are not replicated: without invite_api.jwt_secret in its own
#      postgresql.conf the standby refuses with 55000; with it, it answers.
#   1. Right after the base backup, and 2. after changes on the primary
#      (batches, deletes, moves, an event added and one deleted, the runs
#      rebuilt), once the standby has replayed up to the primary's WAL
#      position: the same rows, the same pages of every event (digests), the
#      count and runs hold on the standby.
#   3. While pgbench writers churn the primary, pgbench readers on the
#      standby check each page against the ground truth in their snapshot
#      (no error allowed); then, caught up, the same answers again.
#   4. With the runs made unlogged on the primary, the standby refuses the
#      pages that read them with 0A000, as PostgreSQL refuses any query of
#      an unlogged table during recovery; logged again, the same answers.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InviteTest;

my $db = 'rep';
my $USERS = 6000;

# Room for the writers and readers (allows_streaming sets 10 connections
# and 1 MB of buffers); pgbench's statements would fill the log.
my $primary = InviteTest::new_node(
	'primary', qq{
max_connections = 30
shared_buffers = 32MB
log_statement = none
}, allows_streaming => 1);
$primary->start;
InviteTest::create_database($primary, $db);
InviteTest::load_community($primary, $db, $USERS, 2500, 700, 50);
$primary->safe_psql(
	$db, q{
INSERT INTO invite_api.events VALUES (4, 'empty'), (5, 'doomed');
INSERT INTO invite_api.event_managers VALUES (4, 1), (5, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 5, g, timestamptz '2025-03-01 00:00:00+00' FROM generate_series(2, 300) g});
my $token = InviteTest::token($primary, $db, 1);

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
# The secret removed, to show that it must be configured on the standby
# itself.
$standby->adjust_conf('postgresql.conf', 'invite_api.jwt_secret', undef);
$standby->start;

is($standby->safe_psql($db, 'SELECT pg_is_in_recovery()'),
	't', 'standby in recovery');
ok( $primary->poll_query_until(
		'postgres',
		"SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
		'1'),
	'standby streaming from the primary');

# Wait until the standby has replayed the primary's WAL so far.
sub catch_up
{
	my ($what) = @_;
	my $lsn = $primary->lsn('write');
	$primary->wait_for_catchup($standby, 'replay', $lsn);
	is( $standby->safe_psql(
			$db, "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn"),
		't',
		"$what: standby replayed up to $lsn");
	return;
}

# The standby answers what the primary does, its positions hold.
sub same
{
	my ($what) = @_;
	my @pagings = ([ 25, 7 ], [ 100, 61 ]);
	my $answers = InviteTest::answers($primary, $db, $token, @pagings);
	is(InviteTest::answers($standby, $db, $token, @pagings),
		$answers,
		"$what: same rows and pages on the standby ("
		  . InviteTest::describe_answers($answers) . ')');
	is(InviteTest::position_faults($standby, $db),
		'', "$what: no count or run faults on the standby");
	return;
}

note '0. the secret';
catch_up('base backup');
my $page = "SELECT invite_api.event_invites_page(1, 5, 0, '$token')";
is(InviteTest::sqlstate($standby, $db, $page),
	'55000', 'standby without the secret refuses');
$standby->append_conf('postgresql.conf',
	"invite_api.jwt_secret = '$InviteTest::SECRET'");
$standby->reload;
# (The key itself reads back as ********: the reload is over when a token
# verifies.)
ok($standby->poll_query_until($db, "SELECT ($page) IS NOT NULL"),
	'standby reloaded with the secret');
is( $standby->safe_psql($db, "SELECT ($page) -> 'count'"),
	$primary->safe_psql(
		$db,
		'SELECT count(*) FROM invite_api.event_invites WHERE event_id = 1'),
	'standby with the secret in its postgresql.conf: count of event 1');

note '1. after the base backup';
same('after the base backup');

note '2. after changes on the primary';
$primary->safe_psql(
	$db, q{
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 1, g, 1, timestamptz '2025-01-01 02:00:00+00' + g * interval '1 ms'
  FROM generate_series(2, 5999) g ON CONFLICT DO NOTHING;
DELETE FROM invite_api.event_invites WHERE event_id = 2 AND user_id % 3 = 0;
UPDATE invite_api.event_invites SET invited_at = invited_at - interval '1 day'
 WHERE event_id = 1 AND user_id % 17 = 0;
INSERT INTO invite_api.events VALUES (6, 'new');
INSERT INTO invite_api.event_managers VALUES (6, 1);
INSERT INTO invite_api.event_invites (event_id, user_id) SELECT 6, g FROM generate_series(2, 40) g;
DELETE FROM invite_api.events WHERE id = 5;
});
InviteTest::rebuild_positions($primary, $db);
catch_up('changes');
same('after changes');

note '3. writers on the primary, readers on the standby';
my $writers = InviteTest::pgbench_start(
	$primary, $db,
	clients => 3,
	secs => 10,
	vars => { users => $USERS, range => int(($USERS - 1) / 3), clients => 3 },
	scripts => [
		'invite.sql@3', 'uninvite.sql@3',
		'move.sql@1', 'batch_invite.sql@1',
		'batch_uninvite.sql@1'
	]);
my $readers = InviteTest::pgbench_start(
	$standby, $db,
	clients => 2,
	secs => 10,
	prepared => 1,
	vars => { tok => $token },
	scripts => ['read.sql']);
InviteTest::pgbench_finish($readers);
InviteTest::pgbench_finish($writers);
is($writers->{status}, 0, 'writers: pgbench exit status');
is($writers->{failed}, 0, 'writers: failed transactions');
is($readers->{status}, 0, 'readers on the standby: pgbench exit status');
is($readers->{failed}, 0, 'readers on the standby: failed transactions');
is($readers->{aborted}, '', 'readers on the standby: no errors');
cmp_ok($readers->{processed} // 0, '>', 0, 'readers on the standby: checked reads');
note "writes on the primary: $writers->{processed}, checked reads on the standby: $readers->{processed}";
catch_up('churn');
same('after churn');

note '4. the runs made unlogged on the primary';
# A standby has no data of an unlogged table.  A deep page reads the runs
# in C (src/run_scan.c), not through the planner, which refuses such a
# table during recovery: it must refuse the same way, not reach for files
# that are not there.  Pages that do not read the runs are served.
$primary->safe_psql($db, 'ALTER TABLE invite_api.invite_runs SET UNLOGGED');
catch_up('unlogged runs');
is( InviteTest::sqlstate(
		$standby, $db, "SELECT invite_api.event_invites_page(1, 5, 0, '$token')"),
	'ok', 'unlogged runs: the first page is served on the standby');
is( InviteTest::sqlstate(
		$standby, $db, "SELECT invite_api.event_invites_page(1, 5, 3000, '$token')"),
	'0A000', 'unlogged runs: a page that reads them is refused on the standby');
$primary->safe_psql($db, 'ALTER TABLE invite_api.invite_runs SET LOGGED');
catch_up('logged runs');
same('runs logged again');

$standby->stop;
$primary->stop;
done_testing();
