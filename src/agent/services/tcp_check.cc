// A tcp check: passing when a connection to address:port opens within the timeout, with
// Consul's wording ("TCP connect 127.0.0.1:80: Success"; Go's dial errors otherwise).
#include <asio/steady_timer.hpp>
#include <utility>

#include "agent/services/check_runs.h"

namespace pot::agent::checks {

namespace {

class TcpRun : public SocketRun, public std::enable_shared_from_this<TcpRun> {
 public:
  TcpRun(asio::io_context& io, const CheckDefinition& check, RunCompletion done)
      : SocketRun(io, std::move(done)),
        target_(host_port(check.address, check.port)),
        timeout_duration_(check.timeout) {}

  void start(const CheckDefinition& check) {
    auto self = shared_from_this();
    timeout_.expires_after(timeout_duration_);
    timeout_.async_wait([self](const std::error_code& error) {
      if (!error)
        self->finish({CheckStatus::kCritical, "dial tcp " + self->target_ + ": i/o timeout"});
    });
    async_connect_to(
        socket_, resolver_, check.address, check.port, [self](const std::error_code& error) {
          if (error)
            self->finish({CheckStatus::kCritical, "dial tcp " + self->target_ + ": connect: " +
                                                      lower_first(error.message())});
          else
            self->finish({CheckStatus::kPassing, "TCP connect " + self->target_ + ": Success"});
        });
  }

 private:
  std::string target_;
  std::chrono::milliseconds timeout_duration_;
};

}  // namespace

std::shared_ptr<CheckRun> start_tcp_run(asio::io_context& io, const CheckDefinition& check,
                                        RunCompletion done) {
  auto run = std::make_shared<TcpRun>(io, check, std::move(done));
  run->start(check);
  return run;
}

}  // namespace pot::agent::checks
