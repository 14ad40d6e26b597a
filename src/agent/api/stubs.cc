#include "agent/api/stubs.h"

#include <map>
#include <string>

namespace pot::agent::http {
namespace {

std::string string_of(const Json& document, const char* key) {
  auto it = document.find(key);
  return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t index_of(const Json& document, const char* key) {
  auto it = document.find(key);
  return it != document.end() && it->is_number_unsigned() ? it->get<uint64_t>()
         : it != document.end() && it->is_number_integer()
             ? static_cast<uint64_t>(std::max<int64_t>(it->get<int64_t>(), 0))
             : 0;
}

// A copy of `document[key]`, or `fallback` when absent.
Json field(const Json& document, const char* key, Json fallback = nullptr) {
  auto it = document.find(key);
  return it != document.end() ? *it : fallback;
}

bool is_set(const Json& document, const char* key) {
  auto it = document.find(key);
  return it != document.end() && !it->is_null();
}

// The evaluation whose QueuedAllocations speak for the job now: the last one written.
const Json* latest_evaluation(const std::vector<Json>& evaluations) {
  const Json* latest = nullptr;
  for (const Json& evaluation : evaluations) {
    if (!is_set(evaluation, "QueuedAllocations")) continue;
    if (latest == nullptr ||
        index_of(evaluation, "ModifyIndex") >= index_of(*latest, "ModifyIndex"))
      latest = &evaluation;
  }
  return latest;
}

}  // namespace

Json job_summary(const Json& job, const std::vector<Json>& allocations,
                 const std::vector<Json>& evaluations) {
  // Every group of the job appears, even with nothing placed yet.
  std::map<std::string, std::map<std::string, int64_t>> counts;
  if (auto groups = job.find("TaskGroups"); groups != job.end() && groups->is_array()) {
    for (const Json& group : *groups) counts[string_of(group, "Name")];
  }
  uint64_t modify_index = index_of(job, "ModifyIndex");
  for (const Json& allocation : allocations) {
    auto& group = counts[string_of(allocation, "TaskGroup")];
    const std::string status = string_of(allocation, "ClientStatus");
    if (status == "pending") ++group["Starting"];
    if (status == "running") ++group["Running"];
    if (status == "complete") ++group["Complete"];
    if (status == "failed") ++group["Failed"];
    if (status == "lost") ++group["Lost"];
    if (status == "unknown") ++group["Unknown"];
    modify_index = std::max(modify_index, index_of(allocation, "ModifyIndex"));
  }
  if (const Json* evaluation = latest_evaluation(evaluations);
      evaluation != nullptr && (*evaluation)["QueuedAllocations"].is_object()) {
    for (auto& [name, queued] : (*evaluation)["QueuedAllocations"].items()) {
      if (queued.is_number_integer() && counts.contains(name))
        counts[name]["Queued"] = queued.get<int64_t>();
    }
    modify_index = std::max(modify_index, index_of(*evaluation, "ModifyIndex"));
  }

  Json summary = Json::object();
  for (const auto& [name, group] : counts) {
    Json entry = Json::object();
    for (const char* key :
         {"Queued", "Complete", "Failed", "Running", "Starting", "Lost", "Unknown"}) {
      auto it = group.find(key);
      entry[key] = it == group.end() ? 0 : it->second;
    }
    summary[name] = std::move(entry);
  }
  return Json{{"JobID", string_of(job, "ID")},
              {"Namespace", field(job, "Namespace", "default")},
              {"Summary", std::move(summary)},
              {"Children", Json{{"Pending", 0}, {"Running", 0}, {"Dead", 0}}},
              {"CreateIndex", index_of(job, "CreateIndex")},
              {"ModifyIndex", modify_index}};
}

Json job_list_stub(const Json& job, const std::vector<Json>& allocations,
                   const std::vector<Json>& evaluations) {
  Json stub = {
      {"ID", string_of(job, "ID")},
      {"ParentID", string_of(job, "ParentID")},
      {"Name", string_of(job, "Name")},
      {"Namespace", field(job, "Namespace", "default")},
      {"Datacenters", field(job, "Datacenters", Json::array())},
      {"NodePool", string_of(job, "NodePool")},
      {"Multiregion", field(job, "Multiregion")},
      {"Type", string_of(job, "Type")},
      {"Priority", field(job, "Priority", 50)},
      // Go's JobListStub says whether the job is periodic or parameterized, not how.
      {"Periodic", is_set(job, "Periodic") && field(job["Periodic"], "Enabled", true) == true},
      {"ParameterizedJob", is_set(job, "ParameterizedJob")},
      {"Stop", field(job, "Stop", false)},
      {"Status", string_of(job, "Status")},
      {"StatusDescription", string_of(job, "StatusDescription")},
      {"JobSummary", job_summary(job, allocations, evaluations)},
      {"CreateIndex", index_of(job, "CreateIndex")},
      {"ModifyIndex", index_of(job, "ModifyIndex")},
      {"JobModifyIndex", index_of(job, "JobModifyIndex")},
      {"SubmitTime", field(job, "SubmitTime", 0)},
  };
  if (is_set(job, "Meta") && !job["Meta"].empty()) stub["Meta"] = job["Meta"];
  return stub;
}

std::optional<uint64_t> alloc_job_version(const Json& allocation) {
  if (is_set(allocation, "Job") && allocation["Job"].is_object() &&
      is_set(allocation["Job"], "Version"))
    return index_of(allocation["Job"], "Version");
  if (is_set(allocation, "JobVersion")) return index_of(allocation, "JobVersion");
  return std::nullopt;
}

Json alloc_list_stub(const Json& allocation, const Json* job, bool resources) {
  std::string job_type;
  if (is_set(allocation, "Job") && allocation["Job"].is_object())
    job_type = string_of(allocation["Job"], "Type");
  else if (job != nullptr)
    job_type = string_of(*job, "Type");

  Json stub = {
      {"ID", string_of(allocation, "ID")},
      {"EvalID", string_of(allocation, "EvalID")},
      {"Name", string_of(allocation, "Name")},
      {"Namespace", field(allocation, "Namespace", "default")},
      {"NodeID", string_of(allocation, "NodeID")},
      {"NodeName", string_of(allocation, "NodeName")},
      {"JobID", string_of(allocation, "JobID")},
      {"JobType", job_type},
      {"JobVersion", alloc_job_version(allocation).value_or(0)},
      {"TaskGroup", string_of(allocation, "TaskGroup")},
  };
  if (resources && is_set(allocation, "AllocatedResources"))
    stub["AllocatedResources"] = allocation["AllocatedResources"];
  for (const char* key :
       {"DesiredStatus", "DesiredDescription", "ClientStatus", "ClientDescription"})
    stub[key] = string_of(allocation, key);
  stub["DesiredTransition"] = field(allocation, "DesiredTransition", Json::object());
  stub["TaskStates"] = field(allocation, "TaskStates");
  stub["DeploymentStatus"] = field(allocation, "DeploymentStatus");
  stub["FollowupEvalID"] = string_of(allocation, "FollowupEvalID");
  stub["NextAllocation"] = string_of(allocation, "NextAllocation");
  stub["RescheduleTracker"] = field(allocation, "RescheduleTracker");
  stub["PreemptedAllocations"] = field(allocation, "PreemptedAllocations");
  stub["PreemptedByAllocation"] = string_of(allocation, "PreemptedByAllocation");
  stub["CreateIndex"] = index_of(allocation, "CreateIndex");
  stub["ModifyIndex"] = index_of(allocation, "ModifyIndex");
  stub["CreateTime"] = field(allocation, "CreateTime", 0);
  stub["ModifyTime"] = field(allocation, "ModifyTime", 0);
  return stub;
}

bool alloc_terminal(const Json& allocation) {
  const std::string desired = string_of(allocation, "DesiredStatus");
  const std::string client = string_of(allocation, "ClientStatus");
  return desired == "stop" || desired == "evict" || client == "complete" || client == "failed" ||
         client == "lost";
}

Json job_scale_status(const Json& job, const std::vector<Json>& allocations) {
  Json groups = Json::object();
  if (auto it = job.find("TaskGroups"); it != job.end() && it->is_array()) {
    for (const Json& group : *it) {
      groups[string_of(group, "Name")] = Json{{"Desired", field(group, "Count", 0)},
                                              {"Placed", 0},
                                              {"Running", 0},
                                              {"Healthy", 0},
                                              {"Unhealthy", 0},
                                              {"Events", nullptr}};
    }
  }
  for (const Json& allocation : allocations) {
    auto group = groups.find(string_of(allocation, "TaskGroup"));
    if (group == groups.end() || alloc_terminal(allocation)) continue;
    (*group)["Placed"] = (*group)["Placed"].get<int64_t>() + 1;
    if (string_of(allocation, "ClientStatus") == "running")
      (*group)["Running"] = (*group)["Running"].get<int64_t>() + 1;
    const Json deployment = field(allocation, "DeploymentStatus");
    if (deployment.is_object() && is_set(deployment, "Healthy")) {
      const char* key = deployment["Healthy"] == true ? "Healthy" : "Unhealthy";
      (*group)[key] = (*group)[key].get<int64_t>() + 1;
    }
  }
  return Json{{"JobID", string_of(job, "ID")},
              {"Namespace", field(job, "Namespace", "default")},
              {"JobVersion", field(job, "Version", 0)},
              {"JobCreateIndex", index_of(job, "CreateIndex")},
              {"JobModifyIndex", index_of(job, "JobModifyIndex")},
              {"JobStopped", field(job, "Stop", false)},
              {"TaskGroups", std::move(groups)}};
}

}  // namespace pot::agent::http
