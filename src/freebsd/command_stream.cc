// posix_spawnp with the caller's fds dup2'd onto the child's stdin and stdout and a pipe for
// its stderr, read to the end before waitpid. The stream itself never passes through us, so
// a send of many gigabytes costs this process nothing.
#include "freebsd/command_stream.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "core/error.h"
#include "core/unique_fd.h"
#include "freebsd/spawn_tool.h"

namespace pot::freebsd {
namespace {

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

}  // namespace

CommandResult run_streaming(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd) {
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

  pid_t pid = spawn_tool(argv, stdin_fd, stdout_fd, err_write.get());
  err_write.reset();  // EOF on the pipe comes when the child's copy closes

  CommandResult result;
  result.err = read_to_end(err_read.get());
  result.exit_code = wait_tool(pid);
  return result;
}

void check_result(const std::vector<std::string>& argv, const CommandResult& result) {
  if (result.exit_code != 0) throw_tool_failure(argv, result.exit_code, result.err);
}

}  // namespace pot::freebsd
