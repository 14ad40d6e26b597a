#include "agent/cli/agent_command.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "agent/api/http_server.h"
#include "agent/cli/go_flags.h"
#include "agent/server/agent.h"
#include "core/error.h"
#include "core/number.h"
#include "core/settings.h"

namespace pot::agent {

int agent_command(const std::vector<std::string>& args) {
  std::string bind = "127.0.0.1";
  std::string http_port = "4646";
  std::string data_dir;
  std::string node_name;
  std::string datacenter = "dc1";
  bool no_token = false;
  GoFlags flags("potd agent");
  flags.add_string("bind", &bind);
  flags.add_string("http-port", &http_port);
  flags.add_string("data-dir", &data_dir);
  flags.add_string("node", &node_name);
  flags.add_string("dc", &datacenter);
  flags.add_bool("insecure-no-token", &no_token);
  std::vector<std::string> rest = flags.parse(args);
  if (!rest.empty()) throw Error("potd agent: unexpected argument " + quote_name(rest.front()));
  int port = 0;
  try {
    port = std::stoi(http_port);
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535)
    throw Error("potd agent: -http-port " + quote_name(http_port) + " is not a port number");

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

  Agent agent(options);
  agent.start();
  HttpServerOptions http;
  http.address = bind;
  http.port = port;
  // Blocking queries, event streams and followed logs each hold a thread while they last.
  http.threads = 64;
  HttpServer server(agent, http);
  server.start();

  std::printf("==> potd agent started! Log data will stream in below:\n\n");
  std::printf("    Node:         %s (%s)\n", agent.node().name.c_str(), agent.node().id.c_str());
  std::printf("    Datacenter:   %s\n", agent.node().datacenter.c_str());
  std::printf("    HTTP address: %s:%d\n", bind.c_str(), server.port());
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
  server.stop();
  agent.shutdown();
  std::printf("==> potd agent stopped\n");
  return 0;
}

}  // namespace pot::agent
