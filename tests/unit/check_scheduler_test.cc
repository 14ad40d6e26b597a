// The check scheduler against real endpoints on 127.0.0.1 (ephemeral ports): a listening and
// a closed TCP port, an HTTP server (httplib) and script checks run as child processes. The
// tests wait on the catalog's index (or poll with a deadline), never for a fixed time, except
// where time passing is what is tested (a ttl, a check that must stay stopped).
#include "agent/services/check_scheduler.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "core/unique_fd.h"
#include "test_util.h"

namespace pot::agent {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A TCP socket bound to 127.0.0.1 on an ephemeral port: listening (connections complete in
// the kernel's backlog, never accepted) or only bound (connections are refused).
class LocalPort {
 public:
  explicit LocalPort(bool listening) {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (!fd_ || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        (listening && ::listen(fd_.get(), SOMAXCONN) != 0) ||
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0)
      throw std::runtime_error("cannot bind a local port");
    port_ = ntohs(address.sin_port);
  }
  int port() const { return port_; }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  int port_ = 0;
};

// A server that answers every connection with fixed bytes, then closes: for answers no real
// HTTP server would give.
class RawAnswerServer {
 public:
  explicit RawAnswerServer(std::string answer) : listener_(true), answer_(std::move(answer)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~RawAnswerServer() {
    stopping_ = true;
    ::shutdown(listener_fd(), SHUT_RDWR);
    thread_.join();
  }
  int port() const { return listener_.port(); }

 private:
  int listener_fd() const { return listener_.fd(); }
  void serve() {
    while (!stopping_) {
      UniqueFd client(::accept4(listener_fd(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!client) return;
      char request[4096];
      (void)::recv(client.get(), request, sizeof request, 0);
      (void)::send(client.get(), answer_.data(), answer_.size(), MSG_NOSIGNAL);
    }
  }
  LocalPort listener_;
  std::string answer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// An HTTP server with the answers the http checks look at, counting requests per path.
class HealthServer {
 public:
  HealthServer() {
    server_.Get("/ok", [this](const httplib::Request& request, httplib::Response& response) {
      count(request);
      response.set_content("all good", "text/plain");
    });
    server_.Get("/busy", [this](const httplib::Request& request, httplib::Response& response) {
      count(request);
      response.status = 429;
      response.set_content("slow down", "text/plain");
    });
    server_.Get("/broken", [this](const httplib::Request& request, httplib::Response& response) {
      count(request);
      response.status = 500;
      response.set_content("database unreachable", "text/plain");
    });
    server_.Post("/echo", [this](const httplib::Request& request, httplib::Response& response) {
      count(request);
      response.set_content(request.get_header_value("X-Probe") + " " + request.body, "text/plain");
    });
    // Answers only when the test ends: longer than any check's timeout.
    server_.Get("/slow", [this](const httplib::Request& request, httplib::Response& response) {
      count(request);
      std::unique_lock lock(mutex_);
      released_.wait_for(lock, 10s, [this] { return stopping_; });
      response.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~HealthServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    released_.notify_all();
    server_.stop();
    thread_.join();
  }
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  int port() const { return port_; }
  int requests(const std::string& path) {
    std::lock_guard lock(mutex_);
    return requests_[path];
  }
  // Called on every request before it is answered (the test looks at the catalog then).
  void on_request(std::function<void(const std::string& path)> hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }

 private:
  void count(const httplib::Request& request) {
    std::function<void(const std::string&)> hook;
    {
      std::lock_guard lock(mutex_);
      ++requests_[request.path];
      hook = hook_;
    }
    if (hook) hook(request.path);
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable released_;
  bool stopping_ = false;
  std::map<std::string, int> requests_;
  std::function<void(const std::string&)> hook_;
};

class CheckSchedulerTest : public ::testing::Test {
 protected:
  CheckSchedulerTest() : catalog_(CatalogNode{}) {
    CheckSchedulerOptions options;
    options.script_argv = [this](const CheckDefinition& check) {
      std::lock_guard lock(argv_mutex_);
      return script_argvs_[check.id];
    };
    scheduler_ = std::make_unique<CheckScheduler>(catalog_, std::move(options));
  }
  ~CheckSchedulerTest() override { scheduler_->stop(); }

  static CheckDefinition check(const std::string& id, const std::string& type) {
    CheckDefinition definition;
    definition.id = id;
    definition.name = id;
    definition.type = type;
    definition.address = "127.0.0.1";
    definition.interval = 100ms;
    definition.timeout = 2s;
    return definition;
  }
  static CheckDefinition tcp_check(const std::string& id, int port) {
    CheckDefinition definition = check(id, "tcp");
    definition.port = port;
    return definition;
  }
  CheckDefinition http_check(const std::string& id, const std::string& path) {
    CheckDefinition definition = check(id, "http");
    definition.port = server_.port();
    definition.path = path;
    return definition;
  }
  CheckDefinition script_check(const std::string& id, std::vector<std::string> argv) {
    {
      std::lock_guard lock(argv_mutex_);
      script_argvs_[id] = std::move(argv);
    }
    return check(id, "script");
  }

  void register_checks(const std::string& instance_id, std::vector<CheckDefinition> checks) {
    ServiceInstance instance;
    instance.id = instance_id;
    instance.name = "web";
    instance.address = "127.0.0.1";
    catalog_.register_instance(instance, std::move(checks));
  }

  // Waits until `done()` holds, waking on every change of the catalog and at least every
  // 20 ms (for conditions outside it); false at the deadline.
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    auto deadline = Clock::now() + timeout;
    uint64_t index = catalog_.index();
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      index = catalog_.wait_for_index(index, 20ms);
    }
    return true;
  }

  // The check's state once it has left "" output and initial status (its first report).
  CheckState wait_for_report(const std::string& id) {
    std::optional<CheckState> state;
    EXPECT_TRUE(wait_until([&] {
      state = catalog_.check(id);
      return state && !state->output.empty();
    })) << id
        << " got no result";
    return state.value_or(CheckState{});
  }

  void record_statuses_at_requests(const std::string& id) {
    server_.on_request([this, id](const std::string&) {
      CheckStatus now = status(id);
      std::lock_guard lock(seen_mutex_);
      seen_.push_back(now);
    });
  }
  std::vector<CheckStatus> seen() {
    std::lock_guard lock(seen_mutex_);
    return seen_;
  }

  CheckStatus status(const std::string& id) {
    auto state = catalog_.check(id);
    return state ? state->status : CheckStatus::kCritical;
  }

  ServiceCatalog catalog_;
  // The statuses of one check as each HTTP request arrived (record_statuses_at_requests);
  // before server_, whose threads write them until it is destroyed.
  std::mutex seen_mutex_;
  std::vector<CheckStatus> seen_;
  HealthServer server_;
  std::mutex argv_mutex_;
  std::map<std::string, std::vector<std::string>> script_argvs_;
  std::unique_ptr<CheckScheduler> scheduler_;
};

// A process (by pid) that is gone, or a zombie someone else will reap: not running.
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  return paren != std::string::npos && text.size() > paren + 2 && text[paren + 2] != 'Z';
}
bool exists(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

pid_t read_pid(const std::filesystem::path& file) {
  std::ifstream in(file);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// --- tcp ------------------------------------------------------------------------------------

TEST_F(CheckSchedulerTest, TcpCheckPassesOnAListeningPort) {
  LocalPort listener(true);
  register_checks("web-1", {tcp_check("tcp-up", listener.port())});
  scheduler_->start();
  CheckState state = wait_for_report("tcp-up");
  EXPECT_EQ(state.status, CheckStatus::kPassing);
  EXPECT_EQ(state.output, "TCP connect 127.0.0.1:" + std::to_string(listener.port()) + ": Success");
}

TEST_F(CheckSchedulerTest, TcpCheckIsCriticalOnAClosedPort) {
  LocalPort closed(false);
  CheckDefinition definition = tcp_check("tcp-down", closed.port());
  definition.initial_status = CheckStatus::kPassing;
  register_checks("web-1", {definition});
  scheduler_->start();
  CheckState state = wait_for_report("tcp-down");
  EXPECT_EQ(state.status, CheckStatus::kCritical);
  EXPECT_NE(state.output.find("connection refused"), std::string::npos) << state.output;
}

TEST_F(CheckSchedulerTest, TcpCheckWithoutAddressUsesTheInstances) {
  LocalPort listener(true);
  CheckDefinition definition = check("tcp-instance", "tcp");
  definition.address.clear();
  ServiceInstance instance;
  instance.id = "web-1";
  instance.name = "web";
  instance.port = listener.port();  // no address: the node's (127.0.0.1)
  catalog_.register_instance(instance, {definition});
  scheduler_->start();
  EXPECT_EQ(wait_for_report("tcp-instance").status, CheckStatus::kPassing);
}

// --- http -----------------------------------------------------------------------------------

TEST_F(CheckSchedulerTest, HttpCheckMapsTheStatusCodeAsConsulDoes) {
  register_checks("web-1", {http_check("http-ok", "/ok"), http_check("http-busy", "/busy"),
                            http_check("http-broken", "/broken")});
  scheduler_->start();
  CheckState ok = wait_for_report("http-ok");
  EXPECT_EQ(ok.status, CheckStatus::kPassing);
  EXPECT_EQ(ok.output, "HTTP GET http://127.0.0.1:" + std::to_string(server_.port()) +
                           "/ok: 200 OK Output: all good");
  CheckState busy = wait_for_report("http-busy");
  EXPECT_EQ(busy.status, CheckStatus::kWarning);
  EXPECT_NE(busy.output.find("429"), std::string::npos) << busy.output;
  CheckState broken = wait_for_report("http-broken");
  EXPECT_EQ(broken.status, CheckStatus::kCritical);
  EXPECT_NE(broken.output.find("500"), std::string::npos) << broken.output;
  EXPECT_NE(broken.output.find("database unreachable"), std::string::npos) << broken.output;
}

TEST_F(CheckSchedulerTest, HttpCheckSendsItsMethodHeadersAndBody) {
  CheckDefinition definition = http_check("http-post", "/echo");
  definition.method = "POST";
  definition.headers["X-Probe"] = {"from-potd"};
  definition.body = "ping";
  register_checks("web-1", {definition});
  scheduler_->start();
  CheckState state = wait_for_report("http-post");
  EXPECT_EQ(state.status, CheckStatus::kPassing);
  EXPECT_NE(state.output.find("Output: from-potd ping"), std::string::npos) << state.output;
}

TEST_F(CheckSchedulerTest, HttpCheckIsCriticalPastItsTimeout) {
  CheckDefinition definition = http_check("http-slow", "/slow");
  definition.timeout = 300ms;
  definition.interval = 10s;
  definition.initial_status = CheckStatus::kPassing;
  register_checks("web-1", {definition});
  auto started = Clock::now();
  scheduler_->start();
  CheckState state = wait_for_report("http-slow");
  EXPECT_EQ(state.status, CheckStatus::kCritical);
  EXPECT_NE(state.output.find("timed out after 300ms"), std::string::npos) << state.output;
  EXPECT_GE(Clock::now() - started, 300ms);
}

TEST_F(CheckSchedulerTest, AHostileChunkSizeEndsTheBodyAndHangsNothing) {
  // A chunk size near 2^64: the body is what arrived, and the loop goes on checking.
  RawAnswerServer hostile(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffec\r\nX");
  CheckDefinition definition = http_check("hostile", "/");
  definition.port = hostile.port();
  register_checks("web-1", {definition, http_check("http-ok", "/ok")});
  scheduler_->start();
  CheckState state = wait_for_report("hostile");
  EXPECT_EQ(state.status, CheckStatus::kPassing) << state.output;
  EXPECT_NE(state.output.find("Output: X"), std::string::npos) << state.output;
  EXPECT_EQ(wait_for_report("http-ok").status, CheckStatus::kPassing);
}

TEST_F(CheckSchedulerTest, HttpsChecksAreReportedUnsupported) {
  CheckDefinition definition = http_check("https", "/ok");
  definition.protocol = "https";
  register_checks("web-1", {definition});
  scheduler_->start();
  CheckState state = wait_for_report("https");
  EXPECT_EQ(state.status, CheckStatus::kCritical);
  EXPECT_EQ(state.output, "https checks are not supported");
}

// --- script ---------------------------------------------------------------------------------

TEST_F(CheckSchedulerTest, ScriptExitCodesGivePassingWarningAndCritical) {
  register_checks("web-1", {script_check("exit-0", {"/bin/sh", "-c", "echo fine"}),
                            script_check("exit-1", {"/bin/sh", "-c", "echo hi; exit 1"}),
                            script_check("exit-2", {"/bin/sh", "-c", "echo broken >&2; exit 2"})});
  scheduler_->start();
  CheckState passing = wait_for_report("exit-0");
  EXPECT_EQ(passing.status, CheckStatus::kPassing);
  EXPECT_EQ(passing.output, "fine\n");
  CheckState warning = wait_for_report("exit-1");
  EXPECT_EQ(warning.status, CheckStatus::kWarning);
  EXPECT_NE(warning.output.find("hi"), std::string::npos) << warning.output;
  CheckState critical = wait_for_report("exit-2");
  EXPECT_EQ(critical.status, CheckStatus::kCritical);
  EXPECT_EQ(critical.output, "broken\n");  // stderr is in the output too
}

TEST_F(CheckSchedulerTest, ScriptOutputIsCappedAt4KiB) {
  register_checks("web-1", {script_check("chatty", {"/bin/sh", "-c",
                                                    "i=0; while [ $i -lt 2000 ]; do echo line-$i; "
                                                    "i=$((i+1)); done; echo the-end"})});
  scheduler_->start();
  CheckState state = wait_for_report("chatty");
  EXPECT_EQ(state.status, CheckStatus::kPassing);
  EXPECT_LT(state.output.size(), 4096u + 100u);
  EXPECT_EQ(state.output.rfind("Captured 4096 of ", 0), 0u) << state.output.substr(0, 80);
  EXPECT_NE(state.output.find("the-end"), std::string::npos);  // the end is kept
}

TEST_F(CheckSchedulerTest, ScriptPastItsTimeoutIsKilledAndReaped) {
  pot::testing::TempDir dir("pot-checks");
  std::string child_file = (dir / "child").string(),
              grandchild_file = (dir / "grandchild").string();
  CheckDefinition definition =
      script_check("sleeper", {"/bin/sh", "-c",
                               "echo $$ > " + child_file + "; sleep 60 & echo $! > " +
                                   grandchild_file + "; echo waiting; wait"});
  definition.timeout = 500ms;
  definition.interval = 10s;
  register_checks("web-1", {definition});
  scheduler_->start();
  CheckState state = wait_for_report("sleeper");
  EXPECT_EQ(state.status, CheckStatus::kCritical);
  EXPECT_EQ(state.output, "Timed out (500ms) running check\n\nwaiting\n");
  pid_t child = read_pid(child_file), grandchild = read_pid(grandchild_file);
  ASSERT_GT(child, 0);
  ASSERT_GT(grandchild, 0);
  EXPECT_FALSE(exists(child)) << "the script's process was not reaped";
  // The whole group was killed; the orphaned grandchild is reaped by init.
  EXPECT_TRUE(wait_until([&] { return !running(grandchild); }, 5s));
}

TEST_F(CheckSchedulerTest, ScriptWithoutArgvIsCriticalTaskNotRunning) {
  register_checks("web-1", {script_check("no-task", {})});
  scheduler_->start();
  CheckState state = wait_for_report("no-task");
  EXPECT_EQ(state.status, CheckStatus::kCritical);
  EXPECT_EQ(state.output, "task not running");
}

TEST_F(CheckSchedulerTest, ScriptThatCannotStartIsCritical) {
  register_checks("web-1", {script_check("missing", {"/nonexistent/check-program"})});
  scheduler_->start();
  CheckState state = wait_for_report("missing");
  EXPECT_EQ(state.status, CheckStatus::kCritical);
  EXPECT_NE(state.output.find("No such file or directory"), std::string::npos) << state.output;
}

TEST_F(CheckSchedulerTest, RemovingAScriptCheckKillsItsRunningChild) {
  pot::testing::TempDir dir("pot-checks");
  std::string child_file = (dir / "child").string();
  CheckDefinition definition =
      script_check("long", {"/bin/sh", "-c", "echo $$ > " + child_file + "; exec sleep 60"});
  definition.timeout = 60s;
  register_checks("web-1", {definition});
  scheduler_->start();
  ASSERT_TRUE(wait_until([&] { return read_pid(child_file) > 0; }));
  pid_t child = read_pid(child_file);
  catalog_.deregister_instance("web-1");
  ASSERT_TRUE(wait_until([&] { return scheduler_->scheduled_checks() == 0; }));
  EXPECT_FALSE(exists(child)) << "the child of a removed check is still there";
}

TEST_F(CheckSchedulerTest, StopKillsAndReapsRunningChildren) {
  pot::testing::TempDir dir("pot-checks");
  std::string child_file = (dir / "child").string();
  CheckDefinition definition =
      script_check("long", {"/bin/sh", "-c", "echo $$ > " + child_file + "; exec sleep 60"});
  definition.timeout = 60s;
  register_checks("web-1", {definition});
  scheduler_->start();
  ASSERT_TRUE(wait_until([&] { return read_pid(child_file) > 0; }));
  scheduler_->stop();
  EXPECT_FALSE(exists(read_pid(child_file)));
  EXPECT_EQ(scheduler_->scheduled_checks(), 0u);
}

// --- ttl ------------------------------------------------------------------------------------

TEST_F(CheckSchedulerTest, TtlCheckExpiresWithoutUpdates) {
  CheckDefinition definition = check("ttl", "ttl");
  definition.ttl = 200ms;
  register_checks("web-1", {definition});
  scheduler_->start();
  CheckState state = wait_for_report("ttl");
  EXPECT_EQ(state.status, CheckStatus::kCritical);
  EXPECT_EQ(state.output, "TTL expired");
}

TEST_F(CheckSchedulerTest, TtlCheckIsRenewedByEachUpdate) {
  CheckDefinition definition = check("ttl", "ttl");
  definition.ttl = 400ms;
  register_checks("web-1", {definition});
  scheduler_->start();
  ASSERT_TRUE(catalog_.update_check("ttl", CheckStatus::kPassing, "first"));
  // A client renewing before the ttl ends: the deadline moves to ttl after this update.
  std::this_thread::sleep_for(250ms);
  ASSERT_TRUE(catalog_.update_check("ttl", CheckStatus::kPassing, "renewed"));
  auto renewed = Clock::now();
  ASSERT_TRUE(wait_until([&] { return status("ttl") == CheckStatus::kCritical; }));
  EXPECT_GE(Clock::now() - renewed, 400ms);
  EXPECT_EQ(catalog_.check("ttl")->output,
            "TTL expired (last output before timeout follows): renewed");
  // And a later update brings it back.
  ASSERT_TRUE(catalog_.update_check("ttl", CheckStatus::kPassing, "back"));
  EXPECT_EQ(status("ttl"), CheckStatus::kPassing);
}

// --- thresholds across real runs ------------------------------------------------------------

TEST_F(CheckSchedulerTest, SuccessBeforePassingWaitsForConsecutiveSuccesses) {
  CheckDefinition definition = http_check("slow-start", "/ok");
  definition.success_before_passing = 3;
  record_statuses_at_requests("slow-start");
  register_checks("web-1", {definition});
  scheduler_->start();
  ASSERT_TRUE(wait_until([&] { return status("slow-start") == CheckStatus::kPassing; }));
  std::vector<CheckStatus> statuses = seen();
  ASSERT_GE(statuses.size(), 3u);
  // Three runs happened while it was still critical: the third one's result made it pass.
  EXPECT_EQ(std::vector<CheckStatus>(statuses.begin(), statuses.begin() + 3),
            std::vector<CheckStatus>(3, CheckStatus::kCritical));
}

TEST_F(CheckSchedulerTest, FailuresBeforeCriticalHoldsThePassingStatus) {
  CheckDefinition definition = http_check("flaky", "/broken");
  definition.initial_status = CheckStatus::kPassing;
  definition.failures_before_critical = 2;
  record_statuses_at_requests("flaky");
  register_checks("web-1", {definition});
  scheduler_->start();
  ASSERT_TRUE(wait_until([&] { return status("flaky") == CheckStatus::kCritical; }));
  std::vector<CheckStatus> statuses = seen();
  ASSERT_GE(statuses.size(), 2u);
  // The second request came after one failure, which did not count yet.
  EXPECT_EQ(statuses[0], CheckStatus::kPassing);
  EXPECT_EQ(statuses[1], CheckStatus::kPassing);
}

// --- following the catalog ------------------------------------------------------------------

TEST_F(CheckSchedulerTest, ARemovedCheckStopsRunning) {
  register_checks("web-1", {http_check("gone", "/ok")});
  scheduler_->start();
  ASSERT_TRUE(wait_until([&] { return server_.requests("/ok") >= 2; }));
  EXPECT_EQ(scheduler_->scheduled_checks(), 1u);
  catalog_.deregister_instance("web-1");
  ASSERT_TRUE(wait_until([&] { return scheduler_->scheduled_checks() == 0; }));
  int after_removal = server_.requests("/ok");
  // Several intervals (100 ms) with no request.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(server_.requests("/ok"), after_removal);
}

TEST_F(CheckSchedulerTest, AChangedDefinitionIsRestarted) {
  LocalPort closed(false), listener(true);
  register_checks("web-1", {tcp_check("moving", closed.port())});
  scheduler_->start();
  EXPECT_EQ(wait_for_report("moving").status, CheckStatus::kCritical);
  register_checks("web-1", {tcp_check("moving", listener.port())});
  EXPECT_TRUE(wait_until([&] { return status("moving") == CheckStatus::kPassing; }));
}

TEST_F(CheckSchedulerTest, ChecksAddedAfterStartAreRun) {
  LocalPort listener(true);
  scheduler_->start();
  register_checks("web-1", {tcp_check("late", listener.port())});
  EXPECT_EQ(wait_for_report("late").status, CheckStatus::kPassing);
  EXPECT_EQ(scheduler_->scheduled_checks(), 1u);
}

TEST_F(CheckSchedulerTest, TwoHundredChecksShareOneLoop) {
  // At 1 s intervals every check reports within a couple of seconds: no check waits on another.
  LocalPort listener(true);
  constexpr int kChecks = 200;
  for (int i = 0; i < kChecks; ++i) {
    CheckDefinition definition = tcp_check("many-" + std::to_string(i), listener.port());
    definition.interval = 1s;
    register_checks("web-" + std::to_string(i), {definition});
  }
  auto started = Clock::now();
  scheduler_->start();
  auto all_passing = [&] {
    for (const auto& state : catalog_.checks())
      if (state.status != CheckStatus::kPassing) return false;
    return true;
  };
  ASSERT_TRUE(wait_until(all_passing, 10s));
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_EQ(scheduler_->scheduled_checks(), static_cast<size_t>(kChecks));
}

}  // namespace
}  // namespace pot::agent
