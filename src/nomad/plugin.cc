#include "nomad/plugin.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "core/process.h"
#include "nomad/convert.h"
#include "nomad/cty_value.h"
#include "nomad/hclog.h"
#include "nomad/schemas.h"

namespace pot::nomad {

namespace {

constexpr const char* kPluginName = "pot";
constexpr const char* kPluginApiVersion = "v0.1.0";
constexpr auto kFingerprintPeriod = std::chrono::seconds(30);
constexpr auto kStreamPoll = std::chrono::milliseconds(500);

// The driver's errors as gRPC statuses. Never UNAVAILABLE or CANCELLED for an ordinary
// error: Nomad reads those as "the plugin is gone" and restarts it (which is the truth only
// when we are stopping).
// A long call ended because the plugin is stopping, or its caller left.
struct PluginStopping : std::exception {
  const char* what() const noexcept override { return "nomad-pot-driver is shutting down"; }
};

grpc::Status to_status(const std::exception& e) {
  if (dynamic_cast<const PluginStopping*>(&e) != nullptr)
    return {grpc::StatusCode::UNAVAILABLE, e.what()};
  if (dynamic_cast<const driver::TaskNotFound*>(&e) != nullptr)
    return {grpc::StatusCode::NOT_FOUND, e.what()};
  if (dynamic_cast<const driver::TaskStateError*>(&e) != nullptr)
    return {grpc::StatusCode::FAILED_PRECONDITION, e.what()};
  return {grpc::StatusCode::INTERNAL, e.what()};
}

template <typename Fn>
grpc::Status guarded(Fn&& fn) {
  try {
    fn();
    return grpc::Status::OK;
  } catch (const std::exception& e) {
    return to_status(e);
  }
}

// One CPU's clock in MHz, from /proc/cpuinfo (0 when it says nothing).
double core_mhz() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon != std::string::npos) return std::strtod(line.c_str() + colon + 1, nullptr);
  }
  return 0;
}

}  // namespace

driver::DriverOptions driver_options(const PluginConfig& config) {
  driver::DriverOptions options;
  options.settings = Settings::load();
  options.settings.apply(config.pot_settings);
  options.pot_env = config.pot_settings;
  options.pot_path = config.pot_path.empty() ? driver::default_pot_path() : config.pot_path;
  std::string host_paths;
  for (const auto& path : config.host_paths) host_paths += (host_paths.empty() ? "" : ":") + path;
  if (host_paths.empty()) {
    auto it = options.settings.extra.find("POT_HOST_PATHS");
    if (it != options.settings.extra.end()) host_paths = it->second;
  }
  options.host_paths = driver::HostPathPolicy::parse(host_paths);
  options.signing_key = config.signing_key;
  return options;
}

std::shared_ptr<driver::TaskDriver> PluginState::driver() {
  std::lock_guard lock(mutex_);
  if (!driver_) {
    driver::DriverOptions options = driver_options(PluginConfig{});
    options.events = events_;
    driver_ = std::make_shared<driver::TaskDriver>(std::move(options));
  }
  return driver_;
}

void PluginState::configure(const PluginConfig& config) {
  driver::DriverOptions options = driver_options(config);
  options.events = events_;
  auto next = std::make_shared<driver::TaskDriver>(std::move(options));
  std::lock_guard lock(mutex_);
  // Tasks the previous config knew stay known (Nomad sends SetConfig once per plugin start,
  // but nothing forbids another): the new driver finds them as a recovery would.
  if (driver_) {
    for (const auto& handle : driver_->handles()) {
      try {
        next->recover(handle);
      } catch (const std::exception& e) {
        log_line("warn", "task not carried over to the new config",
                 {{"task_id", handle.task_id}, {"error", e.what()}});
      }
    }
  }
  driver_ = std::move(next);
  enabled_ = config.enabled;
}

// ---- BasePlugin ----------------------------------------------------------------------------

grpc::Status BasePluginService::PluginInfo(grpc::ServerContext*,
                                           const base_proto::PluginInfoRequest*,
                                           base_proto::PluginInfoResponse* response) {
  response->set_type(base_proto::DRIVER);
  response->add_plugin_api_versions(kPluginApiVersion);
  response->set_plugin_version(POT_VERSION_STRING);
  response->set_name(kPluginName);
  return grpc::Status::OK;
}

grpc::Status BasePluginService::ConfigSchema(grpc::ServerContext*,
                                             const base_proto::ConfigSchemaRequest*,
                                             base_proto::ConfigSchemaResponse* response) {
  *response->mutable_spec() = plugin_config_spec();
  return grpc::Status::OK;
}

