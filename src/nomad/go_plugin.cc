#include "nomad/go_plugin.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "nomad/hclog.h"
#include "nomad/plugin.h"
#include "nomad/proto/go_plugin.grpc.pb.h"

namespace pot::nomad {

namespace {

// Why we stop: Nomad's Shutdown, or a signal.
class StopRequest {
 public:
  void request(const std::string& why) {
    std::lock_guard lock(mutex_);
    if (reason_.empty()) reason_ = why;
    requested_.notify_all();
  }
  std::string wait() {
    std::unique_lock lock(mutex_);
    requested_.wait(lock, [&] { return !reason_.empty(); });
    return reason_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable requested_;
  std::string reason_;
};

class ControllerService final : public plugin::GRPCController::Service {
 public:
  explicit ControllerService(StopRequest& stop) : stop_(stop) {}
  grpc::Status Shutdown(grpc::ServerContext*, const plugin::Empty*, plugin::Empty*) override {
    stop_.request("GRPCController/Shutdown");
    return grpc::Status::OK;
  }

 private:
  StopRequest& stop_;
};

bool offers_protocol(const char* versions, int wanted) {
  if (versions == nullptr || *versions == '\0') return true;  // an old client: assume ours
  std::stringstream list(versions);
  std::string item;
  while (std::getline(list, item, ',')) {
    if (item == std::to_string(wanted)) return true;
  }
  return false;
}

}  // namespace

std::string check_plugin_environment() {
  const char* cookie = std::getenv(kMagicCookieKey);
  if (cookie == nullptr || std::string(cookie) != kMagicCookieValue)
    return "This binary is a plugin. These are not meant to be executed directly.\n"
           "Please execute the program that consumes these plugins, which will\n"
           "load any plugins automatically";
  if (!offers_protocol(std::getenv("PLUGIN_PROTOCOL_VERSIONS"), kAppProtocolVersion))
    return std::string("nomad-pot-driver speaks plugin protocol ") +
           std::to_string(kAppProtocolVersion) + ", the client offers only " +
           std::getenv("PLUGIN_PROTOCOL_VERSIONS");
  return "";
}

std::string plugin_socket_path() {
  const char* dir = std::getenv("PLUGIN_UNIX_SOCKET_DIR");
  if (dir == nullptr || *dir == '\0') dir = std::getenv("TMPDIR");
  if (dir == nullptr || *dir == '\0') dir = "/tmp";
  std::random_device random;
  char name[64];
  std::snprintf(name, sizeof name, "/pot-plugin-%d-%08x.sock", static_cast<int>(::getpid()),
                random());
  return std::string(dir) + name;
}

std::string handshake_line(const std::string& socket_path) {
  return "1|" + std::to_string(kAppProtocolVersion) + "|unix|" + socket_path + "|grpc|\n";
}

int serve_plugin() {
  // An interrupt at the agent's terminal reaches its whole process group; the agent decides
  // when we stop. A broken stdout (the agent gone) must not kill us either: tasks run on.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  StopRequest stop;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  // Blocked before any thread starts, so only the waiter below takes them.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  PluginState state;
  BasePluginService base(state);
  DriverService driver(state);
  ControllerService controller(stop);

  std::string socket_path = plugin_socket_path();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
  builder.RegisterService(&base);
  builder.RegisterService(&driver);
  builder.RegisterService(&controller);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    log_line("error", "cannot listen on " + socket_path);
    return 1;
  }
  ::chmod(socket_path.c_str(), 0600);
  server->GetHealthCheckService()->SetServingStatus("plugin", true);

  std::string line = handshake_line(socket_path);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
  log_line("info", "plugin started", {{"address", socket_path}});

  std::thread signal_waiter([&] {
    int sig = 0;
    if (sigwait(&stop_signals, &sig) == 0) stop.request(std::string("signal ") + strsignal(sig));
  });
  std::string reason = stop.wait();
  log_line("info", "plugin stopping", {{"reason", reason}});
  // Streams (Fingerprint, TaskEvents, WaitTask...) see this and end; tasks keep running.
  state.stopping = true;
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  ::unlink(socket_path.c_str());
  log_line("debug", "gRPC server stopped");
  if (signal_waiter.joinable()) {
    // Wakes the waiter if no signal came.
    ::pthread_kill(signal_waiter.native_handle(), SIGTERM);
    signal_waiter.join();
  }
  return 0;
}

}  // namespace pot::nomad
