// A pot's resource usage in detail, as a task driver reports it (Nomad's TaskResourceUsage):
// memory and CPU from the pot's control group. v1 and v2 name and scale the numbers
// differently; the parsers below turn the files' text into one shape and are pure, so unit
// tests check them on sample text. A number the host does not provide stays unset, and the
// caller can say "not measured" rather than report a zero.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pot {

struct CgroupStats {
  // Memory, in bytes.
  std::optional<uint64_t> memory_rss;           // anonymous memory
  std::optional<uint64_t> memory_cache;         // page cache
  std::optional<uint64_t> memory_swap;          // swapped out
  std::optional<uint64_t> memory_usage;         // what the group is charged now
  std::optional<uint64_t> memory_max_usage;     // the most it was ever charged
  std::optional<uint64_t> memory_kernel_usage;  // kernel memory (slab, stacks, ...)
  // CPU, in nanoseconds of CPU time (all CPUs together).
  std::optional<uint64_t> cpu_total_ns;
  std::optional<uint64_t> cpu_user_ns;
  std::optional<uint64_t> cpu_system_ns;
  std::optional<uint64_t> cpu_throttled_periods;  // CFS periods in which the quota ran out
  std::optional<uint64_t> cpu_throttled_ns;       // time spent throttled
};

// The text of a v1 group's files, nullopt for a file that is not there.
struct CgroupV1StatFiles {
  std::optional<std::string> memory_stat;         // memory/memory.stat
  std::optional<std::string> memory_usage;        // memory/memory.usage_in_bytes
  std::optional<std::string> memory_max_usage;    // memory/memory.max_usage_in_bytes
  std::optional<std::string> memory_kmem_usage;   // memory/memory.kmem.usage_in_bytes
  std::optional<std::string> cpuacct_usage;       // cpuacct/cpuacct.usage (ns)
  std::optional<std::string> cpuacct_usage_user;  // cpuacct/cpuacct.usage_user (ns, 4.16+)
  std::optional<std::string> cpuacct_usage_sys;   // cpuacct/cpuacct.usage_sys (ns, 4.16+)
  std::optional<std::string> cpuacct_stat;        // cpuacct/cpuacct.stat (USER_HZ ticks)
  std::optional<std::string> cpu_stat;            // cpu/cpu.stat
};

// The text of a v2 group's files, nullopt for a file that is not there (a hybrid host's
// unified tree has no memory controller; memory.peak came with Linux 5.19).
struct CgroupV2StatFiles {
  std::optional<std::string> memory_stat;
  std::optional<std::string> memory_current;
  std::optional<std::string> memory_peak;
  std::optional<std::string> memory_swap_current;
  std::optional<std::string> cpu_stat;
};

// `user_hz` is the tick rate of cpuacct.stat (sysconf(_SC_CLK_TCK), 100 on Linux).
CgroupStats cgroup_v1_stats(const CgroupV1StatFiles& files, uint64_t user_hz);
CgroupStats cgroup_v2_stats(const CgroupV2StatFiles& files);

// The `oom_kill` count of a v2 memory.events or a v1 memory.oom_control (Linux 4.13+);
// 0 when the key is not there.
uint64_t oom_kills_from_text(const std::string& text);

}  // namespace pot
