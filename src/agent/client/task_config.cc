#include "agent/client/task_config.h"

#include <set>

#include "core/error.h"

namespace pot::agent {

using Json = nlohmann::ordered_json;

namespace {

std::string where(const std::string& task, const std::string& key) {
  return "task " + quote_name(task) + ": config: " + quote_name(key);
}

std::string scalar_text(const Json& value, const std::string& what) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  throw Error(what + " must be a string");
}

std::vector<std::string> string_list(const Json& value, const std::string& what) {
  if (!value.is_array()) throw Error(what + " must be a list of strings");
  std::vector<std::string> out;
  for (const auto& item : value) out.push_back(scalar_text(item, what));
  return out;
}

// Nomad's HCL decoder turns an object attribute of `config` into a list of one object
// (`port_map = { http = "80" }` arrives as [{"http": "80"}]); the JSON form may send the
// object itself. Both are read.
std::map<std::string, std::string> string_map(const Json& value, const std::string& what) {
  std::map<std::string, std::string> out;
  auto read_object = [&](const Json& object) {
    if (!object.is_object()) throw Error(what + " must be a map of strings");
    for (const auto& [key, item] : object.items()) out[key] = scalar_text(item, what);
  };
  if (value.is_array()) {
    for (const auto& object : value) read_object(object);
  } else {
    read_object(value);
  }
  return out;
}

}  // namespace

driver::TaskConfig task_driver_config(const std::string& task_name, const Json& config) {
  driver::TaskConfig out;
  if (config.is_null()) return out;
  if (!config.is_object())
    throw Error("task " + quote_name(task_name) + ": config must be a block");
  static const std::set<std::string> known = {
      "image",       "pot",          "tag",   "command", "args",
      "port_map",    "network_mode", "copy",  "mount",   "mount_read_only",
      "extra_hosts", "attributes",   "debug", "verbose"};
  for (const auto& [key, value] : config.items()) {
    std::string what = where(task_name, key);
    if (!known.count(key)) throw Error(what + " is not an attribute of the pot driver");
    if (key == "image")
      out.image = scalar_text(value, what);
    else if (key == "pot")
      out.pot = scalar_text(value, what);
    else if (key == "tag")
      out.tag = scalar_text(value, what);
    else if (key == "command")
      out.command = scalar_text(value, what);
    else if (key == "args")
      out.args = string_list(value, what);
    else if (key == "port_map")
      out.port_map = string_map(value, what);
    else if (key == "network_mode")
      out.network_mode = scalar_text(value, what);
    else if (key == "copy")
      out.copy = string_list(value, what);
    else if (key == "mount")
      out.mount = string_list(value, what);
    else if (key == "mount_read_only")
      out.mount_read_only = string_list(value, what);
    else if (key == "extra_hosts")
      out.extra_hosts = string_list(value, what);
    else if (key == "attributes")
      out.attributes = string_list(value, what);
  }
  for (const auto& [key, name] :
       {std::pair{"image", &out.image}, std::pair{"pot", &out.pot}, std::pair{"tag", &out.tag}}) {
    if (name->empty()) throw Error(where(task_name, key) + " is required");
  }
  return out;
}

std::vector<driver::PortMapping> task_ports(const Json& alloc, const std::string& task_name) {
  std::vector<driver::PortMapping> out;
  std::set<std::string> seen;
  auto add = [&](const Json& port, const std::string& ip) {
    driver::PortMapping mapping;
    mapping.label = port.value("Label", "");
    mapping.host_port = port.value("Value", 0);
    mapping.to = port.value("To", 0);
    mapping.host_ip = port.value("HostIP", ip);
    if (mapping.to < 0) mapping.to = 0;
    if (!mapping.label.empty() && seen.insert(mapping.label).second) out.push_back(mapping);
  };
  const Json& resources = alloc.value("AllocatedResources", Json::object());
  if (resources.is_object()) {
    const Json shared = resources.value("Shared", Json::object());
    if (shared.is_object() && shared.value("Ports", Json()).is_array())
      for (const auto& port : shared["Ports"]) add(port, "");
    const Json tasks = resources.value("Tasks", Json::object());
    if (tasks.is_object() && tasks.contains(task_name)) {
      const Json& networks = tasks[task_name].value("Networks", Json());
      if (networks.is_array()) {
        for (const auto& network : networks) {
          std::string ip = network.value("IP", "");
          for (const char* kind : {"ReservedPorts", "DynamicPorts"})
            if (network.value(kind, Json()).is_array())
              for (const auto& port : network[kind]) add(port, ip);
        }
      }
    }
  }
  return out;
}

}  // namespace pot::agent
