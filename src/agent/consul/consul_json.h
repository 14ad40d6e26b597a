// Consul's JSON shapes of the catalog (orchestrator-facts.md, "Consul HTTP API"), and the
// readers of the bodies that register services and checks through the agent API. The names
// are Consul's own, so Consul's clients read and write them unchanged.
//
// Kept apart from the HTTP server (no httplib, no agent state) so that the fuzzer of the
// register bodies builds it alone.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/services/service_catalog.h"

namespace pot::agent::consul {

using Json = nlohmann::json;

// A body the agent API refuses: the HTTP answer is 400 with this one-line message, which
// names the field (`Checks[1].Interval: ...`). Control characters that the body put into the
// message (in a field's name or value) are escaped, so it stays one line.
class BadRequest : public std::runtime_error {
 public:
  explicit BadRequest(const std::string& message);
};

// Go's time.Duration.String() of a duration: "10s", "1m30s", "500ms", "0s".
std::string go_duration(std::chrono::milliseconds duration);

// ---- What the catalog reads answer ----------------------------------------------------

// The node as /v1/catalog/nodes and the health entries give it.
Json node_json(const CatalogNode& node);
// The node's own check, always passing: one machine is always alive to itself, and clients
// that compute health from every check of an entry expect it there.
Json serf_health_json(const CatalogNode& node);
// A check as /v1/agent/checks and /v1/health/* give it. `instance` is the instance it checks
// (for ServiceName and ServiceTags), null when it is gone.
Json health_check_json(const CheckState& check, const ServiceInstance* instance,
                       const CatalogNode& node);
// An instance as /v1/agent/services (and /v1/catalog/node/:node) give it.
Json agent_service_json(const ServiceInstance& instance, const CatalogNode& node);
// An instance as the `Service` of a /v1/health/service entry.
Json health_service_json(const ServiceInstance& instance);
// An entry of /v1/catalog/service/:name.
Json catalog_service_json(const ServiceInstance& instance, const CatalogNode& node);
// An entry of /v1/health/service/:name: {Node, Service, Checks} (the node's check last).
Json health_entry_json(const ServiceInstance& instance, const std::vector<CheckState>& checks,
                       const CatalogNode& node);

// ---- What the agent API reads ----------------------------------------------------------

struct ServiceRegistration {
  ServiceInstance instance;  // external: no allocation
  std::vector<CheckDefinition> checks;
};

// The body of `PUT /v1/agent/service/register`. Field names are matched as Consul's decoder
// matches them: in any letter case, and with the snake_case spellings it also accepts
// (`check_id`, `deregister_critical_service_after`). Unknown fields are ignored, as Consul
// does. Throws BadRequest naming the field. Script checks (`Args`, `Script`, ...) are
// refused: they run commands, so they come only from job files.
ServiceRegistration parse_service_registration(std::string_view body);

// The body of `PUT /v1/agent/check/register`: one check, whose `ServiceID` (required here:
// potd's checks belong to a service) becomes its instance_id.
CheckDefinition parse_check_registration(std::string_view body);

// The body of `PUT /v1/agent/check/update/:id`: {Status, Output}.
struct CheckUpdate {
  CheckStatus status = CheckStatus::kCritical;
  std::string output;
};
CheckUpdate parse_check_update(std::string_view body);

// Consul keeps at most this much of a check's output (its OutputMaxSize default).
inline constexpr std::size_t kMaxCheckOutput = 4096;

}  // namespace pot::agent::consul
