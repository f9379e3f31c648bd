# invite_api.jwt_secret_file: the key in a file of the server's OS user that
# no one else may read, as one raw secret or as a JWK Set of "oct" keys (the
# form PostgREST's jwt-secret reads), several keys for rotation, chosen by
# "kid"; re-read when the file changes, without a reload or a restart; a
# clear 55000 when the file cannot be used, never with the key in it.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use Fcntl qw(:mode);
use InviteTest;
use MIME::Base64 qw(encode_base64 encode_base64url);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = InviteTest::bare_node('keys',
	"shared_preload_libraries = 'invite_api'\n");
$node->start;
InviteTest::create_database($node, 'app');
InviteTest::create_event($node, 'app', 1, 1);

my $dir = PostgreSQL::Test::Utils::tempdir;
my $key_a = 'key-file-a-0123456789abcdefghijklmnop';
my $key_b = 'key-file-b-0123456789abcdefghijklmnop';
my $key_c = 'key-file-c-0123456789abcdefghijklmnop';

# Write $content to $path with $mode, replacing the file (a new inode, as a
# deployment tool would) unless $in_place.
sub write_file
{
	my ($path, $content, $mode, $in_place) = @_;
	my $target = $in_place ? $path : "$path.new";
	open my $fh, '>', $target or die "cannot write $target: $!";
	print $fh $content;
	close $fh;
	chmod $mode // 0600, $target;
	rename $target, $path or die "cannot rename to $path: $!" unless $in_place;
	return;
}

sub jwk
{
	my (%members) = @_;
	$members{k} = encode_base64url($members{k}) if defined $members{k};
	return '{' . join(', ', map { qq{"$_": "$members{$_}"} } sort keys %members) . '}';
}

sub jwks
{
	return '{"keys": [' . join(', ', @_) . ']}';
}

# Point the server at $path (postgresql.auto.conf, reload) and wait for it.
sub use_key_file
{
	my ($path) = @_;
	$node->safe_psql('postgres',
		"ALTER SYSTEM SET invite_api.jwt_secret_file = '$path'; SELECT pg_reload_conf()");
	$node->poll_query_until('app',
		"SELECT setting = '$path' FROM pg_settings WHERE name = 'invite_api.jwt_secret_file'")
	  or die "invite_api.jwt_secret_file did not become $path";
	return;
}

sub token
{
	my ($secret, $header) = @_;
	return InviteTest::token_with($node, 'app', 1, $secret, $header);
}

sub verdict
{
	my ($token) = @_;
	return InviteTest::verdict($node, 'app', 1, $token);
}

# The error the server gives for a valid token signed with key A, which
# must not contain any key material.
sub file_error
{
	my ($name) = @_;
	my $error = InviteTest::error_of($node, 'app',
		"SELECT invite_api.event_invites_page(1, 1, 0, '" . token($key_a) . "');");
	my $leak = grep { $error->{stderr} =~ /\Q$_\E/ }
	  ($key_a, $key_b, $key_c, encode_base64url($key_a), 'file-a-0123');
	ok(!$leak, "$name: the error holds no key material");
	return $error;
}

my $path = "$dir/jwt.key";

# The setting itself.
is($node->safe_psql('app',
		"SELECT context || ' ' || boot_val FROM pg_settings WHERE name = 'invite_api.jwt_secret_file'"),
	'sighup ', 'jwt_secret_file: reload context, empty by default');
like(InviteTest::error_of($node, 'app', "SET invite_api.jwt_secret_file = '$path';")->{message},
	qr/cannot be changed now/, 'jwt_secret_file cannot be SET in a session');

# A raw secret, one final newline dropped.
write_file($path, "$key_a\n");
use_key_file($path);
is(verdict(token($key_a)), 'accepted', 'raw secret: accepted');
is(verdict(token("$key_a\n")), '28000', 'raw secret: the final newline is not part of the key');
is(verdict(token($key_b)), '28000', 'raw secret: another key is refused');
write_file($path, "$key_a\n\n");
is(verdict(token("$key_a\n")), 'accepted', 'raw secret: only one final newline is dropped');
write_file($path, $key_a);
is(verdict(token($key_a)), 'accepted', 'raw secret without a newline');

# Relative to the data directory, as PostgreSQL's own file settings.
write_file($node->data_dir . '/jwt_relative.key', "$key_b\n");
use_key_file('jwt_relative.key');
is(verdict(token($key_b)), 'accepted', 'a relative path is read from the data directory');
use_key_file($path);

