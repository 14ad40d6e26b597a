#include "driver/task_driver.h"

#include <signal.h>
#include <unistd.h>

#include "core/file_util.h"
#include "core/names.h"
#include "core/process.h"
#include "driver/task_pot.h"
#include "pot/context.h"
#include "pot/last_run.h"
#include "pot/lifecycle.h"
#include "pot/pots.h"
#include "pot/run_state.h"

namespace pot::driver {

struct TaskDriver::Task {
  DriverState state;
  // Guarded by the driver's mutex_:
  TaskState status = TaskState::kRunning;
  std::optional<ExitResult> result;
  Clock::time_point completed_at{};
};

namespace {

constexpr auto kKillWait = std::chrono::seconds(10);

// The exit the pot's monitor recorded in its .last_run_stats.
ExitResult read_exit(Context& ctx, const std::string& pot) {
  ExitResult result;
  std::optional<LastRun> run;
  try {
    run = read_last_run(ctx, pot);
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  if (!run) {
    result.exit_code = -1;
    if (result.error.empty())
      result.error =
          "pot " + quote_name(pot) + " ended without recording an exit (its monitor was killed?)";
    return result;
  }
  result.exit_code = run->exit_code;
  result.signal = run->signal;
  result.oom_killed = run->oom_killed;
  return result;
}

}  // namespace

TaskDriver::TaskDriver(DriverOptions options)
    : options_(std::move(options)), pot_(options_.pot_path, options_.pot_env) {}

TaskDriver::~TaskDriver() = default;

DriverHealth TaskDriver::health() const {
  DriverHealth health;
  health.attributes["driver.pot"] = "true";
  health.attributes["driver.pot.version"] = POT_VERSION_STRING;
  health.attributes["driver.pot.fs_root"] = options_.settings.fs_root.string();
  if (::geteuid() != 0) {
    health.description = "nomad-pot-driver must run as root to make pots";
    return health;
  }
  const std::string& pot = options_.pot_path;
  if (pot.find('/') != std::string::npos && ::access(pot.c_str(), X_OK) != 0) {
    health.description = "the pot program " + quote_name(pot) + " is not executable";
    return health;
  }
  try {
    Context ctx(options_.settings);
    ctx.storage().ensure_ready();
  } catch (const std::exception& e) {
    health.description = e.what();
    return health;
  }
  health.healthy = true;
  health.description = "healthy";
  return health;
}

std::shared_ptr<TaskDriver::Task> TaskDriver::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) throw TaskNotFound(id);
  return it->second;
}

void TaskDriver::emit(const Task& task, const std::string& message) {
  TaskEvent event;
  event.task_id = task.state.task_id;
  event.alloc_id = task.state.alloc_id;
  event.task_name = task.state.task_name;
  event.timestamp = Clock::now();
  event.message = message;
  event.annotations["pot"] = task.state.pot;
  options_.events->publish(event);
}

void TaskDriver::finish(const std::shared_ptr<Task>& task) {
  Context ctx(options_.settings);
  ExitResult result = read_exit(ctx, task->state.pot);
  {
    std::lock_guard lock(mutex_);
    if (task->status == TaskState::kExited) return;
    task->status = TaskState::kExited;
    task->result = result;
    task->completed_at = Clock::now();
  }
  exited_.notify_all();
  emit(*task, "task exited with code " + std::to_string(result.exit_code) +
                  (result.oom_killed ? " (out of memory)" : ""));
}

// Watches the task's monitor; a monitor already gone means the task already ended.
void TaskDriver::watch(const std::shared_ptr<Task>& task) {
  RunState state = RunState::load(options_.settings, task->state.pot);
  if (state.status != Status::kStopped && state.monitor_alive()) {
    UniqueFd pidfd = open_pidfd(state.monitor_pid);
    // Opened by pid, then checked: the pid could have been reused between the two.
    if (pidfd && state.monitor_alive()) {
      watcher_.watch(std::move(pidfd), [this, task] { finish(task); });
      return;
    }
  }
  finish(task);
}

