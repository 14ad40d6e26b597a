// Host ports. A group asks in two forms: its `network` block (Networks[0], whose ports
// land in AllocatedResources.Shared.Ports and .Shared.Networks) and, older, each task's
// `resources { network { port ... } }` (Resources.Networks[0], landing in
// AllocatedResources.Tasks[task].Networks), as the seed job does. Both draw on one pool:
//   - a static port must not be held by an allocation that stays, nor be bound by
//     something else on the host (`port_in_use`; ports of allocations being stopped in
//     this plan are not probed, since their pot may still be listening while it stops);
//   - a dynamic port is the lowest of 20000-32000 that no allocation on the node has,
//     that nothing binds, and that this group has not taken already. Lowest-first rather
//     than Nomad's random pick keeps plans repeatable.
#include <algorithm>
#include <string>

#include "agent/scheduler/scheduler_parts.h"

namespace pot::agent::scheduler {
namespace {

constexpr int kMinDynamicPort = 20000;
constexpr int kMaxDynamicPort = 32000;

void add_network_ports(const Json& networks, std::set<int>& ports) {
  if (!networks.is_array()) return;
  for (const auto& network : networks) {
    for (const char* kind : {"ReservedPorts", "DynamicPorts"}) {
      for (const auto& port : network.value(kind, Json::array())) {
        if (port.is_object()) ports.insert(port.value("Value", 0));
      }
    }
  }
}

bool static_port_free(int port, const PortState& state) {
  if (state.held.count(port) != 0) return false;
  if (state.known.count(port) != 0) return true;  // its allocation is stopping
  return !state.port_in_use(port);
}

std::optional<int> lowest_dynamic_port(PortState& state, const std::set<int>& taken) {
  for (int port = std::max(state.dynamic_floor, kMinDynamicPort); port <= kMaxDynamicPort; ++port) {
    if (state.held.count(port) || state.known.count(port) || taken.count(port)) continue;
    if (state.port_in_use(port)) continue;
    state.dynamic_floor = port + 1;
    return port;
  }
  state.dynamic_floor = kMaxDynamicPort + 1;
  return std::nullopt;
}

// Fills in the ask's ports (Value, and To = Value where the ask says -1); the ports taken
// join `taken`. Returns Nomad's failure wording, empty on success.
std::string assign_network(Json& network, PortState& state, std::set<int>& taken) {
  if (network["ReservedPorts"].is_array()) {
    for (auto& port : network["ReservedPorts"]) {
      const int value = port.value("Value", 0);
      const bool ignore = port.value("IgnoreCollision", false);
      if (!ignore && (taken.count(value) || !static_port_free(value, state))) {
        return "network: reserved port collision " + port.value("Label", std::string()) + "=" +
               std::to_string(value);
      }
      taken.insert(value);
    }
  }
  if (network["DynamicPorts"].is_array()) {
    for (auto& port : network["DynamicPorts"]) {
      std::optional<int> value = lowest_dynamic_port(state, taken);
      if (!value) return "network: dynamic port selection failed";
      port["Value"] = *value;
      if (port.value("To", 0) == -1) port["To"] = *value;
      taken.insert(*value);
    }
  }
  return "";
}

Json allocated_port(const Json& port, const std::string& host_ip) {
  return {{"Label", port.value("Label", "")},
          {"Value", port.value("Value", 0)},
          {"To", port.value("To", 0)},
          {"HostIP", host_ip}};
}

}  // namespace

std::set<int> allocation_ports(const Json& alloc) {
  std::set<int> ports;
  const Json resources = alloc.value("AllocatedResources", Json::object());
  if (!resources.is_object()) return ports;
  const Json shared = resources.value("Shared", Json::object());
  if (shared.is_object()) {
    for (const auto& port : shared.value("Ports", Json::array())) {
      if (port.is_object()) ports.insert(port.value("Value", 0));
    }
    add_network_ports(shared.value("Networks", Json::array()), ports);
  }
  const Json tasks = resources.value("Tasks", Json::object());
  if (tasks.is_object()) {
    for (const auto& [name, task] : tasks.items()) {
      (void)name;
      if (task.is_object()) add_network_ports(task.value("Networks", Json::array()), ports);
    }
  }
  return ports;
}

PortOffer assign_ports(const Json& group, const std::string& host_ip, PortState& state) {
  PortOffer offer;
  std::set<int> taken;  // by this group, not yet in state.held

  const Json group_networks = group.value("Networks", Json::array());
  if (group_networks.is_array() && !group_networks.empty()) {
    Json network = group_networks[0];
    offer.failure = assign_network(network, state, taken);
    if (!offer.failure.empty()) return offer;
    network["IP"] = host_ip;
    for (const char* kind : {"ReservedPorts", "DynamicPorts"}) {
      for (const auto& port : network.value(kind, Json::array())) {
        offer.shared_ports.push_back(allocated_port(port, host_ip));
      }
    }
    offer.shared_networks = Json::array({network});
  }

  for (const auto& task : group.value("Tasks", Json::array())) {
    const Json networks = task.value("Resources", Json::object()).value("Networks", Json());
    if (!networks.is_array() || networks.empty()) continue;
    Json network = networks[0];
    offer.failure = assign_network(network, state, taken);
    if (!offer.failure.empty()) return offer;
    network["IP"] = host_ip;
    offer.task_networks[task.value("Name", "")] = Json::array({network});
  }

  state.held.insert(taken.begin(), taken.end());
  return offer;
}

}  // namespace pot::agent::scheduler
