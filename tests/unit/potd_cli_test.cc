// The `potd` client commands: Nomad's layouts built from Nomad-shaped documents, the
// address and token resolution, the one-line errors, and the commands against a stand-in
// for the agent (an httplib::Server on 127.0.0.1, port 0, serving fixed documents).
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "agent/cli/agent_command.h"
#include "agent/cli/alloc_commands.h"
#include "agent/cli/api_client.h"
#include "agent/cli/job_commands.h"
#include "agent/cli/monitor.h"
#include "agent/cli/node_commands.h"
#include "agent/cli/service_commands.h"
#include "agent/cli/table.h"
#include "agent/cli/time_format.h"
#include "core/error.h"
#include "test_util.h"

namespace pot::agent {
namespace {

using pot::testing::TempDir;

constexpr int64_t kSecond = 1'000'000'000;
// 2024-01-02T15:04:05Z
constexpr int64_t kSubmitted = 1704207845 * kSecond;

// Layouts print local times; the tests read them in UTC.
class PotdCliUtc : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    if (tz != nullptr) saved_tz_ = tz;
    had_tz_ = tz != nullptr;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      ::setenv("TZ", saved_tz_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::string saved_tz_;
  bool had_tz_ = false;
};

// --- A stand-in for the agent ----------------------------------------------------------

// Serves what the test registers on 127.0.0.1 (an ephemeral port) and records the requests.
class StandInAgent {
 public:
  StandInAgent() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() only stops a server that has started listening.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~StandInAgent() {
    server_.stop();
    thread_.join();
  }
  StandInAgent(const StandInAgent&) = delete;
  StandInAgent& operator=(const StandInAgent&) = delete;

  std::string address() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // `answer` gives the body (JSON) for a request; a status other than 200 sends `body` as
  // Nomad's plain-text error.
  void on(const std::string& method, const std::string& path,
          std::function<std::string(const httplib::Request&, httplib::Response&)> answer) {
    auto handler = [this, answer](const httplib::Request& request, httplib::Response& response) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        std::string line = request.method + " " + request.path;
        std::string query;
        for (const auto& [name, value] : request.params) {
          query += (query.empty() ? "?" : "&") + name + "=" + value;
        }
        requests_.push_back(line + query);
        bodies_.push_back(request.body);
        tokens_.push_back(request.get_header_value("X-Nomad-Token"));
      }
      std::string body = answer(request, response);
      bool json = response.status == 200 || response.status == -1;
      response.set_content(body, json ? "application/json" : "text/plain");
    };
    if (method == "GET") server_.Get(path, handler);
    if (method == "PUT") server_.Put(path, handler);
    if (method == "DELETE") server_.Delete(path, handler);
  }
  void serve(const std::string& method, const std::string& path, const Json& document,
             uint64_t index = 1) {
    on(method, path, [document, index](const httplib::Request&, httplib::Response& response) {
      response.set_header("X-Nomad-Index", std::to_string(index));
      return document.dump();
    });
  }

  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }
  std::vector<std::string> tokens() {
    std::lock_guard<std::mutex> lock(mutex_);
    return tokens_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> requests_, bodies_, tokens_;
};

// A port on 127.0.0.1 that is bound but not listening: connecting to it is refused.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("bind");
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  std::string address() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
};

// Runs a command, capturing its stdout; a pot::Error's message is the "error".
struct CommandResult {
  int code = 0;
  std::string out;
  std::string error;
};
CommandResult run_command(int (*command)(const std::vector<std::string>&),
                          const std::vector<std::string>& args) {
  CommandResult result;
  ::testing::internal::CaptureStdout();
  try {
    result.code = command(args);
  } catch (const Error& error) {
    result.code = 1;
    result.error = error.what();
  }
  result.out = ::testing::internal::GetCapturedStdout();
  return result;
}

// --- Nomad-shaped documents -------------------------------------------------------------

const std::string kAllocId = "5b3e1f8a-9c2d-4e6f-8a1b-2c3d4e5f6a7b";
const std::string kNodeId = "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9";
const std::string kEvalId = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const std::string kDeploymentId = "d0e1f2a3-b4c5-4d6e-8f7a-8b9c0d1e2f3a";

Json job_stub(const std::string& id, const std::string& status, bool stop = false) {
  return {{"ID", id},
          {"ParentID", ""},
          {"Name", id},
          {"Namespace", "default"},
          {"Datacenters", {"dc1"}},
          {"Type", "service"},
          {"Priority", 50},
          {"Periodic", false},
          {"ParameterizedJob", false},
          {"Stop", stop},
          {"Status", status},
          {"SubmitTime", kSubmitted}};
}

Json web_job() {
  return {
      {"ID", "web"},
      {"Name", "web"},
      {"Namespace", "default"},
      {"Type", "service"},
      {"Priority", 50},
      {"Datacenters", {"dc1", "dc2"}},
      {"NodePool", "default"},
      {"Status", "running"},
      {"Stop", false},
      {"Periodic", nullptr},
      {"ParameterizedJob", nullptr},
      {"Version", 1},
      {"SubmitTime", kSubmitted},
      {"TaskGroups",
       {{{"Name", "web"},
         {"Count", 1},
         {"Tasks",
          {{{"Name", "nginx"}, {"Driver", "pot"}, {"Resources", {{"CPU", 100}, {"MemoryMB", 300}}}},
           {{"Name", "setup"},
            {"Driver", "pot"},
            {"Lifecycle", {{"Hook", "prestart"}, {"Sidecar", false}}}}}}}}}};
}

Json alloc_stub(const std::string& id, const std::string& client_status, int64_t created) {
  return {{"ID", id},
          {"EvalID", kEvalId},
          {"Name", "web.web[0]"},
          {"Namespace", "default"},
          {"NodeID", kNodeId},
          {"NodeName", "host1"},
          {"JobID", "web"},
          {"JobVersion", 1},
          {"TaskGroup", "web"},
          {"DesiredStatus", "run"},
          {"DesiredDescription", ""},
          {"ClientStatus", client_status},
          {"ClientDescription", "Tasks are running"},
          {"CreateIndex", 12},
          {"ModifyIndex", 15},
          {"CreateTime", created},
          {"ModifyTime", created + 62 * kSecond}};
}

Json full_alloc() {
  Json alloc = alloc_stub(kAllocId, "running", kSubmitted);
  alloc["Job"] = web_job();
  alloc["DeploymentID"] = kDeploymentId;
  alloc["DeploymentStatus"] = {{"Healthy", true}, {"Canary", false}};
  alloc["AllocatedResources"] = {
      {"Tasks",
       {{"nginx",
         {{"Cpu", {{"CpuShares", 100}}},
          {"Memory", {{"MemoryMB", 300}, {"MemoryMaxMB", 512}}},
          {"Networks",
           {{{"IP", "127.0.0.1"}, {"DynamicPorts", {{{"Label", "http"}, {"Value", 25123}}}}}}}}},
        {"setup", {{"Cpu", {{"CpuShares", 20}}}, {"Memory", {{"MemoryMB", 32}}}}}}},
      {"Shared", {{"DiskMB", 300}}}};
  alloc["TaskStates"] = {{"nginx",
                          {{"State", "running"},
                           {"Failed", false},
                           {"Restarts", 1},
                           {"StartedAt", kSubmitted + 5 * kSecond},
                           {"FinishedAt", nullptr},
                           {"LastRestart", "2024-01-02T15:04:30Z"},
                           {"Events",
                            {{{"Type", "Received"},
                              {"Time", kSubmitted},
                              {"DisplayMessage", "Task received by client"}},
                             {{"Type", "Driver"},
                              {"Time", kSubmitted + 2 * kSecond},
                              {"DisplayMessage", ""},
                              {"Message", "importing the image"}},
                             {{"Type", "Started"},
                              {"Time", kSubmitted + 5 * kSecond},
                              {"DisplayMessage", "Task started by client"}}}}}},
                         {"setup",
                          {{"State", "dead"},
                           {"Restarts", 0},
                           {"StartedAt", kSubmitted + kSecond},
                           {"FinishedAt", kSubmitted + 2 * kSecond},
                           {"Events", Json::array()}}}};
  alloc["PotNames"] = {{"nginx", "web-nginx-5b3e1f8a"}, {"setup", "web-setup-5b3e1f8a"}};
  return alloc;
}

