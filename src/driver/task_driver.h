// The driver core: the life of tasks as pots, for nomad-pot-driver and potd alike.
//
//   start    prepare the pot (task_pot.h), then a fresh exec of `pot start -O -E`: the pot's
//            monitor, detached from us, runs the command and carries its output into the
//            scheduler's files; we watch the monitor through a pidfd;
//   wait     until the monitor ends; the exit code, signal and OOM kill are what it recorded
//            in the pot's .last_run_stats;
//   stop     the signal, the timeout, then SIGKILL of the pot's init;
//   destroy  the pot and everything it made (stopping it first when forced);
//   recover  from the handle's driver_state alone: the pot, and its monitor from the pot's
//            run state. A task outlives this process; nothing here is needed to keep it
//            running or its output flowing.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/settings.h"
#include "driver/driver_state.h"
#include "driver/event_hub.h"
#include "driver/exit_watcher.h"
#include "driver/host_paths.h"
#include "driver/pot_command.h"
#include "driver/task.h"
#include "pot/context.h"

namespace pot::driver {

// No task with that id (the scheduler maps this to "not found").
class TaskNotFound : public Error {
 public:
  explicit TaskNotFound(const std::string& id) : Error("task " + id + " not found") {}
};
// The task is not in a state for this request (running when it must not be, or the other way).
class TaskStateError : public Error {
 public:
  using Error::Error;
};

struct DriverOptions {
  Settings settings;
  std::string pot_path;                        // the `pot` program to exec
  std::map<std::string, std::string> pot_env;  // POT_* given to it (fs root, network...)
  HostPathPolicy host_paths;
  std::filesystem::path signing_key;
  // Shared by the drivers of successive configs, so an event stream outlives a SetConfig.
  std::shared_ptr<EventHub> events = std::make_shared<EventHub>();
};

struct DriverHealth {
  bool healthy = false;
  std::string description;
  std::map<std::string, std::string> attributes;
};

class TaskDriver {
 public:
  explicit TaskDriver(DriverOptions options);
  ~TaskDriver();
  TaskDriver(const TaskDriver&) = delete;
  TaskDriver& operator=(const TaskDriver&) = delete;

  DriverHealth health() const;

  StartResult start(const TaskRequest& request);
  // Finds a task again from its handle; fine to call for a task already known.
  void recover(const TaskHandle& handle);
  // The exit, once the task ended; nullopt when `cancelled()` turned true first (it is
  // polled about every 200 ms).
  std::optional<ExitResult> wait(const std::string& id, const std::function<bool()>& cancelled);
  void stop(const std::string& id, int signal, std::chrono::milliseconds timeout);
  void destroy(const std::string& id, bool force);
  TaskStatus inspect(const std::string& id) const;
  TaskUsage usage(const std::string& id);
  void signal(const std::string& id, int signal);
  ExecResult exec(const std::string& id, const std::vector<std::string>& argv,
                  std::chrono::milliseconds timeout);
  // `pot exec` of argv in the task's pot, with its stdio ours to pump.
  SpawnedPot exec_streaming(const std::string& id, const std::vector<std::string>& argv, bool tty);

  EventHub& events() { return *options_.events; }

  // The handles of every task known, for a driver that takes over (a new plugin config).
  std::vector<TaskHandle> handles() const;

 private:
  struct Task;
  std::shared_ptr<Task> find(const std::string& id) const;
  void watch(const std::shared_ptr<Task>& task);
  void finish(const std::shared_ptr<Task>& task);
  void emit(const Task& task, const std::string& message);
  bool wait_exited(const std::shared_ptr<Task>& task, std::chrono::milliseconds timeout);
  // Whether the task's pot is still the task's own (a later run of the task may have
  // replaced a pot that had ended).
  bool owns_pot(Context& ctx, const Task& task) const;
  void throw_unless_running(const std::shared_ptr<Task>& task);

  DriverOptions options_;
  PotProgram pot_;
  mutable std::mutex mutex_;
  std::condition_variable exited_;
  std::map<std::string, std::shared_ptr<Task>> tasks_;
  std::set<std::string> starting_;  // ids of starts under way: a second start of one is refused
  ExitWatcher watcher_;
};

}  // namespace pot::driver
