// potd's agent: Nomad's server and client for one node in one process.
//
//   register ──> job (new version) + evaluation ──> eval worker: scheduler::plan ──> one
//   transaction: allocations placed / stopped, the evaluation complete (or blocked), a
//   deployment ──> allocation runners ──> task runners over driver/ ──> their states come
//   back, batched into transactions ──> health, deployments, reschedules, blocked
//   evaluations woken when capacity frees.
//
// Every change is a transaction of the state store, in one order: the agent's write lock,
// then the store. A restart finds every allocation that should run, and the task handles
// that were kept, and only watches what still runs (the driver's recover): restarting potd
// restarts no task.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "agent/api/agent_api.h"
#include "agent/client/alloc_runner.h"
#include "agent/scheduler/node.h"
#include "agent/services/check_scheduler.h"
#include "agent/state/state_store.h"
#include "core/settings.h"
#include "driver/task_driver.h"

namespace pot::agent {

struct AgentOptions {
  Settings settings;  // POT_FS_ROOT and the rest, for the driver and the pots
  // Where potd keeps its database, allocation directories and token: $POT_FS_ROOT/potd.
  std::filesystem::path data_dir;
  std::string pot_path;                        // the `pot` program
  std::map<std::string, std::string> pot_env;  // POT_* passed to `pot`
  std::string host_paths;                      // POT_HOST_PATHS: what copy/mount may read
  NodeInfo node;                               // name, datacenter, reservations
  // The node's address in the service catalog: services without their own address are
  // reached there (Consul's node address).
  std::string advertise_address = "127.0.0.1";
  bool require_token = true;
  // Terminal allocations (and their logs) are removed this long after they ended.
  std::chrono::seconds gc_alloc_age{std::chrono::hours(24)};
  std::chrono::seconds gc_interval{std::chrono::minutes(1)};
  // How many tasks start at once (each start is a `pot prepare` and a `pot start`).
  int parallel_starts = 4;
};

class Agent : public AgentApi {
 public:
  explicit Agent(AgentOptions options);
  // Detaches: tasks keep running, and the next agent finds them.
  ~Agent() override;

  // Opens the state, restores the allocations that should run, and starts the workers.
  void start();
  void shutdown();

  // AgentApi
  StateStore& state() override { return *state_; }
  const NodeInfo& node() override { return node_; }
  uint64_t node_create_index() override { return node_index_; }
  uint64_t node_modify_index() override { return node_index_; }
  std::string token() override { return token_; }
  RegisterResult register_job(const Json& job, const RegisterOptions& options) override;
  Json plan_job(const Json& job, bool diff) override;
  DeregisterResult deregister_job(const std::string& namespace_name, const std::string& job_id,
                                  bool purge) override;
  RegisterResult revert_job(const std::string& namespace_name, const std::string& job_id,
                            uint64_t version,
                            std::optional<uint64_t> enforce_prior_version) override;
  RegisterResult scale_job(const std::string& namespace_name, const std::string& job_id,
                           const std::string& group, int64_t count,
                           const std::string& message) override;
  Json stop_alloc(const std::string& alloc_id) override;
  void restart_alloc(const std::string& alloc_id, const std::string& task, bool all_tasks) override;
  void signal_alloc(const std::string& alloc_id, const std::string& task,
                    const std::string& signal) override;
  Json alloc_stats(const std::string& alloc_id) override;
  Json alloc_exec(const std::string& alloc_id, const std::string& task,
                  const std::vector<std::string>& argv) override;
  std::filesystem::path alloc_dir(const std::string& alloc_id) override;
  Metrics metrics() override;
  Json agent_self() override;
  ServiceCatalog& services() override { return *catalog_; }

  // Runs the garbage collection now (terminal allocations past their age).
  void collect_garbage();
  // Waits until no evaluation is queued or being processed (tests, benchmarks).
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  struct Runners;
  // Registering
  RegisterResult register_locked(Json job, const RegisterOptions& options,
                                 const std::string& triggered_by);
  Json new_evaluation(const Json& job, const std::string& namespace_name, const std::string& job_id,
                      const std::string& triggered_by);
  // Evaluations
  void enqueue(const std::string& eval_id);
  void eval_worker();
  void process_evaluation(const std::string& eval_id);
  void wake_blocked_evaluations();
  void schedule_follow_up(int64_t at_ns, const std::string& namespace_name,
                          const std::string& job_id);
  void timer_worker();
  // Allocations
  void run_allocation(const Json& alloc, bool restore);
  AllocRunner* runner(const std::string& alloc_id);
  void on_alloc_update(const AllocClientUpdate& update);
  void on_handle(const std::string& alloc_id, const std::string& task,
                 const std::optional<driver::TaskHandle>& handle);
  void update_worker();
  void flush_updates();
  void restore();
  void gc_worker();
  // The argv that runs a script check in its task's pot; empty when the task is not running.
  std::vector<std::string> script_check_argv(const CheckDefinition& check);
  // Deployments
  void update_deployments(const std::set<std::string>& deployment_ids);
  Json job_for_alloc(const Json& alloc);
  int64_t now_ns() const;

  AgentOptions options_;
  std::unique_ptr<StateStore> state_;
  std::unique_ptr<ServiceCatalog> catalog_;
  std::unique_ptr<CheckScheduler> checks_;
  NodeInfo node_;
  uint64_t node_index_ = 1;
  std::string token_;
  std::unique_ptr<driver::TaskDriver> driver_;
  std::unique_ptr<StartGate> start_gate_;

  // Every read-modify-write of the store holds this, so documents change one way at a time.
  std::mutex write_mutex_;

  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<std::string> eval_queue_;
  std::set<std::string> blocked_evals_;
  bool evaluating_ = false;
  std::multimap<int64_t, std::pair<std::string, std::string>> follow_ups_;  // at -> (ns, job)

  std::mutex runners_mutex_;
  std::map<std::string, std::unique_ptr<AllocRunner>> runners_;

  std::mutex updates_mutex_;
  std::condition_variable updates_changed_;
  std::map<std::string, Json> pending_updates_;  // alloc id -> client fields

  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
};

// The store's meta key of a task's handle.
std::string task_handle_key(const std::string& alloc_id, const std::string& task);

}  // namespace pot::agent
