// Allocations on this node: their runners, the client updates that come back from them
// (batched into transactions), deployments following their health, the restore after a
// restart, and garbage collection.
#include <malloc.h>

#include <random>

#include "agent/client/task_state.h"
#include "agent/scheduler/scheduler.h"
#include "agent/server/agent.h"
#include "agent/server/job_records.h"
#include "core/error.h"

namespace pot::agent {

namespace {

Json event_payload(const char* key, const Json& document) {
  Json payload = Json::object();
  payload[key] = document;
  return payload;
}

bool client_terminal(const std::string& status) {
  return status == "complete" || status == "failed" || status == "lost";
}

Json handle_json(const driver::TaskHandle& handle) {
  Json out = Json::object();
  out["TaskID"] = handle.task_id;
  out["DriverState"] = handle.driver_state;
  return out;
}

}  // namespace

Json Agent::job_for_alloc(const Json& alloc) {
  std::string ns = alloc.value("Namespace", "default");
  std::string job_id = alloc.value("JobID", "");
  uint64_t version = alloc.value("JobVersion", uint64_t{0});
  if (auto job = state_->job_version(ns, job_id, version)) return *job;
  if (auto job = state_->job(ns, job_id)) return *job;
  throw Error("allocation " + alloc.value("ID", "") + ": job " + quote_name(job_id) + " version " +
              std::to_string(version) + " is gone");
}

void Agent::run_allocation(const Json& alloc, bool restore) {
  std::string id = alloc.value("ID", "");
  std::map<std::string, driver::TaskHandle> handles;
  try {
    Json job = job_for_alloc(alloc);
    if (restore) {
      for (const auto& group : job.value("TaskGroups", Json::array())) {
        if (group.value("Name", "") != alloc.value("TaskGroup", "")) continue;
        for (const auto& task : group.value("Tasks", Json::array())) {
          std::string name = task.value("Name", "");
          std::optional<std::string> text = state_->meta(task_handle_key(id, name));
          if (!text || text->empty()) continue;
          Json stored = Json::parse(*text, nullptr, false);
          if (!stored.is_object()) continue;
          driver::TaskHandle handle;
          handle.task_id = stored.value("TaskID", "");
          handle.driver_state = stored.value("DriverState", "");
          handles[name] = handle;
        }
      }
    }
    AllocRunnerConfig config;
    config.allocs_root = options_.data_dir / "allocs";
    config.node = node_;
    config.driver = driver_.get();
    config.gate = start_gate_.get();
    config.catalog = catalog_.get();
    config.jitter = [] {
      static thread_local std::mt19937 generator{std::random_device{}()};
      return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
    };
    AllocRunnerListener listener;
    listener.changed = [this](const AllocClientUpdate& update) { on_alloc_update(update); };
    listener.handle_changed = [this](const std::string& alloc_id, const std::string& task,
                                     const std::optional<driver::TaskHandle>& handle) {
      on_handle(alloc_id, task, handle);
    };
    auto runner = std::make_unique<AllocRunner>(std::move(config), alloc, std::move(job),
                                                std::move(handles), std::move(listener));
    AllocRunner* raw = runner.get();
    {
      std::lock_guard lock(runners_mutex_);
      runners_[id] = std::move(runner);
    }
    raw->start();
    if (alloc.value("DesiredStatus", "run") != "run")
      raw->stop(alloc.value("DesiredDescription", ""));
  } catch (const std::exception& e) {
    // The allocation cannot run here at all (its task's config is wrong): it fails, with
    // the reason where `potd alloc status` shows it.
    {
      std::lock_guard lock(runners_mutex_);
      runners_.erase(id);
    }
    catalog_->deregister_alloc(id);
    Json fields = Json::object();
    fields["ClientStatus"] = "failed";
    fields["ClientDescription"] = std::string("failed to set up the allocation: ") + e.what();
    on_alloc_update(AllocClientUpdate{id, fields});
  }
}

void Agent::on_alloc_update(const AllocClientUpdate& update) {
  {
    std::lock_guard lock(updates_mutex_);
    Json& pending = pending_updates_[update.alloc_id];
    if (!pending.is_object()) pending = Json::object();
    for (const auto& [key, value] : update.fields.items()) pending[key] = value;
  }
  updates_changed_.notify_all();
}

void Agent::on_handle(const std::string& alloc_id, const std::string& task,
                      const std::optional<driver::TaskHandle>& handle) {
  // Written at once, not batched: a potd killed right after a start must find the task.
  std::string value = handle ? handle_json(*handle).dump() : "";
  try {
    state_->write([&](StateWriter& w) { w.put_meta(task_handle_key(alloc_id, task), value); });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "potd: keeping the handle of %s/%s: %s\n", alloc_id.c_str(), task.c_str(),
                 e.what());
  }
}

