// validate(): the checks of `nomad job validate` that need no cluster.
//
// Nomad validates the job after canonicalizing it (api defaults, then the server's own,
// such as Datacenters ["*"]), in structs.Job.Validate and the Validate methods it calls. We
// do the same on a canonicalized copy, with the checks that a job file alone can fail:
// names, types, counts, policies, ports, services and their checks, resources, logs.
// Driver configs, Consul Connect and Vault are left to the agents that use them.
//
// Messages name the thing by its path in the job file, then the problem:
//   group "web": task "nginx": missing driver
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "jobspec/jobspec.h"
#include "jobspec/json_fields.h"

namespace jobspec {

namespace {

constexpr std::int64_t kMillisecond = 1'000'000;
constexpr std::int64_t kSecond = 1000 * kMillisecond;

bool has_object(const Json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_object();
}

const Json& objects_of(const Json& object, const char* key) {
  static const Json kEmpty = Json::array();
  auto found = object.find(key);
  return found != object.end() && found->is_array() ? *found : kEmpty;
}

std::string in_quotes(const std::string& text) {
  return "\"" + text + "\"";
}

// A duration as Go prints one in these messages: "500ms", "1s", "1m30s", "2h0m0s".
std::string format_duration(std::int64_t nanoseconds) {
  if (nanoseconds == 0) return "0s";
  std::string sign = nanoseconds < 0 ? "-" : "";
  std::uint64_t ns = nanoseconds < 0 ? 0 - static_cast<std::uint64_t>(nanoseconds)
                                     : static_cast<std::uint64_t>(nanoseconds);
  if (ns < static_cast<std::uint64_t>(kSecond)) {
    if (ns % kMillisecond == 0) return sign + std::to_string(ns / kMillisecond) + "ms";
    return sign + std::to_string(ns) + "ns";
  }
  std::uint64_t seconds = ns / kSecond;
  std::uint64_t fraction = ns % kSecond;
  std::string second_text = std::to_string(seconds % 60);
  if (fraction != 0) {
    std::string digits = std::to_string(fraction + kSecond).substr(1);  // 9 digits
    while (digits.back() == '0') digits.pop_back();
    second_text += "." + digits;
  }
  std::uint64_t minutes = seconds / 60;
  if (minutes == 0) return sign + second_text + "s";
  if (minutes < 60) return sign + std::to_string(minutes) + "m" + second_text + "s";
  return sign + std::to_string(minutes / 60) + "h" + std::to_string(minutes % 60) + "m" +
         second_text + "s";
}

// Collects messages, each under the prefix of the thing being checked.
class Problems {
 public:
  explicit Problems(std::vector<std::string>& out, std::string prefix = "")
      : out_(out), prefix_(std::move(prefix)) {}

  Problems nested(const std::string& what) const { return Problems(out_, prefix_ + what + ": "); }
  void add(const std::string& message) const { out_.push_back(prefix_ + message); }

