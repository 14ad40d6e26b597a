// What the route files share: the request's query, the route table, JSON answers and
// blocking reads on the catalog's index.
#include <httplib.h>

#include <algorithm>
#include <chrono>

#include "agent/api/blocking_query.h"
#include "agent/api/path_pattern.h"
#include "agent/consul/consul_routes.h"

namespace pot::agent::consul {
namespace {

// How long one step of a blocking wait may last before it looks at `stopping` again.
constexpr std::chrono::milliseconds kWaitStep{250};

// Waits until the catalog's index passes `after`, the wait ends or the server stops.
uint64_t wait_for_change(const ServiceCatalog& catalog, uint64_t after,
                         std::chrono::milliseconds wait, const std::atomic<bool>& stopping) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  uint64_t latest = catalog.index();
  while (latest <= after && !stopping) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    // Rounded up: a wait never ends before the time asked.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    const auto step = std::min(left, kWaitStep);
    latest = catalog.wait_for_index(after, step);
    // The catalog's wake_all() (potd shutting down) makes every wait return at once: answer
    // now rather than spin until the deadline.
    if (latest <= after && std::chrono::steady_clock::now() - now < step / 2) break;
  }
  return std::max<uint64_t>(latest, 1);
}

}  // namespace

std::string Request::query(const std::string& name) const {
  return http.has_param(name) ? http.get_param_value(name) : std::string();
}

bool Request::has_query(const std::string& name) const {
  return http.has_param(name);
}

std::vector<std::string> Request::query_values(const std::string& name) const {
  std::vector<std::string> values;
  const std::size_t count = http.get_param_value_count(name);
  for (std::size_t i = 0; i < count; ++i) values.push_back(http.get_param_value(name, i));
  return values;
}

bool Request::query_flag(const std::string& name) const {
  if (!has_query(name)) return false;
  const std::string value = query(name);
  if (value.empty()) return true;
  for (const char* yes : {"1", "t", "T", "true", "TRUE", "True"})
    if (value == yes) return true;
  for (const char* no : {"0", "f", "F", "false", "FALSE", "False"})
    if (value == no) return false;
  throw ApiError(400, "Invalid value for ?" + name + ": " + value);
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler,
                 Access access) {
  routes_.push_back(Route{method, split_path(pattern), std::move(handler), access});
}

// A path that a fixed route names (`/v1/agent/service/register`) belongs to that route, not to
// one with a `:name` segment in its place (`/v1/agent/service/:id`), as in Consul's mux: a
// GET of the register path is 405, not a lookup of a service called "register".
Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match result;
  const std::vector<std::string> segments = split_path(path);
  const std::string wanted = method == "HEAD" ? "GET" : method;  // httplib sends no body
  long best_fixed = -1;  // the most fixed segments among the routes of this path
  for (const Route& route : routes_) {
    std::vector<std::string> params;
    if (!match_segments(route.segments, segments, params)) continue;
    const long fixed = std::count_if(route.segments.begin(), route.segments.end(),
                                     [](const std::string& s) { return !s.starts_with(':'); });
    if (fixed < best_fixed) continue;
    if (fixed > best_fixed) {
      best_fixed = fixed;
      result = Match{nullptr, true, {}};
    }
    if (route.method == wanted && result.route == nullptr) {
      result.route = &route;
      result.params = std::move(params);
    }
  }
  return result;
}

void reply_json(Request& request, const Json& body) {
  // Invalid UTF-8 in a stored string is replaced rather than failing the whole answer.
  request.response.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace),
                               "application/json");
}

void require_local_datacenter(const Request& request) {
  const std::string dc = request.query("dc");
  if (!dc.empty() && dc != request.node().datacenter) throw ApiError(500, "No path to datacenter");
}

void reply_blocking_read(Request& request, const std::function<Json()>& read) {
  require_local_datacenter(request);
  // Consul's rules for `index` and `wait` are Nomad's: the same reader, the same messages.
  const http::BlockingQuery query =
      http::parse_blocking_query(request.query("index"), request.query("wait"));
  // The index is taken before the read: what the read returns is at least that new, so a
  // client that waits on it next cannot miss a change.
  const uint64_t index = query.min_index ? wait_for_change(request.catalog, *query.min_index,
                                                           query.wait, request.server.stopping)
                                         : std::max<uint64_t>(request.catalog.index(), 1);
  Json body = read();
  request.response.set_header("X-Consul-Index", std::to_string(index));
  request.response.set_header("X-Consul-KnownLeader", "true");
  request.response.set_header("X-Consul-LastContact", "0");
  reply_json(request, body);
}

}  // namespace pot::agent::consul
