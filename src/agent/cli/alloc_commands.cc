#include "agent/cli/alloc_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "agent/cli/api_client.h"
#include "agent/cli/doc_fields.h"
#include "agent/cli/go_flags.h"
#include "agent/cli/job_commands.h"
#include "agent/cli/monitor.h"
#include "agent/cli/table.h"
#include "agent/cli/time_format.h"
#include "core/error.h"

namespace pot::agent {
namespace {

std::string alloc_path(const std::string& id) {
  return "/v1/allocation/" + url_encode(id);
}

// The allocation whose ID starts with `prefix`, fetched whole (Nomad's prefix lookup).
Json resolve_alloc(ApiClient& api, const std::string& command, const std::string& prefix) {
  if (prefix.size() < 2) {
    throw Error(command + ": an allocation ID must contain at least two characters");
  }
  Json stubs = api.get("/v1/allocations", {{"prefix", prefix}}).body;
  if (!stubs.is_array()) stubs = Json::array();
  Json matches = Json::array();
  for (const Json& stub : stubs) {
    if (text_of(stub, "ID").rfind(prefix, 0) == 0) matches.push_back(stub);
  }
  if (matches.empty()) {
    throw Error(command + ": no allocation(s) with prefix or id " + go_quote(prefix) + " found");
  }
  if (matches.size() > 1) {
    throw Error(command + ": prefix matched multiple allocations\n\n" +
                format_alloc_list(matches, now_unix_nanos(), false));
  }
  return api.get(alloc_path(text_of(matches[0], "ID"))).body;
}

// The job's task group of the allocation (its tasks' lifecycles and resources).
const Json& alloc_group(const Json& alloc) {
  static const Json kNull;
  const Json& groups = field(field(alloc, "Job"), "TaskGroups");
  if (!groups.is_array()) return kNull;
  for (const Json& group : groups) {
    if (text_of(group, "Name") == text_of(alloc, "TaskGroup")) return group;
  }
  return kNull;
}

const Json& group_task(const Json& alloc, const std::string& task) {
  static const Json kNull;
  const Json& tasks = field(alloc_group(alloc), "Tasks");
  if (!tasks.is_array()) return kNull;
  for (const Json& candidate : tasks) {
    if (text_of(candidate, "Name") == task) return candidate;
  }
  return kNull;
}

// Nomad's "(prestart)", "(poststart sidecar)"; "" for a main task.
std::string lifecycle_of(const Json& alloc, const std::string& task) {
  const Json& lifecycle = field(group_task(alloc, task), "Lifecycle");
  std::string hook = text_of(lifecycle, "Hook");
  if (hook.empty()) return "";
  return bool_of(lifecycle, "Sidecar") ? hook + " sidecar" : hook;
}

std::string task_time(const Json& value) {
  int64_t nanos = time_field_nanos(value);
  return nanos == 0 ? "N/A" : format_time(nanos);
}

struct TaskResources {
  int64_t cpu = 0, cores = 0, memory_mb = 0, memory_max_mb = 0, disk_mb = 0;
  std::vector<std::string> addresses;
};

void add_ports(TaskResources& out, const Json& networks) {
  if (!networks.is_array()) return;
  for (const Json& network : networks) {
    for (const char* kind : {"DynamicPorts", "ReservedPorts"}) {
      const Json& ports = field(network, kind);
      if (!ports.is_array()) continue;
      for (const Json& port : ports) {
        out.addresses.push_back(text_of(port, "Label") + ": " + text_of(network, "IP") + ":" +
                                std::to_string(int_of(port, "Value")));
      }
    }
  }
}

// Nomad 1.x documents carry AllocatedResources; older ones TaskResources; the job's task
// resources are the last resort.
TaskResources resources_of(const Json& alloc, const std::string& task) {
  TaskResources out;
  const Json& allocated = field(alloc, "AllocatedResources");
  const Json& task_allocated = field(field(allocated, "Tasks"), task.c_str());
  const Json& legacy = field(field(alloc, "TaskResources"), task.c_str());
  const Json& asked = field(group_task(alloc, task), "Resources");
  if (task_allocated.is_object()) {
    out.cpu = int_of(field(task_allocated, "Cpu"), "CpuShares");
    const Json& cores = field(field(task_allocated, "Cpu"), "ReservedCores");
    out.cores = cores.is_array() ? static_cast<int64_t>(cores.size()) : 0;
    out.memory_mb = int_of(field(task_allocated, "Memory"), "MemoryMB");
    out.memory_max_mb = int_of(field(task_allocated, "Memory"), "MemoryMaxMB");
    add_ports(out, field(task_allocated, "Networks"));
    out.disk_mb = int_of(field(allocated, "Shared"), "DiskMB");
    // A group network's ports (bridge/host mode at the group level).
    if (const Json& shared = field(field(allocated, "Shared"), "Ports"); shared.is_array()) {
      for (const Json& port : shared) {
        out.addresses.push_back(text_of(port, "Label") + ": " + text_of(port, "HostIP") + ":" +
                                std::to_string(int_of(port, "Value")));
      }
    }
  } else {
    const Json& source = legacy.is_object() ? legacy : asked;
    out.cpu = int_of(source, "CPU");
    out.cores = int_of(source, "Cores");
    out.memory_mb = int_of(source, "MemoryMB");
    out.memory_max_mb = int_of(source, "MemoryMaxMB");
    add_ports(out, field(source, "Networks"));
  }
  if (out.disk_mb == 0) out.disk_mb = int_of(field(alloc, "Resources"), "DiskMB");
  return out;
}

std::string format_task_resources(const Json& alloc, const std::string& task) {
  TaskResources resources = resources_of(alloc, task);
  constexpr uint64_t kMiB = 1024 * 1024;
  std::vector<TableRow> rows;
  rows.push_back(
      {resources.cores > 0 ? "CPU (" + std::to_string(resources.cores) + " cores)" : "CPU",
       "Memory", "Disk", "Addresses"});
  std::string memory_max;
  if (resources.memory_max_mb != 0 && resources.memory_max_mb != resources.memory_mb) {
    memory_max = "Max: " + format_ibytes(static_cast<uint64_t>(resources.memory_max_mb) * kMiB);
  }
  auto address = [&](std::size_t i) {
    return i < resources.addresses.size() ? resources.addresses[i] : std::string();
  };
  rows.push_back({std::to_string(resources.cpu) + " MHz",
                  format_ibytes(static_cast<uint64_t>(resources.memory_mb) * kMiB),
                  format_ibytes(static_cast<uint64_t>(resources.disk_mb) * kMiB), address(0)});
  if (!memory_max.empty() || resources.addresses.size() > 1) {
    rows.push_back({"", memory_max, "", address(1)});
  }
  for (std::size_t i = 2; i < resources.addresses.size(); ++i)
    rows.push_back({"", "", "", address(i)});
  // Nomad's formatListWithSpaces: empty cells stay empty here.
  std::string out;
  std::vector<std::size_t> widths(4, 0);
  for (const TableRow& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const TableRow& row : rows) {
    if (!out.empty()) out += '\n';
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size(), ' ') + "  ";
    }
    out += line;
  }
  return out;
}

