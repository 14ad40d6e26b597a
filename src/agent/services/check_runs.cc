#include "agent/services/check_runs.h"

#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <cctype>
#include <utility>

namespace pot::agent::checks {

namespace {

// A run that has nothing to do but deliver its result from the loop.
class KnownResultRun : public CheckRun {
 public:
  KnownResultRun(RunResult result, RunCompletion done)
      : result_(std::move(result)), done_(std::move(done)) {}
  void deliver() {
    if (done_) std::exchange(done_, nullptr)(std::move(result_));
  }
  void cancel() override { done_ = nullptr; }

 private:
  RunResult result_;
  RunCompletion done_;
};

}  // namespace

std::shared_ptr<CheckRun> start_known_result(asio::io_context& io, RunResult result,
                                             RunCompletion done) {
  auto run = std::make_shared<KnownResultRun>(std::move(result), std::move(done));
  asio::post(io, [run] { run->deliver(); });
  return run;
}

std::string host_port(const std::string& host, int port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string go_duration(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string text = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    std::string fraction = std::to_string(1000 + ms % 1000).substr(1);
    while (fraction.back() == '0') fraction.pop_back();
    text += "." + fraction;
  }
  return text + "s";
}

std::string lower_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

void async_connect_to(asio::ip::tcp::socket& socket, asio::ip::tcp::resolver& resolver,
                      const std::string& host, int port,
                      std::function<void(const std::error_code& error)> handler) {
  std::error_code not_an_ip;
  asio::ip::address address = asio::ip::make_address(host, not_an_ip);
  if (!not_an_ip) {
    socket.async_connect({address, static_cast<unsigned short>(port)}, std::move(handler));
    return;
  }
  // A name: asio resolves it on its own resolver thread, so the loop never blocks on it.
  resolver.async_resolve(
      host, std::to_string(port),
      [&socket, handler = std::move(handler)](
          const std::error_code& error, const asio::ip::tcp::resolver::results_type& results) {
        if (error) return handler(error);
        asio::async_connect(socket, results,
                            [handler](const std::error_code& connect_error,
                                      const asio::ip::tcp::endpoint&) { handler(connect_error); });
      });
}

SocketRun::SocketRun(asio::io_context& io, RunCompletion done)
    : socket_(io), resolver_(io), timeout_(io), done_(std::move(done)) {}

void SocketRun::cancel() {
  done_ = nullptr;
  close();
}

void SocketRun::finish(RunResult result) {
  close();
  if (done_) std::exchange(done_, nullptr)(std::move(result));
}

void SocketRun::close() {
  std::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  timeout_.cancel();
}

}  // namespace pot::agent::checks
