#include "core/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "core/process.h"
#include "test_util.h"

namespace pot {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::TempDir;

// Whether another process could take the lock at `path` right now (flock with LOCK_NB from a
// child, which has its own open file description).
bool lockable_by_other_process(const fs::path& path, int op) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    ::_exit(fd >= 0 && ::flock(fd, op | LOCK_NB) == 0 ? 0 : 1);
  }
  return pid > 0 && wait_exit_code(pid) == 0;
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
