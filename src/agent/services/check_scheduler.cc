// The scheduler's loop: one thread runs an asio::io_context; every check is a timer there,
// and each run of it (check_runs.h) is non-blocking I/O on the same loop.
//
// The catalog is followed through its observer, which only posts the check's id to the loop
// (observers must not block); the loop then reads the catalog's current state of that check
// and makes its schedule match: start it, restart it when its definition changed, stop it
// when it is gone. So the order in which events arrive never matters.
//
// A run's result goes through the check's thresholds and then to update_check. The catalog
// calls observers from inside update_check, on our own thread: those events are ours and
// are dropped (they would otherwise renew a ttl check that has just expired).
#include "agent/services/check_scheduler.h"

#include <pthread.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "agent/services/check_runs.h"
#include "agent/services/check_thresholds.h"

namespace pot::agent {

namespace {

using Clock = std::chrono::steady_clock;

// The first run comes soon after a check is added, spread a little so that the checks of a
// job registered at once do not all run in the same instant.
constexpr std::chrono::milliseconds kMaxFirstRunStagger{500};
constexpr std::chrono::milliseconds kDefaultTimeout{10'000};
constexpr std::chrono::milliseconds kMinInterval{100};
constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours(24);

// Set on the loop's thread while it reports a result: the catalog's events from that call.
thread_local const void* reporting_scheduler = nullptr;

// The fields a run depends on: a re-registration that changes none keeps the schedule.
bool same_schedule(const CheckDefinition& a, const CheckDefinition& b) {
  return a.type == b.type && a.interval == b.interval && a.timeout == b.timeout && a.ttl == b.ttl &&
         a.address == b.address && a.port == b.port && a.protocol == b.protocol &&
         a.method == b.method && a.path == b.path && a.headers == b.headers && a.body == b.body &&
         a.grpc_service == b.grpc_service && a.grpc_use_tls == b.grpc_use_tls && a.task == b.task &&
         a.command == b.command && a.args == b.args &&
         a.success_before_passing == b.success_before_passing &&
         a.failures_before_critical == b.failures_before_critical;
}

}  // namespace

struct CheckScheduler::Impl {
  // One check on the loop: its timer (the next run, or a ttl check's deadline), the run in
  // progress and the thresholds.
  struct ScheduledCheck {
    ScheduledCheck(asio::io_context& io, uint64_t serial_in, CheckDefinition check,
                   CheckStatus status)
        : serial(serial_in),
          definition(std::move(check)),
          thresholds(status, definition.success_before_passing,
                     definition.failures_before_critical),
          timer(io) {}
    uint64_t serial;             // tells this schedule of the check from a later one
    uint64_t armings = 0;        // tells the timer's last arming from earlier ones
    CheckDefinition definition;  // with the instance's address and port filled in
    CheckThresholds thresholds;
    asio::steady_timer timer;
    std::shared_ptr<checks::CheckRun> run;
    Clock::time_point run_started;

    void stop() {
      timer.cancel();
      if (run) std::exchange(run, nullptr)->cancel();
    }
  };

  Impl(ServiceCatalog& catalog_in, CheckSchedulerOptions options_in)
      : catalog(catalog_in), options(std::move(options_in)) {}

  // --- Following the catalog (any thread) ---------------------------------------------------

  void on_catalog_event(const CatalogEvent& event) {
    if (reporting_scheduler == this) return;
    switch (event.kind) {
      case CatalogEvent::Kind::kCheckAdded:
      case CatalogEvent::Kind::kCheckRemoved:
        asio::post(io, [this, id = event.check_id] { sync_check(id); });
        break;
      case CatalogEvent::Kind::kCheckResult:
        asio::post(io, [this, id = event.check_id] { renew_ttl(id); });
        break;
      case CatalogEvent::Kind::kInstanceRegistered:
        // A check already known is replaced silently: look at every check of the instance.
        asio::post(io, [this, id = event.instance_id] { sync_instance(id); });
        break;
      case CatalogEvent::Kind::kInstanceDeregistered:
        break;  // its checks' kCheckRemoved came first
    }
  }

  // --- On the loop --------------------------------------------------------------------------

