// The four network types and exported ports on the FreeBSD platform, checked call by call
// against the original's start and stop (share/pot/start.sh, vnet-start.sh, stop.sh;
// freebsd-facts.md "start" steps 3-5 and "stop"). The fake host has em0 10.0.2.15/24 and a
// default route through it; POT_NETWORK is the original's default 10.192.0.0/10.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "freebsd_host.h"

namespace pot::testing {
namespace {

std::string pot_root(const FreeBsdHost& bsd, const std::string& pot) {
  return (bsd.fs_root() / "jails" / pot / "m").string();
}

// The last word of the one recorded call matching `pattern`: a name the backend chose.
std::string chosen(const FreeBsdHost& bsd, const FreeBsdHost::CallPattern& pattern,
                   std::size_t word) {
  auto found = bsd.calls_matching(pattern);
  if (found.size() != 1 || found[0].size() <= word)
    throw std::runtime_error("expected one call " + FreeBsdHost::format_call(pattern));
  return found[0][word];
}

void create_and_set_cmd(FreeBsdHost& bsd, const std::vector<std::string>& create) {
  PotRun made = bsd.pot(create);
  if (!made.ok()) throw std::runtime_error("pot create: " + made.err);
  FreeBsdHost::expect_ok(bsd.pot({"set-cmd", "-p", create[2], "-c", "sleep 300"}), "set-cmd");
}

// start.sh _js_start, network_type inherit: `ip4=inherit` (ip6=inherit too for a dual
// stack). Deliberate difference (jail_params.h): both always, the original's dual stack.
// No interface, no pf at all.
TEST(FreeBsdNet, InheritJailSharesTheHostsStack) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  create_and_set_cmd(bsd, {"create", "-p", "web", "-b", "14.1", "-N", "inherit"});
  bsd.clear_calls();
  PotRun start = bsd.start("web");
  ASSERT_TRUE(start.ok()) << start.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"jail", "-c", "..."},
      {"jexec", "web", "/usr/bin/env", "-i", "..."},
  }));
  auto jail = bsd.calls_of("jail");
  ASSERT_EQ(jail.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(jail[0].end() - 4, jail[0].end()),
            (std::vector<std::string>{"path=" + pot_root(bsd, "web"), "persist", "ip4=inherit",
                                      "ip6=inherit"}));
  EXPECT_TRUE(bsd.calls_of("ifconfig").empty());
  EXPECT_TRUE(bsd.calls_of("pfctl").empty());
  bsd.clear_calls();
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.calls_in_order({{"jail", "-f", "-", "-q", "-r", "web"}}));
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

// start.sh _js_start, alias: `ip4.addr=EXTIF|IP` (jail(8) adds the alias to the interface
// and takes it away at jail -r). stop.sh also runs `ifconfig EXTIF inet IP -alias` if the
// address is still there; ours leaves that to jail(8), and checks it went.
TEST(FreeBsdNet, AliasJailGetsItsAddressOnTheHostsInterface) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  create_and_set_cmd(bsd, {"create", "-p", "web", "-b", "14.1", "-N", "alias", "-i", "10.0.2.50"});
  bsd.clear_calls();
  PotRun start = bsd.start("web");
  ASSERT_TRUE(start.ok()) << start.err;
  auto jail = bsd.calls_of("jail");
  ASSERT_EQ(jail.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(jail[0].end() - 2, jail[0].end()),
            (std::vector<std::string>{"persist", "ip4.addr=em0|10.0.2.50"}));
  auto em0 = bsd.state()["interfaces"]["em0"]["inet"];
  EXPECT_NE(em0.dump().find("10.0.2.50"), std::string::npos) << em0.dump();
  EXPECT_TRUE(bsd.calls_matching({"ifconfig", "epair", "..."}).empty());
  bsd.clear_calls();
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.calls_in_order({{"jail", "-f", "-", "-q", "-r", "web"}}));
  em0 = bsd.state()["interfaces"]["em0"]["inet"];
  EXPECT_EQ(em0.dump().find("10.0.2.50"), std::string::npos) << em0.dump();
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

