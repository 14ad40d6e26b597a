// The platform's way of running a pot: the kernel half of a pot's life, behind which Linux
// (namespaces, cgroups: linux_runtime.cc) and FreeBSD (jails, rctl, cpuset:
// freebsd/jail_runtime.cc) differ. The pot layer (pot/lifecycle.cc) keeps what they share:
// locks, the status machine, the run state, the monitor process and the cleanup of what a
// killed `pot` left. Chosen at run time by platform/platform.h.
#pragma once

#include <sys/types.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "runtime/cgroup_stats.h"
#include "runtime/jail_spec.h"
#include "runtime/monitor.h"

namespace pot {

// A pot's run as its run state records it, handed back to every call after the start.
struct JailHandle {
  std::string pot;          // the pot's name
  std::string group;        // its resource group: cgroup path (Linux), jail name (FreeBSD)
  std::string tag;          // what run_tag() said at start (Linux: the cgroup version)
  pid_t init_pid = -1;      // the pot's first process (Linux: its init; FreeBSD: the command)
  uint64_t init_start = 0;  // its start time, to tell it from a reused pid
  bool own_network = true;  // the pot has a network stack of its own
};

// `pot exec`, `pot term`, a driver's exec.
struct ExecRequest {
  std::vector<std::string> argv;
  std::vector<std::string> env;     // the whole environment
  std::optional<std::string> user;  // pot.user
  bool terminal = false;            // an interactive shell on a terminal of the pot's
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual std::string name() const = 0;  // "linux", "freebsd"

  // The group a pot's run lives in (Linux: pot-<root tag>/<pot>; FreeBSD: the jail name).
  virtual std::string group_name(const std::string& root_tag, const std::string& pot) const = 0;
  // Recorded in the run state at start and handed back as JailHandle::tag.
  virtual std::string run_tag() = 0;

  // The monitor's body, from the calling process until the pot ends: launch the pot from
  // `spec`, call the hooks, pump its output, wait; returns how its command ended. Throws
  // Error (after removing what the launch made) when the pot does not start.
  virtual CommandExit run(const JailSpec& spec, const MonitorHooks& hooks,
                          const PotOutput& output) = 0;

  // A forked monitor cuts itself loose from the command that started it (session, fds but
  // `keep`; Linux: cgroups of its own, monitor_cgroups.h), and leaves at its end.
  virtual void detach_monitor(const std::string& root_tag, const std::string& pot,
                              std::initializer_list<int> keep) = 0;
  virtual void leave_monitor(const std::string& root_tag, const std::string& pot) = 0;
  // What a killed monitor left (Linux: its cgroups); missing is fine. `for_destroy`: the pot
  // is going away, so also its group, and a monitor still waiting there (one whose stop was
  // killed) is killed.
  virtual void remove_monitor_leftovers(const std::string& root_tag, const std::string& pot,
                                        bool for_destroy) = 0;
  // At de-init: what the root's runs share (Linux: the root's cgroup groups).
  virtual void remove_root_leftovers(const std::string& /*root_tag*/) {}

  // Ends the pot's processes: graceful is SIGTERM, then SIGKILL after `timeout_seconds`.
  virtual void stop(const JailHandle& jail, bool graceful, int timeout_seconds) = 0;
  // Removes what the run made once its processes are gone (Linux: the cgroup; FreeBSD: the
  // jail, its rctl rules, its mounts). What is already gone is fine.
  virtual void remove(const JailHandle& jail) = 0;
  // Something of a run is left (a killed `pot` left a cgroup or a jail).
  virtual bool has_leftovers(const JailHandle& jail) = 0;

  // Runs a command in the running pot and returns its exit code.
  virtual int exec(const JailHandle& jail, const ExecRequest& request) = 0;
  // False when the pot's first process is gone.
  virtual bool signal(const JailHandle& jail, int signal) = 0;
  virtual CgroupStats stats(const JailHandle& jail) = 0;
  // How many processes the memory limit killed in this run (read before remove()).
  virtual uint64_t oom_kills(const JailHandle& jail) = 0;

  // Calls fn with an fd of the pot's root directory as its processes see it: `running` when
  // the pot runs (Linux: through its init's /proc/<pid>/root), else the stopped pot's root
  // (Linux: a multi pot's overlay, assembled in a child's private mount namespace). The
  // default opens spec.root, the jail's path.
  virtual void with_root(const JailSpec& spec, const JailHandle* running,
                         const std::function<void(int root_fd)>& fn);
};

}  // namespace pot
