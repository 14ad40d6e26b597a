// The one node potd schedules on: what it has (CPU in MHz, memory in MB) and the attributes
// that job constraints test (`${attr.kernel.name}`, `${node.datacenter}`, ...), as Nomad's
// client fingerprints them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace pot::agent {

struct NodeInfo {
  std::string id;  // a UUID, kept in the state store across restarts
  std::string name = "potd";
  std::string datacenter = "dc1";
  std::string node_pool = "default";
  std::string node_class;
  int64_t cpu_mhz = 0;    // total compute: cores x MHz
  int64_t memory_mb = 0;  // total memory
  // Kept back for the host itself (Nomad's client `reserved` block).
  int64_t reserved_cpu_mhz = 0;
  int64_t reserved_memory_mb = 0;
  // "kernel.name" -> "linux", "cpu.arch" -> "amd64", "unique.hostname", "driver.pot" ...
  // (without the `attr.` prefix, as Nomad's Node.Attributes).
  std::map<std::string, std::string> attributes;
  std::map<std::string, std::string> meta;
  std::string http_address;  // "127.0.0.1:4646"
};

// Reads this machine: /proc/cpuinfo (cores x MHz; MHz from cpufreq or the model line,
// 1000 per core when nothing says), /proc/meminfo (MemTotal), uname, hostname. Keeps `id`,
// `name`, `datacenter` and the reservations of `base`.
NodeInfo fingerprint_node(NodeInfo base);

// Nomad's Node JSON (`/v1/node/:id`) and its list stub (`/v1/nodes`).
nlohmann::ordered_json node_json(const NodeInfo& node, uint64_t create_index,
                                 uint64_t modify_index);
nlohmann::ordered_json node_stub_json(const NodeInfo& node, uint64_t create_index,
                                      uint64_t modify_index);

}  // namespace pot::agent
