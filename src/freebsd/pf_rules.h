// The text pf and the network tools speak, for pf_network.cc: the NAT anchor's rules, a
// pot's redirections and their listing read back, and the answers of ifconfig, route,
// sockstat. Pure functions, unit tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.h"
#include "net/nftables.h"

namespace pot::freebsd {

// The anchors pf.conf must name (pot init puts them there): `nat-anchor pot-nat` and
// `rdr-anchor "pot-rdr/*"`.
extern const char* const kNatAnchor;  // "pot-nat"
extern const char* const kRdrAnchor;  // "pot-rdr"

// "pot-rdr/" + the pot's name cut to its last 55 characters (leading '_' dropped), as the
// original's _get_pot_rdr_anchor_name: driver pots have long names that differ at the end.
std::string rdr_anchor_for_pot(const std::string& pot);

// The pot-nat anchor's rules: one `nat on EXTIF inet from NETWORK to any -> (EXTIF:0)` per
// network (the original's vnet-start rule, one per bridge network).
std::string nat_rules(const std::string& extif, const std::vector<net::IpNetwork>& networks);
// The networks of `pfctl -a pot-nat -s nat` (pf prints its rules back normalised, with
// "round-robin" and such added); lines that are not such rules are skipped.
std::vector<net::IpNetwork> nat_networks(const std::string& listing);

// A pot's redirections: per forward, `rdr pass on EXTIF inet proto P from any to (EXTIF)
// port H -> IP port P` (the original's rule) and the same on lo0 to 127.0.0.1 (::1 for an
// IPv6 pot), so the host's own localhost reaches the port without the original's ncat
// tunnel. Caveat: pf translates on lo0 only what passes lo0 inbound, which a connection to
// 127.0.0.1 from the host itself does; a pf.conf with `set skip on lo0` turns it off.
std::string rdr_rules(const std::string& extif, const std::vector<net::PortForward>& forwards);
// The forwards of `pfctl -a ANCHOR -s nat` (or of rdr_rules' text), once each.
std::vector<net::PortForward> parse_rdr_rules(const std::string& listing);

// The anchor paths `pfctl -a pot-rdr -s Anchors` lists ("pot-rdr/web"), one per line.
std::vector<std::string> parse_anchor_list(const std::string& listing);

// True when `ifconfig NAME inet` (or inet6) output shows `address` on the interface.
bool interface_has_address(const std::string& ifconfig_output, const net::IpAddress& address);
// The addresses `ifconfig NAME` shows: `inet A netmask 0xffffff00` and `inet6 A prefixlen N`
// lines (a scope suffix `%lo0` is dropped).
std::vector<net::InterfaceAddress> parse_interface_addresses(const std::string& ifconfig_output);
// Whitespace-separated names (`ifconfig -l`, `ifconfig -g bridge`).
std::vector<std::string> split_words(const std::string& text);

// "255.192.0.0" for 10.
std::string ipv4_netmask(int prefix_length);

// `route -n get -inet default`: its "interface:" and "gateway:" lines. nullopt without an
// interface line.
struct RouteAnswer {
  std::string interface;
  std::optional<net::IpAddress> gateway;
};
std::optional<RouteAnswer> parse_route_get(const std::string& text);

// True when `sockstat -46l -P PROTO -p PORT` lists a socket (a line besides the header).
bool sockstat_lists_sockets(const std::string& text);

}  // namespace pot::freebsd
