#!/usr/bin/perl
# Copies standard input to standard output in batches: what arrived within one second (or
# 64 KB) leaves in one write. HAProxy's request log goes through it, so the engine's log
# pipeline sees about one write a second instead of one per request. Ends, after a last
# write, when its input does.
use strict;
use warnings;
use IO::Select;
use Time::HiRes qw(time);

binmode STDIN;
binmode STDOUT;
my $input = IO::Select->new(\*STDIN);
my $batch = '';
my $since;
while (1) {
	my $wait = defined $since ? $since + 1 - time : undef;
	$wait = 0 if defined $wait && $wait < 0;
	if ($input->can_read($wait)) {
		my $read = sysread(STDIN, $batch, 65536, length $batch);
		last if !$read;
		$since //= time;
	}
	if (defined $since && (time - $since >= 1 || length $batch >= 65536)) {
		syswrite(STDOUT, $batch);
		$batch = '';
		undef $since;
	}
}
syswrite(STDOUT, $batch) if length $batch;
