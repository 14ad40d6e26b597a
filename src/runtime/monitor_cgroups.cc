#include "runtime/monitor_cgroups.h"

#include <unistd.h>

#include <set>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "runtime/cgroup_util.h"

namespace pot {

std::string monitor_group_name(const std::string& root_tag, const std::string& pot) {
  return "pot-" + root_tag + "/.monitors/" + pot;
}

std::vector<std::string> cgroup_hierarchy_mounts() {
  // mountinfo: id parent major:minor root mount-point options ... - fstype source super
  std::vector<std::string> mounts;
  std::set<std::string> seen_devices;
  std::istringstream lines(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point, field;
    fields >> id >> parent >> device >> root >> mount_point;
    while (fields >> field && field != "-") {
    }
    std::string fstype;
    fields >> fstype;
    if ((fstype != "cgroup" && fstype != "cgroup2") || root != "/") continue;
    if (seen_devices.insert(device).second) mounts.push_back(mount_point);
  }
  return mounts;
}

namespace {

// A v1 cpuset group starts with no CPUs and no memory nodes, and refuses members until it
// has some: it gets its parent's, as systemd and container runtimes give theirs.
void inherit_cpuset(const std::string& parent, const std::string& dir) {
  for (const char* knob : {"/cpuset.cpus", "/cpuset.mems"}) {
    auto own = read_file_if_exists(dir + knob);
    if (!own || own->find_first_not_of(" \n") != std::string::npos) continue;
    write_knob(dir + knob, read_file(parent + knob));
  }
}

}  // namespace

void join_monitor_groups(const std::string& group) {
  for (const auto& mount : cgroup_hierarchy_mounts()) {
    std::string dir = mount;
    std::istringstream parts(group);
    std::string part;
    while (std::getline(parts, part, '/')) {
      std::string parent = dir;
      dir += "/" + part;
      make_dirs(dir);
      inherit_cpuset(parent, dir);
    }
    write_knob(dir + "/cgroup.procs", "0");
  }
}

void leave_monitor_groups(const std::string& group) {
  for (const auto& mount : cgroup_hierarchy_mounts()) {
    if (::access((mount + "/" + group).c_str(), F_OK) != 0) continue;
    write_knob(mount + "/cgroup.procs", "0");
  }
  remove_monitor_groups(group);
}

void remove_monitor_groups(const std::string& group, bool and_root_group) {
  for (const auto& mount : cgroup_hierarchy_mounts()) {
    std::string dir = mount + "/" + group;
    remove_group_dir(dir);
    // Parents go with their last member: ENOTEMPTY or EBUSY means not yet.
    for (int level = 0; level < (and_root_group ? 2 : 1); ++level) {
      dir = dir.substr(0, dir.rfind('/'));
      if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) break;
    }
  }
}

void remove_root_monitor_groups(const std::string& root_tag) {
  for (const auto& mount : cgroup_hierarchy_mounts()) {
    std::string dir = mount + "/pot-" + root_tag;
    ::rmdir((dir + "/.monitors").c_str());  // ENOENT, ENOTEMPTY: nothing to do
    ::rmdir(dir.c_str());
  }
}

}  // namespace pot
