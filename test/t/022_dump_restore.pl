# Nothing lost by pg_dump and pg_restore, or by ALTER EXTENSION UPDATE.
#
# A database with invite_api at its default version, whose invites have
# been changed after loading (so its runs are not fresh), is dumped with
# pg_dump -Fc (the data of the four contract tables, and of nothing else),
# then:
#   A. restored whole into a new database: the bookkeeping is not in the
#      dump, the triggers rebuild it as the invites load; and in parallel
#      (in sections, the data with pg_restore -j 2 --disable-triggers),
#      then rebuilt;
#   B. restored data only with --disable-triggers into a database with the
#      extension: refused (XX001) until the rebuild, right after it.
# A database with invite_api 1.0 is dumped, then:
#   C. restored whole: CREATE EXTENSION in a dump names no version, so it
#      comes back at the default version, with its positions built;
#   D. restored data only into a new 1.0 database, then updated;
#   E. updated in place.
# Each time: every row of the four contract tables is there (count and
# digest), the count and runs hold, and the answers are the same (digests
# of every page of every event at offsets 0, 7, 14, ... past the end, and at
# limit 100, compared with the source's).
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InviteTest;

my $node = InviteTest::new_node('dump');
$node->start;
my $dir = PostgreSQL::Test::Utils::tempdir;

