#include "net/linux_network.h"

#include "net/interface_names.h"
#include "net/netlink.h"

namespace pot::net {
namespace {

class LinuxNetwork : public NetworkBackend {
 public:
  explicit LinuxNetwork(const Settings& settings)
      : root_tag_(settings.root_tag()), table_(firewall_table(root_tag_)) {}

  std::string name() const override { return "linux"; }

  void bring_up_bridge(const BridgeSpec& bridge) override { net::bring_up_bridge(table_, bridge); }
  void take_down_bridge(const BridgeSpec& bridge) override {
    net::take_down_bridge(table_, bridge);
  }
  void remove_root_firewall() override { delete_firewall_table_if_present(table_); }

  // The veth is made in attach(), from the init's namespace: nothing exists before it.
  std::vector<std::string> create_pot_links(const std::string& /*pot*/, unsigned /*run_id*/,
                                            PotInterface& /*interface*/) override {
    return {};
  }

  void attach(const std::string& pot, unsigned run_id, const PotInterface& interface,
              pid_t init_pid) override {
    PotInterface named = interface;
    if (named.kind == PotInterface::Kind::kVeth)
      named.host_interface = pot_veth_interface(root_tag_, pot, run_id);
    attach_pot_interface(init_pid, named);
  }

  // A veth goes with the pot's network namespace; one that something kept alive has the
  // pot's prefix.
  void remove_pot_links(const std::string& pot,
                        const std::vector<std::string>& /*recorded*/) override {
    Netlink host;
    for (const auto& link : host.links_with_prefix(pot_veth_prefix(root_tag_, pot)))
      host.delete_link(link);
  }

  std::vector<PortForward> current_forwards() override { return current_port_forwards(table_); }
  void add_forwards(const std::string& /*pot*/, const std::vector<PortForward>& forwards) override {
    add_port_forwards(table_, forwards);
  }
  void remove_forwards(const std::string& /*pot*/,
                       const std::vector<PortForward>& forwards) override {
    remove_port_forwards(table_, forwards);
  }

  std::optional<DefaultRoute> default_route(Family family) override {
    auto route = Netlink().default_route(family);
    if (!route) return std::nullopt;
    return DefaultRoute{route->interface, route->gateway};
  }

  std::vector<InterfaceAddress> interface_addresses(const std::string& interface) override {
    return Netlink().addresses(interface);
  }

  bool host_port_free(const std::string& protocol, uint16_t port) override {
    return net::host_port_free(protocol, port);
  }

 private:
  std::string root_tag_;
  std::string table_;
};

}  // namespace

std::unique_ptr<NetworkBackend> make_linux_network(const Settings& settings) {
  return std::make_unique<LinuxNetwork>(settings);
}

}  // namespace pot::net
