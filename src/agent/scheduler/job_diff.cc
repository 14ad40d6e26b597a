// In-place or destructive: what Nomad's tasksUpdated treats as a change of what runs.
// Both versions' group documents are compared with the fields that an allocation can
// follow without a restart taken out: count, the update/reschedule/migrate/scaling
// blocks, placement rules (constraints, affinities, spreads), services and checks,
// restart policy and kill settings, and log rotation sizes. Everything else (driver,
// config, env, resources, networks, volumes, meta, templates, artifacts...) is a change.
#include "agent/scheduler/scheduler_parts.h"

namespace pot::agent::scheduler {
namespace {

const Json* find_group(const Json& job, const std::string& name) {
  if (!job.is_object() || !job.contains("TaskGroups") || !job["TaskGroups"].is_array()) {
    return nullptr;
  }
  for (const auto& group : job["TaskGroups"]) {
    if (group.value("Name", "") == name) return &group;
  }
  return nullptr;
}

Json what_runs(const Json& group) {
  Json copy = group;
  for (const char* key :
       {"Count", "Update", "ReschedulePolicy", "Migrate", "Scaling", "Constraints", "Affinities",
        "Spreads", "Services", "RestartPolicy", "ShutdownDelay", "StopAfterClientDisconnect",
        "MaxClientDisconnect", "Disconnect", "PreventRescheduleOnLost"}) {
    copy.erase(key);
  }
  if (copy.contains("Tasks") && copy["Tasks"].is_array()) {
    for (auto& task : copy["Tasks"]) {
      for (const char* key :
           {"Services", "RestartPolicy", "KillTimeout", "KillSignal", "ShutdownDelay",
            "Constraints", "Affinities", "ScalingPolicies", "Leader"}) {
        task.erase(key);
      }
      // Only switching logs off or on needs a new task; sizes apply in place.
      if (task.contains("LogConfig") && task["LogConfig"].is_object()) {
        task["LogConfig"] = task["LogConfig"].value("Disabled", false);
      }
    }
  }
  return copy;
}

}  // namespace

bool group_needs_destructive_update(const Json& old_job, const Json& new_job,
                                    const std::string& group_name) {
  const Json* old_group = find_group(old_job, group_name);
  const Json* new_group = find_group(new_job, group_name);
  if (old_group == nullptr || new_group == nullptr) return true;
  return what_runs(*old_group) != what_runs(*new_group);
}

}  // namespace pot::agent::scheduler
