// posix_spawnp with the caller's fds dup2'd onto the child's stdin and stdout and a pipe for
// its stderr, read to the end before waitpid. The stream itself never passes through us, so
// a send of many gigabytes costs this process nothing.
#include "freebsd/command_stream.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "core/error.h"
#include "core/unique_fd.h"

extern char** environ;

namespace pot::freebsd {
namespace {

// posix_spawn's attribute objects, destroyed on every path.
class SpawnActions {
 public:
  SpawnActions() {
    ::posix_spawn_file_actions_init(&actions_);
    ::posix_spawnattr_init(&attr_);
  }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  ~SpawnActions() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attr() { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_{};
  posix_spawnattr_t attr_{};
};

UniqueFd open_dev_null(int flags) {
  UniqueFd fd(::open("/dev/null", flags | O_CLOEXEC));
  if (!fd) throw_sys("opening /dev/null");
  return fd;
}

std::string read_to_end(int fd) {
  std::string text;
  std::array<char, 4096> buffer{};
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      text.append(buffer.data(), static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return text;
    }
  }
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_sys("waitpid");
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

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

CommandResult run_streaming(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd) {
  if (argv.empty()) throw Error("running a command: the command line is empty");
  SpawnActions spawn;
  UniqueFd null_in;
  UniqueFd null_out;
  if (stdin_fd < 0) {
    null_in = open_dev_null(O_RDONLY);
    stdin_fd = null_in.get();
  }
  if (stdout_fd < 0) {
    null_out = open_dev_null(O_WRONLY);
    stdout_fd = null_out.get();
  }
  std::array<int, 2> err_pipe{};
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) throw_sys("pipe2");
  UniqueFd err_read(err_pipe[0]);
  UniqueFd err_write(err_pipe[1]);

  ::posix_spawn_file_actions_adddup2(spawn.actions(), stdin_fd, 0);
  ::posix_spawn_file_actions_adddup2(spawn.actions(), stdout_fd, 1);
  ::posix_spawn_file_actions_adddup2(spawn.actions(), err_write.get(), 2);
  // Nothing else of ours goes with the tool (a lock, the other end of its own pipe).
  ::posix_spawn_file_actions_addclosefrom_np(spawn.actions(), 3);
  // A reader that goes away must end `zfs send` with SIGPIPE, whatever our disposition is.
  sigset_t empty;
  sigset_t all;
  sigemptyset(&empty);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(spawn.attr(), &empty);
  ::posix_spawnattr_setsigdefault(spawn.attr(), &all);
  ::posix_spawnattr_setflags(spawn.attr(), POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int err = ::posix_spawnp(&pid, args[0], spawn.actions(), spawn.attr(), args.data(), environ);
  if (err != 0) {
    throw Error(quote_name(argv[0]) + ": " + (err == ENOENT ? "not found" : std::strerror(err)),
                err);
  }
  err_write.reset();  // EOF on the pipe comes when the child's copy closes

  CommandResult result;
  result.err = read_to_end(err_read.get());
  result.exit_code = wait_for(pid);
  return result;
}

void check_result(const std::vector<std::string>& argv, const CommandResult& result) {
  if (result.exit_code == 0) return;
  std::string reason = first_nonempty_line(result.err);
  if (reason.empty()) reason = "exit code " + std::to_string(result.exit_code);
  throw Error(quote_name(format_argv(argv)) + " failed: " + reason);
}

}  // namespace pot::freebsd
