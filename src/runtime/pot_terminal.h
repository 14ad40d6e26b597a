// `pot term`: a shell in a running pot on a pseudo-terminal of the pot's own devpts. The
// pty pair is opened from the host side through /proc/<init>/root (resolved inside the
// pot), the shell gets the slave as its controlling terminal, and we copy bytes between
// the user's terminal (in raw mode) and the master. The pot never holds the host's terminal.
#pragma once

#include <sys/types.h>

#include "core/unique_fd.h"

namespace pot {

struct PotTerminal {
  UniqueFd master;
  UniqueFd slave;
};

PotTerminal open_pot_terminal(pid_t init_pid);

// Copies between our stdin/stdout and `master` until the pot side closes; keeps the window
// size in step. Restores the user's terminal mode on return.
void relay_terminal(int master);

}  // namespace pot