void Agent::update_worker() {
  while (true) {
    {
      std::unique_lock lock(updates_mutex_);
      updates_changed_.wait(lock, [&] { return stopping_ || !pending_updates_.empty(); });
      if (stopping_) return;
    }
    // Updates that arrive within a few milliseconds share one transaction (one fsync).
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    try {
      flush_updates();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "potd: writing allocation updates: %s\n", e.what());
    }
  }
}

void Agent::flush_updates() {
  std::map<std::string, Json> updates;
  {
    std::lock_guard lock(updates_mutex_);
    updates.swap(pending_updates_);
  }
  if (updates.empty()) return;
  bool freed = false;
  std::vector<std::pair<std::string, std::string>> failed_jobs;  // (ns, job) to reschedule
  std::set<std::string> deployments;
  std::vector<std::string> finished;
  {
    std::lock_guard lock(write_mutex_);
    std::vector<Json> changed;
    std::set<std::pair<std::string, std::string>> jobs;
    for (auto& [id, fields] : updates) {
      std::optional<Json> stored = state_->allocation(id);
      if (!stored) continue;
      Json alloc = *stored;
      std::string before = alloc.value("ClientStatus", "pending");
      Json health_before = alloc.value("DeploymentStatus", Json());
      for (const auto& [key, value] : fields.items()) alloc[key] = value;
      std::string after = alloc.value("ClientStatus", "pending");
      alloc["ModifyTime"] = now_ns();
      if (!client_terminal(before) && client_terminal(after)) {
        freed = true;
        finished.push_back(id);
        if (after == "failed" && alloc.value("DesiredStatus", "run") == "run")
          failed_jobs.emplace_back(alloc.value("Namespace", "default"), alloc.value("JobID", ""));
      }
      if (alloc.value("DeploymentStatus", Json()) != health_before &&
          alloc.value("DeploymentID", Json()).is_string())
        deployments.insert(alloc["DeploymentID"].get<std::string>());
      jobs.emplace(alloc.value("Namespace", "default"), alloc.value("JobID", ""));
      changed.push_back(std::move(alloc));
    }
    // Job statuses follow their allocations.
    std::vector<Json> job_updates;
    for (const auto& [ns, job_id] : jobs) {
      std::optional<Json> job = state_->job(ns, job_id);
      if (!job) continue;
      std::vector<Json> allocs = state_->job_allocations(ns, job_id);
      for (auto& alloc : allocs)
        for (const auto& c : changed)
          if (alloc["ID"] == c["ID"]) alloc = c;
      std::string status = job_status(*job, allocs);
      if (status != job->value("Status", "")) {
        Json updated = *job;
        updated["Status"] = status;
        job_updates.push_back(updated);
      }
    }
    state_->write([&](StateWriter& w) {
      for (const auto& alloc : changed) {
        w.put_allocation(alloc);
        w.add_event(StateEvent{"Allocation", "AllocationUpdated", alloc["ID"],
                               alloc.value("Namespace", "default"), 0,
                               event_payload("Allocation", alloc)});
      }
      for (const auto& job : job_updates) {
        w.put_job(job);
        w.add_event(StateEvent{"Job", "JobStatusUpdated", job["ID"],
                               job.value("Namespace", "default"), 0, event_payload("Job", job)});
      }
    });
  }
  // Runners whose allocation ended are done; their threads are joined here.
  for (const auto& id : finished) {
    std::unique_ptr<AllocRunner> done;
    {
      std::lock_guard lock(runners_mutex_);
      auto it = runners_.find(id);
      if (it != runners_.end()) {
        done = std::move(it->second);
        runners_.erase(it);
      }
    }
    // Its coordinator may end (detached) before its last pass took the services out.
    done.reset();
    catalog_->deregister_alloc(id);
  }
  if (!finished.empty()) {
    std::lock_guard lock(runners_mutex_);
    // The last runner gone: what the finished ones used goes back to the system.
    if (runners_.empty()) malloc_trim(0);
  }
  if (!deployments.empty()) update_deployments(deployments);
  for (const auto& [ns, job_id] : failed_jobs) {
    std::lock_guard lock(write_mutex_);
    std::optional<Json> job = state_->job(ns, job_id);
    if (!job || job->value("Stop", false)) continue;
    Json eval = new_evaluation(*job, ns, job_id, "alloc-failure");
    state_->write([&](StateWriter& w) { w.put_evaluation(eval); });
    enqueue(eval["ID"]);
  }
  if (freed) wake_blocked_evaluations();
}

