// Private bridges (bridges/<name>) and bringing bridges up and down: create-private-bridge,
// vnet-start, vnet-stop, and what de-init removes.
#include <algorithm>

#include "core/error.h"
#include "core/file_util.h"
#include "core/names.h"
#include "net/address_pool.h"
#include "net/interface_names.h"
#include "pot/network.h"
#include "pot/network_shared.h"

namespace pot {

using net::IpNetwork;

void create_private_bridge(Context& ctx, const std::string& name, uint64_t hosts) {
  const Settings& s = ctx.settings();
  validate_name("bridge", name);
  if (hosts == 0) throw Error("a private bridge needs room for at least one host (-S)");
  FileLock lock = lock_network(s);
  if (fs::exists(bridge_file(s, name)))
    throw Error("bridge " + quote_name(name) + " already exists");
  IpNetwork net = network4(s);
  net::TakenAddresses taken;
  taken.addresses.insert(gateway4(s));
  for (const auto& pot : all_pot_networks(ctx)) {
    for (const auto& address : pot.addresses)
      if (address.is_v4()) taken.addresses.insert(address);
  }
  for (const auto& bridge : list_private_bridges(ctx)) taken.networks.push_back(bridge.network4);
  auto subnet = net::carve_subnet(net, net::prefix_for_hosts(net::Family::kV4, hosts), taken);
  if (!subnet)
    throw Error("no room in POT_NETWORK " + net.str() + " for a bridge of " +
                std::to_string(hosts) + " hosts");
  std::string text =
      "name=" + name + "\nnet=" + subnet->str() + "\ngateway=" + subnet->at(1).str() + "\n";
  if (auto net6 = network6(s)) {
    IpNetwork sub6 = twin6(s, *net6, *subnet);
    text += "net6=" + sub6.str() + "\ngateway6=" + sub6.at(1).str() + "\n";
  }
  make_dirs(s.bridges_dir());
  write_file_atomic(bridge_file(s, name), text);
}

std::vector<PrivateBridge> list_private_bridges(const Context& ctx) {
  std::vector<PrivateBridge> bridges;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ctx.settings().bridges_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name[0] == '.') continue;
    if (auto bridge = load_private_bridge(ctx.settings(), name)) bridges.push_back(*bridge);
  }
  std::sort(bridges.begin(), bridges.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return bridges;
}

void vnet_start(Context& ctx, const std::string& bridge) {
  const Settings& s = ctx.settings();
  net::BridgeSpec spec =
      bridge_spec_for(s, bridge.empty() ? "public-bridge" : "private-bridge", bridge);
  FileLock lock = lock_network(s);
  ctx.network().bring_up_bridge(spec);
}

void vnet_stop(Context& ctx, const std::string& bridge) {
  const Settings& s = ctx.settings();
  std::string type = bridge.empty() ? "public-bridge" : "private-bridge";
  net::BridgeSpec spec = bridge_spec_for(s, type, bridge);
  FileLock lock = lock_network(s);
  for (const auto& pot : all_pot_networks(ctx)) {
    if (pot.type == type && pot.bridge == bridge && pot_network_in_use(s, pot.pot))
      throw Error(
          (bridge.empty() ? std::string("the public bridge") : "bridge " + quote_name(bridge)) +
          " is in use by pot " + quote_name(pot.pot) + ": stop it first");
  }
  ctx.network().take_down_bridge(spec);
}

void remove_root_network(Context& ctx) {
  const Settings& s = ctx.settings();
  FileLock lock = lock_network(s);
  // The firewall first: with it gone, taking a bridge down is removing its link.
  ctx.network().remove_root_firewall();
  ctx.network().take_down_bridge(bridge_spec_for(s, "public-bridge", ""));
  for (const auto& bridge : list_private_bridges(ctx))
    ctx.network().take_down_bridge(bridge_spec_for(s, "private-bridge", bridge.name));
}

}  // namespace pot
