// Pieces both cgroup managers share.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace pot {

class CgroupManager;

// "key value" lines (memory.stat, cpu.stat) into a map.
std::map<std::string, uint64_t> parse_flat_keyed(const std::string& text);

// rmdir that waits (up to about two seconds) for exiting processes to leave. Missing is fine.
void remove_group_dir(const std::string& dir);

std::unique_ptr<CgroupManager> make_cgroup_v1();
std::unique_ptr<CgroupManager> make_cgroup_v2(const std::string& root);

}  // namespace pot
