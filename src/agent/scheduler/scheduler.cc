// The reconcile: for each group of the job, which of its allocations stay, which stop,
// which move to the new version in place or are replaced, which failed ones come back,
// and which index slots are still empty; then each placement is tried on the node in
// that order (reschedules, replacements, new slots), against a ledger of what the node
// holds as the plan grows. A group whose placement fails stops trying: the rest queue
// behind the first failure (Nomad's CoalescedFailures).
#include <algorithm>
#include <set>

#include "agent/scheduler/scheduler.h"
#include "agent/scheduler/scheduler_parts.h"

namespace pot::agent {

bool alloc_terminal(const Json& alloc) {
  const std::string desired = alloc.value("DesiredStatus", "run");
  if (desired == "stop" || desired == "evict") return true;
  const std::string client = alloc.value("ClientStatus", "pending");
  return client == "complete" || client == "failed" || client == "lost";
}

namespace {

using namespace scheduler;

constexpr char kNotNeeded[] = "alloc not needed due to job update";
constexpr char kUpdating[] = "alloc is being updated due to job update";
constexpr char kJobStopped[] = "alloc not needed as job is stopped";
constexpr char kRescheduled[] = "alloc was rescheduled because it failed";

bool server_terminal(const Json& alloc) {
  const std::string desired = alloc.value("DesiredStatus", "run");
  return desired == "stop" || desired == "evict";
}

uint64_t version_of(const Json& document) {
  auto it = document.find("JobVersion");
  if (it == document.end()) it = document.find("Version");
  if (it == document.end() || !it->is_number()) return 0;
  return it->get<uint64_t>();
}

bool deployment_healthy(const Json& alloc) {
  const Json status = alloc.value("DeploymentStatus", Json());
  return status.is_object() && status.value("Healthy", Json()).is_boolean() &&
         status["Healthy"].get<bool>();
}

// What the node holds while the plan is built: the cpu and memory of the allocations that
// keep running or are placed, and their ports. Stopping an allocation in the plan gives
// its share back.
class NodeLedger {
 public:
  explicit NodeLedger(const PlanRequest& request) {
    for (const auto& alloc : request.node_allocations) {
      if (alloc_terminal(alloc)) continue;
      hold(alloc);
    }
    for (const auto& alloc : request.job_allocations) {
      if (alloc_terminal(alloc) || counted_.count(alloc.value("ID", ""))) continue;
      hold(alloc);
    }
    ports_.port_in_use = request.port_in_use;
  }

  void release(const Json& alloc) {
    if (!counted_.erase(alloc.value("ID", ""))) return;
    const Usage usage = allocation_usage(alloc);
    used_.cpu_mhz -= usage.cpu_mhz;
    used_.memory_mb -= usage.memory_mb;
    for (int port : allocation_ports(alloc)) ports_.held.erase(port);
  }

  void hold(const Json& alloc) {
    if (!counted_.insert(alloc.value("ID", "")).second) return;
    const Usage usage = allocation_usage(alloc);
    used_.cpu_mhz += usage.cpu_mhz;
    used_.memory_mb += usage.memory_mb;
    for (int port : allocation_ports(alloc)) {
      ports_.held.insert(port);
      ports_.known.insert(port);
    }
  }

  const Usage& used() const { return used_; }
  PortState& ports() { return ports_; }

 private:
  Usage used_;
  PortState ports_;
  std::set<std::string> counted_;
};

// Where an allocation of the group stands in the reconcile.
struct Slot {
  const Json* alloc;
  enum class Kind { kLive, kTerminalKept, kRescheduleNow, kRescheduleLater } kind;
  RescheduleDecision decision;
};

struct GroupWork {
  std::vector<Slot> slots;               // what holds an index of the group
  std::vector<const Json*> destructive;  // live, older version, tasks changed
  std::vector<const Json*> in_place;     // live, older version, tasks unchanged
  int ignored = 0;                       // live, current version
  int unhealthy_current = 0;             // live, current version, not yet healthy
};

class Planner {
 public:
  explicit Planner(const PlanRequest& request) : request_(request), ledger_(request) {
    for (const auto& alloc : request.job_allocations) {
      const std::string previous = alloc.value("PreviousAllocation", "");
      if (!previous.empty()) replaced_.insert(previous);
    }
  }

