// Addresses, networks, address allocation, subnet carving, port-export specs and interface
// names: the pure parts of pot's networking, checked the way a user would see them.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cctype>
#include <cstdint>
#include <iterator>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "net/address_pool.h"
#include "net/interface_names.h"
#include "net/ip_address.h"
#include "net/port_spec.h"
#include "test_util.h"

namespace pot::net {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;

constexpr uint64_t kSaturated = uint64_t{1} << 62;

IpAddress ip(const std::string& text) {
  return IpAddress::parse(text);
}
IpNetwork net(const std::string& text) {
  return IpNetwork::parse(text);
}

}  // namespace

// Readable failure messages ("10.1.2.4" rather than a byte dump); static, so they cannot
// clash with a PrintTo defined elsewhere.
static void PrintTo(const IpAddress& address, std::ostream* os) {
  *os << address.str();
}
static void PrintTo(const IpNetwork& network, std::ostream* os) {
  *os << network.str();
}
static void PrintTo(const PortExport& port, std::ostream* os) {
  *os << port.str();
}

namespace {

// ---------------------------------------------------------------------------------------------
// IpAddress

TEST(IpAddress, ParsesAndPrintsIpv4) {
  for (const char* text : {"0.0.0.0", "10.192.0.1", "192.168.1.255", "255.255.255.255"}) {
    IpAddress address = IpAddress::parse(text);
    EXPECT_TRUE(address.is_v4()) << text;
    EXPECT_EQ(address.size(), 4u) << text;
    EXPECT_EQ(address.str(), text);
  }
}

TEST(IpAddress, ParsesAndPrintsIpv6Canonically) {
  EXPECT_EQ(ip("fd00::1").str(), "fd00::1");
  EXPECT_EQ(ip("fd00:0:0:0:0:0:0:1").str(), "fd00::1");
  EXPECT_EQ(ip("FD00:0000::0001").str(), "fd00::1");
  EXPECT_EQ(ip("::").str(), "::");
  EXPECT_EQ(ip("2001:db8::ff00:42:8329").str(), "2001:db8::ff00:42:8329");
  IpAddress v6 = ip("fd00::1");
  EXPECT_FALSE(v6.is_v4());
  EXPECT_EQ(v6.size(), 16u);
}

TEST(IpAddress, SameTextSameValue) {
  EXPECT_EQ(ip("10.0.0.1"), ip("10.0.0.1"));
  EXPECT_NE(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_EQ(ip("fd00::1"), ip("fd00:0::0:1"));
  // An IPv4 address is never equal to an IPv6 one, even the mapped form.
  EXPECT_NE(ip("10.0.0.1"), ip("::ffff:10.0.0.1"));
  EXPECT_NE(ip("0.0.0.0"), ip("::"));
}

TEST(IpAddress, OrdersNumericallyNotAlphabetically) {
  EXPECT_LT(ip("10.0.0.2"), ip("10.0.0.10"));
  EXPECT_LT(ip("10.0.0.255"), ip("10.0.1.0"));
  EXPECT_LT(ip("9.255.255.255"), ip("10.0.0.0"));
  EXPECT_LT(ip("fd00::2"), ip("fd00::10"));
}

TEST(IpAddress, TryParseRejectsNonAddresses) {
  for (const char* bad :
       {"", "10", "10.0.0", "10.0.0.256", "256.0.0.1", "10.0.0.1.2", " 10.0.0.1", "10.0.0.1 ",
        "10.0.0.1/24", "fd00::1::2", "fd00::g", "localhost", "fd00::/64", "10.0.0.-1"}) {
    EXPECT_FALSE(IpAddress::try_parse(bad).has_value()) << '"' << bad << '"';
    EXPECT_THROW(IpAddress::parse(bad), Error) << '"' << bad << '"';
  }
  EXPECT_TRUE(IpAddress::try_parse("10.0.0.1").has_value());
  EXPECT_TRUE(IpAddress::try_parse("fd00::1").has_value());
}

TEST(IpAddress, ParseErrorNamesTheText) {
  std::string message = ErrorOf([] { IpAddress::parse("10.0.0.300"); });
  EXPECT_TRUE(HasText(message, "`10.0.0.300`"));
  EXPECT_TRUE(HasText(message, "not an IPv4 or IPv6 address"));
}

TEST(IpAddress, PlusCarriesAcrossBytes) {
  EXPECT_EQ(ip("10.0.0.1").plus(0), ip("10.0.0.1"));
  EXPECT_EQ(ip("10.0.0.1").plus(1), ip("10.0.0.2"));
  EXPECT_EQ(ip("10.0.0.255").plus(1), ip("10.0.1.0"));
  EXPECT_EQ(ip("10.0.255.255").plus(1), ip("10.1.0.0"));
  EXPECT_EQ(ip("10.0.0.0").plus(256), ip("10.0.1.0"));
  EXPECT_EQ(ip("10.0.0.0").plus(0x01020304), ip("11.2.3.4"));
  EXPECT_EQ(ip("10.0.0.200").plus(100), ip("10.0.1.44"));
  EXPECT_EQ(ip("fd00::ffff").plus(1), ip("fd00::1:0"));
  EXPECT_EQ(ip("fd00::").plus(0xffffffffffffffffULL), ip("fd00::ffff:ffff:ffff:ffff"));
  EXPECT_EQ(ip("fd00::ffff:ffff:ffff:ffff").plus(1), ip("fd00:0:0:1::"));
}

TEST(IpAddress, PlusKeepsTheFamilyAndWraps) {
  EXPECT_TRUE(ip("10.0.0.1").plus(5).is_v4());
  EXPECT_FALSE(ip("fd00::1").plus(5).is_v4());
  // Documented: wraps silently, staying a 4-byte address.
  EXPECT_EQ(ip("255.255.255.255").plus(1), ip("0.0.0.0"));
  EXPECT_EQ(ip("10.0.0.1").plus(uint64_t{1} << 32), ip("10.0.0.1"));
}

TEST(IpAddress, AddressFamilyForSockets) {
  EXPECT_EQ(ip("10.0.0.1").af(), AF_INET);
  EXPECT_EQ(ip("fd00::1").af(), AF_INET6);
}

// ---------------------------------------------------------------------------------------------
// IpNetwork

TEST(IpNetwork, ParsesAndPrints) {
  for (const char* text : {"10.192.0.0/10", "10.0.0.0/24", "192.168.1.4/30", "10.0.0.1/32",
                           "0.0.0.0/0", "fd00:1::/64", "fd00::/48", "fd00::1/128", "::/0"}) {
    EXPECT_EQ(net(text).str(), text);
  }
  IpNetwork n = net("10.192.0.0/10");
  EXPECT_EQ(n.address, ip("10.192.0.0"));
  EXPECT_EQ(n.prefix_length, 10);
  EXPECT_EQ(n.family(), Family::kV4);
  EXPECT_EQ(net("fd00:1::/64").family(), Family::kV6);
  EXPECT_EQ(net("FD00:0001:0::/64").str(), "fd00:1::/64");
}

TEST(IpNetwork, HostBitsSetNamesTheRealNetwork) {
  std::string message = ErrorOf([] { IpNetwork::parse("10.1.2.3/24"); });
  EXPECT_TRUE(HasText(message, "`10.1.2.3/24`"));
  EXPECT_TRUE(HasText(message, "host bits"));
  EXPECT_TRUE(HasText(message, "10.1.2.0/24"));

  message = ErrorOf([] { IpNetwork::parse("10.200.0.0/10"); });
  EXPECT_TRUE(HasText(message, "10.192.0.0/10"));

  message = ErrorOf([] { IpNetwork::parse("fd00::1/64"); });
  EXPECT_TRUE(HasText(message, "fd00::/64"));
}

TEST(IpNetwork, RejectsMalformedText) {
  for (const char* bad : {"", "10.0.0.0", "10.0.0.0/", "/24", "10.0.0/24", "10.0.0.0/33",
                          "10.0.0.0/-1", "10.0.0.0/24x", "10.0.0.0/x", "10.0.0.0/ 24",
                          "10.0.0.0/24/8", "fd00::/129", "fd00::/", "host/24"}) {
    std::string message = ErrorOf([&] { IpNetwork::parse(bad); });
    EXPECT_TRUE(HasText(message, "`" + std::string(bad) + "`")) << '"' << bad << '"';
  }
}

TEST(IpNetwork, OfClearsHostBits) {
  EXPECT_EQ(IpNetwork::of(ip("10.1.2.3"), 24), net("10.1.2.0/24"));
  EXPECT_EQ(IpNetwork::of(ip("10.1.2.3"), 32), net("10.1.2.3/32"));
  EXPECT_EQ(IpNetwork::of(ip("10.1.2.3"), 0), net("0.0.0.0/0"));
  EXPECT_EQ(IpNetwork::of(ip("10.255.2.3"), 10), net("10.192.0.0/10"));
  EXPECT_EQ(IpNetwork::of(ip("fd00:1:2:3:4::5"), 64), net("fd00:1:2:3::/64"));
  EXPECT_TRUE(IpNetwork::of(ip("192.168.7.99"), 20).contains(ip("192.168.7.99")));
}

TEST(IpNetwork, ContainsAddresses) {
  IpNetwork n = net("10.1.2.0/24");
  EXPECT_TRUE(n.contains(ip("10.1.2.0")));
  EXPECT_TRUE(n.contains(ip("10.1.2.1")));
  EXPECT_TRUE(n.contains(ip("10.1.2.255")));
  EXPECT_FALSE(n.contains(ip("10.1.3.0")));
  EXPECT_FALSE(n.contains(ip("10.1.1.255")));
  EXPECT_FALSE(n.contains(ip("11.1.2.1")));
  // Never across families.
  EXPECT_FALSE(n.contains(ip("::ffff:10.1.2.1")));
  EXPECT_FALSE(net("::/0").contains(ip("10.1.2.1")));
  EXPECT_FALSE(net("0.0.0.0/0").contains(ip("fd00::1")));
  EXPECT_TRUE(net("0.0.0.0/0").contains(ip("255.255.255.255")));
  EXPECT_TRUE(net("10.1.2.3/32").contains(ip("10.1.2.3")));
  EXPECT_FALSE(net("10.1.2.3/32").contains(ip("10.1.2.4")));
  EXPECT_TRUE(net("fd00::/64").contains(ip("fd00::ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(net("fd00::/64").contains(ip("fd00:0:0:1::")));
}

TEST(IpNetwork, ContainsNetworks) {
  IpNetwork big = net("10.0.0.0/16");
  EXPECT_TRUE(big.contains(big));
  EXPECT_TRUE(big.contains(net("10.0.5.0/24")));
  EXPECT_TRUE(big.contains(net("10.0.255.252/30")));
  EXPECT_TRUE(big.contains(net("10.0.0.7/32")));
  EXPECT_FALSE(big.contains(net("10.0.0.0/15")));  // larger
  EXPECT_FALSE(big.contains(net("10.1.0.0/24")));  // beside
  EXPECT_FALSE(net("10.0.5.0/24").contains(big));
  EXPECT_FALSE(big.contains(net("fd00::/120")));
  EXPECT_TRUE(net("fd00::/48").contains(net("fd00:0:0:7::/64")));
  EXPECT_FALSE(net("fd00::/48").contains(net("fd00:1::/64")));
}

TEST(IpNetwork, OverlapsIsSymmetric) {
  struct Case {
    const char* a;
    const char* b;
    bool overlap;
  };
  for (const Case& c : std::vector<Case>{{"10.0.0.0/16", "10.0.5.0/24", true},
                                         {"10.0.0.0/24", "10.0.0.0/24", true},
                                         {"10.0.0.0/24", "10.0.1.0/24", false},
                                         {"10.0.0.0/25", "10.0.0.128/25", false},
                                         {"10.0.0.0/23", "10.0.1.128/25", true},
                                         {"0.0.0.0/0", "192.168.0.0/16", true},
                                         {"10.0.0.0/8", "11.0.0.0/8", false},
                                         {"10.0.0.4/30", "10.0.0.6/32", true},
                                         {"10.0.0.4/30", "10.0.0.8/32", false},
                                         {"fd00::/64", "fd00::100/120", true},
                                         {"fd00::/64", "fd00:0:0:1::/64", false},
                                         {"0.0.0.0/0", "::/0", false}}) {
    EXPECT_EQ(net(c.a).overlaps(net(c.b)), c.overlap) << c.a << " vs " << c.b;
    EXPECT_EQ(net(c.b).overlaps(net(c.a)), c.overlap) << c.b << " vs " << c.a;
  }
}

TEST(IpNetwork, SizeCountsAddresses) {
  EXPECT_EQ(net("10.0.0.0/24").size(), 256u);
  EXPECT_EQ(net("10.0.0.0/30").size(), 4u);
  EXPECT_EQ(net("10.0.0.1/32").size(), 1u);
  EXPECT_EQ(net("10.192.0.0/10").size(), uint64_t{1} << 22);
  EXPECT_EQ(net("0.0.0.0/0").size(), uint64_t{1} << 32);
  EXPECT_EQ(net("fd00::/120").size(), 256u);
  EXPECT_EQ(net("fd00::1/128").size(), 1u);
  EXPECT_EQ(net("fd00::/67").size(), uint64_t{1} << 61);
}

TEST(IpNetwork, SizeSaturatesForBigIpv6Networks) {
  for (const char* text : {"fd00::/66", "fd00::/64", "fd00::/48", "::/0"}) {
    EXPECT_EQ(net(text).size(), kSaturated) << text;
  }
}

TEST(IpNetwork, AtAndOffsetOfAreInverse) {
  IpNetwork n = net("10.1.2.0/24");
  EXPECT_EQ(n.at(0), ip("10.1.2.0"));
  EXPECT_EQ(n.at(1), ip("10.1.2.1"));
  EXPECT_EQ(n.at(255), ip("10.1.2.255"));
  IpNetwork wide = net("10.192.0.0/10");
  EXPECT_EQ(wide.at(300), ip("10.192.1.44"));
  for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{256}, uint64_t{65537},
                          (uint64_t{1} << 22) - 1}) {
    IpAddress a = wide.at(offset);
    EXPECT_TRUE(wide.contains(a)) << offset;
    EXPECT_EQ(wide.offset_of(a), offset) << offset;
  }
  IpNetwork v6 = net("fd00:1::/64");
  EXPECT_EQ(v6.at(1), ip("fd00:1::1"));
  EXPECT_EQ(v6.offset_of(ip("fd00:1::1")), 1u);
  EXPECT_EQ(v6.offset_of(ip("fd00:1::1:0")), 65536u);
  EXPECT_EQ(v6.offset_of(v6.at(123456789)), 123456789u);
}

TEST(IpNetwork, OffsetOfSaturatesLikeSize) {
  IpNetwork v6 = net("fd00::/64");
  EXPECT_EQ(v6.offset_of(ip("fd00::ffff:ffff:ffff:ffff")), kSaturated);
  EXPECT_EQ(v6.offset_of(ip("fd00::4000:0:0:0")), kSaturated);
  EXPECT_EQ(v6.offset_of(ip("fd00::3fff:ffff:ffff:ffff")), kSaturated - 1);
}

TEST(IpNetwork, LastIsTheBroadcastAddress) {
  EXPECT_EQ(net("10.1.2.0/24").last(), ip("10.1.2.255"));
  EXPECT_EQ(net("10.192.0.0/10").last(), ip("10.255.255.255"));
  EXPECT_EQ(net("10.0.0.4/30").last(), ip("10.0.0.7"));
  EXPECT_EQ(net("10.0.0.4/32").last(), ip("10.0.0.4"));
  EXPECT_EQ(net("fd00::/120").last(), ip("fd00::ff"));
  EXPECT_EQ(net("fd00::/64").last(), ip("fd00::ffff:ffff:ffff:ffff"));
  IpNetwork n = net("172.16.0.0/12");
  EXPECT_EQ(n.last(), n.at(n.size() - 1));
}

TEST(IpNetwork, PrefixForHostsIpv4) {
  // network + gateway + broadcast come on top of the pots.
  EXPECT_EQ(prefix_for_hosts(Family::kV4, 1), 30);
  EXPECT_EQ(prefix_for_hosts(Family::kV4, 2), 29);
  EXPECT_EQ(prefix_for_hosts(Family::kV4, 5), 29);
  EXPECT_EQ(prefix_for_hosts(Family::kV4, 6), 28);
  EXPECT_EQ(prefix_for_hosts(Family::kV4, 253), 24);
  EXPECT_EQ(prefix_for_hosts(Family::kV4, 254), 23);
  EXPECT_EQ(prefix_for_hosts(Family::kV4, 1U << 20), 11);
}

TEST(IpNetwork, PrefixForHostsIpv6) {
  // network + gateway; no broadcast.
  EXPECT_EQ(prefix_for_hosts(Family::kV6, 1), 126);
  EXPECT_EQ(prefix_for_hosts(Family::kV6, 2), 126);
  EXPECT_EQ(prefix_for_hosts(Family::kV6, 3), 125);
  EXPECT_EQ(prefix_for_hosts(Family::kV6, 254), 120);
  EXPECT_EQ(prefix_for_hosts(Family::kV6, 255), 119);
}

TEST(IpNetwork, PrefixForHostsIsTheSmallestThatFits) {
  for (uint64_t hosts = 1; hosts <= 5000; ++hosts) {
    for (Family family : {Family::kV4, Family::kV6}) {
      uint64_t overhead = family == Family::kV4 ? 3 : 2;
      int prefix = prefix_for_hosts(family, hosts);
      IpAddress zero = family == Family::kV4 ? ip("10.0.0.0") : ip("fd00::");
      IpNetwork fits{zero, prefix};
      IpNetwork half{zero, prefix + 1};
      ASSERT_GE(fits.size(), hosts + overhead) << hosts;
      ASSERT_LT(half.size(), hosts + overhead) << hosts;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// AddressPool: next_free_address

TEST(AddressPool, FirstFreeAddressIsAfterTheNetworkAddress) {
  EXPECT_EQ(next_free_address(net("10.1.2.0/24"), {}), ip("10.1.2.1"));
  EXPECT_EQ(next_free_address(net("fd00::/64"), {}), ip("fd00::1"));
  EXPECT_EQ(next_free_address(net("10.1.2.0/24"), {}, 0), ip("10.1.2.1"));
}

TEST(AddressPool, TwentyAddressesInARowAreDistinctUsableAndInside) {
  for (const char* text : {"10.192.0.0/10", "10.0.0.0/27", "fd00:1::/64", "fd00::/123"}) {
    IpNetwork n = net(text);
    TakenAddresses taken;
    taken.addresses.insert(n.at(1));  // the gateway
    std::set<IpAddress> picked;
    for (int i = 0; i < 20; ++i) {
      auto address = next_free_address(n, taken);
      ASSERT_TRUE(address.has_value()) << text << " #" << i;
      EXPECT_TRUE(n.contains(*address)) << address->str();
      EXPECT_NE(*address, n.address) << address->str();
      if (n.family() == Family::kV4) {
        EXPECT_NE(*address, n.last()) << address->str();
      }
      EXPECT_EQ(address_unusable(n, taken, *address), std::nullopt) << address->str();
      EXPECT_TRUE(picked.insert(*address).second) << "picked twice: " << address->str();
      taken.addresses.insert(*address);
    }
    EXPECT_EQ(picked.size(), 20u);
    EXPECT_EQ(picked.count(n.at(1)), 0u) << "the gateway was handed out in " << text;
  }
}

TEST(AddressPool, SkipsTakenAddresses) {
  IpNetwork n = net("10.0.0.0/24");
  TakenAddresses taken;
  taken.addresses = {ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.4")};
  EXPECT_EQ(next_free_address(n, taken), ip("10.0.0.3"));
  taken.addresses.insert(ip("10.0.0.3"));
  EXPECT_EQ(next_free_address(n, taken), ip("10.0.0.5"));
  // Addresses of other networks (or families) do not matter.
  taken.addresses.insert(ip("10.0.1.5"));
  taken.addresses.insert(ip("fd00::5"));
  EXPECT_EQ(next_free_address(n, taken), ip("10.0.0.5"));
}

TEST(AddressPool, ReusesAFreedGap) {
  IpNetwork n = net("10.0.0.0/24");
  TakenAddresses taken;
  for (int i = 1; i <= 10; ++i) taken.addresses.insert(n.at(i));
  taken.addresses.erase(ip("10.0.0.6"));
  EXPECT_EQ(next_free_address(n, taken), ip("10.0.0.6"));
}

TEST(AddressPool, SkipsTakenNetworksWhole) {
  IpNetwork n = net("10.0.0.0/24");
  TakenAddresses taken;
  taken.addresses.insert(ip("10.0.0.1"));
  taken.networks.push_back(net("10.0.0.0/28"));
  EXPECT_EQ(next_free_address(n, taken), ip("10.0.0.16"));
  taken.networks.push_back(net("10.0.0.16/29"));
  taken.addresses.insert(ip("10.0.0.24"));
  EXPECT_EQ(next_free_address(n, taken), ip("10.0.0.25"));
  // A taken network in the middle: the addresses before it are still free.
  TakenAddresses middle;
  middle.networks.push_back(net("10.0.0.64/26"));
  for (int i = 1; i < 64; ++i) middle.addresses.insert(n.at(i));
  EXPECT_EQ(next_free_address(n, middle), ip("10.0.0.128"));
}

TEST(AddressPool, SkipsAHugeTakenNetworkQuickly) {
  // Half of a /8 given to a private bridge: the answer is the first address of the other half
  // (found by jumping, not by walking eight million addresses).
  IpNetwork n = net("10.0.0.0/8");
  TakenAddresses taken;
  taken.networks.push_back(net("10.0.0.0/9"));
  EXPECT_EQ(next_free_address(n, taken), ip("10.128.0.0"));
  IpNetwork v6 = net("fd00::/64");
  TakenAddresses taken6;
  taken6.networks.push_back(net("fd00::/72"));
  EXPECT_EQ(next_free_address(v6, taken6), ip("fd00::100:0:0:0"));
}

TEST(AddressPool, NeverTheNetworkOrIpv4Broadcast) {
  IpNetwork n = net("10.0.0.4/30");  // .4 network, .5 and .6 hosts, .7 broadcast
  TakenAddresses taken;
  EXPECT_EQ(next_free_address(n, taken), ip("10.0.0.5"));
  taken.addresses.insert(ip("10.0.0.5"));
  EXPECT_EQ(next_free_address(n, taken), ip("10.0.0.6"));
  taken.addresses.insert(ip("10.0.0.6"));
  EXPECT_EQ(next_free_address(n, taken), std::nullopt);
  EXPECT_EQ(next_free_address(net("10.0.0.0/31"), {}), std::nullopt);
  // IPv6 has no broadcast address: the last one is usable.
  IpNetwork v6 = net("fd00::/126");
  TakenAddresses taken6;
  taken6.addresses = {ip("fd00::1"), ip("fd00::2")};
  EXPECT_EQ(next_free_address(v6, taken6), ip("fd00::3"));
}

TEST(AddressPool, FullNetworkHasNoFreeAddress) {
  IpNetwork n = net("10.0.0.0/24");
  TakenAddresses taken;
  for (int i = 1; i <= 254; ++i) taken.addresses.insert(n.at(i));
  EXPECT_EQ(next_free_address(n, taken), std::nullopt);
  TakenAddresses whole;
  whole.networks.push_back(n);
  EXPECT_EQ(next_free_address(n, whole), std::nullopt);
  TakenAddresses bigger;
  bigger.networks.push_back(net("10.0.0.0/16"));
  EXPECT_EQ(next_free_address(n, bigger), std::nullopt);
}

TEST(AddressPool, FirstOffset) {
  IpNetwork n = net("10.0.0.0/24");
  TakenAddresses taken;
  taken.addresses.insert(ip("10.0.0.1"));
  EXPECT_EQ(next_free_address(n, taken, 10), ip("10.0.0.10"));
  taken.addresses.insert(ip("10.0.0.10"));
  EXPECT_EQ(next_free_address(n, taken, 10), ip("10.0.0.11"));
  EXPECT_EQ(next_free_address(n, taken, 254), ip("10.0.0.254"));
  EXPECT_EQ(next_free_address(n, taken, 255), std::nullopt);  // the broadcast address
  EXPECT_EQ(next_free_address(n, taken, 1000), std::nullopt);
  // IPv6 twins: the same offset in the IPv6 network.
  EXPECT_EQ(next_free_address(net("fd00::/64"), {}, 10), ip("fd00::a"));
}

// Regression: `size() - 2` once wrapped for a /32 and handed out 10.1.2.4.
TEST(AddressPool, SingleAddressIpv4NetworkHasNoFreeAddress) {
  IpNetwork n = net("10.1.2.3/32");
  auto address = next_free_address(n, {});
  EXPECT_EQ(address, std::nullopt) << "got " << (address ? address->str() : "");
  if (address) {
    EXPECT_TRUE(n.contains(*address)) << address->str() << " is outside " << n.str();
  }
  EXPECT_EQ(next_free_address(net("fd00::1/128"), {}), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// AddressPool: address_unusable

TEST(AddressPool, UsableAddressHasNoReason) {
  IpNetwork n = net("10.0.0.0/24");
  TakenAddresses taken;
  taken.addresses.insert(ip("10.0.0.1"));
  taken.networks.push_back(net("10.0.0.64/26"));
  for (const char* ok : {"10.0.0.2", "10.0.0.63", "10.0.0.128", "10.0.0.254"}) {
    EXPECT_EQ(address_unusable(n, taken, ip(ok)), std::nullopt) << ok;
  }
  EXPECT_EQ(address_unusable(net("fd00::/120"), {}, ip("fd00::ff")), std::nullopt);
}

TEST(AddressPool, UnusableOutsideTheNetwork) {
  IpNetwork n = net("10.0.0.0/24");
  for (const char* outside : {"10.0.1.1", "192.168.0.1", "fd00::1"}) {
    auto why = address_unusable(n, {}, ip(outside));
    ASSERT_TRUE(why.has_value()) << outside;
    EXPECT_TRUE(HasText(*why, "outside"));
    EXPECT_TRUE(HasText(*why, "10.0.0.0/24"));
  }
}

TEST(AddressPool, UnusableNetworkAndBroadcastAddresses) {
  IpNetwork n = net("10.0.0.0/24");
  auto why = address_unusable(n, {}, ip("10.0.0.0"));
  ASSERT_TRUE(why.has_value());
  EXPECT_TRUE(HasText(*why, "network's own address"));
  why = address_unusable(n, {}, ip("10.0.0.255"));
  ASSERT_TRUE(why.has_value());
  EXPECT_TRUE(HasText(*why, "broadcast"));
  why = address_unusable(net("fd00::/64"), {}, ip("fd00::"));
  ASSERT_TRUE(why.has_value());
  EXPECT_TRUE(HasText(*why, "own"));
}

TEST(AddressPool, UnusableWhenTaken) {
  IpNetwork n = net("10.0.0.0/24");
  TakenAddresses taken;
  taken.addresses.insert(ip("10.0.0.1"));
  auto why = address_unusable(n, taken, ip("10.0.0.1"));
  ASSERT_TRUE(why.has_value());
  EXPECT_TRUE(HasText(*why, "already taken"));
}

TEST(AddressPool, UnusableInAPrivateBridge) {
  IpNetwork n = net("10.192.0.0/10");
  TakenAddresses taken;
  taken.networks.push_back(net("10.192.0.16/28"));
  for (const char* inside : {"10.192.0.16", "10.192.0.20", "10.192.0.31"}) {
    auto why = address_unusable(n, taken, ip(inside));
    ASSERT_TRUE(why.has_value()) << inside;
    EXPECT_TRUE(HasText(*why, "private bridge")) << inside;
  }
  EXPECT_EQ(address_unusable(n, taken, ip("10.192.0.32")), std::nullopt);
  EXPECT_EQ(address_unusable(n, taken, ip("10.192.0.15")), std::nullopt);
}

TEST(AddressPool, NextFreeAddressIsAlwaysUsable) {
  // Whatever next_free_address picks, address_unusable agrees it is usable.
  IpNetwork n = net("10.0.0.0/26");
  TakenAddresses taken;
  taken.addresses = {ip("10.0.0.1"), ip("10.0.0.3"), ip("10.0.0.40")};
  taken.networks = {net("10.0.0.8/29"), net("10.0.0.32/30")};
  int count = 0;
  while (auto address = next_free_address(n, taken)) {
    ASSERT_EQ(address_unusable(n, taken, *address), std::nullopt) << address->str();
    taken.addresses.insert(*address);
    ASSERT_LT(++count, 64);
  }
  // 62 host addresses, minus 3 taken, minus 8 + 4 in private bridges.
  EXPECT_EQ(count, 62 - 3 - 8 - 4);
}

// ---------------------------------------------------------------------------------------------
// AddressPool: carve_subnet

TEST(AddressPool, CarveFirstBlockOfAnEmptyNetwork) {
  EXPECT_EQ(carve_subnet(net("10.192.0.0/10"), 28, {}), net("10.192.0.0/28"));
  EXPECT_EQ(carve_subnet(net("10.0.0.0/24"), 24, {}), net("10.0.0.0/24"));
  EXPECT_EQ(carve_subnet(net("fd00::/112"), 120, {}), net("fd00::/120"));
}

TEST(AddressPool, CarveSkipsBlocksHoldingTakenAddresses) {
  IpNetwork n = net("10.0.0.0/16");
  TakenAddresses taken;
  taken.addresses.insert(ip("10.0.0.1"));  // the gateway
  EXPECT_EQ(carve_subnet(n, 24, taken), net("10.0.1.0/24"));
  taken.addresses.insert(ip("10.0.1.255"));
  EXPECT_EQ(carve_subnet(n, 24, taken), net("10.0.2.0/24"));
  EXPECT_EQ(carve_subnet(n, 30, taken), net("10.0.0.4/30"));
  IpNetwork v6 = net("fd00::/112");
  TakenAddresses taken6;
  taken6.addresses.insert(ip("fd00::1"));
  EXPECT_EQ(carve_subnet(v6, 120, taken6), net("fd00::100/120"));
}

TEST(AddressPool, CarveSkipsBlocksOverlappingTakenNetworks) {
  IpNetwork n = net("10.0.0.0/16");
  TakenAddresses taken;
  taken.networks.push_back(net("10.0.0.64/26"));  // smaller, inside the first /24
  EXPECT_EQ(carve_subnet(n, 24, taken), net("10.0.1.0/24"));
  EXPECT_EQ(carve_subnet(n, 26, taken), net("10.0.0.0/26"));
  EXPECT_EQ(carve_subnet(n, 27, taken), net("10.0.0.0/27"));
  taken.networks.push_back(net("10.0.0.0/20"));  // larger, spanning sixteen /24s
  EXPECT_EQ(carve_subnet(n, 24, taken), net("10.0.16.0/24"));
  taken.networks.push_back(net("10.0.16.0/24"));  // exactly the next block
  EXPECT_EQ(carve_subnet(n, 24, taken), net("10.0.17.0/24"));
}

TEST(AddressPool, CarvedSubnetsAreAlignedDisjointAndInside) {
  IpNetwork n = net("10.192.0.0/24");
  TakenAddresses taken;
  taken.addresses.insert(ip("10.192.0.1"));
  std::vector<IpNetwork> carved;
  while (auto subnet = carve_subnet(n, 28, taken)) {
    EXPECT_EQ(subnet->prefix_length, 28);
    EXPECT_TRUE(n.contains(*subnet)) << subnet->str();
    EXPECT_EQ(IpNetwork::of(subnet->address, 28), *subnet) << subnet->str() << " is not aligned";
    EXPECT_FALSE(subnet->contains(ip("10.192.0.1"))) << subnet->str();
    for (const auto& other : carved) {
      EXPECT_FALSE(subnet->overlaps(other)) << subnet->str() << " overlaps " << other.str();
    }
    carved.push_back(*subnet);
    taken.networks.push_back(*subnet);
    ASSERT_LE(carved.size(), 16u);
  }
  // Sixteen /28s in a /24, the first holds the gateway.
  EXPECT_EQ(carved.size(), 15u);
  // Smaller blocks still fit beside the gateway, until that /28 is taken too.
  EXPECT_EQ(carve_subnet(n, 30, taken), net("10.192.0.4/30"));
  taken.networks.push_back(net("10.192.0.0/28"));
  EXPECT_EQ(carve_subnet(n, 30, taken), std::nullopt);
}

TEST(AddressPool, CarveFailsWhenFullOrTooBig) {
  IpNetwork n = net("10.0.0.0/24");
  TakenAddresses taken;
  taken.addresses.insert(ip("10.0.0.1"));
  EXPECT_EQ(carve_subnet(n, 23, {}), std::nullopt);  // bigger than the network
  EXPECT_EQ(carve_subnet(n, 16, {}), std::nullopt);
  EXPECT_EQ(carve_subnet(n, 24, taken), std::nullopt);  // the only block holds the gateway
  EXPECT_EQ(carve_subnet(n, 25, taken), net("10.0.0.128/25"));
  taken.addresses.insert(ip("10.0.0.200"));
  EXPECT_EQ(carve_subnet(n, 25, taken), std::nullopt);
  TakenAddresses whole;
  whole.networks.push_back(net("10.0.0.0/8"));
  EXPECT_EQ(carve_subnet(n, 28, whole), std::nullopt);
}

TEST(AddressPool, CarveForHostsFitsThem) {
  // What `create-private-bridge -S 10` does: room for ten pots plus gateway.
  IpNetwork n = net("10.192.0.0/10");
  TakenAddresses taken;
  taken.addresses.insert(ip("10.192.0.1"));
  auto subnet = carve_subnet(n, prefix_for_hosts(Family::kV4, 10), taken);
  ASSERT_TRUE(subnet.has_value());
  EXPECT_EQ(*subnet, net("10.192.0.16/28"));
  TakenAddresses inside;
  inside.addresses.insert(subnet->at(1));  // its gateway
  std::set<IpAddress> pots;
  for (int i = 0; i < 10; ++i) {
    auto address = next_free_address(*subnet, inside);
    ASSERT_TRUE(address.has_value()) << "pot #" << i;
    inside.addresses.insert(*address);
    pots.insert(*address);
  }
  EXPECT_EQ(pots.size(), 10u);
}

// Regression: block counts saturated at 2^62 once made a /48 look like a single /64.
TEST(AddressPool, CarveIpv6SixtyFourFromFortyEightSkipsTakenBlock) {
  IpNetwork n = net("fd00::/48");
  EXPECT_EQ(carve_subnet(n, 64, {}), net("fd00::/64"));
  TakenAddresses taken;
  taken.networks.push_back(net("fd00::/64"));
  EXPECT_EQ(carve_subnet(n, 64, taken), net("fd00:0:0:1::/64"));
  TakenAddresses gateway;
  gateway.addresses.insert(ip("fd00::1"));
  EXPECT_EQ(carve_subnet(n, 64, gateway), net("fd00:0:0:1::/64"));
}

// ---------------------------------------------------------------------------------------------
// PortExport

TEST(PortExport, PotPortOnly) {
  PortExport port = PortExport::parse("80");
  EXPECT_EQ(port.protocol, "tcp");
  EXPECT_EQ(port.pot_port, 80);
  EXPECT_EQ(port.host_port, std::nullopt);
  EXPECT_EQ(port.str(), "tcp:80");
}

TEST(PortExport, PotPortAndHostPort) {
  // `80:3000` sends host port 3000 to the pot's port 80.
  PortExport port = PortExport::parse("80:3000");
  EXPECT_EQ(port.protocol, "tcp");
  EXPECT_EQ(port.pot_port, 80);
  EXPECT_EQ(port.host_port, 3000);
  EXPECT_EQ(port.str(), "tcp:80:3000");
}

TEST(PortExport, WithProtocol) {
  PortExport tcp = PortExport::parse("tcp:80:3000");
  EXPECT_EQ(tcp.protocol, "tcp");
  EXPECT_EQ(tcp.pot_port, 80);
  EXPECT_EQ(tcp.host_port, 3000);
  PortExport udp = PortExport::parse("udp:53");
  EXPECT_EQ(udp.protocol, "udp");
  EXPECT_EQ(udp.pot_port, 53);
  EXPECT_EQ(udp.host_port, std::nullopt);
  EXPECT_EQ(udp.str(), "udp:53");
  EXPECT_EQ(PortExport::parse("udp:53:5353").str(), "udp:53:5353");
}

TEST(PortExport, PortRange) {
  EXPECT_EQ(PortExport::parse("1").pot_port, 1);
  EXPECT_EQ(PortExport::parse("65535").pot_port, 65535);
  EXPECT_EQ(PortExport::parse("1:65535").host_port, 65535);
  EXPECT_EQ(PortExport::parse("080").pot_port, 80);
}

TEST(PortExport, StrIsCanonicalAndParsesBack) {
  EXPECT_EQ(PortExport::parse("80").str(), "tcp:80");
  EXPECT_EQ(PortExport::parse("80:3000").str(), "tcp:80:3000");
  EXPECT_EQ(PortExport::parse("tcp:80:3000").str(), "tcp:80:3000");
  for (const char* spec :
       {"80", "80:3000", "tcp:80", "tcp:80:3000", "udp:53", "udp:53:5353", "65535:1"}) {
    PortExport port = PortExport::parse(spec);
    EXPECT_EQ(PortExport::parse(port.str()), port) << spec;
  }
  EXPECT_EQ(PortExport::parse("80"), PortExport::parse("tcp:80"));
  EXPECT_NE(PortExport::parse("udp:80"), PortExport::parse("tcp:80"));
  EXPECT_NE(PortExport::parse("80"), PortExport::parse("80:80"));
}

TEST(PortExport, RejectsBadSpecs) {
  for (const char* bad : {"",
                          "0",
                          "70000",
                          "65536",
                          "http:80",
                          "80:",
                          "80:x",
                          ":80",
                          "tcp:",
                          "tcp",
                          "udp:",
                          "-1",
                          "+80",
                          " 80",
                          "80 ",
                          "80:0",
                          "80:70000",
                          "80:3000:4000",
                          "TCP:80",
                          "tcp:80:",
                          "tcp::80",
                          "8o",
                          "99999999999999999999"}) {
    std::string message = ErrorOf([&] { PortExport::parse(bad); });
    EXPECT_TRUE(HasText(message, "`" + std::string(bad) + "`")) << '"' << bad << '"';
  }
}

TEST(PortExport, ErrorSaysWhatIsWrong) {
  std::string message = ErrorOf([] { PortExport::parse("80:x"); });
  EXPECT_TRUE(HasText(message, "`80:x`"));
  EXPECT_TRUE(HasText(message, "`x`"));
  EXPECT_TRUE(HasText(message, "port"));
  message = ErrorOf([] { PortExport::parse("70000"); });
  EXPECT_TRUE(HasText(message, "`70000`"));
  EXPECT_TRUE(HasText(message, "1-65535"));
}

// Regression: "tcp:udp:53" was once read as udp:53.
TEST(PortExport, RejectsTwoProtocols) {
  EXPECT_THROW(PortExport::parse("udp:tcp:53"), Error);
  EXPECT_THROW(PortExport::parse("tcp:udp:53"), Error);
  EXPECT_THROW(PortExport::parse("tcp:tcp:53"), Error);
}

TEST(PortExport, ListRoundTrip) {
  EXPECT_TRUE(parse_port_exports("").empty());
  EXPECT_TRUE(parse_port_exports("   ").empty());
  EXPECT_EQ(format_port_exports({}), "");

  auto ports = parse_port_exports("80  udp:53:5353\ttcp:443:8443 22");
  ASSERT_EQ(ports.size(), 4u);
  EXPECT_EQ(ports[0].str(), "tcp:80");
  EXPECT_EQ(ports[1].str(), "udp:53:5353");
  EXPECT_EQ(ports[2].str(), "tcp:443:8443");
  EXPECT_EQ(ports[3].str(), "tcp:22");
  std::string text = format_port_exports(ports);
  EXPECT_EQ(text, "tcp:80 udp:53:5353 tcp:443:8443 tcp:22");
  EXPECT_EQ(parse_port_exports(text), ports);
  EXPECT_EQ(format_port_exports(parse_port_exports(text)), text);
}

TEST(PortExport, ListRejectsABadEntry) {
  std::string message = ErrorOf([] { parse_port_exports("80 http:81 82"); });
  EXPECT_TRUE(HasText(message, "`http:81`"));
}

// ---------------------------------------------------------------------------------------------
// InterfaceNames

constexpr size_t kIfNameMax = 15;  // IFNAMSIZ - 1

bool is_hex(const std::string& text) {
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) ||
        std::isupper(static_cast<unsigned char>(c)))
      return false;
  }
  return !text.empty();
}

const char* const kTags[] = {"1a2b3c4d", "00000000", "ffffffff", "1a2b3c4e"};

TEST(InterfaceNames, FitInIfnamsiz) {
  std::string long_name(64, 'x');
  for (const char* tag : kTags) {
    for (const std::string& name : {std::string("a"), std::string("web"), long_name}) {
      EXPECT_LE(public_bridge_interface(tag).size(), kIfNameMax);
      EXPECT_LE(private_bridge_interface(tag, name).size(), kIfNameMax) << name;
      EXPECT_LE(pot_veth_prefix(tag, name).size(), kIfNameMax) << name;
    }
  }
}

TEST(InterfaceNames, PrefixesAndHexDigits) {
  std::string bridge = public_bridge_interface("1a2b3c4d");
  EXPECT_EQ(bridge.substr(0, 5), "potbr");
  EXPECT_EQ(bridge.size(), 5u + 8u);
  EXPECT_TRUE(is_hex(bridge.substr(5))) << bridge;

  std::string priv = private_bridge_interface("1a2b3c4d", "backend");
  EXPECT_EQ(priv.substr(0, 5), "potpb");
  EXPECT_EQ(priv.size(), 5u + 10u);
  EXPECT_TRUE(is_hex(priv.substr(5))) << priv;

  std::string veth = pot_veth_prefix("1a2b3c4d", "my-pot.13_2");
  EXPECT_EQ(veth.substr(0, 4), "potv");
  EXPECT_EQ(veth.size(), 4u + 7u);
  EXPECT_TRUE(is_hex(veth.substr(4))) << veth;
  // One run's veth: the pot's prefix and the run, within IFNAMSIZ.
  std::string run = pot_veth_interface("1a2b3c4d", "my-pot.13_2", 0x12345);
  EXPECT_EQ(run, veth + "2345");
  EXPECT_NE(run, pot_veth_interface("1a2b3c4d", "my-pot.13_2", 0x12346));

  EXPECT_EQ(firewall_table("1a2b3c4d"), "pot_1a2b3c4d");
}

TEST(InterfaceNames, Stable) {
  EXPECT_EQ(public_bridge_interface("1a2b3c4d"), public_bridge_interface("1a2b3c4d"));
  EXPECT_EQ(private_bridge_interface("1a2b3c4d", "b"), private_bridge_interface("1a2b3c4d", "b"));
  EXPECT_EQ(pot_veth_prefix("1a2b3c4d", "web"), pot_veth_prefix("1a2b3c4d", "web"));
  EXPECT_EQ(firewall_table("1a2b3c4d"), firewall_table("1a2b3c4d"));
}

TEST(InterfaceNames, DifferentRootsDifferentNames) {
  std::set<std::string> publics, privates, veths, tables;
  for (const char* tag : kTags) {
    publics.insert(public_bridge_interface(tag));
    privates.insert(private_bridge_interface(tag, "backend"));
    veths.insert(pot_veth_prefix(tag, "web"));
    tables.insert(firewall_table(tag));
  }
  size_t n = std::size(kTags);
  EXPECT_EQ(publics.size(), n);
  EXPECT_EQ(privates.size(), n);
  EXPECT_EQ(veths.size(), n);
  EXPECT_EQ(tables.size(), n);
}

TEST(InterfaceNames, DifferentPotsAndBridgesDifferentNames) {
  std::set<std::string> veths, privates;
  const int count = 2000;
  for (int i = 0; i < count; ++i) {
    std::string name = "pot" + std::to_string(i);
    veths.insert(pot_veth_prefix("1a2b3c4d", name));
    privates.insert(private_bridge_interface("1a2b3c4d", name));
  }
  EXPECT_EQ(veths.size(), static_cast<size_t>(count));
  EXPECT_EQ(privates.size(), static_cast<size_t>(count));
  // Names differing only at the end, or by one character, still differ.
  EXPECT_NE(pot_veth_prefix("1a2b3c4d", std::string(40, 'a') + "1"),
            pot_veth_prefix("1a2b3c4d", std::string(40, 'a') + "2"));
  EXPECT_NE(pot_veth_prefix("1a2b3c4d", "web"), pot_veth_prefix("1a2b3c4d", "Web"));
}

TEST(InterfaceNames, KindsNeverCollide) {
  // A pot and a bridge with the same name get different interfaces.
  EXPECT_NE(pot_veth_prefix("1a2b3c4d", "web"), private_bridge_interface("1a2b3c4d", "web"));
  EXPECT_NE(public_bridge_interface("1a2b3c4d"), private_bridge_interface("1a2b3c4d", ""));
}

TEST(InterfaceNames, RootAndNameDoNotBlur) {
  // The root tag and the name are kept apart: ("ab", "c") is not ("a", "bc").
  EXPECT_NE(pot_veth_prefix("1a2b3c4d", "x"), pot_veth_prefix("1a2b3c4", "dx"));
  EXPECT_NE(private_bridge_interface("1a2b3c4d", "x"), private_bridge_interface("1a2b3c4", "dx"));
}

}  // namespace
}  // namespace pot::net