# Events 1-3 of 2600, 700 and 40 invites, 4 empty, 5 managed by someone
# else; then churn: deletes, moves in time, a batch in the middle that
# splits a run, an event deleted.
sub populate
{
	my ($db) = @_;
	InviteTest::load_community($node, $db, 4000, 2600, 700, 40);
	$node->safe_psql(
		$db, q{
INSERT INTO invite_api.events VALUES (4, 'empty'), (5, 'not ours'), (6, 'doomed');
INSERT INTO invite_api.event_managers VALUES (4, 1), (5, 2), (6, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT e, g, timestamptz '2025-02-01 00:00:00+00' + g * interval '1 s'
  FROM generate_series(2, 60) g, (VALUES (5), (6)) v(e);
DELETE FROM invite_api.event_invites WHERE event_id = 1 AND user_id % 7 = 0;
UPDATE invite_api.event_invites SET invited_at = invited_at - interval '3 hours'
 WHERE event_id = 1 AND user_id % 11 = 0;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 1, g, 1, timestamptz '2025-01-01 05:00:00+00' FROM generate_series(3001, 3999) g
    ON CONFLICT DO NOTHING;
DELETE FROM invite_api.events WHERE id = 6;
});
	return;
}

my $token;
my $source_answers;

# What a database answers; reads only what version 1.0 has too.
sub answers
{
	my ($db) = @_;
	return InviteTest::answers($node, $db, $token, [ 25, 7 ], [ 100, 50 ]);
}

# The same answers as the source's, positions right, at the default version.
sub check
{
	my ($db, $what) = @_;
	is( $node->safe_psql(
			$db,
			"SELECT extversion FROM pg_extension WHERE extname = 'invite_api'"),
		$node->safe_psql(
			$db,
			"SELECT default_version FROM pg_available_extensions WHERE name = 'invite_api'"
		),
		"$what: extension at the default version");
	is(answers($db), $source_answers,
		"$what: same rows and pages ("
		  . InviteTest::describe_answers($source_answers) . ')');
	is(InviteTest::position_faults($node, $db),
		'', "$what: no count or run faults");
	my ($counted, $invited) = InviteTest::counted_events($node, $db);
	is($counted, $invited, "$what: events counted");
	return;
}

# pg_restore (or another client program) with these arguments: exits 0 and
# says nothing.
sub quietly_ok
{
	my ($what, @cmd) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$node->command_checks_all(\@cmd, 0, [qr/\A\z/], [qr/\A\z/], $what);
	return;
}

sub createdb
{
	my ($db) = @_;
	$node->safe_psql('postgres', qq{CREATE DATABASE "$db"});
	return;
}

# --- the default version --------------------------------------------------
InviteTest::create_database($node, 'src');
populate('src');
$token = InviteTest::token($node, 'src', 1);
$source_answers = answers('src');
is(InviteTest::position_faults($node, 'src'),
	'', 'source: no count or run faults');
note 'source: '
  . $node->safe_psql('src',
	"SELECT count(*) || ' invites in ' || count(DISTINCT event_id) || ' events' FROM invite_api.event_invites"
  );
$node->command_ok([ 'pg_dump', '-Fc', '-d', 'src', '-f', "$dir/src.dump" ],
	'pg_dump -Fc');

# The dump's table of contents: the data of the four contract tables, and
# no other table, data or definition, of the extension's schema (the
# bookkeeping is the extension's own: it is rebuilt, not dumped).
my ($toc, $toc_err);
IPC::Run::run([ 'pg_restore', '-l', "$dir/src.dump" ], '>', \$toc, '2>', \$toc_err)
  or die "pg_restore -l: $toc_err";
is( join(' ',
		sort map { /TABLE DATA (\S+) (\S+) / ? "$1.$2" : () } split /\n/, $toc),
	'invite_api.event_invites invite_api.event_managers invite_api.events invite_api.users',
	"the dump has the contract tables' data, and no other");
is( join(' ', map { /\d+; \d+ \d+ TABLE invite_api (\S+)/ ? $1 : () } split /\n/, $toc),
	'',
	'the dump defines no table of the extension');

note 'A. whole restore';
createdb('full');
quietly_ok('whole restore', 'pg_restore', '-d', 'full', "$dir/src.dump");
check('full', 'whole restore');

# pg_restore -j loads the tables' data in parallel, and does not wait for
# events before event_invites: the foreign keys, created with the extension,
# refuse invites of events not loaded yet, now and then.  (In a whole
# restore --disable-triggers does nothing.)  In three steps, the data with
# triggers (the foreign keys' too) disabled, then a rebuild, it works.
createdb('parallel');
quietly_ok('restore pre-data',
	'pg_restore', '--section=pre-data', '-d', 'parallel', "$dir/src.dump");
quietly_ok('restore data, -j 2 --disable-triggers',
	'pg_restore', '-j', '2', '--section=data', '--disable-triggers',
	'-d', 'parallel', "$dir/src.dump");
quietly_ok('restore post-data',
	'pg_restore', '-j', '2', '--section=post-data', '-d', 'parallel',
	"$dir/src.dump");
InviteTest::rebuild_positions($node, 'parallel');
check('parallel', 'parallel restore and rebuild');

createdb('parallel_fk');
my ($out, $err) = ('', '');
IPC::Run::run(
	[
		'pg_restore', '-h', $node->host, '-p', $node->port,
		'-j', '2', '-d', 'parallel_fk', "$dir/src.dump"
	],
	'>', \$out, '2>', \$err);
my $status = $? >> 8;
TODO:
{
	local $TODO =
	  'pg_restore -j loads event_invites before events now and then: restore serially, or in sections';
	is($status, 0, 'pg_restore -j 2 in one go')
	  or diag($err =~ /(violates foreign key constraint "\w+")/ ? $1 : $err);
}

note 'B. data-only restore, triggers disabled, then rebuild';
InviteTest::create_database($node, 'dataonly');
quietly_ok('data-only restore, --disable-triggers',
	'pg_restore', '--data-only', '--disable-triggers', '-d', 'dataonly',
	"$dir/src.dump");
# Before the rebuild the bookkeeping is empty: the faults must show it.
isnt(InviteTest::position_faults($node, 'dataonly'),
	'', 'before the rebuild, faults are found');
# Until then an event is refused (XX001), not served as empty.
my ($stdout, $stderr);
$node->psql(
	'dataonly',
	"SELECT invite_api.event_invites_page(1, 5, 0, '$token')",
	stdout => \$stdout,
	stderr => \$stderr,
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like(
	$stderr,
	qr/ERROR:  XX001: invite positions of event 1 cannot be trusted/,
	'before the rebuild, event 1 is refused');
InviteTest::rebuild_positions($node, 'dataonly');
check('dataonly', 'data-only restore and rebuild');

# --- 1.0 -------------------------------------------------------------------
note '1.0';
InviteTest::create_old_database($node, 'v10', '1.0');
populate('v10');
is(answers('v10'), $source_answers,
	'1.0 source answers the same as the default version');
$node->command_ok([ 'pg_dump', '-Fc', '-d', 'v10', '-f', "$dir/v10.dump" ],
	'pg_dump -Fc of 1.0');

note 'C. whole restore of a 1.0 dump';
createdb('v10full');
quietly_ok('whole restore of 1.0', 'pg_restore', '-d', 'v10full',
	"$dir/v10.dump");
check('v10full', '1.0 dump restored');

note 'D. data-only restore of a 1.0 dump into 1.0, then update';
InviteTest::create_old_database($node, 'v10data', '1.0');
quietly_ok('data-only restore of 1.0',
	'pg_restore', '--data-only', '-d', 'v10data', "$dir/v10.dump");
$node->safe_psql('v10data', 'ALTER EXTENSION invite_api UPDATE');
check('v10data', '1.0 data restored into 1.0, updated');

note 'E. 1.0 updated in place';
$node->safe_psql('v10', 'ALTER EXTENSION invite_api UPDATE');
check('v10', '1.0 updated in place');

$node->stop;
done_testing();