StartResult TaskDriver::start(const TaskRequest& request) {
  auto task = std::make_shared<Task>();
  task->state.task_id = request.id;
  task->state.task_name = request.name;
  task->state.alloc_id = request.alloc_id;
  task->state.fs_root = options_.settings.fs_root.string();
  task->state.config = request.config;
  if (request.stdout_path.empty() || request.stderr_path.empty())
    throw Error("task " + request.id + ": no stdout_path or stderr_path to write its output to");
  {
    std::lock_guard lock(mutex_);
    if (tasks_.count(request.id) != 0 || !starting_.insert(request.id).second)
      throw TaskStateError("task " + request.id + " already exists");
  }
  struct StartingEntry {
    TaskDriver& driver;
    const std::string& id;
    ~StartingEntry() {
      std::lock_guard lock(driver.mutex_);
      driver.starting_.erase(id);
    }
  } starting{*this, request.id};

  Context ctx(options_.settings);
  TaskPotOptions pot_options{
      options_.host_paths, options_.signing_key, [this](const std::string& id) {
        std::lock_guard lock(mutex_);
        auto it = tasks_.find(id);
        return it != tasks_.end() && it->second->status != TaskState::kExited;
      }};
  task->state.pot = task_pot_name(request);
  PreparedPot prepared = prepare_task_pot(ctx, request, pot_options,
                                          [&](const std::string& step) { emit(*task, step); });
  task->state.pot = prepared.name;
  task->state.network = prepared.network;
  try {
    // A fresh exec: the monitor it forks is cut loose from us (session, cgroups), so the
    // task outlives this process.
    pot_.run(pot_start_argv(request, prepared.name));
  } catch (const Error& e) {
    try {
      destroy_pot(ctx, prepared.name, /*force=*/true);
    } catch (const std::exception&) {  // the start's error is the one to report
    }
    throw Error("starting pot " + quote_name(prepared.name) + ": " + e.what());
  }
  task->state.started_at = Clock::now();
  try {
    watch(task);
  } catch (const std::exception& e) {
    // Nomad gets an error and no handle: nothing may stay running for it.
    try {
      destroy_pot(ctx, prepared.name, /*force=*/true);
    } catch (const std::exception&) {
    }
    throw Error("watching pot " + quote_name(prepared.name) + ": " + e.what());
  }
  {
    std::lock_guard lock(mutex_);
    tasks_[request.id] = task;
  }
  emit(*task, "pot " + prepared.name + " started");
  return {{request.id, TaskState::kRunning, task->state.encode()}, prepared.network};
}

std::vector<TaskHandle> TaskDriver::handles() const {
  std::lock_guard lock(mutex_);
  std::vector<TaskHandle> out;
  for (const auto& [id, task] : tasks_) out.push_back({id, task->status, task->state.encode()});
  return out;
}

void TaskDriver::recover(const TaskHandle& handle) {
  DriverState state = DriverState::decode(handle.driver_state);
  if (!handle.task_id.empty() && handle.task_id != state.task_id)
    throw Error("task handle of " + handle.task_id + " carries the state of task " + state.task_id);
  {
    std::lock_guard lock(mutex_);
    if (tasks_.count(state.task_id) != 0) return;
  }
  DriverState ours;
  ours.fs_root = options_.settings.fs_root.string();
  // Compared as the state writes it (bytes that are not UTF-8 replaced).
  if (state.fs_root != DriverState::decode(ours.encode()).fs_root)
    throw Error("task " + state.task_id + " lives in POT_FS_ROOT " + quote_name(state.fs_root) +
                ", this driver uses " + quote_name(options_.settings.fs_root.string()));
  Context ctx(options_.settings);
  if (!ctx.pot_exists(state.pot))
    throw Error("pot " + quote_name(state.pot) + " of task " + state.task_id + " no longer exists");
  auto task = std::make_shared<Task>();
  task->state = state;
  {
    std::lock_guard lock(mutex_);
    if (!tasks_.emplace(state.task_id, task).second) return;
  }
  emit(*task, "task recovered");
  watch(task);
}

std::optional<ExitResult> TaskDriver::wait(const std::string& id,
                                           const std::function<bool()>& cancelled) {
  auto task = find(id);
  std::unique_lock lock(mutex_);
  while (task->status != TaskState::kExited) {
    if (cancelled && cancelled()) return std::nullopt;
    exited_.wait_for(lock, std::chrono::milliseconds(200));
  }
  return task->result;
}

bool TaskDriver::owns_pot(Context& ctx, const Task& task) const {
  if (!ctx.pot_exists(task.state.pot)) return false;
  return ctx.load_conf(task.state.pot).get_or("pot.nomad.task_id", "") == task.state.task_id;
}

void TaskDriver::throw_unless_running(const std::shared_ptr<Task>& task) {
  if (wait_exited(task, std::chrono::milliseconds(0)))
    throw TaskStateError("task " + task->state.task_id + " is not running");
}

bool TaskDriver::wait_exited(const std::shared_ptr<Task>& task, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return exited_.wait_for(lock, timeout, [&] { return task->status == TaskState::kExited; });
}