  Plan run() {
    const Json& job = request_.job;
    if (!job.is_object() || job.value("Stop", false)) {
      stop_everything();
      return std::move(plan_);
    }
    stop_groups_removed_from_job();
    for (const auto& group : job.value("TaskGroups", Json::array())) plan_group(group);
    return std::move(plan_);
  }

 private:
  std::string job_type() const { return request_.job.value("Type", "service"); }
  bool system_like() const { return job_type() == "system" || job_type() == "sysbatch"; }
  bool batch_like() const { return job_type() == "batch" || job_type() == "sysbatch"; }
  uint64_t current_version() const { return version_of(request_.job); }

  Json& updates_of(const std::string& group) {
    Json& updates = plan_.desired_tg_updates[group];
    if (updates.is_null()) {
      updates = {{"Ignore", 0},         {"Place", 0},         {"Migrate", 0},
                 {"Stop", 0},           {"InPlaceUpdate", 0}, {"DestructiveUpdate", 0},
                 {"Canary", 0},         {"Preemptions", 0},   {"RescheduleNow", 0},
                 {"RescheduleLater", 0}};
    }
    return updates;
  }

  void count_update(const std::string& group, const char* what) {
    Json& counter = updates_of(group)[what];
    counter = counter.get<int>() + 1;
  }

  void stop(const Json& alloc, const std::string& description) {
    plan_.stop.push_back({alloc.value("ID", ""), description});
    ledger_.release(alloc);
  }

  void stop_everything() {
    for (const auto& alloc : request_.job_allocations) {
      if (alloc_terminal(alloc)) continue;
      stop(alloc, kJobStopped);
      count_update(alloc.value("TaskGroup", ""), "Stop");
    }
  }

  void stop_groups_removed_from_job() {
    std::set<std::string> groups;
    for (const auto& group : request_.job.value("TaskGroups", Json::array())) {
      groups.insert(group.value("Name", ""));
    }
    for (const auto& alloc : request_.job_allocations) {
      const std::string group = alloc.value("TaskGroup", "");
      if (alloc_terminal(alloc) || groups.count(group)) continue;
      stop(alloc, kNotNeeded);
      count_update(group, "Stop");
    }
  }

  // The group's reschedule policy as the allocation's own job version had it.
  Json reschedule_policy_for(const Json& alloc, const Json& group) const {
    auto version = request_.job_versions.find(version_of(alloc));
    if (version != request_.job_versions.end()) {
      for (const auto& old_group : version->second.value("TaskGroups", Json::array())) {
        if (old_group.value("Name", "") == group.value("Name", "")) {
          return old_group.value("ReschedulePolicy", Json());
        }
      }
    }
    return group.value("ReschedulePolicy", Json());
  }

  // Whether the allocation ran what the current version runs (its version, or an older
  // one whose group differs only in place): a finished batch run of it is not run again.
  bool runs_current_tasks(const Json& alloc, const Json& group) const {
    if (version_of(alloc) == current_version()) return true;
    auto old_job = request_.job_versions.find(version_of(alloc));
    return old_job != request_.job_versions.end() &&
           !group_needs_destructive_update(old_job->second, request_.job, group.value("Name", ""));
  }

