// cgroup v1 (and the hybrid layout, whose v2 tree holds no controllers): one directory per
// controller hierarchy. The hierarchies are found in /proc/self/mountinfo, because
// distributions mount them differently (cpu and cpuacct apart or as "cpu,cpuacct").
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/file_util.h"
#include "core/mountinfo.h"
#include "core/number.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_util.h"

namespace pot {
namespace {

class CgroupV1 : public CgroupManager {
 public:
  CgroupV1() {
    for (const auto& mount : read_mountinfo()) {
      if (mount.fstype != "cgroup") continue;
      std::istringstream opts(mount.super_options);
      std::string opt;
      while (std::getline(opts, opt, ',')) {
        for (const char* controller : kControllers) {
          if (opt == controller && !mounts_.count(controller))
            mounts_[controller] = mount.mount_point;
        }
      }
    }
    for (const char* controller : kControllers) {
      if (!mounts_.count(controller))
        throw Error(std::string("cgroup v1: the ") + controller + " controller is not mounted");
    }
  }

  std::string version() const override { return "v1"; }

  std::string path(const std::string& group, const std::string& controller) const override {
    return mounts_.at(controller) + "/" + group;
  }

  std::vector<std::string> managed_dirs(const std::string& group) const override {
    std::vector<std::string> out;
    for (const char* controller : kControllers) out.push_back(path(group, controller));
    return out;
  }

  void create(const std::string& group, const ResourceLimits& limits) override {
    for (const char* controller : kControllers) make_dirs(path(group, controller));
    bool has_memsw =
        ::access((path(group, "memory") + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0;
    for (const auto& knob : cgroup_v1_knobs(limits, has_memsw))
      write_knob(path(group, knob.controller) + "/" + knob.file, knob.value);
  }

  void join_self(const std::string& group) override {
    for (const char* controller : kControllers)
      write_knob(path(group, controller) + "/cgroup.procs", "0");
    join_companions(group);
  }

  bool exists(const std::string& group) const override {
    for (const char* controller : kControllers) {
      if (::access(path(group, controller).c_str(), F_OK) == 0) return true;
    }
    return false;
  }

  CgroupStats stats(const std::string& group) const override {
    if (!exists(group))
      throw Error("cgroup " + quote_name(path(group, "memory")) + " does not exist");
    std::string memory = path(group, "memory") + "/";
    std::string cpuacct = path(group, "cpuacct") + "/";
    CgroupV1StatFiles files;
    files.memory_stat = read_file_if_exists(memory + "memory.stat");
    files.memory_usage = read_file_if_exists(memory + "memory.usage_in_bytes");
    files.memory_max_usage = read_file_if_exists(memory + "memory.max_usage_in_bytes");
    files.memory_kmem_usage = read_file_if_exists(memory + "memory.kmem.usage_in_bytes");
    files.cpuacct_usage = read_file_if_exists(cpuacct + "cpuacct.usage");
    files.cpuacct_usage_user = read_file_if_exists(cpuacct + "cpuacct.usage_user");
    files.cpuacct_usage_sys = read_file_if_exists(cpuacct + "cpuacct.usage_sys");
    files.cpuacct_stat = read_file_if_exists(cpuacct + "cpuacct.stat");
    files.cpu_stat = read_file_if_exists(path(group, "cpu") + "/cpu.stat");
    long user_hz = ::sysconf(_SC_CLK_TCK);
    return cgroup_v1_stats(files, user_hz > 0 ? static_cast<uint64_t>(user_hz) : 100);
  }

  uint64_t oom_kills(const std::string& group) const override {
    auto text = read_file_if_exists(path(group, "memory") + "/memory.oom_control");
    return text ? oom_kills_from_text(*text) : 0;
  }

  void remove(const std::string& group) override {
    for (const char* controller : kControllers) remove_group_dir(path(group, controller));
  }

 private:
  static constexpr const char* kControllers[] = {"memory", "cpu", "cpuacct", "pids"};
  std::map<std::string, std::string> mounts_;
};

}  // namespace

std::unique_ptr<CgroupManager> make_cgroup_v1() {
  return std::make_unique<CgroupV1>();
}

}  // namespace pot
