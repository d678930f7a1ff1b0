#!/usr/bin/perl
# Parse every file named on stdin with Sisimai (Debian's libsisimai-perl), print records and seconds.
use strict; use warnings;
use Sisimai; use Time::HiRes qw(time);
my @files = map { chomp; $_ } <STDIN>;
my ($records, $started) = (0, time);
for my $f (@files) {
    my $v = Sisimai->make($f, 'delivered' => 1, 'vacation' => 1);
    $records += scalar @$v if $v;
}
printf "%d %d %.6f\n", scalar(@files), $records, time - $started;
