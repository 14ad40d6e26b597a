#include "net/address_pool.h"

#include <algorithm>
#include <string>

namespace pot::net {

namespace {

bool in_taken_network(const TakenAddresses& taken, const IpAddress& address) {
  for (const auto& net : taken.networks) {
    if (net.contains(address)) return true;
  }
  return false;
}

// The last offset a host may have: IPv4 keeps its broadcast address free.
uint64_t last_host_offset(const IpNetwork& network) {
  uint64_t reserved = network.family() == Family::kV4 ? 2 : 1;
  return network.size() > reserved ? network.size() - reserved : 0;
}

// The search gives up after this many candidate subnets (a /10 holds 2^18 /28s).
constexpr uint64_t kMaxCarveCandidates = uint64_t{1} << 24;

}  // namespace

std::optional<std::string> address_unusable(const IpNetwork& network, const TakenAddresses& taken,
                                            const IpAddress& address) {
  if (!network.contains(address)) return "it is outside the network " + network.str();
  uint64_t offset = network.offset_of(address);
  if (offset == 0 || offset > last_host_offset(network))
    return "it is the network's " + std::string(offset == 0 ? "own" : "broadcast") + " address";
  if (taken.addresses.count(address) != 0) return "it is already taken";
  if (in_taken_network(taken, address)) return "it belongs to a private bridge";
  return std::nullopt;
}

std::optional<IpAddress> next_free_address(const IpNetwork& network, const TakenAddresses& taken,
                                           uint64_t first_offset) {
  uint64_t last = last_host_offset(network);
  for (uint64_t offset = std::max<uint64_t>(first_offset, 1); offset <= last; ++offset) {
    IpAddress candidate = network.at(offset);
    if (taken.addresses.count(candidate) != 0) continue;
    // Skip a whole taken network at once rather than address by address.
    bool skipped = false;
    for (const auto& net : taken.networks) {
      if (net.contains(candidate)) {
        offset = network.offset_of(net.last());
        skipped = true;
        break;
      }
    }
    if (!skipped) return candidate;
  }
  return std::nullopt;
}

std::optional<IpNetwork> carve_subnet(const IpNetwork& network, int prefix_length,
                                      const TakenAddresses& taken) {
  if (prefix_length < network.prefix_length) return std::nullopt;
  int host_bits = (network.family() == Family::kV4 ? 32 : 128) - prefix_length;
  int index_bits = prefix_length - network.prefix_length;
  uint64_t blocks = index_bits >= 62 ? kMaxCarveCandidates : uint64_t{1} << index_bits;
  blocks = std::min(blocks, kMaxCarveCandidates);
  for (uint64_t i = 0; i < blocks; ++i) {
    IpNetwork candidate{network.address.plus_shifted(i, host_bits), prefix_length};
    bool free = true;
    for (const auto& address : taken.addresses) {
      if (candidate.contains(address)) {
        free = false;
        break;
      }
    }
    for (const auto& net : taken.networks) {
      if (!free) break;
      if (candidate.overlaps(net)) free = false;
    }
    if (free) return candidate;
  }
  return std::nullopt;
}

}  // namespace pot::net
