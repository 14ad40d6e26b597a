#include "agent/client/alloc_runner.h"

#include <csignal>
#include <cstring>

#include "agent/client/service_registration.h"

#include "agent/client/task_config.h"
#include "agent/client/task_env.h"
#include "agent/client/task_state.h"
#include "core/error.h"

namespace pot::agent {

namespace {

using std::chrono::steady_clock;
using std::chrono::system_clock;

int signal_number(const std::string& name, int fallback) {
  if (name.empty()) return fallback;
  std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && bare == abbrev) return sig;
  }
  return fallback;
}

int64_t json_int(const Json& object, const char* key, int64_t fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return fallback;
  return it->get<int64_t>();
}

RestartPolicy restart_policy(const Json& policy) {
  if (!policy.is_object()) return RestartPolicy{};
  RestartPolicy defaults;
  return RestartPolicy::from_json_fields(
      json_int(policy, "Attempts", defaults.attempts),
      json_int(policy, "Interval", defaults.interval.count()),
      json_int(policy, "Delay", defaults.delay.count()),
      policy.value("Mode", Json("fail")).is_string() ? policy.value("Mode", "fail") : "fail");
}

// The group network's `dns` block: the pot's resolv.conf (e.g. potd's own DNS on the
// pots' gateway, so `.consul` names resolve inside).
std::optional<driver::DnsConfig> group_dns(const Json& group) {
  const Json networks = group.value("Networks", Json());
  if (!networks.is_array() || networks.empty() || !networks[0].is_object()) return std::nullopt;
  const Json dns = networks[0].value("DNS", Json());
  if (!dns.is_object()) return std::nullopt;
  driver::DnsConfig config;
  auto strings = [&](const char* key, std::vector<std::string>& out) {
    const Json values = dns.value(key, Json());
    if (values.is_array())
      for (const auto& value : values)
        if (value.is_string()) out.push_back(value.get<std::string>());
  };
  strings("Servers", config.servers);
  strings("Searches", config.searches);
  strings("Options", config.options);
  if (config.servers.empty()) return std::nullopt;
  return config;
}

}  // namespace

struct AllocRunner::Task {
  std::string name;
  std::string hook;  // "", prestart, poststart, poststop
  bool sidecar = false;
  bool leader = false;
  std::unique_ptr<TaskRunner> runner;
  bool started = false;
  bool main() const { return hook.empty(); }
};

