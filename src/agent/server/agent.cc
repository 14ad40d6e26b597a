// The agent's life (start, restore, shutdown) and the requests of the API that change jobs.
#include "agent/server/agent.h"

#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <random>

#include "agent/scheduler/scheduler.h"
#include "agent/server/agent_token.h"
#include "agent/server/ids.h"
#include "agent/server/job_records.h"
#include "core/error.h"
#include "core/unique_fd.h"
#include "driver/pot_command.h"
#include "jobspec/jobspec.h"

namespace pot::agent {

std::string task_handle_key(const std::string& alloc_id, const std::string& task) {
  return "task_handle/" + alloc_id + "/" + task;
}

Agent::Agent(AgentOptions options) : options_(std::move(options)) {}

Agent::~Agent() {
  shutdown();
}

int64_t Agent::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Agent::start() {
  // Every runner thread would get a malloc arena of its own, and a thousand short tasks
  // leave a thousand arenas' worth of memory behind: a few arenas are plenty here.
  mallopt(M_ARENA_MAX, 2);
  std::filesystem::create_directories(options_.data_dir);
  std::filesystem::permissions(options_.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  std::filesystem::create_directories(options_.data_dir / "allocs");
  state_ = StateStore::open(options_.data_dir / "state.db");
  token_ = options_.require_token ? load_or_create_token(options_.data_dir / "agent.token") : "";

  node_ = fingerprint_node(options_.node);
  if (auto id = state_->meta("node_id")) {
    node_.id = *id;
  } else {
    node_.id = new_uuid();
    node_index_ = state_->write([&](StateWriter& w) { w.put_meta("node_id", node_.id); });
  }
  if (auto index = state_->meta("node_index"))
    node_index_ = std::stoull(*index);
  else
    state_->write([&](StateWriter& w) { w.put_meta("node_index", std::to_string(node_index_)); });

  CatalogNode catalog_node;
  catalog_node.id = node_.id;
  catalog_node.name = node_.name;
  catalog_node.datacenter = node_.datacenter;
  catalog_node.address = options_.advertise_address;
  catalog_ = std::make_unique<ServiceCatalog>(catalog_node);

  driver::DriverOptions driver_options;
  driver_options.settings = options_.settings;
  driver_options.pot_path =
      options_.pot_path.empty() ? driver::default_pot_path() : options_.pot_path;
  driver_options.pot_env = options_.pot_env;
  driver_options.host_paths = driver::HostPathPolicy::parse(options_.host_paths);
  driver_ = std::make_unique<driver::TaskDriver>(std::move(driver_options));
  start_gate_ = std::make_unique<StartGate>(options_.parallel_starts);

  CheckSchedulerOptions check_options;
  check_options.script_argv = [this](const CheckDefinition& check) {
    return script_check_argv(check);
  };
  checks_ = std::make_unique<CheckScheduler>(*catalog_, std::move(check_options));
  checks_->start();

  restore();
  workers_.emplace_back([this] { eval_worker(); });
  workers_.emplace_back([this] { update_worker(); });
  workers_.emplace_back([this] { timer_worker(); });
  workers_.emplace_back([this] { gc_worker(); });
}

void Agent::shutdown() {
  if (stopping_.exchange(true)) return;
  queue_changed_.notify_all();
  updates_changed_.notify_all();
  // Script checks' children are killed; blocking queries on the catalog return.
  if (checks_) checks_->stop();
  if (catalog_) catalog_->wake_all();
  {
    // Runners detach: their tasks keep running.
    std::map<std::string, std::unique_ptr<AllocRunner>> runners;
    {
      std::lock_guard lock(runners_mutex_);
      runners.swap(runners_);
    }
    for (auto& [id, runner] : runners) runner->detach();
    runners.clear();
  }
  for (auto& worker : workers_)
    if (worker.joinable()) worker.join();
  workers_.clear();
  if (state_) flush_updates();
  driver_.reset();
}

// ---------------------------------------------------------------------------------------
// Jobs

Json Agent::new_evaluation(const Json& job, const std::string& namespace_name,
                           const std::string& job_id, const std::string& triggered_by) {
  Json eval = Json::object();
  eval["ID"] = new_uuid();
  eval["Namespace"] = namespace_name;
  eval["Priority"] = job.is_object() ? job.value("Priority", 50) : 50;
  eval["Type"] = job.is_object() ? job.value("Type", "service") : "service";
  eval["TriggeredBy"] = triggered_by;
  eval["JobID"] = job_id;
  eval["JobModifyIndex"] = job.is_object() ? job.value("JobModifyIndex", 0) : 0;
  eval["NodeID"] = "";
  eval["Status"] = "pending";
  eval["StatusDescription"] = "";
  eval["NextEval"] = "";
  eval["PreviousEval"] = "";
  eval["BlockedEval"] = "";
  eval["DeploymentID"] = "";
  eval["FailedTGAllocs"] = nullptr;
  eval["QueuedAllocations"] = nullptr;
  eval["CreateTime"] = now_ns();
  eval["ModifyTime"] = now_ns();
  return eval;
}

RegisterResult Agent::register_job(const Json& submitted, const RegisterOptions& options) {
  if (!submitted.is_object()) throw ApiError(400, "job must be a JSON object");
  Json job = submitted;
  strip_server_fields(job);
  try {
    jobspec::canonicalize(job);
  } catch (const std::exception& e) {
    throw ApiError(400, std::string("job: ") + e.what());
  }
  std::vector<std::string> errors = jobspec::validate(job);
  if (!errors.empty()) {
    std::string message = "Job validation failed: " + std::to_string(errors.size()) +
                          (errors.size() == 1 ? " error occurred:" : " errors occurred:");
    for (const auto& e : errors) message += "\n\t* " + e;
    throw ApiError(400, message);
  }
  std::vector<std::string> unsupported = unsupported_features(job);
  if (!unsupported.empty()) {
    std::string message = "potd cannot run this job:";
    for (const auto& m : unsupported) message += "\n\t* " + m;
    throw ApiError(400, message);
  }
  std::lock_guard lock(write_mutex_);
  return register_locked(std::move(job), options, "job-register");
}

RegisterResult Agent::register_locked(Json job, const RegisterOptions& options,
                                      const std::string& triggered_by) {
  std::string ns = job.value("Namespace", "default");
  std::string id = job.value("ID", "");
  if (id.empty()) throw ApiError(400, "job has no ID");
  std::optional<Json> stored = state_->job(ns, id);
  if (options.enforce_index) {
    uint64_t current = stored ? stored->value("JobModifyIndex", uint64_t{0}) : 0;
    if (current != options.job_modify_index) {
      if (options.job_modify_index == 0)
        throw ApiError(400, "Enforcing job modify index 0: job already exists");
      throw ApiError(
          400, "Enforcing job modify index " + std::to_string(options.job_modify_index) +
                   ": job exists with conflicting job modify index: " + std::to_string(current));
    }
  }
  if (options.preserve_counts && stored && stored->value("TaskGroups", Json()).is_array()) {
    for (auto& group : job["TaskGroups"])
      for (const auto& old : (*stored)["TaskGroups"])
        if (old.value("Name", "") == group.value("Name", ""))
          group["Count"] = old.value("Count", 1);
  }
  bool changed = !stored || job_spec_changed(*stored, job);
  RegisterResult result;
  Json eval;
  // Reads before the write: the store serves one caller at a time.
  std::vector<Json> allocs = state_->job_allocations(ns, id);
  uint64_t index = state_->write([&](StateWriter& w) {
    if (changed) {
      job["Version"] = stored ? stored->value("Version", uint64_t{0}) + 1 : 0;
      job["JobModifyIndex"] = w.index();
      job["Stable"] = false;
      job["SubmitTime"] = now_ns();
      if (stored) job["CreateIndex"] = stored->value("CreateIndex", w.index());
    } else {
      job = *stored;
    }
    job["Stop"] = false;
    job["Status"] = job_status(job, allocs);
    job["StatusDescription"] = "";
    w.put_job(job);
    eval = new_evaluation(job, ns, id, triggered_by);
    eval["JobModifyIndex"] = job.value("JobModifyIndex", w.index());
    w.put_evaluation(eval);
    Json job_payload = Json::object();
    job_payload["Job"] = job;
    w.add_event(StateEvent{"Job", "JobRegistered", id, ns, 0, job_payload});
    Json eval_payload = Json::object();
    eval_payload["Evaluation"] = eval;
    w.add_event(StateEvent{"Evaluation", "EvaluationUpdated", eval["ID"], ns, 0, eval_payload});
  });
  result.eval_id = eval["ID"];
  result.eval_create_index = index;
  result.job_modify_index = job.value("JobModifyIndex", index);
  result.index = index;
  enqueue(result.eval_id);
  return result;
}

DeregisterResult Agent::deregister_job(const std::string& ns, const std::string& job_id,
                                       bool purge) {
  std::lock_guard lock(write_mutex_);
  std::optional<Json> stored = state_->job(ns, job_id);
  if (!stored) throw ApiError(404, "job not found");
  Json job = *stored;
  Json eval;
  uint64_t index = state_->write([&](StateWriter& w) {
    if (purge) {
      w.delete_job(ns, job_id);
      Json payload = Json::object();
      payload["Job"] = job;
      w.add_event(StateEvent{"Job", "JobDeregistered", job_id, ns, 0, payload});
    } else {
      job["Stop"] = true;
      job["JobModifyIndex"] = w.index();
      w.put_job(job);
      Json payload = Json::object();
      payload["Job"] = job;
      w.add_event(StateEvent{"Job", "JobDeregistered", job_id, ns, 0, payload});
    }
    eval = new_evaluation(job, ns, job_id, "job-deregister");
    eval["JobModifyIndex"] = w.index();
    w.put_evaluation(eval);
    Json payload = Json::object();
    payload["Evaluation"] = eval;
    w.add_event(StateEvent{"Evaluation", "EvaluationUpdated", eval["ID"], ns, 0, payload});
  });
  enqueue(eval["ID"]);
  DeregisterResult result;
  result.eval_id = eval["ID"];
  result.eval_create_index = index;
  result.job_modify_index = index;
  result.index = index;
  return result;
}

RegisterResult Agent::revert_job(const std::string& ns, const std::string& job_id, uint64_t version,
                                 std::optional<uint64_t> enforce_prior_version) {
  std::lock_guard lock(write_mutex_);
  std::optional<Json> current = state_->job(ns, job_id);
  if (!current) throw ApiError(404, "job not found");
  uint64_t current_version = current->value("Version", uint64_t{0});
  if (enforce_prior_version && *enforce_prior_version != current_version)
    throw ApiError(400, "Current job has version " + std::to_string(current_version) +
                            "; enforcing version " + std::to_string(*enforce_prior_version));
  if (version == current_version)
    throw ApiError(400, "can't revert to current version " + std::to_string(version));
  std::optional<Json> old = state_->job_version(ns, job_id, version);
  if (!old) throw ApiError(400, "job " + job_id + " has no version " + std::to_string(version));
  Json job = *old;
  strip_server_fields(job);
  job["Stop"] = false;
  return register_locked(std::move(job), RegisterOptions{}, "job-register");
}

RegisterResult Agent::scale_job(const std::string& ns, const std::string& job_id,
                                const std::string& group, int64_t count, const std::string&) {
  if (count < 0) throw ApiError(400, "scaling action count can't be negative");
  std::lock_guard lock(write_mutex_);
  std::optional<Json> current = state_->job(ns, job_id);
  if (!current) throw ApiError(404, "job not found");
  Json job = *current;
  bool found = false;
  for (auto& tg : job["TaskGroups"])
    if (tg.value("Name", "") == group) {
      tg["Count"] = count;
      found = true;
    }
  if (!found) throw ApiError(400, "job does not contain task group " + quote_name(group));
  strip_server_fields(job);
  return register_locked(std::move(job), RegisterOptions{}, "job-scaling");
}

Json Agent::plan_job(const Json& submitted, bool diff) {
  if (!submitted.is_object()) throw ApiError(400, "job must be a JSON object");
  Json job = submitted;
  strip_server_fields(job);
  jobspec::canonicalize(job);
  std::vector<std::string> errors = jobspec::validate(job);
  if (!errors.empty()) throw ApiError(400, "Job validation failed: " + errors.front());
  std::vector<std::string> unsupported = unsupported_features(job);
  if (!unsupported.empty()) {
    std::string message = "potd cannot run this job:";
    for (const auto& m : unsupported) message += "\n\t* " + m;
    throw ApiError(400, message);
  }
  std::string ns = job.value("Namespace", "default");
  std::string id = job.value("ID", "");
  std::optional<Json> stored = state_->job(ns, id);
  bool changed = !stored || job_spec_changed(*stored, job);
  job["Version"] = stored ? stored->value("Version", uint64_t{0}) + (changed ? 1 : 0) : 0;
  job["Stop"] = false;

  PlanRequest request;
  request.job = job;
  request.namespace_name = ns;
  request.job_id = id;
  request.job_allocations = state_->job_allocations(ns, id);
  for (const auto& alloc : state_->allocations())
    if (!alloc_terminal(alloc)) request.node_allocations.push_back(alloc);
  for (const auto& alloc : request.job_allocations) {
    uint64_t v = alloc.value("JobVersion", uint64_t{0});
    if (!request.job_versions.count(v))
      if (auto version = state_->job_version(ns, id, v)) request.job_versions[v] = *version;
  }
  request.node = node_;
  request.eval_id = "";
  request.now_ns = now_ns();
  int counter = 0;
  request.new_id = [&counter] { return "plan-" + std::to_string(counter++); };
  Plan plan = pot::agent::plan(request);

  Json out = Json::object();
  Json annotations = Json::object();
  annotations["DesiredTGUpdates"] = plan.desired_tg_updates;
  annotations["PreemptedAllocs"] = nullptr;
  out["Annotations"] = annotations;
  Json failed = Json::object();
  for (const auto& [group, metric] : plan.failed_tg_allocs) failed[group] = metric;
  out["FailedTGAllocs"] = plan.failed_tg_allocs.empty() ? Json(nullptr) : failed;
  out["JobModifyIndex"] = stored ? stored->value("JobModifyIndex", uint64_t{0}) : 0;
  out["CreatedEvals"] = nullptr;
  Json job_diff = Json::object();
  job_diff["Type"] = !stored ? "Added" : (changed ? "Edited" : "None");
  job_diff["ID"] = id;
  job_diff["Fields"] = nullptr;
  job_diff["Objects"] = nullptr;
  Json groups = Json::array();
  for (const auto& [group, updates] : plan.desired_tg_updates.items()) {
    Json g = Json::object();
    g["Type"] = !stored ? "Added" : (changed ? "Edited" : "None");
    g["Name"] = group;
    g["Updates"] = Json::object();
    for (const auto& [kind, n] : updates.items()) {
      if (!n.is_number() || n.get<int64_t>() == 0) continue;
      std::string key = kind == "Place"               ? "create"
                        : kind == "Stop"              ? "destroy"
                        : kind == "InPlaceUpdate"     ? "in-place update"
                        : kind == "DestructiveUpdate" ? "create/destroy update"
                        : kind == "Ignore"            ? "ignore"
                                                      : kind;
      g["Updates"][key] = n;
    }
    groups.push_back(g);
  }
  job_diff["TaskGroups"] = groups;
  out["Diff"] = diff ? job_diff : Json(job_diff);
  out["NextPeriodicLaunch"] = "0001-01-01T00:00:00Z";
  out["Warnings"] = "";
  out["Index"] = state_->latest_index();
  return out;
}

// ---------------------------------------------------------------------------------------
// Allocations

Json Agent::stop_alloc(const std::string& alloc_id) {
  std::lock_guard lock(write_mutex_);
  std::optional<Json> alloc = state_->allocation(alloc_id);
  if (!alloc) throw ApiError(404, "alloc not found");
  Json updated = *alloc;
  Json eval;
  std::optional<Json> job = state_->job(alloc->value("Namespace", "default"), (*alloc)["JobID"]);
  uint64_t index = state_->write([&](StateWriter& w) {
    updated["DesiredStatus"] = "stop";
    updated["DesiredDescription"] = "alloc was stopped by the user";
    updated["DesiredTransition"] = Json::object({{"Migrate", nullptr}, {"Reschedule", true}});
    updated["ModifyTime"] = now_ns();
    w.put_allocation(updated);
    Json payload = Json::object();
    payload["Allocation"] = updated;
    w.add_event(StateEvent{"Allocation", "AllocationUpdated", alloc_id,
                           updated.value("Namespace", "default"), 0, payload});
    eval = new_evaluation(job ? *job : Json(), updated.value("Namespace", "default"),
                          updated["JobID"], "alloc-stop");
    w.put_evaluation(eval);
  });
  if (AllocRunner* r = runner(alloc_id)) r->stop("alloc was stopped by the user");
  enqueue(eval["ID"]);
  Json out = Json::object();
  out["EvalID"] = eval["ID"];
  out["Index"] = index;
  return out;
}

AllocRunner* Agent::runner(const std::string& alloc_id) {
  std::lock_guard lock(runners_mutex_);
  auto it = runners_.find(alloc_id);
  return it == runners_.end() ? nullptr : it->second.get();
}

void Agent::restart_alloc(const std::string& alloc_id, const std::string& task, bool all_tasks) {
  AllocRunner* r = runner(alloc_id);
  if (!r) {
    if (!state_->allocation(alloc_id)) throw ApiError(404, "alloc not found");
    throw ApiError(400, "allocation " + alloc_id + " is not running");
  }
  try {
    r->restart_tasks(task, all_tasks);
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
}

void Agent::signal_alloc(const std::string& alloc_id, const std::string& task,
                         const std::string& signal) {
  AllocRunner* r = runner(alloc_id);
  if (!r) {
    if (!state_->allocation(alloc_id)) throw ApiError(404, "alloc not found");
    throw ApiError(400, "allocation " + alloc_id + " is not running");
  }
  std::string name = signal.empty() ? "SIGKILL" : signal;
  std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  int number = 0;
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && bare == abbrev) number = sig;
  }
  if (number == 0) throw ApiError(400, "unknown signal " + quote_name(name));
  try {
    r->signal(task, number);
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
}

Json Agent::alloc_exec(const std::string& alloc_id, const std::string& task,
                       const std::vector<std::string>& argv) {
  AllocRunner* r = runner(alloc_id);
  if (!r) throw ApiError(404, "alloc not found or not running");
  try {
    driver::ExecResult result = r->exec(task, argv);
    Json out = Json::object();
    out["Stdout"] = result.stdout_data;
    out["Stderr"] = result.stderr_data;
    out["ExitCode"] = result.result.exit_code;
    return out;
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
}

std::filesystem::path Agent::alloc_dir(const std::string& alloc_id) {
  if (!state_->allocation(alloc_id)) throw ApiError(404, "alloc not found");
  return options_.data_dir / "allocs" / alloc_id;
}

Json Agent::alloc_stats(const std::string& alloc_id) {
  std::optional<Json> alloc = state_->allocation(alloc_id);
  if (!alloc) throw ApiError(404, "alloc not found");
  Json tasks = Json::object();
  uint64_t total_rss = 0, total_cpu_ns = 0;
  int64_t stamp = now_ns();
  const Json task_states = alloc->value("TaskStates", Json::object());
  for (const auto& [task, key] : task_states.items()) {
    (void)key;
    std::optional<std::string> handle_text = state_->meta(task_handle_key(alloc_id, task));
    if (!handle_text || handle_text->empty()) continue;
    Json handle = Json::parse(*handle_text, nullptr, false);
    if (!handle.is_object()) continue;
    driver::TaskUsage usage;
    try {
      usage = driver_->usage(handle.value("TaskID", ""));
    } catch (const std::exception&) {
      continue;
    }
    Json memory = Json::object();
    memory["RSS"] = usage.memory_rss.value_or(0);
    memory["Cache"] = usage.memory_cache.value_or(0);
    memory["Swap"] = usage.memory_swap.value_or(0);
    memory["Usage"] = usage.memory_usage.value_or(0);
    memory["MaxUsage"] = usage.memory_max_usage.value_or(0);
    memory["KernelUsage"] = usage.memory_kernel.value_or(0);
    memory["Measured"] = Json::array({"RSS", "Cache", "Usage", "Max Usage"});
    Json cpu = Json::object();
    cpu["SystemMode"] = static_cast<double>(usage.cpu_system_ns.value_or(0)) / 1e6;
    cpu["UserMode"] = static_cast<double>(usage.cpu_user_ns.value_or(0)) / 1e6;
    cpu["TotalTicks"] = static_cast<double>(usage.cpu_total_ns.value_or(0)) / 1e6;
    cpu["ThrottledPeriods"] = usage.cpu_throttled_periods.value_or(0);
    cpu["ThrottledTime"] = usage.cpu_throttled_ns.value_or(0);
    cpu["Percent"] = 0.0;
    cpu["Measured"] =
        Json::array({"System Mode", "User Mode", "Throttled Periods", "Throttled Time"});
    Json resource = Json::object();
    resource["MemoryStats"] = memory;
    resource["CpuStats"] = cpu;
    resource["DeviceStats"] = nullptr;
    Json entry = Json::object();
    entry["ResourceUsage"] = resource;
    entry["Timestamp"] = stamp;
    entry["Pids"] = nullptr;
    tasks[task] = entry;
    total_rss += usage.memory_rss.value_or(0);
    total_cpu_ns += usage.cpu_total_ns.value_or(0);
  }
  Json total = Json::object();
  total["MemoryStats"] = Json::object({{"RSS", total_rss}});
  total["CpuStats"] = Json::object({{"TotalTicks", static_cast<double>(total_cpu_ns) / 1e6}});
  Json out = Json::object();
  out["ResourceUsage"] = total;
  out["Tasks"] = tasks;
  out["Timestamp"] = stamp;
  return out;
}

AgentApi::Metrics Agent::metrics() {
  Metrics m;
  m.jobs = state_->jobs().size();
  for (const auto& alloc : state_->allocations()) {
    std::string status = alloc.value("ClientStatus", "");
    if (status == "running")
      ++m.allocs_running;
    else if (status == "pending")
      ++m.allocs_pending;
    else if (status == "failed")
      ++m.allocs_failed;
    else if (status == "complete")
      ++m.allocs_complete;
    const Json task_states = alloc.value("TaskStates", Json::object());
    for (const auto& [task, state] : task_states.items())
      m.task_restarts += state.value("Restarts", uint64_t{0});
  }
  {
    std::lock_guard lock(queue_mutex_);
    m.evals_blocked = blocked_evals_.size();
  }

  return m;
}

Json Agent::agent_self() {
  Json config = Json::object();
  config["Region"] = "global";
  config["Datacenter"] = node_.datacenter;
  config["NodeName"] = node_.name;
  config["DataDir"] = options_.data_dir.string();
  config["Version"] = Json::object({{"Version", POT_VERSION_STRING}, {"VersionMetadata", "potd"}});
  config["Server"] = Json::object({{"Enabled", true}, {"BootstrapExpect", 1}});
  config["Client"] = Json::object({{"Enabled", true}, {"NodeClass", node_.node_class}});
  Json member = Json::object();
  member["Name"] = node_.name + ".global";
  member["Addr"] = "127.0.0.1";
  member["Status"] = "alive";
  member["Tags"] =
      Json::object({{"region", "global"}, {"dc", node_.datacenter}, {"role", "nomad"}});
  Json stats = Json::object();
  stats["client"] = Json::object({{"node_id", node_.id}, {"known_servers", "127.0.0.1"}});
  Json out = Json::object();
  out["config"] = config;
  out["member"] = member;
  out["stats"] = stats;
  return out;
}

}  // namespace pot::agent
