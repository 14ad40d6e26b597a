// nomad-pot-driver's gRPC services over the driver core: BasePlugin (info, config) and
// Driver (the task RPCs). Each RPC converts Nomad's messages (convert.h), calls
// driver::TaskDriver and turns its errors into gRPC statuses with the driver's message.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "driver/task_driver.h"
#include "nomad/config_codec.h"
#include "nomad/proto/base.grpc.pb.h"
#include "nomad/proto/driver.grpc.pb.h"

namespace pot::nomad {

namespace base_proto = hashicorp::nomad::plugins::base::proto;
namespace driver_proto = hashicorp::nomad::plugins::drivers::proto;

// What SetConfig decided, shared by both services.
class PluginState {
 public:
  // The driver of the current config (a default one before SetConfig).
  std::shared_ptr<driver::TaskDriver> driver();
  void configure(const PluginConfig& config);
  bool enabled() const { return enabled_; }
  // Set at shutdown: long streams end.
  std::atomic<bool> stopping{false};

 private:
  std::mutex mutex_;
  std::shared_ptr<driver::TaskDriver> driver_;
  std::shared_ptr<driver::EventHub> events_ = std::make_shared<driver::EventHub>();
  std::atomic<bool> enabled_{true};
};

// The driver core's options from a plugin config: POT_* from the environment and
// /etc/pot/pot.conf, overridden by the config's settings.
driver::DriverOptions driver_options(const PluginConfig& config);

class BasePluginService final : public base_proto::BasePlugin::Service {
 public:
  explicit BasePluginService(PluginState& state) : state_(state) {}
  grpc::Status PluginInfo(grpc::ServerContext*, const base_proto::PluginInfoRequest*,
                          base_proto::PluginInfoResponse* response) override;
  grpc::Status ConfigSchema(grpc::ServerContext*, const base_proto::ConfigSchemaRequest*,
                            base_proto::ConfigSchemaResponse* response) override;
  grpc::Status SetConfig(grpc::ServerContext*, const base_proto::SetConfigRequest* request,
                         base_proto::SetConfigResponse*) override;

 private:
  PluginState& state_;
};

class DriverService final : public driver_proto::Driver::Service {
 public:
  explicit DriverService(PluginState& state) : state_(state) {}
  grpc::Status TaskConfigSchema(grpc::ServerContext*, const driver_proto::TaskConfigSchemaRequest*,
                                driver_proto::TaskConfigSchemaResponse* response) override;
  grpc::Status Capabilities(grpc::ServerContext*, const driver_proto::CapabilitiesRequest*,
                            driver_proto::CapabilitiesResponse* response) override;
  grpc::Status Fingerprint(grpc::ServerContext* context, const driver_proto::FingerprintRequest*,
                           grpc::ServerWriter<driver_proto::FingerprintResponse>* writer) override;
  grpc::Status RecoverTask(grpc::ServerContext*, const driver_proto::RecoverTaskRequest* request,
                           driver_proto::RecoverTaskResponse*) override;
  grpc::Status StartTask(grpc::ServerContext*, const driver_proto::StartTaskRequest* request,
                         driver_proto::StartTaskResponse* response) override;
  grpc::Status WaitTask(grpc::ServerContext* context, const driver_proto::WaitTaskRequest* request,
                        driver_proto::WaitTaskResponse* response) override;
  grpc::Status StopTask(grpc::ServerContext*, const driver_proto::StopTaskRequest* request,
                        driver_proto::StopTaskResponse*) override;
  grpc::Status DestroyTask(grpc::ServerContext*, const driver_proto::DestroyTaskRequest* request,
                           driver_proto::DestroyTaskResponse*) override;
  grpc::Status InspectTask(grpc::ServerContext*, const driver_proto::InspectTaskRequest* request,
                           driver_proto::InspectTaskResponse* response) override;
  grpc::Status TaskStats(grpc::ServerContext* context,
                         const driver_proto::TaskStatsRequest* request,
                         grpc::ServerWriter<driver_proto::TaskStatsResponse>* writer) override;
  grpc::Status TaskEvents(grpc::ServerContext* context, const driver_proto::TaskEventsRequest*,
                          grpc::ServerWriter<driver_proto::DriverTaskEvent>* writer) override;
  grpc::Status SignalTask(grpc::ServerContext*, const driver_proto::SignalTaskRequest* request,
                          driver_proto::SignalTaskResponse*) override;
  grpc::Status ExecTask(grpc::ServerContext*, const driver_proto::ExecTaskRequest* request,
                        driver_proto::ExecTaskResponse* response) override;
  grpc::Status ExecTaskStreaming(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<driver_proto::ExecTaskStreamingResponse,
                               driver_proto::ExecTaskStreamingRequest>* stream) override;

 private:
  PluginState& state_;
};

}  // namespace pot::nomad
