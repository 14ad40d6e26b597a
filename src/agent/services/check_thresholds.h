// The status a check reports, from the raw results of its runs, by the thresholds of a job's
// `check` block (Consul's rules): `success_before_passing` consecutive successes before a
// critical check moves to passing, `failures_before_critical` consecutive failures before a
// healthy one moves to critical. A warning counts as a success (the service answers), so it
// also needs the success threshold to leave critical.
//
// The count starts from the status the check has when it is first run (its initial_status
// for a new check), so a check that starts critical needs its successes even at the very
// first run. A result held back by a threshold is not reported at all: the catalog keeps
// the previous status and output, as Consul's agent does.
#pragma once

#include <optional>

#include "agent/services/service_catalog.h"

namespace pot::agent {

class CheckThresholds {
 public:
  // `reported`: the status the check has now. Thresholds of 0 and 1 both mean "at once".
  CheckThresholds(CheckStatus reported, int success_before_passing, int failures_before_critical);

  // Takes one raw result; returns the status to report, or nullopt while a threshold holds
  // the current one.
  std::optional<CheckStatus> on_result(CheckStatus result);

  CheckStatus reported() const { return reported_; }

 private:
  CheckStatus reported_;
  int successes_needed_;
  int failures_needed_;
  int consecutive_successes_ = 0;
  int consecutive_failures_ = 0;
};

}  // namespace pot::agent