 private:
  std::vector<std::string>& out_;
  std::string prefix_;
};

bool is_valid_service_name(const std::string& name) {
  // RFC 1123 labels, once run-time interpolations (${...}) are set aside.
  std::string stripped;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name.compare(i, 2, "${") == 0) {
      auto close = name.find('}', i);
      if (close == std::string::npos) return false;
      stripped += "ENV-VAR";
      i = close;
      continue;
    }
    stripped += name[i];
  }
  if (stripped.empty() || stripped.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(stripped.front()) || !alnum(stripped.back())) return false;
  for (char c : stripped) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

void check_restart_policy(const Json& restart, const Problems& problems) {
  const std::string mode = string_of(restart, "Mode");
  if (mode != "fail" && mode != "delay") {
    problems.add("invalid mode " + in_quotes(mode) + " (expected \"fail\" or \"delay\")");
  }
  const std::int64_t attempts = int_of(restart, "Attempts");
  const std::int64_t interval = int_of(restart, "Interval");
  const std::int64_t delay = int_of(restart, "Delay");
  if (attempts == 0 && mode == "delay") {
    problems.add("mode \"delay\" with 0 attempts is ambiguous");
  }
  if (interval < 5 * kSecond) {
    problems.add("interval " + format_duration(interval) + " is less than 5s");
  } else if (attempts > 0 && delay > 0 && attempts > interval / delay) {
    problems.add(std::to_string(attempts) + " attempts with a delay of " + format_duration(delay) +
                 " do not fit in an interval of " + format_duration(interval));
  }
}

void check_reschedule_policy(const Json& policy, const Problems& problems) {
  const std::int64_t attempts = int_of(policy, "Attempts");
  const bool unlimited = bool_of(policy, "Unlimited");
  if (attempts <= 0 && !unlimited) return;  // rescheduling is off
  if (attempts > 0 && unlimited) {
    problems.add("attempts and unlimited = true are mutually exclusive");
  }
  if (attempts > 0 && int_of(policy, "Interval") <= 0) {
    problems.add("interval must be set when attempts > 0");
  }
  const std::int64_t delay = int_of(policy, "Delay");
  if (delay < 5 * kSecond) problems.add("delay " + format_duration(delay) + " is less than 5s");
  const std::string function = string_of(policy, "DelayFunction");
  if (function != "constant" && function != "exponential" && function != "fibonacci") {
    problems.add("invalid delay_function " + in_quotes(function) +
                 " (expected \"constant\", \"exponential\" or \"fibonacci\")");
  } else if (function != "constant" && int_of(policy, "MaxDelay") < delay) {
    problems.add("max_delay " + format_duration(int_of(policy, "MaxDelay")) +
                 " is less than delay " + format_duration(delay));
  }
}

void check_update_strategy(const Json& update, const Problems& problems) {
  const std::string health_check = string_of(update, "HealthCheck");
  if (health_check != "checks" && health_check != "task_states" && health_check != "manual") {
    problems.add("invalid health_check " + in_quotes(health_check) +
                 " (expected \"checks\", \"task_states\" or \"manual\")");
  }
  if (int_of(update, "MaxParallel") < 0) problems.add("max_parallel must not be negative");
  if (int_of(update, "Canary") < 0) problems.add("canary must not be negative");
  if (int_of(update, "Canary") == 0 && bool_of(update, "AutoPromote")) {
    problems.add("auto_promote needs a canary count greater than zero");
  }
  const std::int64_t min_healthy = int_of(update, "MinHealthyTime");
  const std::int64_t healthy_deadline = int_of(update, "HealthyDeadline");
  const std::int64_t progress_deadline = int_of(update, "ProgressDeadline");
  if (min_healthy < 0) problems.add("min_healthy_time must not be negative");
  if (healthy_deadline <= 0) problems.add("healthy_deadline must be greater than zero");
  if (progress_deadline < 0) problems.add("progress_deadline must not be negative");
  if (min_healthy >= healthy_deadline) {
    problems.add("min_healthy_time " + format_duration(min_healthy) +
                 " must be less than healthy_deadline " + format_duration(healthy_deadline));
  }
  if (progress_deadline != 0 && healthy_deadline >= progress_deadline) {
    problems.add("healthy_deadline " + format_duration(healthy_deadline) +
                 " must be less than progress_deadline " + format_duration(progress_deadline));
  }
  if (int_of(update, "Stagger") <= 0) problems.add("stagger must be greater than zero");
}

void check_service_check(const Json& check, const std::string& service_port,
                         const Problems& problems) {
  std::string type = string_of(check, "Type");
  for (char& c : type) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (type != "tcp" && type != "http" && type != "script" && type != "grpc") {
    problems.add("invalid type " + in_quotes(type) +
                 " (expected \"tcp\", \"http\", \"script\" or \"grpc\")");
    return;
  }
  if (type == "http") {
    const std::string path = string_of(check, "Path");
    if (path.empty()) {
      problems.add("an http check needs a path");
    } else if (path.find("://") != std::string::npos) {
      problems.add("the path of an http check must be relative, not " + in_quotes(path));
    }
  }
  if (type == "script" && string_of(check, "Command").empty()) {
    problems.add("a script check needs a command");
  }
  if (type != "script" && service_port.empty() && string_of(check, "PortLabel").empty()) {
    problems.add("a " + type +
                 " check needs a port, and neither the check nor its service has one");
  }
  for (const char* key : {"Interval", "Timeout"}) {
    const std::int64_t value = int_of(check, key);
    const std::string name = key == std::string("Interval") ? "interval" : "timeout";
    if (value == 0) {
      problems.add("missing " + name + " (at least 1s)");
    } else if (value < kSecond) {
      problems.add(name + " " + format_duration(value) + " is less than 1s");
    }
  }
  const std::string initial = string_of(check, "InitialStatus");
  if (!initial.empty() && initial != "passing" && initial != "warning" && initial != "critical") {
    problems.add("invalid initial_status " + in_quotes(initial) +
                 " (expected \"passing\", \"warning\" or \"critical\")");
  }
  const std::string address_mode = string_of(check, "AddressMode");
  if (!address_mode.empty() && address_mode != "host" && address_mode != "driver" &&
      address_mode != "alloc" && address_mode != "alloc_ipv6") {
    problems.add("invalid address_mode " + in_quotes(address_mode));
  }
  if (has_object(check, "CheckRestart") && int_of(check["CheckRestart"], "Limit") < 0) {
    problems.add("check_restart limit must not be negative");
  }
}

void check_service(const Json& service, bool in_task, const Problems& problems) {
  const std::string name = string_of(service, "Name");
  if (!is_valid_service_name(name)) {
    problems.add("invalid name " + in_quotes(name) +
                 " (letters, digits and dashes, at most 63, not starting or ending with a dash)");
  }
  const std::string address_mode = string_of(service, "AddressMode");
  if (address_mode != "auto" && address_mode != "host" && address_mode != "driver" &&
      address_mode != "alloc" && address_mode != "alloc_ipv6") {
    problems.add("invalid address_mode " + in_quotes(address_mode) +
                 " (expected \"auto\", \"host\", \"driver\", \"alloc\" or \"alloc_ipv6\")");
  } else if (address_mode != "auto" && !string_of(service, "Address").empty()) {
    problems.add("address_mode must be \"auto\" when address is set");
  } else if (address_mode == "driver" && !in_task) {
    problems.add("address_mode \"driver\" is only for services of a task");
  }
  const std::string on_update = string_of(service, "OnUpdate");
  if (on_update != "require_healthy" && on_update != "ignore_warnings" && on_update != "ignore") {
    problems.add("invalid on_update " + in_quotes(on_update) +
                 " (expected \"require_healthy\", \"ignore_warnings\" or \"ignore\")");
  }
  const std::string provider = string_of(service, "Provider");
  if (provider != "consul" && provider != "nomad") {
    problems.add("invalid provider " + in_quotes(provider) + " (expected \"consul\" or \"nomad\")");
  }
  const std::string port = string_of(service, "PortLabel");
  const Json& checks = objects_of(service, "Checks");
  for (std::size_t i = 0; i < checks.size(); ++i) {
    std::string check_name = string_of(checks[i], "Name");
    std::string label =
        check_name.empty() ? "check " + std::to_string(i + 1) : "check " + in_quotes(check_name);
    check_service_check(checks[i], port, problems.nested(label));
  }
}

struct PortIndex {
  std::map<std::string, std::string> labels;                            // label -> owner
  std::map<std::pair<std::string, std::int64_t>, std::string> statics;  // (host network, port)
};

void check_network_ports(const Json& network, const std::string& owner, PortIndex& index,
                         const Problems& problems) {
  for (const char* list : {"ReservedPorts", "DynamicPorts"}) {
    for (const Json& port : objects_of(network, list)) {
      const std::string label = string_of(port, "Label");
      const std::string name = "port " + in_quotes(label);
      if (auto [it, fresh] = index.labels.emplace(label, owner); !fresh) {
        problems.add(name + " is already defined in " + it->second);
      }
      const std::int64_t value = int_of(port, "Value");
      if (value < 0 || value > 65535) {
        problems.add(name + ": static port " + std::to_string(value) +
                     " is out of range (1-65535)");
      } else if (value != 0) {
        std::string host_network = string_of(port, "HostNetwork");
        if (host_network.empty()) host_network = "default";
        auto [it, fresh] = index.statics.emplace(std::pair{host_network, value}, owner);
        if (!fresh && !bool_of(port, "IgnoreCollision")) {
          problems.add(name + ": static port " + std::to_string(value) +
                       " is already reserved in " + it->second);
        }
      }
      const std::int64_t to = int_of(port, "To");
      if (to < -1 || to > 65535) {
        problems.add(name + ": to = " + std::to_string(to) + " is out of range (-1-65535)");
      }
    }
  }
}

void check_resources(const Json& resources, const Problems& problems) {
  const std::int64_t cpu = int_of(resources, "CPU");
  const std::int64_t cores = int_of(resources, "Cores");
  const std::int64_t memory = int_of(resources, "MemoryMB");
  if (cores > 0 && cpu > 0) problems.add("cpu and cores are mutually exclusive");
  if (cores < 0) problems.add("cores must not be negative");
  if (cores == 0 && cpu < 1) problems.add("cpu " + std::to_string(cpu) + " is less than 1 MHz");
  if (memory < 10) problems.add("memory " + std::to_string(memory) + " is less than 10 MB");
  const std::int64_t memory_max = int_of(resources, "MemoryMaxMB");
  if (memory_max != 0 && memory_max != -1 && memory_max < memory) {
    problems.add("memory_max " + std::to_string(memory_max) + " is less than memory " +
                 std::to_string(memory));
  }
  if (int_of(resources, "DiskMB") > 0) {
    problems.add("disk belongs in the group's ephemeral_disk, not in a task's resources");
  }
}

void check_task(const Json& task, const Json& group, const std::string& job_type,
                const Problems& problems) {
  const std::string name = string_of(task, "Name");
  if (name == "alloc") problems.add("a task cannot be named \"alloc\"");
  if (name.find_first_of("/\\") != std::string::npos) {
    problems.add("a task name cannot contain slashes");
  }
  if (string_of(task, "Driver").empty()) problems.add("missing driver");
  if (int_of(task, "KillTimeout") < 0) problems.add("kill_timeout must not be negative");
  if (int_of(task, "ShutdownDelay") < 0) problems.add("shutdown_delay must not be negative");
  if (has_object(task, "Resources")) {
    check_resources(task["Resources"], problems.nested("resources"));
  }
  if (has_object(task, "LogConfig")) {
    const Json& logs = task["LogConfig"];
    const std::int64_t files = int_of(logs, "MaxFiles");
    const std::int64_t size = int_of(logs, "MaxFileSizeMB");
    if (files < 1) problems.add("logs: max_files must be at least 1");
    if (size < 1) problems.add("logs: max_file_size must be at least 1 MB");
    const std::int64_t disk =
        has_object(group, "EphemeralDisk") ? int_of(group["EphemeralDisk"], "SizeMB") : 0;
    if (files >= 1 && size >= 1 && disk <= files * size) {
      problems.add("logs: " + std::to_string(files * size) +
                   " MB of logs do not fit in the group's ephemeral disk of " +
                   std::to_string(disk) + " MB");
    }
  }
  const Json& constraints = objects_of(task, "Constraints");
  for (std::size_t i = 0; i < constraints.size(); ++i) {
    const std::string operand = string_of(constraints[i], "Operand");
    if (operand == "distinct_hosts" || operand == "distinct_property") {
      problems.add("constraint " + std::to_string(i + 1) + ": " + in_quotes(operand) +
                   " is not allowed at the task level");
    }
  }
  if (job_type == "system" && !objects_of(task, "Affinities").empty()) {
    problems.add("system jobs cannot have an affinity");
  }
  if (has_object(task, "Lifecycle")) {
    const std::string hook = string_of(task["Lifecycle"], "Hook");
    if (hook.empty()) {
      problems.add("lifecycle: missing hook");
    } else if (hook != "prestart" && hook != "poststart" && hook != "poststop") {
      problems.add("lifecycle: invalid hook " + in_quotes(hook) +
                   " (expected \"prestart\", \"poststart\" or \"poststop\")");
    }
  }
  std::set<std::string> destinations;
  const Json& templates = objects_of(task, "Templates");
  for (std::size_t i = 0; i < templates.size(); ++i) {
    const std::string destination = string_of(templates[i], "DestPath");
    if (destination.empty()) {
      problems.add("template " + std::to_string(i + 1) + ": missing destination");
    } else if (!destinations.insert(destination).second) {
      problems.add("template " + std::to_string(i + 1) + ": destination " + in_quotes(destination) +
                   " is used by another template");
    }
  }
  const Json volumes =
      group.contains("Volumes") && group["Volumes"].is_object() ? group["Volumes"] : Json::object();
  for (const Json& mount : objects_of(task, "VolumeMounts")) {
    const std::string volume = string_of(mount, "Volume");
    if (!volumes.contains(volume)) {
      problems.add("volume_mount refers to undefined volume " + in_quotes(volume));
    }
  }
  for (const Json& service : objects_of(task, "Services")) {
    const std::string task_of_service = string_of(service, "TaskName");
    Problems service_problems = problems.nested("service " + in_quotes(string_of(service, "Name")));
    if (!task_of_service.empty() && task_of_service != name) {
      service_problems.add("task " + in_quotes(task_of_service) +
                           " is not the task the service belongs to");
    }
    check_service(service, true, service_problems);
  }
}

void check_group(const Json& group, const std::string& job_type, const Problems& problems) {
  if (int_of(group, "Count") < 0) problems.add("count must not be negative");
  if (job_type == "system" && int_of(group, "Count") > 1) {
    problems.add("count " + std::to_string(int_of(group, "Count")) +
                 " is more than 1, the most a system job runs per node");
  }
  const Json& tasks = objects_of(group, "Tasks");
  if (tasks.empty()) problems.add("no tasks");

  std::map<std::string, std::size_t> task_names;
  int leaders = 0;
  int main_tasks = 0;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const std::string name = string_of(tasks[i], "Name");
    if (name.empty()) {
      problems.add("task " + std::to_string(i + 1) + " has no name");
    } else if (auto [it, fresh] = task_names.emplace(name, i); !fresh) {
      problems.add("task " + in_quotes(name) + " is defined twice");
    }
    if (bool_of(tasks[i], "Leader")) ++leaders;
    if (!has_object(tasks[i], "Lifecycle")) ++main_tasks;
  }
  if (leaders > 1) problems.add("only one task may be the leader");
  if (!tasks.empty() && main_tasks == 0) {
    problems.add("at least one task must have no lifecycle hook (the main task)");
  }