grpc::Status BasePluginService::SetConfig(grpc::ServerContext*,
                                          const base_proto::SetConfigRequest* request,
                                          base_proto::SetConfigResponse*) {
  try {
    CtyValue value;
    if (!request->msgpack_config().empty()) value = decode_cty_msgpack(request->msgpack_config());
    state_.configure(decode_plugin_config(value));
    return grpc::Status::OK;
  } catch (const std::exception& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  }
}

// ---- Driver --------------------------------------------------------------------------------

grpc::Status DriverService::TaskConfigSchema(grpc::ServerContext*,
                                             const driver_proto::TaskConfigSchemaRequest*,
                                             driver_proto::TaskConfigSchemaResponse* response) {
  *response->mutable_spec() = task_config_spec();
  return grpc::Status::OK;
}

grpc::Status DriverService::Capabilities(grpc::ServerContext*,
                                         const driver_proto::CapabilitiesRequest*,
                                         driver_proto::CapabilitiesResponse* response) {
  driver_proto::DriverCapabilities* caps = response->mutable_capabilities();
  caps->set_send_signals(true);
  caps->set_exec(true);
  // A pot has a root of its own: Nomad gives the task /local, /alloc, /secrets and keeps
  // the host's environment out.
  caps->set_fs_isolation(driver_proto::DriverCapabilities::IMAGE);
  caps->add_network_isolation_modes(driver_proto::NetworkIsolationSpec::HOST);
  caps->set_mount_configs(driver_proto::DriverCapabilities::ANY_MOUNTS);
  return grpc::Status::OK;
}

grpc::Status DriverService::Fingerprint(
    grpc::ServerContext* context, const driver_proto::FingerprintRequest*,
    grpc::ServerWriter<driver_proto::FingerprintResponse>* writer) {
  // The first at once, then whenever health changes; the stream stays open for our life
  // (Nomad reopens an ended one at once, in a tight loop).
  std::string last;
  auto next_check = std::chrono::steady_clock::now();
  while (!context->IsCancelled() && !state_.stopping) {
    if (std::chrono::steady_clock::now() >= next_check) {
      driver::DriverHealth health = state_.driver()->health();
      if (!state_.enabled()) {
        health.healthy = false;
        health.description = "disabled in the plugin's config";
      }
      driver_proto::FingerprintResponse response;
      response.set_health(health.healthy ? driver_proto::FingerprintResponse::HEALTHY
                                         : driver_proto::FingerprintResponse::UNHEALTHY);
      response.set_health_description(health.description);
      for (const auto& [key, value] : health.attributes) {
        auto& attribute = (*response.mutable_attributes())[key];
        if (value == "true" || value == "false")
          attribute.set_bool_val(value == "true");
        else
          attribute.set_string_val(value);
      }
      std::string serialized = response.SerializeAsString();
      if (serialized != last) {
        if (!writer->Write(response)) break;
        last = std::move(serialized);
      }
      next_check = std::chrono::steady_clock::now() + kFingerprintPeriod;
    }
    std::this_thread::sleep_for(kStreamPoll);
  }
  return grpc::Status::OK;
}

grpc::Status DriverService::RecoverTask(grpc::ServerContext*,
                                        const driver_proto::RecoverTaskRequest* request,
                                        driver_proto::RecoverTaskResponse*) {
  return guarded([&] {
    driver::TaskHandle handle;
    // A restarted Nomad agent may set only the handle: its config carries the id.
    handle.task_id =
        request->task_id().empty() ? request->handle().config().id() : request->task_id();
    handle.driver_state = request->handle().driver_state();
    state_.driver()->recover(handle);
  });
}

grpc::Status DriverService::StartTask(grpc::ServerContext*,
                                      const driver_proto::StartTaskRequest* request,
                                      driver_proto::StartTaskResponse* response) {
  if (!state_.enabled())
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "the pot driver is disabled in its plugin config"};
  return guarded([&] {
    driver::TaskRequest task = task_request_from_proto(request->task());
    driver::StartResult started = state_.driver()->start(task);
    driver_proto::TaskHandle* handle = response->mutable_handle();
    handle->set_version(driver::DriverState::kVersion);
    *handle->mutable_config() = request->task();
    handle->set_state(driver_proto::RUNNING);
    handle->set_driver_state(started.handle.driver_state);
    network_to_proto(started.network, response->mutable_network_override());
  });
}

grpc::Status DriverService::WaitTask(grpc::ServerContext* context,
                                     const driver_proto::WaitTaskRequest* request,
                                     driver_proto::WaitTaskResponse* response) {
  return guarded([&] {
    auto result = state_.driver()->wait(
        request->task_id(), [&] { return context->IsCancelled() || state_.stopping.load(); });
    // Never OK without a result (Nomad's client reads the result unchecked): we are
    // shutting down, which is what UNAVAILABLE tells Nomad, or the caller went away.
    if (!result) throw PluginStopping();
    exit_result_to_proto(*result, response->mutable_result());
    if (!result->error.empty()) response->set_err(result->error);
  });
}

