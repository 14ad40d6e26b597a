#include "runtime/linux_runtime.h"

#include <signal.h>

#include "core/error.h"
#include "core/process.h"
#include "runtime/cgroup.h"
#include "runtime/jail_launcher.h"
#include "runtime/monitor_cgroups.h"
#include "runtime/overlay_root.h"
#include "runtime/pot_terminal.h"
#include "runtime/root_path.h"

namespace pot {
namespace {

class LinuxRuntime : public Runtime {
 public:
  explicit LinuxRuntime(std::string cgroup_preference)
      : cgroup_preference_(std::move(cgroup_preference)) {}

  std::string name() const override { return "linux"; }

  std::string group_name(const std::string& root_tag, const std::string& pot) const override {
    return cgroup_group_name(root_tag, pot);
  }

  std::string run_tag() override { return cgroups().version(); }

  CommandExit run(const JailSpec& spec, const MonitorHooks& hooks,
                  const PotOutput& output) override {
    return run_monitor([&] { return launch_jail(spec, cgroups(), hooks.namespaces_ready); }, hooks,
                       output);
  }

  void detach_monitor(const std::string& root_tag, const std::string& pot,
                      std::initializer_list<int> keep) override {
    detach_process(keep);
    join_monitor_groups(monitor_group_name(root_tag, pot));
  }

  void leave_monitor(const std::string& root_tag, const std::string& pot) override {
    leave_monitor_groups(monitor_group_name(root_tag, pot));
  }

  void remove_monitor_leftovers(const std::string& root_tag, const std::string& pot,
                                bool for_destroy) override {
    if (for_destroy) {
      std::string group = group_name(root_tag, pot);
      cgroups().remove(group);
      cgroups().remove_parent_if_empty(group);
    }
    remove_monitor_groups(monitor_group_name(root_tag, pot), /*and_root_group=*/for_destroy,
                          /*kill_members=*/for_destroy);
  }

  void remove_root_leftovers(const std::string& root_tag) override {
    remove_root_monitor_groups(root_tag);
  }

  void stop(const JailHandle& jail, bool graceful, int timeout_seconds) override {
    if (!process_alive(jail.init_pid, jail.init_start)) return;
    if (graceful) {
      signal_process(jail.init_pid, jail.init_start, SIGTERM);
      if (!wait_for_process_exit(jail.init_pid, jail.init_start, timeout_seconds * 1000))
        signal_process(jail.init_pid, jail.init_start, SIGKILL);
    } else {
      signal_process(jail.init_pid, jail.init_start, SIGKILL);
    }
    // SIGKILL of a pid namespace's init ends every process in it.
    wait_for_process_exit(jail.init_pid, jail.init_start, 10000);
  }

  void remove(const JailHandle& jail) override { cgroups_for(jail.tag).remove(jail.group); }

  bool has_leftovers(const JailHandle& jail) override {
    return cgroups_for(jail.tag).exists(jail.group);
  }

  int exec(const JailHandle& jail, const ExecRequest& request) override {
    RunningJail running{jail.init_pid, jail.init_start, UniqueFd()};
    std::vector<std::string> dirs = cgroups_for(jail.tag).dirs(jail.group);
    if (!request.terminal) {
      return run_in_jail(running, dirs, request.argv, request.env, request.user, jail.own_network);
    }
    PotTerminal terminal = open_pot_terminal(jail.init_pid);
    return run_in_jail(running, dirs, request.argv, request.env, request.user, jail.own_network,
                       terminal.slave.get(), [&] {
                         terminal.slave.reset();  // the shell's exit must reach us as EIO
                         relay_terminal(terminal.master.get());
                       });
  }

  bool signal(const JailHandle& jail, int signal) override {
    return signal_process(jail.init_pid, jail.init_start, signal);
  }

  CgroupStats stats(const JailHandle& jail) override {
    return cgroups_for(jail.tag).stats(jail.group);
  }

  uint64_t oom_kills(const JailHandle& jail) override {
    return cgroups_for(jail.tag).oom_kills(jail.group);
  }

  void with_root(const JailSpec& spec, const JailHandle* running,
                 const std::function<void(int root_fd)>& fn) override {
    if (running) {
      UniqueFd root =
          open_root_dir(("/proc/" + std::to_string(running->init_pid) + "/root").c_str());
      if (!process_alive(running->init_pid, running->init_start))
        throw Error("pot " + quote_name(running->pot) + " stopped meanwhile");
      fn(root.get());
      return;
    }
    if (spec.overlay) {
      with_context("pot " + quote_name(spec.name),
                   [&] { with_overlay_mounted(spec.root, *spec.overlay, fn); });
      return;
    }
    Runtime::with_root(spec, running, fn);
  }

 private:
  CgroupManager& cgroups() {
    if (!cgroups_) cgroups_ = make_cgroup_manager(cgroup_preference_);
    return *cgroups_;
  }

  // The manager of the version a pot was started with ("v1"/"v2"; empty: the current one),
  // so a pot started before POT_CGROUP changed is still cleaned where it lives.
  CgroupManager& cgroups_for(const std::string& version) {
    if (version.empty() || version == cgroups().version()) return cgroups();
    if (!other_cgroups_) other_cgroups_ = make_cgroup_manager(version);
    return *other_cgroups_;
  }

  std::string cgroup_preference_;
  std::unique_ptr<CgroupManager> cgroups_;
  std::unique_ptr<CgroupManager> other_cgroups_;
};

}  // namespace

std::unique_ptr<Runtime> make_linux_runtime(const Settings& settings) {
  return std::make_unique<LinuxRuntime>(settings.cgroup);
}

}  // namespace pot
