#include "net/nftables.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "helpers/netns.h"
#include "helpers/require.h"
#include "net/ip_address.h"
#include "test_util.h"

namespace pot::net {
namespace {

using ::pot::testing::address_of;
using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::in_network_namespace;
using ::pot::testing::new_network_namespace;
using ::pot::testing::socket_address;

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

BridgeRules bridge(const std::string& name, const std::string& net4, bool isolated = false,
                   const std::string& net6 = "") {
  BridgeRules rules;
  rules.bridge = name;
  rules.network4 = IpNetwork::parse(net4);
  if (!net6.empty()) rules.network6 = IpNetwork::parse(net6);
  rules.isolated = isolated;
  return rules;
}

PortForward forward(const std::string& protocol, uint16_t host_port, const std::string& address,
                    uint16_t pot_port) {
  return PortForward{protocol, host_port, IpAddress::parse(address), pot_port};
}

// ---------------------------------------------------------------------------------------
// The command text.
// ---------------------------------------------------------------------------------------

TEST(NftablesText, SetupTableHasChainsSetsMapsAndReplacesRules) {
  std::string text = nft_setup_table("pot");
  EXPECT_TRUE(HasText(text, "add table inet pot\n"));
  EXPECT_TRUE(HasText(text, "add set inet pot nets4 { type ipv4_addr . ifname; flags interval; }"));
  EXPECT_TRUE(HasText(
      text,
      "add map inet pot fwd6 { type inet_proto . inet_service : ipv6_addr . inet_service; }"));
  EXPECT_TRUE(HasText(text,
                      "add chain inet pot prerouting { type nat hook prerouting priority dstnat; "
                      "policy accept; }"));
  EXPECT_TRUE(HasText(text, "add chain inet pot output { type nat hook output priority -100;"));
  // Rules come after a flush of their chain, in the same text (one transaction).
  EXPECT_LT(text.find("flush chain inet pot postrouting"), text.find("add rule"));
  EXPECT_TRUE(HasText(text,
                      "add rule inet pot output meta nfproto ipv4 fib daddr type local dnat ip to "
                      "meta l4proto . th dport map @fwd4"));
  EXPECT_TRUE(HasText(text, "postrouting iifname @bridges oifname != @bridges masquerade"));
  EXPECT_TRUE(HasText(text, "ct status & dnat == 0 ct state new drop"));
}

TEST(NftablesText, AddBridgeAddsItsElements) {
  std::string text = nft_add_bridge("pot", bridge("potbr1", "10.192.1.0/28", true, "fd00:1::/64"));
  EXPECT_TRUE(HasText(text, "add element inet pot bridges { \"potbr1\" }\n"));
  EXPECT_TRUE(HasText(text, "add element inet pot nets4 { 10.192.1.0/28 . \"potbr1\" }\n"));
  EXPECT_TRUE(HasText(text, "add element inet pot nets6 { fd00:1::/64 . \"potbr1\" }\n"));
  EXPECT_TRUE(HasText(text, "add element inet pot isolated_pairs { \"potbr1\" . \"potbr1\" }\n"));
  EXPECT_FALSE(HasText(text, "delete"));

  // A public bridge drops any isolation it had.
  text = nft_add_bridge("pot", bridge("potbr0", "10.192.0.0/10"));
  EXPECT_FALSE(HasText(text, "nets6"));
  EXPECT_TRUE(HasText(text, "delete element inet pot isolated { \"potbr0\" }\n"));
}

TEST(NftablesText, RemovalAddsEachElementBeforeDeletingIt) {
  std::string text = nft_remove_bridge("pot", bridge("potbr0", "10.192.0.0/10"));
  EXPECT_TRUE(HasText(text,
                      "add element inet pot bridges { \"potbr0\" }\n"
                      "delete element inet pot bridges { \"potbr0\" }\n"));
  EXPECT_TRUE(HasText(text, "delete element inet pot isolated_pairs { \"potbr0\" . \"potbr0\" }"));

  text = nft_remove_forwards("pot", {forward("udp", 53, "fd00:1::5", 5353)});
  EXPECT_EQ(text,
            "add element inet pot fwd6 { udp . 53 : fd00:1::5 . 5353 }\n"
            "delete element inet pot fwd6 { udp . 53 : fd00:1::5 . 5353 }\n");
}

TEST(NftablesText, ForwardsGoToTheMapOfTheirFamily) {
  std::string text = nft_add_forwards(
      "pot", {forward("tcp", 3000, "10.192.0.5", 80), forward("tcp", 3000, "fd00:1::5", 80)});
  EXPECT_EQ(text,
            "add element inet pot fwd4 { tcp . 3000 : 10.192.0.5 . 80 }\n"
            "add element inet pot fwd6 { tcp . 3000 : fd00:1::5 . 80 }\n");
  EXPECT_EQ(nft_add_forwards("pot", {}), "");
}

TEST(NftablesText, DeleteTableCreatesItFirst) {
  EXPECT_EQ(nft_delete_table("pot-1a2b"), "add table inet pot-1a2b\ndelete table inet pot-1a2b\n");
}

TEST(NftablesText, RefusesWhatCouldBreakTheCommands) {
  EXPECT_TRUE(
      HasText(ErrorOf([] { nft_setup_table("pot; flush ruleset"); }), "not a valid table name"));
  EXPECT_TRUE(HasText(ErrorOf([] { nft_setup_table("1pot"); }), "not a valid table name"));
  EXPECT_TRUE(HasText(ErrorOf([] { nft_add_bridge("pot", bridge("br\" }", "10.0.0.0/24")); }),
                      "not a valid interface name"));
  EXPECT_TRUE(
      HasText(ErrorOf([] { nft_add_bridge("pot", bridge("a-very-long-bridge", "10.0.0.0/24")); }),
              "not a valid interface name"));
  EXPECT_TRUE(HasText(ErrorOf([] { nft_add_bridge("pot", bridge("br0", "fd00::/64")); }),
                      "not an IPv4 network"));
  EXPECT_TRUE(HasText(ErrorOf([] { nft_add_forwards("pot", {forward("sctp", 1, "10.0.0.2", 1)}); }),
                      "`sctp` is not tcp or udp"));
  EXPECT_TRUE(HasText(ErrorOf([] { nft_add_forwards("pot", {forward("tcp", 0, "10.0.0.2", 1)}); }),
                      "port 0"));
}

// ---------------------------------------------------------------------------------------
// Against the kernel, each test in network namespaces of its own: nftables state belongs to
// a network namespace, so nothing here reaches the host's firewall.
// ---------------------------------------------------------------------------------------

class NftablesNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    POT_REQUIRE_ROOT("network namespaces and nftables");
    netns_ = new_network_namespace();
  }

