# Nothing lost in a crash: an immediate shutdown (every server process
# killed, no checkpoint), a restart, crash recovery from the WAL.
#
#   1. After a checkpoint, changes are committed (a batch that splits runs,
#      deletes, moves, an event deleted, then 50 single invites one by one,
#      the last just before the crash), while another session has invited,
#      uninvited and moved in a transaction it leaves open.  After the
#      restart the tables and every page are exactly what was committed, the
#      open transaction left nothing, and the count and runs hold.
#   2. Writers (pgbench) invite, uninvite, move and write batches when the
#      server is killed under them.  After the restart the count and runs
#      hold and every page is right.
#   3. Then the server takes writes again and stays right.
#
# The node runs with fsync = off (PostgreSQL::Test::Cluster's default): this
# is a crash of PostgreSQL, not of the machine (the kernel keeps what was
# written).
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InviteTest;

my $db = 'crash';
my $USERS = 6000;

# pgbench's statements would fill the log.
my $node = InviteTest::new_node('crash', "log_statement = none\n");
$node->start;
InviteTest::create_database($node, $db);
InviteTest::load_community($node, $db, $USERS, 2500, 600);
$node->safe_psql(
	$db, q{
INSERT INTO invite_api.events VALUES (3, 'doomed'), (4, 'busy');
INSERT INTO invite_api.event_managers VALUES (3, 1), (4, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 3, g, timestamptz '2025-03-01 00:00:00+00' FROM generate_series(2, 200) g});
my $token = InviteTest::token($node, $db, 1);

# What a new session sees: the rows, and the pages of every event.
sub answers
{
	return InviteTest::answers($node, $db, $token, [ 25, 7 ]);
}

# The count and runs hold, every page of every event is right.
sub healthy
{
	my ($what) = @_;
	is(InviteTest::position_faults($node, $db),
		'', "$what: no count or run faults");
	is(InviteTest::page_faults($node, $db, $token, 25, 9),
		'', "$what: no page faults (every event, offsets 0, 9, 18, ... past the end)");
	return;
}

# Kill the server (no checkpoint), start it, check that it recovered: this
# is crash number $n of the node's log.
sub crash
{
	my ($what, $n) = @_;
	my $started = $node->safe_psql($db, 'SELECT pg_postmaster_start_time()');
	$node->stop('immediate');
	$node->start;
	is( $node->safe_psql(
			$db, "SELECT pg_postmaster_start_time() <> '$started'"),
		't',
		"$what: a new postmaster");
	my @recoveries = slurp_file($node->logfile) =~
	  /database system was not properly shut down; automatic recovery in progress/g;
	is(scalar @recoveries, $n, "$what: crash recovery ran");
	return;
}

note '1. committed changes and an open transaction';
$node->safe_psql($db, 'CHECKPOINT');
$node->safe_psql(
	$db, q{
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 1, g, 1, timestamptz '2025-01-01 03:00:00+00' + g * interval '1 ms'
  FROM generate_series(3001, 4400) g ON CONFLICT DO NOTHING;
DELETE FROM invite_api.event_invites WHERE event_id = 2 AND user_id % 5 = 0;
UPDATE invite_api.event_invites SET invited_at = invited_at + interval '2 hours'
 WHERE event_id = 1 AND user_id % 13 = 0;
DELETE FROM invite_api.events WHERE id = 3;
});

# A session that runs its statements and then waits in its transaction.
my $open = $node->background_psql($db);
$open->query_safe(
	q{
SET application_name = 'left_open';
BEGIN;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 2, g, 1, timestamptz '2025-01-01 01:00:00+00' + g * interval '1 s'
  FROM generate_series(4401, 5999) g ON CONFLICT DO NOTHING;
DELETE FROM invite_api.event_invites WHERE event_id = 1 AND user_id % 3 = 0;
UPDATE invite_api.event_invites SET invited_at = '2024-06-01' WHERE event_id = 4;
INSERT INTO invite_api.events VALUES (99, 'never committed');
});
ok( $node->poll_query_until(
		$db,
		"SELECT count(*) FROM pg_stat_activity
		  WHERE application_name = 'left_open' AND state = 'idle in transaction'
		    AND backend_xid IS NOT NULL",
		'1'),
	'a transaction left open, with writes');

# 50 single invites, each committed before the next is sent.
$node->safe_psql($db,
	join('',
		map { "INSERT INTO invite_api.event_invites (event_id, user_id, invited_by) VALUES (4, $_, 1);\n" }
		  5001 .. 5050));
my $expected = answers();
note 'committed: '
  . $node->safe_psql($db,
	"SELECT count(*) || ' invites in ' || count(DISTINCT event_id) || ' events' FROM invite_api.event_invites"
  ) . '; the last invite to event 4: '
  . $node->safe_psql($db,
	'SELECT max(user_id) FROM invite_api.event_invites WHERE event_id = 4');

crash('first crash', 1);
# Its server gone, the session only has to be told to quit.
$open->quit;

is(answers(), $expected,
	'after recovery: the same rows and pages as committed ('
	  . InviteTest::describe_answers($expected) . ')');
is( $node->safe_psql(
		$db, q{
SELECT (SELECT count(*) FROM invite_api.events WHERE id = 99)
       + (SELECT count(*) FROM invite_api.event_invites
           WHERE event_id = 2 AND invited_at = timestamptz '2025-01-01 01:00:00+00' + user_id * interval '1 s')
       + (SELECT count(*) FROM invite_api.event_invites WHERE event_id = 4 AND invited_at = '2024-06-01')}),
	'0',
	"nothing of the open transaction's rows");
is( $node->safe_psql(
		$db,
		'SELECT count(*) FROM invite_api.event_invites WHERE event_id = 4 AND user_id BETWEEN 5001 AND 5050'
	),
	'50',
	'the last single invites are there');
healthy('after the first crash');

note '2. killed under writers';
$node->safe_psql($db,
	"INSERT INTO invite_api.events VALUES (3, 'again'); INSERT INTO invite_api.event_managers VALUES (3, 1)"
);
my $commits = "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'";
my $before = $node->safe_psql($db, $commits);
my $writers = InviteTest::pgbench_start(
	$node, $db,
	clients => 4,
	threads => 2,
	secs => 30,
	vars => { users => $USERS, range => int(($USERS - 1) / 4), clients => 4 },
	scripts => [
		'invite.sql@3', 'uninvite.sql@3',
		'move.sql@1', 'batch_invite.sql@1',
		'batch_uninvite.sql@1'
	]);
# Until the writers have committed a good number of transactions.
ok($node->poll_query_until($db, "SELECT ($commits) - $before > 5000"),
	'writers at work');
my $writes = $node->safe_psql($db, $commits) - $before;
crash('second crash', 2);
InviteTest::pgbench_finish($writers);
isnt($writers->{status}, 0, 'the writers lost their server');
my $lost = () = "$writers->{stderr}$writers->{stdout}" =~ /aborted|terminat|connection/g;
note "about $writes transactions committed before the kill; pgbench: $lost messages of lost connections";
healthy('after the second crash');

note '3. and it goes on';
$node->safe_psql(
	$db, q{
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 2, g, 1, timestamptz '2025-01-01 02:00:00+00' FROM generate_series(2, 2600) g ON CONFLICT DO NOTHING;
DELETE FROM invite_api.event_invites WHERE event_id = 1 AND user_id % 4 = 1;
});
healthy('after more writes');

$node->stop;
done_testing();