// vnet-start.sh (the first public-bridge pot brings up the network) and start.sh
// _js_create_epair / _js_start. The original's sequence, with our deliberate differences
// (pf_network.h) named where they are:
TEST(FreeBsdNet, PublicBridgeFollowsVnetStartThenTheEpairThenTheJail) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  create_and_set_cmd(bsd, {"create", "-p", "web", "-b", "14.1", "-N", "public-bridge"});
  bsd.clear_calls();
  PotRun start = bsd.start("web");
  ASSERT_TRUE(start.ok()) << start.err;
  std::string bridge = chosen(bsd, {"ifconfig", "bridge0", "name", "*"}, 3);
  std::string epair = chosen(bsd, {"ifconfig", "epair0a", "name", "*"}, 3);
  EXPECT_TRUE(bsd.calls_in_order({
      // vnet-start.sh: forwarding on (the original adds -qn: output only).
      {"sysctl", "net.inet.ip.forwarding=1"},
      // _public_bridge_start: `ifconfig bridge create descr 'pot public bridge' group pot`,
      // then the gateway. Deliberate: ours creates it bare and renames it to the pot
      // layer's bridge name.
      {"ifconfig", "bridge", "create"},
      {"ifconfig", "bridge0", "inet", "10.192.0.1", "netmask", "255.192.0.0"},
      {"ifconfig", "bridge0", "name", "potbr*"},
      // pf: the module, pf.conf when the anchors are missing, the NAT anchor, enabled.
      // The original loads the NAT rules from a file; ours from stdin (-f -).
      {"kldload", "-n", "pf"},
      // rc.conf's pf_rules (sysrc -n pf_rules, as the original's init reads it): the fake
      // names the test's own pf.conf.
      {"sysrc", "-n", "pf_rules"},
      {"pfctl", "-f", (bsd.state_dir() / "pf.conf").string()},
      {"pfctl", "-a", "pot-nat", "-f", "-"},
      {"pfctl", "-e"},
      // _js_create_epair: created with the pot's name and group, renamed, up, on the
      // bridge. Deliberate: the host side's name comes from the root, the pot and the run
      // (interface_names.h), not from the time and the shell's pid.
      {"ifconfig", "epair", "create", "descr", "web", "group", "pot"},
      {"ifconfig", "epair0a", "name", "potv*"},
      {"ifconfig", epair, "up"},
      {"ifconfig", bridge, "addm", epair},
      // _js_start: `vnet vnet.interface=epair0b`.
      {"jail", "-c", "..."},
      // Deliberate: lo0 and the pot's address and route are set from outside with
      // jexec (the original writes rc.conf's ifconfig_epair0b and defaultrouter).
      {"jexec", "web", "ifconfig", "lo0", "inet", "127.0.0.1", "up"},
      {"jexec", "web", "ifconfig", "epair0b", "inet", "10.192.0.2/10"},
      {"jexec", "web", "ifconfig", "epair0b", "up"},
      {"jexec", "web", "route", "add", "-inet", "default", "10.192.0.1"},
      {"jexec", "web", "/usr/bin/env", "-i", "..."},
  }));
  auto jail = bsd.calls_of("jail");
  ASSERT_EQ(jail.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(jail[0].end() - 3, jail[0].end()),
            (std::vector<std::string>{"persist", "vnet", "vnet.interface=epair0b"}));
  // vnet-start.sh's NAT rule: `nat on $ext_if from $localnet to any -> ($ext_if:0)`.
  EXPECT_EQ(bsd.anchor_rules("pot-nat"),
            (std::vector<std::string>{"nat on em0 inet from 10.192.0.0/10 to any -> (em0:0)"}));
  EXPECT_TRUE(bsd.has_interface(epair));
  EXPECT_EQ(bsd.state()["interfaces"]["epair0b"]["vnet"], "web");

  // stop.sh: jail -r, the epair's host side destroyed (the jail side goes with it), the rdr
  // anchor flushed; the bridge and the NAT anchor stay for the next pot.
  bsd.clear_calls();
  PotRun stop = bsd.pot({"stop", "-p", "web"});
  ASSERT_TRUE(stop.ok()) << stop.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"jail", "-f", "-", "-q", "-r", "web"},
      {"ifconfig", epair, "destroy"},
      {"umount", "-f", pot_root(bsd, "web") + "/tmp"},
  }));
  EXPECT_TRUE(bsd.has_interface(bridge));
  EXPECT_FALSE(bsd.anchor_rules("pot-nat").empty());
  EXPECT_TRUE(bsd.nothing_left_of("web"));

  // The network is up: the next start makes only the epair.
  bsd.clear_calls();
  ASSERT_TRUE(bsd.start("web").ok());
  EXPECT_TRUE(bsd.calls_matching({"ifconfig", "bridge", "create"}).empty());
  EXPECT_EQ(bsd.calls_matching({"ifconfig", "epair", "create", "..."}).size(), 1u);
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

