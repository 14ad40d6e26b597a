#include "freebsd/jail_limits.h"

#include <algorithm>
#include <sstream>

#include "core/number.h"

namespace pot::freebsd {

std::string rctl_subject(const std::string& jail_name) {
  return "jail:" + jail_name;
}

std::string rctl_memory_rule(const std::string& jail_name, uint64_t bytes) {
  return rctl_subject(jail_name) + ":memoryuse:deny=" + std::to_string(bytes);
}

std::string rctl_pids_rule(const std::string& jail_name, uint64_t pids) {
  return rctl_subject(jail_name) + ":maxproc:deny=" + std::to_string(pids);
}

std::string cpuset_list(uint64_t cpus, uint64_t host_cpus) {
  uint64_t count = std::max<uint64_t>(1, std::min(cpus, std::max<uint64_t>(1, host_cpus)));
  std::string list;
  for (uint64_t cpu = 0; cpu < count; ++cpu) {
    if (!list.empty()) list += ',';
    list += std::to_string(cpu);
  }
  return list;
}

CgroupStats stats_from_rctl_usage(const std::string& text) {
  constexpr uint64_t kNanosPerSecond = 1000000000ULL;
  CgroupStats stats;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string key = line.substr(0, equals);
    std::optional<uint64_t> value = to_unsigned(line.substr(equals + 1));
    if (!value) continue;
    if (key == "memoryuse") {
      stats.memory_usage = *value;
      stats.memory_rss = *value;
    } else if (key == "swapuse") {
      stats.memory_swap = *value;
    } else if (key == "cputime") {
      stats.cpu_total_ns = *value * kNanosPerSecond;
    }
  }
  return stats;
}

}  // namespace pot::freebsd
