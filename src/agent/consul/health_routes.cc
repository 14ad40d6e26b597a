// /v1/health/*: instances with their checks, and checks by service, node or state. Every
// entry carries the node's own check (serfHealth, always passing), as Consul's do.
#include <algorithm>
#include <map>

#include "agent/consul/consul_routes.h"

namespace pot::agent::consul {
namespace {

bool has_tags(const ServiceInstance& instance, const std::vector<std::string>& tags) {
  return std::all_of(tags.begin(), tags.end(), [&](const std::string& tag) {
    return std::find(instance.tags.begin(), instance.tags.end(), tag) != instance.tags.end();
  });
}

bool all_passing(const std::vector<CheckState>& checks) {
  return std::all_of(checks.begin(), checks.end(),
                     [](const CheckState& check) { return check.status == CheckStatus::kPassing; });
}

// Every check of the node with the instance it checks, in the catalog's order, then the
// node's own check; `keep` chooses by status.
Json node_checks(const Request& request, const std::function<bool(CheckStatus)>& keep) {
  std::map<std::string, ServiceInstance> instances;
  for (auto& instance : request.catalog.instances()) instances[instance.id] = std::move(instance);
  Json checks = Json::array();
  for (const auto& check : request.catalog.checks()) {
    if (!keep(check.status)) continue;
    auto it = instances.find(check.definition.instance_id);
    checks.push_back(
        health_check_json(check, it == instances.end() ? nullptr : &it->second, request.node()));
  }
  if (keep(CheckStatus::kPassing)) checks.push_back(serf_health_json(request.node()));
  return checks;
}

}  // namespace

void add_health_routes(Router& router) {
  router.add(
      "GET", "/v1/health/service/:name",
      [](Request& request) {
        const bool passing_only = request.query_flag("passing");
        reply_blocking_read(request, [&] {
          const std::vector<std::string> tags = request.query_values("tag");
          Json entries = Json::array();
          for (const auto& instance : request.catalog.instances_named(request.params[0])) {
            if (!has_tags(instance, tags)) continue;
            const std::vector<CheckState> checks = request.catalog.checks_of(instance.id);
            if (passing_only && !all_passing(checks)) continue;
            entries.push_back(health_entry_json(instance, checks, request.node()));
          }
          return entries;
        });
      },
      Access::kRead);

  router.add(
      "GET", "/v1/health/checks/:service",
      [](Request& request) {
        reply_blocking_read(request, [&] {
          Json checks = Json::array();
          for (const auto& instance : request.catalog.instances_named(request.params[0]))
            for (const auto& check : request.catalog.checks_of(instance.id))
              checks.push_back(health_check_json(check, &instance, request.node()));
          return checks;
        });
      },
      Access::kRead);

  router.add(
      "GET", "/v1/health/state/:state",
      [](Request& request) {
        const std::string state = request.params[0];
        std::function<bool(CheckStatus)> keep;
        if (state == "any") {
          keep = [](CheckStatus) { return true; };
        } else if (std::optional<CheckStatus> wanted = parse_check_status(state)) {
          keep = [wanted](CheckStatus status) { return status == *wanted; };
        } else {
          throw ApiError(400,
                         "Bad check state: \"" + state + "\" (any, passing, warning or critical)");
        }
        reply_blocking_read(request, [&] { return node_checks(request, keep); });
      },
      Access::kRead);

  router.add(
      "GET", "/v1/health/node/:node",
      [](Request& request) {
        reply_blocking_read(request, [&] {
          const std::string& name = request.params[0];
          if (name != request.node().name && name != request.node().id) return Json::array();
          return node_checks(request, [](CheckStatus) { return true; });
        });
      },
      Access::kRead);
}

}  // namespace pot::agent::consul
