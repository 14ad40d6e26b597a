// How a child process tells its parent that it is up, or why it is not: one message on a
// close-on-exec pipe, "R" and a payload once ready, or "E" and an error message. A child that
// dies before either is seen as EOF. The monitor, the pot's init and `pot exec` all start
// this way, so a failed start returns the child's own error in one line.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/unique_fd.h"

namespace pot {

// The child's end of a report pipe.
class ChildReporter {
 public:
  ChildReporter() = default;
  explicit ChildReporter(UniqueFd fd) : fd_(std::move(fd)) {}
  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  // Sends the one message and closes the pipe; later calls do nothing.
  void ready(std::string_view payload = {});
  void fail(std::string_view message);
  bool reported() const { return reported_; }
  // Gives up the fd without a message (a process that exits right away, say).
  int release() { return fd_.release(); }

 private:
  void send(char kind, std::string_view text);
  UniqueFd fd_;
  bool reported_ = false;
};

struct ReportPipe {
  UniqueFd read_end;
  ChildReporter child;
  // Both ends close-on-exec. Throws Error when no pipe can be made.
  static ReportPipe make();
};

// Reads the child's message to EOF (once every copy of the write end is closed): the
// payload of "ready", or throws Error with the child's message for "fail". nullopt when
// the child closed the pipe without a message (it died).
std::optional<std::string> read_child_report(int read_fd);

// Forks a child that runs `body(reporter)` and exits 0 when it returns, or reports the
// Error it threw (when it had not reported yet) and exits 1. Returns the child's pid and
// payload once it is ready: the child is then on its own and the caller need not reap it
// (a monitor that outlives us). Throws the child's error, after reaping it, when it fails.
struct ReadyChild {
  pid_t pid = -1;
  std::string payload;
};
// `what` names the child in the error for a child that died without a report ("the monitor
// of pot `web`").
ReadyChild fork_and_wait_ready(std::string_view what,
                               const std::function<void(ChildReporter&)>& body);

}  // namespace pot
