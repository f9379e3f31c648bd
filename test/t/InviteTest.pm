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
# What they compare and check (test/helpers/checks.sql, called through
# these subs so that the tests depend on what the checks say, not on how):
# answers() (digests of the rows and of every page), position_faults(),
# run_size_faults(), page_faults(); what they read of the bookkeeping
# directly: rebuild_positions(), set_run_size(), counted_events(),
# bookkeeping_report(), run_changes(), counts_differing_from_rebuild();
# load: pgbench_start() and pgbench_finish() with the scripts of
# test/t/pgbench/; server_errors() in a node's log.
#
# The tests run with the working directory at the top of the source tree
# (make installcheck), which is where the helpers' SQL files and the
# pgbench scripts are read from.
package InviteTest;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use IPC::Run;
use Test::More;

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

# The community of test/helpers/checks.sql, load_community(): users
# 1..$users and one event per size, managed by user 1.
sub load_community
{
	my ($node, $db, $users, @sizes) = @_;
	$node->safe_psql($db,
		"SELECT invite_test.load_community($users, '{"
		  . join(',', @sizes) . "}')");
	return;
}

# Database $db with invite_api at an old $version (before the count and the
# runs), and the helpers: the checks are created without checking their
# bodies, so that those reading only that version's tables work.
sub create_old_database
{
	my ($node, $db, $version) = @_;
	$node->safe_psql('postgres', qq{CREATE DATABASE "$db"});
	$node->safe_psql($db, "CREATE EXTENSION invite_api VERSION '$version'");
	for my $name ('tokens', 'checks')
	{
		$node->safe_psql($db,
			"SET check_function_bodies = off;\n" . helper_sql($name),
			extra_params => ['-q']);
	}
	return;
}

