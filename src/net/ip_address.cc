#include "net/ip_address.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

#include "core/error.h"

namespace pot::net {

namespace {

__extension__ using Uint128 = unsigned __int128;  // block starts in IPv6 networks

constexpr uint64_t kSaturated = uint64_t{1} << 62;

int bit_count(Family family) {
  return family == Family::kV4 ? 32 : 128;
}

bool host_bit_set(const IpAddress& address, int prefix_length) {
  for (int bit = prefix_length; bit < bit_count(address.family); ++bit) {
    if (address.bytes[bit / 8] & (0x80 >> (bit % 8))) return true;
  }
  return false;
}

IpAddress with_host_bits(const IpAddress& address, int prefix_length, bool set) {
  IpAddress result = address;
  for (int bit = prefix_length; bit < bit_count(address.family); ++bit) {
    uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if (set) {
      result.bytes[bit / 8] |= mask;
    } else {
      result.bytes[bit / 8] &= static_cast<uint8_t>(~mask);
    }
  }
  return result;
}

}  // namespace

std::optional<IpAddress> IpAddress::try_parse(const std::string& text) {
  IpAddress address;
  if (::inet_pton(AF_INET, text.c_str(), address.bytes.data()) == 1) return address;
  address.family = Family::kV6;
  if (::inet_pton(AF_INET6, text.c_str(), address.bytes.data()) == 1) return address;
  return std::nullopt;
}

IpAddress IpAddress::parse(const std::string& text) {
  auto address = try_parse(text);
  if (!address) throw Error(quote_name(text) + " is not an IPv4 or IPv6 address");
  return *address;
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(af(), bytes.data(), buf, sizeof buf);
  return buf;
}

int IpAddress::af() const {
  return is_v4() ? AF_INET : AF_INET6;
}

IpAddress IpAddress::plus(uint64_t offset) const {
  IpAddress result = *this;
  uint64_t carry = offset;
  for (size_t i = size(); i-- > 0 && carry != 0;) {
    uint64_t sum = result.bytes[i] + (carry & 0xff);
    result.bytes[i] = static_cast<uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return result;
}

IpAddress IpAddress::plus_shifted(uint64_t value, int shift) const {
  IpAddress result = *this;
  // Whole bytes of the shift pick where the addition starts; the rest shifts the value.
  Uint128 carry = static_cast<Uint128>(value) << (shift % 8);
  for (int i = static_cast<int>(size()) - 1 - shift / 8; i >= 0 && carry != 0; --i) {
    auto index = static_cast<size_t>(i);
    Uint128 sum = result.bytes[index] + (carry & 0xff);
    result.bytes[index] = static_cast<uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return result;
}

IpNetwork IpNetwork::parse(const std::string& text) {
  size_t slash = text.find('/');
  auto bad = [&](const std::string& why) {
    return Error("network " + quote_name(text) + ": " + why);
  };
  if (slash == std::string::npos) throw bad("expected ADDRESS/PREFIX");
  auto address = IpAddress::try_parse(text.substr(0, slash));
  if (!address) throw bad("not an IPv4 or IPv6 address");
  int prefix = -1;
  std::string prefix_text = text.substr(slash + 1);
  auto [end, ec] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (ec != std::errc() || end != prefix_text.data() + prefix_text.size() || prefix < 0 ||
      prefix > bit_count(address->family))
    throw bad("bad prefix length");
  if (host_bit_set(*address, prefix))
    throw bad("host bits are set (the network is " + with_host_bits(*address, prefix, false).str() +
              "/" + std::to_string(prefix) + ")");
  return IpNetwork{*address, prefix};
}

IpNetwork IpNetwork::of(const IpAddress& address, int prefix_length) {
  return IpNetwork{with_host_bits(address, prefix_length, false), prefix_length};
}

std::string IpNetwork::str() const {
  return address.str() + "/" + std::to_string(prefix_length);
}

bool IpNetwork::contains(const IpAddress& ip) const {
  if (ip.family != address.family) return false;
  return with_host_bits(ip, prefix_length, false) == address;
}

bool IpNetwork::contains(const IpNetwork& other) const {
  return other.prefix_length >= prefix_length && contains(other.address);
}

bool IpNetwork::overlaps(const IpNetwork& other) const {
  return contains(other) || other.contains(*this);
}

uint64_t IpNetwork::size() const {
  int host_bits = bit_count(address.family) - prefix_length;
  if (host_bits >= 62) return kSaturated;
  return uint64_t{1} << host_bits;
}

uint64_t IpNetwork::offset_of(const IpAddress& ip) const {
  uint64_t offset = 0;
  for (size_t i = 0; i < ip.size(); ++i) {
    if (offset >= (kSaturated >> 8)) return kSaturated;
    offset = (offset << 8) | (ip.bytes[i] ^ address.bytes[i]);
  }
  return offset;
}

IpAddress IpNetwork::last() const {
  return with_host_bits(address, prefix_length, true);
}

int prefix_for_hosts(Family family, uint64_t hosts) {
  // network + gateway (+ broadcast on IPv4)
  uint64_t needed = hosts + (family == Family::kV4 ? 3 : 2);
  int host_bits = 1;
  while (host_bits < 62 && (uint64_t{1} << host_bits) < needed) ++host_bits;
  return bit_count(family) - host_bits;
}

}  // namespace pot::net
