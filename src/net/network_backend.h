// The platform's network: what a pot's start and stop do to the host, behind which Linux
// (netlink, nftables: linux_network.cc) and FreeBSD (ifconfig epairs and bridges, pf
// anchors: freebsd/pf_network.cc) differ. The pot layer (pot/network_*.cc) keeps what they
// share: network types, address allocation, private bridges on disk, /etc/hosts and
// resolv.conf, the network lock and the records that let any command undo a start.
// Every step is idempotent and every removal accepts what is already gone.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.h"
#include "net/port_spec.h"
#include "net/pot_network.h"

namespace pot::net {

class NetworkBackend {
 public:
  virtual ~NetworkBackend() = default;
  virtual std::string name() const = 0;

  // `pot init`: what the host's network needs once (FreeBSD: the pot anchors in pf.conf).
  virtual void init_host() {}

  // The bridge with its gateway addresses, forwarding and NAT (Linux: the root's nftables
  // table; FreeBSD: the pf anchor pot-nat). Idempotent.
  virtual void bring_up_bridge(const BridgeSpec& bridge) = 0;
  // Its NAT and filter elements and the link; no pot uses it any more.
  virtual void take_down_bridge(const BridgeSpec& bridge) = 0;
  // de-init: what the root's network made beyond its bridges (the firewall table).
  virtual void remove_root_firewall() = 0;

  // Before the jail exists: the links it is created with, named for this run (FreeBSD: the
  // epair whose b side `jail -c vnet.interface=` takes; Linux: none, the veth is made in
  // attach). Fills `interface.pot_interface` with the name the jail sees. Returns what to
  // record, so that remove_pot_links can undo it after a crash.
  virtual std::vector<std::string> create_pot_links(const std::string& pot, unsigned run_id,
                                                    PotInterface& interface) = 0;
  // Once the pot's first process exists, before its command runs: its interface,
  // configured and up (Linux: the veth or macvlan moved into the init's namespace).
  virtual void attach(const std::string& pot, unsigned run_id, const PotInterface& interface,
                      pid_t init_pid) = 0;
  // Links made by create_pot_links stay after the pot ends (FreeBSD epairs) and are removed at
  // its stop; Linux veths go with the pot's namespace.
  virtual bool links_outlive_pot() const { return false; }
  // Removes links of the pot: those recorded, and any other that carries its name.
  virtual void remove_pot_links(const std::string& pot,
                                const std::vector<std::string>& recorded) = 0;

  // Port redirection (Linux: the root table's maps; FreeBSD: the anchor pot-rdr/<pot>).
  virtual std::vector<PortForward> current_forwards() = 0;
  virtual void add_forwards(const std::string& pot, const std::vector<PortForward>& forwards) = 0;
  // Removes those of `forwards` that are there exactly (a host port that now goes to
  // another pot stays with it).
  virtual void remove_forwards(const std::string& pot,
                               const std::vector<PortForward>& forwards) = 0;

  // The host's default route of that family (POT_EXTIF when unset).
  struct DefaultRoute {
    std::string interface;
    std::optional<IpAddress> gateway;
  };
  virtual std::optional<DefaultRoute> default_route(Family family) = 0;
  // The addresses of a host interface (alias pots take theirs from its networks).
  virtual std::vector<InterfaceAddress> interface_addresses(const std::string& interface) = 0;
  // Nothing on the host listens on (or holds) this port.
  virtual bool host_port_free(const std::string& protocol, uint16_t port) = 0;
};

}  // namespace pot::net
