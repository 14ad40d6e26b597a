#include "agent/client/restart_tracker.h"

#include <utility>

namespace pot::agent {
namespace {

// Nomad's reasons, word for word: users search their events for them.
constexpr const char* kReasonWithinPolicy = "Restart within policy";
constexpr const char* kReasonNoRestartsAllowed = "Policy allows no restarts";
constexpr const char* kReasonUnrecoverable = "Error was unrecoverable";
constexpr const char* kReasonDelay = "Exceeded allowed attempts, applying a delay";
constexpr const char* kReasonSuccess = "Restart unnecessary as task terminated successfully";
constexpr const char* kEventRestarting = "Restarting";
constexpr const char* kEventNotRestarting = "Not Restarting";

// Up to this fraction of the delay is added, so that tasks failing together do not
// restart together.
constexpr double kJitter = 0.25;

bool ended_successfully(const TaskExit& exit) {
  return !exit.start_failed && exit.exit_code == 0 && exit.signal == 0 && !exit.oom_killed &&
         exit.error.empty();
}

RestartDecision not_restarting(std::string reason) {
  return {RestartAction::kNoRestart, std::chrono::nanoseconds(0), /*failed=*/true,
          kEventNotRestarting, std::move(reason)};
}

// The task is done and did its job: Nomad records no event for it, only the task's end.
RestartDecision terminated(std::string reason) {
  return {RestartAction::kNoRestart, std::chrono::nanoseconds(0), /*failed=*/false, "",
          std::move(reason)};
}

// "1.5" from 1 and 500000000 with 9 digits: the fraction without trailing zeros.
std::string with_fraction(uint64_t whole, uint64_t fraction, int digits) {
  std::string text = std::to_string(whole);
  if (fraction == 0) return text;
  std::string decimals = std::to_string(fraction);
  decimals.insert(0, static_cast<size_t>(digits) - decimals.size(), '0');
  while (decimals.back() == '0') decimals.pop_back();
  return text + "." + decimals;
}

}  // namespace

RestartPolicy RestartPolicy::from_json_fields(int64_t attempts, int64_t interval_ns,
                                              int64_t delay_ns, const std::string& mode) {
  RestartPolicy policy;
  policy.attempts = static_cast<int>(attempts);
  policy.interval = std::chrono::nanoseconds(interval_ns);
  policy.delay = std::chrono::nanoseconds(delay_ns);
  policy.mode = mode.empty() ? "fail" : mode;
  return policy;
}

RestartTracker::RestartTracker(RestartPolicy policy, std::string job_type,
                               std::function<double()> jitter_fraction)
    : policy_(std::move(policy)),
      job_type_(std::move(job_type)),
      jitter_fraction_(std::move(jitter_fraction)) {}

RestartDecision RestartTracker::on_exit(const TaskExit& exit,
                                        std::chrono::system_clock::time_point now) {
  // A batch job's task that did its work is complete; a service is meant to run forever.
  const bool restarts_on_success = job_type_ != "batch" && job_type_ != "sysbatch";
  const bool done_successfully = ended_successfully(exit) && !restarts_on_success;

  if (policy_.attempts <= 0) {
    if (done_successfully) return terminated(kReasonNoRestartsAllowed);
    return not_restarting(kReasonNoRestartsAllowed);
  }

  // The window opens at the first restart and closes `interval` later; the first exit
  // after it opens a new one with a fresh count.
  if (restarts_in_interval_.empty() || now > interval_start_ + policy_.interval) {
    restarts_in_interval_.clear();
    interval_start_ = now;
  }
  restarts_in_interval_.push_back(now);
  const int count = static_cast<int>(restarts_in_interval_.size());

  if (exit.start_failed && !exit.recoverable) return not_restarting(kReasonUnrecoverable);
  if (done_successfully) return terminated(kReasonSuccess);

  if (count > policy_.attempts) {
    if (policy_.mode != "delay") {
      return not_restarting("Exceeded allowed attempts " + std::to_string(policy_.attempts) +
                            " in interval " + go_duration_string(policy_.interval) +
                            " and mode is \"fail\"");
    }
    // Attempts used up: sit out the rest of the window, then the count starts over.
    ++total_restarts_;
    auto wait = interval_start_ + policy_.interval - now;
    return {RestartAction::kWaitRestart, std::chrono::duration_cast<std::chrono::nanoseconds>(wait),
            false, kEventRestarting, kReasonDelay};
  }

  ++total_restarts_;
  // A zero delay still gets its jitter range from one nanosecond, as Nomad's does.
  const int64_t delay_ns = policy_.delay.count() > 0 ? policy_.delay.count() : 1;
  const double fraction = jitter_fraction_ ? jitter_fraction_() : 0.0;
  const auto jitter = static_cast<int64_t>(fraction * kJitter * static_cast<double>(delay_ns));
  return {RestartAction::kRestart, std::chrono::nanoseconds(delay_ns + jitter), false,
          kEventRestarting, kReasonWithinPolicy};
}

void RestartTracker::on_user_restart() {
  ++total_restarts_;
}

std::string go_duration_string(std::chrono::nanoseconds duration) {
  const int64_t signed_ns = duration.count();
  if (signed_ns == 0) return "0s";
  const std::string sign = signed_ns < 0 ? "-" : "";
  // Unsigned, so that the most negative duration has a magnitude too.
  const uint64_t ns =
      signed_ns < 0 ? 0 - static_cast<uint64_t>(signed_ns) : static_cast<uint64_t>(signed_ns);
  constexpr uint64_t kMicro = 1000, kMilli = 1000 * kMicro, kSecond = 1000 * kMilli;

  // Under a second: the largest unit that keeps a whole part, with a fraction.
  if (ns < kMicro) return sign + std::to_string(ns) + "ns";
  if (ns < kMilli) return sign + with_fraction(ns / kMicro, ns % kMicro, 3) + "\u00b5s";
  if (ns < kSecond) return sign + with_fraction(ns / kMilli, ns % kMilli, 6) + "ms";

  // Otherwise hours, minutes and seconds, each shown once a larger unit is: "1h0m0s".
  const uint64_t seconds = ns / kSecond;
  std::string text = with_fraction(seconds % 60, ns % kSecond, 9) + "s";
  const uint64_t minutes = seconds / 60;
  if (minutes == 0) return sign + text;
  text = std::to_string(minutes % 60) + "m" + text;
  const uint64_t hours = minutes / 60;
  if (hours == 0) return sign + text;
  return sign + std::to_string(hours) + "h" + text;
}

}  // namespace pot::agent