  if (has_object(group, "RestartPolicy")) {
    check_restart_policy(group["RestartPolicy"], problems.nested("restart"));
  }
  if (job_type == "system" || job_type == "sysbatch") {
    if (has_object(group, "ReschedulePolicy")) {
      problems.add("reschedule is not allowed in " + job_type + " jobs");
    }
  } else if (has_object(group, "ReschedulePolicy")) {
    check_reschedule_policy(group["ReschedulePolicy"], problems.nested("reschedule"));
  }
  if (has_object(group, "EphemeralDisk") && int_of(group["EphemeralDisk"], "SizeMB") < 10) {
    problems.add("ephemeral_disk: size " +
                 std::to_string(int_of(group["EphemeralDisk"], "SizeMB")) + " is less than 10 MB");
  }
  if (has_object(group, "Update")) {
    if (job_type != "service" && job_type != "system") {
      problems.add("update is not allowed in " + job_type + " jobs");
    }
    check_update_strategy(group["Update"], problems.nested("update"));
  }
  if (has_object(group, "Migrate") && job_type != "service") {
    problems.add("migrate is not allowed in " + job_type + " jobs");
  }
  if (job_type == "system") {
    if (!objects_of(group, "Affinities").empty()) {
      problems.add("system jobs cannot have an affinity");
    }
    if (!objects_of(group, "Spreads").empty()) problems.add("system jobs cannot have a spread");
  }
  if (group.contains("MaxRunDuration") && group["MaxRunDuration"].is_number()) {
    if (int_of(group, "MaxRunDuration") <= 0) {
      problems.add("max_run_duration must be greater than zero");
    }
    if (job_type != "batch" && job_type != "sysbatch") {
      problems.add("max_run_duration is not allowed in " + job_type + " jobs");
    }
  }

