// `potd service list|info|delete`: Nomad's native service discovery commands over the
// agent's `/v1/services` and `/v1/service/:name`. `service info` adds potd's health: the
// instance's aggregate check status ("Status" column) and, with -verbose, its checks.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pot::agent {

using Json = nlohmann::ordered_json;

// `potd service list [-json]`
int service_list(const std::vector<std::string>& args);
// `potd service info [-json] [-verbose] NAME` (NAME may be a prefix of one service's name)
int service_info(const std::vector<std::string>& args);
// `potd service delete NAME ID`
int service_delete(const std::vector<std::string>& args);

// --- Layouts -----------------------------------------------------------------------

// The table of /v1/services: "Service Name  Tags", with a Namespace column when the
// namespace asked for is "*" (all).
std::string format_service_list(const Json& namespaces, const std::string& namespace_name);

// The instances of /v1/service/:name: the table "Job ID  Address  Tags  Node ID  Alloc ID
// Status", sorted by job; with `verbose` one key/value block per instance, with its checks.
std::string format_service_info(const Json& registrations, bool verbose);

// host:port as Go's net.JoinHostPort writes it (an IPv6 address in brackets); the address
// alone when the port is 0.
std::string format_host_port(const std::string& address, int64_t port);

}  // namespace pot::agent
