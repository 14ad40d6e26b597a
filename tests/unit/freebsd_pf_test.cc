// The FreeBSD network against a scripted command runner, and the pf rule text it writes and
// reads back; sequences compared with the original's vnet-start.sh, start.sh and stop.sh
// (facts file, start steps 3 and 4, stop).
#include <algorithm>

#include <gtest/gtest.h>

#include "core/error.h"

#include "freebsd/pf_network.h"
#include "freebsd/pf_rules.h"
#include "freebsd_scripted_commands.h"
#include "net/interface_names.h"

namespace pot {
namespace {

using net::IpAddress;
using net::IpNetwork;
using net::PortForward;
using testing::ScriptedCommands;
using Strings = std::vector<std::string>;

PortForward forward(const std::string& protocol, uint16_t host, const std::string& ip,
                    uint16_t pot) {
  return PortForward{protocol, host, IpAddress::parse(ip), pot};
}

// The original's rule (start.sh _js_export_ports), plus ours for the host's localhost.
TEST(FreeBsdPfRules, RedirectionRulesNameExtifAndLocalhost) {
  EXPECT_EQ(
      freebsd::rdr_rules("em0", {forward("tcp", 8080, "10.192.0.3", 80)}),
      "rdr pass on em0 inet proto tcp from any to (em0) port 8080 -> 10.192.0.3 port 80\n"
      "rdr pass on lo0 inet proto tcp from any to 127.0.0.1 port 8080 -> 10.192.0.3 port 80\n");
}

TEST(FreeBsdPfRules, RedirectionRulesReadBackAsTheForwards) {
  std::vector<PortForward> forwards = {forward("tcp", 8080, "10.192.0.3", 80),
                                       forward("udp", 5353, "10.192.0.3", 53),
                                       forward("tcp", 8443, "fd00::3", 443)};
  EXPECT_EQ(freebsd::parse_rdr_rules(freebsd::rdr_rules("em0", forwards)), forwards);
}

// pfctl -s nat prints rules normalised: "port = N", and what it adds.
TEST(FreeBsdPfRules, PfctlsOwnListingIsParsed) {
  const char* listing =
      "rdr pass on em0 inet proto tcp from any to (em0) port = 8080 -> 10.192.0.3 port 80\n"
      "rdr pass on lo0 inet proto tcp from any to 127.0.0.1 port = 8080 -> 10.192.0.3 port 80\n"
      "No ALTQ support in kernel\n";
  EXPECT_EQ(freebsd::parse_rdr_rules(listing),
            (std::vector<PortForward>{forward("tcp", 8080, "10.192.0.3", 80)}));
}

// The original's _get_pot_rdr_anchor_name: the last 55 characters, leading '_' dropped.
TEST(FreeBsdPfRules, AnchorNameIsCutToItsLast55Characters) {
  EXPECT_EQ(freebsd::rdr_anchor_for_pot("web"), "pot-rdr/web");
  std::string tail = "task-0123456789abcdef0123456789abcdef0123456789abcdef01";  // 55
  ASSERT_EQ(tail.size(), 55u);
  EXPECT_EQ(freebsd::rdr_anchor_for_pot("job-group_" + tail), "pot-rdr/" + tail);
  EXPECT_EQ(freebsd::rdr_anchor_for_pot("x__" + tail.substr(2)), "pot-rdr/" + tail.substr(2));
}

// vnet-start's NAT rule, and the networks read back from pf's listing of it.
TEST(FreeBsdPfRules, NatRulesAndTheirNetworks) {
  auto rules = freebsd::nat_rules("em0", {IpNetwork::parse("10.192.0.0/10")});
  EXPECT_EQ(rules, "nat on em0 inet from 10.192.0.0/10 to any -> (em0:0)\n");
  EXPECT_EQ(
      freebsd::nat_networks("nat on em0 inet from 10.192.0.0/10 to any -> (em0:0) round-robin\n"
                            "nat on em0 inet from 10.200.1.0/24 to any -> (em0:0) round-robin\n"
                            "nat on em0 inet from any to any -> (em0:0)\n"),
      (std::vector<IpNetwork>{IpNetwork::parse("10.192.0.0/10"),
                              IpNetwork::parse("10.200.1.0/24")}));
}

TEST(FreeBsdPfRules, ToolAnswers) {
  EXPECT_TRUE(freebsd::interface_has_address(
      "bridge0: flags=8843<UP>\n\tinet 10.192.0.1 netmask 0xffc00000 broadcast 10.255.255.255\n",
      IpAddress::parse("10.192.0.1")));
  EXPECT_FALSE(freebsd::interface_has_address("\tinet 10.192.0.11 netmask 0xff000000\n",
                                              IpAddress::parse("10.192.0.1")));
  EXPECT_EQ(freebsd::ipv4_netmask(10), "255.192.0.0");
  EXPECT_EQ(freebsd::ipv4_netmask(24), "255.255.255.0");
  auto route = freebsd::parse_route_get(
      "   route to: default\ndestination: default\n       mask: default\n"
      "    gateway: 192.168.1.1\n        fib: 0\n  interface: vtnet0\n");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->interface, "vtnet0");
  EXPECT_EQ(route->gateway, IpAddress::parse("192.168.1.1"));
  EXPECT_FALSE(freebsd::parse_route_get("route: route has not been found\n"));
  const char* header =
      "USER     COMMAND    PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS\n";
  EXPECT_FALSE(freebsd::sockstat_lists_sockets(header));
  EXPECT_TRUE(freebsd::sockstat_lists_sockets(
      std::string(header) + "root     sshd       812   4   tcp4   *:22                  *:*\n"));
}

class FreeBsdPfNetwork : public ::testing::Test {
 protected:
  FreeBsdPfNetwork() { settings_.extif = "em0"; }
  std::unique_ptr<net::NetworkBackend> network() {
    return freebsd::make_pf_network(settings_, commands_);
  }
  net::BridgeSpec bridge() const {
    net::BridgeSpec spec;
    spec.interface = net::public_bridge_interface(settings_.root_tag());
    spec.network4 = IpNetwork::parse("10.192.0.0/10");
    spec.gateway4 = IpAddress::parse("10.192.0.1");
    return spec;
  }
  Settings settings_;
  ScriptedCommands commands_;
};

// vnet-start on a host without the bridge: forwarding, the bridge with the gateway, pf, the
// NAT anchor, pf enabled (facts, start step 3).
TEST_F(FreeBsdPfNetwork, FirstBridgeFollowsVnetStart) {
  commands_.answer("ifconfig bridge create", 0, "bridge0\n");
  commands_.answer("pfctl -s Anchors", 0, "  pot-nat\n  pot-rdr\n");
  auto spec = bridge();
  network()->bring_up_bridge(spec);
  EXPECT_EQ(
      commands_.commands(),
      (Strings{"sysctl net.inet.ip.forwarding=1", "ifconfig -g bridge", "ifconfig bridge create",
               "ifconfig bridge0 inet 10.192.0.1 netmask 255.192.0.0",
               "ifconfig bridge0 name " + spec.interface, "ifconfig " + spec.interface + " up",
               "kldload -n pf", "pfctl -s Anchors", "pfctl -a pot-nat -s nat",
               "pfctl -a pot-nat -f -", "pfctl -e"}));
  EXPECT_EQ(commands_.calls[9].input, "nat on em0 inet from 10.192.0.0/10 to any -> (em0:0)\n");
}

// The bridge carrying the gateway is found (the original's, bridge0) and taken over; a NAT
// rule already there is not loaded again.
TEST_F(FreeBsdPfNetwork, ExistingBridgeIsFoundByItsGateway) {
  commands_.answer("ifconfig -g bridge", 0, "bridge0\nbridge1\n");
  commands_.answer("ifconfig bridge1 inet", 0, "\tinet 10.192.0.1 netmask 0xffc00000\n");
  commands_.answer("pfctl -s Anchors", 0, "  pot-nat\n  pot-rdr\n");
  commands_.answer("pfctl -a pot-nat -s nat", 0,
                   "nat on em0 inet from 10.192.0.0/10 to any -> (em0:0) round-robin\n");
  auto spec = bridge();
  network()->bring_up_bridge(spec);
  Strings calls = commands_.commands();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "ifconfig bridge create"), 0);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "ifconfig bridge1 name " + spec.interface), 1);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "pfctl -a pot-nat -f -"), 0);
}

