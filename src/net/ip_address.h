// IPv4 and IPv6 addresses and networks as values: parsing, printing, membership and the
// arithmetic that address allocation and subnet carving need. No kernel calls here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace pot::net {

enum class Family { kV4, kV6 };

struct IpAddress {
  Family family = Family::kV4;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

  // Throws Error ("`x` is not an IPv4 or IPv6 address").
  static IpAddress parse(const std::string& text);
  static std::optional<IpAddress> try_parse(const std::string& text);
  std::string str() const;
  bool is_v4() const { return family == Family::kV4; }
  int af() const;  // AF_INET or AF_INET6
  size_t size() const { return is_v4() ? 4 : 16; }
  // This address plus `offset` (carries across bytes; wraps silently).
  IpAddress plus(uint64_t offset) const;
  // This address plus `value` * 2^shift (shift up to 127): the start of the value'th block.
  IpAddress plus_shifted(uint64_t value, int shift) const;
  bool operator==(const IpAddress& other) const = default;
  bool operator<(const IpAddress& other) const {  // for std::set; (not <=>: clang-tidy 14)
    return family != other.family ? family < other.family : bytes < other.bytes;
  }
};

struct IpNetwork {
  IpAddress address;  // always the network's first address (host bits cleared)
  int prefix_length = 0;

  // "10.192.0.0/10", "fd00:1::/64"; host bits must be zero. Throws Error.
  static IpNetwork parse(const std::string& text);
  // The network of `prefix_length` bits that `address` is in (10.1.2.3, 24: 10.1.2.0/24).
  static IpNetwork of(const IpAddress& address, int prefix_length);
  std::string str() const;
  bool contains(const IpAddress& ip) const;
  bool contains(const IpNetwork& other) const;
  bool overlaps(const IpNetwork& other) const;
  Family family() const { return address.family; }
  // Number of host addresses, saturated at 2^62 (IPv6 networks are huge).
  uint64_t size() const;
  // The address at `offset` from the network address (0 is the network itself).
  IpAddress at(uint64_t offset) const { return address.plus(offset); }
  // The offset of `ip` in this network (ip must be contained; saturated like size()).
  uint64_t offset_of(const IpAddress& ip) const;
  // The broadcast address (IPv4 only: the last address).
  IpAddress last() const;
  bool operator==(const IpNetwork& other) const = default;
};

// The smallest prefix length whose network holds `hosts` pots plus the network, gateway and
// (IPv4) broadcast addresses.
int prefix_for_hosts(Family family, uint64_t hosts);

// An address on an interface, with its network's prefix length.
struct InterfaceAddress {
  IpAddress address;
  int prefix_length = 0;
};

}  // namespace pot::net
