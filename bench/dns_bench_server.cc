// The DNS benchmark's server (bench/dns_qps.sh): a catalog with a few services, the DNS
// server on 127.0.0.1 (port 0, or the first argument), its port printed on stdout; it serves
// until stdin closes (the script holds the pipe), then stops.
//
//   web    3 instances (own addresses), tags http, v1 on one
//   api    2 instances on the node's address
//   db     1 IPv6 instance
//   cache  5 instances, one of them critical
#include <cstdio>
#include <iostream>
#include <string>

#include "agent/dns/dns_server.h"

namespace {

using pot::agent::CheckDefinition;
using pot::agent::CheckStatus;
using pot::agent::ServiceCatalog;
using pot::agent::ServiceInstance;

void add(ServiceCatalog& catalog, const std::string& id, const std::string& name,
         const std::string& address, int port, CheckStatus status = CheckStatus::kPassing) {
  ServiceInstance instance;
  instance.id = id;
  instance.name = name;
  instance.address = address;
  instance.port = port;
  instance.tags = {"http"};
  if (id == "web-1") instance.tags.push_back("v1");
  CheckDefinition check;
  check.id = id + "-check";
  check.type = "ttl";
  check.initial_status = status;
  catalog.register_instance(std::move(instance), {check});
}

}  // namespace

int main(int argc, char** argv) {
  ServiceCatalog catalog({"bench-node", "potd", "127.0.0.1", "dc1"});
  for (int i = 1; i <= 3; ++i)
    add(catalog, "web-" + std::to_string(i), "web", "10.0.0." + std::to_string(i), 8080);
  for (int i = 1; i <= 2; ++i) add(catalog, "api-" + std::to_string(i), "api", "", 9000 + i);
  add(catalog, "db-1", "db", "fd00::5", 5432);
  for (int i = 1; i <= 5; ++i)
    add(catalog, "cache-" + std::to_string(i), "cache", "10.0.1." + std::to_string(i), 6379,
        i == 5 ? CheckStatus::kCritical : CheckStatus::kPassing);

  pot::agent::DnsServerOptions options;
  options.listen = {{"127.0.0.1", argc > 1 ? std::stoi(argv[1]) : 0, false}};
  pot::agent::DnsServer server(catalog, options);
  server.start();
  std::printf("%d\n", server.port());
  std::fflush(stdout);
  std::string ignored;
  while (std::getline(std::cin, ignored)) {
  }
  server.stop();
  return 0;
}
