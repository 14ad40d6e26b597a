#include "runtime/pot_init.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "core/child_report.h"
#include "core/process.h"
#include "core/unique_fd.h"

extern char** environ;

namespace pot {

int exec_in_env(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> args, vars;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) vars.push_back(const_cast<char*>(e.c_str()));
  vars.push_back(nullptr);
  // execvp searches the PATH of the current environment, so switch to the pot's first.
  environ = vars.data();
  ::execvp(args[0], args.data());
  return errno;
}

namespace {

bool is_stop_signal(int sig) {
  return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

// Exits with the command's code, after telling the launcher its exact status.
[[noreturn]] void exit_with(std::optional<int> command_status, int status_fd) {
  if (!command_status) ::_exit(0);  // no command ever ran
  if (status_fd >= 0) (void)!::write(status_fd, &*command_status, sizeof *command_status);
  ::_exit(exit_code_from_wait_status(*command_status));
}

// Reaps and forwards until the end: the command's end for a one-shot init, a stop signal
// for a persistent pot whose command already ended (the original's persistent jail).
[[noreturn]] void wait_loop(pid_t command, bool new_session, bool persistent, int status_fd) {
  sigset_t all;
  sigfillset(&all);
  bool stop_requested = false;
  std::optional<int> command_status;
  for (;;) {
    int sig = ::sigwaitinfo(&all, nullptr);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      stop_requested = stop_requested || is_stop_signal(sig);
      if (command <= 0) {
        if (is_stop_signal(sig)) exit_with(command_status, status_fd);
        continue;
      }
      bool from_terminal = sig == SIGINT || sig == SIGQUIT || sig == SIGTSTP || sig == SIGWINCH;
      if (new_session || !from_terminal) ::kill(command, sig);
      continue;
    }
    int status = 0;
    pid_t reaped;
    while ((reaped = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (reaped != command) continue;
      command_status = status;
      if (!persistent || stop_requested) exit_with(command_status, status_fd);
      command = -1;  // the pot stays up, as a persistent jail does, until it is stopped
    }
  }
}

}  // namespace

void run_pot_init(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  const std::string& workdir, int report_fd, bool new_session, bool persistent,
                  int status_fd, const PotUser* user) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  ChildReporter reporter{UniqueFd(report_fd)};

  if (argv.empty()) {
    // No command: init alone keeps the pot up until it is stopped.
    reporter.ready();
    wait_loop(-1, new_session, /*persistent=*/true, status_fd);
  }

  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    reporter.fail(std::string("pipe: ") + std::strerror(errno));
    ::_exit(127);
  }
  UniqueFd exec_read(exec_pipe[0]), exec_write(exec_pipe[1]);
  pid_t command = ::fork();
  if (command < 0) {
    reporter.fail(std::string("fork: ") + std::strerror(errno));
    ::_exit(127);
  }
  if (command == 0) {
    exec_read.reset();
    reporter = ChildReporter();  // closes our copy: the report is init's to send
    // Ignored signals survive exec: `pot exec` ignores ^C for itself, the command must not.
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (new_session) {
      ::setsid();
      // A terminal on stdin becomes ours (pot term); with someone else's it just fails, and
      // the command runs without a controlling terminal, as a daemon would.
      if (::isatty(0) == 1) (void)::ioctl(0, TIOCSCTTY, 0);
    }
    // The user's identity before chdir, so that the workdir is entered with its rights.
    int err = user != nullptr ? become_user(*user) : 0;
    if (err == 0) err = ::chdir(workdir.c_str()) == 0 ? exec_in_env(argv, env) : errno;
    report_exec_errno(exec_write.get(), err);
    ::_exit(127);
  }
  exec_write.reset();
  int exec_errno = read_exec_errno(exec_read.get());
  exec_read.reset();
  if (exec_errno != 0) {
    reporter.fail("cannot run `" + argv[0] + "` in the pot: " + std::strerror(exec_errno));
    ::_exit(127);
  }
  reporter.ready();
  wait_loop(command, new_session, persistent, status_fd);
}

}  // namespace pot
