#include "driver/exit_watcher.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>

#include "core/error.h"

namespace pot::driver {

ExitWatcher::ExitWatcher()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wakeup_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!epoll_ || !wakeup_) throw_sys("creating the exit watcher");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wakeup_.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wakeup_.get(), &event) != 0) throw_sys("epoll_ctl");
  thread_ = std::thread([this] { run(); });
}

ExitWatcher::~ExitWatcher() {
  uint64_t one = 1;
  if (::write(wakeup_.get(), &one, sizeof one) < 0) std::perror("exit watcher: eventfd");
  thread_.join();
}

void ExitWatcher::watch(UniqueFd pidfd, std::function<void()> on_exit) {
  int fd = pidfd.get();
  {
    std::lock_guard lock(mutex_);
    watched_[fd] = {std::move(pidfd), std::move(on_exit)};
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    std::lock_guard lock(mutex_);
    watched_.erase(fd);
    throw_sys("watching a task's monitor");
  }
}

void ExitWatcher::run() {
  epoll_event events[16];
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::perror("exit watcher: epoll_wait");
      return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wakeup_.get()) return;
      std::pair<UniqueFd, std::function<void()>> entry;
      {
        std::lock_guard lock(mutex_);
        auto it = watched_.find(fd);
        if (it == watched_.end()) continue;
        entry = std::move(it->second);
        watched_.erase(it);
      }
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      entry.first.reset();
      try {
        entry.second();
      } catch (const std::exception& e) {  // one task's trouble must not end the others' watch
        std::fprintf(stderr, "exit watcher: %s\n", e.what());
      }
    }
  }
}

}  // namespace pot::driver
