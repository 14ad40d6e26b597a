// Runs the catalog's checks: tcp, http, script and grpc at their intervals, and the ttl
// checks' deadlines. One thread runs one event loop (asio) for every check on the node:
// timers and non-blocking sockets, so a slow or hanging check never delays another, and a
// hundred checks cost one thread. A script check's command runs in its task's pot through a
// child process (`pot exec`), read and reaped on the same loop.
//
// Each result goes through the check's thresholds (success_before_passing,
// failures_before_critical) and then to ServiceCatalog::update_check. The scheduler follows
// the catalog: a check added is started, a check removed is stopped.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/services/service_catalog.h"

namespace pot::agent {

struct CheckSchedulerOptions {
  // The argv that runs a script check's command inside its task's pot; empty when the task
  // is not running (the result is then critical, "task not running").
  std::function<std::vector<std::string>(const CheckDefinition& check)> script_argv;
};

class CheckScheduler {
 public:
  CheckScheduler(ServiceCatalog& catalog, CheckSchedulerOptions options);
  ~CheckScheduler();  // stops
  CheckScheduler(const CheckScheduler&) = delete;
  CheckScheduler& operator=(const CheckScheduler&) = delete;

  // Starts the loop's thread and every check already in the catalog.
  void start();
  // Stops every check (children killed and reaped) and the thread.
  void stop();
  // How many checks are scheduled now (tests, metrics).
  size_t scheduled_checks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pot::agent
