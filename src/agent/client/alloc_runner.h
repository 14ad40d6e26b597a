// One allocation on this node: its directory, a task runner per task, the order of the
// lifecycle hooks (prestart tasks first, poststart ones once the main tasks run, poststop
// ones after they end; sidecars alongside), the allocation's client status from its tasks,
// and its health for a deployment (every main task running for min_healthy_time, before the
// healthy_deadline, without a restart).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/client/alloc_dir.h"
#include "agent/client/check_restart.h"
#include "agent/client/task_runner.h"
#include "agent/scheduler/node.h"
#include "agent/services/service_catalog.h"
#include "driver/task_driver.h"

namespace pot::agent {

using Json = nlohmann::ordered_json;

// The client's part of an allocation, reported after each change: ClientStatus,
// ClientDescription, TaskStates, DeploymentStatus and PotNames (potd's own: the pot of each
// task, for `potd alloc exec`).
struct AllocClientUpdate {
  std::string alloc_id;
  Json fields;
};

struct AllocRunnerListener {
  std::function<void(const AllocClientUpdate& update)> changed;
  std::function<void(const std::string& alloc_id, const std::string& task,
                     const std::optional<driver::TaskHandle>& handle)>
      handle_changed;
};

struct AllocRunnerConfig {
  std::filesystem::path allocs_root;  // where allocation directories live
  NodeInfo node;
  driver::TaskDriver* driver = nullptr;
  std::function<double()> jitter;
  StartGate* gate = nullptr;
  // Where the tasks' services are registered while they run (none when null).
  ServiceCatalog* catalog = nullptr;
};

class AllocRunner {
 public:
  // `alloc`: as stored (with its TaskStates when restored); `job`: the version it runs;
  // `handles`: the stored handles of its tasks' runs (a restore after a potd restart).
  AllocRunner(AllocRunnerConfig config, Json alloc, Json job,
              std::map<std::string, driver::TaskHandle> handles, AllocRunnerListener listener);
  ~AllocRunner();  // detaches: the tasks keep running
  AllocRunner(const AllocRunner&) = delete;
  AllocRunner& operator=(const AllocRunner&) = delete;

  const std::string& id() const { return alloc_id_; }
  // Builds the directory and starts the tasks (or watches the recovered ones).
  void start();
  // The allocation is no longer wanted: every task is killed (poststop tasks still run).
  void stop(const std::string& reason);
  void restart_tasks(const std::string& task, bool all_tasks);
  void signal(const std::string& task, int signal);
  driver::ExecResult exec(const std::string& task, const std::vector<std::string>& argv);
  std::string pot_name(const std::string& task) const;
  std::vector<std::string> task_names() const;
  // Ends the watching threads; tasks keep running.
  void detach();
  bool terminal() const;
  std::filesystem::path dir() const { return alloc_dir_.path(); }

 private:
  struct Task;
  void coordinate();
  void task_state_changed();
  void report();
  std::string client_status_locked(std::string* description) const;
  Task* find_task(const std::string& name);
  void kill_tasks(const std::vector<Task*>& tasks, const Json& event);
  void update_health_locked();
  // Services: registered while their task (a group's: any main task) runs, and taken out
  // of the catalog before the tasks are killed.
  void sync_services(bool stopping);
  void drain_services(std::unique_lock<std::mutex>& lock);
  void deregister_services(const std::string& owner);
  void on_check_result(const CatalogEvent& event);
  bool checks_passing_locked() const;

  AllocRunnerConfig config_;
  std::string alloc_id_;
  Json alloc_;
  Json job_;
  Json group_;
  std::string job_type_;
  AllocDir alloc_dir_;
  AllocRunnerListener listener_;
  std::map<std::string, driver::TaskHandle> handles_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Task>> tasks_;
  bool stop_requested_ = false;
  bool detach_requested_ = false;
  bool failed_ = false;
  std::string last_client_status_;
  // Deployment health.
  bool tracks_health_ = false;
  std::optional<bool> healthy_;
  std::chrono::nanoseconds min_healthy_time_{std::chrono::seconds(10)};
  std::chrono::steady_clock::time_point healthy_deadline_{};
  int restarts_seen_ = 0;
  std::string health_timestamp_;
  bool health_uses_checks_ = false;
  bool services_drained_ = false;  // out of the catalog for good: the tasks are being killed
  std::optional<std::chrono::steady_clock::time_point> checks_passing_since_;
  // Services, under services_mutex_ (never held while calling the catalog or a task):
  // per owner (a task's name, or "" for the group), the pot its instances were registered
  // for and their ids; the task of each check; the check_restart counts.
  struct Registered {
    std::string pot;
    std::vector<std::string> instance_ids;
  };
  mutable std::mutex services_mutex_;
  std::map<std::string, Registered> registered_;
  struct CheckOwner {
    std::string owner;  // whose registration it came with ("" for the group)
    std::string task;   // the task check_restart restarts
  };
  std::map<std::string, CheckOwner> check_task_;
  CheckRestartWatcher check_restart_;
  int catalog_subscription_ = 0;
  std::mutex report_mutex_;
  Json last_report_;
  std::thread coordinator_;
};

}  // namespace pot::agent
