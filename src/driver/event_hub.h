// Task events for whoever listens (Nomad's TaskEvents stream): each subscriber has a
// bounded queue of its own, so a slow or gone reader never holds up the driver.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "driver/task.h"

namespace pot::driver {

class EventHub {
 public:
  class Subscription {
   public:
    // The next event, or nullopt after `timeout` (so a stream can check for its end).
    std::optional<TaskEvent> next(std::chrono::milliseconds timeout);

   private:
    friend class EventHub;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<TaskEvent> queue_;
  };

  std::shared_ptr<Subscription> subscribe();
  void publish(const TaskEvent& event);

 private:
  static constexpr size_t kMaxQueued = 1000;  // beyond this, the oldest are dropped
  std::mutex mutex_;
  std::vector<std::weak_ptr<Subscription>> subscribers_;
};

}  // namespace pot::driver
