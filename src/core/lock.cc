#include "core/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/file_util.h"
#include "core/interrupt.h"

namespace pot {

FileLock FileLock::acquire(const std::filesystem::path& path, Mode mode) {
  make_dirs(path.parent_path(), 0700);
  return lock(path, mode, /*create=*/true);
}

FileLock FileLock::acquire_existing(const std::filesystem::path& path) {
  return lock(path, Mode::kExclusive, /*create=*/false);
}

FileLock FileLock::try_acquire(const std::filesystem::path& path) {
  make_dirs(path.parent_path(), 0700);
  return lock(path, Mode::kExclusive, /*create=*/true, /*wait=*/false);
}

FileLock FileLock::acquire_directory(const std::filesystem::path& dir, std::string_view what) {
  std::string name = (what.empty() ? "" : std::string(what) + " ") + quote_name(dir.string());
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_sys("opening " + name);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throw_sys("locking " + name);
    throw_if_interrupted();
  }
  return FileLock(std::move(fd));
}

FileLock FileLock::lock(const std::filesystem::path& path, Mode mode, bool create, bool wait) {
  for (;;) {
    UniqueFd fd(
        ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600));
    if (!fd && !create && errno == ENOENT) return FileLock();
    if (!fd) throw_sys("opening lock " + quote_name(path.string()));
    int op = (mode == Mode::kExclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    while (::flock(fd.get(), op) != 0) {
      if (errno == EWOULDBLOCK && !wait) return FileLock();
      if (errno != EINTR) throw_sys("locking " + quote_name(path.string()));
      throw_if_interrupted();  // a ^C while waiting for another command's lock
    }
    // Whoever removes a lock file does so while holding it; if that happened while we
    // waited, our lock is on an unlinked file and protects nothing: take the new one.
    struct stat held {
    }, current{};
    if (::fstat(fd.get(), &held) == 0 && ::stat(path.c_str(), &current) == 0 &&
        held.st_ino == current.st_ino && held.st_dev == current.st_dev) {
      return FileLock(std::move(fd));
    }
  }
}

}  // namespace pot
