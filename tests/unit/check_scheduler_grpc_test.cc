// grpc checks against a real gRPC server (libgrpc++ with its built-in grpc.health.v1 service)
// on 127.0.0.1, an ephemeral port. Built only where gRPC is (POT_BUILD_DRIVER, see
// tests/CMakeLists.txt): the scheduler's own client needs no gRPC library.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "agent/services/check_scheduler.h"

namespace pot::agent {
namespace {

using namespace std::chrono_literals;

class CheckSchedulerGrpcTest : public ::testing::Test {
 protected:
  CheckSchedulerGrpcTest() : catalog_(CatalogNode{}), scheduler_(catalog_, {}) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    // A server needs one service of its own besides the health service.
    builder.RegisterCallbackGenericService(&generic_);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    server_ = builder.BuildAndStart();
    if (!server_) throw std::runtime_error("cannot start the gRPC server");
    server_->GetHealthCheckService()->SetServingStatus("up", true);
    server_->GetHealthCheckService()->SetServingStatus("down", false);
  }
  ~CheckSchedulerGrpcTest() override {
    scheduler_.stop();
    server_->Shutdown(std::chrono::system_clock::now() + 1s);
  }

  CheckDefinition grpc_check(const std::string& id, const std::string& service) const {
    CheckDefinition check;
    check.id = id;
    check.type = "grpc";
    check.address = "127.0.0.1";
    check.port = port_;
    check.grpc_service = service;
    check.interval = 1s;
    check.timeout = 2s;
    return check;
  }

  // Waits for the check's first report (its output is no longer empty).
  CheckState wait_for_report(const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    uint64_t index = catalog_.index();
    for (;;) {
      std::optional<CheckState> state = catalog_.check(id);
      if (state && !state->output.empty()) return *state;
      if (std::chrono::steady_clock::now() >= deadline) {
        ADD_FAILURE() << id << " got no result";
        return {};
      }
      index = catalog_.wait_for_index(index, 100ms);
    }
  }

  ServiceCatalog catalog_;
  CheckScheduler scheduler_;
  grpc::CallbackGenericService generic_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(CheckSchedulerGrpcTest, ServingIsPassingAndAnythingElseCritical) {
  ServiceInstance instance;
  instance.id = "api-1";
  instance.name = "api";
  catalog_.register_instance(instance, {grpc_check("server", ""), grpc_check("up", "up"),
                                        grpc_check("down", "down"), grpc_check("nope", "nope")});
  scheduler_.start();
  std::string target = "127.0.0.1:" + std::to_string(port_);
  CheckState server = wait_for_report("server");
  EXPECT_EQ(server.status, CheckStatus::kPassing);
  EXPECT_EQ(server.output, "gRPC check " + target + ": success");
  EXPECT_EQ(wait_for_report("up").status, CheckStatus::kPassing);
  CheckState down = wait_for_report("down");
  EXPECT_EQ(down.status, CheckStatus::kCritical);
  EXPECT_EQ(down.output, "gRPC " + target + "/down serving status: NOT_SERVING");
  // An unknown service: the server answers NOT_FOUND without a message.
  EXPECT_EQ(wait_for_report("nope").status, CheckStatus::kCritical);
}

TEST_F(CheckSchedulerGrpcTest, NoServerIsCritical) {
  CheckDefinition check = grpc_check("gone", "");
  server_->Shutdown(std::chrono::system_clock::now());
  ServiceInstance instance;
  instance.id = "api-1";
  instance.name = "api";
  catalog_.register_instance(instance, {check});
  scheduler_.start();
  CheckState state = wait_for_report("gone");
  EXPECT_EQ(state.status, CheckStatus::kCritical);
}

}  // namespace
}  // namespace pot::agent
