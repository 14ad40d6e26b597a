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

#include "runtime/cgroup_stats.h"
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
// cpu.shares (2..262144) as cpu.weight (1..10000): 1 + ((shares - 2) * 9999) / 262142, the
// mapping runc and crun use, so that the default 1024 shares give weight 39 as they do.
// Shares outside the range are clamped to it first.
uint64_t cpu_weight_from_shares(uint64_t shares);

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  virtual std::string version() const = 0;  // "v1" or "v2"
  // v2 can place a new process straight into its group (clone3 CLONE_INTO_CGROUP), which
  // spares the cgroup migration lock that a write to cgroup.procs takes.
  virtual bool can_clone_into() const { return false; }

  // Creates the group (and its parents) and applies the limits.
  virtual void create(const std::string& group, const ResourceLimits& limits) = 0;
  // Moves the calling process into the group.
  virtual void join_self(const std::string& group) = 0;
  virtual bool exists(const std::string& group) const = 0;
  // What the group uses now (cgroup_stats.h); throws Error when the group is not there.
  virtual CgroupStats stats(const std::string& group) const = 0;
  // The summary `pot get-rss` shows, from stats(): unmeasured numbers read as 0.
  CgroupUsage usage(const std::string& group) const;
  // How many of the group's processes the OOM killer has killed so far; 0 when the group or
  // the count is not there (no memory controller, a v1 kernel before 4.13). Read it before
  // the group is removed.
  virtual uint64_t oom_kills(const std::string& group) const = 0;
  // Removes the group once it has no processes (waits briefly for exiting ones); missing is
  // fine. The parent (pot-<tag>) stays: making it again on every start costs time.
  virtual void remove(const std::string& group) = 0;
  // Removes the group's parent directories when empty (after a destroy, at de-init).
  void remove_parent_if_empty(const std::string& group) const;
  // The host path of a controller's directory for the group (v2: the group's directory).
  virtual std::string path(const std::string& group, const std::string& controller) const = 0;
  // Every directory the group has: the manager's (one per v1 controller, or one for v2)
  // and its companions.
  std::vector<std::string> dirs(const std::string& group) const;
  // Moves the calling process into the group's companions only (a process placed into the
  // managed group by clone3 CLONE_INTO_CGROUP).
  void join_companions(const std::string& group) const;

 protected:
  // The directories of the group in the hierarchies whose limits this manager sets.
  virtual std::vector<std::string> managed_dirs(const std::string& group) const = 0;
  // Hierarchies the manager sets no limits in (name=systemd, devices, freezer, the v2 tree
  // of a hybrid host, ...) still hold processes: a pot's processes join the root's shared
  // group there, `pot-<tag>/.pots` (made on first use, kept between starts: a group per pot
  // in six more hierarchies cost a start about 0.8 ms), so none stays in its caller's
  // groups and the pot's cgroup namespace has its own root in every hierarchy. These are
  // the companion groups: (mount point, directory).
  std::vector<std::pair<std::string, std::string>> companions(const std::string& group) const;
};

// `mode` is POT_CGROUP: "auto" takes v2 when /sys/fs/cgroup is the unified hierarchy and v1
// otherwise (pure v1 or hybrid); "v2" also takes the unified tree of a hybrid host
// (/sys/fs/cgroup/unified), which has no controllers: groups and accounting of processes,
// no limits. "v1" forces v1.
std::unique_ptr<CgroupManager> make_cgroup_manager(const std::string& mode = "auto");

// The group name for a pot in a root: "pot-<tag>/<pot>".
std::string cgroup_group_name(const std::string& root_tag, const std::string& pot);

}  // namespace pot
