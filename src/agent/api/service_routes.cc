// Nomad's native service discovery on the node's service catalog:
//   GET    /v1/services                          the names and tags per namespace
//   GET    /v1/service/:name                     the instances of one name (ServiceRegistration)
//   DELETE /v1/service/:name/:id                 removes one instance (token)
//   GET    /v1/client/allocation/:id/checks      the allocation's checks, as Nomad's client
//                                                reports its service checks
// The catalog has its own index, apart from the state store's: the two reads take part in
// blocking queries on it, so `?index=` here is an index that an earlier answer of these
// routes gave in X-Nomad-Index.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "agent/api/api_request.h"
#include "agent/api/blocking_query.h"
#include "agent/api/router.h"

namespace pot::agent::http {
namespace {

// How long one step of a wait may block before it looks at `stopping` again.
constexpr std::chrono::milliseconds kWaitStep{250};

// wait_for_change() of blocking_query.h, on the catalog's index.
uint64_t wait_for_catalog_change(const ServiceCatalog& catalog, const BlockingQuery& query,
                                 const std::atomic<bool>& stopping) {
  using Clock = std::chrono::steady_clock;
  uint64_t latest = catalog.index();
  if (query.min_index) {
    const auto deadline = Clock::now() + query.wait;
    while (latest <= *query.min_index && !stopping) {
      const auto step_start = Clock::now();
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - step_start);
      if (left.count() <= 0) break;
      const auto step = std::min(left, kWaitStep);
      latest = catalog.wait_for_index(*query.min_index, step);
      // A wait that ends early with nothing new was woken by wake_all(): the catalog is
      // shutting down and nothing more will come.
      if (latest <= *query.min_index && Clock::now() - step_start < step) break;
    }
  }
  return std::max<uint64_t>(latest, 1);
}

void reply_catalog_read(ApiRequest& request, const std::function<Json()>& read) {
  const BlockingQuery query = parse_blocking_query(request.query("index"), request.query("wait"));
  // The index is taken before the read, as reply_blocking_read() does, so that a client
  // waiting on it next cannot miss a change.
  const uint64_t index =
      wait_for_catalog_change(request.agent.services(), query, request.server.stopping);
  Json body = read();
  set_index_headers(request.response, index);
  reply_json(request, body);
}

bool namespace_wanted(const ApiRequest& request, const std::string& namespace_name) {
  const std::string wanted = request.namespace_name();
  return wanted == "*" || wanted == namespace_name;
}

// The catalog's checks grouped by the instance they check (one read of the catalog).
std::map<std::string, std::vector<CheckState>> checks_by_instance(const ServiceCatalog& catalog) {
  std::map<std::string, std::vector<CheckState>> grouped;
  for (CheckState& check : catalog.checks())
    grouped[check.definition.instance_id].push_back(std::move(check));
  return grouped;
}

// The worst status of `checks` (passing when there are none), as the catalog's
// aggregate_status() says, but of the same snapshot as the checks listed beside it.
CheckStatus worst_status(const std::vector<CheckState>& checks) {
  CheckStatus worst = CheckStatus::kPassing;
  for (const CheckState& check : checks) worst = std::max(worst, check.status);
  return worst;
}

// Nomad's ServiceRegistration, plus potd's own "Status" and "Checks": Nomad's native
// services have no health of their own (Nomad keeps check results on its clients), potd's
// catalog has it, and a client that knows only Nomad's fields ignores the two.
Json registration_json(const ServiceInstance& instance, const std::vector<CheckState>& checks,
                       const ServiceCatalog& catalog, const NodeInfo& node) {
  Json check_list = Json::array();
  for (const CheckState& check : checks) {
    check_list.push_back(Json{{"ID", check.definition.id},
                              {"Name", check.definition.name},
                              {"Type", check.definition.type},
                              {"Status", check_status_name(check.status)},
                              {"Output", check.output}});
  }
  return Json{{"ID", instance.id},
              {"ServiceName", instance.name},
              {"Namespace", instance.namespace_name},
              {"NodeID", node.id},
              {"Datacenter", node.datacenter},
              {"JobID", instance.job_id},
              {"AllocID", instance.alloc_id},
              {"Tags", instance.tags},
              {"Address", instance.address.empty() ? catalog.node().address : instance.address},
              {"Port", instance.port},
              {"CreateIndex", instance.create_index},
              {"ModifyIndex", instance.modify_index},
              {"Status", check_status_name(worst_status(checks))},
              {"Checks", std::move(check_list)}};
}

// `[{Namespace, Services: [{ServiceName, Tags}]}]`: namespaces and names sorted, each
// name's tags the sorted union of its instances' tags (Nomad de-duplicates them).
void list_services(ApiRequest& request) {
  reply_catalog_read(request, [&] {
    std::map<std::string, std::map<std::string, std::set<std::string>>> tags_by_namespace;
    for (const ServiceInstance& instance : request.agent.services().instances()) {
      if (!namespace_wanted(request, instance.namespace_name)) continue;
      std::set<std::string>& tags = tags_by_namespace[instance.namespace_name][instance.name];
      tags.insert(instance.tags.begin(), instance.tags.end());
    }
    Json list = Json::array();
    for (const auto& [namespace_name, services] : tags_by_namespace) {
      Json stubs = Json::array();
      for (const auto& [name, tags] : services)
        stubs.push_back(Json{{"ServiceName", name}, {"Tags", tags}});
      list.push_back(Json{{"Namespace", namespace_name}, {"Services", std::move(stubs)}});
    }
    return list;
  });
}

// Every instance of the name in the namespace; an unknown name is an empty list, as in Nomad.
void read_service(ApiRequest& request) {
  reply_catalog_read(request, [&] {
    const ServiceCatalog& catalog = request.agent.services();
    const std::vector<ServiceInstance> instances = catalog.instances_named(request.params[0]);
    const auto checks = checks_by_instance(catalog);
    const NodeInfo& node = request.agent.node();
    Json list = Json::array();
    for (const ServiceInstance& instance : instances) {
      if (!namespace_wanted(request, instance.namespace_name)) continue;
      auto found = checks.find(instance.id);
      static const std::vector<CheckState> kNoChecks;
      list.push_back(registration_json(instance, found == checks.end() ? kNoChecks : found->second,
                                       catalog, node));
    }
    return list;
  });
}

// Removes the instance named by its ID; the name in the path must be its name. As in Nomad,
// an instance of a task that still runs may be registered again by potd later.
void delete_service(ApiRequest& request) {
  ServiceCatalog& catalog = request.agent.services();
  const std::string& name = request.params[0];
  const std::string& id = request.params[1];
  std::optional<ServiceInstance> instance = catalog.instance(id);
  if (!instance || instance->name != name || !namespace_wanted(request, instance->namespace_name) ||
      !catalog.deregister_instance(id))
    throw ApiError(404, "service registration not found");
  set_index_headers(request.response, catalog.index());
  // Nomad answers a delete with an empty body.
}

// Nomad's words for a client check's status: "pending" before the first result (no output
// yet), "success" when passing, "failure" otherwise (Nomad's checks have no warning).
const char* nomad_check_status(const CheckState& check) {
  if (check.output.empty()) return "pending";
  return check.status == CheckStatus::kPassing ? "success" : "failure";
}

// An http check's status code, read from its output ("HTTP GET <url>: 200 OK ..."); 0 when
// the output does not say.
int http_status_code(const CheckState& check) {
  if (check.definition.type != "http") return 0;
  const std::string& output = check.output;
  const std::size_t colon = output.find(": ");
  if (!output.starts_with("HTTP ") || colon == std::string::npos) return 0;
  int code = 0;
  std::size_t i = colon + 2;
  for (; i < output.size() && i < colon + 5; ++i) {
    if (output[i] < '0' || output[i] > '9') return 0;
    code = code * 10 + (output[i] - '0');
  }
  return i == colon + 5 && (i == output.size() || output[i] == ' ') ? code : 0;
}

// Nomad's AllocCheckStatuses: {checkID: {ID, Check, Group, Task, Service, Status, Output,
// Mode, Timestamp, StatusCode}}, plus potd's own "Type" (tcp, http, script, grpc, ttl).
// The catalog keeps no time of each result: Timestamp is the time of this answer.
void allocation_checks(ApiRequest& request) {
  const std::string& alloc_id = request.params[0];
  if (!request.agent.state().allocation(alloc_id)) throw ApiError(404, "alloc not found");
  const ServiceCatalog& catalog = request.agent.services();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const uint64_t index = catalog.index();
  const auto checks = checks_by_instance(catalog);
  Json statuses = Json::object();
  for (const ServiceInstance& instance : catalog.instances_of_alloc(alloc_id)) {
    auto found = checks.find(instance.id);
    if (found == checks.end()) continue;
    for (const CheckState& check : found->second) {
      statuses[check.definition.id] = Json{{"ID", check.definition.id},
                                           {"Check", check.definition.name},
                                           {"Group", instance.group},
                                           {"Task", instance.task},
                                           {"Service", instance.name},
                                           {"Status", nomad_check_status(check)},
                                           {"Output", check.output},
                                           {"Mode", "healthiness"},
                                           {"Timestamp", now},
                                           {"StatusCode", http_status_code(check)},
                                           {"Type", check.definition.type}};
    }
  }
  set_index_headers(request.response, index);
  reply_json(request, statuses);
}

}  // namespace

void add_service_routes(Router& router) {
  router.get("/v1/services", list_services);
  router.get("/v1/service/:name", read_service);
  router.write("DELETE", "/v1/service/:name/:id", delete_service);
  router.get("/v1/client/allocation/:id/checks", allocation_checks);
}

}  // namespace pot::agent::http
