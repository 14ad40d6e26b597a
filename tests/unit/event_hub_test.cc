// EventHub (src/driver/event_hub.h): task events fanned out to every subscriber, each with a
// bounded queue of its own. Also run under ThreadSanitizer (POT_THREADED_TESTS).
#include "driver/event_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pot::driver {
namespace {

using namespace std::chrono_literals;

TaskEvent event(int n) {
  TaskEvent e;
  e.task_id = "alloc/web/" + std::to_string(n);
  e.alloc_id = "alloc";
  e.task_name = "web";
  e.message = "event " + std::to_string(n);
  e.annotations = {{"n", std::to_string(n)}};
  return e;
}

// The messages a subscription holds now, in order.
std::vector<std::string> drain(EventHub::Subscription& sub) {
  std::vector<std::string> out;
  while (auto e = sub.next(0ms)) out.push_back(e->message);
  return out;
}

std::vector<std::string> messages(int from, int to) {
  std::vector<std::string> out;
  for (int n = from; n < to; ++n) out.push_back("event " + std::to_string(n));
  return out;
}

TEST(EventHub, PublishReachesEverySubscriberInOrder) {
  EventHub hub;
  auto a = hub.subscribe();
  auto b = hub.subscribe();
  auto c = hub.subscribe();
  for (int n = 0; n < 5; ++n) hub.publish(event(n));
  for (auto* sub : {a.get(), b.get(), c.get()}) EXPECT_EQ(drain(*sub), messages(0, 5));
}

TEST(EventHub, AnEventArrivesWhole) {
  EventHub hub;
  auto sub = hub.subscribe();
  TaskEvent sent = event(7);
  sent.timestamp = Clock::now();
  hub.publish(sent);
  std::optional<TaskEvent> got = sub->next(0ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->task_id, sent.task_id);
  EXPECT_EQ(got->alloc_id, sent.alloc_id);
  EXPECT_EQ(got->task_name, sent.task_name);
  EXPECT_EQ(got->timestamp, sent.timestamp);
  EXPECT_EQ(got->message, sent.message);
  EXPECT_EQ(got->annotations, sent.annotations);
}

TEST(EventHub, ASubscriberSeesOnlyWhatIsPublishedAfterItSubscribed) {
  EventHub hub;
  auto early = hub.subscribe();
  hub.publish(event(0));
  auto late = hub.subscribe();
  hub.publish(event(1));
  EXPECT_EQ(drain(*early), messages(0, 2));
  EXPECT_EQ(drain(*late), messages(1, 2));
}

TEST(EventHub, PublishingWithNoSubscriberIsFine) {
  EventHub hub;
  hub.publish(event(0));
  auto sub = hub.subscribe();
  EXPECT_FALSE(sub->next(0ms).has_value());
}

TEST(EventHub, ADroppedSubscriptionIsNotKept) {
  EventHub hub;
  auto kept = hub.subscribe();
  auto dropped = hub.subscribe();
  std::weak_ptr<EventHub::Subscription> watch = dropped;
  hub.publish(event(0));
  dropped.reset();
  // The hub holds no strong reference: the subscription is gone as soon as its reader is.
  EXPECT_TRUE(watch.expired());
  hub.publish(event(1));
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(drain(*kept), messages(0, 2));
}

TEST(EventHub, NextTimesOutWithNothing) {
  EventHub hub;
  auto sub = hub.subscribe();
  EXPECT_FALSE(sub->next(0ms).has_value());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub->next(50ms).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

TEST(EventHub, TheQueueKeepsTheNewest1000) {
  EventHub hub;
  auto slow = hub.subscribe();
  auto fast = hub.subscribe();
  std::vector<std::string> fast_got;
  for (int n = 0; n < 1005; ++n) {
    hub.publish(event(n));
    if (auto e = fast->next(0ms)) fast_got.push_back(e->message);
  }
  // The slow reader lost the five oldest; the fast one (never behind) lost nothing.
  EXPECT_EQ(drain(*slow), messages(5, 1005));
  EXPECT_EQ(fast_got, messages(0, 1005));
}

TEST(EventHub, ExactlyAThousandAreAllKept) {
  EventHub hub;
  auto sub = hub.subscribe();
  for (int n = 0; n < 1000; ++n) hub.publish(event(n));
  EXPECT_EQ(drain(*sub), messages(0, 1000));
}

TEST(EventHub, AWaitingReaderIsWokenByPublish) {
  EventHub hub;
  auto sub = hub.subscribe();
  std::optional<TaskEvent> got;
  std::thread reader([&] { got = sub->next(std::chrono::seconds(10)); });
  std::this_thread::sleep_for(20ms);
  const auto start = std::chrono::steady_clock::now();
  hub.publish(event(3));
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->message, "event 3");
}

TEST(EventHub, ConcurrentPublishersSubscribersAndReaders) {
  EventHub hub;
  constexpr int kPerPublisher = 300;
  auto reader_sub = hub.subscribe();
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  // Two publishers; each one's events must reach the reader in that publisher's order.
  for (int p = 0; p < 2; ++p) {
    threads.emplace_back([&hub, p] {
      for (int n = 0; n < kPerPublisher; ++n) hub.publish(event(p * 100000 + n));
    });
  }
  // Subscriptions coming and going meanwhile.
  threads.emplace_back([&] {
    while (!stop.load()) {
      auto sub = hub.subscribe();
      sub->next(0ms);
    }
  });
  std::vector<int> last(2, -1);
  int received = 0;
  while (received < 2 * kPerPublisher) {
    std::optional<TaskEvent> e = reader_sub->next(10s);
    if (!e) {
      ADD_FAILURE() << "nothing after " << received << " events";
      break;  // the threads are joined below
    }
    int n = std::stoi(e->annotations.at("n"));
    int p = n / 100000;
    EXPECT_EQ(n % 100000, last[p] + 1) << "publisher " << p;
    last[p] = n % 100000;
    ++received;
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_FALSE(reader_sub->next(0ms).has_value());
}

}  // namespace
}  // namespace pot::driver
