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

#include <cstdio>

#include "agent/api/http_listener.h"
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

  ServiceCatalog& catalog;
  ConsulHttpOptions options;
  consul::Router router;
  consul::ServerContext context;
  int port = 0;
  HttpListener listener{HttpListenerOptions{"Consul HTTP API", options.address, options.port,
                                            options.threads, kMaxBodyBytes},
                        [this](const httplib::Request& request, httplib::Response& response) {
                          dispatch(request, response);
                        }};
};

ConsulHttpServer::ConsulHttpServer(ServiceCatalog& catalog, ConsulHttpOptions options)
    : impl_(std::make_unique<Impl>(catalog, std::move(options))) {}

ConsulHttpServer::~ConsulHttpServer() {
  stop();
}

void ConsulHttpServer::start() {
  if (impl_->listener.running()) return;
  impl_->context.stopping = false;
  impl_->port = impl_->listener.start();
}

void ConsulHttpServer::stop() {
  impl_->context.stopping = true;
  impl_->listener.stop();
}

int ConsulHttpServer::port() const {
  return impl_->port;
}

}  // namespace pot::agent
