#include "nomad/convert.h"

#include "core/error.h"
#include "nomad/config_codec.h"
#include "nomad/cty_value.h"

namespace pot::nomad {

driver::TaskRequest task_request_from_proto(const proto::TaskConfig& task) {
  driver::TaskRequest r;
  r.id = task.id();
  r.name = task.name();
  r.alloc_id = task.alloc_id();
  r.job_name = task.job_name();
  r.group_name = task.task_group_name();
  r.namespace_name = task.namespace_();
  r.env.insert(task.env().begin(), task.env().end());
  r.env.insert(task.device_env().begin(), task.device_env().end());
  r.user = task.user();
  r.alloc_dir = task.alloc_dir();
  r.stdout_path = task.stdout_path();
  r.stderr_path = task.stderr_path();

  const proto::Resources& res = task.resources();
  const proto::AllocatedTaskResources& alloc = res.allocated_resources();
  r.resources.cpu_shares = alloc.cpu().cpu_shares();
  r.resources.memory_mb = alloc.memory().memory_mb();
  r.resources.memory_max_mb = alloc.memory().memory_max_mb();
  if (r.resources.cpu_shares == 0) r.resources.cpu_shares = res.linux_resources().cpu_shares();
  // Ports of a group-level network block, with their `to`...
  for (const auto& port : res.ports())
    r.resources.ports.push_back({port.label(), port.value(), port.to(), port.host_ip()});
  // ...and of a task-level one (the seed's form): label and host port only.
  for (const auto& network : alloc.networks()) {
    for (const auto* ports : {&network.reserved_ports(), &network.dynamic_ports()}) {
      for (const auto& port : *ports) {
        bool known =
            std::any_of(r.resources.ports.begin(), r.resources.ports.end(),
                        [&](const driver::PortMapping& p) { return p.label == port.label(); });
        if (!known) r.resources.ports.push_back({port.label(), port.value(), 0, network.ip()});
      }
    }
  }
  for (const auto& mount : task.mounts())
    r.volumes.push_back({mount.host_path(), mount.task_path(), mount.readonly()});
  if (task.has_dns()) {
    driver::DnsConfig dns;
    dns.servers.assign(task.dns().servers().begin(), task.dns().servers().end());
    dns.searches.assign(task.dns().searches().begin(), task.dns().searches().end());
    dns.options.assign(task.dns().options().begin(), task.dns().options().end());
    r.dns = dns;
  }
  if (task.msgpack_driver_config().empty())
    throw Error("task " + task.id() + " has no driver config");
  r.config = decode_task_config(decode_cty_msgpack(task.msgpack_driver_config()));
  return r;
}

void exit_result_to_proto(const driver::ExitResult& result, proto::ExitResult* out) {
  out->set_exit_code(result.exit_code);
  out->set_signal(result.signal);
  out->set_oom_killed(result.oom_killed);
}

void network_to_proto(const driver::NetworkOverride& network, proto::NetworkOverride* out) {
  out->set_addr(network.address);
  for (const auto& [label, port] : network.port_map) (*out->mutable_port_map())[label] = port;
}

void timestamp_to_proto(driver::Clock::time_point time, google::protobuf::Timestamp* out) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

std::chrono::milliseconds duration_from_proto(const google::protobuf::Duration& duration) {
  return std::chrono::milliseconds(duration.seconds() * 1000 + duration.nanos() / 1000000);
}

static proto::TaskState state_to_proto(driver::TaskState state) {
  switch (state) {
    case driver::TaskState::kRunning:
      return proto::RUNNING;
    case driver::TaskState::kExited:
      return proto::EXITED;
    case driver::TaskState::kUnknown:
      break;
  }
  return proto::UNKNOWN;
}

void status_to_proto(const driver::TaskStatus& status, proto::TaskStatus* out) {
  out->set_id(status.id);
  out->set_name(status.name);
  out->set_state(state_to_proto(status.state));
  timestamp_to_proto(status.started_at, out->mutable_started_at());
  if (status.state == driver::TaskState::kExited)
    timestamp_to_proto(status.completed_at, out->mutable_completed_at());
  if (status.result) exit_result_to_proto(*status.result, out->mutable_result());
}

void event_to_proto(const driver::TaskEvent& event, proto::DriverTaskEvent* out) {
  out->set_task_id(event.task_id);
  out->set_alloc_id(event.alloc_id);
  out->set_task_name(event.task_name);
  timestamp_to_proto(event.timestamp, out->mutable_timestamp());
  out->set_message(event.message);
  for (const auto& [key, value] : event.annotations) (*out->mutable_annotations())[key] = value;
}

void usage_to_proto(const driver::TaskUsage& usage, CpuRates& rates,
                    proto::TaskResourceUsage* out) {
  proto::MemoryUsage* memory = out->mutable_memory();
  auto memory_field = [&](const std::optional<uint64_t>& value,
                          void (proto::MemoryUsage::*set)(uint64_t),
                          proto::MemoryUsage::Fields field) {
    if (!value) return;
    (memory->*set)(*value);
    memory->add_measured_fields(field);
  };
  memory_field(usage.memory_rss, &proto::MemoryUsage::set_rss, proto::MemoryUsage::RSS);
  memory_field(usage.memory_cache, &proto::MemoryUsage::set_cache, proto::MemoryUsage::CACHE);
  memory_field(usage.memory_max_usage, &proto::MemoryUsage::set_max_usage,
               proto::MemoryUsage::MAX_USAGE);
  memory_field(usage.memory_kernel, &proto::MemoryUsage::set_kernel_usage,
               proto::MemoryUsage::KERNEL_USAGE);
  memory_field(usage.memory_usage, &proto::MemoryUsage::set_usage, proto::MemoryUsage::USAGE);
  memory_field(usage.memory_swap, &proto::MemoryUsage::set_swap, proto::MemoryUsage::SWAP);

  proto::CPUUsage* cpu = out->mutable_cpu();
  if (usage.cpu_throttled_periods) {
    cpu->set_throttled_periods(*usage.cpu_throttled_periods);
    cpu->add_measured_fields(proto::CPUUsage::THROTTLED_PERIODS);
  }
  if (usage.cpu_throttled_ns) {
    cpu->set_throttled_time(*usage.cpu_throttled_ns);
    cpu->add_measured_fields(proto::CPUUsage::THROTTLED_TIME);
  }
  // Nomad's CPU fields are rates over the last interval: percent of one CPU for user,
  // system and total, and total as MHz ("ticks").
  if (rates.previous && usage.cpu_total_ns && rates.previous->cpu_total_ns) {
    double wall = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          usage.timestamp - rates.previous->timestamp)
                                          .count());
    if (wall > 0) {
      auto percent_of = [&](const std::optional<uint64_t>& now,
                            const std::optional<uint64_t>& before) {
        if (!now || !before || *now < *before) return 0.0;
        return 100.0 * static_cast<double>(*now - *before) / wall;
      };
      double total = percent_of(usage.cpu_total_ns, rates.previous->cpu_total_ns);
      cpu->set_percent(total);
      cpu->add_measured_fields(proto::CPUUsage::PERCENT);
      if (usage.cpu_user_ns) {
        cpu->set_user_mode(percent_of(usage.cpu_user_ns, rates.previous->cpu_user_ns));
        cpu->add_measured_fields(proto::CPUUsage::USER_MODE);
      }
      if (usage.cpu_system_ns) {
        cpu->set_system_mode(percent_of(usage.cpu_system_ns, rates.previous->cpu_system_ns));
        cpu->add_measured_fields(proto::CPUUsage::SYSTEM_MODE);
      }
      if (rates.core_mhz > 0) {
        cpu->set_total_ticks(total / 100.0 * rates.core_mhz);
        cpu->add_measured_fields(proto::CPUUsage::TOTAL_TICKS);
      }
    }
  }
  rates.previous = usage;
}

}  // namespace pot::nomad
