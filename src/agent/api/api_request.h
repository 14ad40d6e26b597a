// What a route handler of the HTTP API sees: the request (its query, its JSON body, the
// route's captured path segments), the agent, and the server's own facts (its address, a
// flag set when it stops, which long-running answers poll). Handlers answer through the
// helpers below, or throw ApiError(status, message), which the server turns into Nomad's
// plain-text error answer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/api/agent_api.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace pot::agent::http {

// Facts of the running server that handlers need.
struct ServerContext {
  std::string address;
  int port = 0;
  // Set by HttpServer::stop(): streams and blocking queries end within a poll interval.
  std::atomic<bool> stopping{false};
};

class ApiRequest {
 public:
  ApiRequest(const httplib::Request& http_request, httplib::Response& http_response,
             AgentApi& agent_api, const ServerContext& server_context,
             std::vector<std::string> path_params)
      : http(http_request),
        response(http_response),
        agent(agent_api),
        server(server_context),
        params(std::move(path_params)) {}

  const httplib::Request& http;
  httplib::Response& response;
  AgentApi& agent;
  const ServerContext& server;
  // The route's `:name` segments, in order.
  std::vector<std::string> params;

  // A query parameter ("" when absent).
  std::string query(const std::string& name) const;
  bool has_query(const std::string& name) const;
  // A boolean parameter as Go's strconv.ParseBool reads it (1, t, true, TRUE, 0, f, ...);
  // `fallback` when absent; 400 naming the parameter otherwise.
  bool query_bool(const std::string& name, bool fallback) const;
  // `?namespace=`, "default" when absent ("*" means every namespace where lists allow it).
  std::string namespace_name() const;
  // The body as a JSON document (nesting bounded before parsing); 400 naming the problem.
  Json body_json() const;
  // A member of an object body, when present and not null.
  static const Json* member(const Json& object, const char* name);
};

// Typed members of a JSON body, as Go's decoder reads them into a request struct: absent or
// null gives `fallback`, a value of another type is 400 naming the field.
bool body_bool(const Json& body, const char* name, bool fallback);
uint64_t body_uint(const Json& body, const char* name, uint64_t fallback);
int64_t body_int(const Json& body, const char* name, int64_t fallback);
std::string body_string(const Json& body, const char* name, const std::string& fallback = "");

using Handler = std::function<void(ApiRequest&)>;

// Sends `body` as `application/json`.
void reply_json(ApiRequest& request, const Json& body);

// A read that takes part in blocking queries: waits as `?index=&wait=` ask, sets
// X-Nomad-Index (and Nomad's KnownLeader / LastContact headers), then sends what `read`
// returns. `read` may throw ApiError(404).
void reply_blocking_read(ApiRequest& request, const std::function<Json()>& read);

// Whether `value` (a job's, allocation's, ... Namespace) is in the request's namespace.
bool in_namespace(const ApiRequest& request, const Json& document);

}  // namespace pot::agent::http
