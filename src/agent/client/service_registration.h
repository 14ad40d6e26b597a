// What a task's `service` blocks register in the catalog while it runs: one instance per
// service (Nomad's ids `_nomad-task-<alloc>-<task>-<service>-<port label>`, and
// `..-group-<group>-..` for a group's services), its port by label from the allocation, its
// address (the node's, or the pot's own with address_mode "driver"), and its checks with
// Nomad's defaults. Names, tags, meta and check paths are interpolated with the task's
// environment as Nomad does (`${NOMAD_JOB_NAME}`...).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/scheduler/node.h"
#include "agent/services/service_catalog.h"

namespace pot::agent {

struct ServiceRegistration {
  ServiceInstance instance;
  std::vector<CheckDefinition> checks;
};

struct ServiceContext {
  const nlohmann::ordered_json& alloc;
  const nlohmann::ordered_json& job;
  const nlohmann::ordered_json& group;
  const NodeInfo& node;
  std::string node_address;  // the catalog's node address
  std::string pot_address;   // the task's pot (address_mode "driver"); "" when unknown
};

// The registrations of the task's services (`task` one of the group's Tasks).
std::vector<ServiceRegistration> task_service_registrations(const ServiceContext& context,
                                                            const nlohmann::ordered_json& task);
// The registrations of the group's own services (checks that name a task run in its pot).
std::vector<ServiceRegistration> group_service_registrations(const ServiceContext& context);

// Whether the group has any check: deployments then wait for checks (health_check "checks").
bool group_has_checks(const nlohmann::ordered_json& group);

// The longest shutdown_delay of the group and its tasks: how long instances stay out of the
// catalog before the tasks are killed.
std::chrono::milliseconds shutdown_delay(const nlohmann::ordered_json& group);

}  // namespace pot::agent