# Permissions: the owner alone; read-only is fine.
for my $case ([ 0640, 'group read' ], [ 0620, 'group write' ], [ 0604, 'others read' ],
	[ 0602, 'others write' ], [ 0610, 'group execute' ])
{
	my ($mode, $what) = @$case;
	write_file($path, "$key_a\n", $mode);
	my $error = file_error(sprintf('mode %04o', $mode));
	is($error->{sqlstate}, '55000', sprintf('mode %04o (%s): 55000', $mode, $what));
	like($error->{message}, qr/^key file ".*jwt\.key" has group or world access$/,
		sprintf('mode %04o: the message says why', $mode));
	like($error->{hint}, qr/0600/, sprintf('mode %04o: the hint says what to do', $mode));
}
for my $mode (0400, 0600, 0700)
{
	write_file($path, "$key_a\n", $mode);
	is(verdict(token($key_a)), 'accepted', sprintf('mode %04o: accepted', $mode));
}

# Missing, a directory, owned by someone else.
unlink $path;
my $error = file_error('missing');
is($error->{sqlstate}, '55000', 'missing file: 55000');
like($error->{message}, qr/^could not open key file ".*jwt\.key": No such file or directory$/,
	'missing file: the message says so');
mkdir $path;
$error = file_error('directory');
is($error->{sqlstate}, '55000', 'a directory: 55000');
like($error->{message}, qr/is not a regular file$/, 'a directory: the message says so');
rmdir $path;
use_key_file('/etc/passwd');
$error = file_error('owned by root');
is($error->{sqlstate}, '55000', 'a file of another user: 55000');
like($error->{message}, qr/^key file "\/etc\/passwd" must be owned by the database server's user$/,
	'a file of another user: the message says so');
use_key_file($path);

# Raw secrets that cannot be keys.
for my $case ([ '', 'empty' ], [ "\n", 'a newline only' ],
	[ substr($key_a, 0, 31) . "\n", '31 bytes' ])
{
	my ($content, $name) = @$case;
	write_file($path, $content);
	$error = file_error($name);
	is($error->{sqlstate}, '55000', "raw secret, $name: 55000");
	like($error->{message}, $content =~ /^\n?$/ ? qr/holds no key$/ : qr/shorter than 32 bytes$/,
		"raw secret, $name: the message says why");
}
write_file($path, substr($key_a, 0, 32) . "\n");
is(verdict(token(substr($key_a, 0, 32))), 'accepted', 'raw secret of 32 bytes: accepted');

# A JWK Set: several keys, chosen by kid.
write_file($path,
	jwks(jwk(kty => 'oct', kid => '2025', k => $key_a),
		jwk(kty => 'oct', kid => '2026', k => $key_b)));
is(verdict(token($key_a, '{"alg":"HS256","typ":"JWT","kid":"2025"}')),
	'accepted', 'JWKS: kid 2025, signed with its key');
is(verdict(token($key_b, '{"alg":"HS256","typ":"JWT","kid":"2026"}')),
	'accepted', 'JWKS: kid 2026, signed with its key');
is(verdict(token($key_b, '{"alg":"HS256","typ":"JWT","kid":"2025"}')),
	'28000', 'JWKS: kid 2025 signed with the key of 2026 is refused (only its key is tried)');
is(verdict(token($key_a)), 'accepted', 'JWKS: no kid, every key is tried (first)');
is(verdict(token($key_b)), 'accepted', 'JWKS: no kid, every key is tried (second)');
is(verdict(token($key_c)), '28000', 'JWKS: no kid, signed with no key of the set');
$error = InviteTest::error_of($node, 'app',
	"SELECT invite_api.event_invites_page(1, 1, 0, '"
	  . token($key_a, '{"alg":"HS256","typ":"JWT","kid":"2024"}') . "');");
is($error->{sqlstate}, '28000', 'JWKS: a kid naming no key is refused');
like($error->{detail}, qr/kid/, 'JWKS: the detail says the kid names no key');
$error = InviteTest::error_of($node, 'app',
	"SELECT invite_api.event_invites_page(1, 1, 0, '"
	  . token($key_a, '{"alg":"HS256","typ":"JWT","kid":2025}') . "');");
is($error->{sqlstate}, '28000', 'a kid that is not a string is refused');
like($error->{detail}, qr/"kid" is not a string/, 'a kid that is not a string: the detail says so');
is(verdict(token($key_b, '{"alg":"HS512","typ":"JWT","kid":"2026"}')),
	'accepted', 'JWKS: HS512 with a key without "alg"');

