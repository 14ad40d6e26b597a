#include "agent/client/service_registration.h"

#include <algorithm>

#include "agent/client/task_config.h"
#include "agent/client/task_env.h"
#include "core/error.h"
#include "image/digest.h"

namespace pot::agent {

namespace {

using Json = nlohmann::ordered_json;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

std::string text(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t integer(const Json& object, const char* key, int64_t fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : fallback;
}

milliseconds duration(const Json& object, const char* key, milliseconds fallback) {
  int64_t ns = integer(object, key, -1);
  if (ns <= 0) return fallback;
  return std::chrono::duration_cast<milliseconds>(nanoseconds(ns));
}

struct Resolved {
  int host_port = 0;
  int to = 0;
};

// A port label of the allocation, or a number written in its place.
Resolved resolve_port(const std::vector<driver::PortMapping>& ports, const std::string& label) {
  if (label.empty()) return {};
  for (const auto& port : ports)
    if (port.label == label) return {port.host_port, port.to > 0 ? port.to : port.host_port};
  if (std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      label.size() <= 5) {
    int number = std::stoi(label);
    return {number, number};
  }
  return {};
}

struct Scope {
  const ServiceContext& context;
  std::vector<driver::PortMapping> ports;
  std::map<std::string, std::string> env;
  std::string task;  // "" for the group
};

std::string interpolate(const Scope& scope, const std::string& value) {
  return interpolate_runtime(value, scope.env, scope.context.node);
}

std::string check_id(const std::string& instance_id, const Json& check, size_t index) {
  image::Sha256 hash;
  std::string key = instance_id + "\n" + std::to_string(index) + "\n" + check.dump();
  hash.update(key.data(), key.size());
  return "_nomad-check-" + hash.hex_digest().substr(0, 40);
}

CheckDefinition make_check(const Scope& scope, const ServiceInstance& instance, const Json& service,
                           const Json& check, size_t index) {
  CheckDefinition definition;
  definition.id = check_id(instance.id, check, index);
  definition.type = text(check, "Type");
  definition.name = interpolate(scope, text(check, "Name"));
  if (definition.name.empty()) definition.name = "service: \"" + instance.name + "\" check";
  definition.interval = duration(check, "Interval", milliseconds(10'000));
  definition.timeout = duration(check, "Timeout", milliseconds(10'000));
  if (definition.type == "ttl") definition.ttl = definition.interval;

  // Where the check connects: its own port label and address mode, else the service's.
  std::string label = text(check, "PortLabel");
  // Unlike a service's, a check's address mode has no "auto": host unless it says driver.
  std::string mode = text(check, "AddressMode");
  Resolved port = resolve_port(scope.ports, label.empty() ? text(service, "PortLabel") : label);
  bool in_pot = mode == "driver" && !scope.context.pot_address.empty();
  definition.address = in_pot ? scope.context.pot_address : scope.context.node_address;
  definition.port = in_pot ? port.to : port.host_port;

  definition.protocol = text(check, "Protocol").empty() ? "http" : text(check, "Protocol");
  definition.method = text(check, "Method").empty() ? "GET" : text(check, "Method");
  definition.path = interpolate(scope, text(check, "Path"));
  if (definition.path.empty()) definition.path = "/";
  const Json headers = check.value("Header", Json());
  if (headers.is_object())
    for (const auto& [name, values] : headers.items())
      if (values.is_array())
        for (const auto& header_value : values)
          if (header_value.is_string())
            definition.headers[name].push_back(interpolate(scope, header_value.get<std::string>()));
  definition.body = text(check, "Body");
  definition.grpc_service = text(check, "GRPCService");
  definition.grpc_use_tls = check.value("GRPCUseTLS", false);

  definition.task = text(check, "TaskName");
  if (definition.task.empty()) definition.task = scope.task;
  definition.command = interpolate(scope, text(check, "Command"));
  const Json args = check.value("Args", Json());
  if (args.is_array())
    for (const auto& arg : args)
      if (arg.is_string()) definition.args.push_back(interpolate(scope, arg.get<std::string>()));

  if (auto status = parse_check_status(text(check, "InitialStatus")))
    definition.initial_status = *status;
  definition.success_before_passing = static_cast<int>(integer(check, "SuccessBeforePassing", 0));
  definition.failures_before_critical =
      static_cast<int>(integer(check, "FailuresBeforeCritical", 0));
  // check_restart: the check's own block wins over the service's.
  Json restart = check.value("CheckRestart", Json());
  if (!restart.is_object()) restart = service.value("CheckRestart", Json());
  if (restart.is_object()) {
    definition.restart_limit = static_cast<int>(integer(restart, "Limit", 0));
    definition.restart_grace = duration(restart, "Grace", milliseconds(1'000));
    definition.restart_ignore_warnings = restart.value("IgnoreWarnings", false);
  }
  definition.notes = text(check, "Notes");
  return definition;
}

std::vector<ServiceRegistration> registrations(const Scope& scope, const Json& services,
                                               const std::string& id_owner) {
  std::vector<ServiceRegistration> result;
  if (!services.is_array()) return result;
  const ServiceContext& context = scope.context;
  std::string alloc_id = text(context.alloc, "ID");
  std::string job_name = text(context.job, "Name");
  std::string group_name = text(context.group, "Name");
  for (const auto& service : services) {
    ServiceRegistration entry;
    ServiceInstance& instance = entry.instance;
    instance.name = interpolate(scope, text(service, "Name"));
    if (instance.name.empty())
      instance.name = job_name + "-" + group_name + (scope.task.empty() ? "" : "-" + scope.task);
    std::string label = text(service, "PortLabel");
    instance.id = "_nomad-task-" + alloc_id + "-" + id_owner + "-" + instance.name + "-" + label;
    const Json tags = service.value("Tags", Json());
    if (tags.is_array())
      for (const auto& tag : tags)
        if (tag.is_string()) instance.tags.push_back(interpolate(scope, tag.get<std::string>()));
    const Json meta = service.value("Meta", Json());
    if (meta.is_object())
      for (const auto& [key, value] : meta.items())
        if (value.is_string()) instance.meta[key] = interpolate(scope, value.get<std::string>());

    std::string mode = text(service, "AddressMode");
    Resolved port = resolve_port(scope.ports, label);
    std::string address = interpolate(scope, text(service, "Address"));
    if (!address.empty()) {
      instance.address = address;
      instance.port = port.host_port;
    } else if (mode == "driver" && !context.pot_address.empty()) {
      instance.address = context.pot_address;
      instance.port = port.to;
    } else {
      instance.address = context.node_address;
      instance.port = port.host_port;
    }
    instance.alloc_id = alloc_id;
    instance.task = scope.task;
    instance.job_id = text(context.job, "ID");
    instance.group = group_name;
    instance.namespace_name = text(context.alloc, "Namespace");
    if (instance.namespace_name.empty()) instance.namespace_name = "default";

    const Json checks = service.value("Checks", Json());
    if (checks.is_array())
      for (size_t i = 0; i < checks.size(); ++i)
        entry.checks.push_back(make_check(scope, instance, service, checks[i], i));
    result.push_back(std::move(entry));
  }
  return result;
}

}  // namespace

std::vector<ServiceRegistration> task_service_registrations(const ServiceContext& context,
                                                            const Json& task) {
  std::string task_name = text(task, "Name");
  Scope scope{
      context, task_ports(context.alloc, task_name),
      task_environment(context.alloc, context.job, text(context.group, "Name"), task, context.node),
      task_name};
  return registrations(scope, task.value("Services", Json()), task_name);
}

std::vector<ServiceRegistration> group_service_registrations(const ServiceContext& context) {
  // A group's services see the group's ports; the environment is the first task's (the
  // NOMAD_* variables of the allocation and job are the same for every task).
  const Json tasks = context.group.value("Tasks", Json::array());
  Json first = tasks.is_array() && !tasks.empty() ? tasks[0] : Json::object();
  Scope scope{context, task_ports(context.alloc, ""),
              task_environment(context.alloc, context.job, text(context.group, "Name"), first,
                               context.node),
              ""};
  return registrations(scope, context.group.value("Services", Json()),
                       "group-" + text(context.group, "Name"));
}

bool group_has_checks(const Json& group) {
  auto has = [](const Json& services) {
    if (!services.is_array()) return false;
    for (const auto& service : services) {
      const Json checks = service.value("Checks", Json());
      if (checks.is_array() && !checks.empty()) return true;
    }
    return false;
  };
  if (has(group.value("Services", Json()))) return true;
  const Json tasks = group.value("Tasks", Json());
  if (tasks.is_array())
    for (const auto& task : tasks)
      if (has(task.value("Services", Json()))) return true;
  return false;
}

milliseconds shutdown_delay(const Json& group) {
  milliseconds longest = duration(group, "ShutdownDelay", milliseconds(0));
  const Json tasks = group.value("Tasks", Json());
  if (tasks.is_array())
    for (const auto& task : tasks)
      longest = std::max(longest, duration(task, "ShutdownDelay", milliseconds(0)));
  return longest;
}

}  // namespace pot::agent
