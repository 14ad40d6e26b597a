// What potd refuses at plan time, so that a job file written for Nomad fails with a
// message naming the feature rather than half-running: other task drivers, Consul Connect
// sidecars, CSI volumes, and (until they are implemented) templates and artifacts.
// Lifecycle hooks, sidecar tasks included, are supported.
#include "agent/scheduler/scheduler.h"

namespace pot::agent {
namespace {

bool has_connect(const Json& services) {
  if (!services.is_array()) return false;
  for (const auto& service : services) {
    if (service.is_object() && service.contains("Connect") && !service["Connect"].is_null()) {
      return true;
    }
  }
  return false;
}

bool non_empty_array(const Json& object, const char* key) {
  return object.contains(key) && object[key].is_array() && !object[key].empty();
}

}  // namespace

std::vector<std::string> unsupported_features(const Json& job) {
  std::vector<std::string> messages;
  if (!job.is_object() || !job.contains("TaskGroups") || !job["TaskGroups"].is_array()) {
    return messages;
  }
  for (const auto& group : job["TaskGroups"]) {
    const std::string group_where = "group `" + group.value("Name", "") + "`";
    if (has_connect(group.value("Services", Json()))) {
      messages.push_back(group_where + ": connect sidecars are not supported");
    }
    const Json volumes = group.value("Volumes", Json());
    if (volumes.is_object()) {
      for (const auto& [name, volume] : volumes.items()) {
        if (volume.is_object() && volume.value("Type", "") == "csi") {
          messages.push_back(group_where + ": CSI volume `" + name + "` is not supported");
        }
      }
    }
    for (const auto& task : group.value("Tasks", Json::array())) {
      const std::string where = group_where + ", task `" + task.value("Name", "") + "`";
      const std::string driver = task.value("Driver", "");
      if (driver != "pot") {
        messages.push_back(where + ": driver `" + driver +
                           "` is not supported by potd (only `pot`)");
      }
      if (has_connect(task.value("Services", Json()))) {
        messages.push_back(where + ": connect sidecars are not supported");
      }
      if (non_empty_array(task, "Templates")) {
        messages.push_back(where + ": `template` is not supported yet");
      }
      if (non_empty_array(task, "Artifacts")) {
        messages.push_back(where + ": `artifact` is not supported yet");
      }
    }
  }
  return messages;
}

}  // namespace pot::agent
