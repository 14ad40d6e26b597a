#include "runtime/monitor_cgroups.h"

#include <signal.h>
#include <unistd.h>

#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/number.h"
#include "runtime/cgroup_util.h"

namespace pot {

std::string monitor_group_name(const std::string& root_tag, const std::string& pot) {
  return "pot-" + root_tag + "/.monitors/" + pot;
}

void join_monitor_groups(const std::string& group) {
  for (const auto& mount : cgroup_hierarchy_mounts()) {
    // The last monitor of another pot may remove `.monitors` (or the root's group) between
    // our mkdirs, or between them and our join (it holds no lock of ours): make and join
    // again. A thousand pots ending at once (a batch job under potd) meet this often.
    for (int attempt = 0;; ++attempt) {
      try {
        make_group_dirs(mount, group);
        write_knob(mount + "/" + group + "/cgroup.procs", "0");
        break;
      } catch (const Error& e) {
        if (e.sys_errno() != ENOENT || attempt >= 50) throw;
      }
    }
  }
}

void leave_monitor_groups(const std::string& group) {
  for (const auto& mount : cgroup_hierarchy_mounts()) {
    if (::access((mount + "/" + group).c_str(), F_OK) != 0) continue;
    write_knob(mount + "/cgroup.procs", "0");
  }
  remove_monitor_groups(group);
}

void remove_monitor_groups(const std::string& group, bool and_root_group, bool kill_members) {
  for (const auto& mount : cgroup_hierarchy_mounts()) {
    std::string dir = mount + "/" + group;
    if (kill_members) {
      if (auto procs = read_file_if_exists(dir + "/cgroup.procs")) {
        std::istringstream pids(*procs);
        std::string pid;
        while (pids >> pid) {
          if (auto number = to_unsigned(pid); number && *number > 0 && *number <= INT32_MAX)
            ::kill(static_cast<pid_t>(*number), SIGKILL);
        }
      }
    }
    if (kill_members) {
      remove_group_dir(dir);  // waits for the killed monitor to leave
    } else {
      // Without the pot's lock (a monitor leaving, a stop after it let go): a new monitor
      // of the same pot may be in the group already, and then it is that monitor's.
      ::rmdir(dir.c_str());
    }
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
    ::rmdir((dir + "/.pots").c_str());      // the companion groups (cgroup.h)
    ::rmdir(dir.c_str());
  }
}

}  // namespace pot