void TaskDriver::stop(const std::string& id, int signal, std::chrono::milliseconds timeout) {
  auto task = find(id);
  if (wait_exited(task, std::chrono::milliseconds(0))) return;
  Context ctx(options_.settings);
  RunState state = RunState::load(options_.settings, task->state.pot);
  if (!state.running()) {
    wait_exited(task, kKillWait);  // ending on its own: the monitor is finishing
    return;
  }
  emit(*task, "stopping with signal " + std::to_string(signal));
  if (signal != SIGKILL) {
    signal_process(state.init_pid, state.init_start, signal);
    if (wait_exited(task, timeout)) return;
  }
  // The pot's init: its pid namespace ends with it, every process of the task too.
  signal_process(state.init_pid, state.init_start, SIGKILL);
  if (!wait_exited(task, kKillWait))
    throw Error("task " + id + ": pot " + quote_name(task->state.pot) +
                " did not end after SIGKILL");
}

void TaskDriver::destroy(const std::string& id, bool force) {
  auto task = find(id);
  if (!wait_exited(task, std::chrono::milliseconds(0))) {
    if (!force) throw TaskStateError("task " + id + " is still running: stop it first, or force");
    stop(id, SIGKILL, std::chrono::milliseconds(0));
  }
  Context ctx(options_.settings);
  if (owns_pot(ctx, *task)) destroy_pot(ctx, task->state.pot, /*force=*/true);
  std::lock_guard lock(mutex_);
  tasks_.erase(id);
}

TaskStatus TaskDriver::inspect(const std::string& id) const {
  auto task = find(id);
  std::lock_guard lock(mutex_);
  TaskStatus status;
  status.id = task->state.task_id;
  status.name = task->state.task_name;
  status.pot = task->state.pot;
  status.state = task->status;
  status.started_at = task->state.started_at;
  status.completed_at = task->completed_at;
  status.result = task->result;
  status.network = task->state.network;
  return status;
}

void TaskDriver::signal(const std::string& id, int signal) {
  auto task = find(id);
  throw_unless_running(task);
  RunState state = RunState::load(options_.settings, task->state.pot);
  if (!state.running() || !signal_process(state.init_pid, state.init_start, signal))
    throw TaskStateError("task " + id + " is not running");
}

static std::vector<std::string> exec_args(const std::string& pot,
                                          const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("exec: no command given");
  std::vector<std::string> args = {"exec", "-p", pot, "--"};
  args.insert(args.end(), argv.begin(), argv.end());
  return args;
}

ExecResult TaskDriver::exec(const std::string& id, const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout) {
  auto task = find(id);
  throw_unless_running(task);
  CapturedRun run = pot_.capture(exec_args(task->state.pot, argv),
                                 timeout.count() > 0 ? std::optional(timeout) : std::nullopt);
  ExecResult result;
  result.stdout_data = std::move(run.stdout_data);
  result.stderr_data = std::move(run.stderr_data);
  result.result.exit_code = run.exit_code;
  if (run.timed_out) {
    result.result.signal = SIGKILL;
    result.result.error = "exec timed out after " + std::to_string(timeout.count()) + " ms";
  }
  return result;
}

SpawnedPot TaskDriver::exec_streaming(const std::string& id, const std::vector<std::string>& argv,
                                      bool tty) {
  auto task = find(id);
  throw_unless_running(task);
  return pot_.spawn(exec_args(task->state.pot, argv), tty);
}

TaskUsage TaskDriver::usage(const std::string& id) {
  auto task = find(id);
  throw_unless_running(task);
  RunState state = RunState::load(options_.settings, task->state.pot);
  if (!state.running()) throw TaskStateError("task " + id + " is not running");
  Context ctx(options_.settings);
  CgroupStats raw = ctx.runtime().stats(jail_handle(ctx, task->state.pot, state));
  TaskUsage usage;
  usage.timestamp = Clock::now();
  usage.memory_rss = raw.memory_rss;
  usage.memory_cache = raw.memory_cache;
  usage.memory_usage = raw.memory_usage;
  usage.memory_max_usage = raw.memory_max_usage;
  usage.memory_swap = raw.memory_swap;
  usage.memory_kernel = raw.memory_kernel_usage;
  usage.cpu_total_ns = raw.cpu_total_ns;
  usage.cpu_user_ns = raw.cpu_user_ns;
  usage.cpu_system_ns = raw.cpu_system_ns;
  usage.cpu_throttled_periods = raw.cpu_throttled_periods;
  usage.cpu_throttled_ns = raw.cpu_throttled_ns;
  return usage;
}

}  // namespace pot::driver
