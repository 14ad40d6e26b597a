#include "agent/cli/agent_command.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "agent/api/http_server.h"
#include "agent/cli/go_flags.h"
#include "agent/consul/consul_http_server.h"
#include "agent/dns/dns_server.h"
#include "agent/server/agent.h"
#include "core/error.h"
#include "core/number.h"
#include "core/settings.h"
#include "net/ip_address.h"

namespace pot::agent {

namespace {

// A port flag: 0..65535, or -1 for "off" (Consul's way of disabling a listener).
int port_flag(const std::string& flag, const std::string& value, bool may_disable) {
  int port = -2;
  try {
    size_t used = 0;
    port = std::stoi(value, &used);
    if (used != value.size()) port = -2;
  } catch (const std::exception&) {
  }
  if (port < (may_disable ? -1 : 0) || port > 65535)
    throw Error("potd agent: -" + flag + " " + quote_name(value) + " is not a port number" +
                (may_disable ? " (or -1 to turn it off)" : ""));
  return port;
}

}  // namespace

int agent_command(const std::vector<std::string>& args) {
  std::string bind = "127.0.0.1";
  std::string http_port = "4646";
  std::string consul_port = "8500";
  std::string dns_port = "8600";
  std::string advertise = "127.0.0.1";
  std::string data_dir;
  std::string node_name;
  std::string datacenter = "dc1";
  bool no_token = false;
  GoFlags flags("potd agent");
  flags.add_string("bind", &bind);
  flags.add_string("http-port", &http_port);
  flags.add_string("consul-port", &consul_port);
  flags.add_string("dns-port", &dns_port);
  flags.add_string("advertise", &advertise);
  flags.add_string("data-dir", &data_dir);
  flags.add_string("node", &node_name);
  flags.add_string("dc", &datacenter);
  flags.add_bool("insecure-no-token", &no_token);
  std::vector<std::string> rest = flags.parse(args);
  if (!rest.empty()) throw Error("potd agent: unexpected argument " + quote_name(rest.front()));
  int port = port_flag("http-port", http_port, false);
  int consul = port_flag("consul-port", consul_port, true);
  int dns = port_flag("dns-port", dns_port, true);
  // Services are reached at this address: DNS answers it in A records.
  if (!net::IpAddress::try_parse(advertise))
    throw Error("potd agent: -advertise " + quote_name(advertise) + " is not an IP address");

  // Signals go to this thread only, through sigwait: every thread made from here on
  // inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  AgentOptions options;
  options.settings = Settings::load();
  options.data_dir =
      data_dir.empty() ? options.settings.fs_root / "potd" : std::filesystem::path(data_dir);
  for (const auto& [key, value] : options.settings.extra)
    if (key == "POT_HOST_PATHS") options.host_paths = value;
  options.node.name = node_name.empty() ? "potd" : node_name;
  if (node_name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0]) options.node.name = host;
  }
  options.node.datacenter = datacenter;
  options.node.http_address = bind + ":" + std::to_string(port);
  options.require_token = !no_token;
  options.advertise_address = advertise;

  Agent agent(options);
  agent.start();
  HttpServerOptions http;
  http.address = bind;
  http.port = port;
  // Blocking queries, event streams and followed logs each hold a thread while they last.
  http.threads = 64;
  HttpServer server(agent, http);
  server.start();

  // Consul's API and DNS over the same catalog, for tools that speak Consul.
  std::unique_ptr<ConsulHttpServer> consul_server;
  if (consul >= 0) {
    ConsulHttpOptions consul_options;
    consul_options.address = bind;
    consul_options.port = consul;
    consul_options.token = agent.token();
    consul_server = std::make_unique<ConsulHttpServer>(agent.services(), consul_options);
    consul_server->start();
  }
  std::unique_ptr<DnsServer> dns_server;
  std::vector<std::string> dns_addresses;
  if (dns >= 0) {
    DnsServerOptions dns_options;
    dns_options.listen = {DnsListen{bind, dns, false}};
    // Pots with pot.dns=pot ask POT_DNS_IP: potd answers there too, forwarding what is not
    // .consul to the host's resolvers.
    if (!options.settings.dns_ip.empty())
      dns_options.listen.push_back(DnsListen{options.settings.dns_ip, 53, true});
    dns_server = std::make_unique<DnsServer>(agent.services(), dns_options);
    dns_server->start();
    for (size_t i = 0; i < dns_options.listen.size(); ++i)
      dns_addresses.push_back(dns_options.listen[i].address + ":" +
                              std::to_string(dns_server->port(i)));
  }

  std::printf("==> potd agent started! Log data will stream in below:\n\n");
  std::printf("    Node:         %s (%s)\n", agent.node().name.c_str(), agent.node().id.c_str());
  std::printf("    Datacenter:   %s\n", agent.node().datacenter.c_str());
  std::printf("    HTTP address: %s:%d\n", bind.c_str(), server.port());
  if (consul_server) std::printf("    Consul API:   %s:%d\n", bind.c_str(), consul_server->port());
  for (const auto& address : dns_addresses) std::printf("    DNS:          %s\n", address.c_str());
  std::printf("    Data dir:     %s\n", options.data_dir.c_str());
  std::printf("    Resources:    %lld MHz, %lld MB\n\n",
              static_cast<long long>(agent.node().cpu_mhz),
              static_cast<long long>(agent.node().memory_mb));
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  std::printf("==> Caught signal: %s; shutting down (tasks keep running)\n",
              received == SIGINT ? "interrupt" : "terminated");
  std::fflush(stdout);
  if (dns_server) dns_server->stop();
  if (consul_server) consul_server->stop();
  server.stop();
  agent.shutdown();
  std::printf("==> potd agent stopped\n");
  return 0;
}

}  // namespace pot::agent
