#include "runtime/output_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.h"

namespace pot {

OutputSink::OutputSink(std::string path) : path_(std::move(path)) {
  int err = try_open();
  if (err != 0 && err != ENXIO) throw_sys("opening task output " + quote_name(path_), err);
}

int OutputSink::try_open() {
  // O_NONBLOCK: an open of a FIFO for writing would otherwise wait for a reader.
  constexpr int kFlags = O_WRONLY | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  int fd = ::open(path_.c_str(), kFlags);
  if (fd < 0 && errno == ENOENT) fd = ::open(path_.c_str(), kFlags | O_CREAT, 0644);
  if (fd < 0) return errno;
  fd_.reset(fd);
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  point_owned_fd();
  return 0;
}

void OutputSink::own_fd(int target_fd) {
  owned_fd_ = target_fd;
  point_owned_fd();
}

void OutputSink::point_owned_fd() {
  if (owned_fd_ < 0) return;
  // Best effort: a monitor whose messages cannot follow the sink still pumps the output.
  if (fd_) {
    (void)::dup2(fd_.get(), owned_fd_);
    return;
  }
  UniqueFd null_fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (null_fd) (void)::dup2(null_fd.get(), owned_fd_);
}

void OutputSink::write(std::string_view data) {
  if (!fd_ && try_open() != 0) return;  // still no reader: dropped
  while (!data.empty()) {
    ssize_t n = ::write(fd_.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) {
      fd_.reset();  // the reader is gone: reopen when there is more to write
      point_owned_fd();
      return;
    }
    if (n <= 0) return;  // ENOSPC and the like: the output is dropped, the pot runs on
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace pot
