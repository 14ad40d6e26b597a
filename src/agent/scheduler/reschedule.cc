// When a failed allocation is replaced (Nomad's reschedule policy): its failure time is
// the last FinishedAt of its tasks (else its ModifyTime); the delay grows with the
// attempts already made (constant, exponential: twice the last, fibonacci: the last two
// summed; never above MaxDelay, and back to Delay once the allocation ran longer than the
// ceiling); a limited policy allows Attempts within Interval, counted on the
// RescheduleTracker that every replacement carries.
#include <ctime>
#include <string>

#include "agent/scheduler/scheduler_parts.h"

namespace pot::agent::scheduler {
namespace {

constexpr size_t kMaxPastEventsUnlimited = 5;  // Nomad keeps the last five when unlimited

int64_t int_at(const Json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return 0;
  return it->get<int64_t>();
}

// "2026-12-05T08:11:19.123456789Z" -> Unix ns; 0 when it is not that shape.
int64_t parse_rfc3339_ns(const std::string& text) {
  std::tm parts{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
  if (rest == nullptr) return 0;
  int64_t fraction_ns = 0;
  if (*rest == '.') {
    int64_t scale = 100000000;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest) {
      fraction_ns += (*rest - '0') * scale;
      scale /= 10;
    }
  }
  const int64_t seconds = timegm(&parts);
  if (seconds <= 0) return 0;  // Go's zero time "0001-01-01T00:00:00Z"
  return seconds * 1000000000 + fraction_ns;
}

int64_t time_ns(const Json& value) {
  if (value.is_number()) return value.get<int64_t>();
  if (value.is_string()) return parse_rfc3339_ns(value.get<std::string>());
  return 0;
}

int64_t failure_time_ns(const Json& alloc) {
  int64_t last = 0;
  const Json states = alloc.value("TaskStates", Json::object());
  if (states.is_object()) {
    for (const auto& [task, state] : states.items()) {
      (void)task;
      if (state.is_object() && state.contains("FinishedAt")) {
        last = std::max(last, time_ns(state["FinishedAt"]));
      }
    }
  }
  return last > 0 ? last : int_at(alloc, "ModifyTime");
}

Json tracker_events(const Json& alloc) {
  const Json tracker = alloc.value("RescheduleTracker", Json());
  if (!tracker.is_object()) return Json::array();
  const Json events = tracker.value("Events", Json::array());
  return events.is_array() ? events : Json::array();
}

int64_t next_delay_ns(const Json& alloc, const Json& policy, int64_t failed_at) {
  const int64_t base = int_at(policy, "Delay");
  const int64_t ceiling = int_at(policy, "MaxDelay");
  const Json events = tracker_events(alloc);
  if (events.empty()) return base;
  const std::string function = policy.value("DelayFunction", "constant");
  const int64_t last = int_at(events.back(), "Delay");
  int64_t delay = base;
  if (function == "exponential") {
    delay = last * 2;
  } else if (function == "fibonacci") {
    if (events.size() >= 2) {
      const int64_t before_last = int_at(events[events.size() - 2], "Delay");
      // A series that hit the ceiling and was reset starts over.
      delay = (before_last == ceiling && last == base) ? last : last + before_last;
    }
  } else {
    return base;
  }
  if (ceiling > 0 && delay > ceiling) {
    delay = ceiling;
    // An allocation that ran longer than the ceiling since its last reschedule starts the
    // series again.
    if (failed_at - int_at(events.back(), "RescheduleTime") > delay) delay = base;
  }
  return delay;
}

int attempts_within_interval(const Json& alloc, int64_t interval, int64_t at) {
  int attempted = 0;
  for (const auto& event : tracker_events(alloc)) {
    if (at - int_at(event, "RescheduleTime") < interval) ++attempted;
  }
  return attempted;
}

}  // namespace

RescheduleDecision reschedule_decision(const Json& alloc, const Json& policy, int64_t now_ns) {
  RescheduleDecision decision;
  if (!policy.is_object()) return decision;
  const bool unlimited = policy.value("Unlimited", false);
  const int64_t attempts = int_at(policy, "Attempts");
  if (!unlimited && attempts <= 0) return decision;

  const int64_t failed_at = failure_time_ns(alloc);
  decision.delay_ns = next_delay_ns(alloc, policy, failed_at);
  if (!unlimited) {
    const int64_t interval = int_at(policy, "Interval");
    if (attempts_within_interval(alloc, interval, failed_at) >= attempts) return decision;
    if (!tracker_events(alloc).empty() && decision.delay_ns >= interval) return decision;
  }
  decision.at_ns = failed_at + decision.delay_ns;
  decision.kind =
      decision.at_ns <= now_ns ? RescheduleDecision::Kind::kNow : RescheduleDecision::Kind::kLater;
  return decision;
}

Json next_reschedule_tracker(const Json& failed_alloc, const Json& policy,
                             const RescheduleDecision& decision, int64_t now_ns) {
  Json kept = Json::array();
  const Json events = tracker_events(failed_alloc);
  if (policy.value("Unlimited", false)) {
    const size_t first = events.size() > kMaxPastEventsUnlimited - 1
                             ? events.size() - (kMaxPastEventsUnlimited - 1)
                             : 0;
    for (size_t i = first; i < events.size(); ++i) kept.push_back(events[i]);
  } else {
    const int64_t interval = int_at(policy, "Interval");
    for (const auto& event : events) {
      if (now_ns - int_at(event, "RescheduleTime") < interval) kept.push_back(event);
    }
  }
  kept.push_back({{"RescheduleTime", now_ns},
                  {"PrevAllocID", failed_alloc.value("ID", "")},
                  {"PrevNodeID", failed_alloc.value("NodeID", "")},
                  {"Delay", decision.delay_ns}});
  return {{"Events", kept}};
}

}  // namespace pot::agent::scheduler
