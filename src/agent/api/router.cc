#include "agent/api/router.h"

#include <utility>

#include "agent/api/path_pattern.h"

namespace pot::agent::http {

void Router::add(const std::string& method, const std::string& pattern, Handler handler,
                 Access access) {
  routes_.push_back(Route{method, split_path(pattern), std::move(handler), access});
}

void Router::get(const std::string& pattern, Handler handler) {
  add("GET", pattern, std::move(handler), Access::Open);
}

void Router::write(const std::string& method, const std::string& pattern, Handler handler) {
  add(method, pattern, std::move(handler), Access::Token);
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match result;
  const std::vector<std::string> segments = split_path(path);
  // HEAD answers as GET does (httplib sends no body).
  const std::string wanted = method == "HEAD" ? "GET" : method;
  for (const Route& route : routes_) {
    std::vector<std::string> params;
    if (!match_segments(route.segments, segments, params)) continue;
    result.path_known = true;
    if (route.method == wanted) {
      result.route = &route;
      result.params = std::move(params);
      return result;
    }
  }
  return result;
}

}  // namespace pot::agent::http
