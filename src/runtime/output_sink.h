// A Nomad task's output file. Nomad's log collector (logmon) reads a task's stdout and
// stderr from two FIFOs it makes, and it may go away and come back (a client restart)
// while the task runs. The monitor, never the pot, holds the FIFO's write end, so the
// collector's absence can neither kill the pot with SIGPIPE nor block it:
//
//   - the FIFO is opened with O_NONBLOCK, which fails at once with ENXIO while nobody reads;
//     the sink then starts without a reader and tries again on the next output;
//   - once open, the fd is switched back to blocking, so a reader that is merely slow holds
//     the output back rather than lose it;
//   - a write that fails with EPIPE (the reader closed; the monitor ignores SIGPIPE) drops
//     that output and closes the fd; the next output reopens as above.
//
// Output written while there is no reader is dropped. A path that is not a FIFO (a regular
// file, made if missing) is simply appended to.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/unique_fd.h"
#include "runtime/numbered_log.h"

namespace pot {

// Where a task's stdout and stderr go (`pot start -O STDOUT_PATH -E STDERR_PATH`): each a
// file or FIFO as below, or with `numbered` (`-N MAX_FILES -Z MAX_FILE_SIZE`) the prefix of
// numbered files the monitor rotates itself (numbered_log.h).
struct TaskOutput {
  std::string stdout_path;
  std::string stderr_path;
  std::optional<NumberedLogLimits> numbered;
};

class OutputSink {
 public:
  // Opens the path (see above); throws Error naming it when it cannot be opened at all.
  explicit OutputSink(std::string path);
  // Writes everything, or drops what no reader is there for; never throws.
  void write(std::string_view data);
  // Points `target_fd` (the monitor's own stdout or stderr) at the sink now and after every
  // reopen, and at /dev/null while there is no reader, so the monitor's messages follow.
  void own_fd(int target_fd);
  bool connected() const { return fd_.valid(); }

 private:
  // 0 when open, ENXIO for a FIFO without a reader, else the errno of the failure.
  int try_open();
  void point_owned_fd();
  std::string path_;
  UniqueFd fd_;
  int owned_fd_ = -1;
};

}  // namespace pot
