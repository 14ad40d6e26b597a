// `potd job run`'s progress, as Nomad's monitor shows it: the evaluation ("==> <time>:
// Monitoring evaluation ..."), the allocations it creates and their status changes, the
// placement failures with their reasons, then for a job with a deployment the deployment's
// per-group table each time it changes, until it succeeds or fails.
//
// Reads are blocking queries on the agent (`?index=N`), so a change shows as soon as the
// agent has it; against an agent that answers at once the loop waits a second between reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>

#include "agent/cli/api_client.h"

namespace pot::agent {

// Nomad's `formatAllocMetrics`: why a group could not be placed, one "* ..." line per
// reason, each line starting with `prefix`. No trailing newline.
std::string format_alloc_metrics(const Json& metrics, const std::string& prefix);

// The deployment block: ID, Job ID, Job Version, Status, Description, then "Deployed" and
// the per-group table (Task Group, [Auto Revert,] Desired, Placed, Healthy, Unhealthy,
// Progress Deadline).
std::string format_deployment(const Json& deployment, std::size_t id_length);
std::string format_deployment_groups(const Json& task_groups);

class EvalMonitor {
 public:
  using Clock = std::function<int64_t()>;  // Unix nanoseconds; injected for tests
  using Sleep = std::function<void(int milliseconds)>;

  EvalMonitor(ApiClient& api, std::ostream& out, std::size_t id_length, Clock now, Sleep sleep);

  // Follows the evaluation (and the next ones it names) and then its deployment. Returns 0
  // when everything was placed (and the deployment succeeded), 2 when placement or the
  // deployment failed, 1 when the agent could not be read.
  // `job_modify_index`: the registration's, to recognise its deployment (0: unknown).
  int monitor(const std::string& eval_id, uint64_t job_modify_index = 0);

 private:
  struct AllocSeen {
    std::string client_status;
  };
  void info(const std::string& text);
  void output(const std::string& text);
  std::string when() const;
  // Prints what changed since the last read of the evaluation and its allocations.
  void report_changes(const Json& eval, const Json& allocs);
  int finish_eval(const Json& eval);
  std::string find_deployment(const Json& eval, uint64_t job_modify_index);
  int monitor_deployment(const std::string& job_id, const std::string& deployment_id);

  ApiClient& api_;
  std::ostream& out_;
  std::size_t id_length_;
  Clock now_;
  Sleep sleep_;

  std::string eval_status_;
  bool job_reported_ = false;
  bool deployment_reported_ = false;
  std::map<std::string, AllocSeen> allocs_;
};

// An EvalMonitor on stdout with the real clock: short IDs unless `verbose`.
int monitor_evaluation(ApiClient& api, const std::string& eval_id, uint64_t job_modify_index,
                       bool verbose);

}  // namespace pot::agent
