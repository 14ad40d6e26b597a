// The HTTP API server: cpp-httplib's server with every path and method sent to one
// dispatcher, which
//   1. finds the route (404 for an unknown path, 405 for a known path with another method),
//   2. checks the token for routes that change state or run code (403 "Permission denied"),
//   3. runs the handler, and
//   4. turns what it throws into Nomad's error answer: the status and the message as plain
//      text (ApiError carries both; anything else is a 500).
// Bodies are buffered by httplib up to kMaxBodyBytes (413 beyond). Streams (event stream,
// log follow) and blocking queries poll ServerContext::stopping, so stop() returns within a
// fraction of a second even with clients waiting.
#include "agent/api/http_server.h"

#include <httplib.h>
#include <sodium.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "agent/api/api_request.h"
#include "agent/api/router.h"
#include "core/error.h"

namespace pot::agent {
namespace {

constexpr std::size_t kMaxBodyBytes = 16 << 20;
constexpr const char* kTextType = "text/plain; charset=utf-8";

void answer_error(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  response.set_content(message, kTextType);
}

// Compares in constant time: both sides are hashed to a fixed size first, so neither the
// token's content nor its length shows in the time taken.
bool same_token(const std::string& given, const std::string& expected) {
  unsigned char a[crypto_generichash_BYTES];
  unsigned char b[crypto_generichash_BYTES];
  crypto_generichash(a, sizeof a, reinterpret_cast<const unsigned char*>(given.data()),
                     given.size(), nullptr, 0);
  crypto_generichash(b, sizeof b, reinterpret_cast<const unsigned char*>(expected.data()),
                     expected.size(), nullptr, 0);
  return sodium_memcmp(a, b, sizeof a) == 0;
}

http::Router make_router() {
  http::Router router;
  http::add_job_routes(router);
  http::add_alloc_routes(router);
  http::add_eval_routes(router);
  http::add_node_routes(router);
  http::add_event_stream_route(router);
  http::add_metrics_route(router);
  http::add_logs_route(router);
  http::add_service_routes(router);
  return router;
}

}  // namespace

struct HttpServer::Impl {
  Impl(AgentApi& agent_api, HttpServerOptions server_options)
      : agent(agent_api), options(std::move(server_options)), router(make_router()) {}

  void dispatch(const httplib::Request& request, httplib::Response& response) {
    const http::Router::Match match = router.match(request.method, request.path);
    if (match.route == nullptr) {
      if (match.path_known) return answer_error(response, 405, "Invalid method");
      return answer_error(response, 404, "404 page not found");
    }
    if (match.route->access == http::Access::Token) {
      const std::string expected = agent.token();
      if (!expected.empty() && !same_token(request.get_header_value("X-Nomad-Token"), expected))
        return answer_error(response, 403, "Permission denied");
    }
    try {
      http::ApiRequest api_request(request, response, agent, context, match.params);
      match.route->handler(api_request);
    } catch (const ApiError& e) {
      answer_error(response, e.status(), e.what());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "potd: %s %s: %s\n", request.method.c_str(), request.path.c_str(),
                   e.what());
      answer_error(response, 500, e.what());
    }
  }

  void configure() {
    const int threads = std::max(1, options.threads);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_payload_max_length(kMaxBodyBytes);
    server.set_read_timeout(30, 0);
    server.set_write_timeout(30, 0);
    server.set_keep_alive_max_count(100);
    // httplib's default is SO_REUSEPORT, which would let a second potd share the port
    // silently; SO_REUSEADDR only lets a restart bind despite connections in TIME_WAIT.
    server.set_socket_options([](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    auto handler = [this](const httplib::Request& request, httplib::Response& response) {
      dispatch(request, response);
    };
    const std::string any_path = R"([\s\S]*)";
    server.Get(any_path, handler);
    server.Post(any_path, handler);
    server.Put(any_path, handler);
    server.Delete(any_path, handler);
    server.Patch(any_path, handler);
    server.Options(any_path, handler);
    // httplib's own refusals (a body too large, a malformed request) get a reason too.
    server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
      if (!response.body.empty()) return;
      const char* reason = response.status == 413 ? "Request body too large" : "Bad request";
      response.set_content(reason, kTextType);
    });
  }

  AgentApi& agent;
  HttpServerOptions options;
  http::Router router;
  http::ServerContext context;
  httplib::Server server;
  bool configured = false;
  std::atomic<bool> listen_ended{false};
  std::thread thread;
};

HttpServer::HttpServer(AgentApi& agent, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(agent, std::move(options))) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  if (impl_->thread.joinable()) return;
  if (impl_->configured) throw Error("HTTP API: a stopped server is not started again");
  if (::sodium_init() < 0) throw Error("libsodium: initialisation failed");
  impl_->configure();
  impl_->configured = true;
  const std::string& address = impl_->options.address;
  int port = impl_->options.port;
  const std::string where = quote_name(address + ":" + std::to_string(port));
  // httplib reports only failure; the errno of its failed bind() is still there to say why.
  errno = 0;
  const bool bound = port == 0 ? (port = impl_->server.bind_to_any_port(address)) >= 0
                               : impl_->server.bind_to_port(address, port);
  if (!bound) {
    const int err = errno;
    throw Error(
        "HTTP API: listening on " + where + ": " + (err != 0 ? std::strerror(err) : "cannot bind"),
        err);
  }
  impl_->context.address = address;
  impl_->context.port = port;
  impl_->context.stopping = false;
  impl_->listen_ended = false;
  impl_->thread = std::thread([this] {
    impl_->server.listen_after_bind();
    impl_->listen_ended = true;
  });
  // httplib's stop() does nothing before the accept loop runs: wait for it to start.
  while (!impl_->server.is_running() && !impl_->listen_ended)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void HttpServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->context.stopping = true;
  impl_->server.stop();
  impl_->thread.join();
}

int HttpServer::port() const {
  return impl_->context.port;
}

}  // namespace pot::agent
