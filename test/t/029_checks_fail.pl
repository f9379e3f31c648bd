# The checks the other TAP tests pass on find what they must: a database
# made wrong on purpose (a count off by one, invites moved behind the
# bookkeeping's back with its triggers off, runs far from their size) fails
# each of them, and the load generator's report shows failed and aborted
# clients and the errors in the server log.  Without this, a check that
# always says "none" would pass every test.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InviteTest;

my $db = 'checks';
my $node = InviteTest::new_node('checks');
$node->start;
InviteTest::create_database($node, $db);
InviteTest::load_community($node, $db, 600, 300, 40);
my $token = InviteTest::token($node, $db, 1);

my $answers = InviteTest::answers($node, $db, $token, [ 25, 7 ]);
like(InviteTest::describe_answers($answers),
	qr/^users 600, events 2, event_managers 2, event_invites 340; \d+ pages$/,
	'answers: every table and the pages of both events');
is(InviteTest::position_faults($node, $db), '', 'sound: no position faults');
is(InviteTest::page_faults($node, $db, $token, 25, 7),
	'', 'sound: no page faults');
my ($counted, $invited) = InviteTest::counted_events($node, $db);
is($counted, '2 events, 340 invites', 'sound: events counted');
is($counted, $invited, 'sound: as many as invited');
is(InviteTest::counts_differing_from_rebuild($node, $db),
	'0', "sound: counts as a rebuild's");
is(InviteTest::sqlstate($node, $db, 'SELECT 1'), 'ok', 'sqlstate: ok');
is( InviteTest::sqlstate(
		$node, $db, "SELECT invite_api.event_invites_page(1, 5, 0, 'x')"),
	'28000',
	'sqlstate: a bad token');

# A count off by one.
$node->safe_psql($db,
	'UPDATE invite_api.invite_counts SET invites = invites + 1 WHERE event_id = 2'
);
like(InviteTest::position_faults($node, $db),
	qr/^2: /m, 'a count off: position faults of event 2');
isnt(InviteTest::page_faults($node, $db, $token, 25, 7),
	'', 'a count off: page faults');
isnt(InviteTest::answers($node, $db, $token, [ 25, 7 ]),
	$answers, 'a count off: other answers');
($counted, $invited) = InviteTest::counted_events($node, $db);
isnt($counted, $invited, 'a count off: events counted differ');
is(InviteTest::counts_differing_from_rebuild($node, $db),
	'1', "a count off: one count differs from a rebuild's");
is(InviteTest::position_faults($node, $db), '', 'rebuilt: sound again');

# Invites moved with the bookkeeping's triggers off, across the bounds of
# runs of 50.
InviteTest::set_run_size($node, $db, 50);
$node->safe_psql(
	$db, q{
ALTER TABLE invite_api.event_invites DISABLE TRIGGER event_invites_updated;
UPDATE invite_api.event_invites SET invited_at = invited_at - interval '1 year'
 WHERE event_id = 1 AND user_id % 2 = 0;
ALTER TABLE invite_api.event_invites ENABLE TRIGGER event_invites_updated;
});
isnt(InviteTest::position_faults($node, $db),
	'', 'moved behind its back: position faults');
# (The extension sees it too, and refuses pages it cannot place.)
is( InviteTest::sqlstate(
		$node, $db,
		"SELECT string_agg(digest, ' ') FROM invite_test.page_digests(1, '$token', 25, 7)"),
	'XX001',
	'moved behind its back: pages refused');
InviteTest::rebuild_positions($node, $db);
is(InviteTest::position_faults($node, $db), '', 'rebuilt: no faults');
is(InviteTest::page_faults($node, $db, $token, 25, 7),
	'', 'rebuilt: no page faults');

# Runs built for one size, checked against another.
is(InviteTest::run_size_faults($node, $db), '', 'runs within their size');
InviteTest::set_run_size($node, $db, 100);
InviteTest::set_run_size($node, $db, 10, rebuild => 0);
like(InviteTest::run_size_faults($node, $db),
	qr/^1: too big/m, 'runs of 100 where 10 are wanted: too big');
InviteTest::set_run_size($node, $db, 10);
InviteTest::set_run_size($node, $db, 1000, rebuild => 0);
like(InviteTest::run_size_faults($node, $db),
	qr/^1: too small/m, 'runs of 10 where 1000 are wanted: too small');

# A load whose reads see wrong pages: check_page() raises, the client
# aborts, the server logs it.
InviteTest::set_run_size($node, $db, 1000);
$node->safe_psql($db,
	"INSERT INTO invite_api.events VALUES (3, 'three'), (4, 'four');
	 INSERT INTO invite_api.event_managers VALUES (3, 1), (4, 1);
	 UPDATE invite_api.invite_counts SET invites = invites + 5");
my $offset = -s $node->logfile;
my $run = InviteTest::pgbench_finish(
	InviteTest::pgbench_start(
		$node, $db,
		clients => 2,
		secs => 2,
		prepared => 1,
		vars => { tok => $token },
		scripts => ['read.sql']));
isnt($run->{status}, 0, 'wrong pages: pgbench fails');
like($run->{aborted}, qr/aborted/, 'wrong pages: clients aborted');
cmp_ok(InviteTest::server_errors($node, $offset),
	'>', 0, 'wrong pages: errors in the server log');

$run = InviteTest::pgbench_finish(
	InviteTest::pgbench_start(
		$node, $db,
		clients => 1,
		secs => 1,
		vars => { users => 600, range => 598, clients => 1 },
		scripts => [ 'invite.sql@3', 'uninvite.sql@1' ]));
is($run->{status}, 0, 'writers: pgbench succeeds');
is($run->{failed}, 0, 'writers: no failed transactions');
cmp_ok($run->{processed}, '>', 0, 'writers: transactions processed');
is(join(' ', sort keys %{ $run->{scripts} }),
	'invite.sql uninvite.sql', 'writers: transactions per script');

$node->stop;
done_testing();
