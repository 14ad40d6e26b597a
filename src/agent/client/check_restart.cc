#include "agent/client/check_restart.h"

namespace pot::agent {

void CheckRestartWatcher::watch(const CheckDefinition& check, Clock::time_point task_started) {
  if (check.restart_limit <= 0) {
    checks_.erase(check.id);
    return;
  }
  Watched& watched = checks_[check.id];
  watched.name = check.name;
  watched.limit = check.restart_limit;
  watched.grace = check.restart_grace;
  watched.ignore_warnings = check.restart_ignore_warnings;
  watched.started = task_started;
  watched.unhealthy_in_a_row = 0;
}

void CheckRestartWatcher::forget(const std::string& check_id) {
  checks_.erase(check_id);
}

std::optional<std::string> CheckRestartWatcher::on_result(const std::string& check_id,
                                                          CheckStatus status,
                                                          Clock::time_point now) {
  auto it = checks_.find(check_id);
  if (it == checks_.end()) return std::nullopt;
  Watched& watched = it->second;
  bool healthy = status == CheckStatus::kPassing ||
                 (status == CheckStatus::kWarning && watched.ignore_warnings);
  if (healthy) {
    watched.unhealthy_in_a_row = 0;
    return std::nullopt;
  }
  if (now < watched.started + watched.grace) return std::nullopt;
  if (++watched.unhealthy_in_a_row < watched.limit) return std::nullopt;
  watched.unhealthy_in_a_row = 0;
  watched.started = now;  // the restart's own grace follows
  return "healthcheck: check \"" + watched.name + "\" unhealthy";
}

}  // namespace pot::agent