Json deployment(const std::string& status, int64_t healthy) {
  return {{"ID", kDeploymentId},
          {"JobID", "web"},
          {"JobVersion", 1},
          {"JobModifyIndex", 11},
          {"Status", status},
          {"StatusDescription",
           status == "successful" ? "Deployment completed successfully" : "Deployment is running"},
          {"TaskGroups",
           {{"web",
             {{"AutoRevert", false},
              {"DesiredCanaries", 0},
              {"DesiredTotal", 1},
              {"PlacedAllocs", 1},
              {"HealthyAllocs", healthy},
              {"UnhealthyAllocs", 0},
              {"ProgressDeadline", 600 * kSecond},
              {"RequireProgressBy", "2024-01-02T15:14:05Z"}}}}}};
}

// --- Tables and times -------------------------------------------------------------------

TEST(PotdCliTable, PadsColumnsWithTwoSpacesAndLeavesTheLastUnpadded) {
  std::string out = format_list(
      {{"ID", "Type", "Status"}, {"webserver", "service", "running"}, {"db", "", "dead"}});
  EXPECT_EQ(out,
            "ID         Type     Status\n"
            "webserver  service  running\n"
            "db         <none>   dead");
}

TEST(PotdCliTable, KeyValueBlocksAlignTheirEqualsSigns) {
  EXPECT_EQ(format_kv({{"ID", "web"}, {"Submit Date", "x"}, {"Periodic", ""}}),
            "ID          = web\n"
            "Submit Date = x\n"
            "Periodic    = <none>");
  EXPECT_EQ(limit(kAllocId, kShortId), "5b3e1f8a");
  EXPECT_EQ(limit("ab", kShortId), "ab");
}

TEST(PotdCliTime, AbsoluteTimesAreIso8601WithTheOffset) {
  EXPECT_EQ(format_time_at_offset(kSubmitted, 0), "2024-01-02T15:04:05Z");
  EXPECT_EQ(format_time_at_offset(kSubmitted, 3600), "2024-01-02T16:04:05+01:00");
  EXPECT_EQ(format_time_at_offset(kSubmitted, -(5 * 3600 + 1800)), "2024-01-02T09:34:05-05:30");
  EXPECT_EQ(format_time_at_offset(0, 0), "");  // Nomad shows nothing for the zero time
}

TEST(PotdCliTime, RelativeTimesShowTheTwoLargestUnits) {
  EXPECT_EQ(pretty_time_diff(kSubmitted, kSubmitted + 182 * kSecond), "3m2s ago");
  EXPECT_EQ(pretty_time_diff(kSubmitted, kSubmitted + (3600 + 5) * kSecond), "1h5s ago");
  EXPECT_EQ(pretty_time_diff(kSubmitted, kSubmitted + (86400 + 7200 + 180) * kSecond), "1d2h ago");
  EXPECT_EQ(pretty_time_diff(kSubmitted, kSubmitted + kSecond / 3), "0s ago");
  EXPECT_EQ(pretty_time_diff(kSubmitted + 90 * kSecond, kSubmitted), "1m30s from now");
  EXPECT_EQ(pretty_time_diff(0, kSubmitted), "");
}

TEST(PotdCliTime, DurationsPrintAsGoDoes) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(30 * kSecond), "30s");
  EXPECT_EQ(format_duration(90 * kSecond), "1m30s");
  EXPECT_EQ(format_duration(3600 * kSecond), "1h0m0s");
  EXPECT_EQ(format_duration(1500 * 1'000'000), "1.5s");
  EXPECT_EQ(format_duration(250 * 1'000'000), "250ms");
}

TEST(PotdCliTime, TimeFieldsAreNanosecondsOrRfc3339) {
  EXPECT_EQ(time_field_nanos(Json(kSubmitted)), kSubmitted);
  EXPECT_EQ(time_field_nanos(Json("2024-01-02T15:04:05Z")), kSubmitted);
  EXPECT_EQ(time_field_nanos(Json("2024-01-02T16:04:05.5+01:00")), kSubmitted + kSecond / 2);
  EXPECT_EQ(time_field_nanos(Json("0001-01-01T00:00:00Z")), 0);  // Go's zero time
  EXPECT_EQ(time_field_nanos(Json()), 0);
}

// --- Address and token ------------------------------------------------------------------

TEST(PotdCliConfig, FlagsWinOverTheEnvironmentWhichWinsOverDefaults) {
  TempDir dir("potd-cli");
  const auto no_file = dir / "missing.token";
  ApiConfig defaults = resolve_api_config({}, {}, no_file);
  EXPECT_EQ(defaults.address, "http://127.0.0.1:4646");
  EXPECT_EQ(defaults.token, "");
  EXPECT_EQ(defaults.namespace_name, "default");

  std::map<std::string, std::string> env = {{"NOMAD_ADDR", "http://127.0.0.1:5000/"},
                                            {"NOMAD_TOKEN", "from-env"},
                                            {"NOMAD_NAMESPACE", "prod"}};
  ApiConfig from_env = resolve_api_config({}, env, no_file);
  EXPECT_EQ(from_env.address, "http://127.0.0.1:5000");  // the trailing slash dropped
  EXPECT_EQ(from_env.token, "from-env");
  EXPECT_EQ(from_env.namespace_name, "prod");

  GlobalFlags flags;
  flags.address = "http://127.0.0.1:6000";
  flags.token = "from-flag";
  flags.namespace_name = "dev";
  ApiConfig from_flags = resolve_api_config(flags, env, no_file);
  EXPECT_EQ(from_flags.address, "http://127.0.0.1:6000");
  EXPECT_EQ(from_flags.token, "from-flag");
  EXPECT_EQ(from_flags.namespace_name, "dev");
}

TEST(PotdCliConfig, TheAgentsTokenFileIsTheLastResort) {
  TempDir dir("potd-cli");
  const auto token_file = dir / "agent.token";
  std::ofstream(token_file) << "s3cr3t-token\n";
  EXPECT_EQ(resolve_api_config({}, {}, token_file).token, "s3cr3t-token");
  EXPECT_EQ(resolve_api_config({}, {{"NOMAD_TOKEN", "env"}}, token_file).token, "env");
}

TEST(PotdCliConfig, AnUnreadableTokenFileIsNotedForThe403Message) {
  TempDir dir("potd-cli");
  const auto token_file = dir / "agent.token";
  std::ofstream(token_file) << "s3cr3t\n";
  ::chmod(token_file.c_str(), 0);
  // Read as a user who may not (root reads any file): as root, a child that becomes `nobody`.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 &&
        (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0))
      ::_exit(3);
    if (::geteuid() == 0) ::_exit(4);
    ApiConfig config = resolve_api_config({}, {}, token_file);
    ::_exit(config.token.empty() && config.token_file_unreadable ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the token was read or the refusal not noted; "
                                       "3: could not become nobody";
}

