#include "agent/client/task_runner.h"

#include <csignal>
#include <cstring>
#include <random>
#include <utility>

#include "agent/client/task_state.h"
#include "core/error.h"
#include "driver/driver_state.h"

namespace pot::agent {

namespace {

using std::chrono::system_clock;

std::string random_hex8() {
  static thread_local std::mt19937 generator{std::random_device{}()};
  char buffer[9];
  std::snprintf(buffer, sizeof buffer, "%08x", static_cast<unsigned>(generator()));
  return buffer;
}

std::string exit_display(const driver::ExitResult& exit) {
  std::string text = "Exit Code: " + std::to_string(exit.exit_code);
  if (exit.signal != 0) text += ", Signal: " + std::to_string(exit.signal);
  if (exit.oom_killed) text += ", OOM Killed";
  if (!exit.error.empty()) text += ", Exit Message: \"" + exit.error + "\"";
  return text;
}

std::string signal_name(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : std::to_string(signal);
}

}  // namespace

TaskRunner::TaskRunner(driver::TaskDriver& driver, TaskRunnerSpec spec, Json state,
                       std::optional<driver::TaskHandle> handle, TaskRunnerListener listener,
                       std::function<double()> jitter)
    : driver_(driver),
      spec_(std::move(spec)),
      listener_(std::move(listener)),
      tracker_(spec_.restart, spec_.job_type, std::move(jitter)),
      state_(state.is_object() ? std::move(state) : new_task_state()),
      handle_(std::move(handle)) {
  if (handle_) {
    try {
      pot_ = driver::DriverState::decode(handle_->driver_state).pot;
    } catch (const Error&) {
      // A handle we cannot read is a run we cannot find: run() treats it as lost.
    }
  }
}

TaskRunner::~TaskRunner() {
  detach();
  join();
}

void TaskRunner::detach() {
  {
    std::lock_guard lock(mutex_);
    detach_requested_ = true;
  }
  wake_.notify_all();
}

void TaskRunner::start() {
  thread_ = std::thread([this] { run(); });
}

void TaskRunner::join() {
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

Json TaskRunner::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool TaskRunner::dead() const {
  std::lock_guard lock(mutex_);
  return state_.value("State", "") == "dead";
}

bool TaskRunner::running() const {
  std::lock_guard lock(mutex_);
  return state_.value("State", "") == "running";
}

std::optional<std::chrono::steady_clock::time_point> TaskRunner::running_since() const {
  std::lock_guard lock(mutex_);
  return running_since_;
}

std::string TaskRunner::pot_name() const {
  std::lock_guard lock(mutex_);
  return pot_;
}

void TaskRunner::kill(Json event) {
  {
    std::lock_guard lock(mutex_);
    if (kill_requested_) return;
    kill_requested_ = true;
    kill_event_ = std::move(event);
  }
  wake_.notify_all();
}

void TaskRunner::restart_by_user() {
  {
    std::lock_guard lock(mutex_);
    if (kill_requested_ || state_.value("State", "") == "dead") return;
    restart_requested_ = true;
  }
  wake_.notify_all();
}

void TaskRunner::restart_for_check(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (kill_requested_ || !handle_ || state_.value("State", "") != "running") return;
    restart_requested_ = true;
    check_restart_reason_ = reason;
  }
  wake_.notify_all();
}

std::string TaskRunner::pot_address() const {
  std::lock_guard lock(mutex_);
  if (!handle_) return "";
  try {
    return driver::DriverState::decode(handle_->driver_state).network.address;
  } catch (const Error&) {
    return "";
  }
}

void TaskRunner::signal(int sig) {
  std::optional<driver::TaskHandle> handle;
  {
    std::lock_guard lock(mutex_);
    handle = handle_;
  }
  if (!handle) throw Error("task " + quote_name(spec_.task_name) + " is not running");
  Json event =
      make_task_event(task_event::kSignaling, system_clock::now(), "Task being sent a signal");
  event["TaskSignal"] = signal_name(sig);
  record(std::move(event));
  driver_.signal(handle->task_id, sig);
}

driver::ExecResult TaskRunner::exec(const std::vector<std::string>& argv,
                                    std::chrono::milliseconds timeout) {
  std::optional<driver::TaskHandle> handle;
  {
    std::lock_guard lock(mutex_);
    handle = handle_;
  }
  if (!handle) throw Error("task " + quote_name(spec_.task_name) + " is not running");
  return driver_.exec(handle->task_id, argv, timeout);
}

void TaskRunner::record(Json event) {
  {
    std::lock_guard lock(mutex_);
    append_task_event(state_, std::move(event));
  }
  publish();
}

void TaskRunner::set_state(const std::string& state) {
  {
    std::lock_guard lock(mutex_);
    state_["State"] = state;
    auto now = system_clock::now();
    if (state == "running") {
      state_["StartedAt"] = go_time(now);
      running_since_ = std::chrono::steady_clock::now();
    } else {
      running_since_.reset();
      if (state == "dead") state_["FinishedAt"] = go_time(now);
    }
  }
  publish();
}

void TaskRunner::publish() {
  if (listener_.state_changed) listener_.state_changed(spec_.task_name, state());
}

bool TaskRunner::sleep_unless_killed(std::chrono::nanoseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [&] { return kill_requested_ || detach_requested_; });
  return !kill_requested_ && !detach_requested_;
}

