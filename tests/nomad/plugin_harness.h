// Driving nomad-pot-driver as Nomad's client does: the built plugin started with Nomad's
// environment, reached over gRPC on the unix socket its handshake line names; the task
// config encoded by HashiCorp's own code (hcldec and go-cty, in the Go tool
// nomad-plugin-client), not by ours; and the FIFOs Nomad's log collector would read.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nomad/proto/base.grpc.pb.h"
#include "nomad/proto/driver.grpc.pb.h"
#include "nomad/proto/hclspec.pb.h"

namespace potit {

namespace fs = std::filesystem;
namespace drivers = hashicorp::nomad::plugins::drivers::proto;
namespace base = hashicorp::nomad::plugins::base::proto;
namespace hclspec = hashicorp::nomad::plugins::shared::hclspec;

const char* plugin_binary();
// The Go tool built from tests/nomad_client (empty when Go was missing at configure time).
const char* go_client_binary();

// The plugin, started directly (as Nomad's loader does: environment, handshake line on
// stdout) or through go-plugin's real client (`via_go_plugin`).
class PluginProcess {
 public:
  PluginProcess(const std::vector<std::string>& env, bool via_go_plugin);
  ~PluginProcess();  // SIGKILL, if still running
  PluginProcess(const PluginProcess&) = delete;
  PluginProcess& operator=(const PluginProcess&) = delete;

  pid_t pid() const { return plugin_pid_; }
  const std::string& socket() const { return socket_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  std::unique_ptr<base::BasePlugin::Stub> base_stub() const;
  std::unique_ptr<drivers::Driver::Stub> driver_stub() const;

  // SIGKILL of the plugin itself (as a crash), and the reaping of what we started.
  void kill_hard();
  // go-plugin's Kill (GRPCController/Shutdown, then a kill after its grace time): how many
  // milliseconds it took. Only with via_go_plugin.
  int shutdown_via_go_plugin();
  std::string log() const;  // what the plugin (or go-plugin) wrote on stderr

 private:
  pid_t child_ = -1;       // the plugin, or the Go client that started it
  pid_t plugin_pid_ = -1;  // the plugin
  int to_child_ = -1;      // the Go client's stdin
  int from_child_ = -1;    // its stdout
  fs::path stderr_file_;
  std::string socket_;
  std::shared_ptr<grpc::Channel> channel_;
};

// The spec as proto3 JSON with .proto field names (what nomad-plugin-client reads).
std::string spec_json(const hclspec::Spec& spec);
// Encodes an HCL body (a `config { ... }` block's inside) against `spec` with hcldec and
// go-cty's msgpack. Fails the test (StepFailed) when the Go tool refuses it, unless
// `error` is given: then the tool's message goes there and "" is returned.
std::string encode_with_hcl(const hclspec::Spec& spec, const std::string& hcl_body,
                            std::string* error = nullptr);

// A FIFO as Nomad's log collector makes it, with a reader thread collecting what arrives.
class FifoReader {
 public:
  explicit FifoReader(fs::path path);
  ~FifoReader();
  FifoReader(const FifoReader&) = delete;
  FifoReader& operator=(const FifoReader&) = delete;

  const fs::path& path() const { return path_; }
  std::string text() const;
  // Closes the reading end (a collector that went away) / opens it again.
  void pause();
  void resume();

 private:
  void run();
  fs::path path_;
  mutable std::mutex mutex_;
  std::string data_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::thread thread_;
};

}  // namespace potit
