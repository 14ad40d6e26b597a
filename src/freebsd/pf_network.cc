#include "freebsd/pf_network.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "freebsd/jail_params.h"
#include "freebsd/pf_rules.h"
#include "net/interface_names.h"

namespace pot::freebsd {
namespace {

std::string trimmed(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

class PfNetwork : public net::NetworkBackend {
 public:
  PfNetwork(Settings settings, SystemCommands& commands)
      : settings_(std::move(settings)), commands_(commands) {}

  std::string name() const override { return "freebsd"; }

  // The original's vnet-start: forwarding, the bridge with its gateway, pf and its NAT.
  void bring_up_bridge(const net::BridgeSpec& bridge) override {
    commands_.check({"sysctl", "net.inet.ip.forwarding=1"});
    if (bridge.network6) commands_.check({"sysctl", "net.inet6.ip6.forwarding=1"});
    std::string link = ensure_bridge(bridge);
    commands_.check({"ifconfig", link, "up"});
    commands_.check({"kldload", "-n", "pf"});
    ensure_anchors();
    auto networks = nat_networks(commands_.run({"pfctl", "-a", kNatAnchor, "-s", "nat"}).out);
    if (std::find(networks.begin(), networks.end(), bridge.network4) == networks.end()) {
      networks.push_back(bridge.network4);
      load_nat(networks);
    }
    commands_.run({"pfctl", "-e"});  // exits 1 when pf is already enabled: that is fine
  }

  void take_down_bridge(const net::BridgeSpec& bridge) override {
    auto networks = nat_networks(commands_.run({"pfctl", "-a", kNatAnchor, "-s", "nat"}).out);
    auto kept = std::remove(networks.begin(), networks.end(), bridge.network4);
    if (kept != networks.end()) {
      networks.erase(kept, networks.end());
      load_nat(networks);
    }
    std::optional<std::string> link = find_bridge(bridge.gateway4);
    if (!link && contains(interfaces(), bridge.interface)) link = bridge.interface;
    if (link) commands_.attempt({"ifconfig", *link, "destroy"});
  }

  void remove_root_firewall() override {
    commands_.attempt({"pfctl", "-a", kNatAnchor, "-F", "all"});
    for (const auto& anchor : rdr_anchors())
      commands_.attempt({"pfctl", "-a", anchor, "-F", "all"});
  }

  // The original's _js_create_epair and _js_vnet: an epair, its host side renamed, up and a
  // member of the bridge; the b side goes into the jail with `jail -c vnet.interface=`.
  std::vector<std::string> create_pot_links(const std::string& pot, unsigned run_id,
                                            net::PotInterface& interface) override {
    if (interface.kind != net::PotInterface::Kind::kVeth) return {};  // alias: jail(8) does it
    const std::string host = net::pot_veth_interface(settings_.root_tag(), pot, run_id);
    std::string side_a =
        trimmed(commands_.check({"ifconfig", "epair", "create", "descr", pot, "group", "pot"}));
    if (side_a.size() < 2 || side_a.back() != 'a')
      throw Error("`ifconfig epair create` gave " + quote_name(side_a) + ", not an epair's a side");
    std::string side_b = side_a.substr(0, side_a.size() - 1) + "b";
    try {
      commands_.check({"ifconfig", side_a, "name", host});
    } catch (...) {
      commands_.attempt({"ifconfig", side_a, "destroy"});
      throw;
    }
    try {
      commands_.check({"ifconfig", host, "up"});
      commands_.check({"ifconfig", interface.bridge, "addm", host});
    } catch (...) {
      commands_.attempt({"ifconfig", host, "destroy"});
      throw;
    }
    interface.pot_interface = side_b;
    return {host};
  }

  // From outside, by jail name (init_pid is not needed): the addresses, up, default routes.
  void attach(const std::string& pot, unsigned /*run_id*/, const net::PotInterface& interface,
              pid_t /*init_pid*/) override {
    if (interface.kind != net::PotInterface::Kind::kVeth) return;
    const std::string jail = jail_name_for_pot(pot);
    bool has_v4 = false, has_v6 = false;
    for (const auto& address : interface.addresses) {
      bool v4 = address.address.is_v4();
      std::vector<std::string> argv = {
          "jexec",
          jail,
          "ifconfig",
          interface.pot_interface,
          v4 ? "inet" : "inet6",
          address.address.str() + "/" + std::to_string(address.prefix_length)};
      bool& first_done = v4 ? has_v4 : has_v6;
      if (first_done) argv.push_back("alias");
      first_done = true;
      commands_.check(argv);
    }
    commands_.check({"jexec", jail, "ifconfig", interface.pot_interface, "up"});
    for (const auto& gateway : interface.gateways) {
      commands_.check({"jexec", jail, "route", "add", gateway.is_v4() ? "-inet" : "-inet6",
                       "default", gateway.str()});
    }
  }

  // Destroying the host side destroys the epair, and the jail's side with it.
  void remove_pot_links(const std::string& pot, const std::vector<std::string>& recorded) override {
    CommandResult listing = commands_.run({"ifconfig", "-l"});
    std::vector<std::string> existing = split_words(listing.out);
    const std::string prefix = net::pot_veth_prefix(settings_.root_tag(), pot);
    std::vector<std::string> doomed;
    for (const auto& name : recorded) {
      if (listing.exit_code != 0 || contains(existing, name)) doomed.push_back(name);
    }
    for (const auto& name : existing) {
      if (name.compare(0, prefix.size(), prefix) == 0 && !contains(doomed, name))
        doomed.push_back(name);
    }
    for (const auto& name : unnamed_epairs_of(pot)) {
      if (!contains(doomed, name)) doomed.push_back(name);
    }
    for (const auto& name : doomed) commands_.attempt({"ifconfig", name, "destroy"});
  }

  std::vector<net::PortForward> current_forwards() override {
    std::vector<net::PortForward> all;
    for (const auto& anchor : rdr_anchors()) {
      for (const auto& forward : anchor_forwards(anchor)) all.push_back(forward);
    }
    return all;
  }

  void add_forwards(const std::string& pot,
                    const std::vector<net::PortForward>& forwards) override {
    const std::string anchor = rdr_anchor_for_pot(pot);
    auto merged = anchor_forwards(anchor);
    for (const auto& forward : forwards) {
      if (std::find(merged.begin(), merged.end(), forward) == merged.end())
        merged.push_back(forward);
    }
    commands_.check({"pfctl", "-a", anchor, "-f", "-"}, rdr_rules(extif(), merged));
  }

  void remove_forwards(const std::string& pot,
                       const std::vector<net::PortForward>& forwards) override {
    const std::string anchor = rdr_anchor_for_pot(pot);
    auto kept = anchor_forwards(anchor);
    kept.erase(std::remove_if(kept.begin(), kept.end(),
                              [&](const net::PortForward& forward) {
                                return std::find(forwards.begin(), forwards.end(), forward) !=
                                       forwards.end();
                              }),
               kept.end());
    if (kept.empty()) {
      commands_.attempt({"pfctl", "-a", anchor, "-F", "nat"});
    } else {
      commands_.check({"pfctl", "-a", anchor, "-f", "-"}, rdr_rules(extif(), kept));
    }
  }

  std::optional<DefaultRoute> default_route(net::Family family) override {
    CommandResult route = commands_.run(
        {"route", "-n", "get", family == net::Family::kV4 ? "-inet" : "-inet6", "default"});
    if (route.exit_code != 0) return std::nullopt;
    auto answer = parse_route_get(route.out);
    if (!answer) return std::nullopt;
    return DefaultRoute{answer->interface, answer->gateway};
  }

  // sockstat(1): the listening (and, for udp, bound) sockets of either family on the port.
  std::vector<net::InterfaceAddress> interface_addresses(const std::string& interface) override {
    return parse_interface_addresses(commands_.check({"ifconfig", interface}));
  }

  // An epair stays when its jail goes; the original destroys it at stop.
  bool links_outlive_pot() const override { return true; }

  bool host_port_free(const std::string& protocol, uint16_t port) override {
    CommandResult sockets =
        commands_.run({"sockstat", "-46l", "-P", protocol, "-p", std::to_string(port)});
    if (sockets.exit_code != 0)
      throw Error("`sockstat` failed: " + trimmed(sockets.err.substr(0, sockets.err.find('\n'))));
    return !sockstat_lists_sockets(sockets.out);
  }

 private:
  // The a sides of the pot's epairs that a `pot` killed between `ifconfig epair create` and
  // the rename left under their first name: in group pot, described as the pot. (Called
  // with the pot's lock held, so no start of this pot is between the two steps now.)
  std::vector<std::string> unnamed_epairs_of(const std::string& pot) {
    std::vector<std::string> found;
    CommandResult members = commands_.run({"ifconfig", "-g", "pot"});
    if (members.exit_code != 0) return found;
    for (const auto& name : split_words(members.out)) {
      if (name.compare(0, 5, "epair") != 0 || name.back() != 'a') continue;
      CommandResult shown = commands_.run({"ifconfig", name});
      std::istringstream lines(shown.out);
      for (std::string line; std::getline(lines, line);) {
        if (trimmed(line) == "description: " + pot) found.push_back(name);
      }
    }
    return found;
  }

  std::vector<std::string> interfaces() {
    return split_words(commands_.run({"ifconfig", "-l"}).out);
  }

  // The bridge that carries `gateway` (the original's _pot_bridge_ipv4), if any.
  std::optional<std::string> find_bridge(const net::IpAddress& gateway) {
    const char* family = gateway.is_v4() ? "inet" : "inet6";
    for (const auto& link : split_words(commands_.run({"ifconfig", "-g", "bridge"}).out)) {
      if (interface_has_address(commands_.run({"ifconfig", link, family}).out, gateway))
        return link;
    }
    return std::nullopt;
  }

  // The bridge, found or created, named as the pot layer names it.
  std::string ensure_bridge(const net::BridgeSpec& bridge) {
    std::optional<std::string> link = find_bridge(bridge.gateway4);
    if (!link) {
      link = trimmed(commands_.check({"ifconfig", "bridge", "create"}));
      commands_.check({"ifconfig", *link, "inet", bridge.gateway4.str(), "netmask",
                       ipv4_netmask(bridge.network4.prefix_length)});
    }
    if (*link != bridge.interface) commands_.check({"ifconfig", *link, "name", bridge.interface});
    if (bridge.network6 && bridge.gateway6 &&
        !interface_has_address(commands_.run({"ifconfig", bridge.interface, "inet6"}).out,
                               *bridge.gateway6)) {
      commands_.check({"ifconfig", bridge.interface, "inet6", bridge.gateway6->str(), "prefixlen",
                       std::to_string(bridge.network6->prefix_length)});
    }
    return bridge.interface;
  }

  // As the original's vnet-start: pf.conf is loaded again when it has not been since pot
  // init added the anchors to it.
  void ensure_anchors() {
    auto anchors = split_words(commands_.run({"pfctl", "-s", "Anchors"}).out);
    if (!contains(anchors, kNatAnchor) || !contains(anchors, kRdrAnchor))
      commands_.check({"pfctl", "-f", pf_conf_path()});
  }

  // rc.conf's pf_rules, as the original's init asks sysrc; /etc/pf.conf by default.
  std::string pf_conf_path() {
    std::string path = trimmed(commands_.run({"sysrc", "-n", "pf_rules"}).out);
    return path.empty() ? "/etc/pf.conf" : path;
  }

 public:
  // As the original's init: the anchors' lines at the top of pf.conf when it lacks them (pf
  // is not reloaded: the first bridge does it).
  void init_host() override {
    std::string path = pf_conf_path();
    std::string text = read_file_if_exists(path).value_or("");
    bool has_nat = text.find("nat-anchor pot-nat") != std::string::npos;
    bool has_rdr = text.find("rdr-anchor \"pot-rdr/*\"") != std::string::npos;
    if (has_nat && has_rdr) return;
    std::string head;
    if (!has_nat) head += "nat-anchor pot-nat\n";
    if (!has_rdr) head += "rdr-anchor \"pot-rdr/*\"\n";
    write_file_atomic(path, head + text);
  }

 private:
  void load_nat(const std::vector<net::IpNetwork>& networks) {
    std::vector<net::IpNetwork> v4;
    for (const auto& network : networks) {
      if (network.family() == net::Family::kV4) v4.push_back(network);
    }
    if (v4.empty()) {
      commands_.attempt({"pfctl", "-a", kNatAnchor, "-F", "nat"});
    } else {
      commands_.check({"pfctl", "-a", kNatAnchor, "-f", "-"}, nat_rules(extif(), v4));
    }
  }

  std::vector<std::string> rdr_anchors() {
    CommandResult listing = commands_.run({"pfctl", "-a", kRdrAnchor, "-s", "Anchors"});
    if (listing.exit_code != 0) return {};
    return parse_anchor_list(listing.out);
  }

  std::vector<net::PortForward> anchor_forwards(const std::string& anchor) {
    CommandResult listing = commands_.run({"pfctl", "-a", anchor, "-s", "nat"});
    if (listing.exit_code != 0) return {};
    return parse_rdr_rules(listing.out);
  }

  // POT_EXTIF, else the interface of the host's IPv4 default route.
  std::string extif() {
    if (!settings_.extif.empty()) return settings_.extif;
    auto route = default_route(net::Family::kV4);
    if (!route) throw Error("POT_EXTIF is not set and the host has no default route");
    return route->interface;
  }

  Settings settings_;
  SystemCommands& commands_;
};

}  // namespace

std::unique_ptr<net::NetworkBackend> make_pf_network(const Settings& settings,
                                                     SystemCommands& commands) {
  return std::make_unique<PfNetwork>(settings, commands);
}

}  // namespace pot::freebsd
