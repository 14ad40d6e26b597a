// potd's task life on the FreeBSD platform, on the fakes: the built `potd agent` runs with the
// host's environment (POT_PLATFORM=freebsd, the fakes first on PATH), so its driver's `pot`
// commands make jails, epairs and pf anchors in the fakes' state, and the fake jexec runs the
// task's command on this host. Driven through potd's Nomad HTTP API as a script would.
//
// The task's pot comes from an image: the driver prepares it (`prepare`) from the image pot
// `hello_1.0` when that pot is already on the host, as after an earlier import. The tests
// make that pot from the 14.1 base and mark it imported (pot.image in its pot.conf): what a
// FreeBSD `pot import` leaves, without fetching an image.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <chrono>
#include <functional>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "fakebsd_leftovers.h"
#include "freebsd_host.h"

namespace pot::testing {
namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kImagePot = "hello";
constexpr const char* kImageTag = "1.0";

bool wait_until(const std::function<bool()>& done, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// `potd agent` as a child, its output in files; stopped (SIGTERM, then SIGKILL) at the end.
class PotdAgent {
 public:
  PotdAgent(const fs::path& data_dir, const fs::path& out, const fs::path& err)
      : out_(out), err_(err) {
    std::vector<std::string> args = {
        POTD_BINARY, "agent",     "-http-port",      "0",     "-consul-port", "-1", "-dns-port",
        "-1",        "-data-dir", data_dir.string(), "-node", "potd-freebsd"};
    pid_ = ::fork();
    if (pid_ == 0) {
      if (!std::freopen("/dev/null", "r", stdin) || !std::freopen(out.c_str(), "w", stdout) ||
          !std::freopen(err.c_str(), "w", stderr))
        ::_exit(126);
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  PotdAgent(const PotdAgent&) = delete;
  PotdAgent& operator=(const PotdAgent&) = delete;
  ~PotdAgent() { stop(); }

  pid_t pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  // What it wrote so far (nothing before the child opened its files).
  std::string out() const { return fs::exists(out_) ? read_text(out_) : ""; }
  std::string err() const { return fs::exists(err_) ? read_text(err_) : ""; }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!wait_until([&] { return !running(); }, 20000)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  fs::path out_, err_;
};

class FreeBsdPotd : public ::testing::Test {
 protected:
  void SetUp() override {
    bsd_.init_with_base();
    // The image pot, as an import leaves it: a pot of the base with pot.image set.
    std::string image = std::string(kImagePot) + "_" + kImageTag;
    FreeBsdHost::expect_ok(bsd_.pot({"create", "-p", image, "-b", "14.1"}), "create the image");
    fs::path conf = bsd_.fs_root() / "jails" / image / "conf" / "pot.conf";
    write_text(conf, read_text(conf) + "pot.image=" + image + "\n");
    image_dir_ = bsd_.fs_root() / "images";  // never fetched from: the image pot is here
    fs::create_directories(image_dir_);
    agent_ = std::make_unique<PotdAgent>(work_ / "data", work_ / "potd.out", work_ / "potd.err");
    std::smatch match;
    std::regex address(R"(HTTP address: 127\.0\.0\.1:([0-9]+))");
    std::string out;
    bool up = wait_until(
        [&] {
          out = agent_->out();
          return std::regex_search(out, match, address) || !agent_->running();
        },
        20000);
    ASSERT_TRUE(up && std::regex_search(out, match, address)) << "potd agent did not start:\n"
                                                              << out << agent_->err();
    port_ = std::stoi(match[1].str());
    token_ = read_text(work_ / "data" / "agent.token");
    while (!token_.empty() && std::isspace(static_cast<unsigned char>(token_.back())))
      token_.pop_back();
  }

  void TearDown() override {
    if (agent_ && agent_->running() && port_ != 0) {
      try {
        for (const auto& job : get("/v1/jobs"))
          request("DELETE", "/v1/job/" + job["ID"].get<std::string>() + "?purge=true");
        wait_until([&] { return !has_task_pots(); }, 30000);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "tearing down: " << e.what();
      }
    }
    agent_.reset();
  }

  struct Response {
    int status = 0;
    std::string body;
  };

  Response request(const std::string& method, const std::string& path, const Json& body = {}) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(60, 0);
    httplib::Headers headers{{"X-Nomad-Token", token_}};
    std::string text = body.is_null() ? "" : body.dump();
    httplib::Result result = method == "GET"   ? client.Get(path, headers)
                             : method == "PUT" ? client.Put(path, headers, text, "application/json")
                             : method == "POST"
                                 ? client.Post(path, headers, text, "application/json")
                                 : client.Delete(path, headers);
    Response out;
    if (result) out = {result->status, result->body};
    return out;
  }

  Json get(const std::string& path) {
    Response r = request("GET", path);
    if (r.status != 200)
      throw std::runtime_error("GET " + path + ": " + std::to_string(r.status) + " " + r.body);
    return Json::parse(r.body);
  }

  // The job file's text, parsed by the agent, then registered.
  void run_job(const std::string& hcl) {
    Response parsed =
        request("POST", "/v1/jobs/parse", Json{{"JobHCL", hcl}, {"Canonicalize", true}});
    ASSERT_EQ(parsed.status, 200) << parsed.body;
    Response registered = request("PUT", "/v1/jobs", Json{{"Job", Json::parse(parsed.body)}});
    ASSERT_EQ(registered.status, 200) << registered.body;
  }

  std::string job_file(const std::string& id, const std::string& type,
                       const std::string& command) const {
    return "job \"" + id + "\" {\n  datacenters = [\"dc1\"]\n  type = \"" + type +
           "\"\n  group \"g\" {\n"
           "    restart {\n      attempts = 0\n      mode = \"fail\"\n    }\n"
           "    reschedule {\n      attempts = 0\n      unlimited = false\n    }\n"
           "    task \"t\" {\n      driver = \"pot\"\n      config {\n        image = \"file://" +
           image_dir_.string() + "\"\n        pot = \"" + kImagePot + "\"\n        tag = \"" +
           kImageTag + "\"\n        command = \"" + command +
           "\"\n      }\n      resources {\n        cpu = 20\n        memory = 32\n      }\n"
           "    }\n  }\n}\n";
  }

  std::vector<Json> allocs_with(const std::string& job, const std::string& status) {
    std::vector<Json> out;
    for (const auto& alloc : get("/v1/job/" + job + "/allocations"))
      if (alloc.value("ClientStatus", "") == status) out.push_back(alloc);
    return out;
  }

  // A pot of a task (any pot but the image's) is on the host.
  bool has_task_pots() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(bsd_.fs_root() / "jails", ec))
      if (entry.path().filename() != std::string(kImagePot) + "_" + kImageTag) return true;
    return false;
  }

  std::vector<std::string> leftovers() {
    return host_leftovers(bsd_, {std::string(kImagePot) + "_" + kImageTag}, {agent_->pid()});
  }

  // The task's stdout through the logs API (base64 frames of alloc/logs/t.stdout.0).
  std::string task_stdout(const std::string& alloc_id) {
    Json frame = get("/v1/client/fs/logs/" + alloc_id + "?task=t&type=stdout&plain=false");
    std::string data = frame.value("Data", "");
    std::string decoded;
    int value = 0, bits = -8;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (char c : data) {
      size_t index = alphabet.find(c);
      if (index == std::string::npos) break;
      value = (value << 6) + static_cast<int>(index);
      bits += 6;
      if (bits >= 0) {
        decoded.push_back(static_cast<char>((value >> bits) & 0xFF));
        bits -= 8;
      }
    }
    return decoded;
  }

  FreeBsdHost bsd_;
  TempDir work_{"freebsd-potd"};
  fs::path image_dir_;
  std::unique_ptr<PotdAgent> agent_;
  int port_ = 0;
  std::string token_;
};

TEST_F(FreeBsdPotd, BatchTaskRunsInAJailReportsItsExitCodeAndOutputAndLeavesNothing) {
  run_job(job_file("hi", "batch", "/bin/sh -c 'echo hi; exit 3'"));
  ASSERT_TRUE(wait_until([&] { return allocs_with("hi", "failed").size() == 1; }, 60000))
      << get("/v1/job/hi/allocations").dump(2) << agent_->err();
  std::string alloc_id = allocs_with("hi", "failed")[0]["ID"];
  Json alloc = get("/v1/allocation/" + alloc_id);
  const Json& task = alloc["TaskStates"]["t"];
  EXPECT_EQ(task["State"], "dead");
  EXPECT_EQ(task["Failed"], true);
  std::vector<int> exit_codes;
  for (const auto& event : task["Events"])
    if (event["Type"] == "Terminated") exit_codes.push_back(event["ExitCode"]);
  EXPECT_EQ(exit_codes, std::vector<int>{3}) << task.dump(2);
  EXPECT_EQ(task_stdout(alloc_id), "hi\n");
  // It ran as a jail of the fakes: created, and its command jexec'd there.
  bool jailed = false;
  for (const auto& call : bsd_.calls_of("jexec"))
    jailed = jailed || std::find(call.begin(), call.end(), "echo hi; exit 3") != call.end();
  EXPECT_TRUE(jailed) << "the task's command was not run through jexec";
  EXPECT_FALSE(bsd_.calls_of("jail").empty());

  request("DELETE", "/v1/job/hi?purge=true");
  EXPECT_TRUE(wait_until([&] { return !has_task_pots() && leftovers().empty(); }, 30000));
  for (const auto& line : leftovers()) ADD_FAILURE() << "left: " << line;
}

TEST_F(FreeBsdPotd, ServiceTaskRunsUntilItsJobIsStoppedThenLeavesNothing) {
  std::string job = job_file("svc", "service", "sleep 300");
  // A port of its own: the task's pot is on the public bridge, with an epair and a pot-rdr
  // anchor that the stop must take away.
  job.replace(job.find("    task"), 0, "    network {\n      port \"http\" {}\n    }\n");
  job.replace(job.find("      }\n      resources"), 0, "        port_map = { http = \"80\" }\n");
  run_job(job);
  ASSERT_TRUE(wait_until([&] { return allocs_with("svc", "running").size() == 1; }, 60000))
      << get("/v1/job/svc/allocations").dump(2) << agent_->err();
  nlohmann::json state = bsd_.state();
  std::string pot;
  for (const auto& [name, jail] : state["jails"].items()) pot = name;
  ASSERT_FALSE(pot.empty()) << "no jail in the fakes while the task runs";
  bool has_epair = false;
  for (const auto& [name, iface] : state["interfaces"].items())
    has_epair = has_epair || name.starts_with("epair");
  EXPECT_TRUE(has_epair);
  EXPECT_FALSE(bsd_.anchor_rules("pot-rdr/" + pot).empty());

  request("DELETE", "/v1/job/svc");
  EXPECT_TRUE(wait_until([&] { return !bsd_.has_jail(pot); }, 30000)) << agent_->err();
  EXPECT_TRUE(wait_until([&] { return leftovers().empty(); }, 30000));
  for (const auto& line : leftovers()) ADD_FAILURE() << "left: " << line;
  EXPECT_TRUE(wait_until([&] { return allocs_with("svc", "complete").size() == 1; }, 10000))
      << get("/v1/job/svc/allocations").dump(2);
}

}  // namespace
}  // namespace pot::testing
