# The module exports its SQL entry points and what the server looks up when
# it loads a module (the magic block, _PG_init), and nothing else: the server
# loads modules into one global symbol namespace, where an internal function
# such as jwt_verify() or settings_init() could bind to another module's
# symbol of the same name, or theirs to ours.
#
# Reads the installed module (pg_config --pkglibdir); needs no server.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;

my $pkglibdir = `pg_config --pkglibdir`;
chomp $pkglibdir;
my $module = "$pkglibdir/invite_api.so";
ok(-f $module, 'the module is installed');

my ($stdout, $stderr);
my $ran = IPC::Run::run [ 'nm', '-D', '--defined-only', $module ],
  '>', \$stdout, '2>', \$stderr;
ok($ran, 'nm reads the module') or diag($stderr);

# "ADDRESS TYPE NAME": keep the names of what the module defines.
my @exported = sort map { (split ' ')[2] } grep { /\S/ } split /\n/, $stdout;

my @expected = sort qw(
  Pg_magic_func
  _PG_init
  event_invites_page
  event_invites_page_1_1
  event_invites_page_1_2
  event_invite_users
  event_uninvite_users
  pg_finfo_event_invites_page
  pg_finfo_event_invites_page_1_1
  pg_finfo_event_invites_page_1_2
  pg_finfo_event_invite_users
  pg_finfo_event_uninvite_users
  log_invite_changes
  pg_finfo_log_invite_changes
  log_invite_change_row
  pg_finfo_log_invite_change_row
  event_invites_truncated
  pg_finfo_event_invites_truncated
);
is_deeply(\@exported, \@expected,
	'only the entry points, their info functions, _PG_init and the magic block are exported')
  or diag("exported:\n" . join("\n", @exported));

done_testing();