std::string self_exe() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : path.string();
}

}  // namespace

// --- Layouts -----------------------------------------------------------------------

std::string format_ibytes(uint64_t bytes) {
  if (bytes < 10) return std::to_string(bytes) + " B";
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  auto exponent =
      static_cast<std::size_t>(std::floor(std::log(static_cast<double>(bytes)) / std::log(1024.0)));
  exponent = std::min<std::size_t>(exponent, 6);
  double value =
      std::floor(static_cast<double>(bytes) / std::pow(1024.0, static_cast<double>(exponent)) * 10 +
                 0.5) /
      10;
  char text[32];
  std::snprintf(text, sizeof text, value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[exponent]);
  return text;
}

std::vector<std::string> alloc_task_names(const Json& alloc) {
  std::vector<std::string> names;
  if (const Json& states = field(alloc, "TaskStates"); states.is_object()) {
    for (const auto& [name, state] : states.items()) names.push_back(name);
  }
  if (names.empty()) {
    if (const Json& tasks = field(alloc_group(alloc), "Tasks"); tasks.is_array()) {
      for (const Json& task : tasks) names.push_back(text_of(task, "Name"));
    }
  }
  auto rank = [&](const std::string& name) {
    std::string hook = lifecycle_of(alloc, name);
    if (hook == "prestart") return 0;
    if (hook == "prestart sidecar") return 1;
    if (hook.empty()) return 2;
    if (hook.rfind("poststart", 0) == 0) return 3;
    return 4;
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return std::make_pair(rank(a), a) < std::make_pair(rank(b), b);
  });
  return names;
}

