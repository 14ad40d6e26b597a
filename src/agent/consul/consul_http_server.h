// The Consul-compatible HTTP API over the service catalog (orchestrator-facts.md, "Consul
// HTTP API"): catalog services and service instances, health per service (`?passing`) and
// by state, the agent's services and checks, register and deregister of external services
// with their checks (ttl ones updated through /v1/agent/check/{pass,warn,fail}/:id), and
// blocking queries on `X-Consul-Index` (`?index=N&wait=D`). JSON names and shapes are
// Consul's, so Consul's own clients work unchanged. Writes need the agent's token (the same
// token as potd's Nomad API) in `X-Consul-Token`, `Authorization: Bearer` or `?token=`.
#pragma once

#include <memory>
#include <string>

#include "agent/services/service_catalog.h"

namespace pot::agent {

struct ConsulHttpOptions {
  std::string address = "127.0.0.1";
  int port = 8500;  // 0: any free port (tests); port() tells which
  // Each blocking query holds a thread while it waits: watchers must not starve the TTL
  // updates.
  int threads = 64;
  std::string token;  // empty: writes need no token (tests only)
};

class ConsulHttpServer {
 public:
  ConsulHttpServer(ServiceCatalog& catalog, ConsulHttpOptions options);
  ~ConsulHttpServer();  // stops
  ConsulHttpServer(const ConsulHttpServer&) = delete;
  ConsulHttpServer& operator=(const ConsulHttpServer&) = delete;

  // Binds (throws pot::Error naming the address and the reason) and serves on a thread.
  void start();
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pot::agent
