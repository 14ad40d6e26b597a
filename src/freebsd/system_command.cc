// The runner behind SystemCommands: posix_spawnp with three pipes (or /dev/null for an
// empty stdin), one poll loop that writes the input and reads both outputs at once — a tool
// that fills its stderr while we wait on its stdout (or that writes before it reads its
// input) would otherwise block forever — then waitpid for the exit code.
//
// SIGPIPE: a tool may exit without reading all of its input; writing to its closed pipe
// must give EPIPE here, not kill us. It is blocked on this thread around the loop, and a
// SIGPIPE that this thread raised is consumed before the old mask comes back. The child
// starts with an empty mask and default dispositions whatever ours are.
#include "freebsd/system_command.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/error.h"
#include "core/unique_fd.h"
#include "freebsd/spawn_tool.h"

namespace pot::freebsd {
namespace {

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

// Both ends close-on-exec: the child gets only the ends dup2'd onto 0, 1 and 2.
Pipe make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw_sys("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) throw_sys("fcntl O_NONBLOCK");
}

// Blocks SIGPIPE on this thread while alive; a SIGPIPE raised meanwhile is swallowed.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_mask_);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;
  ~SigpipeBlocked() {
    if (!was_pending_) {
      const timespec no_wait{0, 0};
      while (::sigtimedwait(&pipe_set_, nullptr, &no_wait) == SIGPIPE) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t pipe_set_{};
  sigset_t old_mask_{};
  bool was_pending_ = false;
};

// Reads what `fd` has into `out`; false at end of file (or an error: the child is gone).
bool read_available(int fd, std::string& out) {
  std::array<char, 65536> buffer{};
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      out.append(buffer.data(), static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    return false;
  }
}

// Writes as much of the rest of `input` as the pipe takes; false when done (all written, or
// the child closed its stdin).
bool write_available(int fd, const std::string& input, size_t& written) {
  while (written < input.size()) {
    ssize_t n = ::write(fd, input.data() + written, input.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
  return false;
}

// Feeds `input` and collects both outputs until the child closes its stdout and stderr.
void exchange(UniqueFd input_fd, UniqueFd out_fd, UniqueFd err_fd, const std::string& input,
              CommandResult& result) {
  SigpipeBlocked no_sigpipe;
  size_t written = 0;
  for (int fd : {input_fd.get(), out_fd.get(), err_fd.get()}) {
    if (fd >= 0) set_nonblocking(fd);
  }
  while (input_fd || out_fd || err_fd) {
    std::array<pollfd, 3> fds{pollfd{input_fd.get(), POLLOUT, 0}, pollfd{out_fd.get(), POLLIN, 0},
                              pollfd{err_fd.get(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw_sys("poll");
    }
    if (input_fd && fds[0].revents != 0 && !write_available(input_fd.get(), input, written)) {
      input_fd.reset();  // EOF for the child
    }
    if (out_fd && fds[1].revents != 0 && !read_available(out_fd.get(), result.out)) {
      out_fd.reset();
    }
    if (err_fd && fds[2].revents != 0 && !read_available(err_fd.get(), result.err)) {
      err_fd.reset();
    }
  }
}

class SpawningCommands : public SystemCommands {
 public:
  CommandResult run(const std::vector<std::string>& argv, const std::string& input) override {
    UniqueFd dev_null;
    Pipe stdin_pipe;
    if (input.empty()) {
      dev_null.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (!dev_null) throw_sys("opening /dev/null");
    } else {
      stdin_pipe = make_pipe();
    }
    Pipe stdout_pipe = make_pipe();
    Pipe stderr_pipe = make_pipe();
    pid_t pid = spawn_tool(argv, input.empty() ? dev_null.get() : stdin_pipe.read_end.get(),
                           stdout_pipe.write_end.get(), stderr_pipe.write_end.get());
    // Our copies of the child's ends go, so that EOF comes when the child closes them.
    stdin_pipe.read_end.reset();
    stdout_pipe.write_end.reset();
    stderr_pipe.write_end.reset();
    dev_null.reset();

    CommandResult result;
    try {
      exchange(std::move(stdin_pipe.write_end), std::move(stdout_pipe.read_end),
               std::move(stderr_pipe.read_end), input, result);
    } catch (...) {
      ::kill(pid, SIGKILL);
      wait_tool(pid);
      throw;
    }
    result.exit_code = wait_tool(pid);
    return result;
  }
};

bool needs_quotes(const std::string& word) {
  if (word.empty()) return true;
  return word.find_first_of(" \t\n'\"\\$`;&|<>*?()") != std::string::npos;
}

}  // namespace

std::string SystemCommands::check(const std::vector<std::string>& argv, const std::string& input) {
  CommandResult result = run(argv, input);
  if (result.exit_code != 0) throw_tool_failure(argv, result.exit_code, result.err);
  return std::move(result.out);
}

bool SystemCommands::succeeds(const std::vector<std::string>& argv) {
  return run(argv).exit_code == 0;
}

bool SystemCommands::attempt(const std::vector<std::string>& argv, const std::string& input) {
  try {
    CommandResult result = run(argv, input);
    if (result.exit_code == 0) return true;
    throw_tool_failure(argv, result.exit_code, result.err);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pot: %s\n", e.what());
  }
  return false;
}

std::unique_ptr<SystemCommands> make_system_commands() {
  return std::make_unique<SpawningCommands>();
}

std::string format_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& word : argv) {
    if (!out.empty()) out.push_back(' ');
    if (!needs_quotes(word)) {
      out += word;
      continue;
    }
    // Single quotes as a shell would read them: ' becomes '\''.
    out.push_back('\'');
    for (char c : word) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out.push_back(c);
      }
    }
    out.push_back('\'');
  }
  return out;
}

}  // namespace pot::freebsd
