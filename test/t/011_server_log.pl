# The key never reaches the server log.  PostgreSQL would write it there in
# several ways: the postmaster's 'parameter "..." changed to "..."' on a
# reload, statement logging of SET or ALTER SYSTEM, the STATEMENT line of an
# error (log_min_error_statement is "error" by default) such as a refused
# ALTER ROLE ... SET, the text of a statement that fails to parse, a CONTEXT
# line quoting the statement a function ran.  After each, the whole server
# log is searched for the key; the lines themselves stay, with the key
# masked.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use InviteTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = InviteTest::new_node('log');
$node->start;
InviteTest::create_database($node, 'app');
InviteTest::create_event($node, 'app', 1, 1);
$node->safe_psql('postgres', 'CREATE ROLE plain LOGIN');

my @keys;

# A key of its own for each path, so that the search says which leaked.
sub key
{
	my ($n) = @_;
	my $key = "log-key-$n-0123456789abcdefghijklmnopqrstuv";
	push @keys, $key;
	return $key;
}

# Search the whole log for every key used so far.
sub no_key_in_log
{
	my ($name) = @_;
	my $log = slurp_file($node->logfile);
	my @leaked = grep { index($log, $_) >= 0 } @keys;
	ok(!@leaked, "$name: no key in the server log")
	  or diag("leaked: @leaked\n"
		  . join("\n", grep { my $l = $_; grep { index($l, $_) >= 0 } @leaked } split /\n/, $log));
	return;
}

sub wait_for_setting
{
	my ($source) = @_;
	$node->poll_query_until('app',
		"SELECT source = '$source' FROM pg_settings WHERE name = 'invite_api.jwt_secret'")
	  or die "invite_api.jwt_secret did not come from $source";
	return;
}

my $offset;

# 1. ALTER SYSTEM, then reload: the postmaster's "changed to" line.  The
# value of postgresql.auto.conf replaces the one of postgresql.conf, both
# masked: no line.  Unset, then set again: a line each time.
$node->safe_psql('postgres', 'ALTER SYSTEM SET invite_api.jwt_secret = $$' . key(1) . '$$');
$offset = -s $node->logfile;
$node->reload;
$node->wait_for_log(qr/received SIGHUP/, $offset);
$node->safe_psql('postgres', 'ALTER SYSTEM SET invite_api.jwt_secret = $$$$');
$offset = -s $node->logfile;
$node->reload;
$node->wait_for_log(qr/parameter "invite_api\.jwt_secret" changed to ""/, $offset);
$node->safe_psql('postgres', 'ALTER SYSTEM SET invite_api.jwt_secret = $$' . key(2) . '$$');
$offset = -s $node->logfile;
$node->reload;
$node->wait_for_log(qr/parameter "invite_api\.jwt_secret" changed to/, $offset);
like(substr(slurp_file($node->logfile), $offset),
	qr/LOG:  parameter "invite_api\.jwt_secret" changed to "\*\*\*\*\*\*\*\*"/,
	'ALTER SYSTEM + reload: the change is logged, with the key masked');
no_key_in_log('ALTER SYSTEM + reload');
wait_for_setting('configuration file');
is(InviteTest::verdict($node, 'app', 1,
		InviteTest::token_with($node, 'app', 1, $keys[-1])),
	'accepted', 'ALTER SYSTEM + reload: the new key verifies');

# 2. postgresql.conf edited, then reload.
$node->safe_psql('postgres', 'ALTER SYSTEM RESET invite_api.jwt_secret');
$node->append_conf('postgresql.conf', "invite_api.jwt_secret = ''\n");
$offset = -s $node->logfile;
$node->reload;
$node->wait_for_log(qr/parameter "invite_api\.jwt_secret" changed to ""/, $offset);
$node->append_conf('postgresql.conf', "invite_api.jwt_secret = '" . key(3) . "'\n");
$offset = -s $node->logfile;
$node->reload;
$node->wait_for_log(qr/parameter "invite_api\.jwt_secret" changed to/, $offset);
no_key_in_log('postgresql.conf + reload');
# and a change from one key to another: the masks are equal, so no line
$node->append_conf('postgresql.conf', "invite_api.jwt_secret = '" . key(4) . "'\n");
$offset = -s $node->logfile;
$node->reload;
$node->wait_for_log(qr/received SIGHUP/, $offset);
wait_for_setting('configuration file');
$node->poll_query_until('app',
	"SELECT invite_api.event_invites_page(1, 1, 0, '"
	  . InviteTest::token_with($node, 'app', 1, $keys[-1]) . "') IS NOT NULL");
no_key_in_log('postgresql.conf, one key for another');

