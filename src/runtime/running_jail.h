// A pot's first process as its monitor holds it, and how the pot's command ended: what the
// monitor (monitor.h) needs from a launch, whichever runtime made it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>

#include "core/unique_fd.h"

namespace pot {

struct RunningJail {
  pid_t init_pid = -1;
  uint64_t init_start_time = 0;
  // Where the init writes its command's wait status as it exits (pot_init.h); only for a
  // jail this process launched. Read it once the init has exited (wait_jail).
  UniqueFd command_status;
};

// How a pot's command ended.
struct CommandExit {
  int code = 0;    // its exit code, 128+N when signal N killed it (as a shell reports it)
  int signal = 0;  // N when a signal killed it, else 0
};

// Called with the new init's pid once its namespaces exist, before the pot's command runs
// (the command waits for it): this is where the pot gets its network interface.
using NamespacesReady = std::function<void(pid_t init_pid)>;

// Waits for the launched jail's init to exit and returns how the pot's command ended: the
// status the init reported, or the init's own when it had none to report (it was killed,
// or no command ever ran).
CommandExit wait_jail(RunningJail& jail);

}  // namespace pot
