#!/usr/bin/perl
# Parse every file named on stdin with Sisimai (Debian's libsisimai-perl); print the number of files,
# records, wall-clock seconds and CPU seconds (user + system) of this process.
use strict; use warnings;
use Sisimai; use Time::HiRes qw(time);
my @files = map { chomp; $_ } <STDIN>;
my ($records, $started) = (0, time);
my ($user0, $system0) = times;
for my $f (@files) {
    my $v = Sisimai->make($f, 'delivered' => 1, 'vacation' => 1);
    $records += scalar @$v if $v;
}
my ($user1, $system1) = times;
printf "%d %d %.6f %.6f\n", scalar(@files), $records, time - $started, ($user1 - $user0) + ($system1 - $system0);