# Keys without kid are tried whatever the token's kid; other kty, a "use"
# other than "sig", "key_ops" without "verify" and an "alg" other than the
# token's leave a key out.
write_file($path,
	jwks(jwk(kty => 'RSA', kid => 'rsa', n => 'AQAB', e => 'AQAB'),
		jwk(kty => 'oct', k => $key_a),
		jwk(kty => 'oct', kid => 'enc', use => 'enc', k => $key_b),
		jwk(kty => 'oct', kid => 'hs512', alg => 'HS512', k => $key_c)));
is(verdict(token($key_a, '{"alg":"HS256","kid":"anything"}')),
	'accepted', 'a key without kid is tried for any kid');
is(verdict(token($key_b)), '28000', 'a key for encryption ("use": "enc") is left out');
is(verdict(token($key_c, '{"alg":"HS512","kid":"hs512"}')), 'accepted',
	'a key with "alg" verifies its algorithm');
is(verdict(token($key_c, '{"alg":"HS256","kid":"hs512"}')), '28000',
	'a key with "alg" is left out for another algorithm');
write_file($path,
	'{"keys": [{"kty": "oct", "key_ops": ["sign"], "k": "' . encode_base64url($key_a)
	  . '"}, {"kty": "oct", "key_ops": ["sign", "verify"], "k": "'
	  . encode_base64url($key_b) . '"}]}');
is(verdict(token($key_a)), '28000', '"key_ops" without "verify" leaves a key out');
is(verdict(token($key_b)), 'accepted', '"key_ops" with "verify" keeps it');

# A single JWK, as PostgREST also reads it.
write_file($path, jwk(kty => 'oct', k => $key_a) . "\n");
is(verdict(token($key_a)), 'accepted', 'a single JWK');

# JWK Sets that cannot be used.
for my $case (
	[ '{"keys": [' . jwk(kty => 'oct', k => $key_a), 'not valid JSON', qr/^invalid key file/, qr/not valid JSON \(line 1, column \d+\)/ ],
	[ '{"keys": {}}', '"keys" not an array', qr/^invalid key file/, qr/"keys"/ ],
	[ '{"kid": "x"}', 'neither a set nor a key', qr/^invalid key file/, qr/JWK Set/ ],
	[ '[' . jwk(kty => 'oct', k => $key_a) . ']', 'an array', qr/^invalid key file/, qr/JWK Set/ ],
	[ jwks('"' . encode_base64url($key_a) . '"'), 'a key that is not an object', qr/^invalid key file/, qr/key 1/ ],
	[ jwks('{"k": "' . encode_base64url($key_a) . '"}'), 'no kty', qr/^invalid key file/, qr/"kty"/ ],
	[ jwks('{"kty": "oct"}'), 'no k', qr/^invalid key file/, qr/"k"/ ],
	[ jwks('{"kty": "oct", "k": "' . encode_base64url($key_a) . '="}'), 'k padded', qr/^invalid key file/, qr/base64url/ ],
	[ jwks('{"kty": "oct", "k": "' . encode_base64($key_a, q{}) . '"}'), 'k in base64 with + or /', qr/^invalid key file/, qr/base64url/ ],
	[ jwks('{"kty": "oct", "k": 5}'), 'k a number', qr/^invalid key file/, qr/"k"/ ],
	[ jwks('{"kty": "oct", "kid": 1, "k": "' . encode_base64url($key_a) . '"}'), 'kid a number', qr/^invalid key file/, qr/"kid"/ ],
	[ jwks(jwk(kty => 'oct', kid => 'x', k => $key_a), jwk(kty => 'oct', kid => 'x', k => $key_b)), 'a kid twice', qr/^invalid key file/, qr/"kid"/ ],
	[ '{"keys": [' . jwk(kty => 'oct', k => $key_a) . '], "keys": []}', 'a member twice', qr/^invalid key file/, qr/names a member twice/ ],
	[ jwks(), 'no keys', qr/holds no usable key$/, qr/oct/ ],
	[ jwks(jwk(kty => 'RSA', n => 'AQAB', e => 'AQAB')), 'only other kty', qr/holds no usable key$/, qr/oct/ ],
	[ jwks(jwk(kty => 'oct', k => substr($key_a, 0, 31))), 'a key of 31 bytes', qr/shorter than 32 bytes$/, qr/Key 1 /i ],
	[ jwks(jwk(kty => 'oct', k => $key_b), jwk(kty => 'oct', k => '')), 'an empty key', qr/shorter than 32 bytes$/, qr/Key 2 /i ])
{
	my ($content, $name, $message, $detail) = @$case;
	write_file($path, $content);
	$error = file_error("JWKS, $name");
	is($error->{sqlstate}, '55000', "JWKS, $name: 55000");
	like($error->{message}, $message, "JWKS, $name: message");
	like($error->{detail}, $detail, "JWKS, $name: detail");
}

