// potd's HTTP API: Nomad's subset (orchestrator-facts.md) with Nomad's JSON names and
// shapes, blocking queries (`?index=N&wait=5m`, `X-Nomad-Index`), the event stream, and
// `/v1/metrics?format=prometheus`. Bound to 127.0.0.1 by default. Every request that
// changes state or runs code must carry the agent's token in `X-Nomad-Token` (403
// "Permission denied" otherwise); reads, parse and validate need none.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "agent/api/agent_api.h"

namespace pot::agent {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 4646;  // 0: any free port (tests); port() tells which
  int threads = 8;
};

class HttpServer {
 public:
  HttpServer(AgentApi& agent, HttpServerOptions options);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (throws pot::Error naming the address and the reason) and serves on a thread.
  void start();
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pot::agent