  // Ports: labels unique across the group's and its tasks' networks, static ports unique
  // per host network.
  PortIndex ports;
  for (const Json& network : objects_of(group, "Networks")) {
    check_network_ports(network, "the group network", ports, problems.nested("network"));
  }
  for (const Json& task : tasks) {
    if (!has_object(task, "Resources")) continue;
    const std::string owner = "task " + in_quotes(string_of(task, "Name"));
    for (const Json& network : objects_of(task["Resources"], "Networks")) {
      check_network_ports(network, owner, ports, problems.nested(owner).nested("network"));
    }
  }

  // Services: unique by (name, task, port), one provider per group.
  std::set<std::tuple<std::string, std::string, std::string>> service_ids;
  std::set<std::string> providers;
  auto track = [&](const Json& service, const std::string& owner) {
    std::tuple id{string_of(service, "Name"), owner, string_of(service, "PortLabel")};
    if (!service_ids.insert(id).second) {
      problems.add("service " + in_quotes(std::get<0>(id)) + " is defined twice for " +
                   (owner.empty() ? std::string("the group") : "task " + in_quotes(owner)) +
                   (std::get<2>(id).empty() ? "" : " on port " + in_quotes(std::get<2>(id))));
    }
    providers.insert(string_of(service, "Provider"));
  };
  for (const Json& task : tasks) {
    for (const Json& service : objects_of(task, "Services"))
      track(service, string_of(task, "Name"));
  }
  for (const Json& service : objects_of(group, "Services")) {
    track(service, "");
    Problems service_problems = problems.nested("service " + in_quotes(string_of(service, "Name")));
    check_service(service, false, service_problems);
    for (const Json& check : objects_of(service, "Checks")) {
      const std::string task = string_of(check, "TaskName");
      if (!task.empty() && task_names.count(task) == 0) {
        service_problems.add("a check refers to task " + in_quotes(task) +
                             ", which does not exist");
      }
      if (string_of(check, "Type") == "script" && task.empty() &&
          string_of(service, "TaskName").empty()) {
        service_problems.add("a script check of a group service needs the task to run in");
      }
    }
  }
  if (providers.size() > 1) {
    problems.add("all services of a group must use the same provider (found consul and nomad)");
  }

