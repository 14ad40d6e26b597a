// The inside of the Consul-compatible HTTP API: what a route handler sees, the route table,
// and the helpers the route files share (blocking reads, JSON answers, the `dc` check).
// Handlers throw ApiError(status, message), which the server answers as plain text, as
// Consul answers its errors.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "agent/api/agent_api.h"
#include "agent/consul/consul_json.h"
#include "agent/services/service_catalog.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace pot::agent::consul {

// Facts of the running server that handlers need.
struct ServerContext {
  // Set by stop(): blocking queries end within a poll step.
  std::atomic<bool> stopping{false};
  // The agent API's writes read the catalog and then change it; one at a time, so that two
  // registrations cannot interleave between the two.
  std::mutex writes;
};

struct Request {
  const httplib::Request& http;
  httplib::Response& response;
  ServiceCatalog& catalog;
  ServerContext& server;
  std::vector<std::string> params;  // the route's `:name` segments, in order

  std::string query(const std::string& name) const;  // "" when absent
  bool has_query(const std::string& name) const;
  std::vector<std::string> query_values(const std::string& name) const;  // `?tag=a&tag=b`
  // A flag such as `?passing`: present and empty means true, as Consul reads it.
  bool query_flag(const std::string& name) const;
  const CatalogNode& node() const { return catalog.node(); }
};

using Handler = std::function<void(Request&)>;

enum class Access { kRead, kWrite };  // writes need the agent's token

class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler, Access access);

  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    Access access;
  };
  struct Match {
    const Route* route = nullptr;  // null: see path_known
    bool path_known = false;       // some route has this path with another method (405)
    std::vector<std::string> params;
  };
  Match match(const std::string& method, const std::string& path) const;

 private:
  std::vector<Route> routes_;
};

void add_catalog_routes(Router& router);
void add_health_routes(Router& router);
void add_agent_routes(Router& router);

// Sends `body` as application/json.
void reply_json(Request& request, const Json& body);
// A read that takes part in blocking queries (`?index=N&wait=D`): refuses another `?dc=`,
// waits until the catalog's index passes N (or the wait ends, or the server stops), sets
// X-Consul-Index, X-Consul-KnownLeader and X-Consul-LastContact, and sends what `read`
// returns.
void reply_blocking_read(Request& request, const std::function<Json()>& read);
// 500 "No path to datacenter" for a `?dc=` other than the node's, as Consul answers.
void require_local_datacenter(const Request& request);

}  // namespace pot::agent::consul
