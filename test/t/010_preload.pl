# The library must be preloaded.  Until a library defines its settings,
# PostgreSQL keeps the values postgresql.conf gives them as placeholders that
# every role can read: a server that loads invite_api only with LOAD or on the
# first call shows the signing key to anyone.  Loaded that way, the entry
# points refuse with 55000 and say how to preload it.
#
# session_preload_libraries loads it at the start of each session, before any
# query (PostgreSQL 15 loads it while the backend initializes, which is how
# the library tells): that is preloading too.  But the postmaster itself has not loaded
# the library then, and it writes the new value of a setting that a reload
# changes to the server log; so an inline key in the configuration file is
# refused there, and a key set with SET works.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use InviteTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $secret = $InviteTest::SECRET;

# Not preloaded at all; the key in postgresql.conf.
my $node = InviteTest::bare_node('not_preloaded',
	"invite_api.jwt_secret = '$secret'\n");
$node->start;
InviteTest::create_database($node, 'app');
InviteTest::create_event($node, 'app', 1, 1);
$node->safe_psql('postgres', 'CREATE ROLE nobody LOGIN');
my $token = InviteTest::token($node, 'app', 1);

# What the refusal is about: any role reads the placeholder.
is($node->safe_psql('app', "SELECT current_setting('invite_api.jwt_secret')",
		extra_params => [ '-U', 'nobody' ]),
	$secret, 'not preloaded, any role reads the key from the placeholder');

# Every way of loading it later: the first call, LOAD, a call after LOAD,
# a call after one without a token (refused with 28000 first: the contract
# checks the token before anything else).
for my $case (
	[ 'first call with a token', "SELECT invite_api.event_invites_page(1, 1, 0, '$token');" ],
	[ 'call after LOAD', "LOAD 'invite_api';\nSELECT invite_api.event_invites_page(1, 1, 0, '$token');" ],
	[ 'call after one without a token',
		"DO \$\$ BEGIN PERFORM invite_api.event_invites_page(1, 1, 0, NULL);\n"
		  . "EXCEPTION WHEN invalid_authorization_specification THEN NULL; END \$\$;\n"
		  . "SELECT invite_api.event_invites_page(1, 1, 0, '$token');" ],
	[ 'version 1.0 entry point', "SELECT invite_api.event_invites_page(1, 1, 0, '$token');", 'app10' ])
{
	my ($name, $sql, $db) = @$case;
	if (defined $db)
	{
		$node->safe_psql('postgres', "CREATE DATABASE $db");
		$node->safe_psql($db, "CREATE EXTENSION invite_api VERSION '1.0'");
	}
	my $error = InviteTest::error_of($node, $db // 'app', $sql);
	is($error->{sqlstate}, '55000', "$name: 55000");
	is($error->{message}, 'library "invite_api" is not preloaded', "$name: message");
	like($error->{detail}, qr/every role can read/, "$name: the detail says why");
	like($error->{hint}, qr/shared_preload_libraries/, "$name: the hint says how");
}

# Without a token: 28000, not preloaded or not.
is(InviteTest::error_of($node, 'app', 'SELECT invite_api.event_invites_page(1, 1, 0, NULL);')->{sqlstate},
	'28000', 'not preloaded, no token: 28000');

# Also as the role that calls it over HTTP, in a session of its own.
$node->safe_psql('app', 'GRANT USAGE ON SCHEMA invite_api TO nobody;
GRANT EXECUTE ON FUNCTION invite_api.event_invites_page(bigint, integer, integer, text) TO nobody');
my $error = InviteTest::error_of($node, 'app',
	"SELECT invite_api.event_invites_page(1, 1, 0, '$token');", '-U', 'nobody');
is($error->{sqlstate}, '55000', 'not preloaded: refused for another role too');

# Preloaded with shared_preload_libraries: it works.
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'invite_api'\n");
$node->restart;
is(InviteTest::verdict($node, 'app', 1, $token), 'accepted',
	'shared_preload_libraries: accepted');
is(InviteTest::error_of($node, 'app', "SHOW invite_api.jwt_secret;", '-U', 'nobody')
	  ->{sqlstate},
	'42501', 'shared_preload_libraries: another role cannot read the setting');
$node->stop;

# session_preload_libraries, spelled as PostgreSQL accepts it.
my $n = 0;
for my $spelling ('invite_api', '$libdir/invite_api', 'plpgsql, invite_api.so')
{
	my $session = InviteTest::bare_node('session_' . ++$n,
		"session_preload_libraries = '$spelling'\n");
	$session->start;
	InviteTest::create_database($session, 'app');
	InviteTest::create_event($session, 'app', 1, 1);
	my $tok = InviteTest::token($session, 'app', 1);

	# No key configured yet: the library is preloaded, so it says so.
	my $err = InviteTest::error_of($session, 'app',
		"SELECT invite_api.event_invites_page(1, 1, 0, '$tok');");
	is($err->{message}, 'invite_api.jwt_secret is not set',
		"session_preload_libraries = '$spelling': recognised as preloaded");

	# A key set in the session works.
	is( $session->safe_psql(
			'app', qq{SET invite_api.jwt_secret = '$secret';
SELECT invite_api.event_invites_page(1, 1, 0, '$tok') ->> 'count';}),
		'0',
		"session_preload_libraries = '$spelling': a key set with SET verifies");

	# An inline key from the configuration file is refused: the postmaster
	# writes it to the server log on a reload that changes it.
	$session->append_conf('postgresql.conf', "invite_api.jwt_secret = '$secret'\n");
	$session->reload;
	$session->poll_query_until('app',
		"SELECT source = 'configuration file' FROM pg_settings WHERE name = 'invite_api.jwt_secret'")
	  or die 'the reload did not take effect';
	$err = InviteTest::error_of($session, 'app',
		"SELECT invite_api.event_invites_page(1, 1, 0, '$tok');");
	is($err->{sqlstate}, '55000',
		"session_preload_libraries = '$spelling': a key from postgresql.conf is refused");
	is($err->{message},
		'invite_api.jwt_secret needs invite_api in shared_preload_libraries',
		"session_preload_libraries = '$spelling': the message says why");
	like($err->{detail}, qr/server log/,
		"session_preload_libraries = '$spelling': the detail names the log");

	# The key file is fine: its setting is a path.
	my $file = PostgreSQL::Test::Utils::tempdir . '/jwt.key';
	open my $fh, '>', $file or die "cannot write $file: $!";
	print $fh "$secret\n";
	close $fh;
	chmod 0600, $file;
	$session->append_conf('postgresql.conf',
		"invite_api.jwt_secret = ''\ninvite_api.jwt_secret_file = '$file'\n");
	$session->reload;
	$session->poll_query_until('app',
		"SELECT setting = '$file' FROM pg_settings WHERE name = 'invite_api.jwt_secret_file'")
	  or die 'the reload did not take effect';
	is(InviteTest::verdict($session, 'app', 1, $tok), 'accepted',
		"session_preload_libraries = '$spelling': the key file verifies");

	# What it guards against, as PostgreSQL does it (not a property of ours).
	$session->append_conf('postgresql.conf',
		"invite_api.jwt_secret = '$secret-rotated'\n");
	my $offset = -s $session->logfile;
	$session->reload;
	$session->wait_for_log(qr/parameter "invite_api\.jwt_secret" changed to/, $offset);
	note('the postmaster logged the new inline key: '
		  . (slurp_file($session->logfile) =~ /\Q$secret-rotated\E/ ? 'yes' : 'no'));
	$session->stop;
}

done_testing();
