// A pot's runtime state, `run/<pot>.state`: its status, and the processes that prove it
// (the monitor that waits for the pot, the pot's init), each with its kernel start time so
// a reused pid is never mistaken for ours, and the boot it belongs to, so state from before
// a reboot reads as stale. It lives beside the pot's lock, apart from its configuration.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/lock.h"
#include "core/settings.h"
#include "core/status.h"

namespace pot {

struct RunState {
  Status status = Status::kStopped;
  pid_t monitor_pid = 0;
  uint64_t monitor_start = 0;
  pid_t init_pid = 0;
  uint64_t init_start = 0;
  bool own_network = true;
  std::string cgroup_version;  // where its cgroup lives: "v1" or "v2"
  std::string network;         // what starting it made on the host's network (network.h)
  std::string boot;

  static RunState load(const Settings& settings, const std::string& pot);
  void save(const Settings& settings, const std::string& pot) const;

  bool init_alive() const;
  bool monitor_alive() const;
  // True when the state was written by a process of this boot that still runs the pot.
  bool running() const { return status == Status::kStarted && init_alive(); }
};

fs::path state_path(const Settings& settings, const std::string& pot);
// The current log of a persistent pot; rotated copies are log_path + ".1", ".2", ...
fs::path log_path(const Settings& settings, const std::string& pot);

// Lock files live in three namespaces that can never meet: a pot's is run/<pot>.lock, a
// base's run/bases/<base>.lock, the root's own locks run/global/<what>.lock (a pot or base
// name has no `/`). So a pot may be called `network` or `base.bb`.
fs::path pot_lock_path(const Settings& settings, const std::string& pot);
fs::path base_lock_path(const Settings& settings, const std::string& base);
fs::path global_lock_path(const Settings& settings, const std::string& what);

// The lock of a pot that must exist; every command that changes a pot holds it. The pot
// is checked again once the lock is held: a destroy that finished while we waited makes
// this throw "pot `x` not found", leaving no lock file behind.
FileLock lock_pot(const Settings& settings, const std::string& pot);
// The lock of a pot name that is about to be made (create, clone, import, rename's target).
FileLock lock_new_pot(const Settings& settings, const std::string& pot);
// The same lock, unless the pot's lock file is gone (the pot was destroyed): then unheld.
FileLock lock_existing_pot(const Settings& settings, const std::string& pot);

// With the pot's lock held: removes its state and logs (not the lock file).
void remove_run_files(const Settings& settings, const std::string& pot);
// The pot a file in run/ belongs to, from its name (the names remove_run_files and the
// lock, state and log paths use): <pot>.lock, <pot>.state, <pot>.state.tmp.<pid>,
// <pot>.log, <pot>.log.<n>; empty for anything else.
std::string pot_of_run_file(std::string_view file);
// With the pot's lock held, when there is no pot (any more): removes the lock file, last.
void remove_pot_lock_file(const Settings& settings, const std::string& pot);

}  // namespace pot