# 3. SET with log_statement = all (and every duration logged).
my $k5 = key(5);
my $k6 = key(6);
$node->safe_psql(
	'app', qq{SET log_statement = 'all';
SET log_min_duration_statement = 0;
SET invite_api.jwt_secret = '$k5';
SET invite_api.jwt_secret TO "$k6";
SELECT set_config('invite_api.jwt_secret', \$\$} . key(7) . q{$$, false);
SELECT set_config('INVITE_API.JWT_SECRET', E'} . key(8) . q{', false);
SET "invite_api"."jwt_secret" = '} . key(9) . q{';
BEGIN;
SET LOCAL invite_api.jwt_secret = '} . key(10) . q{';
COMMIT;
SET invite_api.base_url = 'https://example.com/still-logged';});
like(slurp_file($node->logfile), qr/statement: SET invite_api\.base_url = 'https:\/\/example\.com\/still-logged'/,
	'log_statement: other statements are logged as they are');
like(slurp_file($node->logfile), qr/statement: .*invite_api\.jwt_secret/,
	'log_statement: statements that set the key are logged, without it');
no_key_in_log('SET with log_statement = all');

# 4. Refused: ALTER ROLE/DATABASE ... SET, a function's SET, a role that
# may not set it.
for my $sql (
	'ALTER ROLE plain SET invite_api.jwt_secret = $$' . key(11) . '$$',
	'ALTER DATABASE app SET invite_api.jwt_secret = $$' . key(12) . '$$',
	'ALTER ROLE ALL IN DATABASE app SET invite_api.jwt_secret TO $$' . key(13) . '$$',
	'CREATE FUNCTION f() RETURNS int LANGUAGE sql SET invite_api.jwt_secret = $$'
	  . key(14) . '$$ AS $$SELECT 1$$')
{
	my $error = InviteTest::error_of($node, 'app', "$sql;");
	is($error->{sqlstate}, '42501', "refused: $error->{message}");
	unlike($error->{stderr}, qr/log-key/, 'refused: the error holds no key');
}
my $error = InviteTest::error_of($node, 'app',
	'SET invite_api.jwt_secret = $$' . key(15) . '$$;', '-U', 'plain');
is($error->{sqlstate}, '42501', 'a role that may not set it is refused');
no_key_in_log('refused ALTER ROLE/DATABASE SET, function SET, SET by another role');

# 5. A statement that does not parse, one that fails in a function.
$error = InviteTest::error_of($node, 'app',
	q{SET invite_api.jwt_secret = 'unterminated-} . key(16) . qq{\n});
is($error->{sqlstate}, '42601', 'an unterminated literal is a syntax error');
InviteTest::error_of($node, 'app',
	'SET invite_api.jwt_secret = ' . key(17) . ' trailing-' . key(18) . ';');
$error = InviteTest::error_of($node, 'app',
	q{DO $do$ BEGIN EXECUTE format('ALTER ROLE plain SET invite_api.jwt_secret = %L', '}
	  . key(19) . q{'); END $do$;});
is($error->{sqlstate}, '42501', 'refused inside a function');
unlike($error->{stderr}, qr/log-key/, 'refused inside a function: the error holds no key');
no_key_in_log('syntax errors, a refusal inside a function');

# 6. The key file: replaced, broken, too open, fixed.
$node->append_conf('postgresql.conf', "invite_api.jwt_secret = ''\n");
my $file = PostgreSQL::Test::Utils::tempdir . '/jwt.key';
my $k_file = key(20);
open my $fh, '>', $file or die;
print $fh "$k_file\n";
close $fh;
chmod 0600, $file;
$node->append_conf('postgresql.conf', "invite_api.jwt_secret_file = '$file'\n");
$node->reload;
$node->poll_query_until('app',
	"SELECT setting = '$file' FROM pg_settings WHERE name = 'invite_api.jwt_secret_file'");
$node->poll_query_until('app',
	"SELECT setting = '' FROM pg_settings WHERE name = 'invite_api.jwt_secret'");
is(InviteTest::verdict($node, 'app', 1, InviteTest::token_with($node, 'app', 1, $k_file)),
	'accepted', 'the key file verifies');
for my $content ("{\"keys\": [{\"kty\": \"oct\", \"k\": \"$k_file\"", "{\"keys\": [{\"kty\": \"oct\", \"k\": \"$k_file\"}]}",
	'{"keys": [{"kty": "oct", "k": "' . key(21) . '"}]}', substr(key(22), 0, 20))
{
	open $fh, '>', "$file.new" or die;
	print $fh $content;
	close $fh;
	chmod 0600, "$file.new";
	rename "$file.new", $file;
	InviteTest::verdict($node, 'app', 1, InviteTest::token_with($node, 'app', 1, $k_file));
}
chmod 0644, $file;
InviteTest::verdict($node, 'app', 1, InviteTest::token_with($node, 'app', 1, $k_file));
no_key_in_log('the key file changing, broken, too open');

# The log's own lines are still there.
like(slurp_file($node->logfile), qr/ERROR:  invite_api\.jwt_secret cannot be set per database, per role or per function/,
	'the refusals are logged');
like(slurp_file($node->logfile), qr/ERROR:  invalid key file/, 'the key file errors are logged');

$node->stop;
no_key_in_log('the whole run');
done_testing();