  // A terminal allocation that still matters: kept (a finished batch run, a failure not
  // to be rescheduled or not yet), to be replaced now, or nothing (nullopt).
  std::optional<Slot> terminal_slot(const Json& alloc, const Json& group) const {
    if (server_terminal(alloc) || replaced_.count(alloc.value("ID", ""))) return std::nullopt;
    if (!alloc.value("NextAllocation", "").empty()) return std::nullopt;
    const bool current = runs_current_tasks(alloc, group);
    const std::string client = alloc.value("ClientStatus", "");
    if (client == "complete") {
      // A batch run that finished is done; a service that exited is run again.
      if (batch_like() && current) return Slot{&alloc, Slot::Kind::kTerminalKept, {}};
      return std::nullopt;
    }
    // failed or lost
    if (job_type() == "sysbatch") {
      if (current) return Slot{&alloc, Slot::Kind::kTerminalKept, {}};
      return std::nullopt;
    }
    RescheduleDecision decision;
    if (job_type() == "system") {
      decision.kind = RescheduleDecision::Kind::kNow;  // system jobs have no policy: always
    } else {
      decision = reschedule_decision(alloc, reschedule_policy_for(alloc, group), request_.now_ns);
    }
    switch (decision.kind) {
      case RescheduleDecision::Kind::kNow:
        return Slot{&alloc, Slot::Kind::kRescheduleNow, decision};
      case RescheduleDecision::Kind::kLater:
        return Slot{&alloc, Slot::Kind::kRescheduleLater, decision};
      case RescheduleDecision::Kind::kNever:
        break;
    }
    return Slot{&alloc, Slot::Kind::kTerminalKept, {}};
  }

  GroupWork classify(const Json& group) const {
    GroupWork work;
    const std::string name = group.value("Name", "");
    std::set<int> indexes;
    // Live allocations first, so that a live one wins an index over a terminal one.
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& alloc : request_.job_allocations) {
        if (alloc.value("TaskGroup", "") != name) continue;
        const bool live = !alloc_terminal(alloc);
        if (live != (pass == 0)) continue;
        std::optional<Slot> slot = live ? std::optional<Slot>(Slot{&alloc, Slot::Kind::kLive, {}})
                                        : terminal_slot(alloc, group);
        if (!slot) continue;
        if (!indexes.insert(alloc_index(alloc)).second && !live) continue;
        work.slots.push_back(*slot);
      }
    }
    return work;
  }

  void scale_down(GroupWork& work, int count, const std::string& group) {
    std::stable_sort(work.slots.begin(), work.slots.end(), [](const Slot& a, const Slot& b) {
      return alloc_index(*a.alloc) < alloc_index(*b.alloc);
    });
    while (static_cast<int>(work.slots.size()) > count) {
      const Slot& last = work.slots.back();
      if (last.kind == Slot::Kind::kLive) {
        stop(*last.alloc, kNotNeeded);
        count_update(group, "Stop");
      }
      work.slots.pop_back();
    }
  }

  void sort_updates(GroupWork& work, const Json& group) const {
    const std::string name = group.value("Name", "");
    for (const Slot& slot : work.slots) {
      if (slot.kind != Slot::Kind::kLive) continue;
      const Json& alloc = *slot.alloc;
      if (version_of(alloc) == current_version()) {
        ++work.ignored;
        if (!deployment_healthy(alloc)) ++work.unhealthy_current;
        continue;
      }
      auto old_job = request_.job_versions.find(version_of(alloc));
      const bool destructive = old_job == request_.job_versions.end() ||
                               group_needs_destructive_update(old_job->second, request_.job, name);
      (destructive ? work.destructive : work.in_place).push_back(&alloc);
    }
  }

  // How many destructive updates may start now: max_parallel less the new-version
  // allocations still on their way to healthy. No update block, or 0: all of them.
  size_t update_budget(const GroupWork& work, const Json& group) const {
    const Json update = group.value("Update", Json());
    const int max_parallel = update.is_object() ? update.value("MaxParallel", 0) : 0;
    if (max_parallel <= 0) return work.destructive.size();
    return static_cast<size_t>(std::max(0, max_parallel - work.unhealthy_current));
  }

