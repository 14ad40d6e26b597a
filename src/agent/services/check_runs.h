// One run of a check, for the scheduler (check_scheduler.cc); not used elsewhere. A run is
// started on the scheduler's event loop and ends by calling its completion once with the raw
// result (before the thresholds). Each kind has its own file: tcp_check.cc, http_check.cc,
// script_check.cc. A run keeps itself alive (its pending operations hold it) until it ends.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/services/service_catalog.h"

namespace pot::agent::checks {

// Consul's cap on a check's output (its DefaultBufSize).
inline constexpr size_t kMaxOutput = 4 * 1024;

struct RunResult {
  CheckStatus status;
  std::string output;
};
using RunCompletion = std::function<void(RunResult result)>;

class CheckRun {
 public:
  virtual ~CheckRun() = default;
  // Ends the run now without calling its completion: sockets closed, a script's process
  // group killed and its child reaped.
  virtual void cancel() = 0;
};

// What the tcp, http and grpc runs share: a socket with its resolver and its deadline, and
// the completion, called once. finish() closes everything first; handlers still pending then
// run with operation_aborted and find the completion gone.
class SocketRun : public CheckRun {
 public:
  void cancel() override;

 protected:
  SocketRun(asio::io_context& io, RunCompletion done);
  void finish(RunResult result);
  void close();
  // The run finished or was cancelled: pending handlers have nothing left to do.
  bool ended() const { return !done_; }

  asio::ip::tcp::socket socket_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer timeout_;

 private:
  RunCompletion done_;
};

// tcp: a connection to the check's address and port within its timeout.
std::shared_ptr<CheckRun> start_tcp_run(asio::io_context& io, const CheckDefinition& check,
                                        RunCompletion done);
// http: one request, 2xx passing, 429 warning, anything else critical.
std::shared_ptr<CheckRun> start_http_run(asio::io_context& io, const CheckDefinition& check,
                                         RunCompletion done);
// script: `argv` run with its output read; exit 0 passing, 1 warning, else critical.
std::shared_ptr<CheckRun> start_script_run(asio::io_context& io, const CheckDefinition& check,
                                           const std::vector<std::string>& argv,
                                           RunCompletion done);
// grpc: grpc.health.v1.Health/Check over h2c; SERVING passing, anything else critical.
std::shared_ptr<CheckRun> start_grpc_run(asio::io_context& io, const CheckDefinition& check,
                                         RunCompletion done);
// A run whose result is known before it starts (an unsupported kind, a task not running):
// the completion is called from the loop, never from inside the start.
std::shared_ptr<CheckRun> start_known_result(asio::io_context& io, RunResult result,
                                             RunCompletion done);

// Helpers shared by the runs.

// "127.0.0.1:80", "[::1]:80".
std::string host_port(const std::string& host, int port);
// "1s", "1.5s", "250ms": a duration as Go prints it, for Consul-worded messages.
std::string go_duration(std::chrono::milliseconds duration);
// An error's text as Go words it: lower-case ("connection refused").
std::string lower_first(std::string text);

// Connects `socket` to host:port: directly for an IP address, through `resolver` for a name.
// `handler(error)` is called once, from the loop.
void async_connect_to(asio::ip::tcp::socket& socket, asio::ip::tcp::resolver& resolver,
                      const std::string& host, int port,
                      std::function<void(const std::error_code& error)> handler);

}  // namespace pot::agent::checks
