// What the pot layer's network files share: the root's networks from its settings, the
// private bridges on disk, and a scan of every pot's addresses. Internal to src/pot/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.h"
#include "net/pot_network.h"
#include "pot/context.h"
#include "pot/network.h"

namespace pot {

// One pot's network as its pot.conf records it.
struct PotNetworkEntry {
  std::string pot;
  std::string type;    // network_type
  std::string bridge;  // private-bridge only
  std::vector<net::IpAddress> addresses;
};

// Every pot of the root, those being created included (their hidden directories).
// Complete only under the network lock, which every rename of a pot directory holds.
std::vector<PotNetworkEntry> all_pot_networks(const Context& ctx);

net::IpNetwork network4(const Settings& s);  // POT_NETWORK
net::IpAddress gateway4(const Settings& s);  // POT_GATEWAY, checked to be in POT_NETWORK
// POT_NETWORK6, when set. Each IPv4 offset in POT_NETWORK has its IPv6 twin at the same
// offset, so private bridges get IPv6 subnets without a second allocation.
std::optional<net::IpNetwork> network6(const Settings& s);
net::IpNetwork twin6(const Settings& s, const net::IpNetwork& net6, const net::IpNetwork& net4);

fs::path bridge_file(const Settings& s, const std::string& name);
std::optional<PrivateBridge> load_private_bridge(const Settings& s, const std::string& name);
PrivateBridge require_private_bridge(const Settings& s, const std::string& name);
// The bridge of a network type: the public one, or the private `bridge`.
net::BridgeSpec bridge_spec_for(const Settings& s, const std::string& type,
                                const std::string& bridge);

// True while the pot runs or is being started by a live process: its network is in use.
bool pot_network_in_use(const Settings& s, const std::string& pot);

// POT_EXTIF, or the interface of the host's default route.
std::string host_extif(Context& ctx);

}  // namespace pot