// Taking the last bridge down flushes the NAT anchor and destroys the bridge.
TEST_F(FreeBsdPfNetwork, LastBridgeDownFlushesNat) {
  auto spec = bridge();
  commands_.answer("pfctl -a pot-nat -s nat", 0,
                   "nat on em0 inet from 10.192.0.0/10 to any -> (em0:0) round-robin\n");
  commands_.answer("ifconfig -l", 0, "em0 lo0 " + spec.interface + "\n");
  network()->take_down_bridge(spec);
  Strings calls = commands_.commands();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "pfctl -a pot-nat -F nat"), 1);
  EXPECT_EQ(calls.back(), "ifconfig " + spec.interface + " destroy");
}

// The original's _js_create_epair and _js_vnet: create, rename the a side, up, addm; the
// b side is what `jail -c vnet.interface=` takes.
TEST_F(FreeBsdPfNetwork, EpairIsCreatedRenamedAndBridged) {
  commands_.answer("ifconfig epair create descr web group pot", 0, "epair3a\n");
  net::PotInterface interface;
  interface.bridge = "potbr1234abcd";
  std::string host = net::pot_veth_interface(settings_.root_tag(), "web", 77);
  ASSERT_LE(host.size(), 15u);

  auto recorded = network()->create_pot_links("web", 77, interface);

  EXPECT_EQ(recorded, Strings{host});
  EXPECT_EQ(interface.pot_interface, "epair3b");
  EXPECT_EQ(commands_.commands(),
            (Strings{"ifconfig epair create descr web group pot", "ifconfig epair3a name " + host,
                     "ifconfig " + host + " up", "ifconfig potbr1234abcd addm " + host}));
}

