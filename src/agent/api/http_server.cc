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

#include <cstdio>

#include "agent/api/api_request.h"
#include "agent/api/http_listener.h"
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

  AgentApi& agent;
  HttpServerOptions options;
  http::Router router;
  http::ServerContext context;
  HttpListener listener{HttpListenerOptions{"HTTP API", options.address, options.port,
                                            options.threads, kMaxBodyBytes},
                        [this](const httplib::Request& request, httplib::Response& response) {
                          dispatch(request, response);
                        }};
};

HttpServer::HttpServer(AgentApi& agent, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(agent, std::move(options))) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  if (impl_->listener.running()) return;
  impl_->context.stopping = false;
  impl_->context.address = impl_->options.address;
  impl_->context.port = impl_->listener.start();
}

void HttpServer::stop() {
  impl_->context.stopping = true;
  impl_->listener.stop();
}

int HttpServer::port() const {
  return impl_->context.port;
}

}  // namespace pot::agent
