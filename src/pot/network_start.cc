// What starting and stopping a pot does to the host's network: the plan made from
// pot.conf, the bridge, the pot's interface, its port forwards, and their removal.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/names.h"
#include "core/unique_fd.h"
#include "net/interface_names.h"
#include "net/port_spec.h"
#include "pot/network.h"
#include "pot/network_shared.h"

namespace pot {

using net::IpAddress;
using net::IpNetwork;

namespace {

constexpr size_t kMaxResolvConf = 64 * 1024;

// A custom resolv.conf: an absolute path to a regular file of sensible size, not a symlink.
std::string read_custom_resolv_conf(const fs::path& file) {
  auto fail = [&](const std::string& why) {
    return Error("dns file " + quote_name(file.string()) + ": " + why);
  };
  if (!file.is_absolute()) throw fail("must be an absolute path");
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd && errno == ELOOP) throw fail("is a symlink");
  if (!fd) throw_sys("opening dns file " + quote_name(file.string()));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw fail("not a regular file");
  if (static_cast<size_t>(st.st_size) > kMaxResolvConf) throw fail("larger than 64 KiB");
  return read_file(file);
}

std::optional<std::string> resolv_conf_for(const Settings& s, const std::string& pot,
                                           const PotConf& conf) {
  std::string dns = conf.get_or("pot.dns", "inherit");
  if (dns == "off") return std::nullopt;
  if (dns == "pot") {
    if (s.dns_ip.empty())
      throw Error("pot " + quote_name(pot) + " has pot.dns `pot` but POT_DNS_IP is not set");
    return "nameserver " + s.dns_ip + "\n";
  }
  if (dns.rfind("custom:", 0) == 0) return read_custom_resolv_conf(dns.substr(7));
  auto text = read_file_if_exists("/etc/resolv.conf");
  // systemd-resolved's stub (127.0.0.53) is the host's own loopback, out of reach of a
  // pot with a network of its own; resolved's list of real servers is not.
  if (text && text->find("nameserver 127.0.0.53") != std::string::npos &&
      conf.get_or("network_type", "none") != "inherit") {
    if (auto upstream = read_file_if_exists("/run/systemd/resolve/resolv.conf")) return upstream;
  }
  return text;
}

std::vector<IpAddress> configured_addresses(const std::string& pot, const PotConf& conf) {
  std::vector<IpAddress> addresses;
  std::istringstream words(conf.get_or("ip", ""));
  std::string word;
  while (words >> word) {
    addresses.push_back(
        with_context("pot " + quote_name(pot) + " ip", [&] { return IpAddress::parse(word); }));
  }
  return addresses;
}

// The alias interface: a macvlan on POT_EXTIF, each address with the prefix of the host's
// own network it belongs to, and the host's default route when it goes that way.
net::PotInterface alias_interface(Context& ctx, const std::vector<IpAddress>& addresses) {
  net::PotInterface interface;
  interface.kind = net::PotInterface::Kind::kMacvlan;
  interface.host_interface = host_extif(ctx);
  auto host_addresses = ctx.network().interface_addresses(interface.host_interface);
  for (const auto& address : addresses) {
    std::optional<IpNetwork> on_link;
    for (const auto& candidate : host_addresses) {
      auto network = IpNetwork::of(candidate.address, candidate.prefix_length);
      if (network.contains(address)) on_link = network;
      if (candidate.address == address)
        throw Error("address " + address.str() + " belongs to the host's " +
                    interface.host_interface);
    }
    if (!on_link)
      throw Error("address " + address.str() + " is not on the network of " +
                  interface.host_interface + " (POT_EXTIF)");
    interface.addresses.push_back({address, on_link->prefix_length});
    auto route = ctx.network().default_route(address.family);
    if (route && route->interface == interface.host_interface && route->gateway &&
        on_link->contains(*route->gateway))
      interface.gateways.push_back(*route->gateway);
  }
  return interface;
}

void warn(const std::string& pot, const std::string& what, const std::exception& e) {
  std::fprintf(stderr, "pot: %s of pot %s: %s\n", what.c_str(), quote_name(pot).c_str(), e.what());
}

}  // namespace

std::string NetworkRecord::format() const {
  std::string text = links ? "links" : "";
  for (const auto& f : forwards) {
    text +=
        (text.empty() ? "" : ";") + ("fwd=" + f.protocol + "/" + std::to_string(f.host_port) + "/" +
                                     f.pot_address.str() + "/" + std::to_string(f.pot_port));
  }
  return text;
}

NetworkRecord NetworkRecord::parse(const std::string& text) {
  NetworkRecord record;
  std::istringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ';')) {
    if (part == "links") record.links = true;
    if (part.rfind("fwd=", 0) != 0) continue;
    std::istringstream fields(part.substr(4));
    std::string protocol, host_port, address, pot_port;
    std::getline(fields, protocol, '/');
    std::getline(fields, host_port, '/');
    std::getline(fields, address, '/');
    std::getline(fields, pot_port, '/');
    auto host = net::parse_port_number(host_port), inside = net::parse_port_number(pot_port);
    auto ip = IpAddress::try_parse(address);
    if ((protocol != "tcp" && protocol != "udp") || !host || !inside || !ip) continue;
    record.forwards.push_back(net::PortForward{protocol, *host, *ip, *inside});
  }
  return record;
}

NetworkRecord PotNetworkPlan::record() const {
  return NetworkRecord{forwards, links_outlive_pot && interface.has_value()};
}

