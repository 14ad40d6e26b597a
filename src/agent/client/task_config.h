// A task of a job (Nomad's API JSON) as the driver core's request: the `config` block with
// the pot driver's attribute names, resources, ports, volumes, DNS, and the log rotation.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "driver/task.h"

namespace pot::agent {

// The `config` block of a `driver = "pot"` task. Throws pot::Error naming the attribute
// when a value has the wrong shape ("task `web`: config: `port_map` must be a map of
// strings").
driver::TaskConfig task_driver_config(const std::string& task_name,
                                      const nlohmann::ordered_json& config);

// The host and task ports of the task, from the allocation: the group's shared ports and
// the task's own (the older `resources { network { port ... } }` form).
std::vector<driver::PortMapping> task_ports(const nlohmann::ordered_json& alloc,
                                            const std::string& task_name);

}  // namespace pot::agent