bool TaskRunner::start_run() {
  driver::TaskRequest request = spec_.request;
  request.id = spec_.alloc_id + "/" + spec_.task_name + "/" + random_hex8();
  try {
    driver::StartResult started = [&] {
      StartGate::Slot slot(spec_.gate);
      return driver_.start(request);
    }();
    std::string pot;
    try {
      pot = driver::DriverState::decode(started.handle.driver_state).pot;
    } catch (const Error&) {
    }
    {
      std::lock_guard lock(mutex_);
      handle_ = started.handle;
      pot_ = pot;
    }
    if (listener_.handle_changed) listener_.handle_changed(spec_.task_name, started.handle);
    record(make_task_event(task_event::kStarted, system_clock::now(), "Task started by client"));
    set_state("running");
    return true;
  } catch (const std::exception& e) {
    Json event = make_task_event(task_event::kDriverFailure, system_clock::now(),
                                 std::string("failed to launch task: ") + e.what());
    event["DriverError"] = e.what();
    record(std::move(event));
    handle_exit(nullptr, e.what());
    return false;
  }
}

// Ends the current run: the stop signal with the kill timeout (only when the run still
// goes), then the pot's removal. The handle is dropped once the pot is gone.
void TaskRunner::stop_and_destroy(bool record_kill) {
  std::optional<driver::TaskHandle> handle;
  {
    std::lock_guard lock(mutex_);
    handle = handle_;
  }
  if (!handle) return;
  if (record_kill) {
    Json event = make_task_event(
        task_event::kKilling, system_clock::now(),
        "Sent interrupt. Waiting " +
            go_duration_string(
                std::chrono::duration_cast<std::chrono::nanoseconds>(spec_.kill_timeout)) +
            " before force killing");
    event["KillTimeout"] =
        std::chrono::duration_cast<std::chrono::nanoseconds>(spec_.kill_timeout).count();
    record(std::move(event));
  }
  try {
    driver_.stop(handle->task_id, spec_.kill_signal, spec_.kill_timeout);
  } catch (const driver::TaskStateError&) {
    // Already ended.
  } catch (const std::exception&) {
  }
  try {
    StartGate::Slot slot(spec_.gate);
    driver_.destroy(handle->task_id, true);
  } catch (const driver::TaskNotFound&) {
  } catch (const std::exception& e) {
    Json event = make_task_event(task_event::kDriverMessage, system_clock::now(),
                                 std::string("failed to remove the task's pot: ") + e.what());
    record(std::move(event));
  }
  {
    std::lock_guard lock(mutex_);
    handle_.reset();
  }
  if (listener_.handle_changed) listener_.handle_changed(spec_.task_name, std::nullopt);
}

// An exit (or a start failure when `exit` is null): the policy decides between another run
// and the end.
void TaskRunner::handle_exit(const driver::ExitResult* exit, const std::string& start_error) {
  TaskExit what;
  if (exit) {
    what.exit_code = exit->exit_code;
    what.signal = exit->signal;
    what.oom_killed = exit->oom_killed;
    what.error = exit->error;
  } else {
    what.start_failed = true;
    what.error = start_error;
  }
  RestartDecision decision = tracker_.on_exit(what, system_clock::now());
  if (decision.action == RestartAction::kNoRestart) {
    // A batch task that succeeded ends without an event of its own, as in Nomad.
    if (!decision.event_type.empty()) {
      Json event = make_task_event(decision.event_type, system_clock::now(), decision.reason);
      event["RestartReason"] = decision.reason;
      event["FailsTask"] = decision.failed;
      event["Details"]["restart_reason"] = decision.reason;
      if (decision.failed) event["Details"]["fails_task"] = "true";
      record(std::move(event));
    }
    {
      std::lock_guard lock(mutex_);
      state_["Failed"] = decision.failed;
    }
    set_state("dead");
    return;
  }
  Json event = make_task_event(task_event::kRestarting, system_clock::now(),
                               "Task restarting in " + go_duration_string(decision.delay));
  event["RestartReason"] = decision.reason;
  event["StartDelay"] = decision.delay.count();
  event["Details"]["restart_reason"] = decision.reason;
  event["Details"]["start_delay"] = std::to_string(decision.delay.count());
  record(std::move(event));
  {
    std::lock_guard lock(mutex_);
    state_["Restarts"] = state_.value("Restarts", 0) + 1;
    state_["LastRestart"] = go_time(system_clock::now());
  }
  set_state("pending");
  if (!sleep_unless_killed(decision.delay)) return;
}

