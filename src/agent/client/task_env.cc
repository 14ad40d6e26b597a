#include "agent/client/task_env.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace pot::agent {
namespace {

using Json = nlohmann::ordered_json;
using Env = std::map<std::string, std::string>;

// The field as text, empty when it is missing, null or not a string.
std::string text_of(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t number_of(const Json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

const Json& member(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it != object.end() ? *it : kNull;
}

// Arrays and objects that may be null in Nomad's JSON, as something to iterate.
const Json& array_of(const Json& object, const char* key) {
  static const Json kEmpty = Json::array();
  const Json& value = member(object, key);
  return value.is_array() ? value : kEmpty;
}

// The `i` of "web.frontend[i]"; -1 when the name carries none.
int64_t alloc_index(const std::string& alloc_name) {
  size_t open = alloc_name.rfind('[');
  if (open == std::string::npos || alloc_name.empty() || alloc_name.back() != ']') return -1;
  std::string digits = alloc_name.substr(open + 1, alloc_name.size() - open - 2);
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
    return -1;
  return std::stoll(digits);
}

// ip:port, with an IPv6 address in brackets (Go's net.JoinHostPort).
std::string join_host_port(const std::string& ip, int64_t port) {
  bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// The port the task binds: the mapped one when the job maps it, else the host's.
int64_t task_side_port(const Json& port) {
  int64_t to = number_of(port, "To");
  return to > 0 ? to : number_of(port, "Value");
}

// Ports of the legacy task-level `network` block: IP on the network, ports in it.
void add_task_network_ports(Env& env, const Json& networks) {
  if (!networks.is_array()) return;
  for (const Json& network : networks) {
    std::string ip = text_of(network, "IP");
    for (const char* kind : {"ReservedPorts", "DynamicPorts"}) {
      for (const Json& port : array_of(network, kind)) {
        std::string label = text_of(port, "Label");
        int64_t value = number_of(port, "Value");
        env["NOMAD_IP_" + label] = ip;
        env["NOMAD_HOST_PORT_" + label] = std::to_string(value);
        env["NOMAD_ADDR_" + label] = join_host_port(ip, value);
        env["NOMAD_PORT_" + label] = std::to_string(task_side_port(port));
      }
    }
  }
}

// The group's ports (AllocatedResources.Shared): the form every current job has.
void add_shared_ports(Env& env, const Json& shared) {
  for (const Json& network : array_of(shared, "Networks")) {
    for (const char* kind : {"ReservedPorts", "DynamicPorts"}) {
      for (const Json& port : array_of(network, kind)) {
        std::string label = text_of(port, "Label");
        env["NOMAD_PORT_" + label] = std::to_string(task_side_port(port));
        env["NOMAD_HOST_PORT_" + label] = std::to_string(number_of(port, "Value"));
      }
    }
  }
  for (const Json& port : array_of(shared, "Ports")) {
    std::string label = text_of(port, "Label");
    std::string host_ip = text_of(port, "HostIP");
    int64_t value = number_of(port, "Value");
    std::string task_port = std::to_string(task_side_port(port));
    env["NOMAD_ADDR_" + label] = join_host_port(host_ip, value);
    env["NOMAD_HOST_ADDR_" + label] = join_host_port(host_ip, value);
    env["NOMAD_IP_" + label] = host_ip;
    env["NOMAD_HOST_IP_" + label] = host_ip;
    env["NOMAD_PORT_" + label] = task_port;
    env["NOMAD_ALLOC_PORT_" + label] = task_port;
    env["NOMAD_HOST_PORT_" + label] = std::to_string(value);
  }
}

// Meta of the job, then the group, then the task: the nearer one wins.
std::map<std::string, std::string> merged_meta(const Json& job, const Json& group,
                                               const Json& task) {
  std::map<std::string, std::string> meta;
  for (const Json* level : {&job, &group, &task}) {
    const Json& values = member(*level, "Meta");
    if (!values.is_object()) continue;
    for (auto it = values.begin(); it != values.end(); ++it) {
      if (it->is_string()) meta[it.key()] = it->get<std::string>();
    }
  }
  return meta;
}

const Json& find_group(const Json& job, const std::string& group_name) {
  for (const Json& group : array_of(job, "TaskGroups")) {
    if (text_of(group, "Name") == group_name) return group;
  }
  static const Json kNull;
  return kNull;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// A name that a shell can export: what a port label or meta key may hold beyond letters,
// digits, `_` and `.` becomes `_` (Nomad cleans these names the same way).
std::string clean_variable_name(std::string name) {
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool keep = c == '_' || c == '.' || std::isalpha(c) || (i > 0 && std::isdigit(c));
    if (!keep) name[i] = '_';
  }
  return name;
}

bool needs_cleaning(const std::string& name) {
  for (const char* prefix :
       {"NOMAD_ADDR_", "NOMAD_IP_", "NOMAD_PORT_", "NOMAD_HOST_PORT_", "NOMAD_META_"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// What `${name}` means on this node: node.*, attr.* and meta.* (Nomad's node attributes).
const std::string* node_value(const std::string& name, const NodeInfo& node) {
  auto prefixed = [&](const char* prefix,
                      const std::map<std::string, std::string>& values) -> const std::string* {
    size_t length = std::char_traits<char>::length(prefix);
    if (name.compare(0, length, prefix) != 0) return nullptr;
    auto it = values.find(name.substr(length));
    return it != values.end() ? &it->second : nullptr;
  };
  if (const std::string* value = prefixed("attr.", node.attributes)) return value;
  if (const std::string* value = prefixed("meta.", node.meta)) return value;
  const std::map<std::string, const std::string*> fields = {
      {"node.unique.id", &node.id},     {"node.unique.name", &node.name},
      {"node.class", &node.node_class}, {"node.datacenter", &node.datacenter},
      {"node.pool", &node.node_pool},
  };
  auto it = fields.find(name);
  return it != fields.end() ? it->second : nullptr;
}

bool reference_character(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '-' || c == '.';
}

}  // namespace

std::string interpolate_runtime(const std::string& text,
                                const std::map<std::string, std::string>& env,
                                const NodeInfo& node) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = text.find("${", pos);
    if (start == std::string::npos) break;
    size_t end = start + 2;
    while (end < text.size() && reference_character(text[end])) ++end;
    out.append(text, pos, start - pos);
    if (end == start + 2 || end >= text.size() || text[end] != '}') {
      // Not a reference (`${` alone, `${a b}`): kept as written.
      out.append(text, start, end - start);
      pos = end;
      continue;
    }
    std::string name = text.substr(start + 2, end - start - 2);
    const std::string* value = node_value(name, node);
    if (value == nullptr) {
      // The node's region is the task's (NOMAD_REGION); `env.X` is the variable X.
      std::string variable = name == "node.region"        ? "NOMAD_REGION"
                             : name.rfind("env.", 0) == 0 ? name.substr(4)
                                                          : name;
      auto it = env.find(name);
      if (it == env.end()) it = env.find(variable);
      if (it != env.end()) value = &it->second;
    }
    if (value != nullptr) {
      out += *value;
    } else {
      out.append(text, start, end + 1 - start);  // unknown: left for the user to see
    }
    pos = end + 1;
  }
  if (pos < text.size()) out.append(text, pos, std::string::npos);
  return out;
}

std::map<std::string, std::string> task_environment(const nlohmann::ordered_json& alloc,
                                                    const nlohmann::ordered_json& job,
                                                    const std::string& group_name,
                                                    const nlohmann::ordered_json& task,
                                                    const NodeInfo& node) {
  Env env;
  const std::string task_name = text_of(task, "Name");

  // Where things are, as the task sees them inside its pot.
  env["NOMAD_ALLOC_DIR"] = "/alloc";
  env["NOMAD_TASK_DIR"] = "/local";
  env["NOMAD_SECRETS_DIR"] = "/secrets";

  // Limits: what the scheduler allocated, else what the task asked for.
  const Json& allocated =
      member(member(member(alloc, "AllocatedResources"), "Tasks"), task_name.c_str());
  const Json& resources = member(task, "Resources");
  int64_t memory = number_of(member(allocated, "Memory"), "MemoryMB");
  int64_t memory_max = number_of(member(allocated, "Memory"), "MemoryMaxMB");
  int64_t cpu = number_of(member(allocated, "Cpu"), "CpuShares");
  if (!allocated.is_object()) {
    memory = number_of(resources, "MemoryMB");
    memory_max = number_of(resources, "MemoryMaxMB");
    cpu = number_of(resources, "CPU");
  }
  if (memory != 0) env["NOMAD_MEMORY_LIMIT"] = std::to_string(memory);
  if (memory_max != 0) env["NOMAD_MEMORY_MAX_LIMIT"] = std::to_string(memory_max);
  if (cpu != 0) env["NOMAD_CPU_LIMIT"] = std::to_string(cpu);

  // Who the task is.
  const std::string alloc_id = text_of(alloc, "ID");
  if (!alloc_id.empty()) {
    env["NOMAD_ALLOC_ID"] = alloc_id;
    env["NOMAD_SHORT_ALLOC_ID"] = alloc_id.substr(0, 8);
  }
  const std::string alloc_name = text_of(alloc, "Name");
  if (!alloc_name.empty()) env["NOMAD_ALLOC_NAME"] = alloc_name;
  if (int64_t index = alloc_index(alloc_name); index >= 0)
    env["NOMAD_ALLOC_INDEX"] = std::to_string(index);
  if (!group_name.empty()) env["NOMAD_GROUP_NAME"] = group_name;
  if (!task_name.empty()) env["NOMAD_TASK_NAME"] = task_name;
  std::string job_id = text_of(alloc, "JobID");
  if (job_id.empty()) job_id = text_of(job, "ID");
  if (!job_id.empty()) env["NOMAD_JOB_ID"] = job_id;
  if (std::string name = text_of(job, "Name"); !name.empty()) env["NOMAD_JOB_NAME"] = name;
  if (std::string parent = text_of(job, "ParentID"); !parent.empty())
    env["NOMAD_JOB_PARENT_ID"] = parent;

  // Where it runs.
  if (!node.datacenter.empty()) env["NOMAD_DC"] = node.datacenter;
  std::string ns = text_of(alloc, "Namespace");
  if (ns.empty()) ns = text_of(job, "Namespace");
  env["NOMAD_NAMESPACE"] = ns.empty() ? "default" : ns;
  std::string region = text_of(job, "Region");
  env["NOMAD_REGION"] = region.empty() ? "global" : region;

  // Ports: the task's legacy networks first, the group's after (they win on a clash).
  add_task_network_ports(env, member(allocated, "Networks"));
  add_shared_ports(env, member(member(alloc, "AllocatedResources"), "Shared"));

  // Meta, under its own key and upper-cased; its values may use what is set so far.
  for (const auto& [key, value] : merged_meta(job, find_group(job, group_name), task)) {
    std::string interpolated = interpolate_runtime(value, env, node);
    env["NOMAD_META_" + key] = interpolated;
    env["NOMAD_META_" + upper(key)] = interpolated;
  }

  // The task's own `env`, interpolated from the environment as built so far.
  const Json& task_env = member(task, "Env");
  if (task_env.is_object()) {
    const Env base = env;
    for (auto it = task_env.begin(); it != task_env.end(); ++it) {
      if (it->is_string()) env[it.key()] = interpolate_runtime(it->get<std::string>(), base, node);
    }
  }

  Env cleaned;
  for (auto& [name, value] : env) {
    cleaned[needs_cleaning(name) ? clean_variable_name(name) : name] = std::move(value);
  }
  return cleaned;
}

}  // namespace pot::agent
