// cgroup v2, the unified hierarchy of current distributions: one directory per group, with
// the controllers we need switched on in each ancestor's cgroup.subtree_control.
#include <unistd.h>

#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_util.h"

namespace pot {
namespace {

constexpr const char* kRoot = "/sys/fs/cgroup";

class CgroupV2 : public CgroupManager {
 public:
  std::string version() const override { return "v2"; }

  std::string path(const std::string& group, const std::string& /*controller*/) const override {
    return std::string(kRoot) + "/" + group;
  }

  std::vector<std::string> dirs(const std::string& group) const override {
    return {path(group, "")};
  }

  void create(const std::string& group, const ResourceLimits& limits) override {
    // Enable controllers top-down: the root, then each ancestor of the group.
    std::string dir = kRoot;
    std::istringstream parts(group);
    std::string part;
    while (std::getline(parts, part, '/')) {
      enable_controllers(dir);
      dir += "/" + part;
      make_dirs(dir);
    }
    bool has_swap = ::access((dir + "/memory.swap.max").c_str(), F_OK) == 0;
    for (const auto& knob : cgroup_v2_knobs(limits, has_swap))
      write_knob(dir + "/" + knob.file, knob.value);
  }

  void join_self(const std::string& group) override {
    write_knob(path(group, "") + "/cgroup.procs", "0");
  }

  bool exists(const std::string& group) const override {
    return ::access(path(group, "").c_str(), F_OK) == 0;
  }

  CgroupUsage usage(const std::string& group) const override {
    CgroupUsage usage;
    std::string dir = path(group, "");
    auto memory = parse_flat_keyed(read_file(dir + "/memory.stat"));
    usage.rss_bytes = memory["anon"];
    if (auto swap = read_file_if_exists(dir + "/memory.swap.current"))
      usage.swap_bytes = std::stoull(*swap);
    auto cpu = parse_flat_keyed(read_file(dir + "/cpu.stat"));
    usage.cpu_nanoseconds = cpu["usage_usec"] * 1000;
    return usage;
  }

  void remove(const std::string& group) override { remove_group_dir(path(group, "")); }

 private:
  static void enable_controllers(const std::string& dir) {
    std::istringstream available(read_file(dir + "/cgroup.controllers"));
    std::string controller, wanted;
    while (available >> controller) {
      if (controller == "memory" || controller == "cpu" || controller == "pids")
        wanted += (wanted.empty() ? "+" : " +") + controller;
    }
    if (!wanted.empty()) write_knob(dir + "/cgroup.subtree_control", wanted);
  }
};

}  // namespace

std::unique_ptr<CgroupManager> make_cgroup_v2() {
  return std::make_unique<CgroupV2>();
}

}  // namespace pot
