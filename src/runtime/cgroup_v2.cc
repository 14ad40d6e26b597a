// cgroup v2, the unified hierarchy of current distributions: one directory per group, with
// the controllers we need switched on in each ancestor's cgroup.subtree_control.
#include <unistd.h>

#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/number.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_util.h"

namespace pot {
namespace {

class CgroupV2 : public CgroupManager {
 public:
  explicit CgroupV2(std::string root) : root_(std::move(root)) {}
  std::string version() const override { return "v2"; }
  bool can_clone_into() const override { return true; }

  std::string path(const std::string& group, const std::string& /*controller*/) const override {
    return root_ + "/" + group;
  }

  std::vector<std::string> managed_dirs(const std::string& group) const override {
    return {path(group, "")};
  }

  void create(const std::string& group, const ResourceLimits& limits) override {
    // Enable controllers top-down: the root, then each ancestor of the group.
    std::string dir = root_;
    std::istringstream parts(group);
    std::string part;
    while (std::getline(parts, part, '/')) {
      enable_controllers(dir);
      dir += "/" + part;
      make_dirs(dir);
    }
    bool has_swap = ::access((dir + "/memory.swap.max").c_str(), F_OK) == 0;
    for (const auto& knob : cgroup_v2_knobs(limits, has_swap)) {
      std::string file = dir + "/" + knob.file;
      if (::access(file.c_str(), F_OK) != 0) {
        std::string controller = knob.file.substr(0, knob.file.find('.'));
        throw Error("cgroup v2: the " + controller + " controller is not available under " +
                    quote_name(root_) + ", so the limit cannot be set");
      }
      write_knob(file, knob.value);
    }
  }

  void join_self(const std::string& group) override {
    write_knob(path(group, "") + "/cgroup.procs", "0");
    join_companions(group);
  }

  bool exists(const std::string& group) const override {
    return ::access(path(group, "").c_str(), F_OK) == 0;
  }

  CgroupStats stats(const std::string& group) const override {
    std::string dir = path(group, "");
    if (!exists(group)) throw Error("cgroup " + quote_name(dir) + " does not exist");
    // Without the memory controller (a hybrid host's unified tree) only CPU is accounted.
    CgroupV2StatFiles files;
    files.memory_stat = read_file_if_exists(dir + "/memory.stat");
    files.memory_current = read_file_if_exists(dir + "/memory.current");
    files.memory_peak = read_file_if_exists(dir + "/memory.peak");
    files.memory_swap_current = read_file_if_exists(dir + "/memory.swap.current");
    files.cpu_stat = read_file_if_exists(dir + "/cpu.stat");
    return cgroup_v2_stats(files);
  }

  uint64_t oom_kills(const std::string& group) const override {
    auto text = read_file_if_exists(path(group, "") + "/memory.events");
    return text ? oom_kills_from_text(*text) : 0;
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

  std::string root_;
};

}  // namespace

std::unique_ptr<CgroupManager> make_cgroup_v2(const std::string& root) {
  return std::make_unique<CgroupV2>(root);
}

}  // namespace pot
