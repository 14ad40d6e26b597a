#include "driver/event_hub.h"

#include <algorithm>

namespace pot::driver {

std::shared_ptr<EventHub::Subscription> EventHub::subscribe() {
  auto subscription = std::make_shared<Subscription>();
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscription);
  return subscription;
}

void EventHub::publish(const TaskEvent& event) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : subscribers_) {
    auto subscriber = weak.lock();
    if (!subscriber) continue;
    std::lock_guard queue_lock(subscriber->mutex_);
    if (subscriber->queue_.size() >= kMaxQueued) subscriber->queue_.pop_front();
    subscriber->queue_.push_back(event);
    subscriber->ready_.notify_one();
  }
}

std::optional<TaskEvent> EventHub::Subscription::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [&] { return !queue_.empty(); })) return std::nullopt;
  TaskEvent event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

}  // namespace pot::driver
