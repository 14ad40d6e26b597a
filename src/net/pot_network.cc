#include "net/pot_network.h"

#include "net/netlink.h"
#include "net/nftables.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_util.h"
#include "core/unique_fd.h"

namespace pot::net {

namespace {

// The table has this pot's rules and the bridge's elements: nothing to write. (A write
// makes the kernel wait for an RCU grace period, about 14 ms, on every start.)
bool bridge_rules_current(Nftables& nft, const std::string& table, const std::string& bridge) {
  if (!nft.table_exists(table)) return false;
  return nft_bridge_current(nft.list_json("list table inet " + table), bridge);
}

BridgeRules rules_of(const BridgeSpec& bridge) {
  return BridgeRules{bridge.interface, bridge.network4, bridge.network6, bridge.isolated};
}

}  // namespace

void bring_up_bridge(const std::string& table, const BridgeSpec& bridge) {
  Netlink host;
  host.ensure_bridge(bridge.interface);
  host.add_address(bridge.interface, {bridge.gateway4, bridge.network4.prefix_length});
  if (bridge.network6 && bridge.gateway6)
    host.add_address(bridge.interface, {*bridge.gateway6, bridge.network6->prefix_length});
  // The host reaches exported ports through 127.0.0.1: those packets leave through the
  // bridge with a loopback source until masqueraded, which the kernel allows only here.
  set_net_sysctl("ipv4/conf/" + bridge.interface + "/route_localnet", "1");
  set_net_sysctl("ipv4/ip_forward", "1");
  if (bridge.network6) {
    set_net_sysctl("ipv6/conf/all/forwarding", "1");
    // Without this the gateway's addresses stay "tentative" for a second or two after the
    // bridge comes up, and the first pots cannot route.
    set_net_sysctl("ipv6/conf/" + bridge.interface + "/accept_dad", "0");
  }
  host.set_up(bridge.interface);
  Nftables nft;
  if (bridge_rules_current(nft, table, bridge.interface)) return;
  // Set-up replaces the rules whole, and the bridge's elements come in the same transaction.
  nft.run(nft_setup_table(table) + nft_add_bridge(table, rules_of(bridge)));
}

void take_down_bridge(const std::string& table, const BridgeSpec& bridge) {
  Nftables nft;
  if (nft.table_exists(table)) nft.run(nft_remove_bridge(table, rules_of(bridge)));
  Netlink().delete_link(bridge.interface);
}

void delete_firewall_table_if_present(const std::string& table) {
  std::optional<Nftables> nft;
  try {
    nft.emplace();
  } catch (const Error&) {
    return;  // without libnftables (or nf_tables) no table of ours can exist
  }
  if (nft->table_exists(table)) nft->run(nft_delete_table(table));
}

void attach_pot_interface(pid_t init_pid, const PotInterface& interface) {
  std::string ns_path = "/proc/" + std::to_string(init_pid) + "/ns/net";
  UniqueFd netns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns) throw_sys("opening the pot's network namespace");
  Netlink host;
  if (interface.kind == PotInterface::Kind::kVeth) {
    // A run's veth goes with its namespace; one that something kept alive and that has
    // this run's name too is in the way.
    if (host.link_exists(interface.host_interface)) host.delete_link(interface.host_interface);
    host.create_veth(interface.host_interface, "eth0", netns.get());
    host.set_master(interface.host_interface, interface.bridge);
    // A pot reaching its own exported port: the DNATed packet goes back out the port it came
    // in by, which a bridge allows only in hairpin mode (when br_netfilter bridges it).
    write_knob("/sys/class/net/" + interface.host_interface + "/brport/hairpin_mode", "1");
    host.set_up(interface.host_interface);
  } else {
    host.create_macvlan("eth0", interface.host_interface, netns.get());
  }
  Netlink pot(netns.get());
  for (const auto& address : interface.addresses) pot.add_address("eth0", address);
  pot.set_up("eth0");
  for (const auto& gateway : interface.gateways) pot.add_default_route("eth0", gateway);
}

void add_port_forwards(const std::string& table, const std::vector<PortForward>& forwards) {
  if (forwards.empty()) return;
  // The table exists: the pot's bridge was brought up first (bring_up_bridge).
  Nftables().run(nft_add_forwards(table, forwards));
}

namespace {

// The forwards in the table now, read through `nft`.
std::vector<PortForward> read_port_forwards(Nftables& nft, const std::string& table) {
  std::vector<PortForward> forwards;
  if (!nft.table_exists(table)) return forwards;
  for (const char* map : {"fwd4", "fwd6"}) {
    auto json = nlohmann::json::parse(nft.list_json("list map inet " + table + " " + map));
    for (const auto& item : json.value("nftables", nlohmann::json::array())) {
      if (!item.contains("map")) continue;
      for (const auto& element : item["map"].value("elem", nlohmann::json::array())) {
        // [ {"concat": ["tcp", 3000]}, {"concat": ["10.192.0.5", 80]} ]
        const auto& key = element.at(0).at("concat");
        const auto& value = element.at(1).at("concat");
        forwards.push_back(PortForward{key.at(0).get<std::string>(), key.at(1).get<uint16_t>(),
                                       IpAddress::parse(value.at(0).get<std::string>()),
                                       value.at(1).get<uint16_t>()});
      }
    }
  }
  return forwards;
}

}  // namespace

void remove_port_forwards(const std::string& table, const std::vector<PortForward>& forwards) {
  if (forwards.empty()) return;
  Nftables nft;
  auto current = read_port_forwards(nft, table);
  std::vector<PortForward> present;
  for (const auto& forward : forwards) {
    if (std::find(current.begin(), current.end(), forward) != current.end())
      present.push_back(forward);
  }
  if (!present.empty()) nft.run(nft_remove_forwards(table, present));
}

std::vector<PortForward> current_port_forwards(const std::string& table) {
  Nftables nft;
  return read_port_forwards(nft, table);
}

bool host_port_free(const std::string& protocol, uint16_t port) {
  int type = protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  for (int family : {AF_INET, AF_INET6}) {
    UniqueFd sock(::socket(family, type | SOCK_CLOEXEC, 0));
    if (!sock) continue;  // no IPv6 on this host
    int one = 1;
    ::setsockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc;
    if (family == AF_INET) {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      rc = ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } else {
      ::setsockopt(sock.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(port);
      rc = ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    if (rc != 0 && errno == EADDRINUSE) return false;
  }
  return true;
}

}  // namespace pot::net
