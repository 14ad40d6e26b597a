#include "runtime/rotating_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "core/error.h"

namespace pot {
namespace {

std::string numbered(const std::filesystem::path& path, int n) {
  return path.string() + "." + std::to_string(n);
}

}  // namespace

RotatingLog::RotatingLog(LogRotation rotation) : rotation_(std::move(rotation)) {
  open_current();
}

void RotatingLog::open_current() {
  fd_.reset(
      ::open(rotation_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640));
  if (!fd_) throw_sys("opening log " + quote_name(rotation_.path.string()));
  struct stat st {};
  size_ = ::fstat(fd_.get(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void RotatingLog::own_stdio() {
  owns_stdio_ = true;
  point_stdio();
}

void RotatingLog::point_stdio() {
  // Best effort: a monitor whose stdio cannot follow the log still pumps the pot's output.
  if (owns_stdio_) {
    (void)::dup2(fd_.get(), 1);
    (void)::dup2(fd_.get(), 2);
  }
}

void RotatingLog::rotate() {
  // However a rotation fails (a full disk: no inode for the new file, no metadata space for
  // a rename), the pot runs on: we start the current file over instead, losing old output,
  // never looping and never stopping.
  auto start_over = [&] {
    if (::ftruncate(fd_.get(), 0) == 0) size_ = 0;
    size_ = 0;  // even when truncating failed: write on and let the file grow
  };
  if (rotation_.max_files <= 1) return start_over();
  // Oldest first, so every rename lands on a free (or the discarded oldest) name.
  std::remove(numbered(rotation_.path, rotation_.max_files - 1).c_str());
  for (int n = rotation_.max_files - 2; n >= 1; --n)
    std::rename(numbered(rotation_.path, n).c_str(), numbered(rotation_.path, n + 1).c_str());
  if (std::rename(rotation_.path.c_str(), numbered(rotation_.path, 1).c_str()) != 0)
    return start_over();
  UniqueFd previous = std::move(fd_);
  try {
    open_current();
  } catch (const Error&) {
    fd_ = std::move(previous);  // keep writing to what is now <file>.1
    return start_over();
  }
  point_stdio();
}

void RotatingLog::write(std::string_view data) {
  while (!data.empty()) {
    uint64_t room = size_ < rotation_.max_bytes ? rotation_.max_bytes - size_ : 0;
    if (room == 0) {
      rotate();
      continue;
    }
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(room, data.size()));
    ssize_t n = ::write(fd_.get(), data.data(), chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // ENOSPC and the like: the pot's output is dropped, the pot runs on
    size_ += static_cast<uint64_t>(n);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace pot
