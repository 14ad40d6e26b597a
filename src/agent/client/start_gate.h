// How many task starts (and pot removals) run at once. Each is a `pot prepare` (a btrfs
// snapshot, the pot's files) and a `pot start`; a thousand at once on two cores only fight
// over the same locks and disks, so they take turns, a few at a time.
#pragma once

#include <condition_variable>
#include <mutex>

namespace pot::agent {

class StartGate {
 public:
  explicit StartGate(int slots) : free_(slots > 0 ? slots : 1) {}

  // Holds one slot for its life; a null gate holds nothing.
  class Slot {
   public:
    explicit Slot(StartGate* gate) : gate_(gate) {
      if (gate_) gate_->acquire();
    }
    ~Slot() {
      if (gate_) gate_->release();
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    StartGate* gate_;
  };

 private:
  void acquire() {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      ++free_;
    }
    freed_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable freed_;
  int free_;
};

}  // namespace pot::agent
