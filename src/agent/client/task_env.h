// The NOMAD_* environment of a task, as Nomad's client builds it (taskenv): allocation,
// job, group and task names and IDs, directories as the task sees them, limits, ports by
// label, datacenter, region, namespace and the merged meta; then the task's own `env`
// block, whose values may reference those (`${NOMAD_PORT_http}`, `${attr.kernel.name}`,
// `${meta.x}`, `${node.unique.id}`) and are interpolated here.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/scheduler/node.h"

namespace pot::agent {

// `alloc`: the allocation as stored (ID, Name, TaskGroup, AllocatedResources...); `job`:
// the job version it runs; `task`: the task's JSON within the job. The directories are
// the paths inside the pot (/alloc, /local, /secrets).
std::map<std::string, std::string> task_environment(const nlohmann::ordered_json& alloc,
                                                    const nlohmann::ordered_json& job,
                                                    const std::string& group_name,
                                                    const nlohmann::ordered_json& task,
                                                    const NodeInfo& node);

// Replaces ${NOMAD_*}, ${env.X}, ${attr.x}, ${node.x}, ${meta.x} in `text` from `env`
// and the node; unknown references are left as they are (Nomad's behaviour).
std::string interpolate_runtime(const std::string& text,
                                const std::map<std::string, std::string>& env,
                                const NodeInfo& node);

}  // namespace pot::agent
