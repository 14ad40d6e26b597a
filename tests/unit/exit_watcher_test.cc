// ExitWatcher (src/driver/exit_watcher.h): one thread that runs a callback when the process
// behind a pidfd ends. The children here wait on a pipe, so the test decides when each one
// exits. Also run under ThreadSanitizer (POT_THREADED_TESTS).
#include "driver/exit_watcher.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/process.h"
#include "core/unique_fd.h"

namespace pot::driver {
namespace {

using namespace std::chrono_literals;

// A forked child that exits (with `code`) when release() closes its pipe; killed and reaped
// on destruction.
class Child {
 public:
  explicit Child(int code = 0) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
      ::close(fds[1]);
      char c;
      while (::read(fds[0], &c, 1) < 0 && errno == EINTR) {
      }
      ::_exit(code);
    }
    ::close(fds[0]);
    release_ = UniqueFd(fds[1]);
    guard_ = ChildGuard(pid);
  }

  pid_t pid() const { return guard_.get(); }
  UniqueFd pidfd() const {
    UniqueFd fd = open_pidfd(pid());
    EXPECT_TRUE(fd.valid()) << "pidfd_open: " << std::strerror(errno);
    return fd;
  }
  void release() { release_.reset(); }
  int wait() { return guard_.wait(); }

 private:
  UniqueFd release_;
  ChildGuard guard_;
};

// Callbacks record here; the test waits on it with a bound.
struct Exits {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<int> order;
  std::set<std::thread::id> threads;

  std::function<void()> recorder(int id) {
    return [this, id] {
      std::lock_guard lock(mutex);
      order.push_back(id);
      threads.insert(std::this_thread::get_id());
      changed.notify_all();
    };
  }
  bool wait_for(size_t count, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return order.size() >= count; });
  }
  std::vector<int> seen() {
    std::lock_guard lock(mutex);
    return order;
  }
};

bool pidfd_supported() {
  UniqueFd self = open_pidfd(::getpid());
  return self.valid();
}

class ExitWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pidfd_supported()) GTEST_SKIP() << "pidfd_open is not available (Linux 5.3+)";
  }
};

TEST_F(ExitWatcherTest, RunsTheCallbackWhenTheProcessExits) {
  Child child(3);
  Exits exits;
  ExitWatcher watcher;
  watcher.watch(child.pidfd(), exits.recorder(1));
  // Not before the child ends.
  EXPECT_FALSE(exits.wait_for(1, 50ms));
  child.release();
  ASSERT_TRUE(exits.wait_for(1));
  EXPECT_EQ(exits.seen(), (std::vector<int>{1}));
  // On the watcher's own thread, and the child is still ours to reap.
  EXPECT_EQ(exits.threads.count(std::this_thread::get_id()), 0U);
  EXPECT_EQ(child.wait(), 3);
}

TEST_F(ExitWatcherTest, AProcessThatHasAlreadyExitedIsReportedAtOnce) {
  Child child;
  UniqueFd pidfd = child.pidfd();
  child.release();
  // Wait until it is a zombie (not reaped: the pidfd is still on it).
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOWAIT), 0);
  Exits exits;
  ExitWatcher watcher;
  watcher.watch(std::move(pidfd), exits.recorder(1));
  EXPECT_TRUE(exits.wait_for(1));
}

TEST_F(ExitWatcherTest, SeveralAtOnceEachInTheOrderTheyEnd) {
  constexpr int kChildren = 8;
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < kChildren; ++i) children.push_back(std::make_unique<Child>(i));
  Exits exits;
  ExitWatcher watcher;
  for (int i = 0; i < kChildren; ++i) watcher.watch(children[i]->pidfd(), exits.recorder(i));
  // End them one by one, in reverse, each seen before the next ends.
  for (int i = kChildren - 1; i >= 0; --i) {
    children[i]->release();
    ASSERT_TRUE(exits.wait_for(kChildren - i)) << "child " << i;
  }
  EXPECT_EQ(exits.seen(), (std::vector<int>{7, 6, 5, 4, 3, 2, 1, 0}));
  for (int i = 0; i < kChildren; ++i) EXPECT_EQ(children[i]->wait(), i);
}

TEST_F(ExitWatcherTest, SeveralEndingTogetherAreEachReportedOnce) {
  constexpr int kChildren = 40;  // more than one epoll_wait batch
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < kChildren; ++i) children.push_back(std::make_unique<Child>());
  Exits exits;
  ExitWatcher watcher;
  for (int i = 0; i < kChildren; ++i) watcher.watch(children[i]->pidfd(), exits.recorder(i));
  for (auto& child : children) child->release();
  ASSERT_TRUE(exits.wait_for(kChildren));
  std::this_thread::sleep_for(20ms);  // no second call of any
  std::vector<int> seen = exits.seen();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kChildren));
  EXPECT_EQ(std::set<int>(seen.begin(), seen.end()).size(), static_cast<size_t>(kChildren));
}

TEST_F(ExitWatcherTest, WatchingFromAnotherThreadWhileCallbacksRun) {
  constexpr int kChildren = 10;
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < kChildren; ++i) children.push_back(std::make_unique<Child>());
  Exits exits;
  ExitWatcher watcher;
  std::thread watching([&] {
    for (int i = 0; i < kChildren; ++i) {
      watcher.watch(children[i]->pidfd(), exits.recorder(i));
      children[i]->release();
    }
  });
  watching.join();
  EXPECT_TRUE(exits.wait_for(kChildren));
}

TEST_F(ExitWatcherTest, DestructionWithProcessesStillWatchedDoesNotHang) {
  Child child;
  Exits exits;
  const auto start = std::chrono::steady_clock::now();
  {
    ExitWatcher watcher;
    watcher.watch(child.pidfd(), exits.recorder(1));
    watcher.watch(Child().pidfd(), exits.recorder(2));  // killed and reaped at once
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  child.release();
  EXPECT_EQ(child.wait(), 0);
  // Whatever the watcher saw before it ended, it calls nothing after.
  std::vector<int> before = exits.seen();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(exits.seen(), before);
  EXPECT_EQ(std::count(before.begin(), before.end(), 1), 0);
}

TEST_F(ExitWatcherTest, AnInvalidPidfdIsRefused) {
  ExitWatcher watcher;
  Exits exits;
  EXPECT_THROW(watcher.watch(UniqueFd(), exits.recorder(1)), Error);
}

}  // namespace
}  // namespace pot::driver
