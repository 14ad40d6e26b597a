// IpAddress::parse and IpNetwork::parse, the readers of POT_NETWORK, POT_GATEWAY, pot.conf's
// ip= and `pot create -i`. Checks, beyond no crash and no sanitizer report:
//  - only pot::Error escapes;
//  - an accepted address prints (str) to text that parses back to it; so does the network of
//    every prefix length it is in, which contains it and whose offset arithmetic (offset_of,
//    at) leads back to it;
//  - an accepted network prints to text that parses back to it, has no host bits set, and
//    contains its first and last addresses and itself;
//  - prefix_for_hosts gives a network with room for the hosts asked for.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.h"
#include "fuzz_check.h"
#include "net/ip_address.h"

using pot::net::IpAddress;
using pot::net::IpNetwork;

namespace {

constexpr uint64_t kSaturated = uint64_t{1} << 62;

void check_network(const IpNetwork& network) {
  FUZZ_CHECK(IpNetwork::parse(network.str()) == network);
  FUZZ_CHECK(IpNetwork::of(network.address, network.prefix_length) == network);
  FUZZ_CHECK(network.contains(network.address));
  FUZZ_CHECK(network.contains(network.last()));
  FUZZ_CHECK(network.contains(network) && network.overlaps(network));
  FUZZ_CHECK(network.size() >= 1 && network.size() <= kSaturated);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);

  if (auto address = IpAddress::try_parse(text)) {
    FUZZ_CHECK(IpAddress::parse(address->str()) == *address);
    int bits = address->is_v4() ? 32 : 128;
    for (int prefix = 0; prefix <= bits; ++prefix) {
      IpNetwork network = IpNetwork::of(*address, prefix);
      check_network(network);
      FUZZ_CHECK(network.contains(*address));
      uint64_t offset = network.offset_of(*address);
      FUZZ_CHECK(offset < network.size() || offset == kSaturated);
      if (network.size() < kSaturated) FUZZ_CHECK(network.at(offset) == *address);
    }
  }

  try {
    check_network(IpNetwork::parse(text));
  } catch (const pot::Error&) {
  }

  uint64_t hosts = 0;
  std::memcpy(&hosts, data, size < sizeof hosts ? size : sizeof hosts);
  hosts >>= 8;  // well below the saturation of size()
  for (auto family : {pot::net::Family::kV4, pot::net::Family::kV6}) {
    int prefix = pot::net::prefix_for_hosts(family, hosts);
    IpAddress zero;
    zero.family = family;
    uint64_t reserved = family == pot::net::Family::kV4 ? 3 : 2;
    if (prefix >= 0) FUZZ_CHECK(IpNetwork::of(zero, prefix).size() >= hosts + reserved);
  }
  return 0;
}
