#include "runtime/cgroup_stats.h"

#include <map>

#include "core/number.h"
#include "runtime/cgroup_util.h"

namespace pot {
namespace {

using Keyed = std::map<std::string, uint64_t>;

// A file holding one number ("1234\n"); nullopt when missing or not a number.
std::optional<uint64_t> single_value(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::string_view value(*text);
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  return to_unsigned(value);
}

std::optional<Keyed> keyed(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return parse_flat_keyed(*text);
}

std::optional<uint64_t> key(const std::optional<Keyed>& map, const char* name, uint64_t scale = 1) {
  if (!map) return std::nullopt;
  auto it = map->find(name);
  if (it == map->end()) return std::nullopt;
  return it->second * scale;
}

}  // namespace

CgroupStats cgroup_v1_stats(const CgroupV1StatFiles& files, uint64_t user_hz) {
  CgroupStats stats;
  // The total_ keys include the group's descendants (a pot's group has none today, but
  // the totals are what `docker stats` and Nomad's exec driver report on v1).
  auto memory = keyed(files.memory_stat);
  stats.memory_rss = key(memory, "total_rss");
  stats.memory_cache = key(memory, "total_cache");
  stats.memory_swap = key(memory, "total_swap");
  stats.memory_usage = single_value(files.memory_usage);
  stats.memory_max_usage = single_value(files.memory_max_usage);
  stats.memory_kernel_usage = single_value(files.memory_kmem_usage);

  stats.cpu_total_ns = single_value(files.cpuacct_usage);
  stats.cpu_user_ns = single_value(files.cpuacct_usage_user);
  stats.cpu_system_ns = single_value(files.cpuacct_usage_sys);
  if (!stats.cpu_user_ns || !stats.cpu_system_ns) {
    // Older kernels: only ticks of USER_HZ, coarse but the same quantity.
    auto ticks = keyed(files.cpuacct_stat);
    uint64_t ns_per_tick = user_hz > 0 ? 1000000000ULL / user_hz : 0;
    if (ns_per_tick > 0) {
      stats.cpu_user_ns = key(ticks, "user", ns_per_tick);
      stats.cpu_system_ns = key(ticks, "system", ns_per_tick);
    }
  }
  auto cpu = keyed(files.cpu_stat);
  stats.cpu_throttled_periods = key(cpu, "nr_throttled");
  stats.cpu_throttled_ns = key(cpu, "throttled_time");
  return stats;
}

CgroupStats cgroup_v2_stats(const CgroupV2StatFiles& files) {
  CgroupStats stats;
  auto memory = keyed(files.memory_stat);
  stats.memory_rss = key(memory, "anon");
  stats.memory_cache = key(memory, "file");
  stats.memory_kernel_usage = key(memory, "kernel");  // Linux 5.18+
  stats.memory_usage = single_value(files.memory_current);
  stats.memory_max_usage = single_value(files.memory_peak);
  stats.memory_swap = single_value(files.memory_swap_current);

  auto cpu = keyed(files.cpu_stat);
  stats.cpu_total_ns = key(cpu, "usage_usec", 1000);
  stats.cpu_user_ns = key(cpu, "user_usec", 1000);
  stats.cpu_system_ns = key(cpu, "system_usec", 1000);
  // Only with the cpu controller enabled for the group.
  stats.cpu_throttled_periods = key(cpu, "nr_throttled");
  stats.cpu_throttled_ns = key(cpu, "throttled_usec", 1000);
  return stats;
}

uint64_t oom_kills_from_text(const std::string& text) {
  auto map = parse_flat_keyed(text);
  auto it = map.find("oom_kill");
  return it == map.end() ? 0 : it->second;
}

}  // namespace pot