void TaskRunner::run() {
  bool recovered = false;
  std::optional<driver::TaskHandle> handle;
  {
    std::lock_guard lock(mutex_);
    handle = handle_;
  }
  if (handle) {
    try {
      driver_.recover(*handle);
      recovered = true;
      if (state().value("State", "") != "running")
        set_state("running");
      else {
        std::lock_guard lock(mutex_);
        running_since_ = std::chrono::steady_clock::now();
      }
    } catch (const std::exception& e) {
      // The pot is gone (a reboot, or removed by hand): its run ended without a record.
      {
        std::lock_guard lock(mutex_);
        handle_.reset();
      }
      if (listener_.handle_changed) listener_.handle_changed(spec_.task_name, std::nullopt);
      driver::ExitResult lost;
      lost.exit_code = -1;
      lost.error = std::string("task lost while potd was away: ") + e.what();
      record(make_task_event(task_event::kTerminated, system_clock::now(), exit_display(lost)));
      handle_exit(&lost, "");
    }
  } else if (state().value("State", "") == "pending" && state()["Events"].empty()) {
    record(make_task_event(task_event::kReceived, system_clock::now(), "Task received by client"));
    record(make_task_event(task_event::kSetup, system_clock::now(), "Building Task Directory"));
  }

  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (kill_requested_ || detach_requested_ || state_.value("State", "") == "dead") break;
    }
    if (!recovered) {
      std::lock_guard lock(mutex_);
      recovered = handle_.has_value();
    }
    if (!recovered) {
      if (!start_run()) continue;
    }
    recovered = false;
    std::optional<driver::TaskHandle> current;
    {
      std::lock_guard lock(mutex_);
      current = handle_;
    }
    if (!current) continue;
    std::optional<driver::ExitResult> exit = driver_.wait(current->task_id, [&] {
      std::lock_guard lock(mutex_);
      return kill_requested_ || restart_requested_ || detach_requested_;
    });
    if (!exit) {
      bool user_restart = false;
      std::string check_reason;
      {
        std::lock_guard lock(mutex_);
        user_restart = restart_requested_ && !kill_requested_ && !detach_requested_;
        restart_requested_ = false;
        check_reason = std::exchange(check_restart_reason_, "");
      }
      if (!user_restart) break;  // killed: below
      if (!check_reason.empty()) {
        Json event = make_task_event(task_event::kRestartSignal, system_clock::now(), check_reason);
        event["RestartReason"] = check_reason;
        event["Details"]["restart_reason"] = check_reason;
        record(std::move(event));
        stop_and_destroy(true);
        driver::ExitResult unhealthy;
        unhealthy.exit_code = 1;
        unhealthy.error = check_reason;
        handle_exit(&unhealthy, "");
        continue;
      }
      record(make_task_event(task_event::kRestartSignal, system_clock::now(),
                             "User requested restart"));
      stop_and_destroy(true);
      tracker_.on_user_restart();
      {
        std::lock_guard lock(mutex_);
        state_["Restarts"] = state_.value("Restarts", 0) + 1;
        state_["LastRestart"] = go_time(system_clock::now());
      }
      set_state("pending");
      continue;
    }
    Json terminated =
        make_task_event(task_event::kTerminated, system_clock::now(), exit_display(*exit));
    terminated["ExitCode"] = exit->exit_code;
    terminated["Signal"] = exit->signal;
    terminated["Details"]["exit_code"] = std::to_string(exit->exit_code);
    terminated["Details"]["signal"] = std::to_string(exit->signal);
    if (exit->oom_killed) terminated["Details"]["oom_killed"] = "true";
    record(std::move(terminated));
    stop_and_destroy(false);
    handle_exit(&*exit, "");
  }

  // Killed (or dead): end the run that may still go, then record the end.
  bool killed = false;
  Json kill_event;
  {
    std::lock_guard lock(mutex_);
    killed = kill_requested_ && !detach_requested_;
    kill_event = kill_event_;
  }
  if (!killed) return;
  if (kill_event.is_object()) record(kill_event);
  bool had_run = false;
  {
    std::lock_guard lock(mutex_);
    had_run = handle_.has_value();
  }
  stop_and_destroy(had_run);
  if (!dead()) {
    if (had_run)
      record(make_task_event(task_event::kKilled, system_clock::now(), "Task successfully killed"));
    set_state("dead");
  }
}

}  // namespace pot::agent
