#include "agent/cli/node_commands.h"

#include <algorithm>
#include <iostream>

#include "agent/cli/alloc_commands.h"
#include "agent/cli/api_client.h"
#include "agent/cli/doc_fields.h"
#include "agent/cli/go_flags.h"
#include "agent/cli/job_commands.h"
#include "agent/cli/table.h"
#include "agent/cli/time_format.h"
#include "core/error.h"

namespace pot::agent {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

bool alloc_is_live(const Json& alloc) {
  const std::string client = text_of(alloc, "ClientStatus");
  return text_of(alloc, "DesiredStatus") == "run" && (client == "running" || client == "pending");
}

struct Amounts {
  int64_t cpu = 0, memory_mb = 0, disk_mb = 0;
};

// The node's capacity for allocations: Nomad 1.x NodeResources less ReservedResources,
// else the older Resources/Reserved pair.
Amounts node_capacity(const Json& node) {
  Amounts total;
  const Json& resources = field(node, "NodeResources");
  if (resources.is_object()) {
    const Json& reserved = field(node, "ReservedResources");
    total.cpu =
        int_of(field(resources, "Cpu"), "CpuShares") - int_of(field(reserved, "Cpu"), "CpuShares");
    total.memory_mb = int_of(field(resources, "Memory"), "MemoryMB") -
                      int_of(field(reserved, "Memory"), "MemoryMB");
    total.disk_mb =
        int_of(field(resources, "Disk"), "DiskMB") - int_of(field(reserved, "Disk"), "DiskMB");
    return total;
  }
  const Json& legacy = field(node, "Resources");
  const Json& reserved = field(node, "Reserved");
  total.cpu = int_of(legacy, "CPU") - int_of(reserved, "CPU");
  total.memory_mb = int_of(legacy, "MemoryMB") - int_of(reserved, "MemoryMB");
  total.disk_mb = int_of(legacy, "DiskMB") - int_of(reserved, "DiskMB");
  return total;
}

Amounts allocated(const Json& allocs) {
  Amounts used;
  if (!allocs.is_array()) return used;
  for (const Json& alloc : allocs) {
    if (!alloc_is_live(alloc)) continue;
    const Json& resources = field(alloc, "AllocatedResources");
    if (const Json& tasks = field(resources, "Tasks"); tasks.is_object()) {
      for (const auto& [name, task] : tasks.items()) {
        used.cpu += int_of(field(task, "Cpu"), "CpuShares");
        used.memory_mb += int_of(field(task, "Memory"), "MemoryMB");
      }
    }
    used.disk_mb += int_of(field(resources, "Shared"), "DiskMB");
  }
  return used;
}

std::string detected_drivers(const Json& node) {
  std::vector<std::string> names;
  if (const Json& drivers = field(node, "Drivers"); drivers.is_object()) {
    for (const auto& [name, info] : drivers.items()) {
      if (bool_of(info, "Detected") && bool_of(info, "Healthy")) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

std::string host_volumes(const Json& node) {
  std::vector<std::string> names;
  if (const Json& volumes = field(node, "HostVolumes"); volumes.is_object()) {
    for (const auto& [name, volume] : volumes.items()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

// The node whose ID starts with `prefix` (Nomad's node prefix lookup).
std::string resolve_node_id(ApiClient& api, const std::string& command, const std::string& prefix) {
  Json nodes = api.get("/v1/nodes", {{"prefix", prefix}}).body;
  Json matches = Json::array();
  if (nodes.is_array()) {
    for (const Json& node : nodes) {
      if (text_of(node, "ID") == prefix) return prefix;
      if (text_of(node, "ID").rfind(prefix, 0) == 0) matches.push_back(node);
    }
  }
  if (matches.empty())
    throw Error(command + ": no node(s) with prefix " + go_quote(prefix) + " found");
  if (matches.size() > 1) {
    throw Error(command + ": prefix matched multiple nodes\n\n" + format_node_list(matches, false));
  }
  return text_of(matches[0], "ID");
}

}  // namespace

std::string format_node_list(const Json& nodes, bool verbose) {
  if (!nodes.is_array() || nodes.empty()) return "No nodes registered";
  const std::size_t length = verbose ? kFullId : kShortId;
  std::vector<TableRow> rows = {
      {"ID", "Node Pool", "DC", "Name", "Class", "Drain", "Eligibility", "Status"}};
  for (const Json& node : nodes) {
    rows.push_back({limit(text_of(node, "ID"), length), text_of(node, "NodePool"),
                    text_of(node, "Datacenter"), text_of(node, "Name"), text_of(node, "NodeClass"),
                    go_bool(bool_of(node, "Drain")), text_of(node, "SchedulingEligibility"),
                    text_of(node, "Status")});
  }
  return format_list(rows);
}

std::string format_node_status(const Json& node, const Json& allocs, int64_t now_nanos,
                               bool verbose) {
  const std::size_t length = verbose ? kFullId : kShortId;
  std::string out = format_kv({
      {"ID", limit(text_of(node, "ID"), length)},
      {"Name", text_of(node, "Name")},
      {"Node Pool", text_of(node, "NodePool")},
      {"Class", text_of(node, "NodeClass")},
      {"DC", text_of(node, "Datacenter")},
      {"Drain", go_bool(bool_of(node, "Drain"))},
      {"Eligibility", text_of(node, "SchedulingEligibility")},
      {"Status", text_of(node, "Status")},
      {"Host Volumes", host_volumes(node)},
      {"Driver Status", detected_drivers(node)},
  });

  if (const Json& events = field(node, "Events"); events.is_array() && !events.empty()) {
    std::vector<TableRow> rows = {{"Time", "Subsystem", "Message"}};
    // Newest first; Nomad shows the last ten.
    std::size_t shown = 0;
    for (auto it = events.rbegin(); it != events.rend() && shown < 10; ++it, ++shown) {
      rows.push_back({format_time(time_field_nanos(field(*it, "Timestamp"))),
                      text_of(*it, "Subsystem"), text_of(*it, "Message")});
    }
    out += "\n\nNode Events\n" + format_list(rows);
  }

  Amounts total = node_capacity(node);
  Amounts used = allocated(allocs);
  auto mib = [](int64_t mb) {
    return format_ibytes(static_cast<uint64_t>(std::max<int64_t>(mb, 0)) * kMiB);
  };
  out += "\n\nAllocated Resources\n" +
         format_list({{"CPU", "Memory", "Disk"},
                      {std::to_string(used.cpu) + "/" + std::to_string(total.cpu) + " MHz",
                       mib(used.memory_mb) + "/" + mib(total.memory_mb),
                       mib(used.disk_mb) + "/" + mib(total.disk_mb)}});

  if (verbose) {
    std::vector<TableRow> attributes = {};
    if (const Json& attrs = field(node, "Attributes"); attrs.is_object()) {
      std::vector<std::string> keys;
      for (const auto& [key, value] : attrs.items()) keys.push_back(key);
      std::sort(keys.begin(), keys.end());
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const std::string& key : keys) pairs.emplace_back(key, text_of(attrs, key.c_str()));
      out += "\n\nAttributes\n" + format_kv(pairs);
    }
  }

  out += "\n\nAllocations\n" + format_alloc_list(allocs, now_nanos, verbose);
  return out;
}

int node_status(const std::vector<std::string>& args) {
  const std::string command = "potd node status";
  GlobalFlags global;
  bool json = false, verbose = false;
  GoFlags parser(command);
  parser.add_bool("json", &json);
  parser.add_bool("verbose", &verbose);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() > 1)
    throw Error(command + ": this command takes either no arguments or one: <node>");
  auto api = connect_agent(command, global);
  if (words.empty()) {
    Json nodes = api->get("/v1/nodes").body;
    std::cout << (json ? nodes.dump(4) : format_node_list(nodes, verbose)) << "\n";
    return 0;
  }
  const std::string id = resolve_node_id(*api, command, words[0]);
  Json node = api->get("/v1/node/" + url_encode(id)).body;
  if (json) {
    std::cout << node.dump(4) << "\n";
    return 0;
  }
  Json all = api->get("/v1/allocations", {{"resources", "true"}}).body;
  Json on_node = Json::array();
  if (all.is_array()) {
    for (const Json& alloc : all) {
      if (text_of(alloc, "NodeID") != id) continue;
      // An agent that lists no resources in stubs: the live allocation's own document.
      if (alloc_is_live(alloc) && !field(alloc, "AllocatedResources").is_object()) {
        on_node.push_back(api->get("/v1/allocation/" + url_encode(text_of(alloc, "ID"))).body);
      } else {
        on_node.push_back(alloc);
      }
    }
  }
  std::cout << format_node_status(node, on_node, now_unix_nanos(), verbose) << "\n";
  return 0;
}

}  // namespace pot::agent