TEST_F(FreeBsdPfNetwork, FailedRenameDestroysTheEpair) {
  commands_.answer("ifconfig epair create descr web group pot", 0, "epair3a\n");
  std::string host = net::pot_veth_interface(settings_.root_tag(), "web", 77);
  commands_.answer("ifconfig epair3a name " + host, 1, "", "ifconfig: SIOCSIFNAME: File exists\n");
  net::PotInterface interface;
  EXPECT_THROW(network()->create_pot_links("web", 77, interface), Error);
  EXPECT_EQ(commands_.commands().back(), "ifconfig epair3a destroy");
}

TEST_F(FreeBsdPfNetwork, AttachConfiguresTheJailsSideFromOutside) {
  net::PotInterface interface;
  interface.pot_interface = "epair3b";
  interface.addresses = {{IpAddress::parse("10.192.0.3"), 10}};
  interface.gateways = {IpAddress::parse("10.192.0.1")};
  network()->attach("web", 77, interface, 0);
  EXPECT_EQ(commands_.commands(), (Strings{"jexec web ifconfig epair3b inet 10.192.0.3/10",
                                           "jexec web ifconfig epair3b up",
                                           "jexec web route add -inet default 10.192.0.1"}));
}

// Recorded links that are still there and any other with the pot's prefix (a crash between
// the creation and the record) are destroyed; others' and vanished ones are left.
TEST_F(FreeBsdPfNetwork, RemovePotLinksFindsPrefixedInterfaces) {
  std::string old_run = net::pot_veth_interface(settings_.root_tag(), "web", 5);
  std::string this_run = net::pot_veth_interface(settings_.root_tag(), "web", 6);
  std::string other_pot = net::pot_veth_interface(settings_.root_tag(), "db", 6);
  commands_.answer("ifconfig -l", 0,
                   "em0 lo0 bridge0 " + old_run + " " + this_run + " " + other_pot + "\n");
  network()->remove_pot_links("web", {this_run, "p4gone"});
  // `ifconfig -g pot`: an epair a kill left under its first name (before its rename).
  EXPECT_EQ(commands_.commands(),
            (Strings{"ifconfig -l", "ifconfig -g pot", "ifconfig " + this_run + " destroy",
                     "ifconfig " + old_run + " destroy"}));
}

// Forwards go to the pot's anchor with those already there; the last removed flushes it
// (the original's stop: `pfctl -a pot-rdr/NAME -F nat`).
TEST_F(FreeBsdPfNetwork, ForwardsAreAddedToAndRemovedFromThePotsAnchor) {
  commands_.answer(
      "pfctl -a pot-rdr/web -s nat", 0,
      "rdr pass on em0 inet proto tcp from any to (em0) port = 8080 -> 10.192.0.3 port 80\n");
  network()->add_forwards("web", {forward("tcp", 8443, "10.192.0.3", 443)});
  ASSERT_EQ(commands_.commands().back(), "pfctl -a pot-rdr/web -f -");
  EXPECT_EQ(freebsd::parse_rdr_rules(commands_.calls.back().input),
            (std::vector<PortForward>{forward("tcp", 8080, "10.192.0.3", 80),
                                      forward("tcp", 8443, "10.192.0.3", 443)}));

  network()->remove_forwards("web", {forward("tcp", 8080, "10.192.0.3", 80)});
  EXPECT_EQ(commands_.commands().back(), "pfctl -a pot-rdr/web -F nat");
}

TEST_F(FreeBsdPfNetwork, CurrentForwardsReadEveryPotsAnchor) {
  commands_.answer("pfctl -a pot-rdr -s Anchors", 0, "  pot-rdr/db\n  pot-rdr/web\n");
  commands_.answer(
      "pfctl -a pot-rdr/db -s nat", 0,
      "rdr pass on em0 inet proto tcp from any to (em0) port = 5432 -> 10.192.0.4 port 5432\n");
  commands_.answer(
      "pfctl -a pot-rdr/web -s nat", 0,
      "rdr pass on em0 inet proto tcp from any to (em0) port = 8080 -> 10.192.0.3 port 80\n");
  EXPECT_EQ(network()->current_forwards(),
            (std::vector<PortForward>{forward("tcp", 5432, "10.192.0.4", 5432),
                                      forward("tcp", 8080, "10.192.0.3", 80)}));
}

TEST_F(FreeBsdPfNetwork, HostPortIsFreeWhenSockstatListsNothing) {
  commands_.answer("sockstat -46l -P tcp -p 22", 0,
                   "USER COMMAND PID FD PROTO LOCAL ADDRESS FOREIGN ADDRESS\n"
                   "root sshd 812 4 tcp4 *:22 *:*\n");
  commands_.answer("sockstat -46l -P tcp -p 8080", 0,
                   "USER COMMAND PID FD PROTO LOCAL ADDRESS FOREIGN ADDRESS\n");
  EXPECT_FALSE(network()->host_port_free("tcp", 22));
  EXPECT_TRUE(network()->host_port_free("tcp", 8080));
}

}  // namespace
}  // namespace pot
