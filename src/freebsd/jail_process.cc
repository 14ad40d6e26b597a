#include "freebsd/jail_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "core/error.h"
#include "core/process.h"
#include "core/unique_fd.h"

namespace pot::freebsd {
namespace {

constexpr std::array<int, 6> kForwardedSignals = {SIGHUP,  SIGINT,  SIGQUIT,
                                                  SIGTERM, SIGUSR1, SIGUSR2};

std::pair<UniqueFd, UniqueFd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_sys("pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  return args;
}

// In a forked child, just before exec: default dispositions for what the monitor ignores
// or catches, nothing blocked.
void reset_signals() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void exec_or_report(char* const* args, int error_fd) {
  reset_signals();
  ::execvp(args[0], args);
  report_exec_errno(error_fd, errno);
  ::_exit(127);
}

// The keeper's life after it started the command (pid `command`): see spawn_kept.
[[noreturn]] void keep(pid_t command, int status_fd) {
  sigset_t waited;
  sigemptyset(&waited);
  sigaddset(&waited, SIGCHLD);
  for (int sig : kForwardedSignals) sigaddset(&waited, sig);
  for (;;) {
    int sig = 0;
    if (::sigwait(&waited, &sig) != 0) continue;
    if (sig == SIGCHLD) {
      int status = 0;
      if (command > 0 && ::waitpid(command, &status, WNOHANG) == command) {
        (void)!::write(status_fd, &status, sizeof status);
        ::close(status_fd);
        command = -1;
      }
      continue;
    }
    if (command > 0) {
      ::kill(command, sig);
    } else if (sig != SIGUSR1 && sig != SIGUSR2) {
      ::_exit(0);
    }
  }
}

}  // namespace

pid_t spawn_child(const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("spawn_child: empty command");
  auto args = c_argv(argv);
  auto [error_read, error_write] = make_pipe();
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork");
  if (pid == 0) {
    close_fds_except({error_write.get()});
    exec_or_report(args.data(), error_write.get());
  }
  error_write.reset();
  int err = read_exec_errno(error_read.get());
  if (err != 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw_sys("running " + quote_name(argv[0]), err);
  }
  return pid;
}

RunningJail spawn_kept(const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("spawn_kept: empty command");
  auto args = c_argv(argv);
  auto [error_read, error_write] = make_pipe();
  auto [status_read, status_write] = make_pipe();
  pid_t keeper = ::fork();
  if (keeper < 0) throw_sys("fork");
  if (keeper == 0) {
    close_fds_except({error_write.get(), status_write.get()});
    // SIGCHLD needs a handler of its own: FreeBSD discards a signal whose action is to be
    // ignored (SIGCHLD's default) even while it is blocked, and sigwait would never see it.
    struct sigaction noted {};
    noted.sa_handler = [](int) {};
    noted.sa_flags = SA_NOCLDSTOP;
    sigemptyset(&noted.sa_mask);
    ::sigaction(SIGCHLD, &noted, nullptr);
    // Blocked before the command exists, so that no signal for it is lost: sigwait takes them.
    sigset_t waited;
    sigemptyset(&waited);
    sigaddset(&waited, SIGCHLD);
    for (int sig : kForwardedSignals) sigaddset(&waited, sig);
    ::sigprocmask(SIG_BLOCK, &waited, nullptr);
    pid_t command = ::fork();
    if (command < 0) {
      report_exec_errno(error_write.get(), errno);  // the start fails with the reason
      ::_exit(127);
    }
    if (command == 0) {
      ::close(status_write.get());
      exec_or_report(args.data(), error_write.get());
    }
    ::close(error_write.get());
    keep(command, status_write.get());
  }
  error_write.reset();
  status_write.reset();
  int err = read_exec_errno(error_read.get());
  if (err != 0) {
    ::kill(keeper, SIGKILL);
    int status = 0;
    while (::waitpid(keeper, &status, 0) < 0 && errno == EINTR) {
    }
    throw_sys("running " + quote_name(argv[0]), err);
  }
  RunningJail jail;
  jail.init_pid = keeper;
  jail.init_start_time = process_start_time(keeper).value_or(0);
  jail.command_status = std::move(status_read);
  return jail;
}

}  // namespace pot::freebsd