void Agent::update_deployments(const std::set<std::string>& deployment_ids) {
  std::vector<std::pair<std::string, std::string>> evaluate;
  std::vector<std::tuple<std::string, std::string, uint64_t>> reverts;
  {
    std::lock_guard lock(write_mutex_);
    for (const auto& id : deployment_ids) {
      std::optional<Json> stored = state_->deployment(id);
      if (!stored || stored->value("Status", "") != "running") continue;
      Json d = *stored;
      std::string ns = d.value("Namespace", "default");
      std::string job_id = d.value("JobID", "");
      std::vector<Json> allocs = state_->job_allocations(ns, job_id);
      int healthy_before = 0;
      for (auto& [group, tg] : d["TaskGroups"].items()) {
        healthy_before += tg.value("HealthyAllocs", 0);
        tg["HealthyAllocs"] = 0;
        tg["UnhealthyAllocs"] = 0;
        tg["PlacedAllocs"] = 0;
      }
      // The deployment's version of the job, whichever deployment placed the allocation:
      // an allocation updated in place (a count change) keeps its health.
      for (const auto& alloc : allocs) {
        if (alloc.value("JobVersion", uint64_t{0}) != d.value("JobVersion", uint64_t{0}) ||
            alloc.value("DesiredStatus", "run") != "run")
          continue;
        std::string group = alloc.value("TaskGroup", "");
        if (!d["TaskGroups"].contains(group)) continue;
        Json& tg = d["TaskGroups"][group];
        tg["PlacedAllocs"] = tg.value("PlacedAllocs", 0) + 1;
        const Json health = alloc.value("DeploymentStatus", Json());
        if (health.is_object() && health.value("Healthy", Json()).is_boolean()) {
          if (health["Healthy"].get<bool>())
            tg["HealthyAllocs"] = tg.value("HealthyAllocs", 0) + 1;
          else
            tg["UnhealthyAllocs"] = tg.value("UnhealthyAllocs", 0) + 1;
        }
      }
      int healthy = 0;
      bool unhealthy = false, complete = true, auto_revert = false;
      for (const auto& [group, tg] : d["TaskGroups"].items()) {
        healthy += tg.value("HealthyAllocs", 0);
        if (tg.value("UnhealthyAllocs", 0) > 0) unhealthy = true;
        if (tg.value("HealthyAllocs", 0) < tg.value("DesiredTotal", 0)) complete = false;
        if (tg.value("AutoRevert", false)) auto_revert = true;
      }
      std::optional<Json> job = state_->job(ns, job_id);
      uint64_t version = d.value("JobVersion", uint64_t{0});
      bool mark_stable = false;
      if (unhealthy) {
        d["Status"] = "failed";
        d["StatusDescription"] = "Failed due to unhealthy allocations";
        if (auto_revert) {
          for (const auto& v : state_->job_versions(ns, job_id)) {
            uint64_t candidate = v.value("Version", uint64_t{0});
            if (candidate < version && v.value("Stable", false)) {
              d["StatusDescription"] =
                  "Failed due to unhealthy allocations - rolling back to job version " +
                  std::to_string(candidate);
              reverts.emplace_back(ns, job_id, candidate);
              break;
            }
          }
        }
      } else if (complete) {
        d["Status"] = "successful";
        d["StatusDescription"] = "Deployment completed successfully";
        mark_stable = true;
      } else if (healthy > healthy_before) {
        // More of the new version is healthy: the next batch of a rolling update may go.
        evaluate.emplace_back(ns, job_id);
      }
      d["ModifyTime"] = now_ns();
      state_->write([&](StateWriter& w) {
        w.put_deployment(d);
        w.add_event(StateEvent{"Deployment", "DeploymentStatusUpdate", id, ns, 0,
                               event_payload("Deployment", d)});
        if (mark_stable) {
          w.set_job_version_stable(ns, job_id, version, true);
          if (job && job->value("Version", uint64_t{0}) == version) {
            Json stable = *job;
            stable["Stable"] = true;
            w.put_job(stable);
          }
        }
      });
      if (!unhealthy && !complete && healthy <= healthy_before) continue;
    }
  }
  for (const auto& [ns, job_id] : evaluate) {
    std::lock_guard lock(write_mutex_);
    std::optional<Json> job = state_->job(ns, job_id);
    if (!job) continue;
    Json eval = new_evaluation(*job, ns, job_id, "deployment-watcher");
    state_->write([&](StateWriter& w) { w.put_evaluation(eval); });
    enqueue(eval["ID"]);
  }
  for (const auto& [ns, job_id, version] : reverts) {
    try {
      revert_job(ns, job_id, version, std::nullopt);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "potd: reverting job %s to version %llu: %s\n", job_id.c_str(),
                   static_cast<unsigned long long>(version), e.what());
    }
  }
}

