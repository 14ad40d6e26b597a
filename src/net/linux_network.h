// The Linux network: bridges, veths and macvlans through netlink, NAT and port forwarding in
// the root's nftables table (net/pot_network.h does the work; this is its seat behind the
// NetworkBackend interface).
#pragma once

#include <memory>

#include "core/settings.h"
#include "net/network_backend.h"

namespace pot::net {

std::unique_ptr<NetworkBackend> make_linux_network(const Settings& settings);

}  // namespace pot::net
