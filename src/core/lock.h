// Per-pot (and per-root) locks: flock(2) on a file under the root's run/ directory. The kernel
// drops the lock when its holder dies, so a SIGKILLed `pot` never leaves a stale lock.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/unique_fd.h"

namespace pot {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Blocks until the lock is held. Creates the lock file (and its directory) if needed.
  static FileLock acquire(const std::filesystem::path& path, Mode mode = Mode::kExclusive);
  // Like acquire, but never creates the file: an unheld lock (held() false) when it does not
  // exist, e.g. because its pot was destroyed meanwhile.
  static FileLock acquire_existing(const std::filesystem::path& path);
  // Like acquire, but never waits: unheld when another holds the lock.
  static FileLock try_acquire(const std::filesystem::path& path);
  // An exclusive lock on a directory itself (an image directory, where a lock file of ours
  // would be a stray file). Throws naming the directory, as `what` when given.
  static FileLock acquire_directory(const std::filesystem::path& dir, std::string_view what = {});
  FileLock() = default;
  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;

  bool held() const { return fd_.valid(); }
  // The lock's fd, for a forked child that keeps holding it (flock locks follow the open
  // file, not the process).
  int fd() const { return fd_.get(); }
  void release() { fd_.reset(); }

 private:
  static FileLock lock(const std::filesystem::path& path, Mode mode, bool create, bool wait = true);
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace pot
