// The pieces plan() is made of, one concern per file: what a group asks for and whether the
// node can still give it (resources.cc), which host ports it gets (ports.cc), whether the
// node may run it at all (constraints.cc), when a failed allocation is replaced
// (reschedule.cc), whether an older job version can be updated in place (job_diff.cc), and
// the allocation documents themselves (alloc_doc.cc). Internal to the scheduler.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/scheduler/node.h"
#include "agent/scheduler/scheduler.h"

namespace pot::agent::scheduler {

using Json = nlohmann::ordered_json;

// ---- resources.cc ----

struct Usage {
  int64_t cpu_mhz = 0;
  int64_t memory_mb = 0;
};

// What an allocation holds: the sum of its AllocatedResources.Tasks.
Usage allocation_usage(const Json& alloc);
// What one allocation of `group` asks for: the sum of its tasks' Resources.
Usage group_ask(const Json& group);
// The dimension Nomad names when `ask` does not fit beside `used` ("cpu", "memory"), or
// nullopt when it fits.
std::optional<std::string> exhausted_dimension(const NodeInfo& node, const Usage& used,
                                               const Usage& ask);
// AllocatedResources.Tasks[task] for one task: {Cpu, Memory, Networks, Devices}.
Json task_allocated_resources(const Json& task);

// ---- ports.cc ----

// The host ports of an allocation: group (Shared.Ports, Shared.Networks) and task
// (Tasks[*].Networks) forms.
std::set<int> allocation_ports(const Json& alloc);

struct PortOffer {
  Json shared_ports = Json::array();          // AllocatedResources.Shared.Ports
  Json shared_networks = nullptr;             // AllocatedResources.Shared.Networks
  std::map<std::string, Json> task_networks;  // task -> AllocatedResources.Tasks[task].Networks
  std::string failure;  // "network: reserved port collision http=8080", empty on success
};

struct PortState {
  std::set<int> held;   // ports of the allocations that stay or are placed in this plan
  std::set<int> known;  // ports of every allocation on the node, stopping ones too
  std::function<bool(int)> port_in_use;
  // Dynamic ports below this were all taken when last searched: within one plan ports
  // are only added, so each search starts where the last one ended and probes every port
  // at most once, however many allocations are placed.
  int dynamic_floor = 20000;
};

// Assigns the ports `group` asks for (its network and its tasks' legacy networks) on
// `host_ip`; on success the assigned ports join `state.held`.
PortOffer assign_ports(const Json& group, const std::string& host_ip, PortState& state);

// ---- constraints.cc ----

// The first constraint of `constraints` (Nomad's [{LTarget, RTarget, Operand}]) the node
// fails, as Nomad's ConstraintFiltered key ("${attr.kernel.name} = windows"), or nullopt.
// distinct_hosts fails when `placed_on_node` (the job's or group's other allocations on
// this node) is true.
std::optional<std::string> failed_constraint(const Json& constraints, const NodeInfo& node,
                                             bool placed_on_node);
bool has_distinct_hosts(const Json& constraints);
// Whether the node is in one of the job's datacenters ("*" and globs allowed).
bool datacenter_matches(const Json& job, const NodeInfo& node);

// ---- reschedule.cc ----

struct RescheduleDecision {
  enum class Kind { kNever, kNow, kLater } kind = Kind::kNever;
  int64_t at_ns = 0;     // when (kNow: the failure time + delay, not after now)
  int64_t delay_ns = 0;  // the delay of this attempt, for the tracker event
};

// What to do with a failed allocation under `policy` (the group's ReschedulePolicy JSON,
// null for none) at `now_ns`.
RescheduleDecision reschedule_decision(const Json& alloc, const Json& policy, int64_t now_ns);
// The RescheduleTracker of the replacement: the failed allocation's events that still
// count, plus this attempt.
Json next_reschedule_tracker(const Json& failed_alloc, const Json& policy,
                             const RescheduleDecision& decision, int64_t now_ns);

// ---- job_diff.cc ----

// Whether `group_name`'s tasks differ between two versions of a job in a way that needs
// new allocations (Nomad's tasksUpdated): anything but count, update, reschedule,
// migrate, scaling, constraints, affinities, spreads, services and restart/kill settings.
bool group_needs_destructive_update(const Json& old_job, const Json& new_job,
                                    const std::string& group_name);

// ---- alloc_doc.cc ----

int alloc_index(const Json& alloc);  // the N of "job.group[N]", -1 when none
std::string alloc_name(const std::string& job_id, const std::string& group, int index);
// An AllocMetric document with every field Nomad's API has, for one node evaluated.
Json node_metric(const NodeInfo& node);

// The parts of a new allocation that differ from one placement to the next.
struct Placement {
  int index = 0;
  std::string previous_allocation;    // empty for none
  Json reschedule_tracker = nullptr;  // RescheduleTracker, or null
  Json allocated_resources;           // {Tasks, TaskLifecycles, Shared}
};

// A complete allocation document of `group` for the state store.
Json allocation_document(const PlanRequest& request, const Json& group, const Placement& placement);
// AllocatedResources for one allocation of `group` with the ports of `ports`.
Json allocated_resources(const Json& group, const PortOffer& ports);

}  // namespace pot::agent::scheduler
