#!/usr/bin/perl
# Write a MaxMind-format ASN database (the GeoLite2-ASN layout:
# autonomous_system_number, autonomous_system_organization) with Debian's
# libmaxmind-db-writer-perl.
#
#   mkmmdb.pl OUTPUT < networks      one "prefix asn organisation" per line
#
# IPv4 networks go into the IPv6 tree at ::a.b.c.d and ::ffff:0:0/96 is
# aliased to them, as in MaxMind's own databases, so IPv4-mapped addresses
# find their IPv4 network.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift or die "usage: mkmmdb.pl OUTPUT < networks\n";
my %types = (
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 28,
    database_type            => 'GeoLite2-ASN',
    languages                => ['en'],
    description              => { en => 'ipv6probe test ASN database' },
    map_key_type_callback    => sub { $types{ $_[0] } },
    alias_ipv6_to_ipv4       => 1,
    remove_reserved_networks => 0,
);
while (my $line = <STDIN>) {
    chomp $line;
    next if $line =~ /^\s*(#|$)/;
    my ($net, $asn, $org) = split ' ', $line, 3;
    $tree->insert_network($net, {
        autonomous_system_number       => $asn,
        autonomous_system_organization => $org,
    });
}
open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
