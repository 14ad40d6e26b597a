// The bodies of the Consul-compatible agent API (src/agent/consul/consul_json.cc): service
// registration, check registration and check updates, as anyone who can reach potd's Consul
// port sends them. Checks, beyond no crash, hang or leak:
//  - every input is accepted or refused with consul::BadRequest carrying a one-line message,
//    never another exception;
//  - an accepted service has a name and an ID, a port in range, and checks of a known type,
//    each with a unique ID that belongs to the service, a positive interval or TTL and no
//    script to run;
//  - the accepted service and checks are written back as Consul's JSON without fault.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "agent/consul/consul_json.h"
#include "fuzz_check.h"

namespace {

using namespace pot::agent;

void check_refusal(const consul::BadRequest& error) {
  const std::string message = error.what();
  FUZZ_CHECK(!message.empty());
  // One line, even when the body puts a newline in a field's name or value.
  FUZZ_CHECK(message.find_first_of("\r\n") == std::string::npos);
}

void check_definition(const CheckDefinition& check) {
  FUZZ_CHECK(!check.id.empty());
  FUZZ_CHECK(check.type == "ttl" || check.type == "tcp" || check.type == "http" ||
             check.type == "grpc");
  FUZZ_CHECK(check.command.empty() && check.args.empty());
  if (check.type == "ttl") {
    FUZZ_CHECK(check.ttl.count() > 0);
  } else {
    FUZZ_CHECK(check.interval.count() >= 1000);
    FUZZ_CHECK(check.port >= 1 && check.port <= 65535);
    FUZZ_CHECK(!check.address.empty());
  }
  FUZZ_CHECK(check.timeout.count() > 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const CatalogNode node;

  try {
    const consul::ServiceRegistration registration = consul::parse_service_registration(body);
    const ServiceInstance& instance = registration.instance;
    FUZZ_CHECK(!instance.name.empty() && !instance.id.empty());
    FUZZ_CHECK(instance.external());
    FUZZ_CHECK(instance.port >= 0 && instance.port <= 65535);
    std::set<std::string> ids;
    std::vector<CheckState> states;
    for (const auto& check : registration.checks) {
      check_definition(check);
      FUZZ_CHECK(check.instance_id == instance.id);
      FUZZ_CHECK(ids.insert(check.id).second);
      states.push_back(CheckState{check, check.initial_status, "", 1, 1});
    }
    (void)consul::health_entry_json(instance, states, node).dump();
    (void)consul::agent_service_json(instance, node).dump();
    (void)consul::catalog_service_json(instance, node).dump();
  } catch (const consul::BadRequest& error) {
    check_refusal(error);
  }

  try {
    const CheckDefinition check = consul::parse_check_registration(body);
    check_definition(check);
    FUZZ_CHECK(!check.instance_id.empty());
    (void)consul::health_check_json(CheckState{check, check.initial_status, "", 1, 1}, nullptr,
                                    node)
        .dump();
  } catch (const consul::BadRequest& error) {
    check_refusal(error);
  }

  try {
    (void)consul::parse_check_update(body);
  } catch (const consul::BadRequest& error) {
    check_refusal(error);
  }
  return 0;
}
