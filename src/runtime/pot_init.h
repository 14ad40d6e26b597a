// pid 1 inside a pot. It starts the pot's command as its child and then only waits: it
// reaps every orphan the pot leaves (a pid 1 that does not leaves zombies piling up), and
// passes the signals it is sent on to the command, so `pot stop` (SIGTERM) and
// `pot signal` reach the program. When the command exits, init exits with the command's
// code (128+N for signal N) and the kernel ends every other process of the pot. As that code
// cannot tell `exit 137` from a SIGKILL, init also writes the command's wait status to a
// pipe its launcher reads (kernel rules stop a namespace's init from dying of a signal it
// sends itself, so it cannot simply re-raise the command's signal).
#pragma once

#include <string>
#include <vector>

#include "runtime/pot_user.h"

namespace pot {

// Never returns. `report_fd` receives "R" once the command has been exec'd, or "E" and a
// message when it could not be; it is closed after that. With `new_session` the command
// gets a session of its own (a pot's main command); without, it stays in the caller's
// terminal session (`pot exec`), where the terminal sends it ^C itself, so init does not
// forward the terminal's signals a second time. A `persistent` init outlives its command
// (as a persistent jail outlives its start command) until a stop signal; otherwise it
// exits with the command. `status_fd` (or -1) receives the command's wait status, an int in
// host byte order, just before init exits with it. With `user` the command (not init) runs
// as that user.
[[noreturn]] void run_pot_init(const std::vector<std::string>& argv,
                               const std::vector<std::string>& env, const std::string& workdir,
                               int report_fd, bool new_session, bool persistent, int status_fd = -1,
                               const PotUser* user = nullptr);

// Replaces the calling process with argv in env (PATH from env). On failure returns errno.
int exec_in_env(const std::vector<std::string>& argv, const std::vector<std::string>& env);

}  // namespace pot
