# A seeded, model-based differential test of the count and positions that
# invite_api keeps beside the invites (issue 8), in the spirit of SQLancer.
#
#   use InviteDiff;
#   my %opt = InviteDiff::options_from_env();
#   my $result = InviteDiff::run_seed($node, $seed, %opt);
#
# For each seed a generator writes a stream of steps: every kind of write of
# the contract's section 3 (INSERT plain and with ON CONFLICT DO NOTHING / DO
# UPDATE of invited_at, invited_by or event_id; UPDATE of any column; DELETE;
# MERGE with every action; COPY FROM STDIN small and large; TRUNCATE;
# writable CTEs mixing them; cascades from deleting users and events;
# savepoints rolled back; transactions at every isolation level; writes with
# the replica role, and with the triggers disabled; and the write functions'
# calls, event_invite_users() and event_uninvite_users()), over one or several
# events, in small and large batches, with ties and '-infinity'/'infinity'
# times, some shaped to make one statement fire several triggers over keys
# not counted yet.  Some steps are rounds of several sessions interleaving
# open transactions.
#
# The oracle is the ground truth of the same snapshot: after each step (and
# inside transactions, in their own snapshot), pages of the events it
# touched and of one more, at offsets around 256, run-sized steps, the
# middle and the end, and the count of every event, must equal
# invite_test.page_truth() in every field, and invite_test.position_faults()
# must be empty; every so often every position of every event is walked.
# A statement may fail only where PostgreSQL itself would fail it on a
# plain table: never in a single session (the generator only writes
# statements that succeed there), and in concurrent rounds only with
# 40001, 40P01, 23505, 23503 or a cancel that breaks a lock cycle.  After a
# write with the triggers disabled, and until invite_api.
# rebuild_invite_positions(), any page may be refused with XX001 (and the
# positions are not checked); no page may ever be wrong.
#
# The model is the generator's own: the events it believes exist and their
# approximate sizes, updated from what its statements intend, never read
# back from the database.  So the statements are a function of the seed
# alone: the same seed writes exactly the same statements.  Concurrent
# rounds are run one statement at a time: a statement runs alone until it
# completes or the server reports its session blocked by another session
# (pg_isolation_test_session_is_blocked, as the isolation tester does); a
# lock cycle among the sessions is broken by cancelling the statement that
# closed it, so the outcome does not hang on deadlock_timeout.
#
# On a failure it reports the seed, the step, the statements of the last
# steps and the faults, writes the whole stream to a file in the test's log
# directory, and shrinks it: it replays subsets of the steps up to the
# failing one on a copy of the seed's first state until no step can be
# left out, then leaves out single statements, as long as the replay fails
# the same way (wrong pages, or errors of the same SQLSTATEs).
#
# The sessions are PostgreSQL::Test::BackgroundPsql psql processes; the
# batches are written to their stdin and read back without waiting, through
# the fields that its query() uses, so that a blocked statement does not
# stop the test.
package InviteDiff;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use InviteTest;

# Users 1-3 manage and invite (never deleted); user 1 manages every event.
use constant MANAGERS => 3;

# --- options -----------------------------------------------------------------

