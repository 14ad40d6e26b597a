#include "runtime/running_jail.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.h"
#include "core/process.h"

namespace pot {

CommandExit wait_jail(RunningJail& jail) {
  int init_status = 0;
  while (::waitpid(jail.init_pid, &init_status, 0) < 0) {
    if (errno != EINTR) throw_sys("waiting for the pot's init");
  }
  int status = init_status;
  if (jail.command_status) {
    // The init is gone, and with it every writer: this read does not block.
    int reported = 0;
    ssize_t n;
    do {
      n = ::read(jail.command_status.get(), &reported, sizeof reported);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof reported)) status = reported;
    jail.command_status.reset();
  }
  return CommandExit{exit_code_from_wait_status(status),
                     WIFSIGNALED(status) ? WTERMSIG(status) : 0};
}

}  // namespace pot
