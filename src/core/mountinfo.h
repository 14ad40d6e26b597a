// /proc/self/mountinfo, read once into fields: what the cgroup managers, the cgroup hierarchy
// list and the pool's loop-mount check each need from it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pot {

struct MountInfo {
  std::string id, parent;   // mount ids: `parent` is the mount this one sits on
  std::string device;       // major:minor of the filesystem
  std::string root;         // the directory of the filesystem mounted here
  std::string mount_point;  // unescaped
  std::string fstype;
  std::string source;         // unescaped
  std::string super_options;  // e.g. "rw,memory" for a v1 memory hierarchy
};

// The mounts this process sees, in mountinfo's order. Throws Error when it cannot be read.
std::vector<MountInfo> read_mountinfo();

// mountinfo writes space, tab, newline and backslash in paths as \ooo (octal).
std::string unescape_mountinfo(std::string_view field);

}  // namespace pot