  template <typename Fn>
  void in_netns(Fn&& fn) {
    in_network_namespace(netns_.get(), [&] {
      Nftables nft;
      fn(nft);
    });
  }

  size_t rule_count(Nftables& nft) {
    return count(nft.list_json("list table inet " + table_), "{\"rule\": ");
  }

  // Unique per process, so the check that the host has no such table means something.
  const std::string table_ = "pot_unit_" + std::to_string(::getpid());
  UniqueFd netns_;
};

TEST_F(NftablesNetns, SetupAppliesAndRunningItAgainKeepsOneCopyOfTheRules) {
  in_netns([&](Nftables& nft) {
    EXPECT_FALSE(nft.table_exists(table_));
    nft.run(nft_setup_table(table_));
    EXPECT_TRUE(nft.table_exists(table_));
    EXPECT_EQ(rule_count(nft), 10u);
    nft.run(nft_add_bridge(table_, bridge("potbr0", "10.192.0.0/10")));
    nft.run(nft_setup_table(table_));
    EXPECT_EQ(rule_count(nft), 10u);
    // Elements survive a second setup.
    EXPECT_TRUE(HasText(nft.list_json("list set inet " + table_ + " bridges"), "\"potbr0\""));
  });
  // The context made on that thread worked in that thread's namespace, not the test's.
  Nftables host;
  EXPECT_FALSE(host.table_exists(table_));
}

