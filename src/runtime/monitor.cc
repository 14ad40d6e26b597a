#include "runtime/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "core/error.h"
#include "core/process.h"
#include "core/unique_fd.h"
#include "runtime/monitor_cgroups.h"

namespace pot {
namespace {

// Signals that reach a monitor in the foreground are passed to the pot instead.
pid_t g_foreground_init = -1;
void forward_to_init(int sig) {
  if (g_foreground_init > 0) ::kill(g_foreground_init, sig);
}

int wait_forwarding_signals(pid_t init) {
  g_foreground_init = init;
  struct sigaction forward {};
  forward.sa_handler = forward_to_init;
  sigemptyset(&forward.sa_mask);
  forward.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::sigaction(sig, &forward, nullptr);
  int code = wait_exit_code(init);
  g_foreground_init = -1;
  return code;
}

// Moves what is there now from the pot's output pipe to the log; false at EOF.
bool pump(int pipe_fd, RotatingLog& log) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(pipe_fd, buffer, sizeof buffer);
    if (n > 0) {
      log.write(std::string_view(buffer, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0;  // EAGAIN: more later; 0: every writer is gone
  }
}

// Until the init exits: its output into the log. The pipe's writers are the pot's
// processes only, and they all end with the init (its pid namespace goes with it).
int wait_pumping_output(pid_t init, UniqueFd output, RotatingLog& log) {
  UniqueFd pidfd = open_pidfd(init);
  if (!pidfd) throw_sys("opening the pot's init");
  pollfd fds[2] = {{output.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  for (;;) {
    int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw_sys("waiting for the pot");
    if (fds[0].revents != 0 && !pump(output.get(), log)) fds[0].fd = -1;  // EOF: stop polling it
    if (fds[1].revents != 0) break;
  }
  if (fds[0].fd >= 0) pump(output.get(), log);  // what was written just before the end
  return wait_exit_code(init);
}

}  // namespace

int run_monitor(const JailSpec& spec, CgroupManager& cgroups, const MonitorHooks& hooks,
                const std::optional<LogRotation>& log) {
  if (!log) {
    RunningJail jail = launch_jail(spec, cgroups, hooks.namespaces_ready);
    hooks.running(jail);
    return wait_forwarding_signals(jail.init_pid);
  }
  RotatingLog sink(*log);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_sys("creating the pot's output pipe");
  UniqueFd output_read(fds[0]), output_write(fds[1]);
  if (::fcntl(output_read.get(), F_SETFL, O_NONBLOCK) != 0) throw_sys("fcntl O_NONBLOCK");
  // The init inherits our stdout and stderr: the pipe, for its launch; then ours go to the
  // log file itself, so that only the pot's processes hold the pipe.
  if (::dup2(output_write.get(), 1) < 0 || ::dup2(output_write.get(), 2) < 0)
    throw_sys("redirecting the pot's output");
  output_write.reset();
  RunningJail jail;
  try {
    jail = launch_jail(spec, cgroups, hooks.namespaces_ready);
  } catch (...) {
    sink.own_stdio();  // the monitor's own report of the failure goes to the log
    throw;
  }
  sink.own_stdio();
  hooks.running(jail);
  return wait_pumping_output(jail.init_pid, std::move(output_read), sink);
}

void detach_monitor(const std::string& monitor_group, std::initializer_list<int> keep) {
  // A `pot start` killed before the pot runs must not take its monitor with it through the
  // report pipe: a write to a reader that is gone then fails with EPIPE instead. (The pot's
  // command gets default dispositions back from its init.)
  ::signal(SIGPIPE, SIG_IGN);
  close_fds_except(keep);
  if (::setsid() < 0) throw_sys("setsid");
  // Neither the caller's directory (an unmount of it would be busy) nor its terminal.
  if (::chdir("/") != 0) throw_sys("chdir /");
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd || ::dup2(null_fd.get(), 0) < 0) throw_sys("opening /dev/null");
  join_monitor_groups(monitor_group);
}

}  // namespace pot
