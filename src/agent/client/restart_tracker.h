// A task's restart policy (Nomad's `restart` block) as a pure decision: given how the task
// ended and when, restart it (after which delay) or not, with the event Nomad would record.
// The clock comes in as arguments and the jitter from a caller's generator, so every branch
// is tested without waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

namespace pot::agent {

struct RestartPolicy {
  int attempts = 2;
  std::chrono::nanoseconds interval = std::chrono::minutes(30);
  std::chrono::nanoseconds delay = std::chrono::seconds(15);
  std::string mode = "fail";  // "fail" or "delay"
  bool render_templates = false;
  // Read from the group's `RestartPolicy` JSON ({Attempts, Interval, Delay, Mode}, ns).
  static RestartPolicy from_json_fields(int64_t attempts, int64_t interval_ns, int64_t delay_ns,
                                        const std::string& mode);
};

// How one run of the task ended.
struct TaskExit {
  bool start_failed = false;  // the driver could not start it (StartError)
  bool recoverable = true;    // a start failure worth retrying
  int exit_code = 0;
  int signal = 0;
  bool oom_killed = false;
  std::string error;  // the driver's or start's message
};

enum class RestartAction {
  kRestart,     // start again after `delay`
  kNoRestart,   // the task is done: dead, failed or not (`failed`)
  kWaitRestart  // mode "delay": attempts used up; start again after `delay` (interval's end)
};

struct RestartDecision {
  RestartAction action = RestartAction::kNoRestart;
  std::chrono::nanoseconds delay{0};
  bool failed = false;  // the task state's Failed, when not restarting
  // Nomad's event: "Restarting" with RestartReason "Restart within policy", or
  // "Not Restarting" with "Exceeded allowed attempts 2 in interval 30m0s and mode is \"fail\"",
  // or "Restart unnecessary as task terminated successfully" (batch, exit 0; event_type is
  // then empty: Nomad records no event, only the task's end). Mode "delay" out of attempts:
  // "Restarting" with "Exceeded allowed attempts, applying a delay" (Nomad's wording).
  std::string event_type;
  std::string reason;
};

class RestartTracker {
 public:
  // batch and sysbatch tasks that exit 0 are done; service and system tasks always restart.
  RestartTracker(RestartPolicy policy, std::string job_type,
                 std::function<double()> jitter_fraction);  // returns [0,1): x 25 % of delay

  // The decision for an exit at `now`. Counts restarts within the policy's interval.
  RestartDecision on_exit(const TaskExit& exit, std::chrono::system_clock::time_point now);
  // A restart asked for by the user (`alloc restart`): never counted against attempts.
  void on_user_restart();
  int restart_count() const { return total_restarts_; }

 private:
  RestartPolicy policy_;
  std::string job_type_;
  std::function<double()> jitter_fraction_;
  std::deque<std::chrono::system_clock::time_point> restarts_in_interval_;
  std::chrono::system_clock::time_point interval_start_{};
  int total_restarts_ = 0;
};

// Go's time.Duration.String() ("30m0s", "15s", "1h0m0s", "1.5s"), for messages Nomad's
// users know.
std::string go_duration_string(std::chrono::nanoseconds duration);

}  // namespace pot::agent
