# A seeded, model-based differential test of the count and positions kept
# beside the invites (issue 8): random mixes of every write of the
# contract's section 3, each step compared with the ground truth of its own
# snapshot (see InviteDiff.pm for what is generated and checked).
#
#   bash tools/installcheck.sh PROVE_TESTS=test/t/030_differential.pl REGRESS= ISOLATION=
#                                  CI: seeds 1-3, 100 steps each
#   SEED=17 bash tools/installcheck.sh ...
#                                  replay seed 17 exactly (the same statements)
#   DIFF_PRESET=long DIFF_SEEDS=1000-1019 bash tools/installcheck.sh ...
#                                  the long run: 20 seeds of 3,000 steps of up to 30
#                                  statements, about a million statements
#
# The long run's preset (DIFF_PRESET=long) sets DIFF_STEPS=3000 DIFF_BATCH=30
# DIFF_CHECK_EVERY=5 DIFF_WALK_EVERY=100 DIFF_CONCURRENT=0.03 DIFF_LARGE=0.01
# DIFF_MEDIUM=0.15 DIFF_SHAPED=0.3 DIFF_SHRINK_SECS=600, each overridable.
#
# Environment (defaults in brackets):
#   DIFF_SEEDS [1-3]       seeds: "7", "1-5" or "3,9,12" (SEED is the same, for one)
#   DIFF_STEPS [100]       steps per seed
#   DIFF_BATCH [6]         at most this many statements per step, sent in one round trip
#   DIFF_EVENTS [10]       events
#   DIFF_USERS [12000]     users
#   DIFF_MAX_EVENT [6000]  sizes the generator keeps events to, roughly
#   DIFF_BIG_COPY [8000]   rows of a large COPY, at most
#   DIFF_LARGE [0.12]      share of statements of 401-3000 rows (also scales the growing
#                          statements and the large COPY)
#   DIFF_MEDIUM [0.33]     share of statements of 13-400 rows (the others have 1-12)
#   DIFF_SHAPED [1]        weight factor of the statements shaped to fire several triggers
#                          over keys not counted yet (1,000+ invites moved, a CTE's delete
#                          where its insert lands)
#   DIFF_SESSIONS [3]      sessions of concurrent rounds
#   DIFF_CONCURRENT [0.15] share of steps that are concurrent rounds
#   DIFF_BYPASS [0.02]     share of steps that write with the triggers bypassed
#   DIFF_CHECK_EVERY [1]   check after every Nth step (and always before a walk)
#   DIFF_WALK_EVERY [25]   walk every position of every event every Nth step
#   DIFF_VACUUM_EVERY [20] VACUUM every Nth step (autovacuum is off)
#   DIFF_ACTION_TIMEOUT [600] seconds a batch may run before the test gives up
#   DIFF_KEEP_GOING [0]    after a failure, report, rebuild and go on
#   DIFF_SHRINK_SECS [60]  time to shrink a failing run (0: do not)
#   DIFF_VERBOSE [0]       note every step's kinds in the test log
#   DIFF_PROFILE [0]       time statements, checks and walks apart (two round trips a step)
#   DIFF_LOG_DIR []        where the statements of each seed are written (the test's log directory)
#   DIFF_VERSION []        create the extension at this version; 1.0 (no positions: count(*)
#                          and OFFSET) checks the test itself, which must then pass
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use InviteTest;
use InviteDiff;
use PostgreSQL::Test::Utils;
use Test::More;

my %opt = InviteDiff::options_from_env();
my @seeds = InviteDiff::parse_seeds($opt{seeds});

# No autovacuum: the test vacuums at steps of its own (DIFF_VACUUM_EVERY),
# so that no lock of a worker decides how a concurrent round runs; lock
# cycles among the test's sessions are broken by the test itself, so that
# which statement fails does not depend on deadlock_timeout; no statement
# logged (a long run writes millions).
my $node = InviteTest::new_node(
	'differential', qq{
autovacuum = off
deadlock_timeout = '10min'
log_statement = none
max_connections = 40
fsync = off
synchronous_commit = off
full_page_writes = off
});
$node->start;

my ($steps, $statements, $seconds, %kinds) = (0, 0, 0);
diag("seeds $opt{seeds}, $opt{steps} steps each (replay one with SEED=n)");
for my $seed (@seeds)
{
	my $r = InviteDiff::run_seed($node, $seed, %opt);
	$steps += $r->{steps};
	$statements += $r->{statements};
	$seconds += $r->{seconds};
	$kinds{$_} += $r->{kinds}{$_} for keys %{ $r->{kinds} };
	my $line = sprintf('seed %d: %d steps, %d statements, %.0f s', $seed, $r->{steps}, $r->{statements}, $r->{seconds});
	($opt{profile} ? \&diag : \&note)->("seed $seed seconds: " . join(', ', map { sprintf('%s %.1f', $_, $r->{time}{$_}) } sort keys %{ $r->{time} })
		  . '; ' . join(', ', map { "$_ $r->{count}{$_}" } sort keys %{ $r->{count} // {} }));
	if (@{ $r->{failures} })
	{
		fail("$line: " . scalar(@{ $r->{failures} }) . " failures");
		diag($_->{report}) for @{ $r->{failures} };
		diag("all statements of seed $seed: $r->{log}");
	}
	else
	{
		pass($line);
		diag($line);
	}
}
diag(sprintf('%d seeds, %d steps, %d statements in %.0f s (%.0f statements/s)',
		scalar @seeds, $steps, $statements, $seconds, $seconds > 0 ? $statements / $seconds : 0));
note(join(', ', map { "$_ $kinds{$_}" } sort keys %kinds));

$node->stop;
done_testing();