TEST(PotdCliConfig, TheTokenFileLivesUnderPotFsRoot) {
  const char* old = std::getenv("POT_FS_ROOT");
  std::string saved = old != nullptr ? old : "";
  ::setenv("POT_FS_ROOT", "/srv/pot-test-root", 1);
  EXPECT_EQ(agent_token_file(), std::filesystem::path("/srv/pot-test-root/potd/agent.token"));
  if (old != nullptr) {
    ::setenv("POT_FS_ROOT", saved.c_str(), 1);
  } else {
    ::unsetenv("POT_FS_ROOT");
  }
}

// --- Errors -----------------------------------------------------------------------------

TEST(PotdCliErrors, AnAgentErrorIsOneLineNamingTheRequest) {
  StandInAgent agent;
  agent.on("GET", "/v1/job/x", [](const httplib::Request&, httplib::Response& response) {
    response.status = 404;
    return std::string("job not found\n");
  });
  ApiConfig config;
  config.address = agent.address();
  ApiClient api("potd job status", config);
  try {
    api.get("/v1/job/x");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "potd job status: GET /v1/job/x: 404 job not found");
  }
}

TEST(PotdCliErrors, NoAgentSaysWhereItWasLookedFor) {
  RefusingPort port;
  ApiConfig config;
  config.address = port.address();
  ApiClient api("potd job status", config);
  try {
    api.get("/v1/jobs");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), "potd: cannot reach the agent at " + port.address() +
                                             ": Connection refused (is `potd agent` running?)");
  }
}

TEST(PotdCliErrors, A403WithoutAReadableTokenNamesTheTokenFile) {
  StandInAgent agent;
  agent.on("PUT", "/v1/jobs", [](const httplib::Request&, httplib::Response& response) {
    response.status = 403;
    return std::string("Permission denied");
  });
  ApiConfig config;
  config.address = agent.address();
  config.token_file = "/var/lib/pot/potd/agent.token";
  config.token_file_unreadable = true;
  ApiClient api("potd job run", config);
  try {
    api.put("/v1/jobs", Json::object());
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "potd: permission denied: the agent's token is in "
                 "/var/lib/pot/potd/agent.token, readable by root only");
  }
  // With a token that the agent refuses, its answer is shown as any other.
  config.token = "wrong";
  ApiClient with_token("potd job run", config);
  try {
    with_token.put("/v1/jobs", Json::object());
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "potd job run: PUT /v1/jobs: 403 Permission denied");
  }
  EXPECT_EQ(agent.tokens(), (std::vector<std::string>{"", "wrong"}));
}

TEST(PotdCliErrors, FlagsAreCheckedBeforeAnyRequest) {
  CommandResult unknown = run_command(job_status, {"-frobnicate"});
  EXPECT_EQ(unknown.error, "potd job status: flag provided but not defined: -frobnicate");
  CommandResult version = run_command(job_revert, {"-address", "http://127.0.0.1:9", "web", "v2"});
  EXPECT_EQ(version.error,
            "potd job revert: invalid value `v2` for -version (a non-negative integer)");
  CommandResult lines = run_command(alloc_logs, {"-n", "-3", "5b3e"});
  EXPECT_NE(lines.error.find("potd alloc logs: invalid value"), std::string::npos) << lines.error;
  CommandResult address = run_command(job_status, {"-address", "127.0.0.1:4646"});
  EXPECT_EQ(address.error,
            "potd job status: bad agent address `127.0.0.1:4646` (expected http://HOST:PORT)");
}

// --- Job layouts ------------------------------------------------------------------------

TEST_F(PotdCliUtc, TheJobsTableIsNomads) {
  Json jobs = {job_stub("web", "running"), job_stub("cache", "dead", true)};
  EXPECT_EQ(format_job_list(jobs),
            "ID     Type     Priority  Status          Submit Date\n"
            "web    service  50        running         2024-01-02T15:04:05Z\n"
            "cache  service  50        dead (stopped)  2024-01-02T15:04:05Z");
  EXPECT_EQ(format_job_list(Json::array()), "No running jobs");
}

TEST_F(PotdCliUtc, OneJobsStatusHasHeaderSummaryDeploymentAndAllocations) {
  JobStatusDocuments docs;
  docs.job = web_job();
  docs.summary = {{"JobID", "web"},
                  {"Summary",
                   {{"web",
                     {{"Queued", 0},
                      {"Complete", 0},
                      {"Failed", 1},
                      {"Running", 1},
                      {"Starting", 0},
                      {"Lost", 0},
                      {"Unknown", 0}}}}}};
  docs.allocations = {alloc_stub(kAllocId, "running", kSubmitted)};
  docs.evaluations = Json::array();
  docs.deployment = deployment("successful", 1);
  const int64_t now = kSubmitted + 182 * kSecond;
  EXPECT_EQ(format_job_status(docs, now, false, false),
            "ID            = web\n"
            "Name          = web\n"
            "Submit Date   = 2024-01-02T15:04:05Z\n"
            "Type          = service\n"
            "Priority      = 50\n"
            "Datacenters   = dc1,dc2\n"
            "Namespace     = default\n"
            "Node Pool     = default\n"
            "Status        = running\n"
            "Periodic      = false\n"
            "Parameterized = false\n"
            "\n"
            "Summary\n"
            "Task Group  Queued  Starting  Running  Failed  Complete  Lost  Unknown\n"
            "web         0       0         1        1       0         0     0\n"
            "\n"
            "Latest Deployment\n"
            "ID          = d0e1f2a3\n"
            "Status      = successful\n"
            "Description = Deployment completed successfully\n"
            "\n"
            "Deployed\n"
            "Task Group  Desired  Placed  Healthy  Unhealthy  Progress Deadline\n"
            "web         1        1       1        0          2024-01-02T15:14:05Z\n"
            "\n"
            "Allocations\n"
            "ID        Node ID   Task Group  Version  Desired  Status   Created   Modified\n"
            "5b3e1f8a  f1e2d3c4  web         1        run      running  3m2s ago  2m ago");
}

TEST_F(PotdCliUtc, ABlockedEvaluationShowsThePlacementFailure) {
  JobStatusDocuments docs;
  docs.job = web_job();
  docs.allocations = Json::array();
  docs.evaluations = {{{"ID", kEvalId},
                       {"Priority", 50},
                       {"TriggeredBy", "job-register"},
                       {"Status", "blocked"},
                       {"CreateIndex", 20},
                       {"FailedTGAllocs",
                        {{"web",
                          {{"NodesEvaluated", 1},
                           {"NodesExhausted", 1},
                           {"DimensionExhausted", {{"memory", 1}}}}}}}}};
  std::string out = format_job_status(docs, kSubmitted, false, true);
  EXPECT_NE(out.find("Evaluations\n"
                     "ID        Priority  Triggered By  Status   Placement Failures\n"
                     "a1b2c3d4  50        job-register  blocked  true\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Placement Failure\n"
                     "Task Group \"web\":\n"
                     "  * Resources exhausted on 1 nodes\n"
                     "  * Dimension \"memory\" exhausted on 1 nodes\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Allocations\nNo allocations placed"), std::string::npos) << out;
}