  void plan_group(const Json& group) {
    const std::string name = group.value("Name", "");
    updates_of(name);
    plan_.queued[name] = 0;
    const int count = system_like() ? 1 : std::max(0, group.value("Count", 1));

    GroupWork work = classify(group);
    scale_down(work, count, name);
    sort_updates(work, group);
    updates_of(name)["Ignore"] = work.ignored;

    for (const Json* alloc : work.in_place) {
      Json updated = *alloc;
      updated["JobVersion"] = current_version();
      updated["ModifyTime"] = request_.now_ns;
      plan_.update_in_place.push_back(std::move(updated));
      count_update(name, "InPlaceUpdate");
    }

    group_failed_ = false;
    std::set<int> used_indexes;
    for (const Slot& slot : work.slots) used_indexes.insert(alloc_index(*slot.alloc));

    for (const Slot& slot : work.slots) {
      if (slot.kind == Slot::Kind::kRescheduleLater) {
        count_update(name, "RescheduleLater");
        if (!plan_.follow_up_at || slot.decision.at_ns < *plan_.follow_up_at) {
          plan_.follow_up_at = slot.decision.at_ns;
        }
      }
      if (slot.kind != Slot::Kind::kRescheduleNow) continue;
      const Json& failed = *slot.alloc;
      Placement placement;
      placement.index = alloc_index(failed);
      placement.previous_allocation = failed.value("ID", "");
      placement.reschedule_tracker = next_reschedule_tracker(
          failed, reschedule_policy_for(failed, group), slot.decision, request_.now_ns);
      if (const Json* placed = place(group, placement, nullptr)) {
        plan_.stop.push_back({failed.value("ID", ""), kRescheduled});
        plan_.next_allocation.emplace_back(failed.value("ID", ""), placed->value("ID", ""));
        count_update(name, "RescheduleNow");
        count_update(name, "Place");
      }
    }

    const size_t budget = update_budget(work, group);
    for (size_t i = 0; i < work.destructive.size(); ++i) {
      if (i >= budget) {
        plan_.more_updates_pending = true;
        break;
      }
      const Json& old = *work.destructive[i];
      Placement placement;
      placement.index = alloc_index(old);
      placement.previous_allocation = old.value("ID", "");
      if (place(group, placement, &old)) {
        plan_.stop.push_back({old.value("ID", ""), kUpdating});
        count_update(name, "DestructiveUpdate");
      } else {
        plan_.more_updates_pending = true;
      }
    }

    int missing = count - static_cast<int>(work.slots.size());
    for (int index = 0; missing > 0; ++index) {
      if (used_indexes.count(index)) continue;
      Placement placement;
      placement.index = index;
      if (place(group, placement, nullptr)) count_update(name, "Place");
      --missing;
    }
  }

  // Why the node cannot take the group at all (datacenter, pool, driver, constraint), as
  // a metric, or nullopt.
  std::optional<Json> infeasible(const Json& group, const std::string& replacing_id) {
    const NodeInfo& node = request_.node;
    const Json& job = request_.job;
    const std::string pool = job.value("NodePool", "");
    if (!datacenter_matches(job, node) ||
        !(pool.empty() || pool == "all" || pool == node.node_pool)) {
      Json metric = node_metric(node);
      metric["NodesEvaluated"] = 0;
      metric["NodesInPool"] = 0;
      Json available = Json::object();
      for (const auto& dc : job.value("Datacenters", Json::array())) {
        if (dc.is_string()) available[dc.get<std::string>()] = 0;
      }
      metric["NodesAvailable"] = available;
      return metric;
    }
    std::optional<std::string> reason;
    for (const auto& task : group.value("Tasks", Json::array())) {
      const std::string driver = task.value("Driver", "");
      if (!node.attributes.count("driver." + driver)) reason = "missing drivers";
    }
    const bool job_distinct = has_distinct_hosts(job.value("Constraints", Json()));
    const bool group_distinct = has_distinct_hosts(group.value("Constraints", Json()));
    if (!reason) {
      reason = failed_constraint(job.value("Constraints", Json()), node,
                                 job_distinct && live_on_node("", replacing_id));
    }
    if (!reason) {
      reason =
          failed_constraint(group.value("Constraints", Json()), node,
                            group_distinct && live_on_node(group.value("Name", ""), replacing_id));
    }
    for (const auto& task : group.value("Tasks", Json::array())) {
      if (!reason) reason = failed_constraint(task.value("Constraints", Json()), node, false);
    }
    if (!reason) return std::nullopt;
    Json metric = node_metric(node);
    metric["NodesFiltered"] = 1;
    metric["ConstraintFiltered"] = {{*reason, 1}};
    return metric;
  }

