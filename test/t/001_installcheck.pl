# "make installcheck" brings its own servers: run beside a server set up
# as invite_api runs in production, it leaves that server's settings,
# databases and roles as they were, and the server still answers.
#
# The server: the library preloaded, its secret set with ALTER SYSTEM
# (postgresql.auto.conf), settings per database, per role and per role in
# a database, a database with the extension and data.  PGHOST and PGPORT
# point at it while the pg_regress suite and the isolation specs run from a
# copy of the tree ("make installcheck TAP_TESTS=": this test is part of
# the TAP tests).  Then, before and after the run, and after a restart (so
# that anything written to the configuration files is read): the server's
# invite_api.* settings (pg_settings), pg_db_role_setting, the text of
# postgresql.auto.conf, the databases and the roles, the rows of the
# database, and a call with a token signed with the server's own secret.
# Last, the same comparison must see a server touched as the suites once
# touched it.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InviteTest;

# Not the suites' secret: a server of its own.
my $LIVE_SECRET = 'live-secret-of-this-server-0123456789';

my $node = InviteTest::new_node('live');
$node->adjust_conf('postgresql.conf', 'invite_api.jwt_secret', undef);
$node->start;
$node->safe_psql('postgres',
	"ALTER SYSTEM SET invite_api.jwt_secret = '$LIVE_SECRET'");
$node->restart;
InviteTest::create_database($node, 'app');
InviteTest::load_community($node, 'app', 50, 30);
$node->safe_psql(
	'postgres', q{
CREATE ROLE web NOLOGIN;
ALTER ROLE web SET invite_api.base_url = 'https://api.example.com';
ALTER DATABASE app SET invite_api.default_limit = 25;
ALTER ROLE web IN DATABASE app SET invite_api.max_limit = 50;
});
my $token = $node->safe_psql('app',
	"SELECT invite_test.token(1, '1 day', '$LIVE_SECRET')");

# What must not change, by name.
sub state_of
{
	my %state;
	$state{'invite_api.* settings'} = $node->safe_psql(
		'postgres', q{
SELECT name || ' = ' || setting || ' (' || source || ')'
  FROM pg_settings WHERE name LIKE 'invite_api.%' ORDER BY name});
	$state{'pg_db_role_setting'} = $node->safe_psql(
		'postgres', q{
SELECT coalesce(d.datname, '(all)') || ' ' || coalesce(r.rolname, '(all)') || ' ' || s.setconfig::text
  FROM pg_db_role_setting s
  LEFT JOIN pg_database d ON d.oid = s.setdatabase
  LEFT JOIN pg_roles r ON r.oid = s.setrole
 ORDER BY 1});
	$state{'postgresql.auto.conf'} =
	  slurp_file($node->data_dir . '/postgresql.auto.conf');
	$state{'databases'} = $node->safe_psql('postgres',
		'SELECT datname FROM pg_database ORDER BY 1');
	$state{'roles'} = $node->safe_psql(
		'postgres', q{
SELECT rolname || ' ' || rolsuper || rolcanlogin || rolcreaterole || rolcreatedb
  FROM pg_roles ORDER BY 1});
	$state{'rows of the database'} = $node->safe_psql('app',
		'SELECT name, rows, digest FROM invite_test.table_digests()');
	$state{'a call with the server\'s secret'} = InviteTest::sqlstate($node,
		'app', "SELECT invite_api.event_invites_page(1, 5, 0, '$token')");
	return \%state;
}

# Each part of $got as in $want.
sub same_state
{
	my ($got, $want, $what) = @_;
	for my $part (sort keys %$want)
	{
		is($got->{$part}, $want->{$part}, "$what: $part unchanged");
	}
	return;
}

my $before = state_of();
is($before->{'a call with the server\'s secret'},
	'ok', 'the server answers before');
like($before->{'postgresql.auto.conf'},
	qr/invite_api\.jwt_secret = '$LIVE_SECRET'/,
	'the secret is in postgresql.auto.conf');

# The suites, from a copy of the tree (they write their results into it),
# with this server in the environment.
my $copy = PostgreSQL::Test::Utils::tempdir;
system_or_bail(
	'sh', '-c',
	'tar --exclude=./tmp_check --exclude=./build --exclude=./results '
	  . '--exclude=./output_iso --exclude=./log --exclude=./.git -cf - . '
	  . '| tar -C "$1" -xf -',
	'sh', $copy);
my ($out, $err);
{
	local %ENV = %ENV;
	# Nothing of the make that runs this test (its command line, such as
	# REGRESS= for one TAP test, is in MAKEFLAGS).
	delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES)};
	delete @ENV{qw(PGDATABASE PGUSER PGSERVICE PGOPTIONS)};
	$ENV{PGHOST} = $node->host;
	$ENV{PGPORT} = $node->port;
	IPC::Run::run(
		[
			'make', '-C', $copy, '-s', 'installcheck', 'TAP_TESTS=',
			'PG_CONFIG=' . ($ENV{PG_CONFIG} // 'pg_config')
		],
		'>', \$out, '2>', \$err);
}
my $status = $? >> 8;
is($status, 0, 'make installcheck TAP_TESTS= beside the server')
  or diag("stdout:\n$out\nstderr:\n$err");
my @passed = $out =~ /^ All (\d+) tests passed\. $/mg;
is(scalar @passed, 2, 'the pg_regress suite and the isolation specs ran')
  or diag($out);
note "tests passed: @passed";

same_state(state_of(), $before, 'after the suites');
$node->restart;
same_state(state_of(), $before, 'after a restart');

# The comparison sees a server touched as the suites once touched it (ALTER
# SYSTEM RESET of the secret, their databases, a role's setting).
$node->safe_psql(
	'postgres', q{
ALTER SYSTEM RESET invite_api.jwt_secret;
CREATE DATABASE contrib_regression;
ALTER ROLE web RESET invite_api.base_url;
});
$node->restart;
my $touched = state_of();
for my $part ('invite_api.* settings', 'pg_db_role_setting',
	'postgresql.auto.conf', 'databases')
{
	isnt($touched->{$part}, $before->{$part},
		"a touched server: $part differs");
}
is($touched->{'a call with the server\'s secret'},
	'55000', 'a touched server: the call fails');

$node->stop;
done_testing();
