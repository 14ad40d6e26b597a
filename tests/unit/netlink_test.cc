#include "net/netlink.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <linux/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "core/error.h"
#include "core/unique_fd.h"
#include "helpers/netns.h"
#include "helpers/require.h"
#include "net/ip_address.h"
#include "test_util.h"

namespace pot::net {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::in_network_namespace;
using ::pot::testing::new_network_namespace;

std::string this_thread_namespace() {
  char target[64] = {};
  ssize_t n = ::readlink("/proc/thread-self/ns/net", target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
}

// What the kernel says about a link, read with a socket of the test's own, so the checks do
// not rely on the code under test. Flags are 0 and master is 0 when the link is missing.
struct LinkState {
  unsigned flags = 0;
  int master = 0;
};

LinkState link_state(int netns_fd, const std::string& name) {
  LinkState state;
  in_network_namespace(netns_fd, [&] {
    nl_sock* sock = nl_socket_alloc();
    if (sock == nullptr || nl_connect(sock, NETLINK_ROUTE) < 0) throw Error("nl_connect");
    rtnl_link* link = nullptr;
    if (rtnl_link_get_kernel(sock, 0, name.c_str(), &link) == 0 && link != nullptr) {
      state.flags = rtnl_link_get_flags(link);
      state.master = rtnl_link_get_master(link);
      rtnl_link_put(link);
    }
    nl_socket_free(sock);
  });
  return state;
}

bool has_address(const std::vector<InterfaceAddress>& addresses, const std::string& ip,
                 int prefix_length) {
  return std::any_of(addresses.begin(), addresses.end(), [&](const InterfaceAddress& a) {
    return a.address == IpAddress::parse(ip) && a.prefix_length == prefix_length;
  });
}

// Two throwaway namespaces: "host" plays the host (bridges, the host ends of veth pairs),
// "pot" plays a pot's namespace.
class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    POT_REQUIRE_ROOT("network namespaces");
    host_ns_ = new_network_namespace();
    pot_ns_ = new_network_namespace();
    host_ = std::make_unique<Netlink>(host_ns_.get());
    pot_ = std::make_unique<Netlink>(pot_ns_.get());
  }

  void TearDown() override {
    host_.reset();
    pot_.reset();
    host_ns_.reset();
    pot_ns_.reset();
  }

  // The pair the start of a pot makes: `pveth0` here, `eth0` in the pot.
  void make_pot_veth() { host_->create_veth("pveth0", "eth0", pot_ns_.get()); }

  UniqueFd host_ns_;
  UniqueFd pot_ns_;
  std::unique_ptr<Netlink> host_;
  std::unique_ptr<Netlink> pot_;
};

TEST_F(NetlinkTest, SocketLivesInItsNamespaceAndTheThreadComesBack) {
  std::string before = this_thread_namespace();
  Netlink other(pot_ns_.get());
  EXPECT_EQ(this_thread_namespace(), before);
  // A new namespace has only its loopback.
  EXPECT_EQ(other.links_with_prefix(""), std::vector<std::string>{"lo"});
  host_->ensure_bridge("potbr0");
  EXPECT_FALSE(other.link_exists("potbr0"));
}

TEST_F(NetlinkTest, BadNamespaceFdIsAnErrorAndTheThreadStaysPut) {
  std::string before = this_thread_namespace();
  EXPECT_TRUE(HasText(ErrorOf([] { Netlink bad(-1); }), "Bad file descriptor"));
  EXPECT_EQ(this_thread_namespace(), before);
}

TEST_F(NetlinkTest, DefaultConstructorUsesTheCallingThreadsNamespace) {
  host_->ensure_bridge("potbr0");
  bool seen = false;
  in_network_namespace(host_ns_.get(), [&] { seen = Netlink().link_exists("potbr0"); });
  EXPECT_TRUE(seen);
}

TEST_F(NetlinkTest, EnsureBridgeCreatesOnceAndIsIdempotent) {
  EXPECT_FALSE(host_->link_exists("potbr0"));
  host_->ensure_bridge("potbr0");
  EXPECT_TRUE(host_->link_exists("potbr0"));
  int index = host_->link_index("potbr0");
  EXPECT_GT(index, 0);
  host_->ensure_bridge("potbr0");
  EXPECT_EQ(host_->link_index("potbr0"), index);
  EXPECT_FALSE(pot_->link_exists("potbr0"));
}

TEST_F(NetlinkTest, EnsureBridgeRefusesAnotherKindOfLink) {
  make_pot_veth();
  std::string message = ErrorOf([&] { host_->ensure_bridge("pveth0"); });
  EXPECT_TRUE(HasText(message, "creating bridge `pveth0`"));
  EXPECT_TRUE(HasText(message, "not a bridge (it is veth)"));
}