std::string format_alloc_header(const Json& alloc, int64_t now_nanos, bool verbose) {
  const std::size_t length = verbose ? kFullId : kShortId;
  auto when = [&](const char* name) {
    int64_t nanos = int_of(alloc, name);
    return verbose ? format_time(nanos) : pretty_time_diff(nanos, now_nanos);
  };
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"ID", text_of(alloc, "ID")},
      {"Eval ID", limit(text_of(alloc, "EvalID"), length)},
      {"Name", text_of(alloc, "Name")},
      {"Node ID", limit(text_of(alloc, "NodeID"), length)},
      {"Node Name", text_of(alloc, "NodeName")},
      {"Job ID", text_of(alloc, "JobID")},
      {"Job Version",
       std::to_string(field(alloc, "Job").is_object() ? int_of(field(alloc, "Job"), "Version")
                                                      : int_of(alloc, "JobVersion"))},
      {"Client Status", text_of(alloc, "ClientStatus")},
      {"Client Description", text_of(alloc, "ClientDescription")},
      {"Desired Status", text_of(alloc, "DesiredStatus")},
      {"Desired Description", text_of(alloc, "DesiredDescription")},
      {"Created", when("CreateTime")},
      {"Modified", when("ModifyTime")},
  };
  if (std::string deployment = text_of(alloc, "DeploymentID"); !deployment.empty()) {
    const Json& healthy = field(field(alloc, "DeploymentStatus"), "Healthy");
    std::string health =
        healthy.is_boolean() ? (healthy.get<bool>() ? "healthy" : "unhealthy") : "unset";
    pairs.emplace_back("Deployment ID", limit(deployment, length));
    pairs.emplace_back("Deployment Health", health);
    if (bool_of(field(alloc, "DeploymentStatus"), "Canary")) pairs.emplace_back("Canary", "true");
  }
  if (std::string next = text_of(alloc, "NextAllocation"); !next.empty()) {
    pairs.emplace_back("Replacement Alloc ID", limit(next, length));
  }
  if (verbose) {
    const Json& metrics = field(alloc, "Metrics");
    pairs.emplace_back("Evaluated Nodes", std::to_string(int_of(metrics, "NodesEvaluated")));
    pairs.emplace_back("Filtered Nodes", std::to_string(int_of(metrics, "NodesFiltered")));
    pairs.emplace_back("Exhausted Nodes", std::to_string(int_of(metrics, "NodesExhausted")));
    pairs.emplace_back("Allocation Time", format_duration(int_of(metrics, "AllocationTime")));
    pairs.emplace_back("Failures", std::to_string(int_of(metrics, "CoalescedFailures")));
  }
  return format_kv(pairs);
}

