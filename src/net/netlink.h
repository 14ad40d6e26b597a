// Links, addresses and routes through rtnetlink (libnl-route-3): the bridge, each pot's veth
// pair, alias (macvlan) interfaces, and the pot side of each, configured from the host.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.h"

struct nl_sock;

namespace pot::net {

// An address on a link, with its prefix: 10.192.0.1/10.
// A route-netlink socket. Made with a network namespace fd, it lives in that namespace
// (the process enters it only for the socket(2) call), so one process configures the host
// and a pot at once. Every call throws Error naming the link and the errno text.
class Netlink {
 public:
  Netlink();
  explicit Netlink(int netns_fd);
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  bool link_exists(const std::string& name);
  int link_index(const std::string& name);  // throws if missing

  // Creates a bridge (no error when it exists and is a bridge; an error when `name` is some
  // other kind of link).
  void ensure_bridge(const std::string& name);
  // Creates a veth pair: `host_name` here, `peer_name` in the namespace `peer_netns_fd`.
  void create_veth(const std::string& host_name, const std::string& peer_name, int peer_netns_fd);
  // Creates a macvlan (bridge mode) on `parent`, named `name` in the namespace `netns_fd`.
  void create_macvlan(const std::string& name, const std::string& parent, int netns_fd);
  void set_master(const std::string& link, const std::string& bridge);
  void set_up(const std::string& name);
  // Adds an address (IPv6 without duplicate address detection, so it is usable at once);
  // an address that is already there is fine.
  void add_address(const std::string& link, const InterfaceAddress& address);
  std::vector<InterfaceAddress> addresses(const std::string& link);
  // The default route of `family` through `link` via `gateway`; an existing one is fine.
  void add_default_route(const std::string& link, const IpAddress& gateway);
  // Removes a link; a missing link is fine.
  void delete_link(const std::string& name);
  // The interface and gateway of this namespace's default route of that family, if any.
  struct DefaultRoute {
    std::string interface;
    std::optional<IpAddress> gateway;
  };
  std::optional<DefaultRoute> default_route(Family family);
  // Names of links whose names start with `prefix` (cleanup and leak checks).
  std::vector<std::string> links_with_prefix(const std::string& prefix);

 private:
  nl_sock* sock_ = nullptr;
};

// Writes a /proc/sys/net value in the caller's namespace ("ipv4/ip_forward", "1"); skips the
// write when the value is already set.
void set_net_sysctl(const std::string& key, const std::string& value);

}  // namespace pot::net
