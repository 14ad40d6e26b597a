// Choosing addresses and subnets: pure functions over what is already taken, so the caller
// decides where "taken" comes from (the pots' configuration, under the network lock).
#pragma once

#include <optional>
#include <set>
#include <vector>

#include "net/ip_address.h"

namespace pot::net {

struct TakenAddresses {
  std::set<IpAddress> addresses;    // pots, gateways
  std::vector<IpNetwork> networks;  // subnets carved out (private bridges)
};

// The first usable address of `network` at or after `first_offset` that is neither taken
// nor inside a taken network (IPv4: never the network or broadcast address).
std::optional<IpAddress> next_free_address(const IpNetwork& network, const TakenAddresses& taken,
                                           uint64_t first_offset = 1);

// Why `address` cannot be a pot's address in `network`, or nullopt when it can.
std::optional<std::string> address_unusable(const IpNetwork& network, const TakenAddresses& taken,
                                            const IpAddress& address);

// The first aligned subnet of `network` with `prefix_length` holding no taken address and
// overlapping no taken network.
std::optional<IpNetwork> carve_subnet(const IpNetwork& network, int prefix_length,
                                      const TakenAddresses& taken);

}  // namespace pot::net