  // Whether an allocation of the job (of `group` when named) runs on the node after this
  // plan's stops and placements: what distinct_hosts forbids a second of.
  bool live_on_node(const std::string& group, const std::string& replacing_id) const {
    std::set<std::string> stopping = {replacing_id};
    for (const auto& stop : plan_.stop) stopping.insert(stop.alloc_id);
    auto counts = [&](const Json& alloc) {
      return group.empty() || alloc.value("TaskGroup", "") == group;
    };
    for (const auto& alloc : request_.job_allocations) {
      if (!alloc_terminal(alloc) && !stopping.count(alloc.value("ID", "")) && counts(alloc)) {
        return true;
      }
    }
    for (const auto& alloc : plan_.place) {
      if (counts(alloc)) return true;
    }
    return false;
  }

  void record_failure(const std::string& group, Json metric) {
    ++plan_.queued[group];
    if (group_failed_) {
      Json& coalesced = plan_.failed_tg_allocs[group]["CoalescedFailures"];
      coalesced = coalesced.get<int>() + 1;
      return;
    }
    group_failed_ = true;
    plan_.failed_tg_allocs[group] = std::move(metric);
  }

  Json exhausted_metric(const std::string& dimension) const {
    Json metric = node_metric(request_.node);
    metric["NodesExhausted"] = 1;
    metric["ClassExhausted"] = {{request_.node.node_class, 1}};
    metric["DimensionExhausted"] = {{dimension, 1}};
    return metric;
  }

  // Tries one allocation of `group` on the node; `replacing` (stopped by the plan when
  // this succeeds) gives its resources up for the attempt. Returns the placed document.
  const Json* place(const Json& group, const Placement& base, const Json* replacing) {
    const std::string name = group.value("Name", "");
    if (group_failed_) {
      record_failure(name, Json());
      return nullptr;
    }
    if (auto filtered = infeasible(group, replacing ? replacing->value("ID", "") : "")) {
      // A system job simply does not run on a node it does not fit; not a failure.
      if (system_like()) return nullptr;
      record_failure(name, std::move(*filtered));
      return nullptr;
    }
    if (replacing != nullptr) ledger_.release(*replacing);
    auto give_back = [&] {
      if (replacing != nullptr) ledger_.hold(*replacing);
    };

    if (auto dimension = exhausted_dimension(request_.node, ledger_.used(), group_ask(group))) {
      give_back();
      record_failure(name, exhausted_metric(*dimension));
      return nullptr;
    }
    const std::string host_ip = host_address();
    PortOffer ports = assign_ports(group, host_ip, ledger_.ports());
    if (!ports.failure.empty()) {
      give_back();
      record_failure(name, exhausted_metric(ports.failure));
      return nullptr;
    }

    Placement placement = base;
    placement.allocated_resources = allocated_resources(group, ports);
    plan_.place.push_back(allocation_document(request_, group, placement));
    ledger_.hold(plan_.place.back());
    return &plan_.place.back();
  }

  std::string host_address() const {
    auto it = request_.node.attributes.find("unique.network.ip-address");
    if (it != request_.node.attributes.end() && !it->second.empty()) return it->second;
    return "127.0.0.1";
  }

  const PlanRequest& request_;
  NodeLedger ledger_;
  std::set<std::string> replaced_;  // allocations some other allocation replaced
  Plan plan_;
  bool group_failed_ = false;
};

}  // namespace

Plan plan(const PlanRequest& request) {
  return Planner(request).run();
}

}  // namespace pot::agent
