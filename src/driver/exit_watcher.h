// One thread that watches the monitors of every running task through their pidfds (epoll),
// rather than a thread per task: a pidfd becomes readable when its process ends, whoever's
// child it is.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "core/unique_fd.h"

namespace pot::driver {

class ExitWatcher {
 public:
  ExitWatcher();
  ~ExitWatcher();
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;

  // Calls `on_exit` (on the watcher's thread) once the process behind `pidfd` has ended.
  void watch(UniqueFd pidfd, std::function<void()> on_exit);

 private:
  void run();
  UniqueFd epoll_;
  UniqueFd wakeup_;  // an eventfd: tells the thread to stop
  std::mutex mutex_;
  std::map<int, std::pair<UniqueFd, std::function<void()>>> watched_;
  std::thread thread_;
};

}  // namespace pot::driver
