#include "pot/network.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/names.h"
#include "core/settings.h"
#include "net/address_pool.h"
#include "net/interface_names.h"
#include "net/port_spec.h"
#include "pot/lifecycle.h"
#include "pot/pots.h"
#include "pot/run_state.h"

namespace pot {

using net::IpAddress;
using net::IpNetwork;

namespace {

constexpr uint16_t kFirstAutoPort = 30000;  // host ports pot picks: 30000-32767
constexpr uint16_t kLastAutoPort = 32767;

struct PotAddresses {
  std::string pot;
  std::string type;
  std::string bridge;
  std::vector<IpAddress> addresses;
};

// The network of every pot of the root, those being created included.
std::vector<PotAddresses> all_pot_addresses(const Context& ctx) {
  std::vector<PotAddresses> result;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ctx.settings().jails_dir(), ec)) {
    std::string file = entry.path().filename().string();
    std::string name = file;
    if (file[0] == '.') {
      auto creation = parse_creation_entry(file);
      if (!creation || !creation->creator_alive) continue;
      name = creation->name;
    }
    auto text = read_file_if_exists(entry.path() / "conf" / "pot.conf");
    if (!text) continue;
    PotConf conf = PotConf::parse(*text);
    PotAddresses pot{name, conf.get_or("network_type", "none"), conf.get_or("bridge", ""), {}};
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
  return with_context("POT_NETWORK", [&] { return IpNetwork::parse(s.network); });
}

IpAddress gateway4(const Settings& s) {
  IpAddress gateway = with_context("POT_GATEWAY", [&] { return IpAddress::parse(s.gateway); });
  if (!network4(s).contains(gateway))
    throw Error("POT_GATEWAY " + s.gateway + " is outside POT_NETWORK " + s.network);
  return gateway;
}

// POT_NETWORK6, when set. Each IPv4 host offset in POT_NETWORK has its IPv6 twin at the
// same offset, so private bridges get IPv6 subnets without another allocation.
std::optional<IpNetwork> network6(const Settings& s) {
  if (s.network6.empty()) return std::nullopt;
  IpNetwork net = with_context("POT_NETWORK6", [&] { return IpNetwork::parse(s.network6); });
  if (!net.address.is_v4() && net.prefix_length <= 128 - (32 - network4(s).prefix_length))
    return net;
  throw Error("POT_NETWORK6 " + s.network6 + ": must be an IPv6 network with at least as many " +
              "host bits as POT_NETWORK");
}

// The IPv6 twin of an IPv4 network inside POT_NETWORK.
IpNetwork twin6(const Settings& s, const IpNetwork& net6, const IpNetwork& net4) {
  IpNetwork twin{net6.at(network4(s).offset_of(net4.address)), 128 - (32 - net4.prefix_length)};
  return twin;
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

net::BridgeSpec public_bridge_spec(const Settings& s) {
  net::BridgeSpec spec{net::public_bridge_interface(s.root_tag()),
                       network4(s),
                       gateway4(s),
                       network6(s),
                       std::nullopt,
                       false};
  if (spec.network6) spec.gateway6 = spec.network6->at(1);
  return spec;
}

net::BridgeSpec private_bridge_spec(const Settings& s, const PrivateBridge& bridge) {
  return net::BridgeSpec{net::private_bridge_interface(s.root_tag(), bridge.name),
                         bridge.network4,
                         bridge.gateway4,
                         bridge.network6,
                         bridge.gateway6,
                         true};
}

net::BridgeSpec bridge_spec_for(const Settings& s, const std::string& type,
                                const std::string& bridge) {
  if (type == "private-bridge") return private_bridge_spec(s, require_private_bridge(s, bridge));
  return public_bridge_spec(s);
}

net::TakenAddresses taken_in(const Context& ctx, const net::BridgeSpec& bridge, bool v6,
                             const std::vector<PotAddresses>& pots) {
  net::TakenAddresses taken;
  for (const auto& pot : pots) taken.addresses.insert(pot.addresses.begin(), pot.addresses.end());
  taken.addresses.insert(v6 ? *bridge.gateway6 : bridge.gateway4);
  if (!bridge.isolated) {
    // The public bridge spans POT_NETWORK: private bridges' subnets are not its to give.
    for (const auto& priv : list_private_bridges(ctx)) {
      if (!v6) taken.networks.push_back(priv.network4);
      if (v6 && priv.network6) taken.networks.push_back(*priv.network6);
      taken.addresses.insert(priv.gateway4);
    }
  }
  return taken;
}

IpAddress pick_address(const Context& ctx, const net::BridgeSpec& bridge, bool v6,
                       const std::vector<PotAddresses>& pots,
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
  if (dns.rfind("custom:", 0) == 0 && dns.size() > 7) {
    if (!fs::is_regular_file(dns.substr(7)))
      throw Error("dns file " + quote_name(dns.substr(7)) + " not found");
    return;
  }
  throw Error("invalid dns " + quote_name(dns) + ": expected inherit, pot, custom:FILE or off");
}

std::string host_extif(const Settings& s) {
  if (!s.extif.empty()) return s.extif;
  auto route = net::Netlink().default_route(net::Family::kV4);
  if (!route) throw Error("POT_EXTIF is not set and the host has no default route");
  return route->interface;
}

std::optional<std::string> resolv_conf_for(const Settings& s, const PotConf& conf) {
  std::string dns = conf.get_or("pot.dns", "inherit");
  if (dns == "off") return std::nullopt;
  if (dns == "pot") {
    if (s.dns_ip.empty()) throw Error("pot.dns is `pot` but POT_DNS_IP is not set");
    return "nameserver " + s.dns_ip + "\n";
  }
  fs::path file = dns == "inherit" ? fs::path("/etc/resolv.conf") : fs::path(dns.substr(7));
  auto text = read_file_if_exists(file);
  if (!text && dns != "inherit")
    throw Error("dns file " + quote_name(file.string()) + " not found");
  return text;
}

std::vector<IpAddress> pot_addresses(const PotConf& conf) {
  std::vector<IpAddress> addresses;
  std::istringstream words(conf.get_or("ip", ""));
  std::string word;
  while (words >> word) addresses.push_back(IpAddress::parse(word));
  return addresses;
}

bool running_pot_uses(Context& ctx, const std::string& type, const std::string& bridge) {
  for (const auto& pot : all_pot_addresses(ctx)) {
    if (pot.type == type && pot.bridge == bridge && ctx.pot_exists(pot.pot) &&
        pot_is_running(ctx, pot.pot))
      return true;
  }
  return false;
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
  return FileLock::acquire(settings.run_dir() / "network.lock");
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
  for (const auto& text : request.addresses) {
    if (text == "auto") continue;
    IpAddress address = IpAddress::parse(text);
    auto& slot = address.is_v4() ? wanted4 : wanted6;
    if (slot)
      throw Error("-i gives two " + std::string(address.is_v4() ? "IPv4" : "IPv6") + " addresses");
    slot = address;
  }
  auto pots = all_pot_addresses(ctx);
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
  for (const auto& pot : all_pot_addresses(ctx)) {
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
  net::bring_up_bridge(net::firewall_table(s.root_tag()), spec);
}

void vnet_stop(Context& ctx, const std::string& bridge) {
  const Settings& s = ctx.settings();
  std::string type = bridge.empty() ? "public-bridge" : "private-bridge";
  net::BridgeSpec spec = bridge_spec_for(s, type, bridge);
  FileLock lock = lock_network(s);
  if (running_pot_uses(ctx, type, bridge))
    throw Error(
        (bridge.empty() ? std::string("the public bridge") : "bridge " + quote_name(bridge)) +
        " has running pots: stop them first");
  net::take_down_bridge(net::firewall_table(s.root_tag()), spec);
}

void remove_root_network(Context& ctx) {
  const Settings& s = ctx.settings();
  FileLock lock = lock_network(s);
  std::string table = net::firewall_table(s.root_tag());
  net::Netlink host;
  host.delete_link(net::public_bridge_interface(s.root_tag()));
  for (const auto& bridge : list_private_bridges(ctx))
    host.delete_link(net::private_bridge_interface(s.root_tag(), bridge.name));
  net::delete_firewall_table(table);
}

std::string resolve_port_exports(Context& ctx, const std::string& pot,
                                 const std::vector<std::string>& specs) {
  ctx.require_pot(pot);
  std::vector<net::PortExport> exports;
  for (const auto& spec : specs) exports.push_back(net::PortExport::parse(spec));
  FileLock lock = lock_network(ctx.settings());
  // Host ports other pots have, and ports something on the host listens on, are taken.
  std::set<std::string> taken;
  std::error_code ec;
  for (const auto& other : list_pots(ctx)) {
    if (other == pot) continue;
    for (const auto& port :
         net::parse_port_exports(ctx.load_conf(other).get_or("pot.export.ports", ""))) {
      taken.insert(port.protocol + ":" + std::to_string(port.host_port.value_or(port.pot_port)));
    }
  }
  auto key = [](const std::string& protocol, uint16_t port) {
    return protocol + ":" + std::to_string(port);
  };
  for (auto& port : exports) {
    if (port.host_port) {
      std::string k = key(port.protocol, *port.host_port);
      if (taken.count(k) != 0)
        throw Error("host port " + k + " is already exported by another pot");
      if (!net::host_port_free(port.protocol, *port.host_port))
        throw Error("host port " + k + " is in use on the host");
    } else {
      for (uint32_t candidate = kFirstAutoPort; candidate <= kLastAutoPort; ++candidate) {
        auto p = static_cast<uint16_t>(candidate);
        if (taken.count(key(port.protocol, p)) == 0 && net::host_port_free(port.protocol, p)) {
          port.host_port = p;
          break;
        }
      }
      if (!port.host_port) throw Error("no free host port left for " + port.str());
    }
    taken.insert(key(port.protocol, *port.host_port));
  }
  return net::format_port_exports(exports);
}

std::string PotNetworkPlan::record() const {
  std::string text;
  if (interface && interface->kind == net::PotInterface::Kind::kVeth)
    text += "link=" + interface->host_interface;
  std::string forwards_text;
  for (const auto& f : forwards) {
    forwards_text += (forwards_text.empty() ? "" : ",") + f.protocol + "/" +
                     std::to_string(f.host_port) + "/" + f.pot_address.str() + "/" +
                     std::to_string(f.pot_port);
  }
  if (!forwards_text.empty()) text += (text.empty() ? "" : ";") + ("fwd=" + forwards_text);
  return text;
}

PotNetworkPlan plan_pot_network(Context& ctx, const std::string& pot, const PotConf& conf) {
  const Settings& s = ctx.settings();
  PotNetworkPlan plan;
  std::string type = conf.get_or("network_type", "none");
  plan.resolv_conf = resolv_conf_for(s, conf);
  if (type == "none" || type == "inherit") return plan;
  std::string hostname = conf.get_or("host.hostname", pot);
  std::vector<IpAddress> addresses = pot_addresses(conf);
  if (addresses.empty()) throw Error("pot " + quote_name(pot) + " has no address (ip) for " + type);
  net::PotInterface interface;
  if (type == "alias") {
    interface.kind = net::PotInterface::Kind::kMacvlan;
    interface.host_interface = host_extif(s);
    net::Netlink host;
    for (const auto& address : addresses) {
      // The pot joins the host's own network on that interface, with its prefix.
      std::optional<IpNetwork> on_link;
      for (const auto& candidate : host.addresses(interface.host_interface)) {
        auto net = IpNetwork::of(candidate.address, candidate.prefix_length);
        if (net.contains(address)) on_link = net;
        if (candidate.address == address)
          throw Error("address " + address.str() + " belongs to the host's " +
                      interface.host_interface);
      }
      if (!on_link)
        throw Error("address " + address.str() + " is not on the network of " +
                    interface.host_interface + " (POT_EXTIF)");
      interface.addresses.push_back({address, on_link->prefix_length});
      auto route = host.default_route(address.family);
      if (route && route->interface == interface.host_interface && route->gateway &&
          on_link->contains(*route->gateway))
        interface.gateways.push_back(*route->gateway);
    }
  } else {
    net::BridgeSpec bridge = bridge_spec_for(s, type, conf.get_or("bridge", ""));
    interface.kind = net::PotInterface::Kind::kVeth;
    interface.host_interface = net::pot_veth_interface(s.root_tag(), pot);
    interface.bridge = bridge.interface;
    for (const auto& address : addresses) {
      bool v4 = address.is_v4();
      if (!v4 && !bridge.network6) continue;  // POT_NETWORK6 was unset since
      interface.addresses.push_back(
          {address, v4 ? bridge.network4.prefix_length : bridge.network6->prefix_length});
      interface.gateways.push_back(v4 ? bridge.gateway4 : *bridge.gateway6);
      for (const auto& port : net::parse_port_exports(conf.get_or("pot.export.ports", ""))) {
        plan.forwards.push_back(net::PortForward{
            port.protocol, port.host_port.value_or(port.pot_port), address, port.pot_port});
      }
    }
    plan.bridge = bridge;
    if (!conf.attr("no-etc-hosts", false)) {
      for (const auto& other : all_pot_addresses(ctx)) {
        if (other.pot == pot || other.type != type || other.bridge != conf.get_or("bridge", ""))
          continue;
        for (const auto& address : other.addresses)
          plan.hosts.push_back(address.str() + "\t" + other.pot);
      }
    }
  }
  for (const auto& address : interface.addresses)
    plan.hosts.insert(plan.hosts.begin(), address.address.str() + "\t" + hostname);
  plan.interface = interface;
  return plan;
}

void prepare_pot_network(Context& ctx, const std::string& pot, const PotNetworkPlan& plan) {
  const Settings& s = ctx.settings();
  if (!plan.bridge && plan.forwards.empty()) return;
  std::string table = net::firewall_table(s.root_tag());
  FileLock lock = lock_network(s);
  if (plan.bridge) net::bring_up_bridge(table, *plan.bridge);
  if (plan.forwards.empty()) return;
  // A host port forwarded already: to a running pot, refuse; left by a pot that died
  // without cleanup (a killed `pot`, a crash), take it back from that pot's leftovers.
  auto pots = all_pot_addresses(ctx);
  for (const auto& current : net::current_port_forwards(table)) {
    for (const auto& wanted : plan.forwards) {
      if (current.protocol != wanted.protocol || current.host_port != wanted.host_port) continue;
      std::string owner;
      for (const auto& other : pots) {
        if (std::count(other.addresses.begin(), other.addresses.end(), current.pot_address))
          owner = other.pot;
      }
      std::string port = current.protocol + ":" + std::to_string(current.host_port);
      if (!owner.empty() && owner != pot && RunState::load(s, owner).running())
        throw Error("host port " + port + " is already forwarded to running pot " +
                    quote_name(owner));
      net::remove_port_forwards(table, {current});
    }
  }
}

void attach_pot_network(Context& ctx, const PotNetworkPlan& plan, pid_t init_pid) {
  if (plan.interface) net::attach_pot_interface(init_pid, *plan.interface);
  net::add_port_forwards(net::firewall_table(ctx.settings().root_tag()), plan.forwards);
}

void release_pot_network(Context& ctx, const std::string& record) {
  if (record.empty()) return;
  std::vector<net::PortForward> forwards;
  std::string link;
  std::istringstream parts(record);
  std::string part;
  while (std::getline(parts, part, ';')) {
    if (part.rfind("link=", 0) == 0) link = part.substr(5);
    if (part.rfind("fwd=", 0) != 0) continue;
    std::istringstream items(part.substr(4));
    std::string item;
    while (std::getline(items, item, ',')) {
      std::istringstream fields(item);
      std::string protocol, host_port, address, pot_port;
      std::getline(fields, protocol, '/');
      std::getline(fields, host_port, '/');
      std::getline(fields, address, '/');
      std::getline(fields, pot_port, '/');
      forwards.push_back(net::PortForward{protocol, static_cast<uint16_t>(std::stoul(host_port)),
                                          IpAddress::parse(address),
                                          static_cast<uint16_t>(std::stoul(pot_port))});
    }
  }
  net::remove_port_forwards(net::firewall_table(ctx.settings().root_tag()), forwards);
  if (!link.empty()) net::Netlink().delete_link(link);
}

}  // namespace pot
