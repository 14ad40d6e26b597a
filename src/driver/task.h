// The driver core's contract for one task, as plain C++ types: what a scheduler (Nomad
// through nomad-pot-driver, or potd) asks for, and what it gets back. Nothing here knows
// gRPC or protobuf; nomad/ converts Nomad's messages into these and back.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pot::driver {

// The task's `config` block, with the original Go driver's attribute names, so job files
// written for it run unchanged.
struct TaskConfig {
  std::string image;                            // the registry's base URL
  std::string pot;                              // the image's pot name
  std::string tag;                              // the image's tag
  std::string command;                          // a command line, as `pot set-cmd` takes it
  std::vector<std::string> args;                // appended whole, one argument each
  std::map<std::string, std::string> port_map;  // port label -> port inside the pot
  std::string network_mode;                     // empty: public-bridge with ports, else none
  std::vector<std::string> copy;                // "host_path:pot_path"
  std::vector<std::string> mount;               // "host_path:pot_path"
  std::vector<std::string> mount_read_only;     // "host_path:pot_path"
  std::vector<std::string> extra_hosts;         // "hostname:ip"
  std::vector<std::string> attributes;          // "name:value", as `pot set-attr`
};

// A port the scheduler allocated: its label, the host port, and the port the job maps it to
// (0 when the job maps nothing there).
struct PortMapping {
  std::string label;
  int host_port = 0;
  int to = 0;
  std::string host_ip;
};

// A volume mount the scheduler asks for (Nomad's volume_mount): trusted, unlike `mount`.
struct VolumeMount {
  std::string host_path;
  std::string task_path;
  bool read_only = false;
};

struct DnsConfig {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;
};

struct TaskResources {
  int64_t cpu_shares = 0;     // Nomad's MHz; 0: none asked
  int64_t memory_mb = 0;      // the reservation
  int64_t memory_max_mb = 0;  // the hard limit when larger than memory_mb
  std::vector<PortMapping> ports;
};

// Output kept as numbered files that the pot's monitor rotates (potd, Nomad's `logs` block):
// stdout_path and stderr_path are then prefixes, `alloc/logs/web.stdout`, of the files
// `.0`, `.1`, ... with the newest the highest, at most max_files of max_file_size_mb each.
struct LogRotationRequest {
  int max_files = 10;
  int64_t max_file_size_mb = 10;
};

// Everything a start needs, from the scheduler.
struct TaskRequest {
  std::string id;  // unique per start: Nomad's <alloc-id>/<task>/<8 hex>
  std::string name;
  std::string alloc_id;
  std::string job_name;
  std::string group_name;
  std::string namespace_name;
  std::map<std::string, std::string> env;
  std::string user;
  std::string alloc_dir;  // host path of the allocation's directory
  std::string stdout_path;
  std::string stderr_path;
  std::optional<LogRotationRequest> log_rotation;  // none: the paths are files or FIFOs
  TaskResources resources;
  std::vector<VolumeMount> volumes;
  std::optional<DnsConfig> dns;
  TaskConfig config;
};

enum class TaskState { kUnknown, kRunning, kExited };

struct ExitResult {
  int exit_code = 0;
  int signal = 0;
  bool oom_killed = false;
  // A failure of the driver itself (the pot vanished, its state cannot be read).
  std::string error;
};

// Where a pot can be reached: its own address and the ports inside it, by label, so a
// service with `address_mode = "driver"` advertises the pot itself.
struct NetworkOverride {
  std::string address;
  std::map<std::string, int> port_map;
};

using Clock = std::chrono::system_clock;

struct TaskStatus {
  std::string id;
  std::string name;
  std::string pot;
  TaskState state = TaskState::kUnknown;
  Clock::time_point started_at{};
  Clock::time_point completed_at{};
  std::optional<ExitResult> result;
  NetworkOverride network;
};

// What the scheduler keeps and hands back after it or the driver restarted: everything
// needed to find the task again. `driver_state` is the driver's own (driver_state.h).
struct TaskHandle {
  std::string task_id;
  TaskState state = TaskState::kRunning;
  std::string driver_state;
};

struct StartResult {
  TaskHandle handle;
  NetworkOverride network;
};

struct ExecResult {
  std::string stdout_data;
  std::string stderr_data;
  ExitResult result;
};

// Resource usage of a task, as the pot's cgroup counts it; a field not measured on this
// host is nullopt. CPU times are cumulative: rates (percent) come from two samples.
struct TaskUsage {
  Clock::time_point timestamp{};
  std::optional<uint64_t> memory_rss, memory_cache, memory_usage, memory_max_usage, memory_swap,
      memory_kernel;
  std::optional<uint64_t> cpu_user_ns, cpu_system_ns, cpu_total_ns;
  std::optional<uint64_t> cpu_throttled_periods, cpu_throttled_ns;
};

// Something that happened to a task, for the scheduler's event stream.
struct TaskEvent {
  std::string task_id;
  std::string alloc_id;
  std::string task_name;
  Clock::time_point timestamp{};
  std::string message;
  std::map<std::string, std::string> annotations;
};

}  // namespace pot::driver