  if (has_object(group, "Scaling")) {
    const Json& scaling = group["Scaling"];
    const std::int64_t count = int_of(group, "Count");
    const std::int64_t min = int_of(scaling, "Min");
    if (!scaling.contains("Max") || !scaling["Max"].is_number()) {
      problems.add("scaling: missing max");
    } else {
      const std::int64_t max = int_of(scaling, "Max");
      if (max < min) problems.add("scaling: max " + std::to_string(max) + " is less than min");
      if (max < count) problems.add("scaling: count " + std::to_string(count) + " exceeds max");
    }
    if (min < 0) problems.add("scaling: min must not be negative");
    if (count < min) problems.add("scaling: count " + std::to_string(count) + " is below min");
  }

  for (const Json& task : tasks) {
    check_task(task, group, job_type,
               problems.nested("task " + in_quotes(string_of(task, "Name"))));
  }
}

}  // namespace

std::vector<std::string> validate(const Json& input) {
  std::vector<std::string> messages;
  Problems problems(messages);
  if (!input.is_object()) {
    problems.add("a job must be an object");
    return messages;
  }
  Json job = input;
  canonicalize(job);

  const std::string id = string_of(job, "ID");
  if (id.empty()) {
    problems.add("missing job ID");
  } else if (id.find(' ') != std::string::npos) {
    problems.add("job ID " + in_quotes(id) + " contains a space");
  } else if (id.find('\0') != std::string::npos) {
    problems.add("job ID contains a null character");
  }
  if (string_of(job, "Name").empty()) problems.add("missing job name");
  if (string_of(job, "Region").empty() && !has_object(job, "Multiregion")) {
    problems.add("missing job region");
  }
  if (string_of(job, "Namespace").empty()) problems.add("missing job namespace");
  const std::string type = string_of(job, "Type");
  if (type != "service" && type != "batch" && type != "system" && type != "sysbatch") {
    problems.add("invalid job type " + in_quotes(type) +
                 " (expected \"service\", \"batch\", \"system\" or \"sysbatch\")");
  }
  const std::int64_t priority = int_of(job, "Priority");
  if (priority < 1 || priority > 100) {
    problems.add("priority " + std::to_string(priority) + " is out of range (1-100)");
  }
  // An empty list means every datacenter (the server's default, ["*"]).
  for (const Json& datacenter : objects_of(job, "Datacenters")) {
    if (!datacenter.is_string() || datacenter.get_ref<const std::string&>().empty()) {
      problems.add("a datacenter name must not be empty");
    }
  }
  if (type == "system") {
    if (!objects_of(job, "Affinities").empty()) problems.add("system jobs cannot have an affinity");
    if (!objects_of(job, "Spreads").empty()) problems.add("system jobs cannot have a spread");
  }
  if (has_object(job, "Periodic") && bool_of(job["Periodic"], "Enabled") && type != "batch" &&
      type != "sysbatch") {
    problems.add("periodic is only for batch and sysbatch jobs");
  }
  if (has_object(job, "ParameterizedJob") && !bool_of(job, "Dispatched") && type != "batch" &&
      type != "sysbatch") {
    problems.add("parameterized is only for batch and sysbatch jobs");
  }

  const Json& groups = objects_of(job, "TaskGroups");
  if (groups.empty()) problems.add("the job has no task groups");
  std::set<std::string> group_names;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const std::string name = string_of(groups[i], "Name");
    if (name.empty()) {
      problems.add("group " + std::to_string(i + 1) + " has no name");
    } else if (!group_names.insert(name).second) {
      problems.add("group " + in_quotes(name) + " is defined twice");
    }
  }
  for (const Json& group : groups) {
    check_group(group, type, problems.nested("group " + in_quotes(string_of(group, "Name"))));
  }
  return messages;
}

}  // namespace jobspec
