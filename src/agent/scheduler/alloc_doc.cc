// The allocation documents the scheduler writes: names `job.group[index]`, Nomad's
// AllocatedResources and AllocMetric shapes, and a new allocation complete enough for
// the state store to keep as it is.
#include <string>

#include "agent/scheduler/scheduler_parts.h"

namespace pot::agent::scheduler {

int alloc_index(const Json& alloc) {
  const std::string name = alloc.value("Name", "");
  const auto open = name.rfind('[');
  if (open == std::string::npos || name.empty() || name.back() != ']') return -1;
  const std::string digits = name.substr(open + 1, name.size() - open - 2);
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return -1;
  }
  return std::stoi(digits);
}

std::string alloc_name(const std::string& job_id, const std::string& group, int index) {
  return job_id + "." + group + "[" + std::to_string(index) + "]";
}

Json node_metric(const NodeInfo& node) {
  return {{"NodesEvaluated", 1},
          {"NodesFiltered", 0},
          {"NodesInPool", 1},
          {"NodePool", node.node_pool},
          {"NodesAvailable", {{node.datacenter, 1}}},
          {"ClassFiltered", nullptr},
          {"ConstraintFiltered", nullptr},
          {"NodesExhausted", 0},
          {"ClassExhausted", nullptr},
          {"DimensionExhausted", nullptr},
          {"QuotaExhausted", nullptr},
          {"ResourcesExhausted", nullptr},
          {"Scores", nullptr},
          {"AllocationTime", 0},
          {"CoalescedFailures", 0},
          {"ScoreMetaData", nullptr}};
}

Json allocated_resources(const Json& group, const PortOffer& ports) {
  Json tasks = Json::object();
  Json lifecycles = Json::object();
  for (const auto& task : group.value("Tasks", Json::array())) {
    const std::string name = task.value("Name", "");
    Json resources = task_allocated_resources(task);
    auto network = ports.task_networks.find(name);
    if (network != ports.task_networks.end()) resources["Networks"] = network->second;
    tasks[name] = resources;
    lifecycles[name] = task.value("Lifecycle", Json());
  }
  const Json disk = group.value("EphemeralDisk", Json::object());
  Json shared = {{"Networks", ports.shared_networks},
                 {"DiskMB", disk.is_object() ? disk.value("SizeMB", 0) : 0},
                 {"Ports", ports.shared_ports.empty() ? Json() : ports.shared_ports}};
  return {{"Tasks", tasks}, {"TaskLifecycles", lifecycles}, {"Shared", shared}};
}

Json allocation_document(const PlanRequest& request, const Json& group,
                         const Placement& placement) {
  const std::string group_name = group.value("Name", "");
  Json alloc = Json::object();
  alloc["ID"] = request.new_id();
  alloc["Namespace"] = request.namespace_name;
  alloc["EvalID"] = request.eval_id;
  alloc["Name"] = alloc_name(request.job_id, group_name, placement.index);
  alloc["NodeID"] = request.node.id;
  alloc["NodeName"] = request.node.name;
  alloc["JobID"] = request.job_id;
  alloc["JobVersion"] = request.job.value("Version", 0);
  alloc["TaskGroup"] = group_name;
  alloc["AllocatedResources"] = placement.allocated_resources;
  alloc["Metrics"] = node_metric(request.node);
  alloc["DesiredStatus"] = "run";
  alloc["DesiredDescription"] = "";
  alloc["DesiredTransition"] = {{"Migrate", nullptr},
                                {"Reschedule", nullptr},
                                {"ForceReschedule", nullptr},
                                {"NoShutdownDelay", nullptr}};
  alloc["ClientStatus"] = "pending";
  alloc["ClientDescription"] = "";
  alloc["TaskStates"] = Json::object();
  alloc["DeploymentID"] = "";
  alloc["DeploymentStatus"] = nullptr;
  alloc["FollowupEvalID"] = "";
  alloc["PreviousAllocation"] = placement.previous_allocation;
  alloc["NextAllocation"] = "";
  alloc["RescheduleTracker"] = placement.reschedule_tracker;
  alloc["PreemptedAllocations"] = nullptr;
  alloc["PreemptedByAllocation"] = "";
  alloc["CreateTime"] = request.now_ns;
  alloc["ModifyTime"] = request.now_ns;
  return alloc;
}

}  // namespace pot::agent::scheduler
