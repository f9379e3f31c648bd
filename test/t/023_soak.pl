# Load and churn: pgbench clients mix reads of the endpoint (any event, any
# offset, any limit, each checked against the ground truth in its own
# snapshot) with invites, uninvites, moves in time and batches of 300 on the
# same four events, written directly and through event_invite_users() and
# event_uninvite_users() (each call checked in its own transaction).  Passes when pgbench exits 0 with no failed transaction
# and the server logged no error, and afterwards every event's count equals
# its rows, the runs hold what they say, and every page is right.
#
# Environment: SOAK_SECS (30) of load, SOAK_CLIENTS (4), SOAK_USERS (12000);
# SOAK_RUN_SIZE (50): the database shrinks the run size (invite_api.run_size)
# from the shipped 512 to this, so that runs split and merge all the time (the code is the
# same; 512 tests the shipped size).  The long run:
#
#   SOAK_SECS=1800 SOAK_CLIENTS=8 make installcheck PROVE_TESTS=test/t/023_soak.pl REGRESS= ISOLATION=
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InviteTest;

my $SECS = $ENV{SOAK_SECS} || 30;
my $CLIENTS = $ENV{SOAK_CLIENTS} || 4;
my $USERS = $ENV{SOAK_USERS} || 12000;
my $RUN_SIZE = $ENV{SOAK_RUN_SIZE} || 50;
# Each client has its own range of users.  It writes batches and calls the
# write functions in the lower half (batch_*.sql, api_*.sql), and checks
# their result in the same transaction; the single-row scripts (invite,
# uninvite, move) write any client's upper half, so that they never change
# a user another client's check is counting.
my $RANGE = int(($USERS - 1) / $CLIENTS);
die "SOAK_USERS must give each client at least 600 users\n" if $RANGE < 600;

note "$CLIENTS clients for $SECS s, $USERS users, runs of $RUN_SIZE";
my $db = 'soak';
# pgbench's statements would fill the log.
my $node = InviteTest::new_node(
	'soak', qq{
max_connections = @{[ $CLIENTS + 20 ]}
log_statement = none
});
$node->start;
InviteTest::create_database($node, $db);
InviteTest::load_community($node, $db, $USERS, 3000, 1200, 300);
$node->safe_psql($db,
	"INSERT INTO invite_api.events VALUES (4, 'starts empty');
	 INSERT INTO invite_api.event_managers VALUES (4, 1);");
InviteTest::set_run_size($node, $db, $RUN_SIZE);
$node->safe_psql($db, 'VACUUM ANALYZE');
is(InviteTest::position_faults($node, $db), '', 'no faults before');
my $token = InviteTest::token($node, $db, 1);
my @runs_before = InviteTest::run_changes($node, $db);

my $log_offset = -s $node->logfile;
my $bench = InviteTest::pgbench_finish(
	InviteTest::pgbench_start(
		$node, $db,
		clients => $CLIENTS,
		threads => 2,
		secs => $SECS,
		prepared => 1,
		vars => { tok => $token, users => $USERS, range => $RANGE, clients => $CLIENTS },
		scripts => [
			'read.sql@6', 'invite.sql@3',
			'uninvite.sql@3', 'move.sql@1',
			'batch_invite.sql@1', 'batch_uninvite.sql@1',
			'api_invite.sql@1', 'api_uninvite.sql@1'
		]));

note join("\n", grep { /^(number of (transactions actually processed|failed transactions)|tps|latency average)/ }
	  split /\n/, $bench->{stdout});
note sprintf("%-20s %s transactions", $_, $bench->{scripts}{$_})
  for sort keys %{ $bench->{scripts} };
is($bench->{status}, 0, 'pgbench exit status');
cmp_ok($bench->{processed} // 0, '>', 0, 'transactions processed');
is($bench->{failed}, 0, 'no failed transactions');
is($bench->{aborted}, '', 'no client aborted');
is(InviteTest::server_errors($node, $log_offset),
	0, 'no errors in the server log');

note 'afterwards';
note InviteTest::bookkeeping_report($node, $db);
my @runs_after = InviteTest::run_changes($node, $db);
note 'runs created by splits: '
  . ($runs_after[0] - $runs_before[0])
  . ', removed by merges: '
  . ($runs_after[1] - $runs_before[1]);
is(InviteTest::position_faults($node, $db), '', 'no count or run faults');
my @size_faults = split /\n/, InviteTest::run_size_faults($node, $db);
is(join("\n", grep { /^\d+: too big/ } @size_faults), '', 'no runs too big');
# Splits leave runs of one to two run sizes and merges fold away those
# below a quarter: no other run may be that small.
is(scalar(grep { /^\d+: too small/ } @size_faults), 0, 'no runs too small');
is(InviteTest::page_faults($node, $db, $token, 25, 7),
	'', 'no page faults (every event, offsets 0, 7, 14, ... past the end, limit 25)');
is(InviteTest::counts_differing_from_rebuild($node, $db),
	'0', "no count differs from a rebuild's");

$node->stop;
done_testing();
