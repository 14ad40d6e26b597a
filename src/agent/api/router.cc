#include "agent/api/router.h"

#include <utility>

namespace pot::agent::http {
namespace {

// "/v1/job/x/allocations" -> {"v1", "job", "x", "allocations"}; empty segments (a doubled
// or trailing slash) are kept, so "/v1/jobs/" is not "/v1/jobs".
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
             std::vector<std::string>& params) {
  if (pattern.size() != path.size()) return false;
  std::vector<std::string> captured;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i].starts_with(':')) {
      if (path[i].empty()) return false;
      captured.push_back(path[i]);
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  params = std::move(captured);
  return true;
}

}  // namespace

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
    if (!matches(route.segments, segments, params)) continue;
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