AllocRunner::AllocRunner(AllocRunnerConfig config, Json alloc, Json job,
                         std::map<std::string, driver::TaskHandle> handles,
                         AllocRunnerListener listener)
    : config_(std::move(config)),
      alloc_id_(alloc.value("ID", "")),
      alloc_(std::move(alloc)),
      job_(std::move(job)),
      alloc_dir_(config_.allocs_root, alloc_id_),
      listener_(std::move(listener)),
      handles_(std::move(handles)) {
  job_type_ = job_.value("Type", "service");
  std::string group_name = alloc_.value("TaskGroup", "");
  if (job_.value("TaskGroups", Json()).is_array())
    for (const auto& group : job_["TaskGroups"])
      if (group.value("Name", "") == group_name) group_ = group;
  if (!group_.is_object())
    throw Error("allocation " + alloc_id_ + ": its job has no group " + quote_name(group_name));

  const Json update = group_.value("Update", Json());
  if (alloc_.value("DeploymentID", Json()).is_string() &&
      !alloc_["DeploymentID"].get<std::string>().empty() && update.is_object()) {
    tracks_health_ = true;
    min_healthy_time_ =
        std::chrono::nanoseconds(json_int(update, "MinHealthyTime", 10'000'000'000));
    healthy_deadline_ = steady_clock::now() + std::chrono::nanoseconds(json_int(
                                                  update, "HealthyDeadline", 300'000'000'000));
    // health_check "checks" (the default) waits for the service checks too, when there are
    // any; "task_states" only for the tasks.
    health_uses_checks_ =
        update.value("HealthCheck", Json("checks")) == "checks" && group_has_checks(group_);
    const Json status = alloc_.value("DeploymentStatus", Json());
    if (status.is_object() && status.value("Healthy", Json()).is_boolean()) {
      healthy_ = status["Healthy"].get<bool>();
      health_timestamp_ = status.value("Timestamp", "");
    }
  }
  last_client_status_ = alloc_.value("ClientStatus", "pending");
  // Restarts before a restore do not make the allocation unhealthy again.
  const Json states = alloc_.value("TaskStates", Json::object());
  if (states.is_object())
    for (const auto& [name, state] : states.items()) restarts_seen_ += state.value("Restarts", 0);
}

AllocRunner::~AllocRunner() {
  if (config_.catalog && catalog_subscription_) config_.catalog->unsubscribe(catalog_subscription_);
  detach();
  if (coordinator_.joinable()) coordinator_.join();
  tasks_.clear();  // each runner detaches and joins
}

void AllocRunner::detach() {
  {
    std::lock_guard lock(mutex_);
    detach_requested_ = true;
  }
  changed_.notify_all();
  std::lock_guard lock(mutex_);
  for (auto& task : tasks_)
    if (task->runner) task->runner->detach();
}

std::vector<std::string> AllocRunner::task_names() const {
  std::vector<std::string> names;
  std::lock_guard lock(mutex_);
  for (const auto& task : tasks_) names.push_back(task->name);
  return names;
}

void AllocRunner::start() {
  std::vector<std::string> names;
  for (const auto& task : group_.value("Tasks", Json::array()))
    names.push_back(task.value("Name", ""));
  alloc_dir_.build(names);

  const Json stored_states = alloc_.value("TaskStates", Json::object());
  std::string group_name = group_.value("Name", "");
  for (const auto& task : group_.value("Tasks", Json::array())) {
    auto entry = std::make_unique<Task>();
    entry->name = task.value("Name", "");
    const Json lifecycle = task.value("Lifecycle", Json());
    if (lifecycle.is_object()) {
      entry->hook = lifecycle.value("Hook", "");
      entry->sidecar = lifecycle.value("Sidecar", false);
    }
    entry->leader = task.value("Leader", false);

    TaskRunnerSpec spec;
    spec.alloc_id = alloc_id_;
    spec.task_name = entry->name;
    spec.job_type = job_type_;
    spec.lifecycle_hook = entry->hook;
    spec.sidecar = entry->sidecar;
    spec.leader = entry->leader;
    spec.gate = config_.gate;
    spec.restart =
        restart_policy(task.contains("RestartPolicy") && task["RestartPolicy"].is_object()
                           ? task["RestartPolicy"]
                           : group_.value("RestartPolicy", Json()));
    spec.kill_signal = signal_number(
        task.value("KillSignal", Json("")).is_string() ? task.value("KillSignal", "") : "", SIGINT);
    spec.kill_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::nanoseconds(json_int(task, "KillTimeout", 5'000'000'000)));

    driver::TaskRequest& request = spec.request;
    request.name = entry->name;
    request.alloc_id = alloc_id_;
    request.job_name = job_.value("Name", job_.value("ID", ""));
    request.group_name = group_name;
    request.namespace_name = alloc_.value("Namespace", "default");
    request.user = task.value("User", Json("")).is_string() ? task.value("User", "") : "";
    request.alloc_dir = alloc_dir_.path().string();
    request.stdout_path = alloc_dir_.log_prefix(entry->name, "stdout").string();
    request.stderr_path = alloc_dir_.log_prefix(entry->name, "stderr").string();
    driver::LogRotationRequest rotation;
    const Json logs = task.value("LogConfig", Json());
    rotation.max_files = static_cast<int>(json_int(logs, "MaxFiles", 10));
    rotation.max_file_size_mb = json_int(logs, "MaxFileSizeMB", 10);
    request.log_rotation = rotation;
    const Json resources = task.value("Resources", Json::object());
    request.resources.cpu_shares = json_int(resources, "CPU", 100);
    request.resources.memory_mb = json_int(resources, "MemoryMB", 300);
    request.resources.memory_max_mb = json_int(resources, "MemoryMaxMB", 0);
    request.resources.ports = task_ports(alloc_, entry->name);
    request.env = task_environment(alloc_, job_, group_name, task, config_.node);
    request.config = task_driver_config(entry->name, task.value("Config", Json()));
    request.dns = group_dns(group_);

    Json state =
        stored_states.contains(entry->name) ? stored_states[entry->name] : new_task_state();
    std::optional<driver::TaskHandle> handle;
    if (auto it = handles_.find(entry->name); it != handles_.end()) handle = it->second;
    TaskRunnerListener listener;
    listener.state_changed = [this](const std::string&, const Json&) { task_state_changed(); };
    listener.handle_changed = [this](const std::string& task_name,
                                     const std::optional<driver::TaskHandle>& task_handle) {
      if (listener_.handle_changed) listener_.handle_changed(alloc_id_, task_name, task_handle);
      task_state_changed();
    };
    entry->runner =
        std::make_unique<TaskRunner>(*config_.driver, std::move(spec), std::move(state),
                                     std::move(handle), std::move(listener), config_.jitter);
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(entry));
  }
  if (config_.catalog)
    catalog_subscription_ = config_.catalog->subscribe([this](const CatalogEvent& event) {
      if (event.kind == CatalogEvent::Kind::kCheckResult) on_check_result(event);
    });
  coordinator_ = std::thread([this] { coordinate(); });
}

AllocRunner::Task* AllocRunner::find_task(const std::string& name) {
  for (auto& task : tasks_)
    if (task->name == name) return task.get();
  return nullptr;
}

void AllocRunner::task_state_changed() {
  changed_.notify_all();
  report();
}

void AllocRunner::stop(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (stop_requested_) return;
    stop_requested_ = true;
    (void)reason;
  }
  changed_.notify_all();
}

void AllocRunner::restart_tasks(const std::string& task, bool all_tasks) {
  std::lock_guard lock(mutex_);
  bool found = task.empty();
  for (auto& entry : tasks_) {
    if (!task.empty() && entry->name != task) continue;
    found = true;
    if (!entry->started) continue;
    if (task.empty() && !all_tasks && entry->runner->dead()) continue;
    entry->runner->restart_by_user();
  }
  if (!found) throw Error("task " + quote_name(task) + " is not in allocation " + alloc_id_);
}

void AllocRunner::signal(const std::string& task, int sig) {
  std::vector<TaskRunner*> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto& entry : tasks_) {
      if (!task.empty() && entry->name != task) continue;
      if (entry->runner->running()) targets.push_back(entry->runner.get());
    }
  }
  // Outside our lock: a signal records an event, which reports back here.
  for (TaskRunner* runner : targets) runner->signal(sig);
  if (targets.empty())
    throw Error(task.empty() ? "allocation " + alloc_id_ + " has no running task"
                             : "task " + quote_name(task) + " is not running");
}

driver::ExecResult AllocRunner::exec(const std::string& task,
                                     const std::vector<std::string>& argv) {
  TaskRunner* runner = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (auto& entry : tasks_)
      if (entry->name == task || (task.empty() && tasks_.size() == 1)) runner = entry->runner.get();
  }
  if (!runner) throw Error("task " + quote_name(task) + " is not in allocation " + alloc_id_);
  return runner->exec(argv, std::chrono::minutes(5));
}

std::string AllocRunner::pot_name(const std::string& task) const {
  std::lock_guard lock(mutex_);
  for (const auto& entry : tasks_)
    if (entry->name == task) return entry->runner->pot_name();
  return "";
}

bool AllocRunner::terminal() const {
  std::lock_guard lock(mutex_);
  return last_client_status_ == "complete" || last_client_status_ == "failed" ||
         last_client_status_ == "lost";
}

void AllocRunner::kill_tasks(const std::vector<Task*>& tasks, const Json& event) {
  for (Task* task : tasks)
    if (!task->runner->dead()) task->runner->kill(event);
}

// The order of the lifecycle, re-evaluated after every change of a task.
void AllocRunner::coordinate() {
  auto all = [&](auto predicate, auto filter) {
    for (auto& task : tasks_)
      if (filter(*task) && !predicate(*task)) return false;
    return true;
  };
  auto any = [&](auto predicate, auto filter) {
    for (auto& task : tasks_)
      if (filter(*task) && predicate(*task)) return true;
    return false;
  };
  auto is_main = [](const Task& t) { return t.main(); };
  auto is_prestart_once = [](const Task& t) { return t.hook == "prestart" && !t.sidecar; };
  auto is_prestart = [](const Task& t) { return t.hook == "prestart"; };
  auto is_poststart = [](const Task& t) { return t.hook == "poststart"; };
  auto is_poststop = [](const Task& t) { return t.hook == "poststop"; };
  auto is_dead = [](const Task& t) { return t.runner->dead(); };
  auto is_running = [](const Task& t) { return t.runner->running(); };
  auto failed = [](const Task& t) {
    return t.runner->dead() && t.runner->state().value("Failed", false);
  };
  auto start = [&](Task& t) {
    if (t.started) return;
    t.started = true;
    t.runner->start();
  };

  // Restored tasks that were running or had ended are watched again at once.
  {
    std::lock_guard lock(mutex_);
    for (auto& task : tasks_) {
      std::string state = task->runner->state().value("State", "pending");
      if (state != "pending" || !task->runner->pot_name().empty()) start(*task);
    }
  }
  bool killed_all = false;
  bool poststop_started = false;
  std::unique_lock lock(mutex_);
  while (!detach_requested_) {
    bool main_all_dead = all(is_dead, is_main);
    bool stopping = stop_requested_ || failed_;
    if (!stopping) {
      // A failed task (main or prestart) fails the allocation: its siblings are killed.
      for (auto& task : tasks_) {
        if (failed(*task) && !task->hook.empty() && task->hook != "prestart") continue;
        if (failed(*task)) {
          failed_ = true;
          Json event = make_task_event(task_event::kSiblingFailed, system_clock::now(),
                                       "Task's sibling \"" + task->name + "\" failed");
          event["FailedSibling"] = task->name;
          std::vector<Task*> others;
          for (auto& other : tasks_)
            if (other.get() != task.get() && !is_poststop(*other)) others.push_back(other.get());
          drain_services(lock);
          lock.unlock();
          kill_tasks(others, event);
          lock.lock();
          break;
        }
      }
      // A leader's end ends the others.
      if (!failed_)
        for (auto& task : tasks_)
          if (task->leader && is_dead(*task) && !main_all_dead) {
            Json event = make_task_event(task_event::kLeaderDead, system_clock::now(),
                                         "Leader Task in Group dead");
            std::vector<Task*> others;
            for (auto& other : tasks_)
              if (other.get() != task.get() && !is_poststop(*other)) others.push_back(other.get());
            drain_services(lock);
            lock.unlock();
            kill_tasks(others, event);
            lock.lock();
          }
      stopping = stop_requested_ || failed_;
    }
    if (stopping && !killed_all) {
      killed_all = true;
      drain_services(lock);
      if (detach_requested_) break;
      std::vector<Task*> victims;
      for (auto& task : tasks_)
        if (!is_poststop(*task)) victims.push_back(task.get());
      Json event;  // the Killing event records itself
      lock.unlock();
      kill_tasks(victims, event);
      lock.lock();
    }
    if (!stopping) {
      for (auto& task : tasks_)
        if (is_prestart(*task)) start(*task);
      bool prestart_done =
          all([&](const Task& t) { return is_dead(t) && !failed(t); }, is_prestart_once);
      if (prestart_done)
        for (auto& task : tasks_)
          if (is_main(*task)) start(*task);
      if (prestart_done && any(is_running, is_main))
        for (auto& task : tasks_)
          if (is_poststart(*task)) start(*task);
      // The main tasks are all done: sidecars end, poststop tasks run.
      if (main_all_dead && any([](const Task& t) { return t.started; }, is_main)) {
        std::vector<Task*> sidecars;
        for (auto& task : tasks_)
          if (task->sidecar && !is_dead(*task)) sidecars.push_back(task.get());
        if (!sidecars.empty()) {
          lock.unlock();
          kill_tasks(sidecars, Json());
          lock.lock();
        }
      }
    }
    bool others_dead = all(is_dead, [&](const Task& t) { return !is_poststop(t); });
    // A task that never started is not waited for once we stop.
    if (stopping)
      others_dead = all([](const Task& t) { return !t.started || t.runner->dead(); },
                        [&](const Task& t) { return !is_poststop(t); });
    if (others_dead && !poststop_started) {
      poststop_started = true;
      for (auto& task : tasks_)
        if (is_poststop(*task)) start(*task);
    }
    lock.unlock();
    sync_services(stopping || services_drained_);
    lock.lock();
    update_health_locked();
    bool finished =
        poststop_started && all([](const Task& t) { return !t.started || t.runner->dead(); },
                                [](const Task&) { return true; });
    lock.unlock();
    report();
    lock.lock();
    if (finished) break;
    changed_.wait_for(lock, std::chrono::milliseconds(tracks_health_ && !healthy_ ? 100 : 1000));
  }
}

void AllocRunner::update_health_locked() {
  if (!tracks_health_ || healthy_.has_value()) return;
  auto now = steady_clock::now();
  int restarts = 0;
  bool all_running_long_enough = true;
  bool any_main = false;
  bool any_failed = false;
  for (auto& task : tasks_) {
    Json state = task->runner->state();
    restarts += state.value("Restarts", 0);
    if (state.value("Failed", false)) any_failed = true;
    if (!task->main()) continue;
    any_main = true;
    auto since = task->runner->running_since();
    if (!since || now - *since < min_healthy_time_) all_running_long_enough = false;
  }
  bool checks_long_enough = true;
  if (health_uses_checks_) {
    if (!checks_passing_locked())
      checks_passing_since_.reset();
    else if (!checks_passing_since_)
      checks_passing_since_ = now;
    checks_long_enough = checks_passing_since_ && now - *checks_passing_since_ >= min_healthy_time_;
  }
  if (any_failed || restarts > restarts_seen_ || failed_) {
    healthy_ = false;
  } else if (any_main && all_running_long_enough && checks_long_enough) {
    healthy_ = true;
  } else if (now > healthy_deadline_) {
    healthy_ = false;
  }
  if (healthy_) health_timestamp_ = go_time(system_clock::now());
}

// Clients stop being sent here before tasks are killed: the instances leave the catalog for
// good, then the running tasks get shutdown_delay. Called with `lock` held.
void AllocRunner::drain_services(std::unique_lock<std::mutex>& lock) {
  if (services_drained_) return;
  services_drained_ = true;
  lock.unlock();
  sync_services(true);
  lock.lock();
  bool any_running = false;
  for (const auto& task : tasks_)
    if (task->runner->running()) any_running = true;
  auto delay = shutdown_delay(group_);
  if (delay.count() > 0 && any_running)
    changed_.wait_for(lock, delay, [&] { return detach_requested_; });
}

// Every check of the allocation's instances passes, and every service that has checks is
// registered (a task still starting has none yet).
bool AllocRunner::checks_passing_locked() const {
  if (!config_.catalog) return true;
  size_t expected = 0;
  for (const auto& task : group_.value("Tasks", Json::array())) {
    // Only main tasks' services count: a lifecycle hook's run while the main tasks do not.
    const Json lifecycle = task.value("Lifecycle", Json());
    if (lifecycle.is_object() && !lifecycle.value("Hook", Json("")).get<std::string>().empty())
      continue;
    const Json services = task.value("Services", Json());
    if (services.is_array() && !services.empty()) ++expected;
  }
  const Json group_services = group_.value("Services", Json());
  if (group_services.is_array() && !group_services.empty()) ++expected;
  size_t owners = 0;
  size_t checks = 0;
  for (const auto& instance : config_.catalog->instances_of_alloc(alloc_id_)) {
    for (const auto& check : config_.catalog->checks_of(instance.id)) {
      ++checks;
      if (check.status != CheckStatus::kPassing) return false;
    }
  }
  {
    std::lock_guard lock(services_mutex_);
    for (const auto& [owner, entry] : registered_)
      if (!entry.instance_ids.empty()) ++owners;
  }
  return checks > 0 && owners >= expected;
}

void AllocRunner::deregister_services(const std::string& owner) {
  Registered gone;
  {
    std::lock_guard lock(services_mutex_);
    auto it = registered_.find(owner);
    if (it == registered_.end()) return;
    gone = std::move(it->second);
    registered_.erase(it);
    for (auto check = check_task_.begin(); check != check_task_.end();) {
      if (check->second.owner == owner) {
        check_restart_.forget(check->first);
        check = check_task_.erase(check);
      } else {
        ++check;
      }
    }
  }
  for (const auto& id : gone.instance_ids) config_.catalog->deregister_instance(id);
}

// Called by the coordinator without our lock: the catalog's observers lock it.
void AllocRunner::sync_services(bool stopping) {
  if (!config_.catalog) return;
  struct Wanted {
    std::string owner;
    const TaskRunner* runner = nullptr;
    bool running = false;
    std::string pot;
  };
  std::vector<Wanted> wanted;
  bool any_main_running = false;
  std::string first_pot;
  {
    std::lock_guard lock(mutex_);
    for (const auto& task : tasks_) {
      bool running = task->started && task->runner->running();
      std::string pot = running ? task->runner->pot_name() : "";
      if (task->main() && running) {
        any_main_running = true;
        if (first_pot.empty()) first_pot = pot;
      }
      wanted.push_back({task->name, task->runner.get(), running && !stopping, pot});
    }
  }
  wanted.push_back({"", nullptr, any_main_running && !stopping, first_pot});

  for (const auto& want : wanted) {
    std::string registered_pot;
    bool registered = false;
    {
      std::lock_guard lock(services_mutex_);
      auto it = registered_.find(want.owner);
      registered = it != registered_.end();
      if (registered) registered_pot = it->second.pot;
    }
    if (registered && (!want.running || registered_pot != want.pot)) {
      deregister_services(want.owner);
      registered = false;
    }
    if (registered || !want.running) continue;

    ServiceContext context{alloc_,
                           job_,
                           group_,
                           config_.node,
                           config_.catalog->node().address,
                           want.runner ? want.runner->pot_address() : ""};
    std::vector<ServiceRegistration> registrations;
    try {
      if (want.runner) {
        for (const auto& task : group_.value("Tasks", Json::array()))
          if (task.value("Name", "") == want.owner)
            registrations = task_service_registrations(context, task);
      } else {
        registrations = group_service_registrations(context);
      }
    } catch (const std::exception&) {
      registrations.clear();  // a service that cannot be described is not registered
    }
    Registered entry;
    entry.pot = want.pot;
    {
      std::lock_guard lock(services_mutex_);
      auto now = steady_clock::now();
      for (const auto& registration : registrations) {
        entry.instance_ids.push_back(registration.instance.id);
        for (const auto& check : registration.checks) {
          std::string task = want.owner.empty() ? check.task : want.owner;
          check_task_[check.id] = CheckOwner{want.owner, task};
          check_restart_.watch(check, now);
        }
      }
      registered_[want.owner] = entry;
    }
    for (auto& registration : registrations)
      config_.catalog->register_instance(std::move(registration.instance),
                                         std::move(registration.checks));
  }
}

// A check's result, from the catalog's observer: check_restart may restart its task.
void AllocRunner::on_check_result(const CatalogEvent& event) {
  std::string task;
  std::optional<std::string> reason;
  {
    std::lock_guard lock(services_mutex_);
    auto it = check_task_.find(event.check_id);
    if (it == check_task_.end()) return;
    task = it->second.task;
    reason = check_restart_.on_result(event.check_id, event.status, steady_clock::now());
  }
  if (!reason) return;
  std::lock_guard lock(mutex_);
  if (Task* entry = find_task(task)) entry->runner->restart_for_check(*reason);
}

std::string AllocRunner::client_status_locked(std::string* description) const {
  bool any_running = false, any_pending = false, all_dead = true, any_failed = false;
  for (const auto& task : tasks_) {
    Json state = task->runner->state();
    std::string s = state.value("State", "pending");
    if (s == "running") any_running = true;
    if (s == "pending") any_pending = true;
    if (s != "dead" && (task->started || !stop_requested_)) all_dead = false;
    if (s == "dead" && state.value("Failed", false)) any_failed = true;
  }
  if (all_dead) {
    if (any_failed || failed_) {
      *description = "Failed tasks";
      return "failed";
    }
    *description = "All tasks have completed";
    return "complete";
  }
  if (any_running) {
    *description = "Tasks are running";
    return "running";
  }
  (void)any_pending;
  *description = "No tasks have started";
  return "pending";
}

void AllocRunner::report() {
  if (!listener_.changed) return;
  AllocClientUpdate update;
  update.alloc_id = alloc_id_;
  Json states = Json::object();
  Json pots = Json::object();
  std::string description;
  {
    std::lock_guard lock(mutex_);
    for (const auto& task : tasks_) {
      states[task->name] = task->runner->state();
      std::string pot = task->runner->pot_name();
      if (!pot.empty()) pots[task->name] = pot;
    }
    std::string status = client_status_locked(&description);
    last_client_status_ = status;
    update.fields["ClientStatus"] = status;
    update.fields["ClientDescription"] = description;
    if (tracks_health_ && healthy_.has_value()) {
      Json health = Json::object();
      health["Healthy"] = *healthy_;
      health["Timestamp"] = health_timestamp_;
      health["Canary"] = false;
      health["ModifyIndex"] = 0;
      update.fields["DeploymentStatus"] = health;
    }
  }
  update.fields["TaskStates"] = std::move(states);
  update.fields["PotNames"] = std::move(pots);
  {
    // The coordinator reports on every pass: only a change is worth a write.
    std::lock_guard lock(report_mutex_);
    if (update.fields == last_report_) return;
    last_report_ = update.fields;
  }
  listener_.changed(update);
}

}  // namespace pot::agent