TEST_F(NftablesNetns, BridgesAndForwardsAreAddedAndRemovedEvenTwice) {
  in_netns([&](Nftables& nft) {
    nft.run(nft_setup_table(table_));
    // A private bridge inside the public bridge's network: both fit in nets4.
    BridgeRules public_bridge = bridge("potbr0", "10.192.0.0/10", false, "fd00:1::/64");
    BridgeRules private_bridge = bridge("potbr1", "10.192.1.0/28", true);
    std::vector<PortForward> forwards = {forward("tcp", 3000, "10.192.0.5", 80),
                                         forward("udp", 5353, "10.192.1.2", 53),
                                         forward("tcp", 3000, "fd00:1::5", 8080)};
    nft.run(nft_add_bridge(table_, public_bridge) + nft_add_bridge(table_, private_bridge) +
            nft_add_forwards(table_, forwards));
    nft.run(nft_add_bridge(table_, private_bridge));  // again: no error

    std::string fwd4 = nft.list_json("list map inet " + table_ + " fwd4");
    EXPECT_TRUE(HasText(fwd4, "\"10.192.0.5\""));
    EXPECT_TRUE(HasText(fwd4, "\"10.192.1.2\""));
    EXPECT_TRUE(HasText(fwd4, "3000"));
    EXPECT_TRUE(HasText(nft.list_json("list map inet " + table_ + " fwd6"), "\"fd00:1::5\""));
    EXPECT_TRUE(HasText(nft.list_json("list set inet " + table_ + " isolated"), "\"potbr1\""));
    std::string nets4 = nft.list_json("list set inet " + table_ + " nets4");
    EXPECT_TRUE(HasText(nets4, "\"10.192.0.0\""));
    EXPECT_TRUE(HasText(nets4, "\"10.192.1.0\""));

    for (int i = 0; i < 2; ++i) {
      nft.run(nft_remove_forwards(table_, forwards));
      nft.run(nft_remove_bridge(table_, private_bridge));
    }
    fwd4 = nft.list_json("list map inet " + table_ + " fwd4");
    EXPECT_FALSE(HasText(fwd4, "\"10.192.0.5\""));
    EXPECT_FALSE(HasText(nft.list_json("list set inet " + table_ + " isolated"), "potbr1"));
    nets4 = nft.list_json("list set inet " + table_ + " nets4");
    EXPECT_FALSE(HasText(nets4, "\"10.192.1.0\""));
    EXPECT_TRUE(HasText(nets4, "\"10.192.0.0\""));

    // Never added at all.
    nft.run(nft_remove_bridge(table_, bridge("potbr9", "172.30.0.0/24", true, "fd00:9::/64")));
    nft.run(nft_remove_forwards(table_, {forward("udp", 1, "fd00:9::2", 2)}));
  });
}

TEST_F(NftablesNetns, AHostPortTakenByAnotherPotIsNeitherTakenOverNorRemoved) {
  in_netns([&](Nftables& nft) {
    nft.run(nft_setup_table(table_));
    nft.run(nft_add_forwards(table_, {forward("tcp", 3000, "10.192.0.5", 80)}));
    std::vector<PortForward> other = {forward("tcp", 3000, "10.192.0.6", 80)};
    EXPECT_TRUE(HasText(ErrorOf([&] { nft.run(nft_add_forwards(table_, other)); }), "File exists"));
    EXPECT_TRUE(
        HasText(ErrorOf([&] { nft.run(nft_remove_forwards(table_, other)); }), "File exists"));
    EXPECT_TRUE(HasText(nft.list_json("list map inet " + table_ + " fwd4"), "\"10.192.0.5\""));
  });
}

TEST_F(NftablesNetns, DeleteTableTwiceAndWhenMissing) {
  in_netns([&](Nftables& nft) {
    nft.run(nft_delete_table(table_));
    nft.run(nft_setup_table(table_));
    nft.run(nft_delete_table(table_));
    EXPECT_FALSE(nft.table_exists(table_));
    nft.run(nft_delete_table(table_));
  });
}

TEST_F(NftablesNetns, ErrorsAreOneLineAndNameTheProblem) {
  in_netns([&](Nftables& nft) {
    std::string error =
        ErrorOf([&] { nft.run("add rule inet " + table_ + " nowhere ip saddr 10.0.0.1 accept"); });
    EXPECT_EQ(error.rfind("nftables: ", 0), 0u) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_TRUE(HasText(error, "No such file or directory"));
    EXPECT_TRUE(HasText(error, "nowhere"));

    error = ErrorOf([&] { nft.run("add tabel inet x"); });
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_TRUE(HasText(error, "syntax error"));
    EXPECT_TRUE(HasText(error, "tabel"));

    // A failed transaction applies nothing, the good commands before the bad one included,
    // and the error quotes the command that failed.
    error =
        ErrorOf([&] { nft.run(nft_setup_table(table_) + "add rule inet x y ip saddr 1.1.1.1\n"); });
    EXPECT_TRUE(HasText(error, ": add rule inet x y ip saddr 1.1.1.1")) << error;
    EXPECT_FALSE(nft.table_exists(table_));
    EXPECT_TRUE(HasText(ErrorOf([&] { nft.list_json("list table inet " + table_); }),
                        "No such file or directory"));
    // The context is still good after errors.
    nft.run(nft_setup_table(table_));
    // The same bridge with an overlapping network: the nets4 element is the culprit.
    error = ErrorOf([&] {
      nft.run(nft_add_bridge(table_, bridge("potbr0", "10.0.0.0/24")) +
              nft_add_bridge(table_, bridge("potbr0", "10.0.0.0/25")));
    });
    EXPECT_TRUE(HasText(
        error, "File exists: add element inet " + table_ + " nets4 { 10.0.0.0/25 . \"potbr0\" }"))
        << error;
  });
}

