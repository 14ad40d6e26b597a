#include "agent/services/check_thresholds.h"

#include <algorithm>

namespace pot::agent {

CheckThresholds::CheckThresholds(CheckStatus reported, int success_before_passing,
                                 int failures_before_critical)
    : reported_(reported),
      successes_needed_(std::max(1, success_before_passing)),
      failures_needed_(std::max(1, failures_before_critical)) {}

std::optional<CheckStatus> CheckThresholds::on_result(CheckStatus result) {
  if (result == CheckStatus::kCritical) {
    consecutive_successes_ = 0;
    ++consecutive_failures_;
    // Already critical: a new failure only refreshes the output.
    if (reported_ != CheckStatus::kCritical && consecutive_failures_ < failures_needed_)
      return std::nullopt;
  } else {
    consecutive_failures_ = 0;
    ++consecutive_successes_;
    // Passing and warning move between each other at once: only leaving critical waits.
    if (reported_ == CheckStatus::kCritical && consecutive_successes_ < successes_needed_)
      return std::nullopt;
  }
  reported_ = result;
  return result;
}

}  // namespace pot::agent
