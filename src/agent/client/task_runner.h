// One task of an allocation, run through the driver core: start its pot, wait for it, and
// on its exit apply the restart policy, recording Nomad's task events on the way. A task
// found again after a potd restart (its handle kept in the state store) is only waited for:
// it keeps running, and its next exit is handled as any other.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/client/restart_tracker.h"
#include "agent/client/start_gate.h"
#include "driver/task.h"
#include "driver/task_driver.h"

namespace pot::agent {

using Json = nlohmann::ordered_json;

struct TaskRunnerSpec {
  std::string alloc_id;
  std::string task_name;
  std::string job_type;         // service, batch, system, sysbatch
  driver::TaskRequest request;  // everything but the id, which is new per run
  RestartPolicy restart;
  int kill_signal = 2;  // SIGINT, Nomad's default
  std::chrono::milliseconds kill_timeout{5000};
  std::string lifecycle_hook;  // "", "prestart", "poststart", "poststop"
  bool sidecar = false;
  bool leader = false;
  StartGate* gate = nullptr;  // shared by the node's tasks: starts and removals take turns
};

// What the runner reports to its allocation: its whole state after each change, and its
// handle when a run starts (nullopt when the run's pot is gone).
struct TaskRunnerListener {
  std::function<void(const std::string& task, const Json& state)> state_changed;
  std::function<void(const std::string& task, const std::optional<driver::TaskHandle>& handle)>
      handle_changed;
};

class TaskRunner {
 public:
  // `state`: the stored task state (a new one for a new task); `handle`: the stored handle
  // of a run that may still be going.
  TaskRunner(driver::TaskDriver& driver, TaskRunnerSpec spec, Json state,
             std::optional<driver::TaskHandle> handle, TaskRunnerListener listener,
             std::function<double()> jitter);
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // Runs the task on a thread of its own.
  void start();
  // Stops the task for good (the allocation stops, or a sibling failed): kill_signal, then
  // SIGKILL after kill_timeout. `event` is recorded first when not empty.
  void kill(Json event);
  // `alloc restart`: stops the run and starts it again at once, not counted by the policy.
  void restart_by_user();
  // check_restart: a check stayed unhealthy. The run is stopped and counted as a failure by
  // the restart policy (which may end the task), as Nomad does.
  void restart_for_check(const std::string& reason);
  // potd is shutting down: stop watching and leave the pot running (it is found again at
  // the next start).
  void detach();
  void signal(int signal);
  // Runs a command to completion in the running pot.
  driver::ExecResult exec(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

  Json state() const;
  bool dead() const;
  bool running() const;
  // When the current run started (for health: running for min_healthy_time).
  std::optional<std::chrono::steady_clock::time_point> running_since() const;
  const TaskRunnerSpec& spec() const { return spec_; }
  std::string pot_name() const;
  // The address of the current run's pot on its network ("" for none or an inherited one).
  std::string pot_address() const;
  // Waits for the thread to end (after kill, or once the task is dead).
  void join();

 private:
  void run();
  // Starts a new run; false when it failed (the failure is recorded and decided).
  bool start_run();
  void handle_exit(const driver::ExitResult* exit, const std::string& start_error);
  void record(Json event);
  void set_state(const std::string& state);
  void publish();
  void stop_and_destroy(bool record_kill);
  bool sleep_unless_killed(std::chrono::nanoseconds delay);

  driver::TaskDriver& driver_;
  TaskRunnerSpec spec_;
  TaskRunnerListener listener_;
  RestartTracker tracker_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Json state_;
  std::optional<driver::TaskHandle> handle_;
  std::string pot_;
  std::optional<std::chrono::steady_clock::time_point> running_since_;
  bool kill_requested_ = false;
  bool restart_requested_ = false;
  std::string check_restart_reason_;  // set with restart_requested_ by a check
  bool detach_requested_ = false;
  Json kill_event_;
  std::thread thread_;
};

}  // namespace pot::agent
