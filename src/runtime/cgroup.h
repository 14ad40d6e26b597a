// A pot's control group: one directory per v1 hierarchy (memory, cpu, cpuacct, pids), or
// one directory in the v2 unified tree. Both sit under `pot-<root tag>/<pot>`, so every
// POT_FS_ROOT has its own subtree and a pot's group can be found again by name after a
// crash. The manager is picked at run time from what /sys/fs/cgroup is.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/jail_spec.h"

namespace pot {

struct CgroupUsage {
  uint64_t rss_bytes = 0;
  uint64_t swap_bytes = 0;
  uint64_t cpu_nanoseconds = 0;
};

// A knob write: file name inside the group's directory (v1: inside the controller's) and value.
struct CgroupKnob {
  std::string controller;  // v1 hierarchy ("memory", "cpu", "pids"); empty for v2
  std::string file;
  std::string value;
};

// How limits map to knobs; pure, so unit tests check them without a kernel.
std::vector<CgroupKnob> cgroup_v1_knobs(const ResourceLimits& limits, bool has_memsw);
std::vector<CgroupKnob> cgroup_v2_knobs(const ResourceLimits& limits, bool has_swap);
inline constexpr uint64_t kCpuPeriodMicros = 100000;

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  virtual std::string version() const = 0;  // "v1" or "v2"

  // Creates the group (and its parents) and applies the limits.
  virtual void create(const std::string& group, const ResourceLimits& limits) = 0;
  // Moves the calling process into the group.
  virtual void join_self(const std::string& group) = 0;
  virtual bool exists(const std::string& group) const = 0;
  virtual CgroupUsage usage(const std::string& group) const = 0;
  // Removes the group once it has no processes (waits briefly for exiting ones); missing is
  // fine. Also removes the parent when it became empty.
  virtual void remove(const std::string& group) = 0;
  // The host path of a controller's directory for the group (v2: the group's directory).
  virtual std::string path(const std::string& group, const std::string& controller) const = 0;
  // Every directory the group has (one per v1 hierarchy, one for v2).
  virtual std::vector<std::string> dirs(const std::string& group) const = 0;
};

// v2 when /sys/fs/cgroup is the unified hierarchy, v1 otherwise (pure v1 or hybrid).
std::unique_ptr<CgroupManager> make_cgroup_manager();

// The group name for a pot in a root: "pot-<tag>/<pot>".
std::string cgroup_group_name(const std::string& root_tag, const std::string& pot);

}  // namespace pot