TEST_F(PotdCliUtc, VerboseAllocationRowsHaveFullIdsAndAbsoluteTimes) {
  std::string out = format_alloc_list(Json::array({alloc_stub(kAllocId, "pending", kSubmitted)}),
                                      kSubmitted, true);
  EXPECT_EQ(
      out,
      "ID                                    Eval ID                               Node ID  "
      "                             Node Name  Task Group  Version  Desired  Status   Created "
      "              Modified\n" +
          kAllocId + "  " + kEvalId + "  " + kNodeId +
          "  host1      web         1        run      pending  2024-01-02T15:04:05Z  "
          "2024-01-02T15:05:07Z");
}

Json edited_plan(int64_t place) {
  return {{"Annotations",
           {{"DesiredTGUpdates",
             {{"web", {{"Place", place}, {"Stop", 0}, {"Ignore", 1}, {"DestructiveUpdate", 0}}}}}}},
          {"Diff",
           {{"Type", "Edited"},
            {"ID", "web"},
            {"Fields", Json::array()},
            {"Objects", Json::array()},
            {"TaskGroups",
             {{{"Type", "Edited"},
               {"Name", "web"},
               {"Updates", {{"create", place}, {"ignore", 1}}},
               {"Fields",
                {{{"Type", "Edited"},
                  {"Name", "Count"},
                  {"Old", "1"},
                  {"New", "2"},
                  {"Annotations", {"forces create"}}}}},
               {"Objects", Json::array()},
               {"Tasks", {{{"Type", "None"}, {"Name", "nginx"}}}}}}}}},
          {"FailedTGAllocs", nullptr},
          {"JobModifyIndex", 11},
          {"Warnings", ""}};
}

TEST(PotdCliPlan, ShowsTheDiffTheDryRunAndTheCheckIndexHint) {
  Json plan = edited_plan(1);
  std::string out = format_plan(web_job(), plan, true, false, "-var=\"a=1\" ", "web.nomad");
  EXPECT_EQ(out,
            "+/- Job: \"web\"\n"
            "+/- Task Group: \"web\" (1 create, 1 ignore)\n"
            "  +/- Count: \"1\" => \"2\" (forces create)\n"
            "      Task: \"nginx\"\n"
            "\n"
            "Scheduler dry-run:\n"
            "- All tasks successfully allocated.\n"
            "\n"
            "Job Modify Index: 11\n"
            "To submit the job with version verification run:\n"
            "\n"
            "potd job run -check-index 11 -var=\"a=1\" web.nomad\n"
            "\n"
            "When running the job with the check-index flag, the job will only be run if the\n"
            "job modify index given matches the server-side version. If the index has\n"
            "changed, another user has modified the job and the plan's results are\n"
            "potentially invalid.\n");
  EXPECT_EQ(plan_exit_code(plan), 1);
  EXPECT_EQ(plan_exit_code(edited_plan(0)), 0);
  Json unchanged = edited_plan(1);
  unchanged["Diff"]["Type"] = "None";
  EXPECT_EQ(plan_exit_code(unchanged), 0);
}

TEST(PotdCliPlan, FailedPlacementsAreListedWithTheirReasons) {
  Json plan = edited_plan(2);
  plan["FailedTGAllocs"] = {{"web",
                             {{"NodesEvaluated", 1},
                              {"CoalescedFailures", 1},
                              {"NodesExhausted", 1},
                              {"ConstraintFiltered", {{"${attr.kernel.name} = freebsd", 1}}}}}};
  std::string out = format_plan(web_job(), plan, false, false, "", "web.nomad");
  EXPECT_EQ(out.substr(0, out.find("Job Modify Index")),
            "Scheduler dry-run:\n"
            "- WARNING: Failed to place all allocations.\n"
            "  Task Group \"web\" (failed to place 2 allocations):\n"
            "    * Constraint \"${attr.kernel.name} = freebsd\": 1 nodes excluded by filter\n"
            "    * Resources exhausted on 1 nodes\n"
            "\n");
}

TEST(PotdCliPlan, AddedAndDeletedObjectsNestInBraces) {
  Json diff = {
      {"Type", "Edited"},
      {"ID", "web"},
      {"Fields", {{{"Type", "Edited"}, {"Name", "Priority"}, {"Old", "50"}, {"New", "60"}}}},
      {"Objects",
       {{{"Type", "Added"},
         {"Name", "Meta"},
         {"Fields", {{{"Type", "Added"}, {"Name", "owner"}, {"Old", ""}, {"New", "ops"}}}},
         {"Objects", Json::array()}}}},
      {"TaskGroups", Json::array()}};
  EXPECT_EQ(format_job_diff(diff, false),
            "+/- Job: \"web\"\n"
            "+/- Priority: \"50\" => \"60\"\n"
            "+   Meta {\n"
            "    + owner: \"ops\"\n"
            "    }\n");
}

TEST_F(PotdCliUtc, HistoryListsVersionsNewestFirst) {
  Json versions = {{{"Version", 1}, {"Stable", true}, {"SubmitTime", kSubmitted + 60 * kSecond}},
                   {{"Version", 0}, {"Stable", false}, {"SubmitTime", kSubmitted}}};
  EXPECT_EQ(format_job_history(versions, Json(), false),
            "Version     = 1\n"
            "Stable      = true\n"
            "Submit Date = 2024-01-02T15:05:05Z\n"
            "\n"
            "Version     = 0\n"
            "Stable      = false\n"
            "Submit Date = 2024-01-02T15:04:05Z");
}

// --- Allocation and node layouts --------------------------------------------------------

TEST_F(PotdCliUtc, AllocStatusShowsHeaderTasksResourcesAndEvents) {
  std::string out = format_alloc_status(full_alloc(), kSubmitted + 182 * kSecond, false);
  EXPECT_EQ(out, "ID                  = " + kAllocId +
                     "\n"
                     "Eval ID             = a1b2c3d4\n"
                     "Name                = web.web[0]\n"
                     "Node ID             = f1e2d3c4\n"
                     "Node Name           = host1\n"
                     "Job ID              = web\n"
                     "Job Version         = 1\n"
                     "Client Status       = running\n"
                     "Client Description  = Tasks are running\n"
                     "Desired Status      = run\n"
                     "Desired Description = <none>\n"
                     "Created             = 3m2s ago\n"
                     "Modified            = 2m ago\n"
                     "Deployment ID       = d0e1f2a3\n"
                     "Deployment Health   = healthy\n"
                     "\n"
                     "Task \"setup\" (prestart) is \"dead\"\n"
                     "Task Resources:\n"
                     "CPU     Memory  Disk     Addresses\n"
                     "20 MHz  32 MiB  300 MiB  \n"
                     "\n"
                     "Task Events:\n"
                     "Started At     = 2024-01-02T15:04:06Z\n"
                     "Finished At    = 2024-01-02T15:04:07Z\n"
                     "Total Restarts = 0\n"
                     "Last Restart   = N/A\n"
                     "\n"
                     "Recent Events:\n"
                     "Time  Type  Description\n"
                     "\n"
                     "Task \"nginx\" is \"running\"\n"
                     "Task Resources:\n"
                     "CPU      Memory        Disk     Addresses\n"
                     "100 MHz  300 MiB       300 MiB  http: 127.0.0.1:25123\n"
                     "         Max: 512 MiB           \n"
                     "\n"
                     "Task Events:\n"
                     "Started At     = 2024-01-02T15:04:10Z\n"
                     "Finished At    = N/A\n"
                     "Total Restarts = 1\n"
                     "Last Restart   = 2024-01-02T15:04:30Z\n"
                     "\n"
                     "Recent Events:\n"
                     "Time                  Type      Description\n"
                     "2024-01-02T15:04:10Z  Started   Task started by client\n"
                     "2024-01-02T15:04:07Z  Driver    importing the image\n"
                     "2024-01-02T15:04:05Z  Received  Task received by client");
}

