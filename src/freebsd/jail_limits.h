// A jail's resource limits and usage as rctl(8) and cpuset(1) take and give them: rule
// text, the CPU list, and `rctl -u` parsed into the stats a task driver reports. Pure.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/cgroup_stats.h"

namespace pot::freebsd {

// "jail:NAME": rctl's subject for a jail, the filter of `rctl` and `rctl -r`.
std::string rctl_subject(const std::string& jail_name);
// "jail:NAME:memoryuse:deny=BYTES" (the original's pot.rss.memory rule).
std::string rctl_memory_rule(const std::string& jail_name, uint64_t bytes);
// "jail:NAME:maxproc:deny=N": our pids limit (the original has none).
std::string rctl_pids_rule(const std::string& jail_name, uint64_t pids);

// The CPUs a pot with `cpus` CPUs is bound to: the first `cpus` of the host's `host_cpus`
// ("0,1,2"), all of them when it asks for more. The original asks potcpu for the least used
// ones; a fixed choice is deterministic and needs no bookkeeping of other pots' sets.
std::string cpuset_list(uint64_t cpus, uint64_t host_cpus);

// `rctl -u jail:NAME` ("memoryuse=123\ncputime=4\n..."): memoryuse (resident memory) as
// memory usage and RSS, swapuse as swap, cputime (whole seconds) as CPU time. Keys that are
// not there stay unset.
CgroupStats stats_from_rctl_usage(const std::string& text);

}  // namespace pot::freebsd