# What a database answers, as text to compare with another's: one line per
# contract table ("table NAME ROWS DIGEST", table_digests()) and, for each
# [limit, step] given, one per event that user 1 manages ("pages EVENT
# PAGES DIGEST", page_digests(): every page at offsets 0, step, 2 step, ...
# up to one page past the end).  Needs the token of user 1.
sub answers
{
	my ($node, $db, $token, @pagings) = @_;
	my @parts = (
		$node->safe_psql(
			$db,
			"SELECT 'table ' || name || ' ' || rows || ' ' || digest
			   FROM invite_test.table_digests()"));
	for my $paging (@pagings)
	{
		my ($limit, $step) = @$paging;
		push @parts,
		  $node->safe_psql(
			$db,
			"SELECT 'pages ' || event_id || ' ' || pages || ' ' || digest
			   FROM invite_test.page_digests(1, '$token', $limit, $step)");
	}
	return join("\n", @parts);
}

# A summary of answers() for test names: "users 6000, events 5, ...; 596
# pages".
sub describe_answers
{
	my ($answers) = @_;
	my (@tables, $pages);
	$pages = 0;
	for my $line (split /\n/, $answers)
	{
		my @f = split / /, $line;
		push @tables, "$f[1] $f[2]" if $f[0] eq 'table';
		$pages += $f[2] if $f[0] eq 'pages';
	}
	return join(', ', @tables) . "; $pages pages";
}

# The rows that break the count and the runs, position_faults(), one
# "EVENT: FAULT" line each: empty when all is well.
sub position_faults
{
	my ($node, $db) = @_;
	return $node->safe_psql($db,
		"SELECT event_id || ': ' || fault FROM invite_test.position_faults()");
}

# Runs outside their size bounds, run_size_faults(), one "EVENT: FAULT"
# line each ("too big: ..." or "too small: ...").
sub run_size_faults
{
	my ($node, $db) = @_;
	return $node->safe_psql($db,
		"SELECT event_id || ': ' || fault FROM invite_test.run_size_faults()");
}

# Pages of every event that differ from the ground truth, page_faults(), at
# offsets 0, $step, 2 $step, ... up to one page past the end, $limit a page:
# one "EVENT at OFFSET: FAULT" line each, empty when all are right.
sub page_faults
{
	my ($node, $db, $token, $limit, $step) = @_;
	return $node->safe_psql(
		$db, qq{
SELECT e.id || ' at ' || f.offset || ': ' || f.fault
  FROM invite_api.events e,
       LATERAL invite_test.page_faults(e.id, $limit, ARRAY(SELECT generate_series(0,
           (SELECT count(*) FROM invite_api.event_invites i WHERE i.event_id = e.id)::int + $limit,
           $step)), '$token') f});
}

# The SQLSTATE that $sql fails with in $db, or "ok" when it succeeds.
sub sqlstate
{
	my ($node, $db, $sql) = @_;
	my ($stdout, $stderr);
	my $ret = $node->psql(
		$db, $sql,
		stdout => \$stdout,
		stderr => \$stderr,
		extra_params => [ '-v', 'VERBOSITY=sqlstate' ]);
	return 'ok' if $ret == 0;
	return $1 if $stderr =~ /ERROR:  ([0-9A-Z]{5})$/m;
	return "exit status $ret: $stderr";
}

# The bookkeeping behind the answers (invite_api's internal tables, not the
# contract's): what the tests read of it directly, beside the checks.

# Rebuild every event's count and runs, as after a load with triggers off.
sub rebuild_positions
{
	my ($node, $db) = @_;
	$node->safe_psql($db, 'SELECT invite_api.rebuild_invite_positions()');
	return;
}

# Make runs of $size invites in $db (the shipped size is 512: the setting
# invite_api.run_size, for the database's new sessions), then rebuild (unless
# rebuild => 0), so that runs split and merge all the time under load.
sub set_run_size
{
	my ($node, $db, $size, %opts) = @_;
	$node->safe_psql('postgres',
		qq{ALTER DATABASE "$db" SET invite_api.run_size = $size});
	$node->safe_psql($db,
		"SET invite_api.run_size = $size; SELECT invite_api.rebuild_invite_positions()")
	  if $opts{rebuild} // 1;
	return;
}

# Each event's count as the bookkeeping has it: its folded count plus the
# changes not folded yet.
my $COUNTED = q{
SELECT coalesce(c.event_id, p.event_id) AS event_id,
       coalesce(c.invites, 0) + coalesce(p.delta, 0) AS invites
  FROM invite_api.invite_counts c
  FULL JOIN (SELECT ch.event_id, sum(ch.delta) AS delta
               FROM invite_api.invite_changes ch GROUP BY ch.event_id) p USING (event_id)
};

# "N events, M invites" as the bookkeeping counts them, and as the invites
# are: equal when every event with invites is counted, and no other.
sub counted_events
{
	my ($node, $db) = @_;
	return (
		$node->safe_psql(
			$db,
			"SELECT count(*) || ' events, ' || coalesce(sum(invites), 0) || ' invites'
			   FROM ($COUNTED) c WHERE c.invites <> 0"),
		$node->safe_psql(
			$db,
			"SELECT count(DISTINCT event_id) || ' events, ' || count(*) || ' invites'
			   FROM invite_api.event_invites"));
}

# One line per event: its count, its rows, its runs per level and its
# changes not folded yet (for the log).
sub bookkeeping_report
{
	my ($node, $db) = @_;
	return $node->safe_psql(
		$db, qq{
SELECT 'event ' || e.id || ': ' || coalesce(c.invites, 0) || ' counted, '
       || (SELECT count(*) FROM invite_api.event_invites i WHERE i.event_id = e.id) || ' rows, runs '
       || coalesce((SELECT string_agg(n::text, '/' ORDER BY level)
                      FROM (SELECT r.level, count(*) AS n FROM invite_api.invite_runs r
                             WHERE r.event_id = e.id GROUP BY r.level) l), 'none')
       || ', ' || (SELECT count(*) FROM invite_api.invite_changes ch WHERE ch.event_id = e.id)
       || ' changes pending'
  FROM invite_api.events e LEFT JOIN ($COUNTED) c ON c.event_id = e.id
 ORDER BY e.id});
}

# Runs created and removed so far (splits and merges), from the statistics:
# (inserted, deleted).
sub run_changes
{
	my ($node, $db) = @_;
	return split / /,
	  $node->safe_psql(
		$db,
		"SELECT n_tup_ins || ' ' || n_tup_del FROM pg_stat_user_tables
		  WHERE relid = 'invite_api.invite_runs'::regclass");
}

# Events whose count differs from what a rebuild gives (0 when all agree).
# Rebuilds the positions of $db.
sub counts_differing_from_rebuild
{
	my ($node, $db) = @_;
	return $node->safe_psql(
		$db, qq{
CREATE TEMP TABLE kept AS $COUNTED;
SELECT invite_api.rebuild_invite_positions() \\g /dev/null
CREATE TEMP TABLE rebuilt AS $COUNTED;
SELECT count(*) FROM kept k FULL JOIN rebuilt c USING (event_id)
 WHERE coalesce(k.invites, 0) IS DISTINCT FROM coalesce(c.invites, 0)});
}

# pgbench in the background on $db of $node, with scripts of test/t/pgbench/
# ("NAME@WEIGHT" or "NAME").  %opts: clients, threads, secs, prepared (-M
# prepared), vars (a hash: -D NAME=VALUE).  pgbench_finish() waits for it.
sub pgbench_start
{
	my ($node, $db, %opts) = @_;
	my @cmd = (
		$node->installed_command('pgbench'),
		'-n',
		'-h' => $node->host,
		'-p' => $node->port,
		'-c' => $opts{clients} // 1,
		'-j' => $opts{threads} // 1,
		'-T' => $opts{secs} // 10);
	push @cmd, '-M', 'prepared' if $opts{prepared};
	for my $name (sort keys %{ $opts{vars} // {} })
	{
		push @cmd, '-D', "$name=$opts{vars}{$name}";
	}
	for my $script (@{ $opts{scripts} })
	{
		push @cmd, '-f', "test/t/pgbench/$script";
	}
	push @cmd, $db;
	my $run = { stdout => '', stderr => '' };
	note 'running in the background: ' . join(' ', @cmd);
	$run->{harness} =
	  IPC::Run::start(\@cmd, '>', \$run->{stdout}, '2>', \$run->{stderr});
	return $run;
}

# Wait for a pgbench_start()ed run; returns it with: status (exit status),
# processed and failed (transactions, undef when pgbench did not say),
# scripts (SCRIPT => transactions run), aborted (the lines reporting aborted
# clients or errors).
sub pgbench_finish
{
	my ($run) = @_;
	$run->{harness}->finish;
	$run->{status} = $run->{harness}->full_result(0) >> 8;
	my $out = $run->{stdout};
	($run->{processed}) =
	  $out =~ /^number of transactions actually processed: (\d+)/m;
	($run->{failed}) = $out =~ /^number of failed transactions: (\d+)/m;
	($run->{tps}) = $out =~ /^tps = ([0-9.]+)/m;
	$run->{scripts} = {};
	while ($out =~ m{^SQL script \d+: (?:.*/)?(\S+)\n(?: - .*\n)*? - (\d+) transactions}mg)
	{
		$run->{scripts}{$1} = $2;
	}
	$run->{aborted} = join("\n",
		grep { /aborted|ERROR/ } split(/\n/, "$run->{stderr}\n$out"));
	return $run;
}

# The number of lines of $node's server log, from byte $offset on, that
# report an ERROR, but for autovacuum giving way to a lock.
sub server_errors
{
	my ($node, $offset) = @_;
	my $log = slurp_file($node->logfile, $offset);
	return scalar grep { /\bERROR:/ && !/canceling autovacuum task/ }
	  split /\n/, $log;
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