TEST(PotdCliAlloc, BytesReadAsGoHumanizeWritesThem) {
  EXPECT_EQ(format_ibytes(300ULL << 20), "300 MiB");
  EXPECT_EQ(format_ibytes(1536ULL << 20), "1.5 GiB");
  EXPECT_EQ(format_ibytes(9), "9 B");
  EXPECT_EQ(format_ibytes(2048), "2.0 KiB");
}

TEST(PotdCliAlloc, ATaskMustBeNamedWhenThereAreSeveral) {
  Json alloc = full_alloc();
  EXPECT_EQ(choose_task("potd alloc logs", alloc, "nginx"), "nginx");
  try {
    choose_task("potd alloc logs", alloc, "");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "potd alloc logs: allocation \"5b3e1f8a\" is running the following tasks:\n"
                 "  * setup\n  * nginx\n\nPlease specify the task.");
  }
  EXPECT_THROW(choose_task("potd alloc logs", alloc, "nope"), Error);
  alloc["TaskStates"].erase("setup");
  EXPECT_EQ(choose_task("potd alloc logs", alloc, ""), "nginx");
}

TEST(PotdCliAlloc, ExecPrefersThePotBesidePotd) {
  TempDir dir("potd-cli");
  EXPECT_EQ(pot_program((dir / "potd").string()), "pot");
  std::ofstream(dir / "pot") << "#!/bin/sh\n";
  ::chmod((dir / "pot").c_str(), 0755);
  EXPECT_EQ(pot_program((dir / "potd").string()), (dir / "pot").string());
}

