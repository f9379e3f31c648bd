# No crash from the process's configuration: a server started with a
# replacement malloc (LD_PRELOAD=libjemalloc.so.2, a real production setup)
# must refuse tokens with 55000 and say why, never abort.  libjwt, opened
# with RTLD_DEEPBIND, binds its own malloc and free to glibc's, while what
# libc itself allocates for it comes from the interposed allocator: one heap
# allocates, the other frees, and glibc aborts the backend ("free(): invalid
# pointer" in jwt_decode), which restarts every session.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use InviteTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $jemalloc = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
plan skip_all => "$jemalloc is not installed (Debian's libjemalloc2)"
  unless -f $jemalloc;

my $node = InviteTest::new_node('jemalloc');
{
	local $ENV{LD_PRELOAD} = $jemalloc;
	$node->start;
}
my $postmaster = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my ($postmaster_pid) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
like(slurp_file("/proc/$postmaster_pid/maps"), qr/libjemalloc/,
	'the server runs with jemalloc');

InviteTest::create_database($node, 'app');
InviteTest::create_event($node, 'app', 1, 1);
my $valid = InviteTest::token($node, 'app', 1);
my $secret = $InviteTest::SECRET;
my %tokens = (
	'valid' => $valid,
	'valid, HS512' => $node->safe_psql('app',
		"SELECT invite_test.sign(json_build_object('user_id', 1, 'exp', 4102444800), alg => 'HS512')"),
	'wrong signature' => $node->safe_psql('app',
		"SELECT invite_test.token(1, '1 hour', 'another-secret-0123456789abcdefghij')"),
	'expired' => $node->safe_psql('app', "SELECT invite_test.token(1, '-1 hour')"),
	'not a token' => 'abcd.abcd.abcd',
	'Bearer and a valid token' => "Bearer $valid");

my $session = $node->background_psql('app', on_error_stop => 0);
$session->query_safe('\set VERBOSITY verbose');
my $pid = $session->query_safe('SELECT pg_backend_pid()');
for my $name (sort keys %tokens)
{
	my ($out, $failed) = $session->query(
		"SELECT invite_api.event_invites_page(1, 1, 0, '$tokens{$name}') ->> 'count'");
	my $stderr = $session->{stderr};
	$session->{stderr} = '';
	like($stderr, qr/ERROR:  55000: could not load libjwt/, "$name: 55000");
	like($stderr, qr/DETAIL:  .*malloc.*/, "$name: the detail says why");
	is($session->query_safe('SELECT pg_backend_pid()'), $pid, "$name: the same backend");
}
$session->quit;

# Without a token there is nothing to verify: 28000, as anywhere.
is(InviteTest::error_of($node, 'app', 'SELECT invite_api.event_invites_page(1, 1, 0, NULL);')
	  ->{sqlstate},
	'28000', 'no token: 28000');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$postmaster, 'the postmaster never restarted');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/,
	'no backend died');

# Restarted without it, the same tokens verify.
$node->restart;
is(InviteTest::verdict($node, 'app', 1, $valid), 'accepted', 'without jemalloc: accepted');

$node->stop;
done_testing();
