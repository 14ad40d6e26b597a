// What potd's HTTP API (and through it the `potd` CLI) asks of the agent, beyond reading
// the state store. The agent (server/agent.h) implements it; every method is safe to call
// from any HTTP worker thread. Errors throw ApiError with the HTTP status Nomad gives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/scheduler/node.h"
#include "agent/services/service_catalog.h"
#include "agent/state/state_store.h"

namespace pot::agent {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// `PUT /v1/jobs` and `/v1/job/:id`: {EvalID, EvalCreateIndex, JobModifyIndex, Warnings,
// Index}.
struct RegisterResult {
  std::string eval_id;
  uint64_t eval_create_index = 0;
  uint64_t job_modify_index = 0;
  std::string warnings;
  uint64_t index = 0;
};

struct RegisterOptions {
  bool enforce_index = false;  // register only if the job's JobModifyIndex is `job_modify_index`
  uint64_t job_modify_index = 0;
  bool preserve_counts = false;
};

// `DELETE /v1/job/:id`: {EvalID, EvalCreateIndex, JobModifyIndex, Index}.
struct DeregisterResult {
  std::string eval_id;
  uint64_t eval_create_index = 0;
  uint64_t job_modify_index = 0;
  uint64_t index = 0;
};

class AgentApi {
 public:
  virtual ~AgentApi() = default;

  virtual StateStore& state() = 0;
  virtual const NodeInfo& node() = 0;
  // The node's index fields, for /v1/node(s).
  virtual uint64_t node_create_index() = 0;
  virtual uint64_t node_modify_index() = 0;
  // The token every write needs (X-Nomad-Token); empty disables the check (tests only).
  virtual std::string token() = 0;

  // Registers (or updates) `job`, the API's JSON as /v1/jobs/parse gives it; creates an
  // evaluation. Refuses with 400 a job potd cannot run (the feature named).
  virtual RegisterResult register_job(const Json& job, const RegisterOptions& options) = 0;
  // `POST /v1/job/:id/plan`: Nomad's JobPlanResponse {Annotations: {DesiredTGUpdates},
  // FailedTGAllocs, JobModifyIndex, Diff (when `diff`), Warnings, Index}; changes nothing.
  virtual Json plan_job(const Json& job, bool diff) = 0;
  virtual DeregisterResult deregister_job(const std::string& namespace_name,
                                          const std::string& job_id, bool purge) = 0;
  // `POST /v1/job/:id/revert` {JobVersion, EnforcePriorVersion}: registers that version
  // again as a new version.
  virtual RegisterResult revert_job(const std::string& namespace_name, const std::string& job_id,
                                    uint64_t version,
                                    std::optional<uint64_t> enforce_prior_version) = 0;
  // `POST /v1/job/:id/scale` {Count, Target: {Group}, Message}.
  virtual RegisterResult scale_job(const std::string& namespace_name, const std::string& job_id,
                                   const std::string& group, int64_t count,
                                   const std::string& message) = 0;

  // `POST /v1/allocation/:id/stop`: {EvalID, Index}; the scheduler replaces it.
  virtual Json stop_alloc(const std::string& alloc_id) = 0;
  // `/v1/client/allocation/:id/restart` {TaskName, AllTasks}; empty task: every running task.
  virtual void restart_alloc(const std::string& alloc_id, const std::string& task,
                             bool all_tasks) = 0;
  // `/v1/client/allocation/:id/signal` {Task, Signal ("SIGHUP")}.
  virtual void signal_alloc(const std::string& alloc_id, const std::string& task,
                            const std::string& signal) = 0;
  // `/v1/client/allocation/:id/stats`: Nomad's AllocResourceUsage.
  virtual Json alloc_stats(const std::string& alloc_id) = 0;
  // `/v1/client/allocation/:id/exec` is not HTTP here: `potd alloc exec` runs
  // `pot exec` itself (root only). This runs a command to completion, for tests and the CLI.
  virtual Json alloc_exec(const std::string& alloc_id, const std::string& task,
                          const std::vector<std::string>& argv) = 0;
  // The allocation's directory on the host (logs are read from it); throws 404.
  virtual std::filesystem::path alloc_dir(const std::string& alloc_id) = 0;

  // For /v1/metrics: counts of what runs.
  struct Metrics {
    uint64_t jobs = 0, allocs_running = 0, allocs_pending = 0, allocs_failed = 0,
             allocs_complete = 0, evals_blocked = 0, task_restarts = 0;
  };
  virtual Metrics metrics() = 0;
  // /v1/agent/self's "config" and "stats" parts.
  virtual Json agent_self() = 0;
  // The node's services and their checks (Nomad's /v1/services, `potd alloc status`).
  virtual ServiceCatalog& services() = 0;
};

}  // namespace pot::agent
