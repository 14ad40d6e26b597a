#include "core/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "core/process.h"
#include "test_util.h"

namespace pot {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::TempDir;

// Whether another process could take the lock at `path` right now (flock with LOCK_NB from a
// child, which has its own open file description). Throws when the check itself cannot be
// made (no fork, the child cannot open the file, flock fails otherwise than "held"), so a
// broken check is never read as "locked".
bool lockable_by_other_process(const fs::path& path, int op) {
  enum : int { kLockable = 0, kHeld = 1, kCannotOpen = 2, kFlockFailed = 3 };
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) ::_exit(kCannotOpen);
    if (::flock(fd, op | LOCK_NB) == 0) ::_exit(kLockable);
    ::_exit(errno == EWOULDBLOCK ? kHeld : kFlockFailed);
  }
  int code = wait_exit_code(pid);
  if (code != kLockable && code != kHeld)
    throw std::runtime_error("the lock check's child failed on " + path.string() + " with code " +
                             std::to_string(code));
  return code == kLockable;
}

TEST(FileLock, CreatesTheFileAndItsDirectory) {
  TempDir dir;
  fs::path path = dir / "run" / "web" / "lock";
  FileLock lock = FileLock::acquire(path);
  EXPECT_TRUE(lock.held());
  EXPECT_TRUE(fs::exists(path));
}

TEST(FileLock, ExclusiveExcludesOthersUntilReleased) {
  TempDir dir;
  fs::path path = dir / "lock";
  FileLock lock = FileLock::acquire(path);
  EXPECT_FALSE(lockable_by_other_process(path, LOCK_EX));
  EXPECT_FALSE(lockable_by_other_process(path, LOCK_SH));
  lock.release();
  EXPECT_FALSE(lock.held());
  EXPECT_TRUE(lockable_by_other_process(path, LOCK_EX));
}

TEST(FileLock, SharedLocksCoexist) {
  TempDir dir;
  fs::path path = dir / "lock";
  FileLock lock = FileLock::acquire(path, FileLock::Mode::kShared);
  EXPECT_TRUE(lockable_by_other_process(path, LOCK_SH));
  EXPECT_FALSE(lockable_by_other_process(path, LOCK_EX));
}

TEST(FileLock, MoveKeepsTheLock) {
  TempDir dir;
  fs::path path = dir / "lock";
  FileLock moved;
  {
    FileLock lock = FileLock::acquire(path);
    moved = std::move(lock);
  }
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(lockable_by_other_process(path, LOCK_EX));
}

}  // namespace
}  // namespace pot
