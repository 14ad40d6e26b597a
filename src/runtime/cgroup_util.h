// Pieces both cgroup managers share.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pot {

class CgroupManager;

// "key value" lines (memory.stat, cpu.stat) into a map.
std::map<std::string, uint64_t> parse_flat_keyed(const std::string& text);

// rmdir that waits (up to about two seconds) for exiting processes to leave. Missing is fine.
void remove_group_dir(const std::string& dir);

// The mount point of every cgroup hierarchy (v1 and v2) this process sees, one per
// hierarchy.
const std::vector<std::string>& cgroup_hierarchy_mounts();

// mkdir -p of `group` under a hierarchy's mount point. A new v1 cpuset group has no CPUs
// and no memory nodes and refuses members until it has some: each level gets its parent's,
// as systemd and container runtimes give theirs.
void make_group_dirs(const std::string& mount, const std::string& group);

// The companion group of a pot's group `pot-<tag>/<pot>`: `pot-<tag>/.pots` (cgroup.h).
std::string companion_group_name(const std::string& group);

std::unique_ptr<CgroupManager> make_cgroup_v1();
std::unique_ptr<CgroupManager> make_cgroup_v2(const std::string& root);

}  // namespace pot
