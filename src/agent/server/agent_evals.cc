// Evaluations: one worker takes them in order, asks the scheduler for a plan, and applies
// it in one transaction. Blocked evaluations wait for capacity; follow-ups wait for a time.
#include <algorithm>

#include "agent/client/task_state.h"
#include "agent/scheduler/scheduler.h"
#include "agent/server/agent.h"
#include "agent/server/ids.h"
#include "agent/server/job_records.h"
#include "core/error.h"
#include "core/unique_fd.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pot::agent {

namespace {

// Whether something on the host holds TCP `port` (potd's allocations aside): a bind tells.
bool host_port_in_use(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
         errno == EADDRINUSE;
}

Json event_payload(const char* key, const Json& document) {
  Json payload = Json::object();
  payload[key] = document;
  return payload;
}

}  // namespace

void Agent::enqueue(const std::string& eval_id) {
  {
    std::lock_guard lock(queue_mutex_);
    eval_queue_.push_back(eval_id);
  }
  queue_changed_.notify_all();
}

bool Agent::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(queue_mutex_);
  return queue_changed_.wait_for(lock, timeout,
                                 [&] { return eval_queue_.empty() && !evaluating_; });
}

void Agent::eval_worker() {
  while (true) {
    std::string eval_id;
    {
      std::unique_lock lock(queue_mutex_);
      queue_changed_.wait(lock, [&] { return stopping_ || !eval_queue_.empty(); });
      if (stopping_) return;
      eval_id = eval_queue_.front();
      eval_queue_.pop_front();
      evaluating_ = true;
    }
    try {
      process_evaluation(eval_id);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "potd: evaluation %s failed: %s\n", eval_id.c_str(), e.what());
      try {
        std::lock_guard lock(write_mutex_);
        if (std::optional<Json> eval = state_->evaluation(eval_id)) {
          Json failed = *eval;
          failed["Status"] = "failed";
          failed["StatusDescription"] = e.what();
          state_->write([&](StateWriter& w) { w.put_evaluation(failed); });
        }
      } catch (const std::exception&) {
      }
    }
    {
      std::lock_guard lock(queue_mutex_);
      evaluating_ = false;
    }
    queue_changed_.notify_all();
  }
}