// ---------------------------------------------------------------------------------------
// Real traffic. Three namespaces: "host" (pot's view: the bridge potbr0 10.192.0.1/24 and
// fd00:1::1/64, and ext0 192.168.50.1/24, fd00:50::1/64, the way out), "pot" (eth0
// 10.192.0.5/24, fd00:1::5/64, behind potbr0) and "world" (192.168.50.2, fd00:50::2, the
// other end of ext0). The pot listens on port 80, the world on 8080.
// ---------------------------------------------------------------------------------------

// Runs a shell command in `netns_fd` (the shell inherits the calling thread's namespace).
void sh(int netns_fd, const std::string& command) {
  in_network_namespace(netns_fd, [&] {
    int status = std::system(command.c_str());
    if (status != 0) throw Error("`" + command + "` failed with status " + std::to_string(status));
  });
}

UniqueFd socket_in(int netns_fd, int family) {
  UniqueFd fd;
  in_network_namespace(netns_fd, [&] {
    fd.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_sys("socket");
  });
  return fd;
}

UniqueFd listener_in(int netns_fd, const std::string& address, uint16_t port) {
  IpAddress ip = IpAddress::parse(address);
  UniqueFd fd = socket_in(netns_fd, ip.af());
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!ip.is_v4()) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  socklen_t length = 0;
  sockaddr_storage storage = socket_address(ip, port, length);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) throw_sys("bind");
  if (::listen(fd.get(), 8) != 0) throw_sys("listen");
  return fd;
}

// Connects from `netns_fd` to address:port and returns the client's address as `listener`
// saw it, or "no connection: <why>".
std::string peer_seen(int netns_fd, const std::string& address, uint16_t port, int listener,
                      int timeout_ms = 2000) {
  IpAddress ip = IpAddress::parse(address);
  UniqueFd client = socket_in(netns_fd, ip.af());
  ::fcntl(client.get(), F_SETFL, O_NONBLOCK);
  socklen_t length = 0;
  sockaddr_storage storage = socket_address(ip, port, length);
  if (::connect(client.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0 &&
      errno != EINPROGRESS) {
    return std::string("no connection: ") + std::strerror(errno);
  }
  pollfd wait{client.get(), POLLOUT, 0};
  if (::poll(&wait, 1, timeout_ms) != 1) return "no connection: timed out";
  int error = 0;
  socklen_t error_length = sizeof error;
  ::getsockopt(client.get(), SOL_SOCKET, SO_ERROR, &error, &error_length);
  if (error != 0) return std::string("no connection: ") + std::strerror(error);
  pollfd incoming{listener, POLLIN, 0};
  if (::poll(&incoming, 1, timeout_ms) != 1) return "no connection: the listener saw nothing";
  sockaddr_storage peer{};
  socklen_t peer_length = sizeof peer;
  UniqueFd accepted(
      ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_length, SOCK_CLOEXEC));
  if (!accepted) throw_sys("accept");
  return address_of(peer);
}

