// /v1/catalog/*: what runs where, without health (Consul's "raw entries"), and
// /v1/status/*: the one node is its own leader.
#include <algorithm>
#include <set>

#include "agent/consul/consul_routes.h"

namespace pot::agent::consul {
namespace {

// Whether the instance carries every tag asked for (`?tag=a&tag=b`).
bool has_tags(const ServiceInstance& instance, const std::vector<std::string>& tags) {
  return std::all_of(tags.begin(), tags.end(), [&](const std::string& tag) {
    return std::find(instance.tags.begin(), instance.tags.end(), tag) != instance.tags.end();
  });
}

bool is_this_node(const Request& request, const std::string& name) {
  return name == request.node().name || (!request.node().id.empty() && name == request.node().id);
}

// The server's RPC address as Consul gives it: the node's address and port 8300.
std::string leader_address(const Request& request) {
  return request.node().address + ":8300";
}

}  // namespace

void add_catalog_routes(Router& router) {
  router.add(
      "GET", "/v1/catalog/services",
      [](Request& request) {
        reply_blocking_read(request, [&] {
          std::map<std::string, std::set<std::string>> tags_by_name;
          for (const auto& instance : request.catalog.instances()) {
            auto& tags = tags_by_name[instance.name];
            tags.insert(instance.tags.begin(), instance.tags.end());
          }
          Json services = Json::object();
          for (const auto& [name, tags] : tags_by_name)
            services[name] = Json(std::vector<std::string>(tags.begin(), tags.end()));
          return services;
        });
      },
      Access::kRead);

  router.add(
      "GET", "/v1/catalog/service/:name",
      [](Request& request) {
        reply_blocking_read(request, [&] {
          const std::vector<std::string> tags = request.query_values("tag");
          Json entries = Json::array();
          for (const auto& instance : request.catalog.instances_named(request.params[0]))
            if (has_tags(instance, tags))
              entries.push_back(catalog_service_json(instance, request.node()));
          return entries;
        });
      },
      Access::kRead);

  router.add(
      "GET", "/v1/catalog/nodes",
      [](Request& request) {
        reply_blocking_read(request, [&] { return Json::array({node_json(request.node())}); });
      },
      Access::kRead);

  router.add(
      "GET", "/v1/catalog/node/:node",
      [](Request& request) {
        reply_blocking_read(request, [&] {
          // Consul answers an unknown node with `null`, not 404.
          if (!is_this_node(request, request.params[0])) return Json();
          Json services = Json::object();
          for (const auto& instance : request.catalog.instances())
            services[instance.id] = agent_service_json(instance, request.node());
          return Json{{"Node", node_json(request.node())}, {"Services", std::move(services)}};
        });
      },
      Access::kRead);

  router.add(
      "GET", "/v1/catalog/datacenters",
      [](Request& request) { reply_json(request, Json::array({request.node().datacenter})); },
      Access::kRead);

  router.add(
      "GET", "/v1/status/leader",
      [](Request& request) { reply_json(request, leader_address(request)); }, Access::kRead);

  router.add(
      "GET", "/v1/status/peers",
      [](Request& request) { reply_json(request, Json::array({leader_address(request)})); },
      Access::kRead);
}

}  // namespace pot::agent::consul