TEST_F(NetlinkTest, VethPeerIsCreatedInThePotNamespace) {
  make_pot_veth();
  EXPECT_TRUE(host_->link_exists("pveth0"));
  EXPECT_FALSE(host_->link_exists("eth0"));
  EXPECT_TRUE(pot_->link_exists("eth0"));
  EXPECT_FALSE(pot_->link_exists("pveth0"));

  std::string message = ErrorOf([&] { make_pot_veth(); });
  EXPECT_TRUE(HasText(message, "creating veth `pveth0`"));
  EXPECT_TRUE(HasText(message, "File exists"));
}

TEST_F(NetlinkTest, AddressesAreAddedOnceAndReadBack) {
  make_pot_veth();
  InterfaceAddress v4{IpAddress::parse("10.192.0.5"), 10};
  InterfaceAddress v6{IpAddress::parse("fd00:1::5"), 64};
  pot_->add_address("eth0", v4);
  pot_->add_address("eth0", v6);
  pot_->add_address("eth0", v4);  // already there: fine
  pot_->add_address("eth0", v6);
  pot_->set_up("eth0");

  auto addresses = pot_->addresses("eth0");
  EXPECT_TRUE(has_address(addresses, "10.192.0.5", 10));
  EXPECT_TRUE(has_address(addresses, "fd00:1::5", 64));
  EXPECT_EQ(std::count_if(addresses.begin(), addresses.end(),
                          [](const InterfaceAddress& a) { return a.address.is_v4(); }),
            1);
  EXPECT_TRUE(host_->addresses("pveth0").empty());
}

TEST_F(NetlinkTest, AddressErrorsNameTheLink) {
  std::string message = ErrorOf([&] {
    host_->add_address("nosuch0", {IpAddress::parse("10.0.0.1"), 24});
  });
  EXPECT_TRUE(HasText(message, "adding address 10.0.0.1/24 to `nosuch0`"));
  EXPECT_TRUE(HasText(message, "No such device"));
  host_->ensure_bridge("potbr0");
  EXPECT_TRUE(HasText(ErrorOf([&] {
                        host_->add_address("potbr0", {IpAddress::parse("10.0.0.1"), 33});
                      }),
                      "prefix length"));
}

TEST_F(NetlinkTest, SetMasterAndSetUp) {
  host_->ensure_bridge("potbr0");
  make_pot_veth();
  host_->set_master("pveth0", "potbr0");
  host_->set_up("pveth0");
  host_->set_up("potbr0");
  LinkState veth = link_state(host_ns_.get(), "pveth0");
  EXPECT_EQ(veth.master, host_->link_index("potbr0"));
  EXPECT_NE(veth.flags & IFF_UP, 0u);
  EXPECT_NE(link_state(host_ns_.get(), "potbr0").flags & IFF_UP, 0u);
  EXPECT_EQ(link_state(pot_ns_.get(), "eth0").flags & IFF_UP, 0u);  // the other end is apart

  std::string message = ErrorOf([&] { host_->set_master("pveth0", "nosuchbr"); });
  EXPECT_TRUE(HasText(message, "attaching `pveth0` to bridge `nosuchbr`"));
  EXPECT_TRUE(HasText(message, "`nosuchbr`: No such device"));
  EXPECT_TRUE(HasText(ErrorOf([&] { host_->set_up("nosuch0"); }), "bringing up `nosuch0`"));
}

TEST_F(NetlinkTest, DefaultRoutesAreAddedAndFound) {
  make_pot_veth();
  host_->set_up("pveth0");
  pot_->add_address("eth0", {IpAddress::parse("10.192.0.5"), 10});
  pot_->add_address("eth0", {IpAddress::parse("fd00:1::5"), 64});
  pot_->set_up("eth0");
  EXPECT_FALSE(pot_->default_route(Family::kV4).has_value());
  EXPECT_FALSE(pot_->default_route(Family::kV6).has_value());

  pot_->add_default_route("eth0", IpAddress::parse("10.192.0.1"));
  pot_->add_default_route("eth0", IpAddress::parse("fd00:1::1"));
  pot_->add_default_route("eth0", IpAddress::parse("10.192.0.1"));  // already there: fine
  pot_->add_default_route("eth0", IpAddress::parse("fd00:1::1"));

  auto v4 = pot_->default_route(Family::kV4);
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->interface, "eth0");
  ASSERT_TRUE(v4->gateway.has_value());
  EXPECT_EQ(*v4->gateway, IpAddress::parse("10.192.0.1"));
  auto v6 = pot_->default_route(Family::kV6);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->interface, "eth0");
  ASSERT_TRUE(v6->gateway.has_value());
  EXPECT_EQ(*v6->gateway, IpAddress::parse("fd00:1::1"));
  EXPECT_FALSE(host_->default_route(Family::kV4).has_value());
}

