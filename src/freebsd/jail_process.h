// The processes a FreeBSD pot's monitor starts: the jexec'd command, a child of ours with
// our stdin, stdout and stderr and no other fd (the monitor's lock must not be held by the
// pot); and for a persistent pot a keeper around it that outlives the command, as the
// persistent jail does, until the pot is stopped.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/running_jail.h"

namespace pot::freebsd {

// Starts argv (argv[0] found on PATH) as our child. Throws Error naming the program when it
// cannot be executed.
pid_t spawn_child(const std::vector<std::string>& argv);

// Starts argv under a keeper: a child of ours that starts argv as its own child, passes
// SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and SIGUSR2 on to it while it runs, writes its
// wait status to RunningJail::command_status when it ends, and then stays until one of
// SIGHUP, SIGINT, SIGQUIT or SIGTERM (pot stop) ends it. The keeper is RunningJail's first
// process. Throws Error naming the program when it cannot be executed.
RunningJail spawn_kept(const std::vector<std::string>& argv);

}  // namespace pot::freebsd