# The key in both places: refused, whichever holds the right key.
write_file($path, "$key_a\n");
$error = InviteTest::error_of($node, 'app',
	"SET invite_api.jwt_secret = '$key_a';\nSELECT invite_api.event_invites_page(1, 1, 0, '"
	  . token($key_a) . "');");
is($error->{sqlstate}, '55000', 'jwt_secret and jwt_secret_file both set: 55000');
like($error->{message}, qr/both set/, 'both set: the message says so');
unlike($error->{stderr}, qr/\Q$key_a\E/, 'both set: no key in the error');

# Rotation without downtime, in one session and without a reload: the file
# is re-read when it changes.
my $session = $node->background_psql('app', on_error_stop => 0);
my $live = sub {
	my ($token) = @_;
	my $out = $session->query(
		"SELECT invite_api.event_invites_page(1, 1, 0, '$token') IS NOT NULL;");
	$session->{stderr} = '';	# the refusals pile up there
	return $out eq 't' ? 'accepted' : 'refused';
};
write_file($path, jwks(jwk(kty => 'oct', kid => 'old', k => $key_a)));
is($live->(token($key_a, '{"alg":"HS256","kid":"old"}')), 'accepted', 'rotation 0: the old key');
is($live->(token($key_b, '{"alg":"HS256","kid":"new"}')), 'refused', 'rotation 0: the new key is not there yet');
write_file($path,
	jwks(jwk(kty => 'oct', kid => 'old', k => $key_a), jwk(kty => 'oct', kid => 'new', k => $key_b)));
is($live->(token($key_a, '{"alg":"HS256","kid":"old"}')), 'accepted', 'rotation 1, new key added: the old key still verifies');
is($live->(token($key_b, '{"alg":"HS256","kid":"new"}')), 'accepted', 'rotation 1, new key added: the new key verifies');
write_file($path, jwks(jwk(kty => 'oct', kid => 'new', k => $key_b)));
is($live->(token($key_b, '{"alg":"HS256","kid":"new"}')), 'accepted', 'rotation 2, old key removed: the new key verifies');
is($live->(token($key_a, '{"alg":"HS256","kid":"old"}')), 'refused', 'rotation 2, old key removed: the old key is refused');
# Rewritten in place, same size (same inode, new mtime).
write_file($path, jwks(jwk(kty => 'oct', kid => 'new', k => $key_c)), 0600, 1);
is($live->(token($key_c, '{"alg":"HS256","kid":"new"}')), 'accepted', 'rewritten in place: the new content is read');
is($live->(token($key_b, '{"alg":"HS256","kid":"new"}')), 'refused', 'rewritten in place: the previous key is gone');
# Made unreadable to others again after a mistake: refused, then accepted.
chmod 0644, $path;
is($live->(token($key_c, '{"alg":"HS256","kid":"new"}')), 'refused', 'chmod 0644: refused at once');
chmod 0600, $path;
is($live->(token($key_c, '{"alg":"HS256","kid":"new"}')), 'accepted', 'chmod 0600: accepted again');

# Reading it again and again keeps no memory: 200 changes in one session.
my $contexts = q{SELECT sum(total_bytes) FROM pg_backend_memory_contexts};
my $token_c = token($key_c, '{"alg":"HS256","kid":"new"}');
$live->($token_c);
my $before = $session->query_safe($contexts);
for my $i (1 .. 200)
{
	write_file($path,
		jwks(jwk(kty => 'oct', kid => 'new', k => $key_c),
			jwk(kty => 'oct', kid => "other-$i", k => $key_a)));
	$live->($token_c) eq 'accepted' or die "round $i: refused";
}
my $after = $session->query_safe($contexts);
cmp_ok($after - $before, '<=', 16384,
	"200 key files read in one session: the memory contexts grew by at most 16 kB ($before -> $after)");
$session->quit;

# Unset: no key at all.
$node->safe_psql('postgres', 'ALTER SYSTEM RESET invite_api.jwt_secret_file; SELECT pg_reload_conf()');
$node->poll_query_until('app',
	"SELECT setting = '' FROM pg_settings WHERE name = 'invite_api.jwt_secret_file'");
is(verdict(token($key_c)), '55000', 'no key file and no secret: 55000');

$node->stop;
done_testing();