TEST(PotdCliNode, TheNodesTableAndOneNodesResources) {
  Json node = {
      {"ID", kNodeId},
      {"Name", "host1"},
      {"NodePool", "default"},
      {"Datacenter", "dc1"},
      {"NodeClass", ""},
      {"Drain", false},
      {"SchedulingEligibility", "eligible"},
      {"Status", "ready"},
      {"Drivers",
       {{"pot", {{"Detected", true}, {"Healthy", true}}},
        {"docker", {{"Detected", false}, {"Healthy", false}}}}},
      {"NodeResources",
       {{"Cpu", {{"CpuShares", 4000}}},
        {"Memory", {{"MemoryMB", 8192}}},
        {"Disk", {{"DiskMB", 51200}}}}},
      {"ReservedResources",
       {{"Cpu", {{"CpuShares", 0}}}, {"Memory", {{"MemoryMB", 256}}}, {"Disk", {{"DiskMB", 0}}}}}};
  EXPECT_EQ(format_node_list(Json::array({node}), false),
            "ID        Node Pool  DC   Name   Class   Drain  Eligibility  Status\n"
            "f1e2d3c4  default    dc1  host1  <none>  false  eligible     ready");

  Json stopped = full_alloc();
  stopped["ID"] = "00000000-0000-4000-8000-000000000000";
  stopped["DesiredStatus"] = "stop";
  stopped["ClientStatus"] = "complete";
  std::string out =
      format_node_status(node, Json::array({full_alloc(), stopped}), kSubmitted, false);
  EXPECT_NE(out.find("Driver Status = pot\n"), std::string::npos) << out;
  // Only the running allocation counts: 100 + 20 MHz, 300 + 32 MiB.
  EXPECT_NE(out.find("Allocated Resources\n"
                     "CPU           Memory           Disk\n"
                     "120/4000 MHz  332 MiB/7.8 GiB  300 MiB/50 GiB\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("5b3e1f8a  f1e2d3c4  web"), std::string::npos) << out;
}

// --- Monitor and commands against the stand-in agent ---------------------------------------

// Each read of a path gives the next of `documents` (the last one repeats), with a growing
// index, as blocking queries answer when something changed.
void serve_sequence(StandInAgent& agent, const std::string& path, std::vector<Json> documents) {
  auto next = std::make_shared<std::atomic<std::size_t>>(0);
  agent.on("GET", path, [documents, next](const httplib::Request&, httplib::Response& response) {
    std::size_t i = std::min(next->fetch_add(1), documents.size() - 1);
    response.set_header("X-Nomad-Index", std::to_string(100 + i));
    return documents[i].dump();
  });
}

Json evaluation(const std::string& status, const std::string& deployment_id = "") {
  return {{"ID", kEvalId},
          {"JobID", "web"},
          {"Type", "service"},
          {"Status", status},
          {"CreateIndex", 10},
          {"DeploymentID", deployment_id},
          {"TriggeredBy", "job-register"}};
}

struct MonitorRun {
  int code = 0;
  std::string out;
};
MonitorRun run_monitor(StandInAgent& agent, uint64_t modify_index) {
  ApiConfig config;
  config.address = agent.address();
  ApiClient api("potd job run", config);
  std::ostringstream out;
  EvalMonitor monitor(
      api, out, kShortId, [] { return kSubmitted; }, [](int) {});
  MonitorRun run;
  run.code = monitor.monitor(kEvalId, modify_index);
  run.out = out.str();
  return run;
}

TEST_F(PotdCliUtc, TheMonitorFollowsTheEvaluationThenTheDeployment) {
  StandInAgent agent;
  serve_sequence(agent, "/v1/evaluation/" + kEvalId,
                 {evaluation("pending"), evaluation("complete", kDeploymentId)});
  serve_sequence(agent, "/v1/job/web/allocations",
                 {Json::array({alloc_stub(kAllocId, "pending", kSubmitted)}),
                  Json::array({alloc_stub(kAllocId, "running", kSubmitted)})});
  serve_sequence(agent, "/v1/job/web/deployment",
                 {deployment("running", 0), deployment("running", 0), deployment("successful", 1)});
  MonitorRun run = run_monitor(agent, 11);
  EXPECT_EQ(run.code, 0);
  EXPECT_EQ(run.out,
            "==> 2024-01-02T15:04:05Z: Monitoring evaluation \"a1b2c3d4\"\n"
            "    2024-01-02T15:04:05Z: Evaluation triggered by job \"web\"\n"
            "    2024-01-02T15:04:05Z: Allocation \"5b3e1f8a\" created: node \"f1e2d3c4\", group "
            "\"web\"\n"
            "    2024-01-02T15:04:05Z: Evaluation within deployment: \"d0e1f2a3\"\n"
            "    2024-01-02T15:04:05Z: Allocation \"5b3e1f8a\" status changed: \"pending\" -> "
            "\"running\" (Tasks are running)\n"
            "    2024-01-02T15:04:05Z: Evaluation status changed: \"pending\" -> \"complete\"\n"
            "==> 2024-01-02T15:04:05Z: Evaluation \"a1b2c3d4\" finished with status \"complete\"\n"
            "==> 2024-01-02T15:04:05Z: Monitoring deployment \"d0e1f2a3\"\n"
            "\n"
            "2024-01-02T15:04:05Z\n"
            "ID          = d0e1f2a3\n"
            "Job ID      = web\n"
            "Job Version = 1\n"
            "Status      = running\n"
            "Description = Deployment is running\n"
            "\n"
            "Deployed\n"
            "Task Group  Desired  Placed  Healthy  Unhealthy  Progress Deadline\n"
            "web         1        1       0        0          2024-01-02T15:14:05Z\n"
            "\n"
            "2024-01-02T15:04:05Z\n"
            "ID          = d0e1f2a3\n"
            "Job ID      = web\n"
            "Job Version = 1\n"
            "Status      = successful\n"
            "Description = Deployment completed successfully\n"
            "\n"
            "Deployed\n"
            "Task Group  Desired  Placed  Healthy  Unhealthy  Progress Deadline\n"
            "web         1        1       1        0          2024-01-02T15:14:05Z\n");
  // The second read of the evaluation waited on the first one's index.
  bool blocked = false;
  for (const std::string& request : agent.requests()) {
    blocked = blocked || request.find("/v1/evaluation/" + kEvalId + "?index=100") == 0 ||
              request.find("GET /v1/evaluation/" + kEvalId + "?index=100") == 0;
  }
  EXPECT_TRUE(blocked);
}

TEST_F(PotdCliUtc, AFailedDeploymentOrPlacementExitsWith2) {
  {
    StandInAgent agent;
    serve_sequence(agent, "/v1/evaluation/" + kEvalId, {evaluation("complete", kDeploymentId)});
    serve_sequence(agent, "/v1/job/web/allocations", {Json::array()});
    Json failed = deployment("failed", 0);
    failed["StatusDescription"] = "Failed due to progress deadline";
    serve_sequence(agent, "/v1/job/web/deployment", {failed});
    MonitorRun run = run_monitor(agent, 11);
    EXPECT_EQ(run.code, 2);
    EXPECT_NE(run.out.find("Status      = failed\nDescription = Failed due to progress deadline"),
              std::string::npos)
        << run.out;
  }
  {
    StandInAgent agent;
    Json eval = evaluation("complete");
    eval["Type"] = "batch";
    eval["BlockedEval"] = "b10c4ed0-0000-4000-8000-000000000000";
    eval["FailedTGAllocs"] = {
        {"web",
         {{"NodesEvaluated", 1}, {"NodesExhausted", 1}, {"DimensionExhausted", {{"cpu", 1}}}}}};
    serve_sequence(agent, "/v1/evaluation/" + kEvalId, {eval});
    serve_sequence(agent, "/v1/job/web/allocations", {Json::array()});
    MonitorRun run = run_monitor(agent, 11);
    EXPECT_EQ(run.code, 2);
    EXPECT_NE(run.out.find("==> 2024-01-02T15:04:05Z: Evaluation \"a1b2c3d4\" finished with status "
                           "\"complete\" but failed to place all allocations:\n"
                           "    2024-01-02T15:04:05Z: Task Group \"web\" (failed to place 1 "
                           "allocation):\n"
                           "  * Resources exhausted on 1 nodes\n"
                           "  * Dimension \"cpu\" exhausted on 1 nodes\n"
                           "    2024-01-02T15:04:05Z: Evaluation \"b10c4ed0\" waiting for "
                           "additional capacity to place remainder\n"),
              std::string::npos)
        << run.out;
    // A batch job has no deployment to wait for.
    for (const std::string& request : agent.requests()) {
      EXPECT_EQ(request.find("deployment"), std::string::npos) << request;
    }
  }
}

TEST_F(PotdCliUtc, JobRunRegistersTheParsedJobAndDetachPrintsTheEvaluation) {
  TempDir dir("potd-cli");
  std::ofstream(dir / "web.nomad") << "job \"web\" {\n  datacenters = [\"dc1\"]\n"
                                      "  group \"web\" {\n    task \"nginx\" {\n"
                                      "      driver = \"pot\"\n    }\n  }\n}\n";
  StandInAgent agent;
  agent.serve(
      "PUT", "/v1/jobs",
      {{"EvalID", kEvalId}, {"EvalCreateIndex", 12}, {"JobModifyIndex", 11}, {"Warnings", ""}});
  CommandResult result =
      run_command(job_run, {"-address", agent.address(), "-token", "t0k", "-detach", "-check-index",
                            "7", (dir / "web.nomad").string()});
  EXPECT_EQ(result.code, 0) << result.error;
  EXPECT_EQ(result.out, "Job registration successful\nEvaluation ID: " + kEvalId + "\n");
  ASSERT_EQ(agent.bodies().size(), 1u);
  Json body = Json::parse(agent.bodies()[0]);
  EXPECT_EQ(body["Job"]["ID"], "web");
  EXPECT_EQ(body["Job"]["TaskGroups"][0]["Tasks"][0]["Driver"], "pot");
  EXPECT_EQ(body["EnforceIndex"], true);
  EXPECT_EQ(body["JobModifyIndex"], 7);
  EXPECT_EQ(agent.tokens(), (std::vector<std::string>{"t0k"}));
}

TEST_F(PotdCliUtc, JobStatusMatchesAPrefixAndListsAmbiguousOnes) {
  StandInAgent agent;
  agent.on("GET", "/v1/jobs", [](const httplib::Request& request, httplib::Response&) {
    Json all = {job_stub("web", "running"), job_stub("webcache", "running"),
                job_stub("db", "dead")};
    Json matching = Json::array();
    for (const Json& job : all) {
      if (job["ID"].get<std::string>().rfind(request.get_param_value("prefix"), 0) == 0) {
        matching.push_back(job);
      }
    }
    return matching.dump();
  });
  agent.serve("GET", "/v1/job/db", job_stub("db", "dead"));
  agent.serve("GET", "/v1/job/db/summary", {{"Summary", Json::object()}});
  agent.serve("GET", "/v1/job/db/allocations", Json::array());
  agent.serve("GET", "/v1/job/db/evaluations", Json::array());
  agent.serve("GET", "/v1/job/db/deployment", nullptr);

  CommandResult one = run_command(job_status, {"-address", agent.address(), "d"});
  EXPECT_EQ(one.code, 0) << one.error;
  EXPECT_EQ(one.out.substr(0, one.out.find('\n')), "ID            = db");
  EXPECT_EQ(one.out.find("Latest Deployment"), std::string::npos) << one.out;

  // "web" is a whole ID as well as a prefix of "webcache": the whole ID wins.
  CommandResult ambiguous = run_command(job_status, {"-address", agent.address(), "we"});
  EXPECT_EQ(ambiguous.code, 1);
  EXPECT_EQ(ambiguous.error.substr(0, ambiguous.error.find("\n\n")),
            "potd job status: prefix matched multiple jobs");
  EXPECT_NE(ambiguous.error.find("webcache  service"), std::string::npos) << ambiguous.error;

  CommandResult none = run_command(job_status, {"-address", agent.address(), "zz"});
  EXPECT_EQ(none.error, "potd job status: no job(s) with prefix or id \"zz\" found");

  CommandResult list = run_command(job_status, {"-address", agent.address()});
  EXPECT_NE(list.out.find("webcache  service  50        running"), std::string::npos) << list.out;
}

TEST(PotdCliCommands, AllocLogsAsksForTheTasksTailAndPrintsTheLastLines) {
  StandInAgent agent;
  Json alloc = full_alloc();
  alloc["TaskStates"].erase("setup");
  agent.serve("GET", "/v1/allocations", Json::array({alloc_stub(kAllocId, "running", kSubmitted)}));
  agent.serve("GET", "/v1/allocation/" + kAllocId, alloc);
  agent.on("GET", "/v1/client/fs/logs/" + kAllocId,
           [](const httplib::Request&, httplib::Response&) {
             return std::string("one\ntwo\nthree\nfour\n");
           });
  CommandResult result =
      run_command(alloc_logs, {"-address", agent.address(), "-stderr", "-tail", "-n", "2", "5b3e"});
  EXPECT_EQ(result.code, 0) << result.error;
  EXPECT_EQ(result.out, "three\nfour\n");
  std::vector<std::string> requests = agent.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0], "GET /v1/allocations?prefix=5b3e");
  EXPECT_EQ(requests[2], "GET /v1/client/fs/logs/" + kAllocId +
                             "?offset=4096&origin=end&plain=true&task=nginx&type=stderr");
}