// create-private-bridge.sh writes R/bridges/NAME (net, gateway); vnet-start.sh
// _private_bridge_start creates the bridge with the gateway on the bridge's network, and the
// pot's epair joins it.
TEST(FreeBsdNet, PrivateBridgePotJoinsItsOwnBridge) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  PotRun bridge_made = bsd.pot({"create-private-bridge", "-B", "back", "-S", "4"});
  ASSERT_TRUE(bridge_made.ok()) << bridge_made.err;
  std::string conf = read_text(bsd.fs_root() / "bridges" / "back");
  EXPECT_NE(conf.find("name=back\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("net=10.192.0.8/29\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("gateway=10.192.0.9\n"), std::string::npos) << conf;
  EXPECT_TRUE(bsd.calls_of("ifconfig").empty()) << "the bridge is made at the first start";
  create_and_set_cmd(bsd,
                     {"create", "-p", "web", "-b", "14.1", "-N", "private-bridge", "-B", "back"});
  bsd.clear_calls();
  PotRun start = bsd.start("web");
  ASSERT_TRUE(start.ok()) << start.err;
  std::string epair = chosen(bsd, {"ifconfig", "epair0a", "name", "*"}, 3);
  std::string bridge = chosen(bsd, {"ifconfig", "bridge0", "name", "*"}, 3);
  EXPECT_TRUE(bsd.calls_in_order({
      {"ifconfig", "bridge", "create"},
      // The original: `ifconfig BRIDGE inet GATEWAY/29`; ours gives the netmask apart.
      {"ifconfig", "bridge0", "inet", "10.192.0.9", "netmask", "255.255.255.248"},
      {"ifconfig", "bridge0", "name", "potpb*"},
      {"ifconfig", "epair", "create", "descr", "web", "group", "pot"},
      {"ifconfig", bridge, "addm", epair},
      {"jail", "-c", "..."},
      {"jexec", "web", "ifconfig", "epair0b", "inet", "10.192.0.10/29"},
      {"jexec", "web", "route", "add", "-inet", "default", "10.192.0.9"},
  }));
  auto jail = bsd.calls_of("jail");
  ASSERT_EQ(jail.size(), 1u);
  EXPECT_EQ(jail[0].back(), "vnet.interface=epair0b");
  bsd.clear_calls();
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.calls_in_order({{"ifconfig", epair, "destroy"}}));
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

// export-ports.sh records the ports; start.sh _js_export_ports loads `pfctl -a
// pot-rdr/NAME -f FILE` with `rdr pass on EXTIF proto tcp from any to (EXTIF) port HOST ->
// IP port POT`, and stop.sh flushes it (`pfctl -a pot-rdr/NAME -F nat`). Deliberate
// differences (pf_rules.h): the rule says `inet`, a second rule on lo0 replaces the
// original's ncat localhost tunnel, the rules go through stdin, and they are loaded after
// jail -c (the pot's address is configured from outside then).
TEST(FreeBsdNet, ExportPortsLoadsTheRdrAnchorAndTheStopFlushesIt) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  create_and_set_cmd(bsd, {"create", "-p", "web", "-b", "14.1", "-N", "public-bridge"});
  PotRun ports = bsd.pot({"export-ports", "-p", "web", "-e", "80:8080"});
  ASSERT_TRUE(ports.ok()) << ports.err;
  bsd.clear_calls();
  PotRun start = bsd.start("web");
  ASSERT_TRUE(start.ok()) << start.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"jail", "-c", "..."},
      {"pfctl", "-a", "pot-rdr/web", "-f", "-"},
      {"jexec", "web", "/usr/bin/env", "-i", "..."},
  }));
  EXPECT_EQ(bsd.anchor_rules("pot-rdr/web"),
            (std::vector<std::string>{
                "rdr pass on em0 inet proto tcp from any to (em0) port 8080 -> 10.192.0.2 port 80",
                "rdr pass on lo0 inet proto tcp from any to 127.0.0.1 port 8080 -> 10.192.0.2 "
                "port 80"}));
  bsd.clear_calls();
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.calls_in_order({
      {"jail", "-f", "-", "-q", "-r", "web"},
      {"pfctl", "-a", "pot-rdr/web", "-F", "nat"},
  }));
  EXPECT_TRUE(bsd.anchor_rules("pot-rdr/web").empty());
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

// Two public-bridge pots share the bridge; each has its own epair, address and anchor, and
// stopping one leaves the other's alone.
TEST(FreeBsdNet, TwoBridgedPotsKeepTheirOwnEpairsAndAnchors) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  create_and_set_cmd(bsd, {"create", "-p", "web", "-b", "14.1", "-N", "public-bridge"});
  create_and_set_cmd(bsd, {"create", "-p", "db", "-b", "14.1", "-N", "public-bridge"});
  ASSERT_TRUE(bsd.pot({"export-ports", "-p", "web", "-e", "80:8080"}).ok());
  ASSERT_TRUE(bsd.pot({"export-ports", "-p", "db", "-e", "5432:15432"}).ok());
  ASSERT_TRUE(bsd.start("web").ok());
  ASSERT_TRUE(bsd.start("db").ok());
  EXPECT_EQ(bsd.calls_matching({"ifconfig", "bridge", "create"}).size(), 1u);
  EXPECT_EQ(bsd.calls_matching({"ifconfig", "epair", "create", "..."}).size(), 2u);
  ASSERT_EQ(bsd.anchor_rules("pot-rdr/db").size(), 2u);
  EXPECT_NE(bsd.anchor_rules("pot-rdr/db")[0].find("port 15432 -> 10.192.0.3 port 5432"),
            std::string::npos)
      << bsd.anchor_rules("pot-rdr/db")[0];
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.has_jail("db"));
  EXPECT_EQ(bsd.anchor_rules("pot-rdr/db").size(), 2u);
  EXPECT_TRUE(bsd.anchor_rules("pot-rdr/web").empty());
  auto names = bsd.interface_names();
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return n.starts_with("potv"); }),
            1);
  ASSERT_TRUE(bsd.pot({"stop", "-p", "db"}).ok());
  EXPECT_TRUE(bsd.nothing_left_of("db"));
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

}  // namespace
}  // namespace pot::testing
