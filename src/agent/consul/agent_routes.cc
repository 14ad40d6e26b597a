// /v1/agent/*: the node's services and checks, and the writes of the agent API: register and
// deregister external services and their checks, and the results of ttl checks.
//
// A job's instances and checks are the job's: the API reads them, and updates its ttl checks,
// but never registers over them or removes them (the task's lifetime does).
#include <httplib.h>

#include <algorithm>

#include "agent/consul/consul_routes.h"
#include "core/error.h"

namespace pot::agent::consul {
namespace {

std::string in_quotes(const std::string& text) {
  return "\"" + text + "\"";
}

[[noreturn]] void refuse_job_instance(const ServiceInstance& instance) {
  throw ApiError(403, "Permission denied: service " + in_quotes(instance.id) + " belongs to job " +
                          in_quotes(instance.job_id) +
                          " and leaves the catalog when its task stops; only services "
                          "registered through this API can be changed here");
}

// The body's reader's BadRequest is the client's mistake: 400.
template <typename Parse>
auto parse_or_400(Parse&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const BadRequest& e) {
    throw ApiError(400, e.what());
  }
}

// Check IDs are unique on the node: one given to another instance's check is refused
// rather than moved over (the catalog would take it from its owner).
void require_free_check_ids(const ServiceCatalog& catalog, const std::string& instance_id,
                            const std::vector<CheckDefinition>& checks) {
  for (const auto& check : checks) {
    std::optional<CheckState> existing = catalog.check(check.id);
    if (existing && existing->definition.instance_id != instance_id)
      throw ApiError(400, "CheckID " + in_quotes(check.id) + " is in use by service " +
                              in_quotes(existing->definition.instance_id));
  }
}

std::vector<CheckDefinition> definitions_of(const ServiceCatalog& catalog,
                                            const std::string& instance_id) {
  std::vector<CheckDefinition> definitions;
  for (auto& check : catalog.checks_of(instance_id)) definitions.push_back(check.definition);
  return definitions;
}

std::string truncated_output(std::string output) {
  if (output.size() > kMaxCheckOutput) output.resize(kMaxCheckOutput);
  return output;
}

// A ttl check's result; `output` becomes the check's Output.
void update_ttl_check(Request& request, CheckStatus status, const std::string& output) {
  const std::string& check_id = request.params[0];
  const std::string unknown = "Unknown check ID " + in_quotes(check_id) +
                              ". Ensure that the check ID is passed, not the check name.";
  std::optional<CheckState> check = request.catalog.check(check_id);
  if (!check) throw ApiError(404, unknown);
  if (check->definition.type != "ttl")
    throw ApiError(400, "CheckID " + in_quotes(check_id) + " does not have associated TTL");
  if (!request.catalog.update_check(check_id, status, truncated_output(output)))
    throw ApiError(404, unknown);  // removed meanwhile
}

Json self_json(const CatalogNode& node) {
  Json member{{"Name", node.name},
              {"Addr", node.address},
              {"Port", 8301},
              {"Tags", {{"dc", node.datacenter}, {"role", "consul"}, {"id", node.id}}},
              {"Status", 1}};
  return Json{{"Config",
               {{"Datacenter", node.datacenter},
                {"NodeName", node.name},
                {"NodeID", node.id},
                {"Server", true}}},
              {"Member", std::move(member)}};
}

void add_agent_reads(Router& router) {
  router.add(
      "GET", "/v1/agent/services",
      [](Request& request) {
        Json services = Json::object();
        for (const auto& instance : request.catalog.instances())
          services[instance.id] = agent_service_json(instance, request.node());
        reply_json(request, services);
      },
      Access::kRead);

  router.add(
      "GET", "/v1/agent/service/:id",
      [](Request& request) {
        std::optional<ServiceInstance> instance = request.catalog.instance(request.params[0]);
        if (!instance) throw ApiError(404, "unknown service ID: " + request.params[0]);
        reply_json(request, agent_service_json(*instance, request.node()));
      },
      Access::kRead);

  router.add(
      "GET", "/v1/agent/checks",
      [](Request& request) {
        Json checks = Json::object();
        for (const auto& check : request.catalog.checks()) {
          std::optional<ServiceInstance> instance =
              request.catalog.instance(check.definition.instance_id);
          checks[check.definition.id] =
              health_check_json(check, instance ? &*instance : nullptr, request.node());
        }
        reply_json(request, checks);
      },
      Access::kRead);

  router.add(
      "GET", "/v1/agent/self",
      [](Request& request) { reply_json(request, self_json(request.node())); }, Access::kRead);

  router.add(
      "GET", "/v1/agent/members",
      [](Request& request) {
        reply_json(request, Json::array({self_json(request.node())["Member"]}));
      },
      Access::kRead);
}

void add_service_writes(Router& router) {
  router.add(
      "PUT", "/v1/agent/service/register",
      [](Request& request) {
        ServiceRegistration registration =
            parse_or_400([&] { return parse_service_registration(request.http.body); });
        std::lock_guard lock(request.server.writes);
        const std::string& id = registration.instance.id;
        if (std::optional<ServiceInstance> existing = request.catalog.instance(id);
            existing && !existing->external())
          refuse_job_instance(*existing);
        require_free_check_ids(request.catalog, id, registration.checks);
        request.catalog.register_instance(std::move(registration.instance),
                                          std::move(registration.checks));
      },
      Access::kWrite);

  // Consul before 1.0 took GET here too, and Debian's python3-consul still sends it.
  for (const char* method : {"PUT", "GET"}) {
    router.add(
        method, "/v1/agent/service/deregister/:id",
        [](Request& request) {
          std::lock_guard lock(request.server.writes);
          const std::string& id = request.params[0];
          std::optional<ServiceInstance> instance = request.catalog.instance(id);
          if (!instance)
            throw ApiError(404,
                           "Unknown service ID " + in_quotes(id) +
                               ". Ensure that the service ID is passed, not the service name.");
          if (!instance->external()) refuse_job_instance(*instance);
          request.catalog.deregister_instance(id);
        },
        Access::kWrite);
  }
}

void add_check_writes(Router& router) {
  router.add(
      "PUT", "/v1/agent/check/register",
      [](Request& request) {
        CheckDefinition check =
            parse_or_400([&] { return parse_check_registration(request.http.body); });
        std::lock_guard lock(request.server.writes);
        std::optional<ServiceInstance> instance = request.catalog.instance(check.instance_id);
        if (!instance)
          throw ApiError(400, "ServiceID " + in_quotes(check.instance_id) + " does not exist");
        if (!instance->external()) refuse_job_instance(*instance);
        require_free_check_ids(request.catalog, instance->id, {check});
        std::vector<CheckDefinition> checks = definitions_of(request.catalog, instance->id);
        std::erase_if(checks, [&](const CheckDefinition& known) { return known.id == check.id; });
        checks.push_back(std::move(check));
        request.catalog.register_instance(std::move(*instance), std::move(checks));
      },
      Access::kWrite);

  for (const char* method : {"PUT", "GET"}) {
    router.add(
        method, "/v1/agent/check/deregister/:id",
        [](Request& request) {
          std::lock_guard lock(request.server.writes);
          const std::string& check_id = request.params[0];
          std::optional<CheckState> check = request.catalog.check(check_id);
          if (!check) throw ApiError(404, "Unknown check ID " + in_quotes(check_id));
          std::optional<ServiceInstance> instance =
              request.catalog.instance(check->definition.instance_id);
          if (!instance) return;  // removed meanwhile, with its checks
          if (!instance->external()) refuse_job_instance(*instance);
          std::vector<CheckDefinition> checks = definitions_of(request.catalog, instance->id);
          std::erase_if(checks, [&](const CheckDefinition& known) { return known.id == check_id; });
          request.catalog.register_instance(std::move(*instance), std::move(checks));
        },
        Access::kWrite);

    router.add(
        method, "/v1/agent/check/pass/:id",
        [](Request& request) {
          update_ttl_check(request, CheckStatus::kPassing, request.query("note"));
        },
        Access::kWrite);
    router.add(
        method, "/v1/agent/check/warn/:id",
        [](Request& request) {
          update_ttl_check(request, CheckStatus::kWarning, request.query("note"));
        },
        Access::kWrite);
    router.add(
        method, "/v1/agent/check/fail/:id",
        [](Request& request) {
          update_ttl_check(request, CheckStatus::kCritical, request.query("note"));
        },
        Access::kWrite);
  }

  router.add(
      "PUT", "/v1/agent/check/update/:id",
      [](Request& request) {
        const CheckUpdate update =
            parse_or_400([&] { return parse_check_update(request.http.body); });
        update_ttl_check(request, update.status, update.output);
      },
      Access::kWrite);
}

}  // namespace

void add_agent_routes(Router& router) {
  add_agent_reads(router);
  add_service_writes(router);
  add_check_writes(router);
}

}  // namespace pot::agent::consul
