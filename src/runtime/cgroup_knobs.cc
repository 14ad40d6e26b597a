#include "runtime/cgroup.h"

#include <algorithm>

namespace pot {

std::string cgroup_group_name(const std::string& root_tag, const std::string& pot) {
  return "pot-" + root_tag + "/" + pot;
}

uint64_t cpu_weight_from_shares(uint64_t shares) {
  shares = std::clamp(shares, kMinCpuShares, kMaxCpuShares);
  return 1 + ((shares - kMinCpuShares) * 9999) / (kMaxCpuShares - kMinCpuShares);
}

std::vector<CgroupKnob> cgroup_v1_knobs(const ResourceLimits& limits, bool has_memsw) {
  std::vector<CgroupKnob> knobs;
  if (limits.memory_bytes) {
    std::string bytes = std::to_string(*limits.memory_bytes);
    knobs.push_back({"memory", "memory.limit_in_bytes", bytes});
    // memory+swap at the same value: the limit cannot be dodged by swapping out.
    if (has_memsw) knobs.push_back({"memory", "memory.memsw.limit_in_bytes", bytes});
  }
  if (limits.memory_reservation_bytes) {
    knobs.push_back(
        {"memory", "memory.soft_limit_in_bytes", std::to_string(*limits.memory_reservation_bytes)});
  }
  if (limits.cpus) {
    knobs.push_back({"cpu", "cpu.cfs_period_us", std::to_string(kCpuPeriodMicros)});
    knobs.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(*limits.cpus * kCpuPeriodMicros)});
  }
  if (limits.cpu_shares) {
    uint64_t shares = std::clamp(*limits.cpu_shares, kMinCpuShares, kMaxCpuShares);
    knobs.push_back({"cpu", "cpu.shares", std::to_string(shares)});
  }
  if (limits.pids) knobs.push_back({"pids", "pids.max", std::to_string(*limits.pids)});
  return knobs;
}

std::vector<CgroupKnob> cgroup_v2_knobs(const ResourceLimits& limits, bool has_swap) {
  std::vector<CgroupKnob> knobs;
  if (limits.memory_bytes) {
    knobs.push_back({"", "memory.max", std::to_string(*limits.memory_bytes)});
    if (has_swap) knobs.push_back({"", "memory.swap.max", "0"});
  }
  if (limits.memory_reservation_bytes)
    knobs.push_back({"", "memory.low", std::to_string(*limits.memory_reservation_bytes)});
  if (limits.cpus) {
    knobs.push_back(
        {"", "cpu.max",
         std::to_string(*limits.cpus * kCpuPeriodMicros) + " " + std::to_string(kCpuPeriodMicros)});
  }
  if (limits.cpu_shares)
    knobs.push_back({"", "cpu.weight", std::to_string(cpu_weight_from_shares(*limits.cpu_shares))});
  if (limits.pids) knobs.push_back({"", "pids.max", std::to_string(*limits.pids)});
  return knobs;
}

}  // namespace pot