void Agent::restore() {
  for (const auto& alloc : state_->allocations()) {
    if (client_terminal(alloc.value("ClientStatus", "pending"))) continue;
    run_allocation(alloc, true);
  }
  for (const auto& eval : state_->evaluations()) {
    std::string status = eval.value("Status", "");
    if (status == "pending") enqueue(eval["ID"]);
    if (status == "blocked") {
      std::lock_guard lock(queue_mutex_);
      blocked_evals_.insert(eval["ID"].get<std::string>());
    }
  }
}

void Agent::gc_worker() {
  auto next = std::chrono::steady_clock::now() + options_.gc_interval;
  while (!stopping_) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_changed_.wait_for(lock, std::chrono::milliseconds(500));
    }
    if (stopping_) return;
    if (std::chrono::steady_clock::now() < next) continue;
    next = std::chrono::steady_clock::now() + options_.gc_interval;
    try {
      collect_garbage();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "potd: garbage collection: %s\n", e.what());
    }
  }
}

// The rule (docs): a terminal allocation, its directory and its logs are kept for
// gc_alloc_age after it ended (24 h by default), and removed at once when its job was
// purged. Evaluations that finished go after the same age.
void Agent::collect_garbage() {
  std::lock_guard lock(write_mutex_);
  int64_t now = now_ns();
  int64_t age = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.gc_alloc_age).count();
  std::vector<Json> allocs;
  std::vector<std::string> tasks_of;
  for (const auto& alloc : state_->allocations()) {
    if (!client_terminal(alloc.value("ClientStatus", "pending"))) continue;
    if (runner(alloc.value("ID", ""))) continue;
    bool job_gone = !state_->job(alloc.value("Namespace", "default"), alloc.value("JobID", ""));
    if (!job_gone && now - alloc.value("ModifyTime", int64_t{0}) < age) continue;
    allocs.push_back(alloc);
  }
  std::vector<std::string> evals;
  for (const auto& eval : state_->evaluations()) {
    std::string status = eval.value("Status", "");
    if (status == "pending" || status == "blocked") continue;
    if (now - eval.value("ModifyTime", int64_t{0}) < age) continue;
    evals.push_back(eval["ID"]);
  }
  if (allocs.empty() && evals.empty()) return;
  state_->write([&](StateWriter& w) {
    for (const auto& alloc : allocs) {
      std::string id = alloc["ID"];
      w.delete_allocation(id);
      const Json task_states = alloc.value("TaskStates", Json::object());
      for (const auto& [task, state] : task_states.items()) {
        (void)state;
        w.put_meta(task_handle_key(id, task), "");
      }
    }
    for (const auto& id : evals) w.delete_evaluation(id);
  });
  for (const auto& alloc : allocs)
    AllocDir(options_.data_dir / "allocs", alloc["ID"].get<std::string>()).destroy();
}

std::vector<std::string> Agent::script_check_argv(const CheckDefinition& check) {
  auto instance = catalog_->instance(check.instance_id);
  if (!instance || check.command.empty()) return {};
  std::string pot;
  {
    std::lock_guard lock(runners_mutex_);
    auto it = runners_.find(instance->alloc_id);
    if (it == runners_.end()) return {};
    pot = it->second->pot_name(check.task);
  }
  if (pot.empty()) return {};
  std::string program = options_.pot_path.empty() ? driver::default_pot_path() : options_.pot_path;
  std::vector<std::string> argv = {program, "exec", "-p", pot, "--", check.command};
  argv.insert(argv.end(), check.args.begin(), check.args.end());
  return argv;
}

}  // namespace pot::agent
