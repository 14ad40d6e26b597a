#include "runtime/cgroup_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include <linux/magic.h>

#include "core/error.h"
#include "core/file_util.h"
#include "core/mountinfo.h"
#include "core/unique_fd.h"
#include "runtime/cgroup.h"

namespace pot {

std::map<std::string, uint64_t> parse_flat_keyed(const std::string& text) {
  std::map<std::string, uint64_t> out;
  std::istringstream lines(text);
  std::string key;
  uint64_t value = 0;
  while (lines >> key >> value) out[key] = value;
  return out;
}

void remove_group_dir(const std::string& dir) {
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
    if (errno != EBUSY || attempt >= 400) throw_sys("removing cgroup " + quote_name(dir));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string companion_group_name(const std::string& group) {
  return group.substr(0, group.rfind('/') + 1) + ".pots";
}

std::vector<std::pair<std::string, std::string>> CgroupManager::companions(
    const std::string& group) const {
  std::vector<std::string> managed = managed_dirs(group);
  std::string shared = companion_group_name(group);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& mount : cgroup_hierarchy_mounts()) {
    bool covered = false;
    for (const auto& dir : managed) covered = covered || dir.rfind(mount + "/", 0) == 0;
    if (!covered) out.emplace_back(mount, mount + "/" + shared);
  }
  return out;
}

std::vector<std::string> CgroupManager::dirs(const std::string& group) const {
  std::vector<std::string> out = managed_dirs(group);
  for (auto& [mount, dir] : companions(group)) out.push_back(std::move(dir));
  return out;
}

void CgroupManager::join_companions(const std::string& group) const {
  std::string shared = companion_group_name(group);
  for (const auto& [mount, dir] : companions(group)) {
    // The shared group stays between starts: it is made (or, a v1 cpuset group left without
    // CPUs by a process killed while making it, completed) only when a join fails.
    std::string procs = dir + "/cgroup.procs";
    int err = 0;
    if (UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC)); !fd) {
      err = errno;
    } else if (::write(fd.get(), "0", 1) != 1) {
      err = errno;
    } else {
      continue;
    }
    if (err != ENOENT && err != ENOSPC) throw_sys("joining cgroup " + quote_name(dir), err);
    // Another pot of the root, ending now, may remove the empty shared group (and the
    // root's) between our mkdir and our join: make it and join again.
    for (int attempt = 0;; ++attempt) {
      try {
        make_group_dirs(mount, shared);
        write_knob(procs, "0");
        break;
      } catch (const Error& e) {
        if (e.sys_errno() != ENOENT || attempt >= 50) throw;
      }
    }
  }
}

CgroupUsage CgroupManager::usage(const std::string& group) const {
  CgroupStats stats = this->stats(group);
  return CgroupUsage{stats.memory_rss.value_or(0), stats.memory_swap.value_or(0),
                     stats.cpu_total_ns.value_or(0)};
}

void CgroupManager::remove_parent_if_empty(const std::string& group) const {
  // Other pots of the same root may still be there: ENOTEMPTY/EBUSY means "not yet".
  for (const auto& [mount, dir] : companions(group)) ::rmdir(dir.c_str());
  for (const auto& dir : dirs(group)) {
    std::string parent = dir.substr(0, dir.rfind('/'));
    if (parent.substr(parent.rfind('/') + 1).rfind("pot-", 0) == 0) ::rmdir(parent.c_str());
  }
}

static std::vector<std::string> read_cgroup_hierarchy_mounts() {
  std::vector<std::string> mounts;
  std::set<std::string> seen_devices;  // one mount per hierarchy (bind mounts share it)
  for (const auto& mount : read_mountinfo()) {
    if ((mount.fstype != "cgroup" && mount.fstype != "cgroup2") || mount.root != "/") continue;
    if (seen_devices.insert(mount.device).second) mounts.push_back(mount.mount_point);
  }
  return mounts;
}

const std::vector<std::string>& cgroup_hierarchy_mounts() {
  // Read once per process: a start asks several times, and hierarchies are not mounted or
  // unmounted under a running `pot`.
  static const std::vector<std::string> kMounts = read_cgroup_hierarchy_mounts();
  return kMounts;
}

void make_group_dirs(const std::string& mount, const std::string& group) {
  bool cpuset = ::access((mount + "/cpuset.cpus").c_str(), F_OK) == 0;
  std::string dir = mount;
  std::istringstream parts(group);
  std::string part;
  while (std::getline(parts, part, '/')) {
    std::string parent = dir;
    dir += "/" + part;
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      throw_sys("creating cgroup " + quote_name(dir));
    if (!cpuset) continue;
    for (const char* knob : {"/cpuset.cpus", "/cpuset.mems"}) {
      auto own = read_file_if_exists(dir + knob);
      if (!own || own->find_first_not_of(" \n") != std::string::npos) continue;
      write_knob(dir + knob, read_file(parent + knob));
    }
  }
}

static bool is_cgroup2(const char* path) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

std::unique_ptr<CgroupManager> make_cgroup_manager(const std::string& mode) {
  if (mode == "v1") return make_cgroup_v1();
  if (is_cgroup2("/sys/fs/cgroup")) return make_cgroup_v2("/sys/fs/cgroup");
  if (mode == "v2") {
    if (is_cgroup2("/sys/fs/cgroup/unified")) return make_cgroup_v2("/sys/fs/cgroup/unified");
    throw Error("POT_CGROUP=v2: no cgroup2 hierarchy is mounted");
  }
  return make_cgroup_v1();
}

}  // namespace pot