  void sync_all() {
    for (const auto& state : catalog.checks()) sync_check(state.definition.id);
  }

  void sync_instance(const std::string& instance_id) {
    for (const auto& state : catalog.checks_of(instance_id)) sync_check(state.definition.id);
  }

  // Makes the schedule of one check match the catalog.
  void sync_check(const std::string& check_id) {
    std::optional<CheckState> state = catalog.check(check_id);
    auto it = scheduled.find(check_id);
    if (!state) {
      if (it != scheduled.end()) remove(it);
      return;
    }
    CheckDefinition definition = effective(state->definition);
    if (it != scheduled.end()) {
      if (same_schedule(it->second->definition, definition)) return;
      remove(it);
    }
    add(std::move(definition), state->status);
  }

  // The definition as it runs: tcp, http and grpc checks without their own address or port
  // use the instance's, then the node's address; no timeout means Consul's 10 s; an interval
  // too short to be meant (validation asks for 1 s) would be a busy loop.
  CheckDefinition effective(CheckDefinition check) const {
    if (check.timeout <= std::chrono::milliseconds::zero()) check.timeout = kDefaultTimeout;
    check.interval = std::max(check.interval, kMinInterval);
    // A day at most: a duration near Go's maximum would overflow the clock's arithmetic.
    check.interval = std::min(check.interval, kMaxDuration);
    check.timeout = std::min(check.timeout, kMaxDuration);
    check.ttl = std::min(check.ttl, kMaxDuration);
    if (check.address.empty() || check.port == 0) {
      std::optional<ServiceInstance> instance = catalog.instance(check.instance_id);
      if (check.address.empty() && instance) check.address = instance->address;
      if (check.port == 0 && instance) check.port = instance->port;
    }
    if (check.address.empty()) check.address = catalog.node().address;
    return check;
  }

  void add(CheckDefinition definition, CheckStatus status) {
    auto check = std::make_unique<ScheduledCheck>(io, ++last_serial, std::move(definition), status);
    ScheduledCheck& ref = *check;
    scheduled[ref.definition.id] = std::move(check);
    scheduled_count = scheduled.size();
    if (ref.definition.type == "ttl") {
      arm_ttl(ref);
      return;
    }
    auto limit = std::min(kMaxFirstRunStagger, ref.definition.interval / 10);
    std::uniform_int_distribution<long> stagger(0, limit.count());
    schedule_run(ref, Clock::now() + std::chrono::milliseconds(stagger(random)));
  }

  void remove(std::map<std::string, std::unique_ptr<ScheduledCheck>>::iterator it) {
    it->second->stop();
    scheduled.erase(it);
    scheduled_count = scheduled.size();
  }

  // Callbacks find their check again by id and serial: a check removed (or restarted)
  // meanwhile has another serial, and the old callbacks do nothing. (A timer's handler may
  // already be queued when the timer is cancelled.)
  ScheduledCheck* find(const std::string& id, uint64_t serial) {
    auto it = scheduled.find(id);
    return it != scheduled.end() && it->second->serial == serial ? it->second.get() : nullptr;
  }

  // Arms the check's timer: `action` runs when it fires, unless the timer was armed again or
  // the check removed or restarted meanwhile.
  void arm_timer(ScheduledCheck& check, Clock::time_point when,
                 void (Impl::*action)(ScheduledCheck&)) {
    uint64_t arming = ++check.armings;
    check.timer.expires_at(when);
    check.timer.async_wait([this, id = check.definition.id, serial = check.serial, arming,
                            action](std::error_code error) {
      ScheduledCheck* found = error ? nullptr : find(id, serial);
      if (found && found->armings == arming) (this->*action)(*found);
    });
  }

  void schedule_run(ScheduledCheck& check, Clock::time_point when) {
    arm_timer(check, when, &Impl::start_run);
  }

