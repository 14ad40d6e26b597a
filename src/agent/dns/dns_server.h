// Consul's DNS interface over the service catalog (orchestrator-facts.md, "Consul DNS"),
// on UDP and TCP: `NAME.service.consul` and `TAG.NAME.service.consul` (A, AAAA), SRV for
// `_NAME._tcp.service.consul` and `NAME.service.consul` with the addresses in the additional
// section, `NODE.node.consul`; instances whose checks are critical are left out; NXDOMAIN for
// unknown names. The wire format is ldns's. A malformed packet is answered with FORMERR or
// dropped, never trusted.
//
// A listener may also forward: names outside the domain go to the host's resolvers and the
// answer comes back unchanged. potd uses that on the pots' gateway address (POT_DNS_IP), so
// pots with `pot.dns=pot` resolve `.consul` names and everything else through one server.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "agent/services/service_catalog.h"

namespace pot::agent {

struct DnsListen {
  std::string address = "127.0.0.1";
  int port = 8600;       // 0: any free port (tests); DnsServer::port() tells which
  bool forward = false;  // names outside the domain go to the upstreams (else REFUSED)
};

struct DnsServerOptions {
  std::vector<DnsListen> listen = {DnsListen{}};
  std::string domain = "consul";
  // Where forwarded queries go, "ADDRESS" or "ADDRESS:PORT"; empty: the nameservers of
  // /etc/resolv.conf (those on loopback too).
  std::vector<std::string> upstreams;
  bool only_passing = false;  // leave out warning instances too
  int ttl_seconds = 0;        // Consul's default
  // How long one upstream gets to answer a forwarded query before the next is asked
  // (Consul's recursor_timeout).
  std::chrono::milliseconds upstream_timeout{2'000};
  // TCP: a connection without a query for this long is closed, and at most this many are
  // open at once (a new one beyond is closed at once).
  std::chrono::milliseconds tcp_idle_timeout{10'000};
  size_t max_tcp_connections = 128;
};

class DnsServer {
 public:
  DnsServer(const ServiceCatalog& catalog, DnsServerOptions options);
  ~DnsServer();  // stops
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Binds every listener, UDP and TCP on the same port (throws pot::Error naming the
  // address and the reason) and serves on a thread.
  void start();
  void stop();
  // The port of the listener `index` (after start; useful with port 0).
  int port(size_t index = 0) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pot::agent
