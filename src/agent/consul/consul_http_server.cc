// The Consul-compatible HTTP server: cpp-httplib's server with every path and method sent to
// one dispatcher, which
//   1. finds the route (404 for an unknown path, 405 for a known path with another method),
//   2. checks the token for writes (403 "Permission denied", Consul's ACL wording),
//   3. runs the handler, and
//   4. answers what it throws as Consul answers errors: the status and a plain-text message.
// Blocking queries poll ServerContext::stopping, so stop() returns within a fraction of a
// second even with clients waiting.
#include "agent/consul/consul_http_server.h"

#include <httplib.h>
#include <sodium.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "agent/consul/consul_routes.h"
#include "core/error.h"

namespace pot::agent {
namespace {

constexpr std::size_t kMaxBodyBytes = 1 << 20;  // a registration is a few kilobytes
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

// The token as Consul's clients send it: X-Consul-Token, then `Authorization: Bearer`, then
// `?token=`.
std::string request_token(const httplib::Request& request) {
  std::string token = request.get_header_value("X-Consul-Token");
  if (!token.empty()) return token;
  const std::string authorization = request.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.starts_with(kBearer)) return authorization.substr(kBearer.size());
  return request.has_param("token") ? request.get_param_value("token") : std::string();
}

consul::Router make_router() {
  consul::Router router;
  consul::add_catalog_routes(router);
  consul::add_health_routes(router);
  consul::add_agent_routes(router);
  return router;
}

}  // namespace

struct ConsulHttpServer::Impl {
  Impl(ServiceCatalog& service_catalog, ConsulHttpOptions server_options)
      : catalog(service_catalog), options(std::move(server_options)), router(make_router()) {}

  void dispatch(const httplib::Request& request, httplib::Response& response) {
    const consul::Router::Match match = router.match(request.method, request.path);
    if (match.route == nullptr) {
      if (match.path_known)
        return answer_error(response, 405, "method " + request.method + " not allowed");
      return answer_error(response, 404, "404 page not found");
    }
    if (match.route->access == consul::Access::kWrite && !options.token.empty() &&
        !same_token(request_token(request), options.token))
      return answer_error(response, 403, "Permission denied");
    try {
      consul::Request consul_request{request, response, catalog, context, match.params};
      match.route->handler(consul_request);
    } catch (const ApiError& e) {
      answer_error(response, e.status(), e.what());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "potd: consul API: %s %s: %s\n", request.method.c_str(),
                   request.path.c_str(), e.what());
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
    // httplib's default is SO_REUSEPORT, which would let a second server share the port
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
    server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
      if (!response.body.empty()) return;
      const char* reason = response.status == 413 ? "Request body too large" : "Bad request";
      response.set_content(reason, kTextType);
    });
  }

  ServiceCatalog& catalog;
  ConsulHttpOptions options;
  consul::Router router;
  consul::ServerContext context;
  httplib::Server server;
  bool configured = false;
  int port = 0;
  std::atomic<bool> listen_ended{false};
  std::thread thread;
};

ConsulHttpServer::ConsulHttpServer(ServiceCatalog& catalog, ConsulHttpOptions options)
    : impl_(std::make_unique<Impl>(catalog, std::move(options))) {}

ConsulHttpServer::~ConsulHttpServer() {
  stop();
}

void ConsulHttpServer::start() {
  if (impl_->thread.joinable()) return;
  if (impl_->configured) throw Error("Consul HTTP API: a stopped server is not started again");
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
    throw Error("Consul HTTP API: listening on " + where + ": " +
                    (err != 0 ? std::strerror(err) : "cannot bind"),
                err);
  }
  impl_->port = port;
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

void ConsulHttpServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->context.stopping = true;
  impl_->server.stop();
  impl_->thread.join();
}

int ConsulHttpServer::port() const {
  return impl_->port;
}

}  // namespace pot::agent
