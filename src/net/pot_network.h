// The kernel side of pot networking, in the terms the pot layer thinks in: a bridge with
// its gateway and firewall elements, a pot's interface, its exported ports. Every step is
// idempotent and every "remove" accepts what is already gone, so a cleanup after a crash
// is the same call as a normal stop.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.h"
#include "net/port_spec.h"

namespace pot::net {

struct BridgeSpec {
  std::string interface;
  IpNetwork network4;
  IpAddress gateway4;
  std::optional<IpNetwork> network6;
  std::optional<IpAddress> gateway6;
  bool isolated = false;  // a private bridge
};

// Creates (or completes) the bridge: link, gateway addresses, up, forwarding, and its
// elements in the firewall table `table` (made on first use).
void bring_up_bridge(const std::string& table, const BridgeSpec& bridge);
// Removes the bridge's firewall elements and the link (which must have no pots left).
void take_down_bridge(const std::string& table, const BridgeSpec& bridge);
// Removes the whole firewall table (de-init), if there is one.
void delete_firewall_table_if_present(const std::string& table);

struct PotInterface {
  enum class Kind { kVeth, kMacvlan };
  Kind kind = Kind::kVeth;
  std::string host_interface;  // veth: the host end's name; macvlan: the parent (POT_EXTIF)
  std::string bridge;          // veth: the bridge the host end joins
  // The name the pot sees (Linux: eth0; FreeBSD: the epair's b side, set by
  // NetworkBackend::create_pot_links).
  std::string pot_interface = "eth0";
  std::vector<InterfaceAddress> addresses;  // on the pot's eth0
  std::vector<IpAddress> gateways;          // one default route per family
};

// Gives the pot whose init is `init_pid` its eth0, configured and up.
void attach_pot_interface(pid_t init_pid, const PotInterface& interface);

void add_port_forwards(const std::string& table, const std::vector<PortForward>& forwards);
// Removes those of `forwards` that are in the table exactly (a host port that now goes to
// another pot stays with that pot).
void remove_port_forwards(const std::string& table, const std::vector<PortForward>& forwards);
// The forwards in the firewall table now.
std::vector<PortForward> current_port_forwards(const std::string& table);

// True when nothing on the host listens on (or holds) this port, on IPv4 or IPv6.
bool host_port_free(const std::string& protocol, uint16_t port);

}  // namespace pot::net
