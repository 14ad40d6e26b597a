// Scheduling on one node, as a pure function: a job as stored, the allocations that exist,
// the node and a port probe in; the plan out (allocations to place, to stop, to update in
// place, and what could not be placed, with Nomad's reasons). Nothing here touches the
// state store or a pot, so every decision is tested without either.
//
// It follows Nomad's generic (service, batch) and system (system, sysbatch) schedulers on
// a single node:
//   - count per group (system/sysbatch: 1), names `job.group[index]`, lowest free index first;
//   - resources: the sum of each group's task cpu (MHz) and memory (MB) against the node's
//     capacity minus what the node's other running allocations hold (a failure says which
//     dimension is exhausted: "cpu", "memory", "network: reserved port collision http=8080",
//     "network: dynamic port selection failed");
//   - ports: static ports as asked; dynamic ones from 20000-32000, never a port held by
//     another allocation or `port_in_use`; group networks and the older task
//     `resources { network { port ... } }` form alike;
//   - constraints (`${attr.x}`, `${node.datacenter}`, `${node.unique.name}`, `${meta.x}`;
//     operators =, !=, >, >=, <, <=, regexp, set_contains, set_contains_any, version,
//     semver, is_set, is_not_set, distinct_hosts) and datacenters: a node that fails one
//     places nothing, and the reason names the constraint;
//   - a stopped or purged job stops every allocation; a smaller count stops the highest
//     indexes; batch allocations that completed are not replaced;
//   - a job whose tasks changed (anything but count, meta of the job, update and
//     reschedule blocks) replaces its allocations destructively, at most `update.max_parallel`
//     at a time: new-version allocations that are not yet healthy hold slots
//     (`DeploymentStatus.Healthy`), and the plan says more is pending;
//   - a failed allocation of a service job is replaced per its reschedule policy (delay,
//     exponential/fibonacci/constant, max_delay, attempts within interval, unlimited): now,
//     or later (`follow_up_at`).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/scheduler/node.h"

namespace pot::agent {

using Json = nlohmann::ordered_json;

struct PlanRequest {
  // The job as stored (Nomad's API JSON with Version, Stop, ...); null when purged.
  Json job;
  std::string namespace_name = "default";
  std::string job_id;
  // Every allocation of this job, terminal ones too (Nomad's allocation JSON, as stored).
  std::vector<Json> job_allocations;
  // The stored job versions that job_allocations run (JobVersion -> job): an allocation
  // whose version's tasks equal the current job's is updated in place, else destructively.
  // A version missing here counts as changed.
  std::map<uint64_t, Json> job_versions;
  // Every non-terminal allocation on the node, of every job (this one's included): what
  // holds cpu, memory and ports.
  std::vector<Json> node_allocations;
  NodeInfo node;
  // Whether a host port is taken by something that is not an allocation (probed by binding).
  std::function<bool(int port)> port_in_use = [](int) { return false; };
  std::string eval_id;
  int64_t now_ns = 0;  // wall clock, Unix nanoseconds
  // New allocation IDs (UUIDs); tests pass a counter.
  std::function<std::string()> new_id;
};

struct AllocStop {
  std::string alloc_id;
  std::string description;  // Nomad's DesiredDescription: "alloc not needed due to job update"
};

// What a group's placements failed on: Nomad's AllocMetric (NodesEvaluated, NodesFiltered,
// NodesExhausted, ClassExhausted, DimensionExhausted, ConstraintFiltered, ...).
using AllocMetric = Json;

struct Plan {
  // New allocations, complete documents: ID, Namespace, EvalID, Name, NodeID, NodeName,
  // JobID, JobVersion, TaskGroup, AllocatedResources {Tasks: {task: {Cpu: {CpuShares},
  // Memory: {MemoryMB, MemoryMaxMB}, Networks}}, Shared: {Ports: [{Label, Value, To,
  // HostIP}], Networks}}, DesiredStatus "run", ClientStatus "pending", PreviousAllocation,
  // RescheduleTracker, CreateTime, ModifyTime. Also: Metrics (AllocMetric),
  // AllocatedResources.TaskLifecycles and Shared.DiskMB; a task's older
  // `resources { network }` ports are in Tasks[task].Networks (IP, DynamicPorts with their
  // Value), not in Shared.Ports, as Nomad keeps them. The Job itself is not embedded.
  std::vector<Json> place;
  std::vector<AllocStop> stop;
  // Allocations that only move to the new job version (no task changed): their new
  // JobVersion is set.
  std::vector<Json> update_in_place;
  // Failed allocations replaced by this plan: (failed allocation ID, replacement ID), for
  // the failed one's NextAllocation. The failed one is also in `stop` ("alloc was
  // rescheduled because it failed").
  std::vector<std::pair<std::string, std::string>> next_allocation;
  std::map<std::string, AllocMetric> failed_tg_allocs;  // group -> why it could not place
  std::map<std::string, int> queued;                    // group -> allocations left unplaced
  // Nomad's plan annotations: group -> {Place, Stop, InPlaceUpdate, DestructiveUpdate,
  // Ignore, Migrate, Canary, Preemptions}.
  Json desired_tg_updates = Json::object();
  // Destructive updates held back by max_parallel: evaluate again when an allocation of
  // the new version turns healthy.
  bool more_updates_pending = false;
  // A reschedule waiting for its delay: evaluate again at this time (Unix ns).
  std::optional<int64_t> follow_up_at;
};

Plan plan(const PlanRequest& request);

// What potd cannot run, one message per feature naming it ("task `web`: driver `docker`
// is not supported by potd (only `pot`)", "group `api`: connect sidecars are not
// supported", CSI volumes, `template`, `artifact`); empty when the job can run.
std::vector<std::string> unsupported_features(const Json& job);

// Whether an allocation is terminal for scheduling (desired stop/evict, or client status
// complete, failed or lost).
bool alloc_terminal(const Json& alloc);

}  // namespace pot::agent