std::string format_task_events(const Json& task_state) {
  std::vector<TableRow> rows = {{"Time", "Type", "Description"}};
  const Json& events = field(task_state, "Events");
  if (events.is_array()) {
    // Newest first, as Nomad lists them.
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      std::string message = text_of(*it, "DisplayMessage");
      if (message.empty()) message = text_of(*it, "Message");
      rows.push_back({format_time(int_of(*it, "Time")), text_of(*it, "Type"), message});
    }
  }
  return format_list(rows);
}

std::string format_alloc_checks(const Json& checks) {
  if (!checks.is_object() || checks.empty()) return "";
  std::vector<TableRow> rows;
  for (const auto& [id, check] : checks.items()) {
    std::string task = text_of(check, "Task");
    std::string output = text_of(check, "Output");
    rows.push_back({text_of(check, "Service"), task.empty() ? "(group)" : task,
                    text_of(check, "Check"), text_of(check, "Type"), text_of(check, "Mode"),
                    text_of(check, "Status"), output.substr(0, output.find('\n'))});
  }
  std::sort(rows.begin(), rows.end());
  rows.insert(rows.begin(), {"Service", "Task", "Name", "Type", "Mode", "Status", "Output"});
  return "Nomad Service Checks:\n" + format_list(rows);
}

std::string format_alloc_status(const Json& alloc, int64_t now_nanos, bool verbose,
                                const Json& checks) {
  std::string out = format_alloc_header(alloc, now_nanos, verbose);
  if (std::string table = format_alloc_checks(checks); !table.empty()) out += "\n\n" + table;
  const Json& states = field(alloc, "TaskStates");
  for (const std::string& task : alloc_task_names(alloc)) {
    const Json& state = field(states, task.c_str());
    std::string hook = lifecycle_of(alloc, task);
    out += "\n\nTask " + go_quote(task) + (hook.empty() ? "" : " (" + hook + ")") + " is " +
           go_quote(state.is_object() ? text_of(state, "State") : "pending") + "\n";
    out += "Task Resources:\n" + format_task_resources(alloc, task) + "\n\n";
    out += "Task Events:\n" + format_kv({
                                  {"Started At", task_time(field(state, "StartedAt"))},
                                  {"Finished At", task_time(field(state, "FinishedAt"))},
                                  {"Total Restarts", std::to_string(int_of(state, "Restarts"))},
                                  {"Last Restart", task_time(field(state, "LastRestart"))},
                              });
    out += "\n\nRecent Events:\n" + format_task_events(state);
  }
  return out;
}

std::string choose_task(const std::string& command, const Json& alloc,
                        const std::string& requested) {
  std::vector<std::string> tasks = alloc_task_names(alloc);
  if (!requested.empty()) {
    if (std::find(tasks.begin(), tasks.end(), requested) == tasks.end()) {
      throw Error(command + ": could not find task named " + go_quote(requested) +
                  " in allocation " + go_quote(limit(text_of(alloc, "ID"), kShortId)));
    }
    return requested;
  }
  if (tasks.size() == 1) return tasks[0];
  std::string list;
  for (const std::string& task : tasks) list += "\n  * " + task;
  throw Error(command + ": allocation " + go_quote(limit(text_of(alloc, "ID"), kShortId)) +
              " is running the following tasks:" + list + "\n\nPlease specify the task.");
}

std::string pot_program(const std::string& self_exe_path) {
  if (!self_exe_path.empty()) {
    auto beside = std::filesystem::path(self_exe_path).parent_path() / "pot";
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return "pot";
}

// --- Commands ----------------------------------------------------------------------

int alloc_status(const std::vector<std::string>& args) {
  const std::string command = "potd alloc status";
  GlobalFlags global;
  bool json = false, verbose = false;
  GoFlags parser(command);
  parser.add_bool("json", &json);
  parser.add_bool("verbose", &verbose);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() != 1) throw Error(command + ": this command takes one argument: <alloc>");
  auto api = connect_agent(command, global);
  Json alloc = resolve_alloc(*api, command, words[0]);
  if (json) {
    std::cout << alloc.dump(4) << "\n";
    return 0;
  }
  // As Nomad does, the checks are left out when they cannot be read (an agent without them).
  Json checks;
  try {
    checks = api->get("/v1/client/allocation/" + url_encode(text_of(alloc, "ID")) + "/checks").body;
  } catch (const Error&) {
  }
  std::cout << format_alloc_status(alloc, now_unix_nanos(), verbose, checks) << "\n";
  return 0;
}

