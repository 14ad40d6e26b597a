// Network types and address allocation: what `pot create` and `pot clone` record in pot.conf.
#include <algorithm>

#include "core/error.h"
#include "core/names.h"
#include "net/address_pool.h"
#include "pot/network.h"
#include "pot/network_shared.h"
#include "pot/run_state.h"

namespace pot {

using net::IpAddress;
using net::IpNetwork;

namespace {

net::TakenAddresses taken_in(const Context& ctx, const net::BridgeSpec& bridge, bool v6,
                             const std::vector<PotNetworkEntry>& pots) {
  net::TakenAddresses taken;
  for (const auto& pot : pots) taken.addresses.insert(pot.addresses.begin(), pot.addresses.end());
  taken.addresses.insert(v6 ? *bridge.gateway6 : bridge.gateway4);
  if (!bridge.isolated) {
    // The public bridge spans POT_NETWORK: private bridges' subnets are not its to give.
    for (const auto& priv : list_private_bridges(ctx)) {
      if (!v6) taken.networks.push_back(priv.network4);
      if (v6 && priv.network6) taken.networks.push_back(*priv.network6);
    }
  }
  return taken;
}

IpAddress pick_address(const Context& ctx, const net::BridgeSpec& bridge, bool v6,
                       const std::vector<PotNetworkEntry>& pots,
                       const std::optional<IpAddress>& wanted, uint64_t first_offset) {
  const IpNetwork& net = v6 ? *bridge.network6 : bridge.network4;
  auto taken = taken_in(ctx, bridge, v6, pots);
  if (wanted) {
    if (auto why = net::address_unusable(net, taken, *wanted))
      throw Error("address " + wanted->str() + " cannot be used: " + *why);
    return *wanted;
  }
  auto address = net::next_free_address(net, taken, first_offset);
  if (!address) throw Error("no free address left in " + net.str());
  return *address;
}

void validate_dns(const std::string& dns) {
  if (dns == "inherit" || dns == "pot" || dns == "off") return;
  if (dns.rfind("custom:", 0) == 0) {
    fs::path file = dns.substr(7);
    if (!file.is_absolute())
      throw Error("dns file " + quote_name(file.string()) + ": must be an absolute path");
    if (!fs::is_regular_file(file))
      throw Error("dns file " + quote_name(file.string()) + " not found");
    return;
  }
  throw Error("invalid dns " + quote_name(dns) + ": expected inherit, pot, custom:FILE or off");
}

// -i values: at most one IPv4 and one IPv6 address; "auto" asks for the next free one.
void parse_wanted(const std::vector<std::string>& values, std::optional<IpAddress>& v4,
                  std::optional<IpAddress>& v6) {
  for (const auto& text : values) {
    if (text == "auto") continue;
    IpAddress address = IpAddress::parse(text);
    auto& slot = address.is_v4() ? v4 : v6;
    if (slot)
      throw Error("-i gives two " + std::string(address.is_v4() ? "IPv4" : "IPv6") + " addresses");
    slot = address;
  }
}

}  // namespace

bool is_bridge_network(const std::string& type) {
  return type == "public-bridge" || type == "private-bridge";
}

void validate_network_type(const std::string& type) {
  if (type == "none" || type == "inherit" || type == "alias" || is_bridge_network(type)) return;
  throw Error("invalid network type " + quote_name(type) +
              ": expected none, inherit, alias, public-bridge or private-bridge");
}

FileLock lock_network(const Settings& settings) {
  return FileLock::acquire(global_lock_path(settings, "network"));
}

void assign_network(Context& ctx, const NetworkRequest& request, PotConf& conf) {
  const Settings& s = ctx.settings();
  validate_network_type(request.type);
  std::string dns = request.dns.empty() ? "inherit" : request.dns;
  validate_dns(dns);
  conf.set("pot.dns", dns);
  conf.set("network_type", request.type);
  conf.remove("ip");
  conf.remove("bridge");
  conf.set("vnet", request.type == "inherit" ? "false" : "true");
  if (request.type == "none" || request.type == "inherit") {
    if (!request.addresses.empty())
      throw Error("-i is only for alias, public-bridge and private-bridge pots");
    if (!request.bridge.empty()) throw Error("-B is only for private-bridge pots");
    return;
  }
  if (request.type != "private-bridge" && !request.bridge.empty())
    throw Error("-B is only for private-bridge pots");
  if (request.type == "private-bridge" && request.bridge.empty())
    throw Error("a private-bridge pot needs -B BRIDGE");

  std::optional<IpAddress> wanted4, wanted6;
  parse_wanted(request.addresses, wanted4, wanted6);
  auto pots = all_pot_networks(ctx);
  std::vector<IpAddress> chosen;
  if (request.type == "alias") {
    if (!wanted4 && !wanted6) throw Error("an alias pot needs -i ADDRESS");
    for (const auto& wanted : {wanted4, wanted6}) {
      if (!wanted) continue;
      for (const auto& pot : pots) {
        if (std::count(pot.addresses.begin(), pot.addresses.end(), *wanted) != 0)
          throw Error("address " + wanted->str() + " cannot be used: pot " + quote_name(pot.pot) +
                      " has it");
      }
      chosen.push_back(*wanted);
    }
  } else {
    net::BridgeSpec bridge = bridge_spec_for(s, request.type, request.bridge);
    IpAddress v4 = pick_address(ctx, bridge, false, pots, wanted4, 1);
    chosen.push_back(v4);
    if (wanted6 && !bridge.network6) throw Error("an IPv6 address needs POT_NETWORK6");
    if (bridge.network6) {
      chosen.push_back(
          pick_address(ctx, bridge, true, pots, wanted6, bridge.network4.offset_of(v4)));
    }
    if (request.type == "private-bridge") conf.set("bridge", request.bridge);
  }
  std::string list;
  for (const auto& address : chosen) list += (list.empty() ? "" : " ") + address.str();
  conf.set("ip", list);
}

}  // namespace pot