TEST_F(PotdCliUtc, AnAmbiguousAllocPrefixListsTheCandidates) {
  StandInAgent agent;
  agent.serve(
      "GET", "/v1/allocations",
      Json::array({alloc_stub(kAllocId, "running", kSubmitted),
                   alloc_stub("5b3e0000-0000-4000-8000-000000000000", "failed", kSubmitted)}));
  CommandResult result = run_command(alloc_status, {"-address", agent.address(), "5b3e"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.error.substr(0, result.error.find('\n')),
            "potd alloc status: prefix matched multiple allocations");
  EXPECT_NE(result.error.find("5b3e1f8a  f1e2d3c4  web"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("5b3e0000  f1e2d3c4  web"), std::string::npos) << result.error;
  CommandResult short_id = run_command(alloc_status, {"-address", agent.address(), "5"});
  EXPECT_EQ(short_id.error,
            "potd alloc status: an allocation ID must contain at least two characters");
}

// --- Services ---------------------------------------------------------------------------

Json services_list() {
  return Json::parse(R"([{"Namespace": "default", "Services": [
      {"ServiceName": "web", "Tags": ["v1", "http"]},
      {"ServiceName": "api", "Tags": []}]}])");
}

// Two instances of "web", as /v1/service/web answers (Nomad's fields and potd's health).
Json web_registrations() {
  return Json::array({{{"ID", "_nomad-task-" + kAllocId + "-nginx-web-http"},
                       {"ServiceName", "web"},
                       {"Namespace", "default"},
                       {"NodeID", kNodeId},
                       {"Datacenter", "dc1"},
                       {"JobID", "web"},
                       {"AllocID", kAllocId},
                       {"Tags", {"http", "v1"}},
                       {"Address", "127.0.0.1"},
                       {"Port", 25123},
                       {"CreateIndex", 4},
                       {"ModifyIndex", 9},
                       {"Status", "passing"},
                       {"Checks",
                        {{{"ID", "_nomad-check-1"},
                          {"Name", "service: \"web\" check"},
                          {"Type", "http"},
                          {"Status", "passing"},
                          {"Output", "HTTP GET http://127.0.0.1:25123/: 200 OK\n<html>"}}}}},
                      {{"ID", "_nomad-task-9d8c7b6a-0000-4000-8000-000000000000-admin-web-http"},
                       {"ServiceName", "web"},
                       {"Namespace", "default"},
                       {"NodeID", kNodeId},
                       {"Datacenter", "dc1"},
                       {"JobID", "admin"},
                       {"AllocID", "9d8c7b6a-0000-4000-8000-000000000000"},
                       {"Tags", Json::array()},
                       {"Address", "::1"},
                       {"Port", 8080},
                       {"CreateIndex", 5},
                       {"ModifyIndex", 5},
                       {"Status", "critical"},
                       {"Checks",
                        {{{"ID", "_nomad-check-2"},
                          {"Name", "port"},
                          {"Type", "tcp"},
                          {"Status", "critical"},
                          {"Output", "dial tcp [::1]:8080: connection refused"}}}}}});
}

TEST(PotdCliService, TheListIsNomadsTableSortedWithANamespaceColumnForAll) {
  EXPECT_EQ(format_service_list(services_list(), "default"),
            "Service Name  Tags\n"
            "api           []\n"
            "web           [http,v1]");
  Json all = services_list();
  all.push_back(Json::parse(
      R"({"Namespace": "prod", "Services": [{"ServiceName": "db", "Tags": ["primary"]}]})"));
  EXPECT_EQ(format_service_list(all, "*"),
            "Service Name  Namespace  Tags\n"
            "api           default    []\n"
            "web           default    [http,v1]\n"
            "db            prod       [primary]");
  EXPECT_EQ(format_service_list(Json::array(), "default"), "No service registrations found");
}

TEST(PotdCliService, InfoShowsTheInstancesByJobWithTheirHealth) {
  EXPECT_EQ(format_service_info(web_registrations(), false),
            "Job ID  Address          Tags       Node ID   Alloc ID  Status\n"
            "admin   [::1]:8080       []         f1e2d3c4  9d8c7b6a  critical\n"
            "web     127.0.0.1:25123  [http,v1]  f1e2d3c4  5b3e1f8a  passing");
}

TEST(PotdCliService, VerboseInfoShowsEachRecordAndItsChecks) {
  Json one = Json::array({web_registrations()[0]});
  EXPECT_EQ(format_service_info(one, true),
            "ID           = _nomad-task-" + kAllocId +
                "-nginx-web-http\n"
                "Service Name = web\n"
                "Namespace    = default\n"
                "Job ID       = web\n"
                "Alloc ID     = " +
                kAllocId +
                "\n"
                "Node ID      = " +
                kNodeId +
                "\n"
                "Datacenter   = dc1\n"
                "Address      = 127.0.0.1:25123\n"
                "Tags         = [http,v1]\n"
                "Status       = passing\n"
                "\n"
                "Checks\n"
                "Name                  Type  Status   Output\n"
                "service: \"web\" check  http  passing  HTTP GET http://127.0.0.1:25123/: 200 OK");
}

TEST(PotdCliCommands, ServiceListAsksTheAgentInTheCommandsNamespace) {
  StandInAgent agent;
  agent.serve("GET", "/v1/services", services_list());
  CommandResult table = run_command(service_list, {"-address", agent.address()});
  EXPECT_EQ(table.code, 0) << table.error;
  EXPECT_EQ(table.out, "Service Name  Tags\napi           []\nweb           [http,v1]\n");
  CommandResult json = run_command(service_list, {"-address", agent.address(), "-json"});
  EXPECT_EQ(Json::parse(json.out), services_list());
  run_command(service_list, {"-address", agent.address(), "-namespace", "*"});
  EXPECT_EQ(agent.requests().back(), "GET /v1/services?namespace=*");
  CommandResult extra = run_command(service_list, {"-address", agent.address(), "web"});
  EXPECT_EQ(extra.error, "potd service list: this command takes no arguments");
}

