#include "freebsd/spawn_tool.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "freebsd/system_command.h"

extern char** environ;

namespace pot::freebsd {
namespace {

// posix_spawn's attribute objects, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions_);
    ::posix_spawnattr_init(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attr() { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_{};
  posix_spawnattr_t attr_{};
};

std::string first_nonempty_line(const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
    start = end + 1;
  }
  return {};
}

}  // namespace

pid_t spawn_tool(const std::vector<std::string>& argv, int in, int out, int err) {
  if (argv.empty()) throw Error("running a command: the command line is empty");
  SpawnSetup setup;
  ::posix_spawn_file_actions_adddup2(setup.actions(), in, 0);
  ::posix_spawn_file_actions_adddup2(setup.actions(), out, 1);
  ::posix_spawn_file_actions_adddup2(setup.actions(), err, 2);
  ::posix_spawn_file_actions_addclosefrom_np(setup.actions(), 3);
  sigset_t empty;
  sigset_t all;
  sigemptyset(&empty);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(setup.attr(), &empty);
  ::posix_spawnattr_setsigdefault(setup.attr(), &all);
  ::posix_spawnattr_setflags(setup.attr(), POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int error = ::posix_spawnp(&pid, args[0], setup.actions(), setup.attr(), args.data(), environ);
  if (error != 0) {
    throw Error(quote_name(argv[0]) + ": " + (error == ENOENT ? "not found" : std::strerror(error)),
                error);
  }
  return pid;
}

int wait_tool(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_sys("waitpid");
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

void throw_tool_failure(const std::vector<std::string>& argv, int exit_code,
                        const std::string& err) {
  std::string reason = first_nonempty_line(err);
  if (reason.empty()) reason = "exit code " + std::to_string(exit_code);
  throw Error(quote_name(format_argv(argv)) + " failed: " + reason);
}

}  // namespace pot::freebsd
