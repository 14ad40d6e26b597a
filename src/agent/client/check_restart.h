// Nomad's check_restart as a pure decision: a task is restarted when one of its checks has
// been unhealthy for `limit` results in a row, not counting results in the `grace` after the
// task started (or restarted). A warning counts as unhealthy unless ignore_warnings. The
// clock comes in as arguments, so every branch is tested without waiting.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "agent/services/service_catalog.h"

namespace pot::agent {

class CheckRestartWatcher {
 public:
  using Clock = std::chrono::steady_clock;

  // Watches `check` (nothing happens for a limit of 0) for the run that started at
  // `task_started`; a check watched again (the task's next run) starts over.
  void watch(const CheckDefinition& check, Clock::time_point task_started);
  void forget(const std::string& check_id);
  // A result of the check at `now`. Returns the reason to restart the task when the limit is
  // reached ("healthcheck: check \"NAME\" unhealthy"), after which the check starts over.
  std::optional<std::string> on_result(const std::string& check_id, CheckStatus status,
                                       Clock::time_point now);

 private:
  struct Watched {
    std::string name;
    int limit = 0;
    std::chrono::milliseconds grace{0};
    bool ignore_warnings = false;
    Clock::time_point started{};
    int unhealthy_in_a_row = 0;
  };
  std::map<std::string, Watched> checks_;
};

}  // namespace pot::agent
