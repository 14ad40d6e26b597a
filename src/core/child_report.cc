#include "core/child_report.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "core/error.h"
#include "core/process.h"

namespace pot {

void ChildReporter::send(char kind, std::string_view text) {
  if (reported_ || !fd_) return;
  reported_ = true;
  std::string message(1, kind);
  message.append(text);
  // One write below PIPE_BUF is atomic; a parent that died meanwhile is no error here.
  (void)!::write(fd_.get(), message.data(), message.size());
  fd_.reset();
}

void ChildReporter::ready(std::string_view payload) {
  send('R', payload);
}
void ChildReporter::fail(std::string_view message) {
  send('E', message);
}

ReportPipe ReportPipe::make() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_sys("creating a report pipe");
  ReportPipe pipe;
  pipe.read_end.reset(fds[0]);
  pipe.child = ChildReporter(UniqueFd(fds[1]));
  return pipe;
}

std::optional<std::string> read_child_report(int read_fd) {
  std::string message;
  char buffer[512];
  for (;;) {
    ssize_t n = ::read(read_fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    message.append(buffer, static_cast<size_t>(n));
  }
  if (message.empty()) return std::nullopt;
  if (message[0] == 'E') throw Error(message.substr(1));
  return message.substr(1);
}

ReadyChild fork_and_wait_ready(std::string_view what,
                               const std::function<void(ChildReporter&)>& body) {
  ReportPipe pipe = ReportPipe::make();
  std::fflush(nullptr);  // buffered output must not be written twice
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork");
  if (pid == 0) {
    pipe.read_end.reset();
    int code = 0;
    try {
      body(pipe.child);
    } catch (const std::exception& e) {
      if (pipe.child.reported()) std::fprintf(stderr, "pot: %s\n", e.what());
      pipe.child.fail(e.what());
      code = 1;
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  ChildGuard child(pid);
  pipe.child = ChildReporter();  // our copy of the write end: EOF must mean the child's
  std::optional<std::string> payload;
  try {
    payload = read_child_report(pipe.read_end.get());
  } catch (const Error&) {
    child.wait();
    throw;
  }
  if (!payload) {
    int code = child.wait();
    throw Error(std::string(what) + " exited with code " + std::to_string(code) +
                " before it was ready");
  }
  return ReadyChild{child.release(), *payload};
}

}  // namespace pot
