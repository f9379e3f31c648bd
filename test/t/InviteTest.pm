# What the TAP tests of invite_api share: servers set up the way the
# extension must run, and databases with the suites' helpers.
#
#   use FindBin;
#   use lib $FindBin::RealBin;
#   use InviteTest;
#
#   my $node = InviteTest::new_node('primary');       # initialised, not started
#   $node->start;
#   InviteTest::create_database($node, 'app');        # extension + helpers
#   my $token = InviteTest::token($node, 'app', 1);   # a valid token for user 1
#
# The tests run with the working directory at the top of the source tree
# (make installcheck), which is where the helpers' SQL files are read from.
package InviteTest;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

# The secret the suites' signer uses (test/helpers/tokens.sql, invite_test.secret()).
our $SECRET = 'regress-secret-0123456789-abcdefghij';

# A new node with invite_api preloaded and the test secret configured, as
# every server that runs the extension must be.  Extra lines (a string) go
# to its postgresql.conf as well.  %params pass to PostgreSQL::Test::Cluster's init.
sub new_node
{
	my ($name, $extra_conf, %params) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%params);
	$node->append_conf(
		'postgresql.conf', qq{
shared_preload_libraries = 'invite_api'
invite_api.jwt_secret = '$SECRET'
});
	$node->append_conf('postgresql.conf', $extra_conf) if defined $extra_conf;
	return $node;
}

# The text of one of the helpers' SQL files (test/helpers/NAME.sql).
sub helper_sql
{
	my ($name) = @_;
	return slurp_file("test/helpers/$name.sql");
}

# Create database $db with invite_api (at $version, or the default) and the
# suites' token signer and checks.
sub create_database
{
	my ($node, $db, $version) = @_;
	$node->safe_psql('postgres', qq{CREATE DATABASE "$db"});
	my $create = 'CREATE EXTENSION invite_api'
	  . (defined $version ? " VERSION '$version'" : '');
	$node->safe_psql($db, $create);
	install_helpers($node, $db);
	return;
}

# The signer and the checks in schema invite_test of $db.
sub install_helpers
{
	my ($node, $db) = @_;
	$node->safe_psql($db, helper_sql('tokens'), extra_params => [ '-q' ]);
	$node->safe_psql($db, helper_sql('checks'), extra_params => [ '-q' ]);
	return;
}

# A valid access token for $user_id, signed with the test secret.
sub token
{
	my ($node, $db, $user_id) = @_;
	return $node->safe_psql($db, "SELECT invite_test.token($user_id, '1 day')");
}

# A new node with these postgresql.conf lines (a string) and nothing else
# of ours: for tests of how the library must be configured.
sub bare_node
{
	my ($name, $conf, %params) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%params);
	$node->append_conf('postgresql.conf', $conf) if defined $conf;
	return $node;
}

# Run $sql in $db and return what its error says: a hash of sqlstate,
# message, detail and hint (undef when there was none), and stderr, all of
# it.  Extra psql parameters (e.g. a role with -U) may follow.
sub error_of
{
	my ($node, $db, $sql, @extra) = @_;
	my ($stdout, $stderr) = ('', '');
	$node->psql(
		$db, "\\set VERBOSITY verbose\n$sql",
		stdout => \$stdout,
		stderr => \$stderr,
		on_error_stop => 1,
		extra_params => [@extra]);
	my %error = (stderr => $stderr);
	if ($stderr =~ /^(?:psql:[^\n]*?)?ERROR:  ([0-9A-Z]{5}): (.*)$/m)
	{
		@error{qw(sqlstate message)} = ($1, $2);
	}
	$error{detail} = $1 if $stderr =~ /^DETAIL:  (.*)$/m;
	$error{hint} = $1 if $stderr =~ /^HINT:  (.*)$/m;
	return \%error;
}

# An event $event managed by user $manager (both made here) in $db.
sub create_event
{
	my ($node, $db, $event, $manager) = @_;
	$node->safe_psql(
		$db, qq{
INSERT INTO invite_api.users (id, username) VALUES ($manager, 'manager-$manager');
INSERT INTO invite_api.events (id, name) VALUES ($event, 'event-$event');
INSERT INTO invite_api.event_managers VALUES ($event, $manager);
});
	return;
}

# A platform access token for $user_id, valid for a day, signed with $secret
# (the suites' secret when undef) with this header (JSON text; a standard
# HS256 header when undef).  The statement that signs it holds the key: it
# is not logged (test servers log every statement), so that a search of the
# server log for a key finds only what the server wrote itself.
sub token_with
{
	my ($node, $db, $user_id, $secret, $header) = @_;
	my $sql_secret = defined $secret ? "\$k\$$secret\$k\$" : 'invite_test.secret()';
	my $sql_header = defined $header ? "\$h\$$header\$h\$::json" : 'NULL';
	my $alg =
	  defined $header && $header =~ /"alg"\s*:\s*"(HS\d+)"/ ? $1 : 'HS256';
	return $node->safe_psql(
		$db, qq{SET log_statement = 'none';
SELECT invite_test.sign(json_build_object(
    'token_type', 'access', 'user_id', $user_id,
    'exp', floor(extract(epoch FROM now() + interval '1 day'))::bigint,
    'iat', floor(extract(epoch FROM now()))::bigint),
    $sql_secret, '$alg', $sql_header)});
}

# The page's count that $token gets for $event, or the error's SQLSTATE.
sub verdict
{
	my ($node, $db, $event, $token) = @_;
	my $error = error_of($node, $db,
		"SELECT invite_api.event_invites_page($event, 1, 0, '$token') ->> 'count';");
	return $error->{sqlstate} // 'accepted';
}

1;
