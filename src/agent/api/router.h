// The route table of the HTTP API: a method, a path pattern whose `:name` segments capture
// (`/v1/job/:id/allocations`), and whether the route needs the agent's token. Matching is by
// whole segments, so a job ID cannot reach into another route; a path that matches with
// another method gives 405, a path that matches nothing 404.
#pragma once

#include <string>
#include <vector>

#include "agent/api/api_request.h"

namespace pot::agent::http {

enum class Access {
  Open,   // reads, parse, validate
  Token,  // changes state or runs code: X-Nomad-Token must be the agent's token
};

class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler, Access access);
  // Reads open, writes need the token: the usual case.
  void get(const std::string& pattern, Handler handler);
  void write(const std::string& method, const std::string& pattern, Handler handler);

  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    Access access;
  };
  struct Match {
    const Route* route = nullptr;  // null: see path_known
    bool path_known = false;       // some route has this path (405 rather than 404)
    std::vector<std::string> params;
  };
  Match match(const std::string& method, const std::string& path) const;

 private:
  std::vector<Route> routes_;
};

// Each file of routes adds its own.
void add_job_routes(Router& router);
void add_alloc_routes(Router& router);
void add_eval_routes(Router& router);
void add_node_routes(Router& router);
void add_event_stream_route(Router& router);
void add_metrics_route(Router& router);
void add_logs_route(Router& router);
void add_service_routes(Router& router);

}  // namespace pot::agent::http