TEST(NftablesTraffic, ExportedPortsMasqueradeAndPrivateBridges) {
  POT_REQUIRE_ROOT("network namespaces and nftables");
  POT_REQUIRE(std::system("ip -V >/dev/null 2>&1") == 0, "needs iproute2's ip");
  UniqueFd host = new_network_namespace();
  UniqueFd pot = new_network_namespace();
  UniqueFd world = new_network_namespace();
  // iproute2 takes a namespace as a path: this process's fds to them.
  const std::string self = "/proc/" + std::to_string(::getpid()) + "/fd/";
  const std::string pot_path = self + std::to_string(pot.get());
  const std::string world_path = self + std::to_string(world.get());
  const std::string table = "pot_traffic";

  // No duplicate address detection, link-local addresses included (the links are all made
  // here, some then moved): while the bridge's link-local address is tentative, IPv6 is not
  // forwarded to and from the pot for a second or two.
  sh(host.get(),
     "set -e; ip link set lo up\n"
     "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad\n"
     "ip link add name potbr0 type bridge\n"
     "ip addr add 10.192.0.1/24 dev potbr0\n"
     "ip addr add fd00:1::1/64 dev potbr0 nodad\n"
     "ip link set potbr0 up\n"
     "ip link add name vpot0 type veth peer name eth0\n"
     "ip link set vpot0 master potbr0\n"
     // br_netfilter bridges a pot's packets to itself back out of its own port.
     "ip link set vpot0 type bridge_slave hairpin on\n"
     "ip link set vpot0 up\n"
     "ip link add name ext0 type veth peer name eth1\n"
     "ip addr add 192.168.50.1/24 dev ext0\n"
     "ip addr add fd00:50::1/64 dev ext0 nodad\n"
     "ip link set ext0 up\n"
     "echo 1 > /proc/sys/net/ipv4/ip_forward\n"
     "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding\n"
     "echo 1 > /proc/sys/net/ipv4/conf/potbr0/route_localnet\n");
  sh(host.get(), "ip link set eth0 netns " + pot_path + " && ip link set eth1 netns " + world_path);
  sh(pot.get(),
     "set -e; ip link set lo up\n"
     "ip addr add 10.192.0.5/24 dev eth0\n"
     "ip addr add fd00:1::5/64 dev eth0 nodad\n"
     "ip link set eth0 up\n"
     "ip route add default via 10.192.0.1\n"
     "ip -6 route add default via fd00:1::1\n");
  sh(world.get(),
     "set -e; ip link set lo up\n"
     "ip addr add 192.168.50.2/24 dev eth1\n"
     "ip addr add fd00:50::2/64 dev eth1 nodad\n"
     "ip link set eth1 up\n"
     // Only to show that the private bridge stops direct connections.
     "ip route add 10.192.0.0/24 via 192.168.50.1\n");

  UniqueFd pot80 = listener_in(pot.get(), "0.0.0.0", 80);
  UniqueFd pot80v6 = listener_in(pot.get(), "::", 80);
  UniqueFd world8080 = listener_in(world.get(), "0.0.0.0", 8080);

  BridgeRules potbr0 = bridge("potbr0", "10.192.0.0/24", false, "fd00:1::/64");
  std::vector<PortForward> forwards = {forward("tcp", 3000, "10.192.0.5", 80),
                                       forward("tcp", 3000, "fd00:1::5", 80)};
  auto apply = [&](const std::string& commands) {
    in_network_namespace(host.get(), [&] { Nftables().run(commands); });
  };
  apply(nft_setup_table(table) + nft_add_bridge(table, potbr0) + nft_add_forwards(table, forwards));

  // From the world to the host's address: DNAT in prerouting, the client's address kept.
  EXPECT_EQ(peer_seen(world.get(), "192.168.50.1", 3000, pot80.get()), "192.168.50.2");
  EXPECT_EQ(peer_seen(world.get(), "fd00:50::1", 3000, pot80v6.get()), "fd00:50::2");
  // From the host itself: the output chain; 127.0.0.1 needs route_localnet and masquerade.
  EXPECT_EQ(peer_seen(host.get(), "127.0.0.1", 3000, pot80.get()), "10.192.0.1");
  EXPECT_EQ(peer_seen(host.get(), "192.168.50.1", 3000, pot80.get()), "192.168.50.1");
  EXPECT_EQ(peer_seen(host.get(), "fd00:50::1", 3000, pot80v6.get()), "fd00:50::1");
  // The pot through a host address back to itself (hairpin: masqueraded to the bridge).
  EXPECT_EQ(peer_seen(pot.get(), "192.168.50.1", 3000, pot80.get()), "10.192.0.1");
  EXPECT_EQ(peer_seen(pot.get(), "fd00:50::1", 3000, pot80v6.get()), "fd00:1::1");
  // The pot to the world: masqueraded behind ext0.
  EXPECT_EQ(peer_seen(pot.get(), "192.168.50.2", 8080, world8080.get()), "192.168.50.1");
  // Straight to the pot's address: a public bridge lets it in.
  EXPECT_EQ(peer_seen(world.get(), "10.192.0.5", 80, pot80.get()), "192.168.50.2");

  // Made private: direct connections stop, the exported port and the way out stay.
  potbr0.isolated = true;
  apply(nft_add_bridge(table, potbr0));
  EXPECT_EQ(peer_seen(world.get(), "10.192.0.5", 80, pot80.get(), 500), "no connection: timed out");
  EXPECT_EQ(peer_seen(world.get(), "192.168.50.1", 3000, pot80.get()), "192.168.50.2");
  EXPECT_EQ(peer_seen(pot.get(), "192.168.50.2", 8080, world8080.get()), "192.168.50.1");
  EXPECT_EQ(peer_seen(pot.get(), "192.168.50.1", 3000, pot80.get()), "10.192.0.1");

  // Without the forwards nothing answers on the host's port 3000.
  apply(nft_remove_forwards(table, forwards));
  EXPECT_EQ(peer_seen(host.get(), "127.0.0.1", 3000, pot80.get()),
            "no connection: Connection refused");
}

}  // namespace
}  // namespace pot::net