PotNetworkPlan plan_pot_network(Context& ctx, const std::string& pot, const PotConf& conf) {
  const Settings& s = ctx.settings();
  PotNetworkPlan plan;
  std::string type = conf.get_or("network_type", "none");
  plan.resolv_conf = resolv_conf_for(s, pot, conf);
  if (type == "none" || type == "inherit") return plan;
  std::vector<IpAddress> addresses = configured_addresses(pot, conf);
  if (addresses.empty())
    throw Error("pot " + quote_name(pot) + " has no address (ip) for its " + type + " network");
  plan.links_outlive_pot = ctx.network().links_outlive_pot();
  if (type == "alias") {
    plan.interface = alias_interface(ctx, addresses);
  } else {
    std::string bridge_name = conf.get_or("bridge", "");
    net::BridgeSpec bridge = bridge_spec_for(s, type, bridge_name);
    net::PotInterface interface;
    // interface.host_interface: named per run, in attach_pot_network
    interface.bridge = bridge.interface;
    auto exports = net::parse_port_exports(conf.get_or("pot.export.ports", ""));
    for (const auto& address : addresses) {
      bool v4 = address.is_v4();
      if (!v4 && !bridge.network6) continue;  // POT_NETWORK6 was unset since
      interface.addresses.push_back(
          {address, v4 ? bridge.network4.prefix_length : bridge.network6->prefix_length});
      interface.gateways.push_back(v4 ? bridge.gateway4 : *bridge.gateway6);
      for (const auto& port : exports) {
        plan.forwards.push_back(net::PortForward{
            port.protocol, port.host_port.value_or(port.pot_port), address, port.pot_port});
      }
    }
    plan.bridge = bridge;
    plan.interface = interface;
    if (!conf.attr("no-etc-hosts", false)) {
      for (const auto& other : all_pot_networks(ctx)) {
        if (other.pot == pot || other.type != type || other.bridge != bridge_name) continue;
        for (const auto& address : other.addresses)
          plan.hosts.push_back(address.str() + "\t" + other.pot);
      }
    }
  }
  std::string hostname = conf.get_or("host.hostname", pot);
  for (const auto& address : plan.interface->addresses)
    plan.hosts.insert(plan.hosts.begin(), address.address.str() + "\t" + hostname);
  return plan;
}

void prepare_pot_network(Context& ctx, const PotNetworkPlan& plan) {
  if (!plan.bridge) return;
  FileLock lock = lock_network(ctx.settings());
  ctx.network().bring_up_bridge(*plan.bridge);
}

void create_pot_links(Context& ctx, const std::string& pot, PotNetworkPlan& plan, JailSpec& spec) {
  if (!plan.interface) return;
  net::PotInterface& interface = *plan.interface;
  if (interface.kind == net::PotInterface::Kind::kVeth) {
    ctx.network().create_pot_links(pot, static_cast<unsigned>(::getpid()), interface);
    spec.freebsd.vnet_interface = interface.pot_interface;
    return;
  }
  // An alias: jail(8) puts the addresses on the host's interface itself.
  for (const auto& address : interface.addresses) {
    std::string entry = interface.host_interface + "|" + address.address.str();
    (address.address.is_v4() ? spec.freebsd.ip4_addresses : spec.freebsd.ip6_addresses)
        .push_back(entry);
  }
}

void attach_pot_network(Context& ctx, const std::string& pot, const PotNetworkPlan& plan,
                        pid_t init_pid) {
  const Settings& s = ctx.settings();
  if (plan.interface)
    ctx.network().attach(pot, static_cast<unsigned>(init_pid), *plan.interface, init_pid);
  if (plan.forwards.empty()) return;
  FileLock lock = lock_network(s);
  // A host port forwarded already: to a pot that runs or is starting, refuse; left by a
  // pot that died without cleanup (a killed `pot`, a crash), take it back.
  auto pots = all_pot_networks(ctx);
  for (const auto& current : ctx.network().current_forwards()) {
    for (const auto& wanted : plan.forwards) {
      if (current.protocol != wanted.protocol || current.host_port != wanted.host_port) continue;
      std::string owner;
      for (const auto& other : pots) {
        if (std::count(other.addresses.begin(), other.addresses.end(), current.pot_address))
          owner = other.pot;
      }
      if (!owner.empty() && owner != pot && pot_network_in_use(s, owner))
        throw Error("host port " + current.protocol + ":" + std::to_string(current.host_port) +
                    " is already forwarded to pot " + quote_name(owner));
      ctx.network().remove_forwards(owner.empty() ? pot : owner, {current});
    }
  }
  with_context("adding the port forwards of pot " + quote_name(pot),
               [&] { ctx.network().add_forwards(pot, plan.forwards); });
}

void release_pot_network(Context& ctx, const std::string& pot, const std::string& record_text) {
  if (record_text.empty()) return;
  NetworkRecord record = NetworkRecord::parse(record_text);
  try {
    ctx.network().remove_forwards(pot, record.forwards);
  } catch (const std::exception& e) {
    warn(pot, "removing the port forwards", e);
  }
  // A Linux veth needs nothing: the kernel removes it with the pot's network namespace.
  // Deleting it here would wait for that teardown, about 20 ms on every stop (measured);
  // one that something kept alive goes with the pot (remove_pot_links). A FreeBSD epair
  // outlives its jail, and the record says so.
  if (record.links) {
    try {
      ctx.network().remove_pot_links(pot, {});
    } catch (const std::exception& e) {
      warn(pot, "removing the network links", e);
    }
  }
}

void remove_pot_links(Context& ctx, const std::string& pot) {
  ctx.network().remove_pot_links(pot, {});
}

}  // namespace pot
