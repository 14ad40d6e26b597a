#include "runtime/cgroup_util.h"

#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>
#include <thread>

#include <linux/magic.h>

#include "core/error.h"
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

void CgroupManager::remove_parent_if_empty(const std::string& group) const {
  for (const auto& dir : dirs(group)) {
    std::string parent = dir.substr(0, dir.rfind('/'));
    // Other pots of the same root may still be there: ENOTEMPTY/EBUSY means "not yet".
    if (parent.substr(parent.rfind('/') + 1).rfind("pot-", 0) == 0) ::rmdir(parent.c_str());
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