void Agent::process_evaluation(const std::string& eval_id) {
  std::vector<Json> placed;
  std::vector<std::string> stopped;
  std::optional<int64_t> follow_up;
  std::string ns, job_id;
  {
    std::lock_guard lock(write_mutex_);
    std::optional<Json> stored_eval = state_->evaluation(eval_id);
    if (!stored_eval) return;
    Json eval = *stored_eval;
    std::string status = eval.value("Status", "");
    if (status != "pending" && status != "blocked") return;
    ns = eval.value("Namespace", "default");
    job_id = eval.value("JobID", "");
    std::optional<Json> job = state_->job(ns, job_id);

    PlanRequest request;
    request.job = job ? *job : Json();
    request.namespace_name = ns;
    request.job_id = job_id;
    request.job_allocations = state_->job_allocations(ns, job_id);
    std::vector<Json> all_allocs = state_->allocations();
    for (const auto& alloc : all_allocs)
      if (!alloc_terminal(alloc)) request.node_allocations.push_back(alloc);
    for (const auto& alloc : request.job_allocations) {
      uint64_t v = alloc.value("JobVersion", uint64_t{0});
      if (!request.job_versions.count(v))
        if (auto version = state_->job_version(ns, job_id, v)) request.job_versions[v] = *version;
    }
    request.node = node_;
    request.port_in_use = host_port_in_use;
    request.eval_id = eval_id;
    request.now_ns = now_ns();
    request.new_id = [] { return new_uuid(); };
    Plan plan = pot::agent::plan(request);

    // A deployment follows each new version of a service job that places allocations.
    std::optional<Json> deployment;
    std::vector<Json> cancelled_deployments;
    std::vector<Json> job_deployments = state_->job_deployments(ns, job_id);
    bool service = job && job->value("Type", "service") == "service" && !job->value("Stop", false);
    if (service) {
      uint64_t version = job->value("Version", uint64_t{0});
      for (const auto& d : job_deployments) {
        if (d.value("JobVersion", uint64_t{0}) == version) {
          if (!deployment && d.value("Status", "") == "running") deployment = d;
        } else if (d.value("Status", "") == "running") {
          Json old = d;
          old["Status"] = "cancelled";
          old["StatusDescription"] = "Cancelled due to newer version of job";
          cancelled_deployments.push_back(old);
        }
      }
      bool has_deployment_for_version =
          std::any_of(job_deployments.begin(), job_deployments.end(),
                      [&](const Json& d) { return d.value("JobVersion", uint64_t{0}) == version; });
      if (!deployment && !has_deployment_for_version && !plan.place.empty()) {
        Json d = Json::object();
        d["ID"] = new_uuid();
        d["Namespace"] = ns;
        d["JobID"] = job_id;
        d["JobVersion"] = version;
        d["JobModifyIndex"] = job->value("JobModifyIndex", uint64_t{0});
        d["JobSpecModifyIndex"] = job->value("JobModifyIndex", uint64_t{0});
        d["JobCreateIndex"] = job->value("CreateIndex", uint64_t{0});
        d["IsMultiregion"] = false;
        d["TaskGroups"] = Json::object();
        for (const auto& group : (*job)["TaskGroups"]) {
          const Json update = group.value("Update", Json());
          Json state = Json::object();
          state["AutoRevert"] = update.is_object() ? update.value("AutoRevert", false) : false;
          state["AutoPromote"] = false;
          int64_t deadline = update.is_object()
                                 ? update.value("ProgressDeadline", int64_t{600'000'000'000})
                                 : int64_t{600'000'000'000};
          state["ProgressDeadline"] = deadline;
          state["RequireProgressBy"] =
              go_time(std::chrono::system_clock::now() + std::chrono::nanoseconds(deadline));
          state["Promoted"] = false;
          state["PlacedCanaries"] = nullptr;
          state["DesiredCanaries"] = 0;
          state["DesiredTotal"] = group.value("Count", 1);
          state["PlacedAllocs"] = 0;
          state["HealthyAllocs"] = 0;
          state["UnhealthyAllocs"] = 0;
          d["TaskGroups"][group.value("Name", "")] = state;
        }
        d["Status"] = "running";
        d["StatusDescription"] = "Deployment is running";
        d["CreateTime"] = now_ns();
        d["ModifyTime"] = now_ns();
        deployment = d;
      }
    }
    if (deployment) {
      for (auto& alloc : plan.place) {
        alloc["DeploymentID"] = (*deployment)["ID"];
        std::string group = alloc.value("TaskGroup", "");
        Json& tg = (*deployment)["TaskGroups"][group];
        tg["PlacedAllocs"] = tg.value("PlacedAllocs", 0) + 1;
      }
    }

    // Stops: the documents with their new desired status.
    std::vector<Json> stops;
    for (const auto& stop : plan.stop) {
      for (const auto& alloc : request.job_allocations) {
        if (alloc.value("ID", "") != stop.alloc_id) continue;
        Json updated = alloc;
        updated["DesiredStatus"] = "stop";
        updated["DesiredDescription"] = stop.description;
        updated["ModifyTime"] = now_ns();
        // A failed allocation names its replacement.
        for (const auto& [failed, replacement] : plan.next_allocation)
          if (failed == stop.alloc_id) updated["NextAllocation"] = replacement;
        stops.push_back(updated);
      }
    }

    Json done = eval;
    done["Status"] = "complete";
    done["DeploymentID"] = deployment ? (*deployment)["ID"].get<std::string>() : "";
    done["StatusDescription"] = "";
    done["ModifyTime"] = now_ns();
    Json queued = Json::object();
    for (const auto& [group, n] : plan.queued) queued[group] = n;
    done["QueuedAllocations"] = queued;
    std::optional<Json> blocked;
    if (!plan.failed_tg_allocs.empty()) {
      Json failed = Json::object();
      for (const auto& [group, metric] : plan.failed_tg_allocs) failed[group] = metric;
      done["FailedTGAllocs"] = failed;
      if (status == "blocked") {
        // Still no room: it stays blocked.
        done = eval;
        done["FailedTGAllocs"] = failed;
        done["QueuedAllocations"] = queued;
        done["ModifyTime"] = now_ns();
      } else {
        blocked = new_evaluation(job ? *job : Json(), ns, job_id, "queued-allocs");
        (*blocked)["Status"] = "blocked";
        (*blocked)["StatusDescription"] = "created due to placement conflicts";
        (*blocked)["PreviousEval"] = eval_id;
        (*blocked)["FailedTGAllocs"] = failed;
        (*blocked)["QueuedAllocations"] = queued;
        done["BlockedEval"] = (*blocked)["ID"];
      }
    } else {
      done["FailedTGAllocs"] = nullptr;
    }
    // A job has one blocked evaluation at most: a newer evaluation replaces it.
    std::vector<Json> superseded;
    for (const auto& other : state_->job_evaluations(ns, job_id)) {
      if (other.value("ID", "") == eval_id || other.value("Status", "") != "blocked") continue;
      Json cancelled = other;
      cancelled["Status"] = "canceled";
      cancelled["StatusDescription"] = "evaluation superseded by " + eval_id;
      superseded.push_back(cancelled);
    }

    // The job's status, from what its allocations will be.
    std::vector<Json> after = request.job_allocations;
    for (auto& alloc : after)
      for (const auto& s : stops)
        if (alloc["ID"] == s["ID"]) alloc = s;
    for (const auto& p : plan.place) after.push_back(p);
    std::optional<Json> job_update;
    if (job) {
      std::string new_status = job_status(*job, after);
      if (new_status != job->value("Status", "")) {
        job_update = *job;
        (*job_update)["Status"] = new_status;
      }
    }

    state_->write([&](StateWriter& w) {
      for (auto& alloc : plan.place) {
        w.put_allocation(alloc);
        w.add_event(StateEvent{"Allocation", "PlanResult", alloc["ID"], ns, 0,
                               event_payload("Allocation", alloc)});
      }
      for (const auto& alloc : stops) {
        w.put_allocation(alloc);
        w.add_event(StateEvent{"Allocation", "PlanResult", alloc["ID"], ns, 0,
                               event_payload("Allocation", alloc)});
      }
      for (const auto& alloc : plan.update_in_place) w.put_allocation(alloc);
      for (const auto& d : cancelled_deployments) {
        w.put_deployment(d);
        w.add_event(StateEvent{"Deployment", "DeploymentStatusUpdate", d["ID"], ns, 0,
                               event_payload("Deployment", d)});
      }
      if (deployment) {
        w.put_deployment(*deployment);
        w.add_event(StateEvent{"Deployment", "DeploymentStatusUpdate", (*deployment)["ID"], ns, 0,
                               event_payload("Deployment", *deployment)});
      }
      for (const auto& e : superseded) w.put_evaluation(e);
      if (blocked) w.put_evaluation(*blocked);
      w.put_evaluation(done);
      w.add_event(StateEvent{"Evaluation", "EvaluationUpdated", eval_id, ns, 0,
                             event_payload("Evaluation", done)});
      if (job_update) w.put_job(*job_update);
    });

    placed = plan.place;
    for (const auto& alloc : stops) stopped.push_back(alloc["ID"]);
    follow_up = plan.follow_up_at;
    {
      std::lock_guard queue_lock(queue_mutex_);
      for (const auto& e : superseded) blocked_evals_.erase(e["ID"]);
      if (status == "blocked" && plan.failed_tg_allocs.empty()) blocked_evals_.erase(eval_id);
      if (blocked) blocked_evals_.insert((*blocked)["ID"].get<std::string>());
    }
  }
  for (const auto& id : stopped)
    if (AllocRunner* r = runner(id)) r->stop("alloc not needed");
  for (const auto& alloc : placed) run_allocation(alloc, false);
  if (follow_up) schedule_follow_up(*follow_up, ns, job_id);
}

// Capacity freed (an allocation ended or was stopped): every blocked evaluation tries again.
void Agent::wake_blocked_evaluations() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(queue_mutex_);
    ids.assign(blocked_evals_.begin(), blocked_evals_.end());
  }
  for (const auto& id : ids) enqueue(id);
}

void Agent::schedule_follow_up(int64_t at_ns, const std::string& ns, const std::string& job_id) {
  {
    std::lock_guard lock(queue_mutex_);
    follow_ups_.emplace(at_ns, std::make_pair(ns, job_id));
  }
  queue_changed_.notify_all();
}

void Agent::timer_worker() {
  while (!stopping_) {
    std::vector<std::pair<std::string, std::string>> due;
    {
      std::unique_lock lock(queue_mutex_);
      queue_changed_.wait_for(lock, std::chrono::milliseconds(200));
      if (stopping_) return;
      int64_t now = now_ns();
      while (!follow_ups_.empty() && follow_ups_.begin()->first <= now) {
        due.push_back(follow_ups_.begin()->second);
        follow_ups_.erase(follow_ups_.begin());
      }
    }
    for (const auto& [ns, job_id] : due) {
      std::lock_guard lock(write_mutex_);
      std::optional<Json> job = state_->job(ns, job_id);
      Json eval = new_evaluation(job ? *job : Json(), ns, job_id, "failed-follow-up");
      state_->write([&](StateWriter& w) { w.put_evaluation(eval); });
      enqueue(eval["ID"]);
    }
  }
}

}  // namespace pot::agent