TEST_F(NetlinkTest, RouteErrorsCarryTheKernelsReason) {
  make_pot_veth();
  pot_->set_up("eth0");
  // No address on eth0, so the gateway is unreachable: libnl alone would only say
  // "Unspecific failure" for ENETUNREACH.
  std::string message =
      ErrorOf([&] { pot_->add_default_route("eth0", IpAddress::parse("10.192.0.1")); });
  EXPECT_TRUE(HasText(message, "adding a default route via 10.192.0.1 on `eth0`"));
  EXPECT_TRUE(HasText(message, "Network is unreachable")) << message;
}

TEST_F(NetlinkTest, DeleteLinkRemovesBothEndsAndMissingIsFine) {
  make_pot_veth();
  host_->delete_link("pveth0");
  EXPECT_FALSE(host_->link_exists("pveth0"));
  EXPECT_FALSE(pot_->link_exists("eth0"));
  host_->delete_link("pveth0");
  host_->delete_link("nosuch0");
}

TEST_F(NetlinkTest, MacvlanIsCreatedOnItsParentInThePotNamespace) {
  // No dummy driver everywhere: a veth pair kept in the host namespace is the parent.
  host_->create_veth("pveth0", "pveth1", host_ns_.get());
  ASSERT_TRUE(host_->link_exists("pveth1"));
  host_->create_macvlan("eth0", "pveth0", pot_ns_.get());
  EXPECT_TRUE(pot_->link_exists("eth0"));
  EXPECT_FALSE(host_->link_exists("eth0"));

  std::string message = ErrorOf([&] { host_->create_macvlan("eth1", "nosuch0", pot_ns_.get()); });
  EXPECT_TRUE(HasText(message, "creating macvlan `eth1` on `nosuch0`"));
  EXPECT_TRUE(HasText(message, "No such device"));
  EXPECT_FALSE(pot_->link_exists("eth1"));
}

TEST_F(NetlinkTest, LinkIndexOfAMissingLinkNamesIt) {
  EXPECT_FALSE(host_->link_exists("nosuch0"));
  EXPECT_EQ(ErrorOf([&] { host_->link_index("nosuch0"); }),
            "finding link `nosuch0`: No such device");
  EXPECT_GT(host_->link_index("lo"), 0);
}

TEST_F(NetlinkTest, OverlongNamesAreRefusedNotTruncated) {
  // libnl would cut the name to 15 bytes and make `potveth-0123456`.
  std::string long_name = "potveth-0123456789";
  EXPECT_TRUE(HasText(ErrorOf([&] { host_->ensure_bridge(long_name); }),
                      "`potveth-0123456789` is not an interface name"));
  EXPECT_TRUE(HasText(ErrorOf([&] { host_->create_veth(long_name, "eth0", pot_ns_.get()); }),
                      "is not an interface name"));
  EXPECT_TRUE(host_->links_with_prefix("potveth").empty());
  EXPECT_FALSE(host_->link_exists(long_name));

  // Deleting by an overlong name must not delete the link it would be cut to.
  host_->ensure_bridge("potveth-0123456");  // 15 bytes: the longest name there can be
  host_->delete_link("potveth-01234567");
  EXPECT_TRUE(host_->link_exists("potveth-0123456"));
}

TEST_F(NetlinkTest, LinksWithPrefix) {
  host_->ensure_bridge("potbr0");
  host_->ensure_bridge("potbr1");
  host_->ensure_bridge("otherbr0");
  auto names = host_->links_with_prefix("potbr");
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"potbr0", "potbr1"}));
  EXPECT_TRUE(host_->links_with_prefix("nothing").empty());
}

TEST_F(NetlinkTest, SetNetSysctlWritesInTheCallersNamespaceOnly) {
  std::string own_before = ::pot::testing::read_text("/proc/sys/net/ipv4/ip_forward");
  std::string after_on;
  std::string after_off;
  in_network_namespace(host_ns_.get(), [&] {
    set_net_sysctl("ipv4/ip_forward", "1");
    after_on = ::pot::testing::read_text("/proc/sys/net/ipv4/ip_forward");
    set_net_sysctl("ipv4/ip_forward", "1");  // already set: no write
    set_net_sysctl("ipv4/ip_forward", "0");
    after_off = ::pot::testing::read_text("/proc/sys/net/ipv4/ip_forward");
  });
  EXPECT_EQ(after_on, "1\n");
  EXPECT_EQ(after_off, "0\n");
  EXPECT_EQ(::pot::testing::read_text("/proc/sys/net/ipv4/ip_forward"), own_before);

  std::string message;
  in_network_namespace(host_ns_.get(),
                       [&] { message = ErrorOf([] { set_net_sysctl("ipv4/nosuch", "1"); }); });
  EXPECT_TRUE(HasText(message, "/proc/sys/net/ipv4/nosuch"));
}

}  // namespace
}  // namespace pot::net
