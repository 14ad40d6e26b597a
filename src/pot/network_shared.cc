#include "pot/network_shared.h"

#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/names.h"
#include "core/settings.h"
#include "net/interface_names.h"
#include "pot/leftovers.h"
#include "pot/run_state.h"

namespace pot {

using net::IpAddress;
using net::IpNetwork;

std::vector<PotNetworkEntry> all_pot_networks(const Context& ctx) {
  std::vector<PotNetworkEntry> result;
  for (const auto& [name, conf] : confs_of_pots_and_creations(ctx)) {
    PotNetworkEntry pot{name, conf.get_or("network_type", "none"), conf.get_or("bridge", ""), {}};
    std::istringstream words(conf.get_or("ip", ""));
    std::string word;
    while (words >> word) {
      if (auto address = IpAddress::try_parse(word)) pot.addresses.push_back(*address);
    }
    result.push_back(std::move(pot));
  }
  return result;
}

IpNetwork network4(const Settings& s) {
  IpNetwork net = with_context("POT_NETWORK", [&] { return IpNetwork::parse(s.network); });
  if (!net.address.is_v4()) throw Error("POT_NETWORK " + s.network + ": must be IPv4");
  return net;
}

IpAddress gateway4(const Settings& s) {
  IpAddress gateway = with_context("POT_GATEWAY", [&] { return IpAddress::parse(s.gateway); });
  if (!network4(s).contains(gateway))
    throw Error("POT_GATEWAY " + s.gateway + " is outside POT_NETWORK " + s.network);
  return gateway;
}

std::optional<IpNetwork> network6(const Settings& s) {
  if (s.network6.empty()) return std::nullopt;
  IpNetwork net = with_context("POT_NETWORK6", [&] { return IpNetwork::parse(s.network6); });
  if (!net.address.is_v4() && net.prefix_length <= 128 - (32 - network4(s).prefix_length))
    return net;
  throw Error("POT_NETWORK6 " + s.network6 +
              ": must be an IPv6 network with at least as many host bits as POT_NETWORK");
}

IpNetwork twin6(const Settings& s, const IpNetwork& net6, const IpNetwork& net4) {
  return IpNetwork{net6.at(network4(s).offset_of(net4.address)), 128 - (32 - net4.prefix_length)};
}

fs::path bridge_file(const Settings& s, const std::string& name) {
  return s.bridges_dir() / name;
}

std::optional<PrivateBridge> load_private_bridge(const Settings& s, const std::string& name) {
  auto text = read_file_if_exists(bridge_file(s, name));
  if (!text) return std::nullopt;
  auto values = parse_shell_assignments(*text);
  return with_context("bridge " + quote_name(name), [&] {
    PrivateBridge bridge{name, IpNetwork::parse(values["net"]), IpAddress::parse(values["gateway"]),
                         std::nullopt, std::nullopt};
    if (!values["net6"].empty()) {
      bridge.network6 = IpNetwork::parse(values["net6"]);
      bridge.gateway6 = IpAddress::parse(values["gateway6"]);
    }
    return bridge;
  });
}

PrivateBridge require_private_bridge(const Settings& s, const std::string& name) {
  validate_name("bridge", name);
  auto bridge = load_private_bridge(s, name);
  if (!bridge)
    throw Error("bridge " + quote_name(name) + " not found: see pot create-private-bridge");
  return *bridge;
}

net::BridgeSpec bridge_spec_for(const Settings& s, const std::string& type,
                                const std::string& bridge) {
  if (type == "private-bridge") {
    PrivateBridge priv = require_private_bridge(s, bridge);
    return net::BridgeSpec{net::private_bridge_interface(s.root_tag(), priv.name),
                           priv.network4,
                           priv.gateway4,
                           priv.network6,
                           priv.gateway6,
                           /*isolated=*/true};
  }
  net::BridgeSpec spec{net::public_bridge_interface(s.root_tag()),
                       network4(s),
                       gateway4(s),
                       network6(s),
                       std::nullopt,
                       /*isolated=*/false};
  if (spec.network6) spec.gateway6 = spec.network6->at(1);
  return spec;
}

bool pot_network_in_use(const Settings& s, const std::string& pot) {
  RunState state = RunState::load(s, pot);
  return state.running() || (state.status == Status::kStarting && state.monitor_alive());
}

std::string host_extif(Context& ctx) {
  const Settings& s = ctx.settings();
  if (!s.extif.empty()) return s.extif;
  auto route = ctx.network().default_route(net::Family::kV4);
  if (!route) throw Error("POT_EXTIF is not set and the host has no default route");
  return route->interface;
}

}  // namespace pot
