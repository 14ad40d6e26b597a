// CPU (MHz) and memory (MB): what a group asks for, what allocations hold, and whether the
// node has room (Nomad's AllocsFit on one node: capacity minus the client's reservation).
#include "agent/scheduler/scheduler_parts.h"

namespace pot::agent::scheduler {
namespace {

int64_t int_at(const Json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return 0;
  return it->get<int64_t>();
}

}  // namespace

Usage allocation_usage(const Json& alloc) {
  Usage usage;
  auto resources = alloc.find("AllocatedResources");
  if (resources == alloc.end() || !resources->is_object()) return usage;
  auto tasks = resources->find("Tasks");
  if (tasks == resources->end() || !tasks->is_object()) return usage;
  for (const auto& [name, task] : tasks->items()) {
    (void)name;
    if (!task.is_object()) continue;
    usage.cpu_mhz += int_at(task.value("Cpu", Json::object()), "CpuShares");
    usage.memory_mb += int_at(task.value("Memory", Json::object()), "MemoryMB");
  }
  return usage;
}

Usage group_ask(const Json& group) {
  Usage usage;
  for (const auto& task : group.value("Tasks", Json::array())) {
    const Json resources = task.value("Resources", Json::object());
    usage.cpu_mhz += int_at(resources, "CPU");
    usage.memory_mb += int_at(resources, "MemoryMB");
  }
  return usage;
}

std::optional<std::string> exhausted_dimension(const NodeInfo& node, const Usage& used,
                                               const Usage& ask) {
  // Nomad checks cpu before memory, so a node short of both reports "cpu".
  if (used.cpu_mhz + ask.cpu_mhz > node.cpu_mhz - node.reserved_cpu_mhz) return "cpu";
  if (used.memory_mb + ask.memory_mb > node.memory_mb - node.reserved_memory_mb) {
    return "memory";
  }
  return std::nullopt;
}

Json task_allocated_resources(const Json& task) {
  const Json resources = task.value("Resources", Json::object());
  // MemoryMaxMB is 0 unless the task asks for more than its reservation (memory_max).
  const int64_t memory_max = int_at(resources, "MemoryMaxMB");
  Json allocated = Json::object();
  allocated["Cpu"] = {{"CpuShares", int_at(resources, "CPU")}, {"ReservedCores", nullptr}};
  allocated["Memory"] = {{"MemoryMB", int_at(resources, "MemoryMB")},
                         {"MemoryMaxMB", memory_max > 0 ? memory_max : 0}};
  allocated["Networks"] = nullptr;
  allocated["Devices"] = nullptr;
  return allocated;
}

}  // namespace pot::agent::scheduler
