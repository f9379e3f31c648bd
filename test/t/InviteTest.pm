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

1;
