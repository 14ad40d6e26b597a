// Nomad's protobuf messages <-> the driver core's types (driver/task.h). The only place
// besides the services that sees generated headers.
#pragma once

#include <chrono>

#include "driver/task.h"
#include "nomad/proto/driver.pb.h"

namespace pot::nomad {

namespace proto = hashicorp::nomad::plugins::drivers::proto;

// The request of a start; the driver config is decoded from its cty msgpack. Throws Error.
driver::TaskRequest task_request_from_proto(const proto::TaskConfig& task);

void exit_result_to_proto(const driver::ExitResult& result, proto::ExitResult* out);
void network_to_proto(const driver::NetworkOverride& network, proto::NetworkOverride* out);
void status_to_proto(const driver::TaskStatus& status, proto::TaskStatus* out);
void event_to_proto(const driver::TaskEvent& event, proto::DriverTaskEvent* out);
void timestamp_to_proto(driver::Clock::time_point time, google::protobuf::Timestamp* out);
std::chrono::milliseconds duration_from_proto(const google::protobuf::Duration& duration);

// A sample of usage, with rates from the previous sample of the same stream (if any).
struct CpuRates {
  std::optional<driver::TaskUsage> previous;
  double core_mhz = 0;  // one CPU's clock, for Nomad's ticks (MHz used); 0: unknown
};
void usage_to_proto(const driver::TaskUsage& usage, CpuRates& rates, proto::TaskResourceUsage* out);

}  // namespace pot::nomad