namespace {

int64_t parse_count(const std::string& command, const char* flag, const std::string& value) {
  if (value.empty()) return -1;
  return static_cast<int64_t>(parse_index_flag(command, flag, value));
}

// The last `lines` lines of `text` (Nomad's line-limited tail).
std::string last_lines(const std::string& text, int64_t lines) {
  std::size_t end = text.size();
  // A final newline ends the last line rather than starting an empty one.
  std::size_t pos = end > 0 && text[end - 1] == '\n' ? end - 1 : end;
  int64_t seen = 0;
  while (pos > 0) {
    --pos;
    if (text[pos] == '\n' && ++seen == lines) return text.substr(pos + 1);
  }
  return text;
}

}  // namespace

int alloc_logs(const std::vector<std::string>& args) {
  const std::string command = "potd alloc logs";
  GlobalFlags global;
  bool stderr_log = false, follow = false, tail = false;
  std::string lines_text, bytes_text, task_flag;
  GoFlags parser(command);
  parser.add_bool("stderr", &stderr_log);
  parser.add_bool("f", &follow);
  parser.add_bool("tail", &tail);
  parser.add_string("n", &lines_text);
  parser.add_string("c", &bytes_text);
  parser.add_string("task", &task_flag);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.empty() || words.size() > 2) {
    throw Error(command + ": this command takes one or two arguments: <alloc> [<task>]");
  }
  int64_t lines = parse_count(command, "n", lines_text);
  int64_t bytes = parse_count(command, "c", bytes_text);
  // Nomad: -tail alone shows the last 10 lines.
  if (tail && lines < 0 && bytes < 0) lines = 10;

  auto api = connect_agent(command, global);
  Json alloc = resolve_alloc(*api, command, words[0]);
  const std::string task = choose_task(command, alloc, words.size() == 2 ? words[1] : task_flag);
  const std::string path = "/v1/client/fs/logs/" + url_encode(text_of(alloc, "ID"));
  QueryParams query = {
      {"task", task}, {"type", stderr_log ? "stderr" : "stdout"}, {"plain", "true"}};
  auto write = [](const char* data, std::size_t length) {
    std::fwrite(data, 1, length, stdout);
    std::fflush(stdout);
    return true;
  };

  if (tail) {
    // The end of the log: the bytes asked for, or enough for the lines (about 128 each).
    int64_t offset = bytes >= 0 ? bytes : std::max<int64_t>(lines * 128, 4096);
    QueryParams tail_query = query;
    tail_query.emplace_back("origin", "end");
    tail_query.emplace_back("offset", std::to_string(offset));
    std::string text;
    api->get_stream(path, tail_query, [&](const char* data, std::size_t length) {
      text.append(data, length);
      return true;
    });
    if (bytes < 0) text = last_lines(text, lines);
    write(text.data(), text.size());
    if (!follow) return 0;
    query.emplace_back("origin", "end");
    query.emplace_back("offset", "0");
  }
  if (follow) query.emplace_back("follow", "true");
  api->get_stream(path, query, write);
  return 0;
}

int alloc_stop(const std::vector<std::string>& args) {
  const std::string command = "potd alloc stop";
  GlobalFlags global;
  bool detach = false, verbose = false;
  GoFlags parser(command);
  parser.add_bool("detach", &detach);
  parser.add_bool("verbose", &verbose);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() != 1) throw Error(command + ": this command takes one argument: <alloc>");
  auto api = connect_agent(command, global);
  Json alloc = resolve_alloc(*api, command, words[0]);
  Json response = api->put(alloc_path(text_of(alloc, "ID")) + "/stop", Json::object());
  const std::string eval_id = text_of(response, "EvalID");
  if (eval_id.empty()) return 0;
  if (detach) {
    std::cout << eval_id << "\n";
    return 0;
  }
  return monitor_evaluation(*api, eval_id, 0, verbose);
}