# The knobs, from the environment (see test/t/030_differential.pl).
sub options_from_env
{
	# DIFF_PRESET=long: the long run's mix (many small statements per round
	# trip, fewer checks, walks and concurrent rounds); each DIFF_*
	# variable still overrides it.
	my %long = (
		DIFF_STEPS => 3000, DIFF_BATCH => 30, DIFF_CHECK_EVERY => 5, DIFF_WALK_EVERY => 100,
		DIFF_CONCURRENT => 0.03, DIFF_LARGE => 0.01, DIFF_MEDIUM => 0.15, DIFF_SHAPED => 0.3,
		DIFF_SHRINK_SECS => 600,
	);
	local %ENV = %ENV;
	if (($ENV{DIFF_PRESET} // '') eq 'long')
	{
		$ENV{$_} //= $long{$_} for keys %long;
	}
	elsif (defined $ENV{DIFF_PRESET})
	{
		die "unknown DIFF_PRESET \"$ENV{DIFF_PRESET}\" (long is the one there is)\n";
	}
	my %o = (
		seeds => $ENV{DIFF_SEEDS} // (defined $ENV{SEED} ? $ENV{SEED} : '1-3'),
		steps => $ENV{DIFF_STEPS} // 100,
		events => $ENV{DIFF_EVENTS} // 10,
		users => $ENV{DIFF_USERS} // 12000,
		max_event => $ENV{DIFF_MAX_EVENT} // 6000,
		batch => $ENV{DIFF_BATCH} // 6,
		sessions => $ENV{DIFF_SESSIONS} // 3,
		concurrent => $ENV{DIFF_CONCURRENT} // 0.15,
		bypass => $ENV{DIFF_BYPASS} // 0.02,
		walk_every => $ENV{DIFF_WALK_EVERY} // 25,
		check_every => $ENV{DIFF_CHECK_EVERY} // 1,
		big_copy => $ENV{DIFF_BIG_COPY} // 8000,
		keep_going => $ENV{DIFF_KEEP_GOING} // 0,
		shrink_secs => $ENV{DIFF_SHRINK_SECS} // 60,
		verbose => $ENV{DIFF_VERBOSE} // 0,
		action_timeout => $ENV{DIFF_ACTION_TIMEOUT} // 600,
		profile => $ENV{DIFF_PROFILE} // 0,
		vacuum_every => $ENV{DIFF_VACUUM_EVERY} // 20,
		version => $ENV{DIFF_VERSION},
		log_dir => $ENV{DIFF_LOG_DIR},
		large => $ENV{DIFF_LARGE} // 0.12,
		medium => $ENV{DIFF_MEDIUM} // 0.33,
		shaped => $ENV{DIFF_SHAPED} // 1,
	);
	return %o;
}

# "7", "1-5" or "3,9,12" as a list of seeds.
sub parse_seeds
{
	my ($spec) = @_;
	my @seeds;
	for my $part (split /,/, $spec)
	{
		if ($part =~ /^\s*(\d+)\s*-\s*(\d+)\s*$/) { push @seeds, $1 .. $2; }
		elsif ($part =~ /^\s*(\d+)\s*$/) { push @seeds, $1; }
		else { die "bad seed list \"$spec\"\n"; }
	}
	return @seeds;
}

# --- the random numbers ------------------------------------------------------

# xorshift32, private to the generator: nothing else that calls rand() can
# change the stream.
package InviteDiff::Rng;

sub new
{
	my ($class, $seed) = @_;
	my $x = (($seed + 1) * 2654435761) & 0xffffffff;
	$x = 0x9e3779b9 if $x == 0;
	my $self = bless { x => $x }, $class;
	$self->draw for 1 .. 8;
	return $self;
}

sub draw
{
	my ($self) = @_;
	my $x = $self->{x};
	$x ^= ($x << 13) & 0xffffffff;
	$x ^= $x >> 17;
	$x ^= ($x << 5) & 0xffffffff;
	return $self->{x} = $x;
}

# 0 .. n-1
sub below
{
	my ($self, $n) = @_;
	return 0 if $n <= 1;
	return $self->draw % $n;
}

# lo .. hi
sub range
{
	my ($self, $lo, $hi) = @_;
	return $lo if $hi <= $lo;
	return $lo + $self->below($hi - $lo + 1);
}

sub chance { my ($self, $p) = @_; return $self->draw / 4294967296 < $p; }
sub frac { my ($self) = @_; return sprintf('%.4f', $self->draw / 4294967296); }
sub pick { my ($self, @list) = @_; return $list[ $self->below(scalar @list) ]; }

# A key of %$weights, with probability proportional to its weight.
sub weighted
{
	my ($self, $weights) = @_;
	my @keys = sort keys %$weights;
	my $total = 0;
	$total += $weights->{$_} for @keys;
	my $r = $self->draw / 4294967296 * $total;
	for my $k (@keys)
	{
		return $k if ($r -= $weights->{$k}) < 0;
	}
	return $keys[-1];
}

# --- the generator -----------------------------------------------------------

package InviteDiff::Gen;

# Statement kinds of single sessions and their weights.  Kinds marked in
# %CONCURRENT may also run in concurrent rounds.
my %WEIGHTS = (
	insert_plain => 10,
	insert_values => 5,
	insert_nothing => 6,
	upsert_time => 7,
	upsert_by => 2,
	upsert_event => 3,
	update_time => 8,
	update_by => 2,
	update_event => 4,
	update_user => 3,
	update_several => 2,
	delete_users_of => 6,
	delete_slice => 6,
	delete_event_all => 1,
	merge => 7,
	copy_small => 3,
	copy_large => 1,
	cte_insert_delete => 3,
	cte_move => 3,
	cte_three => 2,
	cascade_users => 2,
	cascade_event => 1,
	restore => 3,
	trim => 2,
	grow => 2,
	far_upsert => 5,
	far_merge => 3,
	cte_landing => 4,
	truncate => 0.3,
	truncate_events => 0.2,
	rebuild => 0.3,
	call_invite => 4,
	call_uninvite => 4,
);
my %CONCURRENT = map { $_ => 1 } qw(insert_plain insert_values insert_nothing
  upsert_time upsert_by upsert_event update_time update_by update_event
  update_user delete_users_of delete_slice merge copy_small cte_insert_delete
  cte_move cascade_users far_upsert cte_landing);

sub new
{
	my ($class, $seed, %opt) = @_;
	my $self = bless {
		rng => InviteDiff::Rng->new($seed),
		opt => \%opt,
		seed => $seed,
		# The model: events believed to exist and their approximate
		# sizes; user ranges believed deleted.
		size => {},
		deleted_users => [],
	}, $class;
	return $self;
}

sub r { return $_[0]{rng}; }

# Events the model believes exist.
sub live_events
{
	my ($self) = @_;
	return sort { $a <=> $b } keys %{ $self->{size} };
}

sub clamp
{
	my ($self, $e) = @_;
	return unless exists $self->{size}{$e};
	my $s = $self->{size}{$e};
	$s = 0 if $s < 0;
	$s = $self->{opt}{users} if $s > $self->{opt}{users};
	$self->{size}{$e} = int($s);
	return;
}

# An event: mostly one that exists, sometimes one that may not (statements
# guard against it), biased to bigger ones where asked.
sub event
{
	my ($self, %how) = @_;
	my @live = $self->live_events;
	return $self->r->range(1, $self->{opt}{events}) if !@live || $self->r->chance(0.05);
	if ($how{big})
	{
		my @big = grep { $self->{size}{$_} >= $how{big} } @live;
		return $self->r->pick(@big) if @big;
	}
	return $self->r->pick(@live);
}

# 1-3 distinct events, as a list.
sub events
{
	my ($self, $max) = @_;
	my $n = $self->r->chance(0.7) ? 1 : $self->r->range(2, $max // 3);
	my %seen;
	$seen{ $self->event } = 1 for 1 .. $n;
	return sort { $a <=> $b } keys %seen;
}

sub users_n { return $_[0]{opt}{users}; }

# How many rows a statement touches: mostly few, sometimes hundreds,
# sometimes thousands.
sub batch_size
{
	my ($self) = @_;
	my $p = $self->r->draw / 4294967296;
	return $self->r->range(401, 3000) if $p < $self->{opt}{large};
	return $self->r->range(13, 400) if $p < $self->{opt}{large} + $self->{opt}{medium};
	return $self->r->range(1, 12);
}

# A set of distinct users, as a subquery with column u, and its size.
sub users_set
{
	my ($self, %how) = @_;
	my $n = $how{n} // $self->batch_size;
	my $U = $self->users_n;
	my $kind = $self->r->below(10);
	if ($kind < 4 || $n > $U / 2)
	{
		my $a = $self->r->range(1, $U);
		my $b = $a + $n - 1;
		$b = $U if $b > $U;
		return ("(SELECT id AS u FROM invite_api.users WHERE id BETWEEN $a AND $b)", $b - $a + 1);
	}
	if ($kind < 7)
	{
		my $m = $self->r->range(2, 9);
		my $rem = $self->r->below($m);
		my $a = $self->r->range(1, $U);
		my $b = $a + $n * $m - 1;
		$b = $U if $b > $U;
		return ("(SELECT id AS u FROM invite_api.users WHERE id BETWEEN $a AND $b AND id % $m = $rem)",
			int(($b - $a + 1) / $m) + 1);
	}
	if ($kind < 8 && $n <= 40)
	{
		my %ids;
		$ids{ $self->r->range(1, $U) } = 1 for 1 .. $n;
		my $list = join(', ', sort { $a <=> $b } keys %ids);
		return ("(SELECT id AS u FROM invite_api.users WHERE id IN ($list))", scalar keys %ids);
	}
	# Invited users of an event, by page position, with others beside them.
	my $e = $self->event;
	my $at = $self->slice_clause($e, $n);
	my $a = $self->r->range(1, $U);
	my $b = $a + $self->r->range(0, $n);
	$b = $U if $b > $U;
	return ("((SELECT user_id AS u FROM invite_api.event_invites WHERE event_id = $e $at)"
		  . " UNION (SELECT id FROM invite_api.users WHERE id BETWEEN $a AND $b))", $n);
}

# ORDER BY ... LIMIT ... [OFFSET] picking n invites of event e by page
# position: the first, the last, or a slice from the middle.
sub slice_clause
{
	my ($self, $e, $n) = @_;
	my $size = $self->{size}{$e} // 0;
	my $which = $self->r->below(3);
	return "ORDER BY invited_at, user_id LIMIT $n" if $which == 0;
	return "ORDER BY invited_at DESC, user_id DESC LIMIT $n" if $which == 1;
	my $off = $self->r->range(0, $size > $n ? $size - $n : 0);
	return "ORDER BY invited_at, user_id OFFSET $off LIMIT $n";
}

# A time for the invites of column $u: spread, clustered (ties), constant,
# far before or after everything, or an infinity.
sub time_expr
{
	my ($self, $u) = @_;
	my $base = $self->r->pick('2025-01-01 00:00+00', '2025-03-01 12:00+00', '2024-06-01 00:00+00');
	my $k = $self->r->below(12);
	if ($k < 4)
	{
		my ($a, $b, $m) = ($self->r->range(1, 97), $self->r->below(1000), $self->r->pick(7, 60, 500, 5000, 100000));
		return "timestamptz '$base' + (($u * $a + $b) % $m) * interval '1 minute'";
	}
	return "timestamptz '$base' + " . $self->r->below(5000) . " * interval '1 minute'" if $k < 6;
	return "timestamptz '2000-01-01 00:00+00' + ($u % " . $self->r->range(1, 50) . ") * interval '1 s'" if $k < 7;
	return "timestamptz '2100-01-01 00:00+00' + ($u % " . $self->r->range(1, 50) . ") * interval '1 s'" if $k < 8;
	return "timestamptz '-infinity'" if $k < 9;
	return "timestamptz 'infinity'" if $k < 10;
	return "CASE $u % 5 WHEN 0 THEN timestamptz '-infinity' WHEN 1 THEN timestamptz 'infinity' "
	  . "ELSE timestamptz '$base' + ($u % 97) * interval '1 minute' END";
}

sub inviter
{
	my ($self) = @_;
	return $self->r->pick('NULL', 1, 2, 3);
}

sub in_list { return join(', ', @_); }

# The rows a users INSERT needs: the same as the first load's.
sub users_insert
{
	my ($a, $b) = @_;
	return "INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar)\n"
	  . "SELECT g, 'u' || g, CASE g % 5 WHEN 0 THEN '' WHEN 1 THEN 'Zoë ☃ ' || g ELSE 'User ' || g END,\n"
	  . "       CASE WHEN g % 3 <> 0 THEN g * 10 END,\n"
	  . "       CASE WHEN g % 2 = 0 THEN 'https://img.example.com/u/' || g || '.png' END\n"
	  . "  FROM generate_series($a, $b) AS g ON CONFLICT DO NOTHING;";
}

# The first state of a seed: users, events of sizes that sit around the
# places where positions change (255-257, 999-1001, 1999-2001 ...) and
# beyond, in orders unrelated to the user ids.
sub initial_sql
{
	my ($self) = @_;
	my $U = $self->users_n;
	my @sql = (users_insert(1, $U));
	my @sizes = (0, 1, 7, 255, 256, 257, 999, 1001, 1999, 2001, 2600, 4000, 5500);
	for my $e (1 .. $self->{opt}{events})
	{
		my $n = $self->r->pick(@sizes);
		$n = $self->{opt}{max_event} if $n > $self->{opt}{max_event};
		my ($a, $m) = ($self->r->range(1, 7919), $self->r->pick(3, 250, 1000, 100000));
		push @sql, "INSERT INTO invite_api.events VALUES ($e, 'event $e');",
		  "INSERT INTO invite_api.event_managers VALUES ($e, 1);";
		push @sql,
		  "INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)\n"
		  . "SELECT $e, g, 1 + g % 3, timestamptz '2025-01-01 00:00+00' + ((g * $a) % $m) * interval '1 minute'\n"
		  . "  FROM generate_series(1, $n) AS g;"
		  if $n > 0;
		$self->{size}{$e} = $n;
	}
	return \@sql;
}

# One statement of kind $kind: (sql, [events it touches], effect) where
# effect updates the model once the statement is committed.
sub statement
{
	my ($self, $kind) = @_;
	my $r = $self->r;
	my $ei = 'invite_api.event_invites';
	my $cols = '(event_id, user_id, invited_by, invited_at)';
	my (@ev, $sql, @touch, $effect);

	if ($kind eq 'insert_plain' || $kind eq 'insert_nothing' || $kind =~ /^upsert_(time|by)$/ || $kind eq 'grow')
	{
		@ev = $kind eq 'grow' ? ($self->event) : $self->events;
		my ($users, $n) = $kind eq 'grow' ? $self->users_set(n => $r->range(500, 3000)) : $self->users_set;
		my $t = $self->time_expr('s.u');
		$t = "$t + (ev.id % 3) * interval '1 s'" if @ev > 1 && $r->chance(0.5);
		$sql = "INSERT INTO $ei AS i $cols\nSELECT ev.id, s.u, " . $self->inviter . ", $t\n"
		  . "  FROM invite_api.events ev, $users s\n WHERE ev.id IN (" . in_list(@ev) . ")";
		if ($kind eq 'insert_plain' || $kind eq 'grow')
		{
			$sql .= "\n   AND NOT EXISTS (SELECT FROM $ei j WHERE j.event_id = ev.id AND j.user_id = s.u);";
		}
		elsif ($kind eq 'insert_nothing')
		{
			$sql .= $r->chance(0.5) ? "\n    ON CONFLICT DO NOTHING;" : "\n    ON CONFLICT (event_id, user_id) DO NOTHING;";
		}
		elsif ($kind eq 'upsert_time')
		{
			my $set = $r->pick('invited_at = excluded.invited_at',
				'invited_at = excluded.invited_at, invited_by = excluded.invited_by',
				"invited_at = i.invited_at + interval '" . $r->range(-500, 500) . " minutes'");
			my $where = $r->chance(0.3) ? ' WHERE i.user_id % ' . $r->range(2, 5) . ' <> 0' : '';
			$sql .= "\n    ON CONFLICT (event_id, user_id) DO UPDATE SET $set$where;";
		}
		else
		{
			$sql .= "\n    ON CONFLICT (event_id, user_id) DO UPDATE SET invited_by = " . $self->inviter . ";";
		}
		@touch = @ev;
		$effect = sub { $self->{size}{$_} += $n * 0.6 / @ev for grep { exists $self->{size}{$_} } @ev; };
	}
	elsif ($kind eq 'insert_values')
	{
		@ev = $self->events;
		my (%rows, @values);
		my $n = $r->range(1, 30);
		for (1 .. $n)
		{
			my ($e, $u) = ($r->pick(@ev), $r->range(1, $self->users_n));
			next if $rows{"$e/$u"}++;
			my $t = $r->pick("'-infinity'", "'infinity'", "'2025-01-01 00:00+00'",
				"'2025-01-0" . $r->range(1, 9) . ' ' . sprintf('%02d:%02d', $r->below(24), $r->below(60)) . "+00'");
			push @values, "($e, $u, " . $self->inviter . ", $t)";
		}
		$sql = "INSERT INTO $ei $cols\nSELECT v.e::bigint, v.u::bigint, v.b::bigint, v.t::timestamptz\n"
		  . "  FROM (VALUES " . join(",\n               ", @values) . ") AS v(e, u, b, t)\n"
		  . " WHERE EXISTS (SELECT FROM invite_api.events ev WHERE ev.id = v.e)\n"
		  . "   AND EXISTS (SELECT FROM invite_api.users x WHERE x.id = v.u)\n"
		  . "   AND NOT EXISTS (SELECT FROM $ei j WHERE j.event_id = v.e AND j.user_id = v.u);";
		@touch = @ev;
		$effect = sub { $self->{size}{$_} += @values / @ev for grep { exists $self->{size}{$_} } @ev; };
	}
	elsif ($kind eq 'upsert_event')
	{
		my $e = $self->event;
		my $x = $self->event;
		$x = $x % $self->{opt}{events} + 1 if $x == $e;
		my ($users, $n) = $self->users_set;
		my $also = $r->chance(0.5) ? ", invited_at = " . $self->time_expr('i.user_id') : '';
		$sql = "INSERT INTO $ei AS i $cols\nSELECT ev.id, s.u, " . $self->inviter . ", " . $self->time_expr('s.u') . "\n"
		  . "  FROM invite_api.events ev, $users s WHERE ev.id = $e\n"
		  . "    ON CONFLICT (event_id, user_id) DO UPDATE SET event_id = $x$also\n"
		  . " WHERE EXISTS (SELECT FROM invite_api.events x WHERE x.id = $x)\n"
		  . "   AND NOT EXISTS (SELECT FROM $ei j WHERE j.event_id = $x AND j.user_id = i.user_id);";
		@touch = ($e, $x);
		$effect = sub { $self->{size}{$x} += $n * 0.3 if exists $self->{size}{$x}; $self->{size}{$e} += $n * 0.3 if exists $self->{size}{$e}; };
	}
	elsif ($kind eq 'update_time' || $kind eq 'update_by' || $kind eq 'update_user')
	{
		@ev = $self->events;
		my $where;
		my $n;
		if ($r->chance(0.5))
		{
			my $users;
			($users, $n) = $self->users_set;
			$where = "i.event_id IN (" . in_list(@ev) . ") AND i.user_id IN (SELECT u FROM $users s)";
		}
		else
		{
			$n = $self->batch_size;
			my $e = $ev[0];
			@ev = ($e);
			$where = "i.event_id = $e AND i.user_id IN (SELECT user_id FROM $ei WHERE event_id = $e "
			  . $self->slice_clause($e, $n) . ")";
		}
		my $set;
		if ($kind eq 'update_time')
		{
			$set = $r->chance(0.4)
			  ? "invited_at = i.invited_at + interval '" . $r->range(-100000, 100000) . " minutes'"
			  : "invited_at = " . $self->time_expr('i.user_id');
		}
		elsif ($kind eq 'update_by')
		{
			$set = 'invited_by = ' . $self->inviter;
		}
		else
		{
			my $d = $r->range(1, $self->users_n / 2) * ($r->chance(0.5) ? 1 : -1);
			$set = "user_id = i.user_id + $d";
			$where .= "\n   AND EXISTS (SELECT FROM invite_api.users x WHERE x.id = i.user_id + $d)"
			  . "\n   AND NOT EXISTS (SELECT FROM $ei j WHERE j.event_id = i.event_id AND j.user_id = i.user_id + $d)";
		}
		$sql = "UPDATE $ei i SET $set\n WHERE $where;";
		@touch = @ev;
	}
	elsif ($kind eq 'update_event' || $kind eq 'update_several')
	{
		my $e = $self->event(big => 100);
		my $x = $self->event;
		$x = $x % $self->{opt}{events} + 1 if $x == $e;
		my $n = $self->batch_size;
		my $set = "event_id = $x";
		$set .= ", invited_at = " . $self->time_expr('i.user_id') . ", invited_by = " . $self->inviter
		  if $kind eq 'update_several';
		my $which = $r->chance(0.5)
		  ? "i.user_id IN (SELECT user_id FROM $ei WHERE event_id = $e " . $self->slice_clause($e, $n) . ")"
		  : "i.user_id % " . $r->range(2, 11) . " = " . $r->below(2);
		$sql = "UPDATE $ei i SET $set\n WHERE i.event_id = $e AND $which\n"
		  . "   AND EXISTS (SELECT FROM invite_api.events x WHERE x.id = $x)\n"
		  . "   AND NOT EXISTS (SELECT FROM $ei j WHERE j.event_id = $x AND j.user_id = i.user_id);";
		@touch = ($e, $x);
		$effect = sub {
			my $m = $n < ($self->{size}{$e} // 0) ? $n : ($self->{size}{$e} // 0) / 3;
			$self->{size}{$e} -= $m if exists $self->{size}{$e};
			$self->{size}{$x} += $m if exists $self->{size}{$x};
		};
	}
	elsif ($kind eq 'delete_users_of')
	{
		@ev = $self->events;
		my ($users, $n) = $self->users_set;
		$sql = "DELETE FROM $ei i WHERE i.event_id IN (" . in_list(@ev) . ") AND i.user_id IN (SELECT u FROM $users s);";
		@touch = @ev;
		$effect = sub { $self->{size}{$_} -= $n * 0.5 / @ev for grep { exists $self->{size}{$_} } @ev; };
	}
	elsif ($kind eq 'delete_slice')
	{
		my $e = $self->event(big => 50);
		my $n = $self->batch_size;
		$sql = "DELETE FROM $ei i WHERE i.event_id = $e\n   AND i.user_id IN (SELECT user_id FROM $ei WHERE event_id = $e "
		  . $self->slice_clause($e, $n) . ");";
		@touch = ($e);
		$effect = sub { $self->{size}{$e} -= $n if exists $self->{size}{$e}; };
	}
	elsif ($kind eq 'delete_event_all')
	{
		my $e = $self->event;
		$sql = "DELETE FROM $ei WHERE event_id = $e;";
		@touch = ($e);
		$effect = sub { $self->{size}{$e} = 0 if exists $self->{size}{$e}; };
	}
	elsif ($kind eq 'merge')
	{
		my $move = $r->chance(0.25);
		@ev = $move ? ($self->event) : $self->events;
		my ($users, $n) = $self->users_set;
		my $x;
		my @when;
		push @when, "WHEN MATCHED AND src.u % " . $r->range(2, 7) . " = 0 THEN DELETE" if $r->chance(0.5);
		if ($move)
		{
			$x = $self->event;
			$x = $x % $self->{opt}{events} + 1 if $x == $ev[0];
			push @when, "WHEN MATCHED AND EXISTS (SELECT FROM invite_api.events x WHERE x.id = $x)\n"
			  . "      AND NOT EXISTS (SELECT FROM $ei j WHERE j.event_id = $x AND j.user_id = i.user_id) THEN\n"
			  . "      UPDATE SET event_id = $x, invited_at = src.t";
		}
		push @when, "WHEN MATCHED AND src.u % " . $r->range(2, 5) . " <> 0 THEN UPDATE SET invited_at = src.t, invited_by = " . $self->inviter
		  if $r->chance(0.7);
		push @when, "WHEN MATCHED THEN DO NOTHING" if $r->chance(0.3);
		push @when, "WHEN NOT MATCHED AND src.u % " . $r->range(2, 9) . " <> 1 THEN\n      INSERT $cols VALUES (src.e, src.u, "
		  . $self->inviter . ", src.t)"
		  if $r->chance(0.8);
		push @when, "WHEN NOT MATCHED THEN DO NOTHING" if $r->chance(0.2);
		push @when, "WHEN NOT MATCHED THEN INSERT $cols VALUES (src.e, src.u, NULL, src.t)" if !@when;
		$sql = "MERGE INTO $ei AS i\nUSING (SELECT ev.id AS e, s.u, " . $self->time_expr('s.u') . " AS t\n"
		  . "         FROM invite_api.events ev, $users s WHERE ev.id IN (" . in_list(@ev) . ")) AS src\n"
		  . "   ON i.event_id = src.e AND i.user_id = src.u\n " . join("\n ", @when) . ";";
		@touch = (@ev, defined $x ? ($x) : ());
		$effect = sub { $self->{size}{$_} += $n * 0.2 / @ev for grep { exists $self->{size}{$_} } @ev; };
	}
	elsif ($kind eq 'copy_small' || $kind eq 'copy_large')
	{
		@ev = $kind eq 'copy_large' ? ($self->event) : $self->events(2);
		my $n = $kind eq 'copy_large' ? $r->range($self->{opt}{big_copy} / 4, $self->{opt}{big_copy}) : $r->range(1, 60);
		$n = $self->users_n - 10 if $n > $self->users_n - 10;
		my $a = $r->range(1, $self->users_n - $n);
		my $b = $a + $n - 1;
		my @lines;
		my ($m, $base) = ($r->pick(1, 3, 60, 100000), $r->range(0, 10000));
		for my $e (@ev)
		{
			for my $u ($a .. $b)
			{
				my $t;
				my $k = ($u * 7 + $e) % 23;
				if ($k == 0) { $t = '-infinity'; }
				elsif ($k == 1) { $t = 'infinity'; }
				else
				{
					my @g = gmtime(1735689600 + 60 * ($base + ($u % $m)));
					$t = sprintf('%04d-%02d-%02d %02d:%02d:%02d+00', $g[5] + 1900, $g[4] + 1, $g[3], $g[2], $g[1], $g[0]);
				}
				my $by = ($u % 4 == 0) ? '\N' : 1 + $u % 3;
				push @lines, "$e\t$u\t$by\t$t";
			}
		}
		# The keys are made free first, in the same transaction, and the
		# users and events are made sure of.
		my $list = in_list(@ev);
		$sql = [
			users_insert($a, $b),
			"INSERT INTO invite_api.events SELECT e, 'event ' || e FROM unnest(ARRAY[$list]::bigint[]) AS e ON CONFLICT DO NOTHING;",
			"INSERT INTO invite_api.event_managers SELECT e, 1 FROM unnest(ARRAY[$list]::bigint[]) AS e ON CONFLICT DO NOTHING;",
			"DELETE FROM $ei WHERE event_id IN ($list) AND user_id BETWEEN $a AND $b;",
			"COPY $ei $cols FROM STDIN;\n" . join("\n", @lines) . "\n\\.",
		];
		@touch = @ev;
		$effect = sub { for my $e (@ev) { $self->{size}{$e} = ($self->{size}{$e} // 0) + $n * 0.7; } };
		return ($sql, \@touch, $effect, 'copy');
	}
	elsif ($kind eq 'cte_insert_delete' || $kind eq 'cte_landing')
	{
		my $e = $self->event(big => $kind eq 'cte_landing' ? 1500 : 1);
		my $n = $kind eq 'cte_landing' ? $r->range(300, 1200) : $self->batch_size;
		my $k = $kind eq 'cte_landing' ? $n + $r->range(-100, 100) : $self->batch_size;
		$k = 1 if $k < 1;
		my $a = $r->range(1, $self->users_n);
		my $b = $a + $n * 2;
		# The insert lands where the delete removes: after everything, or
		# before everything.
		my $end = $r->chance(0.6);
		my $t = $end ? "timestamptz '2200-01-01 00:00+00' + (s.u % 97) * interval '1 s'"
		  : "timestamptz '1990-01-01 00:00+00' + (s.u % 97) * interval '1 s'";
		my $order = $end ? 'ORDER BY invited_at DESC, user_id DESC' : 'ORDER BY invited_at, user_id';
		$order = $self->slice_clause($e, $k) =~ s/ LIMIT \d+//r if $kind eq 'cte_insert_delete';
		$sql = "WITH ins AS (\n    INSERT INTO $ei $cols\n    SELECT ev.id, s.u, " . $self->inviter . ", $t\n"
		  . "      FROM invite_api.events ev, (SELECT id AS u FROM invite_api.users WHERE id BETWEEN $a AND $b AND id % 2 = 0) s\n"
		  . "     WHERE ev.id = $e AND NOT EXISTS (SELECT FROM $ei j WHERE j.event_id = ev.id AND j.user_id = s.u)\n"
		  . "    RETURNING 1)\n"
		  . "DELETE FROM $ei i WHERE i.event_id = $e\n"
		  . "   AND i.user_id IN (SELECT user_id FROM $ei WHERE event_id = $e $order LIMIT $k)\n"
		  . "   AND (SELECT count(*) FROM ins) >= 0;";
		@touch = ($e);
		$effect = sub { $self->{size}{$e} += $n * 0.8 - $k if exists $self->{size}{$e}; };
	}
	elsif ($kind eq 'cte_move')
	{
		my $e = $self->event(big => 50);
		my $x = $self->event;
		$x = $x % $self->{opt}{events} + 1 if $x == $e;
		my $n = $self->batch_size;
		$sql = "WITH moved AS (\n    DELETE FROM $ei i WHERE i.event_id = $e\n"
		  . "       AND i.user_id IN (SELECT user_id FROM $ei WHERE event_id = $e " . $self->slice_clause($e, $n) . ")\n"
		  . "       AND EXISTS (SELECT FROM invite_api.events x WHERE x.id = $x)\n"
		  . "       AND NOT EXISTS (SELECT FROM $ei j WHERE j.event_id = $x AND j.user_id = i.user_id)\n"
		  . "    RETURNING i.user_id, i.invited_by, i.invited_at)\n"
		  . "INSERT INTO $ei $cols\nSELECT $x, m.user_id, m.invited_by, "
		  . $r->pick('m.invited_at', "m.invited_at + interval '1 year'", "timestamptz '-infinity'", "timestamptz '2150-01-01 00:00+00'")
		  . " FROM moved m;";
		@touch = ($e, $x);
		$effect = sub {
			my $m = $n < ($self->{size}{$e} // 0) ? $n : 0;
			$self->{size}{$e} -= $m if exists $self->{size}{$e};
			$self->{size}{$x} += $m if exists $self->{size}{$x};
		};
	}
	elsif ($kind eq 'cte_three')
	{
		my @two = $self->events(2);
		my $e = $two[0];
		my $f = $two[-1];
		my ($users, $n) = $self->users_set;
		my $m = $r->range(2, 7);
		$sql = "WITH upd AS (\n    UPDATE $ei SET invited_at = " . $self->time_expr('user_id') . "\n"
		  . "     WHERE event_id = $f AND user_id % $m = 0\n    RETURNING 1),\n"
		  . "ins AS (\n    INSERT INTO $ei $cols\n    SELECT ev.id, s.u, NULL, " . $self->time_expr('s.u') . "\n"
		  . "      FROM invite_api.events ev, $users s\n"
		  . "     WHERE ev.id = $e AND NOT EXISTS (SELECT FROM $ei j WHERE j.event_id = ev.id AND j.user_id = s.u)\n"
		  . "    RETURNING 1)\n"
		  . "DELETE FROM $ei WHERE event_id IN ($e, $f) AND user_id % " . $r->range(3, 13) . " = " . $r->below(3) . "\n"
		  . "   AND (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins) >= 0;";
		@touch = ($e, $f);
	}
	elsif ($kind eq 'call_invite' || $kind eq 'call_uninvite')
	{
		# A manager's call (user 1 manages every event the generator
		# makes), of at most 1,000 users (invite_api.max_batch), made
		# only where it cannot fail: the event exists, is user 1's and
		# the list is not empty.
		my $e = $self->event;
		my ($users, $n) = $self->users_set;
		my $f = $kind eq 'call_invite' ? 'event_invite_users' : 'event_uninvite_users';
		$sql = "SELECT invite_api.$f(e.id, l.users, :'tok')\n"
		  . "  FROM invite_api.events e,\n"
		  . "       LATERAL (SELECT ARRAY(SELECT s.u FROM $users s ORDER BY s.u LIMIT 1000) AS users) l\n"
		  . " WHERE e.id = $e AND cardinality(l.users) > 0\n"
		  . "   AND EXISTS (SELECT FROM invite_api.event_managers m WHERE m.event_id = e.id AND m.user_id = 1);";
		@touch = ($e);
		$n = 1000 if $n > 1000;
		$effect = $kind eq 'call_invite'
		  ? sub { $self->{size}{$e} += $n * 0.5 if exists $self->{size}{$e}; }
		  : sub { $self->{size}{$e} -= $n * 0.5 if exists $self->{size}{$e}; };
	}
	elsif ($kind eq 'cascade_users')
	{
		my $n = $r->range(1, $r->chance(0.8) ? 40 : 400);
		my $a = $r->range(InviteDiff::MANAGERS + 1, $self->users_n - $n);
		my $b = $a + $n - 1;
		$sql = "DELETE FROM invite_api.users WHERE id BETWEEN $a AND $b;";
		@touch = $self->live_events;
		$effect = sub {
			push @{ $self->{deleted_users} }, [ $a, $b ];
			$self->{size}{$_} -= $n * $self->{size}{$_} / $self->users_n for $self->live_events;
		};
	}
	elsif ($kind eq 'cascade_event')
	{
		my $e = $self->event;
		$sql = "DELETE FROM invite_api.events WHERE id = $e;";
		@touch = ($e);
		$effect = sub { delete $self->{size}{$e}; };
	}
	elsif ($kind eq 'restore')
	{
		# Users and events deleted before come back (with no invites).
		my @missing = grep { !exists $self->{size}{$_} } 1 .. $self->{opt}{events};
		my @deleted = @{ $self->{deleted_users} };
		my @sql;
		if (@deleted)
		{
			my ($a, $b) = @{ shift @deleted };
			push @sql, users_insert($a, $b);
		}
		if (@missing)
		{
			my $list = in_list(@missing);
			push @sql, "INSERT INTO invite_api.events SELECT e, 'event ' || e FROM unnest(ARRAY[$list]::bigint[]) AS e ON CONFLICT DO NOTHING;",
			  "INSERT INTO invite_api.event_managers SELECT e, 1 FROM unnest(ARRAY[$list]::bigint[]) AS e ON CONFLICT DO NOTHING;";
		}
		push @sql, users_insert(1, InviteDiff::MANAGERS) if !@sql;
		$effect = sub {
			shift @{ $self->{deleted_users} } if @deleted;
			$self->{size}{$_} //= 0 for @missing;
		};
		return (\@sql, [@missing], $effect, 'many');
	}
	elsif ($kind eq 'trim')
	{
		# Keep the sizes bounded: beyond max_event, invites go in an order
		# unrelated to their place.
		my $e = $self->event(big => $self->{opt}{max_event} / 2);
		my $keep = $r->range($self->{opt}{max_event} / 4, $self->{opt}{max_event});
		$sql = "DELETE FROM $ei i WHERE i.event_id = $e\n"
		  . "   AND i.user_id IN (SELECT user_id FROM $ei WHERE event_id = $e ORDER BY user_id % 89, user_id OFFSET $keep);";
		@touch = ($e);
		$effect = sub { $self->{size}{$e} = $keep if ($self->{size}{$e} // 0) > $keep; };
	}
	elsif ($kind eq 'far_upsert' || $kind eq 'far_merge')
	{
		# A thousand or more invites from one end of the event moved to the
		# other, with users not invited yet among them: one statement that
		# fires UPDATE and INSERT triggers over keys that other trigger has
		# not counted yet.
		my $e = $self->event(big => 1200);
		my $k = $r->range(1000, 1800);
		my $a = $r->range(1, $self->users_n - 600);
		my $b = $a + $r->range(50, 600);
		my $to_start = $r->chance(0.5);
		my $from = $to_start ? 'ORDER BY invited_at DESC, user_id DESC' : 'ORDER BY invited_at, user_id';
		my $t = $to_start ? "timestamptz '1995-01-01 00:00+00' + (s.u % 7) * interval '1 s'"
		  : "timestamptz '2150-01-01 00:00+00' + (s.u % 7) * interval '1 s'";
		my $src = "(SELECT user_id AS u FROM $ei WHERE event_id = $e $from LIMIT $k)\n"
		  . "       UNION (SELECT id FROM invite_api.users WHERE id BETWEEN $a AND $b)";
		if ($kind eq 'far_upsert')
		{
			$sql = "INSERT INTO $ei AS i $cols\nSELECT ev.id, s.u, " . $self->inviter . ", $t\n"
			  . "  FROM invite_api.events ev, ($src) s WHERE ev.id = $e\n"
			  . "    ON CONFLICT (event_id, user_id) DO UPDATE SET invited_at = excluded.invited_at, invited_by = excluded.invited_by;";
		}
		else
		{
			$sql = "MERGE INTO $ei AS i\nUSING (SELECT ev.id AS e, s.u, $t AS t FROM invite_api.events ev, ($src) s WHERE ev.id = $e) AS src\n"
			  . "   ON i.event_id = src.e AND i.user_id = src.u\n"
			  . ($r->chance(0.4) ? " WHEN MATCHED AND src.u % 11 = 0 THEN DELETE\n" : '')
			  . " WHEN MATCHED THEN UPDATE SET invited_at = src.t\n"
			  . " WHEN NOT MATCHED THEN INSERT $cols VALUES (src.e, src.u, 1, src.t);";
		}
		@touch = ($e);
		$effect = sub { $self->{size}{$e} += ($b - $a) * 0.7 if exists $self->{size}{$e}; };
	}
	elsif ($kind eq 'truncate')
	{
		$sql = "TRUNCATE $ei;";
		@touch = $self->live_events;
		$effect = sub { $self->{size}{$_} = 0 for $self->live_events; };
	}
	elsif ($kind eq 'truncate_events')
	{
		# Everything goes, and comes back (in the same transaction).
		my $E = $self->{opt}{events};
		my $sqls = [
			"TRUNCATE invite_api.events CASCADE;",
			"INSERT INTO invite_api.events SELECT e, 'event ' || e FROM generate_series(1, $E) AS e;",
			"INSERT INTO invite_api.event_managers SELECT e, 1 FROM generate_series(1, $E) AS e;",
		];
		$effect = sub { $self->{size} = { map { $_ => 0 } 1 .. $E }; };
		return ($sqls, [ 1 .. $E ], $effect, 'many');
	}
	elsif ($kind eq 'rebuild')
	{
		$sql = "SELECT invite_api.rebuild_invite_positions();";
		@touch = ();
	}
	else
	{
		die "unknown kind $kind";
	}
	$effect //= sub { };
	my $wrapped = sub { $effect->(); $self->clamp($_) for @touch; };
	return ($sql, \@touch, $wrapped, 'one');
}

# A statement of a random kind (among those allowed concurrently, when
# asked), with its kind: (kind, [sql...], [events], effect).
sub random_statement
{
	my ($self, %how) = @_;
	my %w = %WEIGHTS;
	# The statements of a thousand rows and more, scaled with the share of
	# large batches and of shaped statements asked for.
	$w{$_} *= $self->{opt}{shaped} for qw(far_upsert far_merge cte_landing);
	$w{$_} *= $self->{opt}{large} / 0.12 for qw(grow copy_large);
	if ($how{concurrent})
	{
		%w = map { $_ => $w{$_} } grep { $CONCURRENT{$_} } keys %w;
	}
	delete @w{qw(truncate truncate_events rebuild copy_large)} if $how{in_transaction} && !$how{allow_truncate};
	# A known limit (README): after a write in the same transaction, whose
	# fold is pending at commit, TRUNCATE events CASCADE fails with 55006.
	delete $w{truncate_events} if $how{in_transaction} && !$how{first};
	# rebuild_invite_positions() is refused (25001) but in READ COMMITTED.
	delete $w{rebuild} if $how{in_transaction} && !$how{read_committed};
	my $kind = $self->r->weighted(\%w);
	my ($sql, $touch, $effect, $shape) = $self->statement($kind);
	my @sql = ref $sql ? @$sql : ($sql);
	return ($kind, \@sql, $touch, $effect, $shape);
}

# Statements needing a transaction of their own (COPY and its
# preparations) are wrapped in one when they come alone.
sub isolation
{
	my ($self) = @_;
	return $self->r->pick('READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE');
}

# One step of a single session: autocommit statements, or a transaction
# with savepoints, some rolled back, and a check inside.
sub serial_step
{
	my ($self) = @_;
	my $r = $self->r;
	my @sql;
	my %touch;
	my @kinds;
	my @effects;
	my $n = $r->range(1, $self->{opt}{batch});

	if ($r->chance(0.35))
	{
		# A transaction: BEGIN [level]; a few statements; a savepoint
		# released or rolled back; a check in the transaction's snapshot;
		# COMMIT or ROLLBACK.
		my $iso = $self->isolation;
		push @sql, "BEGIN ISOLATION LEVEL $iso;";
		my $savepoint = 0;
		my (@pending, @sp_effects);
		for my $i (1 .. $n)
		{
			if (!$savepoint && $i > 1 && $r->chance(0.35))
			{
				push @sql, "SAVEPOINT sp;";
				$savepoint = 1;
			}
			my ($kind, $stmts, $t, $effect) =
				$self->random_statement(in_transaction => 1, allow_truncate => 1, first => $i == 1,
										read_committed => $iso eq 'READ COMMITTED');
			push @sql, @$stmts;
			push @kinds, $kind;
			$touch{$_} = 1 for @$t;
			if ($savepoint) { push @sp_effects, $effect; } else { push @pending, $effect; }
		}
		if ($savepoint)
		{
			if ($r->chance(0.5)) { push @sql, "ROLLBACK TO SAVEPOINT sp;"; @sp_effects = (); }
			else { push @sql, "RELEASE SAVEPOINT sp;"; }
			push @pending, @sp_effects;
			if ($r->chance(0.3))
			{
				my ($kind, $stmts, $t, $effect) = $self->random_statement(in_transaction => 1);
				push @sql, @$stmts;
				push @kinds, $kind;
				$touch{$_} = 1 for @$t;
				push @pending, $effect;
			}
		}
		push @sql, { check => [ sort { $a <=> $b } keys %touch ] } if $r->chance(0.5);
		if ($r->chance(0.1)) { push @sql, "ROLLBACK;"; }
		else { push @sql, "COMMIT;"; push @effects, @pending; }
	}
	else
	{
		for (1 .. $n)
		{
			my ($kind, $stmts, $t, $effect, $shape) = $self->random_statement;
			# COPY comes with its preparations in a transaction.
			if ($shape eq 'copy' || $shape eq 'many')
			{
				push @sql, "BEGIN;", @$stmts, "COMMIT;";
			}
			else
			{
				push @sql, @$stmts;
			}
			push @kinds, $kind;
			$touch{$_} = 1 for @$t;
			push @effects, $effect;
		}
	}
	$_->() for @effects;
	return {
		type => 'serial',
		kinds => \@kinds,
		sql => \@sql,
		events => [ sort { $a <=> $b } keys %touch ],
	};
}

# A write outside the statement triggers: with the replica role (as a
# logical-replication apply worker writes), which the row trigger for
# replicas keeps, so its pages must be right; or with the triggers disabled
# and put back as they were, which bypasses the bookkeeping.
sub bypass_step
{
	my ($self) = @_;
	my $r = $self->r;
	my $kind = $r->pick('insert_plain', 'delete_slice', 'update_time', 'update_event', 'upsert_time');
	my ($sql, $touch, $effect) = $self->statement($kind);
	my @sql;
	my $bypass = $touch;
	if ($r->chance(0.7))
	{
		@sql = ("SET session_replication_role = replica;", $sql, "RESET session_replication_role;");
		$kind = "replica $kind";
		$bypass = undef;
	}
	else
	{
		(my $body = $sql) =~ s/;\s*$//;
		@sql = (
			"DO \$diff\$\nDECLARE\n    diff_trg record;\n    diff_states jsonb;\nBEGIN\n"
			  . "    SELECT jsonb_object_agg(tgname, tgenabled) INTO diff_states FROM pg_trigger\n"
			  . "     WHERE tgrelid = 'invite_api.event_invites'::regclass AND NOT tgisinternal;\n"
			  . "    ALTER TABLE invite_api.event_invites DISABLE TRIGGER USER;\n"
			  . "    $body;\n"
			  . "    FOR diff_trg IN SELECT * FROM jsonb_each_text(diff_states) LOOP\n"
			  . "        EXECUTE format('ALTER TABLE invite_api.event_invites %s TRIGGER %I',\n"
			  . "                       CASE diff_trg.value WHEN 'O' THEN 'ENABLE' WHEN 'A' THEN 'ENABLE ALWAYS'\n"
			  . "                                    WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'DISABLE' END, diff_trg.key);\n"
			  . "    END LOOP;\nEND;\n\$diff\$;"
		);
		$kind = "disabled $kind";
	}
	$effect->();
	return { type => 'serial', kinds => [$kind], sql => \@sql, events => $touch, bypass => $bypass };
}

# A round of 2 or more sessions, each with a transaction of a few
# statements on the same one or two events, interleaved.
sub concurrent_step
{
	my ($self) = @_;
	my $r = $self->r;
	my $nsess = $r->range(2, $self->{opt}{sessions});
	my (@lists, @kinds, %touch, @effects);
	for my $s (0 .. $nsess - 1)
	{
		my @l = ("BEGIN ISOLATION LEVEL " . $self->isolation . ";");
		for (1 .. $r->range(1, 3))
		{
			my ($kind, $stmts, $t, $effect, $shape) = $self->random_statement(concurrent => 1, in_transaction => 1);
			push @l, @$stmts;
			push @kinds, "s$s:$kind";
			$touch{$_} = 1 for @$t;
			push @effects, $effect;
		}
		push @l, { check => [ sort { $a <=> $b } keys %touch ] } if $r->chance(0.2);
		push @l, $r->chance(0.85) ? "COMMIT;" : "ROLLBACK;";
		push @lists, \@l;
	}
	# Interleave, keeping each session's order; the monitor checks the
	# committed state now and then meanwhile.
	my @actions;
	my @pos = (0) x $nsess;
	while (1)
	{
		my @open = grep { $pos[$_] < @{ $lists[$_] } } 0 .. $nsess - 1;
		last unless @open;
		my $s = $r->pick(@open);
		push @actions, [ $s, $lists[$s][ $pos[$s]++ ] ];
		push @actions, [ -1, { check => [ sort { $a <=> $b } keys %touch ] } ] if $r->chance(0.03);
	}
	$_->() for @effects;
	return {
		type => 'concurrent',
		kinds => \@kinds,
		actions => \@actions,
		sessions => $nsess,
		events => [ sort { $a <=> $b } keys %touch ],
	};
}

sub next_step
{
	my ($self) = @_;
	my $r = $self->r;
	return $self->bypass_step if $r->chance($self->{opt}{bypass});
	return $self->concurrent_step if $self->{opt}{sessions} >= 2 && $r->chance($self->{opt}{concurrent});
	return $self->serial_step;
}

# --- the sessions ------------------------------------------------------------

package InviteDiff::Session;

use Time::HiRes qw(time usleep);

my $batch_counter = 0;

sub start
{
	my ($class, $node, $db, $name, $timeout) = @_;
	my $bp = $node->background_psql($db, on_error_stop => 0, timeout => 7 * 86400);
	my $self = bless { bp => $bp, name => $name, lines => 0, timeout => $timeout }, $class;
	my ($out) = $self->run(
		"\\set VERBOSITY verbose\nSET client_min_messages = warning;\n"
		  . "SELECT invite_test.token(1, '30 days') AS tok \\gset\nSELECT pg_backend_pid();");
	($self->{pid}) = $out =~ /^(\d+)$/m or die "no pid from session $name: $out";
	return $self;
}

sub pid { return $_[0]{pid}; }

# Send a batch; it runs while the caller does other things.
sub submit
{
	my ($self, $sql) = @_;
	my $id = ++$batch_counter;
	$sql .= "\n" unless $sql =~ /\n$/;
	# psql's stdin is a pipe that IPC::Run writes without blocking: a batch
	# larger than the pipe goes through a file that psql includes (COPY
	# FROM STDIN in it reads its rows from the file).
	unlink delete $self->{file} if $self->{file};
	if (length($sql) > 16384)
	{
		my $file = "$PostgreSQL::Test::Utils::tmp_check/diff_batch_$id.sql";
		CORE::open(my $fh, '>', $file) or die "$file: $!";
		print $fh $sql;
		CORE::close($fh);
		$self->{file} = $file;
		$sql = "\\i '$file'\n";
	}
	$self->{first_line} = $self->{lines} + 1;
	$self->{lines} += ($sql =~ tr/\n//) + 1;
	$self->{pending} = "!END $id";
	$self->{bp}{stdout} = '';
	$self->{bp}{stderr} = '';
	$self->{bp}{stdin} .= $sql . "\\echo '!END $id'\n";
	$self->{started} = time;
	$self->{bp}{run}->pump_nb;
	return;
}

# Whether the batch sent last has completed.
sub done
{
	my ($self) = @_;
	my $bp = $self->{bp};
	$bp->{run}->pump_nb;
	return $bp->{stdout} =~ /^\Q$self->{pending}\E$/m;
}

# Its output (stdout without the banner, stderr).
sub output
{
	my ($self) = @_;
	my $bp = $self->{bp};
	my $out = $bp->{stdout};
	$out =~ s/^\Q$self->{pending}\E\n?//m;
	my $err = $bp->{stderr};
	delete $self->{pending};
	return ($out, $err);
}

sub waited { return time - $_[0]{started}; }

# Send a batch and wait for it.
sub run
{
	my ($self, $sql) = @_;
	$self->submit($sql);
	my $nap = 100;
	until ($self->done)
	{
		die "session $self->{name}: no answer after $self->{timeout} s to:\n" . substr($sql, 0, 2000) . "\n"
		  if $self->waited > $self->{timeout};
		usleep($nap);
		$nap *= 2 if $nap < 5000;
	}
	return $self->output;
}

sub quit
{
	my ($self) = @_;
	$self->{bp}->quit;
	return;
}

# --- the driver --------------------------------------------------------------

package InviteDiff;

# SQLSTATEs a statement of a concurrent round may fail with, as it could on
# a plain table: serialization failure, deadlock (as the lock cycle broken
# by a cancel, 57014), a duplicate or a foreign key gone meanwhile, and the
# statements after them in the aborted transaction.
my %CONCURRENT_ERRORS = map { $_ => 1 } qw(40001 40P01 57014 23505 23503 25P02);

# SQL text of a statement or a check of events @$events.
sub sql_of
{
	my ($self, $stmt) = @_;
	return $stmt unless ref $stmt;
	return $self->check_sql($stmt->{check}, inside => 1);
}

# The check: position faults, pages of @$events (and one more) at the
# probing offsets, page 0 of every event (its count), every position when
# $walk.  Prints one line per fault: P|event|fault, F|event|offset|outcome.
sub check_sql
{
	my ($self, $events, %how) = @_;
	my $r = $self->{check_rng};
	# The events written (at most four of them, at random) and one more.
	my @written = @$events;
	while (@written > 4) { splice(@written, $r->below(scalar @written), 1); }
	my %ev = map { $_ => 1 } @written;
	$ev{ $r->range(1, $self->{opt}{events}) } = 1;
	my @rows;
	for my $e (sort { $a <=> $b } keys %ev)
	{
		my $lim = $r->pick(1, 3, 7, 20, 20, 100);
		push @rows, "($e, $lim, " . $r->frac . ", " . $r->frac . ")";
	}
	# After a write that bypassed the triggers and until the rebuild, any
	# page may be refused with XX001 (the extension may not know which
	# events it concerns) and the positions are not checked; a wrong page
	# never passes.
	my $tainted = %{ $self->{tainted} } ? 1 : 0;
	my $xx = $tainted ? "o.outcome LIKE 'error XX001%'" : 'false';
	my $sql = '';
	$sql .= "SELECT 'P|' || coalesce(p.event_id::text, '') || '|' || p.fault FROM invite_test.position_faults() p;\n"
	  if !$tainted;
	$sql .= "SELECT 'F|' || v.e || '|' || o.\"offset\" || '|' || o.outcome\n"
	  . "  FROM (VALUES " . join(', ', @rows) . ") AS v(e, lim, r1, r2)\n"
	  . "  JOIN invite_api.events ev ON ev.id = v.e\n"
	  . " CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM invite_api.event_invites i WHERE i.event_id = v.e) c\n"
	  . " CROSS JOIN LATERAL invite_test.page_outcomes(v.e, v.lim, ARRAY[0, 255, 256, 257,\n"
	  . "        c.n / 2, greatest(c.n - 1, 0), c.n, (v.r1 * c.n)::int, (v.r2 * c.n)::int], :'tok') o\n"
	  . " WHERE o.outcome <> 'right' AND NOT $xx;\n";
	# The count of every event (its first page, or a refusal where
	# allowed).
	$sql .= "SELECT 'F|' || v.e || '|0|count ' || coalesce(x.p ->> 'count', 'missing') || ', not ' || c.n\n"
	  . "  FROM (SELECT id AS e FROM invite_api.events) v\n"
	  . " CROSS JOIN LATERAL (SELECT count(*) AS n FROM invite_api.event_invites i WHERE i.event_id = v.e) c\n"
	  . " CROSS JOIN LATERAL (SELECT invite_api.event_invites_page(v.e, 1, 0, :'tok') AS p) x\n"
	  . " WHERE (x.p ->> 'count')::bigint IS DISTINCT FROM c.n;\n"
	  if !$how{inside} && !$tainted;
	if ($how{walk})
	{
		my $shift = $r->below(100);
		$sql .= "SELECT 'W|' || v.e || '|' || o.\"offset\" || '|' || o.outcome FROM (SELECT id AS e FROM invite_api.events) v\n"
		  . " CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM invite_api.event_invites i WHERE i.event_id = v.e) c\n"
		  . " CROSS JOIN LATERAL invite_test.page_outcomes(v.e, 100, ARRAY(SELECT generate_series($shift % greatest(c.n, 1), c.n, 100)), :'tok') o\n"
		  . " WHERE o.outcome <> 'right' AND NOT $xx;\n"
		  . "SELECT 'W|' || v.e || '|0|' || o.outcome FROM (SELECT id AS e FROM invite_api.events) v\n"
		  . " CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM invite_api.event_invites i WHERE i.event_id = v.e) c\n"
		  . " CROSS JOIN LATERAL invite_test.page_outcomes(v.e, 100, ARRAY(SELECT generate_series(0, c.n, 100)), :'tok') o\n"
		  . " WHERE o.outcome <> 'right' AND NOT $xx;\n";
	}
	return $sql;
}

# Faults (P|, F|, W| lines) in a batch's output.
sub faults_in
{
	my ($out) = @_;
	return grep { /^[PFW]\|/ } split /\n/, $out;
}

# Errors in a batch's stderr: [sqlstate, message line].
sub errors_in
{
	my ($err) = @_;
	my @e;
	for my $line (split /\n/, $err)
	{
		push @e, [ $1, $line ] if $line =~ /(?:ERROR|FATAL|PANIC):  ([0-9A-Z]{5}):/;
		push @e, [ 'crash', $line ] if $line =~ /server closed the connection|connection to server was lost/;
	}
	return @e;
}

sub new
{
	my ($class, $node, $seed, %opt) = @_;
	my $self = bless {
		node => $node,
		seed => $seed,
		opt => \%opt,
		tainted => {},
		check_rng => InviteDiff::Rng->new($seed + 1000003),
		statements => 0,
		kinds => {},
	}, $class;
	return $self;
}

sub open_sessions
{
	my ($self, $db) = @_;
	my $t = $self->{opt}{action_timeout};
	$self->{writers} = [ map { InviteDiff::Session->start($self->{node}, $db, "s$_", $t) } 0 .. $self->{opt}{sessions} - 1 ];
	$self->{monitor} = InviteDiff::Session->start($self->{node}, $db, 'monitor', $t);
	$self->{db} = $db;
	return;
}

sub close_sessions
{
	my ($self) = @_;
	$_->quit for @{ $self->{writers} }, $self->{monitor};
	delete $self->{writers};
	delete $self->{monitor};
	return;
}

# Run one step; returns undef, or a failure {what, detail}.
sub run_step
{
	my ($self, $step, %how) = @_;
	my $check = !$how{no_check};
	return $step->{type} eq 'serial' ? $self->run_serial($step, $check, $how{walk}) : $self->run_concurrent($step, $check, $how{walk});
}

sub count_statements
{
	my ($self, $step) = @_;
	return if $self->{replaying};
	for my $k (@{ $step->{kinds} })
	{
		(my $kind = $k) =~ s/^s\d+://;
		$self->{kinds}{$kind}++;
	}
	my @sql = $step->{type} eq 'serial' ? @{ $step->{sql} } : map { $_->[1] } @{ $step->{actions} };
	$self->{statements} += grep { !ref $_ && !/^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET |RESET )/ } @sql;
	return;
}

sub run_serial
{
	my ($self, $step, $check, $walk) = @_;
	my $s = $self->{writers}[0];
	my $sql = join("\n", map { $self->sql_of($_) } @{ $step->{sql} });
	if ($step->{bypass})
	{
		$self->{tainted}{$_} = 1 for 'any', @{ $step->{bypass} };
	}
	my ($out, $err);
	if ($self->{opt}{profile} && $check)
	{
		# The step and its check in two round trips, timed apart.
		my $t0 = time;
		($out, $err) = $s->run($sql);
		my $t1 = time;
		my ($o2, $e2) = $s->run($self->check_sql($step->{events}, walk => $walk));
		$self->{time}{statements} += $t1 - $t0;
		$self->{time}{ $walk ? 'walks' : 'checks' } += time - $t1;
		($out, $err) = ($out . $o2, $err . $e2);
	}
	else
	{
		$sql .= "\n" . $self->check_sql($step->{events}, walk => $walk) if $check;
		($out, $err) = $s->run($sql);
	}
	$self->count_statements($step);
	my @errors = errors_in($err);
	my @faults = faults_in($out);
	return { what => 'error', detail => $err } if @errors;
	return { what => 'fault', detail => join("\n", @faults) } if @faults;
	if (%{ $self->{tainted} } && !$step->{bypass} && $self->{check_rng}->chance(0.5))
	{
		my (undef, $e2) = $s->run("SELECT invite_api.rebuild_invite_positions();");
		return { what => 'error', detail => "rebuild: $e2" } if errors_in($e2);
		$self->{tainted} = {};
	}
	return undef;
}

# Which of the sessions' pids are blocked by another of them, from the
# monitor: { pid => [blocking pids] }.
sub blocked
{
	my ($self, @pids) = @_;
	my $t0 = time;
	$self->{count}{blocked_polls}++;
	my $list = join(', ', @pids);
	my ($out) = $self->{monitor}->run(
		"SELECT p || ':' || array_to_string(ARRAY(SELECT b FROM unnest(pg_blocking_pids(p)) AS b WHERE b = ANY (ARRAY[$list])), ',')\n"
		  . "  FROM unnest(ARRAY[$list]) AS p WHERE pg_isolation_test_session_is_blocked(p, ARRAY[$list]);");
	my %b;
	for my $line (split /\n/, $out)
	{
		$b{$1} = [ split /,/, $2 // '' ] if $line =~ /^(\d+):([\d,]*)$/;
	}
	$self->{time}{blocked_polls} += time - $t0;
	return \%b;
}

# Wait until session $s completes its batch or is blocked by another
# session: 'done' or 'blocked'.
sub settle
{
	my ($self, $s, @pids) = @_;
	my $nap = 100;
	my $polls = 0;
	while (1)
	{
		return 'done' if $s->done;
		if ($s->waited > 0.002 && ++$polls % 2 == 0)
		{
			my $b = $self->blocked(@pids);
			return 'blocked' if $b->{ $s->pid };
			return 'done' if $s->done;
		}
		die "session $s->{name}: statement running after $self->{opt}{action_timeout} s\n"
		  if $s->waited > $self->{opt}{action_timeout};
		usleep($nap);
		$nap *= 2 if $nap < 4000;
	}
}

sub run_concurrent
{
	my ($self, $step, $check, $walk) = @_;
	my @sess = @{ $self->{writers} }[ 0 .. $step->{sessions} - 1 ];
	my @pids = map { $_->pid } @sess;
	my @queue = @{ $step->{actions} };
	my (%state, %aborted, %sent, @block_order, @failures);
	$state{$_} = 'idle' for 0 .. $#sess;

	# Outcome of session $i's finished batch.
	my $finish = sub {
		my ($i, $stmt) = @_;
		my ($out, $err) = $sess[$i]->output;
		$state{$i} = 'idle';
		@block_order = grep { $_ != $i } @block_order;
		for my $e (errors_in($err))
		{
			if ($CONCURRENT_ERRORS{ $e->[0] }) { $aborted{$i} = 1; }
			else { push @failures, "session s$i: $e->[1]\n$err"; }
		}
		# A transaction that ended (its COMMIT may fail with 40001) is over.
		delete $aborted{$i} if defined $stmt && !ref $stmt && $stmt =~ /^(COMMIT|ROLLBACK);$/;
		push @failures, map { "session s$i: $_" } faults_in($out);
		return;
	};
	# Settle every blocked session: done, or still blocked.
	my $settle_blocked = sub {
		for my $i (grep { $state{$_} eq 'blocked' } sort keys %state)
		{
			$finish->($i, $sent{$i}) if $self->settle($sess[$i], @pids) eq 'done';
		}
	};

	while (@queue || grep { $state{$_} ne 'idle' } keys %state)
	{
		# The first action, in the planned order, of a session that is not
		# blocked.
		my ($k) = grep {
			my $i = $queue[$_][0];
			$i < 0 || ($state{$i} eq 'idle' && !grep { $queue[$_][0] == $i } 0 .. $_ - 1)
		} 0 .. $#queue;
		if (!defined $k)
		{
			# Every session left is blocked: a cycle is broken by cancelling
			# the statement that closed it (the newest waiter), otherwise
			# wait.
			my $b = $self->blocked(@pids);
			my %waits;
			for my $i (grep { $state{$_} eq 'blocked' } keys %state)
			{
				$waits{ $pids[$i] } = $b->{ $pids[$i] } // [];
			}
			my $victim;
			for my $i (reverse @block_order)
			{
				my (%seen, @todo);
				@todo = @{ $waits{ $pids[$i] } // [] };
				while (my $p = shift @todo)
				{
					if ($p == $pids[$i]) { $victim = $i; last; }
					next if $seen{$p}++;
					push @todo, @{ $waits{$p} // [] };
				}
				last if defined $victim;
			}
			$self->{count}{stalls}++;
			if (defined $victim)
			{
				$self->{count}{cancels}++;
				$self->{monitor}->run("SELECT pg_cancel_backend($pids[$victim]);");
			}
			for my $i (grep { $state{$_} eq 'blocked' } sort keys %state)
			{
				my $t0 = time;
				until ($sess[$i]->done || time - $t0 > 0.05) { usleep(500); }
				$finish->($i, $sent{$i}) if $sess[$i]->done;
			}
			die "concurrent round stuck:\n" . join("\n", map { "s$_ $state{$_}" } sort keys %state) . "\n"
			  if grep({ $state{$_} ne 'idle' } keys %state) && time - ($self->{stuck_since} //= time) > $self->{opt}{action_timeout};
			next;
		}
		delete $self->{stuck_since};
		my ($i, $stmt) = @{ splice(@queue, $k, 1) };
		if ($i < 0)
		{
			my ($out, $err) = $self->{monitor}->run($self->check_sql($stmt->{check}));
			push @failures, map { "monitor: $_" } faults_in($out);
			push @failures, "monitor: $err" if errors_in($err);
			next;
		}
		if ($aborted{$i})
		{
			# The transaction failed: what is left of it is a ROLLBACK.
			next unless !ref $stmt && $stmt =~ /^(COMMIT|ROLLBACK);$/;
			$stmt = "ROLLBACK;";
			delete $aborted{$i};
		}
		$sent{$i} = $stmt;
		$self->{count}{actions}++;
		$sess[$i]->submit($self->sql_of($stmt));
		if ($self->settle($sess[$i], @pids) eq 'done') { $finish->($i, $stmt); }
		else { $state{$i} = 'blocked'; push @block_order, $i; }
		$settle_blocked->();
	}
	$self->count_statements($step);
	return { what => 'concurrent', detail => join("\n", @failures) } if @failures;
	if ($check)
	{
		my ($out, $err) = $self->{monitor}->run($self->check_sql($step->{events}, walk => $walk));
		return { what => 'error', detail => $err } if errors_in($err);
		my @faults = faults_in($out);
		return { what => 'fault', detail => join("\n", @faults) } if @faults;
	}
	return undef;
}

# The text of a step, for a report or a replay file.
sub step_text
{
	my ($self, $n, $step) = @_;
	my $text = "-- step $n: " . join(', ', @{ $step->{kinds} })
	  . ($step->{shrunk} ? " (some statements left out)" : '') . "\n";
	if ($step->{type} eq 'serial')
	{
		$text .= join("\n", map { ref $_ ? "-- check of events " . join(', ', @{ $_->{check} }) : $_ } @{ $step->{sql} }) . "\n";
	}
	else
	{
		for my $a (@{ $step->{actions} })
		{
			my ($i, $stmt) = @$a;
			my $body = ref $stmt ? "-- check of events " . join(', ', @{ $stmt->{check} }) : $stmt;
			$text .= ($i < 0 ? "-- monitor:\n" : "-- session s$i:\n") . "$body\n";
		}
	}
	return $text;
}

sub short
{
	my ($text, $max) = @_;
	$max //= 3000;
	return length($text) > $max ? substr($text, 0, $max) . "\n[... " . (length($text) - $max) . " more characters]" : $text;
}

# A fresh database with the extension, the helpers and the seed's first
# state, to copy for each run.
sub make_base
{
	my ($self, $gen) = @_;
	my $node = $self->{node};
	my $base = "diff_base_$self->{seed}";
	$node->safe_psql('postgres', "DROP DATABASE IF EXISTS $base");
	if (($self->{opt}{version} // '') ne '1.0')
	{
		InviteTest::create_database($node, $base, $self->{opt}{version});
	}
	else
	{
		# The oracle checked against itself: version 1.0 pages with
		# count(*) and OFFSET and keeps no positions, so every page must
		# pass and there is nothing to rebuild.
		$node->safe_psql('postgres', "CREATE DATABASE $base");
		$node->safe_psql($base, "CREATE EXTENSION invite_api VERSION '1.0'");
		$node->safe_psql($base, InviteTest::helper_sql('tokens'), extra_params => ['-q']);
		$node->safe_psql($base, "SET check_function_bodies = off;\n" . InviteTest::helper_sql('checks'), extra_params => ['-q']);
		$node->safe_psql($base,
			"CREATE OR REPLACE FUNCTION invite_test.position_faults() RETURNS TABLE (event_id bigint, fault text)\n"
			  . "LANGUAGE sql AS 'SELECT NULL::bigint, NULL::text WHERE false';\n"
			  . "CREATE FUNCTION invite_api.rebuild_invite_positions() RETURNS void LANGUAGE sql AS 'SELECT';");
	}
	$self->{initial} = $gen->initial_sql;
	$node->safe_psql($base, join("\n", @{ $self->{initial} }) . "\nVACUUM ANALYZE;");
	return $base;
}

sub copy_db
{
	my ($self, $base, $name) = @_;
	$self->{node}->safe_psql('postgres', "DROP DATABASE IF EXISTS $name");
	$self->{node}->safe_psql('postgres', "CREATE DATABASE $name TEMPLATE $base");
	return $name;
}

# Replay @$steps on a fresh copy of the base, checking only at the end
# (every position of every event): the first failure, or undef.
sub replay
{
	my ($self, $base, $steps) = @_;
	my $db = $self->copy_db($base, "diff_replay_$self->{seed}");
	my $saved = $self->{tainted};
	$self->{tainted} = {};
	local $self->{replaying} = 1;
	$self->open_sessions($db);
	my $failure;
	eval {
		for my $i (0 .. $#$steps)
		{
			$failure = $self->run_step($steps->[$i], no_check => $i < $#$steps, walk => 1);
			last if $failure;
		}
		1;
	} or $failure = { what => 'died', detail => $@ };
	$self->close_sessions;
	$self->{tainted} = $saved;
	return $failure;
}

# Shrink the steps up to the failing one (which stays): leave out chunks of
# steps (ddmin) while the replay still fails, then single statements of
# single-session steps.
# What kind of failure: a wrong page or fault, or errors of these
# SQLSTATEs.  A shrunk replay must fail the same way.
sub signature
{
	my ($failure) = @_;
	return undef unless $failure;
	my %codes = map { $_->[0] => 1 } grep { $_->[0] ne '25P02' } errors_in($failure->{detail} // '');
	return join(' ', $failure->{what} eq 'error' ? 'error' : 'fault', sort keys %codes);
}

sub shrink
{
	my ($self, $base, $history, $failure) = @_;
	my $want = signature($failure);
	my $deadline = time + $self->{opt}{shrink_secs};
	my $last = $history->[-1];
	my @steps = @$history[ 0 .. $#$history - 1 ];
	my $replays = 0;
	my $fails = sub {
		my ($list) = @_;
		return 0 if time > $deadline;
		$replays++;
		my $sig = signature($self->replay($base, [ @$list, $last ]));
		return defined $sig && $sig eq $want;
	};
	return undef unless $fails->(\@steps);
	my $n = 2;
	while (@steps >= 1 && time < $deadline)
	{
		my $chunk = int((@steps + $n - 1) / $n);
		$chunk = 1 if $chunk < 1;
		my $reduced = 0;
		for (my $start = 0; $start < @steps; $start += $chunk)
		{
			my @without = (@steps[ 0 .. $start - 1 ], @steps[ $start + $chunk .. $#steps ]);
			if ($fails->(\@without))
			{
				@steps = @without;
				$n = $n > 2 ? $n - 1 : 2;
				$reduced = 1;
				last;
			}
		}
		next if $reduced;
		last if $chunk == 1;
		$n = $n * 2 > @steps ? scalar @steps : $n * 2;
	}
	# Single statements of the failing step and the steps kept.
	for my $step (@steps, $last)
	{
		next unless $step->{type} eq 'serial';
		my $sql = $step->{sql};
		for (my $j = $#$sql; $j >= 0; $j--)
		{
			last if time > $deadline;
			next if ref $sql->[$j] || $sql->[$j] =~ /^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|COPY|SET |RESET )/;
			my @kept = @$sql;
			splice(@kept, $j, 1);
			my $orig = $step->{sql};
			$step->{sql} = \@kept;
			if (!$fails->(\@steps)) { $step->{sql} = $orig; }
			else { $sql = $step->{sql}; $step->{shrunk} = 1; }
		}
	}
	return { steps => [ @steps, $last ], replays => $replays, complete => time <= $deadline };
}

# Run one seed: returns { steps, statements, seconds, failures => [...] }.
sub run_seed
{
	my ($node, $seed, %opt) = @_;
	my $self = InviteDiff->new($node, $seed, %opt);
	my $gen = InviteDiff::Gen->new($seed, %opt);
	my $t0 = time;
	my $tc;
	my $base = $self->make_base($gen);
	my $db = $self->copy_db($base, "diff_$seed");
	$self->open_sessions($db);
	my (@history, @failures);
	my $log = ($opt{log_dir} // $PostgreSQL::Test::Utils::log_path) . "/030_differential_seed_$seed.sql";
	CORE::open(my $fh, '>', $log) or die "$log: $!";
	print $fh "-- invite_api differential test, seed $seed: the first state, then each step\n",
	  join("\n", @{ $self->{initial} }), "\n";
	for my $n (1 .. $opt{steps})
	{
		my $step = $gen->next_step;
		$step->{n} = $n;
		push @history, $step;
		print $fh $self->step_text($n, $step);
		my $walk = $n % $opt{walk_every} == 0 || $n == $opt{steps};
		my $check = $walk || $n % $opt{check_every} == 0;
		my $ts = time;
		my $failure;
		if ($opt{vacuum_every} && $n % $opt{vacuum_every} == 0)
		{
			# In place of autovacuum (off, see the test), at points that do
			# not depend on timing.
			my (undef, $err) = eval { $self->{writers}[0]->run("VACUUM;") };
			$failure = { what => 'error', detail => "VACUUM: " . ($err // $@) } if !defined $err || errors_in($err);
			$self->{time}{vacuum} += time - $ts;
		}
		$failure //= eval { $self->run_step($step, no_check => !$check, walk => $walk) };
		$self->{time}{ $step->{type} } += time - $ts;
		$failure = { what => 'died', detail => $@ } if !defined $failure && $@;
		if ($opt{verbose})
		{
			note "seed $seed step $n: " . join(', ', @{ $step->{kinds} });
		}
		next unless $failure;
		my $report = "seed $seed, step $n ($failure->{what}): replay with SEED=$seed DIFF_STEPS=$n\n"
		  . short($failure->{detail}, 4000) . "\n-- the last steps:\n"
		  . join('', map { short($self->step_text($_->{n}, $_)) } @history[ ($#history > 2 ? $#history - 2 : 0) .. $#history ]);
		push @failures, { step => $n, what => $failure->{what}, report => $report, kinds => $step->{kinds} };
		if (!$opt{keep_going} || $failure->{what} eq 'died')
		{
			eval { $self->close_sessions };
			if ($opt{shrink_secs} > 0 && $failure->{what} ne 'died')
			{
				my $shrunk = $self->shrink($base, \@history, $failure);
				if ($shrunk)
				{
					$failures[-1]{report} .= "-- shrunk to " . scalar(@{ $shrunk->{steps} }) . " of $n steps ("
					  . "$shrunk->{replays} replays" . ($shrunk->{complete} ? '' : ', out of time') . "), on the first state:\n"
					  . join('', map { short($self->step_text($_->{n}, $_), 6000) } @{ $shrunk->{steps} });
				}
				else
				{
					$failures[-1]{report} .= "-- (the failure did not show again in a replay of the steps)\n";
				}
			}
			last;
		}
		# Keep going: repair and go on (the report says what was wrong).
		my ($o, $e) = $self->{writers}[0]->run("SELECT invite_api.rebuild_invite_positions();");
		$self->{tainted} = {};
	}
	CORE::close($fh);
	eval { $self->close_sessions } if $self->{writers};
	my $seconds = time - $t0;
	if (!@failures)
	{
		$node->safe_psql('postgres', "DROP DATABASE IF EXISTS diff_$seed");
		$node->safe_psql('postgres', "DROP DATABASE IF EXISTS diff_replay_$seed");
		$node->safe_psql('postgres', "DROP DATABASE IF EXISTS $base");
	}
	return {
		seed => $seed,
		steps => scalar @history,
		statements => $self->{statements},
		kinds => $self->{kinds},
		seconds => $seconds,
		time => $self->{time},
		count => $self->{count},
		failures => \@failures,
		log => $log,
	};
}

1;