grpc::Status DriverService::StopTask(grpc::ServerContext*,
                                     const driver_proto::StopTaskRequest* request,
                                     driver_proto::StopTaskResponse*) {
  return guarded([&] {
    int signal = request->signal().empty() ? SIGTERM : parse_signal(request->signal());
    state_.driver()->stop(request->task_id(), signal, duration_from_proto(request->timeout()));
  });
}

grpc::Status DriverService::DestroyTask(grpc::ServerContext*,
                                        const driver_proto::DestroyTaskRequest* request,
                                        driver_proto::DestroyTaskResponse*) {
  return guarded([&] { state_.driver()->destroy(request->task_id(), request->force()); });
}

grpc::Status DriverService::InspectTask(grpc::ServerContext*,
                                        const driver_proto::InspectTaskRequest* request,
                                        driver_proto::InspectTaskResponse* response) {
  return guarded([&] {
    driver::TaskStatus status = state_.driver()->inspect(request->task_id());
    status_to_proto(status, response->mutable_task());
    (*response->mutable_driver()->mutable_attributes())["pot"] = status.pot;
    network_to_proto(status.network, response->mutable_network_override());
  });
}

grpc::Status DriverService::TaskStats(grpc::ServerContext* context,
                                      const driver_proto::TaskStatsRequest* request,
                                      grpc::ServerWriter<driver_proto::TaskStatsResponse>* writer) {
  auto interval = duration_from_proto(request->collection_interval());
  if (interval.count() <= 0) interval = std::chrono::seconds(1);
  CpuRates rates;
  rates.core_mhz = core_mhz();
  auto driver = state_.driver();
  while (!context->IsCancelled() && !state_.stopping) {
    driver::TaskUsage usage;
    try {
      usage = driver->usage(request->task_id());
    } catch (const driver::TaskStateError&) {
      // The task ended: the stream stays open, quiet, until Nomad closes it (an ended stream
      // is reopened at once, in a tight loop).
      while (!context->IsCancelled() && !state_.stopping) std::this_thread::sleep_for(kStreamPoll);
      return grpc::Status::OK;
    } catch (const std::exception& e) {
      return to_status(e);
    }
    driver_proto::TaskStatsResponse response;
    driver_proto::TaskStats* stats = response.mutable_stats();
    stats->set_id(request->task_id());
    timestamp_to_proto(usage.timestamp, stats->mutable_timestamp());
    usage_to_proto(usage, rates, stats->mutable_agg_resource_usage());
    if (!writer->Write(response)) break;
    auto until = std::chrono::steady_clock::now() + interval;
    while (std::chrono::steady_clock::now() < until && !context->IsCancelled() && !state_.stopping)
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
          kStreamPoll, std::chrono::duration_cast<std::chrono::milliseconds>(
                           until - std::chrono::steady_clock::now())));
  }
  return grpc::Status::OK;
}

grpc::Status DriverService::TaskEvents(grpc::ServerContext* context,
                                       const driver_proto::TaskEventsRequest*,
                                       grpc::ServerWriter<driver_proto::DriverTaskEvent>* writer) {
  // Stays open for our life, as Fingerprint.
  auto subscription = state_.driver()->events().subscribe();
  while (!context->IsCancelled() && !state_.stopping) {
    auto event = subscription->next(kStreamPoll);
    if (!event) continue;
    driver_proto::DriverTaskEvent message;
    event_to_proto(*event, &message);
    if (!writer->Write(message)) break;
  }
  return grpc::Status::OK;
}

grpc::Status DriverService::SignalTask(grpc::ServerContext*,
                                       const driver_proto::SignalTaskRequest* request,
                                       driver_proto::SignalTaskResponse*) {
  return guarded([&] {
    int signal = parse_signal(request->signal().empty() ? "SIGINT" : request->signal());
    state_.driver()->signal(request->task_id(), signal);
  });
}

grpc::Status DriverService::ExecTask(grpc::ServerContext*,
                                     const driver_proto::ExecTaskRequest* request,
                                     driver_proto::ExecTaskResponse* response) {
  return guarded([&] {
    std::vector<std::string> argv(request->command().begin(), request->command().end());
    driver::ExecResult result =
        state_.driver()->exec(request->task_id(), argv, duration_from_proto(request->timeout()));
    response->set_stdout(result.stdout_data);
    response->set_stderr(result.stderr_data);
    exit_result_to_proto(result.result, response->mutable_result());
  });
}

}  // namespace pot::nomad
