// Pot networking as the original pot has it: network types (inherit, alias, public-bridge,
// private-bridge, and our `none`), address allocation, private bridges, exported ports, and
// what a pot's start and stop do to the host's network. Addresses live in the pots' own
// pot.conf (`ip`), so allocation needs no database and survives reboots; the root's network
// lock (run/global/network.lock) makes allocation race-free.
//
// Lock order: a pot's lock first, then the network lock; never a pot's lock while holding
// the network lock. (addresses.cc, bridges.cc, port_exports.cc, network_start.cc)
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/lock.h"
#include "core/pot_conf.h"
#include "net/ip_address.h"
#include "net/pot_network.h"
#include "pot/context.h"
#include "runtime/jail_spec.h"

namespace pot {

// -N values.
bool is_bridge_network(const std::string& type);  // public-bridge or private-bridge
void validate_network_type(const std::string& type);

struct NetworkRequest {
  std::string type = "none";
  std::vector<std::string> addresses;  // -i: "auto", an IPv4 and/or an IPv6 address
  std::string bridge;                  // -B, for private-bridge
  std::string dns;                     // -d: inherit | pot | custom:FILE | off (empty: inherit)
};

FileLock lock_network(const Settings& settings);

// Checks the request and writes network_type, ip, bridge, vnet and pot.dns into `conf`,
// allocating addresses. Call with the network lock held, and save `conf` where the scan of
// taken addresses sees it (the pot's directory, or its hidden creation directory) before
// releasing the lock.
void assign_network(Context& ctx, const NetworkRequest& request, PotConf& conf);

// A private bridge, bridges/<name>.
struct PrivateBridge {
  std::string name;
  net::IpNetwork network4;
  net::IpAddress gateway4;
  std::optional<net::IpNetwork> network6;
  std::optional<net::IpAddress> gateway6;
};

void create_private_bridge(Context& ctx, const std::string& name, uint64_t hosts);
std::vector<PrivateBridge> list_private_bridges(const Context& ctx);
// Brings up the public bridge, or the private bridge `bridge`.
void vnet_start(Context& ctx, const std::string& bridge);
// Takes it down; refuses while a running pot uses it.
void vnet_stop(Context& ctx, const std::string& bridge);
// de-init: every bridge of this root and the firewall table. Call with no pot running.
void remove_root_network(Context& ctx);

// `pot export-ports`: checks the specs, picks free host ports for those without one, and
// records them (pot.export.ports). Only bridge pots use them (others get a note).
void export_ports(Context& ctx, const std::string& pot, const std::vector<std::string>& specs);
// The same on a pot.conf not saved yet (a pot being prepared), with the network lock held.
void assign_exported_ports(Context& ctx, const std::string& pot, PotConf& conf,
                           const std::vector<std::string>& specs);

// What a start made on the host's network, saved in the pot's run state before it is made,
// so that any later command can remove it (release_pot_network).
struct NetworkRecord {
  std::vector<net::PortForward> forwards;
  // The pot has links that outlive it (FreeBSD epairs), found by its name at cleanup. A Linux
  // veth needs no record: it dies with the pot's namespace.
  bool links = false;

  std::string format() const;
  // Malformed parts are skipped: a damaged record must not block a stop forever.
  static NetworkRecord parse(const std::string& text);
};

// What starting a pot does to the network, worked out from its pot.conf before launch.
struct PotNetworkPlan {
  std::optional<net::BridgeSpec> bridge;
  std::optional<net::PotInterface> interface;
  std::vector<net::PortForward> forwards;
  std::vector<std::string> hosts;          // /etc/hosts lines
  std::optional<std::string> resolv_conf;  // /etc/resolv.conf
  bool links_outlive_pot = false;          // NetworkBackend::links_outlive_pot

  NetworkRecord record() const;
};

PotNetworkPlan plan_pot_network(Context& ctx, const std::string& pot, const PotConf& conf);
// Before launch: brings up the pot's bridge.
void prepare_pot_network(Context& ctx, const PotNetworkPlan& plan);
// In the monitor, with the network recorded, before launch: the links the jail is created with
// (FreeBSD: an epair for a bridge pot), and the spec's FreeBSD network (vnet, ip4.addr).
void create_pot_links(Context& ctx, const std::string& pot, PotNetworkPlan& plan, JailSpec& spec);
// After launch, with the pot's init pid: its interface, then (under the network lock) its
// port forwards, taking a host port back from a pot that died without removing its own.
void attach_pot_network(Context& ctx, const std::string& pot, const PotNetworkPlan& plan,
                        pid_t init_pid);
// Removes what a record says a start made; fine when some or all of it is gone. Best
// effort: a failing step is reported on stderr and the rest still runs.
void release_pot_network(Context& ctx, const std::string& pot, const std::string& record);
// Removes veths of the pot that outlived their run (something held the namespace): destroy.
void remove_pot_links(Context& ctx, const std::string& pot);

}  // namespace pot