TEST(PotdCliCommands, ServiceInfoResolvesAPrefixOfOneServiceName) {
  StandInAgent agent;
  agent.serve("GET", "/v1/services", services_list());
  agent.serve("GET", "/v1/service/web", web_registrations());
  CommandResult result = run_command(service_info, {"-address", agent.address(), "we"});
  EXPECT_EQ(result.code, 0) << result.error;
  EXPECT_NE(result.out.find("web     127.0.0.1:25123  [http,v1]  f1e2d3c4  5b3e1f8a  passing\n"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(agent.requests().back(), "GET /v1/service/web");

  CommandResult json = run_command(service_info, {"-address", agent.address(), "-json", "web"});
  EXPECT_EQ(Json::parse(json.out), web_registrations());

  CommandResult none = run_command(service_info, {"-address", agent.address(), "db"});
  EXPECT_EQ(none.code, 1);
  EXPECT_EQ(none.error, "potd service info: no service registrations with prefix \"db\" found");
}

TEST(PotdCliCommands, AnAmbiguousServicePrefixListsTheCandidates) {
  StandInAgent agent;
  agent.serve("GET", "/v1/services", Json::parse(R"([{"Namespace": "default", "Services": [
      {"ServiceName": "web-a", "Tags": []}, {"ServiceName": "web-b", "Tags": ["x"]},
      {"ServiceName": "api", "Tags": []}]}])"));
  CommandResult result = run_command(service_info, {"-address", agent.address(), "web"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.error,
            "potd service info: prefix matched multiple services\n\n"
            "Service Name  Tags\n"
            "web-a         []\n"
            "web-b         [x]");
}

TEST(PotdCliCommands, ServiceDeleteSendsTheTokenAndNamesTheInstance) {
  StandInAgent agent;
  agent.on("DELETE", R"(/v1/service/web/(.*))",
           [](const httplib::Request&, httplib::Response&) { return std::string(); });
  CommandResult result = run_command(
      service_delete, {"-address", agent.address(), "-token", "t0k", "web", "_nomad-task-x"});
  EXPECT_EQ(result.code, 0) << result.error;
  EXPECT_EQ(result.out, "Successfully deleted service registration\n");
  EXPECT_EQ(agent.requests().back(), "DELETE /v1/service/web/_nomad-task-x");
  EXPECT_EQ(agent.tokens().back(), "t0k");
  CommandResult one = run_command(service_delete, {"-address", agent.address(), "web"});
  EXPECT_EQ(one.error,
            "potd service delete: this command takes two arguments: <service_name> and "
            "<service_id>");
}

// As /v1/client/allocation/:id/checks answers.
Json alloc_checks() {
  return Json::parse(R"({
    "_nomad-check-1": {"ID": "_nomad-check-1", "Check": "alive", "Group": "web",
      "Task": "nginx", "Service": "web", "Status": "success", "Mode": "healthiness",
      "Output": "HTTP GET http://127.0.0.1:25123/: 200 OK\n<html>", "Timestamp": 1704207900,
      "StatusCode": 200, "Type": "http"},
    "_nomad-check-2": {"ID": "_nomad-check-2", "Check": "port", "Group": "web", "Task": "",
      "Service": "front", "Status": "pending", "Mode": "healthiness", "Output": "",
      "Timestamp": 1704207900, "StatusCode": 0, "Type": "tcp"}})");
}

TEST(PotdCliAlloc, TheChecksTableListsEachCheckOfTheAllocation) {
  EXPECT_EQ(format_alloc_checks(alloc_checks()),
            "Nomad Service Checks:\n"
            "Service  Task     Name   Type  Mode         Status   Output\n"
            "front    (group)  port   tcp   healthiness  pending  <none>\n"
            "web      nginx    alive  http  healthiness  success  HTTP GET "
            "http://127.0.0.1:25123/: 200 OK");
  EXPECT_EQ(format_alloc_checks(Json::object()), "");
  EXPECT_EQ(format_alloc_checks(Json()), "");
}

TEST_F(PotdCliUtc, AllocStatusShowsTheChecksAfterTheHeader) {
  StandInAgent agent;
  agent.serve("GET", "/v1/allocations", Json::array({alloc_stub(kAllocId, "running", kSubmitted)}));
  agent.serve("GET", "/v1/allocation/" + kAllocId, full_alloc());
  agent.serve("GET", "/v1/client/allocation/" + kAllocId + "/checks", alloc_checks());
  CommandResult result = run_command(alloc_status, {"-address", agent.address(), "5b3e"});
  EXPECT_EQ(result.code, 0) << result.error;
  EXPECT_NE(result.out.find("Deployment Health   = healthy\n\nNomad Service Checks:\n"
                            "Service  Task     Name   Type  Mode         Status   Output\n"
                            "front    (group)  port   tcp   healthiness  pending  <none>\n"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("success  HTTP GET http://127.0.0.1:25123/: 200 OK\n\n"
                            "Task \"setup\" (prestart) is \"dead\""),
            std::string::npos)
      << result.out;

  // An agent without the checks route: the status without them.
  StandInAgent older;
  older.serve("GET", "/v1/allocations", Json::array({alloc_stub(kAllocId, "running", kSubmitted)}));
  older.serve("GET", "/v1/allocation/" + kAllocId, full_alloc());
  CommandResult without = run_command(alloc_status, {"-address", older.address(), "5b3e"});
  EXPECT_EQ(without.code, 0) << without.error;
  EXPECT_EQ(without.out.find("Service Checks"), std::string::npos);
  EXPECT_NE(without.out.find("Task \"nginx\" is \"running\""), std::string::npos);
}

TEST(PotdCliCommands, JobStopDetachedDeletesTheJobAndPrintsTheEvaluation) {
  StandInAgent agent;
  agent.serve("GET", "/v1/jobs", Json::array({job_stub("web", "running")}));
  agent.serve("DELETE", "/v1/job/web", {{"EvalID", kEvalId}, {"JobModifyIndex", 20}});
  CommandResult result =
      run_command(job_stop, {"-address", agent.address(), "-purge", "-detach", "web"});
  EXPECT_EQ(result.code, 0) << result.error;
  EXPECT_EQ(result.out, kEvalId + "\n");
  EXPECT_EQ(agent.requests().back(), "DELETE /v1/job/web?purge=true");
}

TEST(PotdCliCommands, JobPlanExitsWith1ForChangesAnd255ForErrors) {
  TempDir dir("potd-cli");
  std::ofstream(dir / "web.nomad") << "job \"web\" {\n  group \"web\" {\n    task \"nginx\" {\n"
                                      "      driver = \"pot\"\n    }\n  }\n}\n";
  StandInAgent agent;
  agent.serve("PUT", "/v1/job/web/plan", edited_plan(1));
  ::testing::internal::CaptureStderr();
  CommandResult changes =
      run_command(job_plan, {"-address", agent.address(), (dir / "web.nomad").string()});
  EXPECT_EQ(changes.code, 1);
  EXPECT_NE(changes.out.find("potd job run -check-index 11 " + (dir / "web.nomad").string()),
            std::string::npos)
      << changes.out;
  Json body = Json::parse(agent.bodies().back());
  EXPECT_EQ(body["Diff"], true);
  EXPECT_EQ(body["Job"]["ID"], "web");

  RefusingPort port;
  CommandResult error =
      run_command(job_plan, {"-address", port.address(), (dir / "web.nomad").string()});
  std::string stderr_text = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(error.code, 255);
  EXPECT_NE(stderr_text.find("cannot reach the agent"), std::string::npos) << stderr_text;
}

TEST(PotdCliAgent, BadPortsAndAddressesAreRefusedByNameBeforeAnythingStarts) {
  auto message = [](const std::vector<std::string>& args) {
    try {
      agent_command(args);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(message({"-consul-port", "x"}),
            "potd agent: -consul-port `x` is not a port number (or -1 to turn it off)");
  EXPECT_EQ(message({"-dns-port", "70000"}),
            "potd agent: -dns-port `70000` is not a port number (or -1 to turn it off)");
  EXPECT_EQ(message({"-http-port", "-1"}), "potd agent: -http-port `-1` is not a port number");
  EXPECT_EQ(message({"-advertise", "not-an-address"}),
            "potd agent: -advertise `not-an-address` is not an IP address");
}

}  // namespace
}  // namespace pot::agent
