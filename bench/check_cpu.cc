// potd's CPU for health checks (issue 15): 100 services with a 1 s tcp check each, run by
// one CheckScheduler against local listeners, measured with getrusage over a window after
// a warm-up. Target: under 2 % of one core. The listeners (which accept and close every
// connection, like a real service) run in a child process, so only the scheduler's side is
// counted. No root needed.
//   build/release/bench/check_cpu [SECONDS=30] [CHECKS=100]
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "agent/services/check_scheduler.h"
#include "core/process.h"
#include "core/unique_fd.h"

namespace {

using namespace std::chrono_literals;

// The listeners' process: `count` ports on 127.0.0.1, their numbers written to `report`,
// then accept-and-close until killed.
[[noreturn]] void serve_listeners(int count, int report) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::vector<pollfd> fds;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(fd, SOMAXCONN) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0)
      ::_exit(1);
    int port = ntohs(address.sin_port);
    if (::write(report, &port, sizeof port) != sizeof port) ::_exit(1);
    fds.push_back({fd, POLLIN, 0});
  }
  ::close(report);
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    for (auto& entry : fds) {
      if ((entry.revents & POLLIN) == 0) continue;
      int connection = ::accept4(entry.fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection >= 0) ::close(connection);
    }
  }
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::stoi(argv[1]) : 30;
  int count = argc > 2 ? std::stoi(argv[2]) : 100;

  // Forked while this process has one thread.
  int ports_pipe[2];
  if (::pipe2(ports_pipe, O_CLOEXEC) != 0) return 1;
  pid_t child = ::fork();
  if (child == 0) {
    ::close(ports_pipe[0]);
    serve_listeners(count, ports_pipe[1]);
  }
  pot::ChildGuard listeners(child);  // killed and reaped at the end
  ::close(ports_pipe[1]);
  pot::UniqueFd ports_in(ports_pipe[0]);
  std::vector<int> ports;
  int port = 0;
  while (::read(ports_in.get(), &port, sizeof port) == sizeof port) ports.push_back(port);
  if (static_cast<int>(ports.size()) != count) {
    std::fprintf(stderr, "check_cpu: the listeners did not start\n");
    return 1;
  }

  pot::agent::ServiceCatalog catalog(pot::agent::CatalogNode{});
  for (int i = 0; i < count; ++i) {
    pot::agent::ServiceInstance instance;
    instance.id = "bench-" + std::to_string(i);
    instance.name = "bench";
    instance.address = "127.0.0.1";
    instance.port = ports[i];
    pot::agent::CheckDefinition check;
    check.id = "bench-check-" + std::to_string(i);
    check.type = "tcp";
    check.interval = 1s;
    check.timeout = 1s;
    catalog.register_instance(instance, {check});
  }
  std::atomic<long> results{0};
  std::atomic<long> critical{0};
  catalog.subscribe([&](const pot::agent::CatalogEvent& event) {
    if (event.kind != pot::agent::CatalogEvent::Kind::kCheckResult) return;
    ++results;
    if (event.status == pot::agent::CheckStatus::kCritical) ++critical;
  });

  pot::agent::CheckScheduler scheduler(catalog, {});
  scheduler.start();
  std::this_thread::sleep_for(3s);  // the first runs and their stagger

  long results_before = results, critical_before = critical;
  double cpu_before = cpu_seconds();
  auto wall_before = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  double cpu = cpu_seconds() - cpu_before;
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  long window_results = results - results_before;
  long window_critical = critical - critical_before;
  scheduler.stop();

  std::printf("%d tcp checks at 1s interval, %.1f s measured: %ld results (%ld critical)\n", count,
              wall, window_results, window_critical);
  std::printf("CPU: %.3f s = %.2f %% of one core (target < 2 %%)\n", cpu, 100.0 * cpu / wall);
  return window_critical == 0 && window_results > 0 ? 0 : 1;
}