  void start_run(ScheduledCheck& check) {
    check.run_started = Clock::now();
    auto done = [this, id = check.definition.id, serial = check.serial](checks::RunResult result) {
      if (ScheduledCheck* found = find(id, serial)) finish_run(*found, std::move(result));
    };
    const CheckDefinition& definition = check.definition;
    if (definition.type == "tcp") {
      check.run = checks::start_tcp_run(io, definition, done);
    } else if (definition.type == "http") {
      check.run = checks::start_http_run(io, definition, done);
    } else if (definition.type == "script") {
      std::vector<std::string> argv;
      if (options.script_argv) argv = options.script_argv(definition);
      check.run = checks::start_script_run(io, definition, argv, done);
    } else if (definition.type == "grpc") {
      check.run = checks::start_grpc_run(io, definition, done);
    } else {
      check.run = checks::start_known_result(
          io, {CheckStatus::kCritical, "unknown check type \"" + definition.type + "\""}, done);
    }
  }

  void finish_run(ScheduledCheck& check, checks::RunResult result) {
    check.run = nullptr;
    if (std::optional<CheckStatus> status = check.thresholds.on_result(result.status))
      report(check.definition.id, *status, result.output);
    // At the same rate whatever a run takes; a run longer than the interval (a timeout
    // above it) is followed by the next one at once.
    schedule_run(check, std::max(Clock::now(), check.run_started + check.definition.interval));
  }

  void report(const std::string& check_id, CheckStatus status, const std::string& output) {
    reporting_scheduler = this;
    catalog.update_check(check_id, status, output);
    reporting_scheduler = nullptr;
  }

  // --- ttl checks: critical when not updated within their ttl ---------------------------------

  void arm_ttl(ScheduledCheck& check) {
    arm_timer(check, Clock::now() + check.definition.ttl, &Impl::expire_ttl);
  }

  void renew_ttl(const std::string& check_id) {
    auto it = scheduled.find(check_id);
    if (it != scheduled.end() && it->second->definition.type == "ttl") arm_ttl(*it->second);
  }

  void expire_ttl(ScheduledCheck& check) {
    std::optional<CheckState> state = catalog.check(check.definition.id);
    std::string output = "TTL expired";
    if (state && !state->output.empty())
      output += " (last output before timeout follows): " + state->output;
    report(check.definition.id, CheckStatus::kCritical, output);
  }

  // --- The thread ---------------------------------------------------------------------------

  void run_loop() {
    pthread_setname_np(pthread_self(), "pot-checks");
    io.run();
  }

  // On the loop: every run cancelled (children killed and reaped), every timer stopped.
  void stop_all() {
    for (auto& [id, check] : scheduled) check->stop();
    scheduled.clear();
    scheduled_count = 0;
  }

  ServiceCatalog& catalog;
  CheckSchedulerOptions options;
  asio::io_context io{1};
  // Keeps run() going while no check is scheduled.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  int subscription = 0;
  std::map<std::string, std::unique_ptr<ScheduledCheck>> scheduled;  // loop only
  std::atomic<size_t> scheduled_count{0};
  uint64_t last_serial = 0;
  std::minstd_rand random{std::random_device{}()};
};

CheckScheduler::CheckScheduler(ServiceCatalog& catalog, CheckSchedulerOptions options)
    : impl_(std::make_unique<Impl>(catalog, std::move(options))) {}

CheckScheduler::~CheckScheduler() {
  stop();
}

void CheckScheduler::start() {
  if (impl_->thread.joinable()) return;
  Impl& impl = *impl_;
  impl.subscription =
      impl.catalog.subscribe([&impl](const CatalogEvent& event) { impl.on_catalog_event(event); });
  impl.io.restart();
  impl.work.emplace(impl.io.get_executor());
  // After subscribing: a check added in between is seen twice, which sync_check allows.
  asio::post(impl.io, [&impl] { impl.sync_all(); });
  impl.thread = std::thread([&impl] { impl.run_loop(); });
}

void CheckScheduler::stop() {
  Impl& impl = *impl_;
  if (!impl.thread.joinable()) return;
  // No observer runs after unsubscribe returns, so nothing is posted after this.
  impl.catalog.unsubscribe(impl.subscription);
  asio::post(impl.io, [&impl] {
    impl.stop_all();
    impl.io.stop();
  });
  impl.thread.join();
  impl.work.reset();
}

size_t CheckScheduler::scheduled_checks() const {
  return impl_->scheduled_count;
}

}  // namespace pot::agent