int alloc_restart(const std::vector<std::string>& args) {
  const std::string command = "potd alloc restart";
  GlobalFlags global;
  std::string task_flag;
  bool all_tasks = false;
  GoFlags parser(command);
  parser.add_string("task", &task_flag);
  parser.add_bool("all-tasks", &all_tasks);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.empty() || words.size() > 2) {
    throw Error(command + ": this command takes one or two arguments: <alloc> [<task>]");
  }
  std::string task = words.size() == 2 ? words[1] : task_flag;
  if (all_tasks && !task.empty()) {
    throw Error(command + ": the -all-tasks flag is not compatible with a task name");
  }
  auto api = connect_agent(command, global);
  Json alloc = resolve_alloc(*api, command, words[0]);
  if (!task.empty()) choose_task(command, alloc, task);
  api->put("/v1/client/allocation/" + url_encode(text_of(alloc, "ID")) + "/restart",
           Json{{"TaskName", task}, {"AllTasks", all_tasks}});
  return 0;
}

int alloc_signal(const std::vector<std::string>& args) {
  const std::string command = "potd alloc signal";
  GlobalFlags global;
  std::string task_flag, signal;
  GoFlags parser(command);
  parser.add_string("task", &task_flag);
  parser.add_string("s", &signal);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.empty() || words.size() > 2) {
    throw Error(command + ": this command takes one or two arguments: <alloc> [<task>]");
  }
  std::string task = words.size() == 2 ? words[1] : task_flag;
  auto api = connect_agent(command, global);
  Json alloc = resolve_alloc(*api, command, words[0]);
  if (!task.empty()) choose_task(command, alloc, task);
  api->put("/v1/client/allocation/" + url_encode(text_of(alloc, "ID")) + "/signal",
           Json{{"Task", task}, {"Signal", signal}});
  return 0;
}

int alloc_exec(const std::vector<std::string>& args) {
  const std::string command = "potd alloc exec";
  GlobalFlags global;
  std::string task_flag, escape;
  bool interactive = true, tty = false;
  GoFlags parser(command);
  parser.add_string("task", &task_flag);
  parser.add_bool("i", &interactive);
  parser.add_bool("t", &tty);
  parser.add_string("e", &escape);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() < 2) {
    throw Error(command + ": this command takes at least two arguments: <alloc> <command>");
  }
  // `pot exec` enters the pot's namespaces itself: that is root's, whatever the agent says.
  if (::geteuid() != 0) {
    throw Error(command + ": needs root (it runs `pot exec` into the task's pot on this machine)");
  }
  auto api = connect_agent(command, global);
  Json alloc = resolve_alloc(*api, command, words[0]);
  const std::string task = choose_task(command, alloc, task_flag);
  const std::string pot_name = text_of(field(alloc, "PotNames"), task.c_str());
  if (pot_name.empty()) {
    throw Error(command + ": task " + go_quote(task) + " of allocation " +
                go_quote(limit(text_of(alloc, "ID"), kShortId)) + " has no pot (is it running?)");
  }
  const std::string program = pot_program(self_exe());
  std::vector<std::string> argv = {program, "exec", "-p", pot_name};
  argv.insert(argv.end(), words.begin() + 1, words.end());
  std::vector<char*> c_argv;
  for (std::string& word : argv) c_argv.push_back(word.data());
  c_argv.push_back(nullptr);
  std::cout.flush();
  std::fflush(stdout);
  ::execvp(program.c_str(), c_argv.data());
  throw_sys(command + ": running " + quote_name(program));
}

}  // namespace pot::agent
